"""Search documents built from services: what each listing contributes to the index.

Only published, public services are indexed, and confidential locations contribute their public
area only: their address and coordinates never reach the index.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from .. import models as m
from ..extensions import db
from ..i18n import SUPPORTED_LOCALES
from .analyzers import set_curated_synonyms
from .concepts import set_curated_terms
from .changes import DOCUMENT_PARTS, load_options
from .row import HoursChange, Phone, Schedule, SearchRow
from .schema import name_field, text_field

DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# Taxonomy codes that become flags (facets and filters), beside the service's own booleans.
FLAG_TERM_CODES = {"walk-in": "walk_in", "appointment": "appointment",
                   "anonymous-testing": "anonymous", "confidential-testing": "confidential",
                   "home-test-kits": "home_kits", "online-service": "online", "free": "free"}
SERVICE_TEXT_FIELDS = ("alternate_name", "description", "eligibility_description",
                       "application_process", "fees_description", "interpretation_services")


def fold(text: str) -> str:
    """Lowercase and strip accents (for facet keys like city names)."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass
class TermInfo:
    id: str
    code: str | None
    parent_id: str | None
    names: dict[str, str]
    interval: int | None = None  # the term's own verification interval (days)


class Taxonomy:
    """All taxonomy terms with their labels in every locale, loaded once per build or query."""

    def __init__(self, terms: Iterable[m.TaxonomyTerm]):
        self.terms: dict[str, TermInfo] = {}
        self.by_code: dict[str, str] = {}
        for term in terms:
            names = {term.text_language or "en": term.name}
            for row in term.translations:
                if row.name:
                    names[row.locale] = row.name
            self.terms[term.id] = TermInfo(term.id, term.code, term.parent_id, names,
                                           getattr(term, "verify_interval_days", None))
            if term.code:
                self.by_code[term.code] = term.id

    @classmethod
    def load(cls, session: Session | None = None) -> Taxonomy:
        session = session or db.session
        return cls(session.scalars(sa.select(m.TaxonomyTerm)
                                   .options(selectinload(m.TaxonomyTerm.translations))))

    def with_ancestors(self, term_id: str) -> list[str]:
        """The term and every ancestor, nearest first (cycles and dangling parents are cut)."""
        out: list[str] = []
        current: str | None = term_id
        while current and current in self.terms and current not in out:
            out.append(current)
            current = self.terms[current].parent_id
        return out

    def root_code(self, term_id: str) -> str | None:
        chain = self.with_ancestors(term_id)
        return self.terms[chain[-1]].code if chain else None

    def label(self, term_id: str, locale: str) -> str:
        names = self.terms[term_id].names
        return names.get(locale) or names.get("en") or next(iter(names.values()), "")

    def resolve(self, value: str) -> str | None:
        """A term id from an id or a code."""
        if value in self.terms:
            return value
        return self.by_code.get(value)


def load_curated_synonyms(session: Session) -> bool:
    """Give the analyzers the back office's synonym groups; True if they changed."""
    groups: dict[str, list[list[str]]] = {}
    rows = session.execute(sa.select(m.SearchSynonym.locale, m.SearchSynonym.terms)
                           .order_by(m.SearchSynonym.id))
    for locale, terms in rows:
        members = m.SearchSynonym.split(terms)
        if len(members) >= 2:
            groups.setdefault(locale, []).append(members)
    return set_curated_synonyms(groups)


def load_curated_concepts(session: Session) -> bool:
    """Give the concepts the back office's words and phrases; True if they changed."""
    rows = session.execute(sa.select(
        m.SearchConceptTerm.concept_id, m.SearchConceptTerm.locale, m.SearchConceptTerm.kind,
        m.SearchConceptTerm.text))
    return set_curated_terms(tuple(row) for row in rows)


def load_services(ids: Iterable[str] | None = None, *,
                  session: Session | None = None) -> list[m.Service]:
    """Services with everything a document needs (``changes.DOCUMENT_PARTS``), in a handful
    of queries."""
    query = sa.select(m.Service).options(*load_options())
    if ids is not None:
        query = query.where(m.Service.id.in_(list(ids)))
    return list((session or db.session).scalars(query.order_by(m.Service.id)))


class Record:
    """A plain, read-only copy of one row and the related rows a document reads.

    ``load_records`` fills its column attributes and the relationships of ``DOCUMENT_PARTS``
    (lists, or one record or None for a many-to-one); reading anything else is an error, so a
    document cannot quietly depend on something the loader does not load.
    """

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)

    @property
    def is_public(self) -> bool:
        return _IS_PUBLIC(self)  # the one definition of "public"

    def __repr__(self) -> str:
        return f"<Record {self.__dict__.get('id')!r}>"


_IS_PUBLIC = m.Service.__dict__["is_public"].fget


def _column_attributes(model: type) -> list[tuple[str, sa.Column]]:
    mapper = sa.inspect(model)
    return [(attr.key, attr.columns[0]) for attr in mapper.column_attrs]


def _select_rows(session: Session, model: type, column: sa.Column, values: list[Any],
                 order_by: Any) -> list[Record]:
    """Rows of ``model`` whose ``column`` is in ``values`` (in chunks: parameter limits)."""
    attributes = _column_attributes(model)
    keys = [key for key, _col in attributes]
    query = sa.select(*(col for _key, col in attributes))
    out: list[Record] = []
    for start in range(0, len(values), 900):
        chunk = values[start:start + 900]
        statement = query.where(column.in_(chunk))
        if order_by is not None:
            statement = statement.order_by(*order_by)
        out.extend(Record(dict(zip(keys, row))) for row in session.execute(statement))
    return out


def _fill(session: Session, parents: list[Record], parts: dict) -> None:
    """Load each relationship of ``parts`` for every parent with one query per relationship."""
    for relationship, below in parts.items():
        prop = relationship.property
        assert prop.secondary is None and len(prop.local_remote_pairs) == 1, prop
        (local, remote), = prop.local_remote_pairs
        keys = list(dict.fromkeys(getattr(p, local.key) for p in parents
                                  if getattr(p, local.key) is not None))
        order_by = list(prop.order_by) if prop.order_by else None
        children = _select_rows(session, prop.mapper.class_, remote, keys, order_by) \
            if keys else []
        grouped: dict[Any, list[Record]] = defaultdict(list)
        for child in children:
            grouped[getattr(child, remote.key)].append(child)
        for parent in parents:
            found = grouped.get(getattr(parent, local.key), [])
            setattr(parent, prop.key, list(found) if prop.uselist
                    else (found[0] if found else None))
        if below and children:
            _fill(session, children, below)


def load_records(ids: Iterable[str], *, session: Session | None = None) -> list[Record]:
    """Services with everything a document needs (``changes.DOCUMENT_PARTS``) as plain
    records: one query per table, no ORM objects (building those was most of a rebuild).

    ``service_to_document`` gives the same document for a record as for the ORM service
    (tests/search/test_documents_batch.py)."""
    session = session or db.session
    services = _select_rows(session, m.Service, m.Service.id, list(ids), [m.Service.id])
    _fill(session, services, DOCUMENT_PARTS)
    return services


def service_term_ids(service_ids: list[str], session: Session | None = None
                     ) -> dict[str, list[str]]:
    """Taxonomy term ids attached to each service."""
    session = session or db.session
    out: dict[str, list[str]] = defaultdict(list)
    for chunk_start in range(0, len(service_ids), 900):
        chunk = service_ids[chunk_start:chunk_start + 900]
        rows = session.execute(sa.select(m.Attribute.link_id, m.Attribute.taxonomy_term_id)
                                  .where(m.Attribute.link_entity == "service",
                                         m.Attribute.link_id.in_(chunk),
                                         m.Attribute.taxonomy_term_id.is_not(None)))
        for link_id, term_id in rows:
            out[link_id].append(term_id)
    return out


def _texts(record: Any, field: str) -> dict[str, str]:
    """A field's text in every locale it exists in."""
    out = {}
    base = getattr(record, field, None)
    if base:
        out[record.text_language or "en"] = base
    for row in getattr(record, "translations", []):
        value = getattr(row, field, None)
        if value:
            out[row.locale] = value
    return out


def schedule_rows(schedules: Iterable[m.Schedule], default_tz: str) -> list[Schedule]:
    """The weekly opening-hours rows of HSDS schedules (others, e.g. monthly, are left out)."""
    rows = []
    for schedule in schedules:
        if not schedule.opens_at or not schedule.closes_at:
            continue
        if schedule.freq and schedule.freq.upper() not in ("WEEKLY", "DAILY"):
            continue
        if schedule.byday and (schedule.freq or "WEEKLY").upper() == "WEEKLY":
            days = [DAY_CODES.index(d.strip().upper()[-2:]) for d in schedule.byday.split(",")
                    if d.strip().upper()[-2:] in DAY_CODES]
        else:
            days = list(range(7))
        opens = schedule.opens_at.hour * 60 + schedule.opens_at.minute
        closes = schedule.closes_at.hour * 60 + schedule.closes_at.minute
        if closes == 23 * 60 + 59:
            closes = 24 * 60
        rows.append(Schedule(tuple(days), opens, closes, schedule.timezone_name or default_tz,
                             schedule.valid_from, schedule.valid_to))
    return rows


def exception_rows(exceptions: Iterable[Any], *, since: datetime | None = None
                   ) -> list[HoursChange]:
    """The dated closures and changed hours of a listing that have not ended (``since``:
    today, less a day for time zones behind UTC)."""
    cutoff = ((since or datetime.now(UTC)) - timedelta(days=1)).date()
    rows = []
    for row in exceptions:
        if row.ends_on is None or row.starts_on is None or row.ends_on < cutoff:
            continue
        changed = not row.closed and row.opens_at is not None and row.closes_at is not None
        opens = closes = None
        if changed:
            opens = row.opens_at.hour * 60 + row.opens_at.minute
            closes = row.closes_at.hour * 60 + row.closes_at.minute
            if closes == 23 * 60 + 59:
                closes = 24 * 60
        rows.append(HoursChange(row.starts_on, row.ends_on, not changed, opens, closes,
                                (row.reason or "").strip() or None))
    return sorted(rows, key=lambda e: (e.starts, e.ends))


def listing_timezone(schedules: list[Schedule], default_tz: str) -> str:
    """The listing's own time zone: its hours' zone, else the directory's."""
    return schedules[0].timezone if schedules else default_tz


def _interval_defaults() -> tuple[int, Mapping[str, int]]:
    from flask import current_app, has_app_context

    if not has_app_context():
        return 180, {}
    config = current_app.config
    return (int(config.get("VERIFY_INTERVAL_DAYS", 180)),
            dict(config.get("VERIFY_INTERVALS_BY_CATEGORY", {})))


def listing_interval(service: Any, term_ids: Iterable[str], taxonomy: Taxonomy,
                     defaults: tuple[int, Mapping[str, int]] | None = None) -> int:
    """Days between checks, as ``operations.freshness.intervals_for`` decides them: the
    listing's own value, else the shortest of its categories' (own, else by code, nearest
    ancestor first), 30 days for a crisis line, else the default."""
    from ..operations.freshness import CRISIS_LINE_DAYS

    if service.verify_interval_days:
        return int(service.verify_interval_days)
    default, by_code = defaults or _interval_defaults()
    candidates = []
    for term_id in term_ids:
        for ancestor in taxonomy.with_ancestors(term_id):
            info = taxonomy.terms[ancestor]
            if info.interval:
                candidates.append(int(info.interval))
                break
            if info.code and info.code in by_code:
                candidates.append(int(by_code[info.code]))
                break
    if service.crisis_line:
        candidates.append(CRISIS_LINE_DAYS)
    return min(candidates) if candidates else default


def listing_due_at(service: Any, interval: int) -> datetime | None:
    """When the listing is due for its next check (``operations.freshness.due_at``)."""
    if service.due_now_at is not None:
        return service.due_now_at
    base = service.last_verified_at or service.created_at
    return base + timedelta(days=interval) if base is not None else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def service_schedules(service: m.Service) -> list[m.Schedule]:
    """The service's own schedules, then those of its locations."""
    schedules = list(service.schedules)
    for sal in service.service_at_locations:
        if sal.location is not None:
            schedules.extend(sal.location.schedules)
    return schedules


@dataclass
class _Places:
    """What a listing's locations contribute (confidential ones: their public area only)."""

    cities: set[str] = field(default_factory=set)
    regions: set[str] = field(default_factory=set)
    points: list[tuple[float, float]] = field(default_factory=list)
    areas: dict[str, str] = field(default_factory=dict)
    postal: set[str] = field(default_factory=set)
    accessible: bool = False


class _Texts:
    """Text per locale for the stemmed fields, and the language-neutral ``all`` field."""

    def __init__(self) -> None:
        self.by_locale: dict[str, list[str]] = defaultdict(list)
        self.everything: list[str] = []

    def add(self, values: dict[str, str], *, neutral: bool = False) -> None:
        for locale, value in values.items():
            self.by_locale[locale].append(value)
            if neutral:
                self.everything.append(value)


def _places(service: m.Service, texts: _Texts) -> _Places:
    places = _Places()
    for sal in service.service_at_locations:
        location = sal.location
        if location is None:
            continue
        area = _texts(location, "public_area")
        texts.add(area, neutral=True)
        for address in location.addresses:
            # The city and province are coarse enough to show even for confidential sites.
            if address.city:
                places.cities.add(address.city.strip())
                texts.everything.append(address.city)
            if address.state_province:
                places.regions.add(address.state_province.strip())
        if location.accessibility:
            places.accessible = True
        if location.confidential:
            places.areas.update(area)
            continue
        texts.add(_texts(location, "name"))
        for address in location.addresses:
            if address.postal_code:
                places.postal.add(address.postal_code.replace(" ", "")[:3].upper())
        if (location.latitude is not None and location.longitude is not None
                and -90 <= location.latitude <= 90 and -180 <= location.longitude <= 180):
            places.points.append((round(location.latitude, 5), round(location.longitude, 5)))
    return places


def _flags_and_costs(service: m.Service, all_terms: list[str], taxonomy: Taxonomy,
                     accessible: bool) -> tuple[set[str], set[str]]:
    flags = {name for name, on in (("crisis_line", service.crisis_line),
                                   ("open_24_7", service.open_24_7 and service.status == "active"),
                                   ("accessible", accessible),
                                   ("text_ok", any(p.text_ok for p in service.phones)),
                                   ("tty", any(p.tty for p in service.phones))) if on}
    for term_id in all_terms:
        code = taxonomy.terms[term_id].code
        if code in FLAG_TERM_CODES:
            flags.add(FLAG_TERM_CODES[code])
    # "I can't talk on the phone right now": reachable by text, TTY, chat or online.
    if flags & {"text_ok", "tty", "online"}:
        flags.add("quiet_contact")
    costs = set()
    for option in service.cost_options:
        if option.amount == 0 or (option.option or "").strip().lower() == "free":
            costs.add("free")
        elif option.amount:
            costs.add("fee")
    if "free" in flags:
        costs.add("free")
    if "free" in costs:
        flags.add("free")
    return flags, costs


def _row(service: m.Service, names: dict[str, str], places: _Places, all_terms: list[str],
         languages: list[str], default_tz: str, due_at: datetime | None = None) -> SearchRow:
    phone = next((p for p in sorted(service.phones, key=lambda p: (p.type not in
                  (None, "voice"), p.id))), None)
    schedules = schedule_rows(service_schedules(service), default_tz)
    return SearchRow(
        id=service.id, name=names, description=_texts(service, "description"),
        text_language=service.text_language or "en",
        organization=_texts(service.organization, "name") if service.organization else {},
        cities=sorted(places.cities), areas=places.areas, points=places.points,
        postal=sorted(places.postal),
        schedules=schedules,
        crisis_line=service.crisis_line, open_24_7=service.open_24_7, status=service.status,
        phone=Phone(phone.number, phone.text_ok, phone.tty) if phone else None,
        terms=all_terms, languages=languages,
        last_verified_at=(service.last_verified_at.isoformat()
                          if service.last_verified_at else None),
        last_verified_method=service.last_verified_method, due_at=_iso(due_at),
        timezone=listing_timezone(schedules, default_tz),
        exceptions=exception_rows(service.hours_exceptions),
        capacity=service.capacity, capacity_updated_at=_iso(service.capacity_updated_at),
        alert={k: v.strip() for k, v in _texts(service, "alert").items() if v.strip()},
        alert_until=_iso(service.alert_until))


def service_to_document(service: m.Service, term_ids: list[str], taxonomy: Taxonomy,
                        default_tz: str,
                        interval_defaults: tuple[int, Mapping[str, int]] | None = None
                        ) -> dict[str, Any]:
    """The index document for one public service."""
    texts = _Texts()
    names = _texts(service, "name")
    texts.everything.extend(names.values())
    if service.description:
        texts.everything.append(service.description)
    for text_field_name in SERVICE_TEXT_FIELDS:
        texts.add(_texts(service, text_field_name))
    if service.organization is not None:
        texts.add(_texts(service.organization, "name"), neutral=True)
    for area in service.service_areas:
        texts.add(_texts(area, "name"))
    for phone in service.phones:
        texts.add(_texts(phone, "description"))
    places = _places(service, texts)
    all_terms = list(dict.fromkeys(ancestor for term_id in term_ids
                                   for ancestor in taxonomy.with_ancestors(term_id)))
    flags, costs = _flags_and_costs(service, all_terms, taxonomy, places.accessible)
    languages = sorted({(lang.code or "").strip().lower() for lang in service.languages
                        if lang.code})
    doc: dict[str, Any] = {
        "id": service.id,
        "all": "\n".join(texts.everything),
        "terms": ",".join(all_terms),
        "languages": ",".join(languages),
        "city": ",".join(sorted({fold(c) for c in places.cities})),
        "region": ",".join(sorted({fold(r) for r in places.regions})),
        "flags": ",".join(sorted(flags)),
        "cost": ",".join(sorted(costs)),
        "row": _row(service, names, places, all_terms, languages, default_tz,
                    listing_due_at(service, listing_interval(
                        service, term_ids, taxonomy, interval_defaults))).to_stored(),
    }
    for locale in SUPPORTED_LOCALES:
        if locale in names:
            doc[name_field(locale)] = names[locale]
        if texts.by_locale.get(locale):
            doc[text_field(locale)] = "\n".join(texts.by_locale[locale])
    return doc


def iter_documents(services: Iterable[m.Service], default_tz: str,
                   taxonomy: Taxonomy | None = None, *, session: Session | None = None
                   ) -> Iterator[tuple[str, dict | None]]:
    """``(id, document)`` for each service; the document is None when it must not be public."""
    services = list(services)
    taxonomy = taxonomy or Taxonomy.load(session)
    terms = service_term_ids([s.id for s in services], session)
    defaults = _interval_defaults()
    for service in services:
        if service.is_public:
            yield service.id, service_to_document(service, terms.get(service.id, []), taxonomy,
                                                  default_tz, defaults)
        else:
            yield service.id, None
