"""Operations: health and readiness endpoints, structured logging, backups, log retention."""

from __future__ import annotations

from flask import Blueprint, Flask

from . import health

bp = Blueprint("ops", __name__)
bp.add_url_rule("/healthz", "healthz", health.healthz)
bp.add_url_rule("/readyz", "readyz", health.readyz)


def init_app(app: Flask) -> None:
    """Register the endpoints, the logging setup and the commands."""
    from .cli import init_app as init_cli
    from .logs import configure_logging

    configure_logging(app)
    app.register_blueprint(bp)
    init_cli(app)
