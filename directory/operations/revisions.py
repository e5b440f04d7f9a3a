"""Reviewed changes to what is live: propose, approve, send back.

A change to a published listing that touches a reviewed part (phones, hours, locations, links,
crisis flags; configurable with ``REVIEW_FIELDS``) is not written to the listing: it is kept as a
``ServiceRevision`` holding the listing's editable state before and after. The public, the index,
the API and exports go on reading the listing's own rows. Approving writes the proposed state
through the one write path (``RecordWriter``), so validation, the audit trail and the search
change log are the same as for any other edit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from .. import models as m
from ..extensions import db
from ..models.entities import scalar_columns, to_json
from .audit import current_actor
from .errors import FieldError, NotFound, ValidationError
from .records import RecordWriter

# Parts of a listing that need a second look when the listing is live.
DEFAULT_REVIEW_FIELDS = ("phones", "schedules", "service_at_locations", "url", "email",
                         "crisis_line", "open_24_7", "status", "attributes")
# Parts of a listing the editor changes; workflow fields (publication, verification) move
# through their own operations and never through a revision.
WORKFLOW_FIELDS = frozenset({"publication", "last_verified_at", "verified_by", "version",
                             "last_modified", "assured_date", "assurer_email",
                             # the freshness plan and live state, set by their own operations:
                             # approving an older proposal must never roll them back
                             "verify_interval_days", "last_verified_method", "capacity",
                             "capacity_updated_at"})
LISTS = {"phones": m.Phone, "schedules": m.Schedule,
         "service_at_locations": m.ServiceAtLocation}
PUBLISHERS = ("admin", "publisher")


def review_fields() -> tuple[str, ...]:
    """The parts whose change to a published listing waits for a publisher."""
    return tuple(current_app.config.get("REVIEW_FIELDS", DEFAULT_REVIEW_FIELDS))


def _value(record: Any, key: str) -> Any:
    value = getattr(record, key)
    if isinstance(value, str):
        value = value.strip() or None  # a form's empty box is "no value", as stored
    return to_json(value) if value is not None else None


def _row(record: Any) -> dict[str, Any]:
    values = {c.key: _value(record, c.key) for c in scalar_columns(type(record))}
    return {k: v for k, v in values.items() if v is not None}


def editable_state(service: m.Service) -> dict[str, Any]:
    """The parts of ``service`` a curator edits, as HSDS-shaped JSON, read from the objects in
    memory (so a form's unsaved changes are included). Rows not yet flushed get their id now."""
    out = {c.key: _value(service, c.key) for c in scalar_columns(m.Service)
           if c.key not in WORKFLOW_FIELDS}
    deleted = set(db.session.deleted)
    for key in LISTS:
        rows = []
        for child in getattr(service, key):
            if child in deleted:
                continue
            if child.id is None:
                child.id = m.new_id()
            rows.append(_row(child))
        out[key] = sorted(rows, key=lambda r: r["id"])
    out["attributes"] = sorted(
        ({"id": row.id, "taxonomy_term_id": row.taxonomy_term_id, "link_entity": "service",
          "link_id": service.id} for row in category_rows(service) if row not in deleted),
        key=lambda r: r["taxonomy_term_id"])
    return out


def category_rows(service: m.Service) -> list[m.Attribute]:
    """The listing's categories: those an edit form set in memory, else the stored ones."""
    pending = getattr(service, "_category_rows", None)
    if pending is not None:
        return pending
    return list(db.session.scalars(sa.select(m.Attribute).where(
        m.Attribute.link_id == service.id, m.Attribute.link_entity == "service",
        m.Attribute.taxonomy_term_id.is_not(None))))


def changed_parts(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The top-level parts (field names, list names) that differ."""
    return sorted(key for key in set(before) | set(after) if before.get(key) != after.get(key))


def is_publisher(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False)
                and any(user.has_role(r) for r in PUBLISHERS))


def needs_review(service: m.Service, parts: Iterable[str], user: Any) -> bool:
    """Whether these changed parts of ``service`` must wait for a publisher."""
    if service.publication != "published":
        return False
    parts = set(parts)
    if not parts:
        return False
    if not is_publisher(user):
        return True  # editors propose every change to what is live
    return bool(parts & set(review_fields()))


def pending_revision(service_id: str) -> m.ServiceRevision | None:
    """The listing's pending revision, if one waits."""
    return db.session.scalars(
        sa.select(m.ServiceRevision).where(m.ServiceRevision.service_id == service_id,
                                           m.ServiceRevision.status == "pending")
        .order_by(m.ServiceRevision.id.desc())).first()


def _audit(service_id: str, action: str, changes: dict[str, Any]) -> None:
    db.session.execute(sa.insert(m.AuditLog.__table__).values(
        entity="service", entity_id=service_id, action=action, changes=changes,
        actor=current_actor(), created_at=m.utcnow()))


def propose(service_id: str, base: dict[str, Any], proposed: dict[str, Any]
            ) -> m.ServiceRevision:
    """Keep a change to a published listing for review. A pending revision by the same person
    is replaced (its base kept), so a proposal can be corrected before anyone reviews it."""
    parts = changed_parts(base, proposed)
    if not parts:
        raise ValidationError([FieldError("service", "nothing changed", service_id)])
    revision = pending_revision(service_id)
    if revision is not None and revision.proposed_by == current_actor():
        parts = changed_parts(revision.base, proposed)
        revision.proposed, revision.fields = proposed, parts
        revision.proposed_at = m.utcnow()
    else:
        if revision is not None:
            raise ValidationError([FieldError(
                "service", f"{revision.proposed_by} has a change to this listing waiting for "
                "review; it must be approved or sent back first", service_id)])
        revision = m.ServiceRevision(service_id=service_id, base=base, proposed=proposed,
                                     fields=parts, proposed_by=current_actor())
        db.session.add(revision)
    db.session.flush()
    _audit(service_id, "propose", {"revision": revision.id, "fields": parts})
    return revision


def _get(revision_id: int) -> m.ServiceRevision:
    revision = db.session.get(m.ServiceRevision, revision_id)
    if revision is None or revision.status != "pending":
        raise NotFound(f"no pending revision {revision_id}")
    return revision


def _publisher_count() -> int:
    return db.session.scalar(
        sa.select(sa.func.count(sa.distinct(m.User.id))).join(m.User.roles)
        .where(m.Role.name.in_(PUBLISHERS), m.User.active.is_(True))) or 0


def approval_problem(revision: m.ServiceRevision, user: Any) -> str | None:
    """Why ``user`` may not approve ``revision``, or None."""
    if not is_publisher(user):
        return "only a publisher can approve changes to a published listing"
    own = revision.proposed_by and revision.proposed_by == getattr(user, "email", None)
    contact = set(revision.fields) & set(review_fields())
    if own and contact:
        alone_ok = current_app.config.get("REVIEW_SELF_APPROVAL_WHEN_ALONE", True)
        if not (alone_ok and _publisher_count() <= 1):
            return "another publisher must approve your own change to contact details"
    return None


def approve(revision_id: int, user: Any) -> m.Service:
    """Write the proposed change to the listing. Parts a colleague changed since the proposal
    was made are refused, never overwritten."""
    revision = _get(revision_id)
    problem = approval_problem(revision, user)
    if problem:
        raise ValidationError([FieldError("revision", problem, revision.service_id)])
    service = db.session.get(m.Service, revision.service_id)
    current = editable_state(service)
    conflicts = [part for part in revision.fields
                 if current.get(part) != revision.base.get(part)
                 and current.get(part) != revision.proposed.get(part)]
    if conflicts:
        raise ValidationError([FieldError(
            f"service.{part}", "was changed by someone else after this proposal; send it back "
            "so it can be redone on the current listing", revision.service_id)
            for part in conflicts])
    data = {"id": service.id, **{part: revision.proposed.get(part) for part in revision.fields}}
    for key in LISTS:
        if key in data and data[key] is None:
            data[key] = []
    writer = RecordWriter()
    writer.save(m.Service, data)
    writer.finish()
    revision.status = "approved"
    revision.reviewed_by = current_actor()
    revision.reviewed_at = m.utcnow()
    db.session.flush()
    _audit(service.id, "approve", {"revision": revision.id, "fields": list(revision.fields),
                                   "proposed_by": revision.proposed_by})
    return service


def send_back(revision_id: int, user: Any, comment: str) -> m.ServiceRevision:
    """Return a proposal to its author with a comment; the listing is unchanged."""
    revision = _get(revision_id)
    if not is_publisher(user):
        raise ValidationError([FieldError("revision", "only a publisher can send a change back",
                                          revision.service_id)])
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError([FieldError("comment", "say what needs to change",
                                          revision.service_id)])
    revision.status = "returned"
    revision.comment = comment[:2000]
    revision.reviewed_by = current_actor()
    revision.reviewed_at = m.utcnow()
    db.session.flush()
    _audit(revision.service_id, "send back", {"revision": revision.id, "comment": comment[:2000],
                                              "proposed_by": revision.proposed_by})
    return revision


def withdraw(revision_id: int) -> m.ServiceRevision:
    """The author takes a proposal back."""
    revision = _get(revision_id)
    if revision.proposed_by != current_actor():
        raise ValidationError([FieldError("revision", "only its author can withdraw a proposal",
                                          revision.service_id)])
    revision.status = "withdrawn"
    db.session.flush()
    return revision


def pending_revisions() -> list[m.ServiceRevision]:
    """Every proposal waiting for review, oldest first."""
    return list(db.session.scalars(
        sa.select(m.ServiceRevision).where(m.ServiceRevision.status == "pending")
        .order_by(m.ServiceRevision.proposed_at)))


def live_listing_of(record: Any) -> m.Service | None:
    """The published listing a row edited on its own (a phone, hours, a location, an
    address) shows on, if any."""
    service_id = getattr(record, "service_id", None)
    if isinstance(record, m.Service):
        return None
    if service_id:
        service = db.session.get(m.Service, service_id)
        return service if service is not None and service.publication == "published" else None
    location_id = record.id if isinstance(record, m.Location) else getattr(
        record, "location_id", None)
    if location_id:
        return db.session.scalars(
            sa.select(m.Service).join(m.ServiceAtLocation,
                                      m.ServiceAtLocation.service_id == m.Service.id)
            .where(m.ServiceAtLocation.location_id == location_id,
                   m.Service.publication == "published")).first()
    return None


def check_direct_edit(record: Any, user: Any) -> None:
    """Editors change what a published listing shows through its editor, where the change is
    reviewed; publishers may edit such rows directly. Raise ValidationError."""
    if is_publisher(user):
        return
    with db.session.no_autoflush:
        service = live_listing_of(record)
    if service is not None:
        raise ValidationError([FieldError(
            "record", _("This belongs to the published listing “%(name)s”: change it in the "
                        "listing's editor, where the change is reviewed.", name=service.name),
            service.id)])
