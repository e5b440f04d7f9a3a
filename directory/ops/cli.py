"""``flask backup``, ``flask restore`` and ``flask search prune-log``."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app

from ..extensions import db


def _fail(message: str, code: int = 1) -> None:
    click.secho(message, fg="red", err=True)
    sys.exit(code)


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
def backup_command(path: str, force: bool) -> None:
    """Write a consistent backup of the database to PATH while the app keeps running.

    SQLite: a copy made with SQLite's online backup API. PostgreSQL: a pg_dump custom-format
    archive (client tools at least as new as the server). The file holds confidential
    addresses: keep it as safe as the database.
    """
    from .backup import BackupError, backend, backup_database

    try:
        size = backup_database(current_app._get_current_object(), path, overwrite=force)
    except BackupError as exc:
        _fail(f"Backup failed: {exc}", 2)
    kind = backend(current_app._get_current_object())
    click.echo(f"Backed up the {kind} database to {path} ({size / 1024:.0f} KiB).")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True,
              help="Replace the configured database even though it holds services.")
def restore_command(path: str, force: bool) -> None:
    """Restore the backup at PATH into the configured database, then rebuild the index.

    The database must be fresh (empty or without tables) unless --force is given. It is then
    migrated to this release's schema. Other replicas rebuild their own indexes on their next
    search or readiness check.
    """
    from .backup import BackupError, restore_database

    try:
        report = restore_database(current_app._get_current_object(), path, overwrite=force)
    except BackupError as exc:
        db.session.rollback()
        _fail(f"Restore failed: {exc}", 2)
    click.echo(f"Restored {report.services} service(s) from {path}; indexed "
               f"{report.indexed} public service(s) into {current_app.config['INDEX_DIR']}.")


@click.command("prune-log")
@click.option("--keep-days", type=click.FloatRange(min=1), default=None,
              help="Keep change-log rows younger than this many days "
                   "[default: SEARCH_LOG_KEEP_DAYS, 30].")
def prune_log_command(keep_days: float | None) -> None:
    """Delete old rows of the search change log.

    A replica whose index is older than what remains rebuilds its index instead of catching
    up, so keep more days than any replica may stay down.
    """
    from .retention import cutoff_for, prune_change_log

    if keep_days is None:
        keep_days = float(current_app.config.get("SEARCH_LOG_KEEP_DAYS", 30))
    deleted = prune_change_log(db.session, cutoff_for(keep_days))
    db.session.commit()
    click.echo(f"Deleted {deleted} change-log row(s) older than {keep_days:g} day(s).")


def init_app(app: Flask) -> None:
    """Register the commands (prune-log under `flask search`)."""
    from ..search.cli import search_cli

    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    search_cli.add_command(prune_log_command)
