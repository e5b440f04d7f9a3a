"""The published HSDS profile: its page, its JSON Schemas, and every API object and export file
validated against them (the HSDS 3.0 schemas fetched from this server, as a client would)."""

from __future__ import annotations

import csv
import json
import os
import re
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from factories import make_service, uid
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from directory import PROJECT_ROOT
from directory.cli import load_demo
from directory.exchange.datapackage import export_datapackage
from directory.exchange.exporter import export_folder
from directory.exchange.profile import FIELD_NOTES
from directory.extensions import db
from directory.operations import acting_as

ENDPOINT_DEFS = {"services": "service", "organizations": "organization",
                 "service_at_locations": "service_at_location", "taxonomies": "taxonomy",
                 "taxonomy_terms": "taxonomy_term"}


@pytest.fixture
def demo(app, index):
    """The demo directory (published), plus a listing with HSDS 3.1 additional_urls."""
    with acting_as("test"):
        load_demo()
    db.session.commit()
    make_service(name="Listing With More Links", crisis_line=False,
                 additional_urls=[{"id": uid(), "url": "https://example.org/more",
                                   "label": "More"}])


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


class Profile:
    """Validation against the published profile, resolving every reference over HTTP."""

    def __init__(self, client, path: str = "/api/v1/profile.schema.json"):
        self.client = client
        response = client.get(path)
        assert response.status_code == 200, response.status_code
        assert response.mimetype == "application/schema+json"
        self.document = response.get_json()
        self.url = self.document["$id"]
        self.fetched: list[str] = []
        self.validators: dict[str, Draft202012Validator] = {}

        # Fetch every schema the profile references, transitively, from this server.
        documents = {self.url: self.document}
        pending = [self.url]
        while pending:
            uri = pending.pop()
            for ref in _refs(documents[uri]):
                target = urldefrag(urljoin(uri, ref)).url
                if target and target not in documents:
                    answer = client.get(urlsplit(target).path)
                    assert answer.status_code == 200, target
                    documents[target] = answer.get_json()
                    self.fetched.append(target)
                    pending.append(target)
        self.registry = Registry().with_resources(
            (uri, Resource.from_contents(doc, default_specification=DRAFT202012))
            for uri, doc in documents.items()).crawl()

    def errors(self, obj, definition: str) -> list[str]:
        if definition not in self.validators:
            self.validators[definition] = Draft202012Validator(
                {"$ref": f"{self.url}#/$defs/{definition}"}, registry=self.registry,
                format_checker=Draft202012Validator.FORMAT_CHECKER)
        validator = self.validators[definition]
        return [f"{list(e.absolute_path)}: {e.message[:300]}"
                for e in validator.iter_errors(obj)]

    def check(self, obj, definition: str) -> None:
        errors = self.errors(obj, definition)
        assert not errors, f"{definition}: " + "\n".join(errors[:10])


def _page_items(client, profile: Profile, url: str) -> list[dict]:
    response = client.get(url)
    assert response.status_code == 200, (url, response.get_data(as_text=True)[:300])
    body = response.get_json()
    profile.check(body, "page_of")
    assert body["contents"], url
    return body["contents"]


def test_every_api_object_validates_against_the_profile(client, demo):
    profile = Profile(client)
    root = client.get("/api/v1/").get_json()
    profile.check(root, "api_info")
    checked = 0
    for endpoint, definition in ENDPOINT_DEFS.items():
        queries = ["?per_page=100", "?full=true&locale=ar&per_page=100"]
        if endpoint == "organizations":
            queries += ["?full_service=true&locale=fr"]
        for query in queries:
            items = _page_items(client, profile, f"/api/v1/{endpoint}{query}")
            for item in items:
                profile.check(item, definition)
                checked += 1
        for item in items[:2]:
            detail = client.get(f"/api/v1/{endpoint}/{item['id']}?locale=fr&full_service=true")
            assert detail.status_code == 200
            profile.check(detail.get_json(), definition)
            checked += 1
    for line in client.get("/api/v1/services?format=ndjson").get_data(as_text=True).splitlines():
        profile.check(json.loads(line), "service")
    for item in _page_items(client, profile, "/api/v1/services?minimal=true"):
        profile.check(item, "service_minimal")
    assert checked > 150
    # The HSDS schemas themselves came from this server, through the profile's references.
    assert any(uri.endswith("/profile/hsds-3.0/service.json") for uri in profile.fetched)
    assert any(uri.endswith("/profile/hsds-3.0/phone.json") for uri in profile.fetched)


def test_hsds_31_output_validates_against_the_31_profile_only(client, demo):
    plain = Profile(client)
    newer = Profile(client, "/api/v1/profile-hsds-3.1.schema.json")
    items = _page_items(client, newer, "/api/v1/services?full=true&hsds=3.1&per_page=100")
    with_urls = [item for item in items if item["additional_urls"]]
    assert with_urls
    for item in items:
        newer.check(item, "service")
    # additional_urls is no field of the HSDS 3.0 profile.
    assert any("additional_urls" in e for e in plain.errors(with_urls[0], "service"))


def test_an_undeclared_field_fails_at_any_depth(client, demo):
    profile = Profile(client)
    service = _page_items(client, profile, "/api/v1/services?full=true&per_page=100")[0]
    profile.check(service, "service")
    assert profile.errors(dict(service, internal_note="x"), "service")
    with_phone = next(s for s in _page_items(client, profile,
                                             "/api/v1/services?full=true&per_page=100")
                      if s["phones"] and s["translations"])
    broken = json.loads(json.dumps(with_phone))
    broken["phones"][0]["caller_history"] = True
    assert any("caller_history" in e for e in profile.errors(broken, "service"))
    broken = json.loads(json.dumps(with_phone))
    broken["translations"][0]["internal_note"] = "x"
    assert any("internal_note" in e for e in profile.errors(broken, "service"))
    # HSDS's own rules still apply (a bad status enum).
    assert any("status" in e or "inactive" in e
               for e in profile.errors(dict(with_phone, status="closed"), "service"))


def _typed(value: str, kind: str):
    if value == "":
        return None
    if kind == "boolean":
        assert value in ("true", "false"), value
        return value == "true"
    if kind == "integer":
        return int(value)
    if kind == "number":
        number = float(value)
        return int(number) if number.is_integer() else number
    if kind in ("array", "object"):
        return json.loads(value)
    return value


def test_every_export_file_validates_against_the_profile(client, demo, app, tmp_path):
    profile = Profile(client)
    folder = tmp_path / "json"
    with app.test_request_context():
        export_folder(str(folder))
    files = {"taxonomies.json": "taxonomy", "taxonomy_terms.json": "taxonomy_term",
             "organizations.json": "organization", "locations.json": "location",
             "services.json": "service", "pages.json": "explainer_page"}
    assert set(os.listdir(folder)) == set(files) | {"base.json"}
    for name, definition in files.items():
        rows = json.loads((folder / name).read_text(encoding="utf-8"))
        assert rows, name
        for row in rows:
            profile.check(row, definition)
    base = json.loads((folder / "base.json").read_text(encoding="utf-8"))
    profile.check(base, "api_info")
    assert client.get(urlsplit(base["profile"]).path).status_code == 200

    tables = tmp_path / "csv"
    with app.test_request_context():
        export_datapackage(str(tables), schema_dir=app.config["HSDS_SCHEMA_DIR"])
    package = json.loads((tables / "datapackage.json").read_text(encoding="utf-8"))
    rows_checked = 0
    for resource in package["resources"]:
        kinds = {f["name"]: f["type"] for f in resource["schema"]["fields"]}
        with open(tables / resource["path"], encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                assert set(row) == set(kinds), resource["path"]
                obj = {k: _typed(v, kinds[k]) for k, v in row.items()}
                profile.check({k: v for k, v in obj.items() if v is not None},
                              resource["name"])
                rows_checked += 1
    assert rows_checked > 500
    assert client.get(urlsplit(package["hsds_profile"]).path).status_code == 200


def test_profile_url_resolves_to_the_profile_page(client, app):
    root = client.get("/api/v1/", base_url="https://directory.example.org")
    profile = root.get_json()["profile"]
    assert profile == "https://directory.example.org/api/v1/profile"
    page = client.get(urlsplit(profile).path)
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert 'id="quick-exit"' in html  # the site frame
    assert "/api/v1/profile.schema.json" in html and "/api/v1/profile-hsds-3.1.schema.json" in html
    # docs/profile.md, rendered: its tables and headings are there, nothing is escaped Markdown.
    assert "<table>" in html and "<code>voicemail_safe</code>" in html
    assert html.count("<h1") == 1  # the page's own title, not the document's
    assert "| field |" not in html
    assert "default-src 'none'" not in page.headers["Content-Security-Policy"]
    app.config["PUBLIC_URL"] = "https://help.example.net/"
    configured = client.get("/api/v1/").get_json()
    assert configured["profile"] == "https://help.example.net/api/v1/profile"
    schema = client.get("/api/v1/profile.schema.json").get_json()
    assert schema["$id"] == "https://help.example.net/api/v1/profile.schema.json"


def test_profile_page_chrome_is_translated(client, app):
    english = client.get("/api/v1/profile").get_data(as_text=True)
    french = client.get("/api/v1/profile", headers={"Accept-Language": "fr"}
                        ).get_data(as_text=True)
    assert '<html lang="fr"' in french
    assert "Quick exit" in english and "Quick exit" not in french
    title = re.search(r"<h1>(.*?)</h1>", french).group(1)
    assert title and title != re.search(r"<h1>(.*?)</h1>", english).group(1)


def test_unknown_hsds_schema_is_a_json_404(client, app):
    response = client.get("/api/v1/profile/hsds-3.0/nothing.json")
    assert response.status_code == 404 and response.get_json()["status"] == 404
    assert client.get("/api/v1/profile/hsds-3.0/../../config.py").status_code == 404


def test_every_extension_field_is_documented(client, app):
    with open(os.path.join(PROJECT_ROOT, "docs", "profile.md"), encoding="utf-8") as handle:
        doc = handle.read()
    schema = client.get("/api/v1/profile-hsds-3.1.schema.json").get_json()
    declared = set()
    for definition in schema["$defs"].values():
        for name, prop in definition.get("properties", {}).items():
            if isinstance(prop, dict) and "description" in prop:  # HSDS's own fields: true
                declared.add(name)
    assert set(FIELD_NOTES) <= declared | {"services", "service"}
    missing = [name for name in FIELD_NOTES if f"`{name}`" not in doc]
    assert not missing, missing
    assert "service_capacity" in doc and "3.1" in doc
