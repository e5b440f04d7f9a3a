"""The HSDS 3.0 shape of our records: which fields, which nested objects, and value conversion.

One description serves import (operations.records), export, the JSON API and the admin, so they
cannot drift apart. It lives with the models (the bottom layer) so every package can read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa

from . import hsds as m
from .base import UTCDateTime

# Columns of ours that are not part of the exchanged object.
INTERNAL_COLUMNS = frozenset({"created_at", "updated_at"})


@dataclass(frozen=True)
class Nested:
    """A nested list or object of an HSDS object."""

    key: str                 # JSON key, e.g. "phones"
    model: type              # the nested record's model
    fk: str                  # the linking column (on the child for lists, on us for objects)
    many: bool = True        # a list of children (fk on the child) or one parent (fk on us)
    export: bool = True      # written on export (False for import-only nestings)


# Entity names as HSDS spells them (also the ``link_entity``/``resource_type`` of attributes).
ENTITY_NAMES: dict[type, str] = {
    m.Organization: "organization", m.Program: "program", m.Service: "service",
    m.Location: "location", m.ServiceAtLocation: "service_at_location", m.Address: "address",
    m.Contact: "contact", m.Phone: "phone", m.Schedule: "schedule", m.Taxonomy: "taxonomy",
    m.TaxonomyTerm: "taxonomy_term", m.ServiceArea: "service_area", m.Language: "language",
    m.Accessibility: "accessibility", m.CostOption: "cost_option",
    m.RequiredDocument: "required_document", m.Funding: "funding",
    m.OrganizationIdentifier: "organization_identifier", m.Url: "url",
    m.Attribute: "attribute", m.Metadata: "metadata",
}
MODELS_BY_ENTITY = {name: model for model, name in ENTITY_NAMES.items()}

NESTED: dict[type, tuple[Nested, ...]] = {
    m.Service: (
        Nested("organization", m.Organization, "organization_id", many=False),
        Nested("program", m.Program, "program_id", many=False),
        Nested("phones", m.Phone, "service_id"),
        Nested("schedules", m.Schedule, "service_id"),
        Nested("service_areas", m.ServiceArea, "service_id"),
        Nested("service_at_locations", m.ServiceAtLocation, "service_id"),
        Nested("languages", m.Language, "service_id"),
        Nested("funding", m.Funding, "service_id"),
        Nested("cost_options", m.CostOption, "service_id"),
        Nested("required_documents", m.RequiredDocument, "service_id"),
        Nested("contacts", m.Contact, "service_id"),
        Nested("additional_urls", m.Url, "service_id"),
    ),
    m.Organization: (
        Nested("funding", m.Funding, "organization_id"),
        Nested("contacts", m.Contact, "organization_id"),
        Nested("phones", m.Phone, "organization_id"),
        Nested("locations", m.Location, "organization_id"),
        Nested("programs", m.Program, "organization_id"),
        Nested("organization_identifiers", m.OrganizationIdentifier, "organization_id"),
        Nested("additional_urls", m.Url, "organization_id"),
        Nested("services", m.Service, "organization_id", export=False),
    ),
    m.Location: (
        Nested("languages", m.Language, "location_id"),
        Nested("addresses", m.Address, "location_id"),
        Nested("contacts", m.Contact, "location_id"),
        Nested("accessibility", m.Accessibility, "location_id"),
        Nested("phones", m.Phone, "location_id"),
        Nested("schedules", m.Schedule, "location_id"),
    ),
    m.ServiceAtLocation: (
        Nested("contacts", m.Contact, "service_at_location_id"),
        Nested("phones", m.Phone, "service_at_location_id"),
        Nested("schedules", m.Schedule, "service_at_location_id"),
        Nested("location", m.Location, "location_id", many=False),
        Nested("service", m.Service, "service_id", many=False, export=False),
    ),
    m.Contact: (Nested("phones", m.Phone, "contact_id"),),
    m.Phone: (Nested("languages", m.Language, "phone_id"),),
    m.TaxonomyTerm: (Nested("taxonomy_detail", m.Taxonomy, "taxonomy_id", many=False),),
    m.Attribute: (Nested("taxonomy_term", m.TaxonomyTerm, "taxonomy_term_id", many=False,
                         export=False),),
}

# Every record except these carries attributes and metadata lists.
NO_ATTRIBUTES = (m.Attribute, m.Metadata, m.Taxonomy, m.TaxonomyTerm)


# A listing's workflow state in this directory's own team (the edit counter, whose check queue
# it is in, what the team lead must look at, who set its capacity): never a field of its HSDS
# object, so no export, API answer or import carries it.
SERVICE_INTERNAL_COLUMNS = frozenset({"version", "check_assignee", "check_assigned_at",
                                      "lead_flag", "due_now_at", "due_now_reason",
                                      "capacity_updated_by"})


def scalar_columns(model: type) -> list[sa.Column]:
    """The model's columns that appear as fields of its HSDS object."""
    return [c for c in model.__table__.columns if c.key not in INTERNAL_COLUMNS
            and not (model is m.Service and c.key in SERVICE_INTERNAL_COLUMNS)]


class ConversionError(ValueError):
    """A value cannot be stored in its column."""


def to_python(column: sa.Column, value: Any) -> Any:
    """Convert a JSON value for ``column``; raise ConversionError with a readable reason."""
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, sa.Boolean):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {"true", "false", "1", "0", "yes", "no"}:
            return value.lower() in {"true", "1", "yes"}
        raise ConversionError(f"expected true or false, got {value!r}")
    if isinstance(kind, sa.Integer):
        if isinstance(value, bool):
            raise ConversionError(f"expected a whole number, got {value!r}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ConversionError(f"expected a whole number, got {value!r}") from None
        if not number.is_integer() or abs(number) > 2**31:
            raise ConversionError(f"expected a whole number, got {value!r}")
        return int(number)
    if isinstance(kind, sa.Float):
        if isinstance(value, bool):
            raise ConversionError(f"expected a number, got {value!r}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ConversionError(f"expected a number, got {value!r}") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise ConversionError(f"expected a number, got {value!r}")
        return number
    if isinstance(kind, sa.Date) and not isinstance(kind, sa.DateTime):
        try:
            return date.fromisoformat(str(value)[:10])
        except ValueError:
            raise ConversionError(f"expected a date like 2026-01-31, got {value!r}") from None
    if isinstance(kind, sa.Time):
        return parse_time(value)
    if isinstance(kind, (sa.DateTime, UTCDateTime)):
        try:
            parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise ConversionError(
                f"expected a date-time like 2026-01-31T09:00:00Z, got {value!r}") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if isinstance(kind, sa.JSON):
        return value
    if isinstance(value, (dict, list)):
        raise ConversionError("expected text, got a nested object")
    text = str(value)
    length = getattr(kind, "length", None)
    if length and len(text) > length:
        raise ConversionError(f"is longer than {length} characters")
    return text


def parse_time(value: Any) -> time:
    """Parse "9:00", "09:00" or "09:00:00" into a time."""
    text = str(value).strip()
    parts = text.split(":")
    try:
        if len(parts) not in (2, 3):
            raise ValueError
        hour, minute = int(parts[0]), int(parts[1])
        second = int(float(parts[2])) if len(parts) == 3 else 0
        return time(hour, minute, second)
    except ValueError:
        raise ConversionError(f"expected a time like 09:30, got {value!r}") from None


def to_json(value: Any) -> Any:
    """Convert a column value to its JSON form."""
    if isinstance(value, datetime):
        value = value.astimezone(UTC)
        text = value.strftime("%Y-%m-%dT%H:%M:%S")
        if value.microsecond:
            text += (f".{value.microsecond // 1000:03d}" if value.microsecond % 1000 == 0
                     else f".{value.microsecond:06d}")
        return text + "Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def translations_to_json(record: Any) -> list[dict[str, Any]]:
    """The ``translations`` list of a translatable record, with digests and staleness."""
    current = record.source_digest()
    out = []
    for row in record.translations:
        item: dict[str, Any] = {"locale": row.locale}
        for name in record.__translated__:
            value = getattr(row, name)
            if value:
                item[name] = value
        item["source_digest"] = row.source_digest
        item["stale"] = row.source_digest != current
        out.append(item)
    return out
