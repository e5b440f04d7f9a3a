"""Everyday queries in each of the eleven locales reach the right kind of help on the demo data
(the CORE queries of bench/relevance.py: twelve different needs per locale, many of them
answered only by listings with no text in the query's language)."""

import importlib.util
from pathlib import Path

import pytest

from directory.cli import load_demo
from directory.extensions import db
from directory.i18n import SUPPORTED_LOCALES
from directory.search import sync

BENCH = Path(__file__).resolve().parents[2] / "bench" / "relevance.py"
_spec = importlib.util.spec_from_file_location("relevance_bench", BENCH)
relevance = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(relevance)


@pytest.fixture
def database_url(sqlite_database_url):
    return sqlite_database_url


@pytest.fixture
def demo(app):
    load_demo()
    db.session.commit()
    sync.rebuild(app)
    return app


def test_the_query_set_covers_every_locale_with_ten_needs():
    assert set(relevance.QUERIES) == set(SUPPORTED_LOCALES)
    for locale, queries in relevance.QUERIES.items():
        assert len(queries) >= 20, locale
        assert len({expected for _q, expected in queries[:relevance.CORE]}) >= 10, locale


def test_everyday_queries_reach_the_right_category_in_every_locale(demo):
    report = relevance.evaluate(core_only=True)
    assert report["misses"] == []
    for locale in SUPPORTED_LOCALES:
        assert report["locales"][locale]["success_at_5"] == 1.0, locale


def test_the_core_queries_reach_listings_without_text_in_their_language(demo):
    """Core queries are answered by listings that have no name in the query's language (the
    concept layer crossing languages, not a translation): in every locale, and for most core
    queries where few listings are translated (all but French and English)."""
    from directory.search.documents import Taxonomy
    from directory.search.query import search

    codes = {tid: info.code for tid, info in Taxonomy.load().terms.items()}
    crossed_by_locale = {}
    for locale in SUPPORTED_LOCALES:
        if locale == "en":
            continue
        crossed = 0
        for text, expected in relevance.QUERIES[locale][:relevance.CORE]:
            hits = search(text, locale=locale, with_facets=False).hits[:5]
            crossed += any(hit.name_locale != locale and
                           any(codes.get(t) in expected for t in hit.terms) for hit in hits)
        crossed_by_locale[locale] = crossed
    assert all(crossed_by_locale.values()), crossed_by_locale
    assert all(n >= 8 for locale, n in crossed_by_locale.items() if locale != "fr"), \
        crossed_by_locale
