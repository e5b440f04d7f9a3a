"""From the visitor's words to query objects, and "did you mean" when they find nothing.

Public input never reaches Whoosh's query language: the cleaned text (``request.clean_query``)
is split into units (words, "quoted phrases" and curated synonym phrases) and each unit becomes
query objects directly, so wildcards, ranges, field prefixes and odd nesting cannot be
expressed at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from whoosh import query as wq
from whoosh.spelling import ListCorrector

from ..i18n import SUPPORTED_LOCALES
from .analyzers import analyzer_for, folding_analyzer, synonym_groups, synonyms_version
from .concepts import Span
from .documents import Taxonomy, fold
from .schema import name_field, text_field

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
                     labels: LabelMatcher | None = None, spans: list[Span] | None = None,
                     expand: Callable[[str], wq.Query | None] | None = None
                     ) -> wq.Query | None:
    """Each unit must match in some field (or, relaxed, any unit may match).

    Units a concept span covers (``concepts.ConceptSet.match``) become one requirement: their
    own words, or any of the span's concepts (``expand(concept_id)``: its categories and its
    words in every language).
    """
    fields = _fields_for(locale)
    starts = {span.start: span for span in spans or []} if expand is not None else {}
    per_unit = []
    index = 0
    while index < len(units):
        span = starts.get(index)
        if span is not None:
            own = build_text_query(units[span.start:span.end + 1], locale, labels=labels)
            alternatives = [q for q in [own] + [expand(c) for c in span.concepts] if q]
            index = span.end + 1
        else:
            unit = units[index]
            index += 1
            alternatives = [q for q in (_field_query(f, a, unit, b) for f, a, b in fields)
                            if q]
            if labels is not None:
                alternatives += [wq.Term("terms", term_id, boost=3.0)
                                 for term_id in labels.match(unit, locale)]
        if alternatives:
            per_unit.append(alternatives[0] if len(alternatives) == 1 else wq.Or(alternatives))
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


def highlight_terms(units: list[str], locale: str) -> set[str]:
    analyzer = analyzer_for(locale)
    return {t for unit in units for t in _analyzed(analyzer, unit) if not is_synonym_token(t)}



def suggest(searcher, units: list[str], locale: str, taxonomy: Taxonomy) -> str | None:
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
    cached = _vocabulary_cache.get(key)
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
    _vocabulary_cache[key] = ((taxonomy, synonyms_version()), corrector, display)
    return corrector, display


_vocabulary_cache: dict[Any, Any] = {}
