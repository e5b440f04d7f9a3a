"""HSDS objects for the API: the public exporter, plus translated text for a requested locale."""

from __future__ import annotations

from typing import Any

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
        return out


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
