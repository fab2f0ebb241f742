"""The Celery application. Tasks live in each app's tasks.py and are found automatically."""

import os

from celery import Celery
from celery.signals import worker_init

from config import broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# sqla+ URLs (the default broker, a SQLite file under var/) use kombu's SQLAlchemy transport
# with the changes in config/broker.py.
broker.install()

app = Celery("countersign")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _make_broker_dirs(**_kwargs) -> None:
    """The filesystem transport needs its folders before the first message."""
    from django.conf import settings

    if settings.CELERY_BROKER_URL.startswith("filesystem"):
        for key in ("data_folder_in", "processed_folder", "control_folder"):
            folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get(key)
            if folder:
                os.makedirs(folder, exist_ok=True)


@worker_init.connect
def _warm_up(**_kwargs) -> None:
    """Load, once in the worker's main process and before it forks its pool, what every
    task would otherwise load on its first run in each pool process: the URLconf (a sent
    post's link, a notification's) and the platform clients. A process then sends its
    first post as fast as its hundredth."""
    from django.urls import reverse

    import platforms.registry  # noqa: F401 - the clients, imported for their side effect

    reverse("healthz")
