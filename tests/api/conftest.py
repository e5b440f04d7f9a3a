"""API fixtures: an index, and validation of responses against the served OpenAPI document."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from directory.search import sync


@pytest.fixture
def index(app):
    """A live index; commits made by the test reach it through the change log."""
    sync.rebuild(app)
    return sync.index_for(app)


def _pointer(*parts: str) -> str:
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


@pytest.fixture
def conforms(client):
    """``conforms(response, path, method)``: the body matches what the OpenAPI document says."""
    document = client.get("/api/v1/openapi.json").get_json()

    def check(response, path: str, method: str = "get") -> dict:
        status = str(response.status_code)
        pointer = _pointer("paths", path, method, "responses", status, "content",
                           "application/json", "schema")
        root = {"paths": document["paths"], "components": document["components"],
                "$ref": pointer}
        validator = Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)
        body = response.get_json()
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
        assert not errors, "\n".join(f"{list(e.path)}: {e.message[:200]}" for e in errors[:10])
        return body

    return check
