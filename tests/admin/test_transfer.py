"""HSDS import from the admin (report, preview, apply, all or nothing) and safe exports."""

from __future__ import annotations

import csv
import io
import json
import re

import sqlalchemy as sa
from factories import service_data, uid

from directory import models as m
from directory.extensions import db
from directory.search.query import search


def upload(client, payload, **form):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return client.post("/admin/import/", data={"file": (io.BytesIO(body), "services.json"),
                                               **form}, content_type="multipart/form-data")


def count_services() -> int:
    return db.session.scalar(sa.select(sa.func.count(m.Service.id)))


def test_preview_then_apply(app, signed_in):
    editor = signed_in("editor")
    data = service_data(name="Imported Clinic")
    response = upload(editor, [data], publication="published")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Imported Clinic" in page and "create" in page
    assert count_services() == 0  # a preview saves nothing
    token = re.search(r'name="token" value="([0-9a-f]+)"', page).group(1)
    response = editor.post("/admin/import/apply", data={"token": token,
                                                       "publication": "published"},
                           follow_redirects=True)
    assert "Imported 1 service." in response.get_data(as_text=True)
    assert count_services() == 1
    assert [h.name for h in search("imported clinic", locale="en").hits] == ["Imported Clinic"]
    row = db.session.scalars(sa.select(m.AuditLog).where(m.AuditLog.entity == "service")).first()
    assert row.actor == "editor@example.org"
    # The upload is used once.
    again = editor.post("/admin/import/apply", data={"token": token}, follow_redirects=True)
    assert "upload the file again" in again.get_data(as_text=True)


def test_invalid_records_are_reported_and_nothing_is_saved(app, signed_in):
    editor = signed_in("editor")
    good = service_data(name="Good One")
    bad = service_data(name="Bad One", url="javascript:alert(1)")
    bad["phones"][0]["number"] = ""
    response = upload(editor, [good, bad])
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert bad["id"] in page and "only http, https, mailto and tel links" in page
    assert 'name="token"' not in page
    assert count_services() == 0


def test_size_limit_and_not_json(app, signed_in):
    app.config["ADMIN_IMPORT_MAX_BYTES"] = 1000
    editor = signed_in("editor")
    response = upload(editor, [service_data(description="x" * 2000)])
    assert response.status_code == 413
    assert "larger than" in response.get_data(as_text=True)
    response = upload(editor, b"{not json")
    assert response.status_code == 400 and "not a JSON file" in response.get_data(as_text=True)
    assert signed_in("translator").get("/admin/import/").status_code == 403


def test_csv_export_neutralises_formulas(app, signed_in):
    from factories import make_service

    make_service(name="=HYPERLINK(\"http://evil.example\",\"click\")",
                 description="+1 555 0100", organization={"id": uid(), "name": "@SUM(A1)"})
    editor = signed_in("editor")
    for url in ("/admin/export/services.csv", "/admin/service/export/csv/"):
        response = editor.get(url)
        assert response.status_code == 200
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
        cells = [cell for row in rows[1:] for cell in row]
        assert cells, url
        assert not any(cell.startswith(("=", "+", "-", "@", "\t")) for cell in cells), cells
        assert any(cell.startswith("'=HYPERLINK") for cell in cells)


def test_json_export_hides_confidential_addresses_unless_admin_asks(app, signed_in):
    from factories import make_service

    make_service(name="Shelter Line")
    editor = signed_in("editor")
    public = editor.get("/admin/export/services.json").get_data(as_text=True)
    assert "Shelter Line" in public and "1234 Secret Street" not in public
    assert editor.get("/admin/export/services.json?confidential=1").status_code == 403
    full = signed_in("admin").get("/admin/export/services.json?confidential=1")
    assert "1234 Secret Street" in full.get_data(as_text=True)
