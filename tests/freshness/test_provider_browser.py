"""The provider's form in a real browser: accessible, works without JavaScript, sets no cookie."""

from __future__ import annotations

import pytest
import smtpbox
import sqlalchemy as sa
from browsing import axe_violations
from factories import make_service, uid

from directory import models as m
from directory.extensions import db
from directory.operations import provider as ops

smtp_server, mailbox, mail_config = smtpbox.smtp_server, smtpbox.mailbox, smtpbox.mail_config
pytestmark = [pytest.mark.browser,
              pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


@pytest.fixture
def app_config(app_config, mail_config):
    return {**app_config, **mail_config, "WTF_CSRF_ENABLED": True,
            "SEARCH_SYNC_ON_COMMIT": False}  # nothing here reads the search index


def _sent_link(service) -> str:
    req = ops.create_request(service)
    db.session.commit()
    assert ops.send_request(req)
    db.session.commit()
    return ops.link_url(req).split("directory.example.org", 1)[1]


def test_a_shelter_answers_without_javascript_and_gets_no_cookie(app, live_server, browser,
                                                                 mailbox):
    house = m.TaxonomyTerm(id=uid(), code="transition-house", name="Transition house")
    db.session.add(house)
    service = make_service(name="Harbour House", email="house@example.org", crisis_line=False)
    db.session.add(m.Attribute(id=uid(), link_id=service.id, link_entity="service",
                               link_type="category", taxonomy_term_id=house.id))
    db.session.commit()
    path = _sent_link(service)

    # Accessibility (axe needs JavaScript for itself; the page needs none).
    context = browser.new_context(bypass_csp=True)
    tab = context.new_page()
    tab.goto(live_server.url + path)
    assert axe_violations(tab) == []
    context.close()

    context = browser.new_context(java_script_enabled=False)
    tab = context.new_page()
    tab.goto(live_server.url + path)
    tab.get_by_role("button", name="Waitlist").click()
    assert tab.get_by_role("status").inner_text().startswith("Thank you")
    phone = tab.get_by_label("Phone number")
    phone.fill("604-555-0199")
    tab.get_by_role("button", name="Send my changes").click()
    assert tab.get_by_role("heading", level=1).inner_text() == "Thank you"
    assert context.cookies() == []
    context.close()

    db.session.expire_all()
    service = db.session.get(m.Service, service.id)
    assert service.capacity == "waitlist"
    revision = db.session.scalars(sa.select(m.ServiceRevision)).one()
    assert revision.status == "pending"
    assert revision.proposed["phones"][0]["number"] == "604-555-0199"
    assert service.phones[0].number == "604-555-0142"
