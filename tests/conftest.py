"""Fixtures: an app on a real database (SQLite, and PostgreSQL when a server answers), a real
Whoosh index directory in tmp_path, the test client and the CLI runner.

Every test that uses ``app`` runs on SQLite; those in ``BOTH_BACKENDS`` (where storage behaviour
can differ) run on PostgreSQL too when a server answers.
"""

from __future__ import annotations

import os
import shutil
import socket
import uuid

import pytest
import sqlalchemy as sa

from directory import create_app
from directory.extensions import db

PG_HOST = os.environ.get("DIRECTORY_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("DIRECTORY_TEST_PG_PORT", "5432"))
PG_ADMIN_URL = os.environ.get("DIRECTORY_TEST_PG_ADMIN_URL",
                              f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/postgres")


def postgres_available() -> bool:
    """Whether a PostgreSQL server answers on the test address."""
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=0.5):
            pass
    except OSError:
        return False
    try:
        engine = sa.create_engine(PG_ADMIN_URL)
        with engine.connect():
            pass
        engine.dispose()
    except Exception:
        return False
    return True


BACKENDS = ["sqlite"] + (["postgresql"] if postgres_available() else [])
# Where storage behaviour can differ (transactions, locking, types, the change log, bulk
# writes, migrations): these tests (relative to tests/) run on PostgreSQL too. The rest (pages,
# browsers, markup, translations, scoring over an index, the fuzzers' HTTP surface) go through
# the same storage code and run on SQLite only, which keeps the suite within its time budget.
BOTH_BACKENDS = ("operations/", "exchange/", "ops/", "freshness/", "search/test_sync.py",
                 "search/test_changes.py", "search/test_documents_batch.py", "api/test_hsds.py",
                 "api/test_http.py", "admin/test_workbench.py", "admin/test_accounts.py",
                 "admin/test_transfer.py", "admin/test_checks_queue.py", "test_cli.py",
                 "test_demo.py")


def pytest_collection_modifyitems(config, items):
    """Leave out the PostgreSQL runs of tests outside BOTH_BACKENDS."""
    here = os.path.dirname(__file__)
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("database_url") if callspec else None
        path = os.path.relpath(str(item.path), here).replace(os.sep, "/")
        if backend == "postgresql" and (not path.startswith(BOTH_BACKENDS)
                                        or path.endswith("_browser.py")):
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def _migrate(url: str, tmp: str) -> None:
    from flask_migrate import upgrade

    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": url,
                      "INDEX_DIR": os.path.join(tmp, "index")})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    """A migrated SQLite database file, copied for each test."""
    folder = tmp_path_factory.mktemp("sqlite-template")
    path = str(folder / "template.db")
    _migrate(f"sqlite:///{path}", str(folder))
    return path


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory):
    """A fresh, migrated PostgreSQL database for this test session (dropped afterwards)."""
    name = f"directory_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    _migrate(url, str(tmp_path_factory.mktemp("pg")))
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path) -> str:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "directory.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        tables = [r[0] for r in conn.execute(sa.text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version'"))]
        conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables)
                             + " RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
def app_config(database_url, tmp_path) -> dict:
    """Settings for the test app; tests may change them before ``app`` is created."""
    return {"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": database_url,
            "INDEX_DIR": str(tmp_path / "index"), "WTF_CSRF_ENABLED": False,
            "SECURITY_PASSWORD_HASH": "argon2"}


@pytest.fixture
def app(app_config):
    """The app, with an application context pushed for the test."""
    application = create_app(app_config)
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# -- browser tests -------------------------------------------------------------------------------
CHROMIUM = os.environ.get("DIRECTORY_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]


class LiveServer:
    """A real HTTP server for ``app`` on 127.0.0.1 (a random port), in a background thread."""

    def __init__(self, app):
        import threading

        from werkzeug.serving import make_server

        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def live_server(app):
    """The app served over real HTTP (the app's database and index are the test's)."""
    server = LiveServer(app)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright; skipped where Chromium is missing."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    """A fresh browser context (no cookies, no storage) and page."""
    context = browser.new_context()
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def sqlite_database_url(tmp_path, sqlite_template) -> str:
    """A migrated, empty SQLite database, for tests about pages rather than storage."""
    path = tmp_path / "directory.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(autouse=True)
def _forget_crisis_lines():
    """The crisis-line cache is keyed by database and change-log position; a test database
    emptied and refilled reaches the same position with other rows, so no test inherits it."""
    from directory.public.views import _crisis_cache, _plan_cache

    _crisis_cache.clear()
    _plan_cache.clear()
    yield
    _crisis_cache.clear()
    _plan_cache.clear()


@pytest.fixture(autouse=True)
def _forget_curated_synonyms():
    """Curated synonym groups live in the analyzers (process-wide): none outlive their test."""
    yield
    from directory.search.analyzers import set_curated_synonyms

    set_curated_synonyms({})
