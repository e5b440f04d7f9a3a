"""Reports from the public: what visitors said is wrong, grouped by listing, resolved or
dismissed by staff (``operations.reports``; every decision is audited)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _

from .. import models as m
from ..extensions import db
from ..operations import NotFound, ValidationError, reports
from . import labels
from .access import EDITORS, SecureView

# How many closed (resolved or dismissed) reports the queue shows, newest first.
CLOSED_SHOWN = 200


class ReportsView(SecureView):
    """Open reports by listing, with a resolve / dismiss form on each."""

    roles = EDITORS

    @expose("/")
    def index(self) -> Any:
        state = request.args.get("state", "open")
        if state not in m.REPORT_STATES:
            state = "open"
        groups = reports.reports_by_listing(state, limit=None if state == "open"
                                            else CLOSED_SHOWN)
        counts = reports.report_counts()
        return self.render("admin/reports.html", state=state, groups=groups, counts=counts,
                           kinds=reports.KIND_LABELS, labels=labels,
                           resolution_max=reports.RESOLUTION_MAX)

    @expose("/decide", methods=("POST",))
    def decide(self) -> Any:
        decision = request.form.get("decision", "")
        report_id = request.form.get("report_id", "")
        resolution = request.form.get("resolution", "")
        action = {"resolve": reports.resolve_report,
                  "dismiss": reports.dismiss_report}.get(decision)
        if action is None:
            flash(_("Unknown action."), "error")
            return redirect(url_for(".index"))
        try:
            report = action(report_id, resolution)
            name = report.service.name
            db.session.commit()
        except NotFound:
            db.session.rollback()
            flash(_("That report no longer exists."), "error")
        except ValidationError as exc:
            db.session.rollback()
            for error in exc.errors:
                if error.path == "status":
                    flash(_("That report was already closed by someone else."), "error")
                else:
                    flash(_("Please keep the note to %(max)d characters.",
                            max=reports.RESOLUTION_MAX), "error")
        else:
            flash(_("Report on “%(name)s” resolved.", name=name) if decision == "resolve"
                  else _("Report on “%(name)s” dismissed.", name=name), "success")
        return redirect(url_for(".index"))
