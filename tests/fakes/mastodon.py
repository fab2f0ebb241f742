"""A fake Mastodon instance following the documented REST API (docs.joinmastodon.org).

Serves:
- ``GET  /api/v1/accounts/verify_credentials`` (Bearer token)
- ``POST /api/v1/statuses`` (JSON or form ``status``, ``visibility``) with
  ``Idempotency-Key``: the same key from the same account within ``idempotency_ttl``
  (one hour, like Mastodon) answers the status already made instead of making another;
  422 ``{"error": "Validation failed: ..."}`` for an empty or over-long status (Mastodon's
  counting: URLs count 23)
- ``GET  /api/v1/statuses/:id``, ``GET /api/v1/accounts/:id``,
  ``GET  /api/v1/accounts/:id/statuses`` (newest first; ``limit`` <= 40, ``max_id``,
  ``since_id``, ``min_id``)
- ``GET  /api/v2/instance`` (unless ``v2_instance=False``) and ``/api/v1/instance`` with
  ``configuration.statuses.max_characters``
- 401 ``{"error": "The access token is invalid"}`` for unknown tokens.

Status ids are numeric strings, ``url`` is ``{base}/@{username}/{id}`` and ``content`` is
HTML (``<p>`` paragraphs, ``<br />``, links/mentions/hashtags marked up like Mastodon does).

- ``POST /api/v2/media`` (multipart ``file``, ``description``): 200 for an image, 202 with
  ``url: null`` for a video, then ``GET /api/v1/media/:id`` answers 206 until processed
  (``media_processing_polls`` reads) and 200 with the ``url``, or 422 with ``media_fail``;
  ``media_ids`` on a status must be this account's and processed (422 "Cannot attach files
  that have not finished processing").

Mentions, threads, search and rate-limit headers: see inbox.py.

Control (besides base.py's): ``POST /_fake/tokens {"token", "account_id", "username",
"display_name"?, "avatar"?}``; ``POST /_fake/config {"max_characters", "idempotency_ttl",
"v2_instance", "media_processing_polls", "media_fail", "latency"}``.

Run alone: ``python -m tests.fakes.mastodon --port 8765 --token TOKEN=ACCOUNT_ID:username``.
"""

from __future__ import annotations

import html
import itertools
import re
import time
from datetime import UTC, datetime
from urllib.parse import parse_qs

from .base import FakeServer, Request, Response, json_response, run_cli, split_pair
from .inbox import MastodonInbox
from .moderation import MastodonModeration
from .text import mastodon_length

INVALID_TOKEN = {"error": "The access token is invalid"}
NOT_FOUND = {"error": "Record not found"}
VISIBILITIES = ("public", "unlisted", "private", "direct")
_TOKEN_RE = re.compile(
    r"(?P<url>https?://[^\s<>\"]+)"
    r"|(?P<mention>(?<![\w/@])@(?P<user>\w+)(?:@(?P<domain>[\w.-]*\w))?)"
    r"|(?P<tag>(?<![\w&/#])#(?P<name>\w+))"
)


def _iso(ts: float) -> str:
    moment = datetime.fromtimestamp(ts, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class FakeMastodon(MastodonInbox, MastodonModeration, FakeServer):
    name = "mastodon"

    def __init__(
        self,
        *,
        tokens: dict | None = None,
        max_characters: int = 500,
        idempotency_ttl: float = 3600.0,
        v2_instance: bool = True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.max_characters = max_characters
        self.idempotency_ttl = idempotency_ttl
        self.v2_instance = v2_instance
        self.accounts: dict[str, dict] = {}
        self.tokens: dict[str, str] = {}
        self._statuses: dict[str, dict] = {}  # id -> {"status", "text", "key", ...}
        self._idempotency: dict[tuple[str, str], tuple[str, float]] = {}
        self._counts: dict[str, int] = {}
        self._ids = itertools.count(110_000_000_000_000_001)
        self._media: dict[str, dict] = {}
        self._moderation_init()  # reports, blocks, mutes (moderation.py)
        self.media_processing_polls = 2  # GET /api/v1/media/:id answers 206 until then
        self.media_fail = ""  # when set, processing fails with this error
        # Public metrics per status id and followers per account id (POST /_fake/metrics).
        self.status_metrics: dict[str, dict] = {}
        self.followers: dict[str, int] = {}
        self._inbox_init()  # mentions, threads, search, rate limits (inbox.py)
        for token, spec in (tokens or {}).items():
            self.add_token(_token_spec(token, spec))

    # -- state -------------------------------------------------------------------------

    def add_token(self, payload: dict) -> dict:
        token = str(payload["token"])
        account_id = str(payload["account_id"])
        username = str(payload.get("username") or f"user{account_id}")
        with self.lock:
            account = self.accounts.get(account_id, {})
            account.update(
                {
                    "id": account_id,
                    "username": username,
                    "display_name": payload.get("display_name", account.get("display_name"))
                    or username.title(),
                    "avatar": payload.get("avatar", account.get("avatar"))
                    or f"/avatars/{username}.png",
                    "created_at": account.get("created_at") or _iso(time.time()),
                }
            )
            self.accounts[account_id] = account
            self.tokens[token] = account_id
        return {"account_id": account_id, "username": username}

    def reset_state(self) -> None:
        self._moderation_reset()
        self._inbox_reset()
        self._media.clear()
        self._statuses.clear()
        self._idempotency.clear()
        self._counts.clear()

    def configure(self, **settings) -> dict:
        with self.lock:
            if "max_characters" in settings:
                self.max_characters = int(settings.pop("max_characters"))
            if "idempotency_ttl" in settings:
                self.idempotency_ttl = float(settings.pop("idempotency_ttl"))
            if "v2_instance" in settings:
                self.v2_instance = bool(settings.pop("v2_instance"))
            if "media_processing_polls" in settings:
                self.media_processing_polls = int(settings.pop("media_processing_polls"))
            if "media_fail" in settings:
                self.media_fail = str(settings.pop("media_fail"))
            rates = self._rate_settings(settings)
            result = {
                **rates,
                "max_characters": self.max_characters,
                "idempotency_ttl": self.idempotency_ttl,
                "v2_instance": self.v2_instance,
            }
        return {**result, **super().configure(**settings)}

    def posts(self) -> list[dict]:
        with self.lock:
            return [
                {
                    **self._status_json(record),
                    "text": record["text"],
                    "idempotency_key": record["key"],
                }
                for record in self._statuses.values()
            ]

    def set_metrics(self, *, statuses: dict | None = None, followers: dict | None = None) -> dict:
        """Public counts to answer with: ``statuses`` {status id: {"favourites_count": n,
        ...}} (any field of a status, so a test can also send garbage), ``followers``
        {account id: n} (also the control endpoint ``POST /_fake/metrics``)."""
        with self.lock:
            for sid, counts in (statuses or {}).items():
                if not isinstance(counts, dict):
                    raise ValueError("metrics of a status are an object")
                self.status_metrics.setdefault(str(sid), {}).update(counts)
            for account_id, count in (followers or {}).items():
                self.followers[str(account_id)] = count
            return {"statuses": len(self.status_metrics), "followers": dict(self.followers)}

    def control(self, request: Request, action: str) -> Response | None:
        inbox = self._inbox_control(request, action)
        if inbox is not None:
            return inbox
        if action == "metrics" and request.method == "POST":
            payload = request.json()
            if not isinstance(payload, dict):
                raise ValueError("expected a JSON object")
            return json_response(
                200,
                self.set_metrics(
                    statuses=payload.get("statuses"), followers=payload.get("followers")
                ),
            )
        return None

    # -- rendering ---------------------------------------------------------------------

    def _account_json(self, account_id: str) -> dict:
        account = self.accounts[account_id]
        username = account["username"]
        avatar = account["avatar"]
        if avatar.startswith("/"):
            avatar = self.url + avatar
        return {
            "id": account_id,
            "username": username,
            "acct": username,
            "display_name": account["display_name"],
            "locked": False,
            "bot": False,
            "discoverable": True,
            "group": False,
            "created_at": account["created_at"],
            "note": "",
            "url": f"{self.url}/@{username}",
            "uri": f"{self.url}/users/{username}",
            "avatar": avatar,
            "avatar_static": avatar,
            "header": f"{self.url}/headers/original/missing.png",
            "header_static": f"{self.url}/headers/original/missing.png",
            "followers_count": self.followers.get(account_id, 0),
            "following_count": 0,
            "statuses_count": self._counts.get(account_id, 0),
            "last_status_at": None,
            "emojis": [],
            "fields": [],
        }

    def _linkify(self, line: str) -> str:
        out, pos = [], 0
        for match in _TOKEN_RE.finditer(line):
            out.append(html.escape(line[pos : match.start()], quote=False))
            pos = match.end()
            if match.group("url"):
                url = match.group("url")
                scheme, _, rest = url.partition("://")
                out.append(
                    f'<a href="{html.escape(url)}" target="_blank" rel="nofollow noopener" '
                    f'translate="no"><span class="invisible">{scheme}://</span>'
                    f'<span class="">{html.escape(rest, quote=False)}</span>'
                    '<span class="invisible"></span></a>'
                )
            elif match.group("mention"):
                user, domain = match.group("user"), match.group("domain")
                href = f"https://{domain}/@{user}" if domain else f"{self.url}/@{user}"
                out.append(
                    f'<span class="h-card" translate="no"><a href="{html.escape(href)}" '
                    f'class="u-url mention">@<span>{html.escape(user)}</span></a></span>'
                )
            else:
                name = match.group("name")
                out.append(
                    f'<a href="{self.url}/tags/{html.escape(name.lower())}" '
                    f'class="mention hashtag" rel="tag">#<span>{html.escape(name)}</span></a>'
                )
        out.append(html.escape(line[pos:], quote=False))
        return "".join(out)

    def _content_html(self, text: str) -> str:
        text = text.replace("\r\n", "\n").strip()
        paragraphs = re.split(r"\n{2,}", text)
        return "".join(
            "<p>" + "<br />".join(self._linkify(line) for line in p.split("\n")) + "</p>"
            for p in paragraphs
        )

    def _status_json(self, record: dict) -> dict:
        sid, account = record["id"], self.accounts[record["account_id"]]
        username = account["username"]
        return {
            "id": sid,
            "created_at": _iso(record["created"]),
            "in_reply_to_id": record.get("in_reply_to_id"),
            "in_reply_to_account_id": record.get("in_reply_to_account_id"),
            "sensitive": False,
            "spoiler_text": "",
            "visibility": record["visibility"],
            "language": "en",
            "uri": f"{self.url}/users/{username}/statuses/{sid}",
            "url": f"{self.url}/@{username}/{sid}",
            "replies_count": 0,
            "reblogs_count": 0,
            "favourites_count": 0,
            **self.status_metrics.get(sid, {}),
            "edited_at": None,
            "content": self._content_html(record["text"]),
            "reblog": None,
            "application": {"name": "Countersign", "website": None},
            "account": self._account_json(record["account_id"]),
            "media_attachments": [
                self._media_json(self._media[m]) for m in record.get("media_ids", [])
            ],
            "mentions": [],
            "tags": [],
            "emojis": [],
            "card": None,
            "poll": None,
        }

    # -- API ---------------------------------------------------------------------------

    def is_write(self, request: Request) -> bool:
        return request.method == "POST" and request.path == "/api/v1/statuses"

    def _account_for(self, request: Request) -> str | None:
        token = request.bearer()
        with self.lock:
            return self.tokens.get(token) if token else None

    def handle(self, request: Request) -> Response:
        return self._with_rate_headers(request, lambda: self._handle(request))

    def _handle(self, request: Request) -> Response:
        path, method = request.path.rstrip("/") or "/", request.method
        if method == "GET" and path == "/api/v1/notifications":
            return self._notifications_route(request)
        if method == "GET" and path == "/api/v2/search":
            return self._search_route(request)
        match = re.fullmatch(r"/api/v1/timelines/tag/(\w+)", path)
        if match and method == "GET":
            return self._tag_route(request, match.group(1))
        match = re.fullmatch(r"/api/v1/statuses/(\d+)/context", path)
        if match and method == "GET":
            return self._context_route(match.group(1))
        if path == "/api/v1/accounts/verify_credentials" and method == "GET":
            account_id = self._account_for(request)
            if account_id is None:
                return json_response(401, INVALID_TOKEN)
            with self.lock:
                body = self._account_json(account_id)
            body["source"] = {"privacy": "public", "sensitive": False, "language": "en"}
            return json_response(200, body)
        if path == "/api/v1/statuses" and method == "POST":
            return self._create_status(request)
        if path.startswith(("/api/v2/media", "/api/v1/media")):
            return self._media_route(request, path, method)
        if path in ("/api/v2/instance", "/api/v1/instance") and method == "GET":
            if path == "/api/v2/instance" and not self.v2_instance:
                return json_response(404, {"error": "Not Found"})
            return json_response(200, self._instance_json(v2=path.startswith("/api/v2")))
        match = re.fullmatch(r"/api/v1/statuses/(\d+)", path)
        if match and method == "GET":
            with self.lock:
                record = self._statuses.get(match.group(1))
                body = self._status_json(record) if record else None
            return json_response(200, body) if body else json_response(404, NOT_FOUND)
        match = re.fullmatch(r"/api/v1/accounts/([^/]+)(/statuses)?", path)
        if match and method == "GET":
            if request.bearer() is not None and self._account_for(request) is None:
                return json_response(401, INVALID_TOKEN)
            account_id = match.group(1)
            with self.lock:
                if account_id not in self.accounts:
                    return json_response(404, NOT_FOUND)
                if not match.group(2):
                    return json_response(200, self._account_json(account_id))
                return json_response(200, self._account_statuses(account_id, request))
        moderation = self._moderation_route(request, path, method)
        if moderation is not None:
            return moderation
        return json_response(404, {"error": "Not Found"})

    def _instance_json(self, *, v2: bool) -> dict:
        host = self.url.split("://", 1)[1]
        statuses = {
            "max_characters": self.max_characters,
            "max_media_attachments": 4,
            "characters_reserved_per_url": 23,
        }
        common = {"title": "Fake Mastodon", "version": "4.3.0", "description": "A test fake."}
        if v2:
            return {**common, "domain": host, "configuration": {"statuses": statuses}}
        return {**common, "uri": host, "configuration": {"statuses": statuses}}

    def _params(self, request: Request) -> dict:
        content_type = (request.headers.get("Content-Type") or "").split(";")[0].strip()
        if content_type == "application/json":
            body = request.json()
            if not isinstance(body, dict):
                raise ValueError("body is not an object")
            return body
        form = parse_qs(request.body.decode("utf-8"), keep_blank_values=True)
        return {key: values[-1] for key, values in form.items()}

    def _create_status(self, request: Request) -> Response:
        account_id = self._account_for(request)
        if account_id is None:
            return json_response(401, INVALID_TOKEN)
        try:
            params = self._params(request)
        except (ValueError, UnicodeDecodeError):
            return json_response(400, {"error": "Invalid request body"})
        text = params.get("status")
        text = text if isinstance(text, str) else ""
        visibility = params.get("visibility") or "public"
        key = request.headers.get("Idempotency-Key") or ""
        now = time.time()
        with self.lock:
            if key:
                seen = self._idempotency.get((account_id, key))
                if seen and now - seen[1] < self.idempotency_ttl and seen[0] in self._statuses:
                    return json_response(200, self._status_json(self._statuses[seen[0]]))
            parent = None
            if params.get("in_reply_to_id") not in (None, ""):
                parent = self._statuses.get(str(params["in_reply_to_id"]))
                if parent is None:
                    return json_response(404, {"error": "Record not found"})
            media_ids, problem = self._attachable(params.get("media_ids"), account_id)
            if problem:
                return problem
            if not text.strip() and not media_ids:
                return json_response(422, {"error": "Validation failed: Text can't be blank"})
            if mastodon_length(text) > self.max_characters:
                return json_response(
                    422,
                    {
                        "error": "Validation failed: Text character limit of "
                        f"{self.max_characters} exceeded"
                    },
                )
            if visibility not in VISIBILITIES:
                return json_response(422, {"error": "Validation failed: Visibility is invalid"})
            sid = str(next(self._ids))
            record = {
                "id": sid,
                "account_id": account_id,
                "text": text,
                "visibility": visibility,
                "created": now,
                "key": key,
                "media_ids": media_ids,
                "in_reply_to_id": parent["id"] if parent else None,
                "in_reply_to_account_id": parent["account_id"] if parent else None,
            }
            self._statuses[sid] = record
            if parent is not None:  # the thread's context lists it (inbox.py)
                self._replies.setdefault(parent["id"], []).append(sid)
            self._counts[account_id] = self._counts.get(account_id, 0) + 1
            if key:
                self._idempotency[(account_id, key)] = (sid, now)
            return json_response(200, self._status_json(record))

    # -- media (POST /api/v2/media, GET /api/v1/media/:id) -------------------------------

    def _media_store(self) -> dict[str, dict]:
        return self._media

    def _media_json(self, item: dict) -> dict:
        done = item["state"] == "done"
        kind = "video" if item["type"].startswith("video/") else "image"
        return {
            "id": item["id"],
            "type": "gifv" if item["type"] == "image/gif" else kind,
            "url": f"{self.url}/system/media/{item['id']}" if done else None,
            "preview_url": f"{self.url}/system/media/{item['id']}/small",
            "description": item["description"] or None,
            "meta": {},
        }

    def _media_route(self, request: Request, path: str, method: str) -> Response:
        from .forms import form_fields

        account_id = self._account_for(request)
        if account_id is None:
            return json_response(401, INVALID_TOKEN)
        store = self._media_store()
        if path == "/api/v2/media" and method == "POST":
            fields = form_fields(request)
            upload = fields.get("file")
            if not isinstance(upload, bytes) or not upload:
                return json_response(422, {"error": "Validation failed: File can't be blank"})
            content_type = "video/mp4" if upload[4:8] == b"ftyp" else "image/png"
            with self.lock:
                mid = str(next(self._ids))
                processing = content_type.startswith("video/")
                store[mid] = {
                    "id": mid,
                    "account": account_id,
                    "type": content_type,
                    "size": len(upload),
                    "description": str(fields.get("description") or ""),
                    "state": "processing" if processing else "done",
                    "polls": 0,
                }
                return json_response(202 if processing else 200, self._media_json(store[mid]))
        match = re.fullmatch(r"/api/v1/media/(\d+)", path)
        if match and method == "GET":
            with self.lock:
                item = store.get(match.group(1))
                if item is None or item["account"] != account_id:
                    return json_response(404, NOT_FOUND)
                if item["state"] == "processing":
                    item["polls"] += 1
                    if self.media_fail:
                        item["state"] = "failed"
                    elif item["polls"] >= self.media_processing_polls:
                        item["state"] = "done"
                if item["state"] == "failed":
                    return json_response(422, {"error": self.media_fail})
                status = 200 if item["state"] == "done" else 206
                return json_response(status, self._media_json(item))
        return json_response(404, {"error": "Not Found"})

    def _attachable(self, media_ids, account_id: str):
        """The status's ``media_ids``, or a 422 like Mastodon's."""
        if not media_ids:
            return [], None
        ids = [str(m) for m in (media_ids if isinstance(media_ids, list) else [media_ids])]
        store = self._media_store()
        for mid in ids:
            item = store.get(mid)
            if item is None or item["account"] != account_id:
                return [], json_response(422, {"error": "Validation failed: media is invalid"})
            if item["state"] != "done":
                return [], json_response(
                    422,
                    {
                        "error": "Cannot attach files that have not finished processing. "
                        "Try again in a moment!"
                    },
                )
        if len(ids) > 4:
            return [], json_response(422, {"error": "Validation failed: too many attachments"})
        return ids, None

    def _account_statuses(self, account_id: str, request: Request) -> list[dict]:
        try:
            limit = max(1, min(40, int(request.arg("limit", "20") or 20)))
        except ValueError:
            limit = 20
        bounds = {}
        for name in ("max_id", "since_id", "min_id"):
            value = request.arg(name)
            if value and value.isdigit():
                bounds[name] = int(value)
        records = [r for r in self._statuses.values() if r["account_id"] == account_id]
        records.sort(key=lambda r: int(r["id"]), reverse=True)
        if "max_id" in bounds:
            records = [r for r in records if int(r["id"]) < bounds["max_id"]]
        if "since_id" in bounds:
            records = [r for r in records if int(r["id"]) > bounds["since_id"]]
        if "min_id" in bounds:  # the page just after min_id, still newest first
            records = [r for r in records if int(r["id"]) > bounds["min_id"]][-limit:]
        return [self._status_json(r) for r in records[:limit]]


def _token_spec(token: str, spec) -> dict:
    if isinstance(spec, dict):
        return {"token": token, **spec}
    if isinstance(spec, tuple | list):
        account_id, username = spec
        return {"token": token, "account_id": account_id, "username": username}
    account_id, _, username = str(spec).partition(":")
    return {"token": token, "account_id": account_id, "username": username or None}


def main(argv=None) -> None:
    def add_arguments(parser):
        parser.add_argument(
            "--token",
            action="append",
            default=[],
            metavar="TOKEN=ACCOUNT_ID:USERNAME",
            help="an access token and the account it authenticates (repeatable)",
        )
        parser.add_argument("--max-characters", type=int, default=500)
        parser.add_argument("--idempotency-ttl", type=float, default=3600.0)
        parser.add_argument("--no-v2-instance", action="store_true")

    def build(args):
        tokens = dict(split_pair(value) for value in args.token)
        return FakeMastodon(
            tokens=tokens,
            max_characters=args.max_characters,
            idempotency_ttl=args.idempotency_ttl,
            v2_instance=not args.no_v2_instance,
        )

    run_cli("Fake Mastodon instance for tests.", build, add_arguments, argv)


if __name__ == "__main__":
    main()
