"""Search fixtures: an index on disk, built from the (empty) test database."""

import pytest
from searchdata import taxonomy  # noqa: F401 - the category tree fixture

from directory.search import sync


@pytest.fixture
def index(app):
    """A live, empty index; commits made by the test reach it through the change log."""
    sync.rebuild(app)
    return sync.index_for(app)

