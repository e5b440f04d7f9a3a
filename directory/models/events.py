"""The session hook that records the audit trail in the edit's transaction.

Rows are written with Core inserts during the flush, so they commit or roll back with the edit:
a committed change always has its audit row. (The search change log is written the same way by
``search.changes``, which knows what each listing's document is made of.)
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from .accounts import AuditLog, User
from .base import utcnow
from .changes import SearchChange

# Never copied into the audit trail.
SECRET_FIELDS = frozenset({"password", "fs_uniquifier", "tf_totp_secret", "tf_phone_number",
                           "mf_recovery_codes", "fs_webauthn_user_handle", "us_totp_secrets",
                           "last_login_ip", "current_login_ip"})
NOT_AUDITED = (AuditLog, SearchChange)
# Where ``operations.audit`` names who is making the session's changes.
ACTOR_KEY = "actor"


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


def _tracked(obj: Any) -> bool:
    return hasattr(obj, "__table__") and not isinstance(obj, NOT_AUDITED)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, flush_context) -> None:
    conn = session.connection()
    actor = session.info.get(ACTOR_KEY)
    now = utcnow()
    audit_rows: list[dict[str, Any]] = []
    for obj in session.new:
        if not _tracked(obj):
            continue
        audit_rows.append({"entity": _entity_name(obj), "entity_id": _identity(obj),
                           "action": "create", "changes": _column_values(obj)})
    for obj in session.dirty:
        if not _tracked(obj) or not session.is_modified(obj, include_collections=False):
            continue
        changes = _changed_values(obj)
        if not changes:
            continue
        audit_rows.append({"entity": _entity_name(obj), "entity_id": _identity(obj),
                           "action": "update", "changes": changes})
    for obj in session.deleted:
        if not _tracked(obj):
            continue
        audit_rows.append({"entity": _entity_name(obj), "entity_id": _identity(obj),
                           "action": "delete", "changes": _column_values(obj)})
    if audit_rows:
        conn.execute(sa.insert(AuditLog.__table__),
                     [{**row, "actor": actor, "created_at": now} for row in audit_rows])
