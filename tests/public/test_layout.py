"""The search page as markup: filters before results, chips, one "Free", language names,
numbers that never wrap, cards that say what a visitor needs."""

import re
from html.parser import HTMLParser

from directory.public.filters import language_name


class _Order(HTMLParser):
    """Where things start, in document order."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.seen.append((tag, attrs.get("class") or "", attrs.get("id") or ""))

    def index(self, tag=None, cls=None, id_=None):
        for i, (t, c, d) in enumerate(self.seen):
            if (tag is None or t == tag) and (cls is None or cls in c.split()) and \
                    (id_ is None or d == id_):
                return i
        return None


def _css(client):
    with client.get("/static/site.css") as response:
        return response.get_data(as_text=True)


def _labels(html):
    return [re.sub(r"<[^>]+>", "", m).strip() for m in
            re.findall(r'<label for="f-[^"]+">(.*?)<span class="count">', html, re.S)]


def test_filters_disclosure_comes_before_the_results(client, demo):
    html = client.post("/search", data={"q": ""}).get_data(as_text=True)
    order = _Order()
    order.feed(html)
    assert order.index("details", "filters") < order.index("ol", "results")
    assert order.index("input", id_="q") < order.index("details", "filters")
    assert "<summary>Filters (0)</summary>" in html


def test_one_free_and_languages_by_name(client, demo):
    html = client.post("/search", data={"q": ""}).get_data(as_text=True)
    labels = _labels(html)
    assert labels.count("Free") == 1, labels
    assert len(labels) == len({label.casefold() for label in labels})
    assert "Spanish" in labels and "es" not in labels
    assert "crx" not in labels
    french = _labels(client.post("/fr/search", data={"q": ""}).get_data(as_text=True))
    assert "espagnol" in french and french.count("Gratuit") == 1


def test_language_names_fall_back_sensibly():
    assert language_name("es", "fr") == ("espagnol", None)
    assert language_name("es", "tl") == ("Spanish", None)  # Babel's "fil" catalog
    assert language_name("ase", "ar") == ("American Sign Language", "en")
    assert language_name("crx", "en") == ("Dakelh", "crx")
    assert language_name("qqq", "en") == ("qqq", None)


def test_applied_filters_are_removable_chips(client, demo):
    html = client.post("/search", data={"q": "", "category": "crisis-line", "language": "es",
                                        "open_now": "1"}).get_data(as_text=True)
    assert "<summary>Filters (3)</summary>" in html
    chips = re.findall(r'<button type="submit" name="remove" value="([^"]+)"', html)
    assert set(chips) == {"category=crisis-line", "language=es", "open_now"}
    assert ">Spanish</bdi>" in html
    # Removing a chip submits the form with everything else still on.
    after = client.post("/search", data={"q": "", "category": "crisis-line", "language": "es",
                                         "open_now": "1", "remove": "language=es"})
    html = after.get_data(as_text=True)
    assert after.status_code == 200
    chips = re.findall(r'name="remove" value="([^"]+)"', html)
    assert set(chips) == {"category=crisis-line", "open_now"}
    assert 'name="category" value="crisis-line" checked' in html
    assert 'name="language" value="es" checked' not in html


def test_cards_and_crisis_lines_keep_numbers_whole(client, demo):
    html = client.post("/search", data={"q": "crisis"}).get_data(as_text=True)
    assert "· <a" not in html and "· <bdi" not in html
    numbers = re.findall(r'<a class="tel" href="tel:[^"]+"><bdi class="number" dir="ltr">'
                         r'([^<]+)</bdi></a>', html)
    assert len(numbers) >= 5
    css = _css(client)
    assert re.search(r"\.number, \.tel \{ white-space: nowrap; \}", css)
    card = html[html.index('<li class="result">'):]
    card = card[:card.index("</li>")]
    assert 'class="organization"' in card and 'class="badge' in card
    assert re.search(r"Last checked:|Checked (with|by|on) |Not checked since", card)


def test_touch_devices_get_a_tap_hint(client, demo):
    html = client.get("/").get_data(as_text=True)
    assert "Tap Quick exit" in html and "Shift 3 times" in html
    css = _css(client)
    block = css[css.index("@media (hover: none) and (pointer: coarse)"):]
    assert ".quick-exit-keys { display: none; }" in block.split("}\n}")[0]


def test_temporarily_closed_shows_on_the_card(client, demo, app):
    from directory.extensions import db

    service = demo["open_site"]
    service.status = "temporarily closed"
    db.session.commit()
    html = client.post("/search", data={"q": service.name}).get_data(as_text=True)
    card = html[html.index(service.id):]
    card = card[:card.index("</li>")]
    assert "Temporarily closed" in card
