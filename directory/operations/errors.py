"""Validation errors that name the field they are about."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One problem: where (a path like ``phones[0].number``), what, and in which record."""

    path: str
    message: str
    record_id: str | None = None
    record_name: str | None = None   # the record's name, when it has one
    fix: str | None = None           # what would fix it, when the message does not say

    def __str__(self) -> str:
        where = ""
        if self.record_id or self.record_name:
            name = f" ({self.record_name!r})" if self.record_name and self.record_id else (
                repr(self.record_name) if self.record_name else "")
            where = f"{self.record_id or ''}{name}: "
        fix = f" (fix: {self.fix})" if self.fix else ""
        return f"{where}{self.path}: {self.message}{fix}"


class ValidationError(ValueError):
    """One or more fields are invalid; nothing should be saved."""

    def __init__(self, errors: list[FieldError]):
        self.errors = list(errors)
        super().__init__("; ".join(str(e) for e in self.errors) or "invalid data")

    def for_field(self, path: str) -> list[str]:
        """Messages about one field path."""
        return [e.message for e in self.errors if e.path == path]


class NotFound(LookupError):
    """The record does not exist."""
