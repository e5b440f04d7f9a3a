"""Several gunicorn replicas, each with its own index, on one PostgreSQL database and Redis.

An edit made through one replica is searchable through every other within SYNC_BOUND seconds; a
replica started late, or down during edits, catches up when it starts; one down for longer than
the change log's retention rebuilds. Their logs are JSON lines without addresses or search words.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from factories import service_data

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SYNC_BOUND = 3.0  # seconds from commit to searchable on every replica (catch-up runs each 1 s)
REDIS_URL = os.environ.get("DIRECTORY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
WORDS = ("zephyrwood", "yarrowmere", "quincebrook", "sagebrushton")

pytestmark = pytest.mark.slow


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Replica:
    """One gunicorn instance on 127.0.0.1 with its own index folder."""

    def __init__(self, name: str, database_url: str, folder, workers: int = 1):
        self.name = name
        self.port = _free_port()
        self.env = dict(os.environ, DIRECTORY_SECRET_KEY="replica-test",
                        DIRECTORY_DATABASE_URL=database_url,
                        DIRECTORY_INDEX_DIR=str(folder / name / "index"),
                        DIRECTORY_REDIS_URL=REDIS_URL, PORT=str(self.port),
                        WEB_CONCURRENCY=str(workers), PYTHONWARNINGS="ignore")
        self.out = folder / name / "stdout.log"
        self.err = folder / name / "stderr.log"
        (folder / name).mkdir(parents=True)
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.out, "a") as out, open(self.err, "a") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                cwd=ROOT, env=self.env, stdout=out, stderr=err)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"{self.name} exited: {self.err.read_text()}"
            try:
                if self.get("/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"{self.name} never became ready: {self.err.read_text()}")

    def stop(self) -> int:
        """Graceful shutdown (SIGTERM); returns gunicorn's exit status."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=30) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def finds(self, word: str) -> bool:
        status, html = self.get(f"/search?q={word}")
        assert status == 200, html[:500]
        return f"{word.capitalize()} Clinic" in html

    def wait_for(self, word: str, bound: float = SYNC_BOUND) -> float:
        """Seconds until a search for ``word`` finds it; fails after ``bound``."""
        started = time.monotonic()
        while not self.finds(word):
            assert time.monotonic() - started < bound, f"{self.name} missed {word}"
            time.sleep(0.1)
        return time.monotonic() - started

    def log_lines(self) -> list[str]:
        """The replica's log: JSON lines, apart from the one plain line naming its address
        for the person who started it (gunicorn.conf.py's when_ready)."""
        lines = [line for path in (self.out, self.err)
                 for line in path.read_text().splitlines() if line.strip()]
        plain = [line for line in lines if not line.startswith("{")]
        assert all(line.startswith("Support Directory is serving") for line in plain), plain
        return [line for line in lines if line.startswith("{")]


def flask(replica: Replica, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "directory", *args],
                          cwd=ROOT, env=replica.env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _migrate(database_url: str) -> None:
    from flask_migrate import upgrade

    from directory import create_app
    from directory.extensions import db

    app = create_app({"SECRET_KEY": "t", "TESTING": True, "DATABASE_URL": database_url,
                      "SEARCH_ENSURE_ON_START": False})
    with app.app_context():
        upgrade()
        db.session.remove()
        db.engine.dispose()


def edit_through(replica: Replica, tmp_path, *words: str) -> None:
    """Add published listings with ``flask import`` in that replica's environment."""
    path = tmp_path / f"{words[0]}.json"
    path.write_text(json.dumps([service_data(name=f"{w.capitalize()} Clinic") for w in words]))
    flask(replica, "import", str(path), "--publication", "published")


def test_an_edit_through_one_replica_is_searchable_through_all(tmp_path, request):
    if not (_answers("127.0.0.1", 5432) and _answers("127.0.0.1", 6379)):
        pytest.skip("needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379")
    database_url = request.getfixturevalue("postgres_databases").create()
    one, two, three = (Replica(n, database_url, tmp_path, workers=w)
                       for n, w in (("one", 2), ("two", 1), ("three", 1)))
    try:
        _migrate(database_url)
        one.start()
        two.start()

        edit_through(one, tmp_path, "zephyrwood")
        assert one.finds("zephyrwood")  # the editing process updated its own host's index
        two.wait_for("zephyrwood")

        three.start()  # started late, with an empty index folder
        assert three.finds("zephyrwood")

        assert two.stop() == 0  # graceful shutdown
        edit_through(one, tmp_path, "yarrowmere")
        three.wait_for("yarrowmere")
        two.start()  # was down during the edit: caught up before taking requests
        assert two.finds("yarrowmere")

        assert three.stop() == 0
        edit_through(one, tmp_path, "quincebrook", "sagebrushton")
        engine = sa.create_engine(database_url)
        with engine.begin() as conn:  # a month passes
            conn.execute(sa.text("UPDATE search_change SET created_at = :t"),
                             {"t": datetime.now(timezone.utc) - timedelta(days=40)})
        engine.dispose()
        assert "Deleted" in flask(one, "search", "prune-log", "--keep-days", "30")
        two.wait_for("quincebrook")
        three.start()  # its index is older than what the log still holds: it rebuilds
        assert three.finds("quincebrook") and three.finds("sagebrushton")
        assert any("retention" in json.loads(line).get("message", "")
                   for line in three.log_lines())
        for replica in (one, two, three):
            assert replica.get("/readyz")[0] == 200
    finally:
        for replica in (one, two, three):
            replica.stop()

    for replica in (one, two, three):
        lines = replica.log_lines()
        access = [json.loads(line) for line in lines
                  if json.loads(line).get("logger") == "gunicorn.access"]
        assert any(a["path"] == "/search" and a["status"] == 200 for a in access)
        text = "\n".join(lines).lower()
        for secret in (*WORDS, "127.0.0.1", "q="):
            assert secret not in text, f"{secret!r} in {replica.name}'s logs"
