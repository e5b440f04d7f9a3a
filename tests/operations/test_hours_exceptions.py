"""Closures and changed hours, the public alert and capacity through operations: validated,
audited, and re-indexed (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from factories import make_service

from directory import models as m
from directory import operations
from directory.extensions import db
from directory.operations import hours_exceptions
from directory.search import sync
from directory.search.query import search


def test_an_exception_edit_reaches_the_index_and_the_audit_trail(app):
    service = make_service(name="Harbour Transition House")
    sync.rebuild(app)
    start = date.today() + timedelta(days=3)
    with operations.acting_as("curator@example.org"):
        hours_exceptions.save_hours_exceptions(service, [
            {"starts_on": start.isoformat(), "ends_on": (start + timedelta(days=1)).isoformat(),
             "closed": True, "reason": "holidays"}])
    db.session.commit()
    hit = next(h for h in search("transition house").hits if h.id == service.id)
    assert [(e.starts, e.closed, e.reason) for e in hit.exceptions] == [(start, True, "holidays")]
    audit = db.session.scalars(sa.select(m.AuditLog).where(
        m.AuditLog.entity == "hours_exception")).all()
    assert audit and audit[-1].actor == "curator@example.org"
    # Saving the same rows again changes nothing; removing them re-indexes the listing.
    before = db.session.scalar(sa.select(sa.func.count()).select_from(m.AuditLog))
    hours_exceptions.save_hours_exceptions(service, [
        {"starts_on": start, "ends_on": start + timedelta(days=1), "closed": True,
         "reason": "holidays"}])
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(m.AuditLog)) == before
    hours_exceptions.save_hours_exceptions(service, [])
    db.session.commit()
    hit = next(h for h in search("transition house").hits if h.id == service.id)
    assert hit.exceptions == []
    # Capacity and the alert reach the index too.
    with operations.acting_as("curator@example.org"):
        hours_exceptions.set_capacity(db.session.get(m.Service, service.id), "full")
        hours_exceptions.set_alert(db.session.get(m.Service, service.id), "Call first.")
    db.session.commit()
    hit = next(h for h in search("transition house").hits if h.id == service.id)
    assert hit.capacity == "full" and hit.alert == "Call first."
    stored = db.session.get(m.Service, service.id)
    assert stored.capacity_updated_by == "curator@example.org"


@pytest.mark.parametrize("row, field", [
    ({"starts_on": "2026-12-26", "ends_on": "2026-12-24", "closed": True}, "ends_on"),
    ({"starts_on": "26/12/2026", "closed": True}, "starts_on"),
    ({"starts_on": "2026-12-24", "closed": False, "opens_at": "25:00", "closes_at": "12:00"},
     "opens_at"),
    ({"starts_on": "2026-12-24", "closed": False, "opens_at": "10:00"}, "opens_at"),
    ({"starts_on": "2026-12-24", "closed": True, "reason": "x" * 201}, "reason"),
])
def test_bad_rows_are_refused_and_nothing_is_saved(app, row, field, database_url):
    if "postgresql" in database_url and field != "ends_on":
        pytest.skip("validation does not depend on the database")
    service = make_service()
    with pytest.raises(operations.ValidationError) as caught:
        hours_exceptions.save_hours_exceptions(service, [
            {"starts_on": "2026-12-01", "closed": True}, row])
    assert caught.value.errors[0].path == f"hours_exceptions[1].{field}"
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(m.HoursException)) == 0


def test_capacity_and_alert_are_checked(app, database_url):
    if "postgresql" in database_url:
        pytest.skip("validation does not depend on the database")
    service = make_service()
    with pytest.raises(operations.ValidationError):
        hours_exceptions.set_capacity(service, "12 beds")
    with pytest.raises(operations.ValidationError):
        hours_exceptions.set_alert(service, "Closed", "2020-01-01")
    with pytest.raises(operations.ValidationError):
        hours_exceptions.set_alert(service, "x" * 501)
    hours_exceptions.set_alert(service, "", "2020-01-01")  # removing needs no date check
    assert service.alert is None and service.alert_until is None


def test_the_index_plans_checks_like_operations_freshness(app, database_url):
    """The due date the search row carries is the plan's (operations.freshness.due_at)."""
    if "postgresql" in database_url:
        pytest.skip("the same arithmetic on both databases")
    from directory.operations import freshness
    from directory.search.documents import (Taxonomy, listing_due_at, listing_interval,
                                            service_term_ids)

    line = make_service(name="Night line")
    other = make_service(name="Legal clinic", crisis_line=False)
    own = make_service(name="Own plan", crisis_line=False)
    own.verify_interval_days = 7
    db.session.commit()
    taxonomy = Taxonomy.load()
    for service in (line, other, own):
        terms = service_term_ids([service.id]).get(service.id, [])
        interval = listing_interval(service, terms, taxonomy)
        assert interval == freshness.interval_days(service)
        assert listing_due_at(service, interval) == freshness.due_at(service)
    assert [listing_interval(s, [], taxonomy) for s in (line, other, own)] == [30, 180, 7]
