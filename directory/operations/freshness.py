"""The freshness plan: how often each listing is checked, when it is due, and recording a check.

A listing's interval is, first to answer: its own ``verify_interval_days``; the shortest interval
of its categories (a category's own value, else the nearest ancestor's, else the configured
default for its code or an ancestor's code, VERIFY_INTERVALS_BY_CATEGORY); 30 days for a listing
flagged as a crisis line; else VERIFY_INTERVAL_DAYS. A listing is due that many days after its
last check (or its creation), or at once when reports made it "due now".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from .. import models as m
from ..extensions import db
from .errors import FieldError, ValidationError

CRISIS_LINE_DAYS = 30
# "Could not reach" this many times in a row flags the listing for the team lead.
UNREACHABLE_LIMIT = 2


def _defaults() -> tuple[int, Mapping[str, int]]:
    config = current_app.config
    return (int(config.get("VERIFY_INTERVAL_DAYS", 180)),
            dict(config.get("VERIFY_INTERVALS_BY_CATEGORY", {})))


def category_intervals() -> dict[str, int]:
    """Every taxonomy term id that has an interval (own, inherited, or by code) -> days."""
    _, by_code = _defaults()
    terms = {row.id: row for row in db.session.execute(sa.select(
        m.TaxonomyTerm.id, m.TaxonomyTerm.parent_id, m.TaxonomyTerm.code,
        m.TaxonomyTerm.verify_interval_days))}
    out: dict[str, int] = {}

    def resolve(term_id: str) -> int | None:
        seen: set[str] = set()
        current = terms.get(term_id)
        while current is not None and current.id not in seen:
            seen.add(current.id)
            if current.verify_interval_days:
                return int(current.verify_interval_days)
            if current.code and current.code in by_code:
                return int(by_code[current.code])
            current = terms.get(current.parent_id) if current.parent_id else None
        return None

    for term_id in terms:
        days = resolve(term_id)
        if days is not None:
            out[term_id] = days
    return out


def intervals_for(services: Iterable[m.Service]) -> dict[str, int]:
    """Days between checks for each of ``services`` (by id), in two queries."""
    services = list(services)
    default, _ = _defaults()
    by_term = category_intervals()
    links: dict[str, list[str]] = {}
    ids = [s.id for s in services]
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start:chunk_start + 500]
        for link_id, term_id in db.session.execute(sa.select(
                m.Attribute.link_id, m.Attribute.taxonomy_term_id).where(
                m.Attribute.link_entity == "service", m.Attribute.link_id.in_(chunk))):
            links.setdefault(link_id, []).append(term_id)
    return {service.id: plan_interval(service, links.get(service.id, ()), by_term, default)
            for service in services}


def plan_interval(service: m.Service, term_ids: Iterable[str], by_term: Mapping[str, int],
                  default: int | None = None) -> int:
    """The listing's days between checks, given its category ids and ``category_intervals()``:
    its own interval, else the shortest of its categories', 30 days for a crisis line, else
    the default."""
    if service.verify_interval_days:
        return int(service.verify_interval_days)
    candidates = [by_term[t] for t in term_ids if t in by_term]
    if service.crisis_line:
        candidates.append(CRISIS_LINE_DAYS)
    if candidates:
        return min(candidates)
    return default if default is not None else _defaults()[0]


def interval_days(service: m.Service) -> int:
    """Days between checks of one listing."""
    return intervals_for([service])[service.id]


def due_at(service: m.Service, interval: int | None = None) -> datetime:
    """When the listing is (or was) due for its next check."""
    if service.due_now_at is not None:
        return service.due_now_at
    base = service.last_verified_at or service.created_at or m.utcnow()
    return base + timedelta(days=interval if interval is not None else interval_days(service))


def is_overdue(service: m.Service, *, now: datetime | None = None,
               interval: int | None = None) -> bool:
    return due_at(service, interval) <= (now or m.utcnow())


def make_due_now(service: m.Service, reason: str) -> m.Service:
    """Bring a listing back for checking at once (reports, a crisis line flagged by the public)."""
    if service.due_now_at is None:
        service.due_now_at = m.utcnow()
        service.due_now_reason = reason[:64]
    db.session.flush()
    return service


def record_verification(service: m.Service, *, method: str, checked_by: str | None,
                        facts: Mapping[str, str] | None = None, note: str | None = None,
                        request: m.VerificationRequest | None = None,
                        at: datetime | None = None) -> m.Verification:
    """Record one check of ``service`` and move its plan on.

    ``facts`` maps contact facts (CHECKED_FACTS) to an outcome (FACT_OUTCOMES). The check is
    "unreachable" when every fact checked is, "changed" when any fact changed, else "confirmed".
    A reached check makes the listing current (last verified now, no longer due now); an
    unreachable one leaves it due, and the second in a row flags it for the team lead.
    """
    facts = dict(facts or {})
    errors = []
    if method not in m.VERIFICATION_METHODS:
        errors.append(FieldError("method", f"unknown method {method!r}"))
    for fact, outcome in facts.items():
        if fact not in m.CHECKED_FACTS:
            errors.append(FieldError(f"facts.{fact}", "not a contact fact that is checked"))
        elif outcome not in m.FACT_OUTCOMES:
            errors.append(FieldError(f"facts.{fact}", f"unknown outcome {outcome!r}"))
    if errors:
        raise ValidationError(errors)
    outcomes = set(facts.values())
    if outcomes and outcomes == {"unreachable"}:
        outcome = "unreachable"
    elif "changed" in outcomes:
        outcome = "changed"
    else:
        outcome = "confirmed"
    when = at or m.utcnow()
    row = m.Verification(service_id=service.id, checked_at=when, method=method,
                         checked_by=checked_by, outcome=outcome, facts=facts,
                         note=(note or None), request_id=request.id if request else None)
    previous = db.session.execute(
        sa.select(m.Verification.outcome).where(m.Verification.service_id == service.id)
        .order_by(m.Verification.checked_at.desc(), m.Verification.id.desc())
        .limit(UNREACHABLE_LIMIT - 1)).scalars().all()
    db.session.add(row)
    if outcome == "unreachable":
        if (len(previous) == UNREACHABLE_LIMIT - 1
                and all(p == "unreachable" for p in previous)):
            service.lead_flag = "unreachable"
    else:
        service.last_verified_at = when
        service.verified_by = checked_by
        service.last_verified_method = method
        service.due_now_at = None
        service.due_now_reason = None
        service.check_assignee = service.check_assigned_at = None  # out of Today's checks
        if service.lead_flag in ("unreachable", "crisis_overdue"):
            service.lead_flag = None
    db.session.flush()
    return row


def latest_verification(service_id: str) -> m.Verification | None:
    return db.session.execute(
        sa.select(m.Verification).where(m.Verification.service_id == service_id)
        .order_by(m.Verification.checked_at.desc(), m.Verification.id.desc()).limit(1)
    ).scalar_one_or_none()


def summary(service: m.Service) -> dict[str, Any]:
    """The plan of one listing, for staff screens: interval, due date, overdue, flag."""
    interval = interval_days(service)
    due = due_at(service, interval)
    return {"interval_days": interval, "due_at": due, "overdue": due <= m.utcnow(),
            "due_now_reason": service.due_now_reason, "lead_flag": service.lead_flag}
