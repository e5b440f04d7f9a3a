"""Concepts: the kinds of help people look for, in the words they use, in every locale.

A concept (``concepts/*.toml``, reviewed like code) names the taxonomy categories it stands for
and the words people use for it in each of the eleven locales: formal and everyday words,
abbreviations (DV, IPV, ITS, IVG, PEP) and common misspellings. Everyday phrasing lives in
``concepts/phrases/<locale>.toml``: situations ("he hits me", "condom broke") that point to
concepts.

At query time (nothing here changes the index):

* a concept **word** in any locale activates its concept when the query contains it (folded,
  language-neutral match), or its stemmed form in the query's own locale ("shelters");
* a **phrase** of the query's locale activates its concepts when the query holds the phrase's
  content words in order (stop words ignored, up to two other words between them): "my
  partner really hurts me" holds "partner hurts";
* an activated concept is one more alternative for the words it covers: its categories (so an
  English-only listing is found from Persian) and its words in every listing language ("domestic
  violence" finds a listing whose text says "DV"). A concept marked ``danger`` puts crisis lines
  first, like the danger words do.
"""

from __future__ import annotations

import itertools
import threading
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from whoosh import query as wq
from whoosh.analysis import CompositeAnalyzer

from ..analyzers import analyzer_for, folding_analyzer
from ..analyzers.folding import LocaleTokenizer
from ..analyzers.locales import SUPPORTED_LOCALES
from ..analyzers.stemming import LocaleStemFilter
from ..analyzers.stopwords import LocaleStopFilter, _stoplist
from ..schema import text_field

CONCEPT_DIR = Path(__file__).resolve().parent
PHRASE_DIR = CONCEPT_DIR / "phrases"
# How much a concept's category adds, against a word's BM25 weight (category labels add 3).
CATEGORY_BOOST = 4.0
WORD_BOOST = 1.5
MAX_GAP = 2  # other words allowed between a phrase's content words


@dataclass
class Concept:
    id: str
    categories: list[str]                       # taxonomy codes
    words: dict[str, list[str]]                 # locale -> words people use
    phrases: dict[str, list[str]] = field(default_factory=dict)
    danger: bool = False

    def label(self, locale: str) -> str:
        """The concept's first word in ``locale`` (else English): what we understood."""
        for lang in (locale, "en"):
            if self.words.get(lang):
                return self.words[lang][0]
        return self.id


@dataclass
class Span:
    """Units ``start..end`` (inclusive) of a query that activate ``concepts``."""

    start: int
    end: int
    concepts: list[str]


def _read(path: Path) -> dict:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def load_files(directory: Path = CONCEPT_DIR) -> dict[str, Concept]:
    """Every concept of the shipped files, with the phrases of every locale attached."""
    concepts: dict[str, Concept] = {}
    for path in sorted(directory.glob("*.toml")):
        for entry in _read(path).get("concept", []):
            concept_id = entry["id"]
            if concept_id in concepts:
                raise ValueError(f"{path.name}: concept {concept_id!r} is defined twice")
            words = {locale: [w.strip() for w in values if w.strip()]
                     for locale, values in entry.get("words", {}).items()}
            unknown = set(words) - set(SUPPORTED_LOCALES)
            if unknown:
                raise ValueError(f"{path.name}: {concept_id}: unknown locales {sorted(unknown)}")
            concepts[concept_id] = Concept(concept_id, list(entry.get("categories", [])), words,
                                           danger=bool(entry.get("danger", False)))
    phrase_dir = directory / "phrases"
    for path in sorted(phrase_dir.glob("*.toml")) if phrase_dir.is_dir() else []:
        locale = path.stem
        if locale not in SUPPORTED_LOCALES:
            raise ValueError(f"phrases/{path.name}: unknown locale")
        for concept_id, phrases in _read(path).items():
            if concept_id not in concepts:
                raise ValueError(f"phrases/{path.name}: unknown concept {concept_id!r}")
            concepts[concept_id].phrases.setdefault(locale, []).extend(
                p.strip() for p in phrases if p.strip())
    return concepts


@lru_cache(maxsize=None)
def _stemming(locale: str) -> CompositeAnalyzer:
    """Tokenise, drop stop words, stem: the document keys without synonym tokens."""
    return CompositeAnalyzer(LocaleTokenizer(locale), LocaleStopFilter(locale),
                             LocaleStemFilter(locale))


def _tokens(analyzer, text: str, mode: str = "index") -> tuple[str, ...]:
    return tuple(t.text for t in analyzer(text, mode=mode))


class ConceptSet:
    """Compiled concepts: lookup tables for matching queries, query pieces per concept."""

    def __init__(self, concepts: dict[str, Concept]):
        self.concepts = concepts
        folding = folding_analyzer()
        # Words: folded key sequences (any locale) and stemmed ones (per locale).
        self.folded: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        self.stemmed: dict[str, dict[str, list[tuple[tuple[str, ...], str]]]] = {}
        # Phrases: per locale, (stemmed content keys, folded keys with stop words, concept).
        self.phrases: dict[str, list[tuple[tuple[str, ...], tuple[str, ...], str]]] = {}
        for concept in concepts.values():
            for locale, words in concept.words.items():
                for word in words:
                    keys = _tokens(folding, word, "query")
                    if keys:
                        self.folded.setdefault(keys[0], []).append((keys, concept.id))
                    stems = _tokens(_stemming(locale), word, "query")
                    if stems:
                        self.stemmed.setdefault(locale, {}).setdefault(stems[0], []).append(
                            (stems, concept.id))
            for locale, phrases in concept.phrases.items():
                for phrase in phrases:
                    stems = _tokens(_stemming(locale), phrase, "query")
                    keys = _tokens(folding, phrase, "query")
                    if keys:
                        self.phrases.setdefault(locale, []).append((stems, keys, concept.id))
        self._pieces: dict[tuple[str, str], list[tuple[str, tuple[str, ...]]]] = {}
        self.generation = 0
        self._lock = threading.Lock()

    # -- matching ---------------------------------------------------------------------------
    def match(self, units: list[str], locale: str) -> list[Span]:
        """The spans of ``units`` that activate concepts, left to right, not overlapping."""
        folding = folding_analyzer()
        stemming = _stemming(locale)
        folded: list[tuple[str, int]] = []
        stemmed: list[tuple[str, int]] = []
        for index, unit in enumerate(units):
            folded += [(t, index) for t in _tokens(folding, unit, "query")]
            stemmed += [(t, index) for t in _tokens(stemming, unit, "query")]
        found: dict[tuple[int, int], list[str]] = {}

        def add(start: int, end: int, concept_id: str) -> None:
            ids = found.setdefault((start, end), [])
            if concept_id not in ids:
                ids.append(concept_id)

        stops = _stoplist(locale)
        for sequence, table in ((folded, self.folded),
                                (stemmed, self.stemmed.get(locale, {}))):
            texts = [t for t, _u in sequence]
            for i, (text, unit) in enumerate(sequence):
                for keys, concept_id in table.get(text, ()):
                    # A word of another language that is a stop word here ("its", the French
                    # abbreviation, in an English query) does not count.
                    if tuple(texts[i:i + len(keys)]) == keys and not all(k in stops
                                                                        for k in keys):
                        add(unit, sequence[i + len(keys) - 1][1], concept_id)
        for stems, keys, concept_id in self.phrases.get(locale, ()):
            if len(stems) >= 2:
                hit = _in_order(stemmed, stems)
            else:
                hit = _in_order(folded, keys, gap=0)
            if hit is not None:
                add(hit[0], hit[1], concept_id)
        # Wider spans first: a span overlapping a chosen one is left out ("transition house"
        # is a shelter, not gender transition); concepts of the very same units add up.
        spans: list[Span] = []
        for (start, end), ids in sorted(found.items(), key=lambda kv: (kv[0][0] - kv[0][1],
                                                                       kv[0][0])):
            if not any(not (end < s.start or start > s.end) for s in spans):
                spans.append(Span(start, end, list(ids)))
        return sorted(spans, key=lambda s: s.start)

    # -- query pieces -----------------------------------------------------------------------
    def pieces(self, concept_id: str, locale: str) -> list[tuple[str, tuple[str, ...]]]:
        """(field, tokens) a concept's words match for a query in ``locale``: every word on
        the folded ``all`` field (names in every language, each listing's own description),
        and the words of ``locale`` and English on their stemmed text fields (where
        translations and other texts are). Other locales' text fields are left out: each
        field searched costs a score array, and the categories already cross languages."""
        key = (concept_id, locale)
        found = self._pieces.get(key)
        if found is not None:
            return found
        concept = self.concepts[concept_id]
        folding = folding_analyzer()
        out: list[tuple[str, tuple[str, ...]]] = []
        for word_locale, words in concept.words.items():
            analyzer = analyzer_for(word_locale)
            stemmed = word_locale in (locale, "en")
            for word in words:
                pieces = [("all", _tokens(folding, word))]
                if stemmed:
                    pieces.append((text_field(word_locale), _document_keys(analyzer, word)))
                for piece in pieces:
                    if piece[1] and piece not in out:
                        out.append(piece)
        with self._lock:
            self._pieces[key] = out
        return out

    def query(self, concept_id: str, locale: str, term_ids: Iterable[str],
              exists) -> wq.Query | None:
        """A concept's categories and words as one alternative; words the index lacks are
        left out (``exists(field, text)``), so the query stays small."""
        parts: list[wq.Query] = [wq.Term("terms", t, boost=CATEGORY_BOOST) for t in term_ids]
        for fieldname, tokens in self.pieces(concept_id, locale):
            if all(exists(fieldname, t) for t in tokens):
                terms = [wq.Term(fieldname, t, boost=WORD_BOOST) for t in tokens]
                parts.append(terms[0] if len(terms) == 1 else wq.And(terms))
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else wq.Or(parts)


def _document_keys(analyzer, word: str) -> tuple[str, ...]:
    """A word's tokens as a document holds them, without the synonym tokens."""
    from ..analyzers import is_synonym_token

    out: list[str] = []
    for token in analyzer(word, mode="index"):
        if not is_synonym_token(token.text) and token.text not in out:
            out.append(token.text)
    return tuple(out)


def _in_order(sequence: list[tuple[str, int]], keys: tuple[str, ...],
              gap: int = MAX_GAP) -> tuple[int, int] | None:
    """(first unit, last unit) where ``keys`` occur in order with at most ``gap`` others
    between consecutive keys, or None."""
    texts = [t for t, _u in sequence]
    for start, text in enumerate(texts):
        if text != keys[0]:
            continue
        position = start
        for key in keys[1:]:
            window = texts[position + 1:position + 2 + gap]
            if key not in window:
                break
            position = position + 1 + window.index(key)
        else:
            return sequence[start][1], sequence[position][1]
    return None


_loaded: dict[str, ConceptSet] = {}
_load_lock = threading.RLock()
_generations = itertools.count(1)  # each compiled set's number (caches key on it)
# Curated in the back office (models.SearchConceptTerm): (concept id, locale, kind, text).
_curated: tuple[tuple[str, str, str, str], ...] = ()


def with_curated(concepts: dict[str, Concept],
                 curated: Iterable[tuple[str, str, str, str]]) -> dict[str, Concept]:
    """The shipped concepts with the curated words and phrases added (copies; unknown concepts
    and locales are skipped, as the back office refuses them)."""
    out = {cid: Concept(c.id, list(c.categories), {k: list(v) for k, v in c.words.items()},
                        {k: list(v) for k, v in c.phrases.items()}, c.danger)
           for cid, c in concepts.items()}
    for concept_id, locale, kind, text in curated:
        concept = out.get(concept_id)
        if concept is None or locale not in SUPPORTED_LOCALES or not text.strip():
            continue
        target = concept.words if kind == "word" else concept.phrases
        values = target.setdefault(locale, [])
        if text.strip() not in values:
            values.append(text.strip())
    return out


def shipped_concepts() -> dict[str, Concept]:
    """The concepts of the shipped files (read once per process; do not change them)."""
    files = _loaded.get("files")
    if files is None:
        with _load_lock:
            files = _loaded.get("files")
            if files is None:
                files = _loaded["files"] = load_files()  # type: ignore[assignment]
    return files  # type: ignore[return-value]


def concept_set() -> ConceptSet:
    """The shipped concepts and the curated terms, compiled once per process and change."""
    found = _loaded.get("set")
    if found is None:
        with _load_lock:
            found = _loaded.get("set")
            if found is None:
                found = ConceptSet(with_curated(shipped_concepts(), _curated))
                found.generation = next(_generations)
                _loaded["set"] = found
    return found


def set_curated_terms(rows: Iterable[tuple[str, str, str, str]]) -> bool:
    """Give the concepts the back office's words and phrases; True if they changed."""
    global _curated
    fresh = tuple(sorted(rows))
    with _load_lock:
        if fresh == _curated:
            return False
        _curated = fresh
        _loaded.pop("set", None)
    return True


def reload_concepts() -> None:
    """Forget the compiled concepts (after editing the files)."""
    with _load_lock:
        _loaded.clear()
