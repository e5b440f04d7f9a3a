"""Whoosh analyzers for the directory's eleven locales, plus curated synonyms.

Pipeline of ``analyzer_for(locale)``::

    LocaleTokenizer    NFKC, case folding, accent folding, script normalisation, CJK bigrams
    LocaleStopFilter   the locale's stop words (positions renumbered, as Whoosh's StopFilter does)
    SynonymFilter      curated groups from synonyms/<locale>.txt -> a canonical ``syn:`` token
    LocaleStemFilter   Snowball (PyStemmer) or a light stemmer where the language has one

Design notes (read before changing anything: the index must be rebuilt after a change here or in
the synonym files, because documents are analysed when they are indexed):

* Offsets are always offsets into the caller's original text, so Whoosh highlighting works.
  NFKC is applied per whitespace-delimited chunk when the text is not already NFKC; a chunk whose
  length NFKC changes maps all of its tokens to the whole chunk.
* Accent folding strips only the generic combining diacritics (U+0300 block and friends) after
  NFD and recomposes with NFC, so Hangul syllables, Gurmukhi vowel signs and Arabic letters are
  never damaged. Arabic-script text gets its own normalisation (alef/yeh/kaf/teh marbuta forms,
  tatweel and harakat removed); Gurmukhi folds tippi to bindi and drops the nukta, the way
  accents are dropped in Latin script (people write both ਮੁਫ਼ਤ and ਮੁਫਤ).
* Han, Kana and Hangul runs become overlapping bigrams (a one-character run is a unigram), in
  every locale, like Lucene's CJKAnalyzer. Traditional Chinese characters of our domain are mapped
  to Simplified (one way, ``_T2S_PAIRS``) so both scripts share terms. In query mode a trailing
  Korean particle (를, 에서, ...) is dropped from a Hangul run of three or more syllables, so
  "상담센터를" finds "상담센터"; documents keep every bigram, so this only widens a query.
* Synonym groups are matched on the same keys the index ends up with (folded, stop words removed,
  stemmed), so "shelters" triggers the group of "shelter". At index time every member occurrence
  keeps its own tokens, unchanged, and adds the group's canonical token at every position the
  member covers (so phrase queries that start or end with a member still line up, and a query
  layer can treat the canonical token as an alternative at each position), spanning the
  member's characters. The canonical tokens follow the member's last word in the token stream
  (each term's positions still increase, which is what Whoosh's postings need), so highlighting
  shows the member once. When a query is analysed (mode="query" with stop words removed, which is
  how Whoosh's QueryParser calls it) the longest member is *replaced* by the canonical token,
  because Whoosh turns several tokens from one query word into an AND. Highlighting analyses with
  mode="index" or removestops=False, which keep the original tokens.
* Whoosh's QueryParser analyses each unquoted word on its own, so a multi-word member in a query
  is only recognised inside quotes ("transition house") or when the query layer analyses the
  whole query string itself.
"""

from __future__ import annotations

from functools import lru_cache

from whoosh.analysis import Analyzer, CompositeAnalyzer

from .folding import SCRIPT_LOCALES, LocaleTokenizer, detect_script
from .locales import SUPPORTED_LOCALES, SYNONYM_PREFIX, _check_locale
from .stemming import LocaleStemFilter, stemmer_name
from .stopwords import LocaleStopFilter
from .synonyms import (SynonymFilter, is_synonym_token, reload_synonyms, set_curated_synonyms,
                       synonym_groups, synonyms_version)

__all__ = ["SUPPORTED_LOCALES", "SYNONYM_PREFIX", "SCRIPT_LOCALES", "LocaleTokenizer", "LocaleStopFilter", "SynonymFilter", "LocaleStemFilter", "synonym_groups", "reload_synonyms", "set_curated_synonyms", "synonyms_version", "is_synonym_token", "stemmer_name", "detect_script", "analyzer_for", "folding_analyzer"]


@lru_cache(maxsize=None)
def _analyzer(locale: str) -> Analyzer:
    """Build (once) the analyzer of a supported locale."""
    return (LocaleTokenizer(locale) | LocaleStopFilter(locale) | SynonymFilter(locale)
            | LocaleStemFilter(locale))


def analyzer_for(locale: str) -> Analyzer:
    """Return the (cached, picklable) analyzer for a locale's text fields."""
    return _analyzer(_check_locale(locale))


@lru_cache(maxsize=None)
def folding_analyzer() -> Analyzer:
    """Return the language-neutral analyzer: NFKC, folding, CJK bigrams; no stems or stops."""
    return CompositeAnalyzer(LocaleTokenizer(None))
