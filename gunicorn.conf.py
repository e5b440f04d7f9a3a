"""Gunicorn settings: ``gunicorn -c gunicorn.conf.py wsgi:app`` (what ``make run`` uses).

Environment: ``PORT`` (5000) and ``HOST`` (127.0.0.1) or ``GUNICORN_BIND`` (e.g.
``unix:/run/directory/gunicorn.sock``), ``WEB_CONCURRENCY`` workers (2; about one per core, the
work is CPU-bound), ``GUNICORN_THREADS`` (1), ``GUNICORN_TIMEOUT`` (30 s),
``GUNICORN_PREPARE_INDEX=0`` to skip the index check before the workers start,
``GUNICORN_WARM_SEARCH=0`` to skip loading the search caches in each new worker. Logs are JSON
lines on stderr (errors) and stdout (access), without client addresses or query strings.
docs/deployment.md explains the choices.
"""

import os
import subprocess
import sys

bind = os.environ.get("GUNICORN_BIND") or \
    f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# More than one thread switches to the gthread worker (for slow clients without a proxy).
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# A worker silent this long is killed and replaced (a search takes milliseconds).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# On SIGTERM workers stop accepting, finish their requests, and exit within this time.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# Recycle workers now and then so slow memory growth (Whoosh caches) cannot accumulate.
max_requests = 5000
max_requests_jitter = 500
# Each worker opens its own database pool and index searcher after the fork.
preload_app = False

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
logger_class = "directory.ops.logs.GunicornLogger"
# Gunicorn's runtime control socket (one fixed path per user by default, so several instances on
# one host would collide): off unless GUNICORN_CONTROL_SOCKET names a path.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True
# Addresses are not logged at all; this only controls whose X-Forwarded-Proto is believed.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server):
    """Before forking: make sure this host's index exists and has caught up with the log.

    A replica that was down during edits (or is new) is current before it takes requests. Run
    in a child process so the master holds no database connection or open index files.
    """
    if os.environ.get("GUNICORN_PREPARE_INDEX", "1") == "0":
        return
    code = ("from wsgi import app\n"
            "from directory.search.sync import ensure_index\n"
            "ensure_index(app)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=os.path.dirname(__file__) or ".",
                          check=False)
    if done.returncode != 0:
        server.log.warning("index preparation exited with %s; workers will retry",
                           done.returncode)


def when_ready(server):
    """Say where the site is (the log hides addresses, so print it plainly once)."""
    for address in bind.split(","):
        address = address.strip()
        if address.startswith("unix:"):
            print(f"Support Directory is serving on {address}", flush=True)
        else:
            host, _, port = address.rpartition(":")
            host = host.strip("[]") or "127.0.0.1"
            shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
            print(f"Support Directory is serving at http://{shown}:{port}/", flush=True)


def post_worker_init(worker):
    """In each worker, before it accepts requests: load the search caches."""
    if os.environ.get("GUNICORN_WARM_SEARCH", "1") == "0":
        return
    from directory.search.sync import warm_up

    warm_up(worker.wsgi)
