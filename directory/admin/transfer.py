"""HSDS import from the admin (upload, report, preview, apply) and HSDS JSON / CSV export."""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
from collections import defaultdict
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


def preview_import(path: str, publication: str) -> dict[str, Any]:
    """Run the import inside a transaction that is rolled back; report what it would do."""
    from ..exchange.importer import ImportFileError, import_path

    last = db.session.scalar(sa.select(sa.func.max(m.AuditLog.id))) or 0
    result: dict[str, Any] = {"errors": {}, "changes": [], "counts": {}, "warnings": []}
    try:
        report = import_path(path, schema_dir=current_app.config["HSDS_SCHEMA_DIR"],
                             default_publication=publication)
    except ValidationError as exc:
        grouped: dict[str, list[str]] = defaultdict(list)
        for error in exc.errors:
            grouped[error.record_id or "-"].append(f"{error.path}: {error.message}")
        result["errors"] = dict(grouped)
    except (ImportFileError, ValueError, UnicodeDecodeError) as exc:
        result["errors"] = {"-": [str(exc)[:500]]}
    else:
        result["counts"] = report.counts
        result["warnings"] = [str(w) for w in report.warnings]
        rows = db.session.scalars(sa.select(m.AuditLog).where(m.AuditLog.id > last)
                                  .order_by(m.AuditLog.id)).all()
        result["changes"] = [{"entity": r.entity, "entity_id": r.entity_id, "action": r.action,
                              "changes": r.changes or {}} for r in rows]
    finally:
        db.session.rollback()
    return result


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
        result = preview_import(path, publication)
        status = 400 if result["errors"] else 200
        if result["errors"]:
            os.remove(path)
            token = None
        return self.render("admin/import.html", result=result, token=token,
                           publication=publication), status

    @expose("/apply", methods=("POST",))
    def apply(self) -> Any:
        from ..exchange.importer import import_path

        path = _upload_path(request.form.get("token", ""))
        publication = request.form.get("publication", "draft")
        if publication not in ("draft", "in_review", "published") or not os.path.exists(path):
            flash(_("Unknown upload; upload the file again."), "error")
            return redirect(url_for(".index"))
        try:
            report = import_path(path, schema_dir=current_app.config["HSDS_SCHEMA_DIR"],
                                 default_publication=publication)
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
        serializer = Serializer(public=not confidential)
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
