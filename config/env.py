"""The only module that reads the process environment.

Every setting that can change between machines is read here, with a safe
development default, so ``settings.py`` never touches ``os.environ`` and has
no production-only branch.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("COUNTERSIGN_VAR_DIR", BASE_DIR / "var"))

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ImproperEnvironment(Exception):
    """A required environment variable is missing or malformed."""


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperEnvironment(f"{name} must be a boolean (1/0, true/false), not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperEnvironment(f"{name} must be an integer, not {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def _generated_secret(path: Path, nbytes: int = 50) -> str:
    """A development secret generated once and kept under var/ (never in the repo)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(nbytes))
    return path.read_text().strip()


DEBUG = env_bool("DEBUG", default=True)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperEnvironment("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = _generated_secret(VAR_DIR / "secret_key")

# Fernet keys (comma-separated, newest first) for credentials at rest.
# MultiFernet lets an operator rotate: add a new key in front, re-encrypt, drop the old one.
CREDENTIAL_KEYS = env_list("CREDENTIAL_KEYS", [])
if not CREDENTIAL_KEYS:
    if not DEBUG:
        raise ImproperEnvironment("CREDENTIAL_KEYS must be set when DEBUG is off")
    from cryptography.fernet import Fernet

    key_path = VAR_DIR / "credential_key"
    if not key_path.exists():
        key_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(Fernet.generate_key().decode())
    CREDENTIAL_KEYS = [key_path.read_text().strip()]

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'countersign.sqlite3'}")
# The default broker is a SQLite file beside the database (config/broker.py); Redis
# (redis://...) for several machines. filesystem:// still works but is not safe with
# several readers and writers.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", f"sqla+sqlite:///{VAR_DIR / 'broker.sqlite3'}")
CELERY_BROKER_DIR = Path(env_str("CELERY_BROKER_DIR", str(VAR_DIR / "broker")))
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
TIME_ZONE = env_str("TIME_ZONE", "UTC")
SECURE = env_bool("SECURE", default=not DEBUG)  # HTTPS-only cookies, HSTS, redirect
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Countersign <countersign@localhost>")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "staticfiles")))
OUTBOX_DIR = Path(env_str("OUTBOX_DIR", str(VAR_DIR / "outbox")))
DEMO_PASSWORD = env_str("DEMO_PASSWORD", "countersign-demo")
SITE_URL = env_str("SITE_URL", f"http://127.0.0.1:{env_str('PORT', '8000')}").rstrip("/")
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
# A shared cache (login throttles, reset limits) so limits hold across processes: the database
# by default, Redis when one of these is set (e.g. redis://localhost:6379/1).
CACHE_URL = env_str("CACHE_URL") or env_str("REDIS_URL")
# Sign-in lockout (per username and address) and API tokens.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_COOLOFF_MINUTES = env_int("LOGIN_COOLOFF_MINUTES", 15)
PASSWORD_RESET_LIMIT_PER_HOUR = env_int("PASSWORD_RESET_LIMIT_PER_HOUR", 5)
API_TOKEN_TTL_DAYS = env_int("API_TOKEN_TTL_DAYS", 30)
DISPATCH_INTERVAL_SECONDS = env_int("DISPATCH_INTERVAL_SECONDS", 15)
PUBLISH_LEASE_SECONDS = env_int("PUBLISH_LEASE_SECONDS", 300)
#: Messages a worker process takes ahead (Celery's prefetch multiplier). The posts of the
#: messages a killed worker held are still leased, and come back when the leases expire.
WORKER_PREFETCH_MULTIPLIER = env_int("WORKER_PREFETCH_MULTIPLIER", 1)
#: Calls a worker process's publish task makes at the same time (threads).
PUBLISH_SEND_CONCURRENCY = env_int("PUBLISH_SEND_CONCURRENCY", 8)
#: Claimed posts of one channel a dispatcher pass puts in one publish task (one broker
#: message): checked together, in-flight markers committed together, sent
#: PUBLISH_SEND_CONCURRENCY at a time, recorded together (0: by the pass, below;
#: 1 and concurrency 1: one task a post).
PUBLISH_SET_SIZE = env_int("PUBLISH_SET_SIZE", 0)
#: With PUBLISH_SET_SIZE 0, a channel's claimed posts of a pass are spread over the worker's
#: processes (WORKER_CONCURRENCY, as the Procfiles start it), in sets of at least
#: PUBLISH_SEND_CONCURRENCY and at most PUBLISH_SET_MAX posts.
WORKER_CONCURRENCY = env_int("WORKER_CONCURRENCY", 2)
PUBLISH_SET_MAX = env_int("PUBLISH_SET_MAX", 100)
PLATFORM_TIMEOUT_SECONDS = env_int("PLATFORM_TIMEOUT_SECONDS", 10)
# Fetching instance URLs on private/loopback addresses is refused unless this is on
# (development with local fake platforms, tests, single-machine installs).
ALLOW_PRIVATE_INSTANCE_URLS = env_bool("ALLOW_PRIVATE_INSTANCE_URLS", default=DEBUG)

# The OAuth platforms: this installation's app on each (client id and secret from the
# platform's developer console, see the README). A platform without a client id is shown
# as "not configured by your administrator". ``*_API_URL`` moves a platform's API and
# consent page to another origin (a local fake server in development and tests); leave it
# empty for the real platform. Instagram is published through the Facebook app.
OAUTH_APPS = {
    platform: {
        "client_id": env_str(f"{prefix}_CLIENT_ID"),
        "client_secret": env_str(f"{prefix}_CLIENT_SECRET"),
        "api_url": env_str(f"{prefix}_API_URL").rstrip("/"),
    }
    for platform, prefix in (
        ("x", "X"),
        ("linkedin", "LINKEDIN"),
        ("facebook", "FACEBOOK"),
        ("threads", "THREADS"),
    )
}
OAUTH_APPS["instagram"] = OAUTH_APPS["facebook"]
# Instagram and Threads fetch media from a public address: media is served at signed URLs
# on SITE_URL that stop working after this many seconds.
MEDIA_URL_MAX_AGE_SECONDS = env_int("MEDIA_URL_MAX_AGE_SECONDS", 24 * 3600)
# Chunked uploads: the largest file accepted, and where the parts wait until complete.
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 1024 * 1024 * 1024)
UPLOAD_DIR = Path(env_str("UPLOAD_DIR", str(VAR_DIR / "uploads")))
