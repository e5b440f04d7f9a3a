"""Synonym groups: shipped files (synonyms/<locale>.txt) and the back office's curated groups,
compiled per locale into a trie that the SynonymFilter matches on analysed keys."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from whoosh.analysis import Filter, Token

from .folding import _NFKC, LocaleTokenizer, _fold, _fold_cjk, _normalize, _table_for
from .locales import SUPPORTED_LOCALES, SYNONYM_PREFIX, _check_locale
from .stemming import _key_function, _raw_stemmer, _stem_cache
from .stopwords import LocaleStopFilter

SYNONYM_DIR = Path(__file__).resolve().parent.parent / "synonyms"


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
