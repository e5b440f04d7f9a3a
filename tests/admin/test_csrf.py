"""CSRF: one mechanism (Flask-WTF's CSRFProtect) on every admin and sign-in POST."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from admin.staff import FreshClient, csrf_from, make_user, sign_in
from factories import make_service

from directory import create_app
from directory import models as m
from directory.extensions import db


@pytest.fixture
def csrf_app(app, app_config, fresh_clients):
    """A second app on the same database, with CSRF checks on as in production."""
    protected = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    protected.test_client_class = FreshClient
    with protected.app_context():
        yield protected
        db.session.remove()
        db.engine.dispose()


def test_sign_in_without_a_token_is_refused(csrf_app):
    make_user("editor@example.org", "editor")
    client = csrf_app.test_client()
    response = sign_in(client, "editor@example.org")
    assert response.status_code == 400
    assert client.get("/admin/").status_code == 302
    assert sign_in(client, "editor@example.org", csrf=True).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_admin_posts_without_a_token_change_nothing(csrf_app):
    make_user("admin@example.org", "admin")
    service = make_service(name="Token Line")
    client = csrf_app.test_client()
    assert sign_in(client, "admin@example.org", csrf=True).status_code == 302
    audit_before = db.session.scalar(sa.select(sa.func.count(m.AuditLog.id)))
    attempts = [
        ("/admin/service/edit/?id=" + service.id, {"name": "Forged", "status": "active",
                                                   "text_language": "en"}),
        ("/admin/review/1/decide", {"decision": "approve"}),
        ("/admin/service/action/", {"action": "delete", "rowid": service.id}),
        ("/admin/service/action/", {"action": "archive", "rowid": service.id}),
        ("/admin/service/delete/", {"id": service.id}),
        ("/admin/service/workflow/", {"id": service.id, "action": "archive"}),
        ("/admin/search-index/rebuild", {}),
        ("/admin/locale", {"locale": "fr"}),
    ]
    for url, data in attempts:
        response = client.post(url, data=data)
        assert response.status_code == 400, url
    db.session.expire_all()
    record = db.session.get(m.Service, service.id)
    assert record.name == "Token Line" and record.publication == "published"
    assert db.session.scalar(sa.select(sa.func.count(m.AuditLog.id))) == audit_before

    # The same edit with the page's token goes through.
    page = client.get("/admin/service/edit/?id=" + service.id).get_data(as_text=True)
    token = csrf_from(page)
    response = client.post("/admin/service/workflow/",
                           data={"id": service.id, "action": "archive", "csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(m.Service, service.id).publication == "archived"
