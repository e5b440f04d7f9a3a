"""The one open-now rule over generated weekly schedules, dated closures, changed hours and
statuses: a listing that is not active, or closed today, is never open and never "open 24/7".

The rule (``search.row``) is checked against a plain re-statement of it written here, for one
listing (``is_open_at``, ``shows_24_7``) and for many at once (``HoursTable``, which the search
engine runs over every listing)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from directory.search.row import (HoursChange, HoursTable, Schedule, SearchRow, is_open_at,
                                  shows_24_7, upcoming_exceptions)

ZONES = ("America/Vancouver", "America/Toronto", "UTC")
BASE = date(2026, 12, 20)
STATUSES = ("active", "temporarily closed", "inactive", "defunct")


def minutes() -> st.SearchStrategy[int]:
    return st.integers(0, 24 * 4 - 1).map(lambda q: q * 15)


@st.composite
def schedules(draw, zone: str) -> list[Schedule]:
    rows = []
    for _ in range(draw(st.integers(0, 3))):
        days = tuple(sorted(draw(st.sets(st.integers(0, 6), min_size=1))))
        opens = draw(minutes())
        closes = draw(minutes().filter(lambda c: c != opens) | st.just(24 * 60))
        rows.append(Schedule(days, opens, closes, zone))
    return rows


@st.composite
def exceptions(draw) -> list[HoursChange]:
    out = []
    for _ in range(draw(st.integers(0, 3))):
        start = BASE + timedelta(days=draw(st.integers(-3, 8)))
        end = start + timedelta(days=draw(st.integers(0, 3)))
        if draw(st.booleans()):
            out.append(HoursChange(start, end, True, None, None, "holidays"))
        else:
            opens = draw(minutes())
            closes = draw(minutes().filter(lambda c: c != opens))
            out.append(HoursChange(start, end, False, opens, closes, "weather"))
    return out


@st.composite
def listings(draw) -> dict:
    zone = draw(st.sampled_from(ZONES))
    return {"schedules": draw(schedules(zone)), "open_24_7": draw(st.booleans()),
            "status": draw(st.sampled_from(STATUSES)), "exceptions": draw(exceptions()),
            "timezone": zone}


moments = st.datetimes(min_value=datetime(2026, 12, 19), max_value=datetime(2027, 1, 2),
                       timezones=st.just(UTC))


def expected(listing: dict, when: datetime) -> bool | None:
    """The rule, re-stated plainly (docs/architecture.md "One open-now rule")."""
    local = when.astimezone(ZoneInfo(listing["timezone"]))
    day, mins, weekday = local.date(), local.hour * 60 + local.minute, local.weekday()
    today = [e for e in listing["exceptions"] if e.starts <= day <= e.ends]
    yesterday = [e for e in listing["exceptions"]
                 if e.starts <= day - timedelta(days=1) <= e.ends]
    if listing["status"] != "active":
        return False
    if any(e.closed for e in today):
        return False
    for change in today:
        if change.closes > change.opens and change.opens <= mins < change.closes:
            return True
        if change.closes <= change.opens and mins >= change.opens:
            return True
    for change in yesterday:
        if not change.closed and change.closes <= change.opens and mins < change.closes:
            return True
    if today:
        return False
    if listing["open_24_7"]:
        return True
    if not listing["schedules"]:
        return None
    for row in listing["schedules"]:
        if weekday in row.days:
            if row.closes > row.opens and row.opens <= mins < row.closes:
                return True
            if row.closes <= row.opens and mins >= row.opens:
                return True
        if not yesterday and (weekday - 1) % 7 in row.days and row.closes <= row.opens \
                and mins < row.closes:
            return True
    return False


def closed_today(listing: dict, when: datetime) -> bool:
    day = when.astimezone(ZoneInfo(listing["timezone"])).date()
    return any(e.closed and e.starts <= day <= e.ends for e in listing["exceptions"])


@settings(max_examples=30, deadline=None)
@given(listing=listings(), when=moments)
def test_one_listing_follows_the_rule(listing, when):
    state = is_open_at(listing["schedules"], when, open_24_7=listing["open_24_7"],
                       status=listing["status"], exceptions=listing["exceptions"],
                       timezone=listing["timezone"])
    always = shows_24_7(listing["open_24_7"], when, status=listing["status"],
                        exceptions=listing["exceptions"], timezone=listing["timezone"])
    want = expected(listing, when)
    if want is None:
        assert state is None
    else:
        assert bool(state) is want
    # The invariant the public relies on.
    if listing["status"] != "active" or closed_today(listing, when):
        assert not state
        assert not always
    if always:
        assert state is True


@settings(max_examples=30, deadline=None)
@given(batch=st.lists(listings(), min_size=1, max_size=6), when=moments)
def test_many_listings_at_once_agree_with_one_at_a_time(batch, when):
    table = HoursTable.build(len(batch) + 1, [
        (n, x["open_24_7"], x["schedules"], x["status"], x["exceptions"], x["timezone"])
        for n, x in enumerate(batch)])
    is_open, stated = table.open_at(when)
    always = table.always_at(when)
    assert not is_open[len(batch)] and not stated[len(batch)]  # a listing with nothing
    for n, listing in enumerate(batch):
        row = SearchRow(id=str(n), name={"en": "x"}, schedules=listing["schedules"],
                        open_24_7=listing["open_24_7"], status=listing["status"],
                        exceptions=listing["exceptions"], timezone=listing["timezone"])
        one = row.open_at(when)
        assert (bool(is_open[n]) if stated[n] else None) == one
        assert bool(always[n]) == row.always_open_at(when)
        # and the row survives the index's stored form unchanged
        assert SearchRow.from_stored(row.to_stored()).open_at(when) == one


def test_a_closed_transition_house_open_24_7_is_never_open():
    when = datetime(2026, 12, 24, 20, 0, tzinfo=UTC)
    for status in ("temporarily closed", "inactive", "defunct"):
        assert is_open_at([], when, open_24_7=True, status=status) is False
        assert not shows_24_7(True, when, status=status)
    assert is_open_at([], when, open_24_7=True, status="active") is True


def test_a_closure_beats_24_7_and_changed_hours_replace_the_day():
    zone = "America/Vancouver"
    weekly = [Schedule(tuple(range(7)), 9 * 60, 17 * 60, zone)]
    christmas = HoursChange(date(2026, 12, 24), date(2026, 12, 26), True, reason="holidays")
    short = HoursChange(date(2026, 12, 31), date(2026, 12, 31), False, 10 * 60, 12 * 60)
    at = lambda d, h: datetime(2026, 12, d, h, 0, tzinfo=ZoneInfo(zone))  # noqa: E731
    assert is_open_at(weekly, at(24, 11), exceptions=[christmas], timezone=zone) is False
    assert not shows_24_7(True, at(25, 11), exceptions=[christmas], timezone=zone)
    assert shows_24_7(True, at(27, 11), exceptions=[christmas], timezone=zone)
    assert is_open_at(weekly, at(31, 11), exceptions=[short], timezone=zone) is True
    assert is_open_at(weekly, at(31, 13), exceptions=[short], timezone=zone) is False
    assert is_open_at(weekly, at(30, 13), exceptions=[short], timezone=zone) is True
    # the listing's own time zone decides the date: 23:30 on the 23rd in Vancouver is the
    # 24th in UTC, and still open
    late = [Schedule(tuple(range(7)), 9 * 60, 24 * 60, zone)]
    assert is_open_at(late, at(23, 23), exceptions=[christmas], timezone=zone) is True
    shown = upcoming_exceptions([christmas, short], at(25, 9), zone)
    assert shown == [christmas, short]
    assert upcoming_exceptions([christmas], at(27, 9), zone) == []
