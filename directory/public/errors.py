"""Error pages in the site frame: quick exit first, crisis lines, a way back to search.

The site's HTTP errors (400, 403, 404, 405, 429, 500) render ``public/error.html`` in the
visitor's language with the same security headers as every page. Other surfaces keep their own
errors: ``/api/`` answers JSON in the API's shape, the admin and the account pages keep theirs.
"""

from __future__ import annotations

import logging

from flask import Flask, g, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from .. import i18n

ERROR_STATUSES = (400, 403, 404, 405, 429, 500)
# Surfaces that answer their own errors (the admin has its own frame; the lead owns its pages).
OWN_ERRORS = ("/admin", "/account")

ERROR_TEXTS = {
    400: (_l("Something in the request was not right"),
          _l("The page could not read what was sent. Please go back and try again.")),
    403: (_l("This page is not open to visitors"),
          _l("You do not have access to this page.")),
    404: (_l("Page not found"),
          _l("We could not find that page. It may have moved, or the link may be incomplete.")),
    405: (_l("This page cannot be used that way"),
          _l("Please go back and try again, or start a new search.")),
    429: (_l("Too many requests"),
          _l("Too many requests from your address. Please wait a minute and try again.")),
    500: (_l("Something went wrong on our side"),
          _l("Please try again in a moment. If you need help now, the crisis lines on this "
             "page can help.")),
}

log = logging.getLogger(__name__)


def _locale_from_path() -> None:
    """A page that failed before routing (an unknown path) still speaks its URL's language."""
    if getattr(g, "locale", None):
        return
    first = request.path.lstrip("/").split("/", 1)[0]
    if first in i18n.SUPPORTED_LOCALES:
        from flask_babel import refresh

        g.locale = first
        refresh()


def _safe_crisis_lines() -> list:
    """The crisis lines, or none when the database is what failed (the page still renders)."""
    from ..extensions import db
    from .views import crisis_lines

    try:
        return crisis_lines()
    except Exception:  # noqa: BLE001 - an error page must not fail in turn
        db.session.rollback()
        return []


def _api_error(error: HTTPException):
    """Errors raised before the API's own handlers run (405, say) still answer JSON."""
    from ..api import error_payload
    from ..api.views import json_response

    status = error.code or 500
    return json_response(error_payload(status, str(error.description or error.name)),
                         status=status, private=True)


def error_page(error: HTTPException):
    """The error in the site frame, or the surface's own answer outside the public site."""
    path = request.path
    if path.startswith("/api/"):
        return _api_error(error)
    if path.startswith(OWN_ERRORS):
        return error
    status = error.code if error.code in ERROR_TEXTS else 500
    _locale_from_path()
    response = render_error(status, *ERROR_TEXTS[status], name=error.name)
    # Keep what the error tells clients (Allow on a 405, Retry-After on a 429).
    for name, value in error.get_headers():
        if name in ("Allow", "Retry-After"):
            response.headers[name] = value
    return response


def render_error(status: int, title, message, name: str = "Error"):
    """An error page in the site frame (also for a view's own clear 400s)."""
    try:
        body = render_template("public/error.html", status=status, title=title,
                               message=message, crisis=_safe_crisis_lines())
    except Exception:  # noqa: BLE001 - the last resort must not raise
        log.exception("error page failed to render")
        body = (f"<!doctype html><html lang=\"en\"><title>{escape(str(status))}</title>"
                f"<a href=\"/exit\">Quick exit</a><h1>{escape(name)}</h1>"
                "<p><a href=\"/search\">Search</a></p></html>")
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """Register the handlers for the site's error statuses."""
    for status in ERROR_STATUSES:
        app.register_error_handler(status, error_page)
