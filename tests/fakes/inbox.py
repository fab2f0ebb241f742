"""The engagement side of the fake Mastodon and Bluesky servers: people writing to a brand
account (mentions, replies, quotes), threads, search, and rate-limit headers.

Mastodon (docs.joinmastodon.org/methods/): ``GET /api/v1/notifications`` (``types[]``,
``max_id``/``since_id``/``min_id``, ``limit`` <= 80, newest first, a ``Link`` header with
``next``/``prev``), ``GET /api/v1/statuses/:id/context``, ``GET /api/v2/search?type=statuses``
and ``GET /api/v1/timelines/tag/:hashtag``; every API answer carries ``X-RateLimit-Limit``,
``X-RateLimit-Remaining`` and ``X-RateLimit-Reset`` (ISO 8601) and a spent budget answers 429.

Bluesky (docs.bsky.app): ``app.bsky.notification.listNotifications`` (``reasons``,
``cursor``, ``limit`` <= 100, newest first), ``app.bsky.feed.getPostThread``,
``app.bsky.feed.searchPosts`` (``q``, ``sort``, ``since``, ``cursor``); answers carry
``RateLimit-Limit``, ``RateLimit-Remaining``, ``RateLimit-Reset`` (Unix seconds) and
``RateLimit-Policy``.

Control: ``POST /_fake/inbound`` ``{"to", "author": {...}, "text", "reply_to"?}`` (one
message) or ``{"to", "generate": N, "authors"?, "reply_every"?}`` (N at once, for the
benchmark); ``POST /_fake/config {"rate_limit", "rate_window"}``.
"""

from __future__ import annotations

import bisect
import hashlib
import time
from datetime import UTC, datetime

from .base import Request, Response, json_response

TOO_MANY = {"error": "Too many requests"}


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class RateLimited:
    """A fixed window per credential: ``rate_limit`` requests every ``rate_window`` s (high
    by default, so other tests never meet it; set lower through ``configure``)."""

    rate_limit = 1_000_000
    rate_window = 300.0

    def _rate_init(self) -> None:
        self._windows: dict[str, tuple[float, int]] = {}

    def _rate_take(self, key: str) -> tuple[int, int, float]:
        """(limit, remaining after this request, reset time); remaining < 0: refused."""
        now = time.time()
        with self.lock:
            start, used = self._windows.get(key, (now, 0))
            if now - start >= self.rate_window:
                start, used = now, 0
            used += 1
            self._windows[key] = (start, used)
            return self.rate_limit, self.rate_limit - used, start + self.rate_window

    def _rate_settings(self, settings: dict) -> dict:
        with self.lock:
            if "rate_limit" in settings:
                self.rate_limit = int(settings.pop("rate_limit"))
                self._windows.clear()
            if "rate_window" in settings:
                self.rate_window = float(settings.pop("rate_window"))
            return {"rate_limit": self.rate_limit, "rate_window": self.rate_window}


# --- Mastodon ----------------------------------------------------------------------------------


class MastodonInbox(RateLimited):
    """Mixed into FakeMastodon."""

    def _inbox_init(self) -> None:
        self._rate_init()
        self._notifications: dict[str, list[dict]] = {}  # account id -> ascending by id
        self._notification_ids: dict[str, list[int]] = {}
        self._replies: dict[str, list[str]] = {}  # status id -> reply ids
        self._nids = iter(range(1, 10**12))

    def _inbox_reset(self) -> None:
        self._notifications.clear()
        self._notification_ids.clear()
        self._replies.clear()
        self._windows.clear()

    def _ensure_account(self, author: dict) -> str:
        account_id = str(author.get("id") or "")
        username = str(author.get("username") or f"user{account_id}")
        if not account_id:
            account_id = str(int(hashlib.sha256(username.encode()).hexdigest()[:12], 16))
        if account_id not in self.accounts:
            self.accounts[account_id] = {
                "id": account_id,
                "username": username,
                "display_name": author.get("display_name") or username.title(),
                "avatar": f"/avatars/{username}.png",
                "created_at": _iso(time.time()),
            }
        return account_id

    def add_inbound(
        self,
        *,
        to: str,
        author: dict,
        text: str,
        reply_to: str | None = None,
        notify: bool = True,
        created: float | None = None,
    ) -> dict:
        """A status by ``author`` mentioning (or replying to) account ``to``; its mention
        notification for ``to``. Returns the status JSON."""
        with self.lock:
            to = str(to)
            author_id = self._ensure_account(author)
            sid = str(next(self._ids))
            parent = self._statuses.get(str(reply_to)) if reply_to else None
            record = {
                "id": sid,
                "account_id": author_id,
                "text": text,
                "visibility": "public",
                "created": created or time.time(),
                "key": "",
                "media_ids": [],
                "in_reply_to_id": parent["id"] if parent else None,
                "in_reply_to_account_id": parent["account_id"] if parent else None,
                "mentions": [to],
            }
            self._statuses[sid] = record
            self._counts[author_id] = self._counts.get(author_id, 0) + 1
            if parent:
                self._replies.setdefault(parent["id"], []).append(sid)
            if notify:
                self._notify(to, "mention", author_id, sid, record["created"])
            return self._status_json(record)

    def _notify(self, to: str, kind: str, from_id: str, sid: str, created: float) -> None:
        nid = next(self._nids)
        self._notifications.setdefault(to, []).append(
            {"id": nid, "type": kind, "from": from_id, "status": sid, "created": created}
        )
        self._notification_ids.setdefault(to, []).append(nid)

    def generate_inbound(
        self, *, to: str, generate: int, authors: int = 200, reply_every: int = 3, prefix="Hi"
    ) -> dict:
        """``generate`` mentions of ``to`` from ``authors`` people; every ``reply_every``-th
        message of a person answers their previous one (a thread)."""
        last: dict[int, str] = {}
        start = time.time() - generate
        with self.lock:
            for n in range(int(generate)):
                who = n % max(1, authors)
                reply_to = last.get(who) if reply_every and (n // authors) % reply_every else None
                status = self.add_inbound(
                    to=to,
                    author={"id": f"9{to}{who:06d}", "username": f"fan{to}x{who}"},
                    text=f"{prefix} @brand, message {n} from fan {who}",
                    reply_to=reply_to,
                    created=start + n,
                )
                last[who] = status["id"]
        return {"generated": int(generate)}

    def _inbox_control(self, request: Request, action: str) -> Response | None:
        if action == "inbound" and request.method == "POST":
            payload = request.json()
            if not isinstance(payload, dict):
                raise ValueError("expected a JSON object")
            if "generate" in payload:
                return json_response(200, self.generate_inbound(**payload))
            return json_response(200, self.add_inbound(**payload))
        return None

    def _with_rate_headers(self, request: Request, respond) -> Response:
        token = request.bearer() or request.headers.get("X-Forwarded-For") or "anonymous"
        limit, remaining, reset = self._rate_take(token)
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(0, remaining)),
            "X-RateLimit-Reset": _iso(reset),
        }
        response = json_response(429, TOO_MANY) if remaining < 0 else respond()
        response.headers.update(headers)
        return response

    def _link(self, path: str, items: list[int]) -> dict:
        if not items:
            return {}
        base = f"{self.url}{path}"
        return {
            "Link": f'<{base}?max_id={min(items)}>; rel="next", '
            f'<{base}?min_id={max(items)}>; rel="prev"'
        }

    def _page_bounds(self, request: Request, default: int, most: int) -> tuple[int, dict]:
        try:
            limit = max(1, min(most, int(request.arg("limit", str(default)) or default)))
        except ValueError:
            limit = default
        bounds = {}
        for name in ("max_id", "since_id", "min_id"):
            value = request.arg(name)
            if value and value.isdigit():
                bounds[name] = int(value)
        return limit, bounds

    def _notifications_route(self, request: Request) -> Response:
        account_id = self._account_for(request)
        if account_id is None:
            return json_response(401, {"error": "The access token is invalid"})
        types = request.query.get("types[]") or []
        limit, bounds = self._page_bounds(request, 40, 80)
        with self.lock:
            ids = self._notification_ids.get(account_id, [])
            rows = self._notifications.get(account_id, [])
            if "min_id" in bounds:  # the page just after min_id
                lo = bisect.bisect_right(ids, bounds["min_id"])
                window = rows[lo:]
                if types:
                    window = [r for r in window if r["type"] in types]
                chosen = window[:limit]
            else:
                window = rows
                if "max_id" in bounds:
                    window = rows[: bisect.bisect_left(ids, bounds["max_id"])]
                if "since_id" in bounds:
                    window = [r for r in window if r["id"] > bounds["since_id"]]
                if types:
                    window = [r for r in window if r["type"] in types]
                chosen = window[-limit:]
            chosen = list(reversed(chosen))
            body = [
                {
                    "id": str(row["id"]),
                    "type": row["type"],
                    "created_at": _iso(row["created"]),
                    "account": self._account_json(row["from"]),
                    "status": self._status_json(self._statuses[row["status"]]),
                }
                for row in chosen
                if row["status"] in self._statuses
            ]
        return json_response(
            200, body, self._link("/api/v1/notifications", [row["id"] for row in chosen])
        )

    def _context_route(self, sid: str) -> Response:
        with self.lock:
            record = self._statuses.get(sid)
            if record is None:
                return json_response(404, {"error": "Record not found"})
            ancestors, parent = [], record.get("in_reply_to_id")
            while parent and parent in self._statuses and len(ancestors) < 100:
                ancestors.append(self._statuses[parent])
                parent = self._statuses[parent].get("in_reply_to_id")
            descendants, todo = [], list(self._replies.get(sid, []))
            while todo and len(descendants) < 500:
                child = todo.pop(0)
                if child in self._statuses:
                    descendants.append(self._statuses[child])
                    todo.extend(self._replies.get(child, []))
            return json_response(
                200,
                {
                    "ancestors": [self._status_json(r) for r in reversed(ancestors)],
                    "descendants": [self._status_json(r) for r in descendants],
                },
            )

    def _matching_statuses(self, request: Request, match) -> list[dict]:
        limit, bounds = self._page_bounds(request, 20, 40)
        with self.lock:
            found = [
                r
                for r in self._statuses.values()
                if r["visibility"] == "public" and match(r["text"])
            ]
            found.sort(key=lambda r: int(r["id"]))
            if "min_id" in bounds:
                found = [r for r in found if int(r["id"]) > bounds["min_id"]][:limit]
            else:
                if "max_id" in bounds:
                    found = [r for r in found if int(r["id"]) < bounds["max_id"]]
                found = found[-limit:]
            return [self._status_json(r) for r in reversed(found)]

    def _search_route(self, request: Request) -> Response:
        if self._account_for(request) is None:
            return json_response(401, {"error": "The access token is invalid"})
        query = (request.arg("q") or "").strip().lower()
        kind = request.arg("type") or ""
        statuses = []
        if query and kind in ("", "statuses"):
            statuses = self._matching_statuses(request, lambda text: query in text.lower())
        return json_response(200, {"accounts": [], "statuses": statuses, "hashtags": []})

    def _tag_route(self, request: Request, tag: str) -> Response:
        needle = "#" + tag.lower()
        return json_response(
            200,
            self._matching_statuses(
                request,
                lambda text: any(word.lower().rstrip(".,!?") == needle for word in text.split()),
            ),
        )


# --- Bluesky -------------------------------------------------------------------------------------


class BlueskyInbox(RateLimited):
    """Mixed into FakeBluesky."""

    def _inbox_init(self) -> None:
        self._rate_init()
        self._notifications: dict[str, list[dict]] = {}  # did -> ascending by time
        self._seq = 0

    def _inbox_reset(self) -> None:
        self._notifications.clear()
        self._windows.clear()

    def _author_did(self, author: dict) -> str:
        handle = str(author.get("handle") or "someone.test").lower().lstrip("@")
        did = author.get("did") or ""
        if not did:
            did = self._resolve_repo(handle) or ""
        if not did:
            did = self.add_account(
                handle=handle, password="x" * 16, display_name=author.get("display_name")
            )["did"]
        return did

    def add_inbound(
        self,
        *,
        to: str,
        author: dict,
        text: str,
        reply_to: str | None = None,
        reason: str | None = None,
        created: float | None = None,
    ) -> dict:
        """A post by ``author`` addressed to ``to`` (a DID or handle): a reply when
        ``reply_to`` (a post URI) is given, else a mention; its notification for ``to``."""
        with self.lock:
            to_did = self._resolve_repo(to) or to
            did = self._author_did(author)
            self._seq += 1
            # indexedAt only ever grows (the order the notifications are listed in);
            # createdAt is what the author's client said.
            indexed = max(time.time(), getattr(self, "_last_indexed", 0.0) + 0.002)
            self._last_indexed = indexed
            when = created or indexed
            record = {"$type": "app.bsky.feed.post", "text": text, "createdAt": _iso(when)}
            parent = self._by_uri(reply_to) if reply_to else None
            if parent is not None:
                root = (parent["value"].get("reply") or {}).get("root") or {
                    "uri": parent["uri"],
                    "cid": parent["cid"],
                }
                record["reply"] = {
                    "root": root,
                    "parent": {"uri": parent["uri"], "cid": parent["cid"]},
                }
            rkey = self._next_tid()
            while (did, "app.bsky.feed.post", rkey) in self._records:
                rkey = self._next_tid()
            cid = "bafyrei" + hashlib.sha256(f"{did}{rkey}".encode()).hexdigest()[:52]
            stored = {
                "uri": f"at://{did}/app.bsky.feed.post/{rkey}",
                "cid": cid,
                "did": did,
                "collection": "app.bsky.feed.post",
                "rkey": rkey,
                "value": record,
                "indexed_at": indexed,
            }
            self._records[(did, "app.bsky.feed.post", rkey)] = stored
            kind = reason or ("reply" if parent is not None else "mention")
            self._notifications.setdefault(to_did, []).append(
                {"uri": stored["uri"], "reason": kind, "did": did, "at": indexed, "seq": self._seq}
            )
            return {"uri": stored["uri"], "cid": cid}

    def generate_inbound(
        self, *, to: str, generate: int, authors: int = 200, reply_every: int = 3, prefix="Hi"
    ) -> dict:
        last: dict[int, str] = {}
        start = time.time() - generate
        for n in range(int(generate)):
            who = n % max(1, authors)
            reply_to = last.get(who) if reply_every and (n // authors) % reply_every else None
            made = self.add_inbound(
                to=to,
                author={"handle": f"fan{who}.{to.replace(':', '-')[-12:]}.test"},
                text=f"{prefix} @brand, message {n} from fan {who}",
                reply_to=reply_to,
                created=start + n,
            )
            last[who] = made["uri"]
        return {"generated": int(generate)}

    def _inbox_control(self, request: Request, action: str) -> Response | None:
        if action == "inbound" and request.method == "POST":
            payload = request.json()
            if not isinstance(payload, dict):
                raise ValueError("expected a JSON object")
            if "generate" in payload:
                return json_response(200, self.generate_inbound(**payload))
            return json_response(200, self.add_inbound(**payload))
        return None

    def _with_rate_headers(self, request: Request, respond) -> Response:
        limit, remaining, reset = self._rate_take(request.bearer() or "anonymous")
        headers = {
            "RateLimit-Limit": str(limit),
            "RateLimit-Remaining": str(max(0, remaining)),
            "RateLimit-Reset": str(int(reset)),
            "RateLimit-Policy": f"{limit};w={int(self.rate_window)}",
        }
        if remaining < 0:
            response = json_response(
                429, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}
            )
        else:
            response = respond()
        response.headers.update(headers)
        return response

    def _post_view(self, stored: dict) -> dict:
        account = self.accounts.get(stored["did"], {})
        return {
            "uri": stored["uri"],
            "cid": stored["cid"],
            "author": {
                "did": stored["did"],
                "handle": account.get("handle", "handle.invalid"),
                "displayName": account.get("display_name", ""),
            },
            "record": stored["value"],
            "replyCount": 0,
            "repostCount": 0,
            "likeCount": 0,
            "quoteCount": 0,
            "indexedAt": _iso(stored.get("indexed_at") or time.time()),
        }

    def _by_uri(self, uri: str) -> dict | None:
        try:
            did, collection, rkey = uri[len("at://") :].split("/", 2)
        except ValueError:
            return None
        return self._records.get((did, collection, rkey))

    def _list_notifications(self, request: Request) -> Response:
        did, error = self._authenticate(request)
        if error:
            return error
        try:
            limit = max(1, min(100, int(request.arg("limit", "50") or 50)))
        except ValueError:
            return json_response(400, {"error": "InvalidRequest", "message": "bad limit"})
        reasons = request.query.get("reasons") or []
        cursor = request.arg("cursor") or ""
        with self.lock:
            rows = self._notifications.get(did, [])
            if reasons:
                rows = [r for r in rows if r["reason"] in reasons]
            end = len(rows)
            if cursor:
                if not cursor.isdigit():
                    return json_response(400, {"error": "InvalidRequest", "message": "bad cursor"})
                end = min(end, int(cursor))
            start = max(0, end - limit)
            chosen = list(reversed(rows[start:end]))
            notifications = []
            for row in chosen:
                stored = self._by_uri(row["uri"])
                if stored is None:
                    continue
                view = self._post_view(stored)
                notifications.append(
                    {
                        "uri": view["uri"],
                        "cid": view["cid"],
                        "author": view["author"],
                        "reason": row["reason"],
                        "record": view["record"],
                        "isRead": False,
                        "indexedAt": _iso(row["at"]),
                        "labels": [],
                    }
                )
        body = {"notifications": notifications}
        if start > 0:
            body["cursor"] = str(start)
        return json_response(200, body)

    def _post_thread(self, request: Request) -> Response:
        _did, error = self._authenticate(request)
        if error:
            return error
        uri = request.arg("uri") or ""
        with self.lock:
            stored = self._by_uri(uri)
            if stored is None:
                return json_response(
                    400, {"error": "NotFound", "message": f"Post not found: {uri}"}
                )

            def node(item: dict, depth: int, up: bool) -> dict:
                out = {"$type": "app.bsky.feed.defs#threadViewPost", "post": self._post_view(item)}
                parent_ref = (item["value"].get("reply") or {}).get("parent") or {}
                parent = self._by_uri(parent_ref.get("uri", "")) if up else None
                if parent is not None and depth < 40:
                    out["parent"] = node(parent, depth + 1, True)
                if not up or depth == 0:
                    children = [
                        r
                        for r in self._records.values()
                        if ((r["value"].get("reply") or {}).get("parent") or {}).get("uri")
                        == item["uri"]
                    ]
                    out["replies"] = [node(c, depth + 1, False) for c in children[:50]]
                return out

            return json_response(200, {"thread": node(stored, 0, True)})

    def _search_posts(self, request: Request) -> Response:
        _did, error = self._authenticate(request)
        if error:
            return error
        query = (request.arg("q") or "").strip().lower()
        if not query:
            return json_response(400, {"error": "InvalidRequest", "message": "q is required"})
        try:
            limit = max(1, min(100, int(request.arg("limit", "25") or 25)))
        except ValueError:
            limit = 25
        cursor = request.arg("cursor") or ""
        with self.lock:
            found = [
                r
                for r in self._records.values()
                if r["collection"] == "app.bsky.feed.post"
                and query in str(r["value"].get("text", "")).lower()
            ]
            found.sort(key=lambda r: (r.get("indexed_at") or 0, r["uri"]))
            end = len(found)
            if cursor.isdigit():
                end = min(end, int(cursor))
            start = max(0, end - limit)
            posts = [self._post_view(r) for r in reversed(found[start:end])]
        body = {"posts": posts, "hitsTotal": len(found)}
        if start > 0:
            body["cursor"] = str(start)
        return json_response(200, body)
