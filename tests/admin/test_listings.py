"""Editing listings in the admin: forms with inline rows, workflow, verification, audit, search."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from admin.staff import form_data
from factories import make_service

from directory import models as m
from directory.extensions import db
from directory.search import sync
from directory.search.query import search


@pytest.fixture
def app_config(app_config):
    """These tests search right after an edit: keep the index in step with each commit."""
    return {**app_config, "SEARCH_SYNC_ON_COMMIT": True}


def edit_page(client, service_id: str) -> str:
    response = client.get(f"/admin/service/edit/?id={service_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_admin_edit_reaches_public_search_and_history(app, signed_in):
    service = make_service(name="Harbour Crisis Line")
    sync.rebuild(app)
    editor = signed_in("admin")  # a publisher: a name fix on a live listing needs no review
    html = edit_page(editor, service.id)
    data = form_data(html, name="Lighthouse Crisis Line")
    response = editor.post(f"/admin/service/edit/?id={service.id}", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]

    names = [hit.name for hit in search("lighthouse", locale="en").hits]
    assert names == ["Lighthouse Crisis Line"]
    assert search("harbour", locale="en").total == 0 or \
        all(h.id != service.id or h.name != "Harbour Crisis Line"
            for h in search("harbour", locale="en").hits)

    history = editor.get(f"/admin/history/service/{service.id}").get_data(as_text=True)
    assert "admin@example.org" in history
    assert "Harbour Crisis Line" in history and "Lighthouse Crisis Line" in history


def test_inline_phone_is_saved_with_a_draft_listing(app, signed_in):
    service = make_service(name="Inline Rows Line", publish=False)
    editor = signed_in("editor")
    data = form_data(edit_page(editor, service.id))
    phone_key = next(k for k in data if k.startswith("phones-") and k.endswith("-number"))
    data[phone_key] = "604-555-0199"
    response = editor.post(f"/admin/service/edit/?id={service.id}", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    record = db.session.get(m.Service, service.id)
    assert [p.number for p in record.phones] == ["604-555-0199"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(m.ServiceRevision)) == 0

def test_unsafe_links_and_bad_values_are_form_errors(app, signed_in):
    service = make_service(name="Link Check Line")
    editor = signed_in("editor")
    html = edit_page(editor, service.id)
    for bad in ("javascript:alert(1)", " JaVaScRiPt:alert(1)", "data:text/html,<b>x</b>",
                "java\tscript:alert(1)"):
        response = editor.post(f"/admin/service/edit/?id={service.id}",
                               data=form_data(html, link_url=bad))
        assert response.status_code == 200  # the form again
        assert "only http, https, mailto and tel links" in response.get_data(as_text=True)
    response = editor.post(f"/admin/service/edit/?id={service.id}",
                           data=form_data(html, email="not an address"))
    assert "is not an email address" in response.get_data(as_text=True)
    db.session.expire_all()
    record = db.session.get(m.Service, service.id)
    assert record.url is None and record.email is None


def test_workflow_actions_and_verification(app, signed_in):
    ready = make_service(name="Ready Line", publish=False)
    empty = make_service(name="Empty Line", publish=False, description="", phones=[],
                         service_at_locations=[])
    refused = signed_in("editor").post("/admin/service/action/",
                                       data={"action": "publish", "rowid": [ready.id]},
                                       follow_redirects=True).get_data(as_text=True)
    assert "Only a publisher can publish" in refused
    editor = signed_in("admin")
    response = editor.post("/admin/service/action/",
                           data={"action": "publish", "rowid": [ready.id, empty.id]},
                           follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "is required to publish" in text
    db.session.expire_all()
    assert db.session.get(m.Service, ready.id).publication == "published"
    assert db.session.get(m.Service, empty.id).publication == "draft"

    response = editor.post("/admin/service/action/",
                           data={"action": "verify", "rowid": [ready.id]})
    assert response.status_code == 302
    db.session.expire_all()
    record = db.session.get(m.Service, ready.id)
    assert record.verified_by == "admin@example.org" and record.last_verified_at is not None

    response = editor.post("/admin/service/workflow/", data={"id": ready.id, "action": "archive"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(m.Service, ready.id).publication == "archived"
    actors = set(db.session.scalars(sa.select(m.AuditLog.actor).where(
        m.AuditLog.entity == "service", m.AuditLog.entity_id == ready.id,
        m.AuditLog.action == "update")))
    assert actors == {"admin@example.org"}


def test_translator_edits_translation_rows_only(app, signed_in):
    service = make_service(name="Translator Line")
    translator = signed_in("translator")
    assert translator.get(f"/admin/service/edit/?id={service.id}").status_code == 403
    response = translator.get(
        f"/admin/service_translation/new/?parent_id={service.id}&locale=es")
    assert response.status_code == 200
    response = translator.post("/admin/service_translation/new/",
                               data={"parent_id": service.id, "locale": "es",
                                     "name": "Línea del traductor"})
    assert response.status_code == 302
    db.session.expire_all()
    record = db.session.get(m.Service, service.id)
    assert record.translation("es").name == "Línea del traductor"
    assert "es" not in record.stale_translations()
    duplicate = translator.post("/admin/service_translation/new/",
                                data={"parent_id": service.id, "locale": "es", "name": "x"})
    assert "already has a translation" in duplicate.get_data(as_text=True)


def test_inline_phone_and_schedule_rules_are_checked(app, signed_in):
    service = make_service(name="Inline Rules Line")
    editor = signed_in("editor")
    data = form_data(edit_page(editor, service.id))
    assert data["schedules-MO-open"] == "y"  # the hours editor shows the stored week
    data["schedules-MO-closes"] = "9 pm"
    response = editor.post(f"/admin/service/edit/?id={service.id}", data=data)
    assert response.status_code == 200
    assert "Mon: give opening and closing times" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(m.Service, service.id).schedules[0].byday == "MO,TU,WE,TH,FR,SA,SU"
