"""The review queue: proposed changes to published listings, shown field by field, approved or
sent back with a comment."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_security import current_user

from .. import models as m
from ..extensions import db
from ..operations import NotFound, ValidationError, revisions
from . import labels
from .access import EDITORS, SecureView

PART_LABELS = {
    "phones": _l("Phones"), "schedules": _l("Opening hours"),
    "service_at_locations": _l("Locations"), "attributes": _l("Categories"),
}


def _field_label(part: str, field: str | None = None) -> str:
    from .listings import PHONE_LABELS, SCHEDULE_LABELS, ServiceAdmin

    if field is None:
        return str(PART_LABELS.get(part) or ServiceAdmin.column_labels.get(part)
                   or part.replace("_", " ").capitalize())
    table = {"phones": PHONE_LABELS, "schedules": SCHEDULE_LABELS}.get(part, {})
    names = {"location_id": _l("Location"), "description": _l("Notes for this place")}
    return str(table.get(field) or names.get(field) or field.replace("_", " ").capitalize())


def _shown(part: str, field: str, value: Any) -> str:
    """A stored value as a curator reads it."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return str(_l("Yes") if value else _l("No"))
    if field == "location_id":
        location = db.session.get(m.Location, value)
        return location.name if location is not None and location.name else str(_l("a location"))
    if field == "status":
        return labels.label(labels.STATUS, value)
    if field == "type" and part == "phones":
        return labels.label(labels.PHONE_TYPE, value)
    if field == "byday":
        return labels.days(value)
    if field in ("opens_at", "closes_at") and isinstance(value, str):
        return value[:5]
    if field == "text_language":
        return labels.language_name(value)
    return str(value)


def _item_name(part: str, row: dict[str, Any]) -> str:
    if part == "phones":
        return row.get("number") or ""
    if part == "schedules":
        hours = "–".join(v[:5] for v in (row.get("opens_at"), row.get("closes_at")) if v)
        return " ".join(x for x in (labels.days(row.get("byday")), hours) if x) or \
            row.get("description") or ""
    if part == "service_at_locations":
        return _shown(part, "location_id", row.get("location_id"))
    if part == "attributes":
        term = db.session.get(m.TaxonomyTerm, row.get("taxonomy_term_id") or "")
        return (term.name or term.code) if term is not None else ""
    return ""


INTERNAL = {"id", "service_id", "organization_id", "contact_id", "service_at_location_id",
            "link_id", "link_entity"}


def diff_rows(before: dict[str, Any], after: dict[str, Any], parts: list[str]
              ) -> list[dict[str, str]]:
    """Field-by-field differences: what, old value, new value (lists matched by row id)."""
    rows: list[dict[str, str]] = []
    for part in parts:
        old, new = before.get(part), after.get(part)
        if not isinstance(old, list) and not isinstance(new, list):
            rows.append({"what": _field_label(part), "old": _shown(part, part, old),
                         "new": _shown(part, part, new)})
            continue
        old_rows = {r.get("id"): r for r in old or []}
        new_rows = {r.get("id"): r for r in new or []}
        for key in [*old_rows, *[k for k in new_rows if k not in old_rows]]:
            a, b = old_rows.get(key), new_rows.get(key)
            item = _item_name(part, b or a)
            prefix = f"{_field_label(part)} · {item}" if item else _field_label(part)
            if a is None:
                rows.append({"what": prefix, "old": "", "new": str(_l("added")), "kind": "added"})
            elif b is None:
                rows.append({"what": prefix, "old": str(_l("removed")), "new": "",
                             "kind": "removed"})
            if a is None or b is None:
                continue
            for field in sorted(set(a) | set(b)):
                if field in INTERNAL or a.get(field) == b.get(field):
                    continue
                rows.append({"what": f"{prefix} · {_field_label(part, field)}",
                             "old": _shown(part, field, a.get(field)),
                             "new": _shown(part, field, b.get(field))})
    return rows


class ReviewView(SecureView):
    """Proposed changes waiting for a publisher."""

    roles = EDITORS

    @expose("/")
    def index(self) -> Any:
        pending = revisions.pending_revisions()
        mine = [r for r in pending if r.proposed_by == current_user.email]
        return self.render("admin/review_list.html", pending=pending, mine=mine, labels=labels,
                           can_publish=revisions.is_publisher(current_user))

    @expose("/<int:revision_id>")
    def detail(self, revision_id: int) -> Any:
        revision = db.session.get(m.ServiceRevision, revision_id)
        if revision is None:
            return self.render("admin/not_found.html"), 404
        return self.render("admin/review_detail.html", revision=revision, labels=labels,
                           rows=diff_rows(revision.base, revision.proposed, revision.fields),
                           problem=revisions.approval_problem(revision, current_user),
                           can_publish=revisions.is_publisher(current_user))

    @expose("/<int:revision_id>/decide", methods=("POST",))
    def decide(self, revision_id: int) -> Any:
        choice = request.form.get("decision", "")
        try:
            if choice == "approve":
                service = revisions.approve(revision_id, current_user)
                db.session.commit()
                flash(_("Approved: “%(name)s” now shows the change.", name=service.name),
                      "success")
                return redirect(url_for(".index"))
            if choice == "send_back":
                revisions.send_back(revision_id, current_user, request.form.get("comment", ""))
                db.session.commit()
                flash(_("Sent back with your comment."), "success")
                return redirect(url_for(".index"))
            if choice == "withdraw":
                revisions.withdraw(revision_id)
                db.session.commit()
                flash(_("Your proposal was withdrawn."), "success")
                return redirect(url_for(".index"))
            flash(_("Unknown action."), "error")
        except NotFound:
            db.session.rollback()
            flash(_("This change has already been decided."), "error")
            return redirect(url_for(".index"))
        except ValidationError as exc:
            db.session.rollback()
            for error in exc.errors:
                flash(_message(error), "error")
        return redirect(url_for(".detail", revision_id=revision_id))


def _message(error: Any) -> str:
    """A revision error in the staff member's language."""
    known = {
        "only a publisher can approve changes to a published listing":
            _l("Only a publisher can approve changes to a published listing."),
        "another publisher must approve your own change to contact details":
            _l("Another publisher must approve your own change to contact details."),
        "only a publisher can send a change back": _l("Only a publisher can send a change back."),
        "say what needs to change": _l("Say what needs to change."),
        "only its author can withdraw a proposal": _l("Only its author can withdraw a proposal."),
    }
    if error.message in known:
        return str(known[error.message])
    if error.message.startswith("was changed by someone else"):
        part = error.path.split(".", 1)[-1]
        return _("“%(field)s” was changed by someone else after this proposal; send it back so "
                 "it can be redone on the current listing.", field=_field_label(part))
    return error.message
