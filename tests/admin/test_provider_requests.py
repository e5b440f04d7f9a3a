"""Provider requests in the back office: ask from the listing, bulk send, the list, bounces."""

from __future__ import annotations

from datetime import timedelta

import pytest
import smtpbox
import sqlalchemy as sa
from factories import make_service

from directory import models as m
from directory.extensions import db

smtp_server, mailbox, mail_config = smtpbox.smtp_server, smtpbox.mailbox, smtpbox.mail_config
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def app_config(app_config, mail_config):
    return {**app_config, **mail_config, "SEARCH_SYNC_ON_COMMIT": False}  # no search here


def _due(**overrides):
    service = make_service(**overrides)
    service.last_verified_at = m.utcnow() - timedelta(days=25)
    db.session.commit()
    return service


def _requests():
    return db.session.scalars(sa.select(m.VerificationRequest)
                              .order_by(m.VerificationRequest.id)).all()


def test_ask_the_provider_from_the_listing_editor(app, signed_in, mailbox):
    service = _due(name="Harbour Line", email="harbour@example.org")
    nobody = _due(name="No Address Line", email=None)
    editor = signed_in("editor")
    page = editor.get(f"/admin/service/edit/?id={service.id}").get_data(as_text=True)
    assert "Ask the provider to check" in page

    answer = editor.post("/admin/provider-requests/send",
                         data={"service_id": service.id, "back": "listing"})
    assert answer.status_code == 302 and f"id={service.id}" in answer.headers["Location"]
    assert [str(msg["To"]) for msg in mailbox.messages] == ["harbour@example.org"]
    [req] = _requests()
    assert req.status == "sent" and req.created_by == "editor@example.org"

    # Asking again while the link works, or a listing without an address: a clear refusal.
    again = editor.post("/admin/provider-requests/send",
                        data={"service_id": service.id, "back": "listing"},
                        follow_redirects=True).get_data(as_text=True)
    assert "has already been asked" in again
    refused = editor.post("/admin/provider-requests/send", data={"service_id": nobody.id},
                          follow_redirects=True).get_data(as_text=True)
    assert "has no e-mail address" in refused
    assert len(mailbox.messages) == 1 and len(_requests()) == 1
    bad = editor.post("/admin/provider-requests/send", data={"service_id": "nope"})
    assert bad.status_code == 302


def test_bulk_send_preview_then_send_and_mark_bounced(app, signed_in, mailbox):
    _due(name="Harbour Line", email="harbour@example.org")
    _due(name="Valley Line", email="valley@example.org")
    fresh = make_service(name="Fresh Line", email="fresh@example.org")
    fresh.last_verified_at = m.utcnow()
    db.session.commit()
    _due(name="No Address Line", email=None)
    editor = signed_in("editor")

    preview = editor.post("/admin/provider-requests/bulk", data={"days": "14"})
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Would ask 2 listing(s)" in html
    assert "No Address Line" in html and "Fresh Line" not in html
    assert not mailbox.messages and not _requests()
    assert editor.post("/admin/provider-requests/bulk",
                       data={"days": "many", "mode": "send"}).status_code == 302
    assert not _requests()

    sent = editor.post("/admin/provider-requests/bulk", data={"days": "14", "mode": "send"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Sent: 2." in sent and "1 without e-mail" in sent
    assert sorted(str(msg["To"]) for msg in mailbox.messages) == [
        "harbour@example.org", "valley@example.org"]

    # Bounces: one by its button, one from pasted addresses; both highlighted for the team.
    first, second = _requests()
    editor.post("/admin/provider-requests/bounce", data={"request_id": str(first.id)})
    editor.post("/admin/provider-requests/bounce",
                data={"addresses": "VALLEY@example.org\nunknown@example.org"})
    db.session.expire_all()
    assert [r.status for r in _requests()] == ["bounced", "bounced"]
    listing = editor.get("/admin/provider-requests/?status=attention").get_data(as_text=True)
    assert listing.count('data-status="bounced"') == 2 and "table-danger" in listing
    assert editor.post("/admin/provider-requests/bounce",
                       data={"request_id": "x"}).status_code == 302

    # Expired links are listed as such; a bounced address is not asked again.
    second.status = "sent"
    second.expires_at = m.utcnow() - timedelta(days=1)
    db.session.commit()
    listing = editor.get("/admin/provider-requests/").get_data(as_text=True)
    assert 'data-status="expired"' in listing and "table-warning" in listing
    again = editor.post("/admin/provider-requests/bulk", data={"days": "14"})
    assert "The last message to their address bounced" in again.get_data(as_text=True)


def test_hours_in_words_reach_the_review_queue_and_approve_cleanly(app, signed_in, client,
                                                                   mailbox):
    from directory.operations import provider as ops

    service = _due(name="Harbour Line", email="harbour@example.org")
    req = ops.create_request(service)
    db.session.commit()
    ops.send_request(req)
    db.session.commit()
    path = ops.link_url(req).split("directory.example.org", 1)[1]
    answer = client.post(path, data={"action": "propose", "hours": "Closed on Sundays now",
                                     "address": "We moved next door"})
    assert answer.status_code == 303
    [revision] = db.session.scalars(sa.select(m.ServiceRevision)).all()
    assert revision.status == "pending" and revision.fields == []

    admin = signed_in("admin")
    queue = admin.get("/admin/review/").get_data(as_text=True)
    assert "Harbour Line" in queue and "provider &lt;harbour@example.org&gt;" in queue
    detail = admin.get(f"/admin/review/{revision.id}").get_data(as_text=True)
    assert "Closed on Sundays now" in detail and "We moved next door" in detail
    decided = admin.post(f"/admin/review/{revision.id}/decide", data={"decision": "approve"})
    assert decided.status_code == 302
    db.session.expire_all()
    assert db.session.get(m.ServiceRevision, revision.id).status == "approved"
    assert db.session.get(m.Service, service.id).phones[0].number == "604-555-0142"
    requests = admin.get("/admin/provider-requests/").get_data(as_text=True)
    assert "Changes proposed" in requests
