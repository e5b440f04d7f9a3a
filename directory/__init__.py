"""Support Directory: a multilingual directory of violence-support and sexual-health services."""

from __future__ import annotations

import hashlib
import hmac
import os
from typing import Any

import zoneinfo

from flask import Flask

# Time zone rules come from the pinned tzdata package, never the operating system's copy: the
# machine's can lag IANA by years (Debian's read 2025b here, before British Columbia's move to
# permanent UTC-7 in 2026), while Babel formats dates with pytz's current rules. One set of
# rules for open-now, schedules and every date shown.
zoneinfo.reset_tzpath(to=[])
zoneinfo.ZoneInfo.clear_cache()

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class ConfigurationError(RuntimeError):
    """The app cannot start with this configuration."""


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure the app."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object("directory.config")
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env(prefix="DIRECTORY")
    if test_config is not None:
        app.config.from_mapping(test_config)
    _finish_config(app)
    if app.config.get("PROXY_COUNT"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        count = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)

    from . import cli, compression, headers, i18n
    from .extensions import babel, csrf, db, limiter, mail, migrate
    from .security import init_security

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(PROJECT_ROOT, "migrations"),
                     render_as_batch=True)
    babel.init_app(app, locale_selector=i18n.babel_locale,
                   timezone_selector=i18n.babel_timezone,
                   default_translation_directories=os.path.join(PROJECT_ROOT, "translations"))
    csrf.init_app(app)
    limiter.init_app(app)
    mail.init_app(app)
    headers.init_app(app)
    compression.init_app(app)
    init_security(app)
    _init_database_engine(app)

    from . import public, search

    search.init_app(app)
    app.register_blueprint(public.bp)
    public.init_app(app)
    from . import api, widget

    app.register_blueprint(api.bp)
    app.register_blueprint(widget.bp)
    cli.init_app(app)
    from . import admin

    admin.init_app(app)
    from . import ops

    ops.init_app(app)
    return app


def _finish_config(app: Flask) -> None:
    """Fill derived settings and refuse to start without a secret."""
    config = app.config
    if not config.get("SECRET_KEY"):
        raise ConfigurationError(
            "No secret key: set DIRECTORY_SECRET_KEY in the environment or SECRET_KEY in "
            f"{os.path.join(app.instance_path, 'config.py')} (make run writes one for local use)."
        )
    os.makedirs(app.instance_path, exist_ok=True)
    if not config.get("DATABASE_URL"):
        config["DATABASE_URL"] = "sqlite:///" + os.path.join(app.instance_path, "directory.db")
    config["SQLALCHEMY_DATABASE_URI"] = _normalise_database_url(config["DATABASE_URL"])
    config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    if not config.get("INDEX_DIR"):
        config["INDEX_DIR"] = os.path.join(app.instance_path, "index")
    if not config.get("HSDS_SCHEMA_DIR"):
        config["HSDS_SCHEMA_DIR"] = os.path.join(os.path.dirname(__file__), "exchange",
                                                 "hsds_schema")
    config.setdefault("RATELIMIT_STORAGE_URI", config.get("REDIS_URL") or "memory://")
    config.setdefault("RATELIMIT_ENABLED", True)
    if not config.get("SECURITY_PASSWORD_SALT"):
        config["SECURITY_PASSWORD_SALT"] = hmac.new(
            str(config["SECRET_KEY"]).encode(), b"password-salt", hashlib.sha256).hexdigest()


def _normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given in their plain form."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _init_database_engine(app: Flask) -> None:
    """Turn on foreign keys and WAL for SQLite, so it behaves like the server databases."""
    from sqlalchemy import event

    from .extensions import db

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if ":memory:" not in app.config["SQLALCHEMY_DATABASE_URI"]:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
