"""The search row: what the index stores for each listing, typed, and the rules that read it.

``SearchRow`` is built in one place (``documents.service_to_document``) and read everywhere a
listing is shown from the index: the scoring engine's one-time scan, result cards, the API and
the widget. It is stored in Whoosh as a plain dict (``to_stored``), so the index format does not
depend on this module's class names; ``from_stored`` turns it back into a row.

Opening hours have one rule (``HoursTable.open_at``), evaluated over arrays: the scoring engine
runs it for every listing at once, ``is_open_at`` for one listing (the listing page, a result
card). Distances have one formula (``distances_km``, with ``haversine_km`` for one pair).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import numpy as np

EARTH_RADIUS_KM = 6371.0
NO_START, NO_END = 0, 10**7  # date ordinals for "no validity limit"


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
            last_verified_at=stored.get("last_verified_at"))

    def phone_dict(self) -> dict[str, Any] | None:
        """The phone as results and the API show it."""
        if self.phone is None:
            return None
        return {"number": self.phone.number, "text_ok": self.phone.text_ok,
                "tty": self.phone.tty}


# -- opening hours ---------------------------------------------------------------------------
@dataclass
class HoursTable:
    """Opening hours of many listings as arrays, one entry per (document, schedule row)."""

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

    @classmethod
    def build(cls, size: int, listings: Iterable[tuple[int, bool, Sequence[Schedule]]]
              ) -> HoursTable:
        """From ``(docnum, open_24_7, schedules)`` of each listing that has any."""
        always = np.zeros(size, dtype=bool)
        stated = np.zeros(size, dtype=bool)
        docs, days, opens, closes, zones, starts, ends = [], [], [], [], [], [], []
        zone_index: dict[str, int] = {}
        for docnum, open_24_7, schedules in listings:
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

        def ints(values: list[int]) -> np.ndarray:
            return np.asarray(values, dtype=np.int64)

        return cls(size, always, stated, ints(docs), ints(days), ints(opens), ints(closes),
                   ints(zones), list(zone_index), ints(starts), ints(ends))

    def open_at(self, when: datetime) -> tuple[np.ndarray, np.ndarray]:
        """(open, stated) per document at ``when`` (aware): stated is False without hours.

        24/7 listings are open; a schedule row applies within its validity dates, on its
        weekdays, from opening to closing time in its own time zone; a row closing at or
        before it opens runs past midnight into the next day. Unknown zones never apply.
        """
        is_open = self.always.copy()
        stated = self.stated | self.always
        if not len(self.docs):
            return is_open, stated
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
        day, mins, ordinal = weekday[self.zones], minute[self.zones], today[self.zones]
        valid = known[self.zones] & (self.starts <= ordinal) & (ordinal <= self.ends)
        on_today = (self.days >> day) & 1 == 1
        on_yesterday = (self.days >> ((day - 1) % 7)) & 1 == 1
        opens, closes = self.opens, self.closes
        hit = np.where(closes > opens, on_today & (opens <= mins) & (mins < closes),
                       (on_today & (mins >= opens)) | (on_yesterday & (mins < closes)))
        is_open[self.docs[valid & hit]] = True
        return is_open, stated


def is_open_at(schedules: Sequence[Schedule], when: datetime, *,
               open_24_7: bool = False) -> bool | None:
    """Whether one listing is open at ``when`` (aware); None when it states no hours."""
    if open_24_7:
        return True
    if not schedules:
        return None
    is_open, _stated = HoursTable.build(1, [(0, False, schedules)]).open_at(when)
    return bool(is_open[0])


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
