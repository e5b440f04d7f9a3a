"""The on-disk index: open, share searchers, write under a lock, rebuild aside and swap.

Layout of ``INDEX_DIR``: ``current`` is a symlink to the live generation folder
(``gen-<time>-<pid>``); each generation holds a Whoosh index and ``sync_state.json`` (the last
change-log sequence applied). A rebuild writes a new generation and swaps the symlink atomically,
so searchers never see a half-built index.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from whoosh import index as whoosh_index
from whoosh.index import LockError

from .schema import SCHEMA_VERSION, build_schema

log = logging.getLogger(__name__)
CURRENT = "current"
STATE_FILE = "sync_state.json"


class IndexUnavailable(RuntimeError):
    """The index is missing, damaged or locked for too long."""


class SearchIndex:
    """One process's handle on an index folder: the open index and a reused searcher."""

    def __init__(self, root: str, writer_timeout: float = 10.0):
        self.root = os.path.abspath(root)
        self.writer_timeout = writer_timeout
        self._lock = threading.RLock()
        self._target: str | None = None
        self._ix: Any = None
        self._searcher: Any = None
        self._previous: Any = None
        self._generation: int | None = None
        self.generation_token = 0  # bumps whenever the searcher changes (for caches)

    # -- locations --------------------------------------------------------------------------
    @property
    def current_path(self) -> str:
        return os.path.join(self.root, CURRENT)

    def live_dir(self) -> str | None:
        """The live generation folder, or None when there is no index."""
        try:
            target = os.readlink(self.current_path)
        except OSError:
            return None
        path = os.path.join(self.root, target)
        return path if os.path.isdir(path) else None

    def exists(self) -> bool:
        """Whether an index is in place (it may still be damaged: see ``check_readable``)."""
        live = self.live_dir()
        return live is not None and any(name.endswith(".toc") for name in os.listdir(live))

    # -- reading ----------------------------------------------------------------------------
    def _open(self) -> Any:
        if not self.exists():
            raise IndexUnavailable(f"no search index in {self.root}")
        live = self.live_dir()
        if live != self._target or self._ix is None:
            # A new generation was swapped in. Queries still running on the old searcher keep
            # it until the next swap (its files stay readable on POSIX after removal).
            if self._searcher is not None:
                if self._previous is not None:
                    self._previous.close()
                self._previous = self._searcher
            self._searcher = self._ix = self._target = self._generation = None
            try:
                self._ix = whoosh_index.open_dir(live)
            except Exception as exc:  # Whoosh reports damage as assorted errors
                raise IndexUnavailable(f"cannot open the search index: {exc}") from exc
            self._target = live
        return self._ix

    def searcher(self) -> Any:
        """A searcher on the latest committed state, reused between queries."""
        with self._lock:
            ix = self._open()
            generation = ix.latest_generation()
            if self._searcher is None or generation != self._generation:
                # Not Searcher.refresh(): it reuses segment readers and so misses deletions
                # committed to an existing segment.
                if self._previous is not None:
                    self._previous.close()  # in-flight queries on it finished long ago
                self._previous = self._searcher
                self._searcher = ix.searcher()
                self._generation = generation
                self.generation_token += 1
            return self._searcher

    def close(self) -> None:
        with self._lock:
            for searcher in (self._previous, self._searcher):
                if searcher is not None:
                    searcher.close()
            if self._ix is not None:
                self._ix.close()
            self._searcher = self._previous = self._ix = self._target = None
            self._generation = None

    # -- state ------------------------------------------------------------------------------
    def read_state(self, folder: str | None = None) -> dict[str, Any]:
        folder = folder or self.live_dir()
        if folder is None:
            return {}
        try:
            with open(os.path.join(folder, STATE_FILE), encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return {"applied_seq": 0, "gaps": {}}

    def write_state(self, state: dict[str, Any], folder: str | None = None) -> None:
        folder = folder or self.live_dir()
        if folder is None:
            raise IndexUnavailable("no live index to record sync state in")
        tmp = os.path.join(folder, STATE_FILE + f".{os.getpid()}.tmp")
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(state, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, os.path.join(folder, STATE_FILE))

    # -- writing ----------------------------------------------------------------------------
    @contextmanager
    def writer(self, retries: int = 3) -> Iterator[Any]:
        """A Whoosh writer holding the index lock; waits up to the timeout, retries, then fails.

        Commits when the block ends without error, cancels otherwise.
        """
        ix = self._open()
        attempt = 0
        while True:
            try:
                writer = ix.writer(timeout=self.writer_timeout)
                break
            except LockError:
                attempt += 1
                if attempt > retries:
                    raise IndexUnavailable("the search index is locked by another writer") \
                        from None
                time.sleep(0.05 * attempt)
        try:
            yield writer
        except BaseException:
            writer.cancel()
            raise
        else:
            writer.commit()
        finally:
            gc.collect()  # Whoosh writers keep large buffers alive otherwise

    # -- rebuild ----------------------------------------------------------------------------
    def build_new(self, documents: Iterator[dict[str, Any]], *, state: dict[str, Any],
                  procs: int = 1, progress: Callable[[int], None] | None = None) -> str:
        """Write every document into a new generation folder; return its path."""
        os.makedirs(self.root, exist_ok=True)
        name = f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
        folder = os.path.join(self.root, name)
        os.makedirs(folder)
        try:
            ix = whoosh_index.create_in(folder, build_schema())
            options: dict[str, Any] = {"limitmb": 256}
            if procs > 1:
                options.update(procs=procs, multisegment=True)
            writer = ix.writer(**options)
            try:
                for doc in documents:
                    writer.add_document(**doc)
                    if progress:
                        progress(1)
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
            ix.close()
            gc.collect()
            self.write_state({**state, "schema_version": SCHEMA_VERSION}, folder)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return folder

    def swap_in(self, folder: str) -> None:
        """Make ``folder`` the live index atomically, then remove older generations."""
        link = os.path.join(self.root, f".current-{os.getpid()}-{time.monotonic_ns()}")
        os.symlink(os.path.basename(folder), link)
        os.replace(link, self.current_path)
        keep = {os.path.basename(folder), os.readlink(self.current_path)}
        for entry in os.listdir(self.root):
            if entry.startswith("gen-") and entry not in keep:
                path = os.path.join(self.root, entry)
                # Another process may still be reading it for a moment; Linux keeps open files.
                shutil.rmtree(path, ignore_errors=True)

    @contextmanager
    def rebuild_lock(self, timeout: float = 600.0) -> Iterator[None]:
        """Serialise rebuilds across processes (several workers may start at once)."""
        import fcntl

        os.makedirs(self.root, exist_ok=True)
        with open(os.path.join(self.root, ".rebuild.lock"), "a+") as handle:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise IndexUnavailable("another rebuild is still running") from None
                    time.sleep(0.1)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def check_readable(self) -> bool:
        """Whether the live index opens and answers a query (damage shows only when used)."""
        try:
            searcher = self.searcher()
            searcher.doc_count()
            list(searcher.lexicon("id"))[:1]
            return True
        except Exception as exc:  # noqa: BLE001 - any failure means "rebuild"
            log.warning("search index unreadable: %s", type(exc).__name__)
            self.close()
            return False


_handles: dict[str, SearchIndex] = {}
_handles_lock = threading.Lock()


def get_index(root: str, writer_timeout: float = 10.0) -> SearchIndex:
    """The process-wide handle for the index at ``root``."""
    root = os.path.abspath(root)
    with _handles_lock:
        handle = _handles.get(root)
        if handle is None:
            handle = _handles[root] = SearchIndex(root, writer_timeout)
        return handle


def index_for(app: Any = None) -> SearchIndex:
    """The index handle for the app's ``INDEX_DIR``."""
    from flask import current_app

    config = (app or current_app).config
    return get_index(config["INDEX_DIR"], config["SEARCH_WRITER_TIMEOUT"])
