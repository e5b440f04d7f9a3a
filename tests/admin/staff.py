"""Staff accounts and sign-in helpers for the admin tests."""

from __future__ import annotations

import re

from flask import g
from flask.testing import FlaskClient
from flask_security.utils import hash_password

from directory import models as m
from directory.extensions import db
from directory.security import user_datastore

PASSWORD = "correct horse battery staple"
ROLES = ("admin", "editor", "translator")


def make_user(email: str, role: str | None, *, active: bool = True) -> m.User:
    """A staff account created the way `flask users create` does."""
    store = user_datastore()
    roles = [store.find_or_create_role(name=role, description=m.ROLES[role])] if role else []
    user = store.create_user(email=email, password=hash_password(PASSWORD), roles=roles,
                             active=active)
    db.session.commit()
    return user


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or \
        re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def sign_in(client, email: str, password: str = PASSWORD, *, csrf: bool = False):
    """Sign in through the real login form; returns the response."""
    data = {"email": email, "password": password}
    if csrf:
        data["csrf_token"] = csrf_from(client.get("/account/login").get_data(as_text=True))
    return client.post("/account/login", data=data)


class FreshClient(FlaskClient):
    """A test client whose requests start with an empty ``g``.

    The ``app`` fixture keeps one application context open for the whole test, and Flask reuses
    it for every request, so Flask-Login's cached user would leak from one client to another.
    """

    def open(self, *args, **kwargs):
        for key in list(vars(g)):
            delattr(g, key)
        return super().open(*args, **kwargs)


class _FormReader:
    """Collects the fields of the admin's record form (``form.admin-form``) with their values."""

    def __init__(self, html: str):
        from html.parser import HTMLParser

        self.fields: list[tuple[str, str]] = []
        reader = self
        state = {"in_form": False, "select": None, "textarea": None, "text": ""}

        class Parser(HTMLParser):
            def handle_starttag(self, tag, attrs):
                a = dict(attrs)
                if tag == "form" and "admin-form" in (a.get("class") or ""):
                    state["in_form"] = True
                if not state["in_form"]:
                    return
                if tag == "input" and a.get("name") and a.get("type") not in ("submit",
                                                                            "button"):
                    if a.get("type") == "checkbox":
                        if "checked" in a:
                            reader.fields.append((a["name"], a.get("value") or "y"))
                    else:
                        reader.fields.append((a["name"], a.get("value") or ""))
                elif tag == "select" and a.get("name"):
                    state["select"] = a["name"]
                elif tag == "option" and state["select"] and "selected" in a:
                    reader.fields.append((state["select"], a.get("value", "")))
                elif tag == "textarea" and a.get("name"):
                    state["textarea"], state["text"] = a["name"], ""

            def handle_data(self, data):
                if state["textarea"]:
                    state["text"] += data

            def handle_endtag(self, tag):
                if tag == "form" and state["in_form"]:
                    state["in_form"] = False
                elif tag == "select":
                    state["select"] = None
                elif tag == "textarea" and state["textarea"]:
                    text = state["text"]  # a browser drops the one line break after <textarea>
                    text = text[2:] if text.startswith("\r\n") else text.removeprefix("\n")
                    reader.fields.append((state["textarea"], text))
                    state["textarea"] = None

        Parser().feed(html)


def form_data(html: str, **changes: str) -> dict[str, str]:
    """The record form's current values, with ``changes`` applied (like a person editing)."""
    data: dict[str, str] = {}
    for name, value in _FormReader(html).fields:
        data.setdefault(name, value)
    data.update(changes)
    return data
