"""Output safety for admin exports: CSV cells spreadsheet programs will not run."""

from __future__ import annotations

from typing import Any

# Spreadsheet programs run cells that start with these as formulas (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell(value: Any) -> Any:
    """A CSV cell that spreadsheet programs will show as text, never run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
