"""Model views: listings and everything they own, taxonomy, translations, users, partners, audit."""

from __future__ import annotations

import secrets
from typing import Any

from flask import request, url_for
from flask_admin.contrib.sqla.form import InlineModelConverter
from flask_admin.model.form import InlineFormAdmin
from flask_babel import gettext as _
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_security import current_user
from markupsafe import Markup, escape
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from .. import models as m
from .. import operations
from ..extensions import db
from ..i18n import SUPPORTED_LOCALES
from .access import ADMIN, EDITORS, TRANSLATORS, SecureModelView, UTCModelConverter
from . import labels
from .checks import safe_cell


def choices(values: Any) -> list[SelectChoice]:
    """Select options whose label is the stored value."""
    return [SelectChoice(value, value) for value in values]


# Languages by name in the staff member's language ("French" / "français"), code as the value.
LOCALE_CHOICES = [SelectChoice(code, LazyString(labels.language_name, code))
                  for code in SUPPORTED_LOCALES]
RECORDS = _l("Records")
# Rows a published listing shows: edited on their own only by publishers (editors go through
# the listing editor, where the change is reviewed).
REVIEWED_ROWS = (m.Phone, m.Schedule, m.ServiceAtLocation, m.Location, m.Address)
TRANSLATIONS = _l("Translations")
PEOPLE = _l("People")


class OwnedInline(InlineFormAdmin):
    """An inline list of rows the parent owns, reached through ``forward`` (no back-reference)."""

    def __init__(self, model: type, forward: str, link: str, **kwargs: Any):
        self.forward = forward
        self.link = link
        super().__init__(model, **kwargs)


class OwnedInlineConverter(InlineModelConverter):
    """Our children have no relationship back to their parent; the link column stands in."""

    model_converter = UTCModelConverter

    def _calculate_mapping_key_pair(self, model: type, info: Any) -> dict[str, str]:
        if isinstance(info, OwnedInline):
            return {info.forward: info.link}
        return super()._calculate_mapping_key_pair(model, info)


def translations_inline(model: type) -> OwnedInline:
    """Inline translation rows for a translatable model."""
    return OwnedInline(model.translation_class, "translations", "parent_id",
                       form_columns=("id", "locale", *model.__translated__),
                       form_overrides={"locale": SelectField},
                       form_args={"locale": {"choices": LOCALE_CHOICES}})


class RecordAdmin(SecureModelView):
    """An HSDS record: editors, with translations inline when the record has them."""

    roles = EDITORS
    menu_category = RECORDS
    inline_model_form_converter = OwnedInlineConverter
    # The edit page shows everything; the main records add a details page and CSV export.
    can_view_details = False
    can_export = False
    export_types = ["csv"]
    column_exclude_list = ("created_at",)
    form_excluded_columns = ("created_at", "updated_at", "translations")
    edit_template = "admin/record_edit.html"

    def __init__(self, model: type, **kwargs: Any):
        if hasattr(model, "translation_class") and self.inline_models is None:
            self.inline_models = [translations_inline(model)]
        if "url" in model.__table__.columns:
            # Flask-Admin reads its return address from a request value called "url".
            self.form_args = {**(self.form_args or {}),
                              "url": {**(self.form_args or {}).get("url", {}),
                                      "name": "link_url"}}
        if hasattr(model, "text_language"):
            self.form_overrides = {**(self.form_overrides or {}), "text_language": SelectField}
            self.form_args = {**(self.form_args or {}),
                              "text_language": {"choices": LOCALE_CHOICES}}
        super().__init__(model, **kwargs)

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        if isinstance(model, REVIEWED_ROWS):
            operations.revisions.check_direct_edit(model, current_user)
        operations.save_edited_record(model, owned=self.owned_rows(model))

    def on_model_delete(self, model: Any) -> None:
        if isinstance(model, REVIEWED_ROWS):
            operations.revisions.check_direct_edit(model, current_user)

    def owned_rows(self, model: Any) -> list[Any]:
        """Rows edited inline with ``model`` (phones, schedules, addresses), translations aside."""
        return [child for inline in self.inline_models or ()
                if isinstance(inline, OwnedInline) and inline.forward != "translations"
                for child in getattr(model, inline.forward)]

    def get_export_value(self, model: Any, name: Any) -> Any:
        return safe_cell(super().get_export_value(model, name))


class OrganizationAdmin(RecordAdmin):
    """Organizations, with their translations."""

    can_view_details = can_export = True
    column_list = ("name", "email", "website", "placeholder", "updated_at")
    column_searchable_list = ("name", "alternate_name", "description", "email")
    column_filters = ("text_language", "placeholder", "updated_at")
    form_excluded_columns = RecordAdmin.form_excluded_columns + ("services",)


class LocationAdmin(RecordAdmin):
    """Locations with their addresses, phones and hours; confidential ones are flagged."""

    can_view_details = can_export = True
    column_list = ("name", "location_type", "confidential", "public_area", "updated_at")
    column_searchable_list = ("name", "description", "public_area")
    column_filters = ("location_type", "confidential", "text_language")
    form_excluded_columns = RecordAdmin.form_excluded_columns + ("phones", "schedules",
                                                                  "languages", "addresses",
                                                                  "accessibility")
    form_overrides = {"location_type": SelectField}
    form_args = {
        "location_type": {"choices": [SelectChoice(code, labels.LOCATION_TYPE[code])
                                      for code in m.LOCATION_TYPES]},
        "confidential": {"description": _l(
            "For transition houses and shelters: the public sees only the area written in "
            "“Public area”, never the address, the map or the coordinates, on every page, in "
            "the API, the exports and the widget. Staff still see everything here.")},
        "public_area": {"description": _l(
            "What the public may see of where this is, e.g. “East Vancouver”.")},
    }

    def __init__(self, **kwargs: Any):
        self.inline_models = [
            translations_inline(m.Location),
            OwnedInline(m.Address, "addresses", "location_id",
                        form_columns=("id", "address_1", "address_2", "city", "region",
                                      "state_province", "postal_code", "country",
                                      "address_type")),
            OwnedInline(m.Phone, "phones", "location_id",
                        form_columns=("id", "number", "type", "hours", "text_ok",
                                      "voicemail_safe", "tty")),
            OwnedInline(m.Schedule, "schedules", "location_id",
                        form_columns=("id", "freq", "byday", "opens_at", "closes_at",
                                      "timezone_name", "description")),
        ]
        super().__init__(m.Location, name=_l("Locations"), **kwargs)


class TaxonomyTermAdmin(RecordAdmin):
    """Categories (taxonomy terms), with their translations."""

    column_list = ("code", "name", "parent_id", "taxonomy")
    column_searchable_list = ("code", "name", "description")
    column_filters = ("taxonomy", "parent_id")
    form_excluded_columns = RecordAdmin.form_excluded_columns + ("taxonomy_detail",)


class TranslationAdmin(SecureModelView):
    """One translation table: translators edit the translated text, never the source record."""

    roles = TRANSLATORS
    menu_category = TRANSLATIONS
    can_view_details = False
    can_export = True
    export_types = ["csv"]
    column_filters = ("locale", "parent_id")
    form_overrides = {"locale": SelectField}
    form_args = {"locale": {"choices": LOCALE_CHOICES}}

    def __init__(self, model: type, parent: type, **kwargs: Any):
        self.parent_model = parent
        fields = parent.__translated__
        self.column_list = ("parent_id", "locale", fields[0])
        self.column_searchable_list = fields
        self.form_columns = ("parent_id", "locale", *fields)
        self.form_extra_fields = None
        super().__init__(model, **kwargs)

    def scaffold_form(self):
        from wtforms import StringField
        from wtforms.validators import InputRequired

        form_class = super().scaffold_form()
        form_class.parent_id = StringField(_l("Record id"), validators=[InputRequired()])
        return form_class

    def create_form(self, obj: Any = None) -> Any:
        form = super().create_form(obj)
        if request.method == "GET":
            form.parent_id.data = request.args.get("parent_id", form.parent_id.data)
            form.locale.data = request.args.get("locale", form.locale.data)
        return form

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        operations.save_translation(model, self.parent_model)

    def get_export_value(self, model: Any, name: Any) -> Any:
        return safe_cell(super().get_export_value(model, name))


class UserAdmin(SecureModelView):
    """Staff accounts (admins only). Disabling an account ends its sessions at once."""

    roles = ADMIN
    menu_category = PEOPLE
    can_create = False  # accounts are created with `flask users create` (it sets the password)
    column_list = ("email", "active", "roles", "confirmed_at", "create_datetime")
    column_searchable_list = ("email",)
    column_filters = ("active",)
    form_columns = ("email", "active", "roles")
    column_editable_list = ("active",)

    def __init__(self, **kwargs: Any):
        super().__init__(m.User, name=_l("Users"), **kwargs)

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        operations.save_account(model, by=current_user)

    def on_model_delete(self, model: Any) -> None:
        operations.check_account_deletion(model, by=current_user)


class SynonymAdmin(SecureModelView):
    """Synonym groups for search, per language: words people use for the same thing.

    Saving one re-indexes the listings that use its words; search sees it at once.
    """

    roles = EDITORS
    column_list = ("locale", "terms", "note", "updated_at")
    column_labels = {"locale": _l("Language"), "terms": _l("Words and phrases"),
                     "note": _l("Note"), "updated_at": _l("Updated")}
    column_descriptions = {
        "terms": _l("Two or more words or phrases that mean the same thing to the people "
                    "searching, separated by commas, e.g. \"sexual assault centre, rape crisis "
                    "centre\". Endings are ignored: \"shelter\" also covers \"shelters\"."),
        "note": _l("Why this group exists (optional; only staff see it)."),
    }
    column_searchable_list = ("terms", "note")
    column_filters = ("locale",)
    column_default_sort = ("locale", False)
    form_columns = ("locale", "terms", "note")
    form_overrides = {"locale": SelectField}
    form_args = {"locale": {"choices": LOCALE_CHOICES}}
    form_widget_args = {"terms": {"rows": 3}, "note": {"rows": 2}}

    def __init__(self, **kwargs: Any):
        super().__init__(m.SearchSynonym, name=_l("Search synonyms"), category=None,
                         endpoint="search_synonym", **kwargs)

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        operations.save_synonym_group(model)


class ConceptTermAdmin(SecureModelView):
    """Words and everyday phrases added to the search concepts, per language.

    A concept (shelter, domestic violence, PEP, ...) ships with the words people use in every
    language; a word added here activates it at once in every process, no re-indexing needed.
    New concepts are added to search/concepts/*.toml and reviewed like code.
    """

    roles = EDITORS
    column_list = ("concept_id", "locale", "kind", "text", "note", "updated_at")
    column_labels = {"concept_id": _l("Concept"), "locale": _l("Language"),
                     "kind": _l("Kind"), "text": _l("Word or phrase"), "note": _l("Note"),
                     "updated_at": _l("Updated")}
    column_descriptions = {
        "text": _l("What people type for this kind of help, e.g. \"safe house\" for shelter. "
                   "A word matches in any language, with or without accents; a phrase "
                   "(\"he hits me\") matches its main words in order, small words ignored."),
        "kind": _l("A word or name for the help, or an everyday phrase describing a situation."),
        "note": _l("Why it was added (optional; only staff see it)."),
    }
    column_searchable_list = ("concept_id", "text", "note")
    column_filters = ("concept_id", "locale", "kind")
    column_default_sort = ("concept_id", False)
    form_columns = ("concept_id", "locale", "kind", "text", "note")
    form_overrides = {"concept_id": SelectField, "locale": SelectField, "kind": SelectField}
    form_args = {"locale": {"choices": LOCALE_CHOICES},
                 "concept_id": {"choices": [], "validate_choice": False},
                 "kind": {"choices": [SelectChoice("word", _l("Word or name")),
                                      SelectChoice("phrase", _l("Everyday phrase"))]}}
    form_widget_args = {"note": {"rows": 2}}
    column_formatters = {
        "concept_id": lambda v, c, model, n: _concept_label(model.concept_id),
        "locale": lambda v, c, model, n: labels.language_name(model.locale),
        "kind": lambda v, c, model, n: (_("Everyday phrase") if model.kind == "phrase"
                                        else _("Word or name")),
    }

    def __init__(self, **kwargs: Any):
        super().__init__(m.SearchConceptTerm, name=_l("Search concepts"), category=None,
                         endpoint="search_concept", **kwargs)

    def _with_choices(self, form: Any) -> Any:
        from ..operations.concepts import concept_choices

        form.concept_id.choices = [SelectChoice(cid, label)
                                   for cid, label in concept_choices(_staff_locale())]
        return form

    def create_form(self, obj: Any = None) -> Any:
        return self._with_choices(super().create_form(obj))

    def edit_form(self, obj: Any = None) -> Any:
        return self._with_choices(super().edit_form(obj))

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        operations.save_concept_term(model)


def _staff_locale() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "en")


def _concept_label(concept_id: str) -> str:
    from ..search.concepts import shipped_concepts

    concept = shipped_concepts().get(concept_id)
    return f"{concept.label(_staff_locale())} ({concept_id})" if concept else concept_id


class PartnerAdmin(SecureModelView):
    """Widget partners (admins only): a generated key, checked origins, presets picked from
    what the directory has, and on the partner's page the code to paste and a live preview."""

    roles = ADMIN
    menu_category = PEOPLE
    details_template = "admin/partner_details.html"
    column_list = ("name", "active", "allowed_origins", "preset_locale", "updated_at")
    column_searchable_list = ("name", "key", "allowed_origins")
    column_filters = ("active",)
    column_details_list = ("name", "key", "active", "allowed_origins", "preset_locale",
                           "preset_category", "preset_region")
    form_columns = ("name", "key", "allowed_origins", "preset_locale", "preset_category",
                    "preset_region", "active")
    form_overrides = {"preset_locale": SelectField, "preset_category": SelectField,
                      "preset_region": SelectField}
    form_args = {
        "preset_locale": {"choices": [SelectChoice("", "—")] + LOCALE_CHOICES,
                          "label": _l("Language the widget opens in")},
        "preset_category": {"choices": [], "label": _l("Category it searches"),
                            "validate_choice": True},
        "preset_region": {"choices": [], "label": _l("Province or region it searches"),
                          "validate_choice": True},
        "key": {"label": _l("Partner key"),
                "default": lambda: secrets.token_urlsafe(12),
                "description": _l("Made for you; it goes into the partner's embed code. "
                                  "Changing it breaks the code the partner has pasted.")},
        "allowed_origins": {"label": _l("Sites allowed to embed the widget"),
                            "description": _l("One per line, scheme and host only, e.g. "
                                              "https://www.example.org (no path, no trailing "
                                              "slash). Add each address the partner uses, "
                                              "e.g. with and without www.")},
        "name": {"label": _l("Partner name")},
        "active": {"label": _l("Active (the widget works on the partner's site)")},
    }
    form_widget_args = {"allowed_origins": {"rows": 3,
                                            "placeholder": "https://www.example.org"}}
    column_labels = {"name": _l("Partner name"), "key": _l("Partner key"),
                     "active": _l("Active"), "allowed_origins": _l("Allowed sites"),
                     "preset_locale": _l("Language"), "preset_category": _l("Category"),
                     "preset_region": _l("Region"), "updated_at": _l("Last changed")}
    column_formatters = {
        "preset_locale": lambda v, c, model, n: labels.language_name(model.preset_locale),
        "preset_category": lambda v, c, model, n: labels.name_of(
            db.session.get(m.TaxonomyTerm, model.preset_category)
            if m.is_record_id(model.preset_category) else None) or model.preset_category or "",
    }

    def __init__(self, **kwargs: Any):
        super().__init__(m.Partner, name=_l("Partners"), **kwargs)

    def _with_choices(self, form: Any) -> Any:
        import sqlalchemy as sa

        terms = db.session.scalars(sa.select(m.TaxonomyTerm).order_by(m.TaxonomyTerm.name))
        by_id = {t.id: t for t in terms}

        def path(term: Any) -> str:
            names, seen = [], set()
            while term is not None and term.id not in seen:
                seen.add(term.id)
                names.append(term.name or "")
                term = by_id.get(term.parent_id)
            return " › ".join(reversed(names))

        form.preset_category.choices = [SelectChoice("", _("Any category"))] + sorted(
            (SelectChoice(t.id, path(t)) for t in by_id.values()), key=lambda c: c.label)
        regions = sorted({r.strip() for r in db.session.scalars(
            sa.select(m.Address.state_province).distinct()) if r and r.strip()})
        current = form.preset_region.data
        if current and current not in regions:
            regions.append(current)
        form.preset_region.choices = [SelectChoice("", _("Anywhere"))] + [
            SelectChoice(r, r) for r in regions]
        return form

    def create_form(self, obj: Any = None) -> Any:
        return self._with_choices(super().create_form(obj))

    def edit_form(self, obj: Any = None) -> Any:
        return self._with_choices(super().edit_form(obj))

    def render(self, template: str, **kwargs: Any) -> Any:
        model = kwargs.get("model")
        if template == self.details_template and model is not None:
            from ..widget import embed_code, iframe_code

            kwargs.update(embed=embed_code(model), iframe=iframe_code(model),
                          preview_url=url_for("widget.embed", partner_key=model.key))
        return super().render(template, **kwargs)

    def get_save_return_url(self, model: Any, is_created: bool = False) -> str:
        return url_for(".details_view", id=model.id)

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        operations.save_partner(model)


class AuditLogAdmin(SecureModelView):
    """The whole audit trail, read-only (admins only)."""

    roles = ADMIN
    menu_category = PEOPLE
    can_create = can_edit = can_delete = False
    can_export = True
    export_types = ["csv"]
    column_list = ("created_at", "actor", "entity", "entity_id", "action", "changes")
    column_filters = ("actor", "entity", "entity_id", "action", "created_at")
    column_searchable_list = ("actor", "entity_id")
    column_default_sort = ("id", True)
    column_formatters = {"entity_id": lambda v, c, model, n: Markup('<a href="{}">{}</a>').format(
        url_for("admin_history.record", entity=model.entity.removesuffix("_translation"),
                entity_id=model.entity_id), model.entity_id),
        "changes": lambda v, c, model, n: escape(", ".join(sorted(model.changes or {})))}

    def __init__(self, **kwargs: Any):
        super().__init__(m.AuditLog, name=_l("Audit log"), **kwargs)

    def get_export_value(self, model: Any, name: Any) -> Any:
        return safe_cell(super().get_export_value(model, name))


def model_views() -> list[Any]:
    """Every model view, in menu order."""
    from .listings import ServiceAdmin

    views: list[Any] = [
        ServiceAdmin(),
        OrganizationAdmin(m.Organization, name=_l("Organizations")),
        LocationAdmin(),
        TaxonomyTermAdmin(m.TaxonomyTerm, name=_l("Categories"), category=None),
    ]
    for model in (m.Program, m.ServiceAtLocation, m.Phone, m.Schedule, m.Address, m.Contact,
                  m.ServiceArea, m.Language, m.Accessibility, m.CostOption,
                  m.RequiredDocument, m.Funding, m.OrganizationIdentifier, m.Url, m.Attribute,
                  m.Metadata, m.Taxonomy):
        views.append(RecordAdmin(model, name=labels.ENTITY[model.__tablename__],
                                 endpoint=model.__tablename__))
    # Translators work on what the public reads most; the smaller records' translations are
    # edited inline on their record by editors.
    for parent in (m.Service, m.Organization, m.Location, m.TaxonomyTerm, m.Page, m.Phone,
                   m.Schedule):
        model = parent.translation_class
        views.append(TranslationAdmin(model, parent,
                                      name=labels.ENTITY[parent.__tablename__],
                                      endpoint=model.__tablename__))
    views += [SynonymAdmin(), ConceptTermAdmin(), UserAdmin(), PartnerAdmin(), AuditLogAdmin()]
    return views
