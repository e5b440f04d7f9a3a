"""HSDS import from the admin (upload, report, preview, apply) and HSDS JSON / CSV export."""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
from typing import Any

import sqlalchemy as sa
from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _

from .. import models as m
from ..extensions import db
from ..operations import ValidationError
from .access import ADMIN, EDITORS, SecureView, has_role
from .checks import safe_cell

TOKEN_LENGTH = 32


UPLOAD_TTL_SECONDS = 24 * 3600


def _upload_dir() -> str:
    """Where uploads wait between preview and apply; previews never applied expire after a day."""
    import time

    path = current_app.config.get("ADMIN_UPLOAD_DIR") or os.path.join(
        current_app.instance_path, "admin-imports")
    os.makedirs(path, mode=0o700, exist_ok=True)
    now = time.time()
    for name in os.listdir(path):
        full = os.path.join(path, name)
        try:
            if now - os.path.getmtime(full) > UPLOAD_TTL_SECONDS:
                os.remove(full)
        except OSError:
            pass  # another worker removed it first
    return path


def _upload_path(token: str) -> str:
    if len(token) != TOKEN_LENGTH or not token.isalnum():
        abort(400, _("Unknown upload; upload the file again."))
    return os.path.join(_upload_dir(), f"{token}.json")


IGNORED_FIELDS = frozenset({"last_modified", "updated_at", "created_at", "version",
                            "source_digest"})


def _ids_in(data: Any, out: set[str]) -> set[str]:
    """Every record id nested in an incoming object."""
    if isinstance(data, dict):
        if isinstance(data.get("id"), str):
            out.add(data["id"])
        for value in data.values():
            _ids_in(value, out)
    elif isinstance(data, list):
        for value in data:
            _ids_in(value, out)
    return out


def _plain(message: str, path: str, filename: str) -> str:
    """A message about the upload, naming the file as the curator named it, never our path."""
    for secret in (path, os.path.dirname(path)):
        message = message.replace(secret + os.sep, "").replace(secret, filename)
    return message


def _describe(row: m.AuditLog) -> list[dict[str, str]]:
    from . import labels

    what = labels.label(labels.ENTITY, row.entity.removesuffix("_translation"))
    changes = row.changes or {}
    if row.action == "update":
        return [{"what": f"{what} · {field.replace('_', ' ')}", "old": _short(pair[0]),
                 "new": _short(pair[1])}
                for field, pair in sorted(changes.items()) if field not in IGNORED_FIELDS]
    name = next((str(changes[k]) for k in ("name", "number", "title", "locale", "address_1")
                 if changes.get(k)), "")
    verb = _("added") if row.action == "create" else _("removed")
    return [{"what": f"{what}{' · ' + name if name else ''}", "old": "", "new": verb}]


def _short(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 200 else text[:199] + "…"


def preview_import(path: str, publication: str, filename: str = "upload.json"
                   ) -> dict[str, Any]:
    """What importing the file would do, record by record (new / changed / unchanged /
    refused, with a field diff), found by running the import in a transaction that is then
    rolled back."""
    from ..exchange.importer import ImportFileError, collect, import_path

    schema_dir = current_app.config["HSDS_SCHEMA_DIR"]
    result: dict[str, Any] = {"records": [], "file_errors": [], "warnings": [], "counts": {}}
    try:
        items, _skipped, file_errors = collect(path, schema_dir)
    except (ImportFileError, ValueError, UnicodeDecodeError) as exc:
        result["file_errors"] = [_plain(str(exc)[:500], path, filename)]
        return result
    result["file_errors"] = [_plain(f"{e.message}", path, filename) for e in file_errors]
    records = []
    for index, item in enumerate(items):
        data = item.data if isinstance(item.data, dict) else {}
        records.append({"key": str(index), "entity": item.entity, "id": data.get("id"),
                        "name": data.get("name") or data.get("title") or data.get("number")
                        or "", "ids": _ids_in(data, set()), "status": "unchanged",
                        "rows": [], "errors": []})
    last = db.session.scalar(sa.select(sa.func.max(m.AuditLog.id))) or 0
    try:
        report = import_path(path, schema_dir=schema_dir, default_publication=publication)
    except ValidationError as exc:
        for error in exc.errors:
            where = error.path.split(": ", 1)[-1]
            message = _plain(f"{where}: {error.message}" + (f" ({error.fix})" if error.fix
                                                              else ""), path, filename)
            owner = next((r for r in records if error.record_id and r["id"] == error.record_id),
                         None)
            if owner is None:
                result["file_errors"].append(message)
            else:
                owner["errors"].append(message)
                owner["status"] = "refused"
    except (ImportFileError, ValueError, UnicodeDecodeError) as exc:
        result["file_errors"].append(_plain(str(exc)[:500], path, filename))
    else:
        result["counts"] = report.counts
        result["warnings"] = [_plain(str(w), path, filename)
                              for w in [*report.warnings, *report.decisions]]
        rows = db.session.scalars(sa.select(m.AuditLog).where(m.AuditLog.id > last)
                                  .order_by(m.AuditLog.id)).all()
        for row in rows:
            owner = next((r for r in records if row.entity_id in r["ids"]), None)
            if owner is None:
                continue
            described = _describe(row)
            if not described:
                continue
            if row.action == "create" and row.entity_id == owner["id"]:
                owner["status"] = "new"
                continue
            if owner["status"] != "new":
                owner["status"] = "changed"
                owner["rows"].extend(described)
    finally:
        db.session.rollback()
    for record in records:
        record.pop("ids")
    result["records"] = records
    result["refused"] = bool(result["file_errors"]) or any(r["errors"] for r in records)
    result["to_apply"] = [r for r in records if r["status"] in ("new", "changed")]
    return result


def apply_chosen(path: str, chosen: set[str], publication: str) -> Any:
    """Import the chosen records of the upload (all of them: the file itself) in one
    transaction; the caller commits."""
    from ..exchange.importer import collect, import_path

    schema_dir = current_app.config["HSDS_SCHEMA_DIR"]
    items, _skipped, _errors = collect(path, schema_dir)
    keys = {str(i) for i in range(len(items))}
    if chosen >= keys or any(item.tabular or item.entity == "page" for item in items):
        return import_path(path, schema_dir=schema_dir, default_publication=publication)
    subset = path + ".chosen.json"
    with open(subset, "w", encoding="utf-8") as handle:
        json.dump([items[int(k)].data for k in sorted(chosen & keys, key=int)], handle)
    try:
        return import_path(subset, schema_dir=schema_dir, default_publication=publication)
    finally:
        os.remove(subset)


class ImportView(SecureView):
    """Upload HSDS 3.0 JSON, see the validation report and the preview, then apply."""

    roles = EDITORS

    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        if request.method == "GET":
            return self.render("admin/import.html", result=None, token=None)
        upload = request.files.get("file")
        publication = request.form.get("publication", "draft")
        if publication not in ("draft", "in_review", "published"):
            publication = "draft"
        if upload is None or not upload.filename:
            flash(_("Choose a JSON file to upload."), "error")
            return self.render("admin/import.html", result=None, token=None), 400
        limit = int(current_app.config["ADMIN_IMPORT_MAX_BYTES"])
        data = upload.stream.read(limit + 1)
        if len(data) > limit:
            flash(_("The file is larger than %(size)d kB.", size=limit // 1024), "error")
            return self.render("admin/import.html", result=None, token=None), 413
        try:
            json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            flash(_("This is not a JSON file: %(error)s", error=str(exc)[:200]), "error")
            return self.render("admin/import.html", result=None, token=None), 400
        token = secrets.token_hex(TOKEN_LENGTH // 2)
        path = _upload_path(token)
        with open(path, "wb") as handle:
            handle.write(data)
        result = preview_import(path, publication, os.path.basename(upload.filename)[:100])
        status = 400 if result["refused"] else 200
        if result["refused"] or not result["to_apply"]:
            os.remove(path)
            token = None
        from . import labels

        return self.render("admin/import.html", result=result, token=token,
                           publication=publication, labels=labels), status

    @expose("/apply", methods=("POST",))
    def apply(self) -> Any:
        path = _upload_path(request.form.get("token", ""))
        publication = request.form.get("publication", "draft")
        if publication not in ("draft", "in_review", "published") or not os.path.exists(path):
            flash(_("Unknown upload; upload the file again."), "error")
            return redirect(url_for(".index"))
        chosen = set(request.form.getlist("choose"))
        if not chosen:
            flash(_("Choose at least one record to import."), "error")
            return redirect(url_for(".index"))
        try:
            report = apply_chosen(path, chosen, publication)
            db.session.commit()
        except ValidationError as exc:
            db.session.rollback()
            flash(_("Nothing was imported: %(count)d problem(s).", count=len(exc.errors)),
                  "error")
            return redirect(url_for(".index"))
        finally:
            if os.path.exists(path):
                os.remove(path)
        summary = ", ".join(f"{v} {k}" for k, v in sorted(report.counts.items()))
        flash(_("Imported %(summary)s.", summary=summary or "0"), "success")
        return redirect(url_for(".index"))


SERVICE_CSV_COLUMNS = ("id", "name", "organization", "publication", "status", "email", "url",
                       "phones", "last_verified_at", "verified_by", "text_language",
                       "description")


def services_csv_rows() -> Any:
    """One row per service; every cell neutralised against spreadsheet formulas."""
    yield SERVICE_CSV_COLUMNS
    services = db.session.scalars(sa.select(m.Service).order_by(m.Service.name))
    for service in services:
        phones = "; ".join(p.number for p in service.phones)
        yield [safe_cell(value) for value in (
            service.id, service.name, service.organization.name if service.organization else "",
            service.publication, service.status, service.email or "", service.url or "",
            phones, service.last_verified_at.isoformat() if service.last_verified_at else "",
            service.verified_by or "", service.text_language, service.description or "")]


class ExportView(SecureView):
    """Download the directory as HSDS 3.0 JSON or the listings as a spreadsheet-safe CSV."""

    roles = EDITORS

    @expose("/")
    def index(self) -> Any:
        return self.render("admin/export.html", can_confidential=has_role(*ADMIN))

    @expose("/services.json")
    def hsds_json(self) -> Any:
        from ..exchange.exporter import Serializer

        confidential = request.args.get("confidential") == "1"
        if confidential and not has_role(*ADMIN):
            abort(403)
        serializer = Serializer(public=not confidential, checks=True)
        payload = [serializer.record(s) for s in db.session.scalars(
            sa.select(m.Service).order_by(m.Service.id))]
        return Response(json.dumps(payload, ensure_ascii=False, indent=1),
                        mimetype="application/json",
                        headers={"Content-Disposition": "attachment; filename=services.json",
                                 "Cache-Control": "no-store"})

    @expose("/services.csv")
    def services_csv(self) -> Any:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in services_csv_rows():
            writer.writerow(row)
        return Response(buffer.getvalue(), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=services.csv",
                                 "Cache-Control": "no-store"})
