"""Explainer pages: our own educational content, translated and linked to categories."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Timestamped, Translatable, id_column, make_translation_model
from .hsds import TaxonomyTerm

page_taxonomy_term = sa.Table(
    "page_taxonomy_term",
    db.metadata,
    sa.Column("page_id", sa.String(36), sa.ForeignKey("page.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("taxonomy_term_id", sa.String(36),
              sa.ForeignKey("taxonomy_term.id", ondelete="CASCADE"), primary_key=True),
)


class Page(Translatable, Timestamped, db.Model):
    __tablename__ = "page"
    __translated__ = ("title", "summary", "body")

    id: Mapped[str] = id_column()
    slug: Mapped[str] = mapped_column(sa.String(128), unique=True, nullable=False)
    title: Mapped[str] = mapped_column(sa.Text, nullable=False)
    summary: Mapped[str | None] = mapped_column(sa.Text)
    # Markdown; rendered to HTML and sanitised with nh3 at display time.
    body: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    publication: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="draft")

    taxonomy_terms: Mapped[list[TaxonomyTerm]] = relationship(secondary=page_taxonomy_term)


PageTranslation = make_translation_model(Page, "PageTranslation")
