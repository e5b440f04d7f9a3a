"""Security headers for every response, with a per-request CSP nonce.

Templates put ``nonce="{{ csp_nonce() }}"`` on the few ``<script>``/``<style>`` tags that need
one; there is no ``unsafe-inline``. A view (the widget iframe, say) may set its own
``Content-Security-Policy`` header: it is kept as is.
"""

from __future__ import annotations

import secrets

from flask import Flask, g, request


def csp_nonce() -> str:
    """This request's CSP nonce."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy(nonce: str) -> str:
    return ("default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce}'; "
            f"style-src 'self' 'nonce-{nonce}'; "
            "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def init_app(app: Flask) -> None:
    """Add the headers after every request."""
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", content_security_policy(csp_nonce()))
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "no-referrer")
        # A view that names its own frame-ancestors (the widget iframe) decides framing itself.
        if "frame-ancestors 'none'" in headers["Content-Security-Policy"] or \
                "frame-ancestors" not in headers["Content-Security-Policy"]:
            headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(), microphone=()")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        return response
