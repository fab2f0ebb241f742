"""A fake Meta Graph API: Facebook Login, Facebook Pages and Instagram content publishing.

Serves (``/v21.0/`` prefix; the token in ``Authorization: Bearer|OAuth`` or ``access_token``):
- Facebook Login: ``GET/POST /v21.0/dialog/oauth`` (consent page listing people) and
  ``POST /v21.0/oauth/access_token`` (``authorization_code``, ``fb_exchange_token``); no PKCE.
- ``GET /me?fields=id,name&metadata=1``: the Page for a Page token, the person for a user
  token (``metadata.type`` ``page`` / ``user``)
- ``GET /me/accounts``: with a user token, the Pages the person manages (each with a Page token)
- ``POST /{page-id}/feed`` (``message``, ``attached_media[i]``), ``POST /{page-id}/photos``
  (multipart ``source``, ``published``, ``alt_text_custom``), ``POST /{page-id}/videos``
  (resumable ``upload_phase=start|transfer|finish``), ``GET /{video-id}?fields=status``
  (``processing`` -> ``ready`` over ``processing_polls`` reads, or ``error``),
  ``GET /{page-id}/posts``; a repeated message -> code 506 "Duplicate status message"
- ``GET /{page-id}?fields=instagram_business_account{...}``
- ``POST /{ig-user-id}/media`` (``image_url``/``alt_text``, ``is_carousel_item``,
  ``media_type=CAROUSEL`` + ``children``, ``media_type=REELS`` + ``upload_type=resumable`` ->
  ``{"id", "uri"}``), ``POST /rupload/{container}`` (headers ``offset``, ``file_size``),
  ``GET /{container}?fields=status_code,status`` (``IN_PROGRESS`` -> ``FINISHED`` or
  ``ERROR``), ``POST /{ig-user-id}/media_publish`` (a published container -> error),
  ``GET /{ig-user-id}/media``, ``GET /{media-id}?fields=permalink``.
- Images are fetched from ``image_url``: only files put with ``host_file`` (served under
  ``/_fake/files/``) can be fetched, anything else makes the container ``ERROR``.

Comments (the inbox), as the Pages API and the Instagram comment moderation guide document
them: ``GET /{page-id}/feed`` (the Page's posts, newest first); ``GET /{post-id}/comments``
(the top level; ``filter=stream`` every level; ``order=chronological`` by default or
``reverse_chronological``; ``since`` a Unix time; fields ``id,message,created_time,
from{id,name},parent{id},permalink_url,is_hidden``), ``GET /{comment-id}/comments`` (its
replies), ``POST /{post-id|comment-id}/comments`` ``message`` (as the Page; a reply to a
reply joins the top-level comment), ``POST /{comment-id}`` ``is_hidden=true``. Instagram:
``GET /{ig-media-id}/comments`` (top level, newest first, each with ``replies{...}``;
fields ``id,text,timestamp,username,from{id,username},parent_id,hidden``),
``GET /{ig-comment-id}/replies``, ``POST /{ig-comment-id}/replies`` ``message`` (a hidden
comment cannot be answered), ``POST /{ig-comment-id}`` ``hide=true``. Lists are paged with
``limit`` (default 25, at most 100) and ``after`` (``paging.cursors``, ``paging.next``).
``add_comment(on=, author=, text=, reply_to=None)`` has someone comment; ``usage`` (header
name -> object) is sent on every API answer (``X-App-Usage``, ``X-Page-Usage``,
``X-Business-Use-Case-Usage``).

Errors are Graph errors ``{"error": {"message", "type", "code", "error_subcode",
"fbtrace_id"}}``: 190 for a bad token (HTTP 400), 100 for bad parameters, 4/32 with
``X-Business-Use-Case-Usage`` (``estimated_time_to_regain_access``) when ``rate_limits``
(path suffix -> calls) run out, 9/2207042 when ``publish_limit`` is reached.

People and Pages: ``add_person(id, name)``, ``add_page(id, name, managers=[person],
ig=None | {"id", "username"})``.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import secrets
import time
from datetime import UTC, datetime

from .base import FakeServer, Request, Response, json_response, split_pair
from .forms import params
from .oauth import OAuthFake, oauth_cli

V = "/v21.0"


def graph_error(
    message: str, code: int, *, status: int = 400, subcode=None, type_="OAuthException"
):
    error = {"message": message, "type": type_, "code": code, "fbtrace_id": secrets.token_hex(6)}
    if subcode is not None:
        error["error_subcode"] = subcode
    return json_response(status, {"error": error})


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


class FakeGraph(OAuthFake, FakeServer):
    name = "graph"
    authorize_path = f"{V}/dialog/oauth"
    token_path = f"{V}/oauth/access_token"
    pkce_required = False
    issue_refresh = False
    access_ttl = 3600.0

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._init_oauth()
        self.pages: dict[str, dict] = {}
        self.page_tokens: dict[str, str] = {}  # token -> page id
        self.processing_polls = 2
        self.fail_processing = ""
        self.rate_limits: dict[str, int] = {}
        self.usage: dict[str, object] = {}
        self.publish_limit = 0
        self._usage: dict[str, int] = {}
        self._objects: dict[str, dict] = {}
        self.files: dict[str, bytes] = {}
        self._ids = itertools.count(17_900_000_000_000_001)

    # -- state -------------------------------------------------------------------------

    def add_person(self, id: str, name: str) -> dict:
        return self.add_account(id, name.lower().replace(" ", "."), name, kind="personal")

    def add_page(
        self, id: str, name: str, *, managers=(), ig: dict | None = None, token: str = ""
    ) -> str:
        token = token or "page-" + secrets.token_urlsafe(16)
        with self.lock:
            self.pages[str(id)] = {
                "id": str(id),
                "name": name,
                "managers": list(managers),
                "ig": ig,
            }
            self.page_tokens[token] = str(id)
        return token

    def host_file(self, name: str, content: bytes) -> str:
        with self.lock:
            self.files[name] = content
        return f"{self.url}/_fake/files/{name}"

    def reset_state(self) -> None:
        self._objects.clear()
        self._usage.clear()

    def configure(self, **settings) -> dict:
        with self.lock:
            for name in (
                "processing_polls",
                "fail_processing",
                "rate_limits",
                "publish_limit",
                "usage",
            ):
                if name in settings:
                    setattr(self, name, settings.pop(name))
            if "auto_approve" in settings:
                self.auto_approve = settings.pop("auto_approve")
        return super().configure(**settings)

    def control(self, request: Request, action: str) -> Response | None:
        if action.startswith("files/") and request.method == "GET":
            content = self.files.get(action[len("files/") :])
            if content is None:
                return json_response(404, {"error": "no such file"})
            return Response(200, content, "application/octet-stream")
        return self.oauth_control(request, action)

    def posts(self) -> list[dict]:
        with self.lock:
            return [dict(o) for o in self._objects.values() if o.get("published_post")]

    def objects(self, kind: str | None = None) -> list[dict]:
        with self.lock:
            return [dict(o) for o in self._objects.values() if kind in (None, o["kind"])]

    def is_write(self, request: Request) -> bool:
        return request.method == "POST" and (
            request.path.endswith("/feed")
            or request.path.endswith("/media_publish")
            or request.path.endswith("/comments")
            or request.path.endswith("/replies")
        )

    def comments(self) -> list[dict]:
        """Every comment, oldest first (``page`` or ``ig``: whose post it is under)."""
        with self.lock:
            return [dict(o) for o in self._objects.values() if o["kind"] == "comment"]

    def add_comment(self, *, on: str, author: dict, text: str, reply_to: str | None = None) -> dict:
        """``author`` (``{"id", "name"}`` on Facebook, ``{"id", "username"}`` on Instagram)
        comments ``text`` on the post or media ``on``, or answers the comment ``reply_to``."""
        with self.lock:
            target = self._objects[str(reply_to or on)]
        return self._comment_on(target, author=author, text=text)

    def _comment_on(self, target: dict, *, author: dict, text: str) -> dict:
        with self.lock:
            if target["kind"] == "comment":
                post_id = target["post"]
                parent = target.get("parent") or target["id"]  # replies stay one level deep
            else:
                post_id, parent = target["id"], ""
            post = self._objects[post_id]
            network = "instagram" if post["kind"] == "ig_media" else "facebook"
            number = next(self._ids)
            cid = f"{post_id}_{number}" if network == "facebook" else str(number)
            self._objects[cid] = {
                "id": cid,
                "kind": "comment",
                "network": network,
                "post": post_id,
                "owner": post.get("page") or post.get("ig"),
                "parent": parent,
                "author": dict(author),
                "text": text,
                "hidden": False,
                "created": time.time(),
            }
            return dict(self._objects[cid])

    def token_body(self, account, access, refresh, ttl, scope):
        return {"access_token": access, "token_type": "bearer", "expires_in": int(ttl)}

    def oauth_error(self, status: int, error: str, description: str) -> Response:
        return graph_error(description, 100 if error != "invalid_client" else 1, status=400)

    def _token(self, request: Request) -> Response:
        form = params(request)
        if form.get("grant_type") == "fb_exchange_token":
            entry = self._access.get(str(form.get("fb_exchange_token") or ""))
            if entry is None:
                return graph_error("Invalid OAuth access token.", 190)
            return json_response(
                200,
                self.issue_token(entry["account"], expires_in=60 * 86400)
                | {"token_type": "bearer"},
            )
        return super()._token(request)

    # -- API ---------------------------------------------------------------------------

    def _who(self, request: Request) -> tuple[str, dict] | None:
        header = request.headers.get("Authorization") or ""
        token = header.split(" ", 1)[1].strip() if " " in header else ""
        token = token or str(params(request).get("access_token") or "")
        with self.lock:
            if token in self.page_tokens:
                return "page", self.pages[self.page_tokens[token]]
        person = self.account_for(request, token=token) if token else None
        return ("user", person) if person else None

    def handle(self, request: Request) -> Response:
        oauth = self.handle_oauth(request)
        if oauth is not None:
            return oauth
        if request.path.startswith("/rupload/"):
            return self._rupload(request)
        if not request.path.startswith(V + "/"):
            return graph_error("Unknown path components", 2500)
        who = self._who(request)
        if who is None:
            return graph_error("Invalid OAuth access token - Cannot parse access token", 190)
        suffix = request.path[len(V) :]
        limited = self._limited(suffix)
        if limited:
            return limited
        kind, node = who
        response = self._route(request, suffix, kind, node)
        with self.lock:
            for name, value in self.usage.items():
                response.headers[name] = value if isinstance(value, str) else json.dumps(value)
        return response

    def _limited(self, suffix: str) -> Response | None:
        for key, limit in self.rate_limits.items():
            if suffix.endswith(key):
                with self.lock:
                    self._usage[key] = self._usage.get(key, 0) + 1
                    used = self._usage[key]
                if used > int(limit):
                    response = graph_error("(#32) Page request limit reached", 32, status=400)
                    usage = {
                        "1": [
                            {
                                "type": "pages",
                                "call_count": 100,
                                "estimated_time_to_regain_access": 7,
                            }
                        ]
                    }
                    response.headers["X-Business-Use-Case-Usage"] = json.dumps(usage)
                    return response
        return None

    def _route(self, request: Request, path: str, kind: str, node: dict) -> Response:
        method, args = request.method, params(request)
        if path == "/me" and method == "GET":
            body = {"id": node["id"], "name": node["name"]}
            if args.get("metadata") == "1":
                body["metadata"] = {"type": kind}
            return json_response(200, body)
        if path == "/me/accounts" and method == "GET":
            if kind != "user":
                return graph_error("(#100) Tried accessing nonexisting field (accounts)", 100)
            with self.lock:
                data = []
                for page in self.pages.values():
                    if node["id"] in page["managers"]:
                        token = next(t for t, p in self.page_tokens.items() if p == page["id"])
                        entry = {
                            "id": page["id"],
                            "name": page["name"],
                            "access_token": token,
                            "tasks": ["CREATE_CONTENT"],
                        }
                        if page["ig"]:
                            entry["instagram_business_account"] = {"id": page["ig"]["id"]}
                        data.append(entry)
            return json_response(200, {"data": data})
        match = re.fullmatch(r"/(\d+(?:_\d+){0,2})(/[a-z_]+)?", path)
        if not match:
            return graph_error("Unsupported request", 100)
        oid, edge = match.group(1), match.group(2) or ""
        with self.lock:
            page = self.pages.get(oid)
            ig_page = next(
                (p for p in self.pages.values() if p["ig"] and p["ig"]["id"] == oid), None
            )
        if page is not None:
            if kind != "page" or node["id"] != oid:
                return graph_error(
                    "(#200) The user hasn't authorized the application to perform this action",
                    200,
                    status=403,
                )
            return self._page(request, page, edge, args)
        if ig_page is not None:
            if kind != "page" or node["id"] != ig_page["id"]:
                return graph_error(
                    "(#10) Application does not have permission for this action", 10, status=403
                )
            return self._instagram(request, ig_page, edge, args)
        obj = self._objects.get(oid)
        if obj is not None and (obj["kind"] == "comment" or edge == "/comments"):
            return self._comments(request, obj, edge, args, kind, node)
        if obj is None or edge:
            return graph_error(
                f"Unsupported get request. Object with ID '{oid}' does not exist", 100
            )
        return self._read_object(obj, args)

    # Comments (Facebook and Instagram) ----------------------------------------------------

    def _owner_of(self, obj: dict) -> str:
        if obj["kind"] == "comment":
            return obj["owner"]
        return obj.get("page") or obj.get("ig") or ""

    def _comments(self, request, obj, edge, args, kind, node) -> Response:
        """The comment edges and nodes; only the Page (or its Instagram account) whose post
        it is may read, answer or hide them."""
        owner = self._owner_of(obj)
        with self.lock:
            page = self.pages.get(owner) or next(
                (p for p in self.pages.values() if p["ig"] and p["ig"]["id"] == owner), None
            )
        if kind != "page" or page is None or node["id"] != page["id"]:
            return graph_error(
                "(#10) Application does not have permission for this action", 10, status=403
            )
        network = obj.get("network") or ("instagram" if obj["kind"] == "ig_media" else "facebook")
        method = request.method
        reply_edge = "/replies" if network == "instagram" else "/comments"
        is_comment = obj["kind"] == "comment"
        list_edge = reply_edge if is_comment else "/comments"
        if method == "POST" and edge == list_edge:
            message = str(args.get("message") or "")
            if not message:
                return graph_error("(#100) The parameter message is required", 100)
            if network == "instagram" and obj.get("hidden"):
                return graph_error("(#100) You cannot reply to a hidden comment", 100)
            if network == "instagram":
                ig = page["ig"]
                author = {"id": ig["id"], "username": ig["username"]}
            else:
                author = {"id": page["id"], "name": page["name"]}
            comment = self._comment_on(obj, author=author, text=message)
            return json_response(200, {"id": comment["id"]})
        if method == "POST" and edge == "" and is_comment:
            flag = args.get("hide") if network == "instagram" else args.get("is_hidden")
            if flag not in ("true", "false"):
                return graph_error("(#100) Invalid parameter", 100)
            if obj["author"].get("id") in (page["id"], (page["ig"] or {}).get("id")):
                return graph_error("(#100) A Page cannot hide its own comment", 100)
            with self.lock:
                self._objects[obj["id"]]["hidden"] = flag == "true"
            return json_response(200, {"success": True})
        if method == "GET" and edge == "" and is_comment:
            return json_response(200, self._comment_view(obj, network))
        if method == "GET" and edge == list_edge:
            return self._comment_list(request, obj, network, args)
        return graph_error("Unsupported request", 100)

    def _comment_view(self, c: dict, network: str) -> dict:
        if network == "instagram":
            view = {
                "id": c["id"],
                "text": c["text"],
                "timestamp": _iso(c["created"]),
                "username": c["author"].get("username", ""),
                "from": {"id": c["author"]["id"], "username": c["author"].get("username", "")},
                "hidden": c["hidden"],
            }
            if c["parent"]:
                view["parent_id"] = c["parent"]
            return view
        view = {
            "id": c["id"],
            "message": c["text"],
            "created_time": _iso(c["created"]),
            "from": {"id": c["author"]["id"], "name": c["author"].get("name", "")},
            "permalink_url": f"https://www.facebook.com/{c['post']}?comment_id={c['id']}",
            "is_hidden": c["hidden"],
        }
        if c["parent"]:
            view["parent"] = {"id": c["parent"]}
        return view

    def _comment_list(self, request, obj, network: str, args) -> Response:
        with self.lock:
            everything = sorted(
                (o for o in self._objects.values() if o["kind"] == "comment"),
                key=lambda o: (o["created"], o["id"]),
            )
        if obj["kind"] == "comment":
            chosen = [c for c in everything if c["parent"] == obj["id"]]
        elif network == "facebook" and args.get("filter") == "stream":
            chosen = [c for c in everything if c["post"] == obj["id"]]
        else:
            chosen = [c for c in everything if c["post"] == obj["id"] and not c["parent"]]
        if network == "instagram" and obj["kind"] != "comment":
            chosen.reverse()  # an Instagram media's comments come newest first
        elif args.get("order") == "reverse_chronological":
            chosen.reverse()
        since = args.get("since")
        if since:
            try:
                chosen = [c for c in chosen if c["created"] >= float(since)]
            except ValueError:
                return graph_error("(#100) since must be a Unix time", 100)
        raw = str(args.get("limit") or "25")
        limit = min(int(raw), 100) if raw.isdigit() and int(raw) > 0 else 25
        after = str(args.get("after") or "")
        if after:
            try:
                last = base64.urlsafe_b64decode(after.encode()).decode()
            except ValueError:
                return graph_error("(#100) The after cursor is invalid", 100)
            ids = [c["id"] for c in chosen]
            if last not in ids:
                return graph_error("(#100) The after cursor is invalid", 100)
            chosen = chosen[ids.index(last) + 1 :]
        page, rest = chosen[:limit], chosen[limit:]
        data = []
        for c in page:
            view = self._comment_view(c, network)
            if network == "instagram" and "replies" in str(args.get("fields") or ""):
                view["replies"] = {
                    "data": [
                        self._comment_view(r, network) for r in everything if r["parent"] == c["id"]
                    ]
                }
            data.append(view)
        body: dict = {"data": data}
        if page:
            cursor = base64.urlsafe_b64encode(page[-1]["id"].encode()).decode()
            body["paging"] = {"cursors": {"before": "", "after": cursor}}
            if rest:
                body["paging"]["next"] = f"{self.url}{request.path}?after={cursor}"
        return json_response(200, body)

    # Facebook Page ---------------------------------------------------------------------

    def _page(self, request, page, edge, args) -> Response:
        method = request.method
        if edge == "" and method == "GET":
            body = {"id": page["id"], "name": page["name"]}
            if "instagram_business_account" in str(args.get("fields") or "") and page["ig"]:
                ig = page["ig"]
                body["instagram_business_account"] = {
                    "id": ig["id"],
                    "username": ig["username"],
                    "name": ig.get("name", ig["username"]),
                    "profile_picture_url": f"{self.url}/pics/{ig['id']}.jpg",
                }
            return json_response(200, body)
        if edge == "/photos" and method == "POST":
            source = args.get("source")
            if not isinstance(source, bytes) or not source:
                return graph_error("(#324) Requires upload file", 324)
            return json_response(
                200,
                {
                    "id": self._new(
                        "photo",
                        page=page["id"],
                        size=len(source),
                        alt_text=args.get("alt_text_custom", ""),
                        published=args.get("published") != "false",
                    )
                },
            )
        if edge == "/feed" and method == "POST":
            return self._feed(page, args)
        if edge == "/videos" and method == "POST":
            return self._video(page, args)
        if edge == "/feed" and method == "GET":
            with self.lock:
                latest: dict[str, float] = {}
                for o in self._objects.values():
                    if o["kind"] == "comment":
                        latest[o["post"]] = max(latest.get(o["post"], 0.0), o["created"])
                data = [
                    {
                        "id": o["id"],
                        "created_time": _iso(o["created"]),
                        # A comment updates its post's updated_time.
                        "updated_time": _iso(max(o["created"], latest.get(o["id"], 0.0))),
                    }
                    for o in sorted(
                        self._objects.values(), key=lambda o: o["created"], reverse=True
                    )
                    if o["kind"] == "post" and o["page"] == page["id"]
                ]
            raw = str(args.get("limit") or "25")
            limit = min(int(raw), 100) if raw.isdigit() and int(raw) > 0 else 25
            return json_response(200, {"data": data[:limit]})
        if edge == "/posts" and method == "GET":
            since = float(args.get("since") or 0)
            with self.lock:
                data = [
                    {
                        "id": o["id"],
                        "message": o.get("message", ""),
                        "created_time": _iso(o["created"]),
                        "permalink_url": f"https://www.facebook.com/{o['id']}",
                    }
                    for o in sorted(
                        self._objects.values(), key=lambda o: o["created"], reverse=True
                    )
                    if o["kind"] == "post" and o["page"] == page["id"] and o["created"] >= since
                ]
            return json_response(200, {"data": data})
        return graph_error("Unsupported request", 100)

    def _feed(self, page, args) -> Response:
        message = str(args.get("message") or "")
        attached = []
        for key in sorted(k for k in args if k.startswith("attached_media[")):
            try:
                fbid = str(json.loads(args[key])["media_fbid"])
            except (ValueError, KeyError, TypeError):
                return graph_error("(#100) Invalid attached_media", 100)
            with self.lock:
                photo = self._objects.get(fbid)
            if photo is None or photo["kind"] != "photo" or photo["page"] != page["id"]:
                return graph_error("(#100) Invalid media_fbid", 100)
            attached.append(fbid)
        if not message and not attached:
            return graph_error("(#100) Missing message or attachment", 100)
        with self.lock:
            for o in self._objects.values():
                if (
                    o["kind"] == "post"
                    and o["page"] == page["id"]
                    and o.get("message") == message
                    and message
                ):
                    return graph_error("(#506) Duplicate status message", 506)
        pid = self._new(
            "post", page=page["id"], message=message, attached=attached, published_post=True
        )
        return json_response(200, {"id": pid})

    def _video(self, page, args) -> Response:
        phase = args.get("upload_phase")
        with self.lock:
            if phase == "start":
                size = int(args.get("file_size") or 0)
                if size <= 0:
                    return graph_error("(#100) file_size is required", 100)
                vid = self._new(
                    "video", page=page["id"], size=size, received=0, status="uploading", polls=0
                )
                session = f"sess-{vid}"
                self._objects[vid]["session"] = session
                return json_response(
                    200,
                    {
                        "video_id": vid,
                        "upload_session_id": session,
                        "start_offset": "0",
                        "end_offset": str(min(size, 1 << 20)),
                    },
                )
            video = next(
                (
                    o
                    for o in self._objects.values()
                    if o.get("session") == args.get("upload_session_id")
                ),
                None,
            )
            if video is None:
                return graph_error("(#100) Invalid upload_session_id", 100)
            if phase == "transfer":
                chunk = args.get("video_file_chunk")
                if (
                    not isinstance(chunk, bytes)
                    or int(args.get("start_offset") or -1) != video["received"]
                ):
                    return graph_error(
                        "(#6000) There was a problem uploading your video file", 6000
                    )
                video["received"] += len(chunk)
                start = video["received"]
                return json_response(
                    200,
                    {
                        "start_offset": str(start),
                        "end_offset": str(min(video["size"], start + (1 << 20))),
                    },
                )
            if phase == "finish":
                if video["received"] != video["size"]:
                    return graph_error("(#6001) The video file you selected is incomplete", 6001)
                video.update(status="processing", message=str(args.get("description") or ""))
                return json_response(200, {"success": True})
        return graph_error("(#100) upload_phase is required", 100)

    def _read_object(self, obj: dict, args) -> Response:
        with self.lock:
            if obj["kind"] == "video":
                if obj["status"] == "processing":
                    obj["polls"] += 1
                    if self.fail_processing:
                        obj["status"] = "error"
                    elif obj["polls"] >= int(self.processing_polls):
                        obj.update(status="ready", published_post=True)
                status = {"video_status": obj["status"]}
                if obj["status"] == "error":
                    status["processing_phase"] = {
                        "status": "error",
                        "errors": [{"code": 1363008, "message": str(self.fail_processing)}],
                    }
                return json_response(200, {"id": obj["id"], "status": status})
            if obj["kind"] == "container":
                if obj["status_code"] == "IN_PROGRESS":
                    obj["polls"] += 1
                    if obj.get("fail"):
                        obj.update(status_code="ERROR", status=obj["fail"])
                    elif obj["polls"] >= int(self.processing_polls):
                        obj["status_code"] = "FINISHED"
                return json_response(
                    200,
                    {
                        "id": obj["id"],
                        "status_code": obj["status_code"],
                        "status": obj.get("status", obj["status_code"]),
                    },
                )
            if obj["kind"] == "ig_media":
                return json_response(
                    200, {"id": obj["id"], "permalink": f"https://www.instagram.com/p/{obj['id']}/"}
                )
        return json_response(200, {"id": obj["id"]})

    # Instagram -------------------------------------------------------------------------

    def _instagram(self, request, page, edge, args) -> Response:
        ig = page["ig"]
        if edge == "/media" and request.method == "POST":
            return self._container(ig, args)
        if edge == "/media_publish" and request.method == "POST":
            with self.lock:
                if self.publish_limit and sum(
                    1 for o in self._objects.values() if o["kind"] == "ig_media"
                ) >= int(self.publish_limit):
                    return graph_error(
                        "Application request limit reached", 9, subcode=2207042, status=400
                    )
                container = self._objects.get(str(args.get("creation_id") or ""))
                if (
                    container is None
                    or container["kind"] != "container"
                    or container["ig"] != ig["id"]
                ):
                    return graph_error("(#100) Invalid creation_id", 100)
                if container["status_code"] == "PUBLISHED":
                    return graph_error("The media has already been published", 100, subcode=2207006)
                if container["status_code"] != "FINISHED":
                    return graph_error("Media ID is not available", 9007, subcode=2207027)
                container["status_code"] = "PUBLISHED"
            mid = self._new(
                "ig_media",
                ig=ig["id"],
                caption=container.get("caption", ""),
                container=container["id"],
                published_post=True,
                children=container.get("children", []),
                alt_text=container.get("alt_text", ""),
            )
            return json_response(200, {"id": mid})
        if edge == "/media" and request.method == "GET":
            with self.lock:
                data = [
                    {
                        "id": o["id"],
                        "caption": o["caption"],
                        "timestamp": _iso(o["created"]),
                        "permalink": f"https://www.instagram.com/p/{o['id']}/",
                    }
                    for o in sorted(
                        self._objects.values(), key=lambda o: o["created"], reverse=True
                    )
                    if o["kind"] == "ig_media" and o["ig"] == ig["id"]
                ]
            return json_response(200, {"data": data})
        return graph_error("Unsupported request", 100)

    def _container(self, ig, args) -> Response:
        media_type = str(args.get("media_type") or "IMAGE")
        fields = {
            "ig": ig["id"],
            "caption": str(args.get("caption") or ""),
            "status_code": "IN_PROGRESS",
            "polls": 0,
            "media_type": media_type,
            "alt_text": str(args.get("alt_text") or ""),
        }
        if media_type == "CAROUSEL":
            children = [c for c in str(args.get("children") or "").split(",") if c]
            with self.lock:
                if not 2 <= len(children) <= 10 or any(
                    self._objects.get(c, {}).get("status_code") != "FINISHED" for c in children
                ):
                    return graph_error(
                        "(#100) The carousel children are not ready or invalid",
                        100,
                        subcode=2207043,
                    )
            fields["children"] = children
        elif media_type == "REELS":
            if args.get("upload_type") != "resumable":
                return graph_error("(#100) video_url or upload_type=resumable is required", 100)
            fields.update(status_code="AWAITING_UPLOAD", size=0)
        else:
            url = str(args.get("image_url") or "")
            if not url:
                return graph_error("(#100) image_url is required", 100)
            name = (
                url.split("/_fake/files/", 1)[1]
                if url.startswith(self.url + "/_fake/files/")
                else None
            )
            if name is None or name not in self.files:
                fields["fail"] = (
                    "ERROR: Media download has failed. The media URI doesn't meet our requirements."
                )
            fields["size"] = len(self.files.get(name or "", b""))
        if self.fail_processing:
            fields["fail"] = str(self.fail_processing)
        cid = self._new("container", **fields)
        body = {"id": cid}
        if media_type == "REELS":
            body["uri"] = f"{self.url}/rupload/{cid}"
        return json_response(200, body)

    def _rupload(self, request: Request) -> Response:
        cid = request.path.rsplit("/", 1)[-1]
        header = request.headers.get("Authorization") or ""
        token = header.split(" ", 1)[1].strip() if header.startswith("OAuth ") else ""
        with self.lock:
            container = self._objects.get(cid)
            page_id = self.page_tokens.get(token)
            if container is None or page_id is None:
                return json_response(
                    400,
                    {
                        "debug_info": {
                            "type": "ProcessingFailedError",
                            "message": "Request processing failed",
                        }
                    },
                )
            if int(request.headers.get("file_size") or -1) != len(request.body):
                return json_response(
                    400,
                    {
                        "debug_info": {
                            "type": "PartialRequestError",
                            "message": "Partial request (did not match length of file)",
                        }
                    },
                )
            container.update(status_code="IN_PROGRESS", size=len(request.body))
        return json_response(200, {"success": True, "message": "Upload successful."})

    def _new(self, kind: str, **fields) -> str:
        oid = str(next(self._ids))
        with self.lock:
            self._objects[oid] = {"id": oid, "kind": kind, "created": time.time(), **fields}
        return oid


def main(argv=None) -> None:
    def add_arguments(parser):
        parser.add_argument(
            "--page",
            action="append",
            default=[],
            metavar="ID=NAME:TOKEN:MANAGER[:IG_ID:IG_USERNAME]",
            help="a Page, its Page access token and who manages it",
        )

    def configure(fake, args):
        for value in args.page:
            page_id, rest = split_pair(value)
            name, token, manager, *ig = rest.split(":")
            fake.add_page(
                page_id,
                name,
                managers=[manager],
                ig={"id": ig[0], "username": ig[1]} if len(ig) == 2 else None,
                token=token,
            )

    oauth_cli(
        "Fake Graph API (Facebook Pages, Instagram) for tests.",
        FakeGraph,
        argv,
        add_arguments,
        configure,
    )


if __name__ == "__main__":
    main()
