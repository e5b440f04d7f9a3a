"""Verification outcomes, the check plan and capacity travel in our HSDS profile and come back."""

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from api.test_profile import Profile
from factories import make_service

from directory import models as m
from directory.extensions import db
from directory.operations import freshness


def _checked_listing():
    service = make_service(name="Harbour House", verify_interval_days=45)
    earlier = m.utcnow() - timedelta(days=50)
    freshness.record_verification(service, method="phone", checked_by="ana@example.org",
                                  facts={"phones": "unreachable"}, at=earlier)
    freshness.record_verification(service, method="phone", checked_by="ana@example.org",
                                  facts={"phones": "confirmed", "hours": "changed",
                                         "cost": "confirmed"},
                                  note="New Friday hours", at=earlier + timedelta(days=1))
    freshness.record_verification(service, method="provider", checked_by="provider",
                                  facts={"phones": "confirmed"})
    service.capacity, service.capacity_updated_at = "waitlist", m.utcnow()
    service.capacity_updated_by = "ana@example.org"
    service.check_assignee, service.lead_flag = "bo@example.org", "unreachable"
    db.session.commit()
    return service


def _state(service_id):
    service = db.session.get(m.Service, service_id)
    checks = [(v.checked_at, v.method, v.outcome, v.facts, v.checked_by, v.note)
              for v in db.session.scalars(sa.select(m.Verification).where(
                  m.Verification.service_id == service_id).order_by(m.Verification.checked_at))]
    return {"checks": checks, "method": service.last_verified_method,
            "verified": service.last_verified_at, "interval": service.verify_interval_days,
            "capacity": (service.capacity, service.capacity_updated_at)}


def _empty():
    for table in ("verification", "service_at_location", "phone", "schedule", "attribute"):
        db.session.execute(sa.text(f"DELETE FROM {table}"))
    for model in (m.ServiceTranslation, m.Service):
        db.session.execute(sa.delete(model))
    db.session.commit()


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_checks_and_capacity_round_trip_and_team_state_stays_home(app, runner, client,
                                                                 tmp_path, fmt):
    service = _checked_listing()
    before = _state(service.id)
    assert len(before["checks"]) == 3 and before["method"] == "provider"

    folder = tmp_path / fmt
    result = runner.invoke(args=["export", str(folder), "--format", fmt,
                                 "--include-confidential"])
    assert result.exit_code == 0, result.output
    text = "".join(p.read_text(encoding="utf-8") for p in folder.iterdir())
    # Whose queue it is in and the lead's flag are the team's business, not the listing's.
    assert "bo@example.org" not in text and "lead_flag" not in text
    if fmt == "json":
        exported = json.loads((folder / "services.json").read_text(encoding="utf-8"))[0]
        assert [v["method"] for v in exported["verifications"]] == ["phone", "phone", "provider"]
        assert exported["verifications"][1]["facts"]["hours"] == "changed"
        assert exported["capacity"] == "waitlist" and exported["verify_interval_days"] == 45
        Profile(client).check(exported, "service")

    _empty()
    result = runner.invoke(args=["import", str(folder), "--publication", "published"])
    assert result.exit_code == 0, result.output
    assert _state(service.id) == before
    # Importing the same file again adds no second copy of any check.
    assert runner.invoke(args=["import", str(folder)]).exit_code == 0
    assert _state(service.id) == before


def test_public_export_keeps_outcomes_but_not_who_checked(app, runner, tmp_path):
    _checked_listing()
    folder = tmp_path / "public"
    assert runner.invoke(args=["export", str(folder)]).exit_code == 0
    exported = json.loads((folder / "services.json").read_text(encoding="utf-8"))[0]
    assert [v["outcome"] for v in exported["verifications"]] == [
        "unreachable", "changed", "confirmed"]
    assert all("checked_by" not in v and "note" not in v for v in exported["verifications"])


def test_bad_checks_in_an_import_are_refused_with_the_field(app, runner, tmp_path):
    service = make_service(name="Odd import")
    folder = tmp_path / "out"
    assert runner.invoke(args=["export", str(folder)]).exit_code == 0
    rows = json.loads((folder / "services.json").read_text(encoding="utf-8"))
    rows[0]["verifications"] = [{"checked_at": "yesterday", "method": "pigeon",
                                 "outcome": "confirmed", "facts": {"phones": "maybe"}}]
    (folder / "services.json").write_text(json.dumps(rows), encoding="utf-8")
    result = runner.invoke(args=["import", str(folder)])
    assert result.exit_code != 0
    assert "verifications" in result.output
    assert db.session.scalar(sa.select(sa.func.count(m.Verification.id)).where(
        m.Verification.service_id == service.id)) == 0
