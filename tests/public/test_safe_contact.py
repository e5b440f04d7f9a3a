"""The safest way to reach a service: on the listing, on cards, and as a search filter."""

import re

import sqlalchemy as sa

from directory import models as m
from directory.extensions import db


def test_listing_shows_the_quiet_ways_and_the_history_reminder(client, demo):
    texter = next(s for s in demo["public"] if any(p.text_ok for p in s.phones))
    html = client.get(f"/services/{texter.id}").get_data(as_text=True)
    section = html[html.index('class="safest"'):]
    section = section[:section.index("</section>")]
    assert "Text messages are OK" in section
    assert "stay in your phone&#39;s history" in section or "stay in your phone's history" \
        in section
    # It comes before the description: contact first.
    assert html.index('class="safest"') < html.index("What they offer")
    html = client.get(f"/fr/services/{texter.id}").get_data(as_text=True)
    assert "Les textos sont possibles" in html


def test_cant_talk_filter_keeps_only_quiet_ways(client, demo):
    everything = client.post("/search", data={"q": ""}).get_data(as_text=True)
    quiet = client.post("/search", data={"q": "", "flag": "quiet_contact"})
    assert quiet.status_code == 200
    html = quiet.get_data(as_text=True)
    total = int(re.search(r'role="status"[^>]*>(\d+)', everything).group(1))
    count = int(re.search(r'role="status"[^>]*>(\d+)', html).group(1))
    assert 0 < count < total
    assert 'id="quiet_contact" name="flag" value="quiet_contact" checked' in html
    assert 'value="flag=quiet_contact"' in html  # a removable chip
    # Shown once, as its own checkbox, not again among the features.
    assert html.count('value="quiet_contact"') == 1
    # Every listing on the first page can be reached without a call.
    for service_id in re.findall(r'<a href="/services/([0-9a-f-]{36})"', html):
        service = db.session.get(m.Service, service_id)
        codes = set(db.session.scalars(
            sa.select(m.TaxonomyTerm.code).join(
                m.Attribute, m.Attribute.taxonomy_term_id == m.TaxonomyTerm.id)
            .where(m.Attribute.link_entity == "service", m.Attribute.link_id == service.id)))
        assert any(p.text_ok or p.tty for p in service.phones) or "online-service" in codes, \
            service.name
