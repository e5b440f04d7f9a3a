"""HSDS objects for the API: the public exporter, plus translated text for a requested locale."""

from __future__ import annotations

from typing import Any

from .. import models as m
from ..exchange.exporter import Serializer

TRANSLATION_META = frozenset({"locale", "source_digest", "stale"})


class ApiSerializer(Serializer):
    """Public HSDS objects; with ``locale``, translated fields replace the base text.

    Each translatable object then says which locale was asked for (``display_locale``), which
    fields are still in the base language because no translation exists (``fallback_fields``)
    and whether the translation used was made from older base text (``stale_translation``).
    """

    def __init__(self, locale: str | None = None, hsds_version: str = "3.0"):
        super().__init__(public=True, hsds_version=hsds_version)
        self.locale = locale

    def record(self, record: Any, *, nest: bool = True, parent_model: type | None = None
               ) -> dict[str, Any]:
        out = super().record(record, nest=nest, parent_model=parent_model)
        if self.locale and hasattr(type(record), "translation_class"):
            localise(out, record.__translated__, self.locale)
        if isinstance(record, m.Service) and self.public:
            add_dated_facts(out, record, self.locale or record.text_language or "en")
        return out


def change_json(change: Any) -> dict[str, Any]:
    """One closure or change of hours (``search.row.HoursChange``) as the API shows it."""
    def hhmm(minutes: int | None) -> str | None:
        if minutes is None:
            return None
        minutes %= 24 * 60
        return f"{minutes // 60:02d}:{minutes % 60:02d}"

    return {"starts_on": change.starts.isoformat(), "ends_on": change.ends.isoformat(),
            "closed": change.closed, "opens_at": None if change.closed else hhmm(change.opens),
            "closes_at": None if change.closed else hhmm(change.closes),
            "reason": change.reason}


def add_dated_facts(out: dict[str, Any], service: m.Service, locale: str) -> None:
    """Today's facts by the one rule (``public.views.dated_facts``): open now, "open 24/7"
    (never for a listing that is not active or on a closure day), closures and changed hours,
    the alert only while current, capacity only while fresh, and how it was last checked."""
    from ..public.views import dated_facts

    term_ids = [a["taxonomy_term_id"] for a in out.get("attributes", [])
                if isinstance(a, dict) and a.get("taxonomy_term_id")] \
        if "attributes" in out else None
    facts = dated_facts(service, locale, term_ids=term_ids)
    out["open_now"] = facts["open_now"]
    out["open_24_7"] = facts["open_24_7"]
    out["hours_exceptions"] = [change_json(c) for c in facts["exceptions"]]
    if not facts["alert"]:
        out.pop("alert", None)
        out.pop("alert_until", None)
    out.pop("capacity_updated_by", None)
    if facts["capacity"]:
        out["capacity"] = facts["capacity"]
    else:
        out.pop("capacity", None)
        out.pop("capacity_updated_at", None)
    out["verification"] = {
        "last_verified_at": out.get("last_verified_at"),
        "method": service.last_verified_method, "overdue": facts["overdue"]}


def localise(out: dict[str, Any], fields: tuple[str, ...], locale: str) -> None:
    """Show ``out``'s translatable ``fields`` in ``locale`` where a translation has them."""
    out["display_locale"] = locale
    base = out.get("text_language", "en")
    fallback: list[str] = []
    stale = False
    translation = None
    if locale != base:
        translation = next((t for t in out.get("translations", []) if t.get("locale") == locale),
                           None)
    for name in fields:
        if locale == base or not out.get(name):
            continue
        if translation is not None and translation.get(name):
            out[name] = translation[name]
            stale = stale or bool(translation.get("stale"))
        else:
            fallback.append(name)
    out["fallback_fields"] = fallback
    out["stale_translation"] = stale
