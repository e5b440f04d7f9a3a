"""HSDS 3.0 endpoints and the richer search, all read-only and public."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app, request, stream_with_context, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from .. import models as m
from ..extensions import db
from ..exchange.profile import HSDS_VERSIONS, profile_url
from ..operations.misses import count_after_response
from ..search.places import fsa_centre
from ..search.query import SearchResults, search
from ..search.request import FILTER_KEYS, SORTS, QueryError, SearchRequest
from ..search.row import haversine_km
from .params import ApiError, Params
from .serialize import ApiSerializer, change_json

HSDS_VERSION = "3.0"
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100
MAX_PAGE = 100_000
# How many ranked matches a ``search`` parameter on the HSDS lists may narrow them to.
MAX_SEARCH_MATCHES = 1000
NDJSON = "application/x-ndjson"


# -- responses -------------------------------------------------------------------------------
def last_change() -> datetime | None:
    """When anything in the directory last changed (every write leaves an audit row)."""
    return db.session.scalar(sa.select(sa.func.max(m.AuditLog.created_at)))


def json_response(payload: Any, *, status: int = 200, private: bool = False) -> Response:
    """A JSON response; public reads get an ETag and Last-Modified and may answer 304."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    response = current_app.response_class(body, status=status, mimetype="application/json")
    if private:
        # Search words are nobody's business: keep them out of every cache.
        response.headers["Cache-Control"] = "no-store"
        return response
    response.headers["Cache-Control"] = "no-cache"
    response.vary.add("Accept-Language")
    if status == 200:
        response.set_etag(hashlib.sha256(body.encode()).hexdigest()[:32])
        changed = last_change()
        if changed is not None:
            response.last_modified = changed
        response.make_conditional(request)
    return response


def ndjson_response(rows: Iterable[dict[str, Any]]) -> Response:
    """Every result, one JSON object a line, streamed without pagination."""
    def lines() -> Iterator[str]:
        for row in rows:
            yield json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n"

    response = current_app.response_class(stream_with_context(lines()), mimetype=NDJSON)
    response.headers["Cache-Control"] = "no-cache"
    return response


def page_object(contents: list[Any], total: int, page: int, per_page: int) -> dict[str, Any]:
    """The HSDS Page object around ``contents``."""
    total_pages = math.ceil(total / per_page) if per_page else 0
    return {"total_items": total, "total_pages": total_pages, "page_number": page,
            "size": len(contents), "first_page": page == 1,
            "last_page": page >= total_pages, "empty": not contents, "contents": contents}


def hsds_version(params: Params) -> str:
    """``hsds=3.1`` adds HSDS 3.1's fields (additional_urls); the default is plain 3.0."""
    return params.choice("hsds", HSDS_VERSIONS, HSDS_VERSION)


def not_found(kind: str) -> ApiError:
    return ApiError(_("No published %(kind)s with this id.", kind=kind), "id", 404)


def published(model: type, record_id: str, kind: str,
              visible: Callable[[Any], bool] = lambda record: True) -> Any:
    """The record behind a detail URL, or a 404 (malformed ids and hidden records alike)."""
    record = db.session.get(model, record_id) if m.is_record_id(record_id) else None
    if record is None or not visible(record):
        raise not_found(kind)
    return record


# -- shared filters --------------------------------------------------------------------------
def public_services() -> sa.Select:
    """Services the public may see."""
    return sa.select(m.Service.id).where(m.Service.is_public)


def term_and_descendants(term_id: str) -> set[str]:
    """A taxonomy term's id with the ids of every term below it."""
    return m.TaxonomyTerm.with_descendants(db.session, [term_id])


def services_with_terms(term_ids: Iterable[str]) -> sa.Select:
    return sa.select(m.Attribute.link_id).where(m.Attribute.link_entity == "service",
                                                m.Attribute.taxonomy_term_id.in_(term_ids))


def ranked_ids(text: str, locale: str) -> list[str]:
    """Ids of public services matching ``text``, best first, through the one search service."""
    ids: list[str] = []
    page = 1
    while len(ids) < MAX_SEARCH_MATCHES:
        results = search(text, locale=locale, page=page, page_size=100, highlight=False,
                         with_facets=False)
        ids.extend(hit.id for hit in results.hits)
        if page >= results.pages:
            break
        page += 1
    return ids[:MAX_SEARCH_MATCHES]


def _normalise_postcode(value: str) -> str:
    return "".join(value.split()).upper()


def public_points() -> list[tuple[str, str, float, float, str]]:
    """(location id, service id, lat, lon, postcode) of public, non-confidential locations."""
    query = (sa.select(m.Location.id, m.ServiceAtLocation.service_id, m.Location.latitude,
                       m.Location.longitude, m.Address.postal_code)
             .join(m.ServiceAtLocation, m.ServiceAtLocation.location_id == m.Location.id)
             .outerjoin(m.Address, m.Address.location_id == m.Location.id)
             .where(m.Location.confidential.is_(False),
                    m.ServiceAtLocation.service_id.in_(public_services())))
    return [tuple(row) for row in db.session.execute(query)]


def area_filter(params: Params) -> tuple[set[str], set[str]] | None:
    """(location ids, service ids) matching ``postcode``/``proximity``; None without them.

    With ``proximity`` (metres), locations within that distance of the postcode's centroid.
    Without it, locations with that postcode and services whose service area names it.
    Confidential sites never take part: matching them would reveal where they are.
    """
    postcode = params.text("postcode", 16)
    proximity = params.number("proximity", 1, 20_000_000)
    if postcode is None:
        if proximity is not None:
            raise ApiError(_("Give a postcode to measure the proximity from."), "postcode")
        return None
    code = _normalise_postcode(postcode)
    rows = public_points()

    def matches(candidate: str | None, prefix: bool) -> bool:
        if not candidate:
            return False
        candidate = _normalise_postcode(candidate)
        return candidate.startswith(code[:3]) if prefix else candidate == code

    if proximity is not None:
        # As search's "near": the listings giving this very code, else the bundled centre of its
        # forward sortation area, else the listings in that area (an area newer than the table).
        def centroid(prefix: bool) -> tuple[float, float] | None:
            points = [(lat, lon) for _l, _s, lat, lon, pc in rows
                      if lat is not None and lon is not None and matches(pc, prefix)]
            if not points:
                return None
            return (sum(p[0] for p in points) / len(points),
                    sum(p[1] for p in points) / len(points))

        centre = centroid(False) or fsa_centre(code) or centroid(True)
        if centre is None:
            raise ApiError(_("We do not know where this postcode is."), "postcode")
        near = {(loc, svc) for loc, svc, lat, lon, _pc in rows if lat is not None
                and lon is not None and haversine_km(centre, (lat, lon)) * 1000 <= proximity}
        return {loc for loc, _svc in near}, {svc for _loc, svc in near}
    located = {(loc, svc) for loc, svc, _lat, _lon, pc in rows if matches(pc, False)}
    compact = sa.func.upper(sa.func.replace(sa.func.coalesce(m.ServiceArea.extent, "")
                                            + " " + sa.func.coalesce(m.ServiceArea.name, ""),
                                            " ", ""))
    covered = set(db.session.scalars(sa.select(m.ServiceArea.service_id).where(
        compact.contains(code, autoescape=True))))
    return {loc for loc, _svc in located}, {svc for _loc, svc in located} | covered


def service_filters(params: Params) -> tuple[sa.Select, list[str] | None]:
    """The ids query for /services (and the search ranking, when ``search`` is given)."""
    query = public_services()
    term_id = params.record_id("taxonomy_term_id")
    if term_id:
        query = query.where(m.Service.id.in_(services_with_terms(term_and_descendants(term_id))))
    taxonomy_id = params.record_id("taxonomy_id")
    if taxonomy_id:
        terms = sa.select(m.TaxonomyTerm.id).where(m.TaxonomyTerm.taxonomy_id == taxonomy_id)
        query = query.where(m.Service.id.in_(services_with_terms(terms)))
    organization_id = params.record_id("organization_id")
    if organization_id:
        query = query.where(m.Service.organization_id == organization_id)
    modified_after = params.date_time("modified_after")
    if modified_after:
        # Whatever a record shows as last_modified (the later of the two) is >= the watermark.
        query = query.where(sa.or_(m.Service.updated_at >= modified_after,
                                   m.Service.last_modified >= modified_after))
    ranking = None
    text = params.text("search")
    if text:
        ranking = ranked_ids(text, params.locale() or "en")
        query = query.where(m.Service.id.in_(ranking or ["-"]))
    return query, ranking


def paged_ids(query: sa.Select, ranking: list[str] | None, order_by: Any, page: int,
              per_page: int | None) -> tuple[list[str], int]:
    """One page of ids (all of them when ``per_page`` is None) and the total."""
    if ranking is not None:
        wanted = set(db.session.scalars(query))
        ids = [i for i in ranking if i in wanted]
        total = len(ids)
        if per_page is not None:
            ids = ids[(page - 1) * per_page:page * per_page]
        return ids, total
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    ordered = query.order_by(*order_by)
    if per_page is not None:
        ordered = ordered.offset((page - 1) * per_page).limit(per_page)
    return list(db.session.scalars(ordered)), total


def list_response(params: Params, query: sa.Select, ranking: list[str] | None,
                  order_by: Any, model: type, build: Callable[[Any], dict[str, Any]]) -> Response:
    """A Page of ``build(record)`` for the ids ``query`` selects, or every one as NDJSON."""
    fmt = params.choice("format", ("json", "ndjson"), "json")
    page = params.integer("page", 1, 1, MAX_PAGE)
    per_page = params.integer("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    if fmt == "ndjson":
        ids, _total = paged_ids(query, ranking, order_by, 1, None)

        def rows() -> Iterator[dict[str, Any]]:
            for start in range(0, len(ids), 200):
                chunk = ids[start:start + 200]
                records = {r.id: r for r in db.session.scalars(
                    sa.select(model).where(model.id.in_(chunk)))}
                for record_id in chunk:
                    if record_id in records:
                        yield build(records[record_id])

        return ndjson_response(rows())
    ids, total = paged_ids(query, ranking, order_by, page, per_page)
    records = {r.id: r for r in db.session.scalars(sa.select(model).where(model.id.in_(ids)))}
    contents = [build(records[i]) for i in ids if i in records]
    return json_response(page_object(contents, total, page, per_page))


# -- endpoints -------------------------------------------------------------------------------
def api_root() -> Response:
    """What this API is: HSDS version, our profile, the OpenAPI document and the docs page."""
    return json_response({"version": HSDS_VERSION, "profile": profile_url(),
                          "openapi_url": url_for("api.openapi_document", _external=True),
                          "docs_url": url_for("api.docs", _external=True)})


def services() -> Response:
    """Published services: a Page of one-to-one fields, or fully nested with ``full``."""
    params = Params.from_request()
    serializer = ApiSerializer(params.locale(), hsds_version(params))
    full = params.boolean("full")
    minimal = params.boolean("minimal")
    query, ranking = service_filters(params)
    area = area_filter(params)
    if area is not None:
        location_ids, service_ids = area
        with_location = sa.select(m.ServiceAtLocation.service_id).where(
            m.ServiceAtLocation.location_id.in_(location_ids or ["-"]))
        query = query.where(sa.or_(m.Service.id.in_(service_ids or ["-"]),
                                   m.Service.id.in_(with_location)))

    def build(service: m.Service) -> dict[str, Any]:
        if minimal:
            return {"id": service.id,
                    "last_modified": _iso(service.last_modified or service.updated_at)}
        if full:
            return serializer.record(service)
        return service_summary(serializer, service)

    return list_response(params, query, ranking, (m.Service.name, m.Service.id), m.Service,
                         build)


def service_summary(serializer: ApiSerializer, service: m.Service) -> dict[str, Any]:
    """A service's one-to-one fields with its organization and program (HSDS service_list)."""
    out = serializer.record(service, nest=False)
    if service.organization is not None:
        out["organization"] = serializer.record(service.organization, nest=False)
    if service.program is not None:
        out["program"] = serializer.record(service.program, nest=False)
    out["attributes"] = [serializer.attribute(a) for a in db.session.scalars(
        sa.select(m.Attribute).where(m.Attribute.link_id == service.id,
                                     m.Attribute.link_entity == "service")
        .order_by(m.Attribute.id))]
    return out


def service_detail(service_id: str) -> Response:
    """One published service, fully nested."""
    params = Params.from_request()
    record = published(m.Service, service_id, "service", lambda s: s.is_public)
    return json_response(ApiSerializer(params.locale(), hsds_version(params)).record(record))


def public_organizations() -> sa.Select:
    """Organizations with at least one published service."""
    return sa.select(m.Organization.id).where(m.Organization.id.in_(
        public_services().with_only_columns(m.Service.organization_id)))


def organization_object(serializer: ApiSerializer, organization: m.Organization, *,
                        full: bool, full_service: bool) -> dict[str, Any]:
    """An organization with its published services (simple, or fully nested)."""
    out = serializer.record(organization, nest=full)
    services_of = db.session.scalars(sa.select(m.Service).where(
        m.Service.id.in_(public_services()), m.Service.organization_id == organization.id)
        .order_by(m.Service.name, m.Service.id))
    out["services"] = [serializer.record(s, parent_model=m.Organization) if full_service
                       else serializer.record(s, nest=False) for s in services_of]
    return out


def organizations() -> Response:
    """Organizations that have published services."""
    params = Params.from_request()
    serializer = ApiSerializer(params.locale(), hsds_version(params))
    full = params.boolean("full")
    full_service = params.boolean("full_service")
    query = public_organizations()
    text = params.text("search")
    if text:
        translated = sa.select(m.OrganizationTranslation.parent_id).where(
            m.OrganizationTranslation.name.icontains(text, autoescape=True))
        query = query.where(sa.or_(
            m.Organization.name.icontains(text, autoescape=True),
            m.Organization.alternate_name.icontains(text, autoescape=True),
                                   m.Organization.id.in_(translated)))

    def build(organization: m.Organization) -> dict[str, Any]:
        if full or full_service:
            return organization_object(serializer, organization, full=full,
                                       full_service=full_service)
        return serializer.record(organization, nest=False)

    return list_response(params, query, None, (m.Organization.name, m.Organization.id),
                         m.Organization, build)


def organization_detail(organization_id: str) -> Response:
    """One organization that has published services, fully nested."""
    params = Params.from_request()
    record = published(m.Organization, organization_id, "organization",
                       lambda o: db.session.scalar(public_organizations().where(
                           m.Organization.id == o.id)) is not None)
    serializer = ApiSerializer(params.locale(), hsds_version(params))
    return json_response(organization_object(serializer, record, full=True,
                                             full_service=params.boolean("full_service")))


def sal_object(serializer: ApiSerializer, sal: m.ServiceAtLocation, *, full: bool
               ) -> dict[str, Any]:
    """A service at a location, with the location and the service (one-to-one or nested)."""
    if full:
        out = serializer.record(sal)
        out["service"] = serializer.record(sal.service, parent_model=m.ServiceAtLocation)
        return out
    out = serializer.record(sal, nest=False)
    if sal.location is not None:
        out["location"] = serializer.record(sal.location, nest=False)
    out["service"] = serializer.record(sal.service, nest=False)
    return out


def service_at_locations() -> Response:
    """Where published services are delivered."""
    params = Params.from_request()
    serializer = ApiSerializer(params.locale(), hsds_version(params))
    full = params.boolean("full")
    services_query, ranking = service_filters(params)
    query = sa.select(m.ServiceAtLocation.id).where(
        m.ServiceAtLocation.service_id.in_(services_query))
    area = area_filter(params)
    if area is not None:
        location_ids, service_ids = area
        query = query.where(sa.or_(m.ServiceAtLocation.location_id.in_(location_ids or ["-"]),
                                   m.ServiceAtLocation.service_id.in_(service_ids or ["-"])))
    sal_ranking = None
    if ranking is not None:
        by_service: dict[str, list[str]] = {}
        for sal_id, service_id in db.session.execute(
                sa.select(m.ServiceAtLocation.id, m.ServiceAtLocation.service_id)
                .where(m.ServiceAtLocation.service_id.in_(ranking or ["-"]))
                .order_by(m.ServiceAtLocation.id)):
            by_service.setdefault(service_id, []).append(sal_id)
        sal_ranking = [sal for sid in ranking for sal in by_service.get(sid, [])]
    return list_response(params, query, sal_ranking, (m.ServiceAtLocation.id,),
                         m.ServiceAtLocation, lambda sal: sal_object(serializer, sal, full=full))


def service_at_location_detail(sal_id: str) -> Response:
    """One service at a location, fully nested."""
    params = Params.from_request()
    record = published(m.ServiceAtLocation, sal_id, "service at location",
                       lambda sal: sal.service is not None and sal.service.is_public)
    serializer = ApiSerializer(params.locale(), hsds_version(params))
    return json_response(sal_object(serializer, record, full=True))


def taxonomies() -> Response:
    """The taxonomies our categories come from."""
    params = Params.from_request()
    serializer = ApiSerializer(params.locale(), hsds_version(params))
    query = sa.select(m.Taxonomy.id)
    text = params.text("search")
    if text:
        query = query.where(sa.or_(m.Taxonomy.name.icontains(text, autoescape=True),
                                   m.Taxonomy.description.icontains(text, autoescape=True)))
    return list_response(params, query, None, (m.Taxonomy.name, m.Taxonomy.id), m.Taxonomy,
                         lambda t: serializer.record(t))


def taxonomy_detail(taxonomy_id: str) -> Response:
    """One taxonomy."""
    params = Params.from_request()
    record = published(m.Taxonomy, taxonomy_id, "taxonomy")
    return json_response(ApiSerializer(params.locale(), hsds_version(params)).record(record))


def taxonomy_terms() -> Response:
    """Category terms, with translated names for the requested locale."""
    params = Params.from_request()
    serializer = ApiSerializer(params.locale(), hsds_version(params))
    query = sa.select(m.TaxonomyTerm.id)
    taxonomy_id = params.record_id("taxonomy_id")
    if taxonomy_id:
        query = query.where(m.TaxonomyTerm.taxonomy_id == taxonomy_id)
    parent_id = params.text("parent_id", 64)
    if parent_id:
        query = query.where(m.TaxonomyTerm.parent_id == parent_id)
    if params.boolean("top_only"):
        query = query.where(m.TaxonomyTerm.parent_id.is_(None))
    text = params.text("search")
    if text:
        translated = sa.select(m.TaxonomyTermTranslation.parent_id).where(
            m.TaxonomyTermTranslation.name.icontains(text, autoescape=True))
        query = query.where(sa.or_(m.TaxonomyTerm.name.icontains(text, autoescape=True),
                                   m.TaxonomyTerm.code.icontains(text, autoescape=True),
                                   m.TaxonomyTerm.id.in_(translated)))
    return list_response(params, query, None, (m.TaxonomyTerm.name, m.TaxonomyTerm.id),
                         m.TaxonomyTerm, lambda t: serializer.record(t))


def taxonomy_term_detail(term_id: str) -> Response:
    """One taxonomy term."""
    params = Params.from_request()
    record = published(m.TaxonomyTerm, term_id, "taxonomy term")
    return json_response(ApiSerializer(params.locale(), hsds_version(params)).record(record))


# -- search ----------------------------------------------------------------------------------
def search_endpoint() -> Response:
    """Our search: locale, filters, facets, distance and open-now (POST keeps words out of URLs)."""
    params = Params.from_request()
    locale = params.locale() or "en"
    filters = {key: params.strings(key) for key in FILTER_KEYS}
    filters = {key: values for key, values in filters.items() if values}
    per_page = params.integer("per_page", current_app.config["SEARCH_PAGE_SIZE"], 1, 100)
    lat = params.number("lat", -90, 90)
    lon = params.number("lon", -180, 180)
    try:
        request = SearchRequest(
            params.text("q", current_app.config["SEARCH_MAX_QUERY_LENGTH"]) or "",
            locale=locale, filters=filters, page=params.integer("page", 1, 1, 1000),
            page_size=per_page, near=params.text("near", 100), lat=lat, lon=lon,
            radius_km=params.number("radius_km", 0.1, 20000),
            sort=params.choice("sort", SORTS, None), open_now=params.boolean("open_now"),
            highlight=params.boolean("highlight", True),
            with_facets=params.boolean("facets", True))
        results = count_after_response(search(request=request))
    except QueryError as exc:
        raise ApiError(str(exc.message), exc.field) from None
    return json_response(search_payload(results), private=True)


def search_payload(results: SearchResults) -> dict[str, Any]:
    """The JSON form of search results: a Page of hits plus facets and hints."""
    hits = []
    for hit in results.hits:
        hits.append({
            "id": hit.id, "name": hit.name, "name_locale": hit.name_locale,
            "summary": hit.summary, "summary_locale": hit.summary_locale,
            "fallback": hit.name_locale != results.locale
            or hit.summary_locale != results.locale,
            "organization": hit.organization, "cities": hit.cities, "areas": hit.areas,
            "crisis_line": hit.crisis_line, "open_24_7": hit.open_24_7,
            "open_now": hit.open_now, "distance_km": hit.distance_km, "phone": hit.phone,
            "categories": hit.terms, "languages": hit.languages,
            "last_verified_at": hit.last_verified_at,
            "status": hit.status,
            "hours_exceptions": [change_json(c) for c in hit.exceptions],
            "alert": hit.alert, "alert_locale": hit.alert_locale,
            "capacity": ({"state": hit.capacity, "updated_at": hit.capacity_updated_at}
                         if hit.capacity else None),
            "verification": {"last_verified_at": hit.last_verified_at,
                             "method": hit.last_verified_method, "overdue": hit.overdue},
            "url": url_for("public.service", service_id=hit.id, locale=results.locale,
                           _external=True),
            "api_url": url_for("api.service_detail", service_id=hit.id, _external=True),
        })
    out = page_object(hits, results.total, results.page, results.page_size)
    out.update({
        "query": results.query, "locale": results.locale, "sort": results.sort,
        "suggestion": results.suggestion, "fuzzy": results.fuzzy, "relaxed": results.relaxed,
        "crisis_boosted": results.crisis_boosted, "degraded": results.degraded,
        "concepts": _concepts(results),
        "relaxed_query": results.relaxed_query, "place_not_found": results.place_unknown,
        "closest_categories": [{"value": f.value, "label": str(f.label), "count": f.count,
                                "selected": False} for f in results.closest_categories],
        "crisis_lines": [{"id": h.id, "name": h.name, "phone": h.phone}
                         for h in results.crisis_lines],
        "facets": {name: [{"value": f.value, "label": str(f.label), "count": f.count,
                           "selected": f.selected} for f in values]
                   for name, values in results.facets.items()},
    })
    return out


def _concepts(results: SearchResults) -> list[dict[str, str]]:
    """The concepts the words activated, labelled in the request's language."""
    from ..search.concepts import concept_set

    concepts = concept_set().concepts
    return [{"id": c, "label": concepts[c].label(results.locale)} for c in results.concepts
            if c in concepts]


def _iso(value: datetime | None) -> str | None:
    from ..models.entities import to_json

    return to_json(value) if value is not None else None
