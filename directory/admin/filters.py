"""List filters curators ask for on the listings list: city, category, overdue verification."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_babel import lazy_gettext as _l

from .. import models as m


class CityFilter(BaseSQLAFilter):
    """Listings at a location whose address is in a city (part of the name is enough)."""

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        text = f"%{(value or '').strip().lower()[:100]}%"
        places = (sa.select(m.ServiceAtLocation.service_id)
                  .join(m.Address, m.Address.location_id == m.ServiceAtLocation.location_id)
                  .where(sa.func.lower(m.Address.city).like(text)))
        return query.filter(m.Service.id.in_(places))

    def operation(self) -> Any:
        return _l("contains")


class CategoryFilter(BaseSQLAFilter):
    """Listings in a category (chosen by name)."""

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        linked = sa.select(m.Attribute.link_id).where(m.Attribute.link_entity == "service",
                                                      m.Attribute.taxonomy_term_id == value)
        return query.filter(m.Service.id.in_(linked))

    def operation(self) -> Any:
        return _l("is")

    def get_options(self, view: Any) -> list[tuple[str, str]]:
        from flask import has_request_context

        from .categories import term_choices

        if not has_request_context():
            return []  # the view is being built; the list page asks again per request
        return [(c.value, c.label) for c in term_choices()]


class OverdueFilter(BaseSQLAFilter):
    """Listings not verified within ADMIN_STALE_DAYS (never verified included)."""

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        days = int(current_app.config.get("ADMIN_STALE_DAYS", 180))
        cutoff = datetime.now(UTC) - timedelta(days=days)
        overdue = sa.or_(m.Service.last_verified_at.is_(None),
                         m.Service.last_verified_at < cutoff)
        return query.filter(overdue if value == "1" else sa.not_(overdue))

    def operation(self) -> Any:
        return _l("is")

    def get_options(self, view: Any) -> list[tuple[str, Any]]:
        return [("1", _l("Yes")), ("0", _l("No"))]


def listing_filters() -> tuple[Any, ...]:
    return (CityFilter(m.Service.id, _l("City")),
            CategoryFilter(m.Service.id, _l("Category")),
            OverdueFilter(m.Service.last_verified_at, _l("Verification overdue")))
