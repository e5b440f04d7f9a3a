"""What only a browser shows: quick exit, no third-party requests, no cookies, accessibility,
right-to-left layout, and search without JavaScript."""

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import urlparse

import pytest
from browsing import axe_violations

pytestmark = pytest.mark.browser


class _Neutral(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's naming
        body = b"<!doctype html><html lang='en'><title>Weather</title><h1>Weather</h1></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def neutral_site(app):
    """A stand-in for the neutral site the quick exit goes to (on 127.0.0.1, another port)."""
    server = HTTPServer(("127.0.0.1", 0), _Neutral)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/weather"
    app.config["EXIT_URL"] = url
    yield url
    server.shutdown()
    server.server_close()


def _pages(demo):
    return ["/", "/search", f"/services/{demo['open_site'].id}",
            f"/services/{demo['confidential'].id}", f"/pages/{demo['page'].slug}", "/safety"]


def _watch_cloak(page):
    """Record the page's visibility the moment the cloak goes on (before it navigates away)."""
    seen = []
    page.expose_function("reportCloak", lambda visibility: seen.append(visibility))
    page.evaluate("""new MutationObserver(() => {
        if (document.documentElement.classList.contains('cloaked')) {
            window.reportCloak(getComputedStyle(document.body).visibility);
        }
    }).observe(document.documentElement, {attributes: true})""")
    return seen


def test_quick_exit_click_cloaks_first_clears_storage_and_leaves(demo, live_server, neutral_site,
                                                                 page):
    page.goto(live_server.url + "/fr/")
    page.evaluate("localStorage.setItem('left-behind', '1')")
    seen = _watch_cloak(page)
    page.click("#quick-exit")
    page.wait_for_url(neutral_site)
    assert page.title() == "Weather"
    assert seen and seen[0] == "hidden"
    # The directory is not one Back press away.
    page.go_back()
    assert not page.url.startswith(live_server.url + "/fr/")
    page.goto(live_server.url + "/")
    assert page.evaluate("localStorage.getItem('left-behind')") is None


def test_quick_exit_with_shift_three_times(demo, live_server, neutral_site, page):
    page.goto(live_server.url + f"/services/{demo['open_site'].id}")
    seen = _watch_cloak(page)
    for _ in range(3):
        page.keyboard.press("Shift")
    page.wait_for_url(neutral_site)
    assert seen and seen[0] == "hidden"


def test_quick_exit_is_first_in_tab_order(demo, live_server, page):
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "quick-exit"


def test_no_request_leaves_the_site_and_no_cookie_is_set(demo, live_server, page):
    hosts = set()
    page.on("request", lambda request: hosts.add(urlparse(request.url).hostname))
    for locale in ("en", "fr", "ar", "zh_Hans"):
        for path in _pages(demo):
            page.goto(live_server.url + f"/{locale}{path}")
    page.goto(live_server.url + "/search")
    page.fill("#q", "shelter")
    page.click("form.search-form button[type=submit] >> nth=0")
    page.wait_for_selector(".result-count")
    assert hosts == {"127.0.0.1"}
    assert page.context.cookies() == []
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0


def test_search_words_stay_out_of_the_address_bar(demo, live_server, page):
    page.goto(live_server.url + "/")
    page.fill("#q", "transition house")
    page.press("#q", "Enter")
    page.wait_for_selector(".result-count")
    assert "transition" not in page.url and "house" not in page.url
    assert page.title() == "Community services"


def test_arabic_renders_right_to_left(demo, live_server, page):
    page.goto(live_server.url + "/ar/")
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    exit_box = page.locator("#quick-exit").bounding_box()
    assert exit_box["x"] < 200  # the exit sits at the start of the line: the left in RTL


def test_no_wcag_a_or_aa_violations(demo, live_server, browser):
    context = browser.new_context(bypass_csp=True)
    tab = context.new_page()
    try:
        for locale, path in ((loc, p) for loc in ("en", "fr", "ar", "zh_Hans")
                             for p in _pages(demo)):
            tab.goto(live_server.url + f"/{locale}{path}")
            result = axe_violations(tab)
            assert result == [], f"{locale}{path}: {result}"
    finally:
        context.close()


def test_search_filter_and_listing_work_without_javascript(demo, live_server, browser):
    context = browser.new_context(java_script_enabled=False)
    tab = context.new_page()
    try:
        tab.goto(live_server.url + "/fr/search")
        tab.fill("#q", "")
        tab.check("input[name=category][value=crisis-line]")
        tab.click("text=Appliquer les filtres") if tab.locator(
            "text=Appliquer les filtres").count() else tab.click(".facets button")
        tab.wait_for_selector(".result")
        assert tab.locator("input[name=category][value=crisis-line]").is_checked()
        tab.locator(".result h3 a").first.click()
        tab.wait_for_selector("article.listing h1")
        assert "/fr/services/" in tab.url
    finally:
        context.close()
