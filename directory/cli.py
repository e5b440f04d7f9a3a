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
def import_command(path: str, publication: str, dry_run: bool, allow_dangling: bool) -> None:
    """Import HSDS 3.0 JSON from PATH (a file or a folder of files) or a CSV datapackage.

    A file may hold one object (like service_full.json), a list, an HSDS Page of objects
    (like service_list.json) or tabular JSON. Everything is validated against the HSDS 3.0
    schema first; if anything is wrong, every problem is listed with its record id, nothing is
    saved and the command exits with status 1.
    """
    from .exchange.importer import count_items, import_path
    from .operations import set_actor

    if not os.path.exists(path):
        _fail(f"{path}: no such file or folder", 2)
    set_actor(_cli_actor())
    total = count_items(path, current_app.config["HSDS_SCHEMA_DIR"])
    try:
        with click.progressbar(length=total, label="Importing", file=sys.stderr) as bar:
            report = import_path(path, schema_dir=current_app.config["HSDS_SCHEMA_DIR"],
                                 default_publication=publication,
                                 allow_dangling=allow_dangling, progress=bar.update)
    except ValidationError as exc:
        db.session.rollback()
        _print_errors(exc)
        sys.exit(1)
    for note in report.skipped:
        click.echo(f"Skipped {note}")
    for warning in report.warnings:
        click.secho(f"Warning: {warning}", fg="yellow", err=True)
    if dry_run:
        db.session.rollback()
        click.echo("Dry run: valid; nothing saved.")
        return
    db.session.commit()
    summary = ", ".join(f"{v} {k}" for k, v in sorted(report.counts.items())) or "nothing"
    click.echo(f"Imported {summary}.")


@click.command("export")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--include-confidential", is_flag=True,
              help="Include addresses and coordinates of confidential locations (backups only: "
                   "keep the files as safe as the database).")
@click.option("--published-only", is_flag=True, help="Only services the public can see.")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json",
              show_default=True, help="HSDS 3.0 JSON files, or the tabular CSV datapackage.")
def export_command(folder: str, include_confidential: bool, published_only: bool,
                   fmt: str) -> None:
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
                               published_only=published_only)
    click.echo(f"Exported to {folder}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))


users_cli = AppGroup("users", help="Manage staff accounts.")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "editor", "translator"]), required=True,
              help="What the account may do.")
@click.option("--password", help="The password (prompted for, hidden, when not given).")
def users_create_command(email: str, role: str, password: str | None) -> None:
    """Create a staff account with EMAIL and a role."""
    from flask_security.utils import hash_password

    from . import models as m
    from .operations import set_actor
    from .security import user_datastore

    email = email.strip().lower()
    if not __import__("re").match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
        _fail(f"{email!r} is not an email address", 2)
    if db.session.scalar(sa.select(m.User).where(sa.func.lower(m.User.email) == email)):
        _fail(f"An account for {email} already exists.", 1)
    if password is None:
        if not sys.stdin.isatty():
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    minimum = current_app.config["SECURITY_PASSWORD_LENGTH_MIN"]
    if len(password) < minimum:
        _fail(f"The password must be at least {minimum} characters long.", 2)
    set_actor(_cli_actor())
    store = user_datastore()
    role_row = store.find_or_create_role(name=role, description=m.ROLES[role])
    store.create_user(email=email, password=hash_password(password), roles=[role_row],
                      active=True)
    db.session.commit()
    click.echo(f"Created {role} account {email}.")


def init_app(app: Flask) -> None:
    """Register the commands."""
    for command in (init_command, demo_command, import_command, export_command, users_cli):
        app.cli.add_command(command)
