"""Backups and restores of the configured database, then an index rebuild.

SQLite: the sqlite3 online backup API, which copies a consistent snapshot while the app keeps
writing. PostgreSQL: ``pg_dump --format=custom`` (one snapshot transaction) and ``pg_restore``,
using client tools at least as new as the server. After a restore the database is migrated to the
current schema, the search change log is replaced by one ``epoch`` row (so every replica's index
knows it must rebuild, see ``directory.search.sync.needs_rebuild``) and the local index is rebuilt.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import make_url

from .. import models as m
from ..extensions import db

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"


class BackupError(RuntimeError):
    """A backup or restore cannot go ahead; the message says why and what to do."""


@dataclass
class RestoreReport:
    services: int
    indexed: int


def backend(app: Flask) -> str:
    """``sqlite`` or ``postgresql``: the configured database's kind."""
    name = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"backups support SQLite and PostgreSQL, not {name}")
    return name


# -- SQLite -------------------------------------------------------------------------------------
def _sqlite_file(app: Flask) -> str:
    path = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    if not path or path == ":memory:" or path.startswith("file::memory:"):
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return path


def _sqlite_copy(source: str, target: str) -> None:
    """Copy one SQLite database into another through the online backup API."""
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target, timeout=30)
    try:
        # pages=-1 copies everything in one step under one read snapshot, so writers in WAL
        # mode carry on and the copy is consistent.
        src.backup(dst, pages=-1)
    finally:
        src.close()
        dst.close()


def _sqlite_check(path: str) -> int:
    """Verify a SQLite file is a sound directory database; return its service count."""
    with open(path, "rb") as handle:
        if handle.read(16) != SQLITE_MAGIC:
            raise BackupError(f"{path} is not a SQLite backup")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError(f"{path} is damaged (SQLite integrity check failed)")
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        if not {"service", "alembic_version"} <= tables:
            raise BackupError(f"{path} is a SQLite file but not a directory database")
        return int(conn.execute("SELECT count(*) FROM service").fetchone()[0])
    finally:
        conn.close()


def _backup_sqlite(app: Flask, tmp: str) -> None:
    _sqlite_copy(_sqlite_file(app), tmp)
    conn = sqlite3.connect(tmp)
    try:
        conn.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        conn.close()
    _sqlite_check(tmp)


def _restore_sqlite(app: Flask, path: str) -> None:
    _sqlite_check(path)
    target = _sqlite_file(app)
    os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
    _sqlite_copy(path, target)


# -- PostgreSQL ---------------------------------------------------------------------------------
def _libpq_uri(app: Flask) -> tuple[str, dict[str, str]]:
    """The database as a libpq URI without the password, and the environment carrying it."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)  # not on the command line, where `ps` shows it
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, env


def _major(version_text: str) -> int:
    match = re.search(r"(\d+)(?:\.\d+)?", version_text)
    if not match:
        raise BackupError(f"cannot read a version from {version_text!r}")
    return int(match.group(1))


def _server_major() -> int:
    return int(db.session.scalar(sa.text("SHOW server_version_num"))) // 10000


def pg_tool(app: Flask, name: str, server_major: int) -> str:
    """The path of ``pg_dump``/``pg_restore`` able to handle this server's version."""
    candidates = []
    if app.config.get("PG_BIN_DIR"):
        candidates.append(os.path.join(app.config["PG_BIN_DIR"], name))
    # Debian installs each major version's client tools side by side.
    candidates.append(f"/usr/lib/postgresql/{server_major}/bin/{name}")
    candidates.append(shutil.which(name) or "")
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            found = subprocess.run([candidate, "--version"], capture_output=True, text=True,
                                   check=False)
            tool_major = _major(found.stdout)
            if tool_major < server_major:
                raise BackupError(
                    f"{candidate} is version {tool_major} but the server runs PostgreSQL "
                    f"{server_major}: install the version-{server_major} client tools "
                    f"(Debian: postgresql-client-{server_major}) or set DIRECTORY_PG_BIN_DIR")
            return candidate
    raise BackupError(f"{name} not found: install the PostgreSQL {server_major} client tools "
                      f"(Debian: postgresql-client-{server_major}) or set DIRECTORY_PG_BIN_DIR")


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{what} failed (exit {done.returncode}): {done.stderr.strip()}")


def _backup_postgresql(app: Flask, tmp: str) -> None:
    tool = pg_tool(app, "pg_dump", _server_major())
    uri, env = _libpq_uri(app)
    _run([tool, "--format=custom", "--no-owner", "--no-privileges", "--file", tmp,
          "--dbname", uri], env, "pg_dump")


def _restore_postgresql(app: Flask, path: str) -> None:
    with open(path, "rb") as handle:
        if handle.read(5) != PG_CUSTOM_MAGIC:
            raise BackupError(f"{path} is not a pg_dump custom-format backup")
    tool = pg_tool(app, "pg_restore", _server_major())
    db.session.remove()
    db.engine.dispose()  # pg_restore drops tables: no idle connection of ours may hold a lock
    uri, env = _libpq_uri(app)
    _run([tool, "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
          "--exit-on-error", "--dbname", uri, path], env, "pg_restore")


# -- both ---------------------------------------------------------------------------------------
def count_services() -> int | None:
    """Services in the configured database, or None when it has no schema yet."""
    if not sa.inspect(db.engine).has_table("service"):
        return None
    return int(db.session.scalar(sa.select(sa.func.count(m.Service.id))) or 0)


def backup_database(app: Flask, path: str, *, overwrite: bool = False) -> int:
    """Write a consistent backup of the configured database to ``path``; return its size."""
    kind = backend(app)
    if os.path.isdir(path):
        raise BackupError(f"{path} is a folder; give a file name")
    if os.path.exists(path) and not overwrite:
        raise BackupError(f"{path} already exists (use --force to replace it)")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise BackupError(f"{folder}: no such folder")
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{uuid.uuid4().hex[:8]}.part")
    try:
        if kind == "sqlite":
            _backup_sqlite(app, tmp)
        else:
            _backup_postgresql(app, tmp)
        os.chmod(tmp, 0o600)  # as sensitive as the database (confidential addresses)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return os.path.getsize(path)


def reset_change_log() -> None:
    """Replace the change log by one new ``epoch`` row (every index must rebuild). Commits."""
    from ..search.sync import EPOCH_ENTITY

    marker = m.SearchChange(entity=EPOCH_ENTITY, entity_id=str(uuid.uuid4()))
    db.session.add(marker)
    db.session.flush()
    db.session.execute(sa.delete(m.SearchChange).where(m.SearchChange.seq < marker.seq)
                       .execution_options(synchronize_session=False))
    db.session.commit()


def restore_database(app: Flask, path: str, *, overwrite: bool = False) -> RestoreReport:
    """Restore ``path`` into the configured database, migrate it, reset the log, rebuild."""
    from flask_migrate import upgrade

    from ..search.sync import rebuild

    kind = backend(app)
    if not os.path.isfile(path):
        raise BackupError(f"{path}: no such file")
    with open(path, "rb") as handle:
        head = handle.read(16)
    found = ("sqlite" if head == SQLITE_MAGIC else
             "postgresql" if head.startswith(PG_CUSTOM_MAGIC) else None)
    if found is None:
        raise BackupError(f"{path} is neither a SQLite nor a pg_dump custom-format backup")
    if found != kind:
        raise BackupError(f"{path} is a {found} backup but the configured database is {kind}; "
                          "to move between them, `flask export --include-confidential` then "
                          "`flask import` into the other")
    existing = count_services()
    if existing and not overwrite:
        raise BackupError(f"the configured database already holds {existing} service(s); "
                          "restore into a fresh database, or use --force to replace it")
    db.session.remove()
    db.engine.dispose()
    if kind == "sqlite":
        _restore_sqlite(app, path)
    else:
        _restore_postgresql(app, path)
    db.engine.dispose()
    upgrade()  # a backup from an older release is brought to this release's schema
    reset_change_log()
    services = count_services() or 0
    indexed = rebuild(app)
    return RestoreReport(services=services, indexed=indexed)


__all__ = ["BackupError", "RestoreReport", "backend", "backup_database", "pg_tool",
           "reset_change_log", "restore_database"]
