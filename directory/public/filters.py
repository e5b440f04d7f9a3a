"""The search page's filter groups and applied-filter chips, built once from the results.

Groups are de-duplicated by what a visitor reads: the same label ("Free", "Walk-in") shows once,
in the first group that offers it, unless the visitor checked the later one. Languages are named
in the page's language (Babel's CLDR names), falling back to English and then to a name we
know, never a bare code when a name exists.
"""

from __future__ import annotations

from typing import Any

from babel import Locale
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from ..i18n import BABEL_LOCALE

GROUP_ORDER = ("category", "population", "cost", "feature", "flag", "language", "city")
GROUP_TITLES = {"category": _l("Category"), "population": _l("Who it is for"),
                "feature": _l("How it works"), "language": _l("Languages"), "city": _l("City"),
                "flag": _l("Features"), "cost": _l("Cost")}
FLAG_LABELS = {"crisis_line": _l("Crisis line"), "open_24_7": _l("Open 24/7"),
               "walk_in": _l("Walk-in"), "appointment": _l("By appointment"),
               "anonymous": _l("Anonymous testing"), "confidential": _l("Confidential testing"),
               "home_kits": _l("Test kits by mail"), "online": _l("Phone, text or online"),
               "free": _l("Free"), "accessible": _l("Accessibility information"),
               "text_ok": _l("Text messages OK"), "tty": _l("TTY"),
               "quiet_contact": _l("I can't talk on the phone right now")}
# Shown as its own checkbox beside "Open now", not again among the features.
OWN_CHECKBOX = {("flag", "quiet_contact")}
COST_LABELS = {"free": _l("Free"), "fee": _l("Fees")}
# Languages CLDR does not name (their own names, as the communities write them).
EXTRA_LANGUAGE_NAMES = {"crx": "Dakelh"}
MAX_OPTIONS = 12
LATIN_SCRIPT_LOCALES = frozenset({"en", "fr", "es", "vi", "tl"})


def language_name(code: str, locale: str) -> tuple[str, str | None]:
    """A language code's name and the language of that name (None: the page's own)."""
    base = (code or "").replace("_", "-").split("-")[0].lower()
    try:
        name = Locale.parse(BABEL_LOCALE.get(locale, locale)).languages.get(base)
    except (ValueError, TypeError):
        name = None
    if name:
        return name, None
    english = Locale("en").languages.get(base)
    if english:
        return english, "en"
    if base in EXTRA_LANGUAGE_NAMES:
        return EXTRA_LANGUAGE_NAMES[base], base
    return code, None


def _label(key: str, value: Any, locale: str) -> tuple[str, str | None]:
    if key == "flag":
        return str(FLAG_LABELS.get(value.value, value.value)), None
    if key == "cost":
        return str(COST_LABELS.get(value.value, value.value)), None
    if key == "language":
        return language_name(value.value, locale)
    if key == "city":
        # Place names are written in Latin script: marked so screen readers switch voice.
        return value.value.title(), None if locale in LATIN_SCRIPT_LOCALES else "en"
    return value.label, None


def filter_groups(results, params: dict[str, Any], locale: str) -> list[dict[str, Any]]:
    """The filter groups to show, each option once, checked ones first kept."""
    chosen = params.get("filters", {})
    seen: set[str] = set()
    groups = []
    for key in GROUP_ORDER:
        field = "category" if key in ("population", "feature") else key
        options = []
        for value in results.facets.get(key, [])[:MAX_OPTIONS]:
            if (field, value.value) in OWN_CHECKBOX:
                continue
            label, label_lang = _label(key, value, locale)
            checked = value.value in chosen.get(field, [])
            folded = label.casefold()
            if folded in seen and not checked:
                continue
            seen.add(folded)
            options.append({"field": field, "value": value.value, "label": label,
                            "lang": label_lang, "count": value.count, "checked": checked,
                            "id": f"f-{key}-{len(options) + 1}"})
        if options:
            groups.append({"key": key, "title": GROUP_TITLES[key], "options": options})
    return groups


def applied_chips(groups: list[dict[str, Any]], params: dict[str, Any],
                  locale: str) -> list[dict[str, Any]]:
    """One removable chip per applied filter (a submit button naming what to remove)."""
    labels = {(o["field"], o["value"]): (o["label"], o["lang"])
              for g in groups for o in g["options"]}
    chips = []
    for field, values in params.get("filters", {}).items():
        for value in values:
            if (field, value) in labels:
                label, lang = labels[(field, value)]
            elif field == "language":
                label, lang = language_name(value, locale)
            elif field == "flag" and value in FLAG_LABELS:
                label, lang = str(FLAG_LABELS[value]), None
            else:
                label, lang = value, None
            chips.append({"remove": f"{field}={value}", "label": label, "lang": lang})
    if params.get("open_now"):
        chips.append({"remove": "open_now", "label": str(_l("Open now")), "lang": None})
    if params.get("near"):
        chips.append({"remove": "near", "label": params["near"], "lang": None})
    return chips


def without_removed(source: MultiDict) -> MultiDict:
    """The submitted form minus the chip the visitor removed (and back to page 1)."""
    remove = source.get("remove")
    if not remove:
        return source
    kept = MultiDict()
    field, _, value = remove.partition("=")
    for key, item in source.items(multi=True):
        if key in ("remove", "page") or (key == field and (not value or item == value)):
            continue
        kept.add(key, item)
    return kept


def filter_count(params: dict[str, Any]) -> int:
    """How many filters are on (the number in "Filters (n)")."""
    return sum(len(v) for v in params.get("filters", {}).values()) + \
        int(bool(params.get("open_now")))
