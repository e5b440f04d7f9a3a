"""Search benchmark: build time, query latency (search(), HTTP, bare Whoosh), edit-to-searchable,
peak memory. Prints one table per corpus size.

    python bench/run.py                 # 2k and 20k listings
    python bench/run.py --sizes 100000  # the large corpus (slow to generate the first time)

Generated databases are kept in bench/data/ (git-ignored) and reused.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import resource
import shutil
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from generate import listing  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")

# A fixed mixed query set: terms, phrases, misspellings, other languages, filters, places.
QUERIES = [
    dict(q="crisis line"), dict(q="shelter"), dict(q="transition house women"),
    dict(q="STI testing"), dict(q="std test vancouver"), dict(q="birth control"),
    dict(q="emergency contraception"), dict(q="counselling"), dict(q="counseling abuse"),
    dict(q="legal help protection order"), dict(q="pep"), dict(q="youth clinic free"),
    dict(q='"sexual health"'), dict(q="anonymous hiv"), dict(q="walk-in"),
    dict(q="conselling"), dict(q="contraseption"), dict(q="sheltr"),
    dict(q="dépistage", locale="fr"), dict(q="maison d'hébergement", locale="fr"),
    dict(q="santé sexuelle", locale="fr"), dict(q="violence conjugale", locale="fr"),
    dict(q="apoyo violencia", locale="es"), dict(q="性健康", locale="zh_Hans"),
    dict(q="ਸਹਾਇਤਾ", locale="pa"), dict(q="العنف", locale="ar"), dict(q="상담", locale="ko"),
    dict(q="xet nghiem", locale="vi"),
    dict(q="", filters={"category": ["sexual-health"]}),
    dict(q="clinic", filters={"category": ["sti-testing"], "flag": ["walk_in"]}),
    dict(q="", filters={"city": ["Surrey"], "language": ["pa"]}),
    dict(q="testing", near="Vancouver", radius_km=15),
    dict(q="clinic", lat=43.65, lon=-79.38, sort="distance"),
    dict(q="", open_now=True), dict(q="support", open_now=True, near="Calgary"),
    dict(q="I am scared he will hurt me"), dict(q="help"),
    dict(q="free condoms youth"), dict(q="court"), dict(q="montréal", locale="fr"),
]


def make_app(db_path: str, index_dir: str):
    from directory import create_app

    return create_app({"SECRET_KEY": "bench", "DATABASE_URL": f"sqlite:///{db_path}",
                       "INDEX_DIR": index_dir, "SEARCH_ENSURE_ON_START": False})


def ensure_database(size: int) -> str:
    """A SQLite database holding the demo taxonomy and ``size`` generated listings."""
    os.makedirs(DATA, exist_ok=True)
    path = os.path.join(DATA, f"listings-{size}.db")
    if os.path.exists(path):
        from flask_migrate import upgrade

        with make_app(path, tempfile.mkdtemp()).app_context():
            upgrade()  # a database kept from an older version gains the new columns
        return path
    tmp = path + ".part"
    if os.path.exists(tmp):
        os.remove(tmp)
    from flask_migrate import upgrade

    from directory.exchange.importer import import_path
    from directory.extensions import db
    from directory.operations import RecordWriter
    from directory import models as m

    app = make_app(tmp, tempfile.mkdtemp())
    app.config["SEARCH_SYNC_ON_COMMIT"] = False
    started = time.perf_counter()
    with app.app_context():
        upgrade()
        import_path(os.path.join(os.path.dirname(HERE), "directory", "demo", "taxonomy.json"),
                    schema_dir=app.config["HSDS_SCHEMA_DIR"])
        db.session.commit()
        terms = {t.code: t.id for t in db.session.query(m.TaxonomyTerm)}
        rng = random.Random(size)
        for start in range(0, size, 500):
            writer = RecordWriter()
            for n in range(start, min(size, start + 500)):
                writer.save(m.Service, listing(n, terms, rng))
            writer.finish()
            db.session.commit()
            db.session.expunge_all()
            print(f"\r  generating {size}: {min(size, start + 500)}", end="", file=sys.stderr)
    print(f"\r  generated {size} listings in {time.perf_counter() - started:.0f} s",
          file=sys.stderr)
    os.replace(tmp, path)
    return path


def working_copy(size: int, prefix: str = "bench-"):
    """An app over a private copy of the ``size`` database (and a fresh index folder)."""
    db_path = ensure_database(size)
    work = tempfile.mkdtemp(prefix=prefix)
    shutil.copy(db_path, os.path.join(work, "db.sqlite"))
    return make_app(os.path.join(work, "db.sqlite"), os.path.join(work, "index")), work


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)

    def at(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

    return at(50), at(95), at(99)


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def bench_size(size: int, repeat: int, procs: int) -> list[tuple[str, str]]:
    from whoosh import qparser

    from directory.extensions import db
    from directory.search import sync
    from directory.search.query import search
    from directory.search.schema import name_field, text_field

    app, work = working_copy(size)
    rows: list[tuple[str, str]] = []
    with app.app_context():
        started = time.perf_counter()
        count = sync.rebuild(app, procs=procs)
        rows.append((f"rebuild ({count} docs, procs={procs})",
                     f"{time.perf_counter() - started:.1f} s"))
        index = sync.index_for(app)

        def run_all(**extra):
            for params in QUERIES:
                search(**{**params, **extra})

        from directory.search import scoring as search_cache

        def uncached_query(params: dict) -> float:
            for cache in search_cache.all_caches():
                cache.results.clear()  # measure the work, not the answer cache
            started = time.perf_counter()
            search(**params)
            return (time.perf_counter() - started) * 1000

        def uncached_pass() -> list[float]:
            return [uncached_query(params) for params in QUERIES]

        first = uncached_pass()  # cold: facet and term bitmaps built on first use
        f50, f95, f99 = percentiles(first)
        rows.append(("search() first queries after a rebuild (cold caches), ms p50/p95/p99",
                     f"{f50:.1f} / {f95:.1f} / {f99:.1f}"))
        samples = []
        for _ in range(repeat):
            samples += uncached_pass()
        p50, p95, p99 = percentiles(samples)
        rows.append(("search() with facets + highlights (answer cache off), ms p50/p95/p99",
                     f"{p50:.1f} / {p95:.1f} / {p99:.1f}"))
        rows.extend(floor_rows(app, repeat, procs, uncached_query))

        run_all()  # fill the answer cache, then time the repeats
        cached = []
        for _ in range(repeat):
            for params in QUERIES:
                started = time.perf_counter()
                search(**params)
                cached.append((time.perf_counter() - started) * 1000)
        c50, c95, c99 = percentiles(cached)
        rows.append(("search() repeated query (answer cache), ms p50/p95/p99",
                     f"{c50:.2f} / {c95:.2f} / {c99:.2f}"))

        # Bare Whoosh: the same words through Whoosh's own parser, a one-shot searcher each.
        fields = [name_field("en"), text_field("en")]
        parser = qparser.MultifieldParser(fields, index._open().schema,
                                          group=qparser.AndGroup)
        bare = []
        for _ in range(repeat):
            for params in QUERIES:
                text = params.get("q") or "*"
                started = time.perf_counter()
                with index._open().searcher() as searcher:
                    results = searcher.search(parser.parse(text), limit=20)
                    [hit["id"] for hit in results]
                bare.append((time.perf_counter() - started) * 1000)
        b50, b95, b99 = percentiles(bare)
        rows.append(("bare Whoosh one-shot search, ms p50/p95/p99",
                     f"{b50:.1f} / {b95:.1f} / {b99:.1f}"))
        rows.append(("search() (cache off) / bare Whoosh, p50 and p95",
                     f"{p50 / b50:.2f} × / {p95 / b95:.2f} ×"))

        # HTTP through a real server on loopback (the public search page, GET).
        from werkzeug.serving import make_server

        server = make_server("127.0.0.1", 0, app, threaded=False)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.server_port}/search?"
        http = []
        for _ in range(repeat):
            for params in QUERIES:
                query = {"q": params.get("q", "")}
                for key, values in params.get("filters", {}).items():
                    query[key] = values[0]
                url = base + urllib.parse.urlencode(query)
                started = time.perf_counter()
                with urllib.request.urlopen(url) as response:
                    response.read()
                http.append((time.perf_counter() - started) * 1000)
        server.shutdown()
        h50, h95, h99 = percentiles(http)
        rows.append(("HTTP GET /search (answer cache warm), ms p50/p95/p99", f"{h50:.1f} / {h95:.1f} / {h99:.1f}"))

        # One edit: commit, then how long until search finds it.
        from directory import operations
        from directory import models as m

        ids = [s for (s,) in db.session.query(m.Service.id).filter(
            m.Service.publication == "published").limit(20)]
        latencies = []
        for n, service_id in enumerate(ids):
            word = f"zebraword{n}x{size}"
            started = time.perf_counter()
            operations.update_service(service_id, {"alternate_name": word})
            db.session.commit()  # syncs after commit
            while search(word, with_facets=False).total == 0:
                if time.perf_counter() - started > 30:
                    break
            latencies.append((time.perf_counter() - started) * 1000)
        e50, e95, _ = percentiles(latencies)
        rows.append(("edit → searchable (commit included), ms p50/p95", f"{e50:.0f} / {e95:.0f}"))

        # Each query of the set right after an edit: a new searcher generation, whose
        # unchanged segments keep their cached data.
        after_edit = []
        for n, params in enumerate(QUERIES):
            operations.update_service(ids[n % len(ids)], {"alternate_name": f"edit{n}"})
            db.session.commit()
            started = time.perf_counter()
            search(**params)
            after_edit.append((time.perf_counter() - started) * 1000)
        a50, a95, a99 = percentiles(after_edit)
        rows.append(("search() first query after an edit, ms p50/p95/p99",
                     f"{a50:.1f} / {a95:.1f} / {a99:.1f}"))
    gc.collect()
    rows.append(("peak memory (process so far)",
                 f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"))
    shutil.rmtree(work, ignore_errors=True)
    return rows


def floor_rows(app, repeat: int, threads: int, uncached_query) -> list[tuple[str, str]]:
    """tantivy on the same documents, its queries interleaved with ours (bench/floor.py)."""
    try:
        from floor import TantivyFloor
    except ImportError:  # pragma: no cover - the bench extra is not installed
        return [("tantivy floor", "not installed (pip install -e .[bench])")]
    from directory.extensions import db
    from directory import models as m
    from directory.search.documents import iter_documents, load_records
    import sqlalchemy as sa

    ids = list(db.session.scalars(sa.select(m.Service.id).where(m.Service.is_public)
                                  .order_by(m.Service.id)))

    def documents():
        for start in range(0, len(ids), 2000):
            chunk = load_records(ids[start:start + 2000], session=db.session)
            for _id, doc in iter_documents(chunk, app.config["DEFAULT_TIMEZONE"],
                                           session=db.session):
                if doc is not None:
                    yield doc

    docs = list(documents())
    floor = TantivyFloor(docs, threads=threads)
    del docs
    ours, theirs = [], []
    for _ in range(repeat + 1):
        for params in QUERIES:
            ours.append(uncached_query(params))
            started = time.perf_counter()
            floor.search(**params)
            theirs.append((time.perf_counter() - started) * 1000)
    ours, theirs = ours[len(QUERIES):], theirs[len(QUERIES):]  # the first pass warms both
    o50, o95, _ = percentiles(ours)
    t50, t95, _ = percentiles(theirs)
    return [
        (f"tantivy build, same {floor.count} documents, {threads} threads",
         f"{floor.build_seconds:.1f} s"),
        ("interleaved: search() facets + highlights (answer cache off), ms p50/p95",
         f"{o50:.1f} / {o95:.1f}"),
        ("interleaved: tantivy top-20 + 6 facets + snippets, ms p50/p95",
         f"{t50:.1f} / {t95:.1f}"),
        ("search() / tantivy, p50 and p95 [≤ 1.5 ×]",
         f"{o50 / t50:.1f} × / {o95 / t95:.1f} ×"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="2000,20000",
                        help="comma-separated corpus sizes (default 2000,20000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of the query set per size")
    parser.add_argument("--procs", type=int, default=2, help="writer processes for rebuilds")
    args = parser.parse_args()
    import logging

    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    for size in (int(s) for s in args.sizes.split(",")):
        rows = bench_size(size, args.repeat, args.procs)
        print(f"\n## {size:,} listings ({len(QUERIES)} queries × {args.repeat})\n")
        print("| measure | result |\n|---|---|")
        for name, value in rows:
            print(f"| {name} | {value} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
