"""Provider requests: the check links e-mailed to providers, and sending them (operations/provider.py).

The list shows every request with its state, when it was sent and answered, and its reminders;
bounced, failed and expired ones stand out, since those listings need a call instead. Editors
send a link for one listing (also from the listing's editor) or for every listing due within
N days, and mark a request bounced (one by one, or by pasting the bounced addresses).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import models as m
from ..extensions import db
from ..operations import ValidationError
from ..operations import provider as ops
from . import labels
from .access import EDITORS, SecureView

REQUEST_STATUS = {"pending": _l("Not sent yet"), "sent": _l("Sent, waiting"),
                  "used": _l("Answered"), "expired": _l("Expired"), "bounced": _l("Bounced"),
                  "failed": _l("Sending failed")}
OUTCOME = {"confirmed": _l("All correct"), "proposed": _l("Changes proposed")}
# States the team acts on (call the service, fix the address): highlighted in the list.
NEEDS_ATTENTION = ("expired", "bounced", "failed")
LIST_LIMIT = 300
MAX_DAYS = 365


def shown_status(req: m.VerificationRequest) -> str:
    """The state as the team should read it: an open link past its date is expired."""
    if req.status in ops.OPEN_STATES and req.expires_at <= m.utcnow():
        return "expired"
    return req.status


def _days(value: str | None) -> int | None:
    try:
        days = int((value or "").strip())
    except ValueError:
        return None
    return days if 0 <= days <= MAX_DAYS else None


class ProviderRequestsView(SecureView):
    """Check links sent to providers: list, send, bulk send, bounces."""

    roles = EDITORS

    def _render_index(self, preview: ops.Plan | None = None, days: int = 14) -> Any:
        wanted = request.args.get("status", "")
        query = sa.select(m.VerificationRequest).order_by(m.VerificationRequest.id.desc())
        if wanted == "attention":
            query = query.where(sa.or_(
                m.VerificationRequest.status.in_(NEEDS_ATTENTION),
                sa.and_(m.VerificationRequest.status.in_(ops.OPEN_STATES),
                        m.VerificationRequest.expires_at <= m.utcnow())))
        elif wanted in REQUEST_STATUS:
            query = query.where(m.VerificationRequest.status == wanted)
        rows = db.session.scalars(query.limit(LIST_LIMIT)).all()
        counts = dict(db.session.execute(sa.select(
            m.VerificationRequest.status, sa.func.count(m.VerificationRequest.id))
            .group_by(m.VerificationRequest.status)).all())
        return self.render("admin/provider_requests.html", rows=rows, counts=counts,
                           wanted=wanted, statuses=REQUEST_STATUS, outcomes=OUTCOME,
                           shown_status=shown_status, attention=NEEDS_ATTENTION,
                           labels=labels, preview=preview, days=days, limit=LIST_LIMIT)

    @expose("/")
    def index(self) -> Any:
        return self._render_index()

    @expose("/send", methods=("POST",))
    def send(self) -> Any:
        """Ask the provider of one listing (the button on the listing's editor)."""
        service_id = request.form.get("service_id", "").strip()
        back = url_for(".index")
        if request.form.get("back") == "listing" and m.is_record_id(service_id):
            back = url_for("service.edit_view", id=service_id)
        service = db.session.get(m.Service, service_id) if m.is_record_id(service_id) else None
        if service is None:
            flash(_("No listing with that id."), "error")
            return redirect(url_for(".index"))
        result = ops.send_requests([(service, None)], commit=db.session.commit)
        self._report(result)
        return redirect(back)

    @expose("/bulk", methods=("POST",))
    def bulk(self) -> Any:
        """Ask every listing due within N days (preview first, or send)."""
        days = _days(request.form.get("days"))
        if days is None:
            flash(_("Give a number of days from 0 to %(max)d.", max=MAX_DAYS), "error")
            return redirect(url_for(".index"))
        plan = ops.plan_requests(days)
        if request.form.get("mode") != "send":
            return self._render_index(preview=plan, days=days)
        result = ops.send_requests(plan.to_ask, commit=db.session.commit)
        self._report(result)
        flash(_("Skipped: %(none)d without e-mail, %(pending)d already waiting on the provider, "
                "%(bounced)d whose address bounced.", none=len(plan.no_email),
                pending=len(plan.already_pending), bounced=len(plan.bounced)), "info")
        return redirect(url_for(".index"))

    @expose("/bounce", methods=("POST",))
    def bounce(self) -> Any:
        """Mark one request, or every request to the pasted addresses, bounced."""
        request_id = request.form.get("request_id", "").strip()
        try:
            if request_id:
                req = db.session.get(m.VerificationRequest, int(request_id)) \
                    if request_id.isdigit() else None
                if req is None:
                    flash(_("No such request."), "error")
                    return redirect(url_for(".index"))
                ops.mark_bounced(req)
                count = 1
            else:
                addresses = request.form.get("addresses", "")[:20000].split()
                count = len(ops.bounce_addresses(addresses))
            db.session.commit()
        except ValidationError as exc:
            db.session.rollback()
            for error in exc.errors:
                flash(error.message, "error")
            return redirect(url_for(".index"))
        flash(_("Marked bounced: %(count)d. Call these services to get a working address.",
                count=count), "success")
        return redirect(url_for(".index"))

    @staticmethod
    def _report(result: ops.SendResult) -> None:
        for message in result.refused:
            flash(message, "error")
        if result.sent:
            flash(_("Sent: %(count)d.", count=len(result.sent)), "success")
        for req in result.failed:
            flash(_("Sending to %(email)s failed: %(error)s", email=req.email,
                    error=req.error or ""), "error")
