"""Widget partners: who may embed the search widget, and the one rule for an origin."""

from __future__ import annotations

import re

from flask_babel import gettext as _

from .. import models as m
from ..extensions import db
from .errors import FieldError, ValidationError

# scheme://host[:port], nothing after: what browsers send as Origin and CSP frame-ancestors take.
ORIGIN_RE = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")
PARTNER_KEY_RE = re.compile(r"[A-Za-z0-9_-]{3,64}")


def is_origin(text: str) -> bool:
    """Whether ``text`` is a web origin like https://example.org or http://localhost:8080."""
    return ORIGIN_RE.fullmatch(text) is not None


def partner_origins(partner: m.Partner) -> list[str]:
    """The partner's well-formed allowed origins (a trailing slash is forgiven)."""
    return [o.rstrip("/") for o in (partner.allowed_origins or "").split()
            if is_origin(o.rstrip("/"))]


def partner_problems(partner: m.Partner) -> list[FieldError]:
    """What is wrong with a partner's key and allowed origins."""
    errors = []
    if not PARTNER_KEY_RE.fullmatch(partner.key or ""):
        errors.append(FieldError(
            "key", _("Use 3 to 64 letters, digits, hyphens or underscores.")))
    for origin in (partner.allowed_origins or "").split():
        if not is_origin(origin):
            errors.append(FieldError(
                "allowed_origins", _("%(origin)s is not an origin like "
                                     "https://example.org", origin=origin[:60])))
    return errors


def save_partner(partner: m.Partner) -> m.Partner:
    """Check a partner (key, origins); no preset locale is stored as none; flush."""
    partner.preset_locale = partner.preset_locale or None
    errors = partner_problems(partner)
    if errors:
        raise ValidationError(errors)
    db.session.flush()
    return partner
