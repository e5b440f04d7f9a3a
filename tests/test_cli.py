"""The command line: every command has --help; init, demo; the `users` commands."""

import pytest
import sqlalchemy as sa

from directory import models as m
from directory.extensions import db


@pytest.mark.parametrize("command", [["init"], ["demo"], ["import"], ["export"], ["users"],
                                     ["users", "create"], ["users", "set-password"],
                                     ["users", "reset-2fa"], ["users", "deactivate"],
                                     ["users", "activate"], ["users", "list"]])
def test_every_command_explains_itself(runner, command):
    result = runner.invoke(args=[*command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output and len(result.output.splitlines()) > 3


def test_init_is_idempotent(runner):
    for _ in range(2):
        result = runner.invoke(args=["init"])
        assert result.exit_code == 0, result.output
        assert "latest schema" in result.output


def test_migrations_match_the_models(app):
    """Alembic's migrations create exactly the schema the models describe."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


def test_users_create_prompts_for_a_hidden_password(runner):
    result = runner.invoke(args=["users", "create", "Curator@Example.org", "--role", "editor"],
                           input="a long enough secret\na long enough secret\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(m.User).where(m.User.email == "curator@example.org"))
    assert [r.name for r in user.roles] == ["editor"]
    assert user.password.startswith("$argon2")
    assert "a long enough secret" not in result.output


@pytest.mark.parametrize("args,code,message", [
    (["not-an-email", "--role", "admin", "--password", "x" * 20], 2, "not an email address"),
    (["a@example.org", "--role", "admin", "--password", "short"], 2, "at least 12"),
    (["a@example.org", "--role", "superuser", "--password", "x" * 20], 2, "Invalid value"),
])
def test_users_create_rejects_bad_input(runner, args, code, message):
    result = runner.invoke(args=["users", "create", *args])
    assert result.exit_code == code
    assert message in result.output
    assert db.session.scalar(sa.select(sa.func.count(m.User.id))) == 0


def test_users_create_refuses_a_duplicate(runner):
    args = ["users", "create", "a@example.org", "--role", "admin", "--password", "x" * 20]
    assert runner.invoke(args=args).exit_code == 0
    again = runner.invoke(args=args)
    assert again.exit_code == 1 and "already exists" in again.output


# -- operators' account recovery -----------------------------------------------------------------
SECRET = "a long enough secret"
NEW_SECRET = "an even longer new secret"


def create(runner, email: str, role: str = "editor") -> m.User:
    result = runner.invoke(args=["users", "create", email, "--role", role], input=SECRET + "\n")
    assert result.exit_code == 0, result.output
    return account(email)


def account(email: str) -> m.User:
    db.session.expire_all()
    return db.session.scalar(sa.select(m.User).where(m.User.email == email))


def signs_in_with(user: m.User, password: str) -> bool:
    from flask_security.utils import verify_password

    return verify_password(password, user.password)


def test_set_password_reads_stdin_and_ends_the_accounts_sessions(runner):
    user = create(runner, "curator@example.org")
    uniquifier = user.fs_uniquifier
    result = runner.invoke(args=["users", "set-password", "Curator@Example.org"],
                           input=NEW_SECRET + "\n")
    assert result.exit_code == 0, result.output
    assert "New password set for curator@example.org" in result.output
    assert NEW_SECRET not in result.output
    user = account("curator@example.org")
    assert signs_in_with(user, NEW_SECRET) and not signs_in_with(user, SECRET)
    assert user.fs_uniquifier != uniquifier


def test_set_password_on_a_terminal_asks_twice_without_echo(runner, monkeypatch):
    import directory.cli

    create(runner, "curator@example.org")
    monkeypatch.setattr(directory.cli, "_stdin_is_terminal", lambda: True)
    result = runner.invoke(args=["users", "set-password", "curator@example.org"],
                           input=f"{NEW_SECRET}\na typo in the repeat\n{NEW_SECRET}\n"
                                 f"{NEW_SECRET}\n")
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output
    assert NEW_SECRET not in result.output
    assert signs_in_with(account("curator@example.org"), NEW_SECRET)


@pytest.mark.parametrize("args,stdin,code,message", [
    (["nobody@example.org"], NEW_SECRET, 1, "No account for nobody@example.org"),
    (["not-an-email"], NEW_SECRET, 2, "not an email address"),
    (["curator@example.org"], "too short", 2, "at least 12 characters"),
    (["curator@example.org"], "", 2, "at least 12 characters"),
    (["curator@example.org", "--password", "short"], "", 2, "at least 12 characters"),
])
def test_set_password_refuses_and_changes_nothing(runner, args, stdin, code, message):
    before = create(runner, "curator@example.org")
    password, uniquifier = before.password, before.fs_uniquifier
    result = runner.invoke(args=["users", "set-password", *args], input=stdin + "\n")
    assert result.exit_code == code and message in result.output
    assert stdin not in result.output or not stdin
    after = account("curator@example.org")
    assert (after.password, after.fs_uniquifier) == (password, uniquifier)


def test_reset_2fa_clears_the_second_factor_and_ends_sessions(app, runner):
    user = create(runner, "curator@example.org")
    totp = app.extensions["security"]._totp_factory
    user.tf_primary_method, user.tf_totp_secret = "authenticator", totp.generate_totp_secret()
    db.session.commit()
    password, uniquifier = user.password, user.fs_uniquifier
    result = runner.invoke(args=["users", "reset-2fa", "curator@example.org"])
    assert result.exit_code == 0, result.output
    assert "Two-step sign-in turned off for curator@example.org" in result.output
    user = account("curator@example.org")
    assert user.tf_primary_method is None and user.tf_totp_secret is None
    assert user.fs_uniquifier != uniquifier and user.password == password


def test_reset_2fa_without_two_factor_changes_nothing(runner):
    uniquifier = create(runner, "curator@example.org").fs_uniquifier
    result = runner.invoke(args=["users", "reset-2fa", "curator@example.org"])
    assert result.exit_code == 0 and "nothing changed" in result.output
    assert account("curator@example.org").fs_uniquifier == uniquifier
    missing = runner.invoke(args=["users", "reset-2fa", "nobody@example.org"])
    assert missing.exit_code == 1 and "No account" in missing.output
    assert runner.invoke(args=["users", "reset-2fa", "nobody"]).exit_code == 2


def test_deactivate_ends_sessions_and_activate_undoes_it(runner):
    uniquifier = create(runner, "curator@example.org").fs_uniquifier
    result = runner.invoke(args=["users", "deactivate", "curator@example.org"])
    assert result.exit_code == 0 and "Deactivated curator@example.org" in result.output
    user = account("curator@example.org")
    assert not user.active and user.fs_uniquifier != uniquifier
    again = runner.invoke(args=["users", "deactivate", "curator@example.org"])
    assert again.exit_code == 0 and "already deactivated" in again.output
    result = runner.invoke(args=["users", "activate", "curator@example.org"])
    assert result.exit_code == 0 and "Activated curator@example.org" in result.output
    assert account("curator@example.org").active
    again = runner.invoke(args=["users", "activate", "curator@example.org"])
    assert again.exit_code == 0 and "already active" in again.output


@pytest.mark.parametrize("command", ["activate", "deactivate"])
def test_activate_and_deactivate_refuse_unknown_accounts(runner, command):
    result = runner.invoke(args=["users", command, "nobody@example.org"])
    assert result.exit_code == 1 and "No account for nobody@example.org" in result.output
    assert runner.invoke(args=["users", command, "nobody"]).exit_code == 2


def test_list_shows_roles_state_and_two_factor_but_no_secrets(app, runner):
    empty = runner.invoke(args=["users", "list"])
    assert empty.exit_code == 0 and "No staff accounts" in empty.output
    create(runner, "b-editor@example.org", "editor")
    admin = create(runner, "a-admin@example.org", "admin")
    admin.tf_primary_method = "authenticator"
    admin.tf_totp_secret = app.extensions["security"]._totp_factory.generate_totp_secret()
    db.session.commit()
    runner.invoke(args=["users", "deactivate", "b-editor@example.org"])
    result = runner.invoke(args=["users", "list"])
    assert result.exit_code == 0, result.output
    lines = [line.split() for line in result.output.splitlines()]
    assert lines == [["EMAIL", "ROLES", "ACTIVE", "TWO-STEP"],
                     ["a-admin@example.org", "admin", "yes", "on"],
                     ["b-editor@example.org", "editor", "no", "off"]]
    for user in (account("a-admin@example.org"), account("b-editor@example.org")):
        assert user.password not in result.output and user.fs_uniquifier not in result.output
    assert account("a-admin@example.org").tf_totp_secret not in result.output


def test_account_commands_are_audited_without_secrets(app, runner):
    user = create(runner, "curator@example.org")
    secret = app.extensions["security"]._totp_factory.generate_totp_secret()
    user.tf_primary_method, user.tf_totp_secret = "authenticator", secret
    db.session.commit()
    seen = {user.password, user.fs_uniquifier}
    for args, stdin in ((["set-password", "curator@example.org"], NEW_SECRET + "\n"),
                        (["reset-2fa", "curator@example.org"], None),
                        (["deactivate", "curator@example.org"], None),
                        (["activate", "curator@example.org"], None)):
        assert runner.invoke(args=["users", *args], input=stdin).exit_code == 0
        user = account("curator@example.org")
        seen |= {user.password, user.fs_uniquifier}
    rows = db.session.scalars(sa.select(m.AuditLog).where(
        m.AuditLog.entity == "user").order_by(m.AuditLog.id)).all()
    assert all(row.actor and row.actor.startswith("cli") for row in rows)
    assert [row.changes for row in rows[1:]] == [
        {"tf_primary_method": [None, "authenticator"]},
        {"password": ["(changed)", "(changed)"]},
        {"tf_primary_method": ["authenticator", None]},
        {"active": [True, False]},
        {"active": [False, True]},
    ]
    trail = repr([row.changes for row in rows])
    for value in {*seen, secret, SECRET, NEW_SECRET}:
        assert value not in trail
