"""Load test: requests per second and latency of the search and listing pages under gunicorn.

    python bench/load.py                       # (make load) SQLite and PostgreSQL, 1/2/4 workers
    python bench/load.py --seconds 5 --backends sqlite --workers 2

For each backend and worker count it starts ``gunicorn -c gunicorn.conf.py`` on 127.0.0.1 (a
free port) over the 20k-listing benchmark database (bench/data/, made by bench/run.py; copied
into a temporary PostgreSQL database, dropped afterwards), then drives it with CLIENTS threads
for a fixed time per page: POST /search with the benchmark's queries (mostly answered from
the answer cache, like popular searches), POST /search with a stream of distinct generated
searches (``QueryStream``: words, misspellings, filters and places, never the same twice, so
every one is real work), and GET /services/<id> for random public listings. Bounded:
``--seconds`` per page and configuration (10-12 minutes in all with the defaults). Prints a Markdown table: requests, req/s, p50, p99, errors.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)

from generate import CITIES, KINDS, LANGS  # noqa: E402
from run import QUERIES, ensure_database, percentiles  # noqa: E402

PG_ADMIN_URL = os.environ.get("DIRECTORY_LOAD_PG_ADMIN_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("DIRECTORY_LOAD_REDIS_URL", "redis://127.0.0.1:6379/0")
TEXT_QUERIES = [q for q in QUERIES if set(q) <= {"q", "locale"} and q["q"]]


# -- databases ----------------------------------------------------------------------------------
def copy_sqlite(source: str, folder: str) -> str:
    """A private copy of the benchmark database (SQLite online backup)."""
    target = os.path.join(folder, "load.db")
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    return f"sqlite:///{target}"


def copy_to_postgres(sqlite_url: str) -> str:
    """Create a PostgreSQL database, migrate it and copy every table from SQLite into it."""
    import sqlalchemy as sa

    from directory import create_app

    name = f"directory_load_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    started = time.perf_counter()
    try:
        app = create_app({"SECRET_KEY": "load", "DATABASE_URL": url, "LOG_FORMAT": "plain",
                          "SEARCH_ENSURE_ON_START": False})
        _copy_tables(app, sqlite_url)
    except BaseException:
        drop_postgres(url)
        raise
    print(f"  copied to PostgreSQL in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return url


def _copy_tables(app, sqlite_url: str) -> None:
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from directory.extensions import db

    with app.app_context():
        upgrade()
        source = sa.create_engine(sqlite_url)
        target = db.engine
        present = set(sa.inspect(source).get_table_names())
        with source.connect() as src, target.begin() as dst:
            for table in db.metadata.sorted_tables:
                if table.name not in present:  # added by a later migration: empty
                    continue
                rows = src.execution_options(stream_results=True, yield_per=2000).execute(
                    sa.select(table))
                for chunk in rows.mappings().partitions(2000):
                    dst.execute(table.insert(), [dict(r) for r in chunk])
                pk = list(table.primary_key.columns)
                if len(pk) == 1 and isinstance(pk[0].type, sa.Integer) and pk[0].autoincrement:
                    dst.execute(sa.text(
                        f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', '{pk[0].name}'),"
                        f" coalesce((SELECT max(\"{pk[0].name}\") FROM \"{table.name}\"), 0) + 1,"
                        " false)"))
        source.dispose()
        db.engine.dispose()


def drop_postgres(url: str) -> None:
    import sqlalchemy as sa

    name = url.rsplit("/", 1)[1]
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = :n"), {"n": name})
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def public_ids(url: str, limit: int = 2000) -> list[str]:
    import sqlalchemy as sa

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        ids = [r[0] for r in conn.execute(sa.text(
            "SELECT id FROM service WHERE publication = 'published' "
            "AND status IN ('active', 'temporarily closed') ORDER BY id LIMIT :n"), {"n": limit})]
    engine.dispose()
    return ids


# -- the server ---------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(url: str, index_dir: str, port: int, workers: int) -> dict[str, str]:
    env = dict(os.environ, DIRECTORY_SECRET_KEY="load", DIRECTORY_DATABASE_URL=url,
               DIRECTORY_INDEX_DIR=index_dir, PORT=str(port), WEB_CONCURRENCY=str(workers),
               PYTHONWARNINGS="ignore")
    if not url.startswith("sqlite"):
        env["DIRECTORY_REDIS_URL"] = REDIS_URL
    return env


def flask(url: str, index_dir: str, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "flask", "--app", "directory", *args], cwd=ROOT,
                   env=environment(url, index_dir, 0, 1), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def build_index(url: str, index_dir: str) -> float:
    """Bring the schema up to date (the data may predate a migration), then index."""
    started = time.perf_counter()
    flask(url, index_dir, "init")
    flask(url, index_dir, "search", "rebuild", "--procs", "2")
    return time.perf_counter() - started


class Server:
    def __init__(self, url: str, index_dir: str, workers: int, log_path: str):
        self.port = free_port()
        with open(log_path, "a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                cwd=ROOT, env=environment(url, index_dir, self.port, workers),
                stdout=log, stderr=log)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited; see {log_path}")
            try:
                if request(self.port, "GET", "/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.25)
        self.stop()
        raise SystemExit(f"gunicorn never became ready; see {log_path}")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def request(port: int, method: str, path: str, body: dict[str, str] | None = None
            ) -> tuple[int, float]:
    """One request on a new connection (gunicorn's sync workers close it); (status, ms)."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {}
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status, (time.perf_counter() - started) * 1000
    finally:
        conn.close()


def drive(port: int, make_request, seconds: float, clients: int) -> dict[str, float]:
    """Run ``clients`` threads for ``seconds``; collect latency and errors."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(seed: int) -> None:
        rng = random.Random(seed)
        mine, failed = [], 0
        while time.monotonic() < stop_at:
            method, path, body = make_request(rng)
            try:
                status, ms = request(port, method, path, body)
            except OSError:
                failed += 1
                continue
            if status != 200:
                failed += 1
            mine.append(ms)
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    p50, _p95, p99 = percentiles(latencies) if latencies else (0, 0, 0)
    return {"requests": len(latencies), "rps": len(latencies) / elapsed, "p50": p50,
            "p99": p99, "errors": errors[0]}


def search_request(rng: random.Random):
    query = rng.choice(TEXT_QUERIES)
    prefix = f"/{query['locale']}" if query.get("locale") and query["locale"] != "en" else ""
    return "POST", f"{prefix}/search", {"q": query["q"]}


# Words people type: what the listings are about, in several spellings and languages.
WORDS = ["crisis", "line", "shelter", "transition", "house", "women", "children", "counselling",
         "counseling", "conselling", "abuse", "violence", "family", "legal", "help",
         "protection", "order", "court", "sti", "std", "hiv", "testing", "test", "clinic",
         "sexual", "health", "birth", "control", "contraception", "contraseption", "iud",
         "emergency", "pep", "exposure", "youth", "free", "condoms", "walk-in", "anonymous",
         "support", "safe", "stay", "talk", "text", "advocacy", "treatment", "drop-in",
         "dépistage", "santé", "sexuelle", "violence conjugale", "maison", "aide", "apoyo",
         "sheltr", "scared", "hurt", "leave", "night", "weekend"]
CATEGORIES = [kind[0] for kind in KINDS]
STREAM_FILTERS = [None, ("city", [c[0] for c in CITIES]), ("category", CATEGORIES),
                  ("language", LANGS), ("flag", ["walk_in", "free", "appointment"]),
                  ("open_now", ["1"]), ("near", [c[0] for c in CITIES])]


class QueryStream:
    """Distinct real-looking searches: one or two words, then a filter, each combination once.

    A shared counter walks the combinations in a shuffled order, so no two requests of a run
    are the same search and none is answered from a worker's answer cache."""

    def __init__(self, seed: int = 16) -> None:
        rng = random.Random(seed)
        words = [(w,) for w in WORDS] + [(a, b) for a in WORDS for b in WORDS if a != b]
        rng.shuffle(words)
        self.words = words
        self.filters = [(None, None)] + [(key, value) for spec in STREAM_FILTERS if spec
                                         for key, values in [spec] for value in values]
        self.count = 0
        self.lock = threading.Lock()

    def __call__(self, rng: random.Random):
        with self.lock:
            n = self.count
            self.count += 1
        key, value = self.filters[n % len(self.filters)]
        words = self.words[(n // len(self.filters)) % len(self.words)]
        body = {"q": " ".join(words)}
        if key is not None:
            body[key] = value
        return "POST", "/search", body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=20000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--seconds", type=float, default=10.0, help="per page and configuration")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client threads")
    parser.add_argument("--warmup", type=float, default=10.0,
                        help="seconds of traffic before the first row of a server: the first "
                             "worker answering /readyz does not mean the others have loaded "
                             "their search caches")
    args = parser.parse_args()
    workers = [int(w) for w in args.workers.split(",")]
    backends = args.backends.split(",")

    source = ensure_database(args.size)
    folder = tempfile.mkdtemp(prefix="directory-load-")
    log_path = os.path.join(folder, "gunicorn.log")
    rows: list[tuple] = []
    pg_url = None
    built_index: str | None = None
    try:
        for backend in backends:
            url = copy_sqlite(source, folder) if backend == "sqlite" else \
                (pg_url := copy_to_postgres(copy_sqlite(source, folder)))
            ids = public_ids(url)
            index_dir = os.path.join(folder, f"index-{backend}")
            if built_index is None:
                built = build_index(url, index_dir)
                built_index = index_dir
                print(f"  {backend}: index of {args.size:,} listings built in {built:.0f} s",
                      file=sys.stderr)
            else:
                # Same rows and change-log sequence numbers: the index built once is current.
                flask(url, index_dir, "init")
                shutil.copytree(built_index, index_dir, symlinks=True)

            def listing_request(rng: random.Random, ids=ids):
                return "GET", f"/services/{rng.choice(ids)}", None

            for count in workers:
                server = Server(url, index_dir, count, log_path)
                try:
                    drive(server.port, search_request, args.warmup, args.clients)
                    stream = QueryStream()
                    for page, maker in (("search", search_request),
                                        ("search, distinct queries", stream),
                                        ("listing", listing_request)):
                        drive(server.port, maker, 2.0, args.clients)  # warm-up, not counted
                        result = drive(server.port, maker, args.seconds, args.clients)
                        rows.append((backend, count, page, result))
                        print(f"  {backend} {count}w {page}: {result['rps']:.0f} req/s, "
                              f"p99 {result['p99']:.0f} ms, {result['errors']} errors",
                              file=sys.stderr)
                finally:
                    server.stop()
    finally:
        if pg_url:
            drop_postgres(pg_url)
        shutil.rmtree(folder, ignore_errors=True)

    print(f"\n{args.size:,} listings; {args.clients} client threads on the same host; "
          f"{args.seconds:g} s per row after a 2 s warm-up ({args.warmup:g} s for a new "
          "server).\n")
    print("| database | workers | page | requests | req/s | p50 ms | p99 ms | errors |")
    print("|---|---:|---|---:|---:|---:|---:|---:|")
    for backend, count, page, r in rows:
        print(f"| {backend} | {count} | {page} | {r['requests']} | {r['rps']:.1f} | "
              f"{r['p50']:.0f} | {r['p99']:.0f} | {r['errors']} |")


if __name__ == "__main__":
    main()
