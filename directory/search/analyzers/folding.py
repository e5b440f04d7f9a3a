"""Tokenising and folding: NFKC, case and accent folding, script normalisation, CJK bigrams,
Korean particles in queries, and script detection."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

from whoosh.analysis import Token, Tokenizer

# Which locales' fields are worth searching for a query written in a script (see detect_script).
SCRIPT_LOCALES: dict[str, tuple[str, ...]] = {
    "latin": ("en", "fr", "es", "vi", "tl"),
    "han": ("zh_Hans", "zh_Hant"),
    "kana": ("zh_Hans", "zh_Hant"),
    "hangul": ("ko",),
    "arabic": ("ar", "fa"),
    "gurmukhi": ("pa",),
}


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
