"""Telling people: an in-app notification each, an email after commit; marking them read."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from accounts.models import Brand, Notification, User

# --- notifications ----------------------------------------------------------------------------


def notify(
    *,
    users: Iterable[User],
    kind: str,
    subject: str,
    body: str = "",
    url: str = "",
    brand: Brand | None = None,
    email: bool = True,
) -> list:
    """Tell people something: an in-app notification each, and an email after commit.

    ``url`` is a path inside Countersign (e.g. a post's page). Inactive users are skipped.
    """

    recipients = {u.pk: u for u in users if u is not None and u.is_active}.values()
    rows = Notification.objects.bulk_create(
        [
            Notification(
                user=u, brand=brand, kind=kind, subject=subject[:200], body=body, url=url[:500]
            )
            for u in recipients
        ]
    )
    addresses = [u.email for u in recipients if u.email]
    if email and addresses:
        prefix = f"[{brand.name}] " if brand else ""
        link = f"{settings.COUNTERSIGN['SITE_URL']}{url}" if url.startswith("/") else url
        text = f"{body}\n\n{link}" if link else body

        def send() -> None:
            for address in addresses:
                send_mail(
                    f"{prefix}{subject}"[:200],
                    text,
                    settings.DEFAULT_FROM_EMAIL,
                    [address],
                    fail_silently=True,
                )

        transaction.on_commit(send)
    return rows


def notification_mark_read(*, user: User, pk: int | None = None) -> int:
    """Mark one notification (or all of them) read; returns how many changed."""

    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if pk is not None:
        qs = qs.filter(pk=pk)
    return qs.update(read_at=timezone.now())


def notification_resolve(
    *,
    url: str = "",
    kinds: Iterable[str],
    brand: Brand | None = None,
    user: User | None = None,
    urls: Iterable[str] = (),
) -> int:
    """Everyone's (or ``user``'s) unread notifications of ``kinds`` about the thing at ``url``
    are moot (the thing moved on, or the person did what was asked): mark them read. Returns
    how many changed."""

    kinds = list(kinds)
    urls = [u for u in [url, *urls] if u]
    if not urls or not kinds:
        return 0
    qs = Notification.objects.filter(url__in=urls, kind__in=kinds, read_at__isnull=True)
    if brand is not None:
        qs = qs.filter(brand=brand)
    if user is not None:
        qs = qs.filter(user=user)
    return qs.update(read_at=timezone.now())
