"""Per-record history: every audit row of a record, its translations and what it owns."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort
from flask_admin import expose

from .. import models as m
from ..extensions import db
from .access import EDITORS, SecureView

# Tables whose rows belong to a parent through a column, shown in the parent's history.
OWNED = {
    "service": (("phone", m.Phone, "service_id"), ("schedule", m.Schedule, "service_id"),
                ("service_at_location", m.ServiceAtLocation, "service_id"),
                ("language", m.Language, "service_id"), ("cost_option", m.CostOption,
                                                          "service_id")),
    "location": (("address", m.Address, "location_id"), ("phone", m.Phone, "location_id"),
                 ("schedule", m.Schedule, "location_id")),
    "organization": (),
}


def _tables() -> dict[str, type]:
    """Records with a history tab: HSDS records and pages (all keyed by a UUID string)."""
    from ..models.entities import ENTITY_NAMES

    return {model.__tablename__: model for model in (*ENTITY_NAMES, m.Page)}


def record_history(entity: str, entity_id: str, limit: int = 500) -> list[m.AuditLog]:
    """Audit rows about one record and its dependants, newest first."""
    log = m.AuditLog
    clauses = [sa.and_(log.entity == entity, log.entity_id == entity_id)]
    tables = _tables()
    model = tables.get(entity)
    translation = getattr(model, "translation_class", None)
    if translation is not None:
        table = translation.__tablename__
        # Rows deleted since are found through the parent id their creation recorded.
        ids = {str(i) for i in db.session.scalars(sa.select(translation.id).where(
            translation.parent_id == entity_id))}
        # Rows deleted since are found through the parent id their audit rows recorded.
        for row_id, changes in db.session.execute(sa.select(log.entity_id, log.changes).where(
                log.entity == table, log.action.in_(("create", "delete")))):
            if (changes or {}).get("parent_id") == entity_id:
                ids.add(row_id)
        clauses.append(sa.and_(log.entity == table, log.entity_id.in_(ids or {"-"})))
    for table, child, column in OWNED.get(entity, ()):
        ids = set(db.session.scalars(sa.select(child.id).where(
            getattr(child, column) == entity_id)))
        if ids:
            clauses.append(sa.and_(log.entity == table, log.entity_id.in_(ids)))
    return list(db.session.scalars(sa.select(log).where(sa.or_(*clauses))
                                   .order_by(log.id.desc()).limit(limit)))


class HistoryView(SecureView):
    """The history tab of a record."""

    roles = EDITORS

    def is_visible(self) -> bool:
        return False

    @expose("/")
    def index(self) -> Any:
        abort(404)

    @expose("/<entity>/<entity_id>")
    def record(self, entity: str, entity_id: str) -> Any:
        model = _tables().get(entity)
        if model is None or len(entity_id) > 64:
            abort(404)
        rows = record_history(entity, entity_id)
        current = db.session.get(model, entity_id)
        if not rows and current is None:
            abort(404)
        from . import labels

        return self.render("admin/history.html", entity=entity, entity_id=entity_id,
                           record=current, rows=rows, labels=labels, names=row_names(rows))


def row_names(rows: list[m.AuditLog]) -> dict[tuple[str, str], str]:
    """What each audit row is about, by name: the record's name now, else the one it had."""
    tables = _tables()
    names: dict[tuple[str, str], str] = {}
    for row in rows:
        key = (row.entity, row.entity_id)
        if key in names:
            continue
        model = tables.get(row.entity)
        record = db.session.get(model, row.entity_id) if model is not None else None
        name = str(record) if record is not None else ""
        if not name:
            changes = row.changes or {}
            name = next((str(changes[k]) for k in ("name", "title", "number", "locale")
                         if isinstance(changes.get(k), str)), "")
        names[key] = name
    return names
