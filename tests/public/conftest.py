"""Public-site fixtures: the demo directory, loaded and indexed once, copied for each test.

Pages render the same whatever the database, so these tests run on SQLite only.
"""

import shutil

import pytest
import sqlalchemy as sa
from flask import abort

from directory import create_app
from directory import models as m
from directory.cli import load_demo
from directory.extensions import db
from directory.search import sync


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory, sqlite_template):
    """A SQLite database with the demo set and its index, built once per test session."""
    folder = tmp_path_factory.mktemp("demo")
    shutil.copy(sqlite_template, folder / "demo.db")
    app = create_app({"TESTING": True, "SECRET_KEY": "test",
                      "DATABASE_URL": f"sqlite:///{folder / 'demo.db'}",
                      "INDEX_DIR": str(folder / "index"), "SEARCH_SYNC_ON_COMMIT": False})
    with app.app_context():
        load_demo()
        db.session.commit()
        sync.rebuild(app)
        sync.index_for(app).close()
        db.session.remove()
        db.engine.dispose()
    return folder


@pytest.fixture
def database_url(tmp_path, demo_template):
    shutil.copy(demo_template / "demo.db", tmp_path / "directory.db")
    shutil.copytree(demo_template / "index", tmp_path / "index", symlinks=True)
    return f"sqlite:///{tmp_path / 'directory.db'}"


@pytest.fixture
def demo(app):
    """The demo directory (committed and indexed); returns a few listings tests need."""
    public = [s for s in db.session.scalars(sa.select(m.Service).order_by(m.Service.name))
              if s.is_public]
    confidential = next(s for s in public if any(
        sal.location is not None and sal.location.confidential
        for sal in s.service_at_locations))
    open_site = next(s for s in public if any(
        sal.location is not None and not sal.location.confidential
        and sal.location.latitude is not None for sal in s.service_at_locations))
    english_only = next(s for s in public if s.text_language == "en" and not s.translations)
    return {"public": public, "confidential": confidential, "open_site": open_site,
            "english_only": english_only,
            "page": db.session.scalar(sa.select(m.Page))}


@pytest.fixture
def failing_routes(app):
    """Routes that fail the way real views do: abort(status), or an exception (a 500)."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def fail(code):
        if code == 500:
            raise RuntimeError("a bug")
        abort(code)

    app.add_url_rule("/fail/<int:code>", "fail", fail)
    app.add_url_rule("/fr/fail/<int:code>", "fail_fr", fail)
    return app
