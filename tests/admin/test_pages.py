"""The explainer page editor: Markdown sanitised on save, preview, unsafe links refused."""

from __future__ import annotations

import sqlalchemy as sa
from admin.staff import form_data

from directory import models as m
from directory.admin.checks import safe_cell
from directory.operations.pages import clean_page_markdown
from directory.extensions import db


def new_page(client, **fields):
    html = client.get("/admin/page/new/").get_data(as_text=True)
    data = form_data(html, slug="safety-planning", title="Safety planning",
                     text_language="en", publication="published", **fields)
    return client.post("/admin/page/new/", data=data)


def test_page_body_is_sanitised_on_save(app, signed_in):
    editor = signed_in("editor")
    body = ("# Plan\n\n> Keep a bag ready & your ID.\n\n<script>alert(1)</script>"
            '<img src=x onerror="alert(2)"> **Call** <a href="https://example.org" '
            'onclick="alert(3)">us</a>')
    response = new_page(editor, body=body)
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    page = db.session.scalar(sa.select(m.Page).where(m.Page.slug == "safety-planning"))
    assert "<script" not in page.body and "onerror" not in page.body
    assert "onclick" not in page.body and "<img" not in page.body
    assert page.body.startswith("# Plan\n\n> Keep a bag ready & your ID.")
    assert 'href="https://example.org"' in page.body


def test_unsafe_links_are_refused(app, signed_in):
    editor = signed_in("editor")
    for body in ("[click](javascript:alert(1))", "[x]( JAVASCRIPT:alert(1))",
                 '<a href="data:text/html,hi">x</a>', "[r]: javascript:alert(1)\n\n[r]"):
        response = new_page(editor, body=body)
        assert response.status_code == 200, body
        assert "only http, https, mailto and tel links" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(m.Page.id))) == 0


def test_preview_renders_sanitised_html(app, signed_in):
    editor = signed_in("editor")
    response = editor.post("/admin/page/preview",
                           data={"body": "**Bold** <script>alert(1)</script>"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<strong>Bold</strong>" in html and "<script>alert(1)" not in html
    response = editor.post("/admin/page/preview", data={"body": "[x](javascript:alert(1))"})
    assert response.status_code == 400


def test_cleaning_helpers():
    assert clean_page_markdown("a < b & c > d") == "a &lt; b & c &gt; d"
    assert safe_cell("=1+1") == "'=1+1" and safe_cell("\t=x") == "'\t=x"
    assert safe_cell("plain") == "plain" and safe_cell(3) == 3
