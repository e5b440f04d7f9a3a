"""The public site (the public-site issue builds it out): home, listing, quick exit."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, current_app, g, redirect

from .. import i18n
from . import errors, filters, guided, views

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
    from flask import current_app

    if "locale" not in values and getattr(g, "locale", None) and \
            current_app.url_map.is_endpoint_expecting(endpoint, "locale"):
        values["locale"] = g.locale


# Every page exists at /<path> (language from Accept-Language) and /<locale>/<path>.
for rule, endpoint, view, methods in (
        ("/", "home", views.home, ["GET"]),
        ("/search", "search", views.search_page, ["GET", "POST"]),
        ("/services/<service_id>", "service", views.service, ["GET"]),
        ("/services/<service_id>/print", "service_print", views.service_print, ["GET"]),
        ("/services/<service_id>/report", "report", views.report, ["GET", "POST"]),
        ("/pages/<slug>", "page", views.explainer, ["GET"]),
        ("/safety", "safety", views.safety, ["GET"]),
        ("/start", "guided", guided.guided, ["GET", "POST"]),
        ("/handout", "handout", views.handout, ["POST"])):
    bp.add_url_rule(rule, endpoint, view, methods=methods)
    bp.add_url_rule("/<locale>" + (rule if rule != "/" else "/"), endpoint, view,
                    methods=methods)


# Too many reports from one address: the report's own calm page (other pages: the site's).
bp.register_error_handler(429, views.report_limited)


@bp.route("/exit")
def quick_exit():
    """Leave at once for a neutral site, asking the browser to clear what we stored."""
    response = redirect(current_app.config["EXIT_URL"], code=303)
    response.headers["Clear-Site-Data"] = '"cookies", "storage"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _switch_locale_url(code: str) -> str:
    """The current page in another language (GET pages only; otherwise that language's home)."""
    from flask import request, url_for

    endpoint = request.endpoint or "public.home"
    args = dict(request.view_args or {})
    if endpoint == "public.guided":  # a step's answers stay behind: that language's first step
        return url_for("public.guided", locale=code)
    if not endpoint.startswith("public.") or request.method != "GET" or \
            endpoint in ("public.quick_exit", "public.search"):
        endpoint, args = ("public.search", {}) if endpoint == "public.search" else \
            ("public.home", {})
    args["locale"] = code
    try:
        return url_for(endpoint, **args)
    except Exception:  # noqa: BLE001 - an odd endpoint falls back to the home page
        return url_for("public.home", locale=code)


def init_app(app: Flask) -> None:
    """Template helpers every page needs."""
    from ..extensions import csrf

    # Searching changes nothing and must not need a session cookie, so it carries no CSRF token.
    csrf.exempt(views.search_page)
    # The handout is a read-only print of public listings, posted like a search: no token.
    csrf.exempt(views.handout)
    # "Something wrong?" must work without a cookie, and a CSRF token needs the session cookie.
    # A forged post could only send us a report: no account, nothing changes for the visitor,
    # and the rate limit and honeypot still apply.
    csrf.exempt(views.report)
    # The guided start only reads: its steps post answers back, nothing is stored, no cookie.
    csrf.exempt(guided.guided)
    errors.init_app(app)
    from . import provider

    # The provider's form (a link e-mailed to a listing's contact): no session, see its module.
    app.register_blueprint(provider.bp)

    @app.url_value_preprocessor
    def _fresh_locale(endpoint, values):
        # Each request picks its own language (tests reuse one app context across requests,
        # and Flask-Babel caches the locale on it).
        from flask_babel import refresh

        g.pop("locale", None)
        refresh()

    @app.template_filter("language_name")
    def _language_name(code: str, locale: str) -> str:
        """A language code (ISO 639) named in the visitor's language."""
        return filters.language_name(code, locale)[0]

    app.jinja_env.globals["language_name_and_lang"] = filters.language_name

    @app.template_filter("checked_date")
    def _checked_date(value: str) -> str:
        """An ISO date or timestamp from the index, as a date in the visitor's language."""
        from datetime import date

        from flask_babel import format_date

        try:
            return format_date(date.fromisoformat(str(value)[:10]), "medium")
        except ValueError:
            return ""

    @app.template_filter("date_span")
    def _date_span(change) -> str:
        """The dates of a closure or changed hours, e.g. "Dec 24 – 26" in the visitor's
        language."""
        from babel.dates import format_interval
        from flask_babel import get_locale

        locale = get_locale() or "en"
        return format_interval(change.starts, change.ends, "MMMd", locale=locale)

    @app.template_filter("minutes_time")
    def _minutes_time(minutes: int) -> str:
        """Minutes since midnight as a time of day in the visitor's language."""
        from datetime import time

        from flask_babel import format_time

        minutes = int(minutes) % (24 * 60)
        return format_time(time(minutes // 60, minutes % 60), "short")

    @app.template_filter("time_ago")
    def _time_ago(value) -> str:
        """An ISO timestamp or datetime as "3 hours ago" in the visitor's language."""
        from flask_babel import format_timedelta

        from ..models import utcnow
        from ..search.row import _parse_utc

        when = _parse_utc(value)
        if when is None:
            return ""
        return format_timedelta(when - utcnow(), add_direction=True, threshold=1.2)

    @app.context_processor
    def _i18n_context():
        code = i18n.select_locale()
        return {"current_locale": code, "html_lang": i18n.html_lang(code),
                "text_dir": i18n.text_direction(code), "locale_names": i18n.LOCALE_NAMES,
                "supported_locales": i18n.SUPPORTED_LOCALES,
                "exit_url": app.config["EXIT_URL"], "lang_attr": i18n.html_lang,
                "switch_locale_url": _switch_locale_url, "dir_of": i18n.text_direction}
