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
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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
from .documents import Taxonomy, fold, load_curated_synonyms
from .index import IndexUnavailable, index_for
from .request import FILTER_KEYS, FLAG_VALUES, SORTS, QueryError, SearchRequest, clean_query
from .row import haversine_km, is_open_at
from .schema import name_field, text_field

log = logging.getLogger(__name__)

MAX_WORDS = 12
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
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


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
def search(q: str | None = "", *, request: SearchRequest | None = None,
           **options: Any) -> SearchResults:
    """Search published listings: a ``SearchRequest``, or its fields as keywords.

    Only reads: the index (kept in step by the after-commit sync and the surfaces' request
    hook, ``sync.catch_up``) and the taxonomy. Raises QueryError for requests that cannot be
    answered; answers from the database while the index is unavailable.
    """
    request = request or SearchRequest(q, **options)
    try:
        searcher = index_for().searcher()
    except IndexUnavailable:
        log.warning("search index unavailable; answering from the database")
        return database_search(request)
    cache = cache_for(searcher)
    key = request.cache_key()
    cached = cache.results.get(key)
    if cached is not None:
        return cached
    try:
        results = _index_search(searcher, request)
    except QueryError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged index must not take search down
        log.error("search index failed (%s); answering from the database", type(exc).__name__)
        return database_search(request)
    if len(cache.results) >= 512:
        cache.results.clear()
    cache.results[key] = results
    return results


def _index_search(searcher: Any, request: SearchRequest) -> SearchResults:
    cache = cache_for(searcher)
    taxonomy = _taxonomy()
    units = split_units(request.text, request.locale)
    allowed, distances = _candidates(cache, taxonomy, request)
    danger = signals_danger(units)
    results = SearchResults(query=request.text, locale=request.locale, total=0,
                            page=request.page, page_size=request.page_size, hits=[],
                            sort=request.sort, crisis_boosted=danger)
    units, (matched, scores) = _match(searcher, cache, taxonomy, units, allowed, danger,
                                      results)
    order = _order(cache, request, matched, scores, distances)
    results.total = len(matched)
    if request.with_facets:
        results.facets = _facets(cache, taxonomy, matched, request.filters, request.locale)
    start = (request.page - 1) * request.page_size
    shown = order[start:start + request.page_size]
    results.hits = _hits(cache, request, units, matched[shown], scores[shown], distances)
    return results


def _candidates(cache: SearcherCache, taxonomy: Taxonomy, request: SearchRequest
                ) -> tuple[np.ndarray, np.ndarray | None]:
    """(mask of the documents the filters allow, distances from the origin or None)."""
    origin = request.origin
    if request.near and origin is None:
        origin = cache.place(request.near)
        if origin is None:
            raise QueryError(_l("We could not find that place. Try a city name."), "near")
    if (request.radius_km or request.sort == "distance") and origin is None:
        raise QueryError(_l("Give a place or your location to sort or filter by distance."),
                         "near")
    # Filters: AND across keys, OR within a key; categories include their descendants.
    allowed = cache.live
    for key, values in request.filters.items():
        bitmaps = cache.facet(FILTER_KEYS[key])
        union = 0
        for value in values:
            term = taxonomy.resolve(value) if key == "category" else value
            union |= bitmaps.get(term or "", 0)
        allowed &= union
    mask = bitmap_to_mask(allowed, cache.size)
    # Location and hours filters narrow the candidates before anything is ranked.
    distances = cache.distances(origin) if origin is not None else None
    if request.radius_km and distances is not None:
        mask &= distances <= request.radius_km
    if request.open_now:
        mask &= cache.open_now(request.now)[0]
    return mask, distances


def _match(searcher: Any, cache: SearcherCache, taxonomy: Taxonomy, units: list[str],
           allowed: np.ndarray, danger: bool, results: SearchResults
           ) -> tuple[list[str], tuple[np.ndarray, np.ndarray]]:
    """(the units searched for, (matching docnums, scores)): every word, else any word, else
    tolerant spelling, else the suggested spelling; ``results`` learns which one answered."""
    locale = results.locale
    labels = _labels(taxonomy)
    text_query = build_text_query(units, locale, labels=labels) if units else None
    if units and text_query is None:
        units = []  # nothing searchable (only stop words or punctuation): browse instead
    scores = _run(cache, text_query, allowed, danger)
    if not units or len(scores[0]):
        return units, scores
    relaxed = build_text_query(units, locale, require_all=False, labels=labels)
    if relaxed is not None and len(units) > 1:
        scores = _run(cache, relaxed, allowed, danger)
        results.relaxed = bool(len(scores[0]))
    if not len(scores[0]):
        fuzzy = build_fuzzy_query(units)
        if fuzzy is not None:
            scores = _run(cache, fuzzy, allowed, danger)
            results.fuzzy = bool(len(scores[0]))
    results.suggestion = _suggest(searcher, units, locale, taxonomy)
    if not len(scores[0]) and results.suggestion:
        # Nothing matched even loosely: show what the corrected words find.
        corrected = build_text_query(split_units(results.suggestion, locale), locale,
                                     labels=labels)
        if corrected is not None:
            scores = _run(cache, corrected, allowed, danger)
            results.fuzzy = bool(len(scores[0]))
    return units, scores


def _order(cache: SearcherCache, request: SearchRequest, matched: np.ndarray,
           scores: np.ndarray, distances: np.ndarray | None) -> np.ndarray:
    """Positions in ``matched``: relevance (best first, then index order), distance, or name."""
    if request.sort == "distance":
        return np.lexsort((matched, -scores, distances[matched]))
    if request.sort == "name":
        keys = [cache.sort_name(int(d), request.locale).casefold() for d in matched]
        return np.array(sorted(range(len(matched)), key=keys.__getitem__), dtype=np.int64)
    return _best_first(matched, scores, request.page * request.page_size)


def _hits(cache: SearcherCache, request: SearchRequest, units: list[str], docnums: np.ndarray,
          scores: np.ndarray, distances: np.ndarray | None) -> list[Hit]:
    """The shown page's results, read from the stored rows."""
    locale = request.locale
    terms = _highlight_terms(units, locale) if request.highlight and units else set()
    open_states, stated = cache.open_now(request.now) if request.open_now else (None, None)
    hits = []
    for docnum, score in zip(docnums.tolist(), scores.tolist()):
        row = cache.row(docnum)
        name, name_locale = _pick(row.name, locale, row.text_language)
        description, description_locale = _pick(row.description, locale, row.text_language)
        if request.open_now:
            state = bool(open_states[docnum]) if stated[docnum] else None
        else:
            state = is_open_at(row.schedules, request.now, open_24_7=row.open_24_7)
        distance = float(distances[docnum]) if distances is not None else math.inf
        hits.append(Hit(
            id=row.id, name=name, name_locale=name_locale,
            summary=_hit_summary(description, description_locale, units, terms, request),
            summary_locale=description_locale,
            organization=_pick(row.organization, locale)[0] or None, cities=row.cities,
            areas=[_pick(row.areas, locale)[0]] if row.areas else [],
            crisis_line=row.crisis_line, open_24_7=row.open_24_7, open_now=state,
            distance_km=round(distance, 1) if distance != math.inf else None,
            phone=row.phone_dict(), score=round(score, 4), terms=row.terms,
            languages=row.languages, last_verified_at=row.last_verified_at))
    return hits


def _hit_summary(description: str, description_locale: str, units: list[str],
                 terms: set[str], request: SearchRequest) -> str:
    """The description, matched words marked as the description's own language analyses them."""
    if description_locale == request.locale:
        return _summary(description, terms, analyzer_for(request.locale))
    other = (_highlight_terms(units, description_locale)
             if request.highlight and units else set())
    analyzer = analyzer_for(description_locale if description_locale in SUPPORTED_LOCALES
                            else request.locale)
    return _summary(description, other, analyzer)


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
def database_search(request: SearchRequest) -> SearchResults:
    """Plain database matching, used while the index is unavailable (no facets, no fuzziness)."""
    locale, page, page_size = request.locale, request.page, request.page_size
    query = sa.select(m.Service).where(m.Service.is_public)
    for word in request.text.split()[:MAX_WORDS]:
        translated = sa.select(m.ServiceTranslation.parent_id).where(
            sa.or_(m.ServiceTranslation.name.icontains(word, autoescape=True),
                   m.ServiceTranslation.description.icontains(word, autoescape=True)))
        query = query.where(sa.or_(m.Service.name.icontains(word, autoescape=True),
                                   m.Service.description.icontains(word, autoescape=True),
                                   m.Service.id.in_(translated)))
    if "crisis_line" in request.filters.get("flag", []):
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
    return SearchResults(query=request.text, locale=locale, total=total, page=page,
                         page_size=page_size, hits=hits, degraded=True)


__all__ = ["FILTER_KEYS", "FLAG_VALUES", "SORTS", "QueryError", "SearchRequest",
           "SearchResults", "Hit", "FacetValue", "search", "clean_query", "split_units",
           "haversine_km", "is_open_at"]
