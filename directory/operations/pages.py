"""Explainer pages: create and update, with translations and category links."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from .. import models as m
from ..extensions import db
from ..i18n import SUPPORTED_LOCALES
from .errors import FieldError, ValidationError

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def save_page(data: dict[str, Any]) -> m.Page:
    """Create or update an explainer page from ``{slug, title, body, translations, ...}``."""
    errors: list[FieldError] = []
    slug = data.get("slug")
    if not isinstance(slug, str) or not SLUG_RE.match(slug) or len(slug) > 128:
        errors.append(FieldError("page.slug", "use lowercase letters, digits and hyphens", slug))
    for name in ("title", "body"):
        if not isinstance(data.get(name), str) or not data[name].strip():
            errors.append(FieldError(f"page.{name}", "is required", slug))
    language = data.get("text_language", "en")
    if language not in SUPPORTED_LOCALES:
        errors.append(FieldError("page.text_language", f"unsupported locale {language!r}", slug))
    terms = []
    codes = data.get("taxonomy_term_codes", [])
    ids = data.get("taxonomy_term_ids", [])
    for code in codes:
        term = db.session.scalar(sa.select(m.TaxonomyTerm).where(m.TaxonomyTerm.code == code))
        if term is None:
            errors.append(FieldError("page.taxonomy_term_codes", f"no term with code {code}", slug))
        else:
            terms.append(term)
    for term_id in ids:
        term = db.session.get(m.TaxonomyTerm, term_id)
        if term is None:
            errors.append(FieldError("page.taxonomy_term_ids", f"no term with id {term_id}", slug))
        else:
            terms.append(term)
    translations = data.get("translations", [])
    for index, item in enumerate(translations):
        if not isinstance(item, dict) or item.get("locale") not in SUPPORTED_LOCALES:
            errors.append(FieldError(f"page.translations[{index}].locale", "unsupported locale",
                                     slug))
    if errors:
        raise ValidationError(errors)
    page = db.session.scalar(sa.select(m.Page).where(m.Page.slug == slug))
    if page is None:
        page = m.Page(id=data.get("id") or m.new_id(), slug=slug)
        db.session.add(page)
    page.title = data["title"]
    page.summary = data.get("summary")
    page.body = data["body"]
    page.text_language = language
    page.publication = data.get("publication", "published")
    page.taxonomy_terms = terms
    for item in translations:
        page.set_translation(item["locale"], item, digest=item.get("source_digest"))
    db.session.flush()
    return page
