"""The provider's form: the link e-mailed to a listing's contact opens the listing to check.

No account and no cookie. The form carries no CSRF token: Flask-WTF keeps its token in the
session, which would set a session cookie on a page opened from an e-mail. What a CSRF token
would prove is carried by the URL instead: the signed, single-use token (operations.provider)
that only the recipient of the message has, and which only POSTs act on. A forged cross-site
POST would need that token, and with it the sender could simply open the form.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import i18n
from .. import models as m
from ..extensions import csrf, db
from ..operations import ValidationError
from ..operations import provider as ops
from .views import _hours, crisis_lines, no_store

bp = Blueprint("provider", __name__)

PHONE = re.compile(r"^[0-9+()\-. /#*x]{3,64}$", re.IGNORECASE)
EMAIL = re.compile(r"^[^@\s<>\"]{1,128}@[^@\s<>\"]+\.[^@\s<>\"]+$")
URL = re.compile(r"^https?://[^\s<>\"]{3,}$", re.IGNORECASE)
LINK_PAGES = {
    ops.LINK_BAD: (404, _l("This link does not work"),
                   _l("The link may be incomplete: copy the whole address from the message, or "
                      "ask us for a new one.")),
    ops.LINK_USED: (410, _l("This link has already been used"),
                    _l("Thank you: we already have your answer. If something else has "
                       "changed, ask us for a new link.")),
    ops.LINK_EXPIRED: (410, _l("This link has expired"),
                       _l("Links work for a few weeks only. Ask us for a new one and we will "
                          "send it at once.")),
    ops.LINK_CLOSED: (410, _l("This link no longer works"),
                      _l("Ask us for a new link and we will send it at once.")),
}
CAPACITY_LABELS = {"accepting": _l("Accepting people now"), "waitlist": _l("Waitlist"),
                   "full": _l("Full")}
FIELD_LABELS = {"url": _l("Website"), "email": _l("E-mail"),
                "eligibility_description": _l("Who can use it"), "fees_description": _l("Cost")}


@bp.url_value_preprocessor
def _pull_locale(endpoint: str | None, values: dict[str, Any] | None) -> None:
    code = (values or {}).pop("locale", None)
    if code not in i18n.SUPPORTED_LOCALES:
        abort(404)
    g.locale = code


def _page(template: str, status: int = 200, **context: Any):
    response = make_response(render_template(template, crisis=crisis_lines(), **context), status)
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return no_store(response)


def _link_problem(problem: str, req: m.VerificationRequest | None):
    status, title, message = LINK_PAGES[problem]
    db.session.commit()  # an expired request is marked so here
    return _page("public/provider_link.html", status, title=title, message=message)


def _locations(service: m.Service, locale: str) -> list[dict[str, Any]]:
    """Where the listing says it is; a confidential place only by its public area."""
    out = []
    for sal in service.service_at_locations:
        location = sal.location
        if location is None:
            continue
        if location.confidential:
            area, _area_locale = location.translated("public_area", locale)
            out.append({"name": None, "lines": [area] if area else [], "confidential": True})
            continue
        lines = []
        for address in location.addresses:
            lines.append(", ".join(x for x in (address.address_1, address.address_2,
                                               address.city, address.state_province,
                                               address.postal_code) if x))
        out.append({"name": location.name, "lines": lines, "confidential": False})
    return out


def _form_context(req: m.VerificationRequest, values: dict[str, Any] | None = None,
                  errors: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    service = db.session.get(m.Service, req.service_id)
    locale = i18n.select_locale()
    current = {name: getattr(service, name) or "" for name in ops.PROPOSED_FIELDS}
    values = values if values is not None else {
        **current, **{f"phone-{p.id}": p.number for p in service.phones}}
    return {"req": req, "service": service, "token": request.view_args.get("token"),
            "values": values, "errors": errors or {}, "phones": list(service.phones),
            "hours": _hours(service, locale), "locations": _locations(service, locale),
            "takes_capacity": ops.takes_capacity(service), "capacity_labels": CAPACITY_LABELS,
            "field_labels": FIELD_LABELS, "text_max": ops.TEXT_MAX,
            "lang": i18n.html_lang(i18n.normalize_locale(service.text_language) or "en"),
            **extra}


def _read_proposal(form: Any, service: m.Service) -> tuple[ops.Proposal, dict[str, str]]:
    """The provider's changes from the form, and a message per field that is not right."""
    errors: dict[str, str] = {}
    proposal = ops.Proposal()
    for phone in service.phones:
        value = form.get(f"phone-{phone.id}", "").strip()
        if value and not _is_phone(value):
            errors[f"phone-{phone.id}"] = _("Write a phone number with digits, e.g. 604-555-0142.")
        proposal.phones[phone.id] = value
    proposal.new_phone = form.get("new_phone", "").strip()
    if proposal.new_phone and not _is_phone(proposal.new_phone):
        errors["new_phone"] = _("Write a phone number with digits, e.g. 604-555-0142.")
    for name in ops.PROPOSED_FIELDS:
        if name not in form:
            continue
        value = form.get(name, "").strip()
        if len(value) > ops.TEXT_MAX:
            errors[name] = _("Please keep this under %(count)d characters.", count=ops.TEXT_MAX)
        elif name == "url" and value and not URL.match(value):
            errors[name] = _("Write the full address, starting with https://")
        elif name == "email" and value and not EMAIL.match(value):
            errors[name] = _("Write an e-mail address like name@example.org.")
        proposal.fields[name] = value
    for name in ("hours", "address", "note"):
        value = form.get(name, "").strip()
        if len(value) > ops.TEXT_MAX:
            errors[name] = _("Please keep this under %(count)d characters.", count=ops.TEXT_MAX)
        setattr(proposal, name, value)
    return proposal, errors


def _is_phone(value: str) -> bool:
    return bool(PHONE.match(value)) and sum(c.isdigit() for c in value) >= 3


# CSRF: see the module docstring; the signed single-use token in the URL stands in for it.
@bp.route("/<locale>/update/<token>", methods=["GET", "POST"])
@csrf.exempt
def update(token: str):
    """The listing as a plain form: confirm it, propose changes, or set capacity."""
    req, problem = ops.request_for_token(token)
    if problem:
        return _link_problem(problem, req)
    if request.method == "GET":
        return _page("public/provider_form.html",
                     **_form_context(req, capacity_saved=request.args.get("capacity") == "saved"))
    action = request.form.get("action", "")
    try:
        if action == "capacity":
            ops.update_capacity(req, request.form.get("capacity", ""))
            db.session.commit()
            return redirect(url_for(".update", locale=g.locale, token=token, capacity="saved"),
                            code=303)
        if action == "confirm":
            ops.confirm_listing(req)
            db.session.commit()
            return redirect(url_for(".thanks", locale=g.locale, answer="confirmed"), code=303)
        if action == "propose":
            service = db.session.get(m.Service, req.service_id)
            proposal, errors = _read_proposal(request.form, service)
            if errors:
                return _page("public/provider_form.html", 400,
                             **_form_context(req, dict(request.form), errors))
            ops.propose_changes(req, proposal)
            db.session.commit()
            return redirect(url_for(".thanks", locale=g.locale, answer="proposed"), code=303)
    except ValidationError as exc:
        db.session.rollback()
        messages = {e.path: e.message for e in exc.errors}
        return _page("public/provider_form.html", 400,
                     **_form_context(req, dict(request.form) if action == "propose" else None,
                                     messages))
    return _page("public/provider_form.html", 400,
                 **_form_context(req, None, {"action": _("Choose one of the buttons.")}))


@bp.route("/<locale>/update/thanks")
def thanks():
    """A calm thank-you, saying what happens next."""
    answer = request.args.get("answer", "")
    return _page("public/provider_thanks.html", answer=answer if answer in (
        "confirmed", "proposed") else "")
