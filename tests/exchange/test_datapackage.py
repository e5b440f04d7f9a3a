"""HSDS examples in, export (JSON or CSV datapackage) out, into an empty database: same records."""

import csv
import os

import pytest
import sqlalchemy as sa
from factories import make_service

from directory import models as m
from directory.extensions import db

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "hsds", "examples")
pytestmark = pytest.mark.skipif(not os.path.isdir(EXAMPLES), reason="../shared/hsds not present")
SKIPPED_COLUMNS = {"created_at", "updated_at"}



def content_tables():
    """The HSDS tables and their translation tables."""
    from directory.models.entities import ENTITY_NAMES

    names = {model.__tablename__ for model in ENTITY_NAMES}
    return [t for t in db.metadata.sorted_tables
            if t.name in names or t.name.removesuffix("_translation") in names]


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every content table (timestamps aside), sorted."""
    out = {}
    for table in content_tables():
        columns = [c for c in table.columns if c.key not in SKIPPED_COLUMNS
                   and not (c.key == "id" and table.name.endswith("_translation"))
                   and not (c.key == "version" and table.name == "service")]  # edit counter
        rows = db.session.execute(sa.select(*columns)).all()
        out[table.name] = sorted((tuple(map(repr, row)) for row in rows))
    return out


def empty_database() -> None:
    for table in reversed(content_tables()):
        db.session.execute(table.delete())
    db.session.commit()


def orphan_links() -> set[str]:
    """Ids of attributes and metadata rows pointing at no record (nested JSON cannot hold them)."""
    ids = set()
    for table in content_tables():
        if "id" in table.columns and table.name not in ("attribute", "metadata"):
            ids |= {repr(i) for i in db.session.scalars(sa.select(table.c.id))}
    orphans = {repr(i) for i, link in db.session.execute(
        sa.select(m.Attribute.id, m.Attribute.link_id)) if repr(link) not in ids}
    orphans |= {repr(i) for i, link in db.session.execute(
        sa.select(m.Metadata.id, m.Metadata.resource_id)) if repr(link) not in ids}
    return orphans


def round_trip(runner, tmp_path, fmt: str) -> None:
    before = snapshot()
    # HSDS JSON nests attributes and metadata in the record they describe, so rows describing
    # no record cannot travel in it; the CSV datapackage keeps them.
    lost_ok = orphan_links() if fmt == "json" else set()
    folder = tmp_path / f"export-{fmt}"
    result = runner.invoke(args=["export", str(folder), "--format", fmt,
                                 "--include-confidential"])
    assert result.exit_code == 0, result.output
    empty_database()
    assert snapshot()["service"] == []
    result = runner.invoke(args=["import", str(folder), "--publication", "published"])
    assert result.exit_code == 0, result.output
    after = snapshot()
    problems = {table: {row for row in set(rows) ^ set(after[table]) if row[0] not in lost_ok}
                for table, rows in before.items()}
    problems = {table: rows for table, rows in problems.items() if rows}
    assert not problems, {t: sorted(r) for t, r in problems.items()}


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_json_examples_round_trip_through_either_format(app, runner, tmp_path, fmt):
    for name in ("service_full.json", "organization_full.json", "taxonomy_term_list.json"):
        result = runner.invoke(args=["import", os.path.join(EXAMPLES, name)])
        assert result.exit_code == 0, result.output
    make_service()  # our extensions: translations, confidential site, safe-contact phone
    assert db.session.scalar(sa.select(sa.func.count(m.Service.id))) > 1
    round_trip(runner, tmp_path, fmt)


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_csv_example_datapackage_imports_and_round_trips(app, runner, tmp_path, fmt):
    result = runner.invoke(args=["import", "--allow-dangling", os.path.join(EXAMPLES, "csv")])
    assert result.exit_code == 0, result.output
    service = db.session.get(m.Service, "ac148810-d857-441c-9679-408f346de14b")
    assert service.name == "Community Counselling" and service.minimum_age == 12
    assert service.service_at_locations and service.phones
    round_trip(runner, tmp_path, fmt)


def test_csv_export_hides_confidential_sites_unless_asked(app, runner, tmp_path):
    make_service()
    result = runner.invoke(args=["export", str(tmp_path / "out"), "--format", "csv"])
    assert result.exit_code == 0, result.output
    text = "".join((tmp_path / "out" / name).read_text() for name in os.listdir(tmp_path / "out"))
    assert "Secret Street" not in text and "49.2781" not in text
    with open(tmp_path / "out" / "locations.csv", newline="") as handle:
        location = next(csv.DictReader(handle))
    assert location["confidential"] == "true" and location["public_area"] == "East Vancouver"


def test_broken_csv_is_refused_with_every_problem_listed(app, runner, tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "services.csv").write_text(
        "id,name,status,minimum_age\nnot-a-uuid,Clinic,open-ish,ten\n")
    result = runner.invoke(args=["import", str(folder)])
    assert result.exit_code == 1
    for fragment in ("service.id", "service.status", "service.minimum_age"):
        assert fragment in result.output
    assert db.session.scalar(sa.select(sa.func.count(m.Service.id))) == 0
