"""Structured logs: JSON lines, with addresses and query strings kept out."""

import io
import json
import logging

from directory import create_app
from directory.ops.logs import JsonFormatter, configure_logging, json_handler


def _capture(logger_name: str):
    stream = io.StringIO()
    logger = logging.getLogger(logger_name)
    handler = json_handler(stream)
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, handler, stream


def test_log_lines_are_json_without_addresses_or_query_strings():
    logger, handler, stream = _capture("test.ops.werkzeug-like")
    try:
        # What a development server writes for a visitor's search.
        logger.info('%s - - [24/Nov/2026 10:00:00] "%s" 200 -', "203.0.113.7",
                    "GET /search?q=abortion+clinic HTTP/1.1")
        logger.warning("client 2001:db8::1:2 reset the connection")
        try:
            raise ValueError("from 198.51.100.23")
        except ValueError:
            logger.exception("failed", extra={"fields": {"path": "/search", "status": 500}})
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 3
    text = stream.getvalue()
    for secret in ("203.0.113.7", "abortion", "q=", "2001:db8::1:2", "198.51.100.23"):
        assert secret not in text
    assert lines[0]["message"].endswith('"GET /search HTTP/1.1" 200 -')
    assert lines[2]["level"] == "error" and lines[2]["status"] == 500
    assert "ValueError" in lines[2]["exception"]


def test_the_app_logs_json_outside_tests(tmp_path):
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    for handler in saved[0]:  # as in a fresh gunicorn worker: nobody configured logging yet
        root.removeHandler(handler)
    try:
        app = create_app({"SECRET_KEY": "t", "DATABASE_URL": f"sqlite:///{tmp_path}/d.db",
                          "INDEX_DIR": str(tmp_path / "index")})
        configure_logging(app)  # idempotent: still one JSON handler
        ours = [h for h in root.handlers if isinstance(h.formatter, JsonFormatter)]
        assert len(ours) == 1
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
