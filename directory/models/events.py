"""Session hooks that record the audit trail and the search change log in the edit's transaction.

Both are written with Core inserts during the flush, so they commit or roll back with the edit:
a committed change always has its audit row and its change-log row.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from .accounts import AuditLog, Partner, Role, User
from .base import utcnow
from .changes import SearchChange, SearchSynonym
from .content import Page
from .hsds import Attribute, ServiceAtLocation, TaxonomyTerm

# Never copied into the audit trail.
SECRET_FIELDS = frozenset({"password", "fs_uniquifier", "tf_totp_secret", "tf_phone_number",
                           "mf_recovery_codes", "fs_webauthn_user_handle", "us_totp_secrets",
                           "last_login_ip", "current_login_ip"})
NOT_AUDITED = (AuditLog, SearchChange)
# Where ``operations.audit`` names who is making the session's changes.
ACTOR_KEY = "actor"
_DELETED_KEY = "directory.deleted_service_ids"


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


def _entity_name(obj: Any) -> str:
    return obj.__table__.name


def _identity(obj: Any) -> str:
    state = inspect(obj)
    return ",".join(str(state.dict.get(col.key)) for col in state.mapper.primary_key)


def _column_values(obj: Any) -> dict[str, Any]:
    state = inspect(obj)
    return {key: _jsonable(state.dict[key]) for key in state.mapper.column_attrs.keys()
            if key not in SECRET_FIELDS and state.dict.get(key) is not None}


def _changed_values(obj: Any) -> dict[str, list[Any]]:
    state = inspect(obj)
    changes: dict[str, list[Any]] = {}
    for key in state.mapper.column_attrs.keys():
        if key in SECRET_FIELDS or key == "updated_at":
            continue
        hist = state.attrs[key].history
        if hist.has_changes():
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if old != new:
                changes[key] = [_jsonable(old), _jsonable(new)]
    if isinstance(obj, User) and state.attrs["password"].history.has_changes():
        changes["password"] = ["(changed)", "(changed)"]
    return changes


def _services_for(conn: sa.Connection, obj: Any) -> set[str]:
    """Ids of the services whose public document depends on ``obj``."""
    from . import hsds

    ids: set[str] = set()
    table = obj.__table__.name
    if table.endswith("_translation"):
        parent_table = table[: -len("_translation")]
        parent_cls = next((m.class_ for m in hsds.Service.registry.mappers
                           if m.local_table is not None
                           and getattr(m.local_table, "name", None) == parent_table), None)
        if parent_cls is None:
            return ids
        parent = conn.execute(sa.select(parent_cls.__table__).where(
            parent_cls.__table__.c.id == obj.parent_id)).mappings().first()
        if parent is None:
            return ids
        return _services_for_row(conn, parent_table, dict(parent))
    values = {c.key: getattr(obj, c.key, None) for c in obj.__table__.columns}
    return _services_for_row(conn, table, values)


def _services_mentioning(conn: sa.Connection, phrases: list[str]) -> set[str]:
    """Services whose name or text (base or translated) may contain one of ``phrases``.

    Words are matched by their first letters (endings vary: "shelters", "counsellor"), so this
    finds a few listings too many, never too few, among those the synonym filter matches in
    their own descriptions.
    """
    from .hsds import Service, ServiceTranslation

    patterns = []
    for phrase in phrases:
        words = [w.replace("%", "").replace("_", "") for w in phrase.casefold().split()]
        words = [w[:max(3, len(w) - 3)] if len(w) > 5 else w for w in words if w]
        if words:
            patterns.append("%" + "%".join(words) + "%")
    if not patterns:
        return set()
    fields = ("name", "alternate_name", "description", "eligibility_description",
              "application_process", "fees_description", "interpretation_services")
    ids: set[str] = set()
    for model, key in ((Service, Service.id), (ServiceTranslation, ServiceTranslation.parent_id)):
        columns = [getattr(model, f) for f in fields if hasattr(model, f)]
        condition = sa.or_(*(c.ilike(p) for c in columns for p in patterns))
        ids.update(conn.execute(sa.select(key).where(condition)).scalars())
    return ids


def _services_for_row(conn: sa.Connection, table: str, row: dict[str, Any]) -> set[str]:
    sal = ServiceAtLocation.__table__
    ids: set[str] = set()
    if table == "search_synonym":
        return _services_mentioning(conn, SearchSynonym.split(row.get("terms")))
    if table == "service":
        ids.add(row["id"])
        return ids
    if table == "organization":
        svc = sa.table("service", sa.column("id"), sa.column("organization_id"))
        ids.update(conn.execute(sa.select(svc.c.id).where(
            svc.c.organization_id == row["id"])).scalars())
        return ids
    if table == "location":
        ids.update(conn.execute(sa.select(sal.c.service_id).where(
            sal.c.location_id == row["id"])).scalars())
        return {i for i in ids if i}
    if table == "taxonomy_term":
        term_ids = {row["id"]}
        frontier = {row["id"]}
        tt = TaxonomyTerm.__table__
        while frontier:  # descendants carry this term's label as an ancestor
            frontier = set(conn.execute(sa.select(tt.c.id).where(
                tt.c.parent_id.in_(frontier))).scalars()) - term_ids
            term_ids |= frontier
        at = Attribute.__table__
        ids.update(conn.execute(sa.select(at.c.link_id).where(
            at.c.taxonomy_term_id.in_(term_ids), at.c.link_entity == "service")).scalars())
        return {i for i in ids if i}
    if table == "attribute":
        if row.get("link_entity") == "service" and row.get("link_id"):
            ids.add(row["link_id"])
        elif row.get("link_entity") == "location" and row.get("link_id"):
            ids |= _services_for_row(conn, "location", {"id": row["link_id"]})
        return ids
    if row.get("service_id"):
        ids.add(row["service_id"])
    if row.get("service_at_location_id"):
        ids.update(conn.execute(sa.select(sal.c.service_id).where(
            sal.c.id == row["service_at_location_id"])).scalars())
    if row.get("location_id") and table != "service_at_location":
        ids |= _services_for_row(conn, "location", {"id": row["location_id"]})
    if row.get("phone_id"):
        ph = sa.table("phone", sa.column("id"), sa.column("service_id"))
        ids.update(conn.execute(sa.select(ph.c.service_id).where(
            ph.c.id == row["phone_id"])).scalars())
    return {i for i in ids if i}


def _tracked(obj: Any) -> bool:
    return hasattr(obj, "__table__") and not isinstance(obj, NOT_AUDITED)


def _is_search_relevant(obj: Any) -> bool:
    return not isinstance(obj, (User, Role, Partner, Page, AuditLog, SearchChange))


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, flush_context, instances) -> None:
    # Deleted rows' dependants are gone after the flush, so resolve their services now.
    deleted = [o for o in session.deleted if _tracked(o) and _is_search_relevant(o)]
    if not deleted:
        return
    conn = session.connection()
    ids = session.info.setdefault(_DELETED_KEY, set())
    for obj in deleted:
        ids |= _services_for(conn, obj)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, flush_context) -> None:
    conn = session.connection()
    actor = session.info.get(ACTOR_KEY)
    now = utcnow()
    audit_rows: list[dict[str, Any]] = []
    service_ids: set[str] = set(session.info.pop(_DELETED_KEY, set()))
    for obj in session.new:
        if not _tracked(obj):
            continue
        audit_rows.append({"entity": _entity_name(obj), "entity_id": _identity(obj),
                           "action": "create", "changes": _column_values(obj)})
        if _is_search_relevant(obj):
            service_ids |= _services_for(conn, obj)
    for obj in session.dirty:
        if not _tracked(obj) or not session.is_modified(obj, include_collections=False):
            continue
        changes = _changed_values(obj)
        if not changes:
            continue
        audit_rows.append({"entity": _entity_name(obj), "entity_id": _identity(obj),
                           "action": "update", "changes": changes})
        if _is_search_relevant(obj):
            service_ids |= _services_for(conn, obj)
            # A row moved from one parent to another: the old parent's document changes too.
            state = inspect(obj)
            old = {}
            for key in ("service_id", "location_id", "service_at_location_id", "link_id",
                        "organization_id"):
                if key in state.mapper.column_attrs.keys():
                    hist = state.attrs[key].history
                    if hist.deleted and hist.deleted[0]:
                        old[key] = hist.deleted[0]
            if old:
                row = {c.key: None for c in obj.__table__.columns}
                row.update(id=_identity(obj), link_entity=getattr(obj, "link_entity", None), **old)
                service_ids |= _services_for_row(conn, obj.__table__.name, row)
    for obj in session.deleted:
        if not _tracked(obj):
            continue
        audit_rows.append({"entity": _entity_name(obj), "entity_id": _identity(obj),
                           "action": "delete", "changes": _column_values(obj)})
    if audit_rows:
        conn.execute(sa.insert(AuditLog.__table__),
                     [{**row, "actor": actor, "created_at": now} for row in audit_rows])
    synonym_rows = []
    for obj in [*session.new, *session.dirty, *session.deleted]:
        if isinstance(obj, SearchSynonym):
            # Every process reloads the groups when the log moves, even if no listing uses them.
            synonym_rows.append({"entity": "synonyms", "entity_id": obj.id, "created_at": now})
            if obj in session.dirty:
                state = inspect(obj)
                old_terms = state.attrs["terms"].history.deleted
                if old_terms and old_terms[0]:
                    service_ids |= _services_mentioning(conn, SearchSynonym.split(old_terms[0]))
    if synonym_rows:
        conn.execute(sa.insert(SearchChange.__table__), synonym_rows)
        session.info.setdefault("directory.changed_service_ids", set()).update(
            row["entity_id"] for row in synonym_rows)  # sync after commit (a no-op row)
    if service_ids:
        conn.execute(sa.insert(SearchChange.__table__),
                     [{"entity": "service", "entity_id": sid, "created_at": now}
                      for sid in sorted(service_ids)])
        session.info.setdefault("directory.changed_service_ids", set()).update(service_ids)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_DELETED_KEY, None)
    session.info.pop("directory.changed_service_ids", None)
