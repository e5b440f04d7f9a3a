"""Listings for search tests: a small category tree and a listing factory."""

import pytest
from factories import make_service, uid

from directory import models as m
from directory import operations
from directory.extensions import db

TERMS = {}


@pytest.fixture
def taxonomy(app):
    """A small category tree with English and French labels, saved through operations."""
    tree = [("violence-support", None, "Violence support", "Soutien face à la violence"),
            ("transition-house", "violence-support", "Transition houses and shelters",
             "Maisons d'hébergement et refuges"),
            ("crisis-line", "violence-support", "Crisis lines", "Lignes de crise"),
            ("sexual-health", None, "Sexual health", "Santé sexuelle"),
            ("sti-testing", "sexual-health", "STI and HIV testing", "Dépistage des ITS et du VIH"),
            ("features", None, "How the service works", "Modalités"),
            ("walk-in", "features", "Walk-in", "Sans rendez-vous")]
    for code, parent, en, fr in tree:
        TERMS[code] = uid()
        operations.save_record(m.TaxonomyTerm, {
            "id": TERMS[code], "code": code, "name": en, "description": en,
            **({"parent_id": TERMS[parent]} if parent else {}),
            "translations": [{"locale": "fr", "name": fr}]})
    db.session.commit()
    return TERMS


def listing(name, description, *, terms=(), city="Vancouver", lat=49.2827, lon=-123.1207,
            postal="V6B 1A1",
            confidential=False, languages=("en",), crisis=False, open_24_7=False,
            schedules=None, translations=None, publish=True, **extra):
    return make_service(
        publish=publish, name=name, description=description, crisis_line=crisis,
        open_24_7=open_24_7,
        attributes=[{"id": uid(), "taxonomy_term_id": TERMS[t]} for t in terms],
        languages=[{"id": uid(), "code": code, "name": code} for code in languages],
        schedules=schedules if schedules is not None else [],
        translations=translations or [],
        service_at_locations=[{"id": uid(), "location": {
            "id": uid(), "location_type": "physical", "name": f"{name} site",
            "confidential": confidential, "latitude": lat, "longitude": lon,
            "public_area": city,
            "addresses": [{"id": uid(), "address_1": "1 Main St", "city": city,
                           "state_province": "BC", "postal_code": postal, "country": "CA",
                           "address_type": "physical"}]}}],
        **extra)


def ids(results):
    return [h.id for h in results.hits]
