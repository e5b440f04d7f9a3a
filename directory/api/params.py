"""Reading API parameters from a query string or a JSON body, with a clear error for each."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask import request
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from .. import i18n
from ..models import is_record_id

TRUE = {"true", "1", "yes"}
FALSE = {"false", "0", "no"}


class ApiError(Exception):
    """A request the client must fix: answered with HTTP ``status`` and a JSON message."""

    def __init__(self, message: str, field: str | None = None, status: int = 400):
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


class Params:
    """Typed access to request parameters (query string for GET, JSON object for POST)."""

    def __init__(self, source: MultiDict | Mapping[str, Any]):
        self.source = source

    @classmethod
    def from_request(cls) -> Params:
        """Parameters of the current request; a POST must carry a JSON object."""
        if request.method == "POST":
            if not request.content_length and not request.is_json:
                return cls({})
            body = request.get_json(silent=True) if request.is_json else None
            if not isinstance(body, dict):
                raise ApiError(_("The request body must be a JSON object."), "body")
            return cls(body)
        return cls(request.args)

    def _raw(self, name: str) -> Any:
        if isinstance(self.source, MultiDict):
            values = self.source.getlist(name)
            if len(values) > 1:
                raise ApiError(_("Give %(name)s only once.", name=name), name)
            return values[0] if values else None
        return self.source.get(name)

    def text(self, name: str, max_length: int = 200) -> str | None:
        """A string parameter, or None when absent or empty."""
        value = self._raw(name)
        if value is None:
            return None
        if not isinstance(value, str):
            raise ApiError(_("%(name)s must be text.", name=name), name)
        if len(value) > max_length:
            raise ApiError(_("%(name)s is too long (at most %(n)d characters).", name=name,
                             n=max_length), name)
        return value.strip() or None

    def strings(self, name: str, max_items: int = 20) -> list[str]:
        """A repeatable string parameter (``?flag=a&flag=b`` or a JSON list)."""
        if isinstance(self.source, MultiDict):
            values: Any = self.source.getlist(name)
        else:
            values = self.source.get(name)
            if values is None:
                values = []
            elif isinstance(values, str):
                values = [values]
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ApiError(_("%(name)s must be a list of text values.", name=name), name)
        if len(values) > max_items:
            raise ApiError(_("Too many values for %(name)s (at most %(n)d).", name=name,
                             n=max_items), name)
        if any(len(v) > 100 for v in values):
            raise ApiError(_("A value of %(name)s is too long.", name=name), name)
        return [v.strip() for v in values if v.strip()]

    def integer(self, name: str, default: int, minimum: int, maximum: int) -> int:
        """A whole number within bounds."""
        value = self._raw(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            value = None
        elif isinstance(value, str):
            value = int(value) if value.strip().lstrip("-").isdigit() else None
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or not minimum <= value <= maximum:
            raise ApiError(_("%(name)s must be a whole number from %(low)d to %(high)d.",
                             name=name, low=minimum, high=maximum), name)
        return value

    def number(self, name: str, minimum: float, maximum: float) -> float | None:
        """A number within bounds, or None when absent."""
        value = self._raw(name)
        if value is None or value == "":
            return None
        number: float | None
        if isinstance(value, bool):
            number = None
        elif isinstance(value, (int, float)):
            number = float(value)
        else:
            try:
                number = float(str(value))
            except ValueError:
                number = None
        if number is None or number != number or not minimum <= number <= maximum:
            raise ApiError(_("%(name)s must be a number from %(low)s to %(high)s.", name=name,
                             low=f"{minimum:g}", high=f"{maximum:g}"), name)
        return number

    def boolean(self, name: str, default: bool = False) -> bool:
        """true/false (also 1/0, yes/no)."""
        value = self._raw(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in TRUE | FALSE:
            return value.lower() in TRUE
        raise ApiError(_("%(name)s must be true or false.", name=name), name)

    def date_time(self, name: str) -> datetime | None:
        """An ISO 8601 date or date-time (UTC when no zone is given)."""
        value = self.text(name, 40)
        if value is None:
            return None
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "+"))
        except ValueError:
            raise ApiError(_("%(name)s must be a date-time like 2026-01-31T09:00:00Z.",
                             name=name), name) from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

    def record_id(self, name: str) -> str | None:
        """A record id (UUID), or None when absent."""
        value = self.text(name, 64)
        if value is not None and not is_record_id(value):
            raise ApiError(_("%(name)s must be a record id (a UUID).", name=name), name)
        return value

    def choice(self, name: str, choices: tuple[str, ...], default: str) -> str:
        """One of ``choices``."""
        value = self.text(name, 40)
        if value is None:
            return default
        if value not in choices:
            raise ApiError(_("%(name)s must be one of: %(choices)s.", name=name,
                             choices=", ".join(choices)), name)
        return value

    def locale(self, *, use_header: bool = True) -> str | None:
        """The ``locale`` parameter, else the Accept-Language header's best match, else None."""
        value = self.text("locale", 20)
        if value is not None:
            code = i18n.normalize_locale(value)
            if code is None:
                raise ApiError(_("Unknown locale. Use one of: %(codes)s.",
                                 codes=", ".join(i18n.SUPPORTED_LOCALES)), "locale")
            return code
        if use_header and request.headers.get("Accept-Language"):
            for tag, _quality in request.accept_languages:
                code = i18n.normalize_locale(tag)
                if code:
                    return code
        return None
