"""Provider self-update: e-mail a listing's contact a signed, single-use, expiring link to check it.

The loop: staff (or ``flask verify send-requests`` from cron) create a ``VerificationRequest``
for a listing and e-mail its contact a link, in the listing's text language. The link carries
a token signed with the app's secret over the request id and a random nonce kept on the row;
it opens a plain form (no account) where the provider confirms "all correct" (a verification
by the provider, which moves the due date) or proposes changes (a pending ``ServiceRevision``
in the review queue). The link works once, and only while the request is pending or sent and
before ``expires_at``. Unanswered requests get reminders (VERIFY_REMINDER_DAYS after sending);
past their date they are marked expired; staff mark bounced ones.

Mail is sent only after the request row is committed (the caller commits; ``send_requests``
takes the commit as an argument), so a link in a sent message always names a stored request.
A failed send is recorded on the row (status "failed" and the error), never raised.
"""

from __future__ import annotations

import hmac
import secrets
import smtplib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, has_request_context, request
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .. import models as m
from ..extensions import db, mail
from ..i18n import BABEL_LOCALE, DEFAULT_LOCALE, normalize_locale
from . import freshness, hours_exceptions, revisions
from .audit import acting_as, current_actor
from .errors import FieldError, ValidationError

# Signs provider links only: a token made for anything else with the same secret fails here.
LINK_SALT = "directory.provider-update-link"
# Requests whose link still works (pending: created, not yet sent).
OPEN_STATES = ("pending", "sent")
# Listings whose capacity (accepting / waitlist / full) the provider can set in one tap: these
# category codes or any category under them.
CAPACITY_CATEGORY_CODES = frozenset({"transition-house", "shelter", "walk-in"})
# The contact facts a provider can propose changes to on the form (scalar listing fields).
PROPOSED_FIELDS = ("url", "email", "eligibility_description", "fees_description")
TEXT_MAX = 2000
ERROR_MAX = 500


# -- settings and small helpers -------------------------------------------------------------------
def link_days() -> int:
    return int(current_app.config.get("VERIFY_LINK_DAYS", 21))


def reminder_days() -> tuple[int, ...]:
    return tuple(int(d) for d in current_app.config.get("VERIFY_REMINDER_DAYS", (7, 14)))


def provider_actor(req: m.VerificationRequest) -> str:
    """How the audit trail and the review queue name a provider answering through a link."""
    return f"provider <{req.email}>"


def provider_email(service: m.Service) -> str | None:
    """Where to ask: the listing's own e-mail, else its first contact's."""
    if service.email and "@" in service.email:
        return service.email.strip()
    return db.session.scalar(
        sa.select(m.Contact.email).where(m.Contact.service_id == service.id,
                                         m.Contact.email.is_not(None), m.Contact.email != "")
        .order_by(m.Contact.id).limit(1))


def listing_locale(service: m.Service) -> str:
    """The locale the listing's text is written in (our URL code), for the message and link."""
    return normalize_locale(service.text_language) or DEFAULT_LOCALE


def takes_capacity(service: m.Service) -> bool:
    """Whether the listing is a shelter, transition house or walk-in service (or under one)."""
    linked = db.session.scalars(sa.select(m.Attribute.taxonomy_term_id).where(
        m.Attribute.link_entity == "service", m.Attribute.link_id == service.id,
        m.Attribute.taxonomy_term_id.is_not(None))).all()
    if not linked:
        return False
    terms = m.TaxonomyTerm.with_ancestors(db.session, linked)
    return db.session.scalar(sa.select(sa.func.count(m.TaxonomyTerm.id)).where(
        m.TaxonomyTerm.id.in_(terms), m.TaxonomyTerm.code.in_(CAPACITY_CATEGORY_CODES))) > 0


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=LINK_SALT)


def make_token(req: m.VerificationRequest) -> str:
    """The signed token of ``req``'s link."""
    return _serializer().dumps([req.id, req.nonce])


def link_url(req: m.VerificationRequest) -> str:
    """The absolute address of ``req``'s form: DIRECTORY_PUBLIC_URL, else this request's host."""
    base = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    if not base and has_request_context():
        base = request.host_url.rstrip("/")
    if not base:
        raise ValidationError([FieldError("PUBLIC_URL", _(
            "Set DIRECTORY_PUBLIC_URL (the site's address) so e-mailed links point to it."))])
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/",
                                       url_scheme=parts.scheme or "https")
    return adapter.build("provider.update", {"locale": req.locale, "token": make_token(req)},
                         force_external=True)


def _now(now: datetime | None) -> datetime:
    return now or m.utcnow()


# -- creating and sending -------------------------------------------------------------------------
def open_request(service_id: str, *, now: datetime | None = None) -> m.VerificationRequest | None:
    """The listing's request whose link still works, if any."""
    return db.session.scalars(
        sa.select(m.VerificationRequest).where(
            m.VerificationRequest.service_id == service_id,
            m.VerificationRequest.status.in_(OPEN_STATES),
            m.VerificationRequest.expires_at > _now(now))
        .order_by(m.VerificationRequest.id.desc())).first()


def create_request(service: m.Service, *, email: str | None = None,
                   now: datetime | None = None) -> m.VerificationRequest:
    """A new request for ``service``, to ``email`` or the listing's own address. Not sent yet.

    Refused (ValidationError) when there is no address to write to, or a request is open.
    """
    address = (email or provider_email(service) or "").strip()
    if not address or "@" not in address or len(address) > 255:
        raise ValidationError([FieldError("email", _(
            "“%(name)s” has no e-mail address to ask: add one to the listing (or a contact) "
            "first.", name=service.name), service.id)])
    if open_request(service.id, now=now) is not None:
        raise ValidationError([FieldError("service", _(
            "The provider of “%(name)s” has already been asked and the link still works.",
            name=service.name), service.id)])
    when = _now(now)
    req = m.VerificationRequest(
        service_id=service.id, email=address, locale=listing_locale(service),
        nonce=secrets.token_urlsafe(32), status="pending", created_at=when,
        created_by=current_actor(), expires_at=when + timedelta(days=link_days()))
    db.session.add(req)
    db.session.flush()
    return req


def render_message(req: m.VerificationRequest, *, reminder: int = 0) -> tuple[str, str, str]:
    """Subject, plain text and HTML of ``req``'s message, in the listing's language."""
    service = req.service or db.session.get(m.Service, req.service_id)
    env = current_app.jinja_env
    with force_locale(BABEL_LOCALE.get(req.locale, req.locale)):
        name, _name_locale = service.translated("name", req.locale)
        name = " ".join(name.split())  # a line break in a name must not break the header
        context = {"name": name, "link": link_url(req), "reminder": reminder,
                   "expires": format_date(req.expires_at, "long"),
                   "lang": req.locale.replace("_", "-"),
                   "site": _("Support Directory")}
        if reminder:
            subject = _("Reminder: please check your listing “%(name)s”", name=name)
        else:
            subject = _("Please check your listing “%(name)s”", name=name)
        text = env.get_template("email/provider_request.txt").render(subject=subject, **context)
        html = env.get_template("email/provider_request.html").render(subject=subject,
                                                                       **context)
    return subject, text, html


def send_request(req: m.VerificationRequest, *, reminder: int = 0,
                 now: datetime | None = None) -> bool:
    """E-mail ``req``'s link (or its ``reminder``-th reminder) and record how it went.

    A refused or unreachable mail server leaves status "failed" (a first message) with the
    error on the row; it never raises. Call after the request row is committed.
    """
    from flask_mailman import EmailMultiAlternatives

    sender = current_app.config.get("MAIL_DEFAULT_SENDER")
    try:
        if not sender:
            raise smtplib.SMTPException(
                "no sender address: set DIRECTORY_MAIL_DEFAULT_SENDER")
        subject, text, html = render_message(req, reminder=reminder)
        # Our own connection, closed whatever happens (the backend leaves it open when the
        # server refuses a recipient).
        connection = mail.get_connection()
        connection.open()
        try:
            message = EmailMultiAlternatives(subject, text, sender, [req.email],
                                             connection=connection)
            message.attach_alternative(html, "text/html")
            message.send()
        finally:
            try:
                connection.close()
            except (smtplib.SMTPException, OSError):
                pass
    except (smtplib.SMTPException, OSError, ValueError, ValidationError) as exc:
        detail = "; ".join(e.message for e in exc.errors) if isinstance(exc, ValidationError) \
            else f"{type(exc).__name__}: {exc}"
        req.error = detail[:ERROR_MAX]
        if not reminder:
            req.status = "failed"
        db.session.flush()
        return False
    when = _now(now)
    if reminder:
        req.reminders_sent = (req.reminders_sent or 0) + 1
    else:
        req.sent_at = when
        req.status = "sent"
    req.last_sent_at = when
    req.error = None
    db.session.flush()
    return True


def sending_problem() -> str | None:
    """Why no message can be sent from here (a setting missing), or None."""
    if not current_app.config.get("MAIL_DEFAULT_SENDER"):
        return "Set DIRECTORY_MAIL_DEFAULT_SENDER (the From address) to send messages."
    if not current_app.config.get("PUBLIC_URL") and not has_request_context():
        return "Set DIRECTORY_PUBLIC_URL (the site's address) so e-mailed links point to it."
    return None


@dataclass
class Plan:
    """What a bulk send would do: listings to ask, and those skipped (and why)."""

    to_ask: list[tuple[m.Service, str]] = field(default_factory=list)
    no_email: list[m.Service] = field(default_factory=list)
    already_pending: list[m.Service] = field(default_factory=list)
    bounced: list[m.Service] = field(default_factory=list)


def services_due_within(days: int, *, now: datetime | None = None) -> list[m.Service]:
    """Public listings due for a check within ``days`` days (overdue ones included)."""
    limit = _now(now) + timedelta(days=days)
    services = db.session.scalars(sa.select(m.Service).where(m.Service.is_public)
                                  .order_by(m.Service.name, m.Service.id)).all()
    intervals = freshness.intervals_for(services)
    return [s for s in services if freshness.due_at(s, intervals[s.id]) <= limit]


def _waiting_on_provider(service_id: str, now: datetime) -> bool:
    """An open link, or an answer with changes still waiting in the review queue."""
    if open_request(service_id, now=now) is not None:
        return True
    return db.session.scalar(
        sa.select(sa.func.count(m.VerificationRequest.id))
        .join(m.ServiceRevision, m.ServiceRevision.id == m.VerificationRequest.revision_id)
        .where(m.VerificationRequest.service_id == service_id,
               m.ServiceRevision.status == "pending")) > 0


def _bounced_before(service_id: str, address: str) -> bool:
    latest = db.session.scalars(
        sa.select(m.VerificationRequest.status).where(
            m.VerificationRequest.service_id == service_id,
            sa.func.lower(m.VerificationRequest.email) == address.lower())
        .order_by(m.VerificationRequest.id.desc()).limit(1)).first()
    return latest == "bounced"


def plan_requests(due_within: int, *, now: datetime | None = None) -> Plan:
    """Which listings due within ``due_within`` days to ask, and which to skip."""
    when = _now(now)
    plan = Plan()
    for service in services_due_within(due_within, now=when):
        address = provider_email(service)
        if not address:
            plan.no_email.append(service)
        elif _waiting_on_provider(service.id, when):
            plan.already_pending.append(service)
        elif _bounced_before(service.id, address):
            plan.bounced.append(service)
        else:
            plan.to_ask.append((service, address))
    return plan


@dataclass
class SendResult:
    sent: list[m.VerificationRequest] = field(default_factory=list)
    failed: list[m.VerificationRequest] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def send_requests(items: Iterable[tuple[m.Service, str | None]], *, commit: Callable[[], Any],
                  progress: Callable[[int], Any] | None = None,
                  now: datetime | None = None) -> SendResult:
    """Create and send one request per (listing, address), committing each row before its
    message goes out and again after (``commit`` is the caller's transaction)."""
    result = SendResult()
    for service, address in items:
        try:
            req = create_request(service, email=address, now=now)
        except ValidationError as exc:
            db.session.rollback()
            result.refused.extend(e.message for e in exc.errors)
        else:
            commit()
            (result.sent if send_request(req, now=now) else result.failed).append(req)
            commit()
        if progress:
            progress(1)
    return result


# -- reminders, expiry, bounces -------------------------------------------------------------------
def due_reminders(*, now: datetime | None = None) -> list[tuple[m.VerificationRequest, int]]:
    """Sent, unanswered, unexpired requests owed a reminder, with its number (1, 2, ...)."""
    when = _now(now)
    days = reminder_days()
    out = []
    for req in db.session.scalars(
            sa.select(m.VerificationRequest).where(
                m.VerificationRequest.status == "sent",
                m.VerificationRequest.expires_at > when,
                m.VerificationRequest.sent_at.is_not(None))
            .order_by(m.VerificationRequest.id)):
        done = req.reminders_sent or 0
        if done < len(days) and req.sent_at + timedelta(days=days[done]) <= when:
            out.append((req, done + 1))
    return out


def expire_requests(*, now: datetime | None = None) -> int:
    """Mark open requests past their date "expired"; how many were."""
    rows = db.session.scalars(sa.select(m.VerificationRequest).where(
        m.VerificationRequest.status.in_(OPEN_STATES),
        m.VerificationRequest.expires_at <= _now(now))).all()
    for req in rows:
        req.status = "expired"
    db.session.flush()
    return len(rows)


def mark_bounced(req: m.VerificationRequest, *, note: str | None = None) -> m.VerificationRequest:
    """The message to ``req.email`` came back: the link is closed and the team sees it."""
    if req.status == "used":
        raise ValidationError([FieldError("status", _(
            "This request was already answered; it cannot have bounced."), req.service_id)])
    req.status = "bounced"
    if note:
        req.error = note.strip()[:ERROR_MAX]
    db.session.flush()
    return req


def bounce_addresses(addresses: Iterable[str]) -> list[m.VerificationRequest]:
    """Mark the latest unanswered request to each address bounced (fed from bounce mail)."""
    marked = []
    for address in {a.strip().lower() for a in addresses if a and "@" in a}:
        req = db.session.scalars(
            sa.select(m.VerificationRequest).where(
                sa.func.lower(m.VerificationRequest.email) == address,
                m.VerificationRequest.status.in_(("pending", "sent", "expired", "failed")))
            .order_by(m.VerificationRequest.id.desc()).limit(1)).first()
        if req is not None:
            marked.append(mark_bounced(req))
    return marked


# -- the provider's answer ------------------------------------------------------------------------
# Why a link does not open the form.
LINK_BAD, LINK_USED, LINK_EXPIRED, LINK_CLOSED = "bad", "used", "expired", "closed"


def request_for_token(token: str, *, now: datetime | None = None
                      ) -> tuple[m.VerificationRequest | None, str | None]:
    """The request a link's token names, or None and why it does not work (LINK_*)."""
    if not token or len(token) > 512:
        return None, LINK_BAD
    try:
        data = _serializer().loads(token, max_age=(link_days() + 1) * 86400)
    except SignatureExpired:
        return None, LINK_EXPIRED
    except BadSignature:
        return None, LINK_BAD
    if not (isinstance(data, list) and len(data) == 2 and isinstance(data[0], int)
            and isinstance(data[1], str)):
        return None, LINK_BAD
    req = db.session.get(m.VerificationRequest, data[0])
    if req is None or not hmac.compare_digest(req.nonce.encode(), data[1].encode()):
        return None, LINK_BAD
    if req.status == "used":
        return req, LINK_USED
    if req.status == "expired" or req.expires_at <= _now(now):
        if req.status in OPEN_STATES:
            req.status = "expired"
            db.session.flush()
        return req, LINK_EXPIRED
    if req.status not in OPEN_STATES:
        return req, LINK_CLOSED
    return req, None


def _close(req: m.VerificationRequest, outcome: str,
           revision: m.ServiceRevision | None = None) -> None:
    req.status = "used"
    req.used_at = m.utcnow()
    req.outcome = outcome
    req.revision_id = revision.id if revision is not None else None
    db.session.flush()


def update_capacity(req: m.VerificationRequest, state: str) -> m.Service:
    """The provider's one-tap capacity; the link stays open for the rest of the form."""
    service = db.session.get(m.Service, req.service_id)
    if not takes_capacity(service):
        raise ValidationError([FieldError("capacity", _(
            "Capacity is kept only for shelters, transition houses and walk-in services."),
            service.id)])
    with acting_as(provider_actor(req)):
        return hours_exceptions.set_capacity(service, state, by="provider")


def confirm_listing(req: m.VerificationRequest) -> m.Verification:
    """"All correct": a verification by the provider, which moves the listing's due date."""
    service = db.session.get(m.Service, req.service_id)
    with acting_as(provider_actor(req)):
        # "provider", not the address: verified_by is exported with the listing, and the
        # address may be a private contact's (the request row keeps it for staff).
        check = freshness.record_verification(
            service, method="provider", checked_by="provider",
            facts={fact: "confirmed" for fact in m.CHECKED_FACTS}, request=req)
        _close(req, "confirmed")
    return check


@dataclass
class Proposal:
    """What the provider typed: new phone numbers by phone id, a new number, field values,
    and corrections in words (hours, address, anything else)."""

    phones: dict[str, str] = field(default_factory=dict)
    new_phone: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    hours: str = ""
    address: str = ""
    note: str = ""


def _notes(proposal: Proposal) -> str:
    parts = []
    for label, text in ((_("New hours, in the provider's words"), proposal.hours),
                        (_("Address correction"), proposal.address),
                        (_("Note from the provider"), proposal.note)):
        if text.strip():
            parts.append(f"{label}: {text.strip()[:TEXT_MAX]}")
    return "\n".join(parts)


def _summary(base: dict, proposed: dict, parts: list[str]) -> list[str]:
    """Structured changes as lines of text (for a revision that already waits)."""
    def numbers(state: dict) -> str:
        return ", ".join(r.get("number") or "" for r in state.get("phones", []))

    lines = []
    for part in parts:
        if part == "phones":
            lines.append(f"{_('Phones')}: {numbers(base)} → {numbers(proposed)}")
        else:
            lines.append(f"{part}: {base.get(part) or ''} → {proposed.get(part) or ''}")
    return lines


def proposed_state(service: m.Service, proposal: Proposal) -> tuple[dict, dict]:
    """The listing's editable state now, and with the provider's structured changes."""
    import copy

    base = revisions.editable_state(service)
    proposed = copy.deepcopy(base)
    for row in proposed.get("phones", []):
        number = proposal.phones.get(row["id"])
        if number is not None and number.strip() and number.strip() != row.get("number"):
            row["number"] = number.strip()
    if proposal.new_phone.strip():
        proposed["phones"] = sorted(
            [*proposed.get("phones", []),
             {"id": m.new_id(), "service_id": service.id, "number": proposal.new_phone.strip(),
              "type": "voice", "text_language": service.text_language}],
            key=lambda r: r["id"])
    for name in PROPOSED_FIELDS:
        if name in proposal.fields:
            value = proposal.fields[name].strip() or None
            if value != (base.get(name) or None):
                proposed[name] = value
    return base, proposed


def propose_changes(req: m.VerificationRequest, proposal: Proposal) -> m.ServiceRevision:
    """The provider's changes, kept as a pending revision for the review queue.

    Structured changes (phones, website, e-mail, who can use it, cost) are the revision's
    proposed state, applied when a publisher approves; corrections in words (hours, address,
    a note) are its comment, for the reviewer to apply in the editor. When a colleague's change
    already waits for review, the provider's answer is added to that revision's comment.
    """
    service = db.session.get(m.Service, req.service_id)
    base, proposed = proposed_state(service, proposal)
    notes = _notes(proposal)
    parts = revisions.changed_parts(base, proposed)
    if not parts and not notes:
        raise ValidationError([FieldError("changes", _(
            "Nothing was changed. If everything is correct, press “Everything is correct”."),
            service.id)])
    actor = provider_actor(req)
    heading = _("Sent by the provider (%(email)s) through the check link.", email=req.email)
    with acting_as(actor):
        waiting = revisions.pending_revision(service.id)
        if waiting is not None and waiting.proposed_by != actor:
            lines = _summary(base, proposed, parts)
            addition = "\n".join([heading, *lines, *([notes] if notes else [])])
            waiting.comment = "\n\n".join(x for x in (waiting.comment, addition) if x)
            revision = waiting
            db.session.flush()
        elif parts:
            revision = revisions.propose(service.id, base, proposed)
            revision.comment = "\n".join([heading, *([notes] if notes else [])])
            db.session.flush()
        else:
            revision = m.ServiceRevision(service_id=service.id, base=base, proposed=base,
                                         fields=[], proposed_by=actor,
                                         comment="\n".join([heading, notes]))
            db.session.add(revision)
            db.session.flush()
        _close(req, "proposed", revision)
    return revision
