"""API token authentication: django-rest-knox's, reading one row per request.

knox's own class also reads every other token of the person on each request, to delete the
expired ones. An expired token is refused here all the same (its own expiry is checked); the
others are deleted by the daily ``accounts.tasks.purge_expired_tokens`` and whenever their
owner lists their tokens.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.signals import token_expired


class TokenAuthentication(KnoxTokenAuthentication):
    def _cleanup_token(self, auth_token) -> bool:
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            username = auth_token.user.get_username()
            auth_token.delete()
            token_expired.send(sender=self.__class__, username=username, source="auth_token")
            return True
        return False


class TokenScheme(KnoxTokenScheme):
    """The OpenAPI description of the scheme: knox's, for this class."""

    target_class = "accounts.auth.TokenAuthentication"
