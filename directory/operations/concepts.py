"""Concept words and everyday phrases curated in the back office, on top of the shipped files."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import models as m
from ..extensions import db
from ..i18n import SUPPORTED_LOCALES
from ..search.concepts import shipped_concepts
from .errors import FieldError, ValidationError

MAX_PHRASE_WORDS = 8


def concept_choices(locale: str) -> list[tuple[str, str]]:
    """(concept id, "label (id)") for every shipped concept, by label in ``locale``."""
    concepts = shipped_concepts()
    return sorted(((cid, f"{c.label(locale)} ({cid})") for cid, c in concepts.items()),
                  key=lambda pair: pair[1].casefold())


def concept_term_problems(term: m.SearchConceptTerm) -> list[FieldError]:
    """What is wrong with a curated word or phrase (``text`` already tidied)."""
    errors = []
    if term.concept_id not in shipped_concepts():
        errors.append(FieldError("concept_id", _("Choose one of the concepts.")))
    if term.locale not in SUPPORTED_LOCALES:
        errors.append(FieldError("locale", _("Choose one of the languages.")))
    if term.kind not in m.SearchConceptTerm.KINDS:
        errors.append(FieldError("kind", _("Choose a word or an everyday phrase.")))
    text = term.text or ""
    if not text:
        errors.append(FieldError("text", _("Type the word or phrase people use.")))
    elif len(text) > m.SearchConceptTerm.MAX_LENGTH:
        errors.append(FieldError("text", _("At most %(n)d characters.",
                                           n=m.SearchConceptTerm.MAX_LENGTH)))
    elif term.kind == "phrase" and len(text.split()) > MAX_PHRASE_WORDS:
        errors.append(FieldError("text", _("A phrase can have at most %(n)d words.",
                                           n=MAX_PHRASE_WORDS)))
    if not errors:
        shipped = shipped_concepts()[term.concept_id]
        values = (shipped.words if term.kind == "word" else shipped.phrases).get(term.locale, [])
        with db.session.no_autoflush:
            same = db.session.scalars(sa.select(m.SearchConceptTerm.id).where(
                m.SearchConceptTerm.concept_id == term.concept_id,
                m.SearchConceptTerm.locale == term.locale,
                m.SearchConceptTerm.kind == term.kind, m.SearchConceptTerm.text == text)).all()
        duplicate = any(other != term.id for other in same)
        if duplicate or text.casefold() in (v.casefold() for v in values):
            errors.append(FieldError("text", _("This concept already has that word or phrase.")))
    return errors


def save_concept_term(term: m.SearchConceptTerm) -> m.SearchConceptTerm:
    """Check and tidy a curated word or phrase; flush (the change log tells every process)."""
    term.text = " ".join((term.text or "").split())
    errors = concept_term_problems(term)
    if errors:
        raise ValidationError(errors)
    db.session.flush()
    return term
