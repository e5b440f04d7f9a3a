"""Public pages: home, search, listing (and its print view), explainer pages, safety page.

Safety first: no cookies for visitors, ``Cache-Control: no-store`` on anything that reveals what
someone looked for, neutral page titles, and the search words kept out of URLs (POST) unless the
visitor follows a shared link.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import markdown
import nh3
import sqlalchemy as sa
from flask import abort, current_app, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.exceptions import RequestEntityTooLarge

from .. import models as m
from ..extensions import db, limiter
from ..i18n import SUPPORTED_LOCALES, select_locale
from ..operations import NotFound, ValidationError
from ..operations import reports
from ..operations.misses import count_after_response
from ..operations import freshness
from ..search.documents import (DAY_CODES, exception_rows, listing_timezone, schedule_rows,
                                service_schedules)
from ..search.query import search
from ..search.request import QueryError, SearchRequest, form_values
from ..search.row import (alert_is_current, capacity_at, is_open_at, shows_24_7,
                          upcoming_exceptions)
from . import filters

PAGE_TAGS = {"p", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "a", "blockquote", "br",
             "hr", "code"}
WEEKDAY_NAMES = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
                 _l("Saturday"), _l("Sunday"))


def current_locale() -> str:
    """The page's locale code as it appears in URLs (Babel calls Tagalog "fil")."""
    return select_locale()


def no_store(response):
    """Keep the page out of caches (and so out of what a later user of the device can find)."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


_crisis_cache: dict[tuple[str, str, int, str], list[dict[str, Any]]] = {}


def crisis_lines() -> list[dict[str, Any]]:
    """Published crisis lines with their first phone, for the safety alert on every page.

    Read from the database (never from the search index, so they show even when search is
    down), and kept until the next committed edit: every edit adds a change-log row.
    """
    locale = current_locale()
    seq = db.session.scalar(sa.select(sa.func.max(m.SearchChange.seq))) or 0
    from flask import g

    g._change_seq = seq  # what else is kept until the next edit reads it from here
    # the hour too: "24 hours" depends on the day's closures and changed hours
    key = (current_app.config["SQLALCHEMY_DATABASE_URI"], locale, seq,
           datetime.now(tz=ZoneInfo("UTC")).strftime("%Y%m%d%H"))
    cached = _crisis_cache.get(key)
    if cached is None:
        cached = _load_crisis_lines(locale)
        if len(_crisis_cache) > 64:
            _crisis_cache.clear()
        _crisis_cache[key] = cached
    return cached


def _load_crisis_lines(locale: str) -> list[dict[str, Any]]:
    services = db.session.scalars(
        sa.select(m.Service).where(m.Service.crisis_line.is_(True),
                                   m.Service.is_public)
        .order_by(m.Service.open_24_7.desc(), m.Service.name).limit(4)).all()
    out = []
    for service in services:
        phone = db.session.scalar(sa.select(m.Phone).where(m.Phone.service_id == service.id)
                                  .order_by(m.Phone.type.desc(), m.Phone.id).limit(1))
        name, name_locale = service.translated("name", locale)
        facts = (dated_facts(service, locale, overdue=False) if service.open_24_7
                 else {"open_24_7": False})
        out.append({"id": service.id, "name": name, "name_locale": name_locale,
                    "phone": phone.number if phone else None,
                    "text_ok": bool(phone and phone.text_ok), "open_24_7": facts["open_24_7"],
                    "closed": service.status != "active"})
    return out


def render_markdown(text: str) -> str:
    """Markdown to HTML, sanitised: no scripts, no event handlers, only safe links."""
    html = markdown.markdown(text or "", extensions=["sane_lists"])
    return nh3.clean(html, tags=PAGE_TAGS, attributes={"a": {"href", "title"}},
                     url_schemes={"http", "https", "mailto", "tel"},
                     link_rel="noopener noreferrer")


def home():
    """Home: the search box, categories and crisis lines."""
    locale = current_locale()
    results = search("", locale=locale, page_size=1)
    categories = results.facets.get("category", [])
    pages = db.session.scalars(sa.select(m.Page).where(m.Page.publication == "published")
                               .order_by(m.Page.slug)).all()
    return render_template("public/home.html", categories=categories, pages=pages,
                           total=results.total, crisis=crisis_lines())


def search_page():
    """Search: POST by default (the words stay out of the address bar), GET links still work."""
    source = filters.without_removed(request.form if request.method == "POST" else request.args)
    locale = current_locale()
    params = form_values(source)
    error = None
    results = None
    try:
        results = count_after_response(search(request=SearchRequest(**params, locale=locale)))
    except QueryError as exc:
        error = str(exc.message)
    groups = filters.filter_groups(results, params, locale) if results else []
    response = make_response(render_template(
        "public/search.html", results=results, error=error, params=params,
        method=request.method, crisis=crisis_lines(), filter_groups=groups,
        chips=filters.applied_chips(groups, params, locale),
        filter_count=filters.filter_count(params),
        card_status=card_status(results.hits if results else [])), 400 if error else 200)
    return no_store(response)


def card_status(hits) -> dict[str, str]:
    """The listing status of each shown card ("temporarily closed" is not in the index)."""
    ids = [hit.id for hit in hits]
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(m.Service.id, m.Service.status)
                                   .where(m.Service.id.in_(ids))).all())


def _hours(service: m.Service, locale: str) -> list[dict[str, Any]]:
    rows = []
    for schedule in service_schedules(service):
        days = [DAY_CODES.index(d.strip().upper()[-2:]) for d in (schedule.byday or "").split(",")
                if d.strip().upper()[-2:] in DAY_CODES]
        rows.append({"days": [WEEKDAY_NAMES[d] for d in sorted(days)],
                     "opens": schedule.opens_at, "closes": schedule.closes_at,
                     "description": schedule.translated("description", locale)})
    return rows


_plan_cache: dict[tuple[str, int], dict[str, int]] = {}


def _category_plan(seq: int | None) -> dict[str, int]:
    """``operations.freshness.category_intervals``, kept until the next committed edit."""
    if seq is None:  # no change-log position read in this request: keep it for the request
        from flask import g, has_request_context

        if not has_request_context():
            return freshness.category_intervals()
        if g.get("_category_plan") is None:
            g._category_plan = freshness.category_intervals()
        return g._category_plan
    key = (current_app.config["SQLALCHEMY_DATABASE_URI"], seq)
    found = _plan_cache.get(key)
    if found is None:
        if len(_plan_cache) > 16:
            _plan_cache.clear()
        found = _plan_cache[key] = freshness.category_intervals()
    return found


def _overdue(service: m.Service, now: datetime, term_ids: list[str] | None) -> bool:
    """Whether the listing is overdue for checking, by ``operations.freshness``'s plan (its
    own interval, else the shortest of its categories', 30 days for a crisis line, else the
    default)."""
    from flask import g

    if term_ids is None:
        return freshness.is_overdue(service, now=now)
    plan = {} if service.verify_interval_days else _category_plan(g.get("_change_seq"))
    return freshness.is_overdue(service, now=now,
                                interval=freshness.plan_interval(service, term_ids, plan))


def dated_facts(service: m.Service, locale: str, now: datetime | None = None, *,
                overdue: bool = True, term_ids: list[str] | None = None) -> dict[str, Any]:
    """What the listing says about today, by the one rule (``search.row``): open now, "open
    24/7", closures and changed hours of the coming weeks, the current public alert, capacity
    while fresh, and whether it is overdue for checking."""
    now = now or datetime.now(tz=ZoneInfo("UTC"))
    default_tz = current_app.config["DEFAULT_TIMEZONE"]
    schedules = schedule_rows(service_schedules(service), default_tz)
    zone = listing_timezone(schedules, default_tz)
    exceptions = exception_rows(service.hours_exceptions, since=now)
    alert, alert_locale = service.translated("alert", locale)
    if not (alert or "").strip() or not alert_is_current(service.alert_until, now):
        alert = alert_locale = None
    capacity = capacity_at(service.capacity, service.capacity_updated_at, now,
                           float(current_app.config.get("CAPACITY_MAX_AGE_HOURS", 48)))
    return {
        "open_now": is_open_at(schedules, now, open_24_7=service.open_24_7,
                               status=service.status, exceptions=exceptions, timezone=zone),
        "open_24_7": shows_24_7(service.open_24_7, now, status=service.status,
                                exceptions=exceptions, timezone=zone),
        "exceptions": upcoming_exceptions(exceptions, now, zone),
        "alert": alert, "alert_locale": alert_locale,
        "capacity": capacity,
        "capacity_updated_at": service.capacity_updated_at if capacity else None,
        "overdue": _overdue(service, now, term_ids) if overdue else False,
    }


def _joined_translated(relationship):
    """Join ``relationship`` and its records' translations into the parent's statement."""
    return joinedload(relationship).joinedload(relationship.property.mapper.class_.translations)


# What the listing page reads, in two statements (the service with its own collections, then
# its locations): nothing is left to load lazily while the template renders.
_LISTING_OPTIONS = (
    joinedload(m.Service.translations),
    _joined_translated(m.Service.organization),
    _joined_translated(m.Service.phones),
    _joined_translated(m.Service.schedules),
    joinedload(m.Service.languages),
    _joined_translated(m.Service.cost_options),
    _joined_translated(m.Service.required_documents),
    joinedload(m.Service.hours_exceptions),
    selectinload(m.Service.service_at_locations).options(
        joinedload(m.ServiceAtLocation.translations),
        joinedload(m.ServiceAtLocation.location).options(
            joinedload(m.Location.translations), joinedload(m.Location.addresses),
            _joined_translated(m.Location.accessibility),
            _joined_translated(m.Location.schedules))),
)


def _related_pages(term_ids: list[str]) -> list[m.Page]:
    """Published pages filed under the listing's categories or above them (one statement)."""
    tree = sa.select(m.TaxonomyTerm.id, m.TaxonomyTerm.parent_id).where(
        m.TaxonomyTerm.id.in_(term_ids)).cte("tree", recursive=True)
    parent = sa.orm.aliased(m.TaxonomyTerm)
    tree = tree.union(sa.select(parent.id, parent.parent_id).join(
        tree, parent.id == tree.c.parent_id))
    return list(db.session.scalars(
        sa.select(m.Page).options(joinedload(m.Page.translations)).where(
            m.Page.id.in_(sa.select(m.page_taxonomy_term.c.page_id).where(
                m.page_taxonomy_term.c.taxonomy_term_id.in_(sa.select(tree.c.id)))),
            m.Page.publication == "published").order_by(m.Page.slug)).unique())


def _listing_context(service_id: str) -> dict[str, Any]:
    context = _listing_facts(service_id)
    if context is None:
        abort(404)
    return context


def _listing_facts(service_id: str) -> dict[str, Any] | None:
    """Everything a listing page shows, or None when the listing is not public."""
    # populate_existing: a service something already put in the session (a hook, a banner)
    # is loaded again with the options rather than returned half-loaded
    record = db.session.get(m.Service, service_id, options=_LISTING_OPTIONS,
                            populate_existing=True) if m.is_record_id(service_id) else None
    if record is None or not record.is_public:
        return None
    locale = current_locale()
    phones = sorted(record.phones, key=lambda phone: phone.id)
    terms = list(db.session.scalars(
        sa.select(m.TaxonomyTerm).options(joinedload(m.TaxonomyTerm.translations))
        .join(m.Attribute, m.Attribute.taxonomy_term_id == m.TaxonomyTerm.id)
        .where(m.Attribute.link_entity == "service", m.Attribute.link_id == record.id)
        .order_by(m.TaxonomyTerm.id)).unique())
    related_pages = _related_pages([term.id for term in terms]) if terms else []
    crisis = crisis_lines()
    dated = dated_facts(record, locale, term_ids=[term.id for term in terms])
    return {"service": record, "phones": phones, "terms": terms, "locale": locale,
            "safe_ways": safe_ways(phones, terms),
            "hours": _hours(record, locale), "open_now": dated["open_now"], "dated": dated,
            "related_pages": related_pages, "crisis": crisis}


SAFE_WAYS = (("text", _l("Text messages are OK")),
             ("online", _l("Chat or online contact")),
             ("voicemail", _l("A voicemail from them is discreet")),
             ("tty", _l("TTY for Deaf and hard-of-hearing callers")),
             ("walk_in", _l("Walk in without an appointment")))


def safe_ways(phones, terms) -> list[Any]:
    """The quietest ways to make contact, quietest first (shown on the listing)."""
    codes = {term.code for term in terms}
    have = {"text": any(p.text_ok for p in phones), "online": "online-service" in codes,
            "voicemail": any(p.voicemail_safe is True for p in phones),
            "tty": any(p.tty for p in phones), "walk_in": "walk-in" in codes}
    return [label for key, label in SAFE_WAYS if have[key]]


def service(service_id: str):
    """One listing; confidential locations show only their public area."""
    return no_store(make_response(render_template(
        "public/service.html", **_listing_context(service_id), **_report_form_context())))


def _report_form_context() -> dict[str, Any]:
    """What the "Something wrong?" form needs (listing page, report page)."""
    return {"report_kinds": reports.KIND_LABELS, "note_max": m.REPORT_NOTE_MAX}


def service_print(service_id: str):
    """A discreet printable listing: neutral title, nothing sensitive in the header."""
    return no_store(make_response(render_template(
        "public/service_print.html", listing=_listing_context(service_id),
        large_print=request.args.get("large") == "1")))


MAX_HANDOUT = 25


def handout():
    """One discreet print page for the listings an advocate picked (nothing is stored)."""
    from flask import g
    from flask_babel import refresh

    language = request.form.get("language")
    if language in SUPPORTED_LOCALES:
        g.locale = language
        refresh()
    ids = list(dict.fromkeys(request.form.getlist("ids")))[:MAX_HANDOUT]
    listings = [facts for facts in map(_listing_facts, ids) if facts is not None]
    if not listings:
        from .errors import render_error

        return render_error(400, _l("Nothing to print yet"),
                            _l("Tick “Add to handout” on one or more search results first."))
    return no_store(make_response(render_template(
        "public/service_print.html", listings=listings,
        large_print=request.form.get("large_print") == "1")))


def explainer(slug: str):
    """An explainer page with the services filed under its categories."""
    page = db.session.scalar(sa.select(m.Page).where(m.Page.slug == slug[:128],
                                                     m.Page.publication == "published"))
    if page is None:
        abort(404)
    locale = current_locale()
    title, title_locale = page.translated("title", locale)
    body, body_locale = page.translated("body", locale)
    codes = [t.code or t.id for t in page.taxonomy_terms]
    related = search("", locale=locale, filters={"category": codes}, page_size=6,
                     with_facets=False) if codes else None
    return render_template("public/page.html", page=page, title=title, title_locale=title_locale,
                           body=render_markdown(body), body_locale=body_locale, related=related,
                           card_status=card_status(related.hits if related else []),
                           crisis=crisis_lines())


def safety():
    """How to browse more safely, and what the quick exit does and does not do."""
    return render_template("public/safety.html", crisis=crisis_lines())


# -- "Something wrong?": a visitor reports a problem with a listing ----------------------------
# A report is a few hundred bytes; anything much bigger is not a person filling the form.
REPORT_MAX_BYTES = 16 * 1024
# The honeypot: a field people never see or fill; whatever fills it gets a thank-you, no report.
HONEYPOT_FIELD = "website"


def _report_limit() -> str:
    return current_app.config.get("RATELIMIT_REPORT") or "5 per hour;20 per day"


def _report_key() -> str:
    """The visitor's address as a keyed hash: the rate limiter's storage holds no address."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    address = (get_remote_address() or "").encode()
    return "report:" + hmac.new(secret, address, hashlib.sha256).hexdigest()[:32]


def _report_page(service: m.Service, status: int = 200, *, values: dict[str, str] | None = None,
                 errors: dict[str, str] | None = None):
    response = make_response(render_template(
        "public/report.html", service=service, locale=current_locale(), values=values or {},
        errors=errors or {}, crisis=crisis_lines(), **_report_form_context()), status)
    return no_store(response)


def _report_errors(exc: ValidationError, note: str) -> dict[str, str]:
    """The operation's errors as messages for the visitor, by field."""
    out: dict[str, str] = {}
    for error in exc.errors:
        if error.path == "kind":
            out["kind"] = _("Choose what is wrong with this listing.")
        elif error.path == "note":
            out["note"] = _("Your note is %(count)d characters long. Please shorten it to "
                            "%(max)d characters or fewer.",
                            count=len(reports.clean_note(note)), max=m.REPORT_NOTE_MAX)
    return out or {"kind": _("Choose what is wrong with this listing.")}


@limiter.limit(_report_limit, key_func=_report_key, methods=["POST"], scope="report",
               override_defaults=True)
def report(service_id: str):
    """The report form (GET) and a visitor's report (POST): no cookie, nothing about them kept."""
    try:
        service = reports.public_service(service_id)
    except NotFound:
        abort(404)
    if request.method == "GET":
        return _report_page(service)
    if (request.content_length or 0) > REPORT_MAX_BYTES:
        return _report_page(service, 413, errors={"form": _(
            "That was too much to send. Please shorten your note and try again.")})
    request.max_content_length = REPORT_MAX_BYTES
    try:
        form = request.form
        kind, note = form.get("kind", ""), form.get("note", "")
        trapped = bool(form.get(HONEYPOT_FIELD))
    except RequestEntityTooLarge:
        return _report_page(service, 413, errors={"form": _(
            "That was too much to send. Please shorten your note and try again.")})
    if trapped:
        return _report_thanks(service)
    try:
        reports.submit_report(service.id, kind, note, current_locale())
    except ValidationError as exc:
        db.session.rollback()
        return _report_page(service, 400, values={"kind": kind, "note": note},
                            errors=_report_errors(exc, note))
    db.session.commit()
    return _report_thanks(service)


def _report_thanks(service: m.Service):
    return no_store(make_response(render_template(
        "public/report_thanks.html", service=service, locale=current_locale(),
        crisis=crisis_lines())))


def report_limited(error):
    """Too many reports from one address: a calm page in the visitor's language."""
    from .errors import error_page, render_error

    if request.endpoint != "public.report":
        return error_page(error)
    response = render_error(429, _l("Thank you, we have your reports"),
                            _l("We have received several reports from your connection "
                               "recently, so we cannot take another one just now. Please "
                               "try again later. If you need help now, the crisis lines on "
                               "this page can help."))
    for name, value in error.get_headers():
        if name == "Retry-After":
            response.headers[name] = value
    return response
