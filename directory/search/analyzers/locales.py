"""Locale codes the analyzers serve, and the shape of synonym tokens."""

from __future__ import annotations

from ...i18n import SUPPORTED_LOCALES

# Canonical synonym tokens look like "syn:en:shelter". The tokenizer never produces ":" inside a
# token, so nobody can type one.
SYNONYM_PREFIX = "syn:"


def _check_locale(locale: str) -> str:
    """Return the supported spelling of a locale code or raise ValueError."""
    if locale in SUPPORTED_LOCALES:
        return locale
    wanted = str(locale).replace("-", "_").lower()
    for code in SUPPORTED_LOCALES:
        if code.lower() == wanted:
            return code
    raise ValueError(f"unsupported locale {locale!r}; expected one of {SUPPORTED_LOCALES}")
