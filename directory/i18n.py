"""Supported locales, locale selection and right-to-left scripts."""

from __future__ import annotations

from flask import g, request

# The codes used in URLs, catalogs and translation rows.
SUPPORTED_LOCALES: tuple[str, ...] = (
    "en", "fr", "es", "zh_Hans", "zh_Hant", "pa", "ar", "fa", "ko", "vi", "tl",
)
RTL_LOCALES = frozenset({"ar", "fa"})
DEFAULT_LOCALE = "en"

# Each locale's own name, for the language switcher (never translated).
LOCALE_NAMES = {
    "en": "English",
    "fr": "Français",
    "es": "Español",
    "zh_Hans": "简体中文",
    "zh_Hant": "繁體中文",
    "pa": "ਪੰਜਾਬੀ",
    "ar": "العربية",
    "fa": "فارسی",
    "ko": "한국어",
    "vi": "Tiếng Việt",
    "tl": "Tagalog",
}

# BCP 47 tags for the lang attribute; our URL codes are Babel's identifiers.
HTML_LANG = {"zh_Hans": "zh-Hans", "zh_Hant": "zh-Hant"}


def normalize_locale(value: str | None) -> str | None:
    """Return the supported locale code matching ``value`` (case-insensitive, - or _), or None."""
    if not value:
        return None
    wanted = value.replace("-", "_").lower()
    for code in SUPPORTED_LOCALES:
        if code.lower() == wanted:
            return code
    aliases = {"zh_cn": "zh_Hans", "zh_sg": "zh_Hans", "zh_tw": "zh_Hant", "zh_hk": "zh_Hant",
               "zh_mo": "zh_Hant", "zh": "zh_Hans", "fil": "tl", "fil_ph": "tl", "tl_ph": "tl", "pa_guru": "pa", "pa_in": "pa"}
    if wanted in aliases:
        return aliases[wanted]
    base = wanted.split("_")[0]
    for code in SUPPORTED_LOCALES:
        if code.lower() == base:
            return code
    return None


def best_accept_language() -> str:
    """Pick the best supported locale from the Accept-Language header."""
    for value, _quality in request.accept_languages:
        code = normalize_locale(value)
        if code:
            return code
    return DEFAULT_LOCALE


# Babel's name for a locale whose catalog folder differs from our URL code.
BABEL_LOCALE = {"tl": "fil"}


def babel_locale() -> str:
    """The locale Flask-Babel formats and translates with (catalog folder name)."""
    code = select_locale()
    return BABEL_LOCALE.get(code, code)


def babel_timezone() -> str:
    """The zone Flask-Babel shows times in: a signed-in staff member's own in the back office,
    else DIRECTORY_STAFF_TIMEZONE there, else the directory's default (BABEL_DEFAULT_TIMEZONE)."""
    from flask import current_app

    config = current_app.config
    if request and request.path.startswith("/admin"):
        from flask_security import current_user

        zone = getattr(current_user, "timezone", None) if current_user else None
        return zone or config.get("STAFF_TIMEZONE") or config["BABEL_DEFAULT_TIMEZONE"]
    return config["BABEL_DEFAULT_TIMEZONE"]


def select_locale() -> str:
    """Locale for the current request: the URL's, else the Accept-Language header's."""
    code = getattr(g, "locale", None)
    if code:
        return code
    if request:
        return best_accept_language()
    return DEFAULT_LOCALE


def text_direction(locale: str) -> str:
    """Return "rtl" or "ltr" for a locale."""
    return "rtl" if locale in RTL_LOCALES else "ltr"


def html_lang(locale: str) -> str:
    """Return the BCP 47 tag for the ``lang`` attribute."""
    return HTML_LANG.get(locale, locale)
