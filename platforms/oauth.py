"""OAuth 2.0 authorization-code flow, Django-free: consent URL (state + PKCE S256), code
exchange and refresh, shared by the X, LinkedIn, Facebook/Instagram and Threads clients.

The web side keeps ``AuthorizationRequest.state`` and ``code_verifier`` in the user's session,
sends the browser to ``AuthorizationRequest.url``, checks the ``state`` that comes back and
calls ``exchange_code``. Tokens come back as an ``OAuthToken`` (with its expiry) whose
``as_credential()`` is what a channel stores (encrypted) and a client is built from.

Token requests follow RFC 6749 §4.1.3/§6 (form-encoded POST, ``client_secret_basic`` or the
client id/secret in the body, as each platform documents) and RFC 7636 for PKCE. Error
answers (``{"error": "invalid_grant", "error_description": ...}`` or the Graph API's
``{"error": {"message", "code"}}``) become typed errors: a refused refresh is
``ReconnectRequired``; 429/5xx are ``PlatformUnavailable``. No token ever appears in a
message or an exception.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests

from .addresses import validate_instance_url
from .base import (
    PlatformClient,
    _retry_after,
    _timeout_pair,
    new_session,
    parse_datetime,
    utcnow,
)
from .errors import AuthenticationFailed, PlatformError, PlatformUnavailable, ReconnectRequired

#: A token this close to its expiry is refreshed before it is used.
REFRESH_MARGIN = timedelta(minutes=5)


def pkce_pair() -> tuple[str, str]:
    """``(code_verifier, code_challenge)`` for PKCE with S256 (RFC 7636 §4.1-4.2)."""
    verifier = secrets.token_urlsafe(64)[:96]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest())
    return verifier, challenge.rstrip(b"=").decode("ascii")


def new_state() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class OAuthApp:
    """This installation's app on the platform (from the environment)."""

    client_id: str
    client_secret: str = field(default="", repr=False)
    redirect_uri: str = ""

    @property
    def configured(self) -> bool:
        return bool(self.client_id)


@dataclass(frozen=True)
class OAuthEndpoints:
    """Where a platform's consent page and token endpoint are, and how it wants to be asked."""

    authorize_url: str
    token_url: str
    scopes: tuple[str, ...] = ()
    scope_separator: str = " "
    pkce: bool = True
    #: How the app authenticates at the token endpoint: "basic" (HTTP Basic with id and
    #: secret), "body" (client_id and client_secret form fields), "public" (client_id only).
    client_auth: str = "body"

    def on(self, base_url: str) -> OAuthEndpoints:
        """The same endpoints on another origin (a local fake server), paths kept."""
        base = urlsplit(base_url)

        def move(url: str) -> str:
            parts = urlsplit(url)
            return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))

        return OAuthEndpoints(
            authorize_url=move(self.authorize_url),
            token_url=move(self.token_url),
            scopes=self.scopes,
            scope_separator=self.scope_separator,
            pkce=self.pkce,
            client_auth=self.client_auth,
        )


@dataclass(frozen=True)
class OAuthToken:
    """An access token and what came with it. ``expires_at`` is aware UTC or None."""

    access_token: str = field(repr=False)
    refresh_token: str = field(default="", repr=False)
    expires_at: datetime | None = None
    scope: tuple[str, ...] = ()
    token_type: str = "bearer"  # noqa: S105 - the token kind
    extra: dict = field(default_factory=dict, hash=False, repr=False)

    def expires_within(self, margin: timedelta = REFRESH_MARGIN, *, now: datetime | None = None):
        if self.expires_at is None:
            return False
        return self.expires_at - (now or utcnow()) <= margin

    @property
    def can_refresh(self) -> bool:
        return bool(self.refresh_token)

    def as_credential(self) -> dict[str, str]:
        """The fields a channel stores; ``from_credential`` reads them back."""
        data = {"access_token": self.access_token}
        if self.refresh_token:
            data["refresh_token"] = self.refresh_token
        if self.expires_at is not None:
            data["expires_at"] = self.expires_at.isoformat().replace("+00:00", "Z")
        if self.scope:
            data["scope"] = " ".join(self.scope)
        return data

    @classmethod
    def from_credential(cls, credential: Mapping[str, Any]) -> OAuthToken:
        scope = str(credential.get("scope") or "")
        return cls(
            access_token=str(credential.get("access_token") or ""),
            refresh_token=str(credential.get("refresh_token") or ""),
            expires_at=parse_datetime(credential.get("expires_at")),
            scope=tuple(s for s in re.split(r"[\s,]+", scope) if s),
        )

    @classmethod
    def from_response(
        cls, body: Mapping[str, Any], *, now: datetime | None = None, previous_refresh: str = ""
    ) -> OAuthToken:
        """A token endpoint's JSON answer (RFC 6749 §5.1). A refresh answer without a new
        refresh token keeps the previous one."""
        access = body.get("access_token")
        if not isinstance(access, str) or not access:
            raise ValueError("no access_token in the answer")
        expires_in = body.get("expires_in")
        expires_at = None
        if isinstance(expires_in, int | float) and not isinstance(expires_in, bool):
            if expires_in > 0:
                expires_at = (now or utcnow()) + timedelta(seconds=float(expires_in))
        elif isinstance(expires_in, str) and expires_in.isdigit():
            expires_at = (now or utcnow()) + timedelta(seconds=int(expires_in))
        scope = body.get("scope")
        scopes = tuple(s for s in re.split(r"[\s,]+", scope) if s) if isinstance(scope, str) else ()
        refresh = body.get("refresh_token")
        known = {"access_token", "refresh_token", "expires_in", "scope", "token_type"}
        return cls(
            access_token=access,
            refresh_token=refresh if isinstance(refresh, str) and refresh else previous_refresh,
            expires_at=expires_at,
            scope=scopes,
            token_type=str(body.get("token_type") or "bearer"),
            extra={k: v for k, v in body.items() if k not in known},
        )


@dataclass(frozen=True)
class AuthorizationRequest:
    """Where to send the browser, and what to keep (server side) until it comes back."""

    url: str
    state: str
    code_verifier: str = field(default="", repr=False)


class OAuthClient:
    """Talks to one platform's OAuth endpoints for one app."""

    def __init__(
        self,
        endpoints: OAuthEndpoints,
        app: OAuthApp,
        *,
        platform: str = "",
        label: str = "",
        timeout: float | tuple[float, float] = 10.0,
        session: requests.Session | None = None,
        allow_private_hosts: bool = True,
    ) -> None:
        if not app.configured:
            raise AuthenticationFailed(
                f"No {label or platform} app is configured on this installation "
                "(client id missing).",
                platform=platform,
            )
        self.endpoints = OAuthEndpoints(
            authorize_url=validate_instance_url(
                endpoints.authorize_url, allow_private_hosts=allow_private_hosts
            ),
            token_url=validate_instance_url(
                endpoints.token_url, allow_private_hosts=allow_private_hosts
            ),
            scopes=endpoints.scopes,
            scope_separator=endpoints.scope_separator,
            pkce=endpoints.pkce,
            client_auth=endpoints.client_auth,
        )
        self.app = app
        self.platform = platform
        self.label = label or platform
        self.timeout = _timeout_pair(timeout)
        self.session = session or new_session(allow_private_hosts=allow_private_hosts)

    # -- the consent page -------------------------------------------------------------

    def authorization_request(
        self, *, scopes: tuple[str, ...] | None = None, extra: Mapping[str, str] | None = None
    ) -> AuthorizationRequest:
        state = new_state()
        params = {
            "response_type": "code",
            "client_id": self.app.client_id,
            "redirect_uri": self.app.redirect_uri,
            "scope": self.endpoints.scope_separator.join(scopes or self.endpoints.scopes),
            "state": state,
        }
        verifier = ""
        if self.endpoints.pkce:
            verifier, challenge = pkce_pair()
            params["code_challenge"] = challenge
            params["code_challenge_method"] = "S256"
        params.update(extra or {})
        separator = "&" if "?" in self.endpoints.authorize_url else "?"
        return AuthorizationRequest(
            url=self.endpoints.authorize_url + separator + urlencode(params),
            state=state,
            code_verifier=verifier,
        )

    # -- the token endpoint -----------------------------------------------------------

    def exchange_code(
        self, *, code: str, code_verifier: str = "", state: str = "", expected_state: str = ""
    ) -> OAuthToken:
        """The token for the code the consent page sent back. ``state`` (from the callback)
        must equal ``expected_state`` (kept in the session) when one is given."""
        if expected_state and not secrets.compare_digest(str(state), str(expected_state)):
            raise AuthenticationFailed(
                f"The answer from {self.label} does not belong to this sign-in (state "
                "mismatch); start connecting again.",
                platform=self.platform,
            )
        if not code:
            raise AuthenticationFailed(
                f"{self.label} sent no authorization code back.", platform=self.platform
            )
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.app.redirect_uri,
        }
        if self.endpoints.pkce:
            data["code_verifier"] = code_verifier
        return self._token_request(data, refreshing=False)

    def refresh(self, token: OAuthToken | str) -> OAuthToken:
        refresh_token = token.refresh_token if isinstance(token, OAuthToken) else token
        if not refresh_token:
            raise ReconnectRequired(
                f"The {self.label} access token expired and there is no refresh token; "
                "reconnect the channel.",
                platform=self.platform,
            )
        data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        return self._token_request(data, refreshing=True, previous_refresh=refresh_token)

    def _token_request(
        self, data: dict[str, str], *, refreshing: bool, previous_refresh: str = ""
    ) -> OAuthToken:
        headers = {"Accept": "application/json"}
        form = dict(data)
        if self.endpoints.client_auth == "basic" and self.app.client_secret:
            pair = f"{self.app.client_id}:{self.app.client_secret}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        else:
            form["client_id"] = self.app.client_id
            if self.endpoints.client_auth == "body" and self.app.client_secret:
                form["client_secret"] = self.app.client_secret
        secrets_in_play = [v for v in (*data.values(), self.app.client_secret) if v]
        try:
            response = self.session.post(
                self.endpoints.token_url,
                data=form,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise PlatformUnavailable(
                f"{self.label}'s token endpoint could not be reached; try again later.",
                platform=self.platform,
            ) from exc
        body = _json(response)
        if 200 <= response.status_code < 300 and body is not None:
            try:
                return OAuthToken.from_response(body, previous_refresh=previous_refresh)
            except ValueError:
                pass
        detail = _redact(_oauth_error_text(body), [*secrets_in_play, *_tokens_in(body)])
        suffix = f": {detail}" if detail else ""
        kwargs = {"platform": self.platform, "http_status": response.status_code, "detail": detail}
        if response.status_code == 429 or response.status_code >= 500:
            raise PlatformUnavailable(
                f"{self.label}'s token endpoint answered {response.status_code}{suffix}; "
                "try again later.",
                retry_after=_retry_after(response),
                **kwargs,
            )
        if 200 <= response.status_code < 300:
            raise PlatformError(
                f"{self.label}'s token endpoint answered without an access token.", **kwargs
            )
        if refreshing:
            raise ReconnectRequired(
                f"{self.label} refused to refresh the access token ({response.status_code})"
                f"{suffix}. Reconnect the channel.",
                **kwargs,
            )
        raise AuthenticationFailed(
            f"{self.label} refused the sign-in ({response.status_code}){suffix}.", **kwargs
        )


def _json(response: requests.Response) -> dict | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _tokens_in(body: dict | None) -> list[str]:
    if not body:
        return []
    return [str(body.get(k)) for k in ("access_token", "refresh_token") if body.get(k)]


def _oauth_error_text(body: dict | None) -> str:
    if not body:
        return ""
    error = body.get("error")
    if isinstance(error, dict):  # the Graph API's shape
        return str(error.get("message") or error.get("type") or "")
    description = body.get("error_description") or body.get("message") or ""
    if isinstance(error, str) and error:
        return f"{error}: {description}" if description else error
    return str(description)


def _redact(text: str, secrets_list: list[str]) -> str:
    for secret in secrets_list:
        if isinstance(secret, str) and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    text = re.sub(r"[\x00-\x1f\x7f]+", " ", text)
    return text.strip()[:300]


class OAuthTokenClient(PlatformClient):
    """Base of the clients whose credential is an OAuth access token (X, LinkedIn,
    Facebook, Instagram, Threads).

    The credential holds what ``OAuthToken.as_credential()`` gives (``access_token`` and,
    where the platform issues them, ``refresh_token``, ``expires_at``, ``scope``) plus the
    platform's own fields. A token about to expire is refreshed before it is used, and a
    401 is answered by one refresh and one more try (the platform refused the request
    before doing anything, so this is safe for writes). The new token goes to
    ``on_token_refresh`` so the caller can store it; a refresh that fails is
    ``ReconnectRequired``.
    """

    credential_fields: ClassVar[list[str]] = ["access_token"]
    secret_credential_fields: ClassVar[list[str]] = ["access_token"]
    needs_instance_url = False
    #: The platform's consent page and token endpoint (``OAuthEndpoints.on()`` moves them).
    oauth: ClassVar[OAuthEndpoints | None] = None

    def __init__(
        self,
        *,
        oauth_app: OAuthApp | None = None,
        oauth_endpoints: OAuthEndpoints | None = None,
        on_token_refresh: Callable[[OAuthToken], None] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self._token = OAuthToken.from_credential(self._credential)
        self.oauth_app = oauth_app
        self.oauth_endpoints = oauth_endpoints or (
            self.oauth.on(self.instance_url) if self.oauth and self._local_api() else self.oauth
        )
        self.on_token_refresh = on_token_refresh

    def _local_api(self) -> bool:
        return self.instance_url.rstrip("/") != self.default_instance_url.rstrip("/")

    @classmethod
    def normalise_instance_url(cls, url: str, *, allow_private_hosts: bool = True) -> str:
        return validate_instance_url(url, allow_path=False, allow_private_hosts=allow_private_hosts)

    @property
    def token(self) -> OAuthToken:
        return self._token

    def _secrets(self) -> list[str]:
        return [*super()._secrets(), self._token.access_token, self._token.refresh_token]

    def oauth_client(self) -> OAuthClient:
        if self.oauth_endpoints is None or self.oauth_app is None:
            raise ReconnectRequired(
                f"The {self.label} access token expired and this installation has no "
                f"{self.label} app configured to refresh it; reconnect the channel.",
                platform=self.platform,
            )
        return OAuthClient(
            self.oauth_endpoints,
            self.oauth_app,
            platform=self.platform,
            label=self.label,
            timeout=self.timeout,
            session=self.session,
            allow_private_hosts=self.allow_private_hosts,
        )

    def refresh_access_token(self) -> OAuthToken:
        """Get a new access token now; stores it on the client and reports it."""
        token = self._refreshed_token()
        self._token = token
        self._credential.update(token.as_credential())
        if self.on_token_refresh is not None:
            self.on_token_refresh(token)
        return token

    def _refreshed_token(self) -> OAuthToken:
        return self.oauth_client().refresh(self._token)

    def _fresh_token(self) -> str:
        if self._token.expires_within():
            if self._token.can_refresh or self._refreshes_without_refresh_token():
                self.refresh_access_token()
            elif self._token.expires_within(timedelta(0)):
                raise ReconnectRequired(
                    f"The {self.label} access token has expired; reconnect the channel.",
                    platform=self.platform,
                )
        return self._token.access_token

    def _refreshes_without_refresh_token(self) -> bool:
        return False

    def _is_unauthorized(self, response) -> bool:
        """The platform refused the token itself (expired or revoked)."""
        return response.status_code == 401

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._fresh_token()}"}

    def _authorized(self, method: str, url: str, *, write: bool = False, headers=None, **kwargs):
        """A request with the access token; on 401, one refresh and one more try."""
        response = self._request(
            method, url, write=write, headers={**self._auth_headers(), **(headers or {})}, **kwargs
        )
        if (
            self._is_unauthorized(response)
            and (self._token.can_refresh or self._refreshes_without_refresh_token())
            and self.oauth_app is not None
        ):
            self.refresh_access_token()
            response = self._request(
                method,
                url,
                write=write,
                headers={**self._auth_headers(), **(headers or {})},
                **kwargs,
            )
        return response
