"""Change-log retention: delete old ``search_change`` rows, keeping a watermark.

Replicas catch up from the log, so rows can go only once every replica has applied them. A
replica that has not is rebuilt instead (``directory.search.sync.needs_rebuild``), which is only
sound if it can tell rows were deleted: pruning therefore always keeps its newest candidate row.
Every row below the oldest remaining one is then gone for good, and an index whose applied
sequence is below ``oldest - 1`` knows it may have missed some. Keeping a row also stops SQLite
from reusing sequence numbers (it numbers new rows from the current maximum).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import models as m


def prune_change_log(session: Session, older_than: datetime) -> int:
    """Delete change-log rows created before ``older_than`` (keeping the watermark row).

    Returns the number of rows deleted. Does not commit.
    """
    table = m.SearchChange
    newest = session.scalar(sa.select(sa.func.max(table.seq)))
    if newest is None:
        return 0
    first_kept = session.scalar(sa.select(sa.func.min(table.seq))
                                .where(table.created_at >= older_than))
    # The watermark: the oldest row young enough to keep, or else the newest row of all.
    watermark = first_kept if first_kept is not None else newest
    result = session.execute(sa.delete(table).where(table.seq < watermark)
                             .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)


def cutoff_for(keep_days: float) -> datetime:
    """The creation time before which rows older than ``keep_days`` days fall."""
    return datetime.now(timezone.utc) - timedelta(days=keep_days)
