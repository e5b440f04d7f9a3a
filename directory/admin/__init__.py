"""The curation back office (Flask-Admin at /admin): staff only, every endpoint checked by role."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g, redirect, request, session, url_for
from flask_admin import Admin, AdminIndexView, expose
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l
from flask_babel import refresh

from ..headers import csp_nonce
from .access import STAFF, RoleMixin, has_role

# Locales the admin itself is offered in (Flask-Admin ships catalogs for both).
ADMIN_LOCALES = ("en", "fr")


class HomeView(RoleMixin, AdminIndexView):
    """The admin home page: what needs attention today."""

    roles = STAFF

    @expose("/")
    def index(self) -> Any:
        from .dashboards import summary

        from .listings import TIMEZONES
        from .labels import staff_timezone

        return self.render("admin/home.html", summary=summary(), timezones=TIMEZONES,
                           my_timezone=staff_timezone())

    @expose("/timezone", methods=("POST",))
    def timezone(self) -> Any:
        """Save the time zone this staff member reads times in."""
        from flask import flash
        from flask_babel import gettext as _
        from flask_security import current_user

        from ..extensions import db
        from .listings import TIMEZONES

        zone = request.form.get("timezone", "")
        if zone not in TIMEZONES:
            flash(_("Choose a time zone from the list."), "error")
            return self.index(), 400
        current_user.timezone = zone
        db.session.commit()
        flash(_("Times are now shown in %(zone)s.", zone=zone.replace("_", " ")), "success")
        return redirect(url_for(".index"))

    @expose("/locale", methods=("POST",))
    def locale(self) -> Any:
        """Remember the admin's language for this session."""
        code = request.form.get("locale", "")
        if code in ADMIN_LOCALES:
            session["admin_locale"] = code
        target = request.form.get("next", "")
        if not target.startswith("/admin") or "//" in target or "\\" in target:
            target = url_for(".index")
        return redirect(target)


def admin_locale() -> str:
    """The signed-in admin's chosen locale, else the browser's if the admin speaks it."""
    chosen = session.get("admin_locale")
    if chosen in ADMIN_LOCALES:
        return chosen
    best = request.accept_languages.best_match(ADMIN_LOCALES)
    return best or "en"


def admin_error_page(error: Any) -> Any:
    """403 and 404 under /admin, inside the admin frame (other paths: the site's own pages)."""
    from werkzeug.exceptions import HTTPException

    from ..public.errors import error_page

    code = getattr(error, "code", 500)
    if not request.path.startswith("/admin") or not isinstance(error, HTTPException) or \
            not has_role(*STAFF):
        # The site's own error pages (JSON under /api/); admin pages only for staff.
        return error_page(error) if isinstance(error, HTTPException) else (str(error), code)
    admin = current_app.extensions["directory_admin"]
    template = "admin/forbidden.html" if code == 403 else "admin/not_found.html"
    return admin.index_view.render(template), code


_VIEWS: list[Any] = []


def _views() -> list[Any]:
    """Every view but the home page, built once per process.

    Building a model view scaffolds its forms and filters (about half a second for all of
    them); the views hold no per-app state beyond the blueprint each ``add_view`` makes, so
    apps created in the same process (tests, the CLI) share them.
    """
    if not _VIEWS:
        from .checks_queue import ChecksView
        from .dashboards import dashboard_views
        from .history import HistoryView
        from .pages import PageAdmin
        from .provider_requests import ProviderRequestsView
        from .review import ReviewView
        from .translate import TranslateView
        from .transfer import ExportView, ImportView
        from .views import model_views

        _VIEWS.extend([
            ChecksView(name=_l("Today's checks"), endpoint="admin_checks", url="checks"),
            *model_views(), PageAdmin(), *dashboard_views(),
            ReviewView(name=_l("Review"), endpoint="admin_review", url="review"),
            ProviderRequestsView(name=_l("Provider requests"),
                                 endpoint="admin_provider_requests", url="provider-requests"),
            TranslateView(name=_l("Translate"), endpoint="admin_translate", url="translate"),
            HistoryView(name=_l("History"), endpoint="admin_history", url="history"),
            ImportView(name=_l("Import"), endpoint="admin_import", url="import",
                       category=_l("Exchange")),
            ExportView(name=_l("Export"), endpoint="admin_export", url="export",
                       category=_l("Exchange")),
        ])
    return _VIEWS


def init_app(app: Flask) -> None:
    """Create the back office for ``app``: views, audit actor, locale."""
    app.config.setdefault("ADMIN_STALE_DAYS", 180)
    app.config.setdefault("ADMIN_IMPORT_MAX_BYTES", 5 * 1024 * 1024)
    app.config.setdefault("FLASK_ADMIN_SWATCH", "default")
    admin = Admin(name=_l("Support Directory"), url="/admin",
                  index_view=HomeView(name=_l("Home"), url="/admin"),
                  theme=Bootstrap4Theme(swatch="default", fluid=True),
                  csp_nonce_generator=csp_nonce)
    admin.init_app(app)
    for view in _views():
        admin.add_view(view)
    app.extensions["directory_admin"] = admin

    @app.before_request
    def _admin_request() -> None:
        if not request.path.startswith("/admin"):
            return
        g.locale = admin_locale()
        refresh()
        if has_role(*STAFF):
            from flask_security import current_user

            from ..operations import set_actor

            set_actor(current_user)

    for code in (403, 404):
        app.register_error_handler(code, admin_error_page)

    @app.context_processor
    def _admin_context() -> dict[str, Any]:
        if not request.path.startswith("/admin"):
            return {}
        return {"admin_locales": ADMIN_LOCALES}
