"""Explainer pages: create and update, with translations and category links."""

from __future__ import annotations

import re
from typing import Any

import nh3
import sqlalchemy as sa

from .. import models as m
from ..extensions import db
from ..i18n import SUPPORTED_LOCALES
from .errors import FieldError, ValidationError
from .records import save_edited_record, unsafe_link

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MESSAGE = "use lowercase letters, digits and hyphens"
_MD_LINK_RE = re.compile(r"\]\(\s*<?([^)\s>]*)")
_MD_REF_RE = re.compile(r"(?m)^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")
_HTML_HREF_RE = re.compile(r"""(?:href|src)\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)
# Raw HTML a page body may keep; everything else is Markdown.
PAGE_HTML_TAGS = {"a", "abbr", "b", "br", "code", "em", "i", "kbd", "mark", "p", "pre", "q",
                  "s", "small", "strong", "sub", "sup", "u", "ul", "ol", "li", "blockquote",
                  "h2", "h3", "h4", "hr", "table", "thead", "tbody", "tr", "th", "td"}


def is_slug(slug: Any) -> bool:
    """Whether ``slug`` can be a page's address: lowercase words joined by hyphens."""
    return isinstance(slug, str) and bool(SLUG_RE.match(slug)) and len(slug) <= 128


def markdown_links(text: str) -> list[str]:
    """Every link target written in Markdown or raw HTML."""
    return (_MD_LINK_RE.findall(text) + _MD_REF_RE.findall(text)
            + _HTML_HREF_RE.findall(text))


def clean_page_markdown(text: str, field: str = "page.body") -> str:
    """Refuse unsafe links and strip unsafe raw HTML from a Markdown body before it is saved."""
    bad = [link for link in markdown_links(text or "") if unsafe_link(link)]
    if bad:
        raise ValidationError([FieldError(field, "only http, https, mailto and tel links are "
                                                 f"allowed (found {bad[0][:40]!r})")])
    cleaned = nh3.clean(text or "", tags=PAGE_HTML_TAGS,
                        attributes={"a": {"href", "title"}, "abbr": {"title"}},
                        url_schemes={"http", "https", "mailto", "tel"},
                        link_rel="noopener noreferrer")
    # nh3 escapes the Markdown quote marker and ampersands; Markdown reads them back as text.
    cleaned = re.sub(r"(?m)^(\s*)((?:&gt;\s*)+)",
                     lambda m: m.group(1) + m.group(2).replace("&gt;", ">"), cleaned)
    return cleaned.replace("&amp;", "&")


def save_edited_page(page: m.Page) -> m.Page:
    """Save a page a form changed in place: slug checked, bodies cleaned, record rules; flush."""
    if not is_slug(page.slug):
        raise ValidationError([FieldError("page.slug", SLUG_MESSAGE)])
    page.body = clean_page_markdown(page.body)
    for row in page.translations:
        if row.body:
            row.body = clean_page_markdown(row.body, f"page.translations.{row.locale}")
    return save_edited_record(page)


def save_page(data: dict[str, Any]) -> m.Page:
    """Create or update an explainer page from ``{slug, title, body, translations, ...}``."""
    errors: list[FieldError] = []
    slug = data.get("slug")
    if not is_slug(slug):
        errors.append(FieldError("page.slug", SLUG_MESSAGE, slug))
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
