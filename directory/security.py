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
    app.config.setdefault("SECURITY_POST_LOGOUT_VIEW", "/account/login")
    # Do not tell an attacker whether an account exists.
    app.config.setdefault("SECURITY_RETURN_GENERIC_RESPONSES", True)
    app.config.setdefault("SECURITY_LOGOUT_METHODS", ["POST"])
    # Staff change their own password at /account/change (it asks for the current one and
    # signs out every other session of the account); there is no mail server to notify them.
    app.config.setdefault("SECURITY_CHANGEABLE", True)
    app.config.setdefault("SECURITY_SEND_PASSWORD_CHANGE_EMAIL", False)
    _secure_cookies(app)
    _two_factor(app)
    security.init_app(app, SQLAlchemyUserDatastore(db, User, Role))
    _limit_login(app)
    _log_sign_in_events(app)
    _audit_account_changes(app)


def user_datastore() -> SQLAlchemyUserDatastore:
    """The datastore bound to the current app."""
    from flask import current_app

    return current_app.extensions["security"].datastore


def _two_factor(app: Flask) -> None:
    """Optional TOTP second factor (an authenticator app); SECURITY_TWO_FACTOR_REQUIRED forces it."""
    import hashlib
    import hmac

    config = app.config
    config.setdefault("SECURITY_TWO_FACTOR", True)
    config.setdefault("SECURITY_TWO_FACTOR_ENABLED_METHODS", ["authenticator"])
    config.setdefault("SECURITY_TWO_FACTOR_REQUIRED", False)
    config.setdefault("SECURITY_TWO_FACTOR_RESCUE_EMAIL", False)
    config.setdefault("SECURITY_TOTP_ISSUER", "Support Directory")
    if not config.get("SECURITY_TOTP_SECRETS"):
        # Encrypts the stored TOTP secrets; derived from SECRET_KEY so it needs no extra setting.
        config["SECURITY_TOTP_SECRETS"] = {"1": hmac.new(
            str(config["SECRET_KEY"]).encode(), b"totp-secrets", hashlib.sha256).hexdigest()}


def _secure_cookies(app: Flask) -> None:
    """HttpOnly, SameSite and (outside debug and tests, unless told otherwise) Secure cookies."""
    secure = app.config.get("SECURE_COOKIES")
    if secure is None:
        secure = not (app.debug or app.testing)
    for prefix in ("SESSION", "REMEMBER"):
        app.config[f"{prefix}_COOKIE_HTTPONLY"] = True
        app.config[f"{prefix}_COOKIE_SAMESITE"] = app.config.get(
            f"{prefix}_COOKIE_SAMESITE") or "Lax"
        if secure:
            app.config[f"{prefix}_COOKIE_SECURE"] = True


_LIMITED_VIEWS: dict = {}


def _login_limit() -> str:
    from flask import current_app

    return current_app.config["RATELIMIT_LOGIN"]


def _limit_login(app: Flask) -> None:
    """Rate-limit sign-in attempts (shared through Redis when DIRECTORY_REDIS_URL is set)."""
    from .extensions import limiter

    # The change-password form checks the current password, so a stolen session could guess it.
    for endpoint in ("security.login", "security.two_factor_token_validation",
                     "security.reset_password", "security.forgot_password",
                     "security.change_password"):
        view = app.view_functions.get(endpoint)
        if view is None:
            continue
        # Flask-Security's views are module functions shared by every app in the process;
        # wrap each once, or the limit would be counted once per app created.
        if view not in _LIMITED_VIEWS:
            _LIMITED_VIEWS[view] = limiter.limit(_login_limit, methods=["POST"],
                                                 scope="login")(view)
        app.view_functions[endpoint] = _LIMITED_VIEWS[view]


def _log_sign_in_events(app: Flask) -> None:
    """Log sign-ins, failures and sign-outs: who and what, never a password, token or address."""
    import logging

    from flask_security.signals import (
        password_changed, user_authenticated, user_failed_authn, user_unauthenticated,
    )

    log = logging.getLogger("directory.security")

    def _succeeded(sender, user, authn_via=None, **extra):
        log.info("sign-in: user %s (%s)", user.id, ",".join(authn_via or []))

    def _failed(sender, user=None, **extra):
        log.warning("sign-in failed%s", f": user {user.id}" if user is not None else
                    " (unknown account)")

    def _left(sender, user=None, **extra):
        log.info("sign-out: user %s", getattr(user, "id", "?"))

    def _password(sender, user, **extra):
        log.info("password changed: user %s", user.id)

    for signal, handler in ((user_authenticated, _succeeded), (user_failed_authn, _failed),
                            (user_unauthenticated, _left), (password_changed, _password)):
        signal.connect(handler, app, weak=False)


def _audit_account_changes(app: Flask) -> None:
    """Name the signed-in account in the audit trail for changes it makes on its account pages."""
    from flask import request
    from flask_security import current_user

    prefix = app.config["SECURITY_URL_PREFIX"].rstrip("/") + "/"

    @app.before_request
    def _account_actor() -> None:
        if request.path.startswith(prefix) and current_user.is_authenticated:
            from .operations import set_actor

            set_actor(current_user)
