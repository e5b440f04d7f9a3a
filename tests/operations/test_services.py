"""The operations layer: validation names the field, workflow, translations, audit and change log."""

import pytest
import sqlalchemy as sa
from factories import make_service, service_data, uid

from directory import models as m
from directory import operations
from directory.extensions import db


def test_create_service_saves_everything_it_nests(app):
    service = make_service()
    db.session.expire_all()
    saved = db.session.get(m.Service, service.id)
    assert saved.publication == "published"
    assert saved.organization.name == "Harbour Women's Society"
    assert saved.phones[0].number == "604-555-0142" and saved.phones[0].text_ok is True
    assert saved.schedules[0].byday == "MO,TU,WE,TH,FR,SA,SU"
    location = saved.service_at_locations[0].location
    assert location.confidential and location.public_area == "East Vancouver"
    assert saved.translated("name", "fr") == ("Ligne de crise Harbour pour femmes", "fr")
    # No Spanish translation: the English text, labelled as English.
    assert saved.translated("name", "es") == ("Harbour Women's Crisis Line", "en")


def test_validation_errors_name_every_bad_field_and_save_nothing(app):
    data = service_data(name="", status="open", phones=[{"id": uid(), "number": ""}],
                        minimum_age=30, maximum_age=12,
                        schedules=[{"id": uid(), "byday": "MO,XX", "opens_at": "25:99"}],
                        translations=[{"locale": "klingon", "name": "x"}])
    with pytest.raises(operations.ValidationError) as caught:
        operations.create_service(data)
    paths = {e.path for e in caught.value.errors}
    assert {"service.name", "service.status", "service.phones[0].number",
            "service.maximum_age", "service.schedules[0].byday",
            "service.schedules[0].opens_at", "service.translations[0].locale"} <= paths
    assert all(e.record_id == data["id"] for e in caught.value.errors)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(m.Service.id))) == 0


def test_operations_flush_but_never_commit(app):
    service = operations.create_service(service_data())
    db.session.rollback()
    assert db.session.get(m.Service, service.id) is None


def test_publication_workflow(app):
    service = make_service(publish=False)
    assert service.publication == "draft" and not service.is_public
    with operations.acting_as("editor@example.org"):
        operations.submit_service_for_review(service.id)
    assert service.publication == "in_review"
    operations.publish_service(service.id)
    assert service.is_public
    operations.archive_service(service.id)
    assert service.publication == "archived" and not service.is_public
    with pytest.raises(operations.ValidationError, match="cannot go from archived to published"):
        operations.publish_service(service.id)


def test_cannot_publish_an_incomplete_service(app):
    service = make_service(publish=False, description="", phones=[], service_at_locations=[])
    with pytest.raises(operations.ValidationError) as caught:
        operations.publish_service(service.id)
    assert {e.path for e in caught.value.errors} == {"service.description", "service.phones"}


def test_translation_goes_stale_when_the_source_changes(app):
    service = make_service()
    assert service.stale_translations() == []
    operations.update_service(service.id, {"description": "Now also by chat."})
    db.session.commit()
    assert service.stale_translations() == ["fr"]
    operations.translate_service(service.id, "fr", {"name": "Ligne Harbour",
                                                    "description": "Aussi par clavardage."})
    db.session.commit()
    assert service.stale_translations() == []
    assert service.translated("description", "fr")[0] == "Aussi par clavardage."


def test_every_change_is_audited_with_who_and_what(app):
    service = make_service()
    with operations.acting_as("curator@example.org"):
        operations.update_service(service.id, {"name": "Harbour Line"})
    db.session.commit()
    rows = db.session.scalars(sa.select(m.AuditLog).where(
        m.AuditLog.entity == "service", m.AuditLog.entity_id == service.id)
        .order_by(m.AuditLog.id)).all()
    assert rows[0].action == "create" and rows[0].actor == "test"
    last = rows[-1]
    assert last.action == "update" and last.actor == "curator@example.org"
    assert last.changes["name"] == ["Harbour Women's Crisis Line", "Harbour Line"]


def test_change_log_rows_commit_with_the_edit(app):
    service = make_service()
    before = db.session.scalar(sa.select(sa.func.max(m.SearchChange.seq)))
    # Editing a nested record (the location) logs its service.
    location = service.service_at_locations[0].location
    location.public_area = "Grandview"
    db.session.commit()
    rows = db.session.scalars(sa.select(m.SearchChange).where(m.SearchChange.seq > before)).all()
    assert [r.entity_id for r in rows] == [service.id]
    # A rolled-back edit leaves no row.
    location.public_area = "Elsewhere"
    db.session.flush()
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.max(m.SearchChange.seq))) == rows[-1].seq


def test_deleting_a_service_logs_it_and_removes_what_it_owns(app):
    service = make_service()
    phone_id = service.phones[0].id
    operations.delete_service(service.id)
    db.session.commit()
    assert db.session.get(m.Phone, phone_id) is None
    last = db.session.scalars(sa.select(m.SearchChange).order_by(m.SearchChange.seq.desc())).first()
    assert last.entity_id == service.id


def test_user_passwords_never_reach_the_audit_trail(app, runner):
    result = runner.invoke(args=["users", "create", "a@example.org", "--role", "admin",
                                 "--password", "correct horse battery"])
    assert result.exit_code == 0, result.output
    rows = db.session.scalars(sa.select(m.AuditLog).where(m.AuditLog.entity == "user")).all()
    assert rows and all("password" not in (r.changes or {}) for r in rows)
    assert "correct horse" not in str([r.changes for r in db.session.scalars(
        sa.select(m.AuditLog))])


def test_acting_as_names_the_actor_for_the_block_only(app):
    service = make_service()
    operations.set_actor("cli:someone")
    with operations.acting_as("curator@example.org") as name:
        assert name == operations.current_actor() == "curator@example.org"
        operations.update_service(service.id, {"name": "Harbour Line"})
    assert operations.current_actor() == "cli:someone"
    operations.update_service(service.id, {"name": "Harbour Line, again"})
    db.session.commit()
    actors = db.session.scalars(sa.select(m.AuditLog.actor).where(
        m.AuditLog.entity == "service", m.AuditLog.entity_id == service.id,
        m.AuditLog.action == "update").order_by(m.AuditLog.id)).all()
    assert actors[-2:] == ["curator@example.org", "cli:someone"]
