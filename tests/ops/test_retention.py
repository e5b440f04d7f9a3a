"""Change-log retention: replicas catch up while they can, and rebuild when they cannot."""

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from factories import make_service

from directory import models as m
from directory.extensions import db
from directory.ops.backup import backup_database, restore_database
from directory.ops.retention import prune_change_log
from directory.search import sync
from directory.search.query import search


def names(results):
    return {h.name for h in results.hits}


def seqs():
    return list(db.session.scalars(sa.select(m.SearchChange.seq).order_by(m.SearchChange.seq)))


def age_all_rows(days):
    db.session.execute(sa.update(m.SearchChange).values(
        created_at=datetime.now(timezone.utc) - timedelta(days=days)))
    db.session.commit()


def test_prune_log_deletes_old_rows_but_keeps_recent_ones_and_a_watermark(app, runner):
    make_service(name="Aspen Clinic")
    make_service(name="Birch Clinic")
    age_all_rows(40)
    recent = make_service(name="Cedar Clinic")
    all_rows = seqs()
    result = runner.invoke(args=["search", "prune-log", "--keep-days", "30"])
    assert result.exit_code == 0, result.output
    remaining = seqs()
    assert remaining and remaining[0] > all_rows[0]
    # Every row written by the recent edit is still there.
    recent_seqs = set(db.session.scalars(sa.select(m.SearchChange.seq).where(
        m.SearchChange.entity_id == recent.id)))
    assert recent_seqs <= set(remaining)
    assert f"Deleted {len(all_rows) - len(remaining)} change-log row(s)" in result.output

    age_all_rows(40)  # nothing recent left: the newest row stays as the watermark
    prune_change_log(db.session, datetime.now(timezone.utc))
    db.session.commit()
    assert seqs() == [all_rows[-1]]
    make_service(name="Dogwood Clinic")
    assert min(seqs()[1:]) > all_rows[-1], "sequence numbers were reused after pruning"


def test_replica_down_within_retention_catches_up_without_rebuild(app, other_app, using):
    make_service(name="Elm Clinic")
    with using(other_app):
        sync.rebuild(other_app)  # the other replica is current, then goes down
    cutoff = datetime.now(timezone.utc)
    make_service(name="Fir Clinic")  # while it is down
    prune_change_log(db.session, cutoff)  # removes only rows the replica had applied
    db.session.commit()
    with using(other_app):
        report = sync.sync_pending(other_app)
        assert not report.rebuilt
        assert names(search("clinic")) == {"Elm Clinic", "Fir Clinic"}


def test_replica_behind_retention_rebuilds(app, other_app, using):
    make_service(name="Elm Clinic")
    with using(other_app):
        sync.rebuild(other_app)
    make_service(name="Fir Clinic")
    make_service(name="Gum Clinic")
    prune_change_log(db.session, datetime.now(timezone.utc) + timedelta(minutes=1))
    db.session.commit()
    with using(other_app):
        report = sync.sync_pending(other_app)
        assert report.rebuilt
        assert names(search("clinic")) == {"Elm Clinic", "Fir Clinic", "Gum Clinic"}
        assert not sync.sync_pending(other_app).rebuilt  # once


def test_restore_makes_every_replica_rebuild(app, other_app, using, tmp_path):
    make_service(name="Hazel Clinic")
    backup_database(app, str(tmp_path / "backup"))
    lost = make_service(name="Ivy Clinic").id  # after the backup: gone after the restore
    with using(other_app):
        sync.rebuild(other_app)
        assert names(search("clinic")) == {"Hazel Clinic", "Ivy Clinic"}
        db.session.remove()
        db.engine.dispose()  # the restore replaces tables: no idle connection may hold them
    db.session.remove()
    restore_database(app, str(tmp_path / "backup"), overwrite=True)
    assert db.session.get(m.Service, lost) is None
    # New edits push the log past the other replica's position before it looks again.
    for n in range(4):
        make_service(name=f"Juniper Clinic {n}")
    with using(other_app):
        report = sync.sync_pending(other_app)
        assert report.rebuilt
        assert "Ivy Clinic" not in names(search("clinic"))
        assert search("juniper").total == 4 and search("hazel").total == 1
