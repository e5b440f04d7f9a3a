"""Sync: commits reach the index; failures and killed indexers lose nothing; writers coexist."""

import os
import signal
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa
from factories import make_service
from searchdata import ids as ranked_ids, listing

from directory import models as m
from directory import operations
from directory.extensions import db
from directory.search import sync
from directory.search.index import IndexUnavailable
from directory.search.query import search


def ids(results):
    return {h.id for h in results.hits}


def test_an_edit_is_searchable_right_after_commit(app, index):
    service = make_service(name="Juniper Clinic")
    assert ids(search("juniper")) == {service.id}
    operations.update_service(service.id, {"name": "Rowan Clinic"})
    db.session.commit()
    assert ids(search("rowan")) == {service.id}
    assert search("juniper").total == 0
    operations.delete_service(service.id)
    db.session.commit()
    assert search("rowan").total == 0


def test_edits_while_the_index_is_locked_stay_pending_then_apply(app, index):
    app.config["SEARCH_WRITER_TIMEOUT"] = 0.1
    index.writer_timeout = 0.1
    blocker = index._open().writer()  # another process holding the lock looks the same
    try:
        service = make_service(name="Hawthorn Clinic")  # commit succeeds; sync gives up
    finally:
        blocker.cancel()
    assert db.session.get(m.Service, service.id) is not None
    pending = db.session.scalar(sa.select(sa.func.max(m.SearchChange.seq)))
    assert int(index.read_state()["applied_seq"]) < pending
    report = sync.sync_pending(app)
    assert report.last_seq == db.session.scalar(sa.select(sa.func.max(m.SearchChange.seq)))
    assert ids(search("hawthorn")) == {service.id}
    # Applying again is harmless.
    index.write_state({"applied_seq": 0, "gaps": {}})
    sync.sync_pending(app)
    assert ids(search("hawthorn")) == {service.id}
    assert index.searcher().doc_count() == 1


def test_gaps_from_uncommitted_transactions_are_retried(app, index):
    service = make_service(name="Linden Clinic")
    state = index.read_state()
    # Pretend a later sequence was applied while this one's transaction was still open.
    index.write_state({"applied_seq": state["applied_seq"] + 5,
                       "gaps": {str(state["applied_seq"]): time.time()}})
    operations.update_service(service.id, {"name": "Poplar Clinic"})
    db.session.commit()
    assert ids(search("poplar")) == {service.id}


def _cli_env(app):
    env = dict(os.environ)
    env.update(DIRECTORY_SECRET_KEY="test", DIRECTORY_DATABASE_URL=app.config["DATABASE_URL"],
               DIRECTORY_INDEX_DIR=app.config["INDEX_DIR"], PYTHONWARNINGS="ignore")
    return env


def _flask(app, *args, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "directory", *args],
                            env=_cli_env(app), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, **kwargs)


def _bulk_pending(app, count):
    """Commit many services without syncing, as if the web process had died before syncing."""
    app.config["SEARCH_SYNC_ON_COMMIT"] = False
    created = [make_service(name=f"Bulk Clinic {n}", commit=False) for n in range(count)]
    db.session.commit()
    app.config["SEARCH_SYNC_ON_COMMIT"] = True
    return created


def _wait_until_writing(index, process, timeout=60.0):
    """Return once ``process`` holds the index's write lock (it is mid-write)."""
    ix = index._open()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        lock = ix.lock("WRITELOCK")
        if not lock.acquire(blocking=False):
            return
        lock.release()
        time.sleep(0.005)
    out, err = process.communicate()
    raise AssertionError(f"the indexer never started writing: {out} {err}")


@pytest.mark.slow
def test_killed_indexer_loses_nothing(app, index):
    created = _bulk_pending(app, 300)
    victim = _flask(app, "search", "sync")
    _wait_until_writing(index, victim)
    time.sleep(0.2)
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=30)
    assert victim.returncode == -signal.SIGKILL, "the sync finished before it could be killed"
    assert int(index.read_state()["applied_seq"]) < db.session.scalar(
        sa.select(sa.func.max(m.SearchChange.seq)))
    survivor = _flask(app, "search", "sync")
    out, err = survivor.communicate(timeout=300)
    assert survivor.returncode == 0, err
    check = _flask(app, "search", "check")
    out, err = check.communicate(timeout=120)
    assert check.returncode == 0, out + err
    assert search("bulk", page_size=100).total == len(created)


@pytest.mark.slow
def test_two_writer_processes_at_once(app, index):
    _bulk_pending(app, 60)
    first, second = _flask(app, "search", "sync"), _flask(app, "search", "sync")
    results = [p.communicate(timeout=300) for p in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, results
    check = _flask(app, "search", "check")
    out, err = check.communicate(timeout=120)
    assert check.returncode == 0, out + err
    assert index.check_readable()
    assert search("bulk", page_size=100).total == 60


def test_rebuild_swaps_atomically(app, index):
    make_service(name="Aspen Clinic")
    before = index.searcher()
    old_dir = index.live_dir()
    app.config["SEARCH_SYNC_ON_COMMIT"] = False
    make_service(name="Willow Clinic")
    app.config["SEARCH_SYNC_ON_COMMIT"] = True
    count = sync.rebuild(app)
    assert count == 2 and index.live_dir() != old_dir and not os.path.exists(old_dir)
    assert before.doc_count() == 1  # an open searcher keeps working on the old files
    assert search("willow").total == 1


# Whoosh leaks the file handle of a table of contents it fails to read; not ours to fix.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_missing_or_corrupt_index_is_rebuilt_at_start(app, index):
    service = make_service(name="Sumac Clinic")
    live = index.live_dir()
    index.close()
    for name in os.listdir(live):
        if name.endswith(".seg") or name.startswith("_MAIN"):
            with open(os.path.join(live, name), "wb") as handle:
                handle.write(b"\0garbage" * 10)
    sync.ensure_index(app)
    assert ids(search("sumac")) == {service.id}
    import shutil
    shutil.rmtree(app.config["INDEX_DIR"])
    sync.ensure_index(app)
    assert ids(search("sumac")) == {service.id}


def test_search_degrades_to_the_database_without_an_index(app, index):
    service = make_service(name="Yew Clinic")
    import shutil
    index.close()
    shutil.rmtree(app.config["INDEX_DIR"])
    results = search("yew")
    assert results.degraded and ids(results) == {service.id}
    with pytest.raises(IndexUnavailable):
        sync.sync_pending(app)


def test_check_reports_drift(app, index, runner):
    service = make_service(name="Elm Clinic")
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    with index.writer() as writer:
        writer.delete_by_term("id", service.id)
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1
    assert f"missing from index: {service.id}" in result.output


def test_query_command_prints_json_and_refuses_bad_queries(app, index, runner):
    service = make_service(name="Oak Clinic")
    import json
    result = runner.invoke(args=["search", "query", "oak", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert rows[0]["id"] == service.id and rows[0]["name"] == "Oak Clinic"
    refused = runner.invoke(args=["search", "query", "x" * 5000])
    assert refused.exit_code == 2 and "shorter" in refused.output
    assert runner.invoke(args=["search", "query", "oak", "--locale", "xx"]).exit_code == 2


def test_rebuild_command_shows_progress(app, runner):
    make_service(name="Fir Clinic")
    result = runner.invoke(args=["search", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "Indexed 1 public services" in result.output


@pytest.mark.slow
def test_concurrent_rebuilds_leave_one_good_index(app, index):
    _bulk_pending(app, 30)
    first, second = _flask(app, "search", "rebuild"), _flask(app, "search", "rebuild")
    outputs = [p.communicate(timeout=300) for p in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, outputs
    assert index.check_readable()
    generations = [e for e in os.listdir(app.config["INDEX_DIR"]) if e.startswith("gen-")]
    assert generations == [os.path.basename(index.live_dir())]
    assert search("bulk", page_size=100).total == 30


def test_new_synonym_group_reaches_did_you_mean_in_the_process_that_synced_it(app, index,
                                                                              taxonomy):
    """An editor adds the synonym group "haven, transition house". A visitor who then types
    "havn" should be told "Did you mean: haven" and see the transition house. In the worker
    that applied the change log itself (the after-commit sync, or catch_up), they are told
    "Did you mean: hpv" and find nothing: sync_pending loaded the new groups first, so
    ``_taxonomy()``'s own ``load_curated_synonyms`` returns False, the old taxonomy object is
    kept, and the spelling vocabulary cached on that object never learns the group (until a
    taxonomy edit or a restart)."""
    house = listing("Maple Transition House", "A safe place for women and children.",
                    terms=["transition-house"])
    assert ranked_ids(search("transition house")) == [house.id]
    assert search("zzzzqqq").total == 0  # a miss: the spelling vocabulary is built and cached
    db.session.add(m.SearchSynonym(locale="en", terms="haven, transition house"))
    db.session.commit()  # synced in this process (after-commit hook)
    assert ranked_ids(search("haven")) == [house.id]  # the group itself is live in the index
    results = search("havn")
    assert results.suggestion == "haven"
    assert ranked_ids(results) == [house.id]


def test_new_synonym_of_a_category_label_finds_that_category(app, index, taxonomy):
    """An editor adds "sexual wellness, sexual health". Category labels are matched through
    synonyms (LabelMatcher), so "sexual wellness" should find a clinic filed under Sexual
    health, as "sexual health" does. In the worker that synced the change the label matcher is
    never rebuilt (same stale taxonomy object as above): the visitor finds nothing."""
    clinic = listing("Cedar Clinic", "Testing for infections.", terms=["sti-testing"])
    assert ranked_ids(search("sexual health")) == [clinic.id]  # through the category label
    db.session.add(m.SearchSynonym(locale="en", terms="sexual wellness, sexual health"))
    db.session.commit()
    assert ranked_ids(search("sexual wellness")) == [clinic.id]
