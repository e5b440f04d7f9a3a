"""Staff accounts changed by an admin: disabling ends sessions; nobody locks themselves out."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import models as m
from ..extensions import db
from .errors import FieldError, ValidationError


def end_sessions(user: m.User) -> None:
    """Sign the account out everywhere: a new uniquifier voids its sessions and cookies."""
    from ..security import user_datastore

    user_datastore().set_uniquifier(user)


def save_account(user: m.User, *, by: m.User) -> m.User:
    """Save an account ``by`` changed; disabling it ends its sessions at once; flush."""
    if sa.inspect(user).attrs["active"].history.has_changes() and not user.active:
        end_sessions(user)  # as `flask users deactivate` does
    if user.id == by.id and (not user.active or not user.has_role("admin")):
        raise ValidationError([FieldError(
            "active", _("You cannot disable or demote your own account."))])
    db.session.flush()
    return user


def check_account_deletion(user: m.User, *, by: m.User) -> None:
    """Refuse to let ``by`` delete their own account."""
    if user.id == by.id:
        raise ValidationError([FieldError("user", _("You cannot delete your own account."))])
