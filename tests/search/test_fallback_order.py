"""A listing without the visitor's language shows English when it has it, else its own text."""

import pytest
from searchdata import listing

from directory.search.query import search


@pytest.fixture
def database_url(sqlite_database_url):
    return sqlite_database_url


def test_english_comes_before_the_listings_own_language(app, index, taxonomy, client):
    french = listing("Clinique du Plateau", "Dépistage sans rendez-vous.", text_language="fr",
                     translations=[{"locale": "en", "name": "Plateau Clinic",
                                    "description": "Walk-in testing."}])
    only_french = listing("Maison Lumière", "Hébergement pour femmes.", text_language="fr")
    hits = {h.id: h for h in search("", locale="ar").hits}
    assert (hits[french.id].name, hits[french.id].name_locale) == ("Plateau Clinic", "en")
    assert hits[french.id].summary_locale == "en"
    assert (hits[only_french.id].name, hits[only_french.id].name_locale) == \
        ("Maison Lumière", "fr")
    api = client.get("/api/v1/search", query_string={"locale": "ar"}).get_json()
    shown = {h["id"]: (h["name"], h["name_locale"], h["fallback"]) for h in api["contents"]}
    assert shown[french.id] == ("Plateau Clinic", "en", True)
    page = client.get(f"/ar/services/{french.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Plateau Clinic" in html and "Walk-in testing." in html
    assert french.translated("name", "ar") == ("Plateau Clinic", "en")
    assert french.translated("name", "fr") == ("Clinique du Plateau", "fr")
    assert only_french.translated("name", "ko") == ("Maison Lumière", "fr")
