"""A search that finds (almost) nothing still leads somewhere; hints never lead nowhere."""

import pytest
from searchdata import listing

from directory.search.analyzers import analyzer_for
from directory.search.query import search
from directory.search.results import summary


@pytest.fixture
def database_url(sqlite_database_url):
    return sqlite_database_url


def test_a_zero_result_search_offers_concepts_categories_and_crisis_lines(app, index, taxonomy,
                                                                          client):
    line = listing("24-hour Line", "Call or text any time.", crisis=True, terms=["crisis-line"],
                   phone="604-555-0100")
    listing("Cedar House", "Rooms for women leaving abuse.", terms=["transition-house"])
    listing("Cedar Clinic", "Testing for HIV.", terms=["sti-testing"])
    results = search("shelter unicornland", filters={"city": ["Nowhere"]})
    assert results.total == 0
    assert ("shelter", "shelter") in results.understood
    assert [(v.value, v.count) for v in results.closest_categories] == [("transition-house", 1)]
    assert [h.id for h in results.crisis_lines] == [line.id]
    page = client.post("/search", data={"q": "shelter unicornland", "city": "Nowhere"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'class="no-dead-end"' in html and "Transition houses and shelters" in html
    assert "24-hour Line" in html and 'value="transition-house"' in html
    api = client.get("/api/v1/search", query_string={"q": "shelter unicornland",
                                                     "city": "Nowhere"}).get_json()
    assert api["concepts"] == [{"id": "shelter", "label": "shelter"}]
    assert api["crisis_lines"][0]["id"] == line.id
    assert api["closest_categories"][0]["value"] == "transition-house"


def test_a_relaxed_search_keeps_only_words_that_find_something(app, index, taxonomy):
    clinic = listing("Maple Clinic", "Contraception and testing.", terms=["sti-testing"])
    listing("Birch Clinic", "Counselling for families.")
    results = search("contraception counselling")
    assert results.total == 2 and results.relaxed  # relaxed: any word
    results = search("contraception zzyzxq")
    assert [h.id for h in results.hits] == [clinic.id]
    assert results.relaxed_query is None  # one word finds what the relaxed answer shows
    nothing = search("qqqzzz wwwxxx")
    assert nothing.total == 0 and nothing.relaxed_query is None
    # Nothing recognised: the broadest kinds of help, with their counts.
    assert [(v.value, v.count) for v in nothing.closest_categories] == [("sexual-health", 1)]


def test_did_you_mean_never_offers_a_correction_that_finds_nothing(app, index, taxonomy):
    listing("Maple Foods", "Foods for families.")
    listing("Book Club", "A book club.")
    results = search("food bank")  # "foods book" would find nothing
    assert results.suggestion is None
    house = listing("Cedar House", "A shelter for women.", terms=["transition-house"])
    results = search("shelteer")
    assert results.suggestion == "shelter" and [h.id for h in results.hits] == [house.id]


@pytest.mark.parametrize("terms", [{"nurs"}, {"card"}, {"languag"}, {"nurs", "card"}])
def test_snippets_never_cut_a_word_or_sentence_without_an_ellipsis(terms):
    text = ("Drop in for free, confidential testing for HIV, syphilis and chlamydia, with or "
            "without symptoms. A nurse will talk with you about what tests make sense, and "
            "most results are ready within a week by text or phone. If you have sores, "
            "discharge or pain, we can usually treat you the same day. Walk in and check in "
            "at the front desk; you will be seen in the order you arrive. Arrive at least an "
            "hour before closing, as the last spots fill quickly. Bring your card. "
            "Interpreters are available in more than two hundred languages.")
    shown = summary(text, terms, analyzer_for("en"))
    plain = shown.replace("<mark>", "").replace("</mark>", "")
    for piece in plain.split("…"):
        piece = piece.strip()
        if piece:
            assert piece in text
            start = text.index(piece)
            end = start + len(piece)
            # Each shown piece starts and ends at a word boundary.
            assert start == 0 or not text[start - 1].isalnum(), piece
            assert end == len(text) or not text[end].isalnum(), piece
    if not plain.startswith(text[:20]):
        assert plain.startswith("…")
    if not plain.rstrip().endswith(text[-20:]):
        assert plain.rstrip().endswith("…")


def test_a_long_text_without_matches_ends_with_an_ellipsis_at_a_word():
    text = "word " * 100
    shown = summary(text.strip(), set(), analyzer_for("en"))
    assert shown.endswith(" …") and "wor …" not in shown
