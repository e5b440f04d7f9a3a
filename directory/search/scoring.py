"""The scoring engine: what ``search()`` computes and keeps between queries, per segment and
per searcher generation (BM25F scores as numpy arrays, facets, distances, opening hours, place
centroids and an answer cache).

Whoosh segments never change once written: an edit adds a small segment and marks the old
document deleted in its segment. Everything derived from a segment (posting lists, field
lengths, facet bitmaps, stored rows, coordinates, opening hours) is therefore cached per
segment and survives index changes; a new searcher generation only recomputes the live-document
mask and the docnum offsets. So the first query after an edit does not pay for the whole index
again, which matters at 100k listings.

Scoring is Whoosh's BM25F (same B, K1, idf and average field lengths as ``whoosh.scoring``),
computed with numpy over whole posting lists instead of Whoosh's per-posting matcher walk: a
query is evaluated to a dense score array whose positive entries are exactly its matches.
"""

from __future__ import annotations

import bisect
import threading
from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.codec import whoosh3
from whoosh.util.numeric import byte_to_length

from .documents import fold
from .places import city_centre, fsa_centre, looks_postal
from .row import OPEN_STATUSES, HoursTable, SearchRow, _parse_utc, distances_km

B = 0.75
K1 = 1.2
LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)
_EMPTY_IDS = np.zeros(0, dtype=np.int64)
_EMPTY_WEIGHTS = np.zeros(0, dtype=np.float64)
# Segments whose derived data is kept (more than any live index has at once).
MAX_SEGMENTS = 64
# Stored rows kept per segment for result pages.
ROW_CACHE = 2048
# Posting lists kept (all segments together) before the posting caches are emptied.
MAX_POSTING_BYTES = 256 * 1024 * 1024


# An overdue listing's score is multiplied by this (ranks a little lower, never hidden).
OVERDUE_FACTOR = 0.9


def _timestamp(value: str | None) -> float | None:
    parsed = _parse_utc(value)
    return parsed.timestamp() if parsed is not None else None


def bitmap_to_mask(bits: int, size: int) -> np.ndarray:
    """A Python-int bitmap (bit n = docnum n) as a boolean array of ``size``."""
    if size == 0:
        return np.zeros(0, dtype=bool)
    raw = np.frombuffer(bits.to_bytes((size + 7) // 8, "little"), dtype=np.uint8)
    return np.unpackbits(raw, bitorder="little", count=size).view(bool)


def mask_to_bitmap(mask: np.ndarray) -> int:
    """A boolean array as a Python-int bitmap (bit n = docnum n)."""
    if not len(mask):
        return 0
    return int.from_bytes(np.packbits(mask, bitorder="little").tobytes(), "little")


def ids_to_bitmap(ids: np.ndarray, size: int) -> int:
    """Docnums as a Python-int bitmap."""
    mask = np.zeros(size, dtype=bool)
    mask[ids] = True
    return mask_to_bitmap(mask)


class SegmentData:
    """Data derived from one immutable segment; docnums here are local to the segment."""

    def __init__(self, reader: Any):
        self.reader = reader  # replaced by the newest reader on the same segment
        self.size = reader.doc_count_all()
        self.postings: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        self.posting_bytes = 0
        self.lengths: dict[str, np.ndarray] = {}
        self.facets: dict[str, dict[str, int]] = {}
        self.rows: OrderedDict[int, dict] = OrderedDict()
        self.row_lock = threading.Lock()
        self.scan: dict[str, Any] | None = None
        self.lock = threading.Lock()

    # -- terms ------------------------------------------------------------------------------
    def posting(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(local docnums, term frequencies) of a term in this segment."""
        key = (fieldname, text)
        found = self.postings.get(key)
        if found is not None:
            return found
        reader = self.reader
        if key not in reader:
            found = (_EMPTY_IDS, _EMPTY_WEIGHTS)
        else:
            ids: list[int] = []
            weights: list[float] = []
            matcher = reader.postings(fieldname, text)
            if isinstance(matcher, whoosh3.W3LeafMatcher):
                # Block by block: each block's ids and weights are decoded as arrays at once.
                while matcher.is_active():
                    matcher._read_ids()
                    matcher._read_weights()
                    ids.extend(matcher._ids)
                    weights.extend(matcher._weights)
                    matcher._next_block()
            else:  # another codec: the generic matcher interface
                while matcher.is_active():
                    ids.append(matcher.id())
                    weights.append(matcher.weight())
                    matcher.next()
            found = (np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float64))
        self.postings[key] = found
        size = found[0].nbytes + found[1].nbytes + 100
        self.posting_bytes += size
        _account_postings(size)
        return found

    def field_lengths(self, fieldname: str) -> np.ndarray:
        """Every document's length in ``fieldname`` (Whoosh stores it as one byte per doc)."""
        found = self.lengths.get(fieldname)
        if found is None:
            found = np.zeros(self.size, dtype=np.float64)
            perdoc = getattr(self.reader, "_perdoc", None)
            column = None
            if isinstance(perdoc, whoosh3.W3PerDocReader):
                column = perdoc._cached_reader(whoosh3._lenfield(fieldname),
                                               whoosh3.LENGTHS_COLUMN)
            if column is not None and hasattr(column, "_basepos"):
                count = min(column._count, self.size)
                raw = column._dbfile.get(column._basepos, count)
                found[:count] = LENGTHS[np.frombuffer(raw, dtype=np.uint8)]
            elif column is not None or perdoc is None:
                for docnum in range(self.size):
                    found[docnum] = self.reader.doc_field_length(docnum, fieldname, 0) or 0
            self.lengths[fieldname] = found
        return found

    def facet(self, fieldname: str) -> dict[str, int]:
        """Facet value -> local bitmap of the documents carrying it."""
        found = self.facets.get(fieldname)
        if found is None:
            found = {}
            reader = self.reader
            if fieldname in reader.indexed_field_names():
                for raw in reader.lexicon(fieldname):
                    value = raw.decode("utf-8") if isinstance(raw, bytes) else raw
                    ids, _weights = self.posting(fieldname, value)
                    found[value] = ids_to_bitmap(ids, self.size)
            self.facets[fieldname] = found
        return found

    # -- stored rows ------------------------------------------------------------------------
    def row(self, docnum: int) -> SearchRow:
        """A document's stored row (a small LRU: only result pages need whole rows)."""
        with self.row_lock:  # requests on several threads share this LRU
            found = self.rows.get(docnum)
            if found is not None:
                self.rows.move_to_end(docnum)
                return found
        found = SearchRow.from_stored(self.reader.stored_fields(docnum).get("row") or {})
        with self.row_lock:
            self.rows[docnum] = found
            while len(self.rows) > ROW_CACHE:
                self.rows.popitem(last=False)
        return found

    def scanned(self) -> dict[str, Any]:
        """One pass over every stored row, kept as arrays and flat lists only.

        Coordinates, opening hours, place names and display names for sorting. No per-document
        dicts are kept: with 100k listings those would be millions of objects for the garbage
        collector to walk after every index write.
        """
        if self.scan is None:
            with self.lock:
                if self.scan is None:
                    self.scan = self._scan()
        return self.scan

    def _scan(self) -> dict[str, Any]:
        point_docs, lats, lons = [], [], []
        place_docs, place_keys, place_lats, place_lons = [], [], [], []
        key_index: dict[str, int] = {}
        hours: list[tuple] = []
        due_at = np.full(self.size, np.inf)
        names: dict[str, list[str | None]] = {}
        fallback_names: list[str] = [""] * self.size
        text_languages: list[str] = ["en"] * self.size
        stored = self.reader.stored_fields
        for docnum in range(self.size):
            row = SearchRow.from_stored(stored(docnum).get("row") or {})
            text_languages[docnum] = row.text_language
            for locale, name in row.name.items():
                if name:
                    names.setdefault(locale, [None] * self.size)[docnum] = name
                    if not fallback_names[docnum]:
                        fallback_names[docnum] = name
            keys = {fold(c) for c in row.cities} | {p.lower() for p in row.postal}
            for lat, lon in row.points:
                point_docs.append(docnum)
                lats.append(lat)
                lons.append(lon)
                for key in keys:
                    place_docs.append(docnum)
                    place_keys.append(key_index.setdefault(key, len(key_index)))
                    place_lats.append(lat)
                    place_lons.append(lon)
            if row.open_24_7 or row.schedules or row.exceptions \
                    or row.status not in OPEN_STATUSES:
                hours.append((docnum, row.open_24_7, row.schedules, row.status,
                              row.exceptions, row.timezone))
            due = _timestamp(row.due_at)
            if due is not None:
                due_at[docnum] = due

        def ints(values: list) -> np.ndarray:
            return np.asarray(values, dtype=np.int64)

        return {
            "points": (ints(point_docs), np.radians(np.asarray(lats, dtype=np.float64)),
                       np.radians(np.asarray(lons, dtype=np.float64))),
            "places": (ints(place_docs), ints(place_keys),
                       np.asarray(place_lats, dtype=np.float64),
                       np.asarray(place_lons, dtype=np.float64), list(key_index)),
            "hours": HoursTable.build(self.size, hours),
            "due_at": due_at,
            "names": names, "fallback_names": fallback_names,
            "text_languages": text_languages,
        }

    def points(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(local docnum, latitude, longitude) of every public point, in radians."""
        return self.scanned()["points"]

    def schedules(self) -> HoursTable:
        """Opening hours as arrays, one entry per (document, schedule row)."""
        return self.scanned()["hours"]

    def sort_name(self, docnum: int, locale: str) -> str:
        """The name a listing shows in ``locale`` (else English, else its own language, else
        any): the same choice as the result rows make, so the order matches what is shown."""
        scan = self.scanned()
        names = scan["names"]
        for lang in (locale, "en", scan["text_languages"][docnum]):
            found = names.get(lang)
            if found is not None and found[docnum]:
                return found[docnum]
        return scan["fallback_names"][docnum]


_segments: OrderedDict[tuple[str, str, int], SegmentData] = OrderedDict()
_segments_lock = threading.Lock()


_posting_total = 0


def _account_postings(size: int) -> None:
    """Bound the memory of posting lists across segments: past the budget, start over."""
    global _posting_total
    _posting_total += size
    if _posting_total > MAX_POSTING_BYTES:
        with _segments_lock:
            for data in _segments.values():
                data.postings.clear()
                data.posting_bytes = 0
        _posting_total = 0


def _retain(keys: set[tuple[str, str, int]]) -> None:
    """Drop data of segments the live generation no longer has (merged, or an old rebuild).

    Queries still running on an older generation keep their own references."""
    global _posting_total
    with _segments_lock:
        for key in [k for k in _segments if k not in keys]:
            _posting_total -= _segments.pop(key).posting_bytes


def _segment_data(reader: Any, place: str, reader_keys: list) -> SegmentData:
    global _posting_total
    segment = reader.segment() if hasattr(reader, "segment") else None
    if segment is None:
        return SegmentData(reader)
    # Within one index folder a segment id names immutable data: a rebuild writes a new folder
    # and a merge writes a new segment under a new (random) id.
    key = (place, segment.segment_id(), reader.doc_count_all())
    reader_keys.append(key)
    with _segments_lock:
        data = _segments.get(key)
        if data is None:
            data = _segments[key] = SegmentData(reader)
        else:
            data.reader = reader
            _segments.move_to_end(key)
        while len(_segments) > MAX_SEGMENTS:
            _key, dropped = _segments.popitem(last=False)
            _posting_total -= dropped.posting_bytes
    return data


class SearcherCache:
    """One searcher generation: its segments at their docnum offsets, and what depends on
    deletions or global statistics (live mask, facet bitmaps, answers)."""

    def __init__(self, searcher: Any):
        self.searcher = searcher
        reader = searcher.ixreader
        self.size = reader.doc_count_all()
        self.parts: list[tuple[SegmentData, int]] = []
        live = np.ones(self.size, dtype=bool)
        storage = getattr(getattr(searcher, "_ix", None), "storage", None)
        place = str(getattr(storage, "folder", None) or id(storage))
        self.segment_keys: list[tuple[str, str, int]] = []
        if self.size:
            for leaf, offset in reader.leaf_readers():
                self.parts.append((_segment_data(leaf, place, self.segment_keys), offset))
                if leaf.has_deletions():
                    deleted = np.fromiter(leaf.segment().deleted_docs(), dtype=np.int64)
                    live[deleted + offset] = False
        self.offsets = [offset for _data, offset in self.parts]
        self.live_mask = live
        self.live = mask_to_bitmap(live)
        self.facets: dict[str, dict[str, int]] = {}
        self.results: dict[Any, Any] = {}  # whole answers to repeated requests
        self.centroids: dict[str, tuple[float, float]] | None = None
        self.open_cache: dict[Any, tuple[np.ndarray, np.ndarray]] = {}
        self.idf: dict[tuple[str, str], float] = {}
        self.avg_lengths: dict[str, float] = {}

    # -- layout -----------------------------------------------------------------------------
    def _locate(self, docnum: int) -> tuple[SegmentData, int]:
        index = bisect.bisect_right(self.offsets, docnum) - 1
        data, offset = self.parts[index]
        return data, docnum - offset

    def row(self, docnum: int) -> SearchRow:
        data, local = self._locate(docnum)
        return data.row(local)

    # -- facets and filters -------------------------------------------------------------------
    def facet(self, fieldname: str) -> dict[str, int]:
        found = self.facets.get(fieldname)
        if found is None:
            found = {}
            for data, offset in self.parts:
                for value, bits in data.facet(fieldname).items():
                    found[value] = found.get(value, 0) | (bits << offset)
            live = self.live
            found = {value: bits & live for value, bits in found.items()}
            self.facets[fieldname] = found
        return found

    # -- scoring ------------------------------------------------------------------------------
    def _idf(self, fieldname: str, text: str) -> float:
        key = (fieldname, text)
        found = self.idf.get(key)
        if found is None:
            if len(self.idf) > 50_000:  # every distinct query word adds entries
                self.idf.clear()
            found = self.idf[key] = self.searcher.idf(fieldname, text)
        return found

    def _term_scores(self, fieldname: str, text: str, boost: float) -> np.ndarray:
        out = np.zeros(self.size, dtype=np.float64)
        schema = self.searcher.schema
        scorable = fieldname in schema and schema[fieldname].scorable
        if scorable:
            idf = self._idf(fieldname, text)
            avg = self.avg_lengths.get(fieldname)
            if avg is None:
                avg = self.avg_lengths[fieldname] = \
                    self.searcher.avg_field_length(fieldname) or 1.0
        for data, offset in self.parts:
            ids, weights = data.posting(fieldname, text)
            if not len(ids):
                continue
            if scorable:
                lengths = data.field_lengths(fieldname)[ids]
                scores = idf * ((weights * (K1 + 1)) /
                                (weights + K1 * ((1 - B) + B * lengths / avg)))
            else:
                scores = weights
            out[ids + offset] = scores * boost
        return out

    def scores(self, query: wq.Query, boost: float = 1.0) -> np.ndarray:
        """Dense BM25F scores of a query built by ``search.query``; > 0 exactly where it matches.

        Sums like Whoosh: a Term scores its BM25F weight times the boosts above it, an Or the sum
        of its matching parts (with Whoosh's coordination bonus when it has a ``scale``), an
        And the sum of its parts where all of them match.
        """
        boost = boost * query.boost
        if isinstance(query, wq.FuzzyTerm):
            out = np.zeros(self.size, dtype=np.float64)
            reader = self.searcher.ixreader
            for text in reader.terms_within(query.fieldname, query.text, query.maxdist,
                                            prefix=query.prefixlength):
                out += self._term_scores(query.fieldname, text, boost)
            return out
        if isinstance(query, wq.Term):
            return self._term_scores(query.fieldname, query.text, boost)
        if isinstance(query, wq.And):
            total = np.zeros(self.size, dtype=np.float64)
            every = np.ones(self.size, dtype=bool)
            for sub in query.subqueries:
                part = self.scores(sub, boost)
                every &= part > 0
                if not every.any():
                    return np.zeros(self.size, dtype=np.float64)
                total += part
            return np.where(every, total, np.float64(0))
        if isinstance(query, (wq.Or, wq.DisjunctionMax)):
            total = np.zeros(self.size, dtype=np.float64)
            matched = np.zeros(self.size, dtype=np.int32)
            for sub in query.subqueries:
                part = self.scores(sub, boost)
                total += part
                matched += part > 0
            scale = getattr(query, "scale", None)
            if scale and query.subqueries:
                fraction = matched / len(query.subqueries)
                total *= (1 - scale) + scale * fraction
            return total
        raise TypeError(f"unsupported query type {type(query).__name__}")

    # -- places and hours ---------------------------------------------------------------------
    def distances(self, origin: tuple[float, float]) -> np.ndarray:
        """Kilometres from ``origin`` to each document's nearest public point (inf: none)."""
        out = np.full(self.size, np.inf)
        for data, offset in self.parts:
            docs, lats, lons = data.points()
            if not len(docs):
                continue
            km = distances_km(origin[0], origin[1], lats, lons)
            np.minimum.at(out, docs + offset, km)
        return out

    def open_now(self, now: datetime) -> tuple[np.ndarray, np.ndarray]:
        """(open, stated) per document at ``now`` (``row.HoursTable.open_at``'s rule), kept
        per minute: stated is False where no hours are given."""
        key = now.replace(second=0, microsecond=0)
        found = self.open_cache.get(key)
        if found is not None:
            return found
        is_open = np.zeros(self.size, dtype=bool)
        stated = np.zeros(self.size, dtype=bool)
        for data, offset in self.parts:
            span = slice(offset, offset + data.size)
            is_open[span], stated[span] = data.schedules().open_at(now)
        found = (is_open, stated)
        if len(self.open_cache) > 4:
            self.open_cache.clear()
        self.open_cache[key] = found
        return found

    def always_now(self, now: datetime) -> np.ndarray:
        """Per document: "Open 24/7" may be shown at ``now`` (``HoursTable.always_at``)."""
        key = ("always", now.replace(second=0, microsecond=0))
        found = self.open_cache.get(key)
        if found is None:
            found = np.zeros(self.size, dtype=bool)
            for data, offset in self.parts:
                found[offset:offset + data.size] = data.schedules().always_at(now)
            self.open_cache[key] = found
        return found

    def overdue(self, now: datetime) -> np.ndarray:
        """Per document: overdue for checking at ``now``."""
        out = np.zeros(self.size, dtype=bool)
        stamp = now.timestamp()
        for data, offset in self.parts:
            out[offset:offset + data.size] = data.scanned()["due_at"] <= stamp
        return out

    def place(self, name: str) -> tuple[float, float] | None:
        """Where ``name`` is: a city's centre (bundled table, search/places), else the centroid
        of the public coordinates of listings in that city or postal area."""
        if self.centroids is None:
            sums: dict[str, list[float]] = {}
            for data, offset in self.parts:
                docs, keys, lats, lons, key_names = data.scanned()["places"]
                if not len(docs):
                    continue
                live = self.live_mask[docs + offset]
                keys, lats, lons = keys[live], lats[live], lons[live]
                counts = np.bincount(keys, minlength=len(key_names))
                lat_sums = np.bincount(keys, weights=lats, minlength=len(key_names))
                lon_sums = np.bincount(keys, weights=lons, minlength=len(key_names))
                for index, key in enumerate(key_names):
                    if counts[index]:
                        acc = sums.setdefault(key, [0.0, 0.0, 0])
                        acc[0] += lat_sums[index]
                        acc[1] += lon_sums[index]
                        acc[2] += int(counts[index])
            self.centroids = {k: (v[0] / v[2], v[1] / v[2]) for k, v in sums.items()}
        key = fold(name)
        compact = key.replace(" ", "")
        if not compact:
            return None
        if looks_postal(key):
            # A full postal code that listings give, else its forward sortation area's centre
            # (bundled table), else the centre of that area's listings (an FSA newer than it).
            return (self.centroids.get(key) or fsa_centre(compact)
                    or self.centroids.get(compact[:3]))
        # A city: its centre from the bundled table (any spelling), else where its listings are.
        return city_centre(name) or self.centroids.get(key)

    def sort_name(self, docnum: int, locale: str) -> str:
        data, local = self._locate(docnum)
        return data.sort_name(local, locale)


_generations: dict[int, SearcherCache] = {}
_generations_lock = threading.Lock()


def cache_for(searcher: Any) -> SearcherCache:
    """The cache of this searcher generation (one live generation per process)."""
    key = id(searcher)
    cache = _generations.get(key)
    if cache is None or cache.searcher is not searcher:
        with _generations_lock:
            cache = _generations.get(key)
            if cache is None or cache.searcher is not searcher:
                fresh = SearcherCache(searcher)
                _retain(set(fresh.segment_keys))
                _generations.clear()
                _generations[key] = cache = fresh
    return cache


def clear() -> None:
    """Forget every cached segment and generation (tests; memory pressure)."""
    global _posting_total
    with _segments_lock:
        _segments.clear()
        _posting_total = 0
    with _generations_lock:
        _generations.clear()


def all_caches() -> Iterable[SearcherCache]:
    return list(_generations.values())
