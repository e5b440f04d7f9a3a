"""The set-based loader (``documents.load_records``, used by rebuilds and syncs) gives exactly
the documents the ORM objects give (``documents.load_services``, the listing's own records).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from directory import models as m
from directory.cli import load_demo
from directory.extensions import db
from directory.search import documents
from directory.search.changes import DOCUMENT_PARTS


def _documents(app, loader, ids):
    with db.session.no_autoflush:
        services = loader(ids, session=db.session)
        return dict(documents.iter_documents(services, app.config["DEFAULT_TIMEZONE"],
                                             session=db.session))


def _relationships_used(services, parts, seen, prefix=""):
    for relationship, below in parts.items():
        name = prefix + relationship.key
        children = []
        for service in services:
            value = getattr(service, relationship.key)
            children.extend(value if isinstance(value, list) else [value] if value else [])
        if children:
            seen.add(name)
        _relationships_used(children, below, seen, name + ".")


def test_batch_documents_equal_the_orm_documents_for_the_demo_data(app):
    load_demo()
    db.session.commit()
    ids = list(db.session.scalars(sa.select(m.Service.id).order_by(m.Service.id)))
    assert len(ids) > 10
    expected = _documents(app, documents.load_services, ids)
    db.session.expunge_all()
    batch = _documents(app, documents.load_records, ids)
    assert batch.keys() == expected.keys()
    assert any(doc is None for doc in expected.values())  # non-public listings too
    for service_id in ids:
        assert batch[service_id] == expected[service_id], service_id
    # One listing at a time (the incremental path) gives the same documents as the batch.
    for service_id in ids[:8]:
        assert _documents(app, documents.load_records, [service_id]) == \
            {service_id: expected[service_id]}
    # The comparison means something: the demo data reaches most parts of a document.
    seen: set[str] = set()
    _relationships_used(documents.load_records(ids, session=db.session), DOCUMENT_PARTS, seen)
    assert {"translations", "organization", "phones", "languages", "service_at_locations",
            "service_at_locations.location", "service_at_locations.location.addresses"} <= seen


def test_a_record_refuses_what_the_loader_does_not_load(app):
    load_demo()
    db.session.commit()
    record = documents.load_records(
        [db.session.scalar(sa.select(m.Service.id).limit(1))], session=db.session)[0]
    assert record.name
    with pytest.raises(AttributeError):
        record.required_documents  # not part of a search document: not loaded
