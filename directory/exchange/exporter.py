"""Export to HSDS 3.0 JSON (with our profile's extension fields)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from .. import models as m
from ..extensions import db
from ..models.entities import ENTITY_NAMES, NESTED, NO_ATTRIBUTES, scalar_columns, to_json, translations_to_json
from .profile import profile_url

# Location fields that could reveal where a confidential site is.
CONFIDENTIAL_LOCATION_FIELDS = frozenset({"latitude", "longitude", "transportation",
                                          "external_identifier", "external_identifier_type"})


class Serializer:
    """Turns records into HSDS objects; ``public`` hides what only staff may see."""

    def __init__(self, *, public: bool = True, hsds_version: str = "3.0",
                 checks: bool = False):
        self.public = public
        # Exports carry each listing's checks (``verifications``); API answers do not.
        self.checks = checks
        # "3.0" writes HSDS 3.0 fields (plus our profile's); "3.1" adds 3.1's additional_urls.
        self.hsds_version = hsds_version
        self.session = db.session

    def record(self, record: Any, *, nest: bool = True, parent_model: type | None = None
               ) -> dict[str, Any]:
        """The HSDS object for ``record``; nested lists and parents included when ``nest``."""
        model = type(record)
        hidden = (self.public and model is m.Location and record.confidential)
        out: dict[str, Any] = {}
        for column in scalar_columns(model):
            if hidden and column.key in CONFIDENTIAL_LOCATION_FIELDS:
                continue
            value = getattr(record, column.key)
            if value is not None:
                out[column.key] = to_json(value)
        if model is m.Service:
            # HSDS last_modified in every mode: the source's own date when it gave one, else
            # our last change, so a client syncing with modified_after always has a watermark.
            stamp = record.last_modified or record.updated_at
            if stamp is not None:
                out["last_modified"] = to_json(stamp)
            if self.checks:
                out["verifications"] = self.verifications(record.id)
        if hasattr(model, "translation_class"):
            out["translations"] = translations_to_json(record)
            if hidden:
                out["translations"] = [{k: v for k, v in t.items()
                                        if k not in CONFIDENTIAL_LOCATION_FIELDS}
                                       for t in out["translations"]]
        if not nest:
            return out
        for nested in NESTED.get(model, ()):
            if not nested.export or nested.model is parent_model:
                continue
            if nested.model is m.Url and self.hsds_version != "3.1":
                continue  # additional_urls is an HSDS 3.1 field
            if nested.many:
                if hidden and nested.model is m.Address:
                    out[nested.key] = []
                    continue
                column = getattr(nested.model, nested.fk)
                children = self.session.scalars(sa.select(nested.model).where(
                    column == record.id).order_by(nested.model.id))
                out[nested.key] = [self.record(c, parent_model=model) for c in children]
            else:
                parent_id = getattr(record, nested.fk)
                parent = self.session.get(nested.model, parent_id) if parent_id else None
                if parent is not None:
                    out[nested.key] = self.record(parent, parent_model=model)
        if model not in NO_ATTRIBUTES:
            out["attributes"] = [self.attribute(a) for a in self.session.scalars(
                sa.select(m.Attribute).where(m.Attribute.link_id == record.id,
                                             m.Attribute.link_entity == ENTITY_NAMES[model])
                .order_by(m.Attribute.id))]
            # Change records of a confidential site could hold its old address or coordinates.
            out["metadata"] = [] if hidden else [
                self.record(x, nest=False) for x in self.session.scalars(
                    sa.select(m.Metadata).where(m.Metadata.resource_id == record.id,
                                                m.Metadata.resource_type == ENTITY_NAMES[model])
                    .order_by(m.Metadata.id))]
        return out

    def verifications(self, service_id: str) -> list[dict[str, Any]]:
        """The listing's checks, oldest first; who checked and the note in staff exports only."""
        out = []
        for row in self.session.scalars(
                sa.select(m.Verification).where(m.Verification.service_id == service_id)
                .order_by(m.Verification.checked_at, m.Verification.id)):
            item = {"checked_at": to_json(row.checked_at), "method": row.method,
                    "outcome": row.outcome, "facts": dict(row.facts or {})}
            if not self.public:
                item.update({k: v for k, v in (("checked_by", row.checked_by),
                                               ("note", row.note)) if v})
            out.append(item)
        return out

    def attribute(self, attribute: m.Attribute) -> dict[str, Any]:
        """An attribute with its taxonomy term, as HSDS nests it."""
        out = self.record(attribute, nest=False)
        if attribute.taxonomy_term is not None:
            out["taxonomy_term"] = self.record(attribute.taxonomy_term)
        return out


def export_folder(folder: str, *, include_confidential: bool = False,
                  published_only: bool = False, hsds_version: str = "3.0",
                  progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Write base.json and one JSON list per top-level object type into ``folder``."""
    os.makedirs(folder, exist_ok=True)
    serializer = Serializer(public=not include_confidential, hsds_version=hsds_version,
                            checks=True)
    counts: dict[str, int] = {}
    services = sa.select(m.Service).order_by(m.Service.id)
    if published_only:
        services = services.where(m.Service.is_public)
    plan: list[tuple[str, sa.Select]] = [
        ("taxonomies", sa.select(m.Taxonomy).order_by(m.Taxonomy.id)),
        ("taxonomy_terms", sa.select(m.TaxonomyTerm).order_by(m.TaxonomyTerm.id)),
        ("organizations", sa.select(m.Organization).order_by(m.Organization.id)),
        ("locations", sa.select(m.Location).order_by(m.Location.id)),
        ("services", services),
    ]
    for name, query in plan:
        rows = [serializer.record(r) for r in db.session.scalars(query)]
        _write(os.path.join(folder, f"{name}.json"), rows)
        counts[name] = len(rows)
        if progress:
            progress(len(rows))
    pages = [_page(p) for p in db.session.scalars(sa.select(m.Page).order_by(m.Page.slug))]
    _write(os.path.join(folder, "pages.json"), pages)
    counts["pages"] = len(pages)
    _write(os.path.join(folder, "base.json"), {
        "version": hsds_version, "profile": profile_url(),
        "openapi_url": "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"
                       "openapi.json"})
    return counts


def _page(page: m.Page) -> dict[str, Any]:
    return {"id": page.id, "slug": page.slug, "text_language": page.text_language,
            "title": page.title, "summary": page.summary, "body": page.body,
            "publication": page.publication,
            "taxonomy_term_ids": sorted(t.id for t in page.taxonomy_terms),
            "translations": translations_to_json(page)}


def _write(path: str, payload: Any) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, ensure_ascii=False, indent=1)
        handle.write("\n")
    os.replace(tmp, path)
