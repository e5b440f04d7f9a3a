"""Error pages in the site frame: every status, every surface keeps its own kind of answer."""

import json

import pytest
from pagetext import _Text

STATUSES = (400, 403, 404, 405, 429, 500)


def _error_url(status):
    """A real way to reach each status (unknown page, wrong method) or the failing route."""
    return {404: ("get", "/services/no-such-listing"), 405: ("put", "/")}.get(status,
                                                                   ("get", f"/fail/{status}"))


@pytest.mark.parametrize("status", STATUSES)
def test_each_error_renders_in_the_site_frame(client, demo, failing_routes, status):
    method, path = _error_url(status)
    response = getattr(client, method)(path)
    assert response.status_code == status
    html = response.get_data(as_text=True)
    parser = _Text("en")
    parser.feed(html)
    assert parser.first_focusable.get("id") == "quick-exit"
    assert 'class="safety-alert"' in html and "911" in html
    assert "604-555" in html or 'class="crisis-lines"' in html  # the demo's crisis lines
    assert 'action="/search"' in html and 'href="/"' in html  # a way back
    assert f"Error code: {status}" in html
    assert response.headers["Cache-Control"] == "no-store"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "<title>Community services</title>" in html
    if status == 405:
        assert "GET" in response.headers["Allow"]


def test_errors_are_translated_from_the_url(client, demo, failing_routes):
    html = client.get("/fr/nulle-part").get_data(as_text=True)
    assert '<html lang="fr" dir="ltr">' in html and "Page introuvable" in html
    assert "Sortie rapide" in html
    html = client.get("/ar/nowhere").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html and "خروج سريع" in html
    response = client.get("/fr/fail/500")
    assert response.status_code == 500 and "Sortie rapide" in response.get_data(as_text=True)


def test_error_pages_speak_accept_language(client, demo):
    html = client.get("/pages/nowhere", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert '<html lang="es"' in html and "Salida rápida" in html


def test_the_api_keeps_json_errors(client, demo):
    for method, path, status in (("get", "/api/v1/nope", 404), ("put", "/api/v1/services", 405),
                                 ("get", "/api/v1/search?page=x", 400)):
        response = getattr(client, method)(path)
        assert response.status_code == status, path
        assert response.mimetype == "application/json", path
        assert json.loads(response.data)["status"] == status


def test_the_admin_keeps_its_own_errors(client, demo):
    response = client.get("/admin/no-such-view/")
    assert response.status_code in (302, 403, 404)
    assert 'class="safety-alert"' not in response.get_data(as_text=True)
