"""Every write to the directory: validate, change, flush. Callers own the commit."""

from .audit import acting_as, actor_name, current_actor, set_actor
from .errors import FieldError, NotFound, ValidationError
from .pages import save_page
from .records import RecordWriter, save_record
from .services import (
    archive_service, create_service, delete_service, get_service, publish_service,
    publishing_problems, submit_service_for_review, translate_service,
    unpublish_service, update_service, verify_service,
)

__all__ = [
    "acting_as", "actor_name", "current_actor", "set_actor",
    "FieldError", "NotFound", "ValidationError", "RecordWriter", "save_record", "save_page",
    "archive_service", "create_service", "delete_service", "get_service", "publish_service",
    "publishing_problems", "submit_service_for_review", "translate_service",
    "unpublish_service", "update_service", "verify_service",
]
