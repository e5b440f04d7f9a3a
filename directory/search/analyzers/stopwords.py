"""Stop words per locale (Whoosh's lists where they exist, curated lists elsewhere)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache

from whoosh.analysis import Filter, Token
from whoosh.lang.stopwords import stoplists as _WHOOSH_STOPLISTS

from .folding import LocaleTokenizer

# Whoosh's lists are used for en/fr/es (the Snowball lists), minus a few words that carry meaning
# in our domain ("estado migratorio": immigration status).
_STOP_REMOVE: dict[str, set[str]] = {
    "es": {"estado", "estados", "sentido", "sentidos", "sentida", "sentidas", "sentid", "siente"},
}


# Curated lists for the locales Whoosh has none for. Written naturally; they are normalised with
# the locale's own tokenizer when loaded, and an entry must come out as exactly one token.
_STOP_CURATED: dict[str, str] = {
    "zh_Hans": "的 了 和 与 及 或 在 是 等 之 其 以及 或者 我们 你们 他们 她们 可以 这些 那些 如果 "
               "因为 所以 但是 并且 而且 一个 这个 那个 什么 怎么",
    "zh_Hant": "的 了 和 與 及 或 在 是 等 之 其 以及 或者 我們 你們 他們 她們 可以 這些 那些 如果 "
               "因為 所以 但是 並且 而且 一個 這個 那個 什麼 怎麼",
    "ko": "및 또는 등 또한 위한 위해 통해 대한 있는 있다 것 수 더 그 이 저 그런 이런",
    "pa": "ਦੇ ਦੀ ਦਾ ਦੀਆਂ ਨੂੰ ਵਿੱਚ ਵਿਚ ਅਤੇ ਤੇ ਹੈ ਹਨ ਸੀ ਸਨ ਲਈ ਤੋਂ ਨੇ ਜਾਂ ਇਹ ਉਹ ਕਿ ਵੀ ਨਾਲ ਜੋ ਇੱਕ ਕੇ "
          "ਹੋ ਕਰ ਕੋਈ ਉੱਤੇ ਤਕ ਤੱਕ ਰਾਹੀਂ",
    "ar": "في من على إلى عن مع هذا هذه ذلك تلك التي الذي الذين اللذين و أو ثم كل لا ما هو هي هم "
          "أن إن قد كان كانت عند بين حتى لدى أي بعد قبل غير لم لن ب ل ف يا كما أيضا هناك منذ ضد "
          "خلال حول إذا",
    "fa": "و در به از که این آن را با برای است تا یا هم های ها می شود شده بر یک هر نیز اما اگر پس "
          "باید کند کرد دارد ای هستند بود باشد شما ما او آنها خود چه همه بین",
    "vi": "và của các những là với một này hoặc thì cho ở như nếu để",
    "tl": "ang ng mga sa at ay si ni kay na ito iyon o kung nang din rin po ba para",
}


@lru_cache(maxsize=None)
def _stoplist(locale: str | None) -> frozenset[str]:
    """Return the folded stop words of a locale (empty for the neutral analyzer)."""
    if locale is None:
        return frozenset()
    if locale in _WHOOSH_STOPLISTS:
        words: Iterable[str] = set(_WHOOSH_STOPLISTS[locale]) - _STOP_REMOVE.get(locale, set())
    else:
        words = _STOP_CURATED.get(locale, "").split()
    tokenizer = LocaleTokenizer(locale)
    result = set()
    for word in words:
        texts = [t.text for t in tokenizer(word)]
        if len(texts) == 1:
            result.add(texts[0])
    return frozenset(result)


class LocaleStopFilter(Filter):
    """Remove the locale's stop words, renumbering positions like Whoosh's StopFilter."""

    def __init__(self, locale: str) -> None:
        """Remember the locale; the list is loaded lazily."""
        self.locale = locale

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:
        """Drop (or mark, when removestops is False) stop words."""
        stops = _stoplist(self.locale)
        removed = 0
        for t in tokens:
            if t.text in stops:
                if t.removestops:
                    removed += 1
                    continue
                t.stopped = True
            elif removed and t.positions:
                t.pos -= removed
            yield t
