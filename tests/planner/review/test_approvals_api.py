"""The review API as DESIGN.md states it: submit, approve {content_hash?}, reject {reason};
GET shows approvals, findings, status and held_reason. Refusals are 4xx JSON with a reason
and a code, recorded in the audit log; never a 500."""

from __future__ import annotations

import pytest

from accounts import services as account_services
from accounts.models import AuditEvent, Role
from planner.models import Approval
from tests.planner.conftest import BANNED, soon


def refused(post_id, action):
    return AuditEvent.objects.filter(
        action=f"post.{action}_refused", object_type="post", object_id=str(post_id)
    )


@pytest.fixture
def draft(api, team):
    response = api(team["author"]).post(
        "/api/brands/team/posts/",
        {
            "channel": team["channel"].pk,
            "text": "Autumn menu #food #new",
            "category": "news",
            "scheduled_at": soon(3).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201
    return response.json()


def test_the_whole_round_over_the_api(api, team, draft):
    pk = draft["id"]
    submitted = api(team["author"]).post(f"/api/posts/{pk}/submit/", {}, format="json")
    assert submitted.status_code == 200, submitted.content
    body = submitted.json()
    assert body["status"] == "in_review"
    assert body["review"]["policy_version"] == 1
    assert [f["rule"] for f in body["review"]["findings"]] == ["few-hashtags"]
    assert body["approval"]["missing"] == 2 and body["approval"]["satisfied"] is False

    first = api(team["approver1"]).post(
        f"/api/posts/{pk}/approve/", {"content_hash": draft["content_hash"]}, format="json"
    )
    assert first.status_code == 200 and first.json()["status"] == "in_review"
    second = api(team["approver2"]).post(f"/api/posts/{pk}/approve/", {}, format="json")
    assert second.status_code == 200
    body = api(team["author"]).get(f"/api/posts/{pk}/").json()
    assert body["status"] == "approved" and body["held_reason"] == ""
    assert [a["approver"] for a in body["approvals"]] == ["approver1", "approver2"]
    approval = body["approvals"][0]
    assert set(approval) >= {"approver", "step", "content_hash", "approved_at", "dismissed"}
    assert approval["content_hash"] == draft["content_hash"] and approval["dismissed"] is False
    assert approval["step"] == "Approval" and approval["approved_at"].endswith("Z")
    assert body["approval"]["satisfied"] is True
    assert body["approval"]["steps"][0]["approvers"] == ["approver1", "approver2"]
    assert isinstance(body["findings"], list)

    # A PATCH of content dismisses the approvals and sends it back to review.
    patched = api(team["author"]).patch(
        f"/api/posts/{pk}/", {"text": "Winter menu #food"}, format="json"
    )
    assert patched.status_code == 200
    body = patched.json()
    assert body["status"] == "in_review"
    assert [a["dismissed"] for a in body["approvals"]] == [True, True]
    # The list shows approvals too.
    listed = api(team["author"]).get("/api/brands/team/posts/").json()["results"]
    assert [len(p["approvals"]) for p in listed] == [2]


def test_a_stale_hash_is_a_409(api, team, draft):
    pk = draft["id"]
    api(team["author"]).post(f"/api/posts/{pk}/submit/", format="json")
    api(team["author"]).patch(f"/api/posts/{pk}/", {"text": "Changed"}, format="json")
    response = api(team["approver1"]).post(
        f"/api/posts/{pk}/approve/", {"content_hash": draft["content_hash"]}, format="json"
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "stale_content" and "changed since you looked" in body["detail"]
    assert body["content_hash"] != draft["content_hash"]
    assert refused(pk, "approve").get().data["code"] == "stale_content"
    assert not Approval.objects.exists()


def submitted(api, team, text):
    """The answer to submitting a new draft of ``text`` over the API."""
    post = (
        api(team["author"])
        .post(
            "/api/brands/team/posts/",
            {"channel": team["channel"].pk, "text": text, "category": "news"},
            format="json",
        )
        .json()
    )
    return api(team["author"]).post(f"/api/posts/{post['id']}/submit/", format="json")


def test_a_blocked_submit_answers_the_findings(api, team):
    text = f"Let us {BANNED} now"
    response = submitted(api, team, text)
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "policy_blocked" and body["blocked"] is True
    (finding,) = body["findings"]
    assert text[finding["start"] : finding["end"]] == finding["match"] == BANNED
    assert body["policy_version"] == 1


def test_a_post_of_several_lines_is_read_a_line_at_a_time(api, team):
    """A newline ends a word as a space does: the link on the line before does not join
    the evasion on the next one into one word with too many dots to read (it did)."""
    text = f"Recap:\nwww.example.com\n{BANNED[:3]}.{BANNED[3:]}.now"
    response = submitted(api, team, text)
    assert response.status_code == 409
    (finding,) = response.json()["findings"]
    assert finding["match"] == f"{BANNED[:3]}.{BANNED[3:]}"


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("author", 403, "needs_approve"),
        ("trainer", 403, "needs_approve"),
        ("outsider", 404, "not_found"),
    ],
)
def test_the_wrong_people_cannot_approve(api, team, other, draft, who, status, code):
    pk = draft["id"]
    api(team["author"]).post(f"/api/posts/{pk}/submit/", format="json")
    actor = other["author"] if who == "outsider" else team[who]
    response = api(actor).post(f"/api/posts/{pk}/approve/", {}, format="json")
    assert response.status_code == status
    assert response.json()["detail"] and response.json()["code"] == code
    if who == "outsider":  # not written into a brand they cannot see
        assert not refused(pk, "approve").exists()
    else:
        assert refused(pk, "approve").get().actor == actor


def test_self_approval_twice_and_wrong_state(api, team, draft):
    pk = draft["id"]
    early = api(team["approver1"]).post(f"/api/posts/{pk}/approve/", {}, format="json")
    assert early.status_code == 409 and early.json()["code"] == "wrong_state"
    account_services.membership_set(
        brand=team["brand"], user=team["author"], roles=[Role.AUTHOR, Role.APPROVER], actor=None
    )
    api(team["author"]).post(f"/api/posts/{pk}/submit/", format="json")
    mine = api(team["author"]).post(f"/api/posts/{pk}/approve/", {}, format="json")
    assert mine.status_code == 403 and mine.json()["code"] == "own_post"
    assert api(team["approver1"]).post(f"/api/posts/{pk}/approve/").status_code == 200
    twice = api(team["approver1"]).post(f"/api/posts/{pk}/approve/", {}, format="json")
    assert twice.status_code == 409 and twice.json()["code"] == "already_approved"
    again = api(team["author"]).post(f"/api/posts/{pk}/submit/", format="json")
    assert again.status_code == 409 and again.json()["code"] == "wrong_state"
    assert refused(pk, "approve").count() == 3 and refused(pk, "submit").count() == 1


def test_reject_over_the_api(api, team, draft):
    pk = draft["id"]
    api(team["author"]).post(f"/api/posts/{pk}/submit/", format="json")
    missing = api(team["approver1"]).post(f"/api/posts/{pk}/reject/", {}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()["detail"]
    assert missing.json()["code"] == "invalid"
    response = api(team["approver1"]).post(
        f"/api/posts/{pk}/reject/", {"reason": "Too many hashtags."}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "draft" and body["rejection_reason"] == "Too many hashtags."
    assert body["rejected_by"] == "approver1"


@pytest.mark.parametrize(
    "payload",
    [
        {"content_hash": 12},
        {"content_hash": None},
        {"content_hash": "a" * 65},
        {"status": "approved"},
        {"content_hash": "x", "approvals_required": 0},
        ["not", "an", "object"],
        "just a string",
    ],
)
def test_junk_and_forged_bodies_are_400s(api, team, draft, payload):
    pk = draft["id"]
    api(team["author"]).post(f"/api/posts/{pk}/submit/", format="json")
    response = api(team["approver1"]).post(f"/api/posts/{pk}/approve/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] and response.json()["code"] == "invalid"
    assert refused(pk, "approve").count() == 1
    assert not Approval.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [
        '{"\\ud800": 1}',
        '{"content_hash": "\\ud800"}',
        '{"content_hash": "a\\u0000b"}',
        "{not json",
    ],
)
def test_broken_unicode_and_json_are_400s(api, team, draft, raw):
    pk = draft["id"]
    api(team["author"]).post(f"/api/posts/{pk}/submit/", format="json")
    response = api(team["approver1"]).post(
        f"/api/posts/{pk}/approve/", data=raw, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["detail"]
    assert not Approval.objects.exists()


def test_forged_fields_on_submit_and_reject(api, team, draft):
    pk = draft["id"]
    forged = api(team["author"]).post(
        f"/api/posts/{pk}/submit/", {"status": "approved"}, format="json"
    )
    assert forged.status_code == 400 and "status" in forged.json()["detail"]
    assert api(team["author"]).get(f"/api/posts/{pk}/").json()["status"] == "draft"
    api(team["author"]).post(f"/api/posts/{pk}/submit/", format="json")
    response = api(team["approver1"]).post(
        f"/api/posts/{pk}/reject/", {"reason": "x", "status": "published"}, format="json"
    )
    assert response.status_code == 400
    assert api(team["author"]).get(f"/api/posts/{pk}/").json()["status"] == "in_review"


def test_unknown_posts_are_404(api, team):
    for action in ("submit", "approve", "reject"):
        response = api(team["approver1"]).post(
            f"/api/posts/999999/{action}/", {"reason": "x"}, format="json"
        )
        assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_anonymous_requests_are_refused(client, draft):
    response = client.post(
        f"/api/posts/{draft['id']}/approve/", {}, content_type="application/json"
    )
    assert response.status_code in (401, 403)
    assert Approval.objects.count() == 0
