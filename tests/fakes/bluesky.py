"""A fake Bluesky PDS following the documented AT Protocol XRPC endpoints.

Serves (under ``/xrpc/``):
- ``com.atproto.server.createSession`` ``{identifier, password}`` (handle, DID or email and
  an app password) -> ``{did, handle, accessJwt, refreshJwt, active}``; 401
  ``AuthenticationRequired`` "Invalid identifier or password"
- ``com.atproto.server.refreshSession`` (Bearer refreshJwt) and ``getSession``
- ``com.atproto.repo.createRecord``, ``com.atproto.repo.getRecord``
- ``app.bsky.actor.getProfile`` (a real PDS proxies this to the AppView)
- ``com.atproto.repo.uploadBlob`` (raw bytes; images over 1,000,000 bytes -> 413) and, as
  the video service, ``com.atproto.server.getServiceAuth`` + ``app.bsky.video.uploadVideo``
  (service token) + ``app.bsky.video.getJobStatus`` (``JOB_STATE_CREATED`` ->
  ``JOB_STATE_ENCODING`` -> ``JOB_STATE_COMPLETED`` with the blob over
  ``video_processing_polls`` reads, or ``JOB_STATE_FAILED`` with ``video_fail``); a post's
  ``embed`` must reference blobs of the same repo (images with ``alt``)

Errors follow the reference PDS: no token -> 401 ``AuthenticationRequired``; an expired
access token -> 400 ``ExpiredToken`` and an unknown one -> 400 ``InvalidToken`` (set
``stale_token_status=401`` to answer those with 401 instead); records that break the post
lexicon (text over 300 graphemes or 3000 bytes, bad ``createdAt``) -> 400
``InvalidRequest``; ``getRecord`` of a missing record -> 400 ``RecordNotFound``.

A ``createRecord`` on a record key that already exists: the reference PDS has answered it
with 500 ``InternalServerError`` (bluesky-social/atproto#3718) and newer versions with an
explicit 4xx. ``duplicate_rkey="500"`` (default) mimics the first,
``duplicate_rkey="400"`` answers 400 ``{"error": "InvalidRequest", "message": "Record
already exists"}``. Record keys must have record-key syntax, and for ``app.bsky.feed.post``
TID syntax (the lexicon's key type) unless ``require_tid_rkeys=False``.

Notifications, threads, search and rate-limit headers: see inbox.py.

Control (besides base.py's): ``POST /_fake/tokens`` (alias ``/_fake/accounts``)
``{"handle", "password", "did"?, "display_name"?, "email"?}``; ``POST /_fake/expire_tokens``
expires every access token; ``POST /_fake/config {"duplicate_rkey", "stale_token_status",
"access_ttl", "max_graphemes", "require_tid_rkeys", "latency"}``.

Run alone: ``python -m tests.fakes.bluesky --port 8766 --account alice.test=app-pass-word``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from datetime import datetime

from .base import FakeServer, Request, Response, json_response, run_cli, split_pair
from .inbox import BlueskyInbox
from .moderation import BlueskyModeration
from .text import grapheme_count

POST = "app.bsky.feed.post"
AUTH_REQUIRED = {"error": "AuthenticationRequired", "message": "Authentication Required"}
_RKEY = re.compile(r"^[A-Za-z0-9._:~-]{1,512}$")
_TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
_NSID = re.compile(r"^[a-zA-Z]([a-zA-Z0-9-]*)(\.[a-zA-Z0-9-]+)+$")
_B32 = "abcdefghijklmnopqrstuvwxyz234567"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b32(data: bytes) -> str:
    bits = int.from_bytes(data, "big")
    length = (len(data) * 8 + 4) // 5
    bits <<= length * 5 - len(data) * 8
    return "".join(_B32[(bits >> (5 * i)) & 31] for i in reversed(range(length)))


def _valid_datetime(value) -> bool:
    if not isinstance(value, str) or not re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", value):
        return False
    if not re.search(r"(Z|[+-]\d{2}:\d{2})$", value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


class FakeBluesky(BlueskyInbox, BlueskyModeration, FakeServer):
    name = "bluesky"

    def __init__(
        self,
        *,
        accounts: dict | list | None = None,
        access_ttl: float = 7200.0,
        duplicate_rkey: str = "500",
        stale_token_status: int = 400,
        max_graphemes: int = 300,
        require_tid_rkeys: bool = True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.access_ttl = access_ttl
        self.duplicate_rkey = str(duplicate_rkey)
        self.stale_token_status = stale_token_status
        self.max_graphemes = max_graphemes
        self.require_tid_rkeys = require_tid_rkeys
        self.accounts: dict[str, dict] = {}  # did -> account
        self._access: dict[str, tuple[str, float]] = {}  # token -> (did, expires)
        self._refresh: dict[str, str] = {}  # token -> did
        self._records: dict[tuple[str, str, str], dict] = {}
        self.post_metrics: dict[str, dict] = {}
        self.followers: dict[str, int] = {}
        self._signing_key = secrets.token_bytes(32)
        self._rev = 0
        self._blobs: dict[str, dict] = {}  # cid -> {"did", "mimeType", "size"}
        self._jobs: dict[str, dict] = {}
        self._service_tokens: dict[str, str] = {}  # token -> did
        self.video_processing_polls = 2
        self.video_fail = ""
        self._moderation_init()  # reports, mutes (moderation.py)
        self._inbox_init()  # notifications, threads, search, rate limits (inbox.py)
        if isinstance(accounts, dict):
            accounts = [
                {"handle": handle, **(spec if isinstance(spec, dict) else {"password": spec})}
                for handle, spec in accounts.items()
            ]
        for spec in accounts or []:
            self.add_account(**spec)

    # -- state -------------------------------------------------------------------------

    def add_account(
        self,
        handle: str,
        password: str,
        did: str | None = None,
        display_name: str | None = None,
        email: str | None = None,
    ) -> dict:
        handle = handle.lower().lstrip("@")
        did = did or "did:plc:" + _b32(hashlib.sha256(handle.encode()).digest())[:24]
        with self.lock:
            account = self.accounts.get(did, {"passwords": set()})
            account.update(
                {
                    "did": did,
                    "handle": handle,
                    "display_name": display_name or account.get("display_name") or handle,
                    "email": email or account.get("email") or f"{handle}@example.test",
                }
            )
            account["passwords"].add(password)
            self.accounts[did] = account
        return {"did": did, "handle": handle}

    def add_token(self, payload: dict) -> dict:
        return self.add_account(
            handle=payload.get("handle") or payload["identifier"],
            password=payload["password"],
            did=payload.get("did"),
            display_name=payload.get("display_name"),
            email=payload.get("email"),
        )

    def expire_access_tokens(self) -> None:
        with self.lock:
            self._access = {token: (did, 0.0) for token, (did, _) in self._access.items()}

    def reset_state(self) -> None:
        self._moderation_reset()
        self._inbox_reset()
        self._records.clear()
        self._blobs.clear()
        self._jobs.clear()

    def configure(self, **settings) -> dict:
        with self.lock:
            for name, cast in (
                ("duplicate_rkey", str),
                ("stale_token_status", int),
                ("access_ttl", float),
                ("max_graphemes", int),
                ("require_tid_rkeys", bool),
                ("video_processing_polls", int),
                ("video_fail", str),
            ):
                if name in settings:
                    setattr(self, name, cast(settings.pop(name)))
            rates = self._rate_settings(settings)
            result = {
                **rates,
                "duplicate_rkey": self.duplicate_rkey,
                "stale_token_status": self.stale_token_status,
                "access_ttl": self.access_ttl,
                "max_graphemes": self.max_graphemes,
                "require_tid_rkeys": self.require_tid_rkeys,
            }
        return {**result, **super().configure(**settings)}

    def posts(self) -> list[dict]:
        with self.lock:
            return [
                {**record, "handle": self.accounts[record["did"]]["handle"]}
                for record in self._records.values()
                if record["collection"] == POST
            ]

    def set_metrics(self, *, posts: dict | None = None, followers: dict | None = None) -> dict:
        """Public counts to answer with: ``posts`` {record URI: {"likeCount": n, ...}},
        ``followers`` {did: n} (also ``POST /_fake/metrics``)."""
        with self.lock:
            for uri, counts in (posts or {}).items():
                if not isinstance(counts, dict):
                    raise ValueError("metrics of a post are an object")
                self.post_metrics.setdefault(str(uri), {}).update(counts)
            for did, count in (followers or {}).items():
                self.followers[str(did)] = count
            return {"posts": len(self.post_metrics), "followers": dict(self.followers)}

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
                self.set_metrics(posts=payload.get("posts"), followers=payload.get("followers")),
            )
        if action == "expire_tokens" and request.method == "POST":
            self.expire_access_tokens()
            return json_response(200, {"ok": True})
        if action == "accounts" and request.method == "POST":
            return json_response(200, self.add_token(request.json()))
        return None

    # -- tokens ------------------------------------------------------------------------

    def _jwt(self, did: str, scope: str, ttl: float) -> str:
        now = int(time.time())
        header = _b64url(json.dumps({"typ": "at+jwt", "alg": "HS256"}).encode())
        claims = {"scope": scope, "sub": did, "iat": now, "exp": now + int(ttl)}
        claims["jti"] = secrets.token_hex(8)
        payload = _b64url(json.dumps(claims).encode())
        signature = hmac.new(self._signing_key, f"{header}.{payload}".encode(), hashlib.sha256)
        return f"{header}.{payload}.{_b64url(signature.digest())}"

    def _new_session(self, did: str) -> dict:
        access = self._jwt(did, "com.atproto.appPass", self.access_ttl)
        refresh = self._jwt(did, "com.atproto.refresh", 90 * 86400)
        self._access[access] = (did, time.time() + self.access_ttl)
        self._refresh[refresh] = did
        account = self.accounts[did]
        return {
            "did": did,
            "handle": account["handle"],
            "email": account["email"],
            "emailConfirmed": True,
            "accessJwt": access,
            "refreshJwt": refresh,
            "active": True,
        }

    def _authenticate(self, request: Request) -> tuple[str | None, Response | None]:
        token = request.bearer()
        if not token:
            return None, json_response(401, AUTH_REQUIRED)
        with self.lock:
            entry = self._access.get(token)
        if entry is None:
            body = {"error": "InvalidToken", "message": "Token could not be verified"}
            return None, json_response(self.stale_token_status, body)
        did, expires = entry
        if time.time() >= expires:
            body = {"error": "ExpiredToken", "message": "Token has expired"}
            return None, json_response(self.stale_token_status, body)
        return did, None

    def _resolve_repo(self, repo) -> str | None:
        if not isinstance(repo, str):
            return None
        if repo in self.accounts:
            return repo
        for did, account in self.accounts.items():
            if account["handle"] == repo.lower():
                return did
        return None

    # -- API ---------------------------------------------------------------------------

    def is_write(self, request: Request) -> bool:
        return request.method == "POST" and request.path == "/xrpc/com.atproto.repo.createRecord"

    def handle(self, request: Request) -> Response:
        if not request.path.startswith("/xrpc/"):
            return json_response(404, {"error": "NotFound", "message": "Not Found"})
        nsid = request.path[len("/xrpc/") :]
        routes = {
            ("POST", "com.atproto.server.createSession"): self._create_session,
            ("POST", "com.atproto.server.refreshSession"): self._refresh_session,
            ("GET", "com.atproto.server.getSession"): self._get_session,
            ("POST", "com.atproto.repo.createRecord"): self._create_record,
            ("GET", "com.atproto.repo.getRecord"): self._get_record,
            ("GET", "app.bsky.actor.getProfile"): self._get_profile,
            ("GET", "app.bsky.feed.getPosts"): self._get_posts,
            ("GET", "app.bsky.notification.listNotifications"): self._list_notifications,
            ("GET", "app.bsky.feed.getPostThread"): self._post_thread,
            ("GET", "app.bsky.feed.searchPosts"): self._search_posts,
            ("POST", "com.atproto.repo.uploadBlob"): self._upload_blob,
            ("GET", "com.atproto.server.getServiceAuth"): self._service_auth,
            ("POST", "app.bsky.video.uploadVideo"): self._upload_video,
            ("POST", "com.atproto.moderation.createReport"): self._create_report,
            ("POST", "app.bsky.graph.muteActor"): self._mute_actor,
            ("GET", "app.bsky.video.getJobStatus"): self._job_status,
        }
        route = routes.get((request.method, nsid))
        if route is None:
            return json_response(
                501, {"error": "MethodNotImplemented", "message": "Method Not Implemented"}
            )
        return self._with_rate_headers(request, lambda: route(request))

    def _body(self, request: Request) -> dict | None:
        try:
            body = request.json()
        except (ValueError, UnicodeDecodeError):
            return None
        return body if isinstance(body, dict) else None

    def _create_session(self, request: Request) -> Response:
        body = self._body(request)
        if not body or not isinstance(body.get("identifier"), str) or "password" not in body:
            return json_response(
                400, {"error": "InvalidRequest", "message": "Input must have the property"}
            )
        identifier = body["identifier"].strip().lower().lstrip("@")
        with self.lock:
            for did, account in self.accounts.items():
                if identifier in (did, account["handle"], account["email"].lower()) and (
                    body["password"] in account["passwords"]
                ):
                    return json_response(200, self._new_session(did))
        return json_response(
            401, {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}
        )

    def _refresh_session(self, request: Request) -> Response:
        token = request.bearer()
        if not token:
            return json_response(401, AUTH_REQUIRED)
        with self.lock:
            did = self._refresh.pop(token, None)
            if did is None:
                return json_response(
                    400, {"error": "ExpiredToken", "message": "Token has been revoked"}
                )
            return json_response(200, self._new_session(did))

    def _get_session(self, request: Request) -> Response:
        did, error = self._authenticate(request)
        if error:
            return error
        with self.lock:
            account = self.accounts[did]
            return json_response(
                200,
                {
                    "did": did,
                    "handle": account["handle"],
                    "email": account["email"],
                    "emailConfirmed": True,
                    "active": True,
                },
            )

    def _create_record(self, request: Request) -> Response:
        did, error = self._authenticate(request)
        if error:
            return error
        body = self._body(request)
        if body is None:
            return json_response(400, {"error": "InvalidRequest", "message": "Invalid body"})
        collection, record, rkey = body.get("collection"), body.get("record"), body.get("rkey")
        with self.lock:
            if self._resolve_repo(body.get("repo")) != did:
                return json_response(401, AUTH_REQUIRED)
            if not isinstance(collection, str) or not _NSID.match(collection):
                return _invalid("Input/collection must be a valid NSID")
            if not isinstance(record, dict):
                return _invalid("Input/record must be an object")
            record = dict(record)
            record.setdefault("$type", collection)
            if body.get("validate") is not False and record["$type"] != collection:
                return _invalid(f"Invalid $type: expected {collection}, got {record['$type']}")
            if collection == POST and body.get("validate") is not False:
                problem = (
                    self._post_problem(record)
                    or self._embed_problem(record, did)
                    or self.reply_problem(record)
                )
                if problem:
                    return _invalid(f"Invalid app.bsky.feed.post record: {problem}")
            if rkey is None:
                rkey = self._next_tid()
            if not isinstance(rkey, str) or not _RKEY.match(rkey) or rkey in (".", ".."):
                return _invalid("Invalid record key")
            if collection == POST and self.require_tid_rkeys and not _TID.match(rkey):
                return _invalid("Invalid record key: app.bsky.feed.post keys are TIDs")
            key = (did, collection, rkey)
            if key in self._records:
                if self.duplicate_rkey == "400":
                    return _invalid("Record already exists")
                return json_response(
                    500, {"error": "InternalServerError", "message": "Internal Server Error"}
                )
            encoded = json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
            cid = "bafyrei" + _b32(hashlib.sha256(encoded).digest())[:52]
            self._rev += 1
            stored = {
                "uri": f"at://{did}/{collection}/{rkey}",
                "cid": cid,
                "did": did,
                "collection": collection,
                "rkey": rkey,
                "value": record,
                "indexed_at": time.time(),
            }
            self._records[key] = stored
            return json_response(
                200,
                {
                    "uri": stored["uri"],
                    "cid": cid,
                    "commit": {"cid": "bafyreicommit" + cid[12:40], "rev": f"3l{self._rev:011d}"},
                    "validationStatus": "valid",
                },
            )

    def _post_problem(self, record: dict) -> str:
        text = record.get("text")
        if not isinstance(text, str):
            return "Record/text must be a string"
        if len(text.encode("utf-8")) > 3000:
            return "Record/text must not be longer than 3000 characters"
        if grapheme_count(text) > self.max_graphemes:
            return f"Record/text must not be longer than {self.max_graphemes} graphemes"
        if not _valid_datetime(record.get("createdAt")):
            return "Record/createdAt must be an valid atproto datetime"
        return ""

    # -- blobs and the video service ---------------------------------------------------

    def _embed_problem(self, record: dict, did: str) -> str:
        if "embed" not in record:
            return ""
        for link in _blob_links(record["embed"]):
            blob = self._blobs.get(link) if link else None
            if blob is None or blob["did"] != did:
                return (
                    "Record/embed must reference blobs uploaded to this repo (and images need alt)"
                )
        return ""

    def _store_blob(self, did: str, content: bytes, mime: str) -> dict:
        cid = "bafkrei" + _b32(hashlib.sha256(content).digest())[:52]
        self._blobs[cid] = {"did": did, "mimeType": mime, "size": len(content)}
        return {"$type": "blob", "ref": {"$link": cid}, "mimeType": mime, "size": len(content)}

    def _upload_blob(self, request: Request) -> Response:
        did, error = self._authenticate(request)
        if error:
            return error
        if not request.body:
            return _invalid("Request body is empty")
        if len(request.body) > 1_000_000 and not request.headers.get("Content-Type", "").startswith(
            "video/"
        ):
            return json_response(
                413, {"error": "PayloadTooLarge", "message": "request entity too large"}
            )
        with self.lock:
            blob = self._store_blob(did, request.body, request.headers.get("Content-Type") or "*/*")
        return json_response(200, {"blob": blob})

    def _service_auth(self, request: Request) -> Response:
        did, error = self._authenticate(request)
        if error:
            return error
        if request.arg("lxm") != "com.atproto.repo.uploadBlob" or not (
            request.arg("aud") or ""
        ).startswith("did:web:"):
            return _invalid("aud and lxm are required")
        token = self._jwt(did, "com.atproto.service", 1800)
        with self.lock:
            self._service_tokens[token] = did
        return json_response(200, {"token": token})

    def _upload_video(self, request: Request) -> Response:
        token = request.bearer() or ""
        with self.lock:
            did = self._service_tokens.get(token)
        if did is None or did != request.arg("did"):
            return json_response(401, {"error": "Unauthorized", "message": "invalid service token"})
        if not request.body:
            return _invalid("no video")
        with self.lock:
            job = "job-" + secrets.token_hex(6)
            self._jobs[job] = {
                "jobId": job,
                "did": did,
                "state": "JOB_STATE_CREATED",
                "polls": 0,
                "content": request.body,
            }
        return json_response(200, {"jobId": job, "did": did, "state": "JOB_STATE_CREATED"})

    def _job_status(self, request: Request) -> Response:
        with self.lock:
            job = self._jobs.get(request.arg("jobId") or "")
            if job is None:
                return _invalid("Job not found")
            if job["state"] not in ("JOB_STATE_COMPLETED", "JOB_STATE_FAILED"):
                job["polls"] += 1
                if self.video_fail:
                    job["state"], job["error"] = "JOB_STATE_FAILED", self.video_fail
                elif job["polls"] >= self.video_processing_polls:
                    job["state"] = "JOB_STATE_COMPLETED"
                    job["blob"] = self._store_blob(job["did"], job["content"], "video/mp4")
                else:
                    job["state"] = "JOB_STATE_ENCODING"
            status = {
                k: v for k, v in job.items() if k in ("jobId", "did", "state", "blob", "error")
            }
        return json_response(200, {"jobStatus": status})

    def _next_tid(self) -> str:
        micros = int(time.time() * 1_000_000)
        value = (micros << 10) | secrets.randbelow(1024)
        alphabet = "234567abcdefghijklmnopqrstuvwxyz"
        return "".join(alphabet[(value >> (5 * i)) & 31] for i in reversed(range(13)))

    def _get_record(self, request: Request) -> Response:
        collection, rkey = request.arg("collection"), request.arg("rkey")
        with self.lock:
            did = self._resolve_repo(request.arg("repo"))
            if did is None:
                return json_response(
                    400, {"error": "RepoNotFound", "message": "Could not find repo"}
                )
            stored = self._records.get((did, collection or "", rkey or ""))
            if stored is None:
                return json_response(
                    400,
                    {
                        "error": "RecordNotFound",
                        "message": f"Could not locate record: at://{did}/{collection}/{rkey}",
                    },
                )
            return json_response(
                200, {"uri": stored["uri"], "cid": stored["cid"], "value": stored["value"]}
            )

    def _get_profile(self, request: Request) -> Response:
        if request.bearer() is not None:
            _did, error = self._authenticate(request)
            if error:
                return error
        with self.lock:
            did = self._resolve_repo(request.arg("actor"))
            if did is None:
                return _invalid("Profile not found")
            account = self.accounts[did]
            return json_response(
                200,
                {
                    "did": did,
                    "handle": account["handle"],
                    "displayName": account["display_name"],
                    "avatar": f"{self.url}/img/avatar/{did}.jpg",
                    "postsCount": sum(1 for key in self._records if key[0] == did),
                    "followersCount": self.followers.get(did, 0),
                },
            )

    def _get_posts(self, request: Request) -> Response:
        """``app.bsky.feed.getPosts?uris=...`` (at most 25): post views with their counts."""
        if request.bearer() is not None:
            _did, error = self._authenticate(request)
            if error:
                return error
        uris = request.query.get("uris") or []
        if len(uris) > 25:
            return _invalid("uris must not have more than 25 elements")
        views = []
        with self.lock:
            for uri in uris:
                stored = next((r for r in self._records.values() if r.get("uri") == uri), None)
                if stored is None:
                    continue
                account = self.accounts[stored["did"]]
                views.append(
                    {
                        "uri": uri,
                        "cid": stored["cid"],
                        "author": {"did": stored["did"], "handle": account["handle"]},
                        "record": stored["value"],
                        "likeCount": 0,
                        "repostCount": 0,
                        "replyCount": 0,
                        "quoteCount": 0,
                        "indexedAt": stored["value"].get("createdAt"),
                        **self.post_metrics.get(uri, {}),
                    }
                )
        return json_response(200, {"posts": views})


def _blob_links(embed) -> list:
    if not isinstance(embed, dict):
        return [None]
    if embed.get("$type") == "app.bsky.embed.images":
        images = embed.get("images")
        if not isinstance(images, list) or not 1 <= len(images) <= 4:
            return [None]
        return [
            ((i.get("image") or {}).get("ref") or {}).get("$link")
            if isinstance(i, dict) and isinstance(i.get("alt"), str)
            else None
            for i in images
        ]
    if embed.get("$type") == "app.bsky.embed.video":
        return [((embed.get("video") or {}).get("ref") or {}).get("$link")]
    return [None]


def _invalid(message: str) -> Response:
    return json_response(400, {"error": "InvalidRequest", "message": message})


def main(argv=None) -> None:
    def add_arguments(parser):
        parser.add_argument(
            "--account",
            action="append",
            default=[],
            metavar="HANDLE=APP_PASSWORD[=DID]",
            help="an account that can sign in (repeatable)",
        )
        parser.add_argument("--duplicate-rkey", choices=("500", "400"), default="500")
        parser.add_argument("--stale-token-status", type=int, default=400)
        parser.add_argument("--access-ttl", type=float, default=7200.0)

    def build(args):
        fake = FakeBluesky(
            duplicate_rkey=args.duplicate_rkey,
            stale_token_status=args.stale_token_status,
            access_ttl=args.access_ttl,
        )
        for value in args.account:
            handle, rest = split_pair(value)
            password, _, did = rest.partition("=")
            fake.add_account(handle=handle, password=password, did=did or None)
        return fake

    run_cli("Fake Bluesky PDS for tests.", build, add_arguments, argv)


if __name__ == "__main__":
    main()
