"""Read aloud with the browser's own speech synthesis, on listings and explainer pages."""

import pytest

pytestmark = pytest.mark.browser

# Headless Chromium has no voices (speaking fails at once), so the browser's engine is
# replaced by a recorder: what our script hands to speechSynthesis is what is checked.
RECORD = """
window.__spoken = [];
if (window.speechSynthesis) {
  speechSynthesis.speak = (u) => { window.__spoken.push([u.text, u.lang]); };
}
"""


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_listing_and_explainer_read_aloud_with_a_visible_stop(demo, live_server, browser,
                                                              locale):
    context = browser.new_context()
    context.add_init_script(RECORD)
    tab = context.new_page()
    try:
        for path, heading in ((f"/services/{demo['open_site'].id}", "article.listing h1"),
                              (f"/pages/{demo['page'].slug}", "article.explainer h1")):
            tab.goto(f"{live_server.url}/{locale}{path}")
            if not tab.evaluate("'speechSynthesis' in window"):
                pytest.skip("no speech synthesis in this Chromium")
            read = tab.locator("#read-aloud [data-read]")
            stop = tab.locator("#read-aloud [data-stop]")
            assert read.is_visible() and not stop.is_visible()
            read.click()
            assert stop.is_visible(), "the stop control shows while reading"
            text, lang = tab.evaluate("window.__spoken[window.__spoken.length - 1]")
            assert tab.locator(heading).inner_text() in text
            assert "Read aloud" not in text and "Lire à voix haute" not in text
            assert lang == ("fr" if locale == "fr" else "en")
            stop.click()
            assert read.is_visible() and not stop.is_visible()
            assert not tab.evaluate("speechSynthesis.speaking")
    finally:
        context.close()


def test_without_javascript_no_dead_controls(demo, live_server, browser):
    context = browser.new_context(java_script_enabled=False)
    tab = context.new_page()
    try:
        tab.goto(f"{live_server.url}/services/{demo['open_site'].id}")
        assert tab.locator("#read-aloud").count() == 1
        assert not tab.locator("#read-aloud").is_visible()
    finally:
        context.close()
