"""The public site over HTTP: every route in every locale, privacy, safety and the no-JS paths."""

import re

import pytest



def test_visitors_get_no_cookie_and_no_caching(client, demo):
    service_id = demo["open_site"].id
    for method, path in (("get", "/"), ("post", "/fr/search"), ("get", f"/services/{service_id}"),
                         ("get", "/pages/" + demo["page"].slug), ("get", "/exit")):
        response = getattr(client, method)(path, data={"q": "shelter"} if method == "post"
                                           else None)
        assert "Set-Cookie" not in response.headers, path
    for path in ("/search?q=shelter", f"/services/{service_id}", f"/services/{service_id}/print"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path


def test_security_headers(client, demo):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_titles_are_neutral(client, demo):
    for path in (f"/services/{demo['confidential'].id}", "/pages/" + demo["page"].slug):
        title = re.search(r"<title>(.*?)</title>", client.get(path).get_data(as_text=True)).group(1)
        assert title == "Community services"
    printout = client.get(f"/services/{demo['confidential'].id}/print").get_data(as_text=True)
    assert "<title>Notes</title>" in printout
    assert "violence" not in printout.split("<main>")[0].lower()


def test_pages_name_a_neutral_icon_of_our_own(client, demo):
    """A tab icon from our static files (no /favicon.ico 404 in every log), saying nothing."""
    html = client.get("/").get_data(as_text=True)
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    with client.get("/static/favicon.svg") as icon:
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
        assert b"<text" not in icon.data  # a shape, no words


def test_listing_shows_what_people_need(client, demo):
    service = demo["open_site"]
    html = client.get(f"/services/{service.id}").get_data(as_text=True)
    assert "Open in a map" in html and re.search(
        r"Last checked|Checked (with|by|on) |Not checked since|Not yet checked", html)
    confidential = demo["confidential"]
    html = client.get(f"/services/{confidential.id}").get_data(as_text=True)
    location = next(sal.location for sal in confidential.service_at_locations
                    if sal.location and sal.location.confidential)
    for address in location.addresses:
        assert address.address_1 not in html
    assert "shared only when you call" in html
    assert "openstreetmap" not in html


def test_untranslated_fields_are_marked(client, demo):
    service = demo["english_only"]
    html = client.get(f"/fr/services/{service.id}").get_data(as_text=True)
    assert 'lang="en"' in html and "(affiché en English)" in html or "English" in html


def test_explainer_page_is_sanitised_and_shows_related_services(client, demo, app):
    from directory import operations
    from directory.extensions import db

    page = demo["page"]
    operations.save_page({"slug": page.slug, "title": page.title,
                          "body": page.body + "\n\n<script>alert(1)</script>"
                                  "[x](javascript:alert(2))",
                          "taxonomy_term_ids": [t.id for t in page.taxonomy_terms]})
    db.session.commit()
    html = client.get(f"/pages/{page.slug}").get_data(as_text=True)
    assert "<script>alert" not in html and "javascript:" not in html
    assert "Services that can help" in html and 'class="result"' in html


def test_search_without_javascript_filters_and_paginates(client, demo):
    response = client.post("/search", data={"q": "", "category": "crisis-line"})
    html = response.get_data(as_text=True)
    count = int(re.search(r'role="status"[^>]*>(\d+)', html).group(1))
    assert count >= 5
    assert 'name="category" value="crisis-line" checked' in html
    first = client.post("/search", data={"q": ""}).get_data(as_text=True)
    second = client.post("/search", data={"q": "", "page": "2"}).get_data(as_text=True)
    assert "Page 1 of" in first and "Page 2 of" in second
    names = lambda h: re.findall(r'<h3><a href="[^"]+"[^>]*>([^<]+)</a>', h)  # noqa: E731
    assert names(first) and not set(names(first)) & set(names(second))


def test_bad_search_input_is_a_clear_400(client, demo):
    response = client.post("/search", data={"q": "x" * 5000})
    assert response.status_code == 400
    assert "shorter" in response.get_data(as_text=True)
    # An unknown place is not an error: the page says so (in the visitor's language).
    response = client.post("/fr/search", data={"near": "Atlantis"})
    assert response.status_code == 200 and "Atlantis" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/xx/", "/services/nope", "/pages/nope", "/fr/pages/x" * 20])
def test_unknown_pages_are_404(client, demo, path):
    assert client.get(path).status_code == 404
