"""Reports from the public: "Something wrong?" on a listing, the rules that make a listing due
now, the staff queue, and what is (not) stored about the visitor."""

from __future__ import annotations

import re
import uuid
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from admin.staff import FreshClient, make_user, sign_in
from factories import make_service
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from directory import models as m
from directory.extensions import db, limiter

USER_AGENT = "ReportTestBrowser/7.3 (visitor-fingerprint-4711)"
# Flask-Admin 2.2's select fields still use (value, label) tuples, which WTForms 3.3 deprecates.
pytestmark = [
    pytest.mark.filterwarnings("ignore:Yielding raw tuples from iter_choices:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Passing SelectField choices as tuples:DeprecationWarning"),
]
# Tests about pages rather than storage run on SQLite only (the suite's time is short).
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def app_config(app_config):
    """A generous report limit (the rate-limit test sets its own) and cheap password hashes."""
    return {**app_config, "RATELIMIT_REPORT": "1000 per hour", "SEARCH_SYNC_ON_COMMIT": False,
            "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS": {
                "argon2__memory_cost": 1024, "argon2__rounds": 1, "argon2__parallelism": 1}}


@pytest.fixture(autouse=True)
def _fresh_limits(app):
    """The in-memory rate-limit counts outlive the app of an earlier test."""
    app.test_client_class = FreshClient
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture
def editor(app):
    make_user("editor@example.org", "editor")
    client = app.test_client()
    assert sign_in(client, "editor@example.org").status_code in (302, 303)
    return client


def stored_reports() -> list[m.ProblemReport]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(m.ProblemReport).order_by(m.ProblemReport.id)))


def listing(service_id: str) -> m.Service:
    db.session.expire_all()
    return db.session.get(m.Service, service_id)


def report(client, service_id: str, locale: str = "en", **data):
    return client.post(f"/{locale}/services/{service_id}/report", data=data)


# -- in a real browser, without JavaScript ---------------------------------------------------
@pytest.mark.browser
@SQLITE_ONLY
def test_visitor_reports_a_wrong_phone_on_a_crisis_line_without_javascript(
        app, live_server, browser, editor):
    service = make_service(name="Harbour Women's Crisis Line")
    app.config["WTF_CSRF_ENABLED"] = True  # as in production: the form needs no token
    context = browser.new_context(java_script_enabled=False, user_agent=USER_AGENT)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/en/services/{service.id}")
        form = page.locator("details.report")
        assert not page.get_by_label("The phone number does not work").is_visible()
        form.locator("summary").click()  # a native disclosure: no script needed
        page.get_by_label("The phone number does not work").check()
        page.get_by_label("Anything you would like to add (optional)").fill(
            "The number says it is not in service.")
        # The honeypot: off-screen, out of the tab order, not in the accessibility tree.
        box = page.locator("#report-website").bounding_box()
        assert box["x"] + box["width"] <= 0
        assert page.get_by_role("textbox", name="Leave this field empty").count() == 0
        assert page.get_by_role("textbox", name="Anything you would like to add").count() == 1
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            page.get_by_role("button", name="Send report").click()
        response = answer.value
        assert response.status == 200
        assert response.header_value("set-cookie") is None
        assert page.get_by_role("heading", name="Thank you").is_visible()
        assert page.locator(".safety-alert").get_by_text("604-555-0142").is_visible()
        page.get_by_role("link", name="Back to the listing").click()
        assert page.url == f"{live_server.url}/en/services/{service.id}"
        assert context.cookies() == []
    finally:
        context.close()

    # Stored: the report, and nothing that could identify the visitor.
    [row] = stored_reports()
    assert (row.kind, row.note, row.locale, row.status) == (
        "phone", "The number says it is not in service.", "en", "open")
    assert (row.reported_at.minute, row.reported_at.second,
            row.reported_at.microsecond) == (0, 0, 0)
    values = db.session.execute(sa.select(m.ProblemReport.__table__)).one()._asdict()
    for column, value in values.items():
        assert "127.0.0.1" not in str(value), column
        assert "visitor-fingerprint" not in str(value) and "ReportTest" not in str(value), column
    for entry in db.session.scalars(sa.select(m.AuditLog)):
        assert "127.0.0.1" not in str(entry.changes) and "fingerprint" not in str(entry.changes)
        assert entry.entity != "problem_report", "the report leaves no exact-time audit row"

    # The crisis line is due for checking at once.
    assert listing(service.id).due_now_at is not None
    assert "crisis line" in listing(service.id).due_now_reason

    # Staff see it in the queue, under the listing, linked to its editor.
    html = editor.get("/admin/reports/").get_data(as_text=True)
    assert "Harbour Women&#39;s Crisis Line" in html or "Harbour Women's Crisis Line" in html
    assert "The phone number does not work" in html
    assert "The number says it is not in service." in html
    assert f"/admin/service/edit/?id={service.id}" in html
    assert "English" in html


# -- the rules -------------------------------------------------------------------------------
def test_two_same_kind_reports_make_a_listing_due_now_but_one_does_not(app, client):
    service = make_service(name="Westside Clinic", crisis_line=False, open_24_7=False)
    assert report(client, service.id, kind="closed").status_code == 200
    assert report(client, service.id, kind="phone").status_code == 200
    assert listing(service.id).due_now_at is None, "one report of each kind is not enough"
    response = report(client, service.id, locale="fr", kind="closed", note="Fermé depuis mai.")
    assert response.status_code == 200
    assert '<html lang="fr"' in response.get_data(as_text=True)
    record = listing(service.id)
    assert record.due_now_at is not None and "closed" in record.due_now_reason
    assert [(r.kind, r.locale) for r in stored_reports()] == [
        ("closed", "en"), ("phone", "en"), ("closed", "fr")]


@SQLITE_ONLY
def test_a_filled_honeypot_gets_the_thank_you_and_stores_nothing(app, client):
    service = make_service(crisis_line=True)
    response = report(client, service.id, kind="phone", note="Buy cheap pills",
                      website="http://spam.example")
    assert response.status_code == 200
    assert "Thank you" in response.get_data(as_text=True)
    assert stored_reports() == []
    assert listing(service.id).due_now_at is None


def test_a_too_long_note_is_a_400_with_the_form_and_a_message(app, client):
    service = make_service()
    response = report(client, service.id, kind="other", note="x" * 1001)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Your note is 1001 characters long" in html and "1000 characters or fewer" in html
    assert 'name="kind" id="report-kind-other" value="other" required checked' in html
    assert stored_reports() == []
    # Line breaks count once, as the browser's maxlength counts them.
    note = "x" * 499 + "\r\n" + "x" * 500
    assert report(client, service.id, kind="other", note=note).status_code == 200
    assert stored_reports()[0].note == "x" * 499 + "\n" + "x" * 500


@SQLITE_ONLY
def test_no_kind_is_a_400_that_asks_for_one(app, client):
    service = make_service()
    response = report(client, service.id, kind="everything", note="hm")
    assert response.status_code == 400
    assert "Choose what is wrong with this listing." in response.get_data(as_text=True)
    assert stored_reports() == []


@SQLITE_ONLY
def test_unknown_and_unpublished_listings_are_404(app, client):
    draft = make_service(publish=False, name="Draft Line")
    for service_id in (str(uuid.uuid4()), "not-an-id", draft.id):
        assert report(client, service_id, kind="phone").status_code == 404, service_id
        assert client.get(f"/en/services/{service_id}/report").status_code == 404
    assert stored_reports() == []


@SQLITE_ONLY
def test_a_request_that_is_too_big_is_refused_calmly(app, client):
    service = make_service()
    response = report(client, service.id, kind="other", note="x" * 40000)
    assert response.status_code == 413
    assert "too much to send" in response.get_data(as_text=True)
    assert stored_reports() == []


@SQLITE_ONLY
def test_reports_are_rate_limited_with_a_calm_page(app, app_config, client):
    app.config["RATELIMIT_REPORT"] = "2 per hour"
    service = make_service()
    assert report(client, service.id, kind="other").status_code == 200
    assert report(client, service.id, kind="other").status_code == 200
    response = report(client, service.id, locale="fr", kind="other")
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "Error code: 429" in html or "429" in html
    assert "crisis" in html.lower() or "crise" in html.lower()
    assert "Retry-After" in response.headers
    assert len(stored_reports()) == 2
    # Reading listings and the form is never limited.
    assert client.get(f"/en/services/{service.id}/report").status_code == 200
    assert client.get(f"/en/services/{service.id}").status_code == 200


@SQLITE_ONLY
def test_the_report_limit_is_shared_through_redis_and_keeps_no_address(app, app_config):
    redis = pytest.importorskip("redis")
    server = redis.Redis(host="127.0.0.1", port=6379, db=15, socket_timeout=0.5)
    try:
        server.ping()
    except Exception:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    from directory import create_app

    service = make_service()
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"
    shared = {**app_config, "RATELIMIT_REPORT": "2 per hour",
              "REDIS_URL": "redis://127.0.0.1:6379/15",
              "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15"}
    workers = [create_app(shared) for _ in range(2)]
    try:
        statuses = [workers[i % 2].test_client().post(
            f"/en/services/{service.id}/report", data={"kind": "other"},
            environ_overrides={"REMOTE_ADDR": address}).status_code for i in range(3)]
        assert statuses == [200, 200, 429]
        keys = [key.decode() for key in server.scan_iter(count=1000)]
        assert any("report:" in key for key in keys)
        assert not any(address in key for key in keys), "the limiter keeps a hash, not the address"
    finally:
        for worker in workers:
            with worker.app_context():
                db.engine.dispose()


@SQLITE_ONLY
def test_the_listing_page_offers_the_form_without_a_cookie(app, client):
    service = make_service()
    response = client.get(f"/en/services/{service.id}")
    assert "Set-Cookie" not in response.headers
    html = response.get_data(as_text=True)
    assert '<details class="report" id="report">' in html
    assert f'action="/en/services/{service.id}/report"' in html
    assert "csrf_token" not in html
    assert html.count('type="radio" name="kind"') == len(m.REPORT_KINDS)
    assert 'maxlength="1000"' in html
    assert re.search(r'<div class="report-trap" aria-hidden="true">\s*<label for="report-website">'
                     r'Leave this field empty</label>\s*<input type="text" id="report-website" '
                     r'name="website" value="" tabindex="-1" autocomplete="off">', html)
    response = client.get(f"/fr/services/{service.id}/report")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    # CSRF protection is on in production; this form is exempt (a token needs a cookie).
    app.config["WTF_CSRF_ENABLED"] = True
    response = report(client, service.id, kind="other")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert len(stored_reports()) == 1


# -- the staff queue -------------------------------------------------------------------------
def test_staff_resolve_and_dismiss_reports_and_both_are_audited(app, client, editor):
    service = make_service(name="Eastside Shelter", crisis_line=False)
    other = make_service(name="Northside Clinic", crisis_line=False)
    report(client, service.id, kind="address_hours", note="Moved to Main St.")
    report(client, service.id, kind="closed")
    report(client, other.id, kind="not_as_described", locale="vi", note="Không phải.")
    first, second, third = stored_reports()

    html = editor.get("/admin/reports/").get_data(as_text=True)
    assert html.index("Eastside Shelter") < html.index("Northside Clinic")  # most reports first
    assert "2 reports" in html and "Vietnamese" in html
    home = editor.get("/admin/").get_data(as_text=True)
    assert "open reports from the public" in home

    response = editor.post("/admin/reports/decide", data={
        "report_id": first.id, "decision": "resolve", "resolution": "Address updated."})
    assert response.status_code == 302
    assert "resolved" in editor.get("/admin/reports/").get_data(as_text=True)
    editor.post("/admin/reports/decide", data={"report_id": third.id, "decision": "dismiss"})
    closed = {r.id: r for r in stored_reports()}
    assert (closed[first.id].status, closed[first.id].resolved_by,
            closed[first.id].resolution) == ("resolved", "editor@example.org", "Address updated.")
    assert closed[third.id].status == "dismissed" and closed[third.id].resolved_at is not None
    assert closed[second.id].status == "open"

    audit = {(row.entity_id, row.changes["status"][1]): row for row in db.session.scalars(
        sa.select(m.AuditLog).where(m.AuditLog.entity == "problem_report"))}
    assert audit[(str(first.id), "resolved")].actor == "editor@example.org"
    assert audit[(str(third.id), "dismissed")].actor == "editor@example.org"

    # A report already closed (someone else was quicker) is a message, not an error.
    response = editor.post("/admin/reports/decide", data={
        "report_id": first.id, "decision": "dismiss"}, follow_redirects=True)
    assert "already closed" in response.get_data(as_text=True)
    response = editor.post("/admin/reports/decide", data={
        "report_id": "999999", "decision": "resolve"}, follow_redirects=True)
    assert "no longer exists" in response.get_data(as_text=True)
    html = editor.get("/admin/reports/?state=resolved").get_data(as_text=True)
    assert "Address updated." in html and "Moved to Main St." in html
    html = editor.get("/admin/reports/?state=dismissed").get_data(as_text=True)
    assert "Northside Clinic" in html and "Eastside Shelter" not in html


@SQLITE_ONLY
def test_the_widget_offers_the_report_link_label(app, client):
    from directory.widget import _labels

    assert _labels("en")["report"] == "Something wrong?" and _labels("fr")["report"]
    db.session.add(m.Partner(key="harbour-centre", name="Harbour Centre",
                             allowed_origins="https://partner.example", active=True))
    db.session.commit()
    config = client.get("/widget/config/harbour-centre.json").get_json()
    assert config["labels"]["report"] and config["labels"]["report_title"]


# -- nothing a visitor sends gives a 500 -------------------------------------------------------
FIELD_TEXT = st.text(st.characters(codec="utf-8"), max_size=1200)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(kind=st.one_of(st.sampled_from(m.REPORT_KINDS), FIELD_TEXT),
       note=st.one_of(st.none(), FIELD_TEXT), website=st.one_of(st.none(), FIELD_TEXT),
       extra=st.dictionaries(st.text(min_size=1, max_size=10), FIELD_TEXT, max_size=3),
       locale=st.sampled_from(["en", "fr", "ar", "zh_Hant"]),
       which=st.sampled_from(["real", "random", "odd"]), odd=st.text(max_size=40))
def test_fuzzed_reports_never_give_a_500(app, client, kind, note, website, extra, locale,
                                         which, odd):
    service = db.session.scalar(sa.select(m.Service).limit(1)) or make_service()
    service_id = {"real": service.id, "random": str(uuid.uuid4()), "odd": odd}[which]
    data = {**extra, "kind": kind}
    if note is not None:
        data["note"] = note
    if website is not None:
        data["website"] = website
    response = client.post(f"/{locale}/services/{quote(service_id, safe='')}/report", data=data)
    assert response.status_code in (200, 308, 400, 404, 405, 413), response.status_code
