"""Response compression (Flask-Compress: Brotli or gzip), except where it would leak secrets.

BREACH: when a compressed response holds a secret next to text an attacker can choose, the
response's length reveals the secret a guess at a time. So nothing is compressed that holds a
CSRF token (whatever rendered it: admin pages, the account pages, any form that gains one), no
page under the back office or the account pages, and no HTML answering a POST (it echoes what
was submitted, e.g. the search words). The widget script, API JSON, static assets and GET pages
without a token are compressed.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, g, request
from flask_compress import Compress

compress = Compress()
TEXT_TYPES = ["text/html", "text/css", "text/plain", "text/xml", "text/javascript",
              "application/javascript", "application/json", "application/geo+json",
              "application/xml", "image/svg+xml"]
SECRET_AREAS = ("/admin", "/account")  # back office and sign-in pages
STATIC_LIMIT = 1024 * 1024  # files larger than this are sent as they are


def reflects_secrets(response: Response) -> bool:
    """Whether compressing ``response`` could leak a secret through its length."""
    if current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token") in g:
        return True  # a CSRF token was generated for this response
    if request.path.startswith(SECRET_AREAS):
        return True
    return request.method == "POST" and response.mimetype == "text/html"


def init_app(app: Flask) -> None:
    app.config.setdefault("COMPRESS_MIMETYPES", TEXT_TYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    # Streamed bodies are left alone (Flask-Compress's streaming path drops the file's
    # close()); static files are small and read into memory first, below.
    app.config["COMPRESS_STREAMS"] = False
    app.config.setdefault("COMPRESS_BR_LEVEL", 5)  # the widget: 2.8 kB (3.1 at 4), < 1 ms
    app.config["COMPRESS_REGISTER"] = False  # our hook below decides, then calls it
    compress.init_app(app)

    @app.after_request
    def _compress(response: Response) -> Response:
        if (not app.config.get("COMPRESS_ENABLED", True) or response.status_code != 200
                or reflects_secrets(response)):
            return response  # 206 ranges, 304s and errors pass through untouched
        if (response.is_streamed and response.direct_passthrough
                and response.mimetype in compress.compress_mimetypes_set
                and response.content_length is not None
                and response.content_length <= STATIC_LIMIT):
            response.direct_passthrough = False
            response.make_sequence()  # a static file: read it (its close() still runs)
        return compress.after_request(response)
