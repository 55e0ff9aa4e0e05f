"""Settings shared by every environment.

Everything that differs between machines comes from environment variables; with none set,
the whole system runs on one machine on SQLite with in-process channel layer and the
django-q2 ORM broker (the "embedded default").
"""

import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
(BASE_DIR / "var").mkdir(exist_ok=True)  # the embedded database, media and collected static


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "coastal-embedded-default-key-not-for-production-use-0123456789")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
REDIS_URL = os.environ.get("REDIS_URL", "")
# What Prometheus sends as `Authorization: Bearer ...` to read /metrics (unset: staff sign-in only).
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
# Key for national ID numbers at rest (Fernet). The embedded default derives one from SECRET_KEY.
FIELD_ENCRYPTION_KEY = os.environ.get("FIELD_ENCRYPTION_KEY", "")

INSTALLED_APPS = [
    "daphne",
    "unfold",
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "unfold.contrib.inlines",
    "unfold.contrib.import_export",
    "unfold.contrib.guardian",
    "unfold.contrib.simple_history",
    "apps.core.admin_apps.CoastalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "qsessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    # third party
    "channels",
    "guardian",
    "simple_history",
    "import_export",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_q",
    "django_prometheus",
    "csp",
    # wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    # coastal
    "apps.core",
    "apps.users",
    "apps.audit",
    "apps.messaging",
    "apps.members",
    "apps.ledger",
    "apps.cash",
    "apps.loans",
    "apps.servicedesk",
    "apps.reports",
    "apps.portal",
    "apps.api",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "qsessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "apps.core.text.ControlCharactersMiddleware",
    "apps.core.http.PrivateResponsesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Innermost on purpose: it is sync-only, and under ASGI Django switches threads at every boundary
    # between sync and async-capable middleware (MiddlewareMixin running async hops threads twice per
    # middleware). With a sync one innermost the whole chain runs in one thread: about 1 ms less CPU
    # per request. Its redirects still pass back out through every middleware above.
    "apps.users.middleware.OTPEnrolmentMiddleware",
]

ROOT_URLCONF = "coastal_site.urls"
ASGI_APPLICATION = "coastal_site.asgi.application"
WSGI_APPLICATION = "coastal_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.core.institution.institution_context",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'var' / 'coastal.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
    )
}
SQLITE_ENGINE = "coastal_site.db.sqlite"  # Django's SQLite backend, money sums rounded to the pesewa
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["ENGINE"] = SQLITE_ENGINE
    # WAL + IMMEDIATE transactions let the web process and the job workers share the file:
    # a writer takes the lock at BEGIN, so two writers queue instead of failing mid-way.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }


def use_connection_pool(database: dict, max_size: int) -> None:
    """Give a PostgreSQL database psycopg's connection pool (Django's OPTIONS["pool"]), `max_size`
    connections per process.

    Under ASGI every request runs in a thread of its own, so CONN_MAX_AGE never reuses a connection:
    each request would open one, which costs PostgreSQL a new backend process (about 10 ms of CPU,
    more than the request itself). The pool keeps connections open and lends one to each request;
    a request finding all of them busy waits up to DB_POOL_TIMEOUT seconds, then fails. Web
    processes only (deploy/entrypoint.sh): qcluster forks, and a pool does not survive a fork."""
    if max_size <= 0 or database["ENGINE"] != "django.db.backends.postgresql" or "qcluster" in sys.argv:
        return
    database["CONN_MAX_AGE"] = 0  # the pool keeps connections; Django refuses both at once
    # Check a connection as it is lent: after a PostgreSQL restart, a failover or a firewall that
    # drops idle connections, a stale one is replaced instead of failing a request (one round trip).
    database["CONN_HEALTH_CHECKS"] = True
    database.setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(2, max_size), "max_size": max_size,
        "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "10")),
    }


use_connection_pool(DATABASES["default"], int(os.environ.get("DB_POOL_MAX_SIZE", "0")))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache, channels, jobs ----------------------------------------------------------------
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    # socket_timeout above channels_redis's 5 s blocking read (redis-py's default of 5 s made the two race:
    # "Timeout reading from ..." closed sockets, channels_redis#422); capacity: one process's sockets share
    # one Redis inbox, and the default of 100 dropped part of a notification to a role (bench/messaging.py).
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {
        "hosts": [{"address": REDIS_URL, "socket_timeout": 15}], "capacity": 5000}}}
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "coastal_cache"}
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

Q_CLUSTER = {
    "name": "coastal",
    "workers": int(os.environ.get("Q_WORKERS", "2")),
    "timeout": 600,
    "retry": 720,  # must exceed timeout, or a slow task is handed out twice
    "max_attempts": 3,
    "queue_limit": 50,
    "catch_up": False,
    "label": "Background jobs",
}
# Background job progress (apps/core/jobs.py): written at most every JOB_PROGRESS_SECONDS unless the
# percent done moved by JOB_PROGRESS_PERCENT; a running job with no heartbeat for JOB_STALE_SECONDS
# (above the task timeout, after which django-q2 has killed the task) is shown failed and may be restarted.
JOB_PROGRESS_SECONDS = 2
JOB_PROGRESS_PERCENT = 5
JOB_STALE_SECONDS = 900
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# --- auth ------------------------------------------------------------------------------------
AUTH_USER_MODEL = "users.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "/"

# django-axes: 5 consecutive failures for one e-mail from one client address lock that e-mail there for
# 30 minutes (API.md). Locking by e-mail alone would let anyone lock a manager out from anywhere; from
# many addresses, sign-ins are slowed instead (LOGIN_THROTTLE_*, apps.users.services.throttle_seconds).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Every authenticate() call passes the email as "username": count it under that name, and do not
# restart the 30 minutes on each retry while locked (the lock must lift when the message says).
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
LOGIN_THROTTLE_FAILURES = 10
SILENCED_SYSTEM_CHECKS: list[str] = []
LOGIN_THROTTLE_WINDOW = timedelta(minutes=15)
AXES_LOCKOUT_CALLABLE = "apps.users.views.lockout_response"
AXES_VERBOSE = False

# Which roles must use a second factor is a fact of the role: Role.otp_required (apps/core/roles.py).


def OTP_TOTP_ISSUER(device):
    """The name authenticator apps show beside the code (django-otp calls this): the institution's short name."""
    from apps.core.institution import institution

    return institution().short_name


# JSON API tokens
JWT_ACCESS_LIFETIME = timedelta(minutes=15)
JWT_REFRESH_LIFETIME = timedelta(days=7)
JWT_ALGORITHM = "HS256"
JWT_COOKIE_SECURE = False  # production: True

GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user object

# --- sessions, cookies ---------------------------------------------------------------------
SESSION_ENGINE = "qsessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 8
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "SAMEORIGIN"

# --- content security policy (django-csp 4) -----------------------------------------------
# unfold's Alpine.js needs 'unsafe-eval'; Wagtail's admin needs inline styles.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", "'unsafe-inline'", "'unsafe-eval'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'", "ws:", "wss:"],
        "frame-ancestors": ["'self'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- i18n, static, media -------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Africa/Accra"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000

# --- e-mail (staff notifications: a failed end of day, ...) ---------------------------------------
# Printed to the console unless an SMTP server is configured.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Coastal <no-reply@coastal.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_SUBJECT_PREFIX = "[Coastal] "

# --- notifications and messaging -----------------------------------------------------------------
# Text messages go through this backend (apps/messaging/sms.py explains how a gateway plugs in); the
# default only logs them.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "apps.messaging.sms.LoggingSmsBackend")
# At most this many new threads and messages per person per window of seconds; more answer 429.
MESSAGING_RATE_LIMIT = (int(os.environ.get("MESSAGING_RATE_LIMIT", "30")), 60)
# Frames one person may send over all their live sockets together, per 10 s (apps/messaging/consumers.py).
SOCKET_RATE_LIMIT = (int(os.environ.get("SOCKET_RATE_LIMIT", "60")), 10)

# --- wagtail -------------------------------------------------------------------------------
# Wagtail's own name for the CMS (it asks editors to type it to confirm deleting pages). The
# institution's name, contacts and logo are the "Institution" setting in /cms/ (apps/core/institution.py).
WAGTAIL_SITE_NAME = "Coastal"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://localhost:8000")
WAGTAILADMIN_LOGIN_URL = "admin:login"
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "xlsx", "csv", "txt"]
WAGTAIL_USER_EDIT_FORM = None
# An approved workflow publishes as the second person, without the editors holding "publish".
WAGTAIL_FINISH_WORKFLOW_ACTION = "apps.portal.workflow.publish_approved"

# --- ledger ----------------------------------------------------------------------------------
# The currency, written only here: apps.core.money.format_money puts the symbol before every amount
# people read ({{ x|cedis }} in templates); statements name the currency in words too.
CURRENCY_SYMBOL = "GH₵"
CURRENCY_NAME = "Ghana cedi"

# --- CSV import/export ---------------------------------------------------------------------------
# A name such as "=HYPERLINK(...)" must not run as a formula when compliance opens the CSV in Excel.
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True

# --- API -----------------------------------------------------------------------------------
NINJA_PAGINATION_MAX_LIMIT = 200

# --- logging -------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "django-q": {"level": "WARNING"},  # django-q2's logger name
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

SIMPLE_HISTORY_REVERT_DISABLED = True  # history is read-only in the admin



# --- staff console ---------------------------------------------------------------------------
from .unfold import UNFOLD  # noqa: E402,F401  (look, sidebar per role, dashboard callback)
