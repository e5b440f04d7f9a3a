"""Full-text search on Whoosh: schema, documents, index management, queries and sync.

The database is the source of truth; the index is derived and can always be rebuilt.
"""


def init_app(app) -> None:
    """Register the sync hook, the CLI, the start-up index check and the request hook that
    applies changes committed by other processes (``search()`` itself only reads)."""
    import threading

    from flask import request

    from . import changes, sync  # noqa: F401 - changes registers the change-log hooks
    from .cli import search_cli

    sync.init_app(app)
    app.cli.add_command(search_cli)
    ready = threading.Event()
    lock = threading.Lock()

    @app.before_request
    def _ensure_index_once():
        if ready.is_set() or not app.config.get("SEARCH_ENSURE_ON_START", True):
            return
        with lock:
            if not ready.is_set():
                sync.ensure_index(app)
                ready.set()

    @app.before_request
    def _catch_up():
        if request.endpoint != "static":
            sync.catch_up(app)  # at most once a second per process
