"""Liveness and readiness: what a load balancer sees."""

import time

from factories import make_service

from directory import create_app
from directory.search import sync


def test_liveness_answers_without_database_and_readiness_says_why(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "t",
                      "DATABASE_URL": "postgresql://postgres@127.0.0.1:9/nowhere",
                      "INDEX_DIR": str(tmp_path / "index")})
    client = app.test_client()
    live = client.get("/healthz")
    assert live.status_code == 200 and live.json == {"status": "ok"}
    assert live.headers["Cache-Control"] == "no-store"
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json["database"] == "unreachable" and ready.json["ready"] is False


def test_readiness_needs_an_index_within_the_allowed_lag(app, client):
    app.config["SEARCH_ENSURE_ON_START"] = False
    app.config["READY_MAX_PENDING"] = 0
    app.config["SEARCH_WRITER_TIMEOUT"] = 0.05
    missing = client.get("/readyz")
    assert missing.status_code == 503 and missing.json["index"] == "missing"

    sync.rebuild(app)
    time.sleep(1.05)  # the catch-up throttle
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.json
    assert ready.json["ready"] is True and ready.json["pending"] == 0

    index = sync.index_for(app)
    blocker = index._open().writer()  # the index is stuck: edits cannot be applied
    try:
        make_service(name="Sorrel Clinic")
        time.sleep(1.05)
        behind = client.get("/readyz")
        assert behind.status_code == 503
        assert behind.json["index"] == "behind" and behind.json["pending"] > 0
    finally:
        blocker.cancel()
    time.sleep(1.05)
    caught_up = client.get("/readyz")  # the check itself catches up, so the replica comes back
    assert caught_up.status_code == 200 and caught_up.json["pending"] == 0
