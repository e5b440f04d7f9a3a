"""Every admin URL in the url map, for anonymous visitors and each role, GET and POST."""

from __future__ import annotations

import re

import sqlalchemy as sa
from admin.staff import sign_in
from factories import make_service

from directory import models as m
from directory.extensions import db

ADMIN = {"admin"}
EDITORS = {"admin", "editor"}
STAFF = {"admin", "editor", "translator"}

# Who may use each admin area (Flask-Admin blueprint name -> roles). Written out here, not
# read from the views, so a view that grants too much makes this test fail.
EXPECTED = {
    "admin": STAFF,                      # home and language choice
    "service": EDITORS, "organization": EDITORS, "location": EDITORS,
    "taxonomyterm": EDITORS, "page": EDITORS,
    "program": EDITORS, "service_at_location": EDITORS, "phone": EDITORS,
    "schedule": EDITORS, "address": EDITORS, "contact": EDITORS, "service_area": EDITORS,
    "language": EDITORS, "accessibility": EDITORS, "cost_option": EDITORS,
    "required_document": EDITORS, "funding": EDITORS, "organization_identifier": EDITORS,
    "url": EDITORS, "attribute": EDITORS, "metadata": EDITORS, "taxonomy": EDITORS,
    "admin_stale": EDITORS, "admin_history": EDITORS, "admin_import": EDITORS,
    "admin_export": EDITORS, "admin_search_misses": EDITORS, "search_synonym": EDITORS, "search_concept": EDITORS,
    "admin_checks": EDITORS, "admin_translations": STAFF, "admin_translate": STAFF, "admin_review": EDITORS,
    "admin_provider_requests": EDITORS,
    "user": ADMIN, "partner": ADMIN, "auditlog": ADMIN, "admin_index": ADMIN,
}


def expected_roles(endpoint: str) -> set[str]:
    area = endpoint.split(".")[0]
    if area.endswith("_translation"):
        return STAFF
    assert area in EXPECTED, f"new admin area {area!r}: add who may use it to this test"
    return EXPECTED[area]


def admin_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/admin") and not rule.endpoint.endswith(".static"):
            yield rule


def url_for_rule(rule, service_id: str) -> str:
    url = rule.rule.replace("<export_type>", "csv").replace("<entity>", "service")
    url = url.replace("<entity_id>", service_id).replace("<record_id>", service_id)
    url = url.replace("<service_id>", service_id)
    url = url.replace("<locale>", "fr").replace("<int:revision_id>", "1")
    assert "<" not in url, f"no sample value for {rule.rule}"
    if rule.endpoint.endswith((".edit_view", ".details_view")):
        url += f"?id={service_id}"
    return url


def attack_form(service_id: str) -> dict[str, str]:
    """A POST body that would change or delete the listing if anything let it through."""
    return {"action": "delete", "rowid": service_id, "id": service_id,
            "list_form_pk": service_id, "name": "Changed by an intruder", "status": "defunct",
            "locale": "fr", "url": "/admin/"}


def audit_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(m.AuditLog.id)))


def test_every_admin_url_answers_each_role_as_it_should(app, signed_in):
    service = make_service(name="Walk Test Line")
    service_id = service.id
    clients = {"anonymous": app.test_client(),
               **{role: signed_in(role) for role in ("translator", "editor", "admin")}}
    rules = list(admin_rules(app))
    assert len(rules) > 100
    denied_posts = 0
    before = audit_count()
    for rule in rules:
        allowed = expected_roles(rule.endpoint)
        url = url_for_rule(rule, service_id)
        for who, client in clients.items():
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                if method == "POST" and who in allowed:
                    continue  # allowed writes are exercised by the tests of each feature
                response = client.open(url, method=method,
                                       data=attack_form(service_id) if method == "POST" else None)
                response.get_data()  # streamed exports run to the end inside the request
                response.close()
                where = f"{who} {method} {url}"
                assert response.status_code != 500, where
                if who == "anonymous":
                    assert response.status_code in (302, 303, 403), where
                    if response.status_code != 403:
                        assert "/account/login" in response.headers["Location"], where
                elif who in allowed:
                    assert response.status_code not in (401, 403), where
                    assert response.status_code < 500, where
                    if response.status_code in (302, 303):
                        assert "/account/login" not in response.headers["Location"], where
                else:
                    assert response.status_code == 403, where
                if method == "POST":
                    denied_posts += 1
    assert denied_posts > 100
    db.session.expire_all()
    assert audit_count() == before, "a refused request changed something"
    record = db.session.get(m.Service, service_id)
    assert record.name == "Walk Test Line" and record.status == "active"


def test_inline_edit_and_bulk_delete_are_refused_without_the_role(app, signed_in):
    service = make_service(name="Inline Target")
    translator = signed_in("translator")
    response = translator.post("/admin/service/ajax/update/",
                               data={"list_form_pk": service.id, "status": "defunct"})
    assert response.status_code in (403, 404)
    response = translator.post("/admin/service/action/",
                               data={"action": "delete", "rowid": service.id})
    assert response.status_code == 403
    editor = signed_in("editor")
    # The audit log is read-only: no delete, inline edit or bulk delete, even for admins.
    row_id = db.session.scalar(sa.select(m.AuditLog.id).limit(1))
    assert editor.post("/admin/auditlog/action/",
                       data={"action": "delete", "rowid": row_id}).status_code == 403
    admin = signed_in("admin")
    for url, data in (("/admin/auditlog/delete/", {"id": row_id}),
                      ("/admin/auditlog/ajax/update/", {"list_form_pk": row_id, "actor": "x"}),
                      ("/admin/auditlog/edit/?id=" + str(row_id), {"actor": "x"})):
        assert admin.post(url, data=data).status_code == 404, url
    admin.post("/admin/auditlog/action/", data={"action": "delete", "rowid": row_id})
    db.session.expire_all()
    assert db.session.get(m.AuditLog, row_id) is not None
    assert db.session.get(m.Service, service.id).status == "active"


def test_listings_have_no_inline_edit_that_would_skip_review(app, signed_in):
    """Flask-Admin's inline edit saves one field with no form and no review: a live listing's
    status or crisis flag must go through the editor (and its review) instead."""
    service = make_service(name="Inline Edit Line")
    editor = signed_in("editor")
    response = editor.post("/admin/service/ajax/update/",
                           data={"list_form_pk": service.id, "status": "temporarily closed"})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(m.Service, service.id).status == "active"

def test_disabled_account_loses_its_session_at_once(app, signed_in):
    editor = signed_in("editor")
    assert editor.get("/admin/service/").status_code == 200
    admin = signed_in("admin")
    user = db.session.scalar(sa.select(m.User).where(m.User.email == "editor@example.org"))
    response = admin.post("/admin/user/ajax/update/",
                          data={"list_form_pk": user.id, "active": ""})
    assert response.status_code == 200, response.get_data(as_text=True)
    response = editor.get("/admin/service/")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_no_default_account_and_wrong_password_is_refused(app, client, staff):
    response = sign_in(client, "admin@example.org", "wrong password here")
    assert response.status_code == 200  # the form again, with an error
    assert client.get("/admin/").status_code == 302
    response = sign_in(client, "admin@example.org")
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_login_is_rate_limited(app, client, staff):
    codes = [sign_in(client, "admin@example.org", "wrong password here").status_code
             for _ in range(12)]
    assert codes[0] == 200 and codes[-1] == 429


def test_admin_pages_carry_csp_and_cookies_are_http_only(app, signed_in):
    admin = signed_in("admin")
    response = admin.get("/admin/service/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp and "unsafe-inline" not in csp
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    html = response.get_data(as_text=True)
    scripts = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert all(f'nonce="{nonce}"' in tag for tag in scripts), scripts


def test_session_cookie_is_secure_httponly_and_lax(app, app_config, staff):
    from directory import create_app

    secure_app = create_app({**app_config, "SECURE_COOKIES": True})
    with secure_app.test_request_context():
        response = sign_in(secure_app.test_client(), "admin@example.org")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    with secure_app.app_context():
        db.engine.dispose()


def test_totp_second_factor_is_asked_for_once_set_up(app, client, staff):
    totp = app.extensions["security"]._totp_factory
    user = db.session.scalar(sa.select(m.User).where(m.User.email == "admin@example.org"))
    user.tf_primary_method = "authenticator"
    user.tf_totp_secret = totp.generate_totp_secret()
    db.session.commit()
    response = sign_in(client, "admin@example.org")
    assert client.get("/admin/").status_code == 302  # the password alone is not enough
    assert "tf-validate" in response.headers.get("Location", "") or \
        "tf-validate" in response.get_data(as_text=True)
    assert client.post("/account/tf-validate", data={"code": "000000"}).status_code == 200
    assert client.get("/admin/").status_code == 302
    code = totp.generate_totp_password(user.tf_totp_secret)
    response = client.post("/account/tf-validate", data={"code": code})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_sign_in_events_are_logged_without_secrets(app, client, staff, caplog):
    import logging

    caplog.set_level(logging.INFO, logger="directory.security")
    sign_in(client, "admin@example.org", "wrong password here")
    sign_in(client, "admin@example.org")
    messages = [r.getMessage() for r in caplog.records if r.name == "directory.security"]
    assert any(msg.startswith("sign-in failed") for msg in messages)
    assert any(msg.startswith("sign-in: user") for msg in messages)
    text = " ".join(messages)
    assert "wrong password" not in text and "battery" not in text and "127.0.0.1" not in text
