"""Backups while edits are being written, restored into a fresh database with nothing lost."""

import threading
import time

import pytest
import sqlalchemy as sa
from factories import make_service

from directory import create_app
from directory import models as m
from directory.extensions import db
from directory.search.query import search


def _write_services(app, committed, stop, errors):
    """Commit one service after another until told to stop (another editor at work)."""
    try:
        with app.app_context():
            n = 0
            while not stop.is_set() and n < 400:
                service = make_service(name=f"Quillwort Clinic {n}")
                committed.append(service.id)  # only once the commit has returned
                n += 1
            db.session.remove()
    except Exception as exc:  # noqa: BLE001 - reported by the test
        errors.append(exc)


def test_backup_during_edits_restores_every_committed_service(app, runner, tmp_path, using,
                                                              fresh_database_url):
    app.config["SEARCH_SYNC_ON_COMMIT"] = False  # the restore rebuilds the index anyway
    committed: list[str] = []
    stop, errors = threading.Event(), []
    writer = threading.Thread(target=_write_services, args=(app, committed, stop, errors))
    writer.start()
    try:
        deadline = time.monotonic() + 30
        while len(committed) < 10 and time.monotonic() < deadline and not errors:
            time.sleep(0.01)
        before = set(committed)
        result = runner.invoke(args=["backup", str(tmp_path / "directory.backup")])
        after = set(committed)
        while len(committed) < len(after) + 3 and time.monotonic() < deadline and not errors:
            time.sleep(0.01)  # edits go on after the backup too
    finally:
        stop.set()
        writer.join(60)
    assert not errors, errors
    assert result.exit_code == 0, result.output
    assert len(committed) > len(after) >= len(before) >= 10, "the edits did not overlap"

    restored_app = create_app(dict(app.config, DATABASE_URL=fresh_database_url,
                                   INDEX_DIR=str(tmp_path / "restored-index")))
    with using(restored_app):
        restored = restored_app.test_cli_runner().invoke(
            args=["restore", str(tmp_path / "directory.backup")])
        assert restored.exit_code == 0, restored.output
        ids = set(db.session.scalars(sa.select(m.Service.id)))
        # Everything committed before the backup began is there; nothing half-written is.
        assert before <= ids <= set(committed)
        assert ids <= after | set(committed)
        orphans = db.session.scalar(sa.select(sa.func.count(m.Service.id)).where(
            ~m.Service.organization_id.in_(sa.select(m.Organization.id))))
        assert orphans == 0
        # The restored index answers searches for every restored listing.
        assert search("quillwort", page_size=10).total == len(ids)
        db.session.remove()
        db.engine.dispose()


def test_restore_refuses_a_database_that_holds_services(app, runner, tmp_path):
    service = make_service(name="Bramble Clinic")
    assert runner.invoke(args=["backup", str(tmp_path / "b")]).exit_code == 0
    result = runner.invoke(args=["restore", str(tmp_path / "b")])
    assert result.exit_code == 2
    assert "already holds 1 service" in result.output
    assert db.session.get(m.Service, service.id) is not None


@pytest.mark.parametrize("content, message", [
    (b"name,phone\n", "neither a SQLite nor a pg_dump"),
    (b"", "neither a SQLite nor a pg_dump"),
])
def test_restore_rejects_files_that_are_not_backups(runner, tmp_path, content, message):
    path = tmp_path / "notes.csv"
    path.write_bytes(content)
    result = runner.invoke(args=["restore", str(path)])
    assert result.exit_code == 2 and message in result.output


def test_restore_rejects_a_backup_of_the_other_kind(app, runner, tmp_path):
    backend = "sqlite" if app.config["DATABASE_URL"].startswith("sqlite") else "postgresql"
    other = tmp_path / "other"
    other.write_bytes(b"PGDMP\x01\x0e" if backend == "sqlite" else b"SQLite format 3\x00" * 4)
    result = runner.invoke(args=["restore", str(other)])
    assert result.exit_code == 2 and f"the configured database is {backend}" in result.output


def test_backup_does_not_overwrite_without_force(runner, tmp_path):
    path = tmp_path / "b"
    path.write_text("yesterday's backup")
    result = runner.invoke(args=["backup", str(path)])
    assert result.exit_code == 2 and "already exists" in result.output
    assert path.read_text() == "yesterday's backup"
    assert runner.invoke(args=["backup", "--force", str(path)]).exit_code == 0
    assert path.read_bytes() != b"yesterday's backup"
