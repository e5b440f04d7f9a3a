"""Translation side by side: the source text beside each translated field, what changed in the
source since the translation was made, and "still accurate" to clear staleness without retyping."""

from __future__ import annotations

import difflib
import re
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from markupsafe import Markup, escape

from .. import models as m
from .. import operations
from ..extensions import db
from ..i18n import SUPPORTED_LOCALES
from . import labels
from .access import TRANSLATORS, SecureView

KINDS: dict[str, type] = {"service": m.Service, "organization": m.Organization,
                          "location": m.Location, "taxonomy_term": m.TaxonomyTerm,
                          "page": m.Page}
EDIT_ENDPOINTS = {"service": "service.edit_view", "organization": "organization.edit_view",
                  "location": "location.edit_view", "taxonomy_term": "taxonomyterm.edit_view",
                  "page": "page.edit_view"}
_WORDS = re.compile(r"\s+|[^\s\w]|\w+")


def word_diff(old: str | None, new: str | None) -> Markup:
    """``new`` with the words added since ``old`` marked <ins> and the removed ones <del>."""
    a, b = _WORDS.findall(old or ""), _WORDS.findall(new or "")
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op in ("delete", "replace"):
            out.append(Markup("<del>{}</del>").format("".join(a[i1:i2])))
        if op in ("insert", "replace"):
            out.append(Markup("<ins>{}</ins>").format("".join(b[j1:j2])))
        if op == "equal":
            out.append(escape("".join(b[j1:j2])))
    return Markup("").join(out)


def source_when_translated(record: Any, row: Any) -> dict[str, str | None]:
    """The record's text as it was when ``row`` was last saved, rebuilt from the audit trail."""
    table = type(row).__tablename__
    made = db.session.scalar(sa.select(sa.func.max(m.AuditLog.id)).where(
        m.AuditLog.entity == table, m.AuditLog.entity_id == str(row.id)))
    text = {field: getattr(record, field) for field in record.__translated__}
    if made is None:
        return text
    later = db.session.scalars(sa.select(m.AuditLog).where(
        m.AuditLog.entity == record.__tablename__, m.AuditLog.entity_id == record.id,
        m.AuditLog.id > made, m.AuditLog.action == "update").order_by(m.AuditLog.id))
    seen: set[str] = set()
    for entry in later:
        for field, pair in (entry.changes or {}).items():
            if field in text and field not in seen and isinstance(pair, list) and pair:
                text[field] = pair[0]
                seen.add(field)
    return text


class TranslateView(SecureView):
    """/admin/translate/<kind>/<id>/<locale>: one record's translation into one language."""

    roles = TRANSLATORS

    def is_visible(self) -> bool:
        return False

    @expose("/")
    def index(self) -> Any:
        return redirect(url_for("admin_translations.index"))

    def _load(self, entity: str, record_id: str, locale: str) -> tuple[type, Any]:
        model = KINDS.get(entity)
        if model is None or locale not in SUPPORTED_LOCALES or not m.is_record_id(record_id):
            abort(404)
        record = db.session.get(model, record_id)
        if record is None:
            abort(404)
        return model, record

    @expose("/<entity>/<record_id>/<locale>", methods=("GET", "POST"))
    def edit(self, entity: str, record_id: str, locale: str) -> Any:
        model, record = self._load(entity, record_id, locale)
        row = record.translation(locale)
        name = getattr(record, "name", None) or getattr(record, "title", None) or ""
        if request.method == "POST":
            try:
                if request.form.get("still_accurate") and row is not None:
                    operations.confirm_translation(row, record)
                    message = _("Marked the %(language)s translation of “%(name)s” as still "
                                "accurate.", language=labels.language_name(locale), name=name)
                else:
                    values = {f: request.form.get(f, "").strip() for f in model.__translated__}
                    operations.translate_record(record, locale, values)
                    message = _("Saved the %(language)s translation of “%(name)s”.",
                                language=labels.language_name(locale), name=name)
                db.session.commit()
            except operations.ValidationError as exc:
                db.session.rollback()
                for error in exc.errors:
                    flash(error.message, "error")
                return redirect(request.path)
            flash(message, "success")
            target = request.form.get("next", "")
            if not target.startswith("/admin/") or "//" in target or "\\" in target:
                target = url_for(".edit", entity=entity, record_id=record_id, locale=locale)
            return redirect(target)
        stale = row is not None and row.source_digest != record.source_digest()
        then = source_when_translated(record, row) if stale else {}
        fields = []
        for field in model.__translated__:
            source = getattr(record, field)
            if not source and not (row is not None and getattr(row, field)):
                continue
            changed = stale and (then.get(field) or "") != (source or "")
            fields.append({"name": field, "source": source or "",
                           "value": (getattr(row, field) if row is not None else "") or "",
                           "changed": changed,
                           "diff": word_diff(then.get(field), source) if changed else None,
                           "long": field in ("description", "body", "application_process",
                                             "eligibility_description")})
        edit_endpoint = EDIT_ENDPOINTS.get(entity)
        return self.render("admin/translate.html", record=record, name=name, entity=entity,
                           locale=locale, row=row, stale=stale, fields=fields, labels=labels,
                           source_language=labels.language_name(record.text_language),
                           target_language=labels.language_name(locale),
                           locales=[c for c in SUPPORTED_LOCALES if c != record.text_language],
                           edit_url=url_for(edit_endpoint, id=record.id) if edit_endpoint else None,
                           return_to=request.args.get("next", ""))
