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

Errors are problem JSON (``{"title", "detail", "type", "status"}``), 401 for a missing,
unknown or expired token. Every API answer carries ``x-rate-limit-limit``,
``x-rate-limit-remaining`` and ``x-rate-limit-reset``; ``rate_limits`` (path -> requests per
15-minute window) makes the fake answer 429 once used up.

Control (besides base.py's and oauth.py's): ``POST /_fake/config {"processing_polls",
"fail_processing", "duplicate_window", "rate_limits", "auto_approve", "latency"}``.
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
        self._usage: dict[tuple[str, str], list[float]] = {}
        self._tweets: dict[str, dict] = {}
        self._media: dict[str, dict] = {}
        self._ids = itertools.count(1_860_000_000_000_000_001)

    # -- state -------------------------------------------------------------------------

    def reset_state(self) -> None:
        self._tweets.clear()
        self._media.clear()
        self._usage.clear()

    def configure(self, **settings) -> dict:
        with self.lock:
            for name in ("processing_polls", "fail_processing", "duplicate_window", "rate_limits"):
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
            tid = str(next(self._ids))
            self._tweets[tid] = {
                "id": tid,
                "author_id": account["id"],
                "text": text,
                "media_ids": [str(m) for m in media_ids],
                "created": now,
            }
        return json_response(
            201, {"data": {"id": tid, "text": text, "edit_history_tweet_ids": [tid]}}
        )

    def _timeline(self, request: Request, user_id: str) -> Response:
        start = request.arg("start_time")
        start_ts = (
            datetime.fromisoformat(start.replace("Z", "+00:00")).timestamp() if start else 0.0
        )
        limit = int(request.arg("max_results") or 10)
        with self.lock:
            tweets = sorted(
                (
                    t
                    for t in self._tweets.values()
                    if t["author_id"] == user_id and t["created"] >= start_ts
                ),
                key=lambda t: t["created"],
                reverse=True,
            )[:limit]
            data = [
                {
                    "id": t["id"],
                    "text": _URL.sub(lambda m: "https://t.co/" + secrets.token_hex(5), t["text"]),
                    "created_at": _iso(t["created"]),
                    "edit_history_tweet_ids": [t["id"]],
                }
                for t in tweets
            ]
        body: dict = {"meta": {"result_count": len(data)}}
        if data:
            body["data"] = data
        return json_response(200, body)

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
