"""The hours editor: a day-by-day table of opening times, stored as HSDS schedule rows.

Each day has an "open" box and open/close times; days with the same times become one weekly
schedule row (``byday=MO,TU,...``), so the export, the API and open-now read exactly what they
read before. Schedules the table cannot show (monthly rules, dated ranges, hours in words) are
left as they are and named, to be edited one by one under Schedules.
"""

from __future__ import annotations

import re
from datetime import time
from typing import Any

from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import Field
from wtforms.validators import ValidationError

from .. import models as m
from ..extensions import db
from .labels import DAYS

HOLIDAY_NOTE = "Closed on statutory holidays."
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
SIMPLE_FIELDS = {"freq", "byday", "opens_at", "closes_at", "timezone_name", "notes"}


def is_simple(schedule: m.Schedule) -> bool:
    """Whether the table can show this schedule row without losing anything."""
    if (schedule.freq or "WEEKLY").upper() != "WEEKLY" or not schedule.byday:
        return False
    if schedule.opens_at is None or schedule.closes_at is None:
        return False
    if schedule.notes and schedule.notes != HOLIDAY_NOTE:
        return False
    others = ("valid_from", "valid_to", "dtstart", "until", "count", "interval", "byweekno",
              "bymonthday", "byyearday", "description", "schedule_link", "attending_type",
              "timezone")
    return not any(getattr(schedule, name) for name in others)


def _hhmm(value: time | None) -> str:
    return value.strftime("%H:%M") if value else ""


class HoursWidget:
    """Renders the table: one row per weekday, labelled for screen readers, no JavaScript."""

    def __call__(self, field: "HoursField", **kwargs: Any) -> Markup:
        from .listings import TIMEZONES

        days = field.days_state()
        rows = []
        for code, label in DAYS:
            state = days.get(code, {})
            box = f"{field.name}-{code}"
            rows.append(Markup(
                '<tr><th scope="row"><label class="mb-0"><input type="checkbox" name="{box}-open"'
                ' value="y"{checked}> {label}</label></th>'
                '<td><label class="sr-only" for="{box}-opens">{label} {opens}</label>'
                '<input class="form-control form-control-sm" type="time" id="{box}-opens" '
                'name="{box}-opens" value="{o}"></td>'
                '<td><label class="sr-only" for="{box}-closes">{label} {closes}</label>'
                '<input class="form-control form-control-sm" type="time" id="{box}-closes" '
                'name="{box}-closes" value="{c}"></td></tr>').format(
                box=box, checked=Markup(" checked") if state.get("open") else "", label=label,
                opens=_l("opens at"), closes=_l("closes at"), o=state.get("opens", ""),
                c=state.get("closes", "")))
        zone = field.zone_state()
        options = Markup("").join(
            Markup('<option value="{}"{}>{}</option>').format(
                z, Markup(" selected") if z == zone else "", z.split("/")[-1].replace("_", " "))
            for z in TIMEZONES)
        complex_rows = field.complex_rows()
        note = Markup("")
        if complex_rows:
            note = Markup('<p class="alert alert-secondary">{}</p>').format(_l(
                "This listing also has %(count)d schedule(s) the table cannot show (for example "
                "dated or monthly hours); they are kept as they are. Edit them under Schedules.",
                count=len(complex_rows)))
        return Markup(
            '<div class="hours-editor" id="{name}">{note}'
            '<table class="table table-sm hours-table"><caption>{caption}</caption>'
            '<thead><tr><th scope="col">{day}</th><th scope="col">{opens}</th>'
            '<th scope="col">{closes}</th></tr></thead><tbody>{rows}</tbody></table>'
            '<div class="form-row"><div class="col-sm-6"><label for="{name}-zone">{zone_label}'
            '</label><select class="form-control form-control-sm" id="{name}-zone" '
            'name="{name}-zone">{options}</select></div>'
            '<div class="col-sm-6 pt-4"><label><input type="checkbox" name="{name}-holidays" '
            'value="y"{holidays}> {holidays_label}</label></div></div></div>').format(
            name=field.name, note=note, caption=_l("Tick the days it is open, with its hours."),
            day=_l("Day"), opens=_l("Opens at"), closes=_l("Closes at"),
            rows=Markup("").join(rows), zone_label=_l("Time zone"), options=options,
            holidays=Markup(" checked") if field.holidays_state() else "",
            holidays_label=_l("Closed on statutory holidays"))


class HoursField(Field):
    """The listing's weekly hours as one form field; populates ``obj.schedules``."""

    widget = HoursWidget()

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any):
        super().__init__(label, validators, **kwargs)
        self.schedules: list[m.Schedule] = []
        self.submitted: dict[str, Any] | None = None

    def process(self, formdata: Any, data: Any = None, extra_filters: Any = None) -> None:
        self.process_errors = []
        self.data = None
        obj_schedules = list(data or [])
        self.schedules = obj_schedules
        if formdata is not None and f"{self.name}-zone" in formdata:
            self.submitted = {
                "days": {code: {"open": bool(formdata.get(f"{self.name}-{code}-open")),
                                "opens": (formdata.get(f"{self.name}-{code}-opens") or "").strip(),
                                "closes": (formdata.get(f"{self.name}-{code}-closes") or ""
                                           ).strip()}
                         for code, _label in DAYS},
                "zone": (formdata.get(f"{self.name}-zone") or "").strip(),
                "holidays": bool(formdata.get(f"{self.name}-holidays")),
            }

    # -- what to show ----------------------------------------------------------------------
    def simple_rows(self) -> list[m.Schedule]:
        return [s for s in self.schedules if is_simple(s)]

    def complex_rows(self) -> list[m.Schedule]:
        return [s for s in self.schedules if not is_simple(s)]

    def days_state(self) -> dict[str, dict[str, Any]]:
        if self.submitted is not None:
            return self.submitted["days"]
        out: dict[str, dict[str, Any]] = {}
        for schedule in self.simple_rows():
            for code in (schedule.byday or "").upper().split(","):
                out[code.strip()] = {"open": True, "opens": _hhmm(schedule.opens_at),
                                     "closes": _hhmm(schedule.closes_at)}
        return out

    def zone_state(self) -> str:
        if self.submitted is not None:
            return self.submitted["zone"]
        zones = [s.timezone_name for s in self.schedules if s.timezone_name]
        return zones[0] if zones else "America/Vancouver"

    def holidays_state(self) -> bool:
        if self.submitted is not None:
            return self.submitted["holidays"]
        return any(s.notes == HOLIDAY_NOTE for s in self.simple_rows())

    # -- checking and saving -----------------------------------------------------------------
    def pre_validate(self, form: Any) -> None:
        from .listings import TIMEZONES

        if self.submitted is None:
            return
        if self.submitted["zone"] not in TIMEZONES:
            raise ValidationError(str(_l("Choose a time zone from the list.")))
        names = dict(DAYS)
        for code, state in self.submitted["days"].items():
            if not state["open"]:
                continue
            for key in ("opens", "closes"):
                if not _TIME.match(state[key]):
                    raise ValidationError(str(_l("%(day)s: give opening and closing times as "
                                            "hours and minutes, e.g. 09:00.",
                                            day=names[code])))
            if state["opens"] == state["closes"]:
                raise ValidationError(str(_l("%(day)s: opening and closing times are the same; for "
                                        "a day open around the clock use 00:00 to 23:59.",
                                        day=names[code])))

    def wanted_rows(self) -> list[tuple[str, time, time]]:
        """(byday, opens, closes) for each group of days with the same hours, Monday first."""
        groups: dict[tuple[str, str], list[str]] = {}
        for code, _label in DAYS:
            state = self.submitted["days"][code]
            if state["open"]:
                groups.setdefault((state["opens"], state["closes"]), []).append(code)
        return [(",".join(codes), time.fromisoformat(o), time.fromisoformat(c))
                for (o, c), codes in groups.items()]

    def populate_obj(self, obj: Any, name: str) -> None:
        if self.submitted is None:
            return
        keep = self.complex_rows()
        existing = {(s.byday, s.opens_at, s.closes_at): s for s in self.simple_rows()}
        note = HOLIDAY_NOTE if self.submitted["holidays"] else None
        rows = []
        for byday, opens, closes in self.wanted_rows():
            row = existing.pop((byday, opens, closes), None)
            if row is None:
                row = m.Schedule(service_id=obj.id, freq="WEEKLY", byday=byday, opens_at=opens,
                                 closes_at=closes)
                db.session.add(row)
            row.freq = "WEEKLY"
            row.timezone_name = self.submitted["zone"]
            row.notes = note
            rows.append(row)
        for row in existing.values():
            db.session.delete(row)
        obj.schedules = [*keep, *rows]


