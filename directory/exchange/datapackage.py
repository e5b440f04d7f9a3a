"""The HSDS 3.0 tabular form: a folder of CSV files described by datapackage.json.

Import reads the CSV files into the same tabular rows the JSON importer takes, so validation and
writing share one code path. Export writes one CSV per HSDS table with our profile's extension
columns after the HSDS ones (``translations`` holds JSON), and a datapackage.json describing them.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from .. import models as m
from ..extensions import db
from .exporter import Serializer
from .profile import profile_url
from ..models.entities import MODELS_BY_ENTITY, scalar_columns

# Columns of ours whose cells hold JSON.
JSON_COLUMNS = frozenset({"translations", "theme", "verifications"})


def is_datapackage(path: str) -> bool:
    """Whether ``path`` is a CSV datapackage: a folder of .csv files, or its datapackage.json."""
    folder = os.path.dirname(path) if os.path.basename(path) == "datapackage.json" else path
    return os.path.isdir(folder) and any(n.endswith(".csv") for n in os.listdir(folder))


@lru_cache(maxsize=4)
def _table_schemas(schema_dir: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(entity, csv file name, JSON schema) of every HSDS table, in datapackage order."""
    tables = []
    for name in os.listdir(schema_dir):
        if not name.endswith(".json") or name == "openapi.json":
            continue
        with open(os.path.join(schema_dir, name), encoding="utf-8") as handle:
            schema = json.load(handle)
        path = schema.get("path", "")
        if path.endswith(".csv"):
            order = schema.get("datapackage_metadata", {}).get("order", 99)
            tables.append((order, name[:-5], path, schema))
    return [(entity, path, schema) for _o, entity, path, schema in sorted(tables)]


def read_tables(path: str, schema_dir: str) -> dict[str, list[dict[str, Any]]]:
    """Every CSV file under ``path`` as tabular rows (``{"services.csv": [...], ...}``).

    Empty cells are absent values, except in required columns, where they stay empty text.
    """
    folder = os.path.dirname(path) if os.path.basename(path) == "datapackage.json" else path
    required = {file: set(schema.get("required", []))
                for _entity, file, schema in _table_schemas(schema_dir)}
    tables: dict[str, list[dict[str, Any]]] = {}
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".csv"):
            continue
        with open(os.path.join(folder, name), encoding="utf-8-sig", newline="") as handle:
            rows = []
            for row in csv.DictReader(handle):
                item: dict[str, Any] = {}
                for key, value in row.items():
                    if key is None or value is None:
                        continue
                    if value == "" and key not in required.get(name, set()):
                        continue
                    if key in JSON_COLUMNS and value:
                        try:
                            value = json.loads(value)
                        except json.JSONDecodeError:
                            pass  # reported by validation as a wrong type
                    item[key] = value
                rows.append(item)
        tables[name] = rows
    return tables


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def export_datapackage(folder: str, *, schema_dir: str, include_confidential: bool = False,
                       published_only: bool = False,
                       progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Write one CSV per HSDS table and datapackage.json into ``folder``."""
    os.makedirs(folder, exist_ok=True)
    serializer = Serializer(public=not include_confidential, checks=True)
    public_ids = set(db.session.scalars(sa.select(m.Service.id).where(
        m.Service.is_public)))
    hidden_locations = set() if include_confidential else set(db.session.scalars(
        sa.select(m.Location.id).where(m.Location.confidential.is_(True))))
    counts: dict[str, int] = {}
    resources = []
    profile = profile_url()
    for entity, file, schema in _table_schemas(schema_dir):
        model = MODELS_BY_ENTITY.get(entity)
        if model is None:
            continue
        hsds_fields = [k for k, v in schema["properties"].items()
                       if v.get("type") not in ("array", "object") and "$ref" not in v]
        extra = [c.key for c in scalar_columns(model) if c.key not in hsds_fields]
        if hasattr(model, "translation_class"):
            extra.append("translations")
        if model is m.Service:
            extra.append("verifications")
        rows = []
        for record in db.session.scalars(sa.select(model).order_by(model.id)):
            if model is m.Address and record.location_id in hidden_locations:
                continue
            if model is m.Metadata and record.resource_id in hidden_locations:
                continue
            service_id = record.id if model is m.Service else getattr(record, "service_id", None)
            if published_only and service_id is not None and service_id not in public_ids:
                continue
            data = serializer.record(record, nest=False)
            rows.append([_cell(data.get(k)) for k in hsds_fields + extra])
        with open(os.path.join(folder, file), "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(hsds_fields + extra)
            writer.writerows(rows)
        counts[file[:-4]] = len(rows)
        if progress:
            progress(len(rows))
        fields = [{"name": k, "type": _field_type(schema["properties"][k])} for k in hsds_fields]
        fields += [{"name": k, "type": "array" if k in JSON_COLUMNS else
                    _column_type(model, k), "description": f"Extension ({profile})"}
                   for k in extra]
        resources.append({"name": entity, "path": file, "format": "csv",
                          "mediatype": "text/csv", "profile": "tabular-data-resource",
                          "schema": {"primaryKey": "id", "fields": fields}})
    with open(os.path.join(folder, "datapackage.json"), "w", encoding="utf-8") as handle:
        json.dump({"name": "human_services_data", "profile": "tabular-data-package",
                   "version": "3.0.0", "hsds_profile": profile, "resources": resources},
                  handle, ensure_ascii=False, indent=1)
        handle.write("\n")
    return counts


def _field_type(prop: dict[str, Any]) -> str:
    kind = prop.get("type", "string")
    if prop.get("format") in ("date", "date-time", "time"):
        return {"date": "date", "date-time": "datetime", "time": "time"}[prop["format"]]
    return kind if kind in ("string", "number", "integer", "boolean") else "string"


def _column_type(model: type, key: str) -> str:
    kind = model.__table__.columns[key].type
    if isinstance(kind, sa.Boolean):
        return "boolean"
    if isinstance(kind, sa.Integer):
        return "integer"
    if isinstance(kind, sa.Float):
        return "number"
    if isinstance(kind, (sa.DateTime, m.base.UTCDateTime)):
        return "datetime"
    return "string"
