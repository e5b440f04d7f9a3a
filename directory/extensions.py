"""Flask extensions, created unbound and bound to the app in the factory."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData

# Stable constraint names so Alembic migrations work the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()
# Outgoing mail (provider check requests) over SMTP, configured by DIRECTORY_MAIL_* settings.
mail = Mail()

# Rate limits: in-process by default, shared through Redis when DIRECTORY_REDIS_URL is set (the
# factory sets RATELIMIT_STORAGE_URI). Keys use the connecting address only: X-Forwarded-For is
# trusted only through ProxyFix when DIRECTORY_PROXY_COUNT says a proxy is in front.
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)
