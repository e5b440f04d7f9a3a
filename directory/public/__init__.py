"""The public site (the public-site issue builds it out): home, listing, quick exit."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, current_app, g, redirect, render_template
from flask_babel import get_locale

from .. import i18n
from . import views

bp = Blueprint("public", __name__)


@bp.url_value_preprocessor
def _pull_locale(endpoint, values):
    if values is None or "locale" not in values:
        return
    code = values.pop("locale")
    if code not in i18n.SUPPORTED_LOCALES:
        abort(404)
    g.locale = code


@bp.url_defaults
def _add_locale(endpoint, values):
    if "locale" not in values and getattr(g, "locale", None):
        values["locale"] = g.locale


bp.add_url_rule("/", "home", views.home)
bp.add_url_rule("/<locale>/", "home", views.home)
bp.add_url_rule("/search", "search", views.search_page, methods=["GET", "POST"])
bp.add_url_rule("/<locale>/search", "search", views.search_page, methods=["GET", "POST"])
bp.add_url_rule("/services/<service_id>", "service", views.service)
bp.add_url_rule("/<locale>/services/<service_id>", "service", views.service)


@bp.route("/exit")
def quick_exit():
    """Leave at once for a neutral site, asking the browser to clear what we stored."""
    response = redirect(current_app.config["EXIT_URL"], code=303)
    response.headers["Clear-Site-Data"] = '"cookies", "storage"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def init_app(app: Flask) -> None:
    """Template helpers every page needs."""
    from ..extensions import csrf

    # Searching changes nothing and must not need a session cookie, so it carries no CSRF token.
    csrf.exempt(views.search_page)

    @app.context_processor
    def _i18n_context():
        locale = str(get_locale() or i18n.DEFAULT_LOCALE)
        code = i18n.normalize_locale(locale) or i18n.DEFAULT_LOCALE
        return {"current_locale": code, "html_lang": i18n.html_lang(code),
                "text_dir": i18n.text_direction(code), "locale_names": i18n.LOCALE_NAMES,
                "supported_locales": i18n.SUPPORTED_LOCALES}
