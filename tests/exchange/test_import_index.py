"""`flask import` ends with a search index that shows the import, or says plainly how to get one."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from factories import service_data

from directory import models as m
from directory.extensions import db
from directory.search import sync
from directory.search.query import search


def _feed(tmp_path, name: str = "Tidewater Night Support Line") -> str:
    path = tmp_path / "feed.json"
    path.write_text(json.dumps([service_data(name=name, crisis_line=False)]), encoding="utf-8")
    return str(path)


def _found(text: str) -> list[str]:
    return [hit.name for hit in search(text).hits]


@pytest.mark.parametrize("bulk", [False, True], ids=["one-by-one", "bulk"])
def test_import_brings_an_existing_index_up_to_date(app, runner, tmp_path, bulk):
    sync.rebuild(app)
    assert _found("Tidewater") == []
    args = ["import", _feed(tmp_path), "--publication", "published"] + (["--bulk"] if bulk
                                                                        else [])
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert ("Search index built" if bulk else "Search index up to date") in result.output
    assert "Warning" not in result.output
    assert _found("Tidewater") == ["Tidewater Night Support Line"]


def test_import_into_a_new_instance_builds_the_index(app, runner, tmp_path):
    assert not sync.index_for(app).exists()
    result = runner.invoke(args=["import", _feed(tmp_path), "--publication", "published"])
    assert result.exit_code == 0, result.output
    assert "Search index built: 1 public listings." in result.output
    assert _found("Tidewater") == ["Tidewater Night Support Line"]


class TestIndexThatCannotBeUpdated:
    @pytest.fixture
    def app_config(self, app_config, tmp_path):
        """An index folder that cannot be created (its parent is a file)."""
        blocker = tmp_path / "not-a-folder"
        blocker.write_text("x", encoding="utf-8")
        return dict(app_config, INDEX_DIR=str(blocker / "index"), SEARCH_ENSURE_ON_START=False)

    def test_the_import_is_kept_and_a_plain_warning_says_how_to_finish(self, app, runner,
                                                                       tmp_path):
        result = runner.invoke(args=["import", _feed(tmp_path), "--publication", "published"])
        assert result.exit_code == 0, result.output
        assert "Imported 1 service." in result.output
        warning = result.output[result.output.index("Warning: the search index could not be "
                                                    "updated"):]
        assert "Searches do not show the imported listings yet." in warning
        assert "flask --app directory search rebuild" in warning
        assert db.session.scalar(sa.select(sa.func.count()).select_from(m.Service)) == 1
