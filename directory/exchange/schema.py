"""Validation of incoming objects against the HSDS 3.0 JSON schemas."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import fastjsonschema
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012


@lru_cache(maxsize=4)
def _properties(schema_dir: str) -> dict[str, dict[str, str]]:
    out = {}
    for name in os.listdir(schema_dir):
        if name.endswith(".json") and name != "openapi.json":
            with open(os.path.join(schema_dir, name), encoding="utf-8") as handle:
                schema = json.load(handle)
            out[name[:-5]] = {key: prop.get("type") for key, prop in
                              schema.get("properties", {}).items()}
    return out


def coerce_tabular(entity: str, row: Any, schema_dir: str) -> Any:
    """Give a tabular (CSV-derived) row the JSON types its schema expects: cells are untyped."""
    if not isinstance(row, dict):
        return row
    types = _properties(schema_dir).get(entity, {})
    out = {}
    for key, value in row.items():
        wanted = types.get(key)
        if value == "" and wanted != "string":
            value = None
        elif wanted == "string" and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        elif wanted == "number" and isinstance(value, str):
            try:
                value = float(value) if "." in value else int(value)
            except ValueError:
                pass
        out[key] = value
    return out


@lru_cache(maxsize=4)
def _validators(schema_dir: str) -> dict[str, Draft202012Validator]:
    registry = Registry()
    schemas = {}
    for name in sorted(os.listdir(schema_dir)):
        if not name.endswith(".json") or name == "openapi.json":
            continue
        with open(os.path.join(schema_dir, name), encoding="utf-8") as handle:
            schema = json.load(handle)
        schemas[name[:-5]] = schema
        registry = registry.with_resource(name, Resource(schema, specification=DRAFT202012))
    return {entity: Draft202012Validator(schema, registry=registry, format_checker=FORMATS)
            for entity, schema in schemas.items()}


# The formats import checks (others, like "uri", are checked by our own rules, or not at all).
FORMATS = FormatChecker(formats=("uuid", "email", "date"))
FAST_BASE = "https://hsds.invalid/schema/"


@lru_cache(maxsize=4)
def _fast_validators(schema_dir: str) -> dict[str, Callable[[Any], Any]]:
    """The same schemas compiled to Python by fastjsonschema: a quick yes for valid records.

    Only its yes is used; a record it refuses goes through ``jsonschema`` for the messages, so
    the verdict is always jsonschema's as long as this never accepts what jsonschema refuses
    (tests/exchange/test_fast_validation.py). Formats are jsonschema's own checks; formats
    jsonschema does not check are not checked here either.
    """
    schemas = {}
    for name in sorted(os.listdir(schema_dir)):
        if name.endswith(".json") and name != "openapi.json":
            with open(os.path.join(schema_dir, name), encoding="utf-8") as handle:
                schema = json.load(handle)
            schema["$id"] = FAST_BASE + name
            schemas[name] = schema
    names = {f for schema in schemas.values() for f in _formats(schema)}
    formats: dict[str, Callable[[Any], bool]] = {
        name: (lambda value, name=name: FORMATS.conforms(value, name)) if name in
        FORMATS.checkers else (lambda value: True) for name in names}

    def handler(uri: str) -> dict[str, Any]:
        name = uri.rsplit("/", 1)[-1]
        if not uri.startswith(FAST_BASE) or name not in schemas:
            raise ValueError(f"unexpected schema reference {uri}")  # never the network
        return copy.deepcopy(schemas[name])

    return {name[:-5]: fastjsonschema.compile(copy.deepcopy(schema), handlers={"https": handler},
                                              formats=formats, use_default=False)
            for name, schema in schemas.items()}


def _formats(node: Any) -> set[str]:
    """Every ``format`` a schema uses (keys of ``properties`` are field names, not keywords)."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "format" and isinstance(value, str):
                found.add(value)
            elif key == "properties" and isinstance(value, dict):
                for prop in value.values():
                    found |= _formats(prop)
            elif key != "datapackage_metadata":
                found |= _formats(value)
    elif isinstance(node, list):
        for value in node:
            found |= _formats(value)
    return found


def is_valid_fast(entity: str, data: Any, schema_dir: str) -> bool:
    """Whether ``data`` is certainly valid (False: ask jsonschema, it may still be)."""
    validator = _fast_validators(schema_dir).get(entity)
    if validator is None:
        return False
    try:
        validator(data)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def schema_errors(entity: str, data: Any, schema_dir: str) -> list[tuple[str, str]]:
    """Return ``(path, message)`` for every way ``data`` breaks the HSDS schema of ``entity``."""
    return [(path, message) for path, message, _fix in schema_problems(entity, data, schema_dir)]

def _fix(error) -> str | None:
    """What would fix one schema error, in a few words."""
    kind, value = error.validator, error.validator_value
    if kind == "required":
        missing = error.message.split("'")[1] if "'" in error.message else "the field"
        return f"add {missing!r}"
    if kind == "enum":
        return "use one of: " + ", ".join(map(str, value))
    if kind == "type":
        wanted = value if isinstance(value, str) else " or ".join(value)
        return f"give a value of type {wanted}"
    if kind == "format":
        example = {"uuid": "a UUID like 6a8e3c2e-1111-4c3e-9e8b-3c2e1c2e1c2e",
                   "email": "an address like name@example.org", "date": "a date like 2026-01-31",
                   "uri": "an absolute URL like https://example.org"}.get(value)
        return f"give {example or 'a valid ' + str(value)}"
    if kind in ("minLength", "minItems"):
        return "give a non-empty value"
    if kind in ("maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum"):
        return f"give a number within the allowed range ({kind} {value})"
    if kind == "pattern":
        return f"match the pattern {value}"
    return None


def schema_problems(entity: str, data: Any, schema_dir: str, *, fast: bool = False
                    ) -> list[tuple[str, str, str | None]]:
    """Like ``schema_errors``, with what would fix each problem. ``fast`` first asks the
    compiled check (compiling costs about a second once, so it pays for large imports)."""
    validator = _validators(schema_dir).get(entity)
    if validator is None or (fast and is_valid_fast(entity, data, schema_dir)):
        return []
    out = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
        path = entity
        for part in error.path:
            path += f"[{part}]" if isinstance(part, int) else f".{part}"
        message = error.message
        if len(message) > 200:
            message = message[:200] + "..."
        out.append((path, message, _fix(error)))
    return out
