"""One settings module, driven by the environment.

With nothing set the portal runs on the checkout's own PostgreSQL (localdb.py), with Celery tasks executed
eagerly and e-mail printed to the console, so `make demo` needs nothing but Python.
"""

from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

# The folder that holds portal/: the checkout, or site-packages once the wheel is installed. Either way templates/
# and portal/locale/ lie beside it (pyproject.toml ships them as package data), so one path serves both.
BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# PRODUCTION=1 refuses to start without its secrets, and refuses the demo's shortcuts.
PRODUCTION: bool = env.bool("PRODUCTION", default=False)
_REQUIRED_IN_PRODUCTION = ("SECRET_KEY", "DATABASE_URL", "FIELD_ENCRYPTION_KEYS", "ALLOWED_HOSTS")
if PRODUCTION:
    missing = [name for name in _REQUIRED_IN_PRODUCTION if not env.str(name, default="")]
    if missing:
        raise ImproperlyConfigured(f"production needs these environment variables: {', '.join(missing)}")

DEBUG: bool = env.bool("DEBUG", default=False) and not PRODUCTION
# The fallback key only ever serves a local demo; production sets SECRET_KEY.
SECRET_KEY: str = env.str("SECRET_KEY", default="insecure-demo-key-change-me-in-production")

# Key of the audit chain's HMAC (portal/audit.py). Defaults to one derived from SECRET_KEY; set it to keep the
# audit key apart from the session key. Kept outside the database, so a database intruder cannot forge a chain.
AUDIT_CHAIN_KEY: str = env.str("AUDIT_CHAIN_KEY", default="")

# Fernet keys for free text at rest (portal/encryption.py): the first encrypts, all decrypt.
# The fallback key is public (it is in this file): demo and tests only.
FIELD_ENCRYPTION_KEYS: list[str] = env.list(
    "FIELD_ENCRYPTION_KEYS", default=["Qi2jnVmMCJa1UgoknIGlwtTwHSydCUplXQltTTZItr8="]
)
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "portal",
    "crisis",
    "screening",
    "counseling",
    "training",
    "dashboards",
    "privacy",
]

MIDDLEWARE = [
    "portal.audit.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Right after the static files: every other response, whoever asks, is marked no-store.
    "portal.security.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before anything reads the path or the query (in the visitor's language, without reading the session).
    "portal.middleware.ControlCharactersMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "portal.middleware.AuthenticationMiddleware",  # Django's, taking the user read with the session
    "django_otp.middleware.OTPMiddleware",
    "portal.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "portal.security.SessionTimeoutMiddleware",
    "portal.security.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into its lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "django.template.context_processors.i18n",
                "portal.context_processors.navigation",
            ],
        },
    },
]

# PostgreSQL, always. Unset, the checkout's own server (localdb.py: `make demo` and `make test` start it), on a
# socket in its data folder; a libpq URI's ?host= is that socket's folder.
DATABASES = {"default": env.db("DATABASE_URL", default=f"postgresql://postgres@/portal?host={BASE_DIR / '.pgdata'}")}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must name a PostgreSQL database (postgres://...)")
DATABASES["default"]["ENGINE"] = "portal.postgres"  # Django's, health-checked without a round trip
DATABASES["default"]["HOST"] = DATABASES["default"].get("OPTIONS", {}).pop("host", DATABASES["default"]["HOST"])
# Persistent connections in production: opening one per request cost a tenth of a kiosk submission's time.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60 if PRODUCTION else 0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False

AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out attempts before any password check
    "portal.auth_backend.ModelBackend",  # Django's, reading the user and their roles in one statement
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Users read Chinese; English is the second language. Source strings are English.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "portal" / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# Uploaded documents (emergency plans): never served directly, only through views that check access.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "/media-not-served/"
STATIC_URL = "/static/"
# The image collects into a folder of its own (Dockerfile: STATIC_ROOT=/app/staticfiles), not into site-packages.
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str("STATICFILES_BACKEND", default="django.contrib.staticfiles.storage.StaticFilesStorage")
    },
}
# Without collectstatic (demo, tests) whitenoise serves straight from the app folders.
WHITENOISE_USE_FINDERS = DEBUG or not STATIC_ROOT.exists()

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Uploads: roster files are small; a district-sized roster stays well under this.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
ROSTER_IMPORT_MAX_BYTES = env.int("ROSTER_IMPORT_MAX_BYTES", default=5 * 1024 * 1024)
# Every other imported sheet (paper screening forms, training attendance and teacher rosters).
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=5 * 1024 * 1024)
# A JSON body to the API: the largest we take (a whole questionnaire is a few KB) and how deeply it may nest
# (ours nest three levels; Python's decoder fails near a thousand).
API_JSON_MAX_BYTES: int = env.int("API_JSON_MAX_BYTES", default=1024 * 1024)
API_JSON_MAX_DEPTH: int = 32

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="portal@localhost")
SITE_URL: str = env.str("SITE_URL", default="http://127.0.0.1:8000")
MESSAGE_ID_DOMAIN: str = env.str("MESSAGE_ID_DOMAIN", default="psy-portal.local")

# SMS through an HTTP gateway (contract in portal/channels.py and the README). Unset: logged (demo only).
SMS_GATEWAY_URL: str = env.str("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_TOKEN: str = env.str("SMS_GATEWAY_TOKEN", default="")
SMS_GATEWAY_TIMEOUT: int = env.int("SMS_GATEWAY_TIMEOUT", default=10)

# The demo's outbox (`make demo` sets it): e-mail and SMS are appended as text to this one file instead of being
# sent, unless EMAIL_URL or SMS_GATEWAY_URL name where they go. Refused in production, which must never believe a
# message was delivered when it went to a file. Made absolute here, so every process of the demo writes one file.
DEMO_OUTBOX: str = env.str("DEMO_OUTBOX", default="")
if DEMO_OUTBOX:
    if PRODUCTION:
        raise ImproperlyConfigured("DEMO_OUTBOX is the demo's: production sends e-mail and SMS for real")
    DEMO_OUTBOX = str(Path(DEMO_OUTBOX).resolve())
    if not env.str("EMAIL_URL", default=""):
        EMAIL_BACKEND = "portal.channels.DemoOutboxEmailBackend"

# The outbox (portal/notifications.py). A claim older than OUTBOX_STALE_SENDING_SECONDS belongs to a dead
# worker: it must exceed the delivery task's 60 s time limit so a slow send is never doubled.
OUTBOX_STALE_SENDING_SECONDS: int = env.int("OUTBOX_STALE_SENDING_SECONDS", default=300)
OUTBOX_SWEEP_GRACE_SECONDS: int = env.int("OUTBOX_SWEEP_GRACE_SECONDS", default=30)
OUTBOX_SWEEP_BATCH: int = env.int("OUTBOX_SWEEP_BATCH", default=500)
OUTBOX_MAX_ATTEMPTS: int = env.int("OUTBOX_MAX_ATTEMPTS", default=8)
OUTBOX_BACKOFF_BASE: float = env.float("OUTBOX_BACKOFF_BASE", default=30.0)
OUTBOX_BACKOFF_CAP: float = env.float("OUTBOX_BACKOFF_CAP", default=3600.0)

# Celery: Redis when REDIS_URL is set, otherwise tasks run inline (demo, unit tests).
REDIS_URL: str = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
# Shared counters (the screening code throttle) must be shared by every web process: Redis when there is one.


def _next_database(url: str) -> str:
    """redis://host:6379/0 -> redis://host:6379/1: the cache in its own database, next to the broker's."""
    parts = urlsplit(url)
    return parts._replace(path=f"/{int(parts.path.strip('/') or 0) + 1}").geturl()


# Clearing the cache (flushdb) must never touch queued tasks: its own database unless CACHE_URL says otherwise.
CACHE_URL: str = env.str("CACHE_URL", default=_next_database(REDIS_URL) if REDIS_URL else "")
CACHES = {
    "default": {"BACKEND": "portal.cache.RedisCache", "LOCATION": CACHE_URL, "KEY_PREFIX": "portal"}
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL or env.bool("CELERY_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = "bulk"
CELERY_REQUIRED_QUEUES: list[str] = env.list("CELERY_REQUIRED_QUEUES", default=["alerts", "bulk"])
# Risk alerts never wait behind a campaign's scoring: they have a queue and worker of their own.
CELERY_TASK_ROUTES = {
    "portal.tasks.roster_import_apply": {"queue": "bulk"},
    "portal.tasks.delivery_send": {"queue": "alerts"},
    "portal.tasks.outbox_sweep": {"queue": "alerts"},
    "crisis.tasks.escalate": {"queue": "alerts"},
    "crisis.tasks.grants_expire": {"queue": "alerts"},
    "crisis.tasks.first_contact": {"queue": "alerts"},
    "screening.tasks.score_pending": {"queue": "bulk"},
    "screening.tasks.campaign_open": {"queue": "bulk"},
    "screening.tasks.remind_lagging": {"queue": "bulk"},
    "screening.tasks.rescore": {"queue": "bulk"},
    "screening.tasks.close_due": {"queue": "bulk"},
    "counseling.tasks.reminders": {"queue": "alerts"},
    "counseling.tasks.slots_generate": {"queue": "bulk"},
    "dashboards.tasks.refresh": {"queue": "bulk"},
    "screening.tasks.triage_urgent": {"queue": "alerts"},
    "screening.tasks.urgent_sweep": {"queue": "alerts"},
    "privacy.tasks.erase_due": {"queue": "bulk"},
}
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "portal.tasks.outbox_sweep", "schedule": env.float("OUTBOX_SWEEP_EVERY", default=60.0)},
    "crisis-escalate": {"task": "crisis.tasks.escalate", "schedule": 15 * 60.0},
    # The first-contact timer: 重大 is due within the hour, so this looks every minute.
    "crisis-first-contact": {"task": "crisis.tasks.first_contact", "schedule": 60.0},
    "crisis-grants-expire": {"task": "crisis.tasks.grants_expire", "schedule": 5 * 60.0},
    # A sweeper: scoring is enqueued on commit, and this catches an enqueue that was lost.
    "screening-score-sweep": {"task": "screening.tasks.score_pending", "schedule": 60.0},
    "screening-urgent-sweep": {
        "task": "screening.tasks.urgent_sweep",
        "schedule": env.float("URGENT_SWEEP_EVERY", default=30.0),
    },
    "screening-remind-lagging": {"task": "screening.tasks.remind_lagging", "schedule": 24 * 60 * 60.0},
    "screening-close-due": {"task": "screening.tasks.close_due", "schedule": 60 * 60.0},
    "counseling-reminders": {"task": "counseling.tasks.reminders", "schedule": 5 * 60.0},
    "counseling-slots": {"task": "counseling.tasks.slots_generate", "schedule": 24 * 60 * 60.0},
    "dashboards-refresh": {"task": "dashboards.tasks.refresh", "schedule": 10 * 60.0},
    # Retention (PIPL arts. 19, 47): at night, when trimming the audit log holds up the fewest writers.
    "privacy-erase-due": {"task": "privacy.tasks.erase_due", "schedule": crontab(hour=2, minute=30)},
}
# A critical answer's triage normally runs within a second or two; the sweep queues again what waits longer.
URGENT_SWEEP_GRACE_SECONDS: float = env.float("URGENT_SWEEP_GRACE_SECONDS", default=30.0)
# Redis redelivers an unacknowledged acks_late task after this long; the outbox sweeper acts sooner.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an unauthenticated call then gets 401 with a WWW-Authenticate header, not 403.
        "portal.security.IdleTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # JSON bodies bounded in size and nesting before they are decoded (portal.parsers); forms as DRF's default.
    "DEFAULT_PARSER_CLASSES": [
        "portal.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Default deny: every API view names the permission it relies on.
    "DEFAULT_PERMISSION_CLASSES": ["portal.api_permissions.DenyAll"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_VERSIONING_CLASS": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "School Psychological Services Portal API",
    "VERSION": "1",
    "SERVE_PERMISSIONS": ["portal.api_permissions.SignedIn"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the app's own static files, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per choice set, so clients get stable enum names.
    "ENUM_NAME_OVERRIDES": {
        "TierEnum": "crisis.models.Tier",
        "CaseStatusEnum": "crisis.models.Status",
        "CaseStatusChangeEnum": ["open", "monitoring", "referred"],
        "StudentStatusEnum": "portal.models.people.StudentStatus",
        "ImportStatusEnum": "portal.models.roster.ImportStatus",
    },
}

# django-guardian: per-object grants only; anonymous users never hold any.
ANONYMOUS_USER_NAME = None
GUARDIAN_MONKEY_PATCH_USER = False

# Sessions: a new id at sign-in (Django), gone on password change (session hash) and deactivation
# (ModelBackend), and ended after idle or absolute time (portal.security.SessionTimeoutMiddleware).
# Django's database sessions, read with a prepared statement on PostgreSQL (portal.session_store).
SESSION_ENGINE = "portal.session_store"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_IDLE_SECONDS: int = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_ABSOLUTE_SECONDS: int = env.int("SESSION_ABSOLUTE_SECONDS", default=10 * 3600)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if env.bool("HTTPS", default=PRODUCTION):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the container's own health check speaks plain HTTP
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Content Security Policy (django-csp 4): nothing inline, nothing from elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Login throttling (django-axes): lock the pair (username, address), so an attacker locks only
# themself out and the real user still gets in from their own address. The address is REMOTE_ADDR
# unless TRUSTED_PROXY_COUNT says how many proxies of ours append to X-Forwarded-For: a client's own
# X-Forwarded-For is never believed.
AXES_FAILURE_LIMIT: int = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = env.float("LOGIN_COOLOFF_HOURS", default=0.25)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
TRUSTED_PROXY_COUNT: int = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "portal.security.client_ip"
# A user name longer than any account's is cut before django-axes stores the attempt (its column holds 255).
AXES_USERNAME_CALLABLE = "portal.security.login_username"

# How long a guardian's "please contact the school" link stays valid (crisis notices).
CRISIS_ACK_HOURS: int = env.int("CRISIS_ACK_HOURS", default=72)
# Unacknowledged this long: try the guardian's next channel; as long again: alert the school leader.
CRISIS_ESCALATE_HOURS: int = env.int("CRISIS_ESCALATE_HOURS", default=24)
# A district responder's access to an assigned case ends by itself after this many days (at most).
CRISIS_GRANT_DAYS: int = env.int("CRISIS_GRANT_DAYS", default=7)
CRISIS_GRANT_MAX_DAYS: int = 30
# After hours, the person on call can read a case they were paged about for this long.
CRISIS_ON_CALL_HOURS: int = env.int("CRISIS_ON_CALL_HOURS", default=24)
# New tier 2-3 cases a counselor on duty can assess in a day; more than that and the district is told.
CRISIS_ASSESSMENTS_PER_COUNSELOR_DAY: int = env.int("CRISIS_ASSESSMENTS_PER_COUNSELOR_DAY", default=8)
# Shown to every student at the end of a screening form, with their school's counselors.
HELP_HOTLINE: str = env.str("HELP_HOTLINE", default="12356")
# The bearer token Prometheus presents to /metrics (operators signed in need none). Empty: no token is accepted.
METRICS_TOKEN: str = env.str("METRICS_TOKEN", default="")
# Wrong codes (screening, booking, mailbox replies) allowed per address per 15 minutes (portal.security): in
# all, and for codes beginning with the same group of four. A school's pupils share one address.
SCREENING_CODE_TRIES: int = env.int("SCREENING_CODE_TRIES", default=100)
CODE_TRIES_PER_CODE: int = env.int("CODE_TRIES_PER_CODE", default=10)

# How long an operator's enrolment code for a first authenticator stays valid.
ENROLMENT_CODE_HOURS: int = env.int("ENROLMENT_CODE_HOURS", default=72)
# API tokens expire; a new one needs the password (and the second factor) again.
API_TOKEN_HOURS: int = env.int("API_TOKEN_HOURS", default=12)
# ...and, like a session, end after this long unused (portal.security.IdleTokenAuthentication).
API_TOKEN_IDLE_SECONDS: int = env.int("API_TOKEN_IDLE_SECONDS", default=SESSION_IDLE_SECONDS)

# The demo's staff share one pre-enrolled authenticator secret (README). Refused in production.
DEMO_TOTP_KEY = "3132333435363738393031323334353637383930"  # RFC 6238's test secret, hex

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # django-axes logs every sign-in at INFO; lockouts (WARNING) are what operators need.
    "loggers": {"axes": {"level": "WARNING"}},
}
