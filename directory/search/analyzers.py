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

import re
import threading
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import Stemmer
from whoosh.analysis import Analyzer, CompositeAnalyzer, Filter, Token, Tokenizer
from whoosh.lang.stopwords import stoplists as _WHOOSH_STOPLISTS

__all__ = [
    "SUPPORTED_LOCALES",
    "SYNONYM_PREFIX",
    "SCRIPT_LOCALES",
    "LocaleTokenizer",
    "LocaleStopFilter",
    "SynonymFilter",
    "LocaleStemFilter",
    "analyzer_for",
    "folding_analyzer",
    "synonym_groups",
    "reload_synonyms",
    "set_curated_synonyms",
    "synonyms_version",
    "is_synonym_token",
    "stemmer_name",
    "detect_script",
]

SUPPORTED_LOCALES: tuple[str, ...] = (
    "en", "fr", "es", "zh_Hans", "zh_Hant", "pa", "ar", "fa", "ko", "vi", "tl",
)

# Canonical synonym tokens look like "syn:en:shelter". The tokenizer never produces ":" inside a
# token, so nobody can type one.
SYNONYM_PREFIX = "syn:"

# Which locales' fields are worth searching for a query written in a script (see detect_script).
SCRIPT_LOCALES: dict[str, tuple[str, ...]] = {
    "latin": ("en", "fr", "es", "vi", "tl"),
    "han": ("zh_Hans", "zh_Hant"),
    "kana": ("zh_Hans", "zh_Hant"),
    "hangul": ("ko",),
    "arabic": ("ar", "fa"),
    "gurmukhi": ("pa",),
}

SYNONYM_DIR = Path(__file__).resolve().parent / "synonyms"

# --------------------------------------------------------------------------------------------
# Character classes (built once, lazily) and the token patterns
# --------------------------------------------------------------------------------------------

_HAN = ("\u2e80-\u2fdf\u3005\u3007\u3021-\u3029\u3038-\u303b\u3400-\u4dbf\u4e00-\u9fff"
        "\uf900-\ufaff\U00020000-\U0003134f")
_KANA = "\u3041-\u309f\u30a1-\u30fa\u30fc-\u30ff\u31f0-\u31ff\uff66-\uff9f\U0001b000-\U0001b16f"
_HANGUL = "\u1100-\u11ff\u3131-\u318e\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff\uffa0-\uffdc"
_CJK = _HAN + _KANA + _HANGUL
# Invisible characters that may sit inside a word: soft hyphen, zero width joiner, word joiner.
_JOINERS = "\u00ad\u200d\u2060"
_APOSTROPHES = "'\u2019\u02bc"


def _mark_class() -> str:
    """Return a regex class body covering every combining mark (Unicode category M*)."""
    category = unicodedata.category
    parts: list[str] = []
    start = -1
    for cp in range(0x1F000):
        if category(chr(cp))[0] == "M":
            if start < 0:
                start = cp
        elif start >= 0:
            end = cp - 1
            parts.append(f"\\U{start:08x}" if start == end else f"\\U{start:08x}-\\U{end:08x}")
            start = -1
    parts.append("\\U000e0100-\\U000e01ef")  # variation selectors supplement
    return "".join(parts)


class _Patterns:
    """The compiled token patterns; group 1 of each is a CJK run."""

    __slots__ = ("fast", "fast_apos", "full", "full_apos", "has_marks")

    def __init__(self) -> None:
        """Compile the patterns (once, on first use: the mark class takes ~20 ms to build)."""
        marks = _mark_class() + _JOINERS
        cjk = f"([{_CJK}]+)"
        # Fast: letters and digits only. Python's re is much slower with the big mark class, so
        # it is used only for text that has a combining mark or joiner (Gurmukhi, Arabic
        # harakat, decomposed accents...); letters without marks tokenise identically.
        fast_char = f"[^\\W_{_CJK}]"
        full_char = f"(?:{fast_char}|[{marks}])"
        self.fast = re.compile(f"{cjk}|{fast_char}+(?:\\.{fast_char}+)*")
        self.fast_apos = re.compile(f"{cjk}|{fast_char}+(?:[.{_APOSTROPHES}]{fast_char}+)*")
        self.full = re.compile(f"{cjk}|{full_char}+(?:\\.{full_char}+)*")
        self.full_apos = re.compile(f"{cjk}|{full_char}+(?:[.{_APOSTROPHES}]{full_char}+)*")
        self.has_marks = re.compile(f"[{marks}]").search


@lru_cache(maxsize=None)
def _patterns() -> _Patterns:
    """Return the compiled token patterns."""
    return _Patterns()


_HANGUL_SYLLABLE_FIRST, _HANGUL_SYLLABLE_LAST = "\uac00", "\ud7a3"
_NONSPACE = re.compile(r"\S+")

# --------------------------------------------------------------------------------------------
# Folding tables
# --------------------------------------------------------------------------------------------

# Generic combining diacritics, removed after NFD. Only these ranges: they are never a letter's
# essential part in Arabic, Gurmukhi, Hangul or Kana.
_STRIP_DIACRITICS: dict[int, None] = dict.fromkeys(
    [*range(0x0300, 0x0370), *range(0x1AB0, 0x1B00), *range(0x1DC0, 0x1E00),
     *range(0x20D0, 0x2100), *range(0xFE20, 0xFE30)]
)


def _base_table() -> dict[int, Any]:
    """Build the translate table shared by every locale (applied after casefold)."""
    table: dict[int, Any] = {}
    # Latin letters that NFD does not decompose.
    for src, dst in {"đ": "d", "ð": "d", "ø": "o", "ł": "l", "ħ": "h", "ŧ": "t", "ı": "i",
                     "ŀ": "l", "æ": "ae", "œ": "oe", "þ": "th", "ĸ": "k"}.items():
        table[ord(src)] = dst
    for ch in _APOSTROPHES:
        table[ord(ch)] = "'"
    # Invisible joiners and variation selectors vanish.
    for cp in [0x00AD, 0x200D, 0x2060, *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)]:
        table[cp] = None
    # Decimal digits of our scripts -> ASCII (NFKC leaves them alone).
    for zero in (0x0660, 0x06F0, 0x0966, 0x0A66):
        for i in range(10):
            table[zero + i] = str(i)
    # Arabic script: tatweel, harakat and Quranic marks go; alef forms become bare alef.
    for cp in [0x0640, *range(0x0610, 0x061B), *range(0x064B, 0x0660), 0x0670,
               *range(0x06D6, 0x06DD), *range(0x06DF, 0x06E9), *range(0x06EA, 0x06EE)]:
        table[cp] = None
    for cp in (0x0622, 0x0623, 0x0625, 0x0671, 0x0672, 0x0673):
        table[cp] = "\u0627"
    table[0x0629] = "\u0647"  # teh marbuta -> heh
    table[0x06C0] = "\u0647"  # heh with yeh above -> heh
    table[0x06D5] = "\u0647"  # ae -> heh
    # Arabic spelling of yeh and kaf by default (Persian spelling: see _table_for).
    for cp in (0x0649, 0x06CC, 0x06D2):
        table[cp] = "\u064a"
    table[0x06A9] = "\u0643"
    # Gurmukhi: tippi and bindi are positional variants; the nukta is dropped like an accent.
    table[0x0A70] = "\u0a02"
    table[0x0A3C] = None
    for src, dst in {0x0A33: 0x0A32, 0x0A36: 0x0A38, 0x0A59: 0x0A16, 0x0A5A: 0x0A17,
                     0x0A5B: 0x0A1C, 0x0A5E: 0x0A2B}.items():
        table[src] = chr(dst)
    return table


@lru_cache(maxsize=None)
def _table_for(locale: str | None) -> dict[int, Any]:
    """Return the translate table of a locale (Persian keeps the Persian yeh and keheh)."""
    table = _base_table()
    if locale == "fa":
        for cp in (0x0649, 0x064A, 0x06D2):
            table[cp] = "\u06cc"
        table[0x0643] = "\u06a9"
        table.pop(0x06CC, None)
        table.pop(0x06A9, None)
    return table


# Traditional -> Simplified for characters our directory actually uses. One way only: every
# Traditional character here has exactly one Simplified form, and none of them is itself a
# Simplified character with another meaning. Characters written the same in both are not listed.
_T2S_PAIRS = (
    "檢检測测傳传愛爱醫医療疗診诊護护藥药婦妇兒儿輕轻諮咨詢询輔辅導导侶侣親亲擊击姦奸強强"
    "節节緊紧後后預预墮堕終终懷怀線线熱热機机構构務务費费協协會会權权師师問问題题難难過过"
    "語语華华話话電电號号碼码時时間间開开關关門门專专業业員员們们這这為为與与對对於于從从"
    "應应該该體体習习學学處处織织組组團团區区縣县鄉乡鎮镇聯联絡络係系統统資资訊讯網网頁页"
    "約约驗验結结報报證证簽签錄录記记憶忆隱隐陽阳陰阴傷伤創创災灾幫帮顧顾憂忧鬱郁壓压張张"
    "慮虑殺杀濫滥癮瘾齡龄殘残礙碍聽听見见視视覺觉無无償偿錢钱價价險险衛卫離离戀恋別别雙双"
    "變变轉转換换認认識识兩两個个單单獨独舉举辦办參参議议論论說说講讲讀读寫写譯译註注飲饮"
    "臨临長长遠远邊边給给發发髮发現现實实際际歲岁產产嬰婴術术內内條条規规則则計计劃划畫画"
    "財财貸贷補补貼贴絕绝總总館馆廳厅樓楼層层樂乐歡欢請请謝谢確确園园廣广東东車车鐵铁運运"
    "動动負负責责獲获隨随連连續续斷断選选擇择適适當当況况狀状態态騷骚擾扰淩凌騙骗詐诈販贩"
    "賣卖剝剥勞劳嚴严種种類类戶户裡里裏里麼么眾众鄰邻屬属義义訪访詳详細细額额據据經经濟济"
    "環环決决勵励衝冲脅胁綁绑驅驱趕赶撫抚養养監监獄狱訟讼謀谋槍枪紀纪檔档頭头腦脑臟脏膚肤"
    "瘡疮癒愈懼惧願愿誌志盡尽盤盘錯错聲声達达農农滿满繫系歸归復复雜杂雖虽"
    "輪轮廁厕幣币壞坏戰战爭争篩筛複复"
)
_T2S: dict[int, int] = {ord(_T2S_PAIRS[i]): ord(_T2S_PAIRS[i + 1])
                        for i in range(0, len(_T2S_PAIRS), 2)}

_FR_ELISIONS = frozenset({"l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu",
                          "puisqu", "quoiqu"})

# Korean particles dropped from the end of a Hangul run in query mode, longest first.
_KO_PARTICLES: tuple[frozenset[str], ...] = (
    frozenset({"에서는", "에게서", "으로는", "으로써", "이라는"}),
    frozenset({"에서", "에게", "한테", "으로", "까지", "부터", "처럼", "보다", "이나", "이랑",
               "하고", "라는", "께서", "에는", "와의", "과의", "로는"}),
    frozenset({"을", "를", "은", "는", "이", "가", "의", "에", "로", "와", "과", "도", "만",
               "랑", "께"}),
)

_NFKC, _NFD, _NFC = "NFKC", "NFD", "NFC"
_normalize = unicodedata.normalize
_is_normalized = unicodedata.is_normalized


def _apostrophe_mode(locale: str | None) -> str | None:
    """Return how a locale treats apostrophes inside words ("en", "fr" or None: split)."""
    return locale if locale in ("en", "fr") else None


def _fold_apostrophes(text: str, mode: str) -> str:
    """Drop English possessives or French elisions, then the remaining apostrophes."""
    if mode == "en":
        if text.endswith("'s"):
            text = text[:-2]
    else:
        head, _, tail = text.partition("'")
        if head in _FR_ELISIONS:
            text = tail
    return text.replace("'", "")


def _fold(text: str, table: dict[int, Any], apostrophes: str | None) -> str:
    """Case-fold and accent-fold one word (already NFKC) with the locale's table."""
    if text.isascii():
        text = text.lower()
    else:
        text = text.casefold().translate(table)
        if not text.isascii():
            stripped = _normalize(_NFD, text).translate(_STRIP_DIACRITICS)
            if stripped != text:
                text = _normalize(_NFC, stripped)
    if apostrophes is not None and "'" in text:
        text = _fold_apostrophes(text, apostrophes)
    return text


def _fold_cjk(run: str) -> str:
    """Normalise a CJK run: Traditional -> Simplified for the mapped characters."""
    return run.translate(_T2S)


def _strip_korean_particle(run: str) -> str:
    """Drop one trailing Korean particle from a Hangul run, keeping at least two syllables."""
    n = len(run)
    for size, particles in zip((3, 2, 1), _KO_PARTICLES):
        if n - size >= 2 and run[-size:] in particles:
            return run[:-size]
    return run


def _nfkc_segments(value: str) -> Iterator[tuple[str, int, bool, int]]:
    """Yield (normalised chunk, start, offsets exact?, end) for each whitespace-free chunk."""
    for m in _NONSPACE.finditer(value):
        chunk = m.group()
        if _is_normalized(_NFKC, chunk):
            yield chunk, m.start(), True, m.end()
        else:
            norm = _normalize(_NFKC, chunk)
            yield norm, m.start(), len(norm) == len(chunk), m.end()


# --------------------------------------------------------------------------------------------
# Tokenizer
# --------------------------------------------------------------------------------------------


class LocaleTokenizer(Tokenizer):
    """Tokenize and fold text for a locale (None: language-neutral), with CJK bigrams."""

    def __init__(self, locale: str | None = None) -> None:
        """Remember the locale; everything else is looked up lazily by locale name."""
        self.locale = locale

    def __eq__(self, other: object) -> bool:
        """Equal when the same class and locale (Whoosh compares schemas)."""
        return type(self) is type(other) and self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        """Hash on the class and locale."""
        return hash((type(self).__name__, self.locale))

    def __call__(self, value: str, positions: bool = False, chars: bool = False,
                 keeporiginal: bool = False, removestops: bool = True, start_pos: int = 0,
                 start_char: int = 0, tokenize: bool = True, mode: str = "",
                 **kwargs: Any) -> Iterator[Token]:
        """Yield one reused Token per word, CJK bigram or unigram."""
        if not isinstance(value, str):
            value = str(value)
        locale = self.locale
        table = _table_for(locale)
        apostrophes = _apostrophe_mode(locale)
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)

        if not tokenize:
            text = _fold(_normalize(_NFKC, value), table, apostrophes)
            text = _fold_cjk(text).strip()
            if text:
                t.text = text
                t.verbatim = True
                t.boost = 1.0
                if keeporiginal:
                    t.original = value
                if positions:
                    t.pos = start_pos
                if chars:
                    t.startchar = start_char
                    t.endchar = start_char + len(value)
                yield t
            return

        patterns = _patterns()
        if apostrophes:
            fast, full = patterns.fast_apos.finditer, patterns.full_apos.finditer
        else:
            fast, full = patterns.fast.finditer, patterns.full.finditer
        has_marks = patterns.has_marks
        strip_particles = mode == "query"
        pos = start_pos
        if _is_normalized(_NFKC, value):
            segments: Iterable[tuple[str, int, bool, int]] = ((value, 0, True, len(value)),)
        else:
            segments = _nfkc_segments(value)

        for segment, base, exact, seg_end in segments:
            offset = start_char + base
            finditer = fast if segment.isascii() or not has_marks(segment) else full
            for m in finditer(segment):
                if m.lastindex:
                    # A run of Han/Kana/Hangul: overlapping bigrams, or one unigram.
                    raw = m.group(1)
                    run = _fold_cjk(raw)
                    if strip_particles and len(run) > 2 and \
                            _HANGUL_SYLLABLE_FIRST <= run[-1] <= _HANGUL_SYLLABLE_LAST:
                        run = _strip_korean_particle(run)
                    start = m.start()
                    n = len(run)
                    for i in range(n - 1 if n > 1 else 1):
                        t.text = run[i:i + 2]
                        t.boost = 1.0
                        t.stopped = False
                        if keeporiginal:
                            t.original = raw[i:i + 2]
                        if positions:
                            t.pos = pos
                        pos += 1
                        if chars:
                            if exact:
                                t.startchar = offset + start + i
                                t.endchar = offset + start + i + min(2, n)
                            else:
                                t.startchar = start_char + base
                                t.endchar = start_char + seg_end
                        yield t
                    continue
                raw = m.group()
                if raw.isascii():
                    text = raw.lower()
                    if apostrophes is not None and "'" in text:
                        text = _fold_apostrophes(text, apostrophes)
                        if not text:
                            continue
                else:
                    text = _fold(raw, table, apostrophes)
                    if not text:
                        continue
                t.text = text
                t.boost = 1.0
                t.stopped = False
                if keeporiginal:
                    t.original = raw
                if positions:
                    t.pos = pos
                pos += 1
                if chars:
                    if exact:
                        t.startchar = offset + m.start()
                        t.endchar = offset + m.end()
                    else:
                        t.startchar = start_char + base
                        t.endchar = start_char + seg_end
                yield t


# --------------------------------------------------------------------------------------------
# Stop words
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# Stemming
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# Synonyms
# --------------------------------------------------------------------------------------------

_GROUP_SPLIT = re.compile("[,\u060c\uff0c\u3001]")
_synonym_lock = threading.RLock()
_synonym_cache: dict[str, _SynonymData] = {}


class _Node:
    """A trie node: the canonical token ending here (if any) and the next keys."""

    __slots__ = ("canon", "next")

    def __init__(self) -> None:
        """Start empty."""
        self.canon: str | None = None
        self.next: dict[str, _Node] = {}


class _SynonymData:
    """A locale's compiled synonyms: merged groups and a trie of member key sequences."""

    __slots__ = ("groups", "root")

    def __init__(self, groups: list[list[str]], root: dict[str, _Node]) -> None:
        """Hold the merged groups and the trie root."""
        self.groups = groups
        self.root = root


def _check_locale(locale: str) -> str:
    """Return the supported spelling of a locale code or raise ValueError."""
    if locale in SUPPORTED_LOCALES:
        return locale
    wanted = str(locale).replace("-", "_").lower()
    for code in SUPPORTED_LOCALES:
        if code.lower() == wanted:
            return code
    raise ValueError(f"unsupported locale {locale!r}; expected one of {SUPPORTED_LOCALES}")


def _read_synonym_file(locale: str) -> list[list[str]]:
    """Parse synonyms/<locale>.txt: one comma-separated group per line, # starts a comment."""
    path = SYNONYM_DIR / f"{locale}.txt"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    groups = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        members = [" ".join(m.split()) for m in _GROUP_SPLIT.split(line)]
        members = [m for m in members if m]
        if len(members) >= 2:
            groups.append(members)
    return groups


def _member_keys(locale: str, member: str) -> tuple[str, ...]:
    """Analyse a synonym member exactly as documents are analysed before the synonym filter."""
    tokens = LocaleStopFilter(locale)(LocaleTokenizer(locale)(member, mode="index"))
    texts = [t.text for t in tokens]
    stem = _key_function(locale)
    if stem is not None:
        texts = [stem(x) for x in texts]
    return tuple(texts)


_curated: dict[str, list[list[str]]] = {}
_version = [0]  # bumped whenever the effective synonym groups may have changed


def synonyms_version() -> int:
    """A number that changes whenever the synonym groups do (for caches built on them)."""
    return _version[0]


def set_curated_synonyms(groups: dict[str, list[list[str]]]) -> bool:
    """Use these groups (curated in the back office) beside the files; True if they changed.

    Groups sharing a member with a file group or with each other are merged, as in the files.
    """
    cleaned = {}
    for locale, locale_groups in groups.items():
        if locale in SUPPORTED_LOCALES:
            kept = [list(g) for g in locale_groups if len(g) >= 2]
            if kept:
                cleaned[locale] = kept
    with _synonym_lock:
        if cleaned == _curated:
            return False
        _curated.clear()
        _curated.update(cleaned)
        _synonym_cache.clear()
        _version[0] += 1
    return True


def _compile_synonyms(locale: str) -> _SynonymData:
    """Read, merge and compile a locale's synonym groups (the file's, then curated ones)."""
    raw_groups = _read_synonym_file(locale) + [list(g) for g in _curated.get(locale, [])]
    keys_of = [[(_member_keys(locale, m), m) for m in g] for g in raw_groups]
    # Groups that share a member (after folding and stemming) are merged, so that each key
    # sequence has exactly one canonical token.
    parent = list(range(len(raw_groups)))

    def find(i: int) -> int:
        """Return the representative group of group ``i`` (union-find)."""
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[tuple[str, ...], int] = {}
    for gi, members in enumerate(keys_of):
        for keys, _member in members:
            if not keys:
                continue
            if keys in owner:
                a, b = find(owner[keys]), find(gi)
                if a != b:
                    parent[max(a, b)] = min(a, b)
            else:
                owner[keys] = gi
    merged: dict[int, list[tuple[tuple[str, ...], str]]] = {}
    for gi, members in enumerate(keys_of):
        merged.setdefault(find(gi), []).extend(members)

    root: dict[str, _Node] = {}
    groups: list[list[str]] = []
    used_labels: set[str] = set()
    table = _table_for(locale)
    for members in merged.values():
        seen: set[tuple[str, ...]] = set()
        names: list[str] = []
        usable = []
        for keys, member in members:
            if member not in names:
                names.append(member)
            if keys and keys not in seen:
                seen.add(keys)
                usable.append(keys)
        if len(usable) < 2:
            continue
        label = "_".join(_fold_cjk(_fold(word, table, None))
                         for word in _normalize(_NFKC, names[0]).replace("\u200c", " ").split())
        canon = f"{SYNONYM_PREFIX}{locale}:{label}"
        n = 2
        while canon in used_labels:
            canon = f"{SYNONYM_PREFIX}{locale}:{label}~{n}"
            n += 1
        used_labels.add(canon)
        groups.append(names)
        for keys in usable:
            level = root
            node = None
            for key in keys:
                node = level.get(key)
                if node is None:
                    node = level[key] = _Node()
                level = node.next
            assert node is not None
            node.canon = canon
    return _SynonymData(groups, root)


def _synonyms(locale: str) -> _SynonymData:
    """Return a locale's compiled synonyms, compiling them once."""
    data = _synonym_cache.get(locale)
    if data is None:
        with _synonym_lock:
            data = _synonym_cache.get(locale)
            if data is None:
                data = _synonym_cache[locale] = _compile_synonyms(locale)
    return data


def synonym_groups(locale: str) -> list[list[str]]:
    """Return a locale's effective synonym groups (as written; groups sharing a member merged)."""
    return [list(g) for g in _synonyms(_check_locale(locale)).groups]


def reload_synonyms() -> None:
    """Forget the loaded synonym files so the next analysis reads them again (then reindex)."""
    with _synonym_lock:
        _synonym_cache.clear()
        _version[0] += 1


def is_synonym_token(text: str) -> bool:
    """Tell whether an indexed term is a canonical synonym token (hide it from suggestions)."""
    return text.startswith(SYNONYM_PREFIX)


_new_object = object.__new__


def _copy(token: Token) -> Token:
    """Copy a token (cheaper than Token.copy, which goes through __init__)."""
    c = _new_object(Token)
    c.__dict__.update(token.__dict__)
    return c


def _canonical(source: Token, canon: str, at: Token, start: Token, end: Token) -> Token:
    """Build the canonical token for a member spanning start..end, positioned at ``at``."""
    c = _copy(source)
    c.text = canon
    c.stopped = False
    if c.positions:
        c.pos = at.pos
    if c.chars:
        c.startchar = start.startchar
        c.endchar = end.endchar
    return c


def _queue(entry: list[Any], token: Token) -> None:
    """Queue a canonical token to follow a pending token (once per text and position)."""
    queued = entry[2]
    if queued is None:
        entry[2] = [token]
        return
    pos = getattr(token, "pos", None)
    text = token.text
    if all(q.text != text or getattr(q, "pos", None) != pos for q in queued):
        queued.append(token)


def _emit(entry: list[Any], out: list[Token], last_pos: dict[str, int]) -> None:
    """Move a pending token and the canonical tokens queued after it to ``out``."""
    out.append(entry[0])
    queued = entry[2]
    if not queued:
        return
    if not entry[0].positions:
        out.extend(queued)
        return
    if len(queued) > 1:
        queued.sort(key=lambda q: q.pos)
    for c in queued:
        # Whoosh encodes each term's positions as increasing deltas: never go backwards.
        if c.pos > last_pos.get(c.text, -1):
            last_pos[c.text] = c.pos
            out.append(c)


def _drain(pending: list[list[Any]], root: dict[str, _Node], replace: bool, final: bool,
           out: list[Token], last_pos: dict[str, int]) -> None:
    """Move every pending token whose matches are decided to ``out``; keep the rest buffered."""
    # Index mode queues each match's canonical token after the member's last token, at every
    # position the member covers (just the first when positions are off), each spanning the
    # member's characters. Keeping them after the member (instead of before its first word)
    # lets Whoosh's fragmenters see the member's words as context first and merge the
    # canonical tokens into one highlight.
    while pending:
        head = pending[0]
        node = root.get(head[1]) if head[1] is not None else None
        matches: list[tuple[int, str]] = []
        if node is not None:
            if node.canon:
                matches.append((0, node.canon))
            level = node.next
            j = 1
            size = len(pending)
            while level:
                while j < size and pending[j][1] is None:
                    j += 1  # stop words marked (not removed) are transparent
                if j >= size:
                    if not final:
                        return  # need more tokens to decide
                    break
                child = level.get(pending[j][1])
                if child is None:
                    break
                if child.canon:
                    matches.append((j, child.canon))
                level = child.next
                j += 1
        head_token = head[0]
        if matches and replace:
            end, canon = matches[-1]
            out.append(_canonical(head_token, canon, head_token, head_token, pending[end][0]))
            del pending[:end + 1]
            continue
        for end, canon in matches:
            end_entry = pending[end]
            end_token = end_entry[0]
            _queue(end_entry, _canonical(head_token, canon, head_token, head_token, end_token))
            if end and head_token.positions:
                for entry in pending[1:end + 1]:
                    if entry[1] is not None:  # not a stop word kept for highlighting
                        _queue(end_entry,
                               _canonical(head_token, canon, entry[0], head_token, end_token))
        _emit(head, out, last_pos)
        del pending[0]


class SynonymFilter(Filter):
    """Add (index) or substitute (query) the canonical token of curated synonym groups."""

    # Marked morphological so Whoosh's spelling analysis (no_morph=True) leaves it out.
    is_morph = True

    def __init__(self, locale: str) -> None:
        """Remember the locale; the groups are loaded lazily by name."""
        self.locale = locale

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:
        """Match member key sequences (stems) with a small lookahead buffer."""
        locale = self.locale
        root = _synonyms(locale).root
        tokens = iter(tokens)
        if not root:
            yield from tokens
            return
        raw_stem = _raw_stemmer(locale)
        cache = _stem_cache(locale) if raw_stem is not None else {}
        get = cache.get
        pending: list[list[Any]] = []  # [token copy, key or None if stopped, canonicals after]
        out: list[Token] = []
        last_pos: dict[str, int] = {}
        replace: bool | None = None
        for t in tokens:
            if replace is None:
                if getattr(t, "verbatim", False):
                    yield t
                    yield from tokens
                    return
                replace = t.mode == "query" and bool(t.removestops)
            if t.stopped:
                if not pending:
                    yield t
                    continue
                key = None
            else:
                key = text = t.text
                if raw_stem is not None:
                    key = get(text)
                    if key is None:
                        key = cache[text] = raw_stem(text)
                if not pending and key not in root:
                    yield t
                    continue
            pending.append([_copy(t), key, None])
            _drain(pending, root, replace, False, out, last_pos)
            if out:
                yield from out
                out.clear()
        if pending:
            _drain(pending, root, bool(replace), True, out, last_pos)
            yield from out


# --------------------------------------------------------------------------------------------
# Public constructors
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Script detection
# --------------------------------------------------------------------------------------------

_SCRIPT_RANGES: tuple[tuple[int, int, str], ...] = (
    (0x0041, 0x005A, "latin"), (0x0061, 0x007A, "latin"), (0x00C0, 0x024F, "latin"),
    (0x0250, 0x02AF, "latin"), (0x0370, 0x03FF, "greek"), (0x0400, 0x052F, "cyrillic"),
    (0x0530, 0x058F, "armenian"), (0x0590, 0x05FF, "hebrew"), (0x0600, 0x06FF, "arabic"),
    (0x0700, 0x074F, "syriac"), (0x0750, 0x077F, "arabic"), (0x08A0, 0x08FF, "arabic"),
    (0x0900, 0x097F, "devanagari"), (0x0980, 0x09FF, "bengali"), (0x0A00, 0x0A7F, "gurmukhi"),
    (0x0A80, 0x0AFF, "gujarati"), (0x0B80, 0x0BFF, "tamil"), (0x0E00, 0x0E7F, "thai"),
    (0x1100, 0x11FF, "hangul"), (0x1200, 0x137F, "ethiopic"), (0x1780, 0x17FF, "khmer"),
    (0x1E00, 0x1EFF, "latin"), (0x2E80, 0x2FDF, "han"), (0x3005, 0x3007, "han"),
    (0x3021, 0x3029, "han"), (0x3041, 0x309F, "kana"), (0x30A0, 0x30FF, "kana"),
    (0x3130, 0x318F, "hangul"), (0x31F0, 0x31FF, "kana"), (0x3400, 0x4DBF, "han"),
    (0x4E00, 0x9FFF, "han"), (0xA960, 0xA97F, "hangul"), (0xAC00, 0xD7FF, "hangul"),
    (0xF900, 0xFAFF, "han"), (0xFB50, 0xFDFF, "arabic"), (0xFE70, 0xFEFF, "arabic"),
    (0xFF21, 0xFF3A, "latin"), (0xFF41, 0xFF5A, "latin"), (0xFF66, 0xFF9F, "kana"),
    (0xFFA0, 0xFFDC, "hangul"), (0x20000, 0x3134F, "han"),
)
_SCRIPT_STARTS = [r[0] for r in _SCRIPT_RANGES]


def detect_script(text: str) -> str:
    """Return the script most of the text's letters are in ("latin", "han", ...; "unknown")."""
    counts: dict[str, int] = {}
    starts, ranges = _SCRIPT_STARTS, _SCRIPT_RANGES
    for ch in text:
        if ch.isascii():
            if ch.isalpha():
                counts["latin"] = counts.get("latin", 0) + 1
            continue
        if not ch.isalpha():
            continue
        cp = ord(ch)
        i = bisect_right(starts, cp) - 1
        if i >= 0 and cp <= ranges[i][1]:
            name = ranges[i][2]
        else:
            name = "other"
        counts[name] = counts.get(name, 0) + 1
    if not counts:
        return "unknown"
    return max(counts.items(), key=lambda item: item[1])[0]
