"""Bluesky, through the documented AT Protocol XRPC endpoints of the account's PDS.

- auth: ``com.atproto.server.createSession`` ``{identifier, password}`` (an app password)
  -> ``{accessJwt, refreshJwt, did, handle}``; ``refreshSession`` renews it. Sessions are
  cached per process (PDS, identifier, password) because the PDS rate-limits
  ``createSession`` per account.
- whoami: ``com.atproto.server.getSession`` -> the DID (stable) and handle; display name
  and avatar from ``app.bsky.actor.getProfile`` when available.
- publish: ``com.atproto.repo.createRecord`` into ``app.bsky.feed.post`` with a record key
  derived from the idempotency key (``record_key_for``), so a repeated send targets the
  same record. The reference PDS answers a create on an existing key with an error (a 500
  for a long time, an explicit 4xx in newer versions); on any such answer we fetch our key
  with ``getRecord`` and, if it is there, report that record as the result.
- lookup: ``com.atproto.repo.getRecord`` for the derived key.

``instance_url`` is the PDS address (default ``https://bsky.social``).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from .addresses import validate_instance_url
from .base import (
    Identity,
    MediaItem,
    PlatformClient,
    PublishResult,
    UploadedMedia,
    parse_datetime,
)
from .engagement import InboxPage, RemoteMessage, id_of, rate_limit_from, text_of
from .errors import AuthenticationFailed, BadIdentityResponse, OutcomeUnknown, PlatformError
from .media import MB, MediaRules
from .metrics import PublicMetrics, count_of

POST_COLLECTION = "app.bsky.feed.post"
MAX_GRAPHEMES = 300
#: ``app.bsky.feed.post`` text ``maxLength``, in UTF-8 bytes.
MAX_TEXT_BYTES = 3000
WEB_APP = "https://bsky.app"
_SORTABLE_BASE32 = "234567abcdefghijklmnopqrstuvwxyz"
_STALE_SESSION_ERRORS = {"ExpiredToken", "InvalidToken"}
#: The notification reasons the inbox reads.
INBOX_REASONS = ("mention", "reply", "quote")
_URL = re.compile(r"https?://[^\s<>\"]+")

_session_lock = threading.Lock()
_sessions: dict[tuple[str, str, str], dict] = {}


def record_key_for(idempotency_key: str) -> str:
    """A deterministic record key for an idempotency key.

    It has TID syntax (13 characters of sortable base32, first character in ``2-7a-j``),
    the record-key type ``app.bsky.feed.post`` declares, so it is valid both as a generic
    record key and as a TID. The "timestamp" bits come from a hash, not the clock.
    """
    if not idempotency_key:
        raise ValueError("idempotency_key is required")
    digest = hashlib.sha256(b"countersign-rkey\x00" + idempotency_key.encode("utf-8")).digest()
    number = int.from_bytes(digest[:8], "big") & ((1 << 63) - 1)
    chars = []
    for _ in range(13):
        chars.append(_SORTABLE_BASE32[number & 31])
        number >>= 5
    return "".join(reversed(chars))


def link_facets(text: str) -> list[dict]:
    """Rich-text facets so that links in the text are clickable (byte offsets, UTF-8)."""
    facets = []
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;:!?)]}'")
        start = len(text[: match.start()].encode("utf-8"))
        facets.append(
            {
                "index": {"byteStart": start, "byteEnd": start + len(url.encode("utf-8"))},
                "features": [{"$type": "app.bsky.richtext.facet#link", "uri": url}],
            }
        )
    return facets


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class BlueskyClient(PlatformClient):
    platform = "bluesky"
    label = "Bluesky"
    supports_idempotency_key = True  # through the deterministic record key
    supports_lookup = True
    supports_media = True
    supports_inbox = True
    idempotency_window = None  # the record key is derived from the idempotency key
    text_limit = MAX_GRAPHEMES
    text_byte_limit = MAX_TEXT_BYTES
    max_characters = MAX_GRAPHEMES
    character_counting = "graphemes"
    credential_fields = ["identifier", "app_password"]
    secret_credential_fields = ["app_password"]
    needs_instance_url = True
    default_instance_url = "https://bsky.social"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        password_hash = hashlib.sha256(
            str(self._credential["app_password"]).encode("utf-8")
        ).hexdigest()
        self._cache_key = (
            self.instance_url,
            str(self._credential["identifier"]).strip().lower(),
            password_hash,
        )
        self._session_data: dict | None = None

    @classmethod
    def normalise_instance_url(cls, url: str, *, allow_private_hosts: bool = True) -> str:
        return validate_instance_url(url, allow_path=False, allow_private_hosts=allow_private_hosts)

    def _secrets(self) -> list[str]:
        secrets = super()._secrets()
        if self._session_data:
            secrets += [
                str(self._session_data.get(name) or "") for name in ("accessJwt", "refreshJwt")
            ]
        secrets += getattr(self, "_service_tokens", [])
        return [s for s in secrets if s]

    # -- sessions ----------------------------------------------------------------------

    def _xrpc_url(self, nsid: str) -> str:
        return self._url(f"/xrpc/{nsid}")

    def _session(self) -> dict:
        if self._session_data is None:
            with _session_lock:
                cached = _sessions.get(self._cache_key)
            self._session_data = dict(cached) if cached else self._create_session()
        return self._session_data

    def _remember(self, data: dict) -> dict:
        self._session_data = data
        with _session_lock:
            _sessions[self._cache_key] = dict(data)
        return data

    def _forget(self) -> None:
        self._session_data = None
        with _session_lock:
            _sessions.pop(self._cache_key, None)

    def _session_from(self, response, *, action: str) -> dict:
        body = self._json(response)
        if (
            body is None
            or not isinstance(body.get("accessJwt"), str)
            or not isinstance(body.get("did"), str)
            or not body["did"].startswith("did:")
        ):
            raise BadIdentityResponse(
                f"{self.host} answered {action} without a session (accessJwt and did).",
                platform=self.platform,
            )
        return {
            "accessJwt": body["accessJwt"],
            "refreshJwt": body.get("refreshJwt") or "",
            "did": body["did"],
            "handle": body.get("handle") if isinstance(body.get("handle"), str) else "",
        }

    def _create_session(self) -> dict:
        response = self._request(
            "POST",
            self._xrpc_url("com.atproto.server.createSession"),
            json={
                "identifier": str(self._credential["identifier"]).strip(),
                "password": str(self._credential["app_password"]),
            },
        )
        if response.status_code in (400, 401, 403):
            detail = self._error_text(response)
            raise AuthenticationFailed(
                f"Bluesky refused the identifier or app password ({response.status_code})"
                + (f": {detail}" if detail else "")
                + ". Reconnect the channel with a valid app password.",
                platform=self.platform,
                http_status=response.status_code,
                detail=detail,
            )
        if response.status_code in (404, 405, 501):
            raise BadIdentityResponse(
                f"{self.host} does not look like a Bluesky PDS "
                f"(createSession answered {response.status_code}).",
                platform=self.platform,
                http_status=response.status_code,
            )
        self._check(response, write=False, action="the sign-in")
        return self._remember(self._session_from(response, action="the sign-in"))

    def _renew_session(self) -> dict:
        refresh = (self._session_data or {}).get("refreshJwt")
        self._forget()
        if refresh:
            response = self._request(
                "POST",
                self._xrpc_url("com.atproto.server.refreshSession"),
                headers={"Authorization": f"Bearer {refresh}"},
            )
            if response.status_code == 200:
                try:
                    return self._remember(self._session_from(response, action="the refresh"))
                except BadIdentityResponse:
                    pass
        return self._remember(self._create_session())

    @staticmethod
    def _is_stale_session(response, body: dict | None) -> bool:
        error = (body or {}).get("error")
        if response.status_code in (400, 401) and error in _STALE_SESSION_ERRORS:
            return True
        return response.status_code == 401

    def _xrpc(self, method: str, nsid: str, *, write: bool = False, params=None, json=None):
        """An authenticated XRPC call; a stale session is renewed and the call made once
        more (the PDS refuses stale tokens before it does anything, so this is safe for
        writes too)."""
        for attempt in (1, 2):
            session = self._session()
            response = self._request(
                method,
                self._xrpc_url(nsid),
                write=write,
                headers={"Authorization": f"Bearer {session['accessJwt']}"},
                params=params,
                json=json,
            )
            if attempt == 1 and self._is_stale_session(response, self._json(response)):
                self._renew_session()
                continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    # -- whoami ------------------------------------------------------------------------

    def whoami(self) -> Identity:
        response = self._xrpc("GET", "com.atproto.server.getSession")
        body = self._identity_answer(
            response,
            not_here=(404, 405, 501),
            not_here_message=f"{self.host} does not look like a Bluesky PDS "
            f"(getSession answered {response.status_code}).",
        )
        did, handle = body.get("did"), body.get("handle")
        if not isinstance(did, str) or not did.startswith("did:") or not isinstance(handle, str):
            raise BadIdentityResponse(
                f"{self.host} answered the identity check without a DID and handle.",
                platform=self.platform,
            )
        if self._session_data is not None:
            self._session_data["handle"] = handle
        display_name, avatar = self._profile(did)
        return Identity(
            remote_id=did,
            handle=handle,
            display_name=display_name,
            avatar_url=avatar,
            profile_url=f"{WEB_APP}/profile/{handle}",
        )

    def _profile(self, did: str) -> tuple[str, str]:
        """Display name and avatar; best effort (the PDS proxies this to the AppView)."""
        try:
            response = self._xrpc("GET", "app.bsky.actor.getProfile", params={"actor": did})
        except PlatformError:
            return "", ""
        body = self._json(response) if response.status_code == 200 else None
        if not body:
            return "", ""
        name, avatar = body.get("displayName"), body.get("avatar")
        return (name if isinstance(name, str) else ""), (avatar if isinstance(avatar, str) else "")

    # -- publish / lookup ---------------------------------------------------------------

    def _post_url(self, rkey: str) -> str:
        session = self._session_data or {}
        handle = session.get("handle") or ""
        if not handle or handle == "handle.invalid":
            handle = session.get("did", "")
        return f"{WEB_APP}/profile/{handle}/post/{rkey}"

    def publish(
        self, *, text: str, idempotency_key: str, media: Iterable[MediaItem] = ()
    ) -> PublishResult:
        rkey = record_key_for(idempotency_key)
        record: dict = {"$type": POST_COLLECTION, "text": text, "createdAt": _now_iso()}
        facets = link_facets(text)
        if facets:
            record["facets"] = facets
        embed = self._embed(self.prepare_media(media, idempotency_key=idempotency_key))
        if embed:
            record["embed"] = embed
        return self._create_post(rkey, record, action="the post")

    def _create_post(self, rkey: str, record: dict, *, action: str) -> PublishResult:
        """``createRecord`` of an ``app.bsky.feed.post`` under ``rkey`` (derived from the
        idempotency key, so a repeat finds the record instead of making a second one)."""
        session = self._session()
        response = self._xrpc(
            "POST",
            "com.atproto.repo.createRecord",
            write=True,
            json={
                "repo": session["did"],
                "collection": POST_COLLECTION,
                "rkey": rkey,
                "record": record,
            },
        )
        if 200 <= response.status_code < 300:
            body = self._json(response)
            if not body or not isinstance(body.get("uri"), str):
                raise OutcomeUnknown(
                    f"{self.host} accepted {action} but its answer had no record URI; "
                    "it will be checked on the platform.",
                    platform=self.platform,
                    http_status=response.status_code,
                )
            return PublishResult(remote_id=body["uri"], url=self._post_url(rkey), raw=body)
        if self._may_already_exist(response):
            try:
                existing = self._get_record(rkey)
            except PlatformError:
                existing = None
            if existing is not None:
                return existing
        self._check(response, write=True, action=action)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- replies and moderation (the engagement inbox) ---------------------------------
    #
    # reply: an ``app.bsky.feed.post`` record with ``reply: {root, parent}`` (strong refs,
    # ``{uri, cid}``; the parent's own ``reply.root`` is the thread's root), the cids read
    # with ``app.bsky.feed.getPosts``. Moderation: ``com.atproto.moderation.createReport``
    # (``reasonType``, ``reason``, ``subject`` a ``com.atproto.admin.defs#repoRef`` for an
    # account) and ``app.bsky.graph.muteActor`` (``{actor}``). Blocking is a record in the
    # repo (``app.bsky.graph.block``), not offered here.

    supports_reply = True
    moderation_actions = ("report", "mute")

    def _strong_ref(self, uri: str) -> tuple[dict, dict | None]:
        """``({uri, cid}, the post's own reply refs or None)`` of an ``at://`` post URI."""
        if not isinstance(uri, str) or not re.fullmatch(r"at://[\w.:%-]+/[\w.]+/[\w.:~-]+", uri):
            raise PlatformError("Not a Bluesky post URI.", platform=self.platform)
        response = self._xrpc("GET", "app.bsky.feed.getPosts", params={"uris": [uri]})
        self._check(response, write=False, action="the post being answered")
        body = self._json(response) or {}
        posts = body.get("posts") if isinstance(body.get("posts"), list) else []
        for post in posts:
            if (
                isinstance(post, dict)
                and post.get("uri") == uri
                and isinstance(post.get("cid"), str)
            ):
                record = post.get("record") if isinstance(post.get("record"), dict) else {}
                reply = record.get("reply") if isinstance(record.get("reply"), dict) else None
                return {"uri": uri, "cid": post["cid"]}, reply
        raise PlatformError(
            f"{self.host} does not know the post being answered (it may have been deleted).",
            platform=self.platform,
        )

    def reply(
        self, *, text: str, idempotency_key: str, in_reply_to: str, root: str = ""
    ) -> PublishResult:
        parent, parent_reply = self._strong_ref(in_reply_to)
        root_ref = parent
        if parent_reply and isinstance(parent_reply.get("root"), dict):
            candidate = parent_reply["root"]
            if isinstance(candidate.get("uri"), str) and isinstance(candidate.get("cid"), str):
                root_ref = {"uri": candidate["uri"], "cid": candidate["cid"]}
        record: dict = {
            "$type": POST_COLLECTION,
            "text": text,
            "createdAt": _now_iso(),
            "reply": {"root": root_ref, "parent": parent},
        }
        facets = link_facets(text)
        if facets:
            record["facets"] = facets
        return self._create_post(record_key_for(idempotency_key), record, action="the reply")

    def report(self, *, account_id: str, status_ids=(), comment: str = "") -> dict:
        """Report the account (a DID) to the moderation service, through the PDS."""
        if not isinstance(account_id, str) or not account_id.startswith("did:"):
            raise PlatformError("Not a Bluesky account DID.", platform=self.platform)
        response = self._xrpc(
            "POST",
            "com.atproto.moderation.createReport",
            json={
                "reasonType": "com.atproto.moderation.defs#reasonRude",
                "reason": comment[:2000],
                "subject": {"$type": "com.atproto.admin.defs#repoRef", "did": account_id},
            },
        )
        self._check(response, write=False, action="the report")
        body = self._json(response) or {}
        return {"id": str(body.get("id") or ""), "reasonType": str(body.get("reasonType") or "")}

    def mute(self, *, account_id: str) -> dict:
        if not isinstance(account_id, str) or not account_id.startswith("did:"):
            raise PlatformError("Not a Bluesky account DID.", platform=self.platform)
        response = self._xrpc("POST", "app.bsky.graph.muteActor", json={"actor": account_id})
        self._check(response, write=False, action="the mute")
        return {"muted": account_id}

    def _may_already_exist(self, response) -> bool:
        """Answers a PDS gives to a create on an existing record key."""
        if response.status_code >= 500:
            return True
        if response.status_code in (400, 409):
            body = self._json(response) or {}
            words = f"{body.get('error', '')} {body.get('message', '')}".lower()
            return "exist" in words or "duplicate" in words
        return False

    def _get_record(self, rkey: str) -> PublishResult | None:
        session = self._session()
        response = self._xrpc(
            "GET",
            "com.atproto.repo.getRecord",
            params={"repo": session["did"], "collection": POST_COLLECTION, "rkey": rkey},
        )
        body = self._json(response)
        if response.status_code == 404 or (
            response.status_code == 400 and (body or {}).get("error") == "RecordNotFound"
        ):
            return None
        self._check(response, write=False, action="the record lookup")
        if not body or not isinstance(body.get("uri"), str):
            raise PlatformError(
                f"{self.host} answered the record lookup without a record URI.",
                platform=self.platform,
            )
        return PublishResult(remote_id=body["uri"], url=self._post_url(rkey), raw=body)

    def lookup(
        self, *, idempotency_key: str, text: str, since: datetime | None
    ) -> PublishResult | None:
        return self._get_record(record_key_for(idempotency_key))

    def instance_limits(self) -> dict:
        return {"max_characters": MAX_GRAPHEMES, "max_graphemes": MAX_GRAPHEMES}

    # -- media: uploadBlob (images) and the video service (video) -----------------------

    #: ``app.bsky.embed.images``: up to 4 images of 1,000,000 bytes; ``app.bsky.embed.video``:
    #: one MP4 of up to 100 MB and 3 minutes; alt text on both (``alt``).
    media_rules = MediaRules(
        image_types=("image/jpeg", "image/png", "image/webp", "image/gif"),
        video_types=("video/mp4",),
        max_image_bytes=1_000_000,
        max_video_bytes=100 * MB,
        max_items=4,
        max_videos=1,
        video_max_seconds=180,
        alt_text=True,
        video_alt_text=True,
        max_alt_text=10_000,
    )
    #: Where videos are sent for processing before the post (``app.bsky.video.uploadVideo``
    #: with a service token from ``com.atproto.server.getServiceAuth``).
    video_service_url = "https://video.bsky.app"

    def _embed(self, uploaded: list[UploadedMedia]) -> dict | None:
        if not uploaded:
            return None

        def aspect(item: MediaItem) -> dict:
            if item.width and item.height:
                return {"aspectRatio": {"width": item.width, "height": item.height}}
            return {}

        if uploaded[0].item.kind == "video":
            ref = uploaded[0]
            return {
                "$type": "app.bsky.embed.video",
                "video": ref.data["blob"],
                **({"alt": ref.item.alt_text} if ref.item.alt_text else {}),
                **aspect(ref.item),
            }
        return {
            "$type": "app.bsky.embed.images",
            "images": [
                {"alt": ref.item.alt_text or "", "image": ref.data["blob"], **aspect(ref.item)}
                for ref in uploaded
            ],
        }

    def _upload_media_item(self, item: MediaItem, *, key: str) -> UploadedMedia:
        if item.kind == "video":
            return self._upload_video(item, key=key)
        response = self._raw_xrpc("com.atproto.repo.uploadBlob", item.read_bytes(), item.mime_type)
        self._check(response, write=False, action="the image upload")
        blob = (self._json(response) or {}).get("blob")
        if not isinstance(blob, dict) or not blob.get("ref"):
            raise PlatformError(
                f"{self.host} answered the upload without a blob.", platform=self.platform
            )
        return self._uploaded(
            str(blob["ref"].get("$link") or ""), item, key=key, data={"blob": blob}
        )

    def _raw_xrpc(self, nsid: str, content: bytes, mime_type: str):
        """A POST of raw bytes to the PDS, renewing a stale session once."""
        for attempt in (1, 2):
            session = self._session()
            response = self._request(
                "POST",
                self._xrpc_url(nsid),
                headers={
                    "Authorization": f"Bearer {session['accessJwt']}",
                    "Content-Type": mime_type,
                },
                data=content,
            )
            if attempt == 1 and self._is_stale_session(response, self._json(response)):
                self._renew_session()
                continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _video_service(self) -> str:
        default = type(self).default_instance_url
        return self.instance_url if self.instance_url != default else self.video_service_url

    def _upload_video(self, item: MediaItem, *, key: str) -> UploadedMedia:
        session = self._session()
        pds_host = urlsplit(self.instance_url).hostname or ""
        response = self._xrpc(
            "GET",
            "com.atproto.server.getServiceAuth",
            params={
                "aud": f"did:web:{pds_host}",
                "lxm": "com.atproto.repo.uploadBlob",
                "exp": str(int(time.time()) + 1800),
            },
        )
        self._check(response, write=False, action="the video service authorisation")
        token = (self._json(response) or {}).get("token")
        if not isinstance(token, str) or not token:
            raise PlatformError(f"{self.host} gave no service token.", platform=self.platform)
        self._service_tokens = [*getattr(self, "_service_tokens", []), token]
        response = self._request(
            "POST",
            self._video_service() + "/xrpc/app.bsky.video.uploadVideo",
            params={"did": session["did"], "name": f"{key.rsplit(':', 1)[-1][:16]}.mp4"},
            headers={"Authorization": f"Bearer {token}", "Content-Type": item.mime_type},
            data=item.read_bytes(),
        )
        body = self._json(response) or {}
        if response.status_code == 409 and body.get("jobId"):  # already_exists: same job
            pass
        else:
            self._check(response, write=False, action="the video upload")
        status = body.get("jobStatus") if isinstance(body.get("jobStatus"), dict) else body
        job = str(status.get("jobId") or "")
        if not job:
            raise PlatformError("The video service gave no job id.", platform=self.platform)
        ref = self._uploaded(job, item, key=key, ready=False)
        if isinstance(status.get("blob"), dict):
            ref.data["blob"] = status["blob"]
            ref.ready = status.get("state") == "JOB_STATE_COMPLETED"
        return ref

    def _media_state(self, ref: UploadedMedia) -> tuple[str, str, float | None]:
        response = self._request(
            "GET",
            self._video_service() + "/xrpc/app.bsky.video.getJobStatus",
            params={"jobId": ref.remote_id},
        )
        self._check(response, write=False, action="the video status")
        status = (self._json(response) or {}).get("jobStatus") or {}
        state = str(status.get("state") or "")
        if state == "JOB_STATE_COMPLETED" and isinstance(status.get("blob"), dict):
            ref.data["blob"] = status["blob"]
            return "ready", "", None
        if state == "JOB_STATE_FAILED":
            return "failed", str(status.get("error") or status.get("message") or ""), None
        return "processing", "", None

    # -- metrics: app.bsky.feed.getPosts, app.bsky.actor.getProfile --------------------------

    def metrics(self, remote_id: str) -> PublicMetrics:
        """A post's ``likeCount``, ``repostCount``, ``replyCount``, ``quoteCount`` (its
        record URI is the remote id). Raises PlatformError on anything odd."""
        if not isinstance(remote_id, str) or not remote_id.startswith("at://"):
            raise PlatformError("Not a Bluesky post URI.", platform=self.platform)
        response = self._xrpc("GET", "app.bsky.feed.getPosts", params={"uris": remote_id})
        self._check(response, write=False, action="the post metrics")
        posts = (self._json(response) or {}).get("posts")
        post = (
            next((p for p in posts if isinstance(p, dict) and p.get("uri") == remote_id), None)
            if isinstance(posts, list)
            else None
        )
        if post is None:
            raise PlatformError(f"{self.host} did not return the post.", platform=self.platform)
        return PublicMetrics(
            likes=count_of(post, "likeCount", platform=self.platform),
            reposts=count_of(post, "repostCount", platform=self.platform),
            replies=count_of(post, "replyCount", platform=self.platform),
            quotes=count_of(post, "quoteCount", platform=self.platform),
        )

    def followers(self) -> int:
        """The account's ``followersCount`` (``app.bsky.actor.getProfile``)."""
        did = self._session()["did"]
        response = self._xrpc("GET", "app.bsky.actor.getProfile", params={"actor": did})
        self._check(response, write=False, action="the follower count")
        return count_of(
            self._json(response) or {}, "followersCount", platform=self.platform, required=True
        )

    # -- the engagement inbox -------------------------------------------------------
    #
    # app.bsky.notification.listNotifications (newest first, ``cursor`` pages to older
    # ones, ``reasons`` filters), app.bsky.feed.getPostThread, app.bsky.feed.searchPosts
    # (``sort=latest``, ``since``, ``cursor`` to older ones). There is no "after this"
    # parameter, so a read walks back from the newest until it reaches what the last one
    # saw; the cursor we keep is a small JSON object: ``hw`` the newest (indexedAt, uri)
    # read, and while a walk back is under way ``resume`` (the platform's cursor) and
    # ``stop`` (where the walk ends).

    def _inbox_message(self, view: dict, *, kind: str, when_key: str = "indexedAt"):
        record = view.get("record") if isinstance(view.get("record"), dict) else {}
        author = view.get("author") if isinstance(view.get("author"), dict) else {}
        uri = id_of(view.get("uri"))
        if not uri.startswith("at://") or not isinstance(record.get("text"), str):
            return None
        reply = record.get("reply") if isinstance(record.get("reply"), dict) else {}
        parent = reply.get("parent") if isinstance(reply.get("parent"), dict) else {}
        root = reply.get("root") if isinstance(reply.get("root"), dict) else {}
        handle = author.get("handle") if isinstance(author.get("handle"), str) else ""
        rkey = uri.rsplit("/", 1)[-1]
        return RemoteMessage(
            remote_id=uri,
            kind=kind,
            text=record["text"],
            author_remote_id=id_of(author.get("did")),
            author_handle=handle[:255],
            author_display_name=text_of(author.get("displayName"))[:255],
            created_at=parse_datetime(record.get("createdAt"))
            or parse_datetime(view.get("indexedAt")),
            url=f"{WEB_APP}/profile/{handle}/post/{rkey}" if handle else "",
            in_reply_to=id_of(parent.get("uri")),
            thread_root=id_of(root.get("uri")),
        )

    @staticmethod
    def _position(view: dict) -> str:
        """Where an item sits in newest-first order: its indexedAt (normalised) and uri."""
        when = parse_datetime(view.get("indexedAt"))
        stamp = when.isoformat(timespec="microseconds") if when else ""
        return f"{stamp}|{id_of(view.get('uri'))}"

    def _walk(self, nsid: str, key: str, params: list, cursor: str, *, kind_of, limit: int):
        try:
            state = json.loads(cursor) if cursor else {}
        except ValueError:
            state = {}
        if not isinstance(state, dict):
            state = {}
        hw = state.get("hw") if isinstance(state.get("hw"), str) else ""
        resume = state.get("resume") if isinstance(state.get("resume"), str) else ""
        stop = state.get("stop") if isinstance(state.get("stop"), str) else ""
        if not resume:
            stop = hw
        params = [*params, ("limit", str(limit))]
        if resume:
            params.append(("cursor", resume))
        response = self._xrpc("GET", nsid, params=params)
        rate = rate_limit_from(response)
        self._check(response, write=False, action=f"the {key}")
        body = self._json(response)
        if body is None or not isinstance(body.get(key), list):
            raise PlatformError(
                f"{self.host} answered the {key} without a list of them.", platform=self.platform
            )
        views = [v for v in body[key] if isinstance(v, dict)]
        token = body.get("cursor") if isinstance(body.get("cursor"), str) else ""
        messages, reached = [], False
        newest = hw
        for view in views:
            position = self._position(view)
            if stop and position <= stop:
                reached = True
                continue
            if position > newest:
                newest = position
            kind = kind_of(view)
            if kind:
                message = self._inbox_message(view, kind=kind)
                if message is not None:
                    messages.append((position, message))
        done = reached or not token or not views
        messages.sort(key=lambda pair: pair[0])
        state = {"hw": newest}
        if not done:
            state.update(resume=token, stop=stop)
        return InboxPage(
            messages=[m for _p, m in messages],
            cursor=json.dumps(state, separators=(",", ":")),
            more=not done,
            rate_limit=rate,
            seen=len(views),
        )

    def notifications(self, *, own_remote_id: str, cursor: str = "", limit: int = 0):
        """Mentions, replies and quotes of the account not read yet, oldest first."""
        limit = max(1, min(limit or 100, 100))
        params = [("reasons", r) for r in INBOX_REASONS]

        def kind_of(view):
            reason = view.get("reason")
            return reason if reason in INBOX_REASONS else ""

        return self._walk(
            "app.bsky.notification.listNotifications",
            "notifications",
            params,
            cursor,
            kind_of=kind_of,
            limit=limit,
        )

    def search(self, *, query: str, cursor: str = "", limit: int = 0):
        """Listening: posts matching ``query`` (newest first on the platform) not read yet;
        the first read takes the newest page only."""
        limit = max(1, min(limit or 100, 100))
        params = [("q", (query or "").strip()[:300]), ("sort", "latest")]
        page = self._walk(
            "app.bsky.feed.searchPosts",
            "posts",
            params,
            cursor,
            kind_of=lambda view: "listening",
            limit=limit,
        )
        if not cursor:  # no history: the newest page, then only what comes after it
            state = json.loads(page.cursor)
            page.cursor = json.dumps({"hw": state["hw"]}, separators=(",", ":"))
            page.more = False
        return page

    def thread(self, remote_id: str) -> list:
        """The posts around a post: its parents up the thread and the replies below."""
        if not isinstance(remote_id, str) or not remote_id.startswith("at://"):
            raise PlatformError("Not a Bluesky post URI.", platform=self.platform)
        response = self._xrpc(
            "GET",
            "app.bsky.feed.getPostThread",
            params={"uri": remote_id, "depth": 10, "parentHeight": 40},
        )
        self._check(response, write=False, action="the thread")
        thread = (self._json(response) or {}).get("thread")
        out: dict[str, RemoteMessage] = {}

        def take(node, depth: int) -> None:
            if not isinstance(node, dict) or depth > 60:
                return
            post = node.get("post")
            if isinstance(post, dict):
                message = self._inbox_message(post, kind="reply")
                if message is not None and message.remote_id != remote_id:
                    out[message.remote_id] = message
            take(node.get("parent"), depth + 1)
            for child in node.get("replies") or []:
                take(child, depth + 1)

        take(thread, 0)
        return sorted(out.values(), key=lambda m: m.created_at.isoformat() if m.created_at else "")


def clear_session_cache() -> None:
    """Forget every cached Bluesky session (tests; after credentials change)."""
    with _session_lock:
        _sessions.clear()
