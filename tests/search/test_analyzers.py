"""Tests for directory.search.analyzers: folding, stemming, stop words, CJK bigrams, synonyms."""

from __future__ import annotations

import pickle
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import fields, index
from whoosh.qparser import QueryParser
from whoosh.searching import Searcher

from directory.search.analyzers import synonyms as synonym_module
from directory.search.analyzers import (
    SUPPORTED_LOCALES,
    SYNONYM_PREFIX,
    LocaleStemFilter,
    LocaleStopFilter,
    LocaleTokenizer,
    analyzer_for,
    detect_script,
    folding_analyzer,
    is_synonym_token,
    reload_synonyms,
    stemmer_name,
    synonym_groups,
)


def texts(locale: str | None, text: str, mode: str = "index") -> list[str]:
    """Token texts of ``text`` analysed for ``locale`` (None: the folding analyzer)."""
    analyzer = folding_analyzer() if locale is None else analyzer_for(locale)
    return [t.text for t in analyzer(text, mode=mode)]


def words(locale: str | None, text: str, mode: str = "index") -> list[str]:
    """Token texts without the canonical synonym tokens."""
    return [x for x in texts(locale, text, mode) if not is_synonym_token(x)]


def canonical(locale: str, member: str) -> str:
    """The canonical token a synonym member turns into in a query."""
    (token,) = texts(locale, member, mode="query")
    assert is_synonym_token(token)
    return token


# ------------------------------------------------------------------------------------------
# A real Whoosh index with one TEXT field per locale
# ------------------------------------------------------------------------------------------

DOCS: dict[str, tuple[str, str]] = {
    # id: (locale, text)
    "en-house": ("en", "Transition house for women and children leaving abusive relationships. "
                       "Confidential location, 24/7 crisis line."),
    "en-shelter": ("en", "Emergency shelter for women fleeing violence"),
    "en-clinic": ("en", "Free STI and HIV testing at our youth clinic in Montréal. Walk-in hours "
                        "on Tuesdays."),
    "en-contra": ("en", "Birth control counselling and emergency contraception at no cost."),
    "fr-its": ("fr", "Dépistage anonyme du VIH et des ITS pour les jeunes"),
    "fr-heb": ("fr", "Maison d'hébergement pour femmes victimes de violence conjugale"),
    "fr-contra": ("fr", "Pilule du lendemain gratuite à la clinique jeunesse"),
    "es-clin": ("es", "Clínica de salud sexual para jóvenes: pruebas de VIH y anticonceptivos"),
    "es-acogida": ("es", "Casa de acogida para mujeres que sufren violencia doméstica"),
    "es-legal": ("es", "Asesoría legal gratuita para personas migrantes"),
    "zhs-test": ("zh_Hans", "免费性病检测和艾滋病咨询服务"),
    "zhs-shelter": ("zh_Hans", "为遭受家庭暴力的妇女提供庇护所"),
    "zhs-hiv": ("zh_Hans", "HIV 检测：匿名、保密"),
    "zht-test": ("zh_Hant", "免費性病檢測及愛滋病諮詢"),
    "zht-shelter": ("zh_Hant", "為家庭暴力受害婦女提供庇護所"),
    "pa-clinic": ("pa", "ਨੌਜਵਾਨਾਂ ਲਈ ਮੁਫ਼ਤ ਐੱਚਆਈਵੀ ਟੈਸਟ ਅਤੇ ਜਿਨਸੀ ਸਿਹਤ ਕਲੀਨਿਕ"),
    "pa-shelter": ("pa", "ਘਰੇਲੂ ਹਿੰਸਾ ਤੋਂ ਪੀੜਤ ਔਰਤਾਂ ਲਈ ਪਨਾਹਘਰ"),
    "ar-clinic": ("ar", "عيادة مجانية للصحة الجنسية وفحص فيروس نقص المناعة للشباب"),
    "ar-shelter": ("ar", "دار إيواء للنساء والأطفال ضحايا العنف الأسري"),
    "fa-clinic": ("fa", "کلینیک رایگان سلامت جنسی و آزمایش اچ‌آی‌وی"),
    "fa-shelter": ("fa", "خانه امن برای زنان قربانی خشونت خانگی"),
    "ko-center": ("ko", "성폭력 피해자를 위한 상담센터"),
    "ko-clinic": ("ko", "무료 성병 검사와 HIV 검사"),
    "vi-clinic": ("vi", "Phòng khám xét nghiệm HIV miễn phí và tư vấn sức khỏe tình dục cho "
                        "thanh thiếu niên"),
    "vi-shelter": ("vi", "Nhà tạm trú an toàn cho phụ nữ bị bạo lực gia đình"),
    "tl-clinic": ("tl", "Libreng pagsusuri sa HIV at konseling para sa mga kabataan"),
    "tl-shelter": ("tl", "Ligtas na tahanan para sa mga kababaihang biktima ng karahasan sa "
                         "tahanan"),
}


def field_name(locale: str) -> str:
    """The schema field holding a locale's text."""
    return f"text_{locale}"


@pytest.fixture(scope="module")
def searcher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Searcher]:
    """A Whoosh index on disk with every document of DOCS in its locale's field."""
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        **{field_name(loc): fields.TEXT(analyzer=analyzer_for(loc), stored=True)
           for loc in SUPPORTED_LOCALES},
    )
    directory = tmp_path_factory.mktemp("index")
    ix = index.create_in(str(directory), schema)
    writer = ix.writer()
    for doc_id, (locale, text) in DOCS.items():
        writer.add_document(id=doc_id, **{field_name(locale): text})
    writer.commit()
    # Reopen from disk so the schema (and its analyzers) went through pickle.
    ix = index.open_dir(str(directory))
    with ix.searcher() as s:
        yield s


def search(searcher: Searcher, locale: str, query: str) -> set[str]:
    """Ids of the documents a QueryParser query on the locale's field finds."""
    parser = QueryParser(field_name(locale), searcher.schema)
    return {hit["id"] for hit in searcher.search(parser.parse(query), limit=None)}


# (locale, query, a document it must find, a document it must not find, what it shows)
SEARCHES = [
    # English
    ("en", "clinics", "en-clinic", "en-house", "stemming: plural query, singular document"),
    ("en", "relationship", "en-house", "en-clinic", "stemming: singular query, plural document"),
    ("en", "woman", "en-house", "en-clinic", "irregular plural: women"),
    ("en", "montreal", "en-clinic", "en-house", "accent folding"),
    ("en", "the clinic for the youth", "en-clinic", "en-house", "stop words"),
    ("en", "shelter", "en-house", "en-clinic", "synonym: word finds phrase"),
    ("en", "shelters", "en-house", "en-clinic", "synonym after stemming"),
    ("en", '"transition house"', "en-shelter", "en-clinic", "synonym: phrase finds word"),
    ("en", '"transition house for women"', "en-shelter", "en-clinic", "phrase around a synonym"),
    ("en", '"transition house for women"', "en-house", "en-contra", "exact phrase still found"),
    ("en", '"sexually transmitted infection"', "en-clinic", "en-house", "phrase finds acronym"),
    ("en", "std", "en-clinic", "en-house", "acronym finds acronym"),
    ("en", '"morning after pill"', "en-contra", "en-clinic", "phrase finds phrase"),
    ("en", "abuse", "en-shelter", "en-clinic", "synonym: abuse ~ violence"),
    ("en", "contraceptive", "en-contra", "en-house", "synonym + stemming"),
    # French
    ("fr", "dépistages", "fr-its", "fr-heb", "stemming"),
    ("fr", "depistage anonyme", "fr-its", "fr-heb", "accent folding"),
    ("fr", "la clinique des jeunes", "fr-contra", "fr-heb", "stop words; jeunes ~ jeunesse"),
    ("fr", "hebergement", "fr-heb", "fr-its", "elision d' + accents"),
    ("fr", "ist", "fr-its", "fr-heb", "synonym: acronym"),
    ("fr", '"infections transmissibles sexuellement"', "fr-its", "fr-contra", "phrase finds ITS"),
    ("fr", '"maison de transition"', "fr-heb", "fr-its", "synonym: phrase finds phrase"),
    ("fr", '"contraception d\'urgence"', "fr-contra", "fr-its", "synonym: pilule du lendemain"),
    ("fr", "femme", "fr-heb", "fr-its", "stemming: femmes"),
    ("fr", "vpi", "fr-heb", "fr-its", "synonym: acronym finds phrase"),
    # Spanish
    ("es", "clinicas", "es-clin", "es-acogida", "stemming + accent folding"),
    ("es", "joven", "es-clin", "es-acogida", "plural jóvenes"),
    ("es", "mujer", "es-acogida", "es-clin", "plural mujeres"),
    ("es", "la clínica de la salud", "es-clin", "es-legal", "stop words"),
    ("es", "albergue", "es-acogida", "es-clin", "synonym: word finds phrase"),
    ("es", '"test de vih"', "es-clin", "es-acogida", "synonym: phrase finds phrase"),
    ("es", "gratis", "es-legal", "es-clin", "synonym: gratis ~ gratuita"),
    ("es", "migrante", "es-legal", "es-clin", "stemming"),
    ("es", '"control de natalidad"', "es-clin", "es-acogida", "synonym: phrase finds word"),
    ("es", '"casa refugio"', "es-acogida", "es-clin", "synonym: phrase finds phrase"),
    # Simplified Chinese
    ("zh_Hans", "性病", "zhs-test", "zhs-shelter", "bigram inside a longer run"),
    ("zh_Hans", "咨询服务", "zhs-test", "zhs-shelter", "bigrams AND-ed"),
    ("zh_Hans", "HIV 和 检测", "zhs-hiv", "zhs-shelter", "mixed script, stop word 和"),
    ("zh_Hans", "家暴", "zhs-shelter", "zhs-test", "synonym: 家暴 ~ 家庭暴力"),
    ("zh_Hans", "避难所", "zhs-shelter", "zhs-test", "synonym: 避难所 ~ 庇护所"),
    ("zh_Hans", "艾滋病检测", "zhs-hiv", "zhs-shelter", "synonym: 艾滋病检测 ~ HIV 检测"),
    ("zh_Hans", "性病檢測", "zhs-test", "zhs-shelter", "Traditional query, Simplified text"),
    # Traditional Chinese
    ("zh_Hant", "性病检测", "zht-test", "zht-shelter", "Simplified query, Traditional text"),
    ("zh_Hant", "諮詢", "zht-test", "zht-shelter", "bigram"),
    ("zh_Hant", "家暴", "zht-shelter", "zht-test", "synonym"),
    ("zh_Hant", "避難所", "zht-shelter", "zht-test", "synonym"),
    ("zh_Hant", "免費", "zht-test", "zht-shelter", "bigram at the start"),
    # Punjabi
    ("pa", "ਔਰਤ", "pa-shelter", "pa-clinic", "light stemming: ਔਰਤਾਂ"),
    ("pa", "ਕਲੀਨਿਕਾਂ", "pa-clinic", "pa-shelter", "light stemming: plural query"),
    ("pa", "ਮੁਫਤ", "pa-clinic", "pa-shelter", "nukta folding: ਮੁਫ਼ਤ"),
    ("pa", "ਔਰਤਾਂ ਦੇ ਲਈ", "pa-shelter", "pa-clinic", "stop words"),
    ("pa", "ਸ਼ੈਲਟਰ", "pa-shelter", "pa-clinic", "synonym: ਸ਼ੈਲਟਰ ~ ਪਨਾਹਘਰ"),
    ("pa", "ਨਿਸ਼ੁਲਕ", "pa-clinic", "pa-shelter", "synonym: free"),
    ("pa", "ਦੁਰਵਿਵਹਾਰ", "pa-shelter", "pa-clinic", "synonym: word finds ਘਰੇਲੂ ਹਿੰਸਾ"),
    ("pa", '"ਸੁਰੱਖਿਅਤ ਘਰ"', "pa-shelter", "pa-clinic", "synonym: phrase finds ਪਨਾਹਘਰ"),
    # Arabic
    ("ar", "العيادات", "ar-clinic", "ar-shelter", "stemming: the clinics"),
    ("ar", "عِيَادَة", "ar-clinic", "ar-shelter", "harakat stripped"),
    ("ar", "عياده", "ar-clinic", "ar-shelter", "teh marbuta ~ heh"),
    ("ar", "الاطفال", "ar-shelter", "ar-clinic", "hamza alef folded, prefix و"),
    ("ar", "في العيادة", "ar-clinic", "ar-shelter", "stop word في"),
    ("ar", "ملجأ", "ar-shelter", "ar-clinic", "synonym: ملجأ ~ دار إيواء"),
    ("ar", '"اختبار الإيدز"', "ar-clinic", "ar-shelter", "synonym: phrase ~ phrase"),
    ("ar", "النساء", "ar-shelter", "ar-clinic", "stemming: للنساء"),
    ("ar", '"بدون مقابل"', "ar-clinic", "ar-shelter", "synonym: phrase finds مجانية"),
    # Persian
    ("fa", "کلینیک‌ها", "fa-clinic", "fa-shelter", "stemming: plural with ZWNJ"),
    ("fa", "كلينيك", "fa-clinic", "fa-shelter", "Arabic kaf and yeh"),
    ("fa", "پناهگاه", "fa-shelter", "fa-clinic", "synonym: پناهگاه ~ خانه امن"),
    ("fa", '"تست ایدز"', "fa-clinic", "fa-shelter", "synonym: phrase ~ phrase"),
    ("fa", "زن", "fa-shelter", "fa-clinic", "irregular plural زنان"),
    ("fa", "برای زنان", "fa-shelter", "fa-clinic", "stop word برای"),
    ("fa", '"بدون هزینه"', "fa-clinic", "fa-shelter", "synonym: phrase finds رایگان"),
    # Korean
    ("ko", "상담", "ko-center", "ko-clinic", "bigram inside 상담센터"),
    ("ko", "상담센터를", "ko-center", "ko-clinic", "query particle stripped"),
    ("ko", "강간", "ko-center", "ko-clinic", "synonym: 강간 ~ 성폭력"),
    ("ko", "공짜", "ko-clinic", "ko-center", "synonym: 공짜 ~ 무료"),
    ("ko", "성매개감염", "ko-clinic", "ko-center", "synonym: 성병"),
    ("ko", "HIV 및 검사", "ko-clinic", "ko-center", "stop word 및, Latin word"),
    ("ko", '"에이즈 검사"', "ko-clinic", "ko-center", "synonym: phrase finds HIV 검사"),
    ("ko", "에이즈검사", "ko-clinic", "ko-center", "synonym: one word finds a phrase"),
    # Vietnamese
    ("vi", "xet nghiem", "vi-clinic", "vi-shelter", "diacritics folded"),
    ("vi", "suc khoe", "vi-clinic", "vi-shelter", "diacritics folded"),
    ("vi", "các phòng khám", "vi-clinic", "vi-shelter", "plural marker các is a stop word"),
    ("vi", '"nơi trú ẩn"', "vi-shelter", "vi-clinic", "synonym: phrase ~ phrase"),
    ("vi", '"bao hanh"', "vi-shelter", "vi-clinic", "synonym without diacritics"),
    ("vi", '"không mất phí"', "vi-clinic", "vi-shelter", "synonym: free"),
    # Tagalog
    ("tl", "ang mga kabataan", "tl-clinic", "tl-shelter", "stop words ang, mga"),
    ("tl", "kanlungan", "tl-shelter", "tl-clinic", "synonym: kanlungan ~ ligtas na tahanan"),
    ("tl", "counseling", "tl-clinic", "tl-shelter", "synonym: counseling ~ konseling"),
    ("tl", '"hiv test"', "tl-clinic", "tl-shelter", "synonym: hiv test ~ pagsusuri sa HIV"),
    ("tl", "pagpapayo", "tl-clinic", "tl-shelter", "synonym: pagpapayo"),
    ("tl", '"domestic violence"', "tl-shelter", "tl-clinic", "synonym: phrase finds karahasan"),
    ("tl", "Karahásan", "tl-shelter", "tl-clinic", "accent folding"),
]


@pytest.mark.parametrize(("locale", "query", "found", "not_found", "shows"), SEARCHES,
                         ids=[f"{s[0]}:{s[4]}:{s[1]}" for s in SEARCHES])
def test_search_round_trip(searcher: Searcher, locale: str, query: str, found: str, not_found: str,
                           shows: str) -> None:
    """A QueryParser query on the locale's field finds the right document and not a wrong one."""
    ids = search(searcher, locale, query)
    assert found in ids, (shows, texts(locale, query, "query"))
    assert not_found not in ids, shows


def test_every_locale_is_searched() -> None:
    """The round-trip table covers every supported locale."""
    assert {s[0] for s in SEARCHES} == set(SUPPORTED_LOCALES)
    assert {d[0] for d in DOCS.values()} == set(SUPPORTED_LOCALES)


def test_highlighting_a_synonym_match(searcher: Searcher) -> None:
    """A synonym match is highlighted over the member's own characters."""
    parser = QueryParser(field_name("en"), searcher.schema)
    results = searcher.search(parser.parse("shelter"), limit=None)
    hits = {hit["id"]: hit for hit in results}
    highlighted = hits["en-house"].highlights(field_name("en"))
    assert re.search(r"<b [^>]*>Transition house</b>", highlighted), highlighted
    highlighted = hits["en-shelter"].highlights(field_name("en"))
    assert re.search(r"<b [^>]*>shelter</b>", highlighted), highlighted


def test_highlighting_cjk_bigrams(searcher: Searcher) -> None:
    """CJK bigram matches are highlighted on the right characters."""
    parser = QueryParser(field_name("zh_Hans"), searcher.schema)
    results = searcher.search(parser.parse("咨询服务"), limit=None)
    (hit,) = [h for h in results if h["id"] == "zhs-test"]
    highlighted = hit.highlights(field_name("zh_Hans"))
    assert re.sub(r"</?b[^>]*>", "", highlighted) == DOCS["zhs-test"][1]
    # Consecutive matched bigrams are merged into one highlight.
    assert re.search(r"<b [^>]*>咨询服务</b>", highlighted), highlighted


# ------------------------------------------------------------------------------------------
# Analysis, locale by locale
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("locale", "plural", "singular"), [
    ("en", "Shelters and clinics", "shelter clinic"),
    ("en", "counselling services", "counseling service"),
    ("fr", "Cliniques jeunesse et hôpitaux", "clinique jeunesse hôpital"),
    ("fr", "Personnes réfugiées", "personne réfugiée"),
    ("es", "Clínicas para mujeres jóvenes", "clínica para mujer joven"),
    ("es", "informaciones y líneas", "información y línea"),
    ("ar", "الاستشارات والخدمات", "استشارة خدمة"),
    ("fa", "آزمایش‌های رایگان", "آزمایش رایگان"),
    ("pa", "ਕੁੜੀਆਂ ਅਤੇ ਬੱਚਿਆਂ", "ਕੁੜੀ ਬੱਚੇ"),
])
def test_stemming_joins_inflected_forms(locale: str, plural: str, singular: str) -> None:
    """Plural and singular forms analyse to the same terms."""
    assert words(locale, plural) == words(locale, singular)


def test_stemmers_per_locale() -> None:
    """Locales with a stemmer name it; the others have none."""
    assert {loc: stemmer_name(loc) for loc in SUPPORTED_LOCALES} == {
        "en": "english", "fr": "french", "es": "spanish", "fa": "persian",
        "ar": "light10", "pa": "punjabi", "zh_Hans": None, "zh_Hant": None, "ko": None,
        "vi": None, "tl": None,
    }


@pytest.mark.parametrize(("locale", "accented", "plain"), [
    ("fr", "Santé sexuelle à Montréal", "sante sexuelle a montreal"),
    ("es", "Clínica de atención", "clinica de atencion"),
    ("vi", "Xét nghiệm HIV ở Đà Nẵng", "xet nghiem hiv o da nang"),
    ("en", "Café naïve Œuvre Straße", "cafe naive oeuvre strasse"),
    ("tl", "Pagsusurì sa klínika", "pagsusuri sa klinika"),
])
def test_accent_and_case_folding(locale: str, accented: str, plain: str) -> None:
    """Accents and case do not matter."""
    assert words(locale, accented) == words(locale, plain)


@pytest.mark.parametrize(("locale", "sentence", "stopword"), [
    ("en", "The clinic is open for the youth", "the"),
    ("fr", "Dépistage anonyme du VIH et des ITS", "du"),
    ("es", "Clínica de salud sexual para jóvenes", "para"),
    ("zh_Hans", "HIV 和 性病", "和"),
    ("zh_Hant", "性病 或者 愛滋病", "或者"),
    ("ko", "상담 및 검사", "및"),
    ("pa", "ਔਰਤਾਂ ਲਈ ਸਲਾਹ ਅਤੇ ਸਹਾਇਤਾ", "ਅਤੇ"),
    ("ar", "الخدمات في العيادة", "في"),
    ("fa", "خدمات برای زنان", "برای"),
    ("vi", "tư vấn và xét nghiệm", "và"),
    ("tl", "pagsusuri para sa mga kabataan", "mga"),
])
def test_stop_words_removed(locale: str, sentence: str, stopword: str) -> None:
    """Each locale drops its function words, in documents and queries."""
    without_stops = LocaleTokenizer(locale) | LocaleStemFilter(locale)
    (term,) = [t.text for t in without_stops(stopword)]
    assert term in [t.text for t in without_stops(sentence)]
    for mode in ("index", "query"):
        assert term not in texts(locale, sentence, mode)


def test_stop_words_keep_positions_consistent() -> None:
    """Stop words are removed with renumbering, so phrase positions match Whoosh's queries."""
    tokens = [(t.text, t.pos) for t in analyzer_for("en")("clinic for the kids", positions=True)]
    assert tokens == [("clinic", 0), ("kid", 1)]


def test_removestops_false_marks_instead_of_removing() -> None:
    """Highlighting asks for stop words to be kept (marked stopped), and they are."""
    tokens = [(t.text, t.stopped) for t in analyzer_for("en")("the clinic", removestops=False)]
    assert tokens == [("the", True), ("clinic", False)]


@pytest.mark.parametrize(("locale", "text", "expected"), [
    ("zh_Hans", "性病检测", ["性病", "病检", "检测"]),
    ("zh_Hans", "HIV 检测", ["hiv", "检测"]),
    ("zh_Hans", "HIV检测中心", ["hiv", "检测", "测中", "中心"]),
    ("zh_Hant", "性病檢測", ["性病", "病检", "检测"]),
    ("zh_Hans", "药", ["药"]),
    ("ko", "상담센터", ["상담", "담센", "센터"]),
    ("ko", "성병 검사", ["성병", "검사"]),
    # Kana bigrams; Traditional forms (here Japanese kanji 診療) are mapped to Simplified too.
    ("en", "クリニック 診療所", ["クリ", "リニ", "ニッ", "ック", "诊疗", "疗所"]),
    ("fr", "Le centre 性病检测", ["centr", "性病", "病检", "检测"]),
])
def test_cjk_bigrams(locale: str, text: str, expected: list[str]) -> None:
    """Han, Kana and Hangul runs become overlapping bigrams in every locale."""
    assert words(locale, text) == expected


def test_cjk_offsets() -> None:
    """Bigram offsets point at their two characters."""
    text = "HIV 检测服务"
    got = [(t.text, text[t.startchar:t.endchar]) for t in folding_analyzer()(text, chars=True)]
    assert got == [("hiv", "HIV"), ("检测", "检测"), ("测服", "测服"), ("服务", "服务")]


def test_korean_particles_only_dropped_from_queries() -> None:
    """Documents keep every bigram; queries lose a trailing particle."""
    assert words("ko", "쉼터를 찾아요", "index")[:2] == ["쉼터", "터를"]
    assert "터를" not in texts("ko", "쉼터를 찾아요", "query")
    assert words("ko", "아이", "query") == ["아이"]  # two syllables: nothing is stripped


def test_scripts_are_not_damaged() -> None:
    """Folding never breaks Hangul syllables, Gurmukhi vowel signs or Arabic letters."""
    assert words("ko", "상담") == ["상담"]
    assert words(None, "ਸਿਹਤ") == ["ਸਿਹਤ"]
    assert words(None, "ਪੰਜਾਬੀ") == ["ਪਂਜਾਬੀ"]  # tippi folded to bindi, vowel signs kept
    assert words(None, "مُسْتَشْفَى") == ["مستشفي"]
    assert words(None, "サービス") == ["サー", "ービ", "ビス"]


def test_arabic_and_persian_normalisation() -> None:
    """Alef, yeh, kaf and heh variants, tatweel and harakat are normalised."""
    assert words(None, "أمراض إيدز آمن") == words(None, "امراض ايدز امن")
    assert words(None, "عيـــادة") == words(None, "عياده")
    assert words("fa", "كلينيك") == words("fa", "کلینیک")
    assert words("ar", "علي") == words("ar", "على") == []  # على is a stop word, both spellings
    assert words("fa", "۲۴ ساعت") == words("fa", "24 ساعت")
    assert words("ar", "٢٤ ساعة") == words("ar", "24 ساعة")


def test_nfkc_first_and_offsets_stay_in_the_original_text() -> None:
    """Compatibility forms are normalised; offsets still refer to the caller's text."""
    text = "ＨＩＶ ﬁnd\u00a0the\u00a0clinic ①"
    tokens = [(t.text, t.startchar, t.endchar) for t in folding_analyzer()(text, chars=True)]
    assert [t[0] for t in tokens] == ["hiv", "find", "the", "clinic", "1"]
    spans = {word: text[start:end] for word, start, end in tokens}
    assert spans["hiv"] == "ＨＩＶ"
    assert spans["find"] == "ﬁnd"
    assert spans["clinic"] == "clinic"


def test_apostrophes() -> None:
    """English possessives and French elisions are handled; other locales split."""
    assert words("en", "Women's clinic") == words("en", "woman clinic")
    assert words("fr", "l'hébergement d'urgence") == words("fr", "hébergement urgence")
    assert words("fr", "aujourd’hui") == words("fr", "aujourd'hui")


def test_folding_analyzer_has_no_stemming_or_stop_words() -> None:
    """The catch-all analyzer folds but keeps every word as written."""
    assert texts(None, "The Clinics à Montréal 性病检测") == [
        "the", "clinics", "a", "montreal", "性病", "病检", "检测"]
    assert not any(is_synonym_token(x) for x in texts(None, "transition house"))


def test_verbatim_tokens_for_prefix_queries(searcher: Searcher) -> None:
    """Prefix and wildcard queries get folded text and no synonym substitution."""
    assert search(searcher, "en", "clin*") >= {"en-clinic"}
    assert search(searcher, "fr", "héberg*") >= {"fr-heb"}
    assert search(searcher, "fr", "Hébergements*") >= {"fr-heb"}  # folded and stemmed
    assert search(searcher, "en", "shelter*") == {"en-shelter"}


# ------------------------------------------------------------------------------------------
# Synonyms
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_synonym_files(locale: str) -> None:
    """Every locale has real groups, written in its own script, none merged by accident."""
    groups = synonym_groups(locale)
    raw = synonym_module._read_synonym_file(locale)
    assert len(groups) >= (8 if locale in ("en", "fr", "es") else 4)
    assert len(groups) == len(raw), "two groups share a member and were merged"
    assert all(isinstance(g, list) and len(g) >= 2 and all(isinstance(m, str) for m in g)
               for g in groups)
    if locale not in ("en", "fr", "es", "vi", "tl"):
        scripts = {detect_script(" ".join(g)) for g in groups}
        assert scripts - {"latin"}, scripts


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_member_maps_to_its_group(locale: str) -> None:
    """Each member, analysed as a query, becomes its group's one canonical token."""
    for group in synonym_groups(locale):
        expected = canonical(locale, group[0])
        assert expected.startswith(f"{SYNONYM_PREFIX}{locale}:")
        for member in group:
            assert texts(locale, member, "query") == [expected], member
            assert expected in texts(locale, member, "index"), member


def test_synonyms_keep_original_tokens_and_positions() -> None:
    """At index time the canonical token is added; the other tokens are unchanged."""
    sentence = "Emergency transition house for women and HIV testing"
    plain = LocaleTokenizer("en") | LocaleStopFilter("en") | LocaleStemFilter("en")
    expected = [(t.text, t.pos, t.startchar, t.endchar)
                for t in plain(sentence, positions=True, chars=True)]
    tokens = [(t.text, t.pos, t.startchar, t.endchar)
              for t in analyzer_for("en")(sentence, positions=True, chars=True)]
    assert [t for t in tokens if not is_synonym_token(t[0])] == expected
    shelter = canonical("en", "shelter")
    spans = [(pos, sentence[start:end]) for text, pos, start, end in tokens if text == shelter]
    assert spans == [(1, "transition house"), (2, "transition house")]
    sti = canonical("en", "sti")
    tokens = [(t.text, t.pos) for t in
              analyzer_for("en")("free sexually transmitted infection tests", positions=True)]
    assert [pos for text, pos in tokens if text == sti] == [1, 2, 3]


def test_synonym_query_replaces_the_member() -> None:
    """Queries carry one canonical token per member, so Whoosh's AND of tokens still works."""
    assert texts("en", "shelters", "query") == [canonical("en", "shelter")]
    assert texts("en", "transition house for women", "query") == [
        canonical("en", "shelter"), "woman"]
    assert texts("fr", "Pilule du lendemain", "query") == [canonical("fr", "plan b")]


def test_longest_member_wins_in_queries_all_are_indexed() -> None:
    """"hiv test" is its own group; "hiv" still gets the HIV group in documents."""
    hiv, hiv_test = canonical("en", "hiv"), canonical("en", "hiv testing")
    assert hiv != hiv_test
    assert texts("en", "HIV test", "query") == [hiv_test]
    indexed = texts("en", "HIV test", "index")
    assert hiv in indexed and hiv_test in indexed


@pytest.mark.parametrize(("locale", "word"), [
    ("en", "refugees"), ("fr", "réfugiés"), ("es", "refugiados"),
])
def test_refugees_are_not_shelters(locale: str, word: str) -> None:
    """Stems of "refugee" must not collide with a shelter synonym."""
    assert not any(is_synonym_token(x) for x in texts(locale, word, "query"))


def test_synonym_canonical_cannot_be_typed() -> None:
    """The tokenizer never keeps ":", so typing "syn:..." yields ordinary words."""
    typed = f"{SYNONYM_PREFIX}en:kiosk"
    assert texts("en", typed, "query") == ["syn", "en", "kiosk"]
    assert all(":" not in t.text for t in LocaleTokenizer("en")("a:b syn:x 性:病 12:30"))


def test_reload_synonyms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Curators' edits are picked up by reload_synonyms()."""
    (tmp_path / "en.txt").write_text(
        "# test\nkiosk, booth  # trailing comment\n\nlone\nclinic, health centre\n",
        encoding="utf-8")
    monkeypatch.setattr(synonym_module, "SYNONYM_DIR", tmp_path)
    reload_synonyms()
    try:
        assert synonym_groups("en") == [["kiosk", "booth"], ["clinic", "health centre"]]
        assert texts("en", "health centres", "query") == texts("en", "clinic", "query")
        assert texts("en", "shelter", "query") == ["shelter"]
        assert synonym_groups("fr") == []
    finally:
        monkeypatch.undo()
        reload_synonyms()
    assert texts("en", "shelter", "query") == [canonical("en", "refuge")]


# ------------------------------------------------------------------------------------------
# Pickling, caching, robustness
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", [*SUPPORTED_LOCALES, None])
def test_analyzers_pickle(locale: str | None) -> None:
    """Analyzers survive pickle (Whoosh stores them in the schema) and stay small."""
    analyzer = folding_analyzer() if locale is None else analyzer_for(locale)
    data = pickle.dumps(analyzer)
    assert len(data) < 1000
    clone = pickle.loads(data)
    assert clone == analyzer
    sample = "Transition house 性病检测 ਮੁਫ਼ਤ عيادة Xét nghiệm"
    assert [t.text for t in clone(sample)] == [t.text for t in analyzer(sample)]


def test_analyzers_are_cached_and_locales_checked() -> None:
    """One analyzer object per locale; aliases are accepted and unknown locales refused."""
    assert analyzer_for("en") is analyzer_for("en")
    assert analyzer_for("zh-hans") is analyzer_for("zh_Hans")
    assert analyzer_for("fr") != analyzer_for("es")
    with pytest.raises(ValueError):
        analyzer_for("de")


@pytest.mark.parametrize(("text", "script"), [
    ("Dépistage anonyme", "latin"),
    ("性病检测", "han"),
    ("상담센터", "hangul"),
    ("عيادة مجانية", "arabic"),
    ("کلینیک رایگان", "arabic"),
    ("ਮੁਫ਼ਤ ਕਲੀਨਿਕ", "gurmukhi"),
    ("Xét nghiệm", "latin"),
    ("HIV 检测服务", "han"),
    ("サービス", "kana"),
    ("123 !?", "unknown"),
    ("", "unknown"),
])
def test_detect_script(text: str, script: str) -> None:
    """The dominant script of a query is recognised."""
    assert detect_script(text) == script


ANALYZERS = [None, *SUPPORTED_LOCALES]


@settings(max_examples=400, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(), locale=st.sampled_from(ANALYZERS), mode=st.sampled_from(["index", "query"]),
       removestops=st.booleans())
def test_any_text_analyses(text: str, locale: str | None, mode: str, removestops: bool) -> None:
    """Arbitrary text never breaks an analyzer; offsets and positions stay sane."""
    analyzer = folding_analyzer() if locale is None else analyzer_for(locale)
    last = -1
    last_of_term: dict[str, int] = {}
    for t in analyzer(text, positions=True, chars=True, mode=mode, removestops=removestops):
        assert t.text
        assert 0 <= t.startchar <= t.endchar <= len(text)
        assert t.pos >= 0
        if mode == "index":
            # Whoosh needs each term's positions to increase; canonical synonym tokens follow
            # their member, so only the other tokens are in position order overall.
            assert t.pos > last_of_term.get(t.text, -1)
            last_of_term[t.text] = t.pos
            if not is_synonym_token(t.text):
                assert t.pos >= last
                last = t.pos
    list(analyzer(text, tokenize=False, mode="query", removestops=False))


# Text drawn from the scripts we care about, so the interesting paths are exercised often.
_SCRIPT_CHARS = ("abcéèçñ ’'-.ÉÀŒß \u0301\u00a0ﬁＡ①"
                 "性病检测檢測艾滋 상담센터를 クリニック "
                 "ਮੁਫ਼ਤਸਿਹਤੰ ابة أإآىيةـَُِّ کیگ ٢٤ "
                 "xétnghiệmđĐ \u200c\u200d\u00ad")


@settings(max_examples=400, deadline=None, database=None)
@given(text=st.text(alphabet=st.sampled_from(_SCRIPT_CHARS), max_size=60),
       locale=st.sampled_from(ANALYZERS), mode=st.sampled_from(["index", "query"]))
def test_mixed_script_text_analyses(text: str, locale: str | None, mode: str) -> None:
    """Mixed-script text analyses, with offsets inside the original text."""
    analyzer = folding_analyzer() if locale is None else analyzer_for(locale)
    for t in analyzer(text, positions=True, chars=True, mode=mode):
        assert t.text == t.text.strip()
        assert t.text
        assert 0 <= t.startchar < t.endchar <= len(text)
        if not is_synonym_token(t.text):
            assert unicodedata.is_normalized("NFC", t.text)


def test_indexes_written_before_the_package_split_still_open():
    """Index TOCs pickle the schema's analyzers by class path; ones written while the classes
    lived in ``directory.search.analyzers`` (one module) must keep loading."""
    import pickle

    from directory.search.analyzers import analyzer_for

    analyzer = analyzer_for("fr")
    current = pickle.dumps(analyzer, protocol=0)
    old = current
    for module in (b"folding", b"stopwords", b"stemming", b"synonyms"):
        old = old.replace(b"directory.search.analyzers." + module + b"\n",
                          b"directory.search.analyzers\n")
    assert old != current and b"analyzers.folding" not in old
    restored = pickle.loads(old)
    assert [t.text for t in restored("Les maisons d'hébergement")] == \
        [t.text for t in analyzer("Les maisons d'hébergement")]
