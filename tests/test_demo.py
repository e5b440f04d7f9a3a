"""The demo data set: what `make run` shows a first-time visitor."""

import sqlalchemy as sa

from directory import models as m
from directory.extensions import db


def test_demo_set_is_rich_and_loads_cleanly(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    services = db.session.scalars(sa.select(m.Service)).all()
    assert len(services) >= 60
    public = [s for s in services if s.is_public]
    assert sum(s.crisis_line for s in public) >= 5
    french = [s for s in services if s.translation("fr") or s.text_language == "fr"]
    assert len(french) / len(services) > 0.6
    other = {row.locale for s in services for row in s.translations} - {"en", "fr"}
    assert {"es", "zh_Hans", "zh_Hant", "pa", "ar", "fa", "ko", "vi", "tl"} <= other
    confidential = db.session.scalars(sa.select(m.Location).where(m.Location.confidential)).all()
    assert len(confidential) >= 5 and all(loc.public_area for loc in confidential)
    cities = set(db.session.scalars(sa.select(m.Address.city)))
    assert len(cities) >= 5
    codes = {t.code for t in db.session.scalars(sa.select(m.TaxonomyTerm))}
    used = set(db.session.scalars(sa.select(m.TaxonomyTerm.code).join(
        m.Attribute, m.Attribute.taxonomy_term_id == m.TaxonomyTerm.id)))
    for code in ("crisis-line", "transition-house", "counselling", "legal-advocacy",
                 "mens-programs", "anonymous-testing", "confidential-testing", "contraception",
                 "emergency-contraception", "pregnancy-options", "pep",
                 "gender-affirming-care", "youth-clinic"):
        assert code in codes and code in used, code
    page = db.session.scalar(sa.select(m.Page))
    assert page.slug == "intimacy-and-healthy-relationships"
    assert page.translation("fr") and len(page.taxonomy_terms) >= 3
    # Loading again changes nothing (records are matched by id).
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0
    assert db.session.scalar(sa.select(sa.func.count(m.Service.id))) == len(services)


def test_demo_if_empty_leaves_existing_data_alone(app, runner):
    from factories import make_service

    make_service()
    result = runner.invoke(args=["demo", "--if-empty"])
    assert "not loaded" in result.output
    assert db.session.scalar(sa.select(sa.func.count(m.Service.id))) == 1
