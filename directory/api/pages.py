"""The API's pages for people: the HSDS profile (and its JSON Schema) and the API reference.

Both pages are server-rendered in the site's frame (quick exit, crisis lines, translated chrome)
and need no JavaScript. The reference is generated from the OpenAPI document, so it lists what
the API serves; its examples are absolute URLs of this server.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import urlencode

import markdown
import nh3
import sqlalchemy as sa
from flask import current_app, make_response, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.wrappers import Response

from .. import PROJECT_ROOT
from .. import models as m
from ..exchange.profile import HSDS_VERSIONS, hsds_schema_files, profile_schema, profile_url
from ..extensions import db
from .openapi import build_document
from .params import ApiError

PROFILE_DOC = os.path.join(PROJECT_ROOT, "docs", "profile.md")
DOC_TAGS = {"h1", "h2", "h3", "h4", "p", "ul", "ol", "li", "strong", "em", "a", "code", "pre",
            "blockquote", "br", "hr", "table", "thead", "tbody", "tr", "th", "td"}
SCHEMA_ENDPOINTS = {"3.0": "api.profile_schema", "3.1": "api.profile_schema_31"}


def _page(template: str, **context: Any) -> Response:
    """A page in the site frame (the safety alert's crisis lines included)."""
    from ..public.views import crisis_lines

    response = make_response(render_template(template, crisis=crisis_lines(), **context))
    response.headers["Cache-Control"] = "no-cache"
    response.vary.add("Accept-Language")
    return response


def render_doc(text: str) -> Markup:
    """Markdown of our own docs to HTML, sanitised all the same (tables and code allowed)."""
    html = markdown.markdown(text, extensions=["tables", "fenced_code", "sane_lists"])
    return Markup(nh3.clean(html, tags=DOC_TAGS, attributes={"a": {"href", "title"}},
                            url_schemes={"http", "https", "mailto"},
                            link_rel="noopener noreferrer"))


def _json(payload: Any, mimetype: str = "application/schema+json") -> Response:
    from .views import json_response

    response = json_response(payload)
    response.mimetype = mimetype
    return response


# -- the profile -----------------------------------------------------------------------------
def profile() -> Response:
    """Our HSDS profile: docs/profile.md's content, with links to its JSON Schemas."""
    try:
        with open(PROFILE_DOC, encoding="utf-8") as handle:
            text = handle.read()
        if text.startswith("# "):
            text = text.split("\n", 1)[1]  # the page has its own (translated) title
        body = render_doc(text)
    except OSError:
        body = None  # an install without docs/: the schemas still say it all
    schemas = [(version, profile_url(SCHEMA_ENDPOINTS[version])) for version in HSDS_VERSIONS]
    return _page("api/profile.html", body=body, schemas=schemas,
                 docs_url=url_for("api.docs"))


def profile_schema_for(version: str) -> Response:
    schema_dir = current_app.config["HSDS_SCHEMA_DIR"]
    return _json(profile_schema(schema_dir, profile_url(SCHEMA_ENDPOINTS[version]), version))


def profile_schema_30() -> Response:
    """The profile's JSON Schema for HSDS 3.0 output (the default)."""
    return profile_schema_for("3.0")


def profile_schema_31() -> Response:
    """The profile's JSON Schema for HSDS 3.1 output (``?hsds=3.1``)."""
    return profile_schema_for("3.1")


def hsds_schema(name: str) -> Response:
    """One HSDS 3.0 object schema, as the profile's schemas reference it."""
    files = hsds_schema_files(current_app.config["HSDS_SCHEMA_DIR"])
    if not name.endswith(".json") or name[:-5] not in files:
        raise ApiError(_("There is no such HSDS schema."), "name", 404)
    return _json(files[name[:-5]])


# -- the API reference ------------------------------------------------------------------------
EXAMPLE_IDS: dict[str, tuple[type, Any]] = {
    "service_id": (m.Service, m.Service.is_public),
    "organization_id": (m.Organization, m.Organization.id.in_(
        sa.select(m.Service.organization_id).where(m.Service.is_public))),
    "sal_id": (m.ServiceAtLocation, m.ServiceAtLocation.service_id.in_(
        sa.select(m.Service.id).where(m.Service.is_public))),
    "taxonomy_id": (m.Taxonomy, sa.true()),
    "term_id": (m.TaxonomyTerm, sa.true()),
}
# Query strings worth showing beside the bare request (only parameters the endpoint takes).
EXAMPLE_QUERIES: dict[str, list[dict[str, str]]] = {
    "/services": [{"per_page": "5"}, {"full": "true", "per_page": "2", "locale": "fr"},
                  {"minimal": "true"}],
    "/organizations": [{"full_service": "true", "per_page": "2"}],
    "/taxonomy_terms": [{"top_only": "true"}],
    "/search": [{"q": "crisis line", "locale": "en", "per_page": "5"}],
}
SEARCH_BODY = {"q": "counselling", "locale": "fr", "open_now": False, "per_page": 5}


def _example_id(name: str) -> str | None:
    model, where = EXAMPLE_IDS[name]
    return db.session.scalar(sa.select(model.id).where(where).order_by(model.id).limit(1))


def _schema_text(schema: dict[str, Any], components: dict[str, Any]) -> str:
    """A parameter's type in a few words ("integer, 1–100, default 50")."""
    if "$ref" in schema:
        schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
    kind = schema.get("type", "")
    if kind == "array":
        kind = _schema_text(schema.get("items", {}), components) + "[]"
    parts = [str(kind)] if kind else []
    if "enum" in schema:
        parts.append(" | ".join(map(str, schema["enum"])))
    if "format" in schema:
        parts.append(schema["format"])
    if "minimum" in schema or "maximum" in schema:
        parts.append(f"{schema.get('minimum', '')}–{schema.get('maximum', '')}")
    if "maxLength" in schema:
        parts.append(f"≤ {schema['maxLength']}")
    if "default" in schema:
        parts.append(f"= {json.dumps(schema['default'])}")
    return ", ".join(parts)


def reference(document: dict[str, Any], base: str) -> list[dict[str, Any]]:
    """Every operation of ``document`` with its parameters and runnable examples."""
    components = document["components"]
    out = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict):
                continue
            params = []
            for param in [*item.get("parameters", []), *operation.get("parameters", [])]:
                if "$ref" in param:
                    param = components["parameters"][param["$ref"].rsplit("/", 1)[-1]]
                params.append({"name": param["name"], "in": param["in"],
                               "required": param.get("required", False),
                               "type": _schema_text(param.get("schema", {}),
                                                    components["schemas"]),
                               "description": param.get("description", "")})
            examples: list[dict[str, Any]] = []
            concrete: str | None = path
            for param in params:
                if param["in"] != "path":
                    continue
                value = _example_id(param["name"]) if param["name"] in EXAMPLE_IDS else None
                if value is None:  # nothing published to show: the bare path only
                    concrete = None
                    break
                concrete = concrete.replace("{" + param["name"] + "}", value)
            names = {p["name"] for p in params}
            if method == "get" and concrete is not None:
                examples.append({"url": base + concrete})
                for query in EXAMPLE_QUERIES.get(path, []):
                    if set(query) <= names:
                        examples.append({"url": base + concrete + "?" + urlencode(query)})
            elif method == "post" and concrete is not None:
                body = SEARCH_BODY if path == "/search" else {"per_page": 5}
                examples.append({"url": base + concrete, "body": json.dumps(body,
                                                                           ensure_ascii=False)})
            out.append({"path": path, "method": method.upper(),
                        "summary": operation.get("summary", ""),
                        "id": operation.get("operationId", ""), "parameters": params,
                        "examples": examples})
    return out


def docs() -> Response:
    """The API for people: every endpoint, its parameters, examples against this server."""
    from ..widget import embed_code

    base = url_for("api.root", _external=True).rstrip("/")
    document = build_document(current_app.config["HSDS_SCHEMA_DIR"], base)
    sample = m.Partner(key="YOUR-PARTNER-KEY", preset_locale=None)
    site = request.host_url.rstrip("/")
    return _page("api/docs.html", operations=reference(document, base), base=base,
                 openapi_url=url_for("api.openapi_document", _external=True),
                 profile_url=profile_url(), info=document["info"],
                 widget_snippet=str(embed_code(sample, site)))
