"""The guided start in a real Chromium on a 390x844 phone: walked with JavaScript off
(sexual assault -> safe -> within 72 hours -> results) in English and Arabic, and every step
axe-core clean in English, French, Arabic and Simplified Chinese."""

import os

import pytest
from browsing import axe_violations

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
WALK = ("assault", "yes", "72h")


def _walk(tab, base, locale, each_step=None):
    tab.goto(f"{base}/{locale}/start")
    for answer in WALK:
        if each_step:
            each_step(answer)
        tab.locator(f"label[for=answer-{answer}]").click()
        tab.locator(".guided-form button[type=submit]").click()
        tab.wait_for_load_state()
    tab.wait_for_selector(".guided-steps")


def test_walk_to_the_results_without_javascript(demo, live_server, browser):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    tab = context.new_page()
    try:
        for locale in ("en", "ar"):
            _walk(tab, live_server.url, locale)
            # Every step was a POST to the same address: no answer in the URL or the history.
            assert tab.url == f"{live_server.url}/{locale}/start"
            assert tab.locator("html").get_attribute("dir") == ("rtl" if locale == "ar" else "ltr")
            steps = tab.locator(".guided-step")
            assert steps.count() >= 5
            pep = steps.filter(has=tab.locator("input[value=pep]"))
            assert "72" in pep.locator(".window").inner_text()
            ec = steps.filter(has=tab.locator("input[value=emergency-contraception]"))
            assert "120" in ec.locator(".window").inner_text()
            # The quick exit stays on screen, and the first help is visible without scrolling
            # past more than a screen or two.
            assert tab.locator("#quick-exit").is_visible()
            assert steps.first.bounding_box()["y"] < PHONE["height"] * 2
            assert context.cookies() == []
            # A filtered search runs from the results, still without JavaScript.
            pep.locator("button").click()
            tab.wait_for_selector(".result")
            assert tab.locator("button.chip").count() == 1
    finally:
        context.close()


def _shot(tab, name):
    """The first screenful, for the README, when $DIRECTORY_SCREENSHOTS names a folder."""
    folder = os.environ.get("DIRECTORY_SCREENSHOTS")
    if folder:
        os.makedirs(folder, exist_ok=True)
        tab.screenshot(path=os.path.join(folder, f"{name}.png"),
                       clip={"x": 0, "y": 0, "width": PHONE["width"], "height": 760})


def test_every_step_is_axe_clean(demo, live_server, browser):
    context = browser.new_context(viewport=PHONE, bypass_csp=True)
    tab = context.new_page()
    problems = []
    try:
        for locale in ("en", "fr", "ar", "zh_Hans"):
            def check(answer, locale=locale):
                problems.extend((locale, answer, v) for v in axe_violations(tab))
                if answer == "assault" and locale == "en":
                    _shot(tab, "guided-phone")
            _walk(tab, live_server.url, locale, check)
            problems.extend((locale, "results", v) for v in axe_violations(tab))
            if locale in ("en", "ar"):
                _shot(tab, f"guided-results-{locale}-phone")
    finally:
        context.close()
    assert problems == []
