"""The compiled (fastjsonschema) check gives jsonschema's verdict on valid and broken records."""

from __future__ import annotations

import copy
import json
import os
import random
import sys

import pytest

from directory import PROJECT_ROOT
from directory.exchange.importer import detect_entity
from directory.exchange.schema import _validators, is_valid_fast, schema_problems

SCHEMA_DIR = os.path.join(PROJECT_ROOT, "directory", "exchange", "hsds_schema")
DEMO = os.path.join(PROJECT_ROOT, "directory", "demo")
# Values that break (or happen to satisfy) the rules of whatever field they land in.
MUTATIONS = [None, 7, 7.5, True, "", "not-a-uuid", "6a8e3c2e-1111-4c3e-9e8b-3c2e1c2e1c2e",
             "no-at-sign", "a@b.c", "2026-13-45", "2026-01-31", "closed", "active", {}, [],
             [1], {"id": 3}]


def _corpus() -> list[tuple[str, dict]]:
    items = []
    for name in ("services_violence.json", "services_sexual_health.json", "taxonomy.json"):
        with open(os.path.join(DEMO, name), encoding="utf-8") as handle:
            data = json.load(handle)
        for obj in data if isinstance(data, list) else [data]:
            items.append((detect_entity(obj, name), obj))
    sys.path.insert(0, os.path.join(PROJECT_ROOT, "bench"))
    from generate import listing

    terms = {obj["code"]: obj["id"] for entity, obj in items
             if entity == "taxonomy_term" and obj.get("code")}
    rng = random.Random(17)
    items += [("service", listing(n, terms, rng)) for n in range(5)]
    return items


def _paths(node, prefix=()):
    """Every path to a value inside ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield prefix + (key,)
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield prefix + (index,)
            yield from _paths(value, prefix + (index,))


def _replace(obj, path, value):
    out = copy.deepcopy(obj)
    node = out
    for part in path[:-1]:
        node = node[part]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


_DELETE = object()


def _same_verdict(entity: str, obj) -> None:
    slow = not list(_validators(SCHEMA_DIR)[entity].iter_errors(obj))
    assert is_valid_fast(entity, obj, SCHEMA_DIR) == slow, (entity, json.dumps(obj)[:300])


def test_valid_records_pass_both_ways():
    corpus = _corpus()
    assert len(corpus) > 60
    for entity, obj in corpus:
        assert is_valid_fast(entity, obj, SCHEMA_DIR), entity
        _same_verdict(entity, obj)


@pytest.mark.parametrize("seed", range(2))
def test_broken_records_get_the_same_verdict(seed):
    """Every field of a sample of records, replaced by each kind of wrong value, or deleted."""
    rng = random.Random(seed)
    corpus = _corpus()
    checked = refused = 0
    for entity, obj in rng.sample(corpus, 4):
        for path in _paths(obj):
            for value in [_DELETE, *rng.sample(MUTATIONS, 3)]:
                broken = _replace(obj, path, value)
                _same_verdict(entity, broken)
                checked += 1
                refused += not is_valid_fast(entity, broken, SCHEMA_DIR)
    assert checked > 200 and refused > checked // 4


def test_a_refused_record_keeps_jsonschemas_messages():
    entity, obj = next(item for item in _corpus() if item[0] == "service")
    broken = dict(obj, status="closed", id="x")
    problems = schema_problems(entity, broken, SCHEMA_DIR, fast=True)
    assert problems == schema_problems(entity, broken, SCHEMA_DIR)
    assert {path for path, _message, _fix in problems} == {"service.status", "service.id"}
    assert any("use one of: active" in (fix or "") for _p, _m, fix in problems)
    assert schema_problems(entity, obj, SCHEMA_DIR, fast=True) == []


def test_the_fast_check_never_fills_in_defaults():
    entity, obj = next(item for item in _corpus() if item[0] == "service")
    before = copy.deepcopy(obj)
    assert is_valid_fast(entity, obj, SCHEMA_DIR)
    assert obj == before
