"""A bulk import and a one-by-one import of the same feed leave the same database behind."""

from __future__ import annotations

import json
import os
import random
import shutil
import sys

import sqlalchemy as sa

from directory import PROJECT_ROOT, create_app
from directory.exchange.importer import import_path
from directory.extensions import db
from directory.models.entities import ENTITY_NAMES
from directory.operations import acting_as

DEMO = os.path.join(PROJECT_ROOT, "directory", "demo")
# Set by each write, so they differ between any two imports.
STAMPS = {"created_at", "updated_at", "last_modified"}
# Numbered by the database in write order.
SERIALS = {("audit_log", "id"), ("search_change", "seq")}
# The HSDS records, their translations, the audit trail and the search change log.
KEPT = {model.__tablename__ for model in ENTITY_NAMES} | {"audit_log", "search_change"}


def _feed(tmp_path) -> str:
    with open(os.path.join(DEMO, "services_violence.json"), encoding="utf-8") as handle:
        services = json.load(handle)
    with open(os.path.join(DEMO, "taxonomy.json"), encoding="utf-8") as handle:
        terms = {t["code"]: t["id"] for t in json.load(handle) if t.get("code")}
    sys.path.insert(0, os.path.join(PROJECT_ROOT, "bench"))
    from generate import listing

    rng = random.Random(5)
    services += [listing(n, terms, rng) for n in range(20)]
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(services), encoding="utf-8")
    return str(path)


def _clean(value):
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if k not in STAMPS}
    return value


def _content(bulk: bool, template: str, tmp_path, feed: str) -> dict[str, list]:
    folder = tmp_path / ("bulk" if bulk else "single")
    folder.mkdir()
    shutil.copy(template, folder / "db.sqlite")
    app = create_app({"TESTING": True, "SECRET_KEY": "test",
                      "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite'}",
                      "INDEX_DIR": str(folder / "index"), "SEARCH_ENSURE_ON_START": False,
                      "SEARCH_SYNC_ON_COMMIT": False})
    with app.app_context(), acting_as("importer"):
        schema_dir = app.config["HSDS_SCHEMA_DIR"]
        import_path(os.path.join(DEMO, "taxonomy.json"), schema_dir=schema_dir)
        db.session.commit()
        report = import_path(feed, schema_dir=schema_dir, default_publication="published",
                             bulk=bulk, batch_size=7)
        db.session.commit()
        with open(feed, encoding="utf-8") as handle:
            assert report.counts["service"] == len(json.load(handle))
        out: dict[str, list] = {}
        for table in db.metadata.sorted_tables:
            if table.name not in KEPT and not table.name.endswith("_translation"):
                continue
            columns = [c for c in table.columns
                       if c.name not in STAMPS and (table.name, c.name) not in SERIALS]
            rows = [tuple(json.dumps(_clean(v), sort_keys=True, default=str) for v in row)
                    for row in db.session.execute(sa.select(*columns))]
            out[table.name] = sorted(rows)
        # A listing touched by two batches is logged twice for the indexer; once is what counts.
        out["search_change"] = sorted(set(out["search_change"]))
        db.session.remove()
        db.engine.dispose()
    return out


def test_bulk_and_one_by_one_imports_leave_identical_content(sqlite_template, tmp_path):
    feed = _feed(tmp_path)
    single = _content(False, sqlite_template, tmp_path, feed)
    bulk = _content(True, sqlite_template, tmp_path, feed)
    assert len(single["service"]) > 40 and len(single["audit_log"]) > 300
    assert len(single["search_change"]) >= len(single["service"])
    differ = [table for table in single if bulk[table] != single[table]]
    assert differ in ([], ["audit_log"]), differ
    # A record that the feed gives twice, in two batches, is written twice (create, then
    # update); in one flush only its final state is. Every other audit row is the same.
    with open(feed, encoding="utf-8") as handle:
        ids = [i for i in _ids(json.load(handle))]
    repeated = {json.dumps(i) for i in ids if ids.count(i) > 1}
    assert repeated  # the generated feed shares organizations between listings

    def once(rows):
        return [row for row in rows if row[2] not in repeated]

    assert once(bulk["audit_log"]) == once(single["audit_log"])
    assert {row[2] for row in bulk["audit_log"]} == {row[2] for row in single["audit_log"]}
    assert len(once(single["audit_log"])) > 300


def _ids(node):
    if isinstance(node, dict):
        if isinstance(node.get("id"), str):
            yield node["id"]
        for value in node.values():
            yield from _ids(value)
    elif isinstance(node, list):
        for value in node:
            yield from _ids(value)
