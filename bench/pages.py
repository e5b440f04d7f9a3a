"""Page benchmark: SQL statements and test-client time of the home, search and listing pages.

    python bench/pages.py                   # the 2k and 20k benchmark databases
    python bench/pages.py --sizes 20000 --listings 200

For each size it copies the kept benchmark database (bench/data/, made by bench/run.py),
rebuilds the index, then requests through Flask's test client (no network):
``GET /`` (home), ``POST /search`` (the benchmark's query set, answer cache on and off) and
``GET /services/<id>`` for random public listings. It counts the SQL statements of each request
(a SQLAlchemy ``before_cursor_execute`` listener) and those issued while a template renders
(between Flask's ``before_render_template`` and ``template_rendered`` signals), and times the
search page's template rendering alone. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import time
from contextlib import contextmanager

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from run import QUERIES, percentiles, working_copy  # noqa: E402


class StatementCounter:
    """Counts SQL statements on an engine, in total and while a template is rendering."""

    def __init__(self, app, engine):
        from flask import before_render_template, template_rendered
        from sqlalchemy import event

        self.total = 0
        self.rendering = 0
        self.render_ms: list[float] = []
        self._depth = 0
        self._started = 0.0
        self.statements: list[str] = []
        event.listen(engine, "before_cursor_execute", self._on_statement)
        before_render_template.connect(self._before, app)
        template_rendered.connect(self._after, app)

    def _on_statement(self, conn, cursor, statement, parameters, context, executemany):
        self.total += 1
        self.statements.append(statement)
        if self._depth:
            self.rendering += 1

    def _before(self, sender, template, context, **extra):
        if not self._depth:
            self._started = time.perf_counter()
        self._depth += 1

    def _after(self, sender, template, context, **extra):
        self._depth -= 1
        if not self._depth:
            self.render_ms.append((time.perf_counter() - self._started) * 1000)

    @contextmanager
    def window(self):
        self.total = self.rendering = 0
        self.statements = []
        yield self


def search_form(params: dict) -> dict:
    form = {"q": params.get("q", "")}
    for key, values in params.get("filters", {}).items():
        form[key] = values
    for key in ("near", "radius_km"):  # the form has no lat/lon fields (sorting by distance needs them)
        if key in params:
            form[key] = str(params[key])
    if params.get("open_now"):
        form["open_now"] = "1"
    return form


def bench_size(size: int, listings: int, repeat: int) -> list[tuple[str, str]]:
    import sqlalchemy as sa

    from directory import models as m
    from directory.extensions import db
    from directory.search import scoring, sync

    app, work = working_copy(size, "bench-pages-")
    app.config["WTF_CSRF_ENABLED"] = False
    rows: list[tuple[str, str]] = []
    with app.app_context():
        sync.rebuild(app)
        ids = sorted(db.session.scalars(sa.select(m.Service.id).where(m.Service.is_public)))
        counter = StatementCounter(app, db.engine)
        db.session.remove()
    client = app.test_client()
    rng = random.Random(size)
    sample = rng.sample(ids, min(listings, len(ids)))

    def measure(name: str, calls, *, clear_answers: bool = False) -> None:
        for call in calls[:3]:
            call()  # warm: caches, template compilation
        times, cpu, totals, during, render = [], [], [], [], []
        for _ in range(repeat):
            for call in calls:
                if clear_answers:
                    for cache in scoring.all_caches():
                        cache.results.clear()
                with counter.window():
                    counter.render_ms = []
                    started, started_cpu = time.perf_counter(), time.process_time()
                    response = call()
                    times.append((time.perf_counter() - started) * 1000)
                    cpu.append((time.process_time() - started_cpu) * 1000)
                    assert response.status_code == 200, (name, response.status_code, response.get_data(as_text=True)[-3000:])
                    totals.append(counter.total)
                    during.append(counter.rendering)
                    render.append(sum(counter.render_ms))
        p50, p95, p99 = percentiles(times)
        r50, r95, _ = percentiles(render)
        c50, c95, _ = percentiles(cpu)
        rows.append((f"{name}: request ms p50/p95/p99", f"{p50:.2f} / {p95:.2f} / {p99:.2f}"))
        rows.append((f"{name}: request CPU ms p50/p95 (steadier on a shared machine)",
                     f"{c50:.2f} / {c95:.2f}"))
        rows.append((f"{name}: template rendering ms p50/p95", f"{r50:.2f} / {r95:.2f}"))
        rows.append((f"{name}: SQL statements max (of them during rendering)",
                     f"{max(totals)} ({max(during)})"))

    measure("GET /", [lambda: client.get("/")])
    searches = [(lambda form=search_form(p): client.post("/search", data=form)) for p in QUERIES]
    measure("POST /search (answer cache on)", searches)
    measure("POST /search (answer cache off)", searches, clear_answers=True)
    measure("GET /services/<id>", [(lambda i=i: client.get(f"/services/{i}")) for i in sample])
    shutil.rmtree(work, ignore_errors=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="2000,20000")
    parser.add_argument("--listings", type=int, default=100, help="listing pages per pass")
    parser.add_argument("--repeat", type=int, default=3, help="passes per page")
    args = parser.parse_args()
    import logging

    logging.getLogger("alembic").setLevel(logging.WARNING)
    for size in (int(s) for s in args.sizes.split(",")):
        rows = bench_size(size, args.listings, args.repeat)
        print(f"\n## pages, {size:,} listings\n")
        print("| measure | result |\n|---|---|")
        for name, value in rows:
            print(f"| {name} | {value} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
