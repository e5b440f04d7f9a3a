"""Import HSDS 3.0 examples, export, and get back every field; bad files change nothing."""

import json
import os
import re

import pytest
import sqlalchemy as sa

from directory import models as m
from directory.extensions import db

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "hsds", "examples")
BUNDLED_SCHEMA = os.path.join(os.path.dirname(__file__), "..", "..", "directory", "exchange",
                              "hsds_schema")
# Fields that nesting decides: an attribute nested in a service links to that service, whatever
# placeholder the example file holds.
CONTEXT_FIELDS = {"link_id", "link_entity", "resource_id", "resource_type"}
# Which export file holds each example's top-level object.
EXPORT_FILE = {"service": "services", "organization": "organizations", "location": "locations",
               "taxonomy": "taxonomies", "taxonomy_term": "taxonomy_terms",
               "service_at_location": "services"}

pytestmark = pytest.mark.skipif(not os.path.isdir(EXAMPLES), reason="../shared/hsds not present")


TIME_RE = re.compile(r"^\d{1,2}:\d{2}(:\d{2})?$")


def normalise(value):
    """Compare numbers by value and times of day by the time (10:00 is 10:00:00)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and TIME_RE.match(value):
        return tuple(int(p) for p in (value + ":00").split(":")[:3])
    return value


def assert_contains(original, exported, path="$"):
    """Every field of ``original`` is in ``exported`` with the same value (lists matched by id)."""
    if isinstance(original, dict):
        assert isinstance(exported, dict), f"{path}: expected an object, got {exported!r}"
        for key, value in original.items():
            if key in CONTEXT_FIELDS or value is None:
                continue
            assert key in exported, f"{path}.{key} missing from the export"
            assert_contains(value, exported[key], f"{path}.{key}")
    elif isinstance(original, list):
        assert isinstance(exported, list), f"{path}: expected a list"
        by_id = {item.get("id"): item for item in exported if isinstance(item, dict)}
        assert len(exported) >= len(original), f"{path}: {len(exported)} < {len(original)} items"
        for index, item in enumerate(original):
            match = by_id.get(item.get("id")) if isinstance(item, dict) else exported[index]
            assert match is not None, f"{path}[{index}] (id {item.get('id')}) missing"
            assert_contains(item, match, f"{path}[{index}]")
    else:
        assert normalise(original) == normalise(exported), f"{path}: {original!r} != {exported!r}"


def export(runner, tmp_path):
    folder = tmp_path / "export"
    result = runner.invoke(args=["export", str(folder)])
    assert result.exit_code == 0, result.output
    return {name[:-5]: json.loads((folder / name).read_text()) for name in os.listdir(folder)}


@pytest.mark.parametrize("example,entity", [
    ("service_full.json", "service"), ("organization_full.json", "organization"),
    ("location.json", "location"), ("service_at_location_full.json", "service_at_location"),
    ("taxonomy.json", "taxonomy"), ("taxonomy_term.json", "taxonomy_term"),
    ("service_list.json", "service"), ("organization_list.json", "organization"),
    ("service_at_location_list.json", "service_at_location"), ("taxonomy_list.json", "taxonomy"),
    ("taxonomy_term_list.json", "taxonomy_term"),
])
def test_example_round_trips(app, runner, tmp_path, example, entity):
    path = os.path.join(EXAMPLES, example)
    result = runner.invoke(args=["import", path])
    assert result.exit_code == 0, result.output
    exported = export(runner, tmp_path)
    with open(path) as handle:
        payload = json.load(handle)
    originals = payload["contents"] if "contents" in payload else [payload]
    for original in originals:
        if entity == "service_at_location":
            service = next(s for s in exported["services"]
                           if any(sal["id"] == original["id"]
                                  for sal in s["service_at_locations"]))
            sal = next(x for x in service["service_at_locations"] if x["id"] == original["id"])
            nested_service = original.get("service")
            original = {k: v for k, v in original.items() if k != "service"}
            assert_contains(original, sal)
            if nested_service:
                assert_contains(nested_service, service)
            continue
        rows = {row["id"]: row for row in exported[EXPORT_FILE[entity]]}
        if entity == "organization" and "services" in original:
            services = {s["id"]: s for s in exported["services"]}
            for nested in original["services"]:
                assert_contains(nested, services[nested["id"]])
            original = {k: v for k, v in original.items() if k != "services"}
        assert_contains(original, rows[original["id"]])


def test_export_is_valid_hsds(app, runner, tmp_path):
    from directory.exchange.schema import schema_errors

    runner.invoke(args=["import", os.path.join(EXAMPLES, "service_full.json")])
    exported = export(runner, tmp_path)
    schema_dir = app.config["HSDS_SCHEMA_DIR"]
    for name, entity in (("services", "service"), ("organizations", "organization"),
                         ("locations", "location"), ("taxonomy_terms", "taxonomy_term")):
        for row in exported[name]:
            assert schema_errors(entity, row, schema_dir) == []


def test_tabular_example_imports_with_its_dangling_links_reported(app, runner):
    path = os.path.join(EXAMPLES, "tabular.json")
    refused = runner.invoke(args=["import", "--missing-organizations", "refuse", path])
    assert refused.exit_code == 1
    assert "location.organization_id: no organization with id 985e4a42" in refused.output
    assert "--missing-organizations create" in refused.output
    assert db.session.scalar(sa.select(sa.func.count(m.Location.id))) == 0
    result = runner.invoke(args=["import", "--missing-organizations", "refuse",
                                 "--allow-dangling", path])
    assert result.exit_code == 0, result.output
    assert "link dropped" in result.output
    assert db.session.get(m.Service, "ac148810-d857-441c-9679-408f346de14b").name == \
        "Community Counselling"


def test_malformed_file_changes_nothing_and_lists_every_problem(app, runner, tmp_path):
    runner.invoke(args=["import", os.path.join(EXAMPLES, "service_full.json")])
    before = db.session.scalar(sa.select(sa.func.count(m.AuditLog.id)))
    with open(os.path.join(EXAMPLES, "service_full.json")) as handle:
        good = json.load(handle)
    good["id"] = "1b7a1e0e-5f0e-4b8f-9d5e-111111111111"
    good["name"] = "Should not appear"
    for item in good["phones"] + good["schedules"]:
        item["id"] = "2b7a1e0e-5f0e-4b8f-9d5e-" + str(len(item)).zfill(12)
    bad = dict(good, id="3b7a1e0e-5f0e-4b8f-9d5e-222222222222", status="open-ish",
               minimum_age="ten")
    bad["phones"] = [{"id": "not-a-uuid", "number": 5}]
    path = tmp_path / "services.json"
    path.write_text(json.dumps([good, bad]))
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 1
    assert "nothing was imported" in result.output
    assert "3b7a1e0e-5f0e-4b8f-9d5e-222222222222" in result.output
    for fragment in ("service.status", "service.minimum_age", "service.phones[0].id",
                     "service.phones[0].number"):
        assert fragment in result.output
    assert db.session.get(m.Service, good["id"]) is None
    assert db.session.scalar(sa.select(sa.func.count(m.AuditLog.id))) == before


@pytest.mark.parametrize("content,message", [
    ("{not json", "not valid JSON"),
    ('"just a string"', "cannot tell which HSDS object"),
    ("[1, 2]", "cannot tell which HSDS object"),
])
def test_unreadable_files_fail_cleanly(app, runner, tmp_path, content, message):
    path = tmp_path / "broken.json"
    path.write_text(content)
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_missing_path_is_a_usage_error(app, runner, tmp_path):
    result = runner.invoke(args=["import", str(tmp_path / "nope.json")])
    assert result.exit_code == 2
    assert "no such file or folder" in result.output


def test_bundled_schema_matches_shared_copy():
    shared = os.path.join(EXAMPLES, "..", "schema")
    for name in os.listdir(shared):
        with open(os.path.join(shared, name)) as a, open(os.path.join(BUNDLED_SCHEMA, name)) as b:
            assert a.read() == b.read(), name


def test_confidential_locations_are_redacted_unless_asked(app, runner, tmp_path):
    from factories import make_service

    make_service()
    exported = export(runner, tmp_path)
    text = json.dumps(exported)
    assert "1234 Secret Street" not in text and "49.2781" not in text
    assert "East Vancouver" in text
    folder = tmp_path / "backup"
    result = runner.invoke(args=["export", "--include-confidential", str(folder)])
    assert result.exit_code == 0
    assert "1234 Secret Street" in (folder / "services.json").read_text()
