"""Memory of a serving process: resident memory added by running the query set, and what of
it each search cache holds.

    python bench/memory.py --sizes 20000

For each size: build the index in a child process (so the writer's buffers are not counted),
then, in this process, open the index, run the 40 benchmark queries (answer cache on, as a
worker serves them; then 5 passes with it cleared, so every query does its work) and report
resident memory (``/proc/self/statm``) before and after, then after dropping the answer
caches, the posting lists and finally every search cache. File-backed pages of the
memory-mapped index count in resident memory but are shared by the workers and reclaimable.
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from run import QUERIES, working_copy  # noqa: E402


def resident_mb() -> tuple[float, float]:
    """(resident, of which file-backed shared) in MB."""
    with open("/proc/self/statm") as handle:
        _size, resident, shared = (int(v) for v in handle.read().split()[:3])
    page = os.sysconf("SC_PAGE_SIZE") / 1024 / 1024
    return resident * page, shared * page


def bench_size(size: int) -> list[tuple[str, str]]:
    from directory.search import scoring, sync
    from directory.search.query import search

    app, work = working_copy(size, "bench-memory-")
    code = ("import sys; sys.path[:0] = [%r, %r]; from run import make_app; "
            "from directory.search import sync; app = make_app(%r, %r); "
            "ctx = app.app_context(); ctx.push(); sync.rebuild(app, procs=2)"
            % (os.path.dirname(HERE), HERE, os.path.join(work, "db.sqlite"),
               os.path.join(work, "index")))
    subprocess.run([sys.executable, "-c", code], check=True, stderr=subprocess.DEVNULL)
    rows = []
    with app.app_context():
        gc.collect()
        base, base_shared = resident_mb()
        started = time.perf_counter()
        for params in QUERIES:
            search(**params)
        for _ in range(5):
            for params in QUERIES:
                for cache in scoring.all_caches():
                    cache.results.clear()
                search(**params)
        gc.collect()
        after, after_shared = resident_mb()
        rows.append(("resident memory before the query set (app loaded, index not yet opened)",
                     f"{base:.0f} MB ({base_shared:.0f} MB file-backed)"))
        rows.append((f"after the query set (6 passes, {time.perf_counter() - started:.0f} s)",
                     f"{after:.0f} MB ({after_shared:.0f} MB file-backed): "
                     f"+{after - base:.0f} MB, +{(after - after_shared) - (base - base_shared):.0f}"
                     " MB private"))
        postings = sum(data.posting_bytes for data in scoring._segments.values())
        rows.append(("posting lists cached (accounted bytes)", f"{postings / 1e6:.0f} MB"))
        for cache in scoring.all_caches():
            cache.results.clear()
        gc.collect()
        rows.append(("after clearing the answer caches", f"{resident_mb()[0]:.0f} MB"))
        for data in scoring._segments.values():
            data.postings.clear()
        gc.collect()
        rows.append(("after clearing the posting lists too", f"{resident_mb()[0]:.0f} MB"))
        scoring.clear()
        gc.collect()
        rows.append(("after clearing every search cache", f"{resident_mb()[0]:.0f} MB"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="2000,20000")
    args = parser.parse_args()
    import logging

    logging.getLogger("alembic").setLevel(logging.WARNING)
    for size in (int(s) for s in args.sizes.split(",")):
        rows = bench_size(size)
        print(f"\n## memory, {size:,} listings\n")
        print("| measure | result |\n|---|---|")
        for name, value in rows:
            print(f"| {name} | {value} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
