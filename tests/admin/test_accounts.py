"""Staff look after their own password; operators' `flask users` commands end sessions at once."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from admin.staff import PASSWORD, FreshClient, csrf_from, make_user, sign_in

from directory import create_app
from directory import models as m
from directory.extensions import db

NEW_PASSWORD = "a brand new passphrase"


def account(email: str) -> m.User:
    db.session.expire_all()
    return db.session.scalar(sa.select(m.User).where(m.User.email == email))


def change_password(client, current: str, new: str, confirm: str | None = None):
    return client.post("/account/change", data={
        "password": current, "new_password": new,
        "new_password_confirm": new if confirm is None else confirm})


def is_signed_in(client) -> bool:
    response = client.get("/admin/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def test_every_role_finds_change_password_in_the_admin_header(app, signed_in):
    for role in ("translator", "editor", "admin"):
        html = signed_in(role).get("/admin/").get_data(as_text=True)
        assert 'href="/account/change"' in html and ">Change password</a>" in html


def test_change_password_page_is_for_signed_in_staff_only(app, client, signed_in):
    response = client.get("/account/change")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    html = signed_in("editor").get("/account/change").get_data(as_text=True)
    for field in ("password", "new_password", "new_password_confirm"):
        assert f'name="{field}"' in html and f'for="{field}"' in html  # labelled fields
    assert 'autocomplete="current-password"' in html and 'autocomplete="new-password"' in html


@pytest.mark.parametrize("current,new,confirm,error", [
    ("not my password at all", NEW_PASSWORD, None, "Invalid password"),
    (PASSWORD, "too short", None, "at least 12 characters"),
    (PASSWORD, NEW_PASSWORD, "a different passphrase", "Passwords do not match"),
    (PASSWORD, PASSWORD, None, "must be different"),
], ids=["wrong-current", "too-short", "mismatch", "unchanged"])
def test_a_refused_change_shows_why_and_keeps_the_password(app, signed_in, current, new,
                                                            confirm, error):
    editor = signed_in("editor")
    before = account("editor@example.org").password
    response = change_password(editor, current, new, confirm)
    assert response.status_code == 200
    assert error in response.get_data(as_text=True)
    assert account("editor@example.org").password == before
    assert is_signed_in(editor)


def test_changing_the_password_ends_other_sessions_and_is_audited(app, signed_in):
    laptop, phone = signed_in("editor"), signed_in("editor")
    response = change_password(laptop, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/")
    assert "successfully changed your password" in laptop.get("/admin/").get_data(as_text=True)
    assert is_signed_in(laptop)  # the session that changed it carries on
    assert not is_signed_in(phone)  # every other one is signed out
    assert sign_in(app.test_client(), "editor@example.org").status_code == 200  # old: refused
    assert is_signed_in(app.test_client()) is False
    newcomer = app.test_client()
    assert sign_in(newcomer, "editor@example.org", NEW_PASSWORD).status_code == 302
    assert is_signed_in(newcomer)
    row = db.session.scalars(sa.select(m.AuditLog).where(m.AuditLog.entity == "user")
                             .order_by(m.AuditLog.id.desc())).first()
    assert row.actor == "editor@example.org" and row.action == "update"
    assert row.changes == {"password": ["(changed)", "(changed)"]}


def test_change_password_is_refused_without_a_csrf_token(app, app_config, fresh_clients):
    protected = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    protected.test_client_class = FreshClient
    with protected.app_context():
        make_user("editor@example.org", "editor")
        client = protected.test_client()
        assert sign_in(client, "editor@example.org", csrf=True).status_code == 302
        before = account("editor@example.org").password
        assert change_password(client, PASSWORD, NEW_PASSWORD).status_code == 400
        assert account("editor@example.org").password == before
        token = csrf_from(client.get("/account/change").get_data(as_text=True))
        response = client.post("/account/change", data={
            "csrf_token": token, "password": PASSWORD, "new_password": NEW_PASSWORD,
            "new_password_confirm": NEW_PASSWORD})
        assert response.status_code == 302
        assert account("editor@example.org").password != before
        db.session.remove()
        db.engine.dispose()


def test_set_password_from_the_command_line_ends_sessions_and_remember_cookies(app, runner,
                                                                               staff):
    signed_in = app.test_client()
    response = signed_in.post("/account/login", data={
        "email": "editor@example.org", "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    remembered = app.test_client()  # only the "remember me" cookie, as after closing the browser
    cookie = signed_in.get_cookie("remember_token")
    assert cookie is not None
    remembered.set_cookie("remember_token", cookie.value)
    assert is_signed_in(signed_in) and is_signed_in(remembered)

    result = runner.invoke(args=["users", "set-password", "editor@example.org"],
                           input=NEW_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert NEW_PASSWORD not in result.output
    assert not is_signed_in(signed_in) and not is_signed_in(remembered)
    assert sign_in(app.test_client(), "editor@example.org").status_code == 200
    assert sign_in(app.test_client(), "editor@example.org", NEW_PASSWORD).status_code == 302


def test_reset_2fa_from_the_command_line_lets_them_in_with_the_password(app, runner, staff):
    totp = app.extensions["security"]._totp_factory
    user = account("admin@example.org")
    user.tf_primary_method = "authenticator"
    user.tf_totp_secret = totp.generate_totp_secret()
    db.session.commit()
    client = app.test_client()
    sign_in(client, "admin@example.org")
    code = totp.generate_totp_password(user.tf_totp_secret)
    assert client.post("/account/tf-validate", data={"code": code}).status_code == 302
    assert is_signed_in(client)

    result = runner.invoke(args=["users", "reset-2fa", "admin@example.org"])
    assert result.exit_code == 0, result.output
    assert not is_signed_in(client)
    user = account("admin@example.org")
    assert user.tf_primary_method is None and user.tf_totp_secret is None
    fresh = app.test_client()
    assert sign_in(fresh, "admin@example.org").status_code == 302
    assert is_signed_in(fresh)  # the password alone is enough until they enrol again


def test_deactivate_and_activate_from_the_command_line(app, runner, signed_in):
    editor = signed_in("editor")
    assert is_signed_in(editor)
    assert runner.invoke(args=["users", "deactivate", "editor@example.org"]).exit_code == 0
    assert not is_signed_in(editor)
    refused = app.test_client()
    assert sign_in(refused, "editor@example.org").status_code == 200
    assert not is_signed_in(refused)
    assert runner.invoke(args=["users", "activate", "editor@example.org"]).exit_code == 0
    again = app.test_client()
    assert sign_in(again, "editor@example.org").status_code == 302
    assert is_signed_in(again)


def test_a_password_with_accents_set_on_the_command_line_signs_in(app, runner, fresh_clients):
    composed = "mot de passe très sûr"  # as most terminals send it (NFC)
    result = runner.invoke(args=["users", "create", "chloe@example.org", "--role", "editor"],
                           input=composed + "\n")
    assert result.exit_code == 0, result.output
    client = app.test_client()
    assert sign_in(client, "chloe@example.org", composed).status_code == 302
    assert is_signed_in(client)


def test_account_pages_and_commands_keep_secrets_out_of_the_audit_trail(app, runner, signed_in):
    totp = app.extensions["security"]._totp_factory
    secret = totp.generate_totp_secret()
    user = account("admin@example.org")
    user.tf_primary_method, user.tf_totp_secret = "authenticator", secret
    db.session.commit()
    hashes = {account(e).password for e in ("admin@example.org", "editor@example.org")}
    uniquifiers = {account(e).fs_uniquifier for e in ("admin@example.org",
                                                      "editor@example.org")}
    change_password(signed_in("editor"), PASSWORD, NEW_PASSWORD)
    runner.invoke(args=["users", "set-password", "admin@example.org"],
                  input="another new passphrase\n")
    runner.invoke(args=["users", "reset-2fa", "admin@example.org"])
    runner.invoke(args=["users", "deactivate", "translator@example.org"])
    hashes |= {account(e).password for e in ("admin@example.org", "editor@example.org")}
    rows = db.session.scalars(sa.select(m.AuditLog).where(m.AuditLog.entity == "user")).all()
    trail = " ".join(json.dumps(r.changes) for r in rows)
    assert '"tf_primary_method": ["authenticator", null]' in trail
    for secret_value in {*hashes, *uniquifiers, secret, NEW_PASSWORD, "another new passphrase",
                         PASSWORD}:
        assert secret_value not in trail
    assert "$argon2" not in trail


def test_account_pages_use_our_stylesheet_not_inline_styles(app, client, signed_in):
    """The content security policy blocks inline <style>: account pages link a vendored sheet."""
    pages = [client.get("/account/login")]
    pages.append(signed_in("editor").get("/account/change"))
    for response in pages:
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "<style" not in html
        assert '<link rel="stylesheet" href="/static/account.css">' in html
        assert '<html lang="en" dir="ltr">' in html
        assert "style-src 'self'" in response.headers["Content-Security-Policy"]
    with client.get("/static/account.css") as sheet:
        assert sheet.status_code == 200 and b".account" in sheet.data
