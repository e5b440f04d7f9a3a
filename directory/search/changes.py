"""What a search document is made of, and so which listings an edit touches.

``DOCUMENT_PARTS`` is the one description of the records a listing's document reads (its
relationships, level by level). ``documents.load_records`` (rebuilds, syncs) loads exactly these
with one query per table, ``documents.load_services`` eager-loads them as ORM objects, and the
session hooks below walk the same relationships backwards to find the services whose document
an inserted, changed or deleted row belongs to. Three things are not relationships and are
resolved by hand: category links (``attribute``), the category tree (a term's label reaches
every listing filed under it or below it) and curated synonym groups (listings whose text uses
their words).

The hooks write one ``search_change`` row per touched service in the edit's own transaction
(so a committed edit is never lost to the index) and leave the ids in the session for the
after-commit sync (``sync._after_commit``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, selectinload

from .. import models as m

CHANGED_KEY = "directory.changed_service_ids"   # session.info: services to sync after commit
_DELETED_KEY = "directory.deleted_service_ids"  # session.info: resolved before the delete

# Relationship -> the parts below it. The service's own columns are part of the document too.
DOCUMENT_PARTS: dict[Any, dict] = {
    m.Service.translations: {},
    m.Service.organization: {m.Organization.translations: {}},
    m.Service.phones: {m.Phone.translations: {}},
    m.Service.schedules: {},
    m.Service.languages: {},
    m.Service.service_areas: {m.ServiceArea.translations: {}},
    m.Service.cost_options: {},
    m.Service.hours_exceptions: {},
    m.Service.service_at_locations: {m.ServiceAtLocation.location: {
        m.Location.addresses: {}, m.Location.accessibility: {}, m.Location.translations: {},
        m.Location.schedules: {}}},
}
# Moving one of these to another parent changes the old parent's document too.
PARENT_KEYS = ("service_id", "location_id", "service_at_location_id", "link_id",
               "organization_id", "parent_id")


def load_options(parts: Mapping[Any, dict] = DOCUMENT_PARTS) -> list[Any]:
    """``selectinload`` options for every part (one query per relationship and level)."""
    options = []
    for relationship, below in parts.items():
        option = selectinload(relationship)
        if below:
            option = option.options(*load_options(below))
        options.append(option)
    return options


def _edges(parts: Mapping[Any, dict]) -> Iterable[Any]:
    for relationship, below in parts.items():
        yield relationship.property
        yield from _edges(below)


# child table -> the relationships that make its rows part of a parent's document
_PARENTS: dict[str, list[Any]] = {}
for _rel in _edges(DOCUMENT_PARTS):
    _PARENTS.setdefault(_rel.mapper.local_table.name, []).append(_rel)
SERVICE = m.Service.__table__
_SPECIAL = {"attribute", "taxonomy_term", "taxonomy_term_translation", "search_synonym"}
RELEVANT_TABLES = frozenset({SERVICE.name, *_PARENTS, *_SPECIAL})


def services_for_row(conn: sa.Connection, table: str, row: Mapping[str, Any]) -> set[str]:
    """Ids of the services whose document reads ``row`` of ``table`` (column values)."""
    return services_for_rows(conn, table, [row])


def services_for_rows(conn: sa.Connection, table: str, rows: list[Mapping[str, Any]]
                      ) -> set[str]:
    """``services_for_row`` for many rows of one table at once: one query per parent link
    (and 500 ids), not one per row, so a large import's flush stays cheap."""
    if table == SERVICE.name:
        return {row["id"] for row in rows if row.get("id")}
    special = _SPECIAL_RESOLVERS.get(table)
    if special is not None:
        return set().union(*(special(conn, row) for row in rows))
    ids: set[str] = set()
    for relationship in _PARENTS.get(table, ()):
        parent = relationship.parent.local_table
        for parent_column, child_column in relationship.local_remote_pairs:
            values = sorted({row.get(child_column.key) for row in rows} - {None})
            if not values:
                continue
            if parent is SERVICE and parent_column.key == "id":
                ids.update(values)  # no need to read the service rows back
                continue
            parents: list[Mapping[str, Any]] = []
            for start in range(0, len(values), 500):
                parents.extend(conn.execute(sa.select(parent).where(
                    parent_column.in_(values[start:start + 500]))).mappings())
            if parents:
                ids |= services_for_rows(conn, parent.name, parents)
    return ids


def _attribute(conn: sa.Connection, row: Mapping[str, Any]) -> set[str]:
    if not row.get("link_id"):
        return set()
    if row.get("link_entity") == "service":
        return {row["link_id"]}
    if row.get("link_entity") == "location":
        return services_for_row(conn, "location", {"id": row["link_id"]})
    return set()


def _taxonomy_term(conn: sa.Connection, row: Mapping[str, Any]) -> set[str]:
    """Listings filed under the term or below it (they carry its label as an ancestor)."""
    term_ids = m.TaxonomyTerm.with_descendants(conn, [row["id"]])
    at = m.Attribute.__table__
    return set(conn.execute(sa.select(at.c.link_id).where(
        at.c.taxonomy_term_id.in_(term_ids), at.c.link_entity == "service",
        at.c.link_id.is_not(None))).scalars())


def _term_translation(conn: sa.Connection, row: Mapping[str, Any]) -> set[str]:
    return _taxonomy_term(conn, {"id": row["parent_id"]}) if row.get("parent_id") else set()


def _synonym(conn: sa.Connection, row: Mapping[str, Any]) -> set[str]:
    return services_mentioning(conn, m.SearchSynonym.split(row.get("terms")))


_SPECIAL_RESOLVERS = {"attribute": _attribute, "taxonomy_term": _taxonomy_term,
                      "taxonomy_term_translation": _term_translation,
                      "search_synonym": _synonym}
TEXT_FIELDS = ("name", "alternate_name", "description", "eligibility_description",
               "application_process", "fees_description", "interpretation_services")


def services_mentioning(conn: sa.Connection, phrases: list[str]) -> set[str]:
    """Services whose name or text (base or translated) may contain one of ``phrases``.

    Words are matched by their first letters (endings vary: "shelters", "counsellor"), so this
    finds a few listings too many, never too few, among those the synonym filter matches in
    their own descriptions.
    """
    patterns = []
    for phrase in phrases:
        words = [w[:max(3, len(w) - 3)] if len(w) > 5 else w for w in phrase.casefold().split()]
        if words:
            patterns.append(words)
    if not patterns:
        return set()
    ids: set[str] = set()
    for model, key in ((m.Service, m.Service.id),
                       (m.ServiceTranslation, m.ServiceTranslation.parent_id)):
        columns = [getattr(model, f) for f in TEXT_FIELDS if hasattr(model, f)]
        condition = sa.or_(*(_contains_in_order(c, words) for c in columns for words in patterns))
        ids.update(conn.execute(sa.select(key).where(condition)).scalars())
    return ids


def _contains_in_order(column: Any, words: list[str]) -> Any:
    """``column`` contains every word, in order (case-insensitive; ``%``/``_`` are literal)."""
    escaped = [w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for w in words]
    return column.ilike("%" + "%".join(escaped) + "%", escape="\\")


# -- the session hooks -------------------------------------------------------------------------
def _values(obj: Any) -> dict[str, Any]:
    return {c.key: getattr(obj, c.key, None) for c in obj.__table__.columns}


def _relevant(obj: Any) -> bool:
    return getattr(getattr(obj, "__table__", None), "name", None) in RELEVANT_TABLES


def _old_parent_row(obj: Any) -> dict[str, Any] | None:
    """The row as it was before a move to another parent, or None if it did not move."""
    state = inspect(obj)
    old = {}
    for key in PARENT_KEYS:
        if key in state.mapper.column_attrs.keys():
            history = state.attrs[key].history
            if history.deleted and history.deleted[0]:
                old[key] = history.deleted[0]
    return {**_values(obj), **old} if old else None


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, flush_context: Any, instances: Any) -> None:
    # A deleted row's parents may be gone after the flush, so resolve its services now.
    deleted = [o for o in session.deleted if _relevant(o)]
    if deleted:
        conn = session.connection()
        ids = session.info.setdefault(_DELETED_KEY, set())
        by_table: dict[str, list[dict[str, Any]]] = {}
        for obj in deleted:
            by_table.setdefault(obj.__table__.name, []).append(_values(obj))
        for table, table_rows in by_table.items():
            ids |= services_for_rows(conn, table, table_rows)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, flush_context: Any) -> None:
    conn = session.connection()
    service_ids: set[str] = set(session.info.pop(_DELETED_KEY, set()))
    synonym_ids: list[str] = []
    changed: dict[str, list[dict[str, Any]]] = {}  # rows by table, resolved a table at a time
    for obj in [*session.new, *session.dirty]:
        if not _relevant(obj) or (obj in session.dirty and not session.is_modified(
                obj, include_collections=False)):
            continue
        table = obj.__table__.name
        changed.setdefault(table, []).append(_values(obj))
        if obj in session.dirty:
            old = _old_parent_row(obj)
            if old is not None:
                changed[table].append(old)
            if isinstance(obj, m.SearchSynonym):
                old_terms = inspect(obj).attrs["terms"].history.deleted
                if old_terms and old_terms[0]:
                    service_ids |= _synonym(conn, {"terms": old_terms[0]})
    for table, table_rows in changed.items():
        service_ids |= services_for_rows(conn, table, table_rows)
    synonym_ids = [o.id for o in [*session.new, *session.dirty, *session.deleted]
                   if isinstance(o, m.SearchSynonym)]
    now = m.utcnow()
    rows = [{"entity": "synonyms", "entity_id": sid, "created_at": now} for sid in synonym_ids]
    # Curated concept words act at query time only: one row, so every process reloads them.
    rows += [{"entity": "concepts", "entity_id": o.id, "created_at": now}
             for o in [*session.new, *session.dirty, *session.deleted]
             if isinstance(o, m.SearchConceptTerm)]
    # Every process reloads the synonym groups when the log moves (a no-op row to apply).
    rows += [{"entity": "service", "entity_id": sid, "created_at": now}
             for sid in sorted(i for i in service_ids if i)]
    if rows:
        conn.execute(sa.insert(m.SearchChange.__table__), rows)
        session.info.setdefault(CHANGED_KEY, set()).update(r["entity_id"] for r in rows)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_DELETED_KEY, None)
    session.info.pop(CHANGED_KEY, None)
