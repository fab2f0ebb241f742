"""A fake Threads API (graph.threads.net) following developers.facebook.com/docs/threads.

Serves:
- ``GET/POST /oauth/authorize`` (consent page), ``POST /oauth/access_token`` -> a one-hour
  token and ``user_id``; ``/access_token`` ``grant_type=th_exchange_token`` (app secret) ->
  a 60-day token; ``GET /refresh_access_token?grant_type=th_refresh_token`` -> a renewed
  token (the old one stops working). The token may come as ``Authorization: Bearer`` or
  ``access_token``.
- ``GET /v1.0/me?fields=id,username,name,threads_profile_picture_url``
- ``POST /v1.0/me/threads`` containers: TEXT (``text``), IMAGE (``image_url``), VIDEO
  (``video_url``), ``is_carousel_item``, CAROUSEL (``children``, 2-20 finished items);
  ``alt_text``; text over 500 characters -> error 100. Media is fetched from the URL: only
  files put with ``host_file`` can be; others make the container ``ERROR``
  (``FAILED_DOWNLOADING_VIDEO``/image).
- ``GET /v1.0/{container}?fields=status,error_message``: ``IN_PROGRESS`` -> ``FINISHED`` over
  ``processing_polls`` reads (``ERROR`` + ``fail_processing`` message), ``PUBLISHED`` after.
- ``POST /v1.0/me/threads_publish`` ``creation_id`` (a container not finished -> error; one
  already published -> error), ``GET /v1.0/me/threads``, ``GET /v1.0/{id}?fields=permalink``.

The inbox: a container may answer a post (``reply_to_id``; an unknown one -> error 100), and
its post is then a reply (``replied_to``, ``root_post``). ``GET /v1.0/me/threads`` lists
the account's posts (not its replies), ``GET /v1.0/me/replies`` its replies;
``GET /v1.0/{media-id}/conversation`` every reply under a post at any depth (``reverse``
true by default, newest first), ``GET /v1.0/{user-id}/mentions`` the posts of others naming
``@username`` (newest first, ``since``/``until`` Unix times); lists are paged with
``limit`` (default 25, at most 100) and ``after`` (``paging.cursors`` and ``paging.next``);
``fields`` picks among ``id,text,username,timestamp,permalink,replied_to,root_post,
is_reply,is_reply_owned_by_me``. ``add_inbound(to=, author={"id", "username"}, text=,
reply_to=)`` has someone write.

Errors are Graph errors; 190 for a bad token; ``rate_limits`` (path suffix -> calls) answer
code 4 "Application request limit reached" with ``X-App-Usage``.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from datetime import UTC, datetime

from .base import FakeServer, Request, Response, json_response
from .forms import params
from .graph import graph_error
from .oauth import OAuthFake, oauth_cli

V = "/v1.0"


class FakeThreads(OAuthFake, FakeServer):
    name = "threads"
    authorize_path = "/oauth/authorize"
    token_path = "/oauth/access_token"
    pkce_required = False
    issue_refresh = False
    access_ttl = 3600.0

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._init_oauth()
        self.processing_polls = 2
        self.fail_processing = ""
        self.rate_limits: dict[str, int] = {}
        self._usage: dict[str, int] = {}
        self._objects: dict[str, dict] = {}
        self.files: dict[str, bytes] = {}
        self._ids = itertools.count(18_000_000_000_000_001)

    def host_file(self, name: str, content: bytes) -> str:
        with self.lock:
            self.files[name] = content
        return f"{self.url}/_fake/files/{name}"

    def reset_state(self) -> None:
        self._objects.clear()
        self._usage.clear()

    def configure(self, **settings) -> dict:
        with self.lock:
            for name in ("processing_polls", "fail_processing", "rate_limits"):
                if name in settings:
                    setattr(self, name, settings.pop(name))
        return super().configure(**settings)

    def control(self, request: Request, action: str) -> Response | None:
        return self.oauth_control(request, action)

    def posts(self) -> list[dict]:
        with self.lock:
            return [dict(o) for o in self._objects.values() if o["kind"] == "post"]

    def add_inbound(self, *, to: str, author: dict, text: str, reply_to: str | None = None) -> dict:
        """``author`` (``{"id", "username"}``, not an account of the fake) posts ``text``:
        a mention of the account ``to`` (``@username`` put in front when missing), or a
        reply to the post ``reply_to``."""
        with self.lock:
            owner = self.accounts.get(str(to)) or {}
            if not reply_to and owner and f"@{owner['username']}".lower() not in text.lower():
                text = f"@{owner['username']} {text}"
            parent = self._objects.get(str(reply_to)) if reply_to else None
        fields = {
            "kind": "post",
            "user": str(author["id"]),
            "username": author["username"],
            "text": text,
            "media_type": "TEXT",
            "children": [],
            **self._reply_fields(parent),
        }
        oid = self._new(fields)
        with self.lock:
            return dict(self._objects[oid])

    @staticmethod
    def _reply_fields(parent: dict | None) -> dict:
        if parent is None:
            return {"reply_to": "", "root": ""}
        return {"reply_to": parent["id"], "root": parent.get("root") or parent["id"]}

    def _username(self, obj: dict) -> str:
        return obj.get("username") or (self.accounts.get(obj["user"]) or {}).get("username", "")

    def _media(self, obj: dict, fields: set[str], user: dict) -> dict:
        username = self._username(obj)
        full = {
            "id": obj["id"],
            "text": obj["text"],
            "username": username,
            "timestamp": datetime.fromtimestamp(obj["created"], UTC).strftime(
                "%Y-%m-%dT%H:%M:%S+0000"
            ),
            "permalink": f"https://www.threads.net/@{username}/post/{obj['id']}",
            "is_reply": bool(obj.get("reply_to")),
            "is_reply_owned_by_me": bool(obj.get("reply_to")) and obj["user"] == user["id"],
        }
        if obj.get("reply_to"):
            full["replied_to"] = {"id": obj["reply_to"]}
            full["root_post"] = {"id": obj["root"]}
        return {k: v for k, v in full.items() if k in fields or k == "id"}

    def _listing(
        self, request: Request, objs: list[dict], user: dict, default_fields: str = "id"
    ) -> Response:
        args = params(request)
        raw = str(args.get("limit") or "25")
        limit = min(int(raw), 100) if raw.isdigit() and int(raw) > 0 else 25
        after = str(args.get("after") or "")
        fields = set(str(args.get("fields") or default_fields).split(","))
        if after:
            ids = [o["id"] for o in objs]
            if after not in ids:
                return graph_error("(#100) The after cursor is invalid", 100)
            objs = objs[ids.index(after) + 1 :]
        page, rest = objs[:limit], objs[limit:]
        body: dict = {"data": [self._media(o, fields, user) for o in page]}
        if page:
            body["paging"] = {"cursors": {"before": page[0]["id"], "after": page[-1]["id"]}}
            if rest:
                body["paging"]["next"] = f"{self.url}{request.path}?after={page[-1]['id']}"
        return json_response(200, body)

    def containers(self) -> list[dict]:
        with self.lock:
            return [dict(o) for o in self._objects.values() if o["kind"] == "container"]

    def is_write(self, request: Request) -> bool:
        return request.method == "POST" and request.path.endswith("/threads_publish")

    def token_body(self, account, access, refresh, ttl, scope):
        return {"access_token": access, "user_id": int(account["id"])}

    def oauth_error(self, status: int, error: str, description: str) -> Response:
        return graph_error(description, 100 if error != "invalid_client" else 101)

    def _token_of(self, request: Request) -> str:
        header = request.headers.get("Authorization") or ""
        if header.lower().startswith("bearer "):
            return header[7:].strip()
        return str(params(request).get("access_token") or "")

    def _long_lived(self, request: Request, grant: str) -> Response:
        args = params(request)
        old = self._token_of(request)
        with self.lock:
            entry = self._access.get(old)
            if (
                args.get("grant_type") != grant
                or entry is None
                or (entry["expires"] is not None and entry["expires"] < time.time())
            ):
                return graph_error("Error validating access token: Session has expired", 190)
            if grant == "th_exchange_token" and args.get("client_secret") not in {
                a["secret"] for a in self.apps.values()
            }:
                return graph_error("Error validating client secret.", 1)
            if grant == "th_refresh_token":
                del self._access[old]
        issued = self.issue_token(entry["account"], expires_in=60 * 86400)
        return json_response(
            200,
            {"access_token": issued["access_token"], "token_type": "bearer", "expires_in": 5184000},
        )

    def handle(self, request: Request) -> Response:
        oauth = self.handle_oauth(request)
        if oauth is not None:
            return oauth
        if request.path == "/access_token":
            return self._long_lived(request, "th_exchange_token")
        if request.path == "/refresh_access_token":
            return self._long_lived(request, "th_refresh_token")
        if not request.path.startswith(V + "/"):
            return graph_error("Unknown path components", 2500)
        user = self.account_for(request, token=self._token_of(request))
        if user is None:
            return graph_error("Error validating access token", 190)
        path = request.path[len(V) :]
        for key, limit in self.rate_limits.items():
            if path.endswith(key):
                with self.lock:
                    self._usage[key] = self._usage.get(key, 0) + 1
                    if self._usage[key] > int(limit):
                        response = graph_error("(#4) Application request limit reached", 4)
                        usage = {"call_count": 100, "estimated_time_to_regain_access": 3}
                        response.headers["X-App-Usage"] = json.dumps(usage)
                        return response
        return self._route(request, path, user)

    def _route(self, request: Request, path: str, user: dict) -> Response:
        args = params(request)
        if path == "/me" and request.method == "GET":
            return json_response(
                200,
                {
                    "id": user["id"],
                    "username": user["username"],
                    "name": user["name"],
                    "threads_profile_picture_url": f"{self.url}/pics/{user['id']}.jpg",
                },
            )
        if path == "/me/threads" and request.method == "POST":
            return self._create_container(user, args)
        if path in ("/me/threads", "/me/replies") and request.method == "GET":
            replies = path == "/me/replies"
            with self.lock:
                objs = [
                    o
                    for o in sorted(
                        self._objects.values(), key=lambda o: (o["created"], o["id"]), reverse=True
                    )
                    if o["kind"] == "post"
                    and o["user"] == user["id"]
                    and bool(o.get("reply_to")) == replies
                ]
                return self._listing(
                    request, objs, user, default_fields="id,text,timestamp,permalink"
                )
        match = re.fullmatch(r"/(\d+)/conversation", path)
        if match and request.method == "GET":
            reverse = str(args.get("reverse") or "true") != "false"
            with self.lock:
                objs = sorted(
                    (
                        o
                        for o in self._objects.values()
                        if o["kind"] == "post" and o.get("root") == match.group(1)
                    ),
                    key=lambda o: (o["created"], o["id"]),
                    reverse=reverse,
                )
                return self._listing(request, objs, user)
        match = re.fullmatch(r"/(\d+)/mentions", path)
        if match and request.method == "GET":
            if match.group(1) != user["id"]:
                return graph_error("(#10) Application does not have permission for this action", 10)
            since = str(args.get("since") or "0")
            until = str(args.get("until") or "")
            if not since.isdigit() or (until and not until.isdigit()):
                return graph_error("(#100) since and until must be Unix times", 100)
            handle = f"@{user['username']}".lower()
            with self.lock:
                objs = sorted(
                    (
                        o
                        for o in self._objects.values()
                        if o["kind"] == "post"
                        and o["user"] != user["id"]
                        and handle in o["text"].lower()
                        and o["created"] >= int(since)
                        and (not until or o["created"] <= int(until))
                    ),
                    key=lambda o: (o["created"], o["id"]),
                    reverse=True,
                )
                return self._listing(request, objs, user)
        if path == "/me/threads_publish" and request.method == "POST":
            return self._publish(user, args)
        match = re.fullmatch(r"/(\d+)", path)
        if match and request.method == "GET":
            return self._read(match.group(1), user)
        return graph_error("Unsupported request", 100)

    def _create_container(self, user: dict, args) -> Response:
        kind = str(args.get("media_type") or "")
        text = str(args.get("text") or "")
        if len(text) > 500:
            return graph_error("(#100) The text is too long (500 characters at most)", 100)
        reply_to = str(args.get("reply_to_id") or "")
        with self.lock:
            parent = self._objects.get(reply_to) if reply_to else None
        if reply_to and (parent is None or parent["kind"] != "post"):
            return graph_error("(#100) The post being replied to does not exist", 100)
        fields = {
            "kind": "container",
            "reply_to_id": reply_to,
            "user": user["id"],
            "media_type": kind,
            "text": text,
            "status": "IN_PROGRESS",
            "polls": 0,
            "alt_text": str(args.get("alt_text") or ""),
            "carousel_item": args.get("is_carousel_item") == "true",
        }
        if kind == "TEXT":
            if not text:
                return graph_error("(#100) text is required for TEXT posts", 100)
        elif kind in ("IMAGE", "VIDEO"):
            url = str(args.get("image_url" if kind == "IMAGE" else "video_url") or "")
            prefix = self.url + "/_fake/files/"
            if not url:
                return graph_error(f"(#100) {kind.lower()}_url is required", 100)
            if not url.startswith(prefix) or url[len(prefix) :] not in self.files:
                fields["fail"] = f"FAILED_DOWNLOADING_{kind}"
        elif kind == "CAROUSEL":
            children = [c for c in str(args.get("children") or "").split(",") if c]
            with self.lock:
                ok = 2 <= len(children) <= 20 and all(
                    self._objects.get(c, {}).get("status") == "FINISHED" for c in children
                )
            if not ok:
                return graph_error("(#100) The carousel children are invalid or not ready", 100)
            fields["children"] = children
        else:
            return graph_error("(#100) media_type must be TEXT, IMAGE, VIDEO or CAROUSEL", 100)
        if self.fail_processing and kind in ("IMAGE", "VIDEO"):
            fields["fail"] = str(self.fail_processing)
        oid = self._new(fields)
        return json_response(200, {"id": oid})

    def _publish(self, user: dict, args) -> Response:
        with self.lock:
            container = self._objects.get(str(args.get("creation_id") or ""))
            if (
                container is None
                or container["kind"] != "container"
                or container["user"] != user["id"]
            ):
                return graph_error("(#100) Invalid creation_id", 100)
            if container["status"] == "PUBLISHED":
                return graph_error("The container has already been published", 24, subcode=4279009)
            if container["status"] != "FINISHED":
                return graph_error("The media is not ready to be published", 24, subcode=4279009)
            container["status"] = "PUBLISHED"
            fields = {
                "kind": "post",
                "user": user["id"],
                "text": container["text"],
                "container": container["id"],
                "media_type": container["media_type"],
                "children": container.get("children", []),
                **self._reply_fields(self._objects.get(container.get("reply_to_id") or "")),
            }
        return json_response(200, {"id": self._new(fields)})

    def _read(self, oid: str, user: dict) -> Response:
        with self.lock:
            obj = self._objects.get(oid)
            if obj is None or obj["user"] != user["id"]:
                return graph_error(f"Object with ID '{oid}' does not exist", 100)
            if obj["kind"] == "post":
                return json_response(
                    200,
                    {
                        "id": oid,
                        "permalink": f"https://www.threads.net/@{user['username']}/post/{oid}",
                    },
                )
            if obj["status"] == "IN_PROGRESS":
                obj["polls"] += 1
                if obj.get("fail"):
                    obj["status"] = "ERROR"
                elif obj["polls"] >= int(self.processing_polls) or obj["media_type"] == "TEXT":
                    obj["status"] = "FINISHED"
            body = {"id": oid, "status": obj["status"]}
            if obj["status"] == "ERROR":
                body["error_message"] = obj["fail"]
            return json_response(200, body)

    def _new(self, fields: dict) -> str:
        oid = str(next(self._ids))
        with self.lock:
            self._objects[oid] = {"id": oid, "created": time.time(), **fields}
        return oid


__all__ = ["FakeThreads"]


def main(argv=None) -> None:
    oauth_cli("Fake Threads API for tests.", FakeThreads, argv)


if __name__ == "__main__":
    main()
