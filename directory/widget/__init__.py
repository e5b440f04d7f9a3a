"""The partner search widget: /widget.js, its per-partner configuration and the iframe embed.

The script tag mode runs in the partner's page (inside a Shadow DOM) and asks
``/widget/config/<key>.json`` for its presets and labels; the config answers only pages on the
partner's allowed origins. The iframe mode (``/embed/<key>``) may be framed only by those origins
(CSP ``frame-ancestors``).
"""

from __future__ import annotations

import hashlib
import os
import re
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, jsonify, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from .. import i18n
from .. import models as m
from ..extensions import db
from ..operations.partners import partner_origins

bp = Blueprint("widget", __name__, template_folder="templates")

WIDGET_JS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "static", "widget",
                         "widget.js")
COLOR = re.compile(r"^#[0-9a-fA-F]{3,8}$")


def active_partner(key: str) -> m.Partner | None:
    """The active partner with this key, or None."""
    if not key or len(key) > 64:
        return None
    return db.session.scalar(sa.select(m.Partner).where(m.Partner.key == key,
                                                        m.Partner.active.is_(True)))


def embed_code(partner: m.Partner, base_url: str | None = None) -> Markup:
    """The one ``<script>`` tag a partner pastes into its page (shown in the admin)."""
    base = (base_url or request.host_url).rstrip("/")
    attrs = [f'src="{escape(base)}/widget.js"', f'data-partner="{escape(partner.key)}"']
    if partner.preset_locale:
        attrs.append(f'data-locale="{escape(partner.preset_locale)}"')
    return Markup("<script " + " ".join(attrs) + " async></script>")


def iframe_code(partner: m.Partner, base_url: str | None = None) -> Markup:
    """The ``<iframe>`` alternative for partners that cannot add scripts."""
    base = (base_url or request.host_url).rstrip("/")
    return Markup(f'<iframe src="{escape(base)}/embed/{escape(partner.key)}" '
                  f'title="{escape(_("Find support"))}" width="100%" height="600" '
                  'referrerpolicy="no-referrer" style="border:0"></iframe>')


def _presets(partner: m.Partner) -> dict[str, Any]:
    """Presets from the partner record, overridden by the page's data-* attributes."""
    locale = (i18n.normalize_locale(request.args.get("locale"))
              or i18n.normalize_locale(partner.preset_locale) or i18n.DEFAULT_LOCALE)
    theme = partner.theme if isinstance(partner.theme, dict) else {}
    color = theme.get("color") or theme.get("primary") or ""
    category = (request.args.get("category") or partner.preset_category or "")[:100]
    region = (request.args.get("region") or partner.preset_region or "")[:100]
    return {"locale": locale, "category": category or None, "region": region or None,
            "theme": {"color": color} if isinstance(color, str) and COLOR.match(color) else {}}


def _labels(locale: str) -> dict[str, str]:
    with force_locale(locale):
        return {
            "title": _("Find support"), "label": _("Search services"),
            "placeholder": _("e.g. shelter, STI testing, counselling"), "search": _("Search"),
            "searching": _("Searching…"), "found": _("%(n)s services found"),
            "none": _("No services found. Try other words."),
            "error": _("Search is not available right now. Please try again later."),
            "exit": _("Quick exit"), "crisis": _("Crisis line"),
            "showing": _("Showing %(shown)s of %(n)s services"),
            "see_all": _("See all %(n)s results"), "open_now": _("Open now"),
            "closed": _("Closed now"), "open_24_7": _("Open 24/7"),
            "shut": _("Temporarily closed"), "accepting": _("Accepting people"),
            "waitlist": _("Waitlist"), "full": _("Full"),
            "text_ok": _("Text messages OK"), "tty": _("TTY"),
            "report": _("Something wrong?"),
            "report_title": _("Tell us what is wrong with this listing (opens in a new tab)"),
        }


@bp.route("/widget.js")
def widget_js():
    """The widget script (cacheable, revalidated by ETag, readable from any origin)."""
    with open(WIDGET_JS, "rb") as handle:
        source = handle.read()
    response = current_app.response_class(source, mimetype="text/javascript")
    response.set_etag(hashlib.sha256(source).hexdigest()[:32])
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response.make_conditional(request)


@bp.route("/widget/config/<partner_key>.json")
def widget_config(partner_key: str):
    """Presets, theme and labels for a partner's widget; only for the partner's own pages."""
    partner = active_partner(partner_key)
    origin = request.headers.get("Origin")
    own = request.host_url.rstrip("/")
    if partner is None:
        response = jsonify(status=404, message=_("Unknown or inactive partner."))
        response.status_code = 404
    elif origin and origin != own and origin not in partner_origins(partner):
        response = jsonify(status=403, message=_("This site may not embed the widget."))
        response.status_code = 403
    else:
        presets = _presets(partner)
        response = jsonify(
            partner=partner.name, **presets, labels=_labels(presets["locale"]),
            html_lang=i18n.html_lang(presets["locale"]),
            dir=i18n.text_direction(presets["locale"]),
            exit_url=url_for("public.quick_exit", _external=True))
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
    response.vary.add("Origin")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/embed/<partner_key>")
def embed(partner_key: str):
    """The widget in a page of its own, for an iframe on the partner's allowed origins."""
    partner = active_partner(partner_key)
    if partner is None:
        abort(404)
    presets = _presets(partner)
    # The page speaks the widget's language, whatever the browser's Accept-Language says.
    with force_locale(i18n.BABEL_LOCALE.get(presets["locale"], presets["locale"])):
        body = render_template("widget/embed.html", partner=partner, presets=presets,
                               html_lang=i18n.html_lang(presets["locale"]),
                               text_dir=i18n.text_direction(presets["locale"]))
    response = current_app.make_response(body)
    # 'self' lets the admin show a live preview; every other site must be on the partner's list.
    ancestors = " ".join(["'self'", *partner_origins(partner)])
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        f"frame-ancestors {ancestors}")
    response.headers["Cache-Control"] = "no-store"
    response.headers.pop("X-Frame-Options", None)
    return response
