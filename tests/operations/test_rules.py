"""The rules behind the admin's forms, called the way every surface calls them: operations."""

from __future__ import annotations

import ast
import pathlib

import pytest
import sqlalchemy as sa
from factories import make_service

from directory import models as m
from directory import operations
from directory.extensions import db

PACKAGE = pathlib.Path(operations.__file__).parent.parent


def test_origins_have_one_rule_shared_by_the_partner_form_and_the_widget():
    for good in ("https://example.org", "http://localhost:8080", "https://a-b.example.org"):
        assert operations.is_origin(good), good
    for bad in ("https://example.org/", "https://example.org/path", "ftp://example.org",
                "https://exa mple.org", "https://example.org:123456", "javascript:alert(1)",
                "https://example.org:\u0661\u0662"):
        assert not operations.is_origin(bad), bad
    partner = m.Partner(key="k", name="n",
                        allowed_origins="https://a.example.org/ bogus http://b.example.org:81")
    assert operations.partner_origins(partner) == ["https://a.example.org",
                                                   "http://b.example.org:81"]


def test_a_partner_with_a_bad_key_or_origin_is_refused(app):
    partner = m.Partner(key="x", name="Riverside", allowed_origins="https://ok.example.org nope",
                        preset_locale="")
    db.session.add(partner)
    with pytest.raises(operations.ValidationError) as caught:
        operations.save_partner(partner)
    assert {e.path for e in caught.value.errors} == {"key", "allowed_origins"}
    partner.key, partner.allowed_origins = "riverside", "https://ok.example.org"
    operations.save_partner(partner)
    assert partner.preset_locale is None and partner.id is not None


def test_synonym_groups_are_tidied_and_checked(app):
    group = m.SearchSynonym(locale="en", terms=" STI ,sexually transmitted infection,sti ")
    db.session.add(group)
    operations.save_synonym_group(group)
    assert group.terms == "STI, sexually transmitted infection"
    for locale, terms, path in (("xx", "a, b", "locale"), ("en", "alone", "terms"),
                                ("en", ", ".join(f"w{n}" for n in range(41)), "terms"),
                                ("en", "a, " + "x" * 101, "terms")):
        bad = m.SearchSynonym(locale=locale, terms=terms)
        with pytest.raises(operations.ValidationError) as caught:
            operations.save_synonym_group(bad)
        assert [e.path for e in caught.value.errors] == [path], terms


def test_a_translation_row_needs_its_record_and_a_free_locale(app):
    service = make_service()
    row_model = m.Service.translation_class
    orphan = row_model(parent_id=m.new_id(), locale="es", name="x")
    with pytest.raises(operations.ValidationError, match="No record with this id"):
        operations.save_translation(orphan, m.Service)
    twice = row_model(parent_id=service.id, locale="fr", name="x")
    db.session.add(twice)
    with pytest.raises(operations.ValidationError, match="already has a translation"):
        operations.save_translation(twice, m.Service)
    db.session.rollback()
    row = row_model(parent_id=service.id, locale="es", name="Línea")
    db.session.add(row)
    operations.save_translation(row, m.Service)
    assert row.source_digest == db.session.get(m.Service, service.id).source_digest()


def test_a_record_edited_in_place_follows_the_rules_of_save_record(app):
    service = make_service()
    service.url = "javascript:alert(1)"
    with pytest.raises(operations.ValidationError) as caught:
        operations.save_edited_record(service)
    assert [e.path for e in caught.value.errors] == ["service.url"]
    service.url = "https://example.org"
    schedule = service.schedules[0]
    schedule.byday = "MO,XX"
    with pytest.raises(operations.ValidationError, match="unknown day"):
        operations.save_edited_record(service, owned=[schedule])
    db.session.rollback()


def test_an_admin_cannot_disable_their_own_account(app):
    from admin.staff import make_user

    make_user("boss@example.org", "admin")
    make_user("helper@example.org", "editor")
    boss, helper = (db.session.scalar(sa.select(m.User).where(m.User.email == email))
                    for email in ("boss@example.org", "helper@example.org"))
    boss.active = False
    with pytest.raises(operations.ValidationError):
        operations.save_account(boss, by=boss)
    db.session.rollback()
    with pytest.raises(operations.ValidationError):
        operations.check_account_deletion(boss, by=boss)
    before = helper.fs_uniquifier
    helper.active = False
    operations.save_account(helper, by=boss)
    assert helper.fs_uniquifier != before  # its sessions end


def imported_modules(path: pathlib.Path) -> set[str]:
    """Absolute names of the modules a file of the ``directory`` package imports."""
    package = ["directory", *path.relative_to(PACKAGE).parent.parts]
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("layer", ["operations", "models", "search"])
def test_lower_layers_never_import_the_surfaces(layer):
    surfaces = ("directory.admin", "directory.public", "directory.api", "directory.widget")
    for path in (PACKAGE / layer).rglob("*.py"):
        bad = [name for name in imported_modules(path)
               if any(name == s or name.startswith(s + ".") for s in surfaces)]
        assert not bad, f"{path.name} imports {bad}"
