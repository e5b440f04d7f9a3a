"""A search request, parsed and checked once, then passed down to ``search()``.

Surfaces build one from what they received (``SearchRequest.from_form`` for the public site's
form or query string; the API reads its typed parameters and passes them as keywords) and
every check happens here, in one place: an unanswerable request raises ``QueryError``, which
the public site shows as a message (HTTP 400), the API as JSON, the CLI with exit code 2.
Public input never reaches Whoosh's query language: the text is cleaned and capped here.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..i18n import SUPPORTED_LOCALES
from .documents import fold

FILTER_KEYS = {"category": "terms", "language": "languages", "city": "city",
               "region": "region", "flag": "flags", "cost": "cost"}
FLAG_VALUES = ("crisis_line", "open_24_7", "walk_in", "appointment", "anonymous",
               "confidential", "home_kits", "online", "free", "accessible", "text_ok", "tty",
               "quiet_contact")
SORTS = ("relevance", "distance", "name")
MAX_PAGE = 1000
MAX_RADIUS_KM = 20000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_SYNTAX = re.compile(r"[\\*?~^\[\]{}():+!/<>=|&]")


class QueryError(ValueError):
    """A search request the public must be told about (HTTP 400, CLI exit 2)."""

    def __init__(self, message: Any, field: str | None = None):
        self.message = message
        self.field = field
        super().__init__(str(message))


def clean_query(text: str | None, max_length: int) -> str:
    """Normalise public input: NFKC, no control characters, no query syntax, bounded length."""
    if text is None:
        return ""
    if not isinstance(text, str):
        raise QueryError(_l("The search text must be text."), "q")
    if len(text) > max_length:
        raise QueryError(_l("Please use a shorter search (at most %(n)d characters).",
                            n=max_length), "q")
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL.sub(" ", text)
    text = _SYNTAX.sub(" ", text)
    text = re.sub(r"(?<!\w)-|-(?!\w)", " ", text)  # stray minus signs are not negation
    return " ".join(text.split())


def normalise_filters(filters: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    """Known keys only, bounded values; places and languages folded like the index."""
    out: dict[str, list[str]] = {}
    for key, values in filters.items():
        if key not in FILTER_KEYS:
            raise QueryError(_l("Unknown filter: %(name)s.", name=str(key)[:40]), key)
        if isinstance(values, str):
            values = [values]
        cleaned = []
        for value in values:
            if not isinstance(value, str) or not value.strip() or len(value) > 100:
                raise QueryError(_l("Invalid filter value."), key)
            value = value.strip()
            cleaned.append(fold(value) if key in ("city", "region", "language") else value)
        if len(cleaned) > 20:
            raise QueryError(_l("Too many filter values."), key)
        if cleaned:
            out[key] = cleaned
    for value in out.get("flag", []):
        if value not in FLAG_VALUES:
            raise QueryError(_l("Unknown filter: %(name)s.", name=value[:40]), "flag")
    return out


@dataclass
class SearchRequest:
    """What to search for; checked on creation (``QueryError`` names the bad field).

    ``text`` is the cleaned query (``q`` as typed is cleaned into it), ``filters`` the
    normalised filters; ``now`` defaults to the current time (opening hours).
    """

    q: str | None = ""
    locale: str = "en"
    filters: Mapping[str, Iterable[str]] = field(default_factory=dict)
    page: int = 1
    page_size: int | None = None
    near: str | None = None
    lat: float | None = None
    lon: float | None = None
    radius_km: float | None = None
    sort: str | None = None  # None: by distance when a place is given, else by relevance
    open_now: bool = False
    now: datetime | None = None
    highlight: bool = True
    with_facets: bool = True
    text: str = field(init=False, default="")

    def __post_init__(self) -> None:
        config = current_app.config
        if self.locale not in SUPPORTED_LOCALES:
            raise QueryError(_l("Unknown language."), "locale")
        self.page_size = self.page_size or config["SEARCH_PAGE_SIZE"]
        if not isinstance(self.page, int) or not 1 <= self.page <= MAX_PAGE:
            raise QueryError(_l("Page must be a number from 1 to 1000."), "page")
        if not isinstance(self.page_size, int) or not 1 <= self.page_size <= 100:
            raise QueryError(_l("Page size must be from 1 to 100."), "page_size")
        if not self.sort:
            self.sort = "distance" if (self.near or self.lat is not None) else "relevance"
        if self.sort not in SORTS:
            raise QueryError(_l("Unknown sort order."), "sort")
        radius = self.radius_km
        if radius is not None and (not isinstance(radius, (int, float)) or
                                   not 0 < radius <= MAX_RADIUS_KM or radius != radius):
            raise QueryError(_l("The distance must be between 0 and 20,000 km."), "radius_km")
        if (self.lat is None) != (self.lon is None):
            raise QueryError(_l("Give both latitude and longitude."), "lat")
        if self.lat is not None and (not -90 <= self.lat <= 90 or not -180 <= self.lon <= 180):
            raise QueryError(_l("Latitude or longitude is out of range."), "lat")
        self.text = clean_query(self.q, config["SEARCH_MAX_QUERY_LENGTH"])
        self.filters = normalise_filters(self.filters or {})
        self.now = self.now or datetime.now(tz=ZoneInfo("UTC"))

    @property
    def origin(self) -> tuple[float, float] | None:
        return (self.lat, self.lon) if self.lat is not None else None

    def cache_key(self) -> tuple:
        """Equal for requests with equal answers (opening hours change each minute)."""
        return (self.text, self.locale,
                tuple(sorted((k, tuple(v)) for k, v in self.filters.items())), self.page,
                self.page_size, self.near, self.lat, self.lon, self.radius_km, self.sort,
                self.open_now, self.now.replace(second=0, microsecond=0), self.highlight,
                self.with_facets)

    @classmethod
    def from_form(cls, source: Any, locale: str, **options: Any) -> SearchRequest:
        """From the public search form or a shared link's query string (a MultiDict).

        Unreadable numbers become values the checks refuse with a message (page 0), or are
        left out (an unreadable radius), as the form has always done.
        """
        return cls(**form_values(source), locale=locale, **options)


def form_values(source: Any) -> dict[str, Any]:
    """The search form's fields as ``SearchRequest`` keywords (also used to refill the form)."""
    filters = {key: [v for v in source.getlist(key) if v] for key in FILTER_KEYS
               if any(source.getlist(key))}
    raw_page = source.get("page", "1") or "1"
    # ASCII digits only: "²".isdigit() is True but int("²") fails.
    page = int(raw_page) if raw_page.isascii() and raw_page.isdigit() and len(raw_page) < 6 \
        else 0
    radius = source.get("radius_km") or None
    return {"q": source.get("suggested_q") or source.get("q", ""), "filters": filters,
            "page": page, "near": (source.get("near") or "").strip()[:100] or None,
            "radius_km": float(radius) if radius and radius.isascii()
            and radius.replace(".", "", 1).isdigit() else None,
            "sort": source.get("sort") or None,
            "open_now": source.get("open_now") == "1"}
