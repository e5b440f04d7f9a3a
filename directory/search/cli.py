"""``flask search ...``: rebuild, sync, check and query the index."""

from __future__ import annotations

import json
import sys

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

search_cli = AppGroup("search", help="Build, update, check and query the search index.")


@search_cli.command("rebuild")
@click.option("--procs", type=click.IntRange(1, 8), default=1, show_default=True,
              help="Writer processes (2 halves the time of large builds on 2 cores).")
def rebuild_command(procs: int) -> None:
    """Build a fresh index from the database aside, then swap it in atomically."""
    from .. import models as m
    from ..extensions import db
    from .sync import rebuild

    total = db.session.scalar(sa.select(sa.func.count(m.Service.id)).where(
        m.Service.is_public)) or 0
    with click.progressbar(length=total, label="Indexing", file=sys.stderr) as bar:
        count = rebuild(procs=procs, progress=bar.update)
    click.echo(f"Indexed {count} public services into {current_app.config['INDEX_DIR']}.")


@search_cli.command("sync")
def sync_command() -> None:
    """Apply pending changes from the change log to the index (safe to run any time)."""
    from .index import IndexUnavailable
    from .sync import sync_pending

    try:
        with click.progressbar(length=0, label="Syncing", file=sys.stderr) as bar:
            report = sync_pending(progress=bar.update)
    except IndexUnavailable as exc:
        click.secho(str(exc), fg="red", err=True)
        sys.exit(1)
    click.echo(f"Applied {report.applied} change(s): {report.updated} updated, "
               f"{report.deleted} removed; index at change {report.last_seq}.")


@search_cli.command("check")
def check_command() -> None:
    """Compare the ids in the index with the public services in the database (exit 1 on drift)."""
    from .. import models as m
    from ..extensions import db
    from .index import IndexUnavailable
    from .sync import index_for, max_seq

    index = index_for()
    try:
        searcher = index.searcher()
    except IndexUnavailable as exc:
        click.secho(f"Index unavailable: {exc}", fg="red", err=True)
        sys.exit(1)
    reader = searcher.ixreader
    indexed = {reader.stored_fields(d)["id"] for d in reader.all_doc_ids()}
    public = set(db.session.scalars(sa.select(m.Service.id).where(
        m.Service.is_public)))
    missing, extra = sorted(public - indexed), sorted(indexed - public)
    state = index.read_state()
    pending = max_seq(db.session) - int(state.get("applied_seq", 0))
    click.echo(f"Database: {len(public)} public services. Index: {len(indexed)} documents. "
               f"Pending changes: {max(pending, 0)}.")
    for service_id in missing[:20]:
        click.echo(f"  missing from index: {service_id}")
    for service_id in extra[:20]:
        click.echo(f"  in index but not public: {service_id}")
    if missing or extra:
        click.secho(f"Drift: {len(missing)} missing, {len(extra)} extra. "
                    "Run `flask search sync` (or `rebuild`).", fg="red", err=True)
        sys.exit(1)
    click.echo("Index matches the database.")


@search_cli.command("query")
@click.argument("text")
@click.option("--locale", default="en", show_default=True, help="The searcher's language.")
@click.option("--json", "as_json", is_flag=True, help="Print result rows as JSON, best first.")
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True)
def query_command(text: str, locale: str, as_json: bool, limit: int) -> None:
    """Run a public search as a visitor would (for tuning relevance). Exit 2 if refused."""
    from .query import QueryError, search

    try:
        results = search(text, locale=locale, page_size=limit, highlight=False,
                         with_facets=False)
    except QueryError as exc:
        click.secho(f"Query refused: {exc.message}", fg="red", err=True)
        sys.exit(2)
    if as_json:
        rows = [{"id": h.id, "name": h.name, "score": h.score, "crisis_line": h.crisis_line,
                 "cities": h.cities} for h in results.hits]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    notes = []
    if results.relaxed:
        notes.append("relaxed to any word")
    if results.fuzzy:
        notes.append("fuzzy")
    if results.suggestion:
        notes.append(f"did you mean: {results.suggestion}")
    if results.degraded:
        notes.append("index unavailable: database fallback")
    click.echo(f"{results.total} result(s)" + (f" ({'; '.join(notes)})" if notes else ""))
    for rank, hit in enumerate(results.hits, 1):
        click.echo(f"{rank:>3}. {hit.score:>8.3f}  {hit.name}  [{hit.id}]")


__all__ = ["search_cli"]
