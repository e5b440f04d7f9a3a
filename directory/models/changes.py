"""The search change log: one row per service whose index document may need updating."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


class SearchChange(db.Model):
    """Written in the same transaction as the edit, so a committed change is never lost.

    The indexer applies rows in ``seq`` order and records the last applied ``seq`` in the index;
    applying a row twice is harmless (the document is rebuilt from the database).
    """

    __tablename__ = "search_change"

    seq: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(sa.String(32), nullable=False, default="service")
    entity_id: Mapped[str] = mapped_column(sa.String(36), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
