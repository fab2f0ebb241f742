"""Deployment checks of the site as a whole (``manage.py check --deploy``; ``make serve``
runs it).

With ``DEBUG=0`` static files are served from ``STATIC_ROOT`` by whitenoise, under the hashed
names listed in ``staticfiles.json``; without ``collectstatic`` every page that links a
stylesheet would answer 500. That is an error here, and ``config.wsgi`` refuses to start on
it (gunicorn then says why instead of serving errors). It is a deploy check, not one that
every management command runs: a worker or cron machine needs no static files.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

STATIC_NOT_COLLECTED = "config.E001"


def static_not_collected() -> str | None:
    """Why static files cannot be served, or None when they can (or DEBUG serves them)."""
    if settings.DEBUG or not isinstance(staticfiles_storage, ManifestFilesMixin):
        return None
    storage = staticfiles_storage
    if storage.manifest_storage.exists(storage.manifest_name):
        return None
    return (
        f"Static files have not been collected: there is no {storage.manifest_name} in "
        f"STATIC_ROOT ({settings.STATIC_ROOT}), so with DEBUG=0 every page would answer 500. "
        "Run `python manage.py collectstatic` (make serve does)."
    )


# Not tagged "staticfiles": collectstatic runs those checks, and must run without a manifest.
@checks.register("countersign", deploy=True)
def check_static_collected(app_configs=None, **kwargs):
    problem = static_not_collected()
    if problem is None:
        return []
    return [checks.Error(problem, id=STATIC_NOT_COLLECTED)]


def require_collected_static() -> None:
    """Refuse to serve (wsgi start-up) when the pages could not load their static files."""
    problem = static_not_collected()
    if problem is not None:
        raise ImproperlyConfigured(problem)
