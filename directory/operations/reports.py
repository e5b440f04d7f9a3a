"""Problem reports from the public ("Something wrong?") and how staff close them.

A visitor tells us a listing is wrong: what kind of problem (``REPORT_KINDS``) and an optional
note. We keep nothing that identifies them: no address, no user agent, no cookie or session, and
the time only to the hour. The report itself is written with a plain insert rather than through
the ORM so that it leaves no exact-time row in the audit trail either (its own row is the
record). Two open reports of the same kind, or any "phone does not work" on a crisis line, bring
the listing back for checking at once (``freshness.make_due_now``). Staff resolve or dismiss each
report; those changes are audited like every other write.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from flask_babel import lazy_gettext as _l

from .. import models as m
from ..extensions import db
from .audit import acting_as, current_actor
from .errors import FieldError, NotFound, ValidationError
from .freshness import make_due_now

# What a visitor can choose, in REPORT_KINDS order (the public form and the staff queue).
KIND_LABELS = {
    "phone": _l("The phone number does not work"),
    "address_hours": _l("The address or opening hours are wrong"),
    "closed": _l("The service has closed"),
    "not_as_described": _l("The service is not what the listing says"),
    "other": _l("Something else"),
}
# Same-kind open reports that make a listing due now.
SAME_KIND_LIMIT = 2
# What a staff member may write when closing a report (characters).
RESOLUTION_MAX = 2000
# How the audit trail names the public when a report makes a listing due.
PUBLIC_ACTOR = "public report"
# Control characters other than tab and line breaks (PostgreSQL refuses NUL in text).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_note(note: Any) -> str:
    """The note as stored: line breaks as \\n, control characters dropped, trimmed."""
    if not isinstance(note, str):
        return ""
    text = note.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", unicodedata.normalize("NFC", text))
    return text.strip()


def reported_hour() -> Any:
    """Now, truncated to the hour (UTC)."""
    return m.utcnow().replace(minute=0, second=0, microsecond=0)


def public_service(service_id: Any) -> m.Service:
    """The listing a visitor may report on, or NotFound (unknown, draft, archived, inactive)."""
    service = db.session.get(m.Service, service_id) if (
        isinstance(service_id, str) and m.is_record_id(service_id)) else None
    if service is None or not service.is_public:
        raise NotFound(f"no public listing {service_id!r}")
    return service


def validate_report(kind: Any, note: Any) -> tuple[str, str | None]:
    """``(kind, note)`` ready to store, or ValidationError naming ``kind`` or ``note``."""
    errors = []
    if kind not in m.REPORT_KINDS:
        errors.append(FieldError("kind", "choose one of " + ", ".join(m.REPORT_KINDS)))
    text = clean_note(note)
    if len(text) > m.REPORT_NOTE_MAX:
        errors.append(FieldError("note", f"at most {m.REPORT_NOTE_MAX} characters "
                                         f"({len(text)} given)"))
    if errors:
        raise ValidationError(errors)
    return kind, (text or None)


def submit_report(service_id: str, kind: str, note: str | None, locale: str | None
                  ) -> int:
    """Store a visitor's report on a public listing and apply the due-now rules; the new id.

    Raises NotFound for a listing the public cannot see and ValidationError for a bad kind or
    a note over ``REPORT_NOTE_MAX`` characters (never cut silently).
    """
    service = public_service(service_id)
    kind, text = validate_report(kind, note)
    table = m.ProblemReport.__table__
    result = db.session.execute(sa.insert(table).values(
        service_id=service.id, kind=kind, note=text,
        locale=(locale or None) and str(locale)[:16], reported_at=reported_hour(),
        status="open"))
    report_id = int(result.inserted_primary_key[0])
    reason = due_reason(service, kind)
    if reason is not None:
        with acting_as(PUBLIC_ACTOR):
            make_due_now(service, reason)
    return report_id


def due_reason(service: m.Service, kind: str) -> str | None:
    """Why this report makes the listing due now, or None when it does not (yet)."""
    if kind == "phone" and service.crisis_line:
        return "public report: phone on a crisis line"
    same = db.session.scalar(sa.select(sa.func.count()).select_from(m.ProblemReport).where(
        m.ProblemReport.service_id == service.id, m.ProblemReport.kind == kind,
        m.ProblemReport.status == "open"))
    if same >= SAME_KIND_LIMIT:
        return f"public reports: {same} of kind {kind}"[:64]
    return None


def _close(report_id: Any, status: str, resolution: str | None) -> m.ProblemReport:
    report = db.session.get(m.ProblemReport, report_id) if str(report_id).isdigit() else None
    if report is None:
        raise NotFound(f"no report {report_id!r}")
    if report.status != "open":
        raise ValidationError([FieldError("status", f"already {report.status}")])
    text = clean_note(resolution)
    if len(text) > RESOLUTION_MAX:
        raise ValidationError([FieldError("resolution",
                                          f"at most {RESOLUTION_MAX} characters")])
    report.status = status
    report.resolution = text or None
    report.resolved_by = current_actor()
    report.resolved_at = m.utcnow()
    db.session.flush()
    return report


def resolve_report(report_id: int, resolution: str | None = None) -> m.ProblemReport:
    """Staff fixed (or confirmed) what the report was about."""
    return _close(report_id, "resolved", resolution)


def dismiss_report(report_id: int, resolution: str | None = None) -> m.ProblemReport:
    """Staff found nothing to change (spam, a misunderstanding)."""
    return _close(report_id, "dismissed", resolution)


def open_report_count() -> int:
    """Reports waiting for staff."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(m.ProblemReport).where(
        m.ProblemReport.status == "open")) or 0


def report_counts() -> dict[str, int]:
    """How many reports are in each state."""
    found = dict(db.session.execute(sa.select(m.ProblemReport.status, sa.func.count())
                                    .group_by(m.ProblemReport.status)).all())
    return {state: int(found.get(state, 0)) for state in m.REPORT_STATES}


def reports_by_listing(status: str = "open", limit: int | None = None) -> list[dict[str, Any]]:
    """Reports in ``status`` grouped by listing: for open ones the listing with most reports
    first, then the oldest; for closed ones (up to ``limit``, newest) the latest closed first."""
    query = sa.select(m.ProblemReport).where(m.ProblemReport.status == status).options(
        joinedload(m.ProblemReport.service))
    if status == "open":
        query = query.order_by(m.ProblemReport.reported_at, m.ProblemReport.id)
    else:
        query = query.order_by(m.ProblemReport.resolved_at.desc(), m.ProblemReport.id.desc())
    if limit:
        query = query.limit(limit)
    groups: dict[str, dict[str, Any]] = {}
    for report in db.session.scalars(query):
        group = groups.setdefault(report.service_id, {
            "service": report.service, "reports": [], "counts": {}})
        group["reports"].append(report)
        group["counts"][report.kind] = group["counts"].get(report.kind, 0) + 1
    found = list(groups.values())
    if status == "open":
        found.sort(key=lambda g: (-len(g["reports"]), g["reports"][0].reported_at))
    return found
