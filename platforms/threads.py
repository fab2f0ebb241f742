"""Threads, through the Threads API (developers.facebook.com/docs/threads).

- auth: ``https://threads.net/oauth/authorize`` (scopes ``threads_basic,
  threads_content_publish``), the code exchanged at ``POST /oauth/access_token`` for a
  one-hour token, made long-lived (60 days) with ``grant_type=th_exchange_token`` at
  ``/access_token`` and renewed with ``grant_type=th_refresh_token`` at
  ``/refresh_access_token`` (a long-lived token at least a day old). There is no refresh
  token: the access token itself is renewed. The token travels in the ``Authorization``
  header and the app secret in the request body, never in a URL.
- whoami: ``GET /v1.0/me?fields=id,username,name,threads_profile_picture_url``. Threads does
  not tell brand profiles from personal ones: a personal profile is refused by the guard
  (its stable id is a registered personal account, or not the channel's).
- publish, two steps: ``POST /v1.0/me/threads`` creates a container (``media_type`` TEXT,
  IMAGE with ``image_url``, VIDEO with ``video_url``, ``alt_text``; carousel items with
  ``is_carousel_item`` then ``media_type=CAROUSEL`` + ``children``), ``GET
  /v1.0/{container}?fields=status,error_message`` until ``FINISHED`` (``ERROR``/``EXPIRED``
  fail), then ``POST /v1.0/me/threads_publish`` ``creation_id`` and ``GET
  /v1.0/{id}?fields=permalink``. Threads fetches media itself: ``MediaItem.url`` must be a
  public address.
- lookup: ``GET /v1.0/me/threads?fields=id,text,timestamp,permalink``.
"""

from __future__ import annotations

from collections.abc import Iterable

from .base import Identity, MediaItem, PublishResult, UploadedMedia
from .errors import BadIdentityResponse, PlatformError
from .graph import ContainerPublishing, GraphClient
from .media import MB, MediaRules
from .oauth import OAuthClient, OAuthEndpoints, OAuthToken

SCOPES = ("threads_basic", "threads_content_publish")
WEB = "https://www.threads.net"


class ThreadsClient(ContainerPublishing, GraphClient):
    platform = "threads"
    label = "Threads"
    supports_idempotency_key = False
    supports_lookup = True
    supports_media = True
    text_limit = 500
    max_characters = text_limit
    default_instance_url = "https://graph.threads.net"
    graph_version = "v1.0"
    oauth = OAuthEndpoints(
        authorize_url="https://threads.net/oauth/authorize",
        token_url="https://graph.threads.net/oauth/access_token",  # noqa: S106 - an address, not a secret
        scopes=SCOPES,
        scope_separator=",",
        pkce=False,
        client_auth="body",
    )
    token_scopes = SCOPES
    #: Images JPEG/PNG up to 8 MB (aspect up to 10:1); videos MP4/MOV up to 1 GB, 5 min,
    #: 23-60 fps; up to 20 items in a carousel, images and videos mixed; alt text on both.
    media_rules = MediaRules(
        image_types=("image/jpeg", "image/png"),
        video_types=("video/mp4", "video/quicktime"),
        max_image_bytes=8 * MB,
        max_video_bytes=1024 * MB,
        max_items=20,
        max_videos=20,
        allow_mixed=True,
        video_max_seconds=300,
        video_max_frame_rate=60,
        video_min_aspect=0.01,
        video_max_aspect=10.0,
        image_min_aspect=0.1,
        image_max_aspect=10.0,
        alt_text=True,
        video_alt_text=True,
        max_alt_text=1000,
        needs_public_url=("image", "video"),
    )
    media_poll_interval = 10.0  # Threads asks for about one status query a minute, <= 5 min

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._caption = ""
        self._items_in_post = 1

    # -- tokens ------------------------------------------------------------------------

    @staticmethod
    def long_lived_token(oauth: OAuthClient, short_lived: OAuthToken) -> OAuthToken:
        """``th_exchange_token``: a 60-day token for the one-hour token from the code."""
        url = oauth.endpoints.token_url.replace("/oauth/access_token", "/access_token")
        response = oauth.session.post(
            url,
            data={"grant_type": "th_exchange_token", "client_secret": oauth.app.client_secret},
            headers={"Authorization": f"Bearer {short_lived.access_token}"},
            timeout=oauth.timeout,
            allow_redirects=False,
        )
        try:
            return OAuthToken.from_response(response.json())
        except ValueError as exc:
            raise PlatformError(
                f"Threads did not give a long-lived token ({response.status_code}).",
                platform="threads",
            ) from exc

    def _refreshes_without_refresh_token(self) -> bool:
        return self.oauth_app is not None

    def _refreshed_token(self) -> OAuthToken:
        from .errors import ReconnectRequired

        response = self._request(
            "GET",
            self._url("/refresh_access_token"),
            params={"grant_type": "th_refresh_token"},
            headers={"Authorization": f"Bearer {self._token.access_token}"},
        )
        body = self._json(response)
        if response.status_code != 200 or not body or not body.get("access_token"):
            raise ReconnectRequired(
                f"Threads refused to renew the access token ({response.status_code}); "
                "reconnect the channel.",
                platform=self.platform,
                http_status=response.status_code,
                detail=self._error_text(response),
            )
        return OAuthToken.from_response(body)

    # -- whoami ------------------------------------------------------------------------

    def whoami(self) -> Identity:
        body = self._graph(
            "GET",
            "/me",
            params={"fields": "id,username,name,threads_profile_picture_url"},
            action="the identity check",
        )
        if not body.get("id") or not body.get("username"):
            raise BadIdentityResponse(
                "Threads answered the identity check without an id and username.",
                platform=self.platform,
            )
        username = str(body["username"])
        return Identity(
            remote_id=str(body["id"]),
            handle=f"@{username}",
            display_name=str(body.get("name") or ""),
            avatar_url=str(body.get("threads_profile_picture_url") or ""),
            profile_url=f"{WEB}/@{username}",
        )

    # -- publish -----------------------------------------------------------------------

    def publish(
        self, *, text: str, idempotency_key: str, media: Iterable[MediaItem] = ()
    ) -> PublishResult:
        if not idempotency_key:
            raise ValueError("idempotency_key is required")
        items = list(media or ())
        self._caption = text
        self._items_in_post = len(items)
        uploaded = self.prepare_media(items, idempotency_key=idempotency_key)
        if not uploaded:
            container = self._container(
                {"media_type": "TEXT", "text": text}, key=f"{idempotency_key}:text"
            )
        elif len(uploaded) == 1:
            container = uploaded[0]
        else:
            container = self._container(
                {
                    "media_type": "CAROUSEL",
                    "children": ",".join(r.remote_id for r in uploaded),
                    "text": text,
                },
                key=f"{idempotency_key}:carousel",
            )
        return self._publish_container(container, text=text, idempotency_key=idempotency_key)

    def _container(self, data: dict[str, str], *, key: str) -> UploadedMedia:
        item = MediaItem(b"", "text/plain")
        return self._cached_container(data, item, key=key, action="the post container")

    def _containers_path(self) -> str:
        return "/me/threads"

    def _publish_path(self) -> str:
        return "/me/threads_publish"

    # -- media (containers) ------------------------------------------------------------

    def _upload_media_item(self, item: MediaItem, *, key: str) -> UploadedMedia:
        data: dict[str, str] = {}
        if self._items_in_post > 1:
            data["is_carousel_item"] = "true"
        else:
            data["text"] = self._caption
        if item.kind == "video":
            data.update(media_type="VIDEO", video_url=item.url)
        else:
            data.update(media_type="IMAGE", image_url=item.url)
        if item.alt_text:
            data["alt_text"] = item.alt_text
        body = self._graph(
            "POST", self._containers_path(), data=data, content=True, action="the media container"
        )
        return self._uploaded(str(body.get("id") or ""), item, key=key, ready=False)
