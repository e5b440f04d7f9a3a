"""The HSDS 3.0 endpoints: only published listings, no confidential address, valid responses."""

import json

import pytest
from factories import make_service, uid

from directory import models as m
from directory.extensions import db
from directory.operations.records import save_record

TERM_ID = "6c1bd1a3-9b7f-4a36-9b8a-1f2b3c4d5e60"
CHILD_TERM_ID = "6c1bd1a3-9b7f-4a36-9b8a-1f2b3c4d5e61"


@pytest.fixture
def listings(app, index):
    """A published shelter (confidential site), a published clinic and a draft."""
    save_record(m.TaxonomyTerm, {"id": TERM_ID, "name": "Shelter", "description": "",
                                 "code": "shelter"})
    save_record(m.TaxonomyTerm, {"id": CHILD_TERM_ID, "name": "Transition house",
                                 "description": "", "parent_id": TERM_ID})
    db.session.commit()
    shelter = make_service(attributes=[{"id": uid(), "taxonomy_term_id": CHILD_TERM_ID}])
    clinic = make_service(
        name="Riverside Sexual Health Clinic", description="STI testing, walk in.",
        crisis_line=False, open_24_7=False, translations=[],
        organization={"id": uid(), "name": "Riverside Health", "description": "A clinic."},
        service_at_locations=[{"id": uid(), "location": {
            "id": uid(), "location_type": "physical", "name": "Riverside Clinic",
            "latitude": 49.2, "longitude": -123.1,
            "addresses": [{"id": uid(), "address_1": "10 River Road", "city": "Vancouver",
                           "state_province": "BC", "postal_code": "V6B 1A1", "country": "CA",
                           "address_type": "physical"}]}}])
    draft = make_service(publish=False, name="Unpublished Draft Listing",
                         organization={"id": uid(), "name": "Draft Org", "description": "x"})
    return {"shelter": shelter, "clinic": clinic, "draft": draft}


def test_root_names_version_profile_and_document(client, conforms):
    response = client.get("/api/v1/")
    body = conforms(response, "/")
    assert body["version"] == "3.0"
    assert body["profile"] == "http://localhost/api/v1/profile"  # the request's host
    assert client.get(body["profile"]).status_code == 200
    assert client.get(body["openapi_url"]).status_code == 200
    assert client.get(body["docs_url"]).status_code == 200


def test_openapi_document_is_a_valid_31_spec_covering_every_endpoint(client):
    from openapi_spec_validator import validate

    document = client.get("/api/v1/openapi.json").get_json()
    validate(document)
    assert document["openapi"] == "3.1.0"
    for path in ("/", "/services", "/services/{service_id}", "/organizations",
                 "/organizations/{organization_id}", "/service_at_locations",
                 "/service_at_locations/{sal_id}", "/taxonomies", "/taxonomy_terms", "/search"):
        assert path in document["paths"]
    assert "post" in document["paths"]["/search"]


def test_services_page_lists_only_published_listings(client, listings, conforms):
    body = conforms(client.get("/api/v1/services?per_page=1"), "/services")
    assert body["total_items"] == 2 and body["total_pages"] == 2
    assert body["size"] == 1 and body["first_page"] and not body["last_page"]
    second = conforms(client.get("/api/v1/services?per_page=1&page=2"), "/services")
    assert second["last_page"] and not second["first_page"]
    names = {body["contents"][0]["name"], second["contents"][0]["name"]}
    assert names == {"Harbour Women's Crisis Line", "Riverside Sexual Health Clinic"}
    assert client.get(f"/api/v1/services/{listings['draft'].id}").status_code == 404
    beyond = conforms(client.get("/api/v1/services?page=9"), "/services")
    assert beyond["empty"] and beyond["contents"] == []


def test_confidential_address_never_appears_anywhere(client, listings, conforms):
    shelter = listings["shelter"]
    sal_id = shelter.service_at_locations[0].id
    org_id = shelter.organization_id
    responses = [
        (client.get(f"/api/v1/services/{shelter.id}"), "/services/{service_id}"),
        (client.get("/api/v1/services?full=true"), "/services"),
        (client.get("/api/v1/service_at_locations?full=true"), "/service_at_locations"),
        (client.get(f"/api/v1/service_at_locations/{sal_id}"), "/service_at_locations/{sal_id}"),
        (client.get(f"/api/v1/organizations/{org_id}?full_service=true"),
         "/organizations/{organization_id}"),
        (client.get("/api/v1/organizations?full=true&full_service=true"), "/organizations"),
    ]
    for response, path in responses:
        assert response.status_code == 200, path
        conforms(response, path)
        text = response.get_data(as_text=True)
        assert "Secret Street" not in text and "V5L" not in text, path
        assert "49.2781" not in text and "-123.069" not in text, path
    full = client.get(f"/api/v1/services/{shelter.id}").get_json()
    location = full["service_at_locations"][0]["location"]
    assert location["public_area"] == "East Vancouver"
    assert location["addresses"] == []
    ndjson = client.get("/api/v1/service_at_locations?format=ndjson&full=true")
    assert "Secret Street" not in ndjson.get_data(as_text=True)


def test_full_service_is_nested_and_valid(client, listings, conforms):
    body = conforms(client.get(f"/api/v1/services/{listings['clinic'].id}"),
                    "/services/{service_id}")
    assert body["organization"]["name"] == "Riverside Health"
    assert body["service_at_locations"][0]["location"]["addresses"][0]["postal_code"] == "V6B 1A1"
    assert body["phones"][0]["number"] == "604-555-0142"


def test_filters_by_term_including_children_organization_and_date(client, listings):
    def names(url):
        return {s["name"] for s in client.get(url).get_json()["contents"]}

    assert names(f"/api/v1/services?taxonomy_term_id={TERM_ID}") == \
        {"Harbour Women's Crisis Line"}
    org = listings["clinic"].organization_id
    assert names(f"/api/v1/services?organization_id={org}") == {"Riverside Sexual Health Clinic"}
    assert names("/api/v1/services?modified_after=2000-01-01T00:00:00Z") and \
        not names("/api/v1/services?modified_after=2999-01-01T00:00:00Z")
    minimal = client.get("/api/v1/services?minimal=true").get_json()["contents"]
    assert all(set(item) == {"id", "last_modified"} for item in minimal)


def test_search_parameter_uses_the_search_service_in_any_language(client, listings):
    body = client.get("/api/v1/services?search=ligne%20de%20crise&locale=fr").get_json()
    assert [s["id"] for s in body["contents"]] == [listings["shelter"].id]


def test_postcode_and_proximity_find_public_sites_only(client, listings, conforms):
    near = conforms(client.get("/api/v1/service_at_locations?postcode=V6B1A1&proximity=2000"),
                    "/service_at_locations")
    assert [sal["service"]["name"] for sal in near["contents"]] == \
        ["Riverside Sexual Health Clinic"]
    # The confidential site's own postcode reveals nothing.
    hidden = client.get("/api/v1/services?postcode=V5L1A1").get_json()
    assert hidden["total_items"] == 0
    unknown = client.get("/api/v1/services?postcode=Z9Z9Z9&proximity=1000")
    assert unknown.status_code == 400 and unknown.get_json()["field"] == "postcode"
    # A postcode no listing gives is measured from its area's centre (the bundled table): V6Z
    # (south-west downtown Vancouver) lies about 9 km from the clinic.
    def names(url):
        return [s["name"] for s in client.get(url).get_json()["contents"]]

    assert names("/api/v1/services?postcode=V6Z%201A1&proximity=10000") == \
        ["Riverside Sexual Health Clinic"]
    assert names("/api/v1/services?postcode=V6Z1A1&proximity=5000") == []


def test_locale_picks_translations_and_marks_fallback(client, listings):
    shelter = client.get(f"/api/v1/services/{listings['shelter'].id}",
                         headers={"Accept-Language": "fr-CA,fr;q=0.9"}).get_json()
    assert shelter["name"] == "Ligne de crise Harbour pour femmes"
    assert shelter["display_locale"] == "fr"
    assert "name" not in shelter["fallback_fields"]
    clinic = client.get(f"/api/v1/services/{listings['clinic'].id}?locale=fr").get_json()
    assert clinic["name"] == "Riverside Sexual Health Clinic"
    assert {"name", "description"} <= set(clinic["fallback_fields"])
    plain = client.get(f"/api/v1/services/{listings['shelter'].id}").get_json()
    assert plain["name"] == "Harbour Women's Crisis Line" and "display_locale" not in plain


def test_ndjson_streams_every_result(client, listings):
    response = client.get("/api/v1/services?format=ndjson&per_page=1")
    assert response.mimetype == "application/x-ndjson"
    rows = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert len(rows) == 2


def test_organizations_and_taxonomy_endpoints(client, listings, conforms):
    orgs = conforms(client.get("/api/v1/organizations"), "/organizations")
    assert "Draft Org" not in {o["name"] for o in orgs["contents"]}
    draft_org = listings["draft"].organization_id
    assert client.get(f"/api/v1/organizations/{draft_org}").status_code == 404
    terms = conforms(client.get(f"/api/v1/taxonomy_terms?parent_id={TERM_ID}"), "/taxonomy_terms")
    assert [t["name"] for t in terms["contents"]] == ["Transition house"]
    top = client.get("/api/v1/taxonomy_terms?top_only=true").get_json()
    assert [t["name"] for t in top["contents"]] == ["Shelter"]
    conforms(client.get(f"/api/v1/taxonomy_terms/{TERM_ID}"), "/taxonomy_terms/{term_id}")
    conforms(client.get("/api/v1/taxonomies"), "/taxonomies")


BAD_PARAMETERS = [
    ("page=0", "page"), ("page=abc", "page"), ("per_page=1000", "per_page"),
    ("format=xml", "format"), ("taxonomy_term_id=not-a-uuid", "taxonomy_term_id"),
    ("modified_after=yesterday", "modified_after"), ("full=maybe", "full"),
    ("locale=xx", "locale"), ("proximity=5", "postcode"), ("search=" + "a" * 300, "search"),
    ("page=1&page=2", "page"),
]


def test_bad_parameters_get_a_clear_json_400(client, conforms):
    for query, field in BAD_PARAMETERS:
        response = client.get(f"/api/v1/services?{query}")
        assert response.status_code == 400, query
        body = conforms(response, "/services")
        assert body["field"] == field and body["message"], query


def test_unknown_ids_and_paths_are_json_404s(client, listings, conforms):
    for url, path in (("/api/v1/services/nope", "/services/{service_id}"),
                      (f"/api/v1/organizations/{uid()}", "/organizations/{organization_id}"),
                      (f"/api/v1/service_at_locations/{uid()}",
                       "/service_at_locations/{sal_id}")):
        response = client.get(url)
        assert response.status_code == 404
        assert "No published" in conforms(response, path)["message"]
    assert client.get("/api/v1/no/such/thing").get_json()["status"] == 404


def test_last_modified_in_every_mode_and_modified_after_sync_over_full_records(client, listings):
    from directory.extensions import db
    from directory import models as m

    full = client.get("/api/v1/services?full=true").get_json()["contents"]
    listed = client.get("/api/v1/services").get_json()["contents"]
    minimal = client.get("/api/v1/services?minimal=true").get_json()["contents"]
    assert full and all(item.get("last_modified") for item in full + listed)
    by_id = {item["id"]: item["last_modified"] for item in minimal}
    for item in full + listed:
        assert item["last_modified"] == by_id[item["id"]]
        detail = client.get(f"/api/v1/services/{item['id']}").get_json()
        assert detail["last_modified"] == item["last_modified"]
    watermark = max(item["last_modified"] for item in full)
    again = client.get(f"/api/v1/services?full=true&modified_after={watermark}").get_json()
    assert {i["id"] for i in again["contents"]} <= {i["id"] for i in full}
    from directory.operations import update_service

    changed = db.session.get(m.Service, full[0]["id"])
    update_service(changed.id, {"name": changed.name + " (renamed)"})
    db.session.commit()
    later = client.get(f"/api/v1/services?full=true&modified_after={watermark}").get_json()
    assert changed.id in {i["id"] for i in later["contents"]}
    assert max(i["last_modified"] for i in later["contents"]) > watermark


def test_hsds_31_fields_only_when_asked(client, listings):
    plain = client.get("/api/v1/services?full=true").get_json()["contents"]
    assert plain and all("additional_urls" not in item for item in plain)
    newer = client.get("/api/v1/services?full=true&hsds=3.1").get_json()["contents"]
    assert all("additional_urls" in item for item in newer)
    bad = client.get("/api/v1/services?hsds=2.0")
    assert bad.status_code == 400 and "hsds" in bad.get_data(as_text=True)
