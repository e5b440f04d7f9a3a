"""The print view carries every fact; the multi-listing handout prints picked listings."""

import re


def _facts(demo):
    """A public listing with a website, an e-mail and eligibility, the facts a print needs."""
    return next(s for s in demo["public"] if s.url and s.email and s.eligibility_description
                and s.required_documents)


def test_print_view_carries_every_fact(client, demo):
    service = _facts(demo)
    html = client.get(f"/services/{service.id}/print").get_data(as_text=True)
    assert "<title>Notes</title>" in html
    for text in ("Website", service.url, "E-mail", service.email, "Who it is for",
                 "What to bring", service.required_documents[0].document, "Phone",
                 "stay in your phone", ("Last checked", "Checked ", "Not checked since")
                 if service.last_verified_at else "Not yet checked"):
        if isinstance(text, tuple):
            assert any(t in html for t in text), text
            continue
        assert text in html, text
    assert 'class="safe-contact"' in html
    assert "safety-alert" not in html and "quick-exit" not in html


def test_print_view_keeps_a_confidential_address_out(client, demo):
    service = demo["confidential"]
    html = client.get(f"/services/{service.id}/print").get_data(as_text=True)
    location = next(sal.location for sal in service.service_at_locations
                    if sal.location and sal.location.confidential)
    for address in location.addresses:
        assert address.address_1 not in html
    assert "shared only when you call" in html


def test_results_can_be_picked_for_a_handout(client, demo):
    html = client.post("/search", data={"q": ""}).get_data(as_text=True)
    assert '<form id="handout-form"' in html and 'action="/handout"' in html
    picks = re.findall(r'<input type="checkbox" name="ids" value="([^"]+)"[^>]*form="handout-form"',
                       html)
    assert len(picks) >= 5


def test_handout_prints_the_picked_listings_in_the_chosen_language(client, demo):
    first, second = demo["open_site"], demo["confidential"]
    response = client.post("/handout", data={"ids": [first.id, second.id, "not-an-id"],
                                            "language": "fr", "large_print": "1"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    html = response.get_data(as_text=True)
    assert '<html lang="fr" dir="ltr">' in html and 'class="large-print"' in html
    assert html.count('class="handout-listing"') == 2
    assert "<title>Notes</title>" in html
    assert "Téléphone" in html or "Ce qu'ils offrent" in html or "Ce qu’ils offrent" in html


def test_handout_without_a_pick_is_a_clear_400(client, demo):
    response = client.post("/fr/handout", data={"ids": ["nope"]})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="quick-exit"' in html and 'role="search"' in html
    assert client.post("/handout", data={}).status_code == 400
    assert client.get("/fr/handout").status_code == 405


def test_listing_links_a_large_print_view(client, demo):
    service = demo["open_site"]
    html = client.get(f"/services/{service.id}").get_data(as_text=True)
    assert f'href="/services/{service.id}/print?large=1"' in html
    printout = client.get(f"/services/{service.id}/print?large=1").get_data(as_text=True)
    assert '<body class="large-print">' in printout
    assert '<body class="large-print">' not in client.get(
        f"/services/{service.id}/print").get_data(as_text=True)
