"""Public page handlers."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, make_response, render_template

from .. import models as m
from ..extensions import db


def crisis_lines() -> list[m.Service]:
    """Published crisis lines, for the safety alert on every page."""
    return list(db.session.scalars(
        sa.select(m.Service).where(m.Service.crisis_line.is_(True),
                                   m.Service.publication == "published",
                                   m.Service.status.in_(m.PUBLIC_STATUSES))
        .order_by(m.Service.open_24_7.desc(), m.Service.name).limit(5)))


def home():
    """Home page: crisis lines and the published listings."""
    services = db.session.scalars(
        sa.select(m.Service).where(m.Service.publication == "published",
                                   m.Service.status.in_(m.PUBLIC_STATUSES))
        .order_by(m.Service.name)).all()
    return render_template("public/home.html", services=services, crisis=crisis_lines())


def service(service_id: str):
    """One listing; confidential locations show only their public area."""
    record = db.session.get(m.Service, service_id) if m.is_record_id(service_id) else None
    if record is None or not record.is_public:
        abort(404)
    phones = db.session.scalars(sa.select(m.Phone).where(m.Phone.service_id == record.id)
                                .order_by(m.Phone.id)).all()
    response = make_response(render_template("public/service.html", service=record,
                                             phones=phones, crisis=crisis_lines()))
    response.headers["Cache-Control"] = "no-store"
    return response


def search_page():
    """Search: POST by default (the words stay out of the address bar), GET links still work."""
    from flask import request
    from flask_babel import get_locale

    from ..search.query import QueryError, search

    source = request.form if request.method == "POST" else request.args
    locale = str(get_locale())
    filters = {key: source.getlist(key) for key in ("category", "language", "city", "region",
                                                    "flag", "cost") if source.getlist(key)}
    status = 200
    error = None
    results = None
    try:
        page = int(source.get("page", "1") or 1)
    except ValueError:
        page = 0
    try:
        results = search(source.get("q", ""), locale=locale, filters=filters, page=page,
                         near=source.get("near") or None,
                         open_now=source.get("open_now") == "1")
    except QueryError as exc:
        status, error = 400, str(exc.message)
    response = make_response(render_template("public/search.html", results=results, error=error,
                                             q=source.get("q", ""), crisis=crisis_lines()),
                             status)
    response.headers["Cache-Control"] = "no-store"
    return response
