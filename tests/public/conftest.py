"""Public-site fixtures: the demo data set, indexed."""

import pytest
import sqlalchemy as sa

from directory import models as m
from directory.cli import load_demo
from directory.extensions import db
from directory.search import sync


@pytest.fixture
def demo(app):
    """The demo directory, committed and indexed; returns a few listings tests need."""
    app.config["SEARCH_SYNC_ON_COMMIT"] = False
    load_demo()
    db.session.commit()
    app.config["SEARCH_SYNC_ON_COMMIT"] = True
    sync.rebuild(app)
    public = [s for s in db.session.scalars(sa.select(m.Service).order_by(m.Service.name))
              if s.is_public]
    confidential = next(s for s in public if any(
        sal.location is not None and sal.location.confidential
        for sal in s.service_at_locations))
    open_site = next(s for s in public if any(
        sal.location is not None and not sal.location.confidential
        and sal.location.latitude is not None for sal in s.service_at_locations))
    english_only = next(s for s in public if s.text_language == "en" and not s.translations)
    return {"public": public, "confidential": confidential, "open_site": open_site,
            "english_only": english_only,
            "page": db.session.scalar(sa.select(m.Page))}
