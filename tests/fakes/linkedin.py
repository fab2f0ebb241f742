"""A fake LinkedIn REST API (Community Management: organisations, posts, images, videos).

Serves:
- OAuth 2.0: ``GET/POST /oauth/v2/authorization`` (consent page), ``POST
  /oauth/v2/accessToken`` (client id and secret in the body; refresh tokens when
  ``issue_refresh``); no PKCE.
- every ``/rest/`` call needs ``LinkedIn-Version`` (else 400 "A version must be present")
  and, for finders, ``X-Restli-Protocol-Version: 2.0.0``.
- ``GET /rest/organizationAcls?q=roleAssignee&state=APPROVED`` -> the member's roles,
  ``GET /rest/organizations/{id}`` -> ``localizedName``, ``vanityName``
- ``POST /rest/posts`` -> 201, post URN in ``x-restli-id``; the author must be an
  organisation the member may post for (403 otherwise), media must be ``AVAILABLE``; the
  same commentary twice -> 422 "Content is a duplicate of urn:li:share:...";
  ``GET /rest/posts?q=author&author=``
- Images API: ``POST /rest/images?action=initializeUpload`` -> ``uploadUrl`` (``PUT
  /_upload/...`` on this fake), ``GET /rest/images/{urn}`` (``WAITING_UPLOAD`` ->
  ``PROCESSING`` -> ``AVAILABLE`` over ``processing_polls`` reads)
- Videos API: ``initializeUpload`` (parts of ``part_bytes``), part ``PUT`` answers an
  ``ETag``, ``finalizeUpload`` checks the ETags, ``GET /rest/videos/{urn}``
  (``PROCESSING`` -> ``AVAILABLE`` or ``PROCESSING_FAILED`` with ``fail_processing``)

Comments (the inbox, as the Comments API documents them): ``GET /rest/socialActions/{target}
/comments?start=&count=`` (target: a post's share, ugcPost or activity URN -> its top-level
comments; a comment URN -> its replies; newest first, ``count`` default 10, at most 100,
``paging: {start, count, total}``), ``GET /rest/socialActions/{target}/comments/{id}``,
``POST /rest/socialActions/{target}/comments`` ``{actor, object, message: {text},
parentComment?}`` (201, the comment in the body and its URN in ``x-restli-id``; the actor
must be an organisation the member may post for; a reply must answer a top-level comment),
``DELETE /rest/socialActions/{target}/comments/{id}?actor=`` (the organisation may delete
comments under its posts; 204, 404 once gone). Each comment: ``{id, commentUrn, actor,
object (the post's activity URN), message: {text, attributes}, created: {actor, time},
lastModified, parentComment?, commentsSummary: {aggregatedTotalComments, selectedComments}}``.
``add_comment(on=post urn, actor=, text=, reply_to=None)`` has someone comment. A token
issued with a scope (``issue_token(..., scope=)``) without ``r_organization_social`` cannot
read comments, without ``w_organization_social`` cannot write them (403 ACCESS_DENIED).

Errors: ``{"status", "serviceErrorCode", "code", "message"}`` (401 ``INVALID_ACCESS_TOKEN``
65600, 429 throttling when ``rate_limits`` (path -> calls) run out).

Members are OAuth accounts; ``add_organization(id, name, vanity, admins={member: role})``.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import time
from urllib.parse import unquote

from .base import FakeServer, Request, Response, json_response, split_pair
from .oauth import OAuthFake, oauth_cli


def li_error(status: int, message: str, code: str = "", service: int = 0) -> Response:
    body: dict = {"status": status, "message": message}
    if code:
        body["code"] = code
    if service:
        body["serviceErrorCode"] = service
    return json_response(status, body)


class FakeLinkedIn(OAuthFake, FakeServer):
    name = "linkedin"
    authorize_path = "/oauth/v2/authorization"
    token_path = "/oauth/v2/accessToken"
    pkce_required = False
    rotate_refresh = False
    access_ttl = 60 * 86400.0

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._init_oauth()
        self.organizations: dict[str, dict] = {}
        self.processing_polls = 2
        self.fail_processing = False
        self.part_bytes = 1024
        self.rate_limits: dict[str, int] = {}
        self._usage: dict[str, int] = {}
        self._posts: dict[str, dict] = {}
        self._assets: dict[str, dict] = {}
        self._comments: dict[str, dict] = {}  # comment URN -> comment
        self._ids = itertools.count(7_200_000_000_000_000_001)

    def add_organization(self, id: str, name: str, vanity: str, *, admins: dict) -> str:
        with self.lock:
            self.organizations[str(id)] = {
                "id": str(id),
                "name": name,
                "vanity": vanity,
                "admins": dict(admins),
            }
        return f"urn:li:organization:{id}"

    def reset_state(self) -> None:
        self._posts.clear()
        self._assets.clear()
        self._comments.clear()
        self._usage.clear()

    def configure(self, **settings) -> dict:
        with self.lock:
            for name in ("processing_polls", "fail_processing", "part_bytes", "rate_limits"):
                if name in settings:
                    setattr(self, name, settings.pop(name))
        return super().configure(**settings)

    def control(self, request: Request, action: str) -> Response | None:
        return self.oauth_control(request, action)

    def posts(self) -> list[dict]:
        with self.lock:
            return [dict(p) for p in self._posts.values()]

    def assets(self) -> list[dict]:
        with self.lock:
            return [dict(a) for a in self._assets.values()]

    def is_write(self, request: Request) -> bool:
        return request.method == "POST" and (
            request.path == "/rest/posts"
            or (
                request.path.startswith("/rest/socialActions/")
                and request.path.endswith("/comments")
            )
        )

    def comments(self) -> list[dict]:
        with self.lock:
            return [dict(c) for c in self._comments.values()]

    def add_comment(
        self, *, on: str, actor: str, text: str, reply_to: str | None = None, ago: float = 0
    ) -> dict:
        """Someone (``actor``, a member URN) comments ``text`` on the post ``on``, or answers
        the comment ``reply_to``; ``ago`` seconds in the past."""
        with self.lock:
            post = self._posts[on]
            return self._new_comment(post, actor=actor, text=text, parent=reply_to, ago=ago)

    def _new_comment(self, post: dict, *, actor: str, text: str, parent, ago: float = 0) -> dict:
        n = str(next(self._ids))
        urn = f"urn:li:comment:({post['activity']},{n})"
        at = int((time.time() - ago) * 1000)
        comment = {
            "id": n,
            "commentUrn": urn,
            "actor": actor,
            "object": post["activity"],
            "post": post["id"],
            "message": {"text": text, "attributes": []},
            "created": {"actor": actor, "time": at},
            "lastModified": {"actor": actor, "time": at},
        }
        if parent:
            comment["parentComment"] = parent
        self._comments[urn] = comment
        return dict(comment)

    def _view(self, comment: dict) -> dict:
        view = {k: v for k, v in comment.items() if k != "post"}
        replies = [
            c for c in self._comments.values() if c.get("parentComment") == comment["commentUrn"]
        ]
        view["commentsSummary"] = {
            "aggregatedTotalComments": len(replies),
            "selectedComments": [c["commentUrn"] for c in replies[:2]],
        }
        return view

    def token_body(self, account, access, refresh, ttl, scope):
        body = {"access_token": access, "expires_in": int(ttl), "scope": scope.replace(" ", ",")}
        if refresh:
            body.update(refresh_token=refresh, refresh_token_expires_in=365 * 86400)
        return body

    # -- API ---------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        oauth = self.handle_oauth(request)
        if oauth is not None:
            return oauth
        if request.path.startswith("/_upload/"):
            return self._receive(request)
        if not request.path.startswith("/rest/"):
            return li_error(404, "Not Found")
        member = self.account_for(request)
        if member is None:
            return li_error(401, "Invalid access token", "INVALID_ACCESS_TOKEN", 65600)
        if not request.headers.get("LinkedIn-Version"):
            return li_error(
                400,
                "A version must be present. Please specify a version by adding the "
                "LinkedIn-Version header.",
                "VERSION_MISSING",
            )
        if request.headers.get("X-Restli-Protocol-Version") != "2.0.0":
            return li_error(
                400, "X-Restli-Protocol-Version 2.0.0 is required by this fake", "ILLEGAL_ARGUMENT"
            )
        for key, limit in self.rate_limits.items():
            if request.path.startswith(key):
                with self.lock:
                    self._usage[key] = self._usage.get(key, 0) + 1
                    if self._usage[key] > int(limit):
                        return li_error(
                            429,
                            "Resource level throttle APPLICATION DAY limit for calls to this "
                            "resource is reached.",
                        )
        return self._route(request, member)

    def _roles(self, member: dict) -> list[dict]:
        return [
            {
                "organization": f"urn:li:organization:{o['id']}",
                "role": o["admins"][member["id"]],
                "state": "APPROVED",
                "roleAssignee": f"urn:li:person:{member['id']}",
            }
            for o in self.organizations.values()
            if member["id"] in o["admins"]
        ]

    def _route(self, request: Request, member: dict) -> Response:
        path, method, action = request.path, request.method, request.arg("action")
        if (
            path == "/rest/organizationAcls"
            and method == "GET"
            and request.arg("q") == "roleAssignee"
        ):
            with self.lock:
                return json_response(
                    200, {"elements": self._roles(member), "paging": {"count": 10, "start": 0}}
                )
        match = re.fullmatch(r"/rest/organizations/(\d+)", path)
        if match and method == "GET":
            org = self.organizations.get(match.group(1))
            if org is None:
                return li_error(404, "Not Found")
            return json_response(
                200,
                {"id": int(org["id"]), "localizedName": org["name"], "vanityName": org["vanity"]},
            )
        if path == "/rest/posts" and method == "POST":
            return self._create_post(request, member)
        if path == "/rest/posts" and method == "GET":
            author = request.arg("author")
            with self.lock:
                elements = [
                    p
                    for p in sorted(
                        self._posts.values(), key=lambda p: p["createdAt"], reverse=True
                    )
                    if p["author"] == author
                ]
            return json_response(200, {"elements": elements})
        if path in ("/rest/images", "/rest/videos") and method == "POST":
            kind = path.rsplit("/", 1)[-1]
            if action == "initializeUpload":
                return self._initialize(request, member, kind)
            if action == "finalizeUpload" and kind == "videos":
                return self._finalize(request)
        match = re.fullmatch(r"/rest/(images|videos)/(.+)", path)
        if match and method == "GET":
            return self._asset_status(unquote(match.group(2)))
        match = re.fullmatch(r"/rest/socialActions/([^/]+)/comments(?:/([0-9]+))?", path)
        if match:
            return self._social(request, member, unquote(match.group(1)), match.group(2))
        return li_error(404, "Not Found")

    # -- comments ------------------------------------------------------------------------

    def _scoped(self, request: Request, scope: str) -> bool:
        with self.lock:
            entry = self._access.get(request.bearer() or "") or {}
        granted = str(entry.get("scope") or "").replace(",", " ").split()
        return not granted or scope in granted

    def _post_for(self, target: str) -> dict | None:
        for post in self._posts.values():
            if target in (post["id"], post["activity"]):
                return post
        return None

    def _social(self, request: Request, member: dict, target: str, comment_id) -> Response:
        method = request.method
        write = method in ("POST", "DELETE")
        scope = "w_organization_social" if write else "r_organization_social"
        if not self._scoped(request, scope):
            return li_error(
                403,
                f"Not enough permissions to access: socialActions.{method}.{self_version(request)}",
                "ACCESS_DENIED",
                100,
            )
        with self.lock:
            parent = self._comments.get(target)
            post = self._post_for(target) if parent is None else self._posts.get(parent["post"])
            if post is None:
                return li_error(404, f"Entity {target} not found", "NOT_FOUND")
            if comment_id is not None:
                comment = self._comments.get(f"urn:li:comment:({post['activity']},{comment_id})")
                if comment is None:
                    return li_error(404, "Comment not found", "NOT_FOUND")
                if method == "GET":
                    return json_response(200, self._view(comment))
                if method == "DELETE":
                    actor = request.arg("actor") or ""
                    if not self._may_post_as(member, actor) or post["author"] != actor:
                        return li_error(403, "Not enough permissions to delete", "ACCESS_DENIED")
                    for urn in [
                        u
                        for u, c in self._comments.items()
                        if u == comment["commentUrn"]
                        or c.get("parentComment") == comment["commentUrn"]
                    ]:
                        del self._comments[urn]
                    return Response(204, b"")
                return li_error(405, "Method Not Allowed")
            if method == "GET":
                if parent is None:
                    chosen = [
                        c
                        for c in self._comments.values()
                        if c["post"] == post["id"] and not c.get("parentComment")
                    ]
                else:
                    chosen = [
                        c for c in self._comments.values() if c.get("parentComment") == target
                    ]
                chosen.sort(key=lambda c: (c["created"]["time"], int(c["id"])), reverse=True)
                try:
                    start = max(0, int(request.arg("start") or 0))
                    count = max(1, min(100, int(request.arg("count") or 10)))
                except ValueError:
                    return li_error(400, "start and count are numbers", "ILLEGAL_ARGUMENT")
                page = [self._view(c) for c in chosen[start : start + count]]
                return json_response(
                    200,
                    {
                        "elements": page,
                        "paging": {
                            "start": start,
                            "count": count,
                            "total": len(chosen),
                            "links": [],
                        },
                    },
                )
            if method == "POST":
                return self._create_comment(request, member, post, parent)
        return li_error(405, "Method Not Allowed")

    def _create_comment(self, request: Request, member: dict, post: dict, target) -> Response:
        try:
            body = request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(
            (body.get("message") or {}).get("text"), str
        ):
            return li_error(422, "message.text is required", "UNPROCESSABLE_ENTITY")
        actor = str(body.get("actor") or "")
        if not self._may_post_as(member, actor):
            return li_error(403, "Not enough permissions to comment as this actor", "ACCESS_DENIED")
        if body.get("object") not in (post["id"], post["activity"]):
            return li_error(400, "object does not match the target", "ILLEGAL_ARGUMENT")
        parent = body.get("parentComment")
        if parent is not None:
            answered = self._comments.get(str(parent))
            if answered is None or answered["post"] != post["id"]:
                return li_error(400, "parentComment not found", "ILLEGAL_ARGUMENT")
            if answered.get("parentComment"):
                return li_error(
                    400, "Nested comments may only answer a top-level comment", "ILLEGAL_ARGUMENT"
                )
        if target is not None and target["commentUrn"] != parent:
            return li_error(400, "The target comment must be the parentComment", "ILLEGAL_ARGUMENT")
        comment = self._new_comment(post, actor=actor, text=body["message"]["text"], parent=parent)
        return json_response(
            201, self._view(comment), headers={"x-restli-id": comment["commentUrn"]}
        )

    def _may_post_as(self, member: dict, author: str) -> bool:
        return any(r["organization"] == author for r in self._roles(member))

    def _create_post(self, request: Request, member: dict) -> Response:
        try:
            body = request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("commentary"), str):
            return li_error(422, "commentary is required", "UNPROCESSABLE_ENTITY")
        author = str(body.get("author") or "")
        with self.lock:
            if not self._may_post_as(member, author):
                return li_error(
                    403,
                    "Not enough permissions to access: "
                    f"partnerApiPostsExternal.CREATE.{self_version(request)}",
                    "ACCESS_DENIED",
                    100,
                )
            content = body.get("content") or {}
            ids = (
                [content["media"]["id"]]
                if "media" in content
                else [i["id"] for i in (content.get("multiImage") or {}).get("images", [])]
            )
            for mid in ids:
                asset = self._assets.get(mid)
                if asset is None or asset["status"] != "AVAILABLE":
                    return li_error(422, f"Media {mid} is not available", "UNPROCESSABLE_ENTITY")
            for post in self._posts.values():
                if post["author"] == author and post["commentary"] == body["commentary"]:
                    return li_error(
                        422, f"Content is a duplicate of {post['id']}", "DUPLICATE_POST"
                    )
            n = next(self._ids)
            urn = f"urn:li:share:{n}"
            self._posts[urn] = {
                "id": urn,
                "activity": f"urn:li:activity:{n + 500_000_000}",
                "author": author,
                "commentary": body["commentary"],
                "content": content,
                "createdAt": int(time.time() * 1000),
                "lifecycleState": "PUBLISHED",
            }
        return Response(201, b"", headers={"x-restli-id": urn})

    def _initialize(self, request: Request, member: dict, kind: str) -> Response:
        try:
            req = (request.json() or {}).get("initializeUploadRequest") or {}
        except ValueError:
            req = {}
        owner = str(req.get("owner") or "")
        with self.lock:
            if not self._may_post_as(member, owner):
                return li_error(
                    403, "Not enough permissions to upload as this owner", "ACCESS_DENIED"
                )
            n = next(self._ids)
            if kind == "images":
                urn = f"urn:li:image:C4D{n}"
                self._assets[urn] = {
                    "urn": urn,
                    "kind": kind,
                    "status": "WAITING_UPLOAD",
                    "polls": 0,
                    "parts": {},
                    "size": None,
                }
                return json_response(
                    200,
                    {
                        "value": {
                            "uploadUrlExpiresAt": int(time.time() * 1000) + 3600_000,
                            "uploadUrl": f"{self.url}/_upload/{urn}/0",
                            "image": urn,
                        }
                    },
                )
            size = int(req.get("fileSizeBytes") or 0)
            if size <= 0:
                return li_error(422, "fileSizeBytes is required", "UNPROCESSABLE_ENTITY")
            urn = f"urn:li:video:C5F{n}"
            parts = []
            for i, first in enumerate(range(0, size, int(self.part_bytes))):
                last = min(size, first + int(self.part_bytes)) - 1
                parts.append(
                    {
                        "uploadUrl": f"{self.url}/_upload/{urn}/{i}",
                        "firstByte": first,
                        "lastByte": last,
                    }
                )
            self._assets[urn] = {
                "urn": urn,
                "kind": kind,
                "status": "WAITING_UPLOAD",
                "polls": 0,
                "parts": {},
                "size": size,
                "expected_parts": len(parts),
                "token": f"tok{n}",
            }
            return json_response(
                200,
                {
                    "value": {
                        "uploadUrlsExpireAt": int(time.time() * 1000) + 3600_000,
                        "video": urn,
                        "uploadInstructions": parts,
                        "uploadToken": f"tok{n}",
                    }
                },
            )

    def _receive(self, request: Request) -> Response:
        if request.method != "PUT":
            return li_error(405, "Method Not Allowed")
        _, _, rest = request.path.partition("/_upload/")
        urn, _, index = rest.rpartition("/")
        with self.lock:
            asset = self._assets.get(urn)
            if asset is None or not request.body:
                return li_error(400, "Bad upload")
            etag = hashlib.md5(request.body).hexdigest()  # noqa: S324 - an ETag, not security
            asset["parts"][int(index)] = {"etag": etag, "size": len(request.body)}
            asset["authorized_upload"] = bool(request.headers.get("Authorization"))
            if asset["kind"] == "images":
                asset["status"] = "PROCESSING"
        return Response(201, b"", headers={"ETag": etag})

    def _finalize(self, request: Request) -> Response:
        req = (request.json() or {}).get("finalizeUploadRequest") or {}
        with self.lock:
            asset = self._assets.get(str(req.get("video") or ""))
            if asset is None:
                return li_error(404, "Not Found")
            etags = [asset["parts"][i]["etag"] for i in sorted(asset["parts"])]
            if (
                req.get("uploadedPartIds") != etags
                or len(etags) != asset["expected_parts"]
                or req.get("uploadToken") != asset["token"]
            ):
                return li_error(400, "Uploaded part ids do not match the upload", "BAD_REQUEST")
            asset["status"] = "PROCESSING"
        return json_response(200, {})

    def _asset_status(self, urn: str) -> Response:
        with self.lock:
            asset = self._assets.get(urn)
            if asset is None:
                return li_error(404, "Not Found")
            if asset["status"] == "PROCESSING":
                asset["polls"] += 1
                if self.fail_processing:
                    asset["status"] = "PROCESSING_FAILED"
                elif asset["polls"] >= int(self.processing_polls):
                    asset["status"] = "AVAILABLE"
            return json_response(200, {"id": urn, "status": asset["status"]})


def self_version(request: Request) -> str:
    return request.headers.get("LinkedIn-Version") or ""


def main(argv=None) -> None:
    def add_arguments(parser):
        parser.add_argument(
            "--organization", action="append", default=[], metavar="ID=NAME:VANITY:ADMIN_ID"
        )

    def configure(fake, args):
        for value in args.organization:
            org_id, rest = split_pair(value)
            name, vanity, admin = rest.split(":")
            fake.add_organization(org_id, name, vanity, admins={admin: "ADMINISTRATOR"})

    oauth_cli("Fake LinkedIn REST API for tests.", FakeLinkedIn, argv, add_arguments, configure)


if __name__ == "__main__":
    main()
