"""Exceptions to hours, the public alert and capacity: the quick, dated facts of a listing.

- ``save_hours_exceptions``: replace a listing's dated closures and changed hours (holidays,
  renovations, weather), validated (dates, times, reason length).
- ``set_alert``: the public alert (text in the listing's language) and until when it is shown.
- ``set_capacity``: accepting / waitlist / full, with when and by whom (one tap; never counts).

Each change is flushed through the session, so the audit trail (``models.events``) records it
and the change log re-indexes the listing (``search.changes``: hours exceptions are part of
the listing's document). Callers commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import models as m
from ..extensions import db
from .audit import current_actor
from .errors import FieldError, ValidationError

REASON_MAX = 200
ALERT_MAX = 500
# How far ahead (days) an exception may start or end: beyond that it is a new schedule.
MAX_AHEAD_DAYS = 730
MAX_EXCEPTIONS = 50


def _as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def _as_time(value: Any) -> time | None | str:
    """A time, None when empty, or "bad" when it cannot be read."""
    if value is None or value == "":
        return None
    if isinstance(value, time):
        return value
    text = str(value).strip()
    try:
        hours, minutes = text.split(":")[:2]
        return time(int(hours), int(minutes))
    except (ValueError, TypeError):
        return "bad"


def clean_exception(data: Mapping[str, Any], path: str, errors: list[FieldError],
                    today: date | None = None) -> dict[str, Any] | None:
    """One exception's values, checked; None (with ``errors``) when it cannot be saved."""
    before = len(errors)
    starts = _as_date(data.get("starts_on"))
    ends = _as_date(data.get("ends_on")) if data.get("ends_on") not in (None, "") else starts
    if starts is None:
        errors.append(FieldError(f"{path}.starts_on", "Give the first date (YYYY-MM-DD)."))
    if ends is None:
        errors.append(FieldError(f"{path}.ends_on", "Give the last date (YYYY-MM-DD)."))
    if starts and ends and ends < starts:
        errors.append(FieldError(f"{path}.ends_on", "The last date is before the first."))
    today = today or m.utcnow().date()
    if ends and (ends - today).days > MAX_AHEAD_DAYS:
        errors.append(FieldError(f"{path}.ends_on", "That is more than two years ahead."))
    closed = bool(data.get("closed"))
    opens, closes = _as_time(data.get("opens_at")), _as_time(data.get("closes_at"))
    if opens == "bad":
        errors.append(FieldError(f"{path}.opens_at", "Give the opening time as HH:MM."))
    if closes == "bad":
        errors.append(FieldError(f"{path}.closes_at", "Give the closing time as HH:MM."))
    if not closed and opens != "bad" and closes != "bad":
        if opens is None or closes is None:
            errors.append(FieldError(f"{path}.opens_at",
                                     "Tick “closed” or give both opening and closing times."))
        elif opens == closes:
            errors.append(FieldError(f"{path}.closes_at",
                                     "The closing time is the same as the opening time."))
    reason = (data.get("reason") or "").strip()
    if len(reason) > REASON_MAX:
        errors.append(FieldError(f"{path}.reason",
                                 f"Keep the reason under {REASON_MAX} characters."))
    if len(errors) > before:
        return None
    return {"starts_on": starts, "ends_on": ends, "closed": closed,
            "opens_at": None if closed else opens, "closes_at": None if closed else closes,
            "reason": reason or None}


def save_hours_exceptions(service: m.Service, rows: Iterable[Mapping[str, Any]]
                          ) -> list[m.HoursException]:
    """Replace the listing's exceptions with ``rows`` (dicts: starts_on, ends_on, closed,
    opens_at, closes_at, reason). Unchanged rows are kept as they are (no audit noise)."""
    rows = [r for r in rows if any(str(r.get(k) or "").strip() for k in
                                   ("starts_on", "ends_on", "opens_at", "closes_at", "reason"))]
    errors: list[FieldError] = []
    if len(rows) > MAX_EXCEPTIONS:
        errors.append(FieldError("hours_exceptions", f"At most {MAX_EXCEPTIONS} rows."))
    cleaned = [clean_exception(r, f"hours_exceptions[{i}]", errors) for i, r in enumerate(rows)]
    if errors:
        raise ValidationError(errors)
    existing = list(db.session.scalars(sa.select(m.HoursException).where(
        m.HoursException.service_id == service.id).order_by(m.HoursException.id)))
    key_of = lambda v: (v["starts_on"], v["ends_on"], v["closed"], v["opens_at"],  # noqa: E731
                        v["closes_at"], v["reason"])
    by_key: dict[tuple, list[m.HoursException]] = {}
    for row in existing:
        by_key.setdefault(key_of({c: getattr(row, c) for c in (
            "starts_on", "ends_on", "closed", "opens_at", "closes_at", "reason")}), []).append(row)
    kept: list[m.HoursException] = []
    for values in cleaned:
        same = by_key.get(key_of(values))
        if same:
            kept.append(same.pop(0))
            continue
        row = m.HoursException(service_id=service.id, created_by=current_actor(), **values)
        db.session.add(row)
        kept.append(row)
    for left in by_key.values():
        for row in left:
            db.session.delete(row)
    db.session.flush()
    db.session.expire(service, ["hours_exceptions"])
    return kept


def set_alert(service: m.Service, text: str | None, until: datetime | str | None = None
              ) -> m.Service:
    """Set (or with empty text, remove) the public alert, shown until ``until`` (UTC)."""
    text = (text or "").strip()
    errors = []
    if len(text) > ALERT_MAX:
        errors.append(FieldError("alert", f"Keep the alert under {ALERT_MAX} characters."))
    when: datetime | None = None
    if isinstance(until, datetime):
        when = until
    elif until not in (None, ""):
        day = _as_date(until)
        if day is None:
            errors.append(FieldError("alert_until", "Give the date as YYYY-MM-DD."))
        else:
            # Shown through that whole day (UTC end of day).
            when = datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=UTC)
    if when is not None and text and when <= m.utcnow():
        errors.append(FieldError("alert_until", "That date has passed."))
    if errors:
        raise ValidationError(errors)
    service.alert = text or None
    service.alert_until = when if text else None
    db.session.flush()
    return service


def set_capacity(service: m.Service, capacity: str | None, *,
                 by: str | None = None) -> m.Service:
    """Accepting / waitlist / full (or None to clear), stamped with now and who set it
    (``by``, else the actor). Staff's one tap and the provider's link both come here."""
    capacity = capacity or None
    if capacity is not None and capacity not in m.CAPACITY_STATES:
        raise ValidationError([FieldError("capacity", _("Choose accepting, waitlist or full."),
                                          service.id)])
    service.capacity = capacity
    service.capacity_updated_at = m.utcnow() if capacity else None
    service.capacity_updated_by = (by or current_actor()) if capacity else None
    db.session.flush()
    return service
