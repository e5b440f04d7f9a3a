"""Every supported language has a complete, compiled catalog, and pages use it."""

import os
import re

import pytest
from babel.messages.pofile import read_po

from directory.i18n import BABEL_LOCALE, SUPPORTED_LOCALES, normalize_locale, text_direction

ROOT = os.path.join(os.path.dirname(__file__), "..", "translations")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


@pytest.mark.parametrize("locale", [code for code in SUPPORTED_LOCALES if code != "en"])
def test_catalog_is_complete_and_compiled(locale):
    path = os.path.join(ROOT, BABEL_LOCALE.get(locale, locale), "LC_MESSAGES", "messages.po")
    with open(path, "rb") as handle:
        catalog = read_po(handle, locale=locale)
    with open(os.path.join(ROOT, "messages.pot"), "rb") as handle:
        template = read_po(handle)
    wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id}
    have = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
    assert wanted <= have, f"{locale}: missing {sorted(wanted - have)[:3]}"
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        assert all(s for s in strings), f"{locale}: untranslated {message.id!r}"
        assert "fuzzy" not in message.flags, f"{locale}: fuzzy {message.id!r}"
        ids = message.id if isinstance(message.id, (list, tuple)) else [message.id]
        expected = set(PLACEHOLDER.findall(" ".join(ids)))
        for s in strings:
            assert set(PLACEHOLDER.findall(s)) <= expected | {"%(num)d"}, (locale, message.id, s)
    mo = path[:-3] + ".mo"
    assert os.path.exists(mo) and os.path.getmtime(mo) >= os.path.getmtime(path) - 1, \
        f"{locale}: catalog not compiled (make compile-translations)"


def test_pages_use_the_catalog(client, app):
    assert "Sortie rapide" in client.get("/fr/").get_data(as_text=True)
    assert "خروج سريع" in client.get("/ar/").get_data(as_text=True)
    assert "Lumabas agad" in client.get("/tl/").get_data(as_text=True)


@pytest.mark.parametrize("value,expected", [("fr-CA", "fr"), ("zh-TW", "zh_Hant"),
                                            ("zh-CN", "zh_Hans"), ("zh_hans", "zh_Hans"),
                                            ("fil", "tl"), ("pa-IN", "pa"), ("de", None),
                                            ("", None)])
def test_locale_codes_normalise(value, expected):
    assert normalize_locale(value) == expected


def test_first_visit_uses_accept_language(client, app):
    html = client.get("/", headers={"Accept-Language": "ko-KR,ko;q=0.9"}).get_data(as_text=True)
    assert '<html lang="ko" dir="ltr">' in html
    assert text_direction("fa") == "rtl"
