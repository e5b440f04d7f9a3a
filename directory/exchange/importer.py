"""Import HSDS 3.0 JSON: one object, a list, a Page of objects, tabular JSON, or a folder of files."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .. import models as m
from ..operations.errors import FieldError, ValidationError
from ..operations.pages import save_page
from ..operations.records import RecordWriter
from .datapackage import is_datapackage, read_tables
from ..models.entities import MODELS_BY_ENTITY
from .schema import coerce_tabular, schema_problems

# Order matters for tabular data and folders: referenced records first.
ENTITY_ORDER = ("taxonomy", "taxonomy_term", "organization", "program", "location",
                "service", "service_at_location")
TABULAR_ORDER = ("organizations", "programs", "taxonomies", "taxonomy_terms", "locations",
                 "addresses", "services", "service_at_locations", "contacts", "phones",
                 "schedules", "service_areas", "languages", "accessibility", "cost_options",
                 "required_documents", "funding", "organization_identifiers", "attributes",
                 "metadata")
TABLE_ENTITY = {"accessibility": "accessibility", "funding": "funding", "metadata": "metadata",
                "taxonomies": "taxonomy", "addresses": "address"}
# Records per batch of a bulk import.
BULK_BATCH = 1000
# From how many records validation first asks the compiled schema check (see exchange.schema).
FAST_CHECK_FROM = 2000
# Tables of the HSDS datapackage we do not keep (they describe the export, not the services).
IGNORED_TABLES = {"meta_table_descriptions"}


@dataclass
class ImportItem:
    """One object found in the input, with where it came from."""

    entity: str
    data: Any
    source: str
    tabular: bool = False


@dataclass
class ImportReport:
    """What an import found and did."""

    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[FieldError] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    # Placeholders made for references found nowhere (taxonomies, organizations).
    decisions: list[FieldError] = field(default_factory=list)


class ImportFileError(ValueError):
    """A file cannot be read as HSDS JSON."""


# Fields only one HSDS object has: detection goes by these, whatever file the record is in and
# whether or not it has a name, so the same record always gets the same messages.
SHAPES: dict[str, frozenset[str]] = {
    "service": frozenset({
        "status", "program_id", "interpretation_services", "application_process",
        "fees_description", "wait_time", "fees", "accreditations", "eligibility_description",
        "minimum_age", "maximum_age", "assured_date", "assurer_email", "licenses", "alert",
        "last_modified", "service_areas", "service_at_locations", "cost_options",
        "required_documents", "program", "publication", "last_verified_at", "verified_by",
        "crisis_line", "open_24_7", "capacities", "service_capacity"}),
    "location": frozenset({
        "location_type", "transportation", "latitude", "longitude", "external_identifier",
        "external_identifier_type", "addresses", "accessibility", "confidential", "public_area"}),
    "organization": frozenset({
        "website", "tax_status", "tax_id", "year_incorporated", "legal_status", "logo",
        "parent_organization_id", "organization_identifiers", "programs", "locations",
        "services"}),
    "taxonomy_term": frozenset({"code", "parent_id", "taxonomy", "taxonomy_id", "term_uri",
                                "taxonomy_detail"}),
    "service_at_location": frozenset({"service_id", "location_id", "location", "service"}),
}
# Which object a file name announces (a tie-breaker only, for records whose fields fit several).
FILE_HINTS = (("service_at_location", "service_at_location"), ("taxonomy_term", "taxonomy_term"),
              ("taxonom", None), ("service", "service"), ("organization", "organization"),
              ("organisation", "organization"), ("location", "location"))
CANNOT_TELL_FIX = ("give the fields that identify it (a service has 'status', a location "
                   "'location_type', an organization 'name' and 'description', a taxonomy term "
                   "'code' or 'taxonomy_id', a service at location 'service_id' and "
                   "'location_id')")


def detect_entity(obj: Any, hint: str = "") -> str | None:
    """Which HSDS object ``obj`` is, from its shape (its fields); the file name ``hint`` only
    settles records whose fields fit more than one object."""
    if not isinstance(obj, dict):
        return None
    keys = set(obj)
    if "openapi_url" in obj or ("version" in obj and "profile" in obj and "id" not in obj):
        return "base"
    if "slug" in obj and "body" in obj:
        return "page"
    scores = {entity: len(keys & fields) for entity, fields in SHAPES.items()}
    if scores["service_at_location"] and not ({"service_id", "location_id"} <= keys
                                              or "location" in keys or "service" in keys):
        # A lone service_id or location_id is a child's link, not a service at location.
        scores["service_at_location"] = 0
    # A service nests its organization and a location its addresses: a service's own fields win.
    best = max(scores.values())
    leaders = [entity for entity, score in scores.items() if score == best] if best else []
    base = os.path.basename(hint).lower()
    hinted = next((entity for prefix, entity in FILE_HINTS if base.startswith(prefix)), None)
    # taxonomy files hold taxonomies or their terms: no hint
    if len(leaders) == 1:
        return leaders[0]
    if hinted and (hinted in leaders or not leaders):
        return hinted
    if leaders:
        return leaders[0] if leaders[0] != "service_at_location" else leaders[-1]
    if keys and keys <= {"id", "name", "description", "uri", "version", "metadata", "placeholder"}:
        return "taxonomy"
    if "name" in obj and "description" in obj:
        return "organization"
    return None


def _read_json(path: str) -> Any:
    try:
        with open(path, encoding="utf-8-sig") as handle:
            return json.load(handle)
    except UnicodeDecodeError:
        raise ImportFileError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ImportFileError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}, "
                              f"column {exc.colno})") from None
    except OSError as exc:
        raise ImportFileError(f"{path}: {exc.strerror}") from None


def collect(path: str, schema_dir: str | None = None
            ) -> tuple[list[ImportItem], list[str], list[FieldError]]:
    """Read every object under ``path`` (JSON, or a CSV datapackage when ``schema_dir`` is
    given); return items, skipped notes and file-level errors."""
    items: list[ImportItem] = []
    skipped: list[str] = []
    errors: list[FieldError] = []
    if schema_dir and is_datapackage(path):
        tables = read_tables(path, schema_dir)
        return list(_tabular_items(tables, path, skipped, errors)), skipped, errors
    if os.path.isdir(path):
        files = sorted(os.path.join(root, name) for root, _dirs, names in os.walk(path)
                       for name in names if name.endswith(".json"))
        for file in [f for f in files if os.path.basename(f) == "datapackage.json"]:
            skipped.append(f"{file}: a datapackage descriptor (CSV import is not supported here)")
            files.remove(file)
        if not files:
            errors.append(FieldError(path, "no .json files in this folder"))
    elif os.path.exists(path):
        files = [path]
    else:
        return [], [], [FieldError(path, "no such file or folder")]
    for file in files:
        try:
            payload = _read_json(file)
        except ImportFileError as exc:
            errors.append(FieldError(file, str(exc).split(": ", 1)[1]))
            continue
        items.extend(_items_from(payload, file, skipped, errors))
    return items, skipped, errors


def _items_from(payload: Any, source: str, skipped: list[str],
                errors: list[FieldError]) -> Iterator[ImportItem]:
    if isinstance(payload, dict) and "contents" in payload and isinstance(payload["contents"], list):
        payload = payload["contents"]  # an HSDS Page
    if isinstance(payload, dict) and payload and all(k.endswith(".csv") for k in payload):
        yield from _tabular_items(payload, source, skipped, errors)
        return
    objects = payload if isinstance(payload, list) else [payload]
    for index, obj in enumerate(objects):
        entity = detect_entity(obj, source)
        where = f"{source}[{index}]" if isinstance(payload, list) else source
        if entity == "base":
            skipped.append(f"{where}: API metadata (base), nothing to import")
            continue
        if entity is None:
            name = obj.get("name") if isinstance(obj, dict) else None
            errors.append(FieldError(where, "cannot tell which HSDS object this is",
                                     obj.get("id") if isinstance(obj, dict) else None,
                                     name if isinstance(name, str) else None,
                                     CANNOT_TELL_FIX if isinstance(obj, dict)
                                     else "give an HSDS object ({...}), not a bare value"))
            continue
        yield ImportItem(entity, obj, where)


def _tabular_items(payload: dict, source: str, skipped: list[str],
                   errors: list[FieldError]) -> Iterator[ImportItem]:
    tables = {name[:-4]: rows for name, rows in payload.items()}
    for table in sorted(tables, key=lambda t: TABULAR_ORDER.index(t) if t in TABULAR_ORDER
                        else len(TABULAR_ORDER)):
        if table in IGNORED_TABLES:
            skipped.append(f"{source}:{table}.csv: not kept by this directory")
            continue
        entity = TABLE_ENTITY.get(table, table[:-1] if table.endswith("s") else table)
        if entity not in MODELS_BY_ENTITY:
            errors.append(FieldError(f"{source}:{table}.csv", "unknown HSDS table"))
            continue
        rows = tables[table]
        if not isinstance(rows, list):
            errors.append(FieldError(f"{source}:{table}.csv", "expected a list of rows"))
            continue
        for index, row in enumerate(rows):
            yield ImportItem(entity, row, f"{source}:{table}.csv[{index}]", tabular=True)


def import_path(path: str, *, schema_dir: str, default_publication: str = "draft",
                allow_dangling: bool = False, missing_organizations: str = "create",
                bulk: bool = False, batch_size: int = BULK_BATCH,
                progress: Callable[[int], None] | None = None) -> ImportReport:
    """Validate and apply everything under ``path``; raise ValidationError, apply nothing, on errors.

    References to taxonomies found nowhere become flagged placeholder taxonomies; organizations
    found nowhere follow ``missing_organizations`` ("create" a flagged placeholder, or
    "refuse"). Each such decision is in the report. With ``bulk``, records are written in
    batches of ``batch_size`` (one lookup per table per batch, flushed and released from memory
    batch by batch) in the caller's one transaction: the same validation and the same audit and
    change-log rows, for large imports.

    Flushes but does not commit: the caller commits, so a failure leaves the database unchanged.
    """
    items, skipped, errors = collect(path, schema_dir)
    report = ImportReport(skipped=skipped)
    fast = bulk or len(items) >= FAST_CHECK_FROM
    for item in items:
        if item.entity == "page":
            continue
        if item.tabular:
            item.data = coerce_tabular(item.entity, item.data, schema_dir)
        record_id = item.data.get("id") if isinstance(item.data, dict) else None
        name = item.data.get("name") if isinstance(item.data, dict) else None
        for field_path, message, fix in schema_problems(item.entity, item.data, schema_dir,
                                                        fast=fast):
            errors.append(FieldError(f"{item.source}: {field_path}", message, record_id,
                                     name if isinstance(name, str) else None, fix))
    if errors:
        raise ValidationError(errors)
    order = {name: i for i, name in enumerate(ENTITY_ORDER)}
    if not any(item.tabular for item in items):
        items.sort(key=lambda i: order.get(i.entity, len(order)))
    writer = RecordWriter(default_publication=default_publication, allow_dangling=allow_dangling,
                          missing_organizations=missing_organizations,
                          placeholder_taxonomies=True)
    pages = [item for item in items if item.entity == "page"]
    records = [item for item in items if item.entity != "page"]
    step = batch_size if bulk else max(len(records), 1)
    for start in range(0, len(records), step):
        batch = records[start:start + step]
        if bulk:
            for entity in dict.fromkeys(item.entity for item in batch):
                writer.prefetch(MODELS_BY_ENTITY[entity],
                                [item.data for item in batch if item.entity == entity])
        for item in batch:
            writer.save(MODELS_BY_ENTITY[item.entity], item.data, item.entity)
            report.counts[item.entity] = report.counts.get(item.entity, 0) + 1
            if progress:
                progress(1)
        if bulk and start + step < len(records):
            writer.release()
    writer.finish()
    report.warnings = writer.warnings
    report.decisions = writer.decisions
    for item in pages:
        save_page(item.data)
        report.counts["page"] = report.counts.get("page", 0) + 1
        if progress:
            progress(1)
    return report


def count_items(path: str, schema_dir: str | None = None) -> int:
    """How many objects an import of ``path`` would apply (for progress bars)."""
    items, _skipped, _errors = collect(path, schema_dir)
    return len(items)


__all__ = ["ImportReport", "ImportFileError", "collect", "count_items", "detect_entity",
           "import_path", "m"]
