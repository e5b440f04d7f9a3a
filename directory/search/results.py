"""What ``search()`` answers: results, hits and facet values, and how a hit's text is shown."""

from __future__ import annotations

import html
import math
import re
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
    # The listing's status (active, temporarily closed), and what the public sees of its
    # freshness, exceptions to hours, alert and capacity at the time of the search.
    status: str | None = None
    last_verified_method: str | None = None
    overdue: bool = False
    exceptions: list = field(default_factory=list)   # row.HoursChange, current or coming
    alert: str | None = None
    alert_locale: str | None = None
    capacity: str | None = None
    capacity_updated_at: str | None = None


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
    # Filled when a first page has (almost) nothing: no dead ends.
    understood: list[tuple[str, str]] = field(default_factory=list)  # (concept id, label)
    closest_categories: list[FacetValue] = field(default_factory=list)
    crisis_lines: list[Hit] = field(default_factory=list)
    relaxed_query: str | None = None
    # The "near" place as given, when no place of that name or postal code is known.
    place_unknown: str | None = None

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size)) if self.page_size else 1


def pick(values: Mapping[str, str], locale: str, fallback: str = "en") -> tuple[str, str]:
    """(text, its locale): the visitor's language, else English, else ``fallback`` (the
    listing's own language), else any."""
    if not values:
        return "", locale
    for wanted in (locale, "en", fallback):
        if values.get(wanted):
            return values[wanted], wanted
    first = next(iter(values))
    return values[first], first


_SENTENCE_END = re.compile(r"[.!?؟](?:\s+|$)|[。！？]|\n")
_REACH = 60  # how far a fragment may grow to start or end at a sentence


class _MarkFormatter(wh_highlight.HtmlFormatter):
    """Plain ``<mark>`` around matches; all other text HTML-escaped. A fragment starts and
    ends at a sentence boundary when one is near, else at a word boundary, with an ellipsis
    wherever text was left out: never a cut word without "…"."""

    def format_token(self, text, token, replace=False):
        return "<mark>%s</mark>" % html.escape(wh_highlight.get_text(text, token, replace),
                                               quote=False)

    def format_fragment(self, fragment, replace=False):
        text = fragment.text
        starts = [t.startchar for t in fragment.matches if t.startchar is not None]
        ends = [t.endchar for t in fragment.matches if t.endchar is not None]
        first = min(starts, default=fragment.startchar)
        last = max(ends, default=fragment.endchar)
        fragment.startchar = _snap_start(text, min(fragment.startchar, first), first)
        fragment.endchar = _snap_end(text, max(fragment.endchar, last), last)
        body = super().format_fragment(fragment, replace).strip()
        prefix = "… " if fragment.startchar > 0 else ""
        suffix = " …" if text[fragment.endchar:].strip() else ""
        return prefix + body + suffix


    def format(self, fragments, replace=False):
        joined = " ".join(self.format_fragment(f, replace=replace) for f in fragments)
        return re.sub("… +…", "…", joined)


def _snap_start(text: str, start: int, first_match: int) -> int:
    """A start at a sentence's beginning within reach, else at the next word's."""
    if start <= 0:
        return 0
    window_from = max(0, start - _REACH)
    boundaries = [m.end() for m in _SENTENCE_END.finditer(text, window_from, first_match)]
    if boundaries:
        best = min(boundaries, key=lambda b: abs(b - start))
        return best
    if start - _REACH <= 0:
        return 0
    if text[start - 1].isspace() or _CJK_CHAR.match(text[start]):
        return start
    space = text.find(" ", start, first_match)
    return space + 1 if space != -1 else start


def _snap_end(text: str, end: int, last_match: int) -> int:
    """An end at a sentence's end within reach, else after the last whole word."""
    if end >= len(text):
        return len(text)
    found = _SENTENCE_END.search(text, max(last_match, end - _REACH), end + _REACH)
    if found:
        return found.start() + (0 if text[found.start()].isspace() else 1)
    if text[end].isspace() or _CJK_CHAR.match(text[end - 1]):
        return end
    space = text.rfind(" ", last_match, end)
    return space if space != -1 else end


_CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


_FRAGMENTER = wh_highlight.ContextFragmenter(maxchars=240, surround=60)
_FORMATTER = _MarkFormatter(between=" … ")


def summary(text: str, terms: set[str], analyzer: Any) -> str:
    """Escaped text with matched words marked; the start of the text when nothing matched."""
    if terms and text:
        marked = wh_highlight.highlight(text, frozenset(terms), analyzer, _FRAGMENTER,
                                        _FORMATTER, top=2)
        if marked:
            return marked
    short = text if len(text) <= 240 else text[:237].rsplit(" ", 1)[0].rstrip(",;:") + " …"
    return html.escape(short, quote=False)
