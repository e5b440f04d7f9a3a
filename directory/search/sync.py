"""Keep the index in step with the database through the change log.

Every committed edit has a ``search_change`` row (written in the edit's own transaction). The
indexer applies pending rows in sequence order, rebuilding each affected service's document from
the database, and records the last sequence applied in the index folder. Applying a row twice is
harmless, so a failed or killed indexer loses nothing: the next sync starts again from the last
recorded sequence. Sequence numbers allocated by transactions that had not committed yet when a
sync ran ("gaps") are retried for a while, so on PostgreSQL a slow transaction is not skipped.

The log is pruned (``flask search prune-log``, directory/ops/retention.py) and replaced after a
restore; both leave the oldest remaining row as a watermark. An index that has not applied every
row before the watermark, or that was built for another log epoch (an ``epoch`` row written by
``flask restore``), cannot catch up row by row and is rebuilt instead (``needs_rebuild``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from .. import models as m
from ..extensions import db
from .changes import CHANGED_KEY
from .schema import SCHEMA_VERSION
from .documents import Taxonomy, iter_documents, load_curated_synonyms, load_records
from .index import IndexUnavailable, SearchIndex, index_for

log = logging.getLogger(__name__)
BATCH = 1000
EPOCH_ENTITY = "epoch"  # a change-log row written by `flask restore`; applying it is a no-op
GAP_TTL_SECONDS = 600  # a transaction open longer than this is treated as rolled back


@dataclass
class SyncReport:
    applied: int = 0
    updated: int = 0
    deleted: int = 0
    last_seq: int = 0
    errors: list[str] = field(default_factory=list)
    rebuilt: bool = False


def max_seq(session: Session) -> int:
    return session.scalar(sa.select(sa.func.max(m.SearchChange.seq))) or 0


def log_epoch(session: Session) -> str | None:
    """The id of the latest restore's ``epoch`` row, or None for a log never restored."""
    return session.scalar(sa.select(m.SearchChange.entity_id)
                          .where(m.SearchChange.entity == EPOCH_ENTITY)
                          .order_by(m.SearchChange.seq.desc()).limit(1))


def needs_rebuild(index: SearchIndex, session: Session) -> str | None:
    """Why the index cannot catch up row by row (it missed pruned rows, or the log was
    replaced by a restore), or None when it can."""
    state = index.read_state()
    if state and int(state.get("schema_version", 0)) != SCHEMA_VERSION:
        return "the index was built for another document format"
    oldest = session.scalar(sa.select(sa.func.min(m.SearchChange.seq)))
    if oldest is None:
        return None
    if state.get("epoch") != log_epoch(session):
        return "the database was restored since this index was built"
    # Pruning keeps its newest candidate row, so every row below ``oldest`` is gone for good;
    # an index that stopped before ``oldest - 1`` may have missed some of them.
    if int(state.get("applied_seq", 0)) < oldest - 1:
        return "the index is older than the change log's retention"
    return None


def _rebuild_if_needed(app: Flask, index: SearchIndex, session: Session) -> bool:
    """Rebuild when ``needs_rebuild`` says so (once, when several workers notice together)."""
    reason = needs_rebuild(index, session)
    if reason is None:
        return False
    with index.rebuild_lock():
        reason = needs_rebuild(index, session)  # another worker may have rebuilt meanwhile
    if reason is None:
        return False
    session.rollback()  # no read transaction held open through a long rebuild
    log.warning("search index cannot catch up from the change log (%s); rebuilding it", reason)
    rebuild(app)
    return True


def apply_services(index: SearchIndex, session: Session, service_ids: list[str],
                   default_tz: str, taxonomy: Taxonomy | None = None) -> tuple[int, int]:
    """Re-index the given services (delete those that are gone or not public)."""
    updated = deleted = 0
    services = load_records(service_ids, session=session)
    documents = dict(iter_documents(services, default_tz, taxonomy, session=session))
    with index.writer() as writer:
        for service_id in service_ids:
            doc = documents.get(service_id)
            if doc is None:
                writer.delete_by_term("id", service_id)
                deleted += 1
            else:
                writer.update_document(**doc)
                updated += 1
    return updated, deleted


def sync_pending(app: Flask | None = None, *, session: Session | None = None,
                 progress: Callable[[int], None] | None = None) -> SyncReport:
    """Apply every pending change-log row to the index (idempotent, safe to run any time)."""
    app = app or current_app
    index = index_for(app)
    report = SyncReport()
    own_session = session is None
    session = session or Session(db.engine)
    try:
        if not index.exists():
            raise IndexUnavailable("no search index yet; run `flask search rebuild`")
        report.rebuilt = _rebuild_if_needed(app, index, session)
        taxonomy: Taxonomy | None = None
        while True:
            state = index.read_state()
            applied = int(state.get("applied_seq", 0))
            gaps: dict[str, float] = dict(state.get("gaps", {}))
            gap_seqs = [int(s) for s in gaps]
            query = sa.select(m.SearchChange.seq, m.SearchChange.entity_id).where(
                sa.or_(m.SearchChange.seq > applied,
                       m.SearchChange.seq.in_(gap_seqs) if gap_seqs else sa.false())
            ).order_by(m.SearchChange.seq).limit(BATCH)
            rows = session.execute(query).all()
            if not rows:
                # Forget gaps that never filled: their transactions rolled back.
                now = time.time()
                kept = {s: t for s, t in gaps.items() if now - t < GAP_TTL_SECONDS}
                if kept != gaps:
                    index.write_state({**state, "gaps": kept})
                report.last_seq = applied
                return report
            if taxonomy is None:
                load_curated_synonyms(session)
                taxonomy = Taxonomy.load(session)
            ids = list(dict.fromkeys(entity_id for _seq, entity_id in rows))
            updated, deleted = apply_services(index, session, ids,
                                              app.config["DEFAULT_TIMEZONE"], taxonomy)
            seen = {seq for seq, _id in rows}
            new_applied = max(applied, max(seen))
            now = time.time()
            for seq in seen:
                gaps.pop(str(seq), None)
            for seq in range(applied + 1, new_applied):
                if seq not in seen:
                    gaps.setdefault(str(seq), now)
            index.write_state({**state, "applied_seq": new_applied, "gaps": gaps})
            report.applied += len(rows)
            report.updated += updated
            report.deleted += deleted
            report.last_seq = new_applied
            if progress:
                progress(len(rows))
            # Whoosh rows applied; the same session must see rows committed meanwhile.
            session.rollback()
    finally:
        if own_session:
            session.close()


def rebuild(app: Flask | None = None, *, procs: int = 1,
            progress: Callable[[int], None] | None = None) -> int:
    """Build a complete new index from the database aside, then swap it in. Returns the count."""
    app = app or current_app
    index = index_for(app)
    with index.rebuild_lock(), Session(db.engine) as session:
        start_seq = max_seq(session)
        epoch = log_epoch(session)
        ids = list(session.scalars(sa.select(m.Service.id).where(
            m.Service.is_public).order_by(m.Service.id)))
        load_curated_synonyms(session)  # before the writer processes fork
        taxonomy = Taxonomy.load(session)
        count = 0

        def documents():
            nonlocal count
            for start in range(0, len(ids), 2000):
                chunk = load_records(ids[start:start + 2000], session=session)
                for _id, doc in iter_documents(chunk, app.config["DEFAULT_TIMEZONE"], taxonomy,
                                               session=session):
                    if doc is not None:
                        count += 1
                        yield doc
                session.expunge_all()

        folder = index.build_new(documents(), state={"applied_seq": start_seq, "gaps": {},
                                                            "epoch": epoch},
                                 procs=procs, progress=progress)
        index.swap_in(folder)
    return count


def ensure_index(app: Flask) -> None:
    """At start-up: rebuild a missing or unreadable index, then catch up with the change log."""
    index = index_for(app)
    with app.app_context():
        try:
            if not index.exists() or not index.check_readable():
                with index.rebuild_lock():
                    # Another worker may have rebuilt it while this one waited.
                    needed = not index.exists() or not index.check_readable()
                if needed:
                    log.warning("search index missing or unreadable; rebuilding it")
                    rebuild(app)
            else:
                sync_pending(app)
        except Exception as exc:  # noqa: BLE001 - search degrades to the database meanwhile
            log.error("search index could not be prepared: %s", exc)


def warm_up(app: Flask) -> None:
    """Load what the first searches would otherwise pay for: every segment's stored rows
    scanned into arrays (places, hours, names), facet bitmaps and city centroids.

    Called in each web worker before it takes requests (gunicorn ``post_worker_init``); at
    100k listings this moves several seconds off the first distance or open-now search.
    """
    from .scoring import cache_for
    from .schema import FACET_FIELDS

    with app.app_context():
        try:
            cache = cache_for(index_for(app).searcher())
            for data, _offset in cache.parts:
                data.scanned()
            for fieldname in FACET_FIELDS:
                cache.facet(fieldname)
            cache.place("")
        except Exception as exc:  # noqa: BLE001 - search degrades to the database meanwhile
            log.warning("search caches could not be warmed: %s", type(exc).__name__)


_last_check = 0.0
_check_lock = threading.Lock()


def catch_up(app: Flask, min_interval: float = 1.0) -> None:
    """Apply changes committed by other processes, at most once per ``min_interval`` seconds."""
    global _last_check
    now = time.monotonic()
    if now - _last_check < min_interval or not _check_lock.acquire(blocking=False):
        return
    try:
        _last_check = now
        index = index_for(app)
        if not index.exists():
            return
        with Session(db.engine) as session:
            # "!=", not ">": after a restore the log may restart below this index's position.
            if max_seq(session) != int(index.read_state().get("applied_seq", 0)) or \
                    index.read_state().get("gaps"):
                sync_pending(app, session=session)
    except Exception as exc:  # noqa: BLE001 - never fail a search because sync failed
        log.warning("search catch-up failed, will retry: %s", type(exc).__name__)
    finally:
        _check_lock.release()


def _after_commit(session: Session) -> None:
    changed = session.info.pop(CHANGED_KEY, None)
    if not changed or not has_app_context():
        return
    app = current_app._get_current_object()
    if not app.config.get("SEARCH_SYNC_ON_COMMIT", True):
        return
    try:
        sync_pending(app)
    except IndexUnavailable as exc:
        log.info("search index not ready, changes stay pending: %s", exc)
    except Exception as exc:  # noqa: BLE001 - the edit is committed; sync catches up later
        log.warning("search sync after commit failed, changes stay pending: %s",
                    type(exc).__name__)


def init_app(app: Flask) -> None:
    """Sync after every commit in this app's sessions."""
    if not getattr(init_app, "_registered", False):
        event.listen(Session, "after_commit", _after_commit)
        init_app._registered = True  # type: ignore[attr-defined]
    app.extensions["directory_search"] = True


__all__ = ["EPOCH_ENTITY", "SyncReport", "apply_services", "catch_up", "ensure_index",
           "index_for", "log_epoch", "needs_rebuild", "rebuild", "sync_pending", "Any"]
