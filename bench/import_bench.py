"""Bulk-import benchmark: listings per second through `flask import --bulk`'s code path.

    python bench/import_bench.py                      # 20k and 100k listings
    python bench/import_bench.py --sizes 2000 --compare   # also the one-by-one write path

For each size: writes the generated listings (bench/generate.py) as one HSDS JSON list, makes a
fresh SQLite database (migrations + the demo taxonomy), then times `import_path(bulk=True)` and
the commit: reading, HSDS schema validation, every record check, the writes, the audit trail and
the search change log. The search index is not part of the figure (the CLI rebuilds it after a
bulk import; see `search rebuild` in docs/benchmarks.md). Files are kept in bench/data/.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from generate import listing  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
TAXONOMY = os.path.join(os.path.dirname(HERE), "directory", "demo", "taxonomy.json")


def feed(size: int) -> str:
    """bench/data/feed-<size>.json: ``size`` generated listings as one HSDS list."""
    os.makedirs(DATA, exist_ok=True)
    path = os.path.join(DATA, f"feed-{size}.json")
    if os.path.exists(path):
        return path
    with open(TAXONOMY, encoding="utf-8") as handle:
        terms = {t["code"]: t["id"] for t in json.load(handle) if t.get("code")}
    rng = random.Random(size)
    with open(path + ".part", "w", encoding="utf-8") as handle:
        json.dump([listing(n, terms, rng) for n in range(size)], handle, ensure_ascii=False)
    os.replace(path + ".part", path)
    return path


def run(size: int, bulk: bool) -> tuple[float, int, float]:
    """Seconds to import ``size`` listings into a fresh database, the audit rows written and
    the CPU seconds of this process (steadier than wall time on a shared machine)."""
    from flask_migrate import upgrade
    import sqlalchemy as sa

    from directory import create_app, models as m
    from directory.exchange.importer import import_path
    from directory.extensions import db
    from directory.operations import set_actor

    path = feed(size)
    folder = tempfile.mkdtemp(prefix="import-bench-")
    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": f"sqlite:///{folder}/bench.db",
                      "INDEX_DIR": os.path.join(folder, "index"),
                      "SEARCH_ENSURE_ON_START": False, "SEARCH_SYNC_ON_COMMIT": False})
    with app.app_context():
        upgrade()
        schema_dir = app.config["HSDS_SCHEMA_DIR"]
        import_path(TAXONOMY, schema_dir=schema_dir)
        db.session.commit()
        set_actor("bench")
        started = time.perf_counter()
        cpu_started = time.process_time()
        report = import_path(path, schema_dir=schema_dir, default_publication="published",
                             bulk=bulk)
        db.session.commit()
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        assert report.counts.get("service") == size, report.counts
        audit = db.session.scalar(sa.select(sa.func.count(m.AuditLog.id)))
        changes = db.session.scalar(sa.select(sa.func.count(m.SearchChange.seq)))
        assert changes >= size, changes
    return elapsed, audit, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="20000,100000")
    parser.add_argument("--compare", action="store_true",
                        help="also time the one-by-one path (slow: about 120 listings/s)")
    args = parser.parse_args()
    print("| listings | path | seconds | listings/s | CPU s | listings/CPU s | audit rows | peak RSS |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for size in (int(s) for s in args.sizes.split(",")):
        feed(size)
        for bulk in ((True, False) if args.compare else (True,)):
            elapsed, audit, cpu = run(size, bulk)
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
            print(f"| {size:,} | {'bulk' if bulk else 'one by one'} | {elapsed:.1f} | "
                  f"{size / elapsed:,.0f} | {cpu:.1f} | {size / cpu:,.0f} | {audit:,} | "
                  f"{peak} MB |", flush=True)


if __name__ == "__main__":
    main()
