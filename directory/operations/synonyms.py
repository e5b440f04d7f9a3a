"""Search synonym groups, curated per language: words people use for the same thing."""

from __future__ import annotations

from flask_babel import gettext as _

from .. import models as m
from ..extensions import db
from ..i18n import SUPPORTED_LOCALES
from .errors import FieldError, ValidationError

MAX_MEMBERS = 40
MAX_MEMBER_LENGTH = 100


def synonym_group_problems(locale: str | None, members: list[str]) -> list[FieldError]:
    """What is wrong with a group of ``members`` (already split and tidied) for ``locale``."""
    errors = []
    if locale not in SUPPORTED_LOCALES:
        errors.append(FieldError("locale", _("Choose one of the languages.")))
    if len(members) < 2:
        errors.append(FieldError(
            "terms", _("Give at least two words or phrases, separated by commas.")))
    elif len(members) > MAX_MEMBERS:
        errors.append(FieldError(
            "terms", _("At most %(n)d words or phrases in one group.", n=MAX_MEMBERS)))
    elif any(len(member) > MAX_MEMBER_LENGTH for member in members):
        errors.append(FieldError(
            "terms", _("Each word or phrase can be at most %(n)d characters long.",
                       n=MAX_MEMBER_LENGTH)))
    return errors


def save_synonym_group(group: m.SearchSynonym) -> m.SearchSynonym:
    """Check and tidy a synonym group (duplicates dropped, one comma list); flush.

    The flush logs the change, so every process reloads the groups and the listings using
    the words are re-indexed after commit.
    """
    members = m.SearchSynonym.split(group.terms)
    errors = synonym_group_problems(group.locale, members)
    if errors:
        raise ValidationError(errors)
    group.terms = ", ".join(members)
    db.session.flush()
    return group
