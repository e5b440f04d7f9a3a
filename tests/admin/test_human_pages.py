"""Every admin page a role can open reads as words for people: no reprs, no raw ids outside id
columns, no stored codes, no microseconds; in French, our labels are French."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from admin.staff import make_user
from factories import make_service

from directory import models as m
from directory import operations
from directory.extensions import db

REPR = re.compile(r"<[A-Z][A-Za-z]+ [0-9a-f]{8}-")
UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
MICROSECONDS = re.compile(r"\d{2}:\d{2}:\d{2}\.\d{3,}")
CODES = re.compile(r"\b(in_review|taxonomy_term|service_at_location|temporarily_closed)\b|"
                   r"\b(MO|TU|WE|TH|FR|SA|SU)(,(MO|TU|WE|TH|FR|SA|SU))+\b|\b\d{2}:\d{2}:00\b")
# Cells that are ids by purpose (the audit log's record column).
ID_CELLS = ("col-entity_id", "col-key")


class VisibleText(HTMLParser):
    """Text a person sees: no scripts, styles, attributes or hidden inputs; with the class of
    the table cell it sits in."""

    def __init__(self):
        super().__init__()
        self.skip = 0
        self.cell = []
        self.texts: list[tuple[str, str]] = []

    HIDDEN_TAGS = ("script", "style", "textarea", "option", "code", "pre", "template")
    VOID = ("input", "br", "img", "hr", "meta", "link", "source", "col", "area", "wbr")

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        a = dict(attrs)
        hidden = ("hidden" in a or "display:none" in (a.get("style") or "").replace(" ", "")
                  or any(c in (a.get("class") or "").split() for c in ("hide", "d-none")))
        if self.skip or tag in self.HIDDEN_TAGS or hidden:
            self.skip += 1
        if tag == "td":
            self.cell.append(dict(attrs).get("class") or "")

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if self.skip:
            self.skip -= 1
        if tag == "td" and self.cell:
            self.cell.pop()

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.texts.append((data.strip(), self.cell[-1] if self.cell else ""))


def visible(html: str) -> list[tuple[str, str]]:
    parser = VisibleText()
    parser.feed(html)
    return parser.texts


def admin_pages(app, ids: dict[str, str]) -> list[str]:
    """Every GET page of the admin with no arguments, plus edit and details of known records."""
    urls = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin") or "GET" not in rule.methods:
            continue
        endpoint = rule.endpoint
        if endpoint.endswith((".static", ".ajax_lookup", ".export", ".index")) and \
                not endpoint.endswith(".index"):
            continue
        if rule.arguments and not endpoint.endswith(("edit", "detail", "record")):
            continue
        url = rule.rule
        if endpoint.endswith((".edit_view", ".details_view")):
            area = endpoint.split(".")[0]
            if area not in ids:
                continue
            url += f"?id={ids[area]}"
        url = (url.replace("<entity>", "service").replace("<entity_id>", ids["service"])
               .replace("<record_id>", ids["service"]).replace("<locale>", "fr")
               .replace("<int:revision_id>", ids["revision"]))
        if "<" in url or url.endswith((".json", ".csv")):
            continue
        urls.add(url)
    return sorted(urls)


@pytest.fixture
def directory_with_everything(app, staff):
    make_user("publisher@example.org", "publisher")
    service = make_service(name="Crawl Line", status="temporarily closed")
    draft = make_service(name="Crawl Draft", publish=False)
    with operations.acting_as("editor@example.org"):
        base = operations.revisions.editable_state(service)
        proposed = {**base, "email": "new@example.org"}
        revision = operations.revisions.propose(service.id, base, proposed)
        operations.translate_record(service, "fr", {"name": "Ligne de test"})
    db.session.add(m.Partner(key="crawl-partner", name="Crawl Partner",
                             allowed_origins="https://example.org"))
    db.session.commit()
    location = service.service_at_locations[0].location
    return {"service": service.id, "draft": draft.id, "revision": str(revision.id),
            "organization": service.organization_id, "location": location.id,
            "partner": str(db.session.scalar(m.Partner.__table__.select().with_only_columns(
                m.Partner.id)))}


@pytest.mark.parametrize("role", ["translator", "editor", "publisher", "admin"])
def test_every_admin_page_reads_as_words(app, signed_in, directory_with_everything, role):
    from admin.staff import sign_in

    client = app.test_client()
    email = "publisher@example.org" if role == "publisher" else f"{role}@example.org"
    assert sign_in(client, email).status_code == 302
    problems = []
    pages = admin_pages(app, directory_with_everything)
    opened = 0
    for url in pages:
        response = client.get(url)
        if response.status_code in (302, 403, 404):
            continue
        assert response.status_code == 200, (url, response.status_code)
        opened += 1
        for text, cell in visible(response.get_data(as_text=True)):
            if REPR.search(text):
                problems.append((url, "repr", text[:80]))
            if UUID.search(text) and not any(c in cell for c in ID_CELLS):
                problems.append((url, "raw id", text[:80]))
            if MICROSECONDS.search(text):
                problems.append((url, "microseconds", text[:80]))
            if CODES.search(text):
                problems.append((url, "code", text[:80]))
    assert opened >= (5 if role == "translator" else 20), opened
    assert problems == [], "\n".join(map(str, problems))


def test_french_admin_pages_use_french_labels(app, signed_in, directory_with_everything):
    from babel.messages.pofile import read_po

    from directory.admin import labels

    with open("translations/fr/LC_MESSAGES/messages.po", "rb") as handle:
        catalog = read_po(handle, locale="fr")
    english = set()
    for table in (labels.PUBLICATION, labels.STATUS, labels.PHONE_TYPE, labels.LOCATION_TYPE,
                  labels.REVISION, labels.AUDIT_ACTION, labels.ENTITY):
        for value in table.values():
            message = catalog.get(value._args[0] if hasattr(value, "_args") else str(value))
            if message is not None and message.string and message.string != message.id:
                english.add(message.id)
    client = signed_in("admin")
    client.post("/admin/locale", data={"locale": "fr", "next": "/admin/"})
    ids = directory_with_everything
    leftovers = []
    for url in ("/admin/", "/admin/service/", f"/admin/service/edit/?id={ids['service']}",
                f"/admin/review/{ids['revision']}", f"/admin/history/service/{ids['service']}",
                "/admin/review/", "/admin/import/", f"/admin/translate/service/{ids['service']}/fr",
                "/admin/translations/?locale=fr"):
        html = client.get(url).get_data(as_text=True)
        leftovers += [(url, text) for text, _cell in visible(html) if text in english]
    assert leftovers == [], "\n".join(map(str, leftovers))
