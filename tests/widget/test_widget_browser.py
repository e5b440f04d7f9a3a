"""The widget on a partner's page (another origin), in a real Chromium."""

from __future__ import annotations

import functools
import re
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from factories import make_service

from directory import models as m
from directory.extensions import db
from directory.search import sync

pytestmark = pytest.mark.browser


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class StaticSite:
    """A plain web server for a folder on 127.0.0.1 (a different origin from the directory)."""

    def __init__(self, folder):
        handler = functools.partial(QuietHandler, directory=str(folder))
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sites(tmp_path):
    """Two partner origins: one on the partner's list, one not."""
    allowed, other = tmp_path / "allowed", tmp_path / "other"
    allowed.mkdir()
    other.mkdir()
    started = [StaticSite(allowed), StaticSite(other)]
    yield started, allowed, other
    for site in started:
        site.stop()


@pytest.fixture
def app_config(app_config, sites):
    (allowed, _other), folder = sites[0], sites[1]
    app_config.update(WTF_CSRF_ENABLED=True, EXIT_URL=f"{allowed.url}/neutral.html")
    return app_config


def write_pages(folder, directory_url: str, key: str) -> None:
    (folder / "partner.html").write_text(
        "<!doctype html><html><head><title>Partner</title><style>a{color:lime} "
        "input{display:none}</style></head><body><h1>Community Centre</h1>"
        f'<script src="{directory_url}/widget.js" data-partner="{key}" data-locale="fr" '
        'data-color="#005a9c" async></script></body></html>')
    (folder / "iframe.html").write_text(
        "<!doctype html><html><head><title>Framed</title></head><body>"
        f'<iframe id="sd" src="{directory_url}/embed/{key}" width="600" height="500"></iframe>'
        "</body></html>")
    (folder / "neutral.html").write_text("<!doctype html><title>Weather</title><p>Sunny</p>")


def test_widget_searches_in_french_opens_a_listing_and_exits_without_a_trace(
        app, live_server, sites, page):
    (allowed, other), allowed_dir, other_dir = sites
    service = make_service()
    sync.rebuild(app)
    db.session.add(m.Partner(key="harbour-centre", name="Harbour Centre",
                             allowed_origins=allowed.url, preset_region=None, active=True))
    db.session.commit()
    for folder in (allowed_dir, other_dir):
        write_pages(folder, live_server.url, "harbour-centre")
    hosts = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))

    page.goto(f"{allowed.url}/partner.html")
    search_box = page.locator("[data-support-directory] input[type=search]")
    search_box.wait_for()
    assert search_box.is_visible(), "the partner's CSS must not reach inside the widget"
    search_box.fill("ligne de crise")
    page.locator("[data-support-directory] button[type=submit]").click()
    result = page.locator("[data-support-directory] li a").first
    result.wait_for()
    assert result.inner_text() == "Ligne de crise Harbour pour femmes"
    assert result.get_attribute("lang") == "fr"

    result.click()
    page.wait_for_url(f"{live_server.url}/fr/services/{service.id}")
    assert page.locator("body").inner_text()

    page.goto(f"{allowed.url}/partner.html")
    page.locator("[data-support-directory] .exit").click()
    page.wait_for_url(f"{allowed.url}/neutral.html")
    page.go_back()
    assert "partner.html" not in page.url, "Back must not return to the page with the widget"

    assert page.context.cookies() == []
    for origin in (allowed.url, live_server.url):
        page.goto(f"{origin}/neutral.html" if origin == allowed.url else f"{origin}/widget.js")
        stored = page.evaluate("() => [document.cookie, localStorage.length, "
                               "sessionStorage.length]")
        assert stored == ["", 0, 0], origin
    assert hosts <= {urlsplit(allowed.url).netloc, urlsplit(live_server.url).netloc}


def test_iframe_mode_only_on_the_partners_origins(app, live_server, sites, page):
    (allowed, other), allowed_dir, other_dir = sites
    make_service()
    sync.rebuild(app)
    db.session.add(m.Partner(key="harbour-centre", name="Harbour Centre",
                             allowed_origins=allowed.url, active=True))
    db.session.commit()
    for folder in (allowed_dir, other_dir):
        write_pages(folder, live_server.url, "harbour-centre")

    page.goto(f"{allowed.url}/iframe.html")
    framed = page.frame_locator("#sd").locator("input[type=search]")
    framed.wait_for()
    framed.fill("crise")
    page.frame_locator("#sd").locator("button[type=submit]").click()
    page.frame_locator("#sd").locator("li a").first.wait_for()

    refused = []
    page.on("console", lambda message: refused.append(message.text)
            if "frame-ancestors" in message.text else None)
    page.goto(f"{other.url}/iframe.html")
    page.wait_for_timeout(1500)
    frame = next(f for f in page.frames if f is not page.main_frame)
    assert frame.url != f"{live_server.url}/embed/harbour-centre" or \
        frame.locator("input[type=search]").count() == 0
    assert refused, "Chromium should report the frame-ancestors refusal"
    # The script tag on that origin is refused too: its configuration is not served there.
    page.goto(f"{other.url}/partner.html")
    page.wait_for_timeout(1000)
    assert page.locator("[data-support-directory]").count() == 0


def test_widget_cards_show_status_and_see_all_opens_our_search(app, live_server, sites, page):
    (allowed, _other), allowed_dir, _other_dir = sites
    for number in range(12):
        make_service(name=f"Harbour Support Line {number}", translations=[])
    sync.rebuild(app)
    db.session.add(m.Partner(key="harbour-centre", name="Harbour Centre",
                             allowed_origins=allowed.url, active=True))
    db.session.commit()
    write_pages(allowed_dir, live_server.url, "harbour-centre")

    page.goto(f"{allowed.url}/partner.html")
    widget = page.locator("[data-support-directory]")
    widget.locator("input[type=search]").fill("harbour")
    widget.locator("button[type=submit]").first.click()
    widget.locator("li a").first.wait_for()
    shown = widget.locator("li").count()
    status = widget.locator("[role=status]").inner_text()
    assert shown == 10 and "10" in status and "12" in status, status
    # Each card: the crisis badge and its open state; the number isolated, text OK named.
    assert widget.locator("li .c.o").count() == shown
    assert widget.locator("li bdi[dir=ltr]").first.inner_text() == "604-555-0142"
    assert "Messages texte acceptés" in widget.locator("li .m").last.inner_text()
    # "Something wrong?" per card: the listing's report form on our site, in a new tab.
    reports = widget.locator("li .r a")
    assert reports.count() == shown
    assert re.fullmatch(rf"{live_server.url}/fr/services/[0-9a-f-]+/report",
                        reports.first.get_attribute("href"))
    assert reports.first.get_attribute("target") == "_blank"
    see_all = widget.locator("form.all button")
    assert "12" in see_all.inner_text()
    see_all.click()
    page.wait_for_url(f"{live_server.url}/fr/search")
    assert "harbour" not in page.url
    assert page.locator(".result-count").inner_text().startswith("12")


def test_a_temporarily_closed_house_is_not_open_24_7_in_the_widget(app, live_server, sites, page):
    """The widget draws from the API's hits: a closed house open "24/7" shows as closed."""
    (allowed, _other), allowed_dir, _other_dir = sites
    closed = make_service(name="Harbour Transition House", crisis_line=False, open_24_7=True,
                          status="temporarily closed", translations=[])
    waiting = make_service(name="Cove Transition House", crisis_line=False, open_24_7=True,
                           translations=[])
    waiting.capacity, waiting.capacity_updated_at = "waitlist", m.utcnow()
    db.session.commit()
    sync.rebuild(app)
    db.session.add(m.Partner(key="harbour-centre", name="Harbour Centre",
                             allowed_origins=allowed.url, active=True))
    db.session.commit()
    write_pages(allowed_dir, live_server.url, "harbour-centre")
    page.goto(f"{allowed.url}/partner.html")
    search_box = page.locator("[data-support-directory] input[type=search]")
    search_box.wait_for()
    search_box.fill("transition house")
    page.locator("[data-support-directory] button[type=submit]").click()
    item = page.locator("[data-support-directory] li", has_text="Harbour Transition House")
    item.first.wait_for()
    text = item.first.inner_text()
    assert "24/7" not in text and "24 h" not in text, text
    assert "Fermé temporairement" in text, text
    # Capacity shows on the card while it is fresh.
    cove = page.locator("[data-support-directory] li", has_text="Cove Transition House")
    assert "Liste d'attente" in cove.first.inner_text()
    assert "Liste d'attente" not in text and closed.id and waiting.id
