"""Create or update any HSDS record, with everything nested in it, from its HSDS 3.0 JSON form.

This is the one write path for HSDS-shaped data: the import, the demo loader, the admin and the
API all come through here. It validates as it goes, collects every problem with the path of the
field, flushes, and never commits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from .. import models as m
from ..models.entities import (
    ENTITY_NAMES, MODELS_BY_ENTITY, NESTED, NO_ATTRIBUTES, ConversionError, Nested, scalar_columns, to_python,
)
from ..extensions import db
from ..i18n import SUPPORTED_LOCALES
from .errors import FieldError, ValidationError

WEEKDAYS = {"MO", "TU", "WE", "TH", "FR", "SA", "SU"}
FREQUENCIES = {"WEEKLY", "MONTHLY", "DAILY", "YEARLY"}
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
URL_RE = re.compile(r"^(https?|mailto|tel):", re.IGNORECASE)
# Link fields: a value with a scheme must use a safe one (no javascript:, data:, vbscript:, ...).
URL_FIELDS = ("url", "website", "uri", "logo", "schedule_link", "term_uri")
_SCHEME_RE = re.compile(r"^([a-z][a-z0-9+.-]*):", re.IGNORECASE)
_INVISIBLE_RE = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u2028-\u202f\ufeff]+")


def unsafe_link(value: str | None) -> bool:
    """Whether a link uses a scheme other than http, https, mailto or tel."""
    if not value:
        return False
    compact = _INVISIBLE_RE.sub("", value)
    return bool(_SCHEME_RE.match(compact)) and not URL_RE.match(compact)

ENUMS: dict[tuple[type, str], tuple[str, ...]] = {
    (m.Service, "status"): m.SERVICE_STATUSES,
    (m.Service, "publication"): m.PUBLICATION_STATES,
    (m.Location, "location_type"): m.LOCATION_TYPES,
    (m.Address, "address_type"): m.LOCATION_TYPES,
}
REQUIRED_TEXT: dict[type, tuple[str, ...]] = {
    m.Service: ("name",), m.Organization: ("name",), m.Program: ("name",),
    m.Phone: ("number",), m.Taxonomy: ("name",), m.TaxonomyTerm: ("name",), m.Url: ("url",),
}
# Children that only exist through their parent: removed when dropped from the parent's list.
MISSING_ORGANIZATION_POLICIES = ("create", "refuse")
LINK_COLUMNS = ("service_id", "location_id", "organization_id", "contact_id",
                "service_at_location_id", "phone_id")


class RecordWriter:
    """Applies HSDS objects to the session, collecting every error before anything is flushed."""

    def __init__(self, *, default_publication: str | None = None, replace_lists: bool = True,
                 allow_dangling: bool = False, missing_organizations: str = "refuse",
                 placeholder_taxonomies: bool = False):
        self.session = db.session
        self.errors: list[FieldError] = []
        self.default_publication = default_publication
        self.replace_lists = replace_lists
        # Drop references to records that exist nowhere (with a warning) instead of refusing.
        self.allow_dangling = allow_dangling
        # Organizations referenced but found nowhere: "create" a flagged placeholder or "refuse".
        if missing_organizations not in MISSING_ORGANIZATION_POLICIES:
            raise ValueError(f"missing_organizations must be one of "
                             f"{', '.join(MISSING_ORGANIZATION_POLICIES)}")
        self.missing_organizations = missing_organizations
        # Taxonomies named by a term's taxonomy_id only (HSDS allows it): a flagged placeholder.
        self.placeholder_taxonomies = placeholder_taxonomies
        self.warnings: list[FieldError] = []
        # What the writer decided on the data's behalf (placeholders made), for the report.
        self.decisions: list[FieldError] = []
        self.record_id: str | None = None
        self.record_name: str | None = None
        # (path, referenced table, id, record id, record, column, data, record name) for every
        # reference in the data.
        self.references: list[tuple[str, str, str, str | None, Any, str, dict, str | None]] = []
        # Records created by this writer: pending objects are not in the identity map yet.
        self.created: dict[tuple[type, str], Any] = {}
        # Ids known not to be in the database (see ``prefetch``): no lookup needed.
        self.absent: set[tuple[type, str]] = set()

    # -- entry points ---------------------------------------------------------------------------
    def save(self, model: type, data: Any, path: str = "") -> Any:
        """Create or update one top-level record of ``model`` from ``data``."""
        self.record_id = data.get("id") if isinstance(data, dict) else None
        name = data.get("name") if isinstance(data, dict) else None
        self.record_name = name if isinstance(name, str) and name.strip() else None
        with self.session.no_autoflush:
            return self._upsert(model, data, path or ENTITY_NAMES[model], {})

    def finish(self) -> None:
        """Check cross-record references, then flush; raise ValidationError on any problem."""
        self._check_references()
        if self.errors:
            raise ValidationError(self.errors)
        self.session.flush()

    def release(self) -> None:
        """Write what was saved so far and forget it (a bulk import's batch): flush unless
        there are errors already (then the caller rolls back), keep only what the final
        reference check needs, and empty the session."""
        if not self.errors:
            self.session.flush()
        slim = []
        for path, table, value, record_id, record, key, data, name in self.references:
            if not isinstance(record, _Stub):
                record = _Stub(type(record), record.id, getattr(record, "name", None),
                               getattr(record, "taxonomy", None),
                               getattr(record, "organization_id", None))
            data = {k: data[k] for k in _PLACEHOLDER_KEYS if k in data} if data else {}
            if isinstance(data.get("organization"), dict):
                data["organization"] = {"name": data["organization"].get("name")}
            slim.append((path, table, value, record_id, record, key, data, name))
        self.references = slim
        self.created.clear()
        self.absent.clear()
        self.session.expunge_all()

    # -- machinery ------------------------------------------------------------------------------
    def prefetch(self, model: type, items: list[Any]) -> None:
        """Look up at once which records ``items`` (and what they nest) would create, so saving
        them needs no query per record (the bulk import's batches)."""
        wanted: dict[type, set[str]] = {}
        for data in items:
            _collect_ids(model, data, wanted)
        for kind, ids in wanted.items():
            ids = {i for i in ids if (kind, i) not in self.created}
            found: set[str] = set()
            lookup = list(ids)
            for start in range(0, len(lookup), 500):
                found.update(self.session.scalars(
                    sa.select(kind.id).where(kind.id.in_(lookup[start:start + 500]))))
            self.absent.update((kind, i) for i in ids - found)

    def _error(self, path: str, message: str, fix: str | None = None) -> None:
        self.errors.append(FieldError(path, message, self.record_id, self.record_name, fix))

    def _upsert(self, model: type, data: Any, path: str, context: dict[str, Any]) -> Any:
        if not isinstance(data, dict):
            self._error(path, "expected an object")
            return None
        record_id = data.get("id")
        if record_id is None or record_id == "":
            record_id = m.new_id()
        elif not m.is_record_id(record_id):
            self._error(f"{path}.id", f"expected a UUID, got {record_id!r}")
            return None
        record = self.created.get((model, record_id))
        if record is None and (model, record_id) not in self.absent:
            record = self.session.get(model, record_id)
        is_new = record is None
        if is_new:
            record = model(id=record_id)
            self.session.add(record)
            self.created[(model, record_id)] = record
            self.absent.discard((model, record_id))
        for column in scalar_columns(model):
            key = column.key
            if key == "id" or key not in data:
                continue
            try:
                value = to_python(column, data[key])
            except ConversionError as exc:
                self._error(f"{path}.{key}", str(exc))
                continue
            setattr(record, key, value)
            if value is not None and column.foreign_keys:
                target = next(iter(column.foreign_keys)).column.table.name
                self.references.append((f"{path}.{key}", target, value, self.record_id,
                                        record, key, data, self.record_name))
        for key, value in context.items():
            setattr(record, key, value)
        if model is m.Service and "last_modified" not in data:
            record.last_modified = m.utcnow()  # HSDS last_modified: this write, unless given
        if is_new and model is m.Service and "publication" not in data and self.default_publication:
            record.publication = self.default_publication
        self._validate(model, record, data, path)

        for nested in NESTED.get(model, ()):
            if nested.key not in data or data[nested.key] is None:
                continue
            if nested.many:
                self._upsert_children(record, nested, data[nested.key], f"{path}.{nested.key}",
                                      is_new)
            else:
                parent = self._upsert(nested.model, data[nested.key], f"{path}.{nested.key}", {})
                if parent is not None:
                    setattr(record, nested.fk, parent.id)
        if model not in NO_ATTRIBUTES:
            entity = ENTITY_NAMES[model]
            if data.get("attributes") is not None:
                self._upsert_links(record, m.Attribute, data["attributes"], f"{path}.attributes",
                                   {"link_id": record.id, "link_entity": entity},
                                   m.Attribute.link_id, m.Attribute.link_entity, entity, is_new)
            if data.get("metadata") is not None:
                self._upsert_links(record, m.Metadata, data["metadata"], f"{path}.metadata",
                                   {"resource_id": record.id, "resource_type": entity},
                                   m.Metadata.resource_id, m.Metadata.resource_type, entity,
                                   is_new)
        if "translations" in data and hasattr(model, "translation_class"):
            self._apply_translations(record, data["translations"], f"{path}.translations")
        if model is m.Service and data.get("verifications") is not None:
            self._apply_verifications(record, data["verifications"], f"{path}.verifications",
                                      is_new)
        return record

    def _apply_verifications(self, record: Any, items: Any, path: str, is_new: bool) -> None:
        """Add the checks of an export that the directory does not have yet (same time and
        method: the same check), so a round trip keeps the listing's history."""
        if not isinstance(items, list):
            self._error(path, "expected a list")
            return
        column = m.Verification.__table__.c.checked_at
        known = set() if is_new else {
            (row.checked_at, row.method) for row in self.session.execute(
                sa.select(m.Verification.checked_at, m.Verification.method)
                .where(m.Verification.service_id == record.id))}
        for index, item in enumerate(items):
            where = f"{path}[{index}]"
            if not isinstance(item, dict):
                self._error(where, "expected an object")
                continue
            try:
                when = to_python(column, item.get("checked_at"))
            except ConversionError as exc:
                self._error(f"{where}.checked_at", str(exc))
                continue
            facts = item.get("facts") or {}
            problems = []
            if when is None:
                problems.append(("checked_at", "required"))
            if item.get("method") not in m.VERIFICATION_METHODS:
                problems.append(("method", f"one of {', '.join(m.VERIFICATION_METHODS)}"))
            if item.get("outcome") not in m.FACT_OUTCOMES:
                problems.append(("outcome", f"one of {', '.join(m.FACT_OUTCOMES)}"))
            if not isinstance(facts, dict) or any(
                    k not in m.CHECKED_FACTS or v not in m.FACT_OUTCOMES
                    for k, v in facts.items()):
                problems.append(("facts", "contact facts and their outcomes"))
            for key, message in problems:
                self._error(f"{where}.{key}", message)
            if problems or (when, item["method"]) in known:
                continue
            known.add((when, item["method"]))
            self.session.add(m.Verification(
                service_id=record.id, checked_at=when, method=item["method"],
                outcome=item["outcome"], facts=dict(facts),
                checked_by=item.get("checked_by") or None, note=item.get("note") or None))

    def _upsert_children(self, record: Any, nested: Nested, items: Any, path: str,
                         is_new: bool = False) -> None:
        if not isinstance(items, list):
            self._error(path, "expected a list")
            return
        kept = set()
        for index, item in enumerate(items):
            child = self._upsert(nested.model, item, f"{path}[{index}]", {nested.fk: record.id})
            if child is not None:
                kept.add(child.id)
        if not self.replace_lists or nested.key == "services" or is_new:
            return  # a record new to the database has no stored children to drop
        column = getattr(nested.model, nested.fk)
        for existing in self.session.scalars(sa.select(nested.model).where(column == record.id)):
            if existing.id in kept:
                continue
            setattr(existing, nested.fk, None)
            if nested.model is m.Location or nested.model is m.Service:
                continue  # independent records: unlinked, never deleted from here
            if not any(getattr(existing, c, None) for c in LINK_COLUMNS):
                self.session.delete(existing)

    def _upsert_links(self, record, model, items, path, context, id_col, type_col, entity,
                      is_new=False):
        if not isinstance(items, list):
            self._error(path, "expected a list")
            return
        kept = set()
        for index, item in enumerate(items):
            child = self._upsert(model, item, f"{path}[{index}]", context)
            if child is not None:
                kept.add(child.id)
        if self.replace_lists and not is_new:
            for existing in self.session.scalars(
                    sa.select(model).where(id_col == record.id, type_col == entity)):
                if existing.id not in kept:
                    self.session.delete(existing)

    def _apply_translations(self, record: Any, items: Any, path: str) -> None:
        if not isinstance(items, list):
            self._error(path, "expected a list of {locale, ...} objects")
            return
        seen = set()
        for index, item in enumerate(items):
            item_path = f"{path}[{index}]"
            if not isinstance(item, dict):
                self._error(item_path, "expected an object")
                continue
            locale = item.get("locale")
            if locale not in SUPPORTED_LOCALES:
                self._error(f"{item_path}.locale",
                            f"unsupported locale {locale!r}; use one of "
                            + ", ".join(SUPPORTED_LOCALES))
                continue
            if locale in seen:
                self._error(f"{item_path}.locale", f"locale {locale} appears twice")
                continue
            seen.add(locale)
            values = {}
            for name in record.__translated__:
                value = item.get(name)
                if value is not None and not isinstance(value, str):
                    self._error(f"{item_path}.{name}", "expected text")
                    continue
                values[name] = value
            digest = item.get("source_digest")
            if digest is not None and not (isinstance(digest, str) and len(digest) == 64):
                self._error(f"{item_path}.source_digest", "expected a sha256 hex digest")
                digest = None
            record.set_translation(locale, values, digest=digest)
        if self.replace_lists:
            for row in list(record.translations):
                if row.locale not in seen:
                    record.translations.remove(row)

    def _validate(self, model: type, record: Any, data: dict, path: str) -> None:
        for name in REQUIRED_TEXT.get(model, ()):
            value = getattr(record, name)
            if value is None or not str(value).strip():
                self._error(f"{path}.{name}", "is required")
        for (enum_model, name), allowed in ENUMS.items():
            if enum_model is model and getattr(record, name) not in allowed:
                self._error(f"{path}.{name}", f"must be one of: {', '.join(allowed)}")
        if hasattr(model, "translation_class"):
            language = getattr(record, "text_language", None) or "en"
            if language not in SUPPORTED_LOCALES:
                self._error(f"{path}.text_language",
                            f"unsupported locale {language!r}; use one of "
                            + ", ".join(SUPPORTED_LOCALES))
        for name in URL_FIELDS:
            if unsafe_link(getattr(record, name, None)):
                self._error(f"{path}.{name}", "only http, https, mailto and tel links are allowed")
        email = getattr(record, "email", None) if "email" in data else None
        if email and not EMAIL_RE.match(email):
            self._error(f"{path}.email", f"{email!r} is not an email address")
        if model is m.Service:
            low, high = record.minimum_age, record.maximum_age
            if low is not None and high is not None and low > high:
                self._error(f"{path}.maximum_age", "is lower than minimum_age")
            for name in ("minimum_age", "maximum_age"):
                value = getattr(record, name)
                if value is not None and not 0 <= value <= 130:
                    self._error(f"{path}.{name}", "must be between 0 and 130")
        if model is m.Schedule:
            if record.byday:
                days = [d.strip().upper().lstrip("+-0123456789") for d in record.byday.split(",")]
                bad = [d for d in days if d not in WEEKDAYS]
                if bad:
                    self._error(f"{path}.byday",
                                f"unknown day {bad[0]!r}; use MO,TU,WE,TH,FR,SA,SU")
            if record.freq and record.freq.upper() not in FREQUENCIES:
                self._error(f"{path}.freq", f"must be one of: {', '.join(sorted(FREQUENCIES))}")
            if record.timezone_name:
                from zoneinfo import available_timezones

                if record.timezone_name not in _zones(available_timezones):
                    self._error(f"{path}.timezone_name",
                                f"unknown time zone {record.timezone_name!r}")

    def _check_references(self) -> None:
        """Every id the data refers to must exist, in this import or in the database."""
        by_table: dict[str, set[str]] = {}
        for _path, table, value, *_rest in self.references:
            by_table.setdefault(table, set()).add(value)
        missing: set[tuple[str, str]] = set()
        for table, wanted in by_table.items():
            model = MODELS_BY_ENTITY[table]
            here = {rid for (mdl, rid) in self.created if mdl is model}
            lookup = list(wanted - here)
            found: set[str] = set()
            for start in range(0, len(lookup), 500):
                found.update(self.session.scalars(
                    sa.select(model.id).where(model.id.in_(lookup[start:start + 500]))))
            missing.update((table, v) for v in wanted - here - found)
        placeholders: dict[tuple[str, str], Any] = {}

        def named_first(ref) -> int:  # a placeholder is named from the best-described record
            data, record = ref[6] or {}, ref[4]
            if any(data.get(k) for k in ("organization_name", "organisation_name")):
                return 0
            model = record.model if isinstance(record, _Stub) else type(record)
            return 1 if model is m.Service else 2

        for path, table, value, record_id, record, key, data, name in sorted(
                self.references, key=named_first):
            if (table, value) not in missing:
                continue
            if (table, value) in placeholders:
                continue
            if table == "taxonomy" and self.placeholder_taxonomies:
                placeholders[(table, value)] = self._placeholder_taxonomy(
                    path, value, record, record_id, name)
            elif table == "organization" and self.missing_organizations == "create":
                placeholders[(table, value)] = self._placeholder_organization(
                    path, value, record, data, record_id, name)
            elif self.allow_dangling:
                if isinstance(record, _Stub):  # released by a bulk batch: load it again
                    record = self.session.get(record.model, record.id)
                setattr(record, key, None)
                self.warnings.append(FieldError(path, f"no {table} with id {value}; link dropped",
                                                record_id, name))
            elif table == "organization":
                self.errors.append(FieldError(
                    path, f"no organization with id {value} in the input or the directory",
                    record_id, name, "add the organization to the input, or import with "
                    "--missing-organizations create to make a placeholder for it"))
            else:
                self.errors.append(FieldError(
                    path, f"no {table} with id {value} in the input or the directory",
                    record_id, name, f"add the {table} to the input, or import with "
                    "--allow-dangling to drop the link"))

    def _placeholder_taxonomy(self, path: str, value: str, term: Any, record_id: str | None,
                              record_name: str | None) -> Any:
        label = (getattr(term, "taxonomy", None) or "").strip()
        name = label or f"External taxonomy {value}"
        taxonomy = m.Taxonomy(id=value, name=name, description="", placeholder=True)
        self.session.add(taxonomy)
        self.created[(m.Taxonomy, value)] = taxonomy
        self.decisions.append(FieldError(
            path, f"taxonomy {value} is not in the input or the directory: created a "
            f"placeholder taxonomy {name!r}, flagged for a curator to name", record_id,
            record_name))
        return taxonomy

    def _placeholder_organization(self, path: str, value: str, record: Any, data: dict,
                                  record_id: str | None, record_name: str | None) -> Any:
        name = _organization_name(data, record)
        organization = m.Organization(id=value, name=name, description="", placeholder=True)
        for source, target in (("organization_email", "email"),
                               ("organization_url", "website"),
                               ("organization_website", "website")):
            if isinstance(data.get(source), str) and data[source].strip():
                setattr(organization, target, data[source].strip())
        self.session.add(organization)
        self.created[(m.Organization, value)] = organization
        self.decisions.append(FieldError(
            path, f"organization {value} is not in the input or the directory: created a "
            f"placeholder organization {name!r}, flagged for a curator to complete "
            "(--missing-organizations create)", record_id, record_name))
        return organization


# Fields of a referencing record a placeholder organization is named from.
_PLACEHOLDER_KEYS = ("organization_name", "organisation_name", "organization_email",
                     "organization_url", "organization_website", "organization")


@dataclass
class _Stub:
    """What the final reference check needs of a record a bulk batch has written and released."""

    model: type
    id: str
    name: str | None
    taxonomy: str | None
    organization_id: str | None


def _organization_name(data: dict, record: Any) -> str:
    """A placeholder organization's name, from the referencing record's organization fields."""
    for key in ("organization_name", "organisation_name"):
        if isinstance(data.get(key), str) and data[key].strip():
            return data[key].strip()
    nested = data.get("organization")
    if isinstance(nested, dict) and isinstance(nested.get("name"), str) and nested["name"].strip():
        return nested["name"].strip()
    own = getattr(record, "name", None)
    if own:
        return f"Organization of {own}"
    return f"External organization {getattr(record, 'organization_id', '')}".strip()


def _collect_ids(model: type, data: Any, out: dict[type, set[str]]) -> None:
    """Every record id ``data`` (an HSDS object of ``model``) names, by model."""
    if not isinstance(data, dict):
        return
    record_id = data.get("id")
    if isinstance(record_id, str) and m.is_record_id(record_id):
        out.setdefault(model, set()).add(record_id)
    for nested in NESTED.get(model, ()):
        value = data.get(nested.key)
        for item in (value if isinstance(value, list) else [value]):
            _collect_ids(nested.model, item, out)
    if model not in NO_ATTRIBUTES:
        for key, child in (("attributes", m.Attribute), ("metadata", m.Metadata)):
            value = data.get(key)
            if isinstance(value, list):
                for item in value:
                    _collect_ids(child, item, out)


_ZONES: set[str] | None = None


def _zones(available) -> set[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = set(available())
    return _ZONES


def save_record(model: type, data: dict[str, Any], **options: Any) -> Any:
    """Create or update one HSDS record (and what it nests); flush; raise ValidationError."""
    writer = RecordWriter(**options)
    record = writer.save(model, data)
    writer.finish()
    return record


# Link fields a record outside the HSDS entities may carry (the entities check URL_FIELDS).
OTHER_LINK_FIELDS = ("url", "website", "uri")


def validate_record(record: Any) -> None:
    """Apply ``save_record``'s field rules to a record edited in place; raise ValidationError."""
    model = type(record)
    path = ENTITY_NAMES.get(model, getattr(model, "__tablename__", "record"))
    writer = RecordWriter()
    writer.record_id = getattr(record, "id", None)
    if model in ENTITY_NAMES:
        data = {column.key: getattr(record, column.key, None) for column in model.__table__.columns}
        writer._validate(model, record, data, path)
    else:
        for name in OTHER_LINK_FIELDS:
            if unsafe_link(getattr(record, name, None)):
                writer._error(f"{path}.{name}", "only http, https, mailto and tel links are allowed")
    if writer.errors:
        raise ValidationError(writer.errors)


def save_edited_record(record: Any, owned: Iterable[Any] = ()) -> Any:
    """Save a record a form changed in place, with the rows it owns (phones, hours, ...).

    Translation rows edited with it are marked as made from the current base text; every
    record is checked by the rules of ``save_record``; then flush. Raise ValidationError.
    """
    from .translations import refresh_translation_digests

    refresh_translation_digests(record)
    with db.session.no_autoflush:
        validate_record(record)
        for child in owned:
            validate_record(child)
    db.session.flush()
    return record


def delete_record(record: Any) -> None:
    """Delete a record, and what the models cascade the delete to; flush."""
    db.session.delete(record)
    db.session.flush()
