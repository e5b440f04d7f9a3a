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


def token_of(page: str) -> str:
    return re.search(r'name="token" value="([0-9a-f]+)"', page).group(1)


def preview_rows(page: str) -> dict[str, str]:
    """Record name -> result word, as the preview table shows them."""
    rows = re.findall(r'<tr class="import-(\w+)">.*?<label[^>]*>([^<]+)</label>', page, re.S)
    return {name: status for status, name in rows}


def test_preview_then_apply(app, signed_in):
    editor = signed_in("editor")
    data = service_data(name="Imported Clinic")
    response = upload(editor, [data], publication="published")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert preview_rows(page) == {"Imported Clinic": "new"}
    assert count_services() == 0  # a preview saves nothing
    token = token_of(page)
    response = editor.post("/admin/import/apply", data={"token": token, "choose": "0",
                                                       "publication": "published"},
                           follow_redirects=True)
    assert "Imported 1 service." in response.get_data(as_text=True)
    assert count_services() == 1
    assert [h.name for h in search("imported clinic", locale="en").hits] == ["Imported Clinic"]
    row = db.session.scalars(sa.select(m.AuditLog).where(m.AuditLog.entity == "service")).first()
    assert row.actor == "editor@example.org"
    # The upload is used once.
    again = editor.post("/admin/import/apply", data={"token": token, "choose": "0"},
                        follow_redirects=True)
    assert "upload the file again" in again.get_data(as_text=True)
    # The same file again: nothing to change, nothing to apply.
    page = upload(editor, [data], publication="published").get_data(as_text=True)
    assert "Nothing to change" in page and preview_rows(page) == {"Imported Clinic": "unchanged"}
    assert 'name="choose"' not in page


def test_preview_marks_new_changed_unchanged_and_applies_only_the_chosen(app, signed_in):
    editor = signed_in("editor")
    kept, edited = service_data(name="Kept Line"), service_data(name="Edited Line")
    token = token_of(upload(editor, [kept, edited]).get_data(as_text=True))
    editor.post("/admin/import/apply", data={"token": token, "choose": ["0", "1"]})
    assert count_services() == 2
    edited_again = {**edited, "phones": [{**edited["phones"][0], "number": "250-555-0111"}],
                    "description": "Now open on Sundays."}
    fresh, skipped = service_data(name="Fresh Line"), service_data(name="Skipped Line")
    page = upload(editor, [kept, edited_again, fresh, skipped]).get_data(as_text=True)
    assert preview_rows(page) == {"Kept Line": "unchanged", "Edited Line": "changed",
                                  "Fresh Line": "new", "Skipped Line": "new"}
    # The changed record shows its field diff, old -> new.
    assert "Now open on Sundays." in page and "250-555-0111" in page
    assert edited["phones"][0]["number"] in page
    editor.post("/admin/import/apply", data={"token": token_of(page), "choose": ["1", "2"]})
    names = set(db.session.scalars(sa.select(m.Service.name)))
    assert names == {"Kept Line", "Edited Line", "Fresh Line"}
    db.session.expire_all()
    assert db.session.get(m.Service, edited["id"]).description == "Now open on Sundays."
    # Imported listings start as drafts: nothing public until someone publishes them.
    assert app.test_client().get(f"/services/{fresh['id']}").status_code == 404
    assert search("fresh line", locale="en").total == 0


def test_invalid_records_are_reported_and_nothing_is_saved(app, signed_in):
    editor = signed_in("editor")
    good = service_data(name="Good One")
    bad = service_data(name="Bad One", url="javascript:alert(1)")
    bad["phones"][0]["number"] = ""
    response = upload(editor, [good, bad])
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert preview_rows(page)["Bad One"] == "refused"
    assert "only http, https, mailto and tel links" in page and "url" in page
    assert 'name="token"' not in page or 'name="token" value=""' in page
    assert app.config["ADMIN_UPLOAD_DIR"] not in page and "/tmp" not in page
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
