"""The command line: every command has --help; init, demo, users create."""

import pytest
import sqlalchemy as sa

from directory import models as m
from directory.extensions import db


@pytest.mark.parametrize("command", [["init"], ["demo"], ["import"], ["export"], ["users"],
                                     ["users", "create"]])
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
