"""Service lifecycle: create, update, review, publish, verify, archive."""

from __future__ import annotations

from typing import Any

from .. import models as m
from ..extensions import db
from .errors import FieldError, NotFound, ValidationError
from .records import RecordWriter, delete_record, save_record

# Which publication moves are allowed, from -> to.
TRANSITIONS = {
    "draft": {"in_review", "published", "archived"},
    "in_review": {"draft", "published", "archived"},
    "published": {"draft", "in_review", "archived"},
    "archived": {"draft"},
}


def get_service(service_id: str) -> m.Service:
    """Return the service or raise NotFound."""
    service = db.session.get(m.Service, service_id)
    if service is None:
        raise NotFound(f"no service with id {service_id}")
    return service


def create_service(data: dict[str, Any]) -> m.Service:
    """Create a service (and what it nests) from its HSDS 3.0 form; new services start as drafts."""
    if data.get("id") and db.session.get(m.Service, data["id"]) is not None:
        raise ValidationError([FieldError("service.id", "a service with this id already exists",
                                          data["id"])])
    return save_record(m.Service, {"publication": "draft", **data})


def update_service(service_id: str, data: dict[str, Any]) -> m.Service:
    """Update the fields present in ``data``; nested lists present replace the current ones."""
    get_service(service_id)
    return save_record(m.Service, {**data, "id": service_id})


def _move(service_id: str, target: str) -> m.Service:
    service = get_service(service_id)
    if target != service.publication and target not in TRANSITIONS[service.publication]:
        raise ValidationError([FieldError(
            "service.publication", f"cannot go from {service.publication} to {target}",
            service_id)])
    service.publication = target
    db.session.flush()
    return service


def publishing_problems(service: m.Service) -> list[FieldError]:
    """What keeps a service from being published."""
    problems = []
    if not (service.description or "").strip():
        problems.append(FieldError("service.description", "is required to publish", service.id))
    if service.status not in m.PUBLIC_STATUSES:
        problems.append(FieldError("service.status",
                                   f"a {service.status} service cannot be published", service.id))
    has_phone = db.session.query(m.Phone.id).filter(m.Phone.service_id == service.id).first()
    if not (has_phone or service.url or service.email or service.service_at_locations):
        problems.append(FieldError("service.phones",
                                   "add a phone, website, email or location to publish",
                                   service.id))
    return problems


def submit_service_for_review(service_id: str) -> m.Service:
    """Move a draft into review."""
    return _move(service_id, "in_review")


def publish_service(service_id: str) -> m.Service:
    """Publish a service after checking it is complete enough for the public."""
    problems = publishing_problems(get_service(service_id))
    if problems:
        raise ValidationError(problems)
    return _move(service_id, "published")


def unpublish_service(service_id: str) -> m.Service:
    """Take a service back to draft."""
    return _move(service_id, "draft")


def archive_service(service_id: str) -> m.Service:
    """Archive a service: hidden from the public, kept for the record."""
    return _move(service_id, "archived")


def verify_service(service_id: str, *, verified_by: str) -> m.Service:
    """Record that a curator confirmed the listing is correct today."""
    service = get_service(service_id)
    service.last_verified_at = m.utcnow()
    service.verified_by = verified_by
    # A check by a method not named: the plan moves on as for any check that reached them.
    service.due_now_at = service.due_now_reason = None
    service.check_assignee = service.check_assigned_at = None
    db.session.flush()
    return service


def translate_service(service_id: str, locale: str, values: dict[str, str]) -> m.Service:
    """Add or replace one locale's translation of a service's text."""
    service = get_service(service_id)
    current = [{"locale": row.locale,
                **{f: getattr(row, f) for f in service.__translated__},
                "source_digest": row.source_digest}
               for row in service.translations if row.locale != locale]
    current.append({"locale": locale, **values})
    writer = RecordWriter()
    writer.save(m.Service, {"id": service_id, "translations": current})
    writer.finish()
    return service


def delete_service(service_id: str) -> None:
    """Delete a service and the records only it owns."""
    delete_record(get_service(service_id))
