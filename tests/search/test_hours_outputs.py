"""What a visitor sees of status, closures, changed hours, alerts, capacity and freshness, on
every surface: search cards, the listing page, the print view, the JSON API (search and
services) and the widget's data. Pages render the same whatever the database: SQLite only."""

from __future__ import annotations

import random
import re
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from factories import make_service, uid
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from directory import models as m
from directory import operations
from directory.extensions import db
from directory.operations import freshness, hours_exceptions
from directory.search import sync

ZONE = ZoneInfo("America/Vancouver")


@pytest.fixture
def database_url(sqlite_database_url):
    return sqlite_database_url


def today():
    return datetime.now(ZONE).date()


def card_of(html: str, name: str) -> str:
    """The search result card that names ``name``."""
    for card in re.findall(r'<li class="result">.*?</li>\s*(?=<li class="result">|</ol>|</ul>)',
                           html, re.S):
        if name in card:
            return card
    raise AssertionError(f"no card for {name!r}")


def listing_badges(html: str) -> str:
    return html[html.index('<p class="badges">'):html.index("</p>", html.index(
        '<p class="badges">'))]


def house(**overrides):
    data = {"name": "Harbour Transition House", "crisis_line": False, "open_24_7": True,
            "status": "active"}
    data.update(overrides)
    return make_service(**data)


def surfaces(client, service):
    """(search card, listing badges, listing page, API hit, API service, print view)."""
    html = client.post("/search", data={"q": "transition house"}).get_data(as_text=True)
    card = card_of(html, "Harbour Transition House")
    page = client.get(f"/services/{service.id}").get_data(as_text=True)
    api = client.get("/api/v1/search?q=transition+house").get_json()
    hit = next(h for h in api["contents"] if h["id"] == service.id)
    detail = client.get(f"/api/v1/services/{service.id}").get_json()
    printed = client.get(f"/services/{service.id}/print").get_data(as_text=True)
    return card, listing_badges(page), page, hit, detail, printed


def test_a_temporarily_closed_transition_house_is_never_open_24_7(app, client):
    service = house(status="temporarily closed")
    sync.rebuild(app)
    card, badges, page, hit, detail, printed = surfaces(client, service)
    assert "Open 24/7" not in card and "Open now" not in card
    assert "Temporarily closed" in card
    assert "Open 24/7" not in badges and "Temporarily closed" in badges
    assert "Open 24/7" not in printed and "Temporarily closed" in printed
    # The API (which the widget draws from) says the same.
    assert hit["open_24_7"] is False and hit["open_now"] is False
    assert hit["status"] == "temporarily closed"
    assert detail["open_24_7"] is False and detail["open_now"] is False
    # Nor does a filter for 24/7 listings find it.
    api = client.get("/api/v1/search?q=&flag=open_24_7").get_json()
    assert service.id not in [h["id"] for h in api["contents"]]
    # Open again: 24/7 again, everywhere.
    operations.update_service(service.id, {"status": "active"})
    db.session.commit()
    card, badges, _page, hit, detail, printed = surfaces(client, service)
    assert "Open 24/7" in card and "Open 24/7" in badges and "Open 24/7" in printed
    assert hit["open_24_7"] is True and detail["open_24_7"] is True


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(status=st.sampled_from(["active", "temporarily closed"]), always=st.booleans(),
       closure=st.sampled_from([None, "today", "later"]))
def test_generated_cases_agree_on_every_surface(app, client, status, always, closure):
    # Hypothesis seeds ``random`` the same way for every example; Whoosh names its segments
    # with it, so give it fresh entropy (same-named segments would collide).
    random.seed(uuid.uuid4().int)
    service = db.session.scalar(sa_select_house())
    if service is None:
        service = house()
        sync.rebuild(app)
    operations.update_service(service.id, {"status": status, "open_24_7": always})
    rows = []
    if closure == "today":
        rows = [{"starts_on": today() - timedelta(days=1), "ends_on": today() + timedelta(days=1),
                 "closed": True, "reason": "Flood repairs"}]
    elif closure == "later":
        rows = [{"starts_on": today() + timedelta(days=5), "ends_on": today() + timedelta(days=6),
                 "closed": True, "reason": "Flood repairs"}]
    hours_exceptions.save_hours_exceptions(db.session.get(m.Service, service.id), rows)
    db.session.commit()
    card, badges, page, hit, detail, _printed = surfaces(client, service)
    never = status != "active" or closure == "today"
    if never:
        for text in (card, badges):
            assert "Open 24/7" not in text and "Open now" not in text
        assert hit["open_24_7"] is False and hit["open_now"] is not True
        assert detail["open_24_7"] is False and detail["open_now"] is not True
    elif always:
        assert "Open 24/7" in card and "Open 24/7" in badges
        assert hit["open_24_7"] is True and detail["open_now"] is True
    if closure:
        assert "Flood repairs" in card and "Flood repairs" in page
        assert hit["hours_exceptions"][0]["reason"] == "Flood repairs"
        assert detail["hours_exceptions"][0]["closed"] is True
    else:
        assert "Flood repairs" not in card and hit["hours_exceptions"] == []


def sa_select_house():
    import sqlalchemy as sa

    return sa.select(m.Service).where(m.Service.name == "Harbour Transition House")


def test_a_closure_with_its_reason_and_changed_hours(app, client):
    service = house(open_24_7=False)
    sync.rebuild(app)
    start = today() + timedelta(days=2)
    hours_exceptions.save_hours_exceptions(service, [
        {"starts_on": start, "ends_on": start + timedelta(days=2), "closed": True,
         "reason": "holidays"},
        {"starts_on": start + timedelta(days=7), "closed": False, "opens_at": "10:00",
         "closes_at": "14:00", "reason": "staff training"}])
    db.session.commit()
    from babel.dates import format_interval

    span = format_interval(start, start + timedelta(days=2), "MMMd", locale="en")
    card, _badges, page, hit, detail, printed = surfaces(client, service)
    for text in (card, page, printed):
        assert f"Closed {span}: <span>holidays</span>" in text.replace(" lang=\"en\"", "") \
            or f"Closed {span}: " in text
        assert "holidays" in text and "staff training" in text
    assert re.search(r"open 10:00\s*AM – 2:00\s*PM", page)
    assert hit["hours_exceptions"][1] == {
        "starts_on": (start + timedelta(days=7)).isoformat(),
        "ends_on": (start + timedelta(days=7)).isoformat(), "closed": False,
        "opens_at": "10:00", "closes_at": "14:00", "reason": "staff training"}
    assert len(detail["hours_exceptions"]) == 2
    # In French, the dates and words follow the visitor's language.
    french = client.get(f"/fr/services/{service.id}").get_data(as_text=True)
    assert format_interval(start, start + timedelta(days=2), "MMMd", locale="fr") in french


def test_capacity_shows_with_its_age_and_is_hidden_after_48_hours(app, client):
    service = house(open_24_7=False)
    sync.rebuild(app)
    with operations.acting_as("curator@example.org"):
        hours_exceptions.set_capacity(service, "waitlist")
    db.session.commit()
    card, _badges, page, hit, detail, _printed = surfaces(client, service)
    for text in (card, page):
        assert re.search(r"Waitlist · updated (now|\d+ seconds? ago)", text)
    assert hit["capacity"]["state"] == "waitlist" and detail["capacity"] == "waitlist"
    assert "capacity_updated_by" not in detail and "curator@" not in str(detail)
    service = db.session.get(m.Service, service.id)
    service.capacity_updated_at = m.utcnow() - timedelta(hours=3)
    db.session.commit()
    assert "Waitlist · updated 3 hours ago" in client.get(
        f"/services/{service.id}").get_data(as_text=True)
    service = db.session.get(m.Service, service.id)
    service.capacity_updated_at = m.utcnow() - timedelta(hours=49)
    db.session.commit()
    card, _badges, page, hit, detail, _printed = surfaces(client, service)
    assert "Waitlist" not in card and "Waitlist" not in page
    assert hit["capacity"] is None and "capacity" not in detail


def test_the_public_alert_shows_until_its_date(app, client):
    service = house()
    sync.rebuild(app)
    hours_exceptions.set_alert(service, "Intake by phone only this week.",
                               (today() + timedelta(days=3)).isoformat())
    db.session.commit()
    card, _badges, page, hit, detail, _printed = surfaces(client, service)
    assert "Intake by phone only this week." in card and "Intake by phone only" in page
    assert hit["alert"] == "Intake by phone only this week."
    service = db.session.get(m.Service, service.id)
    service.alert_until = m.utcnow() - timedelta(minutes=1)
    db.session.commit()
    card, _badges, page, hit, detail, _printed = surfaces(client, service)
    assert "Intake by phone only" not in card and "Intake by phone only" not in page
    assert hit["alert"] is None and "alert" not in detail


@pytest.mark.parametrize("method, words", [
    ("phone", "Checked with the service by phone on"),
    ("email", "Checked with the service by e-mail on"),
    ("provider", "Checked by the provider on"),
    ("website", "Checked on the service's website on"),
])
def test_freshness_says_how_the_listing_was_checked(app, client, method, words):
    service = house()
    freshness.record_verification(service, method=method, checked_by="curator@example.org",
                                  at=datetime(2026, 11, 12, 18, 0, tzinfo=UTC))
    service.verify_interval_days = 3650
    db.session.commit()
    sync.rebuild(app)
    card, _badges, page, hit, detail, _printed = surfaces(client, service)
    assert f"{words} Nov 12, 2026" in card.replace("&#39;", "'").replace("&#x27;", "'")
    assert f"{words} Nov 12, 2026" in page.replace("&#39;", "'").replace("&#x27;", "'")
    assert hit["verification"] == {"last_verified_at": hit["last_verified_at"],
                                   "method": method, "overdue": False}
    assert detail["verification"]["method"] == method


def test_overdue_listings_say_since_when_and_rank_a_little_lower(app, client):
    text = {"description": "Counselling for survivors of violence in Harbour City."}
    late = make_service(id="00000000-0000-4000-8000-000000000001", name="Harbour Counselling A",
                        crisis_line=False, open_24_7=False, **text)
    fresh = make_service(id="00000000-0000-4000-8000-000000000002",
                         name="Harbour Counselling B", crisis_line=False, open_24_7=False, **text)
    for service in (late, fresh):
        freshness.record_verification(service, method="phone", checked_by="c",
                                      at=m.utcnow() - timedelta(days=40))
        service.verify_interval_days = 30 if service is late else 90
    db.session.commit()
    sync.rebuild(app)
    api = client.get("/api/v1/search?q=counselling+survivors").get_json()
    order = [h["id"] for h in api["contents"]]
    assert order.index(fresh.id) < order.index(late.id)
    assert api["contents"][order.index(late.id)]["verification"]["overdue"] is True
    html = client.post("/search", data={"q": "counselling survivors"}).get_data(as_text=True)
    assert "Not checked since" in card_of(html, "Harbour Counselling A")
    assert "Not checked since" not in card_of(html, "Harbour Counselling B")
    assert html.index("Harbour Counselling B") < html.index("Harbour Counselling A")
    page = client.get(f"/services/{late.id}").get_data(as_text=True)
    assert "Not checked since" in page
    # Both still listed (never hidden); once checked, the index order decides again.
    late = db.session.get(m.Service, late.id)
    late.verify_interval_days = 90
    db.session.commit()
    api = client.get("/api/v1/search?q=counselling+survivors").get_json()
    assert [h["id"] for h in api["contents"]][:2] == [late.id, fresh.id]


def test_a_crisis_line_closed_today_loses_its_24_hours_note(app, client):
    line = make_service(name="Harbour Night Line", id=uid())
    hours_exceptions.save_hours_exceptions(line, [{"starts_on": today(), "closed": True,
                                                   "reason": "phone system upgrade"}])
    db.session.commit()
    sync.rebuild(app)
    html = client.get("/").get_data(as_text=True)
    strip = html[html.index("Harbour Night Line"):]
    strip = strip[:strip.index("</li>")]
    assert "24 hours" not in strip
