"""The API reference page for people: generated from the OpenAPI document, examples that run."""

from __future__ import annotations

import html
import json
import re
from urllib.parse import urlsplit

from factories import make_service, uid

from directory import models as m
from directory.extensions import db
from directory.operations import acting_as
from directory.operations.records import save_record


def _examples(page: str) -> tuple[list[str], list[tuple[str, dict]]]:
    links = [html.unescape(u) for u in re.findall(r'<a href="([^"]+)" class="api-example"', page)]
    posts = [(html.unescape(url), json.loads(html.unescape(body))) for body, url in re.findall(
        r"curl -X POST -H 'Content-Type: application/json' -d '([^']+)' (\S+)</code>", page)]
    return links, posts


def test_reference_lists_every_operation_and_its_examples_run(client, app, index):
    taxonomy, term = uid(), uid()
    with acting_as("test"):
        save_record(m.Taxonomy, {"id": taxonomy, "name": "Services", "description": "Ours."})
        save_record(m.TaxonomyTerm, {"id": term, "name": "Shelter", "description": "",
                                     "taxonomy_id": taxonomy})
    db.session.commit()
    service = make_service(attributes=[{"id": uid(), "taxonomy_term_id": term}])
    document = client.get("/api/v1/openapi.json").get_json()
    response = client.get("/api/v1/docs", base_url="https://directory.example.org")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert 'id="quick-exit"' in page and "<script>" not in page
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            assert f"<code>{method.upper()} https://directory.example.org/api/v1{path}</code>" \
                in html.unescape(page), (method, path)
            assert f'id="{operation["operationId"]}"' in page
            for param in [*item.get("parameters", []), *operation.get("parameters", [])]:
                name = param.get("name") or param["$ref"].rsplit("/", 1)[-1]
                name = document["components"]["parameters"].get(name, {}).get("name", name)
                assert f"<code>{html.escape(name)}</code>" in page, (path, name)
    links, posts = _examples(page)
    # Absolute URLs of this server, one at least for every GET path (ids of real records).
    assert all(url.startswith("https://directory.example.org/api/v1") for url in links)
    for path in document["paths"]:
        pattern = re.escape(path).replace(r"\{", "{").replace(r"\}", "}")
        pattern = re.sub(r"{[a-z_]+}", "[0-9a-f-]{36}", pattern)
        assert any(re.fullmatch(r"https://directory\.example\.org/api/v1" + pattern + r"(\?.*)?",
                                url) for url in links), path
    assert f"/api/v1/services/{service.id}" in page
    for url in links:
        parts = urlsplit(url)
        answer = client.get(parts.path + ("?" + parts.query if parts.query else ""))
        assert answer.status_code == 200, (url, answer.get_data(as_text=True)[:200])
    assert posts
    for url, body in posts:
        answer = client.post(urlsplit(url).path, json=body)
        assert answer.status_code == 200, (url, answer.get_data(as_text=True)[:200])
    # The widget snippet points at this server.
    assert '<script src="https://directory.example.org/widget.js"' in html.unescape(page)


def test_reference_without_published_records_shows_no_broken_examples(client, app):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    links, _posts = _examples(page)
    assert links and not any("{" in url for url in links)
    for url in links:
        assert client.get(urlsplit(url).path + "?" + urlsplit(url).query).status_code == 200


def test_reference_is_linked_from_the_api_root_and_the_site_footer(client, app):
    root = client.get("/api/v1/").get_json()
    assert client.get(urlsplit(root["docs_url"]).path).status_code == 200
    home = client.get("/").get_data(as_text=True)
    footer = home[home.index('<footer'):]
    assert 'href="/api/v1/docs"' in footer


def test_reference_page_chrome_follows_the_language(client, app):
    french = client.get("/api/v1/docs", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    english = client.get("/api/v1/docs").get_data(as_text=True)
    assert '<html lang="fr"' in french
    heading = re.compile(r"<h1>(.*?)</h1>")
    assert heading.search(french).group(1) != heading.search(english).group(1)
    arabic = client.get("/api/v1/docs", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert 'dir="rtl"' in arabic and '<ul class="api-endpoints" dir="ltr">' in arabic
