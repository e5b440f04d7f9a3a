"""Provider self-update: e-mailed check links through a real SMTP server, used on the real form."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from factories import make_service, uid
from flask_babel import force_locale
from flask_babel import gettext as _
import smtpbox

from directory import models as m
from directory.extensions import db
from directory.operations import freshness
from directory.operations import provider as ops

# The local SMTP server's fixtures (tests/smtpbox.py).
smtp_server, mailbox, mail_config = smtpbox.smtp_server, smtpbox.mailbox, smtpbox.mail_config
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
LINK = re.compile(r"https://directory\.example\.org(/[a-z_A-Z]+/update/[A-Za-z0-9_.\-]+)")


@pytest.fixture
def app_config(app_config, mail_config):
    # CSRF on, as in production: the provider's form must work without a session.
    return {**app_config, **mail_config, "WTF_CSRF_ENABLED": True,
            "SEARCH_SYNC_ON_COMMIT": False}  # nothing here reads the search index


def _listing(*, days_since_check: int | None = 20, **overrides):
    """A published crisis line (checked every 30 days), last checked that many days ago."""
    service = make_service(**overrides)
    if days_since_check is not None:
        service.last_verified_at = m.utcnow() - timedelta(days=days_since_check)
        db.session.commit()
    return service


def _link(message) -> str:
    match = LINK.search(mailbox_text(message))
    assert match, mailbox_text(message)
    return match.group(1)


def mailbox_text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def _requests(service_id=None):
    query = sa.select(m.VerificationRequest).order_by(m.VerificationRequest.id)
    if service_id:
        query = query.where(m.VerificationRequest.service_id == service_id)
    return db.session.scalars(query).all()


def test_bulk_send_asks_each_due_listing_once_and_the_link_works_once(app, client, runner,
                                                                      mailbox):
    due = _listing(name="Harbour Line", email="harbour@example.org")
    french = _listing(name="Ligne Entraide", email="entraide@example.org",
                      text_language="fr", translations=[])
    _listing(name="Checked Yesterday", email="fresh@example.org", days_since_check=1)
    no_email = _listing(name="No Address Line", email=None)

    result = runner.invoke(args=["verify", "send-requests", "--due-within", "14"])
    assert result.exit_code == 0, result.output
    assert "sent: 2" in result.output
    assert "skipped without e-mail: 1" in result.output
    assert "already pending: 0" in result.output
    assert sorted(str(msg["To"]) for msg in mailbox.messages) == [
        "entraide@example.org", "harbour@example.org"]
    assert not mailbox.to("fresh@example.org")
    assert not _requests(no_email.id)

    # A second run sends nothing more: both listings wait on their provider.
    result = runner.invoke(args=["verify", "send-requests", "--due-within", "14"])
    assert "sent: 0" in result.output and "already pending: 2" in result.output
    assert len(mailbox.messages) == 2

    # The French listing is asked in French (subject, dates, lang) and links to /fr/.
    [fr_message] = mailbox.to("entraide@example.org")
    with force_locale("fr"):
        assert fr_message["Subject"].strip() == _("Please check your listing “%(name)s”",
                                          name="Ligne Entraide")
    fr_req = _requests(french.id)[0]
    assert fr_req.locale == "fr" and _link(fr_message).startswith("/fr/update/")
    month = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
             "septembre", "octobre", "novembre", "décembre"][fr_req.expires_at.month - 1]
    assert month in mailbox_text(fr_message)
    assert 'lang="fr"' in fr_message.get_body(preferencelist=("html",)).get_content()

    [message] = mailbox.to("harbour@example.org")
    assert "Harbour Line" in message["Subject"]
    req = _requests(due.id)[0]
    assert req.status == "sent" and req.sent_at is not None and req.error is None
    path = _link(message)
    page = client.get(path)
    assert page.status_code == 200
    assert "Set-Cookie" not in page.headers  # no session, no CSRF cookie, nothing
    assert page.headers["Cache-Control"].startswith("no-store")
    html = page.get_data(as_text=True)
    assert "Harbour Line" in html and "604-555-0142" in html
    assert "1234 Secret Street" not in html  # a confidential address never shows, even here

    before_due = freshness.due_at(due)
    answer = client.post(path, data={"action": "confirm"})
    assert answer.status_code == 303 and "Set-Cookie" not in answer.headers
    thanks = client.get(answer.headers["Location"])
    assert thanks.status_code == 200 and "Thank you" in thanks.get_data(as_text=True)
    db.session.expire_all()
    check = freshness.latest_verification(due.id)
    assert check.method == "provider" and check.request_id == req.id
    assert check.checked_by == "provider"  # the address stays on the request, for staff
    service = db.session.get(m.Service, due.id)
    assert service.last_verified_method == "provider"
    assert freshness.due_at(service) > before_due + timedelta(days=15)
    assert db.session.get(m.VerificationRequest, req.id).status == "used"

    # Second use: the calm "already used" page, nothing recorded twice.
    again = client.get(path)
    assert again.status_code == 410
    assert "already been used" in again.get_data(as_text=True)
    assert client.post(path, data={"action": "confirm"}).status_code == 410
    assert db.session.scalar(sa.select(sa.func.count(m.Verification.id))
                             .where(m.Verification.service_id == due.id)) == 1


@SQLITE_ONLY
def test_expired_tampered_and_unknown_links_are_refused_calmly(app, client, mailbox):
    service = _listing(email="harbour@example.org")
    req = ops.create_request(service)
    db.session.commit()
    assert ops.send_request(req)
    db.session.commit()
    path = _link(mailbox.messages[0])
    req.expires_at = m.utcnow() - timedelta(minutes=1)
    db.session.commit()
    page = client.get(path)
    assert page.status_code == 410 and "expired" in page.get_data(as_text=True)
    assert client.post(path, data={"action": "confirm"}).status_code == 410
    db.session.expire_all()
    assert db.session.get(m.VerificationRequest, req.id).status == "expired"
    assert freshness.latest_verification(service.id) is None

    assert client.get(path[:-3] + "abc").status_code == 404  # tampered signature
    assert client.get("/en/update/not-a-token").status_code == 404
    assert client.get("/xx/update/whatever").status_code == 404


@SQLITE_ONLY
def test_a_proposed_phone_change_waits_for_review(app, client, mailbox):
    service = _listing(email="harbour@example.org")
    phone_id = service.phones[0].id
    req = ops.create_request(service)
    db.session.commit()
    ops.send_request(req)
    db.session.commit()
    path = _link(mailbox.messages[0])

    bad = client.post(path, data={"action": "propose", f"phone-{phone_id}": "call us!"})
    assert bad.status_code == 400
    assert "Write a phone number with digits" in bad.get_data(as_text=True)
    nothing = client.post(path, data={"action": "propose", f"phone-{phone_id}": "604-555-0142"})
    assert nothing.status_code == 400 and "Nothing was changed" in nothing.get_data(as_text=True)

    answer = client.post(path, data={"action": "propose", f"phone-{phone_id}": "604-555-0199",
                                     "hours": "Now also open on holidays",
                                     "url": "", "email": "harbour@example.org"})
    assert answer.status_code == 303
    db.session.expire_all()
    [revision] = db.session.scalars(sa.select(m.ServiceRevision)).all()
    assert revision.status == "pending" and revision.fields == ["phones"]
    assert revision.proposed["phones"][0]["number"] == "604-555-0199"
    assert revision.proposed_by == "provider <harbour@example.org>"
    assert "Now also open on holidays" in revision.comment
    # The live listing is unchanged until a publisher approves.
    assert db.session.get(m.Service, service.id).phones[0].number == "604-555-0142"
    req = db.session.get(m.VerificationRequest, req.id)
    assert req.status == "used" and req.outcome == "proposed" and req.revision_id == revision.id
    # The listing is not asked again while the answer waits in the review queue.
    plan = ops.plan_requests(14)
    assert [s.id for s in plan.already_pending] == [service.id] and not plan.to_ask


@SQLITE_ONLY
def test_reminders_after_seven_and_fourteen_days_then_expiry(app, runner, mailbox):
    service = _listing(email="harbour@example.org")
    answered = _listing(email="answered@example.org")
    for listing in (service, answered):
        req = ops.create_request(listing)
        db.session.commit()
        ops.send_request(req)
        db.session.commit()
    ops.confirm_listing(_requests(answered.id)[0])
    db.session.commit()
    req = _requests(service.id)[0]
    mailbox.clear()

    assert "reminders sent: 0" in runner.invoke(args=["verify", "send-reminders"]).output
    for days, expected in ((8, 1), (15, 2)):
        req.sent_at = m.utcnow() - timedelta(days=days)
        db.session.commit()
        result = runner.invoke(args=["verify", "send-reminders"])
        assert "reminders sent: 1" in result.output, result.output
        assert "reminders sent: 0" in runner.invoke(args=["verify", "send-reminders"]).output
        db.session.expire_all()
        assert db.session.get(m.VerificationRequest, req.id).reminders_sent == expected
    assert [str(msg["To"]) for msg in mailbox.messages] == ["harbour@example.org"] * 2
    assert mailbox.messages[0]["Subject"].strip().startswith("Reminder")
    assert _link(mailbox.messages[0]) == _link(mailbox.messages[1])  # the same link

    req = db.session.get(m.VerificationRequest, req.id)
    req.expires_at = m.utcnow() - timedelta(hours=1)
    db.session.commit()
    assert "expired: 1" in runner.invoke(args=["verify", "send-reminders"]).output
    db.session.expire_all()
    assert db.session.get(m.VerificationRequest, req.id).status == "expired"


@SQLITE_ONLY
def test_dry_run_sends_and_saves_nothing(app, runner, mailbox):
    _listing(name="Harbour Line", email="harbour@example.org")
    result = runner.invoke(args=["verify", "send-requests", "--due-within", "14", "--dry-run"])
    assert result.exit_code == 0
    assert "Would ask: Harbour Line <harbour@example.org>" in result.output
    assert "would send: 1" in result.output
    assert not mailbox.messages and not _requests()
    assert "--due-within" in runner.invoke(args=["verify", "send-requests", "--help"]).output


@SQLITE_ONLY
def test_a_refused_message_is_recorded_as_failed_not_raised(app, runner, mailbox):
    service = _listing(email="harbour@example.org")
    mailbox.refuse = True
    result = runner.invoke(args=["verify", "send-requests", "--due-within", "14"])
    assert result.exit_code == 0 and "failed: 1" in result.output
    [req] = _requests(service.id)
    assert req.status == "failed" and "550" in req.error and req.sent_at is None
    # A failed request does not block the next run.
    mailbox.refuse = False
    assert "sent: 1" in runner.invoke(args=["verify", "send-requests"]).output


@SQLITE_ONLY
def test_no_address_is_refused_clearly(app):
    service = _listing(email=None)
    with pytest.raises(ops.ValidationError) as caught:
        ops.create_request(service)
    assert "has no e-mail address" in caught.value.errors[0].message


@SQLITE_ONLY
def test_a_shelter_sets_its_capacity_in_one_tap(app, client, mailbox):
    house = m.TaxonomyTerm(id=uid(), code="transition-house", name="Transition house")
    db.session.add(house)
    service = _listing(email="house@example.org", crisis_line=False)
    db.session.add(m.Attribute(id=uid(), link_id=service.id, link_entity="service",
                               link_type="category", taxonomy_term_id=house.id))
    plain = _listing(email="plain@example.org")
    db.session.commit()
    paths = {}
    for listing in (service, plain):
        req = ops.create_request(listing)
        db.session.commit()
        ops.send_request(req)
        db.session.commit()
        paths[listing.id] = _link(mailbox.to(listing.email)[0])

    assert "Can you take people now?" not in client.get(paths[plain.id]).get_data(as_text=True)
    assert client.post(paths[plain.id], data={"action": "capacity",
                                              "capacity": "full"}).status_code == 400
    form = client.get(paths[service.id]).get_data(as_text=True)
    assert "Can you take people now?" in form
    tap = client.post(paths[service.id], data={"action": "capacity", "capacity": "waitlist"})
    assert tap.status_code == 303
    db.session.expire_all()
    service = db.session.get(m.Service, service.id)
    assert service.capacity == "waitlist" and service.capacity_updated_by == "provider"
    assert service.capacity_updated_at is not None
    # The tap leaves the link open for the rest of the form.
    assert client.get(tap.headers["Location"]).status_code == 200
    assert client.post(paths[service.id], data={"action": "capacity",
                                                "capacity": "many"}).status_code == 400


@SQLITE_ONLY
def test_an_unreachable_mail_server_is_a_failed_send(app, mailbox):
    service = _listing(email="harbour@example.org")
    app.extensions["mailman"].port = smtpbox.free_port()  # nothing listens there
    req = ops.create_request(service)
    db.session.commit()
    assert ops.send_request(req) is False
    db.session.commit()
    assert req.status == "failed" and "Connection" in req.error
    assert not mailbox.messages


@SQLITE_ONLY
def test_the_commands_refuse_to_send_without_a_sender(app, runner, mailbox):
    _listing(email="harbour@example.org")
    app.config["MAIL_DEFAULT_SENDER"] = None
    for command in (["verify", "send-requests"], ["verify", "send-reminders"]):
        result = runner.invoke(args=command)
        assert result.exit_code == 1 and "DIRECTORY_MAIL_DEFAULT_SENDER" in result.output
    assert not _requests() and not mailbox.messages


@SQLITE_ONLY
def test_a_line_break_in_a_name_does_not_break_the_message(app, mailbox):
    service = _listing(email="harbour@example.org")
    service.name = "Harbour\r\nBcc: someone@example.org"
    db.session.commit()
    req = ops.create_request(service)
    db.session.commit()
    assert ops.send_request(req)
    [message] = mailbox.messages
    assert message["Bcc"] is None and "Harbour Bcc:" in message["Subject"]
