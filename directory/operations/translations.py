"""Translation rows edited one by one (by translators) or with their record (inline)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import models as m
from ..extensions import db
from .errors import FieldError, ValidationError


def refresh_translation_digests(record: Any) -> None:
    """Translation rows changed in this session were made from the record's current base text."""
    if not hasattr(record, "translations"):
        return
    digest = record.source_digest()
    session = db.session
    for row in record.translations:
        if row in session.new or session.is_modified(row):
            row.source_digest = digest


def translation_problems(row: Any, parent: Any) -> list[FieldError]:
    """What keeps a translation row from being saved: no such record, or a second row for a
    locale the record already has."""
    if parent is None:
        return [FieldError("parent_id", _("No record with this id."))]
    model = type(row)
    duplicate = db.session.scalar(sa.select(model.id).where(
        model.parent_id == row.parent_id, model.locale == row.locale,
        model.id != (row.id or -1)))
    if duplicate is not None:
        return [FieldError("locale",
                           _("This record already has a translation in that language."))]
    return []


def save_translation(row: Any, parent_model: type) -> Any:
    """Save one translation row of a ``parent_model`` record; raise ValidationError; flush."""
    with db.session.no_autoflush:
        parent = db.session.get(parent_model, row.parent_id)
        problems = translation_problems(row, parent)
        if problems:
            raise ValidationError(problems)
        row.source_digest = parent.source_digest()
        if isinstance(parent, m.Page) and row.body:
            from .pages import clean_page_markdown

            row.body = clean_page_markdown(row.body, "body")
    db.session.flush()
    return row


def translate_record(record: Any, locale: str, values: dict[str, str]) -> Any:
    """Create or replace ``record``'s translation into ``locale`` (made from its current text)."""
    if locale == record.text_language:
        raise ValidationError([FieldError("locale", _("This is the language the record is "
                                                      "written in; edit the record itself."))])
    row = record.set_translation(locale, values)
    if isinstance(record, m.Page) and row.body:
        from .pages import clean_page_markdown

        row.body = clean_page_markdown(row.body, "body")
    db.session.flush()
    return row


def confirm_translation(row: Any, record: Any) -> Any:
    """The translation still matches the record's current text: no longer stale."""
    row.source_digest = record.source_digest()
    db.session.flush()
    return row
