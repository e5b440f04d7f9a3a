"""Concept words curated in the admin: validated, audited, and effective in search at once in
every language (query time only: no re-indexing), next to the shipped concept files."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from admin.staff import csrf_from, form_data
from searchdata import ids, listing
from searchdata import taxonomy  # noqa: F401 - the category tree fixture

from directory import models as m
from directory.extensions import db
from directory.search import sync
from directory.search.query import search


@pytest.fixture
def database_url(sqlite_database_url):
    return sqlite_database_url


def create(client, **values):
    html = client.get("/admin/search_concept/new/").get_data(as_text=True)
    return client.post("/admin/search_concept/new/", data=form_data(html, **values))


def test_a_curated_word_activates_its_concept_at_once_from_any_language(app, taxonomy,
                                                                         signed_in):
    house = listing("Harbour House", "A transition house for women and children.",
                    terms=["transition-house"])
    listing("Cedar Clinic", "Sexual health testing.", terms=["sti-testing"])
    sync.rebuild(app)
    # A word Persian speakers type that the shipped concepts lack: nothing, before.
    word = "panahgah"  # "shelter" typed in Latin letters (Finglish)
    assert house.id not in ids(search(word, locale="fa"))
    editor = signed_in("editor")
    page = editor.get("/admin/search_concept/new/").get_data(as_text=True)
    assert "Transition houses" in page or "shelter" in page  # concepts by name, not only ids
    response = create(editor, concept_id="shelter", locale="fa", kind="word", text=f"  {word} ",
                      note="Seen in the zero-result searches")
    assert response.status_code == 302
    row = db.session.scalar(sa.select(m.SearchConceptTerm))
    assert row.text == word and row.concept_id == "shelter"
    # The English-only house is found from the Persian word, with no rebuild.
    assert ids(search(word, locale="fa"))[0] == house.id
    audit = db.session.scalars(sa.select(m.AuditLog).where(
        m.AuditLog.entity == "search_concept_term")).all()
    assert audit and audit[0].actor == "editor@example.org"
    listing_page = editor.get("/admin/search_concept/").get_data(as_text=True)
    assert word in listing_page and "Persian" in listing_page
    # Deleting it: the word finds nothing again (the answer cache does not keep it alive).
    response = editor.post("/admin/search_concept/delete/",
                           data={"id": row.id, "csrf_token": csrf_from(listing_page)})
    assert response.status_code == 302
    assert house.id not in ids(search(word, locale="fa"))


def test_a_curated_phrase_reaches_a_crisis_line_first(app, taxonomy, signed_in):
    crisis = listing("Harbour Crisis Line", "Support by phone, day and night.",
                     terms=["crisis-line"], crisis=True)
    listing("Cedar Clinic", "Sexual health testing, night clinic.", terms=["sti-testing"])
    sync.rebuild(app)
    editor = signed_in("editor")
    assert create(editor, concept_id="domestic-violence", locale="en", kind="phrase",
                  text="he throws things at me").status_code == 302
    results = search("he throws things at me at night")
    assert results.crisis_boosted and ids(results)[0] == crisis.id


def test_bad_terms_are_form_errors_and_translators_cannot_curate(app, signed_in):
    editor = signed_in("editor")
    for values, message in (({"text": ""}, "This field is required"),
                            ({"text": "x" * 101}, "100 characters"),
                            ({"kind": "phrase", "text": " ".join(["word"] * 9)}, "at most 8"),
                            ({"text": "DV", "concept_id": "domestic-violence"}, "already has"),
                            ({"concept_id": "no-such-concept"}, "Choose one of the concepts"),
                            ({"locale": "xx"}, "Not a valid choice")):
        data = {"concept_id": "shelter", "locale": "en", "kind": "word", "text": "refuge house",
                **values}
        response = create(editor, **data)
        assert response.status_code == 200, values
        assert message in response.get_data(as_text=True), values
    assert db.session.scalar(sa.select(sa.func.count()).select_from(m.SearchConceptTerm)) == 0
    translator = signed_in("translator")
    assert translator.get("/admin/search_concept/").status_code in (302, 403)
