"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app, jsonify

from ..extensions import db


def _no_store(response: Any, status: int = 200) -> Any:
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def healthz():
    """Liveness: the process answers. Touches neither the database nor the index."""
    return _no_store(jsonify(status="ok"))


def readyz():
    """Readiness: the database answers and the index is within READY_MAX_PENDING changes."""
    from ..search.sync import catch_up, index_for, max_seq

    app = current_app._get_current_object()
    limit = int(app.config.get("READY_MAX_PENDING", 100))
    body: dict[str, Any] = {"ready": False, "database": "ok", "index": "ok",
                            "max_pending": limit}
    try:
        db.session.execute(sa.text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means "not ready"; the type says enough
        db.session.rollback()
        body["database"] = "unreachable"
        return _no_store(jsonify(body), 503)
    # An idle replica gets no searches to trigger its catch-up; readiness checks do it instead,
    # so a replica taken out of rotation for lagging can come back.
    catch_up(app)
    index = index_for(app)
    if not index.exists():
        body["index"] = "missing"
        return _no_store(jsonify(body), 503)
    applied = int(index.read_state().get("applied_seq", 0))
    latest = max_seq(db.session)
    db.session.rollback()
    body.update(applied_seq=applied, log_seq=latest, pending=max(latest - applied, 0))
    if latest < applied:
        body["index"] = "ahead of the log (database restored?)"
    elif latest - applied > limit:
        body["index"] = "behind"
    else:
        body["ready"] = True
    return _no_store(jsonify(body), 200 if body["ready"] else 503)
