"""How many SQL statements a public page costs, so that lazy loading cannot creep back.

A SQLAlchemy ``before_cursor_execute`` listener counts every statement of a request, and those
issued while a template renders (between Flask's ``before_render_template`` and
``template_rendered`` signals): a template that reaches an unloaded relationship shows up there.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from flask import before_render_template, template_rendered
from sqlalchemy import event

from directory.extensions import db

# +1 for the first listing after an edit: the category plan of the overdue check (then cached
# until the next change-log position, public.views._category_plan)
LISTING_STATEMENTS = 6


class Statements:
    def __init__(self) -> None:
        self.total: list[str] = []
        self.rendering: list[str] = []
        self.depth = 0


@contextmanager
def counting(app):
    seen = Statements()

    def on_statement(conn, cursor, statement, parameters, context, executemany):
        seen.total.append(statement)
        if seen.depth:
            seen.rendering.append(statement)

    def before(sender, **extra):
        seen.depth += 1

    def after(sender, **extra):
        seen.depth -= 1

    engine = db.engine
    event.listen(engine, "before_cursor_execute", on_statement)
    before_render_template.connect(before, app)
    template_rendered.connect(after, app)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_statement)
        before_render_template.disconnect(before, app)
        template_rendered.disconnect(after, app)


@pytest.mark.parametrize("path", ["/services/{id}", "/services/{id}/print"])
def test_listing_pages_load_everything_before_rendering(app, client, demo, path):
    listings = demo["public"]
    ids = [service.id for service in listings]
    # What is kept until the next edit (the crisis-line banner, the categories' check
    # intervals) is loaded by the first page after an edit; this counts the pages after it.
    client.get("/")
    client.get(path.format(id=ids[0]))
    db.session.remove()  # nothing already in the identity map: every page loads from scratch
    for service_id in ids:
        with counting(app) as seen:
            response = client.get(path.format(id=service_id))
        assert response.status_code == 200
        assert seen.rendering == [], (service_id, seen.rendering)
        assert len(seen.total) <= LISTING_STATEMENTS, (service_id, seen.total)


def test_the_counter_sees_lazy_loads_during_rendering(app, client, demo):
    """The check above can fail: a relationship read in a template is counted there."""
    from flask import render_template_string

    service_id = demo["public"][0].id
    db.session.remove()
    from directory import models as m

    with app.test_request_context():
        record = db.session.get(m.Service, service_id)
        with counting(app) as seen:
            render_template_string("{{ service.phones|length }}", service=record)
    assert seen.rendering and "FROM phone" in seen.rendering[0]


def test_listing_page_shows_what_the_records_hold(client, demo):
    """Eager loading changed how the page reads its records, not what it shows."""
    service = demo["open_site"]
    sal = next(s for s in service.service_at_locations if s.location is not None
               and not s.location.confidential)
    phones = sorted(service.phones, key=lambda p: p.id)
    address = sal.location.addresses[0] if sal.location.addresses else None
    languages = len(service.languages)
    page = client.get(f"/services/{service.id}").get_data(as_text=True)
    for phone in phones:
        assert phone.number in page
    if len(phones) > 1:
        assert page.index(phones[0].number) < page.index(phones[1].number)
    if address is not None:
        assert address.city in page
    if languages:
        assert "Languages" in page
