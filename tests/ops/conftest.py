"""Ops fixtures: a second, fresh database on the test's backend; apps sharing one database."""

from __future__ import annotations

import uuid
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from directory import create_app
from directory.extensions import db


class PostgresDatabases:
    """Creates empty PostgreSQL databases next to the test session's one; drops them after."""

    def __init__(self, session_url: str):
        self.admin_url = session_url.rsplit("/", 1)[0] + "/postgres"
        self.created: list[str] = []

    def create(self) -> str:
        name = f"directory_ops_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = self.admin_url.rsplit("/", 1)[0] + f"/{name}"
        self.created.append(url)
        return url

    def drop_all(self) -> None:
        for url in self.created:
            _drop(self.admin_url, url)


@pytest.fixture
def postgres_databases(request):
    """Make fresh PostgreSQL databases (``.create()``), dropped at the end of the test."""
    databases = PostgresDatabases(request.getfixturevalue("postgres_url"))
    yield databases
    databases.drop_all()


def _drop(admin_url: str, url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = :name"), {"name": name})
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture
def fresh_database_url(request, database_url, tmp_path):
    """An empty database (no schema) on the same backend as ``database_url``."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'fresh.db'}"
    return request.getfixturevalue("postgres_databases").create()


@pytest.fixture
def other_app(app_config, tmp_path):
    """A second app on the same database with its own index: another replica."""
    config = dict(app_config, INDEX_DIR=str(tmp_path / "other-index"))
    application = create_app(config)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@contextmanager
def _using(application):
    with application.app_context():
        try:
            yield application
        finally:
            db.session.remove()


@pytest.fixture
def using():
    """``with using(app):`` runs a block in that app's context (its session and index)."""
    return _using
