"""Default configuration.

Order of precedence, lowest first: these defaults, ``instance/config.py``, environment variables
named ``DIRECTORY_<KEY>``, then the ``test_config`` mapping given to ``create_app``.
"""

# The secret signs sessions and CSRF tokens. There is deliberately no default: the factory refuses to
# start without one unless DIRECTORY_DEV_SECRET is set (``make run`` generates one in instance/).
SECRET_KEY = None

# SQLite in instance/ unless DIRECTORY_DATABASE_URL says otherwise (filled in by the factory).
DATABASE_URL = None
# The Whoosh index directory; instance/index unless set (filled in by the factory).
INDEX_DIR = None
# Redis for rate limits and shared caches across workers; None keeps them in process memory.
REDIS_URL = None

# Where the quick-exit link sends people: a neutral, widely visited site.
EXIT_URL = "https://www.theweathernetwork.com/"

BABEL_DEFAULT_LOCALE = "en"
BABEL_DEFAULT_TIMEZONE = "America/Vancouver"
DEFAULT_TIMEZONE = "America/Vancouver"

# The site's public address (e.g. https://directory.example.org): absolute links that must
# resolve from anywhere (the API's HSDS profile URL, exports' base.json) use it; without it, the
# request's host (and, outside a request, the profile's stable name).
PUBLIC_URL = None

# Import: where the HSDS 3.0 JSON schemas live (../shared/hsds/schema beside the project by default;
# a copy ships in the package for installs that do not have it).
HSDS_SCHEMA_DIR = None

# Search: the public query length cap (characters) and results per page.
SEARCH_MAX_QUERY_LENGTH = 200
SEARCH_PAGE_SIZE = 20
# Seconds to wait for the Whoosh writer lock before retrying later.
SEARCH_WRITER_TIMEOUT = 10.0

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
MAX_CONTENT_LENGTH = 32 * 1024 * 1024

# Number of trusted reverse proxies in front of the app (X-Forwarded-* headers are ignored when 0,
# so a client cannot forge its address to escape rate limits).
PROXY_COUNT = 0
# Rate limits (Flask-Limiter syntax).
RATELIMIT_API = "120 per minute"
RATELIMIT_LOGIN = "10 per minute"

# Operations (directory/ops). Logs: JSON lines on stderr ("json") or Python's default ("plain").
LOG_FORMAT = "json"
LOG_LEVEL = "INFO"
# /readyz answers 503 while this index is more than this many change-log rows behind.
READY_MAX_PENDING = 100
# `flask search prune-log` keeps change-log rows this many days (replicas down longer rebuild).
SEARCH_LOG_KEEP_DAYS = 30
# Folder holding pg_dump/pg_restore; None finds the server's version (Debian) or uses PATH.
PG_BIN_DIR = None

# Freshness (operations/freshness.py). Days between checks of a listing, by category code; a
# category without an entry inherits its parent's; a listing in none of them uses the default.
# Curators can set a category's own interval (taxonomy_term.verify_interval_days) and a listing's.
VERIFY_INTERVAL_DAYS = 180
VERIFY_INTERVALS_BY_CATEGORY = {"crisis-line": 30, "transition-house": 30, "violence-support": 90}
# Capacity (accepting / waitlist / full) is hidden from the public once older than this (hours).
CAPACITY_MAX_AGE_HOURS = 48
# Today's checks holds listings due now or within this many days.
CHECKS_DUE_SOON_DAYS = 7

# Provider self-update (operations/provider.py): days a link e-mailed to a listing's contact
# works (once), and the reminders sent to a request still unanswered, in days after sending.
VERIFY_LINK_DAYS = 21
VERIFY_REMINDER_DAYS = (7, 14)

# Outgoing mail (Flask-Mailman over SMTP), e.g. DIRECTORY_MAIL_SERVER=smtp.example.org.
# MAIL_USE_TLS is STARTTLS on MAIL_PORT (587 usually); MAIL_USE_SSL is TLS from the start (465).
# The password belongs in the environment (DIRECTORY_MAIL_PASSWORD), never in a file in git.
MAIL_BACKEND = "smtp"
MAIL_SERVER = "localhost"
MAIL_PORT = 25
MAIL_USE_TLS = False
MAIL_USE_SSL = False
MAIL_USERNAME = None
MAIL_PASSWORD = None
MAIL_DEFAULT_SENDER = None
# Seconds to wait for the mail server before a send counts as failed.
MAIL_TIMEOUT = 30
