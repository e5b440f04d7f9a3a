"""Freshness: how each listing is re-checked (by staff, by its provider, prompted by the public).

- ``Verification``: one check of a listing, with the outcome per contact fact and how it was done.
- ``VerificationRequest``: a signed, single-use, expiring link e-mailed to the provider.
- ``ProblemReport``: "Something wrong?" from a visitor. Nothing that identifies the visitor is kept
  (no IP address, no user agent, no cookie, and the time only to the hour).
- ``HoursException``: a dated closure or change of hours, with the reason shown to the public.

The listing itself (``Service``) carries the plan: its own interval override, "due now" (set by
reports), a flag for the team lead, the last check's method, and its capacity status.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

# How a listing was checked; "provider" is the provider's own answer through a signed link.
VERIFICATION_METHODS = ("phone", "email", "website", "provider", "in_person")
# What became of one contact fact in a check.
FACT_OUTCOMES = ("confirmed", "changed", "unreachable")
# The contact facts a call script walks through, in order.
CHECKED_FACTS = ("phones", "hours", "address", "eligibility", "cost", "url")
# Capacity of a shelter or walk-in service (never counts).
CAPACITY_STATES = ("accepting", "waitlist", "full")
# What a visitor can report.
REPORT_KINDS = ("phone", "address_hours", "closed", "not_as_described", "other")
REPORT_STATES = ("open", "resolved", "dismissed")
REQUEST_STATES = ("pending", "sent", "used", "expired", "bounced", "failed")

# A visitor's note is capped here (characters).
REPORT_NOTE_MAX = 1000


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Verification(db.Model):
    """One check of a listing: when, how, by whom, and per fact what was found."""

    __tablename__ = "verification"
    __table_args__ = (
        sa.CheckConstraint(_in("method", VERIFICATION_METHODS), name="method"),
        sa.CheckConstraint(_in("outcome", FACT_OUTCOMES), name="outcome"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    service_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("service.id", ondelete="CASCADE"), nullable=False, index=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow,
                                                 index=True)
    method: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    checked_by: Mapped[str | None] = mapped_column(sa.String(255))
    # The check as a whole: confirmed (all correct), changed (something was corrected) or
    # unreachable (nobody could be reached; the listing stays due).
    outcome: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    # {fact: outcome} for the facts of CHECKED_FACTS that were checked.
    facts: Mapped[dict[str, Any]] = mapped_column(sa.JSON, nullable=False, default=dict)
    note: Mapped[str | None] = mapped_column(sa.Text)
    request_id: Mapped[int | None] = mapped_column(
        sa.Integer, sa.ForeignKey("verification_request.id", ondelete="SET NULL"))

    service = relationship("Service")

    def __repr__(self) -> str:
        return f"<Verification {self.id} {self.method} {self.outcome}>"


class VerificationRequest(db.Model):
    """An e-mailed link asking the provider to confirm or correct their listing."""

    __tablename__ = "verification_request"
    __table_args__ = (sa.CheckConstraint(_in("status", REQUEST_STATES), name="status"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    service_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("service.id", ondelete="CASCADE"), nullable=False, index=True)
    email: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    locale: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="en")
    # Random, stored, and part of the signed token: the link works once and only while pending.
    nonce: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="pending",
                                        index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(sa.String(255))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    reminders_sent: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0,
                                                server_default="0")
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "confirmed" (all correct) or "proposed" (changes sent for review).
    outcome: Mapped[str | None] = mapped_column(sa.String(16))
    revision_id: Mapped[int | None] = mapped_column(
        sa.Integer, sa.ForeignKey("service_revision.id", ondelete="SET NULL"))
    error: Mapped[str | None] = mapped_column(sa.Text)

    service = relationship("Service")

    def __repr__(self) -> str:
        return f"<VerificationRequest {self.id} {self.status}>"


class ProblemReport(db.Model):
    """A visitor's "Something wrong?" report. Holds nothing that identifies the visitor."""

    __tablename__ = "problem_report"
    __table_args__ = (
        sa.CheckConstraint(_in("kind", REPORT_KINDS), name="kind"),
        sa.CheckConstraint(_in("status", REPORT_STATES), name="status"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    service_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("service.id", ondelete="CASCADE"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    note: Mapped[str | None] = mapped_column(sa.Text)
    # The locale the visitor read the listing in (helps staff read the note), nothing more.
    locale: Mapped[str | None] = mapped_column(sa.String(16))
    # Truncated to the hour, so the row cannot be matched to one request in any log.
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="open",
                                        index=True)
    resolved_by: Mapped[str | None] = mapped_column(sa.String(255))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str | None] = mapped_column(sa.Text)

    service = relationship("Service")

    def __repr__(self) -> str:
        return f"<ProblemReport {self.id} {self.kind} {self.status}>"


class HoursException(db.Model):
    """A dated closure or change of hours (holidays, renovations, weather), inclusive dates.

    ``closed`` with no times: closed all day on those dates. Otherwise open ``opens_at`` to
    ``closes_at`` instead of the regular hours. Dates are in the listing's own time zone.
    """

    __tablename__ = "hours_exception"
    __table_args__ = (sa.CheckConstraint("starts_on <= ends_on", name="dates"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    service_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("service.id", ondelete="CASCADE"), nullable=False, index=True)
    starts_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    ends_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    closed: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    opens_at: Mapped[time | None] = mapped_column(sa.Time)
    closes_at: Mapped[time | None] = mapped_column(sa.Time)
    # Shown to the public next to the changed hours.
    reason: Mapped[str | None] = mapped_column(sa.Text)
    created_by: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    service = relationship("Service", back_populates="hours_exceptions")

    def __repr__(self) -> str:
        return f"<HoursException {self.id} {self.starts_on}..{self.ends_on}>"
