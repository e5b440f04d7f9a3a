"""The listing editor: sections, plain words, nothing typed ever lost, reviewed changes to what is live.

Saving a published listing whose change touches a reviewed part (see
``operations.revisions``) keeps the change as a pending revision and leaves the live listing
as it is. Every save carries the version the form was opened at: a colleague's save in between
is shown (who, when, both values) instead of being overwritten. Workflow buttons submit the
form, so what was typed is saved (or kept for review) before the button's action runs.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import flash, g, redirect, request, session, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.form import rules
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_security import current_user
from markupsafe import Markup
from wtforms import HiddenField, IntegerField, SelectField
from wtforms.validators import NumberRange, Optional
from wtforms.fields.choices import SelectChoice

from .. import models as m
from .. import operations
from ..extensions import db
from ..operations import hours_exceptions, revisions
from . import labels
from .categories import CategoriesField, current_terms
from .filters import listing_filters
from .hours import HoursField
from .views import OwnedInline, RecordAdmin

PHONE_LABELS = {
    "number": _l("Number"), "extension": _l("Extension"), "type": _l("Kind of line"),
    "description": _l("What this number is for"), "hours": _l("When it is answered"),
    "text_ok": _l("Texting this number is OK"),
    "voicemail_safe": _l("Phone is safe for voicemail"), "tty": _l("Answers TTY calls"),
}
PHONE_HELP = {
    "text_ok": _l("Tick when people can send a text message to this number."),
    "voicemail_safe": _l("Tick only when leaving a message cannot put a caller at risk: the "
                         "greeting does not name the service and messages are private."),
    "tty": _l("Tick when the line answers calls from a teletypewriter for Deaf callers."),
}
SCHEDULE_LABELS = {
    "freq": _l("Repeats"), "byday": _l("Days"), "opens_at": _l("Opens at"),
    "closes_at": _l("Closes at"), "timezone_name": _l("Time zone"),
    "valid_from": _l("From date"), "valid_to": _l("Until date"),
    "description": _l("Hours in words"), "notes": _l("Notes"),
}
TIMEZONES = ("America/St_Johns", "America/Halifax", "America/Moncton", "America/Toronto",
             "America/Winnipeg", "America/Regina", "America/Edmonton", "America/Vancouver",
             "America/Whitehorse", "America/Yellowknife", "America/Iqaluit", "UTC")
FREQUENCIES = (("WEEKLY", _l("Every week")), ("DAILY", _l("Every day")),
               ("MONTHLY", _l("Every month")), ("YEARLY", _l("Every year")))
SECTIONS = (
    ("about", _l("About"), ("name", "alternate_name", "organization", "program", "status",
                            "text_language", "description", "alert")),
    ("contact", _l("Contact and safety"), ("crisis_line", "url", "email", "phones")),
    ("hours", _l("Hours"), ("open_24_7", "schedules")),
    ("where", _l("Where"), ("service_at_locations",)),
    ("who", _l("Categories and who it is for"), ("categories", "eligibility_description", "minimum_age", "maximum_age",
                                  "application_process", "fees_description",
                                  "interpretation_services", "wait_time", "accreditations",
                                  "licenses")),
)
WORKFLOW = {"submit": operations.submit_service_for_review, "publish": operations.publish_service,
            "unpublish": operations.unpublish_service, "archive": operations.archive_service}
# Publishing and taking offline change what the public sees: publishers and admins only.
PUBLISHING = {"publish", "unpublish", "archive"}


FIELD_HELP = {
    "crisis_line": _l("A line people can call in a crisis: shown first to anyone whose "
                      "search sounds like danger."),
    "open_24_7": _l("Answered or open every hour of every day. Temporarily closed still "
                    "wins over this."),
    "alert": _l("A short notice shown at the top of the listing (e.g. a closure)."),
    "text_language": _l("The language the text below is written in."),
    "status": _l("Temporarily closed and inactive listings are never shown as open."),
}


EMPTY_EXCEPTION_ROWS = 3  # blank rows offered for new closures (no JavaScript needed)
DATED_MESSAGES = {
    "Give the first date (YYYY-MM-DD).": _l("Give the first date (YYYY-MM-DD)."),
    "Give the last date (YYYY-MM-DD).": _l("Give the last date (YYYY-MM-DD)."),
    "The last date is before the first.": _l("The last date is before the first."),
    "That is more than two years ahead.": _l("That is more than two years ahead."),
    "Give the opening time as HH:MM.": _l("Give the opening time as HH:MM."),
    "Give the closing time as HH:MM.": _l("Give the closing time as HH:MM."),
    "Tick “closed” or give both opening and closing times.":
        _l("Tick “closed” or give both opening and closing times."),
    "The closing time is the same as the opening time.":
        _l("The closing time is the same as the opening time."),
    "Give the date as YYYY-MM-DD.": _l("Give the date as YYYY-MM-DD."),
    "That date has passed.": _l("That date has passed."),
    "Choose accepting, waitlist or full.": _l("Choose accepting, waitlist or full."),
}


def dated_message(error: Any) -> str:
    """A validation message of ``operations.hours_exceptions`` in the staff member's language,
    with the row it is about."""
    text = str(DATED_MESSAGES.get(error.message, error.message))
    if error.path.startswith("hours_exceptions["):
        number = int(error.path.split("[")[1].split("]")[0]) + 1
        return _("row %(n)d: %(problem)s", n=number, problem=text)
    return text


def exception_rows_from(form: Any) -> list[dict[str, Any]]:
    """The rows of the closures table as posted (rows ticked "remove" are left out)."""
    rows = []
    count = (form.get("x-count") or "0").strip()
    for index in range(min(int(count), 100) if count.isdigit() else 0):
        prefix = f"x-{index}-"
        if form.get(prefix + "remove"):
            continue
        rows.append({"starts_on": form.get(prefix + "starts_on", ""),
                     "ends_on": form.get(prefix + "ends_on", ""),
                     "closed": form.get(prefix + "kind", "closed") == "closed",
                     "opens_at": form.get(prefix + "opens_at", ""),
                     "closes_at": form.get(prefix + "closes_at", ""),
                     "reason": form.get(prefix + "reason", "")})
    return rows


def dated_context(model: Any) -> dict[str, Any]:
    """What the "Closures, notice and capacity" section shows."""
    from flask import current_app

    rows = [{"starts_on": x.starts_on.isoformat(), "ends_on": x.ends_on.isoformat(),
             "closed": x.closed, "reason": x.reason or "",
             "opens_at": x.opens_at.strftime("%H:%M") if x.opens_at else "",
             "closes_at": x.closes_at.strftime("%H:%M") if x.closes_at else ""}
            for x in model.hours_exceptions]
    rows += [{"starts_on": "", "ends_on": "", "closed": True, "reason": "", "opens_at": "",
              "closes_at": ""} for _i in range(EMPTY_EXCEPTION_ROWS)]
    max_age = float(current_app.config.get("CAPACITY_MAX_AGE_HOURS", 48))
    shown = None
    if model.capacity and model.capacity_updated_at:
        from ..search.row import capacity_at

        shown = capacity_at(model.capacity, model.capacity_updated_at, m.utcnow(), max_age)
    return {"rows": rows, "capacity": model.capacity, "capacity_shown": shown,
            "capacity_updated_at": model.capacity_updated_at,
            "capacity_updated_by": model.capacity_updated_by, "max_age": int(max_age),
            "alert_until": model.alert_until.date().isoformat() if model.alert_until else "",
            "capacity_states": [(s, labels.CAPACITY.get(s, s)) for s in m.CAPACITY_STATES]}


class ServiceAdmin(RecordAdmin):
    """Listings: the publication workflow, verification, and what each listing owns."""

    can_view_details = can_export = True
    menu_category = None
    edit_template = "admin/listing_edit.html"
    column_list = ("name", "organization", "publication", "status", "crisis_line",
                   "last_verified_at", "verified_by", "updated_at")
    column_labels = {
        "name": _l("Name"), "alternate_name": _l("Other name"), "organization": _l("Organization"),
        "program": _l("Program"), "publication": _l("Publication"), "status": _l("Status"),
        "crisis_line": _l("Crisis line"), "open_24_7": _l("Open 24 hours, 7 days"),
        "last_verified_at": _l("Last verified"), "verified_by": _l("Verified by"),
        "updated_at": _l("Last changed"), "text_language": _l("Language of the text"),
        "description": _l("What the service does"), "url": _l("Website"), "email": _l("E-mail"),
        "application_process": _l("How to get help"),
        "eligibility_description": _l("Who can use it"), "fees_description": _l("Cost"),
        "interpretation_services": _l("Interpretation"), "wait_time": _l("Wait time"),
        "alert": _l("Public notice"), "minimum_age": _l("Minimum age"),
        "maximum_age": _l("Maximum age"), "accreditations": _l("Accreditations"),
        "licenses": _l("Licences"), "phones": _l("Phones"), "schedules": _l("Opening hours"),
        "service_at_locations": _l("Locations"), "organization.name": _l("Organization"),
    }
    column_filters = ("publication", "status", "crisis_line", "open_24_7", "text_language",
                      "organization.name", *listing_filters(), "last_verified_at", "updated_at")
    column_searchable_list = ("name", "alternate_name", "description", "email")
    column_sortable_list = ("name", "publication", "status", "last_verified_at", "updated_at")
    column_default_sort = ("updated_at", True)
    column_editable_list = ()
    column_choices = {"status": [(s, labels.STATUS[s]) for s in m.SERVICE_STATUSES],
                      "publication": [(s, labels.PUBLICATION[s]) for s in m.PUBLICATION_STATES]}
    form_columns = (*(f for _k, _t, fields in SECTIONS for f in fields), "edit_version")
    form_edit_rules = form_create_rules = [
        rule for key, title, fields in SECTIONS for rule in (
            rules.HTML(f'<section id="section-{key}" class="listing-section">'),
            rules.Header(title), *fields, rules.HTML("</section>"))
    ] + ["edit_version"]
    form_extra_fields = {
        "edit_version": HiddenField(),
        "categories": CategoriesField(_l("Categories"), description=_l(
            "What kind of help this is. People find the listing through these categories and "
            "every word for them, in every language.")),
        "schedules": HoursField(_l("Opening hours"), description=_l(
            "Days with the same hours are stored together. A listing that is temporarily "
            "closed or inactive is never shown as open, whatever its hours.")),
        # Flask-Admin makes no field for Float columns; ages are whole years from 0 to 120.
        "minimum_age": IntegerField(_l("Minimum age"), validators=[Optional(),
                                                                   NumberRange(0, 120)]),
        "maximum_age": IntegerField(_l("Maximum age"), validators=[Optional(),
                                                                   NumberRange(0, 120)]),
    }
    form_choices = {"status": [(s, labels.STATUS[s]) for s in m.SERVICE_STATUSES]}
    form_ajax_refs = {"organization": {"fields": ("name",), "page_size": 20,
                                       "placeholder": _l("Type to find the organization")},
                      "program": {"fields": ("name",), "page_size": 20,
                                  "placeholder": _l("Type to find a program (optional)")}}
    column_formatters = {
        "name": lambda v, c, model, n: Markup('<a href="{}">{}</a>').format(
            url_for(".edit_view", id=model.id), model.name),
        "organization": lambda v, c, model, n: labels.name_of(model.organization),
        "publication": lambda v, c, model, n: labels.label(labels.PUBLICATION, model.publication),
        "status": lambda v, c, model, n: labels.label(labels.STATUS, model.status),
        "text_language": lambda v, c, model, n: labels.language_name(model.text_language),
        "crisis_line": lambda v, c, model, n: labels.yes_no(model.crisis_line),
        "open_24_7": lambda v, c, model, n: labels.yes_no(model.open_24_7),
        "last_verified_at": lambda v, c, model, n: labels.when(model.last_verified_at),
        "updated_at": lambda v, c, model, n: labels.when(model.updated_at),
    }
    column_formatters_detail = column_formatters
    # CSV export: plain values (the list's name link would hide a formula from safe_cell).
    column_formatters_export = {k: v for k, v in column_formatters.items()
                                if k not in ("name", "crisis_line", "open_24_7")}

    def __init__(self, **kwargs: Any):
        self.inline_models = [
            OwnedInline(m.Phone, "phones", "service_id",
                        form_columns=("id", "number", "extension", "type", "description",
                                      "hours", "text_ok", "voicemail_safe", "tty"),
                        form_label=_l("Phone"), column_labels=PHONE_LABELS,
                        column_descriptions=PHONE_HELP,
                        form_overrides={"type": SelectField},
                        form_args={"type": {"choices": [SelectChoice("", "—")] + [
                            SelectChoice(k, v) for k, v in labels.PHONE_TYPE.items()]}}),
            (m.ServiceAtLocation, {"form_columns": ("id", "location", "description"),
                                   "form_label": _l("Location"),
                                   "column_labels": {"location": _l("Location"),
                                                     "description": _l("Notes for this place")}}),
        ]
        self.form_args = {**(self.form_args or {})}
        for name, text in FIELD_HELP.items():
            self.form_args[name] = {**self.form_args.get(name, {}), "description": text}
        super().__init__(m.Service, name=_l("Listings"), endpoint="service", **kwargs)

    # -- forms --------------------------------------------------------------------------------
    def edit_form(self, obj: Any = None) -> Any:
        form = super().edit_form(obj)
        if request.method == "GET" and obj is not None:
            form.categories.data = current_terms(obj)
        # Every field is in our sections; Flask-Admin's per-request check of the rules trips
        # over the website field, renamed "link_url" in the request.
        form._validated_ruleset = True
        if request.method == "GET" and obj is not None:
            form.edit_version.data = str(obj.version)
        return form

    def create_form(self, obj: Any = None) -> Any:
        form = super().create_form(obj)
        form._validated_ruleset = True
        return form

    def owned_rows(self, model: Any) -> list[Any]:
        return [*model.phones, *model.schedules]

    def update_model(self, form: Any, model: Any) -> bool:
        """Save, keep for review, or refuse a stale save; then run the workflow button."""
        try:
            before = revisions.editable_state(model)
            opened_at = (form.edit_version.data or "").strip()
            stale = opened_at.isdigit() and int(opened_at) != model.version
            with db.session.no_autoflush:
                form.populate_obj(model)
                after = revisions.editable_state(model)
                model.__dict__.pop("_category_rows", None)  # in the session now, or undone
                parts = revisions.changed_parts(before, after)
                if stale and parts:
                    db.session.rollback()
                    g.edit_conflict = self._conflict(model, before, after, parts)
                    form.edit_version.data = str(model.version)
                    return False
                if revisions.needs_review(model, parts, current_user):
                    operations.validate_record(model)
                    for child in self.owned_rows(model):
                        operations.validate_record(child)
                    db.session.rollback()
                    revisions.propose(model.id, before, after)
                    g.revision_proposed = True
                elif parts:
                    self._on_model_change(form, model, False)
            db.session.commit()
            self._run_workflow(model.id)
        except Exception as exc:
            db.session.rollback()
            if not self.handle_view_exception(exc):
                raise
            return False
        self.after_model_change(form, model, False)
        return True

    def _conflict(self, model: Any, theirs: dict, yours: dict, parts: list[str]) -> dict:
        last = db.session.scalars(
            sa.select(m.AuditLog).where(m.AuditLog.entity == "service",
                                        m.AuditLog.entity_id == model.id)
            .order_by(m.AuditLog.id.desc())).first()
        from .review import diff_rows

        return {"who": last.actor if last else None, "when": last.created_at if last else None,
                "rows": diff_rows(theirs, yours, parts)}

    def _run_workflow(self, service_id: str) -> None:
        name = request.form.get("workflow", "")
        if not name:
            return
        self._each([service_id], lambda i: self._workflow(name, i))

    def _workflow(self, name: str, service_id: str) -> None:
        if name == "verify":
            operations.verify_service(service_id,
                                      verified_by=operations.actor_name(current_user))
            return
        if name not in WORKFLOW:
            raise operations.ValidationError([operations.FieldError("workflow",
                                                                    _("Unknown action."))])
        if name in PUBLISHING and not revisions.is_publisher(current_user):
            raise operations.ValidationError([operations.FieldError(
                "publication", _("Only a publisher can publish or take a listing offline; "
                                 "send it for review instead."), service_id)])
        WORKFLOW[name](service_id)

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self) -> Any:
        response = super().edit_view()
        if g.get("revision_proposed"):
            # Flask-Admin has just said "saved"; the live listing is unchanged, so say that.
            flashes = session.get("_flashes", [])
            saved = _("Record was successfully saved.")
            session["_flashes"] = [f for f in flashes if f[1] != saved]
            flash(_("Your change was kept for review: the public sees the published version "
                    "until a publisher approves it."), "info")
        return response

    def get_save_return_url(self, model: Any, is_created: bool = False) -> str:
        if request.form.get("workflow") or g.get("revision_proposed"):
            return url_for(".edit_view", id=model.id)
        return super().get_save_return_url(model, is_created)

    def render(self, template: str, **kwargs: Any) -> Any:
        model = kwargs.get("model")
        if template == self.edit_template and model is not None:
            kwargs.update(
                sections=[(key, title) for key, title, _f in SECTIONS],
                pending=revisions.pending_revision(model.id),
                conflict=g.get("edit_conflict"),
                labels=labels,
                can_publish=revisions.is_publisher(current_user),
                translations=sorted(model.translations, key=lambda t: t.locale),
                stale_locales=set(model.stale_translations()),
                dated=dated_context(model),
            )
        return super().render(template, **kwargs)

    def _get_filter_groups(self) -> Any:
        self._refresh_filters_cache()  # the category filter's options are today's categories
        return super()._get_filter_groups()

    # -- list actions -------------------------------------------------------------------------
    def _each(self, ids: list[str], apply) -> None:
        done = 0
        for service_id in ids:
            try:
                apply(service_id)
                done += 1
            except (operations.ValidationError, operations.NotFound) as exc:
                for error in getattr(exc, "errors", [exc]):
                    flash(getattr(error, "message", str(error)), "error")
        db.session.commit()
        if done:
            flash(_("%(count)d listing(s) updated.", count=done), "success")

    @action("submit", _l("Submit for review"))
    def action_submit(self, ids: list[str]) -> None:
        self._each(ids, lambda i: self._workflow("submit", i))

    @action("publish", _l("Publish"), _l("Publish the selected listings?"))
    def action_publish(self, ids: list[str]) -> None:
        self._each(ids, lambda i: self._workflow("publish", i))

    @action("unpublish", _l("Back to draft"))
    def action_unpublish(self, ids: list[str]) -> None:
        self._each(ids, lambda i: self._workflow("unpublish", i))

    @action("archive", _l("Archive"), _l("Archive the selected listings?"))
    def action_archive(self, ids: list[str]) -> None:
        self._each(ids, lambda i: self._workflow("archive", i))

    @action("verify", _l("Mark verified"))
    def action_verify(self, ids: list[str]) -> None:
        self._each(ids, lambda i: self._workflow("verify", i))

    @expose("/dated/", methods=("POST",))
    def dated_view(self) -> Any:
        """Closures and changed hours, the public notice's end, capacity: saved at once (they
        are dated facts, not reviewed content), audited, and re-indexed."""
        service_id = request.form.get("id", "")
        service = db.session.get(m.Service, service_id) if m.is_record_id(service_id) else None
        if service is None:
            flash(_("Unknown listing."), "error")
            return redirect(url_for(".index_view"))
        part = request.form.get("part", "")
        try:
            if part == "exceptions":
                hours_exceptions.save_hours_exceptions(service, exception_rows_from(request.form))
                message = _("Closures and changed hours saved.")
            elif part == "alert":
                hours_exceptions.set_alert(service, request.form.get("alert", ""),
                                           request.form.get("alert_until", ""))
                message = _("Public notice saved.")
            elif part == "capacity":
                hours_exceptions.set_capacity(service, request.form.get("capacity", ""))
                message = _("Capacity saved.")
            else:
                raise operations.ValidationError([operations.FieldError("part",
                                                                        _("Unknown action."))])
            db.session.commit()
            flash(message, "success")
        except operations.ValidationError as exc:
            db.session.rollback()
            for error in exc.errors:
                flash(_("Not saved: %(problem)s", problem=dated_message(error)), "error")
        return redirect(url_for(".edit_view", id=service_id) + "#section-dated")

    @expose("/workflow/", methods=("POST",))
    def workflow_view(self) -> Any:
        """A workflow button sent without the form (older pages): run it on the saved listing."""
        service_id = request.form.get("id", "")
        name = request.form.get("action", "")
        if name not in (*WORKFLOW, "verify") or not m.is_record_id(service_id):
            flash(_("Unknown action."), "error")
            return redirect(url_for(".index_view"))
        self._each([service_id], lambda i: self._workflow(name, i))
        return redirect(url_for(".edit_view", id=service_id))
