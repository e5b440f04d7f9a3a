"""What ``search()`` answers: results, hits and facet values, and how a hit's text is shown."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from whoosh import highlight as wh_highlight


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool = False
    code: str | None = None


@dataclass
class Hit:
    id: str
    name: str
    name_locale: str
    summary: str            # HTML: escaped text, with <mark> around matched words
    summary_locale: str
    organization: str | None
    cities: list[str]
    areas: list[str]
    crisis_line: bool
    open_24_7: bool
    open_now: bool | None
    distance_km: float | None
    phone: dict | None
    score: float
    terms: list[str]
    languages: list[str]
    last_verified_at: str | None


@dataclass
class SearchResults:
    query: str
    locale: str
    total: int
    page: int
    page_size: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    suggestion: str | None = None
    fuzzy: bool = False
    relaxed: bool = False
    crisis_boosted: bool = False
    degraded: bool = False
    sort: str = "relevance"
    concepts: list[str] = field(default_factory=list)  # concept ids the words activated

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size)) if self.page_size else 1


def pick(values: Mapping[str, str], locale: str, fallback: str = "en") -> tuple[str, str]:
    if not values:
        return "", locale
    if values.get(locale):
        return values[locale], locale
    if values.get(fallback):
        return values[fallback], fallback
    first = next(iter(values))
    return values[first], first


class _MarkFormatter(wh_highlight.HtmlFormatter):
    """Plain ``<mark>`` around matches; all other text HTML-escaped."""

    def format_token(self, text, token, replace=False):
        return "<mark>%s</mark>" % html.escape(wh_highlight.get_text(text, token, replace),
                                               quote=False)


_FRAGMENTER = wh_highlight.ContextFragmenter(maxchars=240, surround=60)
_FORMATTER = _MarkFormatter(between=" … ")


def summary(text: str, terms: set[str], analyzer: Any) -> str:
    """Escaped text with matched words marked; the start of the text when nothing matched."""
    if terms and text:
        marked = wh_highlight.highlight(text, frozenset(terms), analyzer, _FRAGMENTER,
                                        _FORMATTER, top=2)
        if marked:
            return marked
    short = text if len(text) <= 240 else text[:237].rsplit(" ", 1)[0] + "…"
    return html.escape(short, quote=False)
