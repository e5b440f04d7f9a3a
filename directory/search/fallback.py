"""Answers from the database while the index is unavailable (no facets, no fuzziness)."""

from __future__ import annotations

import sqlalchemy as sa

from .. import models as m
from ..extensions import db
from .request import SearchRequest
from .documents import exception_rows
from .results import Hit, SearchResults, summary
from .row import shows_24_7
from .words import MAX_WORDS


def _shows_24_7(service: m.Service, now) -> bool:
    """The one rule (``row.shows_24_7``): never for a closed listing or on an exception day."""
    return shows_24_7(service.open_24_7, now, status=service.status,
                      exceptions=exception_rows(service.hours_exceptions) if service.open_24_7
                      else ())


def database_search(request: SearchRequest) -> SearchResults:
    """Plain database matching, used while the index is unavailable (no facets, no fuzziness)."""
    locale, page, page_size = request.locale, request.page, request.page_size
    query = sa.select(m.Service).where(m.Service.is_public)
    for word in request.text.split()[:MAX_WORDS]:
        translated = sa.select(m.ServiceTranslation.parent_id).where(
            sa.or_(m.ServiceTranslation.name.icontains(word, autoescape=True),
                   m.ServiceTranslation.description.icontains(word, autoescape=True)))
        query = query.where(sa.or_(m.Service.name.icontains(word, autoescape=True),
                                   m.Service.description.icontains(word, autoescape=True),
                                   m.Service.id.in_(translated)))
    if "crisis_line" in request.filters.get("flag", []):
        query = query.where(m.Service.crisis_line.is_(True))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(query.order_by(m.Service.crisis_line.desc(), m.Service.name)
                              .offset((page - 1) * page_size).limit(page_size)).all()
    hits = []
    for service in rows:
        name, name_locale = service.translated("name", locale)
        description, description_locale = service.translated("description", locale)
        hits.append(Hit(id=service.id, name=name, name_locale=name_locale,
                        summary=summary(description or "", set(), None),
                        summary_locale=description_locale, organization=None, cities=[],
                        areas=[], crisis_line=service.crisis_line,
                        open_24_7=_shows_24_7(service, request.now), open_now=None,
                        distance_km=None, status=service.status,
                        phone=None, score=0.0, terms=[], languages=[],
                        last_verified_at=(service.last_verified_at.isoformat()
                                          if service.last_verified_at else None)))
    return SearchResults(query=request.text, locale=locale, total=total, page=page,
                         page_size=page_size, hits=hits, degraded=True)
