"""The curation workbench: reviewed changes to live listings, stale saves refused, workflow
buttons that save first, translation side by side."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from admin.staff import form_data, make_user, sign_in
from factories import make_service

from directory import models as m
from directory import operations
from directory.extensions import db
from directory.search import sync
from directory.search.query import search


@pytest.fixture
def team(app, staff):
    """The issue's team: editors propose, publishers approve (two of them)."""
    make_user("publisher@example.org", "publisher")
    make_user("publisher2@example.org", "publisher")
    return staff


def client_for(app, email):
    client = app.test_client()
    response = sign_in(client, email)
    assert response.status_code in (302, 303)
    return client


def edit(client, service_id, **changes):
    html = client.get(f"/admin/service/edit/?id={service_id}").get_data(as_text=True)
    return form_data(html, **changes)


def phone_key(data):
    return next(k for k in data if k.startswith("phones-") and k.endswith("-number"))


def public_page(app, service_id):
    return app.test_client().get(f"/services/{service_id}").get_data(as_text=True)


def test_editor_change_to_live_phone_waits_for_a_publisher(app, team):
    service = make_service(name="Harbour Crisis Line")
    sync.rebuild(app)
    old = service.phones[0].number
    editor = client_for(app, "editor@example.org")
    data = edit(editor, service.id)
    data[phone_key(data)] = "604-555-0199"
    response = editor.post(f"/admin/service/edit/?id={service.id}", data=data)
    assert response.status_code == 302
    page = editor.get(response.headers["Location"]).get_data(as_text=True)
    assert "kept for review" in page and "Record was successfully saved" not in page

    # Nothing public changed: page, search, API.
    assert old in public_page(app, service.id) and "604-555-0199" not in public_page(
        app, service.id)
    api = app.test_client().get(f"/api/v1/services/{service.id}").get_json()
    assert [p["number"] for p in api["phones"]] == [old]
    revision = db.session.scalars(sa.select(m.ServiceRevision)).one()
    assert revision.status == "pending" and revision.fields == ["phones"]
    assert revision.proposed_by == "editor@example.org"

    # The publisher sees the diff, old -> new, and approves.
    publisher = client_for(app, "publisher@example.org")
    detail = publisher.get(f"/admin/review/{revision.id}").get_data(as_text=True)
    assert old in detail and "604-555-0199" in detail and "Number" in detail
    csrf = __import__("admin.staff", fromlist=["csrf_from"]).csrf_from(detail)
    response = publisher.post(f"/admin/review/{revision.id}/decide",
                              data={"decision": "approve", "csrf_token": csrf})
    assert response.status_code == 302
    db.session.expire_all()
    assert "604-555-0199" in public_page(app, service.id)
    sync.catch_up(app)
    hits = search("harbour", locale="en").hits
    assert hits and hits[0].id == service.id
    assert db.session.get(m.ServiceRevision, revision.id).status == "approved"
    history = publisher.get(f"/admin/history/service/{service.id}").get_data(as_text=True)
    assert "editor@example.org" in history and "publisher@example.org" in history


def test_publisher_cannot_approve_own_contact_change_when_team_has_two(app, team):
    service = make_service(name="Self Approval Line")
    publisher = client_for(app, "publisher@example.org")
    data = edit(publisher, service.id)
    data[phone_key(data)] = "604-555-0177"
    response = publisher.post(f"/admin/service/edit/?id={service.id}", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    revision = db.session.scalars(sa.select(m.ServiceRevision)).one()
    with pytest.raises(operations.ValidationError):
        user = db.session.scalars(sa.select(m.User).where(
            m.User.email == "publisher@example.org")).one()
        operations.revisions.approve(revision.id, _signed(user))
    other = client_for(app, "publisher2@example.org")
    detail = other.get(f"/admin/review/{revision.id}").get_data(as_text=True)
    assert "Approve and publish the change" in detail


class _signed:
    """A user as Flask-Security presents it (authenticated)."""

    def __init__(self, user):
        self._user = user
        self.is_authenticated = True
        self.email = user.email

    def has_role(self, role):
        return self._user.has_role(role)


def test_publisher_text_fix_goes_straight_through(app, team):
    service = make_service(name="Typo Fix Line", description="Suport for survivors.")
    publisher = client_for(app, "publisher@example.org")
    data = edit(publisher, service.id, description="Support for survivors.")
    publisher.post(f"/admin/service/edit/?id={service.id}", data=data)
    db.session.expire_all()
    assert db.session.get(m.Service, service.id).description == "Support for survivors."
    assert db.session.scalar(sa.select(sa.func.count()).select_from(m.ServiceRevision)) == 0


def test_editor_cannot_publish(app, team):
    service = make_service(name="Draft Only Line", publish=False)
    editor = client_for(app, "editor@example.org")
    data = edit(editor, service.id, workflow="publish")
    editor.post(f"/admin/service/edit/?id={service.id}", data=data)
    db.session.expire_all()
    assert db.session.get(m.Service, service.id).publication == "draft"


def test_workflow_button_saves_what_was_typed_first(app, team):
    service = make_service(name="Typed Then Clicked", publish=False)
    editor = client_for(app, "editor@example.org")
    data = edit(editor, service.id, description="Typed just before clicking.",
                workflow="verify")
    response = editor.post(f"/admin/service/edit/?id={service.id}", data=data)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/service/edit/")
    db.session.expire_all()
    saved = db.session.get(m.Service, service.id)
    assert saved.description == "Typed just before clicking."
    assert saved.last_verified_at is not None and saved.verified_by == "editor@example.org"


def test_second_save_from_an_older_form_is_refused_with_both_values(app, team):
    service = make_service(name="Two Browsers Line", publish=False)
    first = client_for(app, "editor@example.org")
    second = client_for(app, "publisher@example.org")
    a = edit(first, service.id, description="First person's text.")
    b = edit(second, service.id, description="Second person's text.")
    assert first.post(f"/admin/service/edit/?id={service.id}", data=a).status_code == 302
    response = second.post(f"/admin/service/edit/?id={service.id}", data=b)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "someone else changed this listing" in html
    assert "editor@example.org" in html
    assert "First person&#39;s text." in html and "Second person&#39;s text." in html
    db.session.expire_all()
    assert db.session.get(m.Service, service.id).description == "First person's text."
    # Saving again, deliberately, keeps the second person's values.
    again = form_data(html)
    assert second.post(f"/admin/service/edit/?id={service.id}", data=again).status_code == 302
    db.session.expire_all()
    assert db.session.get(m.Service, service.id).description == "Second person's text."


def test_translator_sees_source_beside_stale_field_and_what_changed(app, team):
    service = make_service(name="Stale Line", description="We answer calls at night.")
    with operations.acting_as("test"):
        operations.translate_record(service, "fr", {"name": "Ligne",
                                                    "description": "Nous répondons la nuit."})
        db.session.commit()
        assert service.description  # loaded, as the edit form loads it
        service.description = "We answer calls day and night."
        operations.save_edited_record(service)
        db.session.commit()
    translator = client_for(app, "translator@example.org")
    url = f"/admin/translate/service/{service.id}/fr"
    html = translator.get(url).get_data(as_text=True)
    assert "We answer calls day and night." in html           # the source, beside
    assert "Nous répondons la nuit." in html                  # the translation
    assert "<del>at</del><ins>day and</ins>" in html and "needs updating" in html
    assert "Record id" not in html
    csrf = __import__("admin.staff", fromlist=["csrf_from"]).csrf_from(html)
    response = translator.post(url, data={"csrf_token": csrf, "name": "Ligne",
                                          "description": "Nous répondons jour et nuit."})
    assert response.status_code == 302
    db.session.expire_all()
    record = db.session.get(m.Service, service.id)
    assert record.translation("fr").description == "Nous répondons jour et nuit."
    assert record.stale_translations() == []
    page = translator.get(response.headers["Location"]).get_data(as_text=True)
    assert "Stale Line" in page and "needs updating" not in page


def test_still_accurate_clears_staleness_without_retyping(app, team):
    service = make_service(name="Accurate Line", description="Open daily.")
    with operations.acting_as("test"):
        operations.translate_record(service, "fr", {"description": "Ouvert tous les jours."})
        service.alternate_name = "AL"
        operations.save_edited_record(service)
        db.session.commit()
    assert db.session.get(m.Service, service.id).stale_translations() == ["fr"]
    translator = client_for(app, "translator@example.org")
    url = f"/admin/translate/service/{service.id}/fr"
    csrf = __import__("admin.staff", fromlist=["csrf_from"]).csrf_from(
        translator.get(url).get_data(as_text=True))
    translator.post(url, data={"csrf_token": csrf, "still_accurate": "1"})
    db.session.expire_all()
    record = db.session.get(m.Service, service.id)
    assert record.stale_translations() == []
    assert record.translation("fr").description == "Ouvert tous les jours."


def hours_form(data, days, opens="09:00", closes="17:00", zone="America/Toronto",
               holidays=False):
    """The hours editor as a person fills it in: tick days, type times."""
    data = {k: v for k, v in data.items() if not k.startswith("schedules-")}
    for code in ("MO", "TU", "WE", "TH", "FR", "SA", "SU"):
        if code in days:
            data[f"schedules-{code}-open"] = "y"
        data[f"schedules-{code}-opens"] = opens if code in days else ""
        data[f"schedules-{code}-closes"] = closes if code in days else ""
    data["schedules-zone"] = zone
    if holidays:
        data["schedules-holidays"] = "y"
    return data


def test_hours_editor_stores_weekly_schedule_rows(app, team):
    service = make_service(name="Hours Line", publish=False, schedules=[])
    editor = client_for(app, "editor@example.org")
    html = editor.get(f"/admin/service/edit/?id={service.id}").get_data(as_text=True)
    assert 'name="schedules-MO-open"' in html and "Closed on statutory holidays" in html
    data = hours_form(form_data(html), {"MO", "TU", "WE"}, holidays=True)
    data["schedules-SA-open"] = "y"
    data["schedules-SA-opens"], data["schedules-SA-closes"] = "10:00", "14:00"
    response = editor.post(f"/admin/service/edit/?id={service.id}", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    rows = sorted((s.byday, s.opens_at.strftime("%H:%M"), s.closes_at.strftime("%H:%M"),
                   s.timezone_name, s.freq) for s in db.session.get(m.Service, service.id).schedules)
    assert rows == [("MO,TU,WE", "09:00", "17:00", "America/Toronto", "WEEKLY"),
                    ("SA", "10:00", "14:00", "America/Toronto", "WEEKLY")]
    # The form shows them back, day by day.
    html = editor.get(f"/admin/service/edit/?id={service.id}").get_data(as_text=True)
    assert 'name="schedules-SA-opens" value="10:00"' in html
    assert 'name="schedules-holidays" value="y" checked' in html


def test_hours_editor_refuses_bad_times_with_a_message(app, team):
    service = make_service(name="Bad Hours Line", publish=False)
    editor = client_for(app, "editor@example.org")
    html = editor.get(f"/admin/service/edit/?id={service.id}").get_data(as_text=True)
    data = hours_form(form_data(html), {"FR"}, opens="25:00", closes="17:00")
    response = editor.post(f"/admin/service/edit/?id={service.id}", data=data)
    assert response.status_code == 200
    assert "Fri: give opening and closing times" in response.get_data(as_text=True)


def test_editor_cannot_change_a_live_phone_on_its_own_page(app, team):
    service = make_service(name="Side Door Line")
    phone = service.phones[0]
    editor = client_for(app, "editor@example.org")
    html = editor.get(f"/admin/phone/edit/?id={phone.id}").get_data(as_text=True)
    data = form_data(html, number="604-555-0166")
    response = editor.post(f"/admin/phone/edit/?id={phone.id}", data=data,
                           follow_redirects=True)
    assert "change it in the listing&#39;s editor" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(m.Phone, phone.id).number != "604-555-0166"
    publisher = client_for(app, "publisher@example.org")
    data = form_data(publisher.get(f"/admin/phone/edit/?id={phone.id}").get_data(as_text=True),
                     number="604-555-0166")
    publisher.post(f"/admin/phone/edit/?id={phone.id}", data=data)
    db.session.expire_all()
    assert db.session.get(m.Phone, phone.id).number == "604-555-0166"


def test_categories_are_picked_from_the_tree_and_reviewed_on_live_listings(app, team):
    from factories import uid

    with operations.acting_as("test"):
        taxonomy = operations.save_record(m.Taxonomy, {"id": uid(), "name": "Ours"})
        parent = operations.save_record(m.TaxonomyTerm, {"id": uid(), "code": "violence",
                                                         "name": "Violence",
                                                         "taxonomy_id": taxonomy.id})
        shelter = operations.save_record(m.TaxonomyTerm, {"id": uid(), "code": "shelter",
                                                          "name": "Shelters", "parent_id": parent.id,
                                                          "taxonomy_id": taxonomy.id})
        db.session.commit()
    service = make_service(name="Category Line")
    editor = client_for(app, "editor@example.org")
    html = editor.get(f"/admin/service/edit/?id={service.id}").get_data(as_text=True)
    assert "Violence › Shelters" in html
    data = edit(editor, service.id)
    response = editor.post(f"/admin/service/edit/?id={service.id}",
                           data={**data, "categories": shelter.id})
    assert response.status_code == 302
    revision = db.session.scalars(sa.select(m.ServiceRevision)).one()
    assert revision.fields == ["attributes"]
    publisher = client_for(app, "publisher@example.org")
    assert "Shelters" in publisher.get(f"/admin/review/{revision.id}").get_data(as_text=True)
    user = db.session.scalars(sa.select(m.User).where(
        m.User.email == "publisher@example.org")).one()
    with operations.acting_as("publisher@example.org"):
        operations.revisions.approve(revision.id, _signed(user))
        db.session.commit()
    terms = set(db.session.scalars(sa.select(m.Attribute.taxonomy_term_id).where(
        m.Attribute.link_id == service.id)))
    assert shelter.id in terms


def test_listing_list_filters_by_city_category_and_overdue(app, team):
    import re

    service = make_service(name="Filter City Line")
    other = make_service(name="Elsewhere Line")
    city = service.service_at_locations[0].location.addresses[0].city
    editor = client_for(app, "editor@example.org")
    page = editor.get("/admin/service/").get_data(as_text=True)
    filters = dict(re.findall(r'"(City|Category|Verification overdue)": \[\{"arg": "(\d+)"', page))
    assert set(filters) == {"City", "Category", "Verification overdue"}
    with operations.acting_as("test"):
        operations.verify_service(other.id, verified_by="test")
        db.session.commit()
    listed = editor.get(f"/admin/service/?flt0_{filters['Verification overdue']}=1"
                        ).get_data(as_text=True)
    assert "Filter City Line" in listed and "Elsewhere Line" not in listed
    listed = editor.get(f"/admin/service/?flt0_{filters['City']}={city[:4]}").get_data(
        as_text=True)
    assert "Filter City Line" in listed


def test_forbidden_and_missing_admin_pages_stay_in_the_admin_frame(app, team):
    translator = client_for(app, "translator@example.org")
    response = translator.get("/admin/service/")
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert "Not available to your account" in html and 'class="navbar' in html
    response = translator.get("/admin/review/999999")
    assert response.status_code in (403, 404)
    editor = client_for(app, "editor@example.org")
    response = editor.get("/admin/review/999999")
    assert response.status_code == 404 and "Not found" in response.get_data(as_text=True)
    assert 'class="navbar' in response.get_data(as_text=True)
    response = editor.get("/admin/no-such-page/")
    assert response.status_code == 404 and 'class="navbar' in response.get_data(as_text=True)


def test_translation_saved_from_the_listing_returns_to_it(app, team):
    service = make_service(name="Return Line", publish=False)
    editor = client_for(app, "editor@example.org")
    html = editor.get(f"/admin/service/edit/?id={service.id}").get_data(as_text=True)
    import re

    link = re.search(r'href="(/admin/translate/service/[^"]+/fr[^"]*)"', html).group(1)
    page = editor.get(link.replace("&amp;", "&")).get_data(as_text=True)
    csrf = __import__("admin.staff", fromlist=["csrf_from"]).csrf_from(page)
    form = page.split('class="translate-form"', 1)[1]
    nxt = re.search(r'name="next" value="([^"]*)"', form).group(1).replace("&amp;", "&")
    response = editor.post(link.split("?")[0], data={"csrf_token": csrf, "name": "Ligne retour",
                                                      "next": nxt})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/service/edit/")
    follow = editor.get(response.headers["Location"]).get_data(as_text=True)
    assert "Saved the French translation of “Return Line”" in follow
