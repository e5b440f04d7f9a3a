"""Words for curators: translated labels for every stored code, and dates in the staff's zone."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from babel import Locale
from flask import current_app
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

PUBLICATION = {"draft": _l("Draft"), "in_review": _l("In review"),
               "published": _l("Published"), "archived": _l("Archived")}
STATUS = {"active": _l("Active"), "inactive": _l("Inactive"), "defunct": _l("Closed for good"),
          "temporarily closed": _l("Temporarily closed")}
PHONE_TYPE = {"voice": _l("Voice"), "text": _l("Text (SMS)"), "fax": _l("Fax"),
              "cell": _l("Mobile"), "video": _l("Video"), "pager": _l("Pager"),
              "textphone": _l("Textphone (TTY)")}
LOCATION_TYPE = {"physical": _l("Physical place"), "postal": _l("Postal address"),
                 "virtual": _l("Online or by phone only")}
REVISION = {"pending": _l("Waiting for review"), "approved": _l("Approved"),
            "returned": _l("Sent back"), "withdrawn": _l("Withdrawn")}
AUDIT_ACTION = {"create": _l("Created"), "update": _l("Changed"), "delete": _l("Deleted"),
                "propose": _l("Proposed a change"), "approve": _l("Approved a change"),
                "send back": _l("Sent a change back")}
DAYS = (("MO", _l("Mon")), ("TU", _l("Tue")), ("WE", _l("Wed")), ("TH", _l("Thu")),
        ("FR", _l("Fri")), ("SA", _l("Sat")), ("SU", _l("Sun")))
ENTITY = {"service": _l("Listing"), "organization": _l("Organization"),
          "location": _l("Location"), "taxonomy_term": _l("Category"),
          "taxonomy": _l("Taxonomy"), "phone": _l("Phone"), "schedule": _l("Hours"),
          "address": _l("Address"), "service_at_location": _l("Listing at a location"),
          "page": _l("Page"), "user": _l("Staff account"), "partner": _l("Partner"),
          "search_synonym": _l("Search synonyms"), "service_revision": _l("Proposed change"),
          "program": _l("Program"), "contact": _l("Contact"), "service_area": _l("Service area"),
          "language": _l("Language"), "accessibility": _l("Accessibility"),
          "cost_option": _l("Cost option"), "required_document": _l("Required document"),
          "funding": _l("Funding"), "organization_identifier": _l("Organization identifier"),
          "url": _l("Web address"), "attribute": _l("Category link"),
          "metadata": _l("Change record")}


def label(table: dict[str, Any], value: Any) -> str:
    """The curator's word for a stored code (the code itself only when it is unknown)."""
    if value is None or value == "":
        return ""
    return str(table.get(value, value))


def language_name(code: str | None) -> str:
    """A language code's name in the staff member's language ("fr" -> "French"/"français")."""
    if not code:
        return ""
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(str(get_locale()))
    except (ValueError, TypeError, LookupError):
        try:
            name = Locale(str(get_locale())).languages.get(code.split("-")[0])
        except (ValueError, TypeError, LookupError):
            name = None
    return name[:1].upper() + name[1:] if name else code


def staff_timezone() -> str:
    """The time zone this staff member reads times in: their own (chosen on the admin home),
    else DIRECTORY_STAFF_TIMEZONE, Vancouver by default."""
    from ..i18n import babel_timezone

    return babel_timezone() if current_app else "America/Vancouver"


def when(value: Any) -> str:
    """A date or time the way staff read it: their locale, their zone, no microseconds."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, "medium")
    if isinstance(value, date):
        return format_date(value, "medium")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return str(value)


def days(byday: str | None) -> str:
    """RRULE days ("MO,TU,WE") as words ("Mon, Tue, Wed"); every day as "Every day"."""
    codes = [d.strip().upper() for d in (byday or "").split(",") if d.strip()]
    if not codes:
        return ""
    if set(codes) == {code for code, _ in DAYS}:
        return str(_l("Every day"))
    names = dict(DAYS)
    return ", ".join(str(names.get(code, code)) for code in codes)


def yes_no(value: Any) -> Markup:
    if value is None:
        return Markup("")
    return Markup('<span class="{}">{}</span>').format(
        "text-success" if value else "text-muted", _l("Yes") if value else _l("No"))


def name_of(record: Any) -> Markup:
    """A related record by its name, never its repr."""
    if record is None:
        return Markup("")
    return escape(getattr(record, "name", None) or getattr(record, "email", None) or "")


TYPE_FORMATTERS = {
    datetime: lambda view, value, name: when(value),
    date: lambda view, value, name: when(value),
    time: lambda view, value, name: when(value),
    bool: lambda view, value, name: yes_no(value),
}


def _parent_name(model: Any) -> Any:
    def formatter(view: Any, context: Any, record: Any, name: str) -> Markup:
        from ..extensions import db

        parent = db.session.get(model, getattr(record, name)) if getattr(record, name) else None
        return name_of(parent)
    return formatter


def column_formatters(model: type) -> dict[str, Any]:
    """Formatters for the columns with a known meaning: codes as words, ids as names."""
    from .. import models as m

    def code(table: dict[str, Any]) -> Any:
        return lambda view, context, record, name: label(table, getattr(record, name))

    out: dict[str, Any] = {
        "status": code(STATUS), "publication": code(PUBLICATION),
        "location_type": code(LOCATION_TYPE), "address_type": code(LOCATION_TYPE),
        "byday": lambda view, context, record, name: days(record.byday),
        "text_language": lambda view, context, record, name: language_name(record.text_language),
        "locale": lambda view, context, record, name: language_name(getattr(record, "locale")),
        "action": code(AUDIT_ACTION),
        "entity": code(ENTITY),
    }
    if model is m.Phone:
        out["type"] = code(PHONE_TYPE)
    if model is m.Language:
        out["code"] = lambda view, context, record, name: language_name(record.code)
    if model is m.TaxonomyTerm:
        out["parent_id"] = _parent_name(m.TaxonomyTerm)
    parent = getattr(model, "translated_from", None)
    if parent is not None:
        out["parent_id"] = _parent_name(parent)
    return out


_ISO_STAMP = __import__("re").compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_CLOCK = __import__("re").compile(r"^\d{2}:\d{2}:\d{2}$")
HIDDEN_FIELDS = frozenset({"id", "created_at", "updated_at", "version", "source_digest",
                           "service_id", "location_id", "organization_id", "parent_id",
                           "program_id", "contact_id", "service_at_location_id", "phone_id",
                           "taxonomy_id", "taxonomy_term_id", "link_id"})


def value(field: str, raw: Any) -> str:
    """A value from the audit trail as a curator reads it."""
    if raw is None or raw == "":
        return ""
    if isinstance(raw, bool):
        return str(_l("Yes") if raw else _l("No"))
    if isinstance(raw, str):
        if field == "byday":
            return days(raw)
        if field == "status":
            return label(STATUS, raw)
        if field == "publication":
            return label(PUBLICATION, raw)
        if field in ("text_language", "locale"):
            return language_name(raw)
        if _ISO_STAMP.match(raw):
            try:
                return when(datetime.fromisoformat(raw))
            except ValueError:
                return raw
        if _CLOCK.match(raw):
            return raw[:5]
    return str(raw)
