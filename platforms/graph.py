"""What the Meta clients (Facebook Pages, Instagram, Threads) share: Graph API requests with
the token in the ``Authorization`` header, and Graph errors mapped to typed errors.

Graph errors (developers.facebook.com/docs/graph-api/guides/error-handling) are
``{"error": {"message", "type", "code", "error_subcode", "error_user_msg", "fbtrace_id"}}``,
often with HTTP 400 whatever the cause, so the ``code`` decides:

- 190 (and 102, 463, 467 subcodes): the token is invalid or expired -> AuthenticationFailed
- 10, 200-299: permission missing -> AuthenticationFailed
- 4, 17, 32, 613, 80001-80014, and Instagram's 9/2207042 (publishing limit): throttled ->
  PlatformUnavailable, waiting ``estimated_time_to_regain_access`` (minutes) from
  ``X-Business-Use-Case-Usage`` / ``X-App-Usage`` when given
- 1, 2: temporary -> PlatformUnavailable
- 368 (blocked for policy), 506 (duplicate post), 100 on a write -> PublishRejected
"""

from __future__ import annotations

import json as jsonlib
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

from .base import CLOCK_SKEW, MediaItem, PublishResult, UploadedMedia, parse_datetime
from .errors import (
    AuthenticationFailed,
    OutcomeUnknown,
    PlatformError,
    PlatformUnavailable,
    PublishRejected,
)
from .oauth import OAuthTokenClient

THROTTLE_CODES = {4, 17, 32, 613, *range(80001, 80015)}
TRANSIENT_CODES = {1, 2}
AUTH_CODES = {102, 190, 10, *range(200, 300)}
INSTAGRAM_LIMIT_SUBCODES = {2207042}


def graph_error(body: dict | None) -> dict:
    error = (body or {}).get("error")
    return error if isinstance(error, dict) else {}


def graph_usage(headers) -> tuple[float | None, float | None]:
    """What the Graph usage headers say: the highest share of the budget used (percent,
    the largest of ``call_count``, ``total_time`` and ``total_cputime``) and the longest
    ``estimated_time_to_regain_access`` (in seconds; given in minutes). ``X-App-Usage`` and
    ``X-Page-Usage`` are one object, ``X-Business-Use-Case-Usage`` an object of lists (one
    per business); (None, None) when none of them is there or readable."""
    used = regain = None
    for name in ("X-Business-Use-Case-Usage", "X-Page-Usage", "X-App-Usage"):
        raw = headers.get(name)
        if not raw or len(raw) > 10_000:
            continue
        try:
            data = jsonlib.loads(raw)
        except ValueError:
            continue
        if not isinstance(data, dict):
            continue
        entries = []
        for value in data.values():
            if isinstance(value, list):
                entries += value
        if not entries:
            entries = [data]
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            for key in ("call_count", "total_time", "total_cputime"):
                value = entry.get(key)
                if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
                    used = max(used or 0.0, min(float(value), 1000.0))
            minutes = entry.get("estimated_time_to_regain_access")
            if isinstance(minutes, int | float) and not isinstance(minutes, bool) and minutes > 0:
                regain = max(regain or 0.0, min(float(minutes), 24 * 60.0) * 60)
    return used, regain


def _regain_seconds(headers) -> float | None:
    """The longest ``estimated_time_to_regain_access`` in the usage headers, in seconds."""
    return graph_usage(headers)[1]


class GraphClient(OAuthTokenClient):
    """A client of a Graph-style API: ``/{version}/...`` paths, Graph errors."""

    graph_version: ClassVar[str] = "v21.0"
    #: Hosts that may receive the access token besides the API host (upload hosts).
    token_hosts: ClassVar[tuple[str, ...]] = ()

    def _graph_url(self, path: str) -> str:
        return self._url(f"/{self.graph_version}/{path.lstrip('/')}")

    def _graph(
        self,
        method: str,
        path: str,
        *,
        write: bool = False,
        content: bool = False,
        action: str,
        **kwargs,
    ) -> dict:
        """A Graph call; ``content=True`` marks a request that carries the post's content
        (a container, an upload): the platform refusing it is ``PublishRejected``."""
        response = self._authorized(method, self._graph_url(path), write=write, **kwargs)
        self._check(response, write=write or content, action=action)
        body = self._json(response)
        if body is None:
            raise PlatformError(
                f"{self.label} answered {action} without JSON.", platform=self.platform
            )
        return body

    def _is_unauthorized(self, response) -> bool:
        if response.status_code == 401:
            return True
        return response.status_code == 400 and graph_error(self._json(response)).get("code") == 190

    def _error_text(self, response) -> str:
        error = graph_error(self._json(response))
        if error:
            text = error.get("error_user_msg") or error.get("message") or error.get("type") or ""
            return self._redact(text)
        return super()._error_text(response)

    def _check(self, response, *, write: bool, action: str) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        error = graph_error(self._json(response))
        code = error.get("code")
        if not isinstance(code, int) or isinstance(code, bool):
            return super()._check(response, write=write, action=action)
        subcode = error.get("error_subcode")
        detail = self._error_text(response)
        suffix = f": {detail}" if detail else ""
        kwargs: dict[str, Any] = {
            "platform": self.platform,
            "http_status": status,
            "detail": detail,
        }
        if code in THROTTLE_CODES or subcode in INSTAGRAM_LIMIT_SUBCODES:
            raise PlatformUnavailable(
                f"{self.label} is rate limiting requests (code {code}){suffix}; try again later.",
                retry_after=_regain_seconds(response.headers),
                **kwargs,
            )
        if code in TRANSIENT_CODES or status >= 500:
            return super()._check(response, write=write, action=action)
        if code in AUTH_CODES or status == 401:
            raise AuthenticationFailed(
                f"{self.label} refused the credential (code {code}){suffix}. "
                "Reconnect the channel.",
                **kwargs,
            )
        if write:
            raise PublishRejected(f"{self.label} refused the post (code {code}){suffix}", **kwargs)
        raise PlatformError(f"{self.label} answered {action} with an error{suffix}", **kwargs)

    def _may_send_token_to(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        api_host = (urlsplit(self.instance_url).hostname or "").lower()
        return host == api_host or any(
            host == h or host.endswith("." + h) for h in self.token_hosts
        )


class ContainerPublishing:
    """The two-step publishing Instagram and Threads share: a container per post (or per
    media item, then one carousel container), polled until ``FINISHED``, then published
    with ``creation_id``; a repeat of a send whose container is already ``PUBLISHED`` is
    answered by ``lookup()``, never posted again.

    A subclass (a ``GraphClient``) names its paths and fields."""

    #: The container's status fields: (state, message).
    container_status_fields: ClassVar[tuple[str, str]] = ("status", "error_message")
    #: The field that carries the post's text in a container and in the post listing.
    caption_field: ClassVar[str] = "text"

    def _containers_path(self) -> str:
        """Where containers are created and the account's posts are listed."""
        raise NotImplementedError

    def _publish_path(self) -> str:
        raise NotImplementedError

    def _listing_path(self, idempotency_key: str) -> str:
        """Where ``lookup`` looks for the send of ``idempotency_key``."""
        return self._containers_path()

    def _publish_container(
        self, container: UploadedMedia, *, text: str, idempotency_key: str
    ) -> PublishResult:
        response = self._authorized(
            "POST",
            self._graph_url(self._publish_path()),
            write=True,
            data={"creation_id": container.remote_id},
        )
        # A container already published (a retry of this send) is not a second post.
        if (
            not 200 <= response.status_code < 300
            and self._container_status(container.remote_id)[0] == "PUBLISHED"
        ):
            found = self.lookup(idempotency_key=idempotency_key, text=text, since=None)
            if found is not None:
                return found
        self._check(response, write=True, action="the post")
        remote_id = str((self._json(response) or {}).get("id") or "")
        if not remote_id:
            raise OutcomeUnknown(
                f"{self.label} accepted the post but gave no id; it will be checked.",
                platform=self.platform,
            )
        # The containers stay remembered: a repeat of this send (an answer lost after the
        # publish step) meets its published container and is answered by lookup().
        return PublishResult(
            remote_id=remote_id, url=self._permalink(remote_id), raw={"id": remote_id}
        )

    def _permalink(self, remote_id: str) -> str:
        try:
            body = self._graph(
                "GET", f"/{remote_id}", params={"fields": "permalink"}, action="the permalink"
            )
        except PlatformError:
            return ""
        return str(body.get("permalink") or "")

    def _cached_container(
        self, data: dict[str, str], item: MediaItem, *, key: str, action: str
    ) -> UploadedMedia:
        """A container made once per key (a carousel, a text post) and waited on."""
        cached = self._media_cache().get(key)
        if cached is not None and cached.reusable():
            return cached
        body = self._graph("POST", self._containers_path(), data=data, content=True, action=action)
        ref = self._uploaded(str(body.get("id") or ""), item, key=key, ready=False)
        self._wait_until_ready(ref, 0)
        self._media_cache()[key] = ref
        return ref

    def _container_status(self, container_id: str) -> tuple[str, str]:
        state, message = self.container_status_fields
        body = self._graph(
            "GET",
            f"/{container_id}",
            params={"fields": f"{state},{message}"},
            action="the container status",
        )
        return str(body.get(state) or ""), str(body.get(message) or "")

    def _media_state(self, ref: UploadedMedia) -> tuple[str, str, float | None]:
        state, message = self._container_status(ref.remote_id)
        if state in ("FINISHED", "PUBLISHED"):
            return "ready", "", None
        if state in ("ERROR", "EXPIRED"):
            return "failed", message or state, None
        return "processing", "", None

    def lookup(
        self, *, idempotency_key: str, text: str, since: datetime | None
    ) -> PublishResult | None:
        """The account's latest posts, matched on their text (whitespace folded)."""
        body = self._graph(
            "GET",
            self._listing_path(idempotency_key),
            params={"fields": f"id,{self.caption_field},permalink,timestamp", "limit": "25"},
            action="the post lookup",
        )
        wanted = " ".join(text.split())
        for post in body.get("data") or []:
            if not isinstance(post, dict) or not post.get("id"):
                continue
            created = parse_datetime(str(post.get("timestamp") or "").replace("+0000", "+00:00"))
            if since is not None and created is not None and created < since - CLOCK_SKEW:
                continue
            if " ".join(str(post.get(self.caption_field) or "").split()) == wanted:
                return PublishResult(
                    remote_id=str(post["id"]), url=str(post.get("permalink") or ""), raw=post
                )
        return None
