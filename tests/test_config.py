"""Configuration: defaults, instance file, DIRECTORY_* environment variables, no default secret."""

import pytest

from directory import ConfigurationError, create_app


def test_no_secret_key_is_a_clear_startup_error(monkeypatch, tmp_path):
    monkeypatch.delenv("DIRECTORY_SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="DIRECTORY_SECRET_KEY"):
        create_app({"SECRET_KEY": None, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})


def test_environment_variables_override_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("DIRECTORY_SECRET_KEY", "from-env")
    monkeypatch.setenv("DIRECTORY_DATABASE_URL", f"sqlite:///{tmp_path}/other.db")
    monkeypatch.setenv("DIRECTORY_INDEX_DIR", str(tmp_path / "other-index"))
    monkeypatch.setenv("DIRECTORY_EXIT_URL", "https://weather.example/")
    monkeypatch.setenv("DIRECTORY_REDIS_URL", "redis://127.0.0.1:6379/3")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/other.db"
    assert app.config["INDEX_DIR"] == str(tmp_path / "other-index")
    assert app.config["REDIS_URL"] == "redis://127.0.0.1:6379/3"
    response = app.test_client().get("/exit")
    assert response.status_code == 303
    assert response.headers["Location"] == "https://weather.example/"


def test_postgres_urls_use_psycopg3(tmp_path):
    app = create_app({"SECRET_KEY": "x", "DATABASE_URL": "postgresql://u@127.0.0.1/db"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@127.0.0.1/db"


def test_two_instances_keep_separate_data(tmp_path):
    from factories import make_service
    from flask_migrate import upgrade

    from directory.extensions import db
    from directory.models import Service

    apps = []
    for name in ("a", "b"):
        app = create_app({"SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{tmp_path}/{name}.db",
                          "INDEX_DIR": str(tmp_path / f"index-{name}")})
        with app.app_context():
            upgrade()
        apps.append(app)
    with apps[0].app_context():
        make_service(name="Only in A")
    with apps[1].app_context():
        assert db.session.query(Service).count() == 0
    with apps[0].app_context():
        assert [s.name for s in db.session.query(Service)] == ["Only in A"]


def test_trusted_hosts_refuse_other_host_headers(tmp_path):
    app = create_app({"SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{tmp_path}/t.db",
                      "TRUSTED_HOSTS": ["directory.example.org"],
                      "SEARCH_ENSURE_ON_START": False})
    client = app.test_client()
    assert client.get("/exit", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/exit", headers={"Host": "directory.example.org"}).status_code == 303
