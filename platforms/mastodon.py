"""Mastodon, through its documented REST API (docs.joinmastodon.org/methods/).

- whoami: ``GET /api/v1/accounts/verify_credentials`` (Bearer token) -> the account id.
- publish: ``POST /api/v1/statuses`` with an ``Idempotency-Key`` header. Mastodon keeps the
  key for one hour per account and answers a repeated key with the status it already made.
- lookup: ``GET /api/v1/accounts/{id}/statuses`` and match our text against the rendered
  HTML ``content`` (tags stripped, entities unescaped, whitespace normalised) among statuses
  created since the send. Re-sending with the same key is a retry, not a lookup.
- instance_limits: ``GET /api/v2/instance`` -> ``configuration.statuses.max_characters``,
  falling back to ``/api/v1/instance`` and then to 500.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime, timedelta
from html.parser import HTMLParser

from .addresses import validate_instance_url
from .base import (
    Identity,
    MediaItem,
    PlatformClient,
    PublishResult,
    UploadedMedia,
    parse_datetime,
)
from .engagement import InboxPage, RemoteMessage, id_of, rate_limit_from
from .errors import OutcomeUnknown, PlatformError
from .media import MB, MediaRules
from .metrics import PublicMetrics, count_of

DEFAULT_MAX_CHARACTERS = 500
CHARACTERS_RESERVED_PER_URL = 23
LOOKUP_PAGE_SIZE = 40
LOOKUP_MAX_PAGES = 5
# Tolerated difference between our clock and the instance's when matching by time.
CLOCK_SKEW = timedelta(minutes=5)

# -- the engagement inbox ------------------------------------------------------------------
#
# GET /api/v1/notifications?types[]=mention (newest first; ``min_id`` returns the page just
# after an id, ``limit`` at most 80; the Link header's ``prev`` carries the next min_id),
# GET /api/v1/statuses/:id/context (ancestors, descendants), GET /api/v2/search?type=statuses
# and GET /api/v1/timelines/tag/:hashtag for listening (``min_id`` paging as well).

NOTIFICATIONS_PAGE = 80
SEARCH_PAGE = 40
_TAG = re.compile(r"^#?(\w{1,100})$")


def _id_key(value: str) -> tuple[int, str]:
    return (len(value), value) if value.isdigit() else (0, value)


class _ContentText(HTMLParser):
    """Turns Mastodon's status HTML back into the text that was posted."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._paragraphs = 0

    def handle_starttag(self, tag, attrs):
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p":
            if self._paragraphs:
                self.parts.append("\n\n")
            self._paragraphs += 1

    def handle_data(self, data):
        self.parts.append(data)


def content_to_text(content: str) -> str:
    """The plain text of a status's HTML ``content``."""
    parser = _ContentText()
    parser.feed(content or "")
    parser.close()
    return "".join(parser.parts)


def _comparable(text: str) -> str:
    text = unicodedata.normalize("NFC", text or "").replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


_REMOTE_MENTION = re.compile(r"(?<![\w@])@(\w+)@[\w.-]*\w")


def same_text(content_html: str, text: str) -> bool:
    """Whether a status's rendered content is the text we posted. Mastodon shows remote
    mentions without their domain, so a second comparison ignores mention domains."""
    rendered = _comparable(content_to_text(content_html))
    posted = _comparable(text)
    if rendered == posted:
        return True
    return _REMOTE_MENTION.sub(r"@\1", rendered) == _REMOTE_MENTION.sub(r"@\1", posted)


class MastodonClient(PlatformClient):
    platform = "mastodon"
    label = "Mastodon"
    supports_idempotency_key = True
    supports_lookup = True
    supports_media = True
    supports_inbox = True
    idempotency_window = timedelta(minutes=55)  # Mastodon keeps keys one hour
    text_limit = DEFAULT_MAX_CHARACTERS
    limit_from_instance = True  # configuration.statuses.max_characters
    max_characters = DEFAULT_MAX_CHARACTERS
    character_counting = "mastodon"
    credential_fields = ["access_token"]
    secret_credential_fields = ["access_token"]
    needs_instance_url = True
    #: The OAuth scopes the access token needs, one per call this client makes: whoami
    #: (verify_credentials), publish (POST statuses), lookup (the account's statuses, to
    #: reconcile an unconfirmed send). The connect form lists them.
    token_scopes = ("read:accounts", "write:statuses", "read:statuses")
    #: What the engagement inbox needs besides (notifications, search).
    inbox_token_scopes = ("read:notifications", "read:search")

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._identity: Identity | None = None

    @classmethod
    def normalise_instance_url(cls, url: str, *, allow_private_hosts: bool = True) -> str:
        return validate_instance_url(url, allow_path=False, allow_private_hosts=allow_private_hosts)

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._credential['access_token']}"}

    # -- whoami ------------------------------------------------------------------------

    def whoami(self) -> Identity:
        response = self._request(
            "GET", self._url("/api/v1/accounts/verify_credentials"), headers=self._auth()
        )
        body = self._identity_answer(
            response,
            not_here=(404, 405, 410),
            not_here_message=f"{self.host} does not look like a Mastodon server "
            f"(verify_credentials answered {response.status_code}).",
        )
        remote_id, acct = self._account_id_and_name(
            body,
            "id",
            ("acct", "username"),
            missing=f"{self.host} answered the identity check without an account id and name.",
        )
        acct = acct.lstrip("@")
        handle = f"@{acct}" if "@" in acct else f"@{acct}@{self.host}"
        identity = Identity(
            remote_id=remote_id,
            handle=handle,
            display_name=_str(body.get("display_name")),
            avatar_url=_str(body.get("avatar")),
            profile_url=_str(body.get("url")),
        )
        self._identity = identity
        return identity

    # -- publish -----------------------------------------------------------------------

    def publish(
        self, *, text: str, idempotency_key: str, media: Iterable[MediaItem] = ()
    ) -> PublishResult:
        if not idempotency_key:
            raise ValueError("idempotency_key is required")
        media_ids = [
            ref.remote_id for ref in self.prepare_media(media, idempotency_key=idempotency_key)
        ]
        headers = {**self._auth(), "Idempotency-Key": idempotency_key}
        response = self._request(
            "POST",
            self._url("/api/v1/statuses"),
            write=True,
            headers=headers,
            json={
                "status": text,
                "visibility": "public",
                **({"media_ids": media_ids} if media_ids else {}),
            },
        )
        self._check(response, write=True, action="the post")
        body = self._json(response)
        if body is None or body.get("id") in (None, ""):
            raise OutcomeUnknown(
                f"{self.host} accepted the post but its answer had no status id; "
                "it will be checked on the platform.",
                platform=self.platform,
                http_status=response.status_code,
            )
        return PublishResult(
            remote_id=str(body["id"]),
            url=_str(body.get("url")) or _str(body.get("uri")),
            raw=body,
        )

    # -- lookup ------------------------------------------------------------------------

    def lookup(
        self, *, idempotency_key: str, text: str, since: datetime | None
    ) -> PublishResult | None:
        identity = self._identity or self.whoami()
        url = self._url(f"/api/v1/accounts/{identity.remote_id}/statuses")
        params: dict[str, object] = {"limit": LOOKUP_PAGE_SIZE, "exclude_reblogs": "true"}
        earliest = since - CLOCK_SKEW if since is not None else None
        for _page in range(LOOKUP_MAX_PAGES):
            response = self._request("GET", url, headers=self._auth(), params=params)
            self._check(response, write=False, action="the status lookup")
            try:
                statuses = response.json()
            except ValueError:
                statuses = None
            if not isinstance(statuses, list):
                raise PlatformError(
                    f"{self.host} answered the status lookup with something other than a list.",
                    platform=self.platform,
                )
            reached_earlier_posts = False
            for status in statuses:
                if not isinstance(status, dict) or status.get("id") in (None, ""):
                    continue
                created = parse_datetime(status.get("created_at"))
                if earliest is not None and created is not None and created < earliest:
                    reached_earlier_posts = True
                    continue
                if same_text(_str(status.get("content")), text):
                    return PublishResult(
                        remote_id=str(status["id"]),
                        url=_str(status.get("url")) or _str(status.get("uri")),
                        raw=status,
                    )
            if reached_earlier_posts or len(statuses) < LOOKUP_PAGE_SIZE:
                return None
            params["max_id"] = str(statuses[-1]["id"])
        return None

    # -- replies and moderation (the engagement inbox) ---------------------------------
    #
    # reply: ``POST /api/v1/statuses`` with ``in_reply_to_id`` (and the same Idempotency-Key
    # rule as a post; an unconfirmed reply is looked up like a post). Moderation:
    # ``POST /api/v1/reports`` {account_id, status_ids[], comment, category} (write:reports),
    # ``POST /api/v1/accounts/:id/block`` and ``/mute`` (write:blocks, write:mutes).

    supports_reply = True
    moderation_actions = ("report", "block", "mute")
    moderation_token_scopes = ("write:reports", "write:blocks", "write:mutes")

    def reply(
        self, *, text: str, idempotency_key: str, in_reply_to: str, root: str = ""
    ) -> PublishResult:
        """Answer the status ``in_reply_to`` (``root`` is not needed: Mastodon threads by
        the parent). Same errors as :meth:`publish`."""
        if not idempotency_key:
            raise ValueError("idempotency_key is required")
        _check_id(in_reply_to, platform=self.platform, what="status")
        response = self._request(
            "POST",
            self._url("/api/v1/statuses"),
            write=True,
            headers={**self._auth(), "Idempotency-Key": idempotency_key},
            json={"status": text, "visibility": "public", "in_reply_to_id": in_reply_to},
        )
        self._check(response, write=True, action="the reply")
        body = self._json(response)
        if body is None or body.get("id") in (None, ""):
            raise OutcomeUnknown(
                f"{self.host} accepted the reply but its answer had no status id; "
                "it will be checked on the platform.",
                platform=self.platform,
                http_status=response.status_code,
            )
        return PublishResult(
            remote_id=str(body["id"]),
            url=_str(body.get("url")) or _str(body.get("uri")),
            raw=body,
        )

    def report(self, *, account_id: str, status_ids: Iterable[str] = (), comment: str = "") -> dict:
        """File a report with the instance's moderators; returns ``{"id", ...}``."""
        _check_id(account_id, platform=self.platform, what="account")
        ids = [s for s in status_ids if s]
        for sid in ids:
            _check_id(sid, platform=self.platform, what="status")
        response = self._request(
            "POST",
            self._url("/api/v1/reports"),
            headers=self._auth(),
            json={
                "account_id": account_id,
                "status_ids": ids,
                "comment": comment[:1000],
                "category": "other",
                "forward": False,
            },
        )
        self._check(response, write=False, action="the report")
        body = self._json(response) or {}
        return {"id": _str(str(body.get("id") or "")), "category": _str(body.get("category"))}

    def _relationship(self, account_id: str, verb: str) -> dict:
        _check_id(account_id, platform=self.platform, what="account")
        response = self._request(
            "POST", self._url(f"/api/v1/accounts/{account_id}/{verb}"), headers=self._auth()
        )
        self._check(response, write=False, action=f"the {verb}")
        body = self._json(response) or {}
        return {"id": _str(str(body.get("id") or "")), verb + "ing": body.get(verb + "ing")}

    def block(self, *, account_id: str) -> dict:
        return self._relationship(account_id, "block")

    def mute(self, *, account_id: str) -> dict:
        return self._relationship(account_id, "mute")

    # -- limits ------------------------------------------------------------------------

    def instance_limits(self) -> dict:
        limits = {
            "max_characters": DEFAULT_MAX_CHARACTERS,
            "characters_reserved_per_url": CHARACTERS_RESERVED_PER_URL,
        }
        for path in ("/api/v2/instance", "/api/v1/instance"):
            response = self._request("GET", self._url(path))
            if response.status_code != 200:
                continue
            body = self._json(response) or {}
            statuses = (body.get("configuration") or {}).get("statuses") or {}
            max_chars = statuses.get("max_characters") or body.get("max_toot_chars")
            if isinstance(max_chars, int) and not isinstance(max_chars, bool) and max_chars > 0:
                limits["max_characters"] = max_chars
                per_url = statuses.get("characters_reserved_per_url")
                if isinstance(per_url, int) and not isinstance(per_url, bool) and per_url >= 0:
                    limits["characters_reserved_per_url"] = per_url
                return limits
        return limits

    # -- media: POST /api/v2/media, then GET /api/v1/media/:id until processed -----------

    #: The extra scope uploading needs (besides ``token_scopes``).
    media_token_scopes = ("write:media",)
    #: Mastodon's defaults: images up to 16 MB, video up to 99 MB (120 fps at most), 4
    #: attachments, one video and nothing else beside it; alt text in ``description``
    #: (1,500 characters).
    media_rules = MediaRules(
        image_types=("image/jpeg", "image/png", "image/gif", "image/webp"),
        video_types=("video/mp4", "video/webm", "video/quicktime"),
        max_image_bytes=16 * MB,
        max_video_bytes=99 * MB,
        max_items=4,
        max_videos=1,
        video_max_frame_rate=120,
        alt_text=True,
        video_alt_text=True,
        max_alt_text=1500,
    )

    def _upload_media_item(self, item: MediaItem, *, key: str) -> UploadedMedia:
        """``POST /api/v2/media`` (multipart ``file`` and ``description``): 200 when the
        file is ready, 202 (``url`` null) while the server still processes it."""
        data = {"description": item.alt_text} if item.alt_text else None
        response = self._request(
            "POST",
            self._url("/api/v2/media"),
            headers=self._auth(),
            data=data,
            files={"file": ("upload", item.read_bytes(), item.mime_type)},
        )
        self._check(response, write=False, action="the media upload")
        body = self._json(response) or {}
        if body.get("id") in (None, ""):
            raise PlatformError(f"{self.host} gave no media id.", platform=self.platform)
        ready = response.status_code == 200 and bool(body.get("url"))
        return self._uploaded(str(body["id"]), item, key=key, ready=ready)

    def _media_state(self, ref: UploadedMedia) -> tuple[str, str, float | None]:
        """``GET /api/v1/media/:id``: 206 while processing, 200 with a ``url`` when done;
        a 422 is a file the server could not process."""
        response = self._request(
            "GET", self._url(f"/api/v1/media/{ref.remote_id}"), headers=self._auth()
        )
        if response.status_code == 206:
            return "processing", "", None
        if response.status_code == 422:
            return "failed", self._error_text(response), None
        self._check(response, write=False, action="the media status")
        body = self._json(response) or {}
        return ("ready", "", None) if body.get("url") else ("processing", "", None)

    # -- metrics: GET /api/v1/statuses/:id, the account's followers_count ------------------

    def metrics(self, remote_id: str) -> PublicMetrics:
        """A status's public counts: ``favourites_count``, ``reblogs_count``,
        ``replies_count`` (Mastodon has no quotes). Raises PlatformError on anything odd."""
        if not isinstance(remote_id, str) or not re.fullmatch(r"[0-9A-Za-z_-]{1,64}", remote_id):
            raise PlatformError("Not a Mastodon status id.", platform=self.platform)
        response = self._request(
            "GET", self._url(f"/api/v1/statuses/{remote_id}"), headers=self._auth()
        )
        self._check(response, write=False, action="the status metrics")
        body = self._json(response)
        if body is None or str(body.get("id")) != remote_id:
            raise PlatformError(
                f"{self.host} answered with another status.", platform=self.platform
            )
        return PublicMetrics(
            likes=count_of(body, "favourites_count", platform=self.platform, required=True),
            reposts=count_of(body, "reblogs_count", platform=self.platform, required=True),
            replies=count_of(body, "replies_count", platform=self.platform, required=True),
        )

    def followers(self) -> int:
        """The account's ``followers_count`` (from ``verify_credentials``)."""
        response = self._request(
            "GET", self._url("/api/v1/accounts/verify_credentials"), headers=self._auth()
        )
        self._check(response, write=False, action="the follower count")
        return count_of(
            self._json(response) or {}, "followers_count", platform=self.platform, required=True
        )

    # -- the engagement inbox -------------------------------------------------------

    def _handle_of(self, account: dict) -> str:
        acct = _str(account.get("acct")) or _str(account.get("username"))
        acct = acct.lstrip("@")
        if not acct:
            return ""
        return f"@{acct}" if "@" in acct else f"@{acct}@{self.host}"

    def _message(self, status: dict, *, kind: str, own_remote_id: str = ""):
        account = status.get("account") if isinstance(status.get("account"), dict) else {}
        remote_id = id_of(status.get("id"))
        if not remote_id:
            return None
        in_reply_to = id_of(status.get("in_reply_to_id"))
        reply_account = id_of(status.get("in_reply_to_account_id"))
        if kind == "mention" and own_remote_id and reply_account == own_remote_id:
            kind = "reply"
        text = content_to_text(_str(status.get("content")))
        spoiler = _str(status.get("spoiler_text"))
        if spoiler:
            text = f"{spoiler}\n\n{text}"
        return RemoteMessage(
            remote_id=remote_id,
            kind=kind,
            text=text,
            author_remote_id=id_of(account.get("id")),
            author_handle=self._handle_of(account)[:255],
            author_display_name=_str(account.get("display_name"))[:255],
            created_at=parse_datetime(status.get("created_at")),
            url=_str(status.get("url")) or _str(status.get("uri")),
            in_reply_to=in_reply_to,
            in_reply_to_account=reply_account,
        )

    def _list(self, response, action: str) -> list:
        self._check(response, write=False, action=action)
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("statuses"), list):
            body = body["statuses"]
        if not isinstance(body, list):
            raise PlatformError(
                f"{self.host} answered {action} with something other than a list.",
                platform=self.platform,
            )
        return [item for item in body if isinstance(item, dict)]

    def notifications(self, *, own_remote_id: str, cursor: str = "", limit: int = 0):
        """Mentions of (and replies to) the account after ``cursor`` (a notification id;
        "" reads from the very first), oldest first; ``cursor`` of the page is the newest
        notification id in it."""
        limit = max(1, min(limit or NOTIFICATIONS_PAGE, NOTIFICATIONS_PAGE))
        params = [("types[]", "mention"), ("limit", str(limit)), ("min_id", cursor or "0")]
        response = self._request(
            "GET", self._url("/api/v1/notifications"), headers=self._auth(), params=params
        )
        rate = rate_limit_from(response)
        items = self._list(response, "the notifications")
        page = InboxPage(cursor=cursor, rate_limit=rate, seen=len(items))
        newest = cursor
        ordered = []
        for item in items:
            nid = id_of(item.get("id"))
            if not nid:
                continue
            if not newest or _id_key(nid) > _id_key(newest):
                newest = nid
            status = item.get("status")
            if item.get("type") != "mention" or not isinstance(status, dict):
                continue
            message = self._message(status, kind="mention", own_remote_id=own_remote_id)
            if message is not None:
                ordered.append((_id_key(nid), message))
        ordered.sort(key=lambda pair: pair[0])
        page.messages = [message for _key, message in ordered]
        page.cursor = newest or ""
        page.more = len(items) >= limit
        return page

    def thread(self, remote_id: str) -> list:
        """The posts around a status (its ancestors, then its descendants), oldest first."""
        if not isinstance(remote_id, str) or not re.fullmatch(r"[0-9A-Za-z_-]{1,64}", remote_id):
            raise PlatformError("Not a Mastodon status id.", platform=self.platform)
        response = self._request(
            "GET", self._url(f"/api/v1/statuses/{remote_id}/context"), headers=self._auth()
        )
        self._check(response, write=False, action="the thread")
        body = self._json(response) or {}
        out = []
        for key in ("ancestors", "descendants"):
            for status in body.get(key) or []:
                if isinstance(status, dict):
                    message = self._message(status, kind="reply")
                    if message is not None:
                        out.append(message)
        return out

    def search(self, *, query: str, cursor: str = "", limit: int = 0):
        """Listening: public statuses matching ``query`` after ``cursor`` (a status id), or
        the newest page when there is no cursor yet. A query starting with ``#`` reads the
        hashtag's timeline; anything else is a full-text search (where the instance has
        one; an instance without answers no statuses)."""
        limit = max(1, min(limit or SEARCH_PAGE, SEARCH_PAGE))
        params: list[tuple[str, str]] = [("limit", str(limit))]
        if cursor:
            params.append(("min_id", cursor))
        query = (query or "").strip()
        tag = _TAG.match(query) if query.startswith("#") else None
        if tag:
            url = self._url(f"/api/v1/timelines/tag/{tag.group(1)}")
        else:
            url = self._url("/api/v2/search")
            params += [("q", query), ("type", "statuses"), ("resolve", "false")]
        response = self._request("GET", url, headers=self._auth(), params=params)
        rate = rate_limit_from(response)
        statuses = self._list(response, "the search")
        newest = cursor
        messages = []
        for status in statuses:
            message = self._message(status, kind="listening")
            if message is None:
                continue
            if not newest or _id_key(message.remote_id) > _id_key(newest):
                newest = message.remote_id
            messages.append(message)
        messages.sort(key=lambda m: _id_key(m.remote_id))
        return InboxPage(
            messages=messages,
            cursor=id_of(newest),
            more=bool(cursor) and len(statuses) >= limit,
            rate_limit=rate,
            seen=len(statuses),
        )


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _check_id(value: object, *, platform: str, what: str) -> None:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9A-Za-z_-]{1,64}", value):
        raise PlatformError(f"Not a Mastodon {what} id.", platform=platform)
