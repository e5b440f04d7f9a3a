"""The minimal public pages: home, listing, quick exit; confidential addresses never shown."""

import pytest
from factories import make_service

from directory import models as m
from directory.extensions import db


def test_home_lists_published_services_and_crisis_lines(client, app):
    make_service()
    make_service(name="Draft Clinic", publish=False, crisis_line=False)
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Harbour Women&#39;s Crisis Line" in html
    assert "Draft Clinic" not in html
    assert 'href="/exit"' in html
    assert "604-555-0142" in html  # the crisis number is on the page


def test_home_in_french_uses_translations(client, app):
    make_service()
    html = client.get("/fr/").get_data(as_text=True)
    assert '<html lang="fr" dir="ltr">' in html
    assert "Ligne de crise Harbour pour femmes" in html


def test_arabic_pages_are_right_to_left(client, app):
    html = client.get("/ar/").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html


def test_unknown_locale_is_not_found(client, app):
    assert client.get("/xx/").status_code == 404


def test_listing_hides_a_confidential_address(client, app):
    service = make_service()
    response = client.get(f"/services/{service.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "East Vancouver" in html
    assert "1234 Secret Street" not in html and "49.2781" not in html
    assert response.headers["Cache-Control"] == "no-store"


def test_unpublished_listing_is_not_found(client, app):
    service = make_service(publish=False)
    assert client.get(f"/services/{service.id}").status_code == 404


def test_quick_exit_clears_and_leaves(client, app):
    response = client.get("/exit")
    assert response.status_code == 303
    assert response.headers["Location"] == app.config["EXIT_URL"]
    assert response.headers["Clear-Site-Data"] == '"cookies", "storage"'
    assert response.headers["Cache-Control"] == "no-store"


def test_anonymous_visitors_get_no_cookie(client, app):
    make_service()
    for path in ("/", "/fr/", "/exit"):
        response = client.get(path)
        assert "Set-Cookie" not in response.headers, path


@pytest.mark.parametrize("path", ["/services/not-a-uuid", "/services/%00", "/fr/services/x" * 3])
def test_bad_listing_ids_are_not_found(client, app, path):
    assert client.get(path).status_code == 404


def test_demo_data_serves_home(runner, client, app):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert db.session.query(m.Page).count() == 1
    assert client.get("/").status_code == 200
