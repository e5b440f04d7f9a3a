"""Command line: ``flask --app directory <command>``."""

from __future__ import annotations

import getpass
import os
import sys

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup

from .extensions import db
from .operations import ValidationError

DEMO_DIR = os.path.join(os.path.dirname(__file__), "demo")


def _cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in some containers
        return "cli"


def _fail(message: str, code: int = 1) -> None:
    click.secho(message, fg="red", err=True)
    sys.exit(code)


def _print_errors(error: ValidationError, limit: int = 200) -> None:
    click.secho(f"{len(error.errors)} problem(s); nothing was imported:", fg="red", err=True)
    for item in error.errors[:limit]:
        click.echo(f"  - {item}", err=True)
    if len(error.errors) > limit:
        click.echo(f"  ... and {len(error.errors) - limit} more", err=True)


@click.command("init")
def init_command() -> None:
    """Create or upgrade the database schema (runs all migrations)."""
    from flask_migrate import upgrade

    upgrade()
    click.echo("Database is at the latest schema.")


def load_demo() -> dict[str, int]:
    """Load the demo data set (idempotent: records are matched by id). Does not commit."""
    from .exchange.importer import import_path

    counts: dict[str, int] = {}
    for name in ("taxonomy.json", "services_violence.json", "services_sexual_health.json",
                 "pages"):
        path = os.path.join(DEMO_DIR, name)
        if not os.path.exists(path):
            continue
        report = import_path(path, schema_dir=current_app.config["HSDS_SCHEMA_DIR"],
                             default_publication="published")
        for key, value in report.counts.items():
            counts[key] = counts.get(key, 0) + value
    return counts


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Load only when there are no services yet.")
def demo_command(if_empty: bool) -> None:
    """Load the demo data set: fictional organisations, services and an explainer page."""
    from . import models as m
    from .operations import set_actor

    if if_empty and db.session.scalar(sa.select(sa.func.count(m.Service.id))):
        click.echo("Services already present; demo data not loaded.")
        return
    set_actor(_cli_actor())
    try:
        counts = load_demo()
    except ValidationError as exc:
        db.session.rollback()
        _print_errors(exc)
        sys.exit(1)
    db.session.commit()
    click.echo("Loaded demo data: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))


@click.command("import")
@click.argument("path", type=click.Path(exists=False))
@click.option("--publication", type=click.Choice(["draft", "in_review", "published"]),
              default="draft", show_default=True,
              help="Publication state for new services that do not state one.")
@click.option("--dry-run", is_flag=True, help="Validate and report, but save nothing.")
@click.option("--allow-dangling", is_flag=True,
              help="Drop references to records that are neither in the input nor in the "
                   "directory (each one is reported) instead of refusing the import.")
@click.option("--missing-organizations", type=click.Choice(["create", "refuse"]),
              default="create", show_default=True,
              help="Organizations referenced but neither in the input nor in the directory: "
                   "create a placeholder named from the referencing record's organization "
                   "fields (flagged for curators, each one reported), or refuse the import.")
@click.option("--bulk", is_flag=True,
              help="Write in batches of --batch-size records (one transaction, same "
                   "validation, audit and change log): for large imports.")
@click.option("--batch-size", type=click.IntRange(10, 100_000), default=1000,
              show_default=True, help="Records per batch with --bulk.")
@click.option("--no-index", is_flag=True,
              help="Leave the search index alone (bring it up to date later with "
                   "`flask --app directory search sync`, or `search rebuild`).")
def import_command(path: str, publication: str, dry_run: bool, allow_dangling: bool,
                   missing_organizations: str, bulk: bool, batch_size: int,
                   no_index: bool) -> None:
    """Import HSDS 3.0 JSON from PATH (a file or a folder of files) or a CSV datapackage.

    A file may hold one object (like service_full.json), a list, an HSDS Page of objects
    (like service_list.json) or tabular JSON. Everything is validated against the HSDS 3.0
    schema first; if anything is wrong, every problem is listed with its record id, name, field
    and fix, nothing is saved and the command exits with status 1. Taxonomies named by a term's
    taxonomy_id only become placeholder taxonomies, flagged for curators; missing organizations
    follow --missing-organizations. Every such decision is listed. The search index is brought
    up to date at the end.
    """
    from .exchange.importer import ImportFileError, count_items, import_path
    from .operations import set_actor

    if not os.path.exists(path):
        _fail(f"{path}: no such file or folder", 2)
    set_actor(_cli_actor())
    schema_dir = current_app.config["HSDS_SCHEMA_DIR"]
    try:
        total = count_items(path, schema_dir)
        with click.progressbar(length=total, label="Importing", file=sys.stderr) as bar:
            report = import_path(path, schema_dir=schema_dir, default_publication=publication,
                                 allow_dangling=allow_dangling,
                                 missing_organizations=missing_organizations, bulk=bulk,
                                 batch_size=batch_size, progress=bar.update)
    except ValidationError as exc:
        db.session.rollback()
        _print_errors(exc)
        sys.exit(1)
    except (ImportFileError, ValueError) as exc:
        db.session.rollback()
        _fail(f"Nothing was imported: {exc}", 1)
    for note in report.skipped:
        click.echo(f"Skipped {note}")
    for decision in report.decisions:
        click.secho(f"Decision: {decision}", fg="cyan", err=True)
    for warning in report.warnings:
        click.secho(f"Warning: {warning}", fg="yellow", err=True)
    if dry_run:
        db.session.rollback()
        click.echo("Dry run: valid; nothing saved.")
        return
    changed = report.counts.get("service", 0) + report.counts.get("organization", 0) \
        + report.counts.get("location", 0) + report.counts.get("taxonomy_term", 0)
    # A large import is indexed in one rebuild below rather than row by row at commit.
    sync_on_commit = current_app.config.get("SEARCH_SYNC_ON_COMMIT", True)
    if bulk or no_index:
        current_app.config["SEARCH_SYNC_ON_COMMIT"] = False
    try:
        db.session.commit()
    finally:
        current_app.config["SEARCH_SYNC_ON_COMMIT"] = sync_on_commit
    summary = ", ".join(f"{v} {k}" for k, v in sorted(report.counts.items())) or "nothing"
    click.echo(f"Imported {summary}.")
    if report.decisions:
        click.echo(f"{len(report.decisions)} placeholder(s) created; curators find them in the "
                   "admin (filter on placeholder).")
    if not no_index and changed:
        _bring_index_up_to_date(rebuild=bulk)
    elif changed:
        click.secho("Warning: the search index was not updated, so searches do not show this "
                    "import yet. Run `flask --app directory search sync` (or `search rebuild`).",
                    fg="yellow", err=True)


def _bring_index_up_to_date(*, rebuild: bool) -> None:
    """After an import: apply the change log to the search index, or build it when missing."""
    if "directory_search" not in current_app.extensions:
        return
    from .search import sync

    how = ("Searches do not show the imported listings yet. Run `flask --app directory search "
           "rebuild` to build the search index.")
    try:
        if rebuild or not sync.index_for(current_app).exists():
            click.echo("Building the search index...", err=True)
            count = sync.rebuild(current_app)
            click.echo(f"Search index built: {count} public listings.")
        else:
            sync.sync_pending(current_app)
            click.echo("Search index up to date.")
    except Exception as exc:  # noqa: BLE001 - the import is committed; say how to finish
        click.secho(f"Warning: the search index could not be updated ({type(exc).__name__}: "
                    f"{str(exc)[:200]}). {how}", fg="yellow", err=True)


@click.command("export")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--include-confidential", is_flag=True,
              help="Include addresses and coordinates of confidential locations (backups only: "
                   "keep the files as safe as the database).")
@click.option("--published-only", is_flag=True, help="Only services the public can see.")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json",
              show_default=True, help="HSDS 3.0 JSON files, or the tabular CSV datapackage.")
@click.option("--hsds-version", type=click.Choice(["3.0", "3.1"]), default="3.0",
              show_default=True,
              help="3.1 adds HSDS 3.1's fields (additional_urls) to the JSON files.")
def export_command(folder: str, include_confidential: bool, published_only: bool,
                   fmt: str, hsds_version: str) -> None:
    """Export the directory as HSDS 3.0 JSON files (or a CSV datapackage) into FOLDER."""
    from .exchange.datapackage import export_datapackage
    from .exchange.exporter import export_folder

    if os.path.exists(folder) and not os.path.isdir(folder):
        _fail(f"{folder} exists and is not a folder", 2)
    if fmt == "csv":
        counts = export_datapackage(folder, schema_dir=current_app.config["HSDS_SCHEMA_DIR"],
                                    include_confidential=include_confidential,
                                    published_only=published_only)
    else:
        counts = export_folder(folder, include_confidential=include_confidential,
                               published_only=published_only, hsds_version=hsds_version)
    click.echo(f"Exported to {folder}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))


users_cli = AppGroup("users", help="""Manage staff accounts.

Every change is recorded in the audit trail (never a password or a two-factor secret).
Exit status: 0 done, 1 no such account (or it already exists), 2 bad input.""")

_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_PASSWORD_HELP = ("The password. Prefer leaving it out: you are then asked for it (hidden, twice) "
                  "on a terminal, or it is read from the first line of standard input; "
                  "an option shows in the shell history and the process list.")


def _normalised_email(email: str) -> str:
    """EMAIL trimmed and lowercased; exits with status 2 if it is not an email address."""
    import re

    email = email.strip().lower()
    if not re.match(_EMAIL, email):
        _fail(f"{email!r} is not an email address", 2)
    return email


def _find_account(email: str):
    """The account for EMAIL; exits with status 1 if there is none."""
    from . import models as m

    email = _normalised_email(email)
    user = db.session.scalar(sa.select(m.User).where(sa.func.lower(m.User.email) == email))
    if user is None:
        _fail(f"No account for {email}.", 1)
    return user


def _stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def _new_password(password: str | None, user=None, email: str | None = None) -> str:
    """The password from --password, a hidden prompt or stdin, checked against the sign-in rules.

    Exits with status 2 if it is refused. Returns it normalised as sign-in normalises what is
    typed, so that passwords with accents work however the terminal composes them.
    """
    if password is None:
        if _stdin_is_terminal():
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        else:
            password = sys.stdin.readline().rstrip("\r\n")
    rules = current_app.extensions["security"].password_util
    if user is None:
        problems, password = rules.validate(password, True, email=email)
    else:
        problems, password = rules.validate(password, False, user=user)
    if problems:
        _fail("Password refused: " + "; ".join(str(p) for p in problems) + ".", 2)
    return password


def _two_factor_on(user) -> bool:
    return bool(user.tf_primary_method)


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "publisher", "editor", "translator"]), required=True,
              help="What the account may do.")
@click.option("--password", help=_PASSWORD_HELP)
def users_create_command(email: str, role: str, password: str | None) -> None:
    """Create a staff account with EMAIL and a role."""
    from flask_security.utils import hash_password

    from . import models as m
    from .operations import set_actor
    from .security import user_datastore

    email = _normalised_email(email)
    if db.session.scalar(sa.select(m.User).where(sa.func.lower(m.User.email) == email)):
        _fail(f"An account for {email} already exists.", 1)
    password = _new_password(password, email=email)
    set_actor(_cli_actor())
    store = user_datastore()
    role_row = store.find_or_create_role(name=role, description=m.ROLES[role])
    store.create_user(email=email, password=hash_password(password), roles=[role_row],
                      active=True)
    db.session.commit()
    click.echo(f"Created {role} account {email}.")


@users_cli.command("set-password")
@click.argument("email")
@click.option("--password", help=_PASSWORD_HELP)
def users_set_password_command(email: str, password: str | None) -> None:
    """Set a new password for EMAIL and end its sessions.

    For someone who has lost their password (there is no emailed reset): tell them the new one
    by a safe route and ask them to change it under "Change password" in the admin. Their
    sessions and "remember me" cookies stop working at once; two-step sign-in, if set up, stays.
    """
    from flask_security.changeable import admin_change_password

    from .operations import set_actor

    user = _find_account(email)
    password = _new_password(password, user=user)
    set_actor(_cli_actor())
    # Hashes the password and changes fs_uniquifier, which ends every session of the account.
    admin_change_password(user, password, notify=False)
    db.session.commit()
    click.echo(f"New password set for {user.email}; its sessions have been signed out.")


@users_cli.command("reset-2fa")
@click.argument("email")
def users_reset_two_factor_command(email: str) -> None:
    """Turn off two-step sign-in for EMAIL and end its sessions.

    For someone who has lost their authenticator app: they can then sign in with their
    password alone and set up two-step sign-in again. The password is not changed.
    """
    from .operations import set_actor
    from .security import user_datastore

    user = _find_account(email)
    if not _two_factor_on(user) and not user.tf_totp_secret:
        click.echo(f"{user.email} has no two-step sign-in set up; nothing changed.")
        return
    set_actor(_cli_actor())
    store = user_datastore()
    store.tf_reset(user)  # primary method, TOTP secret and phone number
    store.mf_set_recovery_codes(user, None)  # codes of the old setup must not outlive it
    store.set_uniquifier(user)
    db.session.commit()
    click.echo(f"Two-step sign-in turned off for {user.email}; its sessions have been signed "
               "out. They can sign in with their password and set it up again.")


@users_cli.command("deactivate")
@click.argument("email")
def users_deactivate_command(email: str) -> None:
    """Stop EMAIL from signing in and end its sessions.

    As switching off "Active" on the admin's Users page. Undo with `flask users activate`.
    """
    from .operations import set_actor
    from .security import user_datastore

    user = _find_account(email)
    if not user.active:
        click.echo(f"{user.email} is already deactivated; nothing changed.")
        return
    set_actor(_cli_actor())
    store = user_datastore()
    store.deactivate_user(user)
    store.set_uniquifier(user)  # as the admin's Users page does: sessions end now
    db.session.commit()
    click.echo(f"Deactivated {user.email}; its sessions have been signed out.")


@users_cli.command("activate")
@click.argument("email")
def users_activate_command(email: str) -> None:
    """Let EMAIL sign in again.

    With the password and two-step sign-in the account already has.
    """
    from .operations import set_actor
    from .security import user_datastore

    user = _find_account(email)
    if user.active:
        click.echo(f"{user.email} is already active; nothing changed.")
        return
    set_actor(_cli_actor())
    user_datastore().activate_user(user)
    db.session.commit()
    click.echo(f"Activated {user.email}.")


@users_cli.command("list")
def users_list_command() -> None:
    """List staff accounts.

    Email, roles, whether the account is active and whether two-step sign-in is on.
    Nothing secret is shown.
    """
    from . import models as m

    users = db.session.scalars(sa.select(m.User).order_by(m.User.email)).all()
    if not users:
        click.echo("No staff accounts. Create one with: flask users create EMAIL --role admin")
        return
    rows = [(u.email, ",".join(sorted(r.name for r in u.roles)) or "-",
             "yes" if u.active else "no", "on" if _two_factor_on(u) else "off") for u in users]
    header = ("EMAIL", "ROLES", "ACTIVE", "TWO-STEP")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


def init_app(app: Flask) -> None:
    """Register the commands."""
    from .verify_cli import verify_cli

    for command in (init_command, demo_command, import_command, export_command, users_cli,
                    verify_cli):
        app.cli.add_command(command)
