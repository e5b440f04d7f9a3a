"""Who may open which admin page: roles checked on the server for every endpoint of every view."""

from __future__ import annotations

import logging
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_admin.babel import gettext as admin_gettext
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.filters import FilterConverter
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.model import filters as admin_filters
from flask_admin.model import typefmt
from flask_admin.model.form import converts
from flask_security import current_user

from ..extensions import db
from .. import operations
from ..operations import ValidationError

log = logging.getLogger(__name__)
ADMIN = ("admin",)
PUBLISHERS = ("admin", "publisher")
EDITORS = ("admin", "publisher", "editor")
TRANSLATORS = ("admin", "publisher", "editor", "translator")
STAFF = TRANSLATORS


def has_role(*roles: str) -> bool:
    """Whether the signed-in, active user holds one of ``roles``."""
    if not current_user.is_authenticated or not current_user.active:
        return False
    return any(current_user.has_role(role) for role in roles)


def deny() -> Any:
    """Send anonymous visitors to sign in; refuse signed-in staff without the role."""
    if not current_user.is_authenticated:
        # Only a local path goes into `next`, never a full URL from the request.
        return redirect(url_for("security.login", next=request.full_path.rstrip("?")))
    abort(403)


class RoleMixin:
    """Every endpoint of the view (list, forms, ajax, actions, export, delete) checks ``roles``."""

    roles: tuple[str, ...] = ADMIN

    def is_accessible(self) -> bool:
        return has_role(*self.roles)

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        return deny()


class UTCFilterConverter(FilterConverter):
    """Filters for our timezone-aware timestamp column type."""

    @admin_filters.convert("utcdatetime")
    def conv_utc_datetime(self, column: Any, name: str, **kwargs: Any) -> Any:
        return self.conv_datetime(column, name, **kwargs)


class UTCModelConverter(AdminModelConverter):
    """Form fields for our timezone-aware timestamp column type."""

    @converts("UTCDateTime")
    def conv_utc_datetime(self, field_args: dict, **extra: Any) -> Any:
        return self.convert_datetime(field_args, **extra)


class SecureView(RoleMixin, BaseView):
    """A custom admin page (dashboards, import) for the roles in ``roles``."""


class SecureModelView(RoleMixin, ModelView):
    """Base for every model view: roles, safe deletes, our validation errors as form messages."""

    # Row-by-row deletes so the audit trail and the search change log see every row.
    fast_mass_delete = False
    can_view_details = True
    can_set_page_size = True
    page_size = 50
    column_display_pk = False
    filter_converter = UTCFilterConverter()
    model_form_converter = UTCModelConverter

    def __init__(self, model: type, **kwargs: Any):
        from . import labels

        kwargs.setdefault("category", getattr(self, "menu_category", None))
        # Dates in the staff member's zone and locale, codes as words, on every list.
        self.column_type_formatters = {**typefmt.BASE_FORMATTERS, **labels.TYPE_FORMATTERS}
        self.column_type_formatters_detail = {**typefmt.DETAIL_FORMATTERS,
                                              **labels.TYPE_FORMATTERS}
        columns = set(model.__table__.columns.keys())
        known = {name: fmt for name, fmt in labels.column_formatters(model).items()
                 if name in columns}
        self.column_formatters = {**known, **(self.column_formatters or {})}
        self.column_formatters_detail = {**known, **(self.column_formatters_detail or {})}
        super().__init__(model, db, **kwargs)

    def create_blueprint(self, admin: Any) -> Any:
        # Register only the endpoints this view uses: fewer routes to guard, faster start-up.
        unused = set()
        if not self.column_editable_list:
            unused.add("ajax_update")
        if not self.form_ajax_refs:
            unused.add("ajax_lookup")
        if not self.can_export:
            unused.add("export")
        if not self.can_view_details:
            unused.add("details_view")
        if not self.can_create:
            unused.add("create_view")
        if not self.can_edit:
            unused.add("edit_view")
        if not self.can_delete:
            unused.add("delete_view")
        self._urls = [url for url in type(self)._urls if url[1] not in unused]
        return super().create_blueprint(admin)

    def get_one(self, id: Any) -> Any:
        # A malformed id is "not found", not a database error (PostgreSQL checks types).
        column = self.model.__mapper__.primary_key[0]
        if column.type.python_type is int and not str(id).isdigit():
            return None
        return super().get_one(id)

    @expose("/ajax/update/", methods=("POST",))
    def ajax_update(self) -> Any:
        # Flask-Admin's inline (x-editable) endpoint does not look at can_edit by itself.
        if not self.can_edit:
            abort(403)
        result = super().ajax_update()
        if isinstance(result, tuple) and result[1] == 500:
            return result[0], 400  # a rejected value is the editor's mistake, not a crash
        return result

    def handle_view_exception(self, exc: Exception) -> bool:
        if isinstance(exc, ValidationError):
            for error in exc.errors:
                flash(f"{error.path}: {error.message}", "error")
            return True
        return super().handle_view_exception(exc)

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        operations.save_edited_record(model)

    def delete_model(self, model: Any) -> bool:
        # Flask-Admin's own deletes behind the session's back; ours go through operations.
        try:
            self.on_model_delete(model)
            operations.delete_record(model)
            db.session.commit()
        except Exception as exc:
            db.session.rollback()
            if not self.handle_view_exception(exc):
                flash(admin_gettext("Failed to delete record. %(error)s", error=str(exc)),
                      "error")
                log.exception("Failed to delete record.")
            return False
        self.after_model_delete(model)
        return True

