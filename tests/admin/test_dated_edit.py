"""Staff edit closures and changed hours, the public notice and capacity on the listing editor."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from factories import make_service

from directory import models as m
from directory.extensions import db


@pytest.fixture
def database_url(sqlite_database_url):
    return sqlite_database_url


def test_staff_add_and_remove_closures_set_capacity_and_the_notice(app, signed_in):
    service = make_service(name="Harbour Transition House")
    editor = signed_in("editor")
    page = editor.get(f"/admin/service/edit/?id={service.id}").get_data(as_text=True)
    assert 'id="section-dated"' in page
    assert "<legend" in page and "Closures and changed hours" in page
    assert 'for="x-0-starts_on"' in page  # every input labelled
    start = date.today() + timedelta(days=10)
    response = editor.post("/admin/service/dated/", data={
        "id": service.id, "part": "exceptions", "x-count": "3",
        "x-0-starts_on": start.isoformat(), "x-0-ends_on": (start + timedelta(days=2)).isoformat(),
        "x-0-kind": "closed", "x-0-reason": "holidays",
        "x-1-starts_on": (start + timedelta(days=5)).isoformat(), "x-1-kind": "changed",
        "x-1-opens_at": "10:00", "x-1-closes_at": "14:00", "x-1-reason": "training",
        "x-2-starts_on": "", "x-2-kind": "closed"}, follow_redirects=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Closures and changed hours saved." in html
    rows = db.session.scalars(sa.select(m.HoursException).order_by(
        m.HoursException.starts_on)).all()
    assert [(r.closed, r.reason, r.created_by) for r in rows] == [
        (True, "holidays", "editor@example.org"), (False, "training", "editor@example.org")]
    assert 'value="holidays"' in html and 'value="training"' in html
    # The public sees it at once (no review).
    public = app.test_client().get(f"/services/{service.id}").get_data(as_text=True)
    assert "holidays" in public and "training" in public
    # Remove one row; a bad row is refused with a message and nothing changes.
    editor.post("/admin/service/dated/", data={
        "id": service.id, "part": "exceptions", "x-count": "2",
        "x-0-starts_on": start.isoformat(), "x-0-ends_on": (start + timedelta(days=2)).isoformat(),
        "x-0-kind": "closed", "x-0-reason": "holidays", "x-0-remove": "y",
        "x-1-starts_on": (start + timedelta(days=5)).isoformat(), "x-1-kind": "changed",
        "x-1-opens_at": "10:00", "x-1-closes_at": "14:00", "x-1-reason": "training"})
    assert db.session.scalars(sa.select(m.HoursException.reason)).all() == ["training"]
    bad = editor.post("/admin/service/dated/", data={
        "id": service.id, "part": "exceptions", "x-count": "1",
        "x-0-starts_on": start.isoformat(), "x-0-ends_on": (start - timedelta(days=1)).isoformat(),
        "x-0-kind": "closed"}, follow_redirects=True)
    assert bad.status_code == 200
    assert "row 1: The last date is before the first." in bad.get_data(as_text=True)
    assert db.session.scalars(sa.select(m.HoursException.reason)).all() == ["training"]
    # Capacity: one tap, stamped with who and when.
    html = editor.post("/admin/service/dated/", data={
        "id": service.id, "part": "capacity", "capacity": "full"},
        follow_redirects=True).get_data(as_text=True)
    assert "Capacity saved." in html and "Now: Full" in html
    db.session.expire_all()
    stored = db.session.get(m.Service, service.id)
    assert stored.capacity == "full" and stored.capacity_updated_by == "editor@example.org"
    # The notice with an end date.
    until = (date.today() + timedelta(days=3)).isoformat()
    editor.post("/admin/service/dated/", data={
        "id": service.id, "part": "alert", "alert": "Intake by phone only.",
        "alert_until": until})
    db.session.expire_all()
    stored = db.session.get(m.Service, service.id)
    assert stored.alert == "Intake by phone only." and stored.alert_until.date().isoformat() \
        == until
    bad = editor.post("/admin/service/dated/", data={
        "id": service.id, "part": "capacity", "capacity": "40 beds"}, follow_redirects=True)
    assert "Choose accepting, waitlist or full." in bad.get_data(as_text=True)


def test_translators_cannot_change_dated_facts(app, signed_in):
    service = make_service()
    translator = signed_in("translator")
    response = translator.post("/admin/service/dated/", data={
        "id": service.id, "part": "capacity", "capacity": "full"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(m.Service, service.id).capacity is None
