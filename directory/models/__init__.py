"""SQLAlchemy models: HSDS 3.0 records and our extensions."""

from .accounts import ROLES, AuditLog, Partner, Role, User
from .base import is_record_id, new_id, utcnow
from .changes import SearchChange, SearchConceptTerm, SearchMiss, SearchSynonym
from .content import Page, PageTranslation, page_taxonomy_term
from .hsds import (
    LOCATION_TYPES, PUBLIC_STATUSES, PUBLICATION_STATES, SERVICE_STATUSES, Accessibility,
    AccessibilityTranslation, Address, Attribute, Contact, CostOption, CostOptionTranslation,
    Funding, Language, Location, LocationTranslation, Metadata, Organization,
    OrganizationIdentifier, OrganizationTranslation, Phone, PhoneTranslation, Program,
    ProgramTranslation, RequiredDocument, RequiredDocumentTranslation, Schedule,
    ScheduleTranslation, Service, ServiceArea, ServiceAreaTranslation, ServiceAtLocation,
    ServiceAtLocationTranslation, ServiceTranslation, Taxonomy, TaxonomyTerm,
    TaxonomyTermTranslation, Url,
)
from .freshness import (
    CAPACITY_STATES, CHECKED_FACTS, FACT_OUTCOMES, REPORT_KINDS, REPORT_NOTE_MAX, REPORT_STATES,
    REQUEST_STATES, VERIFICATION_METHODS, HoursException, ProblemReport, Verification,
    VerificationRequest,
)
from .revisions import REVISION_STATES, ServiceRevision
from . import events  # noqa: F401  (registers the audit and change-log hooks)

__all__ = [name for name in dir() if not name.startswith("_")]
