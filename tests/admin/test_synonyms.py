"""Search synonyms curated in the admin: saved, validated, audited, and effective in search at
once (the listings using the words are re-indexed; queries use the new group)."""

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


def create(client, locale: str, terms: str, note: str = ""):
    html = client.get("/admin/search_synonym/new/").get_data(as_text=True)
    data = form_data(html, locale=locale, terms=terms, note=note)
    return client.post("/admin/search_synonym/new/", data=data)


def ids(results):
    return [hit.id for hit in results.hits]


def test_a_synonym_group_takes_effect_at_once_and_is_audited(app, signed_in):
    wallaby = make_service(name="Harbour Wallaby Centre",
                           description="Support groups at the wallaby centre.")
    other = make_service(name="Cedar Clinic", description="Testing.")
    sync.rebuild(app)
    assert search("quokka").total == 0
    editor = signed_in("editor")

    response = create(editor, "en", " quokka ,  wallaby centre,QUOKKA ",
                      note="Local name for the centre")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    group = db.session.scalar(sa.select(m.SearchSynonym))
    assert group.terms == "quokka, wallaby centre"  # tidied, duplicates dropped
    # The listing that says "wallaby centre" is found by the other word, in the same process
    # and without a rebuild; unrelated listings are not.
    assert ids(search("quokka")) == [wallaby.id]
    assert other.id not in ids(search("quokka"))
    audit = db.session.scalars(sa.select(m.AuditLog).where(
        m.AuditLog.entity == "search_synonym")).all()
    assert audit and audit[0].actor == "editor@example.org"

    # Editing the group: the old word stops matching, the new one matches.
    html = editor.get(f"/admin/search_synonym/edit/?id={group.id}").get_data(as_text=True)
    response = editor.post(f"/admin/search_synonym/edit/?id={group.id}",
                           data=form_data(html, terms="numbat, wallaby centre"))
    assert response.status_code == 302
    assert search("quokka").total == 0
    assert ids(search("numbat")) == [wallaby.id]

    # Deleting it: back to plain words.
    html = editor.get("/admin/search_synonym/").get_data(as_text=True)
    from admin.staff import csrf_from

    response = editor.post("/admin/search_synonym/delete/",
                           data={"id": group.id, "csrf_token": csrf_from(html)})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(m.SearchSynonym)) == 0
    assert search("numbat").total == 0
    assert ids(search("wallaby")) == [wallaby.id]


def test_a_group_no_listing_uses_yet_still_reaches_queries(app, signed_in):
    sync.rebuild(app)
    editor = signed_in("editor")
    assert create(editor, "fr", "wombat, marsupial").status_code == 302
    # A listing written afterwards is indexed with the group's token.
    later = make_service(name="Le wombat", description="Un service.", text_language="fr",
                         translations=[])
    assert ids(search("marsupial", locale="fr")) == [later.id]


def test_bad_groups_are_form_errors_and_translators_cannot_curate(app, signed_in):
    editor = signed_in("editor")
    for terms, message in (("only-one", "at least two"),
                           (", ,", "at least two"),
                           (", ".join(f"word{n}" for n in range(41)), "At most 40"),
                           ("a, " + "x" * 101, "at most 100 characters")):
        response = create(editor, "en", terms)
        assert response.status_code == 200, terms
        assert message in response.get_data(as_text=True), terms
    response = create(editor, "xx", "a, b")
    assert response.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(m.SearchSynonym)) == 0
    translator = signed_in("translator")
    assert translator.get("/admin/search_synonym/").status_code in (302, 403)
