"""The JSON API at /api/v1: HSDS 3.0 endpoints, our search and the OpenAPI document.

Read-only and anonymous: CORS ``*`` without credentials, no cookies, rate-limited per
connecting address (shared through Redis when configured).
"""

from __future__ import annotations

from flask import Blueprint, current_app, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from ..extensions import csrf, limiter
from ..search.query import QueryError
from . import pages, views
from .openapi import openapi_document
from .params import ApiError

bp = Blueprint("api", __name__, url_prefix="/api/v1")

READ = ["GET", "HEAD"]
SEARCH = ["GET", "HEAD", "POST"]

bp.add_url_rule("/", "root", views.api_root, methods=READ)
bp.add_url_rule("/openapi.json", "openapi_document", openapi_document, methods=READ)
bp.add_url_rule("/services", "services", views.services, methods=SEARCH)
bp.add_url_rule("/services/<service_id>", "service_detail", views.service_detail, methods=READ)
bp.add_url_rule("/organizations", "organizations", views.organizations, methods=SEARCH)
bp.add_url_rule("/organizations/<organization_id>", "organization_detail",
                views.organization_detail, methods=READ)
bp.add_url_rule("/service_at_locations", "service_at_locations", views.service_at_locations,
                methods=SEARCH)
bp.add_url_rule("/service_at_locations/<sal_id>", "service_at_location_detail",
                views.service_at_location_detail, methods=READ)
bp.add_url_rule("/taxonomies", "taxonomies", views.taxonomies, methods=READ)
bp.add_url_rule("/taxonomies/<taxonomy_id>", "taxonomy_detail", views.taxonomy_detail,
                methods=READ)
bp.add_url_rule("/taxonomy_terms", "taxonomy_terms", views.taxonomy_terms, methods=READ)
bp.add_url_rule("/taxonomy_terms/<term_id>", "taxonomy_term_detail", views.taxonomy_term_detail,
                methods=READ)
bp.add_url_rule("/search", "search", views.search_endpoint, methods=SEARCH)
# Pages for people, and the profile's schemas.
bp.add_url_rule("/docs", "docs", pages.docs, methods=READ)
bp.add_url_rule("/profile", "profile", pages.profile, methods=READ)
bp.add_url_rule("/profile.schema.json", "profile_schema", pages.profile_schema_30, methods=READ)
bp.add_url_rule("/profile-hsds-3.1.schema.json", "profile_schema_31", pages.profile_schema_31,
                methods=READ)
bp.add_url_rule("/profile/hsds-3.0/<name>", "hsds_schema", pages.hsds_schema, methods=READ)


@bp.route("/<path:unknown>", methods=["GET", "HEAD", "POST"])
def unknown_endpoint(unknown: str):
    """Anything else under /api/v1 is a JSON 404, not the site's HTML page."""
    raise ApiError(_("There is no such API endpoint. See %(url)s.",
                     url="/api/v1/openapi.json"), None, 404)


# Searching changes nothing and carries no cookie, so POST needs no CSRF token.
for _view in (views.search_endpoint, views.services, views.organizations,
              views.service_at_locations):
    csrf.exempt(_view)

limiter.limit(lambda: current_app.config["RATELIMIT_API"], methods=SEARCH)(bp)


def error_payload(status: int, message: str, field: str | None = None) -> dict:
    return {"status": status, "message": message, "field": field}


@bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    return views.json_response(error_payload(error.status, error.message, error.field),
                               status=error.status, private=True)


@bp.errorhandler(QueryError)
def _query_error(error: QueryError):
    return views.json_response(error_payload(400, str(error.message), error.field),
                               status=400, private=True)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    messages = {
        413: _("The request body is too large."),
        429: _("Too many requests from your address. Please wait a minute and try again."),
    }
    status = error.code or 500
    return views.json_response(
        error_payload(status, str(messages.get(status, error.description or error.name))),
        status=status, private=True)


@bp.after_request
def _cors(response):
    """Any site may read the API, never with credentials."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = (
        "ETag, Last-Modified, Content-Language, Retry-After, X-RateLimit-Limit, "
        "X-RateLimit-Remaining, X-RateLimit-Reset")
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = (
            "Content-Type, Accept, Accept-Language, If-None-Match, If-Modified-Since")
        response.headers["Access-Control-Max-Age"] = "600"
    response.headers.pop("Access-Control-Allow-Credentials", None)
    if response.mimetype != "text/html":
        # JSON is never a page to frame or render; a tight policy costs nothing. The two pages
        # for people keep the site's policy (headers.py).
        response.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
    return response
