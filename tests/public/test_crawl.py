"""A crawl of every public route in every locale: safety alert, exit link first, lang/dir, and no
English left in a translated page's chrome."""

from directory.i18n import SUPPORTED_LOCALES, html_lang, text_direction
from pagetext import _Text, english_ui_strings


def routes(demo):
    return [("get", "/"), ("get", "/search"), ("post", "/search"),
            ("get", f"/services/{demo['confidential'].id}"),
            ("get", f"/services/{demo['open_site'].id}"),
            ("get", f"/services/{demo['open_site'].id}/print"),
            ("get", f"/pages/{demo['page'].slug}"), ("get", "/safety")]


def test_every_route_in_every_locale(client, demo):
    english = english_ui_strings()
    for locale in SUPPORTED_LOCALES:
        for method, path in routes(demo):
            url = f"/{locale}{path}" if path != "/" else f"/{locale}/"
            response = getattr(client, method)(url, data={"q": "support"} if method == "post"
                                               else None)
            assert response.status_code == 200, url
            html = response.get_data(as_text=True)
            lang, direction = html_lang(locale), text_direction(locale)
            assert f'<html lang="{lang}" dir="{direction}">' in html, url
            if path.endswith("/print"):
                continue  # the discreet printout has no chrome at all
            assert 'class="safety-alert"' in html and "911" in html, url
            parser = _Text(lang)
            parser.feed(html)
            assert parser.first_focusable.get("id") == "quick-exit", url
            if locale != "en":
                text = " ".join(parser.parts)
                left = [s for s in english if s in text]
                assert not left, f"{url}: untranslated {left[:3]}"
