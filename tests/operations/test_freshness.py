"""The freshness plan: intervals by risk tier and category, due dates, recording checks."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from factories import make_service, uid

from directory import models as m
from directory import operations
from directory.extensions import db
from directory.operations import freshness


def _term(code, parent=None, days=None):
    term = m.TaxonomyTerm(id=uid(), code=code, name=code, parent_id=parent.id if parent else None,
                          verify_interval_days=days)
    db.session.add(term)
    return term


def _categorise(service, *terms):
    for term in terms:
        db.session.add(m.Attribute(id=uid(), link_id=service.id, link_entity="service",
                                   link_type="category", taxonomy_term_id=term.id))
    db.session.commit()


def test_intervals_follow_risk_tiers_categories_and_overrides(app):
    violence = _term("violence-support")
    houses = _term("transition-house", violence)
    counselling = _term("counselling", violence)
    health = _term("sexual-health")
    testing = _term("sti-testing", health, days=120)
    under_testing = _term("anonymous-testing", testing)
    shelter = make_service(crisis_line=False)
    counsel = make_service(crisis_line=False)
    clinic = make_service(crisis_line=False)
    anonymous = make_service(crisis_line=False)
    crisis = make_service(crisis_line=True)
    plain = make_service(crisis_line=False)
    _categorise(shelter, houses, counselling)
    _categorise(counsel, counselling)
    _categorise(clinic, health)
    _categorise(anonymous, under_testing)
    got = freshness.intervals_for([shelter, counsel, clinic, anonymous, crisis, plain])
    assert got == {shelter.id: 30, counsel.id: 90, clinic.id: 180, anonymous.id: 120,
                   crisis.id: 30, plain.id: 180}
    plain.verify_interval_days = 14
    assert freshness.interval_days(plain) == 14


def test_a_reached_check_moves_the_due_date_and_clears_due_now(app):
    service = make_service(crisis_line=True)
    freshness.make_due_now(service, "report:phone")
    assert freshness.is_overdue(service)
    check = freshness.record_verification(service, method="phone", checked_by="ana@example.org",
                                          facts={"phones": "confirmed", "hours": "changed"})
    db.session.commit()
    assert check.outcome == "changed"
    assert service.due_now_at is None and service.last_verified_method == "phone"
    assert freshness.due_at(service) - service.last_verified_at == timedelta(days=30)
    assert not freshness.is_overdue(service)


def test_could_not_reach_twice_flags_the_listing_for_the_lead(app):
    service = make_service()
    before = service.last_verified_at
    freshness.record_verification(service, method="phone", checked_by="a",
                                  facts={"phones": "unreachable"})
    assert service.lead_flag is None and service.last_verified_at == before
    freshness.record_verification(service, method="phone", checked_by="b",
                                  facts={"phones": "unreachable"})
    db.session.commit()
    assert service.lead_flag == "unreachable"
    rows = db.session.scalars(sa.select(m.Verification.checked_by).where(
        m.Verification.service_id == service.id)).all()
    assert sorted(rows) == ["a", "b"]
    freshness.record_verification(service, method="phone", checked_by="c",
                                  facts={"phones": "confirmed"})
    assert service.lead_flag is None


def test_bad_checks_are_refused_by_field(app):
    service = make_service()
    with pytest.raises(operations.ValidationError) as caught:
        freshness.record_verification(service, method="telepathy", checked_by="a",
                                      facts={"phones": "maybe", "mood": "confirmed"})
    assert {e.path for e in caught.value.errors} == {"method", "facts.phones", "facts.mood"}
