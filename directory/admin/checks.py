"""Validation and output safety for admin edits: the operations' rules, CSV cells, Markdown."""

from __future__ import annotations

import re
from typing import Any

import nh3

from ..models.entities import ENTITY_NAMES
from ..operations import FieldError, ValidationError
from ..operations.records import RecordWriter, unsafe_link

# Spreadsheet programs run cells that start with these as formulas (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_MD_LINK_RE = re.compile(r"\]\(\s*<?([^)\s>]*)")
_MD_REF_RE = re.compile(r"(?m)^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")
_HTML_HREF_RE = re.compile(r"""(?:href|src)\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)
# Raw HTML a page body may keep; everything else is Markdown.
PAGE_HTML_TAGS = {"a", "abbr", "b", "br", "code", "em", "i", "kbd", "mark", "p", "pre", "q",
                  "s", "small", "strong", "sub", "sup", "u", "ul", "ol", "li", "blockquote",
                  "h2", "h3", "h4", "hr", "table", "thead", "tbody", "tr", "th", "td"}


def validate_record(record: Any) -> None:
    """Apply the same field rules as ``operations.save_record``; raise ValidationError."""
    model = type(record)
    path = ENTITY_NAMES.get(model, getattr(model, "__tablename__", "record"))
    writer = RecordWriter()
    writer.record_id = getattr(record, "id", None)
    data = {column.key: getattr(record, column.key, None)
            for column in model.__table__.columns}
    if model in ENTITY_NAMES:
        writer._validate(model, record, data, path)
    else:
        for name in ("url", "website", "uri"):
            if unsafe_link(getattr(record, name, None)):
                writer._error(f"{path}.{name}",
                              "only http, https, mailto and tel links are allowed")
    if writer.errors:
        raise ValidationError(writer.errors)


def safe_cell(value: Any) -> Any:
    """A CSV cell that spreadsheet programs will show as text, never run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


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
