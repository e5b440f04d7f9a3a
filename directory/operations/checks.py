"""Today's checks: which listings the team checks next, in what order, and by whom.

The queue holds every live listing (published or in review) that is due now or will be within
``CHECKS_DUE_SOON_DAYS``. It is ordered by risk, then lateness:

1. the shortest verification interval first (crisis lines and shelters every 30 days, other
   violence support every 90, the rest every 180: the interval *is* the risk tier);
2. within a tier, listings the public made "due now" (reports) first;
3. then the most overdue first.

Each listing in the queue belongs to one curator (``Service.check_assignee``), kept until a check
reaches the service, so the split stays put through the day. New listings in the queue go to
the curator with the fewest open checks (ties: the fewest high-risk ones, then by name), which
spreads both the work and the crisis lines evenly. A curator who leaves the team (inactive, or no
longer an editor) has their checks shared out again on the next look at the queue.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from .. import models as m
from ..extensions import db
from .errors import FieldError, NotFound, ValidationError
from .freshness import CRISIS_LINE_DAYS, due_at, intervals_for

LIVE = ("published", "in_review")
# Roles whose holders check listings (the same as may edit them).
CURATOR_ROLES = ("admin", "publisher", "editor")
# An interval this short or shorter is a high-risk listing (crisis lines, shelters).
HIGH_RISK_DAYS = CRISIS_LINE_DAYS
# Why a listing is on the team lead's list.
LEAD_REASONS = ("unreachable", "crisis_overdue")


@dataclass(frozen=True)
class QueueItem:
    service: m.Service
    interval_days: int
    due_at: datetime
    days_late: int  # negative: due in that many days
    assignee: str | None

    @property
    def high_risk(self) -> bool:
        return self.interval_days <= HIGH_RISK_DAYS

    @property
    def overdue(self) -> bool:
        return self.days_late >= 0

    def sort_key(self) -> tuple[Any, ...]:
        reported = self.service.due_now_at is not None
        return (self.interval_days, not reported, self.due_at, self.service.name.casefold(),
                self.service.id)


def due_soon_days() -> int:
    return int(current_app.config.get("CHECKS_DUE_SOON_DAYS", 7))


def curators() -> list[m.User]:
    """Active staff who check listings, by e-mail."""
    users = db.session.scalars(sa.select(m.User).where(m.User.active.is_(True))
                               .order_by(m.User.email)).all()
    return [u for u in users if any(u.has_role(r) for r in CURATOR_ROLES)]


def _items(services: Sequence[m.Service], now: datetime, horizon: datetime) -> list[QueueItem]:
    intervals = intervals_for(services)
    items = []
    for service in services:
        interval = intervals[service.id]
        due = due_at(service, interval)
        if due > horizon and service.lead_flag is None:
            continue
        late = (now - due).days if due <= now else -((due - now).days + 1)
        items.append(QueueItem(service, interval, due, late, service.check_assignee))
    items.sort(key=QueueItem.sort_key)
    return items


def queue(*, now: datetime | None = None, soon_days: int | None = None,
          assign: bool = True) -> list[QueueItem]:
    """Every listing due within ``soon_days`` (default CHECKS_DUE_SOON_DAYS), in check order.

    With ``assign`` (the default), listings without a current curator are shared out first and
    the assignment is flushed; overdue crisis lines are flagged for the team lead at once.
    """
    now = now or m.utcnow()
    horizon = now + timedelta(days=due_soon_days() if soon_days is None else soon_days)
    services = db.session.scalars(
        sa.select(m.Service).where(m.Service.publication.in_(LIVE))).all()
    items = _items(services, now, horizon)
    if not assign:
        return items
    changed = False
    for item in items:
        if item.overdue and item.service.crisis_line and item.service.lead_flag is None:
            item.service.lead_flag = "crisis_overdue"
            changed = True
    team = [u.email for u in curators()]
    if team:
        changed |= _share_out(items, team, now)
    if changed:
        db.session.flush()
        items = _items(services, now, horizon)
    return items


def _share_out(items: list[QueueItem], team: list[str], now: datetime) -> bool:
    """Give every unassigned (or orphaned) item to the curator with the least open work."""
    members = set(team)
    load = {email: [0, 0] for email in team}  # open checks, high-risk ones
    for item in items:
        if item.assignee in members:
            load[item.assignee][0] += 1
            load[item.assignee][1] += int(item.high_risk)
    changed = False
    for item in items:
        if item.assignee in members:
            continue
        # The least work first; of equals, the fewest high-risk checks; then by e-mail.
        email = min(team, key=lambda e: (load[e][0], load[e][1] if item.high_risk else 0, e))
        load[email][0] += 1
        load[email][1] += int(item.high_risk)
        item.service.check_assignee = email
        item.service.check_assigned_at = now
        changed = True
    return changed


def split(items: Iterable[QueueItem]) -> dict[str | None, list[QueueItem]]:
    """The queue by curator (None: nobody on the team yet)."""
    out: dict[str | None, list[QueueItem]] = {}
    for item in items:
        out.setdefault(item.service.check_assignee, []).append(item)
    return out


def lead_list() -> list[m.Service]:
    """Listings that need the team lead: could not be reached twice, overdue crisis lines."""
    return list(db.session.scalars(
        sa.select(m.Service).where(m.Service.lead_flag.is_not(None),
                                   m.Service.publication.in_(LIVE))
        .order_by(m.Service.crisis_line.desc(), m.Service.name)))


def _get(model: type, record_id: str) -> Any:
    record = db.session.get(model, record_id)
    if record is None:
        raise NotFound(model.__tablename__, record_id)
    return record


def reassign(service_id: str, email: str | None) -> m.Service:
    """Give a listing's check to another curator (``None``: back to the shared pool)."""
    service = _get(m.Service, service_id)
    if email:
        if email not in {u.email for u in curators()}:
            raise ValidationError([FieldError("assignee", "not an active curator", email)])
        service.check_assignee, service.check_assigned_at = email, m.utcnow()
    else:
        service.check_assignee = service.check_assigned_at = None
    db.session.flush()
    return service


def clear_lead_flag(service_id: str) -> m.Service:
    """The team lead has dealt with it."""
    service = _get(m.Service, service_id)
    service.lead_flag = None
    db.session.flush()
    return service


def set_interval(service_id: str, days: int | None) -> m.Service:
    """A listing's own days between checks (``None``: from its categories)."""
    service = _get(m.Service, service_id)
    service.verify_interval_days = _checked_days(days, "verify_interval_days")
    db.session.flush()
    return service


def set_category_interval(term_id: str, days: int | None) -> m.TaxonomyTerm:
    """A category's days between checks (``None``: inherited from its parent or the default)."""
    term = _get(m.TaxonomyTerm, term_id)
    term.verify_interval_days = _checked_days(days, "verify_interval_days")
    db.session.flush()
    return term


def _checked_days(days: int | None, field: str) -> int | None:
    if days is None:
        return None
    if not 1 <= int(days) <= 730:
        raise ValidationError([FieldError(field, "between 1 and 730 days", str(days))])
    return int(days)
