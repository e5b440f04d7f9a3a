"""Dashboards: stale listings, translation status, search index status."""

from __future__ import annotations

import re
from datetime import timedelta

from factories import make_service

from directory import models as m
from directory import operations
from directory.extensions import db
from directory.search import sync


def test_stale_listing_shows_up_until_verified(app, signed_in):
    old = make_service(name="Old Verified Line")
    fresh = make_service(name="Fresh Verified Line")
    old.last_verified_at = m.utcnow() - timedelta(days=400)
    with operations.acting_as("test"):
        operations.verify_service(fresh.id, verified_by="someone@example.org")
    db.session.commit()
    editor = signed_in("editor")
    page = editor.get("/admin/stale/").get_data(as_text=True)
    assert "Old Verified Line" in page and "Fresh Verified Line" not in page
    # The window is configurable per visit.
    assert "Fresh Verified Line" not in editor.get("/admin/stale/?days=1").get_data(as_text=True)
    editor.post("/admin/service/action/", data={"action": "verify", "rowid": [old.id]})
    page = editor.get("/admin/stale/").get_data(as_text=True)
    assert "Old Verified Line" not in page
    assert "every live listing was verified recently" in page.lower()


def test_missing_and_stale_french_translations_show_up(app, signed_in):
    translated = make_service(name="Translated Line")
    untranslated = make_service(name="Untranslated Line", translations=[])
    translator = signed_in("translator")
    page = translator.get("/admin/translations/?locale=fr").get_data(as_text=True)
    missing = page.split('class="missing"')[1].split("</ul>")[0]
    assert "Untranslated Line" in missing and "Translated Line" not in missing
    link = re.search(r'href="(/admin/translate/service/[^"]*)"', missing).group(1)
    assert link == f"/admin/translate/service/{untranslated.id}/fr"
    assert "Untranslated Line" in translator.get(link).get_data(as_text=True)

    with operations.acting_as("test"):
        operations.update_service(translated.id, {"description": "A new description."})
    db.session.commit()
    page = translator.get("/admin/translations/?locale=fr").get_data(as_text=True)
    stale = page.split('class="stale"')[1].split("</ul>")[0]
    assert "Translated Line" in stale and f"/admin/translate/service/{translated.id}/fr" in stale


def test_index_status_counts_and_rebuild(app, signed_in):
    make_service(name="Indexed Line")
    sync.rebuild(app)
    make_service(name="Second Line")  # synced after commit
    admin = signed_in("admin")
    page = admin.get("/admin/search-index/").get_data(as_text=True)
    assert re.search(r'class="documents">2<', page)
    assert re.search(r'class="pending">0<', page)
    response = admin.post("/admin/search-index/rebuild", follow_redirects=True)
    assert "Index rebuilt with 2 listings." in response.get_data(as_text=True)
    assert signed_in("editor").post("/admin/search-index/rebuild").status_code == 403


def test_zero_result_searches_are_counted_per_day_without_visitor_data(app, client, signed_in):
    import sqlalchemy as sa

    from directory.models import SearchMiss

    make_service(name="Counted Line")
    sync.rebuild(app)
    def sent(response):
        """The count is written once the response has been sent (a server closes it)."""
        assert response.status_code == 200
        response.close()

    for text in ("Zebra  Clinic", "zebra clinic", "counted"):
        sent(client.post("/search", data={"q": text}))
    sent(client.post("/search", data={"q": "zebra clinic", "page": "2"}))  # not counted again
    sent(client.get("/api/v1/search?q=other+zebra"))  # the API counts like the site
    assert db.session.scalar(sa.select(sa.func.sum(SearchMiss.count))
                             .where(SearchMiss.query == "other zebra")) == 1
    search_miss = SearchMiss.__table__
    rows = db.session.execute(sa.select(search_miss)
                              .where(search_miss.c.query == "zebra clinic")).mappings().all()
    assert [(r["query"], r["locale"], r["count"]) for r in rows] == [("zebra clinic", "en", 2)]
    assert set(rows[0].keys()) == {"day", "locale", "query", "count"}
    page = signed_in("editor").get("/admin/search-misses/").get_data(as_text=True)
    assert re.search(r"<td>zebra clinic</td><td>en</td><td>2</td>", page)
