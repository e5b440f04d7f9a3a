"""Other directories' real feeds: references HSDS allows become flagged placeholders, reported;
real problems still refuse the whole file."""

import json

import sqlalchemy as sa

from directory import models as m
from directory.extensions import db

TAXONOMY_ID = "11111111-1111-4111-8111-111111111111"
ORG_ID = "22222222-2222-4222-8222-222222222222"
TERM_ID = "33333333-3333-4333-8333-333333333333"
SERVICE_ID = "44444444-4444-4444-8444-444444444444"
LOCATION_ID = "55555555-5555-4555-8555-555555555555"


def feed(status="active"):
    return [
        {"id": TERM_ID, "name": "Legal aid", "description": "", "code": "legal",
         "taxonomy_id": TAXONOMY_ID,
         "taxonomy": "Legal Services Taxonomy"},
        {"id": LOCATION_ID, "location_type": "physical", "name": "Main office",
         "organization_id": ORG_ID},
        {"id": SERVICE_ID, "name": "Tenant advice", "status": status,
         "organization_id": ORG_ID, "organization_name": "Legal Aid Society",
         "attributes": [{"id": "66666666-6666-4666-8666-666666666666",
                         "taxonomy_term_id": TERM_ID}]},
    ]


def write(tmp_path, payload, name="feed.json"):
    path = tmp_path / name
    path.write_text(json.dumps(payload))
    return str(path)


def count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_terms_naming_taxonomy_by_id_and_missing_organizations_make_reported_placeholders(
        app, runner, tmp_path):
    result = runner.invoke(args=["import", write(tmp_path, feed())])
    assert result.exit_code == 0, result.output
    taxonomy = db.session.get(m.Taxonomy, TAXONOMY_ID)
    assert taxonomy.placeholder and taxonomy.name == "Legal Services Taxonomy"
    organization = db.session.get(m.Organization, ORG_ID)
    assert organization.placeholder and organization.name == "Legal Aid Society"
    assert db.session.get(m.Location, LOCATION_ID).organization_id == ORG_ID
    assert db.session.get(m.Service, SERVICE_ID).organization_id == ORG_ID
    assert db.session.get(m.TaxonomyTerm, TERM_ID).taxonomy_id == TAXONOMY_ID
    assert count(m.Attribute) == 1  # nothing dropped
    assert "placeholder taxonomy 'Legal Services Taxonomy'" in result.output
    assert "placeholder organization 'Legal Aid Society'" in result.output
    assert "link dropped" not in result.output


def test_taxonomy_without_a_name_is_named_from_its_id(app, runner, tmp_path):
    term = {"id": TERM_ID, "name": "Legal aid", "description": "", "taxonomy_id": TAXONOMY_ID}
    result = runner.invoke(args=["import", write(tmp_path, [term])])
    assert result.exit_code == 0, result.output
    assert db.session.get(m.Taxonomy, TAXONOMY_ID).name == f"External taxonomy {TAXONOMY_ID}"


def test_refuse_policy_and_bad_enum_import_nothing(app, runner, tmp_path):
    refused = runner.invoke(args=["import", "--missing-organizations", "refuse",
                                  write(tmp_path, feed())])
    assert refused.exit_code == 1
    assert f"no organization with id {ORG_ID}" in refused.output
    assert count(m.Service) == 0 and count(m.Taxonomy) == 0
    bad = runner.invoke(args=["import", write(tmp_path, feed(status="open"), "bad.json")])
    assert bad.exit_code == 1
    assert "'open' is not one of" in bad.output and "fix: use one of" in bad.output
    assert "Tenant advice" in bad.output  # the record is named
    assert count(m.Service) == 0 and count(m.Organization) == 0 and count(m.Taxonomy) == 0


def test_a_record_gets_the_same_messages_wherever_it_sits(app, runner, tmp_path):
    nameless = {"id": SERVICE_ID, "status": "active", "description": "No name"}
    outputs = []
    for name in ("list.json", "services_x.json"):
        result = runner.invoke(args=["import", write(tmp_path, [nameless], name)])
        assert result.exit_code == 1
        outputs.append(result.output.replace(name, "FILE"))
    assert outputs[0] == outputs[1]
    assert "service: 'name' is a required property" in outputs[0]
    assert "fix: add 'name'" in outputs[0]


def test_bulk_import_writes_the_same_records_and_logs(app, runner, tmp_path):
    path = write(tmp_path, feed())
    result = runner.invoke(args=["import", "--bulk", "--batch-size", "10", path])
    assert result.exit_code == 0, result.output
    assert db.session.get(m.Organization, ORG_ID).placeholder
    assert count(m.Attribute) == 1
    audited = set(db.session.scalars(sa.select(m.AuditLog.entity_id)))
    assert {SERVICE_ID, ORG_ID, TAXONOMY_ID, TERM_ID, LOCATION_ID} <= audited
    assert SERVICE_ID in set(db.session.scalars(sa.select(m.SearchChange.entity_id)))
