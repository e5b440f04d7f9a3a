"""The admin speaks the admin's chosen language, Flask-Admin's own strings included."""

from __future__ import annotations


def test_admin_switches_to_french_for_this_session(app, signed_in):
    editor = signed_in("editor")
    page = editor.get("/admin/service/").get_data(as_text=True)
    assert ">List" in page or "List (" in page
    response = editor.post("/admin/locale", data={"locale": "fr", "next": "/admin/service/"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/service/")
    page = editor.get("/admin/service/").get_data(as_text=True)
    assert "Liste" in page and "Créer" in page
    # Another staff member keeps the browser's language.
    assert "Liste" not in signed_in("admin").get("/admin/service/").get_data(as_text=True)


def test_browser_language_is_the_default_and_unknown_choices_are_ignored(app, signed_in):
    editor = signed_in("editor")
    page = editor.get("/admin/service/", headers={"Accept-Language": "fr-CA,fr;q=0.9"})
    assert "Liste" in page.get_data(as_text=True)
    response = editor.post("/admin/locale", data={"locale": "xx", "next": "https://evil.example/"})
    assert response.headers["Location"].endswith("/admin/")
    assert "Liste" not in editor.get("/admin/service/").get_data(as_text=True)
