"""Places people type in "near", from two bundled tables (their headers give source and licence):

- Canadian city centres (``ca_cities.csv``, CC0), matched folded (case and accents ignored), in the
  locales' spellings, with or without a trailing province ("Montreal, QC", "Montréal (Québec)");
- the centre of each forward sortation area (``ca_fsa.csv``, MIT, after Statistics Canada's 2011
  FSA list), for a full postal code ("V5K 0A1") or its first three characters ("V5K").

No geocoding service is ever called: what a visitor types stays on this server."""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
TABLE = HERE / "ca_cities.csv"
FSA_TABLE = HERE / "ca_fsa.csv"
PROVINCES = {
    "ab": "alberta", "bc": "british columbia|colombie-britannique|c.-b.|cb", "mb": "manitoba",
    "nb": "new brunswick|nouveau-brunswick|n.-b.", "nl": "newfoundland and labrador|"
    "newfoundland|terre-neuve-et-labrador|t.-n.-l.", "ns": "nova scotia|nouvelle-ecosse|n.-e.",
    "nt": "northwest territories|territoires du nord-ouest|t.n.-o.", "nu": "nunavut",
    "on": "ontario|ont", "pe": "prince edward island|ile-du-prince-edouard|pei|i.-p.-e.",
    "qc": "quebec|que|qué", "sk": "saskatchewan|sask", "yt": "yukon", "ca": "canada"}
_SUFFIX = re.compile(r"\s*(?:,|\(|\s)\s*(%s)\s*\)?\s*$" % "|".join(
    re.escape(name) for code, names in PROVINCES.items() for name in (code, *names.split("|"))))


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", " ".join(text.split()).lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def _table() -> dict[str, tuple[float, float]]:
    out: dict[str, tuple[float, float]] = {}
    for row in _rows(TABLE):
        point = (float(row["lat"]), float(row["lon"]))
        for name in (row["name"], *(row["other_names"] or "").split("|")):
            if name.strip():
                out.setdefault(fold(name), point)
    return out


def city_centre(name: str) -> tuple[float, float] | None:
    """(lat, lon) of a Canadian city named ``name`` in any of its spellings, else None."""
    key = fold(name)
    if not key:
        return None
    table = _table()
    found = table.get(key)
    if found is None:
        stripped = _SUFFIX.sub("", key).strip(" ,")
        found = table.get(stripped) if stripped and stripped != key else None
    return found


POSTAL = re.compile(r"^[a-z]\d[a-z](?:\s?\d[a-z]\d)?$")


def looks_postal(text: str) -> bool:
    """A Canadian postal code or forward sortation area ("V5K 0A1", "v5k0a1", "V5K")."""
    return bool(POSTAL.match(fold(text)))


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        yield from csv.DictReader(line for line in handle if not line.startswith("#"))


@lru_cache(maxsize=1)
def _fsa_table() -> dict[str, tuple[float, float]]:
    return {row["fsa"].lower(): (float(row["lat"]), float(row["lon"])) for row in _rows(FSA_TABLE)}


def fsa_centre(postal: str) -> tuple[float, float] | None:
    """(lat, lon) of the forward sortation area of a postal code or FSA, else None."""
    key = fold(postal).replace(" ", "")
    return _fsa_table().get(key[:3]) if looks_postal(key) else None
