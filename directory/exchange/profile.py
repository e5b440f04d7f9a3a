"""Our HSDS profile as JSON Schema: HSDS 3.0's object schemas plus our extension fields.

The published document (``/api/v1/profile.schema.json``) has one definition per HSDS object we
write. Each applies the HSDS 3.0 schema itself (served beside it, ``profile/hsds-3.0/*.json``)
and declares our extension fields; ``additionalProperties: false`` makes every field that is
neither HSDS nor declared here an error, so a strict client can check our output field by field.
Nested objects point at the profile's own definitions, so the rule holds at every depth.

Extension fields are declared here, by name: a new column that reaches the output without an
entry in ``FIELD_NOTES`` fails validation (the tests validate every API object and export file).
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for

from .. import models as m
from ..i18n import SUPPORTED_LOCALES
from ..models.base import UTCDateTime
from ..models.entities import ENTITY_NAMES, MODELS_BY_ENTITY, scalar_columns

DIALECT = "https://json-schema.org/draft/2020-12/schema"
# Where the HSDS 3.0 schemas are published, relative to the profile schema's URL.
HSDS_FOLDER = "profile/hsds-3.0/"
HSDS_VERSIONS = ("3.0", "3.1")
# A stable name for the profile where no URL of ours is known (an export run without
# DIRECTORY_PUBLIC_URL); the served profile is the one to follow.
PROFILE_URI = "https://supportdirectory.example/hsds-profile/1.0"

# What each extension field means (docs/profile.md says the same at more length).
FIELD_NOTES: dict[str, str] = {
    "text_language": "The locale the object's base text fields are written in.",
    "translations": "The object's translatable fields in other locales, one item per locale.",
    "display_locale": "API only, with a locale asked for: the locale the text is shown in.",
    "fallback_fields": "API only: fields still in text_language because no translation exists.",
    "stale_translation": "API only: a translation shown was made from older base text.",
    "placeholder": "Made by an import from a reference only; a curator should complete it.",
    "publication": "Publication state; only published services are public.",
    "last_verified_at": "When a curator last confirmed the listing.",
    "verified_by": "Who last confirmed the listing.",
    "crisis_line": "A crisis line (shown in every page's safety alert).",
    "open_24_7": "Always open.",
    "confidential": "A confidential site: its address and coordinates are never published.",
    "public_area": "The coarse area the public sees instead of a confidential site's address.",
    "text_ok": "The number accepts text messages.",
    "voicemail_safe": "Leaving or receiving a voicemail from this number is discreet.",
    "tty": "A TTY/TDD line.",
    "hours": "When the line is answered (free text).",
    "timezone_name": "IANA time zone of opens_at/closes_at (HSDS timezone is a UTC offset).",
    "services": "The organization's published services (API).",
    "service": "The service delivered at this location (API).",
    "additional_urls": "HSDS 3.1: further web addresses; only in HSDS 3.1 output.",
    "verify_interval_days": "This listing's own days between checks (else from its categories).",
    "last_verified_method": "How the latest check was made: phone, email, website, provider "
                            "(the provider's answer by a signed link) or in_person.",
    "capacity": "Shelters and walk-in services: accepting, waitlist or full (never counts).",
    "capacity_updated_at": "When the capacity was last set; it is not shown once old.",
    "alert_until": "The public alert is shown until then (none: until removed).",
    "verifications": "Exports only: the listing's checks, oldest first, with the outcome per "
                     "contact fact.",
    "open_now": "API only: open at the time of the answer, by the one open-now rule (status, "
                "closures and changed hours included).",
    "hours_exceptions": "API only: dated closures and changed hours that have not ended yet.",
    "verification": "API only: when and how the listing was last checked, and whether it is "
                    "overdue for its next check.",
}
ENUMS: dict[str, tuple[str, ...]] = {"last_verified_method": m.VERIFICATION_METHODS,
                                     "capacity": m.CAPACITY_STATES}
# Extension fields that only some output carries (the rest are model columns).
LOCALISED_FIELDS = ("display_locale", "fallback_fields", "stale_translation")
# HSDS 3.1 fields: in the 3.1 profile only.
HSDS_31_FIELDS = {"service": "additional_urls", "organization": "additional_urls"}


def column_schema(column: sa.Column) -> dict[str, Any]:
    """The JSON Schema of one column's exported value."""
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return {"type": "boolean"}
    if isinstance(kind, sa.Integer):
        return {"type": "integer"}
    if isinstance(kind, sa.Float):
        return {"type": "number"}
    if isinstance(kind, (sa.DateTime, UTCDateTime)):
        return {"type": "string", "format": "date-time"}
    if isinstance(kind, sa.Date):
        return {"type": "string", "format": "date"}
    if isinstance(kind, sa.JSON):
        return {}
    return {"type": "string"}


@lru_cache(maxsize=4)
def hsds_schema_files(schema_dir: str) -> dict[str, dict[str, Any]]:
    """The bundled HSDS 3.0 object schemas by entity name (``service`` → service.json)."""
    out = {}
    for name in sorted(os.listdir(schema_dir)):
        if name.endswith(".json") and name != "openapi.json":
            with open(os.path.join(schema_dir, name), encoding="utf-8") as handle:
                out[name[:-5]] = json.load(handle)
    return out


def translation_item(model: type) -> dict[str, Any]:
    """One item of a ``translations`` list: a locale and the model's translatable fields."""
    properties: dict[str, Any] = {
        "locale": {"type": "string", "enum": list(SUPPORTED_LOCALES)},
        "source_digest": {"type": ["string", "null"],
                          "description": "sha256 of the base text the translation was made "
                                         "from."},
        "stale": {"type": "boolean", "description": "The base text changed since."}}
    for name in model.__translated__:
        properties[name] = {"type": "string"}
    return {"type": "object", "required": ["locale"], "properties": properties,
            "additionalProperties": False}


def verification_item() -> dict[str, Any]:
    """One check of a listing in an export (``verifications``)."""
    outcome = {"enum": list(m.FACT_OUTCOMES)}
    return {"type": "object", "required": ["checked_at", "method", "outcome"],
            "additionalProperties": False,
            "properties": {
                "checked_at": {"type": "string", "format": "date-time"},
                "method": {"enum": list(m.VERIFICATION_METHODS)},
                "outcome": dict(outcome, description="The check as a whole: confirmed, changed "
                                "(something was corrected) or unreachable."),
                "facts": {"type": "object", "additionalProperties": False,
                          "properties": {fact: outcome for fact in m.CHECKED_FACTS},
                          "description": "Outcome per contact fact checked."},
                "checked_by": {"type": "string",
                               "description": "Staff exports only: who checked."},
                "note": {"type": "string", "description": "Staff exports only."}}}


def extension_properties(entity: str, schema_dir: str) -> dict[str, dict[str, Any]]:
    """Our extension fields of ``entity`` with their schemas (HSDS fields excluded)."""
    model = MODELS_BY_ENTITY[entity]
    hsds = hsds_schema_files(schema_dir).get(entity, {}).get("properties", {})
    out: dict[str, dict[str, Any]] = {}
    for column in scalar_columns(model):
        if column.key in hsds:
            continue
        schema = column_schema(column)
        if column.key == "text_language":
            schema["enum"] = list(SUPPORTED_LOCALES)
        elif column.key == "publication":
            schema["enum"] = list(m.PUBLICATION_STATES)
        elif column.key in ENUMS:
            schema["enum"] = list(ENUMS[column.key])
        if column.key in FIELD_NOTES:  # undeclared columns stay undeclared: output fails
            out[column.key] = dict(schema, description=FIELD_NOTES[column.key])
    if hasattr(model, "translation_class"):
        out["translations"] = {"type": "array", "items": translation_item(model),
                               "description": FIELD_NOTES["translations"]}
        out["display_locale"] = {"type": "string", "enum": list(SUPPORTED_LOCALES),
                                 "description": FIELD_NOTES["display_locale"]}
        out["fallback_fields"] = {"type": "array", "uniqueItems": True,
                                  "items": {"enum": list(model.__translated__)},
                                  "description": FIELD_NOTES["fallback_fields"]}
        out["stale_translation"] = {"type": "boolean",
                                    "description": FIELD_NOTES["stale_translation"]}
    if entity == "service":
        out["verifications"] = {"type": "array", "items": verification_item(),
                                "description": FIELD_NOTES["verifications"]}
        out["open_now"] = {"type": "boolean", "description": FIELD_NOTES["open_now"]}
        clock = {"type": ["string", "null"], "pattern": "^[0-2][0-9]:[0-5][0-9]$"}
        out["hours_exceptions"] = {
            "type": "array", "description": FIELD_NOTES["hours_exceptions"],
            "items": {"type": "object", "additionalProperties": False,
                      "required": ["starts_on", "ends_on", "closed"],
                      "properties": {"starts_on": {"type": "string", "format": "date"},
                                     "ends_on": {"type": "string", "format": "date"},
                                     "closed": {"type": "boolean"},
                                     "opens_at": clock, "closes_at": clock,
                                     "reason": {"type": ["string", "null"]}}}}
        out["verification"] = {
            "type": "object", "additionalProperties": False,
            "description": FIELD_NOTES["verification"],
            "required": ["overdue"],
            "properties": {"last_verified_at": {"type": ["string", "null"],
                                                "format": "date-time"},
                           "method": {"enum": [*m.VERIFICATION_METHODS, None]},
                           "overdue": {"type": "boolean"}}}
    if entity == "organization":
        out["services"] = {"type": "array", "items": {"$ref": "#/$defs/service"},
                           "description": FIELD_NOTES["services"]}
    if entity == "service_at_location":
        out["service"] = {"$ref": "#/$defs/service", "description": FIELD_NOTES["service"]}
    return out


def _nested_overrides(hsds: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Point each nested HSDS object at the profile's definition of it."""
    out = {}
    for key, prop in hsds.get("properties", {}).items():
        ref = prop.get("$ref") or prop.get("items", {}).get("$ref")
        if not isinstance(ref, str) or not ref.endswith(".json"):
            continue
        target = {"$ref": "#/$defs/" + os.path.basename(ref)[:-5]}
        out[key] = {"items": target} if "items" in prop else target
    return out


def _url_schema() -> dict[str, Any]:
    """HSDS 3.1's ``url`` object (not in HSDS 3.0), from our model."""
    columns = scalar_columns(m.Url)
    return {"type": "object", "required": ["id", "url"], "additionalProperties": False,
            "description": "HSDS 3.1 url: a further web address of a service or organization.",
            "properties": {**{c.key: column_schema(c) for c in columns},
                           "attributes": {"type": "array",
                                          "items": {"$ref": "#/$defs/attribute"}},
                           "metadata": {"type": "array", "items": {"$ref": "#/$defs/metadata"}}}}


def profile_schema(schema_dir: str, schema_url: str, hsds_version: str = "3.0"
                   ) -> dict[str, Any]:
    """The profile's JSON Schema document, published at ``schema_url``."""
    defs: dict[str, Any] = {}
    hsds_files = hsds_schema_files(schema_dir)
    for entity in sorted(set(ENTITY_NAMES.values()) & set(hsds_files)):
        hsds = hsds_files[entity]
        # HSDS's own fields are checked by its schema ($ref); listing them here lets
        # additionalProperties refuse everything else (cheaper than unevaluatedProperties).
        properties: dict[str, Any] = {key: True for key in hsds.get("properties", {})}
        properties.update(_nested_overrides(hsds))
        properties.update(extension_properties(entity, schema_dir))
        if hsds_version == "3.1" and entity in HSDS_31_FIELDS:
            key = HSDS_31_FIELDS[entity]
            properties[key] = {"type": "array", "items": {"$ref": "#/$defs/url"},
                               "description": FIELD_NOTES[key]}
        defs[entity] = {"$ref": HSDS_FOLDER + entity + ".json",
                        "description": f"HSDS 3.0 {entity} with our profile's fields.",
                        "properties": properties, "additionalProperties": False}
    if hsds_version == "3.1":
        defs["url"] = _url_schema()
    defs.update(_own_objects())
    return {
        "$schema": DIALECT,
        "$id": schema_url,
        "title": f"Support Directory HSDS {hsds_version} profile",
        "description": "HSDS 3.0 objects as this directory writes them: each definition applies "
                       "the HSDS 3.0 schema and declares our extension fields; any other field "
                       "is an error. Use a definition directly, e.g. "
                       f"{schema_url}#/$defs/service.",
        "$defs": defs,
    }


def _own_objects() -> dict[str, Any]:
    """Objects of ours beside HSDS: API info, minimal services, pages, Page, explainer pages."""
    page_translation = translation_item(m.Page)
    return {
        "api_info": {
            "type": "object", "required": ["version", "profile", "openapi_url"],
            "additionalProperties": False,
            "description": "GET /api/v1/ and an export's base.json.",
            "properties": {"version": {"enum": list(HSDS_VERSIONS)},
                           "profile": {"type": "string", "format": "uri"},
                           "openapi_url": {"type": "string", "format": "uri"},
                           "docs_url": {"type": "string", "format": "uri",
                                        "description": "The API's page for people."}}},
        "service_minimal": {
            "type": "object", "required": ["id", "last_modified"],
            "additionalProperties": False,
            "description": "An item of /services?minimal=true.",
            "properties": {"id": {"type": "string", "format": "uuid"},
                           "last_modified": {"type": "string", "format": "date-time"}}},
        "page_of": {
            "type": "object", "additionalProperties": False,
            "description": "The HSDS Page object (list endpoints); items checked separately.",
            "required": ["total_items", "total_pages", "page_number", "size", "first_page",
                         "last_page", "empty", "contents"],
            "properties": {"total_items": {"type": "integer", "minimum": 0},
                           "total_pages": {"type": "integer", "minimum": 0},
                           "page_number": {"type": "integer", "minimum": 1},
                           "size": {"type": "integer", "minimum": 0},
                           "first_page": {"type": "boolean"}, "last_page": {"type": "boolean"},
                           "empty": {"type": "boolean"}, "contents": {"type": "array"}}},
        "explainer_page": {
            "type": "object", "additionalProperties": False,
            "description": "An explainer page (not HSDS): pages.json of an export.",
            "required": ["id", "slug", "title", "body"],
            "properties": {
                "id": {"type": "string", "format": "uuid"}, "slug": {"type": "string"},
                "text_language": {"enum": list(SUPPORTED_LOCALES)},
                "title": {"type": "string"}, "summary": {"type": ["string", "null"]},
                "body": {"type": "string", "description": "Markdown."},
                "publication": {"enum": list(m.PUBLICATION_STATES)},
                "taxonomy_term_ids": {"type": "array",
                                      "items": {"type": "string", "format": "uuid"}},
                "translations": {"type": "array", "items": page_translation}}},
    }


def profile_url(endpoint: str = "api.profile", **values: Any) -> str:
    """An absolute URL of the profile (or its schema): DIRECTORY_PUBLIC_URL when set, else the
    request's host; outside a request without it, the profile's stable name."""
    base = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    if base:
        with current_app.test_request_context(base_url=base + "/"):
            return url_for(endpoint, _external=True, **values)
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    return PROFILE_URI
