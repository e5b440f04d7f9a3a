"""Structured logs: one JSON object per line, without personal data.

Nothing here logs a search term, and two safety nets catch what other libraries might: addresses
(IPv4/IPv6) are masked and query strings are cut from request lines. Gunicorn's access log goes
through ``GunicornLogger``, which records method, path (never the query string), status, duration
and size, and never the client address, user agent or referrer.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import sys
import time
from typing import Any

from flask import Flask

IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")
IPV6_CANDIDATE = re.compile(r"(?<![\w:])[0-9a-fA-F]*:[0-9a-fA-F:.]*:[0-9a-fA-F.]*(?![\w:])")
QUERY_IN_REQUEST_LINE = re.compile(r"(\b(?:GET|POST|HEAD|PUT|PATCH|DELETE|OPTIONS) [^\s?\"]*)\?\S*")
_HANDLER_MARK = "_directory_json"


def redact(text: str) -> str:
    """Mask network addresses and drop query strings from request lines."""
    text = QUERY_IN_REQUEST_LINE.sub(r"\1", text)
    text = IPV4.sub("[address]", text)
    return IPV6_CANDIDATE.sub(_mask_ipv6, text)


def _mask_ipv6(match: re.Match[str]) -> str:
    try:
        ipaddress.IPv6Address(match.group(0))
    except ValueError:  # a time of day or the like
        return match.group(0)
    return "[address]"


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON line: ts, level, logger, message, extra ``fields``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
                  + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update({key: value for key, value in fields.items() if key not in entry})
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def json_handler(stream: Any = None) -> logging.Handler:
    """A stream handler writing JSON lines (stderr unless told otherwise)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    setattr(handler, _HANDLER_MARK, True)
    return handler


def configure_logging(app: Flask) -> None:
    """Send every log record to stderr as JSON lines (``LOG_FORMAT = "json"``, the default).

    Skipped under TESTING, with ``LOG_FORMAT = "plain"``, and when logging was already set up
    by someone else (an operator's ``logging.config``, pytest): their handlers stay in charge.
    """
    if app.testing or app.config.get("LOG_FORMAT", "json") != "json":
        return
    root = logging.getLogger()
    if not any(getattr(h, _HANDLER_MARK, False) for h in root.handlers):
        if root.handlers:
            return
        root.addHandler(json_handler())
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    # Flask's own logger would otherwise add a plain handler of its own in debug mode.
    app.logger.handlers.clear()
    app.logger.propagate = True


try:
    from gunicorn.glogging import Logger as _GunicornBase
except ImportError:  # gunicorn is only needed to serve
    _GunicornBase = object  # type: ignore[assignment,misc]


class GunicornLogger(_GunicornBase):  # type: ignore[misc,valid-type]
    """Gunicorn's logger with JSON lines and an access log without addresses or query strings."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(JsonFormatter())

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        try:
            status = int(str(resp.status).split(None, 1)[0])
        except (ValueError, IndexError):
            status = 0
        fields = {
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "status": status,
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "bytes": getattr(resp, "sent", None),
        }
        self.access_log.info("request", extra={"fields": fields})
