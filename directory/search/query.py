"""``search()``: the one entry point every surface uses (public site, API, widget, admin).

A ``SearchRequest`` (checked once) is answered from the index: the words become query objects
(``words``), the scoring engine (``cache``) turns them into score arrays over every listing,
filters, distance and opening hours narrow them as arrays, and only the shown page is read from
the stored rows (``row.SearchRow``) and highlighted (``results``). ``search()`` only reads.
"""

from __future__ import annotations

import dataclasses

import logging
import math
from typing import Any

import numpy as np
import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from whoosh import query as wq

from .. import models as m
from ..extensions import db
from ..i18n import SUPPORTED_LOCALES
from .analyzers import analyzer_for, synonyms_version
from .concepts import Span, concept_set
from .scoring import SearcherCache, bitmap_to_mask, cache_for, ids_to_bitmap
from .documents import Taxonomy, load_curated_concepts, load_curated_synonyms
from .fallback import database_search
from .index import IndexUnavailable, index_for
from .request import FILTER_KEYS, FLAG_VALUES, SORTS, QueryError, SearchRequest, clean_query
from .results import FacetValue, Hit, SearchResults, pick, summary
from .row import haversine_km, is_open_at  # noqa: F401 - part of this module's API
from .row import alert_is_current, capacity_at, upcoming_exceptions
from .scoring import OVERDUE_FACTOR
from .words import (LabelMatcher, build_fuzzy_query, build_text_query, highlight_terms,
                    signals_danger, split_units, suggest)

log = logging.getLogger(__name__)

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
    # The taxonomy, synonyms and curated concept words are reloaded when the change log moves;
    # an answer is cached with the log position it was made at.
    taxonomy = _taxonomy()
    key = (request.cache_key(), _taxonomy_cache.get("key"))
    cached = cache.results.get(key)
    if cached is not None:
        return cached
    try:
        results = _index_search(searcher, request, taxonomy)
    except QueryError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged index must not take search down
        log.error("search index failed (%s); answering from the database", type(exc).__name__)
        return database_search(request)
    if len(cache.results) >= 512:
        cache.results.clear()
    cache.results[key] = results
    return results


def _index_search(searcher: Any, request: SearchRequest, taxonomy: Taxonomy) -> SearchResults:
    cache = cache_for(searcher)
    units = split_units(request.text, request.locale)
    place_unknown = None
    if request.near and request.origin is None and cache.place(request.near) is None:
        # A place we cannot find: say so, and keep the words' results (no distance order or
        # limit, which would need the place).
        place_unknown = request.near
        request = dataclasses.replace(
            request, near=None, radius_km=None,
            sort="relevance" if request.sort == "distance" else request.sort)
    allowed, distances = _candidates(cache, taxonomy, request)
    concepts = concept_set()
    spans = concepts.match(units, request.locale) if units else []
    understood = list(dict.fromkeys(c for span in spans for c in span.concepts))
    danger = signals_danger(units) or any(concepts.concepts[c].danger for c in understood)
    results = SearchResults(query=request.text, locale=request.locale, total=0,
                            page=request.page, page_size=request.page_size, hits=[],
                            sort=request.sort, crisis_boosted=danger, concepts=understood,
                            place_unknown=place_unknown)
    units, (matched, scores) = _match(searcher, cache, taxonomy, units, allowed, danger,
                                      results, spans)
    if len(matched):
        # Overdue for checking: a little lower, never hidden.
        scores = np.where(cache.overdue(request.now)[matched], scores * OVERDUE_FACTOR, scores)
    order = _order(cache, request, matched, scores, distances)
    results.total = len(matched)
    if request.with_facets:
        results.facets = _facets(cache, taxonomy, matched, request.filters, request.locale)
    start = (request.page - 1) * request.page_size
    shown = order[start:start + request.page_size]
    results.hits = _hits(cache, request, units, matched[shown], scores[shown], distances)
    if units and results.total <= NEAR_ZERO and request.page == 1:
        _no_dead_end(cache, taxonomy, request, results, units, spans, allowed, distances)
    return results


NEAR_ZERO = 2  # this many results or fewer: also show what we understood and other ways on


def _no_dead_end(cache: SearcherCache, taxonomy: Taxonomy, request: SearchRequest,
                 results: SearchResults, units: list[str], spans: list[Span],
                 allowed: np.ndarray, distances: np.ndarray | None) -> None:
    """What a (near) empty answer still offers: the concepts we understood, the closest
    categories with their counts, crisis lines, and a relaxed search that finds something."""
    concepts = concept_set()
    locale = request.locale
    results.understood = [(c, concepts.concepts[c].label(locale)) for c in results.concepts]
    term_ids = [t for c in results.concepts for t in
                (taxonomy.resolve(code) for code in concepts.concepts[c].categories) if t]
    labels = _labels(taxonomy)
    term_ids += [t for unit in units for t in labels.match(unit, locale)]
    bitmaps = cache.facet("terms")
    live = cache.live
    if not term_ids:  # nothing recognised: the broadest kinds of help
        term_ids = [t for t, info in taxonomy.terms.items() if info.parent_id is None
                    and info.code not in LabelMatcher.SKIP_CODES]
    closest = []
    for term_id in dict.fromkeys(term_ids):
        count = (bitmaps.get(term_id, 0) & live).bit_count()
        if count and term_id in taxonomy.terms:
            info = taxonomy.terms[term_id]
            closest.append(FacetValue(info.code or term_id, taxonomy.label(term_id, locale),
                                      count, False, info.code))
    results.closest_categories = sorted(closest, key=lambda v: -v.count)[:6]
    crisis = np.flatnonzero(bitmap_to_mask(bitmaps.get(_crisis_term(taxonomy), 0)
                                           | cache.facet("flags").get("crisis_line", 0),
                                           cache.size) & cache.live_mask)
    if len(crisis):
        picked = crisis[:3]
        results.crisis_lines = _hits(cache, request, [], picked,
                                     np.zeros(len(picked)), distances)
    results.relaxed_query = _relaxed_query(cache, taxonomy, units, locale, allowed,
                                           results)


def _crisis_term(taxonomy: Taxonomy) -> str:
    return taxonomy.resolve("crisis-line") or ""


def _relaxed_query(cache: SearcherCache, taxonomy: Taxonomy, units: list[str], locale: str,
                   allowed: np.ndarray, results: SearchResults) -> str | None:
    """Fewer words that find more: the words that find something on their own (else the
    one that finds most), never words that find nothing."""
    if len(units) < 2:
        return None
    labels = _labels(taxonomy)
    counts = []
    for unit in units:
        query = build_text_query([unit], locale, labels=labels)
        found = int(((cache.scores(query.normalize()) > 0) & allowed).sum()) if query else 0
        counts.append(found)
    kept = [u for u, n in zip(units, counts) if n]
    if not kept:
        return None
    if len(kept) == len(units):
        kept = [max(zip(units, counts), key=lambda pair: pair[1])[0]]
    relaxed = " ".join(kept)
    return relaxed if max(counts) > results.total else None


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
    if "open_24_7" in request.filters.get("flag", ()) and len(request.filters["flag"]) == 1:
        # Not "open 24/7" today: closed by its status, a closure or changed hours today.
        mask &= cache.always_now(request.now)
    return mask, distances


def _match(searcher: Any, cache: SearcherCache, taxonomy: Taxonomy, units: list[str],
           allowed: np.ndarray, danger: bool, results: SearchResults, spans: list[Span]
           ) -> tuple[list[str], tuple[np.ndarray, np.ndarray]]:
    """(the units searched for, (matching docnums, scores)): every word, else any word, else
    tolerant spelling, else the suggested spelling; ``results`` learns which one answered.
    Words that activate a concept also match its categories and its words in every language."""
    locale = results.locale
    labels = _labels(taxonomy)
    expand = _concept_expander(cache, taxonomy, locale)
    text_query = build_text_query(units, locale, labels=labels, spans=spans,
                                  expand=expand) if units else None
    if units and text_query is None:
        units = []  # nothing searchable (only stop words or punctuation): browse instead
    scores = _run(cache, text_query, allowed, danger)
    if not units or len(scores[0]):
        return units, scores
    relaxed = build_text_query(units, locale, require_all=False, labels=labels, spans=spans,
                               expand=expand)
    if relaxed is not None and len(units) > 1:
        scores = _run(cache, relaxed, allowed, danger)
        results.relaxed = bool(len(scores[0]))
    if not len(scores[0]):
        fuzzy = build_fuzzy_query(units)
        if fuzzy is not None:
            scores = _run(cache, fuzzy, allowed, danger)
            results.fuzzy = bool(len(scores[0]))
    results.suggestion = suggest(searcher, units, locale, taxonomy)
    if results.suggestion:
        # A suggestion is only offered when it finds something itself ("food bank" must not
        # become "foods book"); when nothing matched even loosely, show what it finds.
        corrected_units = split_units(results.suggestion, locale)
        corrected = build_text_query(corrected_units, locale, labels=labels,
                                     spans=concept_set().match(corrected_units, locale),
                                     expand=expand)
        found = _run(cache, corrected, allowed, False) if corrected is not None else None
        if found is None or not len(found[0]):
            results.suggestion = None
        elif not len(scores[0]):
            scores = _run(cache, corrected, allowed, danger) if danger else found
            results.fuzzy = True
    return units, scores


def _concept_expander(cache: SearcherCache, taxonomy: Taxonomy, locale: str):
    """concept id -> its query on this index generation (kept with the generation: words
    the index does not hold are left out, so what remains is small)."""
    kept = cache.__dict__.setdefault("concept_queries", {})
    if kept.get("taxonomy") is not taxonomy:
        kept.clear()
        kept["taxonomy"] = taxonomy
    concepts = concept_set()
    reader = cache.searcher.ixreader

    def exists(fieldname: str, text: str) -> bool:
        try:
            return reader.doc_frequency(fieldname, text) > 0
        except (KeyError, ValueError):
            return False

    def expand(concept_id: str) -> wq.Query | None:
        key = (concepts.generation, concept_id, locale)
        if key not in kept:
            term_ids = [t for t in (taxonomy.resolve(code) for code in
                                    concepts.concepts[concept_id].categories) if t]
            kept[key] = concepts.query(concept_id, locale, term_ids, exists)
        return kept[key]

    return expand


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
    terms = highlight_terms(units, locale) if request.highlight and units else set()
    # Every listing's state at this minute, computed once per index generation and minute.
    open_states, stated = cache.open_now(request.now) if len(docnums) else (None, None)
    always = cache.always_now(request.now) if len(docnums) else None
    overdue = cache.overdue(request.now) if len(docnums) else None
    max_age = float(current_app.config.get("CAPACITY_MAX_AGE_HOURS", 48))
    hits = []
    for docnum, score in zip(docnums.tolist(), scores.tolist()):
        row = cache.row(docnum)
        name, name_locale = pick(row.name, locale, row.text_language)
        description, description_locale = pick(row.description, locale, row.text_language)
        state = bool(open_states[docnum]) if stated[docnum] else None
        distance = float(distances[docnum]) if distances is not None else math.inf
        alert, alert_locale = (pick(row.alert, locale, row.text_language)
                               if row.alert and alert_is_current(row.alert_until, request.now)
                               else (None, None))
        capacity = capacity_at(row.capacity, row.capacity_updated_at, request.now, max_age)
        hits.append(Hit(
            id=row.id, name=name, name_locale=name_locale,
            summary=_hitsummary(description, description_locale, units, terms, request),
            summary_locale=description_locale,
            organization=pick(row.organization, locale)[0] or None, cities=row.cities,
            areas=[pick(row.areas, locale)[0]] if row.areas else [],
            crisis_line=row.crisis_line, open_24_7=bool(always[docnum]), open_now=state,
            distance_km=round(distance, 1) if distance != math.inf else None,
            phone=row.phone_dict(), score=round(score, 4), terms=row.terms,
            languages=row.languages, last_verified_at=row.last_verified_at,
            status=row.status, last_verified_method=row.last_verified_method,
            overdue=bool(overdue[docnum]),
            exceptions=upcoming_exceptions(row.exceptions, request.now, row.timezone),
            alert=alert or None, alert_locale=alert_locale if alert else None,
            capacity=capacity,
            capacity_updated_at=row.capacity_updated_at if capacity else None))
    return hits


def _hitsummary(description: str, description_locale: str, units: list[str],
                 terms: set[str], request: SearchRequest) -> str:
    """The description, matched words marked as the description's own language analyses them."""
    if description_locale == request.locale:
        return summary(description, terms, analyzer_for(request.locale))
    other = (highlight_terms(units, description_locale)
             if request.highlight and units else set())
    analyzer = analyzer_for(description_locale if description_locale in SUPPORTED_LOCALES
                            else request.locale)
    return summary(description, other, analyzer)


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
        # 1 for every listing, 2 for crisis lines (so a freshness factor can lower them)
        return matched, crisis[matched].astype(np.float64) + 1.0
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
        load_curated_concepts(db.session)
        fresh = Taxonomy.load()
        previous = _taxonomy_cache.get("value")
        _taxonomy_cache["key"] = key
        if previous is None or previous.terms != fresh.terms or synonyms_changed:
            # Keep the old object when nothing changed, so what is derived from it (label
            # matcher, spelling vocabulary; both use synonyms) is not rebuilt after every edit.
            _taxonomy_cache["value"] = fresh
    return _taxonomy_cache["value"]


__all__ = ["FILTER_KEYS", "FLAG_VALUES", "SORTS", "QueryError", "SearchRequest",
           "SearchResults", "Hit", "FacetValue", "search", "clean_query", "split_units",
           "haversine_km", "is_open_at"]
