"""The OpenAPI 3.1 document of /api/v1, built from the bundled HSDS 3.0 schemas and our models.

The HSDS object schemas are the spec's own files (references rewritten to components); our
profile's extension fields are added from the model columns, so the document cannot drift from
what the serializer writes.
"""

from __future__ import annotations

import copy
import json
import os
from functools import lru_cache
from typing import Any

from flask import Response, current_app, url_for

from .. import i18n
from ..exchange.profile import extension_properties, profile_url
from ..models.entities import ENTITY_NAMES
from ..search.query import FILTER_KEYS, FLAG_VALUES, SORTS

REF = "#/components/schemas/"
ERROR_STATUSES = {"400": "A parameter is wrong; the message says which and why.",
                  "404": "No such published record.",
                  "429": "Too many requests from this address; retry after Retry-After seconds."}


def _rewrite_refs(node: Any) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.endswith(".json"):
                out[key] = REF + os.path.basename(value)[:-5]
            else:
                out[key] = _rewrite_refs(value)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(v) for v in node]
    return node


def _components_refs(node: Any) -> Any:
    """The profile's ``#/$defs/x`` references as this document's ``#/components/schemas/x``."""
    if isinstance(node, dict):
        return {k: (REF + v[len("#/$defs/"):] if k == "$ref" and isinstance(v, str)
                    and v.startswith("#/$defs/") else _components_refs(v))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_components_refs(v) for v in node]
    return node


@lru_cache(maxsize=4)
def hsds_schemas(schema_dir: str) -> dict[str, dict[str, Any]]:
    """Every HSDS object schema, with our extension fields added."""
    schemas: dict[str, dict[str, Any]] = {}
    for name in sorted(os.listdir(schema_dir)):
        if not name.endswith(".json") or name == "openapi.json":
            continue
        with open(os.path.join(schema_dir, name), encoding="utf-8") as handle:
            schema = _rewrite_refs(json.load(handle))
        schema.pop("$schema", None)
        schemas[name[:-5]] = schema
    for entity in ENTITY_NAMES.values():
        schema = schemas.get(entity)
        if schema is None:
            continue
        properties = schema.setdefault("properties", {})
        for key, value in extension_properties(entity, schema_dir).items():
            properties.setdefault(key, _components_refs(value))
    service = schemas.get("service")
    if service is not None:
        # Today's facts the API adds to every public service (api/serialize.add_dated_facts).
        service.setdefault("properties", {}).update({
            "open_now": {"type": ["boolean", "null"],
                         "description": "Open at the time of the request (null: no hours "
                                        "given). Never true unless the status is active, nor "
                                        "on a closure day."},
            "hours_exceptions": {"type": "array", "items": {"$ref": REF + "HoursException"},
                                 "description": "Closures and changed hours, current or "
                                                "starting within 60 days."},
            "verification": {"$ref": REF + "Verification"},
        })
    return schemas


def _param(name: str, schema: dict[str, Any], description: str, where: str = "query",
           **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": where, "required": where == "path", "description": description,
            "schema": schema, **extra}


def _ref_param(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/parameters/{name}"}


PARAMETERS: dict[str, dict[str, Any]] = {
    "search": _param("search", {"type": "string", "maxLength": 200},
                     "Full-text search (the same search as the public site), best match first."),
    "page": _param("page", {"type": "integer", "minimum": 1, "maximum": 100000, "default": 1},
                   "Page number of paginated results."),
    "per_page": _param("per_page", {"type": "integer", "minimum": 1, "maximum": 100,
                                    "default": 50}, "Results in one page."),
    "format": _param("format", {"type": "string", "enum": ["json", "ndjson"], "default": "json"},
                     "`ndjson` streams every result, one object a line, without pagination."),
    "taxonomy_term_id": _param("taxonomy_term_id", {"type": "string", "format": "uuid"},
                               "Services filed under this term or any term below it."),
    "taxonomy_id": _param("taxonomy_id", {"type": "string", "format": "uuid"},
                          "Services with any term of this taxonomy."),
    "organization_id": _param("organization_id", {"type": "string", "format": "uuid"},
                              "Services this organization provides."),
    "modified_after": _param("modified_after", {"type": "string", "format": "date-time"},
                             "Only records changed on or after this date-time."),
    "minimal": _param("minimal", {"type": "boolean"},
                      "Only each service's `id` and `last_modified`."),
    "full": _param("full", {"type": "boolean"}, "Fully nested objects."),
    "full_service": _param("full_service", {"type": "boolean"},
                           "Nest each service of an organization in full."),
    "postcode": _param("postcode", {"type": "string", "maxLength": 16},
                       "A postcode: locations there and services whose service area names it; "
                       "with `proximity`, locations within that many metres of its centroid. "
                       "Confidential sites never match."),
    "proximity": _param("proximity", {"type": "number", "minimum": 1, "maximum": 20000000},
                        "Distance in metres from the postcode's centroid."),
    "locale": _param("locale", {"type": "string", "enum": list(i18n.SUPPORTED_LOCALES)},
                     "Show translated fields in this locale (falls back to the base text, "
                     "listed in `fallback_fields`). Default: the Accept-Language header."),
    "hsds": _param("hsds", {"type": "string", "enum": ["3.0", "3.1"], "default": "3.0"},
                   "`3.1` adds HSDS 3.1's fields (`additional_urls`); the default is HSDS 3.0 "
                   "with our profile's extension fields only."),
    "accept_language": _param("Accept-Language", {"type": "string", "maxLength": 200},
                              "Preferred languages, used when `locale` is not given.",
                              where="header"),
}

LIST_PARAMS = ["search", "page", "per_page", "format", "locale", "hsds", "accept_language"]
SERVICE_FILTERS = ["taxonomy_term_id", "taxonomy_id", "organization_id", "modified_after",
                   "postcode", "proximity"]


def _error_responses(*statuses: str) -> dict[str, Any]:
    return {status: {"description": ERROR_STATUSES[status],
                     "content": {"application/json": {"schema": {"$ref": REF + "Error"}}}}
            for status in statuses}


def _page_of(item_schema: dict[str, Any]) -> dict[str, Any]:
    return {"allOf": [{"$ref": REF + "Page"}],
            "properties": {"contents": {"type": "array", "items": item_schema}}}


def _read(summary: str, schema: dict[str, Any], params: list[str], *, ndjson: bool = False,
          operation_id: str, errors: tuple[str, ...] = ("400", "429"),
          post: dict[str, Any] | None = None) -> dict[str, Any]:
    content: dict[str, Any] = {"application/json": {"schema": schema}}
    if ndjson:
        content["application/x-ndjson"] = {"schema": {"type": "string"}}
    responses = {"200": {"description": summary, "content": content},
                 "304": {"description": "Not modified since the ETag or date you sent."},
                 **_error_responses(*errors)}
    item = {"get": {"summary": summary, "operationId": operation_id,
                    "parameters": [_ref_param(p) for p in params], "responses": responses}}
    if post is not None:
        body_params = [p for p in params if p != "accept_language"]
        item["post"] = {
            "summary": summary + " (POST: the parameters travel in a JSON body, not the URL)",
            "operationId": operation_id + "Post",
            "parameters": [_ref_param("accept_language")] if "accept_language" in params
            else [],
            "requestBody": {"required": False, "content": {"application/json": {"schema": post
                            or _body_schema(body_params)}}},
            "responses": {k: v for k, v in responses.items() if k != "304"}}
    return item


def _body_schema(params: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": {p: copy.deepcopy(PARAMETERS[p]["schema"])
                                             for p in params}}


def _detail(summary: str, schema_name: str, id_name: str, operation_id: str,
            extra: list[str] | None = None) -> dict[str, Any]:
    item = _read(summary, {"$ref": REF + schema_name},
                 ["locale", "hsds", "accept_language", *(extra or [])], operation_id=operation_id,
                 errors=("400", "404", "429"))
    item["parameters"] = [_param(id_name, {"type": "string"}, "The record's id (a UUID).",
                                 where="path")]
    return item


def _search_schemas() -> dict[str, Any]:
    facet = {"type": "object", "required": ["value", "label", "count", "selected"],
             "properties": {"value": {"type": "string"}, "label": {"type": "string"},
                            "count": {"type": "integer"}, "selected": {"type": "boolean"}}}
    hit = {
        "type": "object",
        "required": ["id", "name", "name_locale", "summary", "summary_locale", "fallback", "url"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "name": {"type": "string"}, "name_locale": {"type": "string"},
            "summary": {"type": "string", "description": "HTML-escaped text; matched words in "
                                                         "<mark>."},
            "summary_locale": {"type": "string"},
            "fallback": {"type": "boolean",
                         "description": "Name or summary is not in the requested locale."},
            "organization": {"type": ["string", "null"]},
            "cities": {"type": "array", "items": {"type": "string"}},
            "areas": {"type": "array", "items": {"type": "string"}},
            "crisis_line": {"type": "boolean"}, "open_24_7": {"type": "boolean"},
            "open_now": {"type": ["boolean", "null"]},
            "distance_km": {"type": ["number", "null"]},
            "phone": {"type": ["object", "null"],
                      "properties": {"number": {"type": "string"}, "text_ok": {"type": "boolean"},
                                     "tty": {"type": "boolean"}}},
            "categories": {"type": "array", "items": {"type": "string"}},
            "languages": {"type": "array", "items": {"type": "string"}},
            "last_verified_at": {"type": ["string", "null"]},
            "status": {"type": ["string", "null"],
                       "description": "active or temporarily closed. A listing that is not "
                                      "active is never open_now or open_24_7."},
            "hours_exceptions": {"type": "array", "items": {"$ref": REF + "HoursException"},
                                 "description": "Closures and changed hours, current or "
                                                "starting within 60 days."},
            "alert": {"type": ["string", "null"],
                      "description": "The listing's public notice while it is current."},
            "alert_locale": {"type": ["string", "null"]},
            "capacity": {"type": ["object", "null"],
                         "description": "Shown only while recent (CAPACITY_MAX_AGE_HOURS).",
                         "properties": {"state": {"enum": ["accepting", "waitlist", "full"]},
                                        "updated_at": {"type": "string"}}},
            "verification": {"$ref": REF + "Verification"},
            "url": {"type": "string", "format": "uri",
                    "description": "The full listing on the directory's site."},
            "api_url": {"type": "string", "format": "uri"},
        },
    }
    results = {
        "allOf": [{"$ref": REF + "Page"}],
        "required": ["contents", "query", "locale", "facets"],
        "properties": {
            "contents": {"type": "array", "items": {"$ref": REF + "SearchHit"}},
            "query": {"type": "string"}, "locale": {"type": "string"},
            "sort": {"type": "string", "enum": list(SORTS)},
            "suggestion": {"type": ["string", "null"], "description": "Did you mean..."},
            "fuzzy": {"type": "boolean"}, "relaxed": {"type": "boolean"},
            "crisis_boosted": {"type": "boolean"}, "degraded": {"type": "boolean"},
            "concepts": {"type": "array", "description": "What the words were understood as.",
                         "items": {"type": "object", "required": ["id", "label"],
                                   "properties": {"id": {"type": "string"},
                                                  "label": {"type": "string"}}}},
            "relaxed_query": {"type": ["string", "null"],
                              "description": "Fewer words that find more (near-empty answers)."},
            "place_not_found": {"type": ["string", "null"],
                                "description": "The 'near' place as given when no city or postal "
                                               "code of that name is known: the results are the "
                                               "words' results, not ordered or limited by "
                                               "distance."},
            "closest_categories": {"type": "array", "items": {"$ref": REF + "Facet"},
                                   "description": "Near-empty answers: categories to try."},
            "crisis_lines": {"type": "array", "description": "Near-empty answers: crisis lines.",
                             "items": {"type": "object", "required": ["id", "name"],
                                       "properties": {"id": {"type": "string"},
                                                      "name": {"type": "string"},
                                                      "phone": {"type": ["object", "null"]}}}},
            "facets": {"type": "object",
                       "additionalProperties": {"type": "array",
                                                "items": {"$ref": REF + "Facet"}}},
        },
    }
    exception = {
        "type": "object", "required": ["starts_on", "ends_on", "closed"],
        "description": "A dated closure (closed all day) or changed hours, inclusive dates in "
                       "the listing's time zone; the reason is shown to the public.",
        "properties": {"starts_on": {"type": "string", "format": "date"},
                       "ends_on": {"type": "string", "format": "date"},
                       "closed": {"type": "boolean"},
                       "opens_at": {"type": ["string", "null"]},
                       "closes_at": {"type": ["string", "null"]},
                       "reason": {"type": ["string", "null"]}}}
    verification = {
        "type": "object", "description": "How fresh the listing is.",
        "properties": {"last_verified_at": {"type": ["string", "null"]},
                       "method": {"type": ["string", "null"],
                                  "enum": ["phone", "email", "website", "provider",
                                           "in_person", None]},
                       "overdue": {"type": "boolean",
                                   "description": "Due for checking and not yet checked."}}}
    return {"SearchHit": hit, "SearchResults": results, "Facet": facet,
            "HoursException": exception, "Verification": verification,
            "SearchRequest": {"type": "object", "properties": {
                p["name"]: copy.deepcopy(p["schema"]) for p in SEARCH_PARAMS}}}


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items, "maxItems": 20}


SEARCH_PARAMS = [
    _param("q", {"type": "string", "maxLength": 200}, "What to look for, in any language."),
    PARAMETERS["locale"],
    *[_param(key, _array({"type": "string", "minLength": 1, "maxLength": 100}),
             f"Filter by {key} (repeat for several: OR within a filter, AND across filters).",
             style="form", explode=True) for key in FILTER_KEYS if key != "flag"],
    _param("flag", _array({"type": "string", "enum": list(FLAG_VALUES)}),
           "Only listings with these features.", style="form", explode=True),
    _param("page", {"type": "integer", "minimum": 1, "maximum": 1000, "default": 1}, "Page."),
    _param("per_page", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
           "Results in one page."),
    _param("near", {"type": "string", "maxLength": 100},
           "A city or postal area to measure distance from."),
    _param("lat", {"type": "number", "minimum": -90, "maximum": 90}, "Latitude (with lon)."),
    _param("lon", {"type": "number", "minimum": -180, "maximum": 180}, "Longitude (with lat)."),
    _param("radius_km", {"type": "number", "minimum": 0.1, "maximum": 20000},
           "Only listings within this distance (needs near or lat/lon)."),
    _param("sort", {"type": "string", "enum": list(SORTS)},
           "Order of results (distance needs near or lat/lon). When left out: by distance "
           "when a place is given, else by relevance."),
    _param("open_now", {"type": "boolean"}, "Only listings open now."),
    _param("highlight", {"type": "boolean", "default": True}, "Mark matched words."),
    _param("facets", {"type": "boolean", "default": True}, "Include facet counts."),
]


def build_document(schema_dir: str, server_url: str) -> dict[str, Any]:
    """The whole OpenAPI 3.1 document."""
    schemas: dict[str, Any] = dict(hsds_schemas(schema_dir))
    schemas["Page"] = {
        "type": "object",
        "required": ["total_items", "total_pages", "page_number", "size", "first_page",
                     "last_page", "empty", "contents"],
        "properties": {
            "total_items": {"type": "integer", "description": "Entities matching, all pages."},
            "total_pages": {"type": "integer"}, "page_number": {"type": "integer"},
            "size": {"type": "integer", "description": "Entities in this page."},
            "first_page": {"type": "boolean"}, "last_page": {"type": "boolean"},
            "empty": {"type": "boolean"}, "contents": {"type": "array"}}}
    schemas["Error"] = {
        "type": "object", "required": ["status", "message"],
        "properties": {"status": {"type": "integer"},
                       "message": {"type": "string", "description": "What is wrong, for people."},
                       "field": {"type": ["string", "null"],
                                 "description": "The parameter at fault."}}}
    schemas["ApiInfo"] = {
        "type": "object", "required": ["version", "profile", "openapi_url"],
        "properties": {"version": {"type": "string"},
                       "profile": {"type": "string", "format": "uri"},
                       "openapi_url": {"type": "string", "format": "uri"},
                       "docs_url": {"type": "string", "format": "uri",
                                    "description": "This API's reference page for people."}}}
    schemas["ServiceMinimal"] = {
        "type": "object", "required": ["id"],
        "properties": {"id": {"type": "string", "format": "uuid"},
                       "last_modified": {"type": ["string", "null"], "format": "date-time"}}}
    schemas.update(_search_schemas())

    services_list = _read(
        "Published services (one-to-one fields; `full` nests everything).",
        _page_of({"anyOf": [{"$ref": REF + "service"}, {"$ref": REF + "ServiceMinimal"}]}),
        [*LIST_PARAMS, *SERVICE_FILTERS, "minimal", "full"], ndjson=True,
        operation_id="getPaginatedListOfServices", post={})
    paths = {
        "/": _read("This API: HSDS version, profile and OpenAPI document.",
                   {"$ref": REF + "ApiInfo"}, [], operation_id="getAPIMetaInformation",
                   errors=("429",)),
        "/services": services_list,
        "/services/{service_id}": _detail("One published service, fully nested.", "service",
                                          "service_id", "getFullyNestedServiceById"),
        "/organizations": _read(
            "Organizations with published services.", _page_of({"$ref": REF + "organization"}),
            [*LIST_PARAMS, "full", "full_service"], ndjson=True,
            operation_id="getPaginatedListOfOrganizations", post={}),
        "/organizations/{organization_id}": _detail(
            "One organization, fully nested, with its published services.", "organization",
            "organization_id", "getOrganizationById", ["full_service"]),
        "/service_at_locations": _read(
            "Where published services are delivered.",
            _page_of({"$ref": REF + "service_at_location"}),
            [*LIST_PARAMS, *SERVICE_FILTERS, "full"], ndjson=True,
            operation_id="getPaginatedListOfServiceAtLocation", post={}),
        "/service_at_locations/{sal_id}": _detail(
            "One service at a location, fully nested.", "service_at_location", "sal_id",
            "getServiceAtLocationWithNestedDataById"),
        "/taxonomies": _read("Taxonomies.", _page_of({"$ref": REF + "taxonomy"}), LIST_PARAMS,
                             ndjson=True, operation_id="getPaginatedListOfTaxonomies"),
        "/taxonomies/{taxonomy_id}": _detail("One taxonomy.", "taxonomy", "taxonomy_id",
                                             "getTaxonomyById"),
        "/taxonomy_terms": _read("Taxonomy terms (categories).",
                                 _page_of({"$ref": REF + "taxonomy_term"}),
                                 [*LIST_PARAMS, "taxonomy_id"], ndjson=True,
                                 operation_id="getPaginatedListOfTaxonomyTerms"),
        "/taxonomy_terms/{term_id}": _detail("One taxonomy term.", "taxonomy_term", "term_id",
                                             "getTaxonomyTermById"),
        "/search": _read(
            "Search published listings in any supported language, with facets, distance and "
            "open-now. Responses are never cached (Cache-Control: no-store).",
            {"$ref": REF + "SearchResults"}, [], operation_id="searchListings",
            post={"$ref": REF + "SearchRequest"}),
    }
    terms = paths["/taxonomy_terms"]["get"]["parameters"]
    terms += [_param("top_only", {"type": "boolean"}, "Only terms without a parent."),
              _param("parent_id", {"type": "string", "maxLength": 64},
                     "Only terms directly below this one.")]
    search_get = paths["/search"]["get"]
    search_get["parameters"] = [*SEARCH_PARAMS, _ref_param("accept_language")]
    del search_get["responses"]["304"]
    for item in paths.values():
        for operation in item.values():
            if isinstance(operation, dict):
                operation["responses"]["200"]["headers"] = {
                    "Access-Control-Allow-Origin": {"schema": {"type": "string",
                                                               "const": "*"}}}
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "Support Directory API",
            "version": "1.0.0",
            "summary": "Open Referral HSDS 3.0 API of a directory of violence-support and "
                       "sexual-health services, with multilingual search.",
            "description": "Read-only and public: only published listings, never the address "
                           "or coordinates of a confidential site. CORS `*` without "
                           "credentials; ETag/Last-Modified on reads; rate-limited per "
                           f"address. Extension fields follow our HSDS profile <{profile_url()}>.",
            "license": {"name": "CC BY-SA 4.0 (HSDS schemas); data terms per directory",
                        "identifier": "CC-BY-SA-4.0"},
        },
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {"schemas": schemas, "parameters": PARAMETERS},
    }


def openapi_document() -> Response:
    """Serve the OpenAPI document for this server."""
    from .views import json_response

    server = url_for("api.root", _external=True).rstrip("/")
    return json_response(build_document(current_app.config["HSDS_SCHEMA_DIR"], server))

