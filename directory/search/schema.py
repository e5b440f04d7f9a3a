"""The Whoosh schema: per-locale text fields, a language-neutral field, facets and stored rows."""

from __future__ import annotations

from whoosh import fields

from ..i18n import SUPPORTED_LOCALES
from .analyzers import analyzer_for, folding_analyzer

# Facet fields: comma-separated keywords, counted and filtered on.
FACET_FIELDS = ("terms", "languages", "city", "region", "flags", "cost")
# Bumped when documents or stored rows change shape: an index of another version is rebuilt.
SCHEMA_VERSION = 3


def name_field(locale: str) -> str:
    return f"name_{locale}"


def text_field(locale: str) -> str:
    return f"text_{locale}"


def build_schema() -> fields.Schema:
    """One document per published, public service."""
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        # Names in every language, the base-language description, organisation and places,
        # folded but not stemmed: cross-language matches, suggestions and the fuzzy fallback.
        # (Category labels are matched at query time through ``labels.LabelMatcher``: indexing
        # every label in every language into every document made builds five times slower.)
        all=fields.TEXT(analyzer=folding_analyzer(), phrase=False, spelling=True),
        terms=fields.KEYWORD(commas=True),
        languages=fields.KEYWORD(commas=True, lowercase=True),
        city=fields.KEYWORD(commas=True, lowercase=True),
        region=fields.KEYWORD(commas=True, lowercase=True),
        flags=fields.KEYWORD(commas=True),
        cost=fields.KEYWORD(commas=True),
        # Everything a result row shows, so a page of results needs no database query.
        row=fields.STORED(),
    )
    for locale in SUPPORTED_LOCALES:
        analyzer = analyzer_for(locale)
        schema.add(name_field(locale), fields.TEXT(analyzer=analyzer, phrase=True))
        schema.add(text_field(locale), fields.TEXT(analyzer=analyzer, phrase=True))
    return schema
