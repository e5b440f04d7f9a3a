"""The concept layer: words and everyday phrases in eleven locales reach the right help."""

import json
from pathlib import Path

import pytest
from searchdata import listing

from directory.i18n import SUPPORTED_LOCALES
from directory.search.concepts import CONCEPT_DIR, concept_set, load_files
from directory.search.query import search

DEMO_TAXONOMY = Path(__file__).resolve().parents[2] / "directory" / "demo" / "taxonomy.json"

# One danger phrase per locale, as a frightened person would type it.
DANGER = {"en": "my partner hurts me", "fr": "mon mari me frappe", "es": "mi esposo me pega",
          "zh_Hans": "老公打我", "zh_Hant": "老公打我", "pa": "ਮੇਰਾ ਪਤੀ ਮੈਨੂੰ ਮਾਰਦਾ ਹੈ",
          "ar": "زوجي يضربني", "fa": "شوهرم کتکم می‌زند", "ko": "남편이 때려요",
          "vi": "chồng đánh tôi", "tl": "sinasaktan ako ng asawa ko"}
# "Shelter" in every locale: reaches an English-only transition house.
SHELTER = {"en": "safe house", "fr": "maison d'hébergement", "es": "casa de acogida",
           "zh_Hans": "庇护所", "zh_Hant": "庇護所", "pa": "ਸੁਰੱਖਿਅਤ ਘਰ", "ar": "مأوى",
           "fa": "خانه امن", "ko": "쉼터", "vi": "nhà tạm lánh", "tl": "kanlungan"}


@pytest.fixture
def database_url(sqlite_database_url):
    return sqlite_database_url


def ids(results):
    return [hit.id for hit in results.hits]


def test_every_concept_speaks_every_locale_and_names_real_categories():
    concepts = load_files()
    codes = {term["code"] for term in json.loads(DEMO_TAXONOMY.read_text(encoding="utf-8"))}
    assert len(concepts) >= 20
    for concept in concepts.values():
        assert set(concept.words) == set(SUPPORTED_LOCALES), concept.id
        assert all(concept.words[locale] for locale in SUPPORTED_LOCALES), concept.id
        assert concept.categories and set(concept.categories) <= codes, concept.id
    phrase_locales = {path.stem for path in (CONCEPT_DIR / "phrases").glob("*.toml")}
    assert phrase_locales == set(SUPPORTED_LOCALES)
    for locale in SUPPORTED_LOCALES:
        with_phrases = {c.id for c in concepts.values() if c.phrases.get(locale)}
        assert len(with_phrases) >= 10, locale


def test_a_phrase_naming_an_unknown_concept_is_refused(tmp_path):
    (tmp_path / "a.toml").write_text('[[concept]]\nid = "x"\ncategories = ["pep"]\n'
                                     '[concept.words]\nen = ["pep"]\n', encoding="utf-8")
    (tmp_path / "phrases").mkdir()
    (tmp_path / "phrases" / "en.toml").write_text('y = ["he hits me"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="unknown concept"):
        load_files(tmp_path)


@pytest.mark.parametrize("locale,text,concept", [
    ("en", "my partner really hurts me", "domestic-violence"),   # a word between
    ("en", "He HITS me!", "domestic-violence"),
    ("en", "the condom broke last night", "emergency-contraception"),
    ("en", "shelters", "shelter"),                                 # stemmed
    ("en", "domestic voilence", "domestic-violence"),              # a listed misspelling
    ("fr", "IVG", "abortion"),
    ("es", "interrupción del embarazo", "abortion"),
    ("ko", "가정폭력을", "domestic-violence"),                      # particle dropped
    ("zh_Hans", "我被家暴了", "domestic-violence"),                 # inside a sentence
    ("fa", "IVG", "abortion"),                                     # any locale's word
])
def test_words_and_phrases_activate_their_concepts(locale, text, concept):
    spans = concept_set().match(text.split(), locale)
    assert concept in [c for span in spans for c in span.concepts]


@pytest.mark.parametrize("locale,text", [
    ("en", "its"), ("en", "food bank"), ("en", "he"), ("fr", "il me"),
    ("en", "transition house"),  # a shelter, not gender transition
])
def test_ordinary_words_activate_nothing_unexpected(locale, text):
    found = [c for span in concept_set().match(text.split(), locale) for c in span.concepts]
    assert found in ([], ["shelter"])


def test_domestic_violence_finds_a_listing_that_says_dv(app, index, taxonomy):
    clinic = listing("Harbourside Outreach", "Outreach and safety planning for DV survivors.")
    listing("Harbourside Bikes", "Bicycle repair.")
    results = search("domestic violence")
    assert ids(results) == [clinic.id]
    assert "domestic-violence" in results.concepts


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_an_english_only_shelter_is_found_from_every_locale(app, index, taxonomy, locale):
    house = listing("Cedar House", "Rooms for women and children leaving abuse.",
                    terms=["transition-house"])
    listing("Cedar Clinic", "Testing for HIV.", terms=["sti-testing"])
    results = search(SHELTER[locale], locale=locale)
    assert ids(results)[:1] == [house.id], (locale, [h.name for h in results.hits])


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_danger_phrases_put_crisis_lines_first_in_every_locale(app, index, taxonomy, locale):
    listing("Family Counselling", "Counselling for families.", terms=["violence-support"])
    listing("Harbour Clinic", "Testing for HIV.", terms=["sti-testing"])
    line = listing("24-hour Line", "Call or text any time.", crisis=True, terms=["crisis-line"])
    results = search(DANGER[locale], locale=locale)
    assert results.crisis_boosted, locale
    assert ids(results)[0] == line.id, (locale, [h.name for h in results.hits])
