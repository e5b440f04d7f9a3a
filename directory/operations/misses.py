"""Counting searches that found nothing: a write the surfaces make after answering.

``search()`` only reads. The public site, the API and the widget call ``count_after_response``
with the answer they showed; the count is written once the response has been sent, in its own
short transaction, so a visitor never waits for it and a failure never breaks a search.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import after_this_request, current_app, has_request_context

from .. import models as m
from ..extensions import db

log = logging.getLogger(__name__)


def record_miss(text: str, locale: str, day: date | None = None) -> None:
    """Count one search that found nothing (upsert, then drop rows past the retention)."""
    query = m.SearchMiss.normalise(text)
    if not query:
        return
    day = day or datetime.now(UTC).date()
    engine = db.engine
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = m.SearchMiss.__table__
    statement = insert(table).values(day=day, locale=locale, query=query, count=1)
    statement = statement.on_conflict_do_update(
        index_elements=["day", "locale", "query"], set_={"count": table.c.count + 1})
    keep = int(current_app.config.get("SEARCH_MISS_RETENTION_DAYS", 90))
    with engine.begin() as conn:
        conn.execute(statement)
        conn.execute(sa.delete(table).where(table.c.day < day - timedelta(days=keep)))


def is_miss(results: Any) -> bool:
    """Whether ``results`` is the first page of a text search that found nothing."""
    return bool(not results.total and results.query and results.page == 1
                and current_app.config.get("RECORD_SEARCH_MISSES", True))


def note_zero_results(results: Any) -> None:
    """Count ``results`` now if they are a miss (statistics never break a search)."""
    if not is_miss(results):
        return
    try:
        record_miss(results.query, results.locale)
    except Exception as exc:  # noqa: BLE001 - statistics must never break a search
        log.warning("could not count a zero-result search: %s", type(exc).__name__)


def count_after_response(results: Any) -> Any:
    """Count a miss once the current response has been sent; return ``results`` as is."""
    if not is_miss(results):
        return results
    if not has_request_context():
        note_zero_results(results)
        return results
    app = current_app._get_current_object()

    @after_this_request
    def _later(response: Any) -> Any:
        def write() -> None:
            with app.app_context():
                note_zero_results(results)

        response.call_on_close(write)
        return response

    return results


def top_misses(days: int, locale: str | None = None, limit: int = 100) -> list[Any]:
    """The most frequent zero-result queries of the last ``days`` days."""
    since = datetime.now(UTC).date() - timedelta(days=days - 1)
    miss = m.SearchMiss
    total = sa.func.sum(miss.count).label("total")
    query = (sa.select(miss.query, miss.locale, total).where(miss.day >= since)
             .group_by(miss.query, miss.locale).order_by(total.desc(), miss.query).limit(limit))
    if locale:
        query = query.where(miss.locale == locale)
    return list(db.session.execute(query))
