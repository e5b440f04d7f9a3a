"""Dashboards: stale listings, translation status per locale, search index status."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import models as m
from ..extensions import db
from ..i18n import LOCALE_NAMES, SUPPORTED_LOCALES
from . import labels
from .access import ADMIN, EDITORS, TRANSLATORS, SecureView, has_role

DASHBOARDS = _l("Dashboards")
# Listings the public can see or soon will: the ones whose freshness matters.
LIVE_STATES = ("published", "in_review")


def stale_days() -> int:
    """How many days without verification make a listing stale (``?days=`` may override)."""
    default = int(current_app.config["ADMIN_STALE_DAYS"])
    try:
        days = int(request.args.get("days", default))
    except ValueError:
        return default
    return days if 1 <= days <= 3650 else default


def stale_services(days: int) -> list[m.Service]:
    """Live listings not verified in ``days`` days (never-verified ones first)."""
    cutoff = datetime.now(UTC) - timedelta(days=days)
    return list(db.session.scalars(
        sa.select(m.Service).where(m.Service.publication.in_(LIVE_STATES),
                                   sa.or_(m.Service.last_verified_at.is_(None),
                                          m.Service.last_verified_at < cutoff))
        .order_by(m.Service.last_verified_at.is_not(None), m.Service.last_verified_at,
                  m.Service.name)))


@dataclass
class LocaleStatus:
    """Translation status of one locale for one kind of record."""

    locale: str
    name: str
    total: int = 0
    missing: list[Any] = field(default_factory=list)
    stale: list[tuple[Any, Any]] = field(default_factory=list)

    @property
    def done(self) -> int:
        return self.total - len(self.missing) - len(self.stale)


def translation_status(model: type, locales: tuple[str, ...] = SUPPORTED_LOCALES,
                       live_only: bool = True) -> dict[str, LocaleStatus]:
    """Per locale: which records lack a translation and which translations are stale."""
    query = sa.select(model)
    if live_only and hasattr(model, "publication"):
        query = query.where(model.publication.in_(LIVE_STATES if model is m.Service
                                                  else ("published",)))
    records = list(db.session.scalars(query.order_by(model.id)))
    status = {code: LocaleStatus(code, LOCALE_NAMES.get(code, code)) for code in locales}
    for record in records:
        digest = record.source_digest()
        rows = {row.locale: row for row in record.translations}
        for code in locales:
            if code == record.text_language:
                continue
            entry = status[code]
            entry.total += 1
            row = rows.get(code)
            if row is None:
                entry.missing.append(record)
            elif row.source_digest != digest:
                entry.stale.append((record, row))
    return status


def index_status() -> dict[str, Any]:
    """Documents in the index, change-log rows not applied yet, when it last synced."""
    from ..search.index import IndexUnavailable
    from ..search.sync import index_for, max_seq

    index = index_for()
    info: dict[str, Any] = {"exists": index.exists(), "documents": None, "pending": None,
                            "last_sync": None, "error": None, "last_seq": max_seq(db.session)}
    if not info["exists"]:
        return info
    state = index.read_state()
    applied = int(state.get("applied_seq", 0))
    gaps = [int(seq) for seq in state.get("gaps", {})]
    info["pending"] = db.session.scalar(sa.select(sa.func.count()).select_from(
        m.SearchChange).where(sa.or_(m.SearchChange.seq > applied,
                                     m.SearchChange.seq.in_(gaps) if gaps else sa.false())))
    try:
        info["documents"] = index.searcher().doc_count()
    except IndexUnavailable as exc:
        info["error"] = str(exc)
    live = index.live_dir()
    if live:
        path = os.path.join(live, "sync_state.json")
        if os.path.exists(path):
            info["last_sync"] = datetime.fromtimestamp(os.path.getmtime(path), UTC)
    return info


def summary() -> dict[str, Any]:
    """Counts for the admin home page, limited to what the user may open."""
    from flask_security import current_user

    from ..operations import misses, revisions

    out: dict[str, Any] = {}
    if has_role(*EDITORS):
        out["stale"] = len(stale_services(int(current_app.config["ADMIN_STALE_DAYS"])))
        out["publication"] = dict(db.session.execute(
            sa.select(m.Service.publication, sa.func.count()).group_by(m.Service.publication)
        ).all())
        pending = revisions.pending_revisions()
        out["pending"] = len(pending)
        out["my_review"] = len([r for r in pending if r.proposed_by != current_user.email]
                               ) if revisions.is_publisher(current_user) else None
        out["mine_pending"] = len([r for r in pending if r.proposed_by == current_user.email])
        out["returned"] = db.session.scalar(sa.select(sa.func.count()).select_from(
            m.ServiceRevision).where(m.ServiceRevision.status == "returned",
                                     m.ServiceRevision.proposed_by == current_user.email))
        from ..operations import checks

        items = checks.queue()
        db.session.commit()  # the shares handed out stay put for the day
        out["my_checks"] = sum(1 for i in items if i.service.check_assignee == current_user.email)
        out["crisis_overdue"] = sum(1 for i in items if i.overdue and i.service.crisis_line)
        out["lead"] = sum(1 for i in items if i.service.lead_flag)
        out["overdue"] = sum(1 for i in items if i.overdue)
        week = misses.top_misses(days=7, limit=1000)
        out["misses"] = sum(count for *_rest, count in week) if week else 0
    status = translation_status(m.Service, ("fr",))
    out["missing_fr"] = len(status["fr"].missing)
    out["stale_fr"] = len(status["fr"].stale)
    return out


class StaleView(SecureView):
    """Listings nobody has confirmed for a while."""

    roles = EDITORS

    @expose("/")
    def index(self) -> Any:
        days = stale_days()
        return self.render("admin/stale.html", days=days, services=stale_services(days),
                           now=datetime.now(UTC), labels=labels)


class TranslationStatusView(SecureView):
    """Missing and stale translations per locale, each linking to the row to fix."""

    roles = TRANSLATORS
    KINDS = {"service": m.Service, "organization": m.Organization, "location": m.Location,
             "taxonomy_term": m.TaxonomyTerm, "page": m.Page}

    @expose("/")
    def index(self) -> Any:
        kind = request.args.get("kind", "service")
        model = self.KINDS.get(kind, m.Service)
        kind = model.__tablename__
        locale = request.args.get("locale")
        status = translation_status(model)
        detail = status.get(locale) if locale in SUPPORTED_LOCALES else None
        return self.render("admin/translations.html", kinds=list(self.KINDS), kind=kind,
                           status=status, detail=detail,
                           translation_endpoint=model.translation_class.__tablename__,
                           edit_endpoint=_edit_endpoint(model), labels=labels)


def _edit_endpoint(model: type) -> str | None:
    """The endpoint of the model's own edit page, if the user may open it."""
    if not has_role(*EDITORS):
        return None
    return {m.Service: "service", m.Organization: "organization", m.Location: "location",
            m.TaxonomyTerm: "taxonomyterm", m.Page: "page"}[model] + ".edit_view"


class IndexStatusView(SecureView):
    """The search index: size, backlog, last sync; rebuild it from the database."""

    roles = ADMIN

    @expose("/")
    def index(self) -> Any:
        return self.render("admin/index_status.html", info=index_status())

    @expose("/rebuild", methods=("POST",))
    def rebuild(self) -> Any:
        from ..search.sync import rebuild

        try:
            count = rebuild(current_app._get_current_object())
        except Exception as exc:  # noqa: BLE001 - report, never crash the page
            current_app.logger.error("index rebuild from the admin failed: %s",
                                     type(exc).__name__)
            flash(_("The rebuild failed: %(error)s", error=type(exc).__name__), "error")
        else:
            flash(_("Index rebuilt with %(count)d listings.", count=count), "success")
        return redirect(url_for(".index"))

    @expose("/sync", methods=("POST",))
    def sync(self) -> Any:
        from ..search.sync import sync_pending

        try:
            report = sync_pending(current_app._get_current_object())
        except Exception as exc:  # noqa: BLE001
            flash(_("The sync failed: %(error)s", error=type(exc).__name__), "error")
        else:
            flash(_("%(count)d pending change(s) applied.", count=report.applied), "success")
        return redirect(url_for(".index"))


def dashboard_views() -> list[Any]:
    """The dashboard pages, in menu order."""
    from .search_misses import SearchMissView

    return [
        StaleView(name=_l("Stale listings"), endpoint="admin_stale", url="stale",
                  category=DASHBOARDS),
        TranslationStatusView(name=_l("Translation status"), endpoint="admin_translations",
                              url="translations", category=DASHBOARDS),
        IndexStatusView(name=_l("Search index"), endpoint="admin_index", url="search-index",
                        category=DASHBOARDS),
        SearchMissView(name=_l("Searches without results"), endpoint="admin_search_misses",
                       url="search-misses", category=DASHBOARDS),
    ]
