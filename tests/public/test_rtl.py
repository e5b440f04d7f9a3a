"""Right-to-left done right: in Arabic and Persian pages every run of Latin script and every
phone number sits in an isolated element (<bdi>, or dir="auto"/"ltr"), and Latin words carry
a lang of their own, so "24-Hour Sexual Assault Support Line" is not laid out backwards.
A Latin word inside an Arabic sentence (an acronym in a translated label) is left to the bidi
algorithm, which keeps it in place; one at either end of an Arabic run is flagged."""

import re
from html.parser import HTMLParser

import pytest

from directory import models as m
from directory.extensions import db

LATIN = re.compile(r"[A-Za-z\u00C0-\u024F]{2,}")
STRONG = re.compile(r"[A-Za-z\u00C0-\u024F\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF]")
ARABIC = re.compile(r"[\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF]")
PHONE = re.compile(r"\+?\d[\d\s().-]{5,}\d")
VOID = {"br", "img", "input", "meta", "link", "hr", "source", "wbr", "col", "area"}


class _Isolation(HTMLParser):
    """Collect visible text runs that read left to right but are not isolated."""

    def __init__(self, page_lang):
        super().__init__()
        self.stack = [("root", False, page_lang)]
        self.page_lang = page_lang
        self.problems = []

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        attrs = dict(attrs)
        _, isolated, lang = self.stack[-1]
        if tag == "html":
            self.stack.append((tag, False, attrs.get("lang", lang)))
            return
        isolated = isolated or tag == "bdi" or attrs.get("dir") in ("auto", "ltr")
        self.stack.append((tag, isolated, attrs.get("lang", lang)))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        while len(self.stack) > 1:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        tag, isolated, lang = self.stack[-1]
        if tag in ("script", "style", "title") or not data.strip():
            return
        for match in PHONE.finditer(data):
            if not isolated:
                self.problems.append(("phone not isolated", match.group(0), tag))
        strong = STRONG.findall(data)
        if ARABIC.search(data):
            # A Latin word between Arabic words ("PEP", "Shift" in a sentence) stays in place;
            # one at either end of the run is what gets laid out on the wrong side.
            if not isolated and (not ARABIC.match(strong[0]) or not ARABIC.match(strong[-1])):
                self.problems.append(("latin at the edge of a right-to-left run",
                                      data.strip()[:60], tag))
        elif LATIN.search(data):
            if not isolated:
                self.problems.append(("latin not isolated", data.strip()[:60], tag))
            elif lang == self.page_lang and not re.search(r"@|://|^\W*[\w.-]+\.\w{2,}\W*$",
                                                          data.strip()):
                self.problems.append(("latin without its lang", data.strip()[:60], tag))


@pytest.fixture
def partner(app):
    record = m.Partner(key="riverside", name="Riverside Health",
                       allowed_origins="https://partner.example.org", preset_locale="ar",
                       active=True)
    db.session.add(record)
    db.session.commit()
    return record


def _pages(demo):
    listing = next(s for s in demo["public"] if s.url and s.email and s.phones)
    return [("get", "/", None), ("post", "/search", {"q": ""}),
            ("post", "/search", {"q": "crisis", "language": "es"}),
            ("get", f"/services/{listing.id}", None),
            ("get", f"/services/{demo['confidential'].id}", None),
            ("get", f"/services/{demo['open_site'].id}", None),
            ("get", f"/services/{listing.id}/print", None),
            ("post", "/handout", {"ids": [listing.id, demo["open_site"].id]}),
            ("get", f"/pages/{demo['page'].slug}", None), ("get", "/safety", None),
            ("get", "/start", None), ("post", "/start", {"topic": "assault", "step": "topic"}),
            ("post", "/start", {"topic": "sex", "when": "72h", "step": "when"}),
            ("post", "/start", {"topic": "home", "safe": "no", "step": "safe"}),
            ("get", "/services/not-here", None), ("put", "/", None)]


@pytest.mark.parametrize("locale", ["ar", "fa"])
def test_every_page_type_isolates_left_to_right_runs(client, demo, partner, locale):
    problems = []
    for method, path, data in _pages(demo):
        url = f"/{locale}{path}"
        response = getattr(client, method)(url, data=data)
        html = response.get_data(as_text=True)
        assert f'<html lang="{locale}" dir="rtl">' in html, url
        parser = _Isolation(locale)
        parser.feed(html)
        problems.extend((url,) + p for p in parser.problems)
    assert sorted(set(problems)) == [], sorted(set(problems))[:60]
    embed = client.get(f"/embed/riverside?locale={locale}").get_data(as_text=True)
    parser = _Isolation(locale)
    parser.feed(embed)
    assert f'lang="{locale}"' in embed and parser.problems == []


def test_the_checker_finds_an_unisolated_english_name():
    parser = _Isolation("ar")
    parser.feed('<html lang="ar" dir="rtl"><p>خط 24-Hour Support Line 604-555-0142</p>'
                '<p>24-Hour Support Line</p><p><bdi dir="ltr">Support Line</bdi></p>'
                '<p>خط PEP خط</p>'
                '<p><bdi lang="en">Support Line</bdi> <bdi dir="ltr">604-555-0142</bdi></p>')
    kinds = [p[0] for p in parser.problems]
    assert kinds == ["phone not isolated", "latin at the edge of a right-to-left run",
                     "latin not isolated", "latin without its lang"]
