"""Staff authentication (Flask-Security-Too) with argon2 password hashes."""

from __future__ import annotations

from flask import Flask
from flask_security import Security, SQLAlchemyUserDatastore

from .extensions import db

security = Security()


def init_security(app: Flask) -> None:
    """Bind Flask-Security to the app with our user and role models."""
    from .models import Role, User

    app.config.setdefault("SECURITY_PASSWORD_HASH", "argon2")
    app.config.setdefault("SECURITY_URL_PREFIX", "/account")
    app.config.setdefault("SECURITY_REGISTERABLE", False)
    app.config.setdefault("SECURITY_TRACKABLE", False)
    app.config.setdefault("SECURITY_SEND_REGISTER_EMAIL", False)
    app.config.setdefault("SECURITY_PASSWORD_LENGTH_MIN", 12)
    app.config.setdefault("SECURITY_POST_LOGIN_VIEW", "/admin/")
    security.init_app(app, SQLAlchemyUserDatastore(db, User, Role))


def user_datastore() -> SQLAlchemyUserDatastore:
    """The datastore bound to the current app."""
    from flask import current_app

    return current_app.extensions["security"].datastore
