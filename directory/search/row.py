"""The search row: what the index stores for each listing, typed, and the rules that read it.

``SearchRow`` is built in one place (``documents.service_to_document``) and read everywhere a
listing is shown from the index: the scoring engine's one-time scan, result cards, the API and
the widget. It is stored in Whoosh as a plain dict (``to_stored``), so the index format does not
depend on this module's class names; ``from_stored`` turns it back into a row.

Opening hours have one rule (``HoursTable.open_at``), evaluated over arrays: the scoring engine
runs it for every listing at once, ``is_open_at`` for one listing (the listing page, a result
card). The rule, in the listing's own time zone:

- a listing whose status is not "active" (temporarily closed, inactive, defunct) is never open
  and never "open 24/7";
- on a date covered by a closure (``HoursChange`` with ``closed``) it is closed all day;
- on a date covered by changed hours only those hours count (they replace the weekly hours and
  "open 24/7" that day; changed hours past midnight run into the next morning);
- otherwise "open 24/7", else the weekly schedule rows.

Distances have one formula (``distances_km``, with ``haversine_km`` for one pair).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import numpy as np

EARTH_RADIUS_KM = 6371.0
NO_START, NO_END = 0, 10**7  # date ordinals for "no validity limit"
# The only status under which a listing can be open (None: an old row without one).
OPEN_STATUSES = frozenset({"active", None})
# Days ahead for which dated closures and changed hours are shown.
EXCEPTIONS_SHOWN_DAYS = 60


class Schedule(NamedTuple):
    """One weekly opening-hours row: weekdays 0-6 (Monday 0), minutes since midnight.

    A row whose closing time is at or before its opening time runs past midnight into the
    next day. ``valid_from``/``valid_to`` bound the dates it applies on (inclusive).
    """

    days: tuple[int, ...]
    opens: int
    closes: int
    timezone: str
    valid_from: date | None = None
    valid_to: date | None = None

    def to_stored(self) -> list[Any]:
        return [list(self.days), self.opens, self.closes, self.timezone,
                self.valid_from.isoformat() if self.valid_from else None,
                self.valid_to.isoformat() if self.valid_to else None]

    @classmethod
    def from_stored(cls, entry: Sequence[Any]) -> Schedule:
        days, opens, closes, zone, valid_from, valid_to = entry
        return cls(tuple(days), int(opens), int(closes), zone,
                   date.fromisoformat(valid_from) if valid_from else None,
                   date.fromisoformat(valid_to) if valid_to else None)


class HoursChange(NamedTuple):
    """A dated closure or change of hours (inclusive dates in the listing's time zone).

    ``closed``: closed all day on those dates; else open ``opens`` to ``closes`` (minutes since
    midnight; closing at or before opening runs past midnight) instead of the weekly hours.
    """

    starts: date
    ends: date
    closed: bool = True
    opens: int | None = None
    closes: int | None = None
    reason: str | None = None

    def to_stored(self) -> list[Any]:
        return [self.starts.isoformat(), self.ends.isoformat(), self.closed, self.opens,
                self.closes, self.reason]

    @classmethod
    def from_stored(cls, entry: Sequence[Any]) -> HoursChange:
        starts, ends, closed, opens, closes, reason = entry
        return cls(date.fromisoformat(starts), date.fromisoformat(ends), bool(closed),
                   None if opens is None else int(opens),
                   None if closes is None else int(closes), reason)

    def covers(self, day: date) -> bool:
        return self.starts <= day <= self.ends


@dataclass(slots=True)
class Phone:
    number: str
    text_ok: bool = False
    tty: bool = False


@dataclass(slots=True)
class SearchRow:
    """Everything a result shows, so a page of results needs no database query."""

    id: str
    name: dict[str, str]
    description: dict[str, str] = field(default_factory=dict)
    text_language: str = "en"
    organization: dict[str, str] = field(default_factory=dict)
    cities: list[str] = field(default_factory=list)
    areas: dict[str, str] = field(default_factory=dict)
    points: list[tuple[float, float]] = field(default_factory=list)
    postal: list[str] = field(default_factory=list)
    schedules: list[Schedule] = field(default_factory=list)
    crisis_line: bool = False
    open_24_7: bool = False
    status: str | None = None
    phone: Phone | None = None
    terms: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    last_verified_at: str | None = None
    # Freshness: how the latest check was made, and when the next one is due (ISO, UTC).
    last_verified_method: str | None = None
    due_at: str | None = None
    # The listing's own time zone (its hours' zone): dated exceptions are in it.
    timezone: str | None = None
    exceptions: list[HoursChange] = field(default_factory=list)
    # Capacity (accepting / waitlist / full) and when it was set (ISO, UTC).
    capacity: str | None = None
    capacity_updated_at: str | None = None
    # The public alert per locale, and until when it is shown (ISO, UTC; None: until removed).
    alert: dict[str, str] = field(default_factory=dict)
    alert_until: str | None = None

    def to_stored(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "description": self.description,
            "text_language": self.text_language, "organization": self.organization,
            "cities": self.cities, "areas": self.areas,
            "points": [list(p) for p in self.points], "postal": self.postal,
            "schedules": [s.to_stored() for s in self.schedules],
            "crisis_line": self.crisis_line, "open_24_7": self.open_24_7,
            "status": self.status,
            "phone": ({"number": self.phone.number, "text_ok": self.phone.text_ok,
                       "tty": self.phone.tty} if self.phone else None),
            "terms": self.terms, "languages": self.languages,
            "last_verified_at": self.last_verified_at,
            "last_verified_method": self.last_verified_method, "due_at": self.due_at,
            "timezone": self.timezone,
            "exceptions": [e.to_stored() for e in self.exceptions],
            "capacity": self.capacity, "capacity_updated_at": self.capacity_updated_at,
            "alert": self.alert, "alert_until": self.alert_until,
        }

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any]) -> SearchRow:
        phone = stored.get("phone")
        return cls(
            id=stored.get("id", ""), name=stored.get("name") or {},
            description=stored.get("description") or {},
            text_language=stored.get("text_language") or "en",
            organization=stored.get("organization") or {},
            cities=stored.get("cities") or [], areas=stored.get("areas") or {},
            points=[(lat, lon) for lat, lon in stored.get("points") or []],
            postal=stored.get("postal") or [],
            schedules=[Schedule.from_stored(s) for s in stored.get("schedules") or []],
            crisis_line=bool(stored.get("crisis_line")),
            open_24_7=bool(stored.get("open_24_7")), status=stored.get("status"),
            phone=Phone(phone["number"], bool(phone.get("text_ok")), bool(phone.get("tty")))
            if phone else None,
            terms=stored.get("terms") or [], languages=stored.get("languages") or [],
            last_verified_at=stored.get("last_verified_at"),
            last_verified_method=stored.get("last_verified_method"),
            due_at=stored.get("due_at"), timezone=stored.get("timezone"),
            exceptions=[HoursChange.from_stored(e) for e in stored.get("exceptions") or []],
            capacity=stored.get("capacity"),
            capacity_updated_at=stored.get("capacity_updated_at"),
            alert=stored.get("alert") or {}, alert_until=stored.get("alert_until"))

    def open_at(self, when: datetime) -> bool | None:
        """Whether this listing is open at ``when`` (the one rule); None: no hours stated."""
        return is_open_at(self.schedules, when, open_24_7=self.open_24_7, status=self.status,
                          exceptions=self.exceptions, timezone=self.timezone)

    def always_open_at(self, when: datetime) -> bool:
        """Whether "Open 24/7" may be shown at ``when``."""
        return shows_24_7(self.open_24_7, when, status=self.status,
                          exceptions=self.exceptions, timezone=self.timezone)

    def phone_dict(self) -> dict[str, Any] | None:
        """The phone as results and the API show it."""
        if self.phone is None:
            return None
        return {"number": self.phone.number, "text_ok": self.phone.text_ok,
                "tty": self.phone.tty}


# -- opening hours ---------------------------------------------------------------------------
def _ints(values: list[int]) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)


@dataclass
class HoursTable:
    """Opening hours of many listings as arrays, one entry per (document, schedule row) and
    per (document, dated exception)."""

    size: int
    always: np.ndarray        # per document: open 24/7
    stated: np.ndarray        # per document: has at least one schedule row
    docs: np.ndarray          # per entry: the document
    days: np.ndarray          # per entry: weekday bit mask
    opens: np.ndarray
    closes: np.ndarray
    zones: np.ndarray         # per entry: index into zone_names
    zone_names: list[str]
    starts: np.ndarray        # per entry: first valid date ordinal
    ends: np.ndarray          # per entry: last valid date ordinal
    # per document: its status keeps it closed (temporarily closed, inactive, defunct)
    shut: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    # per dated exception: document, zone, first and last date ordinal, closed, hours
    x_docs: np.ndarray = field(default_factory=lambda: _ints([]))
    x_zones: np.ndarray = field(default_factory=lambda: _ints([]))
    x_starts: np.ndarray = field(default_factory=lambda: _ints([]))
    x_ends: np.ndarray = field(default_factory=lambda: _ints([]))
    x_closed: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    x_opens: np.ndarray = field(default_factory=lambda: _ints([]))
    x_closes: np.ndarray = field(default_factory=lambda: _ints([]))

    @classmethod
    def build(cls, size: int, listings: Iterable[Sequence[Any]]) -> HoursTable:
        """From ``(docnum, open_24_7, schedules[, status, exceptions, timezone])`` of each
        listing that has hours, a status other than active, or dated exceptions."""
        always = np.zeros(size, dtype=bool)
        stated = np.zeros(size, dtype=bool)
        shut = np.zeros(size, dtype=bool)
        docs, days, opens, closes, zones, starts, ends = [], [], [], [], [], [], []
        x_docs, x_zones, x_starts, x_ends, x_closed, x_opens, x_closes = ([] for _ in range(7))
        zone_index: dict[str, int] = {}
        for listing in listings:
            docnum, open_24_7, schedules = listing[0], listing[1], listing[2]
            status = listing[3] if len(listing) > 3 else None
            exceptions = listing[4] if len(listing) > 4 else ()
            zone = (listing[5] if len(listing) > 5 else None) or \
                (schedules[0].timezone if schedules else "UTC")
            if status not in OPEN_STATUSES:
                shut[docnum] = True
            if open_24_7:
                always[docnum] = True
            for schedule in schedules:
                stated[docnum] = True
                docs.append(docnum)
                days.append(sum(1 << d for d in schedule.days if 0 <= d < 7))
                opens.append(schedule.opens)
                closes.append(schedule.closes)
                zones.append(zone_index.setdefault(schedule.timezone, len(zone_index)))
                starts.append(schedule.valid_from.toordinal() if schedule.valid_from
                              else NO_START)
                ends.append(schedule.valid_to.toordinal() if schedule.valid_to else NO_END)
            for change in exceptions:
                changed = not change.closed and change.opens is not None \
                    and change.closes is not None
                x_docs.append(docnum)
                x_zones.append(zone_index.setdefault(zone, len(zone_index)))
                x_starts.append(change.starts.toordinal())
                x_ends.append(change.ends.toordinal())
                x_closed.append(not changed)
                x_opens.append(change.opens if changed else 0)
                x_closes.append(change.closes if changed else 0)

        return cls(size, always, stated, _ints(docs), _ints(days), _ints(opens), _ints(closes),
                   _ints(zones), list(zone_index), _ints(starts), _ints(ends), shut,
                   _ints(x_docs), _ints(x_zones), _ints(x_starts), _ints(x_ends),
                   np.asarray(x_closed, dtype=bool), _ints(x_opens), _ints(x_closes))

    def _local(self, when: datetime) -> tuple[np.ndarray, ...]:
        """Per zone: known, weekday, minute of the day and date ordinal at ``when``."""
        count = len(self.zone_names)
        weekday, minute, today = (np.zeros(count, dtype=np.int64) for _ in range(3))
        known = np.zeros(count, dtype=bool)
        for index, name in enumerate(self.zone_names):
            try:
                local = when.astimezone(ZoneInfo(name))
            except Exception:  # noqa: BLE001 - an unknown zone: that row never applies
                continue
            known[index] = True
            weekday[index] = local.weekday()
            minute[index] = local.hour * 60 + local.minute
            today[index] = local.date().toordinal()
        return known, weekday, minute, today

    def _excepted(self, local: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        """Per document: a closure today, any exception today, any exception yesterday, and
        open by changed hours now."""
        closure = np.zeros(self.size, dtype=bool)
        today_x = np.zeros(self.size, dtype=bool)
        yesterday_x = np.zeros(self.size, dtype=bool)
        open_x = np.zeros(self.size, dtype=bool)
        if not len(self.x_docs):
            return closure, today_x, yesterday_x, open_x
        known, _weekday, minute, today = local
        ordinal, mins = today[self.x_zones], minute[self.x_zones]
        known_x = known[self.x_zones]
        on_today = known_x & (self.x_starts <= ordinal) & (ordinal <= self.x_ends)
        on_yesterday = known_x & (self.x_starts <= ordinal - 1) & (ordinal - 1 <= self.x_ends)
        closure[self.x_docs[on_today & self.x_closed]] = True
        today_x[self.x_docs[on_today]] = True
        yesterday_x[self.x_docs[on_yesterday]] = True
        opens, closes, changed = self.x_opens, self.x_closes, ~self.x_closed
        overnight = closes <= opens
        hit = (changed & on_today & np.where(overnight, mins >= opens,
                                             (opens <= mins) & (mins < closes))) \
            | (changed & on_yesterday & overnight & (mins < closes))
        open_x[self.x_docs[hit]] = True
        open_x &= ~closure
        return closure, today_x, yesterday_x, open_x

    def always_at(self, when: datetime) -> np.ndarray:
        """Per document: "Open 24/7" may be shown at ``when`` (open 24/7, active, and no
        closure or changed hours today)."""
        if not len(self.shut):
            return self.always.copy()
        _closure, today_x, _yesterday_x, _open_x = self._excepted(self._local(when))
        return self.always & ~self.shut & ~today_x

    def open_at(self, when: datetime) -> tuple[np.ndarray, np.ndarray]:
        """(open, stated) per document at ``when`` (aware): stated is False without hours.

        The rule of this module's docstring: status first, then dated closures and changed
        hours, then 24/7, then the weekly rows. A schedule row applies within its validity
        dates, on its weekdays, from opening to closing time in its own time zone; a row
        closing at or before it opens runs past midnight into the next day (not into a date
        with an exception). Unknown zones never apply.
        """
        shut = self.shut if len(self.shut) else np.zeros(self.size, dtype=bool)
        local = self._local(when)
        closure, today_x, yesterday_x, open_x = self._excepted(local)
        is_open = self.always & ~today_x
        stated = self.stated | self.always | shut | today_x
        if len(self.docs):
            known, weekday, minute, today = local
            day, mins, ordinal = weekday[self.zones], minute[self.zones], today[self.zones]
            valid = known[self.zones] & (self.starts <= ordinal) & (ordinal <= self.ends)
            on_today = (self.days >> day) & 1 == 1
            on_yesterday = (self.days >> ((day - 1) % 7)) & 1 == 1
            opens, closes = self.opens, self.closes
            plain_day = ~today_x[self.docs]
            from_yesterday = plain_day & ~yesterday_x[self.docs]
            same_day = valid & on_today & np.where(closes > opens,
                                                   (opens <= mins) & (mins < closes),
                                                   mins >= opens)
            spill = valid & on_yesterday & (closes <= opens) & (mins < closes)
            hit = (plain_day & same_day) | (from_yesterday & spill)
            is_open[self.docs[hit]] = True
        is_open |= open_x
        is_open &= ~shut & ~closure
        return is_open, stated | open_x


def is_open_at(schedules: Sequence[Schedule], when: datetime, *,
               open_24_7: bool = False, status: str | None = None,
               exceptions: Sequence[HoursChange] = (), timezone: str | None = None
               ) -> bool | None:
    """Whether one listing is open at ``when`` (aware); None when it states no hours.

    The same rule as ``HoursTable.open_at`` (it runs it for one listing)."""
    if status in OPEN_STATUSES and not exceptions:
        if open_24_7:
            return True
        if not schedules:
            return None
    table = HoursTable.build(1, [(0, open_24_7, schedules, status, exceptions, timezone)])
    is_open, stated = table.open_at(when)
    return bool(is_open[0]) if stated[0] else None


def shows_24_7(open_24_7: bool, when: datetime, *, status: str | None = None,
               exceptions: Sequence[HoursChange] = (), timezone: str | None = None) -> bool:
    """Whether "Open 24/7" may be shown at ``when``: never for a listing that is not active,
    nor on a date with a closure or changed hours."""
    if not open_24_7 or status not in OPEN_STATUSES:
        return False
    if not exceptions:
        return True
    table = HoursTable.build(1, [(0, True, (), status, exceptions, timezone)])
    return bool(table.always_at(when)[0])


def local_today(when: datetime, timezone: str | None) -> date:
    """The date at ``when`` in ``timezone`` (UTC when unknown)."""
    try:
        return when.astimezone(ZoneInfo(timezone or "UTC")).date()
    except Exception:  # noqa: BLE001 - an unknown zone
        return when.astimezone(ZoneInfo("UTC")).date()


def upcoming_exceptions(exceptions: Sequence[HoursChange], when: datetime,
                        timezone: str | None, days: int = EXCEPTIONS_SHOWN_DAYS
                        ) -> list[HoursChange]:
    """The closures and changed hours that are current or start within ``days``."""
    today = local_today(when, timezone)
    horizon = today + timedelta(days=days)
    return sorted((e for e in exceptions if e.ends >= today and e.starts <= horizon),
                  key=lambda e: (e.starts, e.ends))


def _parse_utc(value: str | datetime | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo("UTC"))
    return parsed


def alert_is_current(alert_until: str | datetime | None, when: datetime) -> bool:
    """Whether a public alert is still shown at ``when`` (no end: until removed)."""
    until = _parse_utc(alert_until)
    return until is None or when < until


def capacity_at(capacity: str | None, updated_at: str | datetime | None, when: datetime,
                max_age_hours: float) -> str | None:
    """The capacity to show at ``when``: only while younger than ``max_age_hours``."""
    updated = _parse_utc(updated_at)
    if not capacity or updated is None:
        return None
    age = when - updated
    if age.total_seconds() < 0 or age > timedelta(hours=max_age_hours):
        return None
    return capacity


def is_overdue_at(due_at: str | datetime | None, when: datetime) -> bool:
    """Whether a listing due at ``due_at`` is overdue for checking at ``when``."""
    due = _parse_utc(due_at)
    return due is not None and due <= when


# -- distance --------------------------------------------------------------------------------
def distances_km(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Great-circle kilometres from (lat, lon) in degrees to points given in radians."""
    lat1, lon1 = math.radians(lat), math.radians(lon)
    h = (np.sin((lats - lat1) / 2) ** 2
         + math.cos(lat1) * np.cos(lats) * np.sin((lons - lon1) / 2) ** 2)
    return EARTH_RADIUS_KM * 2 * np.arcsin(np.minimum(1.0, np.sqrt(h)))


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle kilometres between two (lat, lon) points in degrees."""
    km = distances_km(a[0], a[1], np.radians(np.array([b[0]])), np.radians(np.array([b[1]])))
    return float(km[0])
