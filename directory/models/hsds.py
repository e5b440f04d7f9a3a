"""HSDS 3.0 records (Open Referral), with our safety, workflow and translation extensions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Timestamped, Translatable, UTCDateTime, fk, id_column, make_translation_model

Text = sa.Text
Str = sa.String(255)

# HSDS service status values; only the first and last may be shown to the public.
SERVICE_STATUSES = ("active", "inactive", "defunct", "temporarily closed")
PUBLIC_STATUSES = ("active", "temporarily closed")
# Our publication workflow.
PUBLICATION_STATES = ("draft", "in_review", "published", "archived")
LOCATION_TYPES = ("physical", "postal", "virtual")


class Organization(Translatable, Timestamped, db.Model):
    __tablename__ = "organization"
    __translated__ = ("name", "alternate_name", "description")

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(Text, nullable=False)
    alternate_name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    email: Mapped[str | None] = mapped_column(Str)
    website: Mapped[str | None] = mapped_column(Text)
    tax_status: Mapped[str | None] = mapped_column(Str)
    tax_id: Mapped[str | None] = mapped_column(Str)
    year_incorporated: Mapped[int | None] = mapped_column(sa.Integer)
    legal_status: Mapped[str | None] = mapped_column(Str)
    logo: Mapped[str | None] = mapped_column(Text)
    uri: Mapped[str | None] = mapped_column(Text)
    parent_organization_id: Mapped[str | None] = mapped_column(sa.String(36), index=True)
    # Our extension: created by an import from a reference only; a curator should complete it.
    placeholder: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False,
                                              server_default=sa.false())

    services: Mapped[list[Service]] = relationship(back_populates="organization",
                                                   passive_deletes=True)

    def __repr__(self) -> str:
        return f"<Organization {self.id} {self.name!r}>"


class Program(Translatable, db.Model):
    __tablename__ = "program"
    __translated__ = ("name", "alternate_name", "description")

    id: Mapped[str] = id_column()
    organization_id: Mapped[str | None] = fk("organization.id")
    name: Mapped[str] = mapped_column(Text, nullable=False)
    alternate_name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")


class Service(Translatable, Timestamped, db.Model):
    __tablename__ = "service"
    __translated__ = ("name", "alternate_name", "description", "application_process",
                      "eligibility_description", "fees_description", "interpretation_services",
                      "wait_time", "alert")
    __table_args__ = (
        sa.CheckConstraint("status IN ('active', 'inactive', 'defunct', 'temporarily closed')",
                           name="status"),
        sa.CheckConstraint("publication IN ('draft', 'in_review', 'published', 'archived')",
                           name="publication"),
    )

    id: Mapped[str] = id_column()
    organization_id: Mapped[str | None] = fk("organization.id", ondelete="SET NULL")
    program_id: Mapped[str | None] = fk("program.id", ondelete="SET NULL")
    name: Mapped[str] = mapped_column(Text, nullable=False)
    alternate_name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Str)
    status: Mapped[str] = mapped_column(sa.String(32), nullable=False, default="active")
    interpretation_services: Mapped[str | None] = mapped_column(Text)
    application_process: Mapped[str | None] = mapped_column(Text)
    fees_description: Mapped[str | None] = mapped_column(Text)
    wait_time: Mapped[str | None] = mapped_column(Text)
    fees: Mapped[str | None] = mapped_column(Text)
    accreditations: Mapped[str | None] = mapped_column(Text)
    eligibility_description: Mapped[str | None] = mapped_column(Text)
    minimum_age: Mapped[float | None] = mapped_column(sa.Float)
    maximum_age: Mapped[float | None] = mapped_column(sa.Float)
    assured_date: Mapped[date | None] = mapped_column(sa.Date)
    assurer_email: Mapped[str | None] = mapped_column(Str)
    licenses: Mapped[str | None] = mapped_column(Text)
    alert: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Our extensions.
    publication: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="draft",
                                             index=True)
    last_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_by: Mapped[str | None] = mapped_column(Str)
    crisis_line: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    open_24_7: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    # Freshness (models/freshness.py): the plan and the latest state of this listing's checks.
    # Days between checks for this listing; None: from its categories' risk tier.
    verify_interval_days: Mapped[int | None] = mapped_column(sa.Integer)
    # How the latest check was made (VERIFICATION_METHODS), shown to the public.
    last_verified_method: Mapped[str | None] = mapped_column(sa.String(16))
    # Set when reports make the listing due at once; cleared by the next completed check.
    due_now_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_now_reason: Mapped[str | None] = mapped_column(sa.String(64))
    # Needs the team lead (could not be reached twice in a row, overdue crisis line, ...).
    lead_flag: Mapped[str | None] = mapped_column(sa.String(64))
    # Capacity (CAPACITY_STATES) for shelters and walk-in services, and when it was set.
    capacity: Mapped[str | None] = mapped_column(sa.String(16))
    capacity_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    capacity_updated_by: Mapped[str | None] = mapped_column(Str)
    # The public alert (``alert``) is shown until then; None: until removed.
    alert_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Whose "Today's checks" queue the listing is in (a staff e-mail), since when; cleared by
    # the next check that reached the service.
    check_assignee: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    check_assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped by every update: an edit based on an older version is refused, never merged blindly.
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1,
                                         server_default="1")
    __mapper_args__ = {"version_id_col": version}

    organization: Mapped[Organization | None] = relationship(back_populates="services")
    program: Mapped[Program | None] = relationship()
    service_at_locations: Mapped[list[ServiceAtLocation]] = relationship(
        back_populates="service", cascade="all, delete-orphan", passive_deletes=True)
    phones: Mapped[list[Phone]] = relationship(foreign_keys="Phone.service_id",
                                               passive_deletes="all")
    schedules: Mapped[list[Schedule]] = relationship(foreign_keys="Schedule.service_id",
                                                     passive_deletes="all")
    languages: Mapped[list[Language]] = relationship(foreign_keys="Language.service_id",
                                                     passive_deletes="all")
    service_areas: Mapped[list[ServiceArea]] = relationship(cascade="all, delete-orphan",
                                                            passive_deletes=True)
    cost_options: Mapped[list[CostOption]] = relationship(cascade="all, delete-orphan",
                                                          passive_deletes=True)
    required_documents: Mapped[list[RequiredDocument]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True)

    @hybrid_property
    def is_public(self) -> bool:
        """Whether the public may see this listing (in SQL: ``where(Service.is_public)``).

        The one definition of "public": published, and active or temporarily closed.
        """
        return self.publication == "published" and self.status in PUBLIC_STATUSES

    @is_public.inplace.expression
    @classmethod
    def _is_public_expression(cls) -> sa.ColumnElement[bool]:
        return sa.and_(cls.publication == "published", cls.status.in_(PUBLIC_STATUSES))

    def __repr__(self) -> str:
        return f"<Service {self.id} {self.name!r}>"


class Location(Translatable, Timestamped, db.Model):
    __tablename__ = "location"
    __translated__ = ("name", "alternate_name", "description", "transportation", "public_area")

    id: Mapped[str] = id_column()
    location_type: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="physical")
    url: Mapped[str | None] = mapped_column(Text)
    organization_id: Mapped[str | None] = fk("organization.id", ondelete="SET NULL")
    name: Mapped[str | None] = mapped_column(Text)
    alternate_name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    transportation: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(sa.Float)
    longitude: Mapped[float | None] = mapped_column(sa.Float)
    external_identifier: Mapped[str | None] = mapped_column(Str)
    external_identifier_type: Mapped[str | None] = mapped_column(Str)
    # Safety: a confidential site shows only public_area, never its address or coordinates.
    confidential: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    public_area: Mapped[str | None] = mapped_column(Text)

    addresses: Mapped[list[Address]] = relationship(cascade="all, delete-orphan",
                                                    passive_deletes=True)
    accessibility: Mapped[list[Accessibility]] = relationship(cascade="all, delete-orphan",
                                                              passive_deletes=True)
    phones: Mapped[list[Phone]] = relationship(foreign_keys="Phone.location_id",
                                               passive_deletes="all")
    schedules: Mapped[list[Schedule]] = relationship(foreign_keys="Schedule.location_id",
                                                     passive_deletes="all")
    languages: Mapped[list[Language]] = relationship(foreign_keys="Language.location_id",
                                                     passive_deletes="all")

    def __str__(self) -> str:
        """Name and where it is, as staff pick it ("Main office — 12 Main St, Surrey")."""
        address = self.addresses[0] if self.addresses else None
        where = ", ".join(x for x in (address.address_1, address.city) if x) if address else ""
        where = where or (self.public_area or "")
        name = self.name or ""
        return f"{name} — {where}" if name and where else (name or where)


class ServiceAtLocation(Translatable, db.Model):
    __tablename__ = "service_at_location"
    __translated__ = ("description",)

    id: Mapped[str] = id_column()
    service_id: Mapped[str | None] = fk("service.id")
    location_id: Mapped[str | None] = fk("location.id")
    description: Mapped[str | None] = mapped_column(Text)

    service: Mapped[Service | None] = relationship(back_populates="service_at_locations")
    location: Mapped[Location | None] = relationship()


class Address(db.Model):
    __tablename__ = "address"

    id: Mapped[str] = id_column()
    location_id: Mapped[str | None] = fk("location.id")
    attention: Mapped[str | None] = mapped_column(Text)
    address_1: Mapped[str] = mapped_column(Text, nullable=False, default="")
    address_2: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str] = mapped_column(Str, nullable=False, default="")
    region: Mapped[str | None] = mapped_column(Str)
    state_province: Mapped[str] = mapped_column(Str, nullable=False, default="")
    postal_code: Mapped[str] = mapped_column(sa.String(32), nullable=False, default="")
    country: Mapped[str] = mapped_column(sa.String(8), nullable=False, default="")
    address_type: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="physical")


class Contact(db.Model):
    __tablename__ = "contact"

    id: Mapped[str] = id_column()
    organization_id: Mapped[str | None] = fk("organization.id")
    service_id: Mapped[str | None] = fk("service.id")
    service_at_location_id: Mapped[str | None] = fk("service_at_location.id")
    location_id: Mapped[str | None] = fk("location.id")
    name: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    department: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Str)


class Phone(Translatable, db.Model):
    __tablename__ = "phone"
    __translated__ = ("description", "hours")

    id: Mapped[str] = id_column()
    location_id: Mapped[str | None] = fk("location.id")
    service_id: Mapped[str | None] = fk("service.id")
    organization_id: Mapped[str | None] = fk("organization.id")
    contact_id: Mapped[str | None] = fk("contact.id")
    service_at_location_id: Mapped[str | None] = fk("service_at_location.id")
    number: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    extension: Mapped[int | None] = mapped_column(sa.Integer)
    type: Mapped[str | None] = mapped_column(sa.String(32))
    description: Mapped[str | None] = mapped_column(Text)
    # Safe-contact notes for people whose phone may be watched.
    text_ok: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    voicemail_safe: Mapped[bool | None] = mapped_column(sa.Boolean)
    tty: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    hours: Mapped[str | None] = mapped_column(Text)

    languages: Mapped[list[Language]] = relationship(foreign_keys="Language.phone_id",
                                                     passive_deletes="all")


class Schedule(Translatable, db.Model):
    __tablename__ = "schedule"
    __translated__ = ("description", "notes")

    id: Mapped[str] = id_column()
    service_id: Mapped[str | None] = fk("service.id")
    location_id: Mapped[str | None] = fk("location.id")
    service_at_location_id: Mapped[str | None] = fk("service_at_location.id")
    valid_from: Mapped[date | None] = mapped_column(sa.Date)
    valid_to: Mapped[date | None] = mapped_column(sa.Date)
    dtstart: Mapped[date | None] = mapped_column(sa.Date)
    timezone: Mapped[float | None] = mapped_column(sa.Float)
    until: Mapped[date | None] = mapped_column(sa.Date)
    count: Mapped[int | None] = mapped_column(sa.Integer)
    wkst: Mapped[str | None] = mapped_column(sa.String(2))
    freq: Mapped[str | None] = mapped_column(sa.String(16))
    interval: Mapped[int | None] = mapped_column(sa.Integer)
    byday: Mapped[str | None] = mapped_column(sa.String(64))
    byweekno: Mapped[str | None] = mapped_column(sa.String(255))
    bymonthday: Mapped[str | None] = mapped_column(sa.String(255))
    byyearday: Mapped[str | None] = mapped_column(sa.String(255))
    description: Mapped[str | None] = mapped_column(Text)
    opens_at: Mapped[time | None] = mapped_column(sa.Time)
    closes_at: Mapped[time | None] = mapped_column(sa.Time)
    schedule_link: Mapped[str | None] = mapped_column(Text)
    attending_type: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    timezone_name: Mapped[str | None] = mapped_column(sa.String(64))


class Taxonomy(db.Model):
    __tablename__ = "taxonomy"

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(Text, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    uri: Mapped[str | None] = mapped_column(Text)
    version: Mapped[str | None] = mapped_column(Str)
    # Our extension: created by an import from a term's taxonomy_id only; a curator names it.
    placeholder: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False,
                                              server_default=sa.false())


class TaxonomyTerm(Translatable, db.Model):
    __tablename__ = "taxonomy_term"
    __translated__ = ("name", "description")

    id: Mapped[str] = id_column()
    code: Mapped[str | None] = mapped_column(Str, index=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # Not a foreign key: HSDS data often names parents outside the file being imported.
    parent_id: Mapped[str | None] = mapped_column(sa.String(36), index=True)
    taxonomy: Mapped[str | None] = mapped_column(Str)
    taxonomy_id: Mapped[str | None] = fk("taxonomy.id", ondelete="SET NULL")
    language: Mapped[str | None] = mapped_column(sa.String(16))
    term_uri: Mapped[str | None] = mapped_column(Text)
    # Our extension: days between checks of listings in this category (None: inherited/default).
    verify_interval_days: Mapped[int | None] = mapped_column(sa.Integer)

    taxonomy_detail: Mapped[Taxonomy | None] = relationship()

    # -- walking the tree (the one implementation; cycles and dangling parents are cut) -------
    @classmethod
    def with_descendants(cls, connection: Any, term_ids: Iterable[str]) -> set[str]:
        """``term_ids`` and the ids of every term below them (``connection``: a Session or
        Connection, so the session hooks can use it mid-flush)."""
        return cls._walk(connection, term_ids, cls.parent_id, cls.id)

    @classmethod
    def with_ancestors(cls, connection: Any, term_ids: Iterable[str]) -> set[str]:
        """``term_ids`` and the ids of every term above them."""
        return cls._walk(connection, term_ids, cls.id, cls.parent_id)

    @classmethod
    def _walk(cls, connection: Any, term_ids: Iterable[str], match: Any, step: Any) -> set[str]:
        found = set(term_ids)
        frontier = set(found)
        while frontier:
            nxt = set(connection.execute(sa.select(step).where(
                match.in_(frontier), step.is_not(None))).scalars())
            frontier = nxt - found
            found |= frontier
        return found


class ServiceArea(Translatable, db.Model):
    __tablename__ = "service_area"
    __translated__ = ("name", "description")

    id: Mapped[str] = id_column()
    service_id: Mapped[str | None] = fk("service.id")
    name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    extent: Mapped[str | None] = mapped_column(Text)
    extent_type: Mapped[str | None] = mapped_column(sa.String(32))
    uri: Mapped[str | None] = mapped_column(Text)


class Language(db.Model):
    __tablename__ = "language"

    id: Mapped[str] = id_column()
    service_id: Mapped[str | None] = fk("service.id")
    location_id: Mapped[str | None] = fk("location.id")
    phone_id: Mapped[str | None] = fk("phone.id")
    name: Mapped[str | None] = mapped_column(Str)
    code: Mapped[str | None] = mapped_column(sa.String(16), index=True)
    note: Mapped[str | None] = mapped_column(Text)


class Accessibility(Translatable, db.Model):
    __tablename__ = "accessibility"
    __translated__ = ("description", "details")

    id: Mapped[str] = id_column()
    location_id: Mapped[str | None] = fk("location.id")
    description: Mapped[str | None] = mapped_column(Text)
    details: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)


class CostOption(Translatable, db.Model):
    __tablename__ = "cost_option"
    __translated__ = ("option", "amount_description")

    id: Mapped[str] = id_column()
    service_id: Mapped[str | None] = fk("service.id")
    valid_from: Mapped[date | None] = mapped_column(sa.Date)
    valid_to: Mapped[date | None] = mapped_column(sa.Date)
    option: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str | None] = mapped_column(sa.String(8))
    amount: Mapped[float | None] = mapped_column(sa.Float)
    amount_description: Mapped[str | None] = mapped_column(Text)


class RequiredDocument(Translatable, db.Model):
    __tablename__ = "required_document"
    __translated__ = ("document",)

    id: Mapped[str] = id_column()
    service_id: Mapped[str | None] = fk("service.id")
    document: Mapped[str | None] = mapped_column(Text)
    uri: Mapped[str | None] = mapped_column(Text)


class Funding(db.Model):
    __tablename__ = "funding"

    id: Mapped[str] = id_column()
    organization_id: Mapped[str | None] = fk("organization.id")
    service_id: Mapped[str | None] = fk("service.id")
    source: Mapped[str | None] = mapped_column(Text)


class OrganizationIdentifier(db.Model):
    __tablename__ = "organization_identifier"

    id: Mapped[str] = id_column()
    organization_id: Mapped[str | None] = fk("organization.id")
    identifier_scheme: Mapped[str | None] = mapped_column(Str)
    identifier_type: Mapped[str] = mapped_column(Str, nullable=False, default="")
    identifier: Mapped[str] = mapped_column(Str, nullable=False, default="")


class Url(db.Model):
    """Additional web addresses of an organization or service (HSDS 3.1 ``url``)."""

    __tablename__ = "url"

    id: Mapped[str] = id_column()
    label: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text, nullable=False)
    organization_id: Mapped[str | None] = fk("organization.id")
    service_id: Mapped[str | None] = fk("service.id")


class Attribute(db.Model):
    """Links a taxonomy term to any record (HSDS ``attribute``): how services get categories."""

    __tablename__ = "attribute"
    __table_args__ = (sa.Index("ix_attribute_link", "link_entity", "link_id"),)

    id: Mapped[str] = id_column()
    link_id: Mapped[str | None] = mapped_column(sa.String(36))
    taxonomy_term_id: Mapped[str | None] = fk("taxonomy_term.id")
    link_type: Mapped[str | None] = mapped_column(Str)
    link_entity: Mapped[str | None] = mapped_column(sa.String(64))
    value: Mapped[str | None] = mapped_column(Text)

    taxonomy_term: Mapped[TaxonomyTerm | None] = relationship()


class Metadata(db.Model):
    """HSDS per-field change records as received from or sent to other systems."""

    __tablename__ = "metadata"
    __table_args__ = (sa.Index("ix_metadata_resource", "resource_type", "resource_id"),)

    id: Mapped[str] = id_column()
    resource_id: Mapped[str | None] = mapped_column(sa.String(36))
    resource_type: Mapped[str | None] = mapped_column(sa.String(64))
    last_action_date: Mapped[date | None] = mapped_column(sa.Date)
    last_action_type: Mapped[str | None] = mapped_column(Str)
    field_name: Mapped[str | None] = mapped_column(Str)
    previous_value: Mapped[str | None] = mapped_column(Text)
    replacement_value: Mapped[str | None] = mapped_column(Text)
    updated_by: Mapped[str | None] = mapped_column(Str)


OrganizationTranslation = make_translation_model(Organization, "OrganizationTranslation")
ProgramTranslation = make_translation_model(Program, "ProgramTranslation")
ServiceTranslation = make_translation_model(Service, "ServiceTranslation")
LocationTranslation = make_translation_model(Location, "LocationTranslation")
ServiceAtLocationTranslation = make_translation_model(ServiceAtLocation,
                                                      "ServiceAtLocationTranslation")
PhoneTranslation = make_translation_model(Phone, "PhoneTranslation")
ScheduleTranslation = make_translation_model(Schedule, "ScheduleTranslation")
TaxonomyTermTranslation = make_translation_model(TaxonomyTerm, "TaxonomyTermTranslation")
ServiceAreaTranslation = make_translation_model(ServiceArea, "ServiceAreaTranslation")
AccessibilityTranslation = make_translation_model(Accessibility, "AccessibilityTranslation")
CostOptionTranslation = make_translation_model(CostOption, "CostOptionTranslation")
RequiredDocumentTranslation = make_translation_model(RequiredDocument,
                                                     "RequiredDocumentTranslation")
