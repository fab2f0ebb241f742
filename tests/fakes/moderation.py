"""Replies and moderation on the fakes, following each platform's documented API.

Mastodon (docs.joinmastodon.org/methods/reports, /methods/accounts):
- ``POST /api/v1/statuses`` with ``in_reply_to_id``: 404 ``{"error": "Record not found"}``
  when that status does not exist (handled in mastodon.py's status creation);
- ``POST /api/v1/reports`` ``{account_id, status_ids[], comment, category, forward}`` (JSON
  or form) -> the Report entity; 404 for an unknown account, 422 for a status that is not
  the account's;
- ``POST /api/v1/accounts/:id/block`` and ``/mute`` -> the Relationship entity.

Bluesky (lexicons com.atproto.moderation.createReport, app.bsky.graph.muteActor):
- ``createReport`` ``{reasonType, reason?, subject}`` (subject a
  ``com.atproto.admin.defs#repoRef`` ``{did}`` or a ``com.atproto.repo.strongRef``
  ``{uri, cid}``) -> ``{id, reasonType, reason, subject, reportedBy, createdAt}``;
- ``muteActor`` ``{actor}`` -> 200, no body;
- a post record's ``reply`` must have ``root`` and ``parent`` strong refs (checked in
  bluesky.py's record creation).

What was asked is kept for tests: ``fake.reports``, ``fake.blocks``, ``fake.mutes``.
"""

from __future__ import annotations

import itertools
import re
import time

from .base import Request, Response, json_response

REASON_TYPES = {
    "com.atproto.moderation.defs#reasonSpam",
    "com.atproto.moderation.defs#reasonViolation",
    "com.atproto.moderation.defs#reasonMisleading",
    "com.atproto.moderation.defs#reasonSexual",
    "com.atproto.moderation.defs#reasonRude",
    "com.atproto.moderation.defs#reasonOther",
    "com.atproto.moderation.defs#reasonAppeal",
}


class _Kept:
    def _moderation_init(self) -> None:
        self.reports: list[dict] = []
        self.blocks: list[dict] = []
        self.mutes: list[dict] = []
        self._report_ids = itertools.count(1)

    def _moderation_reset(self) -> None:
        self.reports.clear()
        self.blocks.clear()
        self.mutes.clear()


class MastodonModeration(_Kept):
    """Mixed into FakeMastodon."""

    def _moderation_route(self, request: Request, path: str, method: str) -> Response | None:
        if method != "POST":
            return None
        if path == "/api/v1/reports":
            return self._report(request)
        match = re.fullmatch(r"/api/v1/accounts/([^/]+)/(block|mute)", path)
        if match:
            return self._relate(request, match.group(1), match.group(2))
        return None

    def _report(self, request: Request) -> Response:
        reporter = self._account_for(request)
        if reporter is None:
            return json_response(401, {"error": "The access token is invalid"})
        try:
            params = self._params(request)
        except (ValueError, UnicodeDecodeError):
            return json_response(400, {"error": "Invalid request body"})
        if not isinstance(params, dict):
            return json_response(400, {"error": "Invalid request body"})
        account_id = str(params.get("account_id") or "")
        status_ids = params.get("status_ids") or params.get("status_ids[]") or []
        if isinstance(status_ids, str):
            status_ids = [status_ids]
        comment = params.get("comment") or ""
        if not isinstance(comment, str) or len(comment) > 1000:
            return json_response(422, {"error": "Validation failed: Comment is too long"})
        with self.lock:
            if account_id not in self.accounts:
                return json_response(404, {"error": "Record not found"})
            for sid in status_ids:
                record = self._statuses.get(str(sid))
                if record is None or record["account_id"] != account_id:
                    return json_response(422, {"error": "Validation failed: Statuses invalid"})
            report = {
                "id": str(next(self._report_ids)),
                "action_taken": False,
                "action_taken_at": None,
                "category": params.get("category") or "other",
                "comment": comment,
                "forwarded": bool(params.get("forward")),
                "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                "status_ids": [str(s) for s in status_ids],
                "rule_ids": None,
                "target_account": self._account_json(account_id),
            }
            self.reports.append({**report, "reporter": reporter})
        return json_response(200, report)

    def _relate(self, request: Request, account_id: str, verb: str) -> Response:
        actor = self._account_for(request)
        if actor is None:
            return json_response(401, {"error": "The access token is invalid"})
        with self.lock:
            if account_id not in self.accounts:
                return json_response(404, {"error": "Record not found"})
            (self.blocks if verb == "block" else self.mutes).append(
                {"by": actor, "account_id": account_id}
            )
            blocked = any(b["by"] == actor and b["account_id"] == account_id for b in self.blocks)
            muted = any(m["by"] == actor and m["account_id"] == account_id for m in self.mutes)
        return json_response(
            200,
            {
                "id": account_id,
                "following": False,
                "followed_by": False,
                "blocking": blocked,
                "blocked_by": False,
                "muting": muted,
                "muting_notifications": muted,
                "requested": False,
                "domain_blocking": False,
                "endorsed": False,
                "note": "",
            },
        )


class BlueskyModeration(_Kept):
    """Mixed into FakeBluesky."""

    def _create_report(self, request: Request) -> Response:
        did, error = self._authenticate(request)
        if error:
            return error
        body = self._body(request)
        if not isinstance(body, dict):
            return _invalid("Invalid body")
        reason_type, subject = body.get("reasonType"), body.get("subject")
        if reason_type not in REASON_TYPES:
            return _invalid("Input/reasonType must be a known reason type")
        if not isinstance(subject, dict):
            return _invalid("Input/subject must be an object")
        kind = subject.get("$type")
        if kind == "com.atproto.admin.defs#repoRef":
            if not isinstance(subject.get("did"), str) or not subject["did"].startswith("did:"):
                return _invalid("Input/subject/did must be a valid did")
        elif kind == "com.atproto.repo.strongRef":
            if not isinstance(subject.get("uri"), str) or not isinstance(subject.get("cid"), str):
                return _invalid("Input/subject must have uri and cid")
        else:
            return _invalid("Input/subject must be a repoRef or a strongRef")
        reason = body.get("reason") or ""
        if not isinstance(reason, str) or len(reason) > 20000:
            return _invalid("Input/reason must be a string of at most 20000 characters")
        with self.lock:
            report = {
                "id": next(self._report_ids),
                "reasonType": reason_type,
                "reason": reason,
                "subject": subject,
                "reportedBy": did,
                "createdAt": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            }
            self.reports.append(report)
        return json_response(200, report)

    def _mute_actor(self, request: Request) -> Response:
        did, error = self._authenticate(request)
        if error:
            return error
        body = self._body(request)
        actor = body.get("actor") if isinstance(body, dict) else None
        if not isinstance(actor, str) or not actor:
            return _invalid("Input/actor must be a did or handle")
        with self.lock:
            self.mutes.append({"by": did, "account_id": actor})
        return Response(200, b"")

    @staticmethod
    def reply_problem(record: dict) -> str:
        """A post record's ``reply``: ``root`` and ``parent`` strong refs, or a problem."""
        if "reply" not in record:
            return ""
        reply = record["reply"]
        if not isinstance(reply, dict):
            return "Record/reply must be an object"
        for name in ("root", "parent"):
            ref = reply.get(name)
            if (
                not isinstance(ref, dict)
                or not isinstance(ref.get("uri"), str)
                or not ref["uri"].startswith("at://")
                or not isinstance(ref.get("cid"), str)
                or not ref["cid"]
            ):
                return f"Record/reply/{name} must be a strong ref (uri and cid)"
        return ""


def _invalid(message: str) -> Response:
    return json_response(400, {"error": "InvalidRequest", "message": message})
