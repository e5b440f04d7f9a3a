"""Stemmers per locale: Snowball (PyStemmer) and light stemmers for Arabic, Persian, Punjabi
and Spanish plurals, with bounded caches."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator

import Stemmer
from whoosh.analysis import Filter, Token

from .locales import SYNONYM_PREFIX, _check_locale

# PyStemmer algorithm per locale; "light10" and "punjabi" are light stemmers implemented below.
_STEMMERS: dict[str, str] = {
    "en": "english", "fr": "french", "es": "spanish", "fa": "persian",
    "ar": "light10", "pa": "punjabi",
}


# Irregular forms a suffix stemmer cannot join (folded word -> the lemma to stem instead).
_IRREGULAR: dict[str, dict[str, str]] = {
    "en": {"women": "woman", "men": "man", "children": "child", "people": "person"},
    "fa": {"زنان": "زن", "مردان": "مرد", "کودکان": "کودک", "دختران": "دختر"},
}


_thread_stemmers = threading.local()


_STEM_CACHE_MAX = 200_000


_stem_caches: dict[str, dict[str, str]] = {}


_AR_PREFIXES = ("ال", "وال", "بال", "كال", "فال", "لل", "و")


_AR_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي")


def _light10(word: str) -> str:
    """Stem Arabic with Larkey's light10 (as Lucene's ArabicStemmer), on normalised text."""
    n = len(word)
    for prefix in _AR_PREFIXES:
        if word.startswith(prefix) and (n > 3 if len(prefix) == 1 else n - len(prefix) >= 2):
            word = word[len(prefix):]
            n -= len(prefix)
            break
    for suffix in _AR_SUFFIXES:
        if n >= len(suffix) + 2 and word.endswith(suffix):
            word = word[:-len(suffix)]
            n -= len(suffix)
    return word


# Punjabi inflectional endings, longest first (tippi already folded to bindi).
_PA_SUFFIXES = ("ਿਆਂ", "ੀਆਂ", "ਾਵਾਂ", "ਈਆਂ", "ਾਈਆਂ", "ਿਆ", "ੀਆ", "ੀਏ", "ਾਂ", "ੇਂ", "ੀਂ",
                "ੋਂ", "ਆਂ", "ਾਈ", "ਈ", "ੀ", "ਾ", "ੇ", "ੋ")


_PA_SUFFIXES_SORTED = tuple(sorted(set(_PA_SUFFIXES), key=len, reverse=True))


def _punjabi(word: str) -> str:
    """Strip one Punjabi inflectional ending, keeping a stem of at least two code points."""
    for suffix in _PA_SUFFIXES_SORTED:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            return word[:-len(suffix)]
    return word


def _spanish_plural(word: str) -> str:
    """Undo Spanish plurals Snowball misses: mujeres, jóvenes, líneas (before stemming)."""
    if len(word) > 4:
        if word.endswith("es") and word[-3] in "rnld":
            return word[:-2]
        if word.endswith(("as", "os")):
            return word[:-1]
    return word


def _raw_stemmer(locale: str) -> Callable[[str], str] | None:
    """Return this thread's uncached stem function for a locale, or None."""
    algorithm = _STEMMERS.get(locale)
    if algorithm is None:
        return None
    if algorithm == "light10":
        return _light10
    if algorithm == "punjabi":
        return _punjabi
    stemmers = getattr(_thread_stemmers, "stemmers", None)
    if stemmers is None:
        stemmers = _thread_stemmers.stemmers = {}
    stemmer = stemmers.get(algorithm)
    if stemmer is None:
        # PyStemmer objects are not thread-safe: one per thread.
        stemmer = stemmers[algorithm] = Stemmer.Stemmer(algorithm)
    stem_word = stemmer.stemWord
    irregular = _IRREGULAR.get(locale)
    if locale == "es":
        return lambda w: stem_word(_spanish_plural(w))
    if irregular:
        return lambda w: stem_word(irregular.get(w, w))
    return stem_word


def stemmer_name(locale: str) -> str | None:
    """Name the stemmer a locale uses ("english", "light10", ...), or None."""
    return _STEMMERS.get(_check_locale(locale))


def _stem_cache(locale: str) -> dict[str, str]:
    """Return the shared word -> stem cache of a locale (cleared when it grows too big)."""
    cache = _stem_caches.get(locale)
    if cache is None:
        cache = _stem_caches.setdefault(locale, {})
    elif len(cache) > _STEM_CACHE_MAX:
        cache.clear()
    return cache


def _key_function(locale: str) -> Callable[[str], str] | None:
    """Return a cached stem function for a locale, or None when it has no stemmer."""
    raw = _raw_stemmer(locale)
    if raw is None:
        return None
    cache = _stem_cache(locale)
    get = cache.get

    def stem(word: str) -> str:
        """Stem one word through the cache."""
        result = get(word)
        if result is None:
            result = cache[word] = raw(word)
        return result

    return stem


class LocaleStemFilter(Filter):
    """Stem tokens with the locale's stemmer; canonical synonym tokens are left alone."""

    is_morph = True

    def __init__(self, locale: str) -> None:
        """Remember the locale; the stemmer is created lazily, one per thread."""
        self.locale = locale

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:
        """Replace each token's text with its stem."""
        raw = _raw_stemmer(self.locale)
        if raw is None:
            yield from tokens
            return
        cache = _stem_cache(self.locale)
        get = cache.get
        prefix = SYNONYM_PREFIX
        for t in tokens:
            if not t.stopped:
                text = t.text
                stem = get(text)
                if stem is None:
                    if text.startswith(prefix):
                        yield t
                        continue
                    stem = cache[text] = raw(text)
                t.text = stem
            yield t
