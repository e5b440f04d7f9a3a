"""Above the fold, in a real Chromium: a phone (390x844) and a desktop (1366x900), in English,
French, Arabic and Simplified Chinese; error pages with the quick exit first; axe-core on the
page types the other browser tests do not visit; screenshots of each page type.

Screenshots go to tmp_path, or to $DIRECTORY_SCREENSHOTS (docs/screenshots/ for the README).
"""

import os

import pytest
from browsing import axe_violations

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
LOCALES = ("en", "fr", "ar", "zh_Hans")


@pytest.fixture
def shots(tmp_path):
    folder = os.environ.get("DIRECTORY_SCREENSHOTS") or str(tmp_path)
    os.makedirs(folder, exist_ok=True)

    def save(tab, name):
        path = os.path.join(folder, f"{name}.png")
        size = tab.viewport_size  # the first screenful, capped so the PNG stays small
        tab.screenshot(path=path, clip={"x": 0, "y": 0, "width": size["width"],
                                        "height": min(size["height"], 760)})
        assert os.path.getsize(path) < 150_000, (name, os.path.getsize(path))
    return save


def _context(browser, viewport, **extra):
    return browser.new_context(viewport=viewport, **extra)


def _in_view(tab, selector):
    box = tab.locator(selector).first.bounding_box()
    height = tab.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def _search_everything(tab, base, locale):
    tab.goto(f"{base}/{locale}/")
    tab.locator("form.search-box button[type=submit]").click()
    tab.wait_for_selector(".result")


@pytest.mark.parametrize("locale", LOCALES)
def test_phone_search_box_and_filters_come_first(demo, live_server, browser, locale):
    context = _context(browser, PHONE, is_mobile=True, has_touch=True)
    tab = context.new_page()
    try:
        tab.goto(f"{live_server.url}/{locale}/")
        assert _in_view(tab, "#q"), "home: search box below the fold"
        _search_everything(tab, live_server.url, locale)
        tab.evaluate("window.scrollTo(0, 0)")
        assert _in_view(tab, "#q"), "search: search box below the fold"
        summary = tab.locator("details.filters > summary").bounding_box()
        first = tab.locator(".result").first.bounding_box()
        assert summary["y"] < first["y"], "filters come after the results"
        assert summary["y"] < PHONE["height"] * 2
        # The disclosure opens, and its Apply button is reachable.
        tab.locator("details.filters > summary").click()
        assert tab.locator("details.filters .apply button").is_visible()
    finally:
        context.close()


@pytest.mark.parametrize("locale", LOCALES)
def test_desktop_first_result_and_filters_beside_it(demo, live_server, browser, locale):
    context = _context(browser, DESKTOP)
    tab = context.new_page()
    try:
        tab.goto(f"{live_server.url}/{locale}/")
        assert _in_view(tab, "#q")
        _search_everything(tab, live_server.url, locale)
        tab.evaluate("window.scrollTo(0, 0)")
        assert _in_view(tab, "#q")
        assert _in_view(tab, ".result h3"), "no result visible without scrolling"
        facets = tab.locator(".facets").bounding_box()
        first = tab.locator(".result").first.bounding_box()
        assert facets["width"] > 0 and abs(facets["y"] - first["y"]) < 200
        assert (facets["x"] < first["x"]) == (locale != "ar")  # beside, mirrored in RTL
    finally:
        context.close()


def test_desktop_filters_show_without_javascript(demo, live_server, browser):
    context = _context(browser, DESKTOP, java_script_enabled=False)
    tab = context.new_page()
    try:
        _search_everything(tab, live_server.url, "en")
        assert tab.locator(".facets fieldset").first.is_visible()
        tab.locator("input[name=category][value=crisis-line]").check()
        tab.locator(".facets .apply button").click()
        tab.wait_for_selector("button.chip")
        tab.locator("button.chip").first.click()
        tab.wait_for_selector(".result")
        assert tab.locator("button.chip").count() == 0
    finally:
        context.close()


def test_touch_screens_say_tap_not_shift(demo, live_server, browser):
    context = _context(browser, PHONE, is_mobile=True, has_touch=True)
    tab = context.new_page()
    try:
        tab.goto(live_server.url + "/")
        if not tab.evaluate("matchMedia('(hover: none) and (pointer: coarse)').matches"):
            pytest.skip("this Chromium does not emulate a coarse pointer")
        assert tab.locator(".touch-hint").is_visible()
        assert not tab.locator(".quick-exit-keys").is_visible()
    finally:
        context.close()
    desk = _context(browser, DESKTOP)
    tab = desk.new_page()
    try:
        tab.goto(live_server.url + "/")
        assert tab.locator(".quick-exit-keys").is_visible()
        assert not tab.locator(".touch-hint").is_visible()
    finally:
        desk.close()


def test_crisis_numbers_never_wrap(demo, live_server, browser):
    context = _context(browser, {"width": 320, "height": 700})
    tab = context.new_page()
    try:
        tab.goto(live_server.url + "/")
        heights = tab.evaluate("""[...document.querySelectorAll('.crisis-lines .number')]
            .map(n => n.getClientRects().length)""")
        assert heights and all(count == 1 for count in heights), heights
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/services/nope", "/fail/400", "/fail/403", "/fail/429",
                                  "/fail/500"])
def test_error_pages_put_quick_exit_first(demo, failing_routes, live_server, page, path):
    response = page.goto(live_server.url + path)
    assert response.status == int(path.rsplit("/", 1)[1]) if "fail" in path else 404
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "quick-exit"
    assert page.locator(".safety-alert").is_visible()
    assert page.locator("main input#q").is_visible()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_new_page_types_are_axe_clean_and_photographed(demo, live_server, browser, shots,
                                                       viewport):
    kind = "phone" if viewport is PHONE else "desktop"
    context = browser.new_context(viewport=viewport, bypass_csp=True)
    tab = context.new_page()
    listing = demo["open_site"].id
    try:
        for locale in LOCALES:
            pages = []
            tab.goto(f"{live_server.url}/{locale}/")
            pages.append(("home", axe_violations(tab)))
            if locale == "en":
                shots(tab, f"home-{kind}")
            _search_everything(tab, live_server.url, locale)
            # Wide screens always show the filters (the summary takes no clicks there).
            if kind == "phone" and not tab.evaluate("document.getElementById('filters').open"):
                tab.locator("details.filters > summary").click()
            tab.locator("input[name=category][value=crisis-line]").check()
            tab.locator(".facets .apply button").click()
            tab.wait_for_selector("button.chip")
            pages.append(("search with chips", axe_violations(tab)))
            if locale in ("en", "ar"):
                shots(tab, f"search-{locale}-{kind}")
            for box in tab.locator("input[name=ids]").all()[:2]:
                box.check()
            tab.locator("#handout-form button[type=submit]").click()
            tab.wait_for_selector(".handout-listing")
            pages.append(("handout", axe_violations(tab)))
            if locale == "en":
                shots(tab, f"handout-{kind}")
            for name, path in (("listing", f"/services/{listing}"),
                               ("print", f"/services/{listing}/print"),
                               ("explainer", f"/pages/{demo['page'].slug}"),
                               ("safety", "/safety"), ("error", "/services/nope")):
                tab.goto(f"{live_server.url}/{locale}{path}")
                pages.append((name, axe_violations(tab)))
                if locale == "en":
                    shots(tab, f"{name}-{kind}")
            problems = [(name, result) for name, result in pages if result]
            assert problems == [], f"{locale}: {problems}"
    finally:
        context.close()
