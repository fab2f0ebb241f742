"""The evidence record drafted before a send and completed when it is published."""

from __future__ import annotations

import datetime as dt

from accounts.models import User
from planner.models import Post
from planner.publishing.checks import CheckResult
from planner.publishing.clients import IdentityCheck
from planner.publishing.records import iso, media_of
from policy.training.selectors import certification_gate

# --- evidence ---------------------------------------------------------------------------------


def _certifications(post: Post, approvers: tuple) -> dict:
    def entry(user: User | None, role: str) -> dict:
        if user is None:
            return {"user": None, "role": role, "certified": None, "reason": "account removed"}
        reason = certification_gate(user=user, brand=post.brand, role=role)
        return {"user": user.username, "role": role, "certified": reason is None, "reason": reason}

    approvers = sorted(approvers, key=lambda user: user.username)
    return {
        "required": post.brand.require_certification,
        "author": entry(post.author, "author"),
        "approvers": [entry(user, "approver") for user in approvers],
    }


def draft_evidence(
    post: Post, *, key: str, checks: CheckResult, identity: IdentityCheck, now: dt.datetime
) -> dict:
    """Everything known before the send; completed by :func:`record_published`."""
    linted = checks.linted
    policy = None
    if linted is not None:
        policy = {
            "version": linted.version.number,
            "version_id": linted.version.pk,
            "rules": [r.get("id") for r in linted.version.rules],
            **linted.result.to_dict(),
        }
    media = [
        {"pk": m.pk, "mime_type": m.mime_type, "size": m.size, "alt_text": m.alt_text}
        for m in media_of(post)
    ]
    return {
        "schema": 1,
        "status": "sending",
        "post": post.pk,
        "brand": post.brand.slug,
        "channel": {
            "id": post.channel.pk,
            "platform": post.channel.platform,
            "handle": post.channel.handle,
            "instance_url": post.channel.instance_url,
        },
        "content": {
            "fingerprint": post.content_hash,
            "revision": post.revision,
            "text": post.text,
            "category": post.category,
            "media": media,
        },
        "idempotency_key": key,
        "policy": policy,
        "approvals": list(checks.approvals),
        "identity": identity.evidence(post.channel),
        "certification": _certifications(post, checks.approvers),
        "timestamps": {
            "scheduled_at": iso(post.scheduled_at),
            "checked_at": iso(now),
        },
    }
