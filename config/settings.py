"""Countersign settings: one module, every variable read from the environment by config.env."""

from __future__ import annotations

from datetime import timedelta

import dj_database_url
from csp.constants import NONE, SELF

from config import env

BASE_DIR = env.BASE_DIR
VAR_DIR = env.VAR_DIR

SECRET_KEY = env.SECRET_KEY
DEBUG = env.DEBUG
ALLOWED_HOSTS = env.ALLOWED_HOSTS
CSRF_TRUSTED_ORIGINS = env.CSRF_TRUSTED_ORIGINS

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "config.apps.SiteConfig",  # config/checks.py
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "knox",
    "axes",
    "csp",
    "django_filters",
    "guardian",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_celery_beat",
    "accounts",
    "policy",
    "planner",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.PermissionScopeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "config.views.ProductNotFoundMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into its page or JSON
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "accounts.context_processors.brand_context",
                "planner.context_processors.planner_nav",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(env.DATABASE_URL, conn_max_age=60, conn_health_checks=True)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout so the web process, worker and beat can share one file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out username + address
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
ANONYMOUS_USER_NAME = None  # guardian: no anonymous object permissions

# Password guessing: every login route (sign-in page, admin, API token) goes through
# authenticate(), where axes counts failures per username + address in the database and
# refuses that pair, right password or not, for the cool-off.
AXES_VERBOSE = False  # no start-up banner on every command
AXES_FAILURE_LIMIT = env.LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=env.LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
PASSWORD_RESET_LIMIT_PER_HOUR = env.PASSWORD_RESET_LIMIT_PER_HOUR

# One cache shared by every process (throttles and limits must hold across them).
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env.CACHE_URL}
        if env.CACHE_URL
        else {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "countersign_cache",
        }
    )
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.TIME_ZONE
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.STATIC_ROOT
MEDIA_URL = "media/"
MEDIA_ROOT = env.MEDIA_ROOT
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if DEBUG:
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.Pagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.ScopedRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"auth": "20/min"},
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
# The OpenAPI document (/api/schema/) and its interactive docs (/api/docs/), served from our
# own static files so the Content-Security-Policy holds there too.
SPECTACULAR_SETTINGS = {
    "TITLE": "Countersign API",
    "DESCRIPTION": (
        "Brand publishing with policy checks and countersigned approvals. Authenticate with "
        "`Authorization: Token <token>` (from `POST /api/auth/token/`) or a session. A refused "
        'action answers 4xx with `{"detail": "why"}`; never a 500.'
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": "/api/",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
# API tokens: stored as SHA-512 digests, sent as `Authorization: Token <token>`, expiring.
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env.API_TOKEN_TTL_DAYS),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}

# Security: the same settings in every environment; SECURE turns on the HTTPS-only parts.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.SECURE
CSRF_COOKIE_SECURE = env.SECURE
SECURE_SSL_REDIRECT = env.SECURE
SECURE_HSTS_SECONDS = 31_536_000 if env.SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.SECURE
SECURE_HSTS_PRELOAD = env.SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy: no inline script anywhere (JS lives in static/js); style
# attributes are allowed (brand colours are per-brand values in templates) but not
# inline <style> elements. Images: channel avatars come from each platform's own servers
# (every Mastodon instance has its own), so any https: image; http: only where local
# platform fakes are allowed.
_AVATAR_SOURCES = ["https:", "http:"] if env.ALLOW_PRIVATE_INSTANCE_URLS else ["https:"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": [SELF, "data:", *_AVATAR_SOURCES],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

EMAIL_BACKEND = env.EMAIL_BACKEND
DEFAULT_FROM_EMAIL = env.DEFAULT_FROM_EMAIL
EMAIL_HOST = env.EMAIL_HOST
EMAIL_PORT = env.EMAIL_PORT
EMAIL_HOST_USER = env.EMAIL_HOST_USER
EMAIL_HOST_PASSWORD = env.EMAIL_HOST_PASSWORD
EMAIL_USE_TLS = env.EMAIL_USE_TLS

# Celery: the database row is the truth, the broker only a doorbell. The default broker is a
# SQLite file under var/ through kombu's SQLAlchemy transport (config/broker.py).
CELERY_BROKER_URL = env.CELERY_BROKER_URL
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(env.CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(env.CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(env.CELERY_BROKER_DIR / "processed"),
        "control_folder": str(env.CELERY_BROKER_DIR / "control"),
        "store_processed": False,
        # The transport polls its folder; its default (1 s) caps a worker at `concurrency`
        # messages a second.
        "polling_interval": 0.05,
    }
    if env.CELERY_BROKER_URL.startswith("filesystem")
    else {}
)
CELERY_BROKER_DIR = env.CELERY_BROKER_DIR
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = env.WORKER_PREFETCH_MULTIPLIER
CELERY_TASK_ALWAYS_EAGER = env.CELERY_TASK_ALWAYS_EAGER
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

COUNTERSIGN = {
    "CREDENTIAL_KEYS": env.CREDENTIAL_KEYS,
    "DEMO_PASSWORD": env.DEMO_PASSWORD,
    "SITE_URL": env.SITE_URL,  # absolute links in emails
    "OUTBOX_DIR": env.OUTBOX_DIR,
    "DISPATCH_INTERVAL_SECONDS": env.DISPATCH_INTERVAL_SECONDS,
    "PUBLISH_LEASE_SECONDS": env.PUBLISH_LEASE_SECONDS,
    "PUBLISH_SEND_CONCURRENCY": env.PUBLISH_SEND_CONCURRENCY,
    "PUBLISH_SET_SIZE": env.PUBLISH_SET_SIZE,
    "PUBLISH_SET_MAX": env.PUBLISH_SET_MAX,
    "WORKER_CONCURRENCY": env.WORKER_CONCURRENCY,
    "PLATFORM_TIMEOUT_SECONDS": env.PLATFORM_TIMEOUT_SECONDS,
    "ALLOW_PRIVATE_INSTANCE_URLS": env.ALLOW_PRIVATE_INSTANCE_URLS,
    "OAUTH_APPS": env.OAUTH_APPS,
    "MEDIA_URL_MAX_AGE_SECONDS": env.MEDIA_URL_MAX_AGE_SECONDS,
    "UPLOAD_MAX_BYTES": env.UPLOAD_MAX_BYTES,
    "UPLOAD_DIR": env.UPLOAD_DIR,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"refusals": {"()": "config.errors.RefusalWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Django's own handlers for "django" would print each record a second time (with
        # DEBUG on): here it goes to the root's console once.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.request": {"filters": ["refusals"]},
    },
}
