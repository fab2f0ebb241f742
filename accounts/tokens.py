"""API tokens (django-rest-knox): stored as digests, expiring, listed and revoked by their owner.

A token is shown once, when it is made. It is known afterwards by ``token_id``: the start of
its digest, which says nothing about the token itself. Every token of a user is revoked when
their password is set (web change, reset, admin, ``set_password`` anywhere) or when they are
deactivated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from knox.models import AuthToken

from accounts.models import User

ID_LENGTH = 16


@dataclass(frozen=True)
class TokenInfo:
    id: str
    created: datetime
    expiry: datetime | None
    current: bool


def token_id(token: AuthToken) -> str:
    return token.digest[:ID_LENGTH]


def token_create(*, user: User) -> str:
    """A new token for ``user``; the plaintext is returned here and stored nowhere."""
    _instance, plaintext = AuthToken.objects.create(user=user)
    return plaintext


def token_list(*, user: User, current: AuthToken | None = None) -> list[TokenInfo]:
    """The user's live tokens, newest first (expired ones are deleted on the way)."""
    now = timezone.now()
    AuthToken.objects.filter(user=user, expiry__lt=now).delete()
    current_digest = current.digest if isinstance(current, AuthToken) else None
    return [
        TokenInfo(
            id=token_id(t), created=t.created, expiry=t.expiry, current=t.digest == current_digest
        )
        for t in AuthToken.objects.filter(user=user).order_by("-created")
    ]


def token_revoke(*, user: User, id: str) -> bool:
    """Revoke one of the user's own tokens; False when there is no such token of theirs."""
    if len(id) != ID_LENGTH or not all(c in "0123456789abcdef" for c in id):
        return False
    deleted, _ = AuthToken.objects.filter(user=user, digest__startswith=id).delete()
    return deleted > 0


def tokens_revoke_all(*, user: User) -> int:
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted


@receiver(post_save, sender=User, dispatch_uid="accounts.tokens.revoke_on_password_or_deactivate")
def _revoke_on_password_or_deactivate(sender, instance: User, **kwargs) -> None:
    # AbstractBaseUser.set_password() keeps the raw password in ``_password`` until the save
    # that stores it has run (it is cleared after post_save); a hash upgrade on sign-in clears
    # it first, so only a real password change is seen here.
    if getattr(instance, "_password", None) is not None or not instance.is_active:
        AuthToken.objects.filter(user=instance).delete()
