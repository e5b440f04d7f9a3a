"""Today's checks: each curator's queue of listings to re-check, the call script, the lead list
and how often each category is checked."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_security import current_user

from .. import models as m
from .. import operations
from ..extensions import db
from ..operations import checks, revisions
from ..operations.freshness import category_intervals, due_at, interval_days
from . import labels
from .access import EDITORS, SecureView

METHODS = {"phone": _l("By phone"), "email": _l("By e-mail"), "website": _l("On their website"),
           "in_person": _l("In person"), "provider": _l("By the provider (e-mailed link)")}
# Methods a curator records in the call script (the provider's own answer comes by its link).
SCRIPT_METHODS = ("phone", "email", "website", "in_person")
OUTCOMES = {"confirmed": _l("Confirmed"), "changed": _l("Changed"),
            "unreachable": _l("Could not reach")}
FACTS = {"phones": _l("Phone numbers"), "hours": _l("Hours"), "address": _l("Address or area"),
         "eligibility": _l("Who can use it"), "cost": _l("Cost"), "url": _l("Website")}
LEAD_REASONS = {"unreachable": _l("Could not be reached twice in a row"),
                "crisis_overdue": _l("Crisis line overdue for checking")}
# A changed fact the curator types in the script (field on the listing), and the editor section
# where the other facts are corrected.
INLINE_FIELDS = {"eligibility": "eligibility_description", "cost": "fees_description",
                 "url": "url"}
EDITOR_SECTIONS = {"phones": "contact", "hours": "hours", "address": "where"}
NEW_VALUE_MAX = 2000


def _service(service_id: str) -> m.Service:
    service = db.session.get(m.Service, service_id)
    if service is None:
        abort(404)
    return service


def _addresses(service: m.Service) -> list[str]:
    out = []
    for link in service.service_at_locations:
        location = link.location
        if location is None:
            continue
        parts = [location.name or ""]
        for address in location.addresses:
            parts.append(", ".join(p for p in (address.address_1, address.city,
                                               address.state_province, address.postal_code) if p))
        if getattr(location, "confidential", False):
            parts.append(str(_l("(confidential: the public sees the area only)")))
        out.append(" — ".join(p for p in parts if p))
    return out


def _hours(service: m.Service) -> list[str]:
    if service.open_24_7:
        return [str(_l("Open 24 hours, 7 days"))]
    rows = []
    for schedule in service.schedules:
        days = labels.days(schedule.byday)
        times = (f"{labels.when(schedule.opens_at)}–{labels.when(schedule.closes_at)}"
                 if schedule.opens_at and schedule.closes_at else "")
        text = " ".join(p for p in (days, times, schedule.description or "") if p)
        if text:
            rows.append(text)
    return rows


def script_facts(service: m.Service) -> list[dict[str, Any]]:
    """What the curator reads out and checks, fact by fact, with today's values."""
    phones = [" · ".join(p for p in (ph.number + (f" ext. {ph.extension}" if ph.extension else ""),
                                     labels.label(labels.PHONE_TYPE, ph.type),
                                     ph.description or "") if p)
              for ph in service.phones]
    ages = ""
    if service.minimum_age or service.maximum_age:
        ages = _("Ages %(low)s to %(high)s", low=service.minimum_age or "0",
                 high=service.maximum_age or "–")
    values = {
        "phones": phones,
        "hours": _hours(service),
        "address": _addresses(service),
        "eligibility": [v for v in (service.eligibility_description, ages) if v],
        "cost": [service.fees_description] if service.fees_description else [],
        "url": [service.url] if service.url else [],
    }
    return [{"key": key, "label": FACTS[key], "values": values[key],
             "inline": key in INLINE_FIELDS,
             "current": getattr(service, INLINE_FIELDS[key]) or "" if key in INLINE_FIELDS
             else ""}
            for key in m.CHECKED_FACTS]


class ChecksView(SecureView):
    """Today's checks for each curator, the call script, the lead list and the intervals."""

    roles = EDITORS

    def _me(self) -> str:
        return operations.actor_name(current_user) or ""

    @expose("/")
    def index(self) -> Any:
        who = request.args.get("who", "me")
        if who not in ("me", "team", "lead"):
            who = "me"
        items = checks.queue()
        db.session.commit()  # the shares handed out stay put for the day
        team = checks.split(items)
        me = self._me()
        return self.render(
            "admin/checks.html", who=who, me=me, mine=team.get(me, []), team=team,
            curators=[u.email for u in checks.curators()], lead=checks.lead_list(),
            total=len(items), overdue=sum(1 for i in items if i.overdue),
            crisis_overdue=sum(1 for i in items if i.overdue and i.service.crisis_line),
            labels=labels, lead_reasons=LEAD_REASONS, soon_days=checks.due_soon_days())

    @expose("/script/<service_id>", methods=("GET", "POST"))
    def script(self, service_id: str) -> Any:
        service = _service(service_id)
        facts = script_facts(service)
        errors: dict[str, str] = {}
        chosen = {f["key"]: request.form.get(f"fact-{f['key']}", "") for f in facts}
        method = request.form.get("method", "phone")
        note = (request.form.get("note") or "").strip()
        new_values = {key: (request.form.get(f"new-{key}") or "").strip()
                      for key in INLINE_FIELDS}
        if request.method == "POST":
            outcome = self._record(service, chosen, method, note, new_values, errors)
            if outcome is not None:
                return outcome
        interval = interval_days(service)
        return self.render(
            "admin/check_script.html", service=service, facts=facts, chosen=chosen,
            method=method, note=note, new_values=new_values, errors=errors,
            methods=[(k, METHODS[k]) for k in SCRIPT_METHODS], outcomes=OUTCOMES,
            interval=interval, due=due_at(service, interval), labels=labels,
            history=db.session.scalars(
                sa.select(m.Verification).where(m.Verification.service_id == service.id)
                .order_by(m.Verification.checked_at.desc()).limit(10)).all(),
            all_methods=METHODS, lead_reasons=LEAD_REASONS,
            pending=revisions.pending_revision(service.id)), 400 if errors else 200

    def _record(self, service: m.Service, chosen: dict[str, str], method: str, note: str,
                new_values: dict[str, str], errors: dict[str, str]) -> Any:
        picked = {k: v for k, v in chosen.items() if v}
        if method not in SCRIPT_METHODS:
            errors["method"] = _("Choose how you checked.")
        for key, value in picked.items():
            if value not in OUTCOMES:
                errors[f"fact-{key}"] = _("Choose confirmed, changed or could not reach.")
        if not picked:
            errors["facts"] = _("Record at least one fact: confirmed, changed or could not "
                                "reach.")
        changes = {}
        for key, field in INLINE_FIELDS.items():
            if picked.get(key) != "changed":
                continue
            value = new_values.get(key, "")
            if len(value) > NEW_VALUE_MAX:
                errors[f"new-{key}"] = _("Keep it under %(count)d characters.",
                                         count=NEW_VALUE_MAX)
            elif value and value != (getattr(service, field) or ""):
                changes[field] = value
        if len(note) > NEW_VALUE_MAX:
            errors["note"] = _("Keep it under %(count)d characters.", count=NEW_VALUE_MAX)
        if errors:
            return None
        try:
            operations.freshness.record_verification(
                service, method=method, checked_by=self._me(), facts=picked, note=note or None)
            kept_for_review = self._apply(service, changes) if changes else False
            db.session.commit()
        except operations.ValidationError as exc:
            db.session.rollback()
            for error in exc.errors:
                errors[error.path] = error.message
            return None
        if kept_for_review:
            flash(_("Check recorded. Your corrections wait for review: the public sees the "
                    "published version until a publisher approves them."), "info")
        elif all(v == "unreachable" for v in picked.values()):
            flash(_("Recorded: could not reach %(name)s. The listing stays in your checks.",
                    name=service.name), "warning")
        else:
            flash(_("Check recorded for %(name)s.", name=service.name), "success")
        to_edit = [EDITOR_SECTIONS[k] for k, v in picked.items()
                   if v == "changed" and k in EDITOR_SECTIONS]
        if to_edit:
            flash(_("Now correct what changed in the listing: %(parts)s.",
                    parts=", ".join(str(FACTS[k]) for k, v in picked.items()
                                    if v == "changed" and k in EDITOR_SECTIONS)), "info")
            return redirect(url_for("service.edit_view", id=service.id)
                            + f"#section-{to_edit[0]}")
        return redirect(url_for(".index"))

    def _apply(self, service: m.Service, changes: dict[str, str]) -> bool:
        """Write typed corrections the way the listing editor does; True: kept for review."""
        parts = list(changes)
        if revisions.needs_review(service, parts, current_user):
            base = revisions.editable_state(service)
            pending = revisions.pending_revision(service.id)
            mine = pending is not None and pending.proposed_by == operations.current_actor()
            revisions.propose(service.id, base, {**(pending.proposed if mine else base),
                                                 **changes})
            return True
        operations.update_service(service.id, changes)
        return False

    @expose("/assign", methods=("POST",))
    def assign(self) -> Any:
        service_id = request.form.get("service_id", "")
        email = request.form.get("assignee") or None
        try:
            service = checks.reassign(service_id, email)
            db.session.commit()
        except operations.NotFound:
            abort(404)
        except operations.ValidationError:
            db.session.rollback()
            flash(_("Choose someone on the team."), "error")
            return redirect(url_for(".index", who="team"))
        if email:
            flash(_("%(name)s is now in the checks of %(who)s.", name=service.name, who=email),
                  "success")
        else:
            flash(_("%(name)s is back in the team's shared checks.", name=service.name),
                  "success")
        return redirect(url_for(".index", who=request.form.get("who", "team")))

    @expose("/lead/clear", methods=("POST",))
    def clear_lead(self) -> Any:
        try:
            service = checks.clear_lead_flag(request.form.get("service_id", ""))
            db.session.commit()
        except operations.NotFound:
            abort(404)
        flash(_("%(name)s is off the team lead's list.", name=service.name), "success")
        return redirect(url_for(".index", who="lead"))

    @expose("/interval/<service_id>", methods=("POST",))
    def listing_interval(self, service_id: str) -> Any:
        service = _service(service_id)
        raw = (request.form.get("days") or "").strip()
        try:
            checks.set_interval(service.id, int(raw) if raw else None)
            db.session.commit()
        except (ValueError, operations.ValidationError):
            db.session.rollback()
            flash(_("Days between checks must be a whole number from 1 to 730, or empty."),
                  "error")
        else:
            flash(_("Checked every %(days)d days from now on.", days=interval_days(service)),
                  "success")
        return redirect(url_for(".script", service_id=service.id))

    @expose("/intervals", methods=("GET", "POST"))
    def intervals(self) -> Any:
        terms = db.session.scalars(sa.select(m.TaxonomyTerm).order_by(m.TaxonomyTerm.name)).all()
        errors: dict[str, str] = {}
        if request.method == "POST":
            for term in terms:
                key = f"days-{term.id}"
                if key not in request.form:
                    continue
                raw = request.form[key].strip()
                try:
                    days = int(raw) if raw else None
                    if days != term.verify_interval_days:
                        checks.set_category_interval(term.id, days)
                except (ValueError, operations.ValidationError):
                    errors[term.id] = _("A whole number from 1 to 730, or empty.")
            if errors:
                db.session.rollback()
            else:
                db.session.commit()
                flash(_("Intervals saved."), "success")
                return redirect(url_for(".intervals"))
        effective = category_intervals()
        from flask import current_app

        return self.render("admin/check_intervals.html", terms=_tree(terms), errors=errors,
                           effective=effective, form=request.form,
                           default=int(current_app.config.get("VERIFY_INTERVAL_DAYS", 180))
                           ), 400 if errors else 200


def _tree(terms: list[m.TaxonomyTerm]) -> list[tuple[int, m.TaxonomyTerm]]:
    """Terms in tree order with their depth."""
    children: dict[str | None, list[m.TaxonomyTerm]] = {}
    ids = {t.id for t in terms}
    for term in terms:
        children.setdefault(term.parent_id if term.parent_id in ids else None, []).append(term)
    out: list[tuple[int, m.TaxonomyTerm]] = []

    def walk(parent: str | None, depth: int) -> None:
        for term in children.get(parent, []):
            out.append((depth, term))
            if depth < 20:
                walk(term.id, depth + 1)

    walk(None, 0)
    return out
