"""The dashboard of searches that found nothing (``models.SearchMiss``, written by
``operations.misses``): counts per query, locale and day, no visitor data."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_admin import expose

from ..operations.misses import top_misses
from .access import EDITORS, SecureView


class SearchMissView(SecureView):
    """Zero-result searches: counts only."""

    roles = EDITORS

    @expose("/")
    def index(self) -> Any:
        try:
            days = int(request.args.get("days", 30))
        except ValueError:
            days = 30
        days = min(max(days, 1), 365)
        locale = request.args.get("locale") or None
        return self.render("admin/search_misses.html", days=days, locale=locale,
                           rows=top_misses(days, locale))
