"""Staff accounts, roles, the audit trail and widget partners."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_security.models import fsqla_v3 as fsqla
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import Timestamped, UTCDateTime, utcnow

fsqla.FsModels.set_db_info(db)

# What each role may do; enforced by the admin and the operations that check permissions.
ROLES = {
    "admin": "Everything, including users, partners and the search index.",
    "publisher": "Everything an editor does, and approve changes to published listings.",
    "editor": "Create and edit listings and pages; changes to published listings wait for a "
              "publisher.",
    "translator": "Add and update translations of listings and pages.",
}


class Role(db.Model, fsqla.FsRoleMixin):
    __tablename__ = "role"


class User(db.Model, fsqla.FsUserMixin):
    __tablename__ = "user"

    # The IANA time zone this staff member reads times in (None: DIRECTORY_STAFF_TIMEZONE).
    timezone: Mapped[str | None] = mapped_column(sa.String(64))

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class AuditLog(db.Model):
    """One row per change to a record: who, when, what, old and new values."""

    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_log_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False,
                                                 index=True)
    actor: Mapped[str | None] = mapped_column(sa.String(255))
    entity: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    entity_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    action: Mapped[str] = mapped_column(sa.String(16), nullable=False)  # create/update/delete
    changes: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)


class Partner(Timestamped, db.Model):
    """An organisation embedding the search widget on its own site."""

    __tablename__ = "partner"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    # Space-separated origins (scheme://host[:port]) allowed to embed the widget or iframe.
    allowed_origins: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    preset_locale: Mapped[str | None] = mapped_column(sa.String(16))
    preset_category: Mapped[str | None] = mapped_column(sa.String(255))
    preset_region: Mapped[str | None] = mapped_column(sa.String(255))
    theme: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
