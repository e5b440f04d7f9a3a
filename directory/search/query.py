"""``search()``: the one entry point every surface uses (public site, API, widget, admin).

Public input never reaches Whoosh's query language: the text is cleaned, capped, split into
words (quoted phrases and curated synonym phrases stay whole) and turned into query objects
directly, so wildcards, ranges, field prefixes and odd nesting cannot be expressed at all.
"""

from __future__ import annotations

import html
import logging
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from whoosh import highlight as wh_highlight
from whoosh import query as wq
from whoosh.spelling import ListCorrector

from .. import models as m
from ..extensions import db
from ..i18n import SUPPORTED_LOCALES
from .analyzers import analyzer_for, folding_analyzer, synonym_groups, synonyms_version
from .cache import SearcherCache, bitmap_to_mask, cache_for, ids_to_bitmap
from .documents import Taxonomy, fold
from ..admin.search_misses import note_zero_results
from .index import IndexUnavailable
from .schema import name_field, text_field

log = logging.getLogger(__name__)

MAX_WORDS = 12
FILTER_KEYS = {"category": "terms", "language": "languages", "city": "city",
               "region": "region", "flag": "flags", "cost": "cost"}
FLAG_VALUES = ("crisis_line", "open_24_7", "walk_in", "appointment", "anonymous",
               "confidential", "home_kits", "online", "free", "accessible", "text_ok", "tty")
SORTS = ("relevance", "distance", "name")
# Words that signal danger: crisis lines rise to the top (per language, folded).
DANGER_WORDS = {
    "danger", "dangerous", "unsafe", "emergency", "urgent", "hurt", "hurting", "hit", "hitting",
    "beat", "beating", "kill", "suicide", "suicidal", "afraid", "scared", "threat", "threatened",
    "abuse", "abused", "abusive", "rape", "raped", "assault", "assaulted", "violence", "violent",
    "crisis", "help", "stalking", "stalked",
    "urgence", "peur", "menace", "viol", "violee", "agression", "agresse", "frappe", "tuer",
    "suicide", "aide", "crise", "emergencia", "peligro", "miedo", "violacion", "ayuda",
    "golpea", "amenaza", "crisis", "危险", "危險", "紧急", "緊急", "暴力", "自杀", "自殺",
    "ਖ਼ਤਰਾ", "ਖਤਰਾ", "ਹਿੰਸਾ", "ਮਦਦ", "خطر", "عنف", "طوارئ", "مساعدة", "اضطراری", "خشونت",
    "کمک", "위험", "폭력", "긴급", "도움", "nguy", "hiem", "bao luc", "khan cap", "panganib",
    "karahasan", "tulong",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_SYNTAX = re.compile(r"[\\*?~^\[\]{}():+!/<>=|&]")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


class QueryError(ValueError):
    """A search request the public must be told about (HTTP 400, CLI exit 2)."""

    def __init__(self, message: Any, field: str | None = None):
        self.message = message
        self.field = field
        super().__init__(str(message))


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

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size)) if self.page_size else 1


# -- input ---------------------------------------------------------------------------------
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


def split_units(text: str, locale: str) -> list[str]:
    """Words, "quoted phrases" and curated synonym phrases, in order, at most MAX_WORDS."""
    units: list[str] = []
    for index, part in enumerate(text.split('"')):
        if index % 2 == 1:
            if part.strip():
                units.append(part.strip())
            continue
        words = part.split()
        folded = [fold(w) for w in words]
        phrases = sorted({fold(p) for group in synonym_groups(locale) for p in group
                          if " " in p}, key=lambda p: -len(p.split()))
        i = 0
        while i < len(words):
            for phrase in phrases:
                size = len(phrase.split())
                if " ".join(folded[i:i + size]) == phrase:
                    units.append(" ".join(words[i:i + size]))
                    i += size
                    break
            else:
                units.append(words[i])
                i += 1
    return [u for u in units if u][:MAX_WORDS]


def _analyzed(analyzer: Any, text: str) -> list[str]:
    out = []
    for token in analyzer(text, mode="query"):
        if token.text not in out:
            out.append(token.text)
    return out


def _field_query(fieldname: str, analyzer: Any, unit: str, boost: float) -> wq.Query | None:
    """A unit's query on one field: every position must match one of its tokens.

    The unit is analysed as a document would be, so a synonym group's token stands beside the
    words at each position it covers: "STI test" matches "sti testing", "sexually transmitted
    infection tests" and "std test" alike, and a phrase synonym spanning the whole unit is an
    alternative to matching word by word.
    """
    by_position: dict[int, list[str]] = {}
    for token in analyzer(unit, positions=True, mode="index"):
        texts = by_position.setdefault(token.pos, [])
        if token.text not in texts:
            texts.append(token.text)
    if not by_position:
        return None
    positions = sorted(by_position)
    whole = [t for t in by_position[positions[0]] if is_synonym_token(t)
             and all(t in by_position[p] for p in positions)] if len(positions) > 1 else []
    per_position = []
    for position in positions:
        texts = [t for t in by_position[position] if t not in whole]
        if texts:
            terms = [wq.Term(fieldname, t) for t in texts]
            per_position.append(terms[0] if len(terms) == 1 else wq.Or(terms))
    parts: list[wq.Query] = [wq.Term(fieldname, t) for t in whole]
    if per_position:
        parts.append(per_position[0] if len(per_position) == 1 else wq.And(per_position))
    query = parts[0] if len(parts) == 1 else wq.Or(parts)
    query.boost = boost
    return query


def is_synonym_token(token: str) -> bool:
    from .analyzers import is_synonym_token as check

    return check(token)


def _fields_for(locale: str) -> list[tuple[str, Any, float]]:
    """(field, analyzer, boost): the user's language first, English stems, then everything."""
    analyzer = analyzer_for(locale)
    fields = [(name_field(locale), analyzer, 8.0), (text_field(locale), analyzer, 4.0)]
    if locale != "en":
        english = analyzer_for("en")
        fields += [(name_field("en"), english, 2.0), (text_field("en"), english, 1.0)]
    fields.append(("all", folding_analyzer(), 1.5))
    return fields


class LabelMatcher:
    """Category labels in every language, analysed per language, matched against query words.

    A word that names a category (in any supported language) also matches every listing filed
    under it or under its descendants: "hébergement" finds an English-only transition house.
    """

    # Group headings too broad to match from free text.
    SKIP_CODES = frozenset({"features", "population"})

    def __init__(self, taxonomy: Taxonomy):
        self.labels: list[tuple[str, str, frozenset[str], frozenset[str]]] = []
        folding = folding_analyzer()
        for term_id, info in taxonomy.terms.items():
            if info.code in self.SKIP_CODES:
                continue
            for locale, label in info.names.items():
                if locale not in SUPPORTED_LOCALES:
                    continue
                stemmed = frozenset(t.text for t in analyzer_for(locale)(label))
                folded = frozenset(t.text for t in folding(label))
                self.labels.append((term_id, locale, stemmed, folded))

    def match(self, unit: str, locale: str) -> list[str]:
        """Ids of the terms whose label contains every word of ``unit``."""
        stemmed = {t for t in _analyzed(analyzer_for(locale), unit)}
        folded = {t for t in _analyzed(folding_analyzer(), unit)}
        if not stemmed and not folded:
            return []
        found = []
        for term_id, label_locale, label_stemmed, label_folded in self.labels:
            if term_id in found:
                continue
            if (label_locale == locale and stemmed and (stemmed <= label_stemmed or
                                                        stemmed & label_stemmed
                                                        & _synonyms_of(stemmed))) \
                    or (folded and folded <= label_folded):
                found.append(term_id)
        return found


def _synonyms_of(tokens: set[str]) -> set[str]:
    return {t for t in tokens if is_synonym_token(t)}


def build_text_query(units: list[str], locale: str, *, require_all: bool = True,
                     labels: LabelMatcher | None = None) -> wq.Query | None:
    """Each unit must match in some field (or, relaxed, any unit may match)."""
    fields = _fields_for(locale)
    per_unit = []
    for unit in units:
        alternatives = [q for q in (_field_query(f, a, unit, b) for f, a, b in fields) if q]
        if labels is not None:
            alternatives += [wq.Term("terms", term_id, boost=3.0)
                             for term_id in labels.match(unit, locale)]
        if alternatives:
            per_unit.append(wq.Or(alternatives))
    if not per_unit:
        return None
    if len(per_unit) == 1:
        return per_unit[0]
    return wq.And(per_unit) if require_all else wq.Or(per_unit, scale=0.9)


def build_fuzzy_query(units: list[str]) -> wq.Query | None:
    """Tolerant matching on the folded field for misspellings (bounded expansion)."""
    analyzer = folding_analyzer()
    parts = []
    for unit in units:
        for token in _analyzed(analyzer, unit):
            if len(token) < 4 or _CJK.search(token) or is_synonym_token(token):
                continue
            distance = 1 if len(token) < 8 else 2
            parts.append(wq.FuzzyTerm("all", token, maxdist=distance, prefixlength=1))
    if not parts:
        return None
    return wq.Or(parts)


def signals_danger(units: list[str]) -> bool:
    text = fold(" ".join(units))
    words = set(re.findall(r"\w+", text))
    return bool(words & DANGER_WORDS) or any(w in text for w in DANGER_WORDS if " " in w or
                                             _CJK.search(w))


# -- helpers ---------------------------------------------------------------------------------
def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 6371.0 * 2 * math.asin(min(1.0, math.sqrt(h)))


def is_open(row: Mapping[str, Any], now: datetime) -> bool | None:
    """Whether a listing is open at ``now`` (aware); None when it states no hours."""
    if row.get("open_24_7"):
        return True
    schedules = row.get("schedules") or []
    if not schedules:
        return None
    for days, opens, closes, tz, valid_from, valid_to in schedules:
        try:
            local = now.astimezone(ZoneInfo(tz))
        except Exception:  # noqa: BLE001 - an unknown zone means "no answer" for that row
            continue
        today = local.date()
        if valid_from and today < date.fromisoformat(valid_from):
            continue
        if valid_to and today > date.fromisoformat(valid_to):
            continue
        minute = local.hour * 60 + local.minute
        weekday = local.weekday()
        if closes > opens:
            if weekday in days and opens <= minute < closes:
                return True
        else:  # past midnight: open from `opens` today until `closes` tomorrow
            if weekday in days and minute >= opens:
                return True
            if (weekday - 1) % 7 in days and minute < closes:
                return True
    return False


def _pick(values: Mapping[str, str], locale: str, fallback: str = "en") -> tuple[str, str]:
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


def _summary(text: str, terms: set[str], analyzer: Any) -> str:
    """Escaped text with matched words marked; the start of the text when nothing matched."""
    if terms and text:
        marked = wh_highlight.highlight(text, frozenset(terms), analyzer, _FRAGMENTER,
                                        _FORMATTER, top=2)
        if marked:
            return marked
    short = text if len(text) <= 240 else text[:237].rsplit(" ", 1)[0] + "…"
    return html.escape(short, quote=False)


# -- the entry point -------------------------------------------------------------------------
def search(q: str | None = "", *, locale: str = "en",
           filters: Mapping[str, Iterable[str]] | None = None, page: int = 1,
           page_size: int | None = None, near: str | None = None, lat: float | None = None,
           lon: float | None = None, radius_km: float | None = None, sort: str = "relevance",
           open_now: bool = False, now: datetime | None = None,
           highlight: bool = True, with_facets: bool = True) -> SearchResults:
    """Search published listings. Raises QueryError for requests that cannot be answered."""
    config = current_app.config
    if locale not in SUPPORTED_LOCALES:
        raise QueryError(_l("Unknown language."), "locale")
    page_size = page_size or config["SEARCH_PAGE_SIZE"]
    if not isinstance(page, int) or page < 1 or page > 1000:
        raise QueryError(_l("Page must be a number from 1 to 1000."), "page")
    if not isinstance(page_size, int) or not 1 <= page_size <= 100:
        raise QueryError(_l("Page size must be from 1 to 100."), "page_size")
    if sort not in SORTS:
        raise QueryError(_l("Unknown sort order."), "sort")
    if radius_km is not None and (not isinstance(radius_km, (int, float)) or
                                  not 0 < radius_km <= 20000 or radius_km != radius_km):
        raise QueryError(_l("The distance must be between 0 and 20,000 km."), "radius_km")
    if (lat is None) != (lon is None):
        raise QueryError(_l("Give both latitude and longitude."), "lat")
    if lat is not None and (not -90 <= lat <= 90 or not -180 <= lon <= 180):
        raise QueryError(_l("Latitude or longitude is out of range."), "lat")
    text = clean_query(q, config["SEARCH_MAX_QUERY_LENGTH"])
    wanted = _normalise_filters(filters or {})
    now = now or datetime.now(tz=ZoneInfo("UTC"))

    from .sync import catch_up, index_for

    catch_up(current_app._get_current_object())
    try:
        searcher = index_for().searcher()
    except IndexUnavailable:
        log.warning("search index unavailable; answering from the database")
        return database_search(text, locale=locale, filters=wanted, page=page,
                               page_size=page_size)
    cache = cache_for(searcher)
    # Answers change when the index does (a new searcher) and, for opening hours, each minute.
    key = (text, locale, tuple(sorted((k, tuple(v)) for k, v in wanted.items())), page,
           page_size, near, lat, lon, radius_km, sort, open_now,
           now.replace(second=0, microsecond=0), highlight, with_facets)
    cached = cache.results.get(key)
    if cached is not None:
        return note_zero_results(cached)
    try:
        results = _index_search(searcher, text, locale, wanted, page, page_size, near, lat, lon,
                                radius_km, sort, open_now, now, highlight, with_facets)
    except QueryError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged index must not take search down
        log.error("search index failed (%s); answering from the database", type(exc).__name__)
        return database_search(text, locale=locale, filters=wanted, page=page,
                               page_size=page_size)
    if len(cache.results) >= 512:
        cache.results.clear()
    cache.results[key] = results
    return note_zero_results(results)


def _normalise_filters(filters: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
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


def _index_search(searcher, text, locale, wanted, page, page_size, near, lat, lon, radius_km,
                  sort, open_now, now, highlight, with_facets) -> SearchResults:
    cache = cache_for(searcher)
    taxonomy = _taxonomy()
    units = split_units(text, locale)
    origin: tuple[float, float] | None = (lat, lon) if lat is not None else None
    if near and origin is None:
        origin = cache.place(near)
        if origin is None:
            raise QueryError(_l("We could not find that place. Try a city name."), "near")
    if (radius_km or sort == "distance") and origin is None:
        raise QueryError(_l("Give a place or your location to sort or filter by distance."),
                         "near")

    # Filters: AND across keys, OR within a key; categories include their descendants.
    allowed = cache.live
    for key, values in wanted.items():
        fieldname = FILTER_KEYS[key]
        bitmaps = cache.facet(fieldname)
        union = 0
        for value in values:
            term = taxonomy.resolve(value) if key == "category" else value
            union |= bitmaps.get(term or "", 0)
        allowed &= union
    allowed_mask = bitmap_to_mask(allowed, cache.size)
    # Location and hours filters narrow the candidates before anything is ranked.
    distances = cache.distances(origin) if origin is not None else None
    if radius_km and distances is not None:
        allowed_mask &= distances <= radius_km
    if open_now:
        open_mask, _stated = cache.open_now(now)
        allowed_mask &= open_mask

    danger = signals_danger(units)
    results = SearchResults(query=text, locale=locale, total=0, page=page, page_size=page_size,
                            hits=[], sort=sort, crisis_boosted=danger)
    labels = _labels(taxonomy)
    text_query = build_text_query(units, locale, labels=labels) if units else None
    if units and text_query is None:
        units = []  # nothing searchable (only stop words or punctuation): browse instead
    scores = _run(cache, text_query, allowed_mask, danger)
    if units and not len(scores[0]):
        relaxed = build_text_query(units, locale, require_all=False, labels=labels)
        if relaxed is not None and len(units) > 1:
            scores = _run(cache, relaxed, allowed_mask, danger)
            results.relaxed = bool(len(scores[0]))
        if not len(scores[0]):
            fuzzy = build_fuzzy_query(units)
            if fuzzy is not None:
                scores = _run(cache, fuzzy, allowed_mask, danger)
                results.fuzzy = bool(len(scores[0]))
        results.suggestion = _suggest(searcher, units, locale, taxonomy)
        if not len(scores[0]) and results.suggestion:
            # Nothing matched even loosely: show what the corrected words find.
            corrected = build_text_query(split_units(results.suggestion, locale), locale,
                                         labels=labels)
            if corrected is not None:
                scores = _run(cache, corrected, allowed_mask, danger)
                results.fuzzy = bool(len(scores[0]))
    matched, matched_scores = scores

    # Order: relevance (best first, then index order), distance, or name.
    if sort == "distance":
        order = np.lexsort((matched, -matched_scores, distances[matched]))
    elif sort == "name":
        keys = [cache.sort_name(int(d), locale).casefold() for d in matched]
        order = np.array(sorted(range(len(matched)), key=keys.__getitem__), dtype=np.int64)
    else:
        order = _best_first(matched, matched_scores, page * page_size)
    results.total = len(matched)
    if with_facets:
        results.facets = _facets(cache, taxonomy, matched, wanted, locale)
    start = (page - 1) * page_size
    page_order = order[start:start + page_size]
    highlight_terms = _highlight_terms(units, locale) if highlight and units else set()
    analyzer = analyzer_for(locale)
    open_states, stated = cache.open_now(now) if open_now else (None, None)
    for position in page_order:
        docnum = int(matched[position])
        row = cache.row(docnum)
        name, name_locale = _pick(row.get("name", {}), locale, row.get("text_language", "en"))
        description, description_locale = _pick(row.get("description", {}), locale,
                                                row.get("text_language", "en"))
        summary = _summary(description, highlight_terms if description_locale == locale
                           else _highlight_terms(units, description_locale)
                           if highlight and units else set(),
                           analyzer if description_locale == locale
                           else analyzer_for(description_locale)
                           if description_locale in SUPPORTED_LOCALES else analyzer)
        state = (bool(open_states[docnum]) if stated[docnum] else None) if open_now \
            else is_open(row, now)
        organization = _pick(row.get("organization", {}), locale)[0] or None
        areas = row.get("areas", {})
        distance = float(distances[docnum]) if distances is not None else math.inf
        results.hits.append(Hit(
            id=row["id"], name=name, name_locale=name_locale, summary=summary,
            summary_locale=description_locale, organization=organization,
            cities=row.get("cities", []),
            areas=[_pick(areas, locale)[0]] if areas else [],
            crisis_line=row.get("crisis_line", False), open_24_7=row.get("open_24_7", False),
            open_now=state,
            distance_km=round(distance, 1) if distance != math.inf else None,
            phone=row.get("phone"), score=round(float(matched_scores[position]), 4),
            terms=row.get("terms", []), languages=row.get("languages", []),
            last_verified_at=row.get("last_verified_at")))
    return results


def _best_first(matched: np.ndarray, scores: np.ndarray, need: int) -> np.ndarray:
    """Positions of the ``need`` best matches: highest score first, ties in index order."""
    negated = -scores
    if len(matched) <= max(1000, 4 * need):
        return np.lexsort((matched, negated))
    kth = np.partition(negated, need - 1)[need - 1]
    chosen = np.concatenate([np.flatnonzero(negated < kth), np.flatnonzero(negated == kth)])
    return chosen[np.lexsort((matched[chosen], negated[chosen]))][:need]


def _run(cache: SearcherCache, query: wq.Query | None,
         allowed: np.ndarray, danger: bool) -> tuple[np.ndarray, np.ndarray]:
    """(matching docnums ascending, their scores). Browsing scores crisis lines above the rest."""
    if query is None:
        crisis = bitmap_to_mask(cache.facet("flags").get("crisis_line", 0), cache.size)
        matched = np.flatnonzero(allowed)
        return matched, crisis[matched].astype(np.float64)
    if danger:
        # Someone who may be in danger sees crisis lines first, even if not every word matched.
        query = wq.Or([query, wq.Term("flags", "crisis_line", boost=50.0)])
    scores = cache.scores(query.normalize())  # as Whoosh scores it (duplicates merged)
    matched = np.flatnonzero((scores > 0) & allowed)
    return matched, scores[matched]


def _facets(cache: SearcherCache, taxonomy: Taxonomy, matched: np.ndarray,
            wanted: dict[str, list[str]], locale: str) -> dict[str, list[FacetValue]]:
    matched_bits = ids_to_bitmap(matched, cache.size)
    out: dict[str, list[FacetValue]] = {}
    groups: dict[str, list[FacetValue]] = {"category": [], "population": [], "feature": []}
    selected_terms = {taxonomy.resolve(v) for v in wanted.get("category", [])}
    for term_id, bits in cache.facet("terms").items():
        count = (bits & matched_bits).bit_count()
        if not count or term_id not in taxonomy.terms:
            continue
        root = taxonomy.root_code(term_id)
        group = {"population": "population", "features": "feature"}.get(root or "", "category")
        info = taxonomy.terms[term_id]
        if info.parent_id is None and group != "category":
            continue  # the group heading itself
        groups[group].append(FacetValue(info.code or term_id, taxonomy.label(term_id, locale),
                                        count, term_id in selected_terms, info.code))
    for name, values in groups.items():
        out[name] = sorted(values, key=lambda v: (-v.count, v.label))
    for key in ("language", "city", "region", "flag", "cost"):
        values = []
        for value, bits in cache.facet(FILTER_KEYS[key]).items():
            count = (bits & matched_bits).bit_count()
            if count:
                values.append(FacetValue(value, value, count, value in wanted.get(key, [])))
        out[key] = sorted(values, key=lambda v: (-v.count, v.value))
    return out


def _highlight_terms(units: list[str], locale: str) -> set[str]:
    analyzer = analyzer_for(locale)
    return {t for unit in units for t in _analyzed(analyzer, unit) if not is_synonym_token(t)}


def _suggest(searcher, units: list[str], locale: str, taxonomy: Taxonomy) -> str | None:
    """"Did you mean": replace words the index does not know with the closest known word.

    Known words are the index's own and the curated vocabulary people search with (synonym
    sets and category labels in the visitor's language and English), so "sheltr" becomes
    "shelter" even where no listing spells it out.
    """
    analyzer = folding_analyzer()
    reader = searcher.ixreader
    corrector, display = _vocabulary(locale, taxonomy)
    changed = False
    corrected = []
    for unit in units:
        tokens = _analyzed(analyzer, unit)
        if len(tokens) == 1 and not _CJK.search(unit) and tokens[0] not in display and \
                reader.doc_frequency("all", tokens[0]) == 0 and len(tokens[0]) >= 3:
            word = None
            for distance in (1, 2):
                options = corrector.suggest(tokens[0], limit=1, maxdist=distance, prefix=1)
                if options:
                    word = display[options[0]]
                    break
                options = searcher.suggest("all", tokens[0], limit=1, maxdist=distance,
                                           prefix=1)
                if options:
                    word = options[0]
                    break
            if word:
                corrected.append(word)
                changed = True
                continue
        corrected.append(unit)
    return " ".join(corrected) if changed else None


def _vocabulary(locale: str, taxonomy: Taxonomy) -> tuple[ListCorrector, dict[str, str]]:
    """Words from synonym sets and category labels: folded form -> the form to show."""
    key = ("vocabulary", locale)
    cached = _taxonomy_cache.get(key)
    if cached is not None and cached[0] == (taxonomy, synonyms_version()):
        return cached[1], cached[2]
    display: dict[str, str] = {}
    texts = [p for lang in dict.fromkeys((locale, "en")) for group in synonym_groups(lang)
             for p in group]
    texts += [info.names.get(lang, "") for info in taxonomy.terms.values()
              for lang in (locale, "en")]
    for text in texts:
        for word in re.findall(r"\w+", text.casefold()):
            folded = fold(word)
            if len(folded) >= 3 and not _CJK.search(folded):
                display.setdefault(folded, word)
    corrector = ListCorrector(sorted(display))
    _taxonomy_cache[key] = ((taxonomy, synonyms_version()), corrector, display)
    return corrector, display


_taxonomy_cache: dict[str, Any] = {}


def _labels(taxonomy: Taxonomy) -> LabelMatcher:
    """Category labels analysed for matching (rebuilt when the taxonomy or synonyms change)."""
    version = synonyms_version()
    if _taxonomy_cache.get("labels_for") != (taxonomy, version):
        _taxonomy_cache["labels"] = LabelMatcher(taxonomy)
        _taxonomy_cache["labels_for"] = (taxonomy, version)
    return _taxonomy_cache["labels"]


def _taxonomy() -> Taxonomy:
    """Taxonomy labels, reloaded when the change log moves (labels change rarely)."""
    seq = db.session.scalar(sa.select(sa.func.max(m.SearchChange.seq))) or 0
    key = f"{current_app.config['SQLALCHEMY_DATABASE_URI']}:{seq}"
    if _taxonomy_cache.get("key") != key:
        from .sync import load_curated_synonyms

        synonyms_changed = load_curated_synonyms(db.session)
        fresh = Taxonomy.load()
        previous = _taxonomy_cache.get("value")
        _taxonomy_cache["key"] = key
        if previous is None or previous.terms != fresh.terms or synonyms_changed:
            # Keep the old object when nothing changed, so what is derived from it (label
            # matcher, spelling vocabulary; both use synonyms) is not rebuilt after every edit.
            _taxonomy_cache["value"] = fresh
    return _taxonomy_cache["value"]


# -- fallback --------------------------------------------------------------------------------
def database_search(text: str, *, locale: str, filters: dict[str, list[str]], page: int,
                    page_size: int) -> SearchResults:
    """Plain database matching, used while the index is unavailable (no facets, no fuzziness)."""
    query = sa.select(m.Service).where(m.Service.publication == "published",
                                       m.Service.status.in_(m.PUBLIC_STATUSES))
    for word in text.split()[:MAX_WORDS]:
        pattern = f"%{word.replace('%', '').replace('_', '')}%"
        translated = sa.select(m.ServiceTranslation.parent_id).where(
            sa.or_(m.ServiceTranslation.name.ilike(pattern),
                   m.ServiceTranslation.description.ilike(pattern)))
        query = query.where(sa.or_(m.Service.name.ilike(pattern),
                                   m.Service.description.ilike(pattern),
                                   m.Service.id.in_(translated)))
    if "flag" in filters and "crisis_line" in filters["flag"]:
        query = query.where(m.Service.crisis_line.is_(True))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(query.order_by(m.Service.crisis_line.desc(), m.Service.name)
                              .offset((page - 1) * page_size).limit(page_size)).all()
    hits = []
    for service in rows:
        name, name_locale = service.translated("name", locale)
        description, description_locale = service.translated("description", locale)
        hits.append(Hit(id=service.id, name=name, name_locale=name_locale,
                        summary=_summary(description or "", set(), None),
                        summary_locale=description_locale, organization=None, cities=[],
                        areas=[], crisis_line=service.crisis_line,
                        open_24_7=service.open_24_7, open_now=None, distance_km=None,
                        phone=None, score=0.0, terms=[], languages=[],
                        last_verified_at=(service.last_verified_at.isoformat()
                                          if service.last_verified_at else None)))
    return SearchResults(query=text, locale=locale, total=total, page=page,
                         page_size=page_size, hits=hits, degraded=True)


__all__ = ["QueryError", "SearchResults", "Hit", "FacetValue", "search", "clean_query",
           "split_units", "is_open", "haversine_km"]
