"""Today's checks: the queue's order, its fair split between the team, and the call script."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from admin.staff import make_user, sign_in
from factories import make_service, uid

from directory import models as m
from directory.extensions import db
from directory.operations import checks, freshness

TEAM = ("ana@example.org", "bo@example.org", "chen@example.org")


@pytest.fixture
def app_config(app_config):
    """The queue reads the database only: no search index to keep in step with each commit."""
    return {**app_config, "SEARCH_SYNC_ON_COMMIT": False}


def _listing(name, *, crisis=False, checked_days_ago=None, publish=True, **extra):
    service = make_service(name=name, crisis_line=crisis, open_24_7=crisis, publish=publish,
                           **extra)
    if checked_days_ago is not None:
        service.last_verified_at = m.utcnow() - timedelta(days=checked_days_ago)
    db.session.commit()
    return service


def _seed():
    """A small directory: crisis lines (30 days), counselling (180 days), one reported."""
    return {
        "crisis_late": _listing("Crisis line A", crisis=True, checked_days_ago=45),
        "crisis_later": _listing("Crisis line B", crisis=True, checked_days_ago=60),
        "crisis_soon": _listing("Crisis line C", crisis=True, checked_days_ago=27),
        "crisis_fresh": _listing("Crisis line D", crisis=True, checked_days_ago=3),
        "general_late": _listing("Counselling E", checked_days_ago=400),
        "general_late2": _listing("Counselling F", checked_days_ago=200),
        "general_soon": _listing("Counselling G", checked_days_ago=176),
        "general_fresh": _listing("Counselling H", checked_days_ago=10),
        "reported": _listing("Clinic I", checked_days_ago=20),
        "draft": _listing("Draft J", checked_days_ago=900, publish=False),
    }


def test_queue_orders_by_risk_and_lateness_and_splits_fairly_between_three_curators(app):
    for email in TEAM:
        make_user(email, "editor")
    seeded = _seed()
    freshness.make_due_now(seeded["reported"], "phone does not work")
    db.session.commit()

    items = checks.queue()
    db.session.commit()
    order = [item.service.name for item in items]
    # The 30-day tier first (most overdue first, the one due soon last), then the 180-day tier
    # with the listing the public reported first; fresh listings and drafts are not there.
    assert order == ["Crisis line B", "Crisis line A", "Crisis line C", "Clinic I",
                     "Counselling E", "Counselling F", "Counselling G"]

    shares = checks.split(items)
    assert set(shares) == set(TEAM)
    assert sorted(len(v) for v in shares.values()) == [2, 2, 3]
    # Each curator has one of the three crisis lines.
    assert sorted(sum(i.service.crisis_line for i in v) for v in shares.values()) == [1, 1, 1]
    # Overdue crisis lines are flagged to staff at once.
    assert seeded["crisis_late"].lead_flag == "crisis_overdue"
    assert seeded["crisis_soon"].lead_flag is None

    # The split stays put: looking again changes nothing; a check takes the listing out.
    before = {i.service.id: i.service.check_assignee for i in items}
    again = checks.queue()
    assert {i.service.id: i.service.check_assignee for i in again} == before
    owner = seeded["crisis_later"].check_assignee
    freshness.record_verification(seeded["crisis_later"], method="phone", checked_by=owner,
                                  facts={"phones": "confirmed"})
    db.session.commit()
    after = checks.queue()
    assert "Crisis line B" not in [i.service.name for i in after]
    assert seeded["crisis_later"].lead_flag is None

    # A new listing coming due goes to whoever now has the least to do.
    newcomer = _listing("Crisis line K", crisis=True, checked_days_ago=40)
    items = checks.queue()
    db.session.commit()
    loads = {e: len(v) for e, v in checks.split(items).items()}
    assert newcomer.check_assignee == owner or loads[newcomer.check_assignee] <= min(
        loads.values()) + 1
    assert max(loads.values()) - min(loads.values()) <= 1

    # Someone leaving the team: their checks are shared out again.
    leaver = db.session.scalars(sa.select(m.User).where(m.User.email == TEAM[0])).one()
    leaver.active = False
    db.session.commit()
    items = checks.queue()
    assert {i.service.check_assignee for i in items} <= set(TEAM[1:])


def _editor(app):
    make_user("editor@example.org", "editor")
    client = app.test_client()
    assert sign_in(client, "editor@example.org").status_code in (302, 303)
    return client


def test_call_script_records_each_fact_and_moves_the_due_date(app, fresh_clients):
    client = _editor(app)
    service = _listing("Harbour line", crisis=True, checked_days_ago=40,
                       fees_description="Free")
    old_due = freshness.due_at(service)

    page = client.get("/admin/checks/")
    assert page.status_code == 200
    assert "Harbour line" in page.get_data(as_text=True)

    script = client.get(f"/admin/checks/script/{service.id}")
    html = script.get_data(as_text=True)
    assert script.status_code == 200
    for text in ("604-555-0142", "Free", "Could not reach", "Phone numbers", "Who can use it"):
        assert text in html

    response = client.post(f"/admin/checks/script/{service.id}", data={
        "method": "phone", "fact-phones": "confirmed", "fact-hours": "confirmed",
        "fact-cost": "changed", "new-cost": "Free; a sliding scale for legal help",
        "note": "Spoke to the coordinator"})
    assert response.status_code == 302
    db.session.expire_all()
    check = db.session.scalars(sa.select(m.Verification)
                               .where(m.Verification.service_id == service.id)).one()
    assert (check.method, check.checked_by, check.outcome) == (
        "phone", "editor@example.org", "changed")
    assert check.facts == {"phones": "confirmed", "hours": "confirmed", "cost": "changed"}
    listing = db.session.get(m.Service, service.id)
    assert freshness.due_at(listing) > old_due + timedelta(days=30)
    assert listing.last_verified_method == "phone"
    # An editor's correction to a published listing waits for review; the public sees "Free".
    assert listing.fees_description == "Free"
    revision = db.session.scalars(sa.select(m.ServiceRevision)
                                  .where(m.ServiceRevision.service_id == service.id)).one()
    assert revision.status == "pending"
    assert revision.proposed["fees_description"] == "Free; a sliding scale for legal help"
    assert "Harbour line" not in client.get("/admin/checks/").get_data(as_text=True)


def test_changed_phone_sends_the_curator_to_the_editor(app, fresh_clients):
    client = _editor(app)
    service = _listing("Valley clinic", checked_days_ago=200)
    response = client.post(f"/admin/checks/script/{service.id}", data={
        "method": "email", "fact-phones": "changed"})
    assert response.status_code == 302
    assert f"/admin/service/edit/?id={service.id}" in response.headers["Location"]
    assert response.headers["Location"].endswith("#section-contact")


def test_could_not_reach_twice_puts_the_listing_on_the_lead_list(app, fresh_clients):
    client = _editor(app)
    service = _listing("Quiet line", checked_days_ago=300)
    for _attempt in range(2):
        response = client.post(f"/admin/checks/script/{service.id}", data={
            "method": "phone", "fact-phones": "unreachable"})
        assert response.status_code == 302
    lead = client.get("/admin/checks/?who=lead").get_data(as_text=True)
    assert "Quiet line" in lead and "Could not be reached twice in a row" in lead
    # Still due, still in someone's checks.
    assert "Quiet line" in client.get("/admin/checks/?who=team").get_data(as_text=True)


def test_call_script_refuses_bad_input_with_a_message(app, fresh_clients):
    client = _editor(app)
    service = _listing("Odd input", checked_days_ago=300)
    nothing = client.post(f"/admin/checks/script/{service.id}", data={"method": "phone"})
    assert nothing.status_code == 400
    assert "Record at least one fact" in nothing.get_data(as_text=True)
    bad = client.post(f"/admin/checks/script/{service.id}", data={
        "method": "carrier pigeon", "fact-phones": "maybe", "fact-zzz": "confirmed"})
    assert bad.status_code == 400
    assert "Choose how you checked." in bad.get_data(as_text=True)
    assert client.get(f"/admin/checks/script/{uid()}").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(m.Verification.id))) == 0


def test_category_and_listing_intervals_are_set_by_curators(app, fresh_clients):
    client = _editor(app)
    term = m.TaxonomyTerm(id=uid(), code="legal-help", name="Legal help")
    db.session.add(term)
    service = _listing("Legal clinic", checked_days_ago=100)
    db.session.add(m.Attribute(id=uid(), link_id=service.id, link_entity="service",
                               link_type="category", taxonomy_term_id=term.id))
    db.session.commit()
    assert freshness.interval_days(service) == 180

    page = client.get("/admin/checks/intervals")
    assert page.status_code == 200 and "Legal help" in page.get_data(as_text=True)
    bad = client.post("/admin/checks/intervals", data={f"days-{term.id}": "0"})
    assert bad.status_code == 400
    assert "A whole number from 1 to 730" in bad.get_data(as_text=True)
    assert client.post("/admin/checks/intervals",
                       data={f"days-{term.id}": "60"}).status_code == 302
    db.session.expire_all()
    assert freshness.interval_days(db.session.get(m.Service, service.id)) == 60
    # Now overdue (checked 100 days ago, every 60): in the queue.
    assert "Legal clinic" in client.get("/admin/checks/?who=team").get_data(as_text=True)

    client.post(f"/admin/checks/interval/{service.id}", data={"days": "365"})
    db.session.expire_all()
    assert freshness.interval_days(db.session.get(m.Service, service.id)) == 365
    response = client.post(f"/admin/checks/interval/{service.id}", data={"days": "lots"},
                           follow_redirects=True)
    assert "whole number from 1 to 730" in response.get_data(as_text=True)


def test_each_curator_reads_times_in_their_own_time_zone(app, fresh_clients):
    from datetime import UTC, datetime

    client = _editor(app)
    service = _listing("Zoned line", checked_days_ago=300)
    freshness.record_verification(service, method="phone", checked_by="editor@example.org",
                                  facts={"phones": "unreachable"},
                                  at=datetime(2026, 11, 12, 15, 0, tzinfo=UTC))
    db.session.commit()
    script = f"/admin/checks/script/{service.id}"
    # 15:00 UTC is 10:00 in Toronto; Vancouver (the default) is two or three hours behind.
    assert "Nov 12, 2026, 10:00:00" not in client.get(script).get_data(as_text=True)
    home = client.get("/admin/").get_data(as_text=True)
    assert 'name="timezone"' in home
    assert client.post("/admin/timezone", data={"timezone": "Mars/Olympus"}).status_code == 400
    assert client.post("/admin/timezone",
                       data={"timezone": "America/Toronto"}).status_code == 302
    assert "Nov 12, 2026, 10:00:00" in client.get(script).get_data(as_text=True)
    # Someone else keeps their own.
    make_user("other@example.org", "editor")
    other = app.test_client()
    sign_in(other, "other@example.org")
    assert "Nov 12, 2026, 10:00:00" not in other.get(script).get_data(as_text=True)
