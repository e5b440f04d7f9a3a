"""A place orders results by distance unless another order was chosen; postal codes resolve."""

import pytest
from searchdata import listing

from directory.search.query import search


@pytest.fixture
def database_url(sqlite_database_url):
    return sqlite_database_url


@pytest.fixture
def two_cities(app, index, taxonomy):
    # The Montreal clinic says "shelter" three times: it would win on relevance.
    far = listing("Harbour Shelter", "Shelter. A shelter, a safe shelter for women.",
                  terms=["transition-house"], city="Vancouver", lat=49.2606, lon=-123.0320,
                  postal="V5K 0A1")
    near = listing("Maison du Plateau", "A shelter for women.", terms=["transition-house"],
                   city="Montréal", lat=45.5236, lon=-73.5865, postal="H2W 1S4")
    return far, near


def test_a_place_sorts_by_distance_unless_another_order_was_chosen(two_cities, client):
    far, near = two_cities
    assert [h.id for h in search("shelter").hits] == [far.id, near.id]
    by_place = search("shelter", near="Montreal")
    assert by_place.sort == "distance"
    assert [h.id for h in by_place.hits] == [near.id, far.id]
    assert [h.id for h in search("shelter", near="Montreal", sort="relevance").hits] == \
        [far.id, near.id]
    api = client.get("/api/v1/search", query_string={"q": "shelter", "near": "montréal"})
    assert [h["id"] for h in api.get_json()["contents"]] == [near.id, far.id]
    api = client.get("/api/v1/search", query_string={"q": "shelter", "near": "Montreal",
                                                     "sort": "relevance"})
    assert [h["id"] for h in api.get_json()["contents"]] == [far.id, near.id]


def test_full_postal_codes_and_forward_sortation_areas_resolve(two_cities):
    far, near = two_cities
    for place in ("V5K 0A1", "v5k0a1", "V5K", "v5k 0a1 ", "Vancouver"):
        results = search("shelter", near=place)
        assert [h.id for h in results.hits] == [far.id, near.id], place
        assert results.hits[0].distance_km is not None, place
        assert results.hits[0].distance_km < 20, place


def test_the_public_form_sorts_by_distance_by_default_and_keeps_results_for_an_unknown_place(
        two_cities, client):
    far, near = two_cities
    # The form as a browser first submits it: the sort menu on its first, automatic choice.
    page = client.post("/search", data={"q": "shelter", "near": "Montreal", "sort": ""})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.index("Maison du Plateau") < html.index("Harbour Shelter")
    unknown = client.post("/search", data={"q": "shelter", "near": "Atlantis", "sort": ""})
    html = unknown.get_data(as_text=True)
    assert unknown.status_code == 200
    assert "We could not find the place “Atlantis”" in html
    assert "Maison du Plateau" in html and "Harbour Shelter" in html
    api = client.get("/api/v1/search", query_string={"q": "shelter", "near": "Atlantis"})
    assert api.status_code == 200 and api.get_json()["place_not_found"] == "Atlantis"
    assert {h["id"] for h in api.get_json()["contents"]} == {far.id, near.id}


def test_cities_resolve_in_every_spelling_even_without_a_listing_there(two_cities):
    far, near = two_cities
    for place, locale in (("蒙特利尔", "zh_Hans"), ("몬트리올", "ko"), ("مونتريال", "ar"),
                          ("Montréal (Québec)", "fr"), ("montreal, qc", "en"), ("Laval", "fr"),
                          ("Longueuil", "en")):
        results = search("shelter", near=place, locale=locale)
        assert results.place_unknown is None, place
        assert [h.id for h in results.hits] == [near.id, far.id], place
        assert results.hits[0].distance_km < 25, place


def test_the_bundled_city_table_is_well_formed():
    from directory.search.places import TABLE, _table

    rows = [line for line in TABLE.read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")][1:]
    assert len(rows) >= 80
    for point in _table().values():
        # Canada's extent: every centre lies inside it.
        assert 41.6 <= point[0] <= 83.2 and -141.1 <= point[1] <= -52.6


def test_postal_codes_resolve_where_no_listing_is(two_cities, client):
    far, near = two_cities
    # H3A (downtown Montréal) and V6B (downtown Vancouver): no listing gives either code.
    for place, first in (("H3A 0G4", near), ("h3a", near), ("V6B 1A1", far), ("v6b1a1", far)):
        results = search("shelter", near=place)
        assert results.place_unknown is None, place
        assert results.hits[0].id == first.id, place
        assert results.hits[0].distance_km < 10, place
    page = client.post("/search", data={"q": "shelter", "near": "H3A 0G4", "sort": ""})
    html = page.get_data(as_text=True)
    assert "could not find the place" not in html
    assert html.index("Maison du Plateau") < html.index("Harbour Shelter")
    # A well-formed code of an area that does not exist is still a place we could not find.
    assert search("shelter", near="D1D 1D1").place_unknown == "D1D 1D1"


def test_the_bundled_postal_area_table_is_well_formed():
    from directory.search.places import FSA_TABLE, _fsa_table, fsa_centre

    table = _fsa_table()
    assert len(table) >= 1600
    assert FSA_TABLE.with_suffix(".LICENSE").read_text(encoding="utf-8").startswith("Copyright")
    # Every first letter names its province's (or territory's) areas, inside Canada.
    for fsa, point in table.items():
        assert fsa[0] in "abceghjklmnprstvxy" and fsa[1].isdigit() and fsa[2].isalpha(), fsa
        assert 41.6 <= point[0] <= 83.2 and -141.1 <= point[1] <= -52.6, fsa
    assert fsa_centre("not a postal code") is None
    vancouver, montreal = fsa_centre("V5K 0A1"), fsa_centre("H2W")
    assert 49.1 < vancouver[0] < 49.4 and -123.3 < vancouver[1] < -122.9
    assert 45.4 < montreal[0] < 45.6 and -73.7 < montreal[1] < -73.5
