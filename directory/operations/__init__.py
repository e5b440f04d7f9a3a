"""Every write to the directory: validate, change, flush. Callers own the commit."""

from . import revisions  # noqa: F401  (operations.revisions: reviewed changes to live listings)
from . import freshness  # noqa: F401  (operations.freshness: the verification plan and checks)

from .accounts import check_account_deletion, end_sessions, save_account
from .audit import acting_as, actor_name, current_actor, set_actor
from .errors import FieldError, NotFound, ValidationError
from .pages import clean_page_markdown, save_edited_page, save_page
from .partners import is_origin, partner_origins, save_partner
from .records import (
    RecordWriter, delete_record, save_edited_record, save_record, validate_record,
)
from .services import (
    archive_service, create_service, delete_service, get_service, publish_service,
    publishing_problems, submit_service_for_review, translate_service,
    unpublish_service, update_service, verify_service,
)
from .concepts import save_concept_term
from .synonyms import save_synonym_group
from .translations import (
    confirm_translation, refresh_translation_digests, save_translation, translate_record,
)

__all__ = [
    "acting_as", "actor_name", "current_actor", "set_actor",
    "FieldError", "NotFound", "ValidationError", "RecordWriter", "save_record", "save_page",
    "save_edited_record", "validate_record", "delete_record", "save_edited_page", "clean_page_markdown",
    "save_translation", "refresh_translation_digests", "translate_record", "confirm_translation", "save_synonym_group", "save_concept_term", "save_partner",
    "is_origin", "partner_origins", "save_account", "check_account_deletion", "end_sessions",
    "archive_service", "create_service", "delete_service", "get_service", "publish_service",
    "publishing_problems", "submit_service_for_review", "translate_service",
    "unpublish_service", "update_service", "verify_service",
]
