"""The curation workbench in real Chromium, walked as two staff members would.

An editor changes a live listing's phone and hours, the public keeps the published version, a
publisher approves the diff; a translator fixes a stale French field with the source beside it;
typing then pressing a workflow button loses nothing; two browsers editing one listing see the
second save refused with both values. axe-core checks the screens on the way, and the
screenshots of docs/admin-guide.md are taken here.
"""

from __future__ import annotations

import os

import pytest
from admin.staff import PASSWORD, make_user
from factories import make_service

from directory import models as m
from directory import operations
from directory.extensions import db
from directory.search import sync

# A page left while the werkzeug test server still streams a static file makes werkzeug drop
# the connection without closing the file: a ResourceWarning of the test server, not ours.
pytestmark = [pytest.mark.browser,
              pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
              pytest.mark.filterwarnings("ignore::ResourceWarning")]

AXE = os.path.join(os.path.dirname(__file__), "..", "vendor", "axe.min.js")
SHOTS = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "screenshots", "admin")
AXE_TAGS = "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']"
# Flask-Admin's own frame (Bootstrap 4 navbar and list chrome) is outside what we write; the
# rules below are checked on our content only (the main container).
AXE_SCRIPT = """async () => {
    const r = await axe.run({include: ['.container-fluid > .row, .container-fluid > div, main, form, table']},
        {runOnly: {type: 'tag', values: %s}});
    return r.violations.map(v => v.id + ': ' + v.nodes.slice(0, 3)
        .map(n => n.target.join(' ')).join(' | '));
}""" % AXE_TAGS


@pytest.fixture
def team(app, fresh_clients):
    make_user("editor@example.org", "editor")
    make_user("publisher@example.org", "publisher")
    make_user("second@example.org", "publisher")
    make_user("translator@example.org", "translator")


def signed_in_tab(browser, base, email, **context_args):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, **context_args)
    tab = context.new_page()
    tab.goto(base + "/account/login")
    tab.fill("input[name=email]", email)
    tab.fill("input[name=password]", PASSWORD)
    with tab.expect_navigation():
        tab.click("button[type=submit], input[type=submit]")
    tab.wait_for_load_state("load")
    return context, tab


def check_axe(tab, where):
    tab.add_script_tag(path=AXE)
    violations = tab.evaluate(AXE_SCRIPT)
    assert violations == [], (where, "\n".join(violations))


def shot(tab, name):
    os.makedirs(SHOTS, exist_ok=True)
    tab.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=False)


def test_editor_proposes_publisher_approves(app, live_server, browser, team):
    service = make_service(name="Harbour Crisis Line")
    old = service.phones[0].number
    sync.rebuild(app)
    base = live_server.url
    editor_ctx, editor = signed_in_tab(browser, base, "editor@example.org", bypass_csp=True)
    try:
        # Find the listing by name in the list, open it.
        editor.goto(base + "/admin/service/")
        check_axe(editor, "listing list")
        shot(editor, "listings")
        editor.fill("input[name=search]", "Harbour")
        editor.keyboard.press("Enter")
        editor.wait_for_load_state()
        editor.click("text=Harbour Crisis Line")
        editor.wait_for_selector("#listing-form")
        assert "<Organization" not in editor.content()
        check_axe(editor, "listing editor")
        shot(editor, "listing-editor")
        editor.fill("input[name$='-number']", "604-555-0199")
        editor.check("input[name=schedules-SU-open]")
        editor.fill("input[name=schedules-SU-opens]", "10:00")
        editor.fill("input[name=schedules-SU-closes]", "16:00")
        editor.click("#listing-form input[type=submit][value='Save'], #listing-form "
                     "button:has-text('Save'):not([name=workflow])")
        editor.wait_for_selector("text=kept for review")
    finally:
        editor_ctx.close()

    public = browser.new_context().new_page()
    public.goto(base + f"/services/{service.id}")
    assert old in public.content() and "604-555-0199" not in public.content()

    pub_ctx, publisher = signed_in_tab(browser, base, "publisher@example.org", bypass_csp=True)
    try:
        publisher.goto(base + "/admin/")
        publisher.click("text=changes waiting for your review")
        publisher.click("text=Harbour Crisis Line")
        diff = publisher.locator(".review-diff").inner_text()
        assert old in diff and "604-555-0199" in diff and "Sun" in diff
        check_axe(publisher, "review diff")
        shot(publisher, "review-diff")
        publisher.click("button[value=approve]")
        publisher.wait_for_selector("text=now shows the change")
        publisher.goto(base + f"/admin/history/service/{service.id}")
        history = publisher.content()
        assert "editor@example.org" in history and "publisher@example.org" in history
    finally:
        pub_ctx.close()

    sync.catch_up(app)
    public.goto(base + f"/services/{service.id}")
    assert "604-555-0199" in public.content()
    public.goto(base + "/search?q=harbour")
    assert "Harbour Crisis Line" in public.content()
    public.context.close()


def test_typing_then_a_workflow_button_loses_nothing(app, live_server, browser, team):
    service = make_service(name="Typed Line", publish=False)
    ctx, tab = signed_in_tab(browser, live_server.url, "editor@example.org")
    try:
        tab.goto(live_server.url + f"/admin/service/edit/?id={service.id}")
        tab.fill("textarea[name=description]", "Typed, then the button.")
        tab.click("button[value=verify]")
        tab.wait_for_selector("#listing-form")
        assert tab.input_value("textarea[name=description]") == "Typed, then the button."
    finally:
        ctx.close()
    db.session.expire_all()
    saved = db.session.get(m.Service, service.id)
    assert saved.description == "Typed, then the button." and saved.last_verified_at


def test_leaving_a_changed_listing_asks_first_and_saving_does_not(app, live_server, browser,
                                                                   team):
    service = make_service(name="Asking Line", publish=False)
    ctx, tab = signed_in_tab(browser, live_server.url, "editor@example.org")
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()  # "Stay on this page"

    tab.on("dialog", answer)
    try:
        editor = live_server.url + f"/admin/service/edit/?id={service.id}"
        tab.goto(editor)
        tab.click("textarea[name=description]")
        tab.keyboard.type(" Typed but not saved.")
        tab.evaluate("document.querySelector('a.navbar-brand, nav a[href]').click()")
        tab.wait_for_timeout(300)
        assert dialogs == ["beforeunload"]
        assert tab.url == editor  # stayed, with the words still there
        assert tab.input_value("textarea[name=description]").endswith("Typed but not saved.")
        with tab.expect_navigation():
            tab.click("#listing-form [type=submit][name='_continue_editing'], "
                      "#listing-form input[type=submit]")
        assert dialogs == ["beforeunload"]  # saving never asks
    finally:
        ctx.close()
    db.session.expire_all()
    assert db.session.get(m.Service, service.id).description.endswith("Typed but not saved.")


def test_two_browsers_second_save_is_refused_with_both_values(app, live_server, browser, team):
    service = make_service(name="Shared Line", publish=False)
    base = live_server.url
    ctx_a, a = signed_in_tab(browser, base, "editor@example.org")
    ctx_b, b = signed_in_tab(browser, base, "publisher@example.org")
    try:
        for tab in (a, b):
            tab.goto(base + f"/admin/service/edit/?id={service.id}")
        a.fill("textarea[name=description]", "From the first browser.")
        b.fill("textarea[name=description]", "From the second browser.")
        a.click("button[value=verify]")
        a.wait_for_selector("#listing-form")
        b.click("button[value=verify]")
        b.wait_for_selector("#edit-conflict")
        conflict = b.locator("#edit-conflict").inner_text()
        assert "editor@example.org" in conflict
        assert "From the first browser." in conflict and "From the second browser." in conflict
    finally:
        ctx_a.close()
        ctx_b.close()
    db.session.expire_all()
    assert db.session.get(m.Service, service.id).description == "From the first browser."


def test_translator_fixes_a_stale_french_field(app, live_server, browser, team):
    service = make_service(name="Night Line", description="We answer at night.")
    with operations.acting_as("test"):
        operations.translate_record(service, "fr", {"name": "Ligne de nuit",
                                                    "description": "Nous répondons la nuit."})
        db.session.commit()
        assert service.description
        service.description = "We answer day and night."
        operations.save_edited_record(service)
        db.session.commit()
    ctx, tab = signed_in_tab(browser, live_server.url, "translator@example.org",
                             bypass_csp=True)
    try:
        tab.goto(live_server.url + "/admin/translations/?locale=fr")
        tab.click("text=Update translation")
        assert "We answer day and night." in tab.locator(".stale-field").inner_text()
        check_axe(tab, "translation editor")
        shot(tab, "translation-editor")
        tab.fill("textarea[name=description]", "Nous répondons jour et nuit.")
        tab.click("text=Save translation")
        tab.wait_for_selector("text=Saved the French translation of “Night Line”")
    finally:
        ctx.close()
    db.session.expire_all()
    record = db.session.get(m.Service, service.id)
    assert record.translation("fr").description == "Nous répondons jour et nuit."
    assert record.stale_translations() == []


def test_import_preview_is_accessible(app, live_server, browser, team, tmp_path):
    import json

    from factories import service_data

    path = tmp_path / "feed.json"
    path.write_text(json.dumps([service_data(name="Preview Clinic")]))
    ctx, tab = signed_in_tab(browser, live_server.url, "editor@example.org", bypass_csp=True)
    try:
        tab.goto(live_server.url + "/admin/import/")
        tab.set_input_files("input[name=file]", str(path))
        tab.click("text=Check and preview")
        tab.wait_for_selector(".import-preview")
        assert "Preview Clinic" in tab.locator(".import-preview").inner_text()
        check_axe(tab, "import preview")
        shot(tab, "import-preview")
    finally:
        ctx.close()
