"""Searches that found nothing, as daily counts per locale: the words people use that we lack.

Only the normalised query text, the day and a count are kept: no address, no time finer than a
day, nothing that links two searches to one person. Rows older than the retention are dropped.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, request
from flask_admin import expose

from ..extensions import db
from .access import EDITORS, SecureView

log = logging.getLogger(__name__)
MAX_QUERY_LENGTH = 200

search_miss = sa.Table(
    "search_miss", db.metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("locale", sa.String(16), primary_key=True),
    sa.Column("query", sa.String(MAX_QUERY_LENGTH), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False, default=1),
)


def normalise(text: str) -> str:
    """Lower-case, single-spaced, capped: one row for the same words however they were typed."""
    return " ".join(text.lower().split())[:MAX_QUERY_LENGTH]


def record_miss(text: str, locale: str, day: date | None = None) -> None:
    """Count one search that found nothing (in its own short transaction)."""
    query = normalise(text)
    if not query:
        return
    day = day or datetime.now(UTC).date()
    engine = db.engine
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(search_miss).values(day=day, locale=locale, query=query, count=1)
    statement = statement.on_conflict_do_update(
        index_elements=["day", "locale", "query"],
        set_={"count": search_miss.c.count + 1})
    keep = int(current_app.config.get("SEARCH_MISS_RETENTION_DAYS", 90))
    with engine.begin() as conn:
        conn.execute(statement)
        conn.execute(sa.delete(search_miss).where(search_miss.c.day < day - timedelta(days=keep)))


def note_zero_results(results: Any) -> Any:
    """Record ``results`` if a first page of a text search found nothing; return them as is."""
    if results.total or not results.query or results.page != 1:
        return results
    if not current_app.config.get("RECORD_SEARCH_MISSES", True):
        return results
    try:
        record_miss(results.query, results.locale)
    except Exception as exc:  # noqa: BLE001 - statistics must never break a search
        log.warning("could not count a zero-result search: %s", type(exc).__name__)
    return results


def top_misses(days: int, locale: str | None = None, limit: int = 100) -> list[Any]:
    """The most frequent zero-result queries of the last ``days`` days."""
    since = datetime.now(UTC).date() - timedelta(days=days - 1)
    total = sa.func.sum(search_miss.c.count).label("total")
    query = (sa.select(search_miss.c.query, search_miss.c.locale, total)
             .where(search_miss.c.day >= since)
             .group_by(search_miss.c.query, search_miss.c.locale)
             .order_by(total.desc(), search_miss.c.query).limit(limit))
    if locale:
        query = query.where(search_miss.c.locale == locale)
    return list(db.session.execute(query))


class SearchMissView(SecureView):
    """Zero-result searches: counts only."""

    roles = EDITORS

    @expose("/")
    def index(self) -> Any:
        try:
            days = int(request.args.get("days", 30))
        except ValueError:
            days = 30
        days = min(max(days, 1), 365)
        locale = request.args.get("locale") or None
        return self.render("admin/search_misses.html", days=days, locale=locale,
                           rows=top_misses(days, locale))
