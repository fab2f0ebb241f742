"""A fake X API v2 following docs.x.com.

Serves:
- OAuth 2.0 with PKCE: ``GET/POST /i/oauth2/authorize`` (consent page) and
  ``POST /2/oauth2/token`` (authorization_code, rotating refresh_token; confidential clients
  by HTTP Basic), see ``oauth.py``.
- ``GET /2/users/me`` -> ``{"data": {"id", "name", "username", "profile_image_url"}}``
- ``POST /2/tweets`` ``{"text", "media": {"media_ids"}}`` -> 201 ``{"data": {"id", "text",
  "edit_history_tweet_ids"}}``; over 280 characters -> 400; the same text from the same
  account within ``duplicate_window`` -> 403 "You are not allowed to create a Tweet with
  duplicate content."; media ids that are unknown, another account's, or not processed ->
  400 "Your media IDs are invalid."
- ``GET /2/users/:id/tweets`` (newest first, ``start_time``, ``max_results``; links come back
  as ``https://t.co/...`` like X shortens them)
- ``POST /2/media/upload`` multipart ``command=INIT|APPEND|FINALIZE`` and
  ``GET /2/media/upload?command=STATUS&media_id=``: video and GIF uploads are processed
  asynchronously, ``pending`` -> ``in_progress`` -> ``succeeded`` over ``processing_polls``
  STATUS calls (``check_after_secs`` given), or ``failed`` with ``{"code": 1, "name":
  "InvalidMedia", "message": ...}`` when ``fail_processing`` is set.
- ``POST /2/media/metadata`` ``{"id", "metadata": {"alt_text": {"text"}}}``
- the inbox: ``POST /2/tweets`` also takes ``{"reply": {"in_reply_to_tweet_id"}}`` (an
  unknown parent -> 400); ``GET /2/users/:id/mentions`` (newest first; ``since_id``,
  ``until_id``, ``max_results`` 5-100 else 400, ``pagination_token`` from
  ``meta.next_token``; ``tweet.fields``, ``expansions=author_id`` -> ``includes.users``
  with ``user.fields``); a post mentions an account when its text has ``@username`` or it
  answers one of the account's posts. Replies are shown, as X does, with the ``@username``
  they answer in front of the text. ``POST /2/users/:id/muting`` ``{"target_user_id"}`` ->
  ``{"data": {"muting": true}}``; ``POST /2/users/:id/blocking`` answers 403 (an Enterprise
  endpoint) unless ``blocking`` is configured on; ``:id`` must be the caller.

Errors are problem JSON (``{"title", "detail", "type", "status"}``), 401 for a missing,
unknown or expired token. Every API answer carries ``x-rate-limit-limit``,
``x-rate-limit-remaining`` and ``x-rate-limit-reset``; ``rate_limits`` (path -> requests per
15-minute window) makes the fake answer 429 once used up.

Control (besides base.py's and oauth.py's): ``POST /_fake/config {"processing_polls",
"fail_processing", "duplicate_window", "rate_limits", "blocking", "auto_approve",
"latency"}``; ``add_inbound(to=, author={"id", "username", "name"}, text=, reply_to=)`` has
someone write to an account.
"""

from __future__ import annotations

import itertools
import re
import secrets
import time
from datetime import UTC, datetime

from .base import FakeServer, Request, Response, json_response
from .forms import form_fields
from .oauth import OAuthFake, oauth_cli

_URL = re.compile(r"https?://\S+")
WINDOW = 900


def problem(status: int, title: str, detail: str, type_: str = "about:blank") -> Response:
    return json_response(
        status, {"title": title, "detail": detail, "type": type_, "status": status}
    )


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class FakeX(OAuthFake, FakeServer):
    name = "x"
    authorize_path = "/i/oauth2/authorize"
    token_path = "/2/oauth2/token"
    access_ttl = 7200.0

    def __init__(self, *, processing_polls: int = 2, **kwargs):
        super().__init__(**kwargs)
        self._init_oauth()
        self.processing_polls = processing_polls
        self.fail_processing = ""
        self.duplicate_window = 3600.0
        self.rate_limits: dict[str, int] = {}
        self.blocking = False
        self._people: dict[str, dict] = {}  # authors who are not accounts of the fake
        self._relations: list[dict] = []  # mutes and blocks, in order
        self._usage: dict[tuple[str, str], list[float]] = {}
        self._tweets: dict[str, dict] = {}
        self._media: dict[str, dict] = {}
        self._ids = itertools.count(1_860_000_000_000_000_001)

    # -- state -------------------------------------------------------------------------

    def reset_state(self) -> None:
        self._tweets.clear()
        self._media.clear()
        self._usage.clear()
        self._people.clear()
        self._relations.clear()

    def configure(self, **settings) -> dict:
        with self.lock:
            for name in (
                "processing_polls",
                "fail_processing",
                "duplicate_window",
                "rate_limits",
                "blocking",
            ):
                if name in settings:
                    setattr(self, name, settings.pop(name))
            if "auto_approve" in settings:
                self.auto_approve = settings.pop("auto_approve")
        return super().configure(**settings)

    def control(self, request: Request, action: str) -> Response | None:
        return self.oauth_control(request, action)

    def posts(self) -> list[dict]:
        with self.lock:
            return [
                {
                    **tweet,
                    "media": [
                        {
                            "media_id": m,
                            "alt_text": self._media[m].get("alt_text", ""),
                            "type": self._media[m]["type"],
                            "size": self._media[m]["size"],
                        }
                        for m in tweet["media_ids"]
                    ],
                }
                for tweet in self._tweets.values()
            ]

    def relations(self) -> list[dict]:
        """Mutes and blocks made: ``{"kind", "source", "target"}``."""
        with self.lock:
            return [dict(r) for r in self._relations]

    def add_inbound(self, *, to: str, author: dict, text: str, reply_to: str | None = None) -> dict:
        """``author`` (``{"id", "username", "name"?}``) writes ``text``: to the account
        ``to`` (an id) as a mention, or as a reply to the post ``reply_to``."""
        person = {
            "id": str(author["id"]),
            "username": author["username"],
            "name": author.get("name") or author["username"].title(),
        }
        with self.lock:
            owner = self.accounts.get(str(to)) or {}
            if not reply_to and owner and f"@{owner['username']}".lower() not in text.lower():
                text = f"@{owner['username']} {text}"
            self._people[person["id"]] = person
            return dict(self._store(person["id"], text, [], reply_to, time.time()))

    def _store(self, author_id: str, text: str, media_ids, reply_to, now: float) -> dict:
        tid = str(next(self._ids))
        parent = self._tweets.get(str(reply_to)) if reply_to else None
        self._tweets[tid] = {
            "id": tid,
            "author_id": author_id,
            "text": text,
            "media_ids": [str(m) for m in media_ids],
            "created": now,
            "in_reply_to_id": parent["id"] if parent else "",
            "in_reply_to_user_id": parent["author_id"] if parent else "",
            "conversation_id": parent["conversation_id"] if parent else tid,
        }
        return self._tweets[tid]

    def _user(self, user_id: str) -> dict:
        return self.accounts.get(user_id) or self._people.get(user_id) or {}

    def _shown(self, tweet: dict, fields: set[str]) -> dict:
        """A post as the API shows it, with the ``tweet.fields`` asked for."""
        text = _URL.sub(lambda m: "https://t.co/" + secrets.token_hex(5), tweet["text"])
        if tweet["in_reply_to_id"]:
            answered = self._user(tweet["in_reply_to_user_id"]).get("username", "")
            if answered and not text.lower().startswith(f"@{answered.lower()}"):
                text = f"@{answered} {text}"
        shown = {"id": tweet["id"], "text": text, "edit_history_tweet_ids": [tweet["id"]]}
        extra = {
            "created_at": _iso(tweet["created"]),
            "author_id": tweet["author_id"],
            "conversation_id": tweet["conversation_id"],
        }
        if tweet["in_reply_to_id"]:
            extra["in_reply_to_user_id"] = tweet["in_reply_to_user_id"]
            extra["referenced_tweets"] = [{"type": "replied_to", "id": tweet["in_reply_to_id"]}]
        shown.update({k: v for k, v in extra.items() if k in fields})
        return shown

    def media(self) -> list[dict]:
        with self.lock:
            return [dict(m, chunks=len(m["chunks"])) for m in self._media.values()]

    def is_write(self, request: Request) -> bool:
        return request.method == "POST" and request.path == "/2/tweets"

    # -- API ---------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        oauth = self.handle_oauth(request)
        if oauth is not None:
            return oauth
        account = self.account_for(request)
        if account is None:
            return problem(401, "Unauthorized", "Unauthorized")
        limited = self._rate_limit(account["id"], request.path)
        if isinstance(limited, Response):
            return limited
        response = self._route(request, account)
        response.headers.update(limited)
        return response

    def _rate_limit(self, account_id: str, path: str):
        key = re.sub(r"/\d{4,}", "/:id", path)
        limit = int(self.rate_limits.get(key, 0) or 0)
        now = time.time()
        with self.lock:
            used = [t for t in self._usage.get((account_id, key), []) if t > now - WINDOW]
            reset = int((used[0] if used else now) + WINDOW)
            if limit and len(used) >= limit:
                response = problem(429, "Too Many Requests", "Too Many Requests")
                response.headers.update(
                    {
                        "x-rate-limit-limit": str(limit),
                        "x-rate-limit-remaining": "0",
                        "x-rate-limit-reset": str(reset),
                    }
                )
                return response
            used.append(now)
            self._usage[(account_id, key)] = used
        shown = limit or 900
        return {
            "x-rate-limit-limit": str(shown),
            "x-rate-limit-remaining": str(max(0, shown - len(used))),
            "x-rate-limit-reset": str(reset),
        }

    def _route(self, request: Request, account: dict) -> Response:
        path, method = request.path, request.method
        if path == "/2/users/me" and method == "GET":
            return json_response(
                200,
                {
                    "data": {
                        "id": account["id"],
                        "name": account["name"],
                        "username": account["username"],
                        "profile_image_url": f"{self.url}/profile_images/{account['id']}.jpg",
                    }
                },
            )
        if path == "/2/tweets" and method == "POST":
            return self._create_tweet(request, account)
        match = re.fullmatch(r"/2/users/(\d+)/tweets", path)
        if match and method == "GET":
            return self._timeline(request, match.group(1))
        match = re.fullmatch(r"/2/users/(\d+)/mentions", path)
        if match and method == "GET":
            return self._mentions(request, match.group(1))
        match = re.fullmatch(r"/2/users/(\d+)/(muting|blocking)", path)
        if match and method == "POST":
            return self._relate(request, account, match.group(1), match.group(2))
        if path == "/2/media/upload":
            if method == "GET" and request.arg("command") == "STATUS":
                return self._status(request.arg("media_id") or "", account)
            if method == "POST":
                return self._upload(request, account)
        if path == "/2/media/metadata" and method == "POST":
            return self._metadata(request, account)
        return problem(404, "Not Found Error", f"Could not find {path}")

    def _create_tweet(self, request: Request, account: dict) -> Response:
        try:
            body = request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return problem(400, "Invalid Request", "The request body is not JSON.")
        text = body.get("text")
        media_ids = ((body.get("media") or {}).get("media_ids")) or []
        reply = body.get("reply")
        reply_to = reply.get("in_reply_to_tweet_id") if isinstance(reply, dict) else None
        if reply is not None and (not isinstance(reply_to, str) or reply_to not in self._tweets):
            return problem(
                400,
                "Invalid Request",
                "The post you are replying to has been deleted or is not visible to you.",
            )
        if not isinstance(text, str) or (not text.strip() and not media_ids):
            return problem(
                400, "Invalid Request", "One or more parameters to your request was invalid."
            )
        if len(_URL.sub("x" * 23, text)) > 280:
            return problem(400, "Invalid Request", "Your Tweet text is too long.")
        now = time.time()
        with self.lock:
            for mid in media_ids:
                item = self._media.get(str(mid))
                if item is None or item["account"] != account["id"] or item["state"] != "succeeded":
                    return json_response(
                        400,
                        {
                            "errors": [{"message": "Your media IDs are invalid."}],
                            "title": "Invalid Request",
                            "detail": "One or more parameters to your request was invalid.",
                            "type": "https://api.twitter.com/2/problems/invalid-request",
                        },
                    )
            for tweet in self._tweets.values():
                if (
                    tweet["author_id"] == account["id"]
                    and tweet["text"] == text
                    and now - tweet["created"] < float(self.duplicate_window)
                ):
                    return problem(
                        403,
                        "Forbidden",
                        "You are not allowed to create a Tweet with duplicate content.",
                    )
            tid = self._store(account["id"], text, media_ids, reply_to, now)["id"]
        return json_response(
            201, {"data": {"id": tid, "text": text, "edit_history_tweet_ids": [tid]}}
        )

    def _timeline(self, request: Request, user_id: str) -> Response:
        start = request.arg("start_time")
        start_ts = (
            datetime.fromisoformat(start.replace("Z", "+00:00")).timestamp() if start else 0.0
        )
        limit = int(request.arg("max_results") or 10)
        excluded = set((request.arg("exclude") or "").split(","))
        fields = set((request.arg("tweet.fields") or "created_at").split(",")) | {"created_at"}
        with self.lock:
            tweets = sorted(
                (
                    t
                    for t in self._tweets.values()
                    if t["author_id"] == user_id
                    and t["created"] >= start_ts
                    and not ("replies" in excluded and t["in_reply_to_id"])
                ),
                key=lambda t: t["created"],
                reverse=True,
            )[:limit]
            data = [self._shown(t, fields) for t in tweets]
        body: dict = {"meta": {"result_count": len(data)}}
        if data:
            body["data"] = data
        return json_response(200, body)

    def _mentions(self, request: Request, user_id: str) -> Response:
        raw = request.arg("max_results") or "10"
        if not raw.isdigit() or not 5 <= int(raw) <= 100:
            return problem(
                400,
                "Invalid Request",
                "The `max_results` query parameter value is not between 5 and 100",
            )
        limit = int(raw)
        since = request.arg("since_id") or ""
        until = request.arg("until_id") or ""
        token = request.arg("pagination_token") or ""
        if token and not re.fullmatch(r"p\d+", token):
            return problem(400, "Invalid Request", "The `pagination_token` is invalid.")
        fields = set((request.arg("tweet.fields") or "").split(","))
        expansions = set((request.arg("expansions") or "").split(","))
        user_fields = set((request.arg("user.fields") or "").split(",")) | {"username", "name"}

        def key(tid: str) -> tuple[int, str]:
            return (len(tid), tid)

        with self.lock:
            owner = self._user(user_id)
            handle = f"@{owner.get('username', '')}".lower()
            mentions = sorted(
                (
                    t
                    for t in self._tweets.values()
                    if t["author_id"] != user_id
                    and (
                        t["in_reply_to_user_id"] == user_id
                        or (len(handle) > 1 and handle in t["text"].lower())
                    )
                    and (not since or key(t["id"]) > key(since))
                    and (not until or key(t["id"]) < key(until))
                    and (not token or key(t["id"]) < key(token[1:]))
                ),
                key=lambda t: key(t["id"]),
                reverse=True,
            )
            page, rest = mentions[:limit], mentions[limit:]
            data = [self._shown(t, fields) for t in page]
            users = []
            if "author_id" in expansions:
                for author_id in dict.fromkeys(t["author_id"] for t in page):
                    user = self._user(author_id)
                    if user:
                        users.append(
                            {"id": author_id} | {k: v for k, v in user.items() if k in user_fields}
                        )
        meta: dict = {"result_count": len(data)}
        body: dict = {"meta": meta}
        if data:
            body["data"] = data
            meta.update(newest_id=data[0]["id"], oldest_id=data[-1]["id"])
            if rest:
                meta["next_token"] = "p" + data[-1]["id"]
        if users:
            body["includes"] = {"users": users}
        return json_response(200, body)

    def _relate(self, request: Request, account: dict, source: str, verb: str) -> Response:
        if source != account["id"]:
            return problem(
                403, "Forbidden", "You are not permitted to act on behalf of another user."
            )
        if verb == "blocking" and not self.blocking:
            return json_response(
                403,
                {
                    "title": "Client Forbidden",
                    "detail": "This endpoint is only available on the Enterprise plan.",
                    "reason": "client-not-enrolled",
                    "type": "https://api.twitter.com/2/problems/client-forbidden",
                    "status": 403,
                },
            )
        try:
            body = request.json()
        except ValueError:
            body = None
        target = body.get("target_user_id") if isinstance(body, dict) else None
        if not isinstance(target, str) or not re.fullmatch(r"[0-9]{1,19}", target):
            return problem(400, "Invalid Request", "target_user_id is invalid.")
        with self.lock:
            self._relations.append({"kind": verb, "source": source, "target": target})
        return json_response(200, {"data": {verb: True}})

    def _upload(self, request: Request, account: dict) -> Response:
        fields = form_fields(request)
        command = fields.get("command")
        with self.lock:
            if command == "INIT":
                try:
                    total = int(fields.get("total_bytes") or 0)
                except ValueError:
                    total = 0
                media_type = str(fields.get("media_type") or "")
                if total <= 0 or not media_type:
                    return problem(
                        400, "Invalid Request", "media_type and total_bytes are required."
                    )
                mid = str(next(self._ids))
                category = str(fields.get("media_category") or "tweet_image")
                self._media[mid] = {
                    "id": mid,
                    "account": account["id"],
                    "type": media_type,
                    "category": category,
                    "size": total,
                    "chunks": {},
                    "state": "uploading",
                    "polls": 0,
                }
                return json_response(
                    200, {"data": {"id": mid, "media_key": f"3_{mid}", "expires_after_secs": 86400}}
                )
            item = self._media.get(str(fields.get("media_id") or ""))
            if item is None or item["account"] != account["id"]:
                return problem(400, "Invalid Request", "media_id is invalid.")
            if command == "APPEND":
                chunk = fields.get("media")
                if not isinstance(chunk, bytes):
                    return problem(400, "Invalid Request", "media is required.")
                item["chunks"][int(fields.get("segment_index") or 0)] = len(chunk)
                return Response(204)
            if command == "FINALIZE":
                if sum(item["chunks"].values()) != item["size"]:
                    return problem(
                        400,
                        "Invalid Request",
                        "Segments do not add up to provided total file size.",
                    )
                data = {"id": item["id"], "media_key": f"3_{item['id']}", "size": item["size"]}
                if item["category"] in ("tweet_video", "tweet_gif", "amplify_video"):
                    item["state"] = "pending"
                    data["processing_info"] = {"state": "pending", "check_after_secs": 1}
                else:
                    item["state"] = "succeeded"
                return json_response(200, {"data": data})
        return problem(400, "Invalid Request", f"Unknown command {command!r}.")

    def _status(self, media_id: str, account: dict) -> Response:
        with self.lock:
            item = self._media.get(media_id)
            if item is None or item["account"] != account["id"]:
                return problem(400, "Invalid Request", "media_id is invalid.")
            if item["state"] in ("pending", "in_progress"):
                item["polls"] += 1
                if self.fail_processing:
                    item["state"] = "failed"
                elif item["polls"] >= int(self.processing_polls):
                    item["state"] = "succeeded"
                else:
                    item["state"] = "in_progress"
            info: dict = {"state": item["state"]}
            if item["state"] == "in_progress":
                info.update(check_after_secs=1, progress_percent=50)
            if item["state"] == "failed":
                info["error"] = {
                    "code": 1,
                    "name": "InvalidMedia",
                    "message": str(self.fail_processing) or "Unsupported video format",
                }
            return json_response(200, {"data": {"id": media_id, "processing_info": info}})

    def _metadata(self, request: Request, account: dict) -> Response:
        try:
            body = request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return problem(400, "Invalid Request", "The request body is not JSON.")
        with self.lock:
            item = self._media.get(str(body.get("id") or ""))
            if item is None or item["account"] != account["id"]:
                return problem(400, "Invalid Request", "id is invalid.")
            text = ((body.get("metadata") or {}).get("alt_text") or {}).get("text")
            if not isinstance(text, str) or len(text) > 1000:
                return problem(
                    400, "Invalid Request", "alt_text.text must be at most 1000 characters."
                )
            item["alt_text"] = text
        return json_response(
            200, {"data": {"id": item["id"], "associated_metadata": body["metadata"]}}
        )


def main(argv=None) -> None:
    oauth_cli("Fake X API v2 for tests.", FakeX, argv)


if __name__ == "__main__":
    main()
