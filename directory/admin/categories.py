"""Categories in the listing editor: taxonomy terms picked from the tree, stored as HSDS
attributes of the listing (``link_entity = "service"``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from wtforms import SelectMultipleField
from wtforms.fields.choices import SelectChoice

from .. import models as m
from ..extensions import db
from ..operations.revisions import category_rows


def term_choices() -> list[SelectChoice]:
    """Every category as its path in the tree ("Violence › Shelters"), sorted by path."""
    terms = {t.id: t for t in db.session.scalars(sa.select(m.TaxonomyTerm))}

    def path(term: Any) -> str:
        names, seen = [], set()
        while term is not None and term.id not in seen:
            seen.add(term.id)
            names.append(term.name or term.code or "")
            term = terms.get(term.parent_id)
        return " › ".join(reversed(names))

    return sorted((SelectChoice(t.id, path(t)) for t in terms.values()), key=lambda c: c.label)


class CategoriesField(SelectMultipleField):
    """A multiple select of categories (Select2 adds search when JavaScript runs)."""

    def process(self, formdata: Any, data: Any = None, extra_filters: Any = None) -> None:
        self.choices = term_choices()
        super().process(formdata, data, extra_filters)

    def populate_obj(self, obj: Any, name: str) -> None:
        wanted = list(dict.fromkeys(self.data or []))
        current = category_rows(obj)
        by_term = {row.taxonomy_term_id: row for row in current}
        rows = []
        for term_id in wanted:
            row = by_term.pop(term_id, None)
            if row is None:
                row = m.Attribute(id=m.new_id(), link_id=obj.id, link_entity="service",
                                  taxonomy_term_id=term_id)
                db.session.add(row)
            rows.append(row)
        for row in by_term.values():
            db.session.delete(row)
        obj._category_rows = rows


def current_terms(service: m.Service) -> list[str]:
    return [row.taxonomy_term_id for row in category_rows(service)]
