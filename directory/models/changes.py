"""The search change log (one row per service whose index document may need updating), the
synonym groups and concept words curators add, and the daily counts of searches that found
nothing."""

from __future__ import annotations

import re
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, new_id, utcnow


class SearchChange(db.Model):
    """Written in the same transaction as the edit, so a committed change is never lost.

    The indexer applies rows in ``seq`` order and records the last applied ``seq`` in the index;
    applying a row twice is harmless (the document is rebuilt from the database).
    """

    __tablename__ = "search_change"

    seq: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(sa.String(32), nullable=False, default="service")
    entity_id: Mapped[str] = mapped_column(sa.String(36), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class SearchSynonym(db.Model):
    """A synonym group curated in the back office for one language, on top of the groups
    shipped in ``search/synonyms/<locale>.txt``.

    Saving one writes change-log rows for the listings that use its words (so their index
    documents gain or lose the group's token) and one ``synonyms`` row (so every process
    reloads the groups, even when no listing uses them yet).
    """

    __tablename__ = "search_synonym"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    locale: Mapped[str] = mapped_column(sa.String(16), nullable=False, index=True)
    terms: Mapped[str] = mapped_column(sa.Text, nullable=False)
    note: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow,
                                                 nullable=False)

    def __str__(self) -> str:
        return f"{self.locale}: {self.terms}"[:80]

    @staticmethod
    def split(terms: str | None) -> list[str]:
        """The group's members: comma-separated (also Arabic and CJK commas), spaces tidied."""
        members = []
        for part in re.split("[,\u060c\uff0c\u3001\n]", terms or ""):
            part = " ".join(part.split())
            if part and part.casefold() not in (p.casefold() for p in members):
                members.append(part)
        return members


class SearchConceptTerm(db.Model):
    """A word or an everyday phrase curated in the back office for one concept and language, on
    top of the concepts shipped in ``search/concepts/*.toml`` (which new concepts need).

    Concepts act at query time only, so nothing is re-indexed: saving one writes a ``concepts``
    change-log row, and every process reloads the curated terms when the log moves.
    """

    __tablename__ = "search_concept_term"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('word', 'phrase')", name="kind"),
        sa.UniqueConstraint("concept_id", "locale", "kind", "text"),
    )
    KINDS = ("word", "phrase")
    MAX_LENGTH = 100

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    concept_id: Mapped[str] = mapped_column(sa.String(64), nullable=False, index=True)
    locale: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(8), nullable=False, default="word")
    text: Mapped[str] = mapped_column(sa.String(MAX_LENGTH), nullable=False)
    note: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow,
                                                 nullable=False)

    def __str__(self) -> str:
        return f"{self.concept_id} ({self.locale}): {self.text}"[:80]


class SearchMiss(db.Model):
    """Searches that found nothing, as daily counts per locale: the words people use that we lack.

    Only the normalised query text, the day and a count are kept: no address, no time finer than
    a day, nothing that links two searches to one person (``operations.misses`` writes them).
    """

    __tablename__ = "search_miss"
    MAX_QUERY_LENGTH = 200

    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    locale: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    query: Mapped[str] = mapped_column(sa.String(MAX_QUERY_LENGTH), primary_key=True)
    count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)

    @classmethod
    def normalise(cls, text: str) -> str:
        """Lower-case, single-spaced, capped: one row for the same words however typed."""
        return " ".join(text.lower().split())[:cls.MAX_QUERY_LENGTH]
