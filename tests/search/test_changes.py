"""search.changes: an edit anywhere in what a listing's document reads reaches search."""

import sqlalchemy as sa
from searchdata import TERMS, ids, listing

from directory import models as m
from directory.extensions import db
from directory.search import changes
from directory.search.query import search


def _logged_since(seq):
    return set(db.session.scalars(sa.select(m.SearchChange.entity_id).where(
        m.SearchChange.seq > seq, m.SearchChange.entity == "service")))


def _seq():
    return db.session.scalar(sa.select(sa.func.max(m.SearchChange.seq))) or 0


def test_every_part_of_a_document_leads_back_to_its_listing(app, index, taxonomy):
    house = listing("Larch House", "A place to stay.", terms=["transition-house"],
                    organization={"id": "00000000-0000-4000-8000-000000000001",
                                  "name": "Larch Society"})
    other = listing("Spruce Clinic", "Testing.", terms=["sti-testing"])
    record = db.session.get(m.Service, house.id)
    location = record.service_at_locations[0].location
    edits = [
        (record.organization, "name", "Quillwort Society", "quillwort"),
        (location, "public_area", "Zinnia Flats", "zinnia"),
        (location.addresses[0], "city", "Yarrowville", "yarrowville"),
        (record.phones[0], "number", "604-555-0199", None),
        (record.languages[0], "code", "fr", None),
    ]
    for row, column, value, word in edits:
        before = _seq()
        setattr(row, column, value)
        db.session.commit()
        assert _logged_since(before) == {house.id}, (type(row).__name__, column)
        if word:
            assert ids(search(word)) == [house.id], word
    # A category label reaches every listing filed under it or below it, and only those.
    before = _seq()
    db.session.get(m.TaxonomyTerm, TERMS["violence-support"]).name = "Safety and support"
    db.session.commit()
    assert _logged_since(before) == {house.id}
    # Moving a location to another listing re-indexes both.
    before = _seq()
    db.session.get(m.ServiceAtLocation, record.service_at_locations[0].id).service_id = other.id
    db.session.commit()
    assert _logged_since(before) == {house.id, other.id}
    assert ids(search("zinnia")) == [other.id]


def test_deleting_a_part_reindexes_its_listing(app, index, taxonomy):
    house = listing("Tamarack House", "A place to stay.", city="Wintergreen")
    address = db.session.get(m.Service, house.id).service_at_locations[0].location.addresses[0]
    assert ids(search("wintergreen")) == [house.id]
    before = _seq()
    db.session.delete(address)
    db.session.commit()
    assert _logged_since(before) == {house.id}


def test_load_options_cover_every_part():
    tables = {rel.property.mapper.local_table.name for rel in _walk(changes.DOCUMENT_PARTS)}
    assert {"organization", "phone", "location", "address", "service_translation",
            "location_translation"} <= tables <= changes.RELEVANT_TABLES
    assert len(changes.load_options()) == len(changes.DOCUMENT_PARTS)


def _walk(parts):
    for rel, below in parts.items():
        yield rel
        yield from _walk(below)
