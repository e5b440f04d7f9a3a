"""Shared model machinery: ids, timestamps and per-entity translation tables."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


def new_id() -> str:
    """Return a new HSDS identifier (a UUID string)."""
    return str(uuid.uuid4())


def is_record_id(value: object) -> bool:
    """Whether ``value`` can be a record id (a UUID string); guards lookups of public input."""
    if not isinstance(value, str) or len(value) > 36:
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp stored as UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                value = value.replace(tzinfo=UTC)
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def id_column() -> Mapped[str]:
    """A primary-key column holding an HSDS UUID string."""
    return mapped_column(sa.String(36), primary_key=True, default=new_id)


def fk(target: str, *, nullable: bool = True, ondelete: str = "CASCADE") -> Mapped[str | None]:
    """An indexed foreign key to another HSDS record."""
    # Deferred checks: an HSDS import inserts records in whatever order they nest, and the
    # constraint is checked at commit, when everything referenced is there.
    return mapped_column(sa.String(36), sa.ForeignKey(target, ondelete=ondelete, deferrable=True,
                                                      initially="DEFERRED"),
                         nullable=nullable, index=True)


class Timestamped:
    """``created_at``/``updated_at`` columns maintained by the ORM."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow,
                                                 nullable=False)


class Translatable:
    """A record whose text fields have per-locale translation rows.

    Subclasses set ``__translated__`` (the base text fields); ``make_translation_model`` adds the
    ``<table>_translation`` table and the ``translations`` relationship.
    """

    __translated__: tuple[str, ...] = ()
    text_language: Mapped[str] = mapped_column(sa.String(16), default="en", nullable=False)

    def source_digest(self) -> str:
        """Digest of the base text that translations are made from (stale detection)."""
        h = hashlib.sha256()
        for name in self.__translated__:
            h.update(name.encode())
            h.update(b"\x00")
            h.update((getattr(self, name) or "").encode())
            h.update(b"\x01")
        return h.hexdigest()

    def translation(self, locale: str):
        """Return this record's translation row for ``locale``, or None."""
        for row in self.translations:
            if row.locale == locale:
                return row
        return None

    def translated(self, field: str, locale: str) -> tuple[str | None, str]:
        """Return ``(text, locale_of_text)``: the visitor's language if there is a translation,
        else English if there is one, else the base text (the fallback order of the site)."""
        for wanted in dict.fromkeys((locale, "en")):
            if wanted == self.text_language:
                break
            row = self.translation(wanted)
            value = getattr(row, field, None) if row is not None else None
            if value:
                return value, wanted
        return getattr(self, field), self.text_language

    def set_translation(self, locale: str, values: dict[str, Any],
                        digest: str | None = None) -> Any:
        """Create or update the translation for ``locale`` from ``values``."""
        row = self.translation(locale)
        if row is None:
            row = self.translation_class(locale=locale)
            self.translations.append(row)
        for name in self.__translated__:
            if name in values:
                setattr(row, name, values[name] or None)
        row.source_digest = digest or self.source_digest()
        return row

    def stale_translations(self) -> list[str]:
        """Locales whose translation was made from different base text."""
        current = self.source_digest()
        return sorted(row.locale for row in self.translations if row.source_digest != current)


def make_translation_model(parent: type, class_name: str) -> type:
    """Create the ``<parent table>_translation`` model for a ``Translatable`` model."""
    table = parent.__tablename__
    columns: dict[str, Any] = {
        "__tablename__": f"{table}_translation",
        "__table_args__": (sa.UniqueConstraint("parent_id", "locale"),),
        "id": mapped_column(sa.Integer, primary_key=True),
        "parent_id": mapped_column(sa.String(36), sa.ForeignKey(f"{table}.id", ondelete="CASCADE",
                                                 deferrable=True, initially="DEFERRED"),
                                   nullable=False, index=True),
        "locale": mapped_column(sa.String(16), nullable=False),
        "source_digest": mapped_column(sa.String(64), nullable=True),
        "__annotations__": {"id": Mapped[int], "parent_id": Mapped[str], "locale": Mapped[str],
                            "source_digest": Mapped[str | None]},
        "__repr__": lambda self: f"<{class_name} {self.parent_id} {self.locale}>",
    }
    for name in parent.__translated__:
        columns[name] = mapped_column(sa.Text, nullable=True)
        columns["__annotations__"][name] = Mapped[str | None]
    model = type(class_name, (db.Model,), columns)
    model.translated_from = parent
    parent.translation_class = model
    parent.translations = relationship(model, cascade="all, delete-orphan", lazy="selectin",
                                       order_by=model.locale)
    return model


def _display_name(record: Any) -> str:
    """How a record reads in a form or list: its name, title, email or number, never a repr."""
    for attr in ("name", "title", "email", "number", "address_1", "language", "code"):
        value = getattr(record, attr, None)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


# Every model: Flask-Admin shows related records (select boxes, lists) with str().
db.Model.__str__ = _display_name
