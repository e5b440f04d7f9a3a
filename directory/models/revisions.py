"""Pending revisions: a change to a published listing waits here until a publisher approves it.

The public, the search index, the API and exports read only the listing's own rows, so whatever
sits in a revision is invisible until it is approved and written through the normal write path.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

REVISION_STATES = ("pending", "approved", "returned", "withdrawn")


class ServiceRevision(db.Model):
    """A proposed change to a published listing: what it was, what it would become, who said so."""

    __tablename__ = "service_revision"
    __table_args__ = (
        sa.CheckConstraint("status IN ('pending', 'approved', 'returned', 'withdrawn')",
                           name="status"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    service_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("service.id", ondelete="CASCADE"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="pending",
                                        index=True)
    # The listing's editable state (HSDS-shaped) before and after the proposed change.
    base: Mapped[dict[str, Any]] = mapped_column(sa.JSON, nullable=False)
    proposed: Mapped[dict[str, Any]] = mapped_column(sa.JSON, nullable=False)
    # The top-level parts that differ (scalar field names, "phones", "schedules", ...).
    fields: Mapped[list[str]] = mapped_column(sa.JSON, nullable=False)
    proposed_by: Mapped[str | None] = mapped_column(sa.String(255))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    reviewed_by: Mapped[str | None] = mapped_column(sa.String(255))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    comment: Mapped[str | None] = mapped_column(sa.Text)

    service = relationship("Service", lazy="joined")

    def __repr__(self) -> str:
        return f"<ServiceRevision {self.id} {self.status}>"
