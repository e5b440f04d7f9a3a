"""Explainer page editor: Markdown with a preview, sanitised on save and on render."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_admin import expose
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, TextAreaField

from .. import models as m
from .. import operations
from ..operations import ValidationError
from .access import EDITORS
from .views import RecordAdmin, choices, translations_inline


class PageAdmin(RecordAdmin):
    """Explainer pages (editors), linked to categories so listings show related pages."""

    roles = EDITORS
    menu_category = None
    column_list = ("slug", "title", "publication", "text_language", "updated_at")
    column_searchable_list = ("slug", "title", "summary", "body")
    column_filters = ("publication", "text_language")
    form_columns = ("slug", "title", "summary", "body", "text_language", "publication",
                    "taxonomy_terms")
    form_overrides = {"body": TextAreaField, "publication": SelectField}
    form_args = {"publication": {"choices": choices(("draft", "published", "archived"))}}
    form_widget_args = {"body": {"rows": 18, "class": "form-control markdown-source"}}
    form_ajax_refs = {"taxonomy_terms": {"fields": ("name", "code"), "page_size": 20}}
    edit_template = "admin/page_edit.html"
    create_template = "admin/page_edit.html"

    def __init__(self, **kwargs: Any):
        self.inline_models = [translations_inline(m.Page)]
        super().__init__(m.Page, name=_l("Pages"), endpoint="page", **kwargs)

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        operations.save_edited_page(model)

    @expose("/preview", methods=("POST",))
    def preview_view(self) -> Any:
        """The body as the public will see it (rendered and sanitised the same way)."""
        from ..public.views import render_markdown

        text = request.form.get("body", "")[:200_000]
        try:
            text = operations.clean_page_markdown(text)
        except ValidationError as exc:
            return self.render("admin/page_preview.html", html=None, errors=exc.errors), 400
        return self.render("admin/page_preview.html", html=render_markdown(text), errors=[])
