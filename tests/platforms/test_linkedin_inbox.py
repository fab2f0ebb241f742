"""The inbox side of LinkedIn organisation pages against the fake LinkedIn REST API: the
comments under the organisation's latest posts read from a cursor (a high-water mark per
post, replies to old comments found by their thread's reply count), replies in the thread
and found again after a lost answer, comments deleted, and LinkedIn's error shapes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, quote

import pytest

from platforms import AuthenticationFailed, PlatformUnavailable, PublishRejected
from platforms.errors import OutcomeUnknown, PlatformError
from platforms.linkedin import MAX_CURSOR, OVERLAP_SECONDS, LinkedInClient
from tests.fakes.guard import loopback_only
from tests.fakes.linkedin import FakeLinkedIn

ORG = "urn:li:organization:9001"
CAROL, DAN = "urn:li:person:carol1", "urn:li:person:dan2"


@pytest.fixture(autouse=True)
def _loopback_only():
    with loopback_only():
        yield


@pytest.fixture
def fake():
    with FakeLinkedIn() as server:
        server.add_account("m1", "dana", "Dana Admin")
        server.add_organization("9001", "Brand Co", "brand-co", admins={"m1": "ADMINISTRATOR"})
        yield server


def client(fake, *, scope: str = "", token: str | None = None) -> LinkedInClient:
    issued = fake.issue_token("m1", scope=scope, token=token)
    made = LinkedInClient(
        instance_url=fake.url,
        credential={"access_token": issued["access_token"], "organization_urn": ORG},
        timeout=5,
    )
    made._sleep = lambda seconds: None
    return made


def comment_reads(fake) -> list[dict]:
    return [
        r
        for r in fake.requests_log()
        if r["method"] == "GET" and r["path"].startswith("/rest/socialActions/")
    ]


def test_comments_under_the_latest_posts_are_read_once_page_by_page(fake):
    li = client(fake)
    posts = [li.publish(text=f"Post {n}", idempotency_key=f"p{n}").remote_id for n in range(3)]
    written = [
        fake.add_comment(
            on=posts[n % 3], actor=f"urn:li:person:fan{n % 7}", text=f"q{n}", ago=600 - n
        )
        for n in range(250)
    ]
    page = li.notifications(own_remote_id=ORG, limit=50)
    assert sorted(m.remote_id for m in page.messages) == sorted(c["commentUrn"] for c in written)
    assert len({m.remote_id for m in page.messages}) == 250 and not page.more
    # Paged with start/count (84 top-level comments on the first post: 2 pages of 50).
    starts = [
        parse_qs(r["query"])["start"][0]
        for r in comment_reads(fake)
        if r["path"] == f"/rest/socialActions/{quote(posts[0], safe='')}/comments"
    ]
    assert starts == ["0", "50"]
    m = next(m for m in page.messages if m.remote_id == written[0]["commentUrn"])
    assert (m.kind, m.text, m.author_remote_id, m.in_reply_to) == (
        "reply",
        "q0",
        "urn:li:person:fan0",
        posts[0],
    )
    assert m.thread_root == m.remote_id and m.created_at is not None
    assert m.url.startswith("https://www.linkedin.com/feed/update/urn:li:activity:")
    # Oldest first.
    stamps = [x.created_at for x in page.messages]
    assert stamps == sorted(stamps)
    # The cursor keeps a high-water mark per post and stays within the stored 500 characters.
    state = json.loads(page.cursor)
    assert set(state["p"]) == {p[len("urn:li:") :] for p in posts}
    assert len(page.cursor) <= MAX_CURSOR
    # Nothing new: only what is within the overlap of each post's mark (kept to the second)
    # is read again (the store drops it); nothing older.
    newest = {p: max(m.created_at for m in page.messages if m.in_reply_to == p) for p in posts}
    again = li.notifications(own_remote_id=ORG, cursor=page.cursor)
    assert again.messages and all(
        (newest[m.in_reply_to] - m.created_at).total_seconds() <= OVERLAP_SECONDS + 1
        for m in again.messages
    )
    assert len(again.messages) < 3 * OVERLAP_SECONDS
    # A new comment is read.
    new = fake.add_comment(on=posts[1], actor=DAN, text="new one")
    third = li.notifications(own_remote_id=ORG, cursor=again.cursor)
    assert new["commentUrn"] in {m.remote_id for m in third.messages}
    assert {m.remote_id for m in third.messages} - {new["commentUrn"]} <= {
        m.remote_id for m in again.messages
    }


def test_a_comment_older_than_the_high_water_mark_less_the_overlap_is_not_read_again(fake):
    li = client(fake)
    post = li.publish(text="Hello", idempotency_key="h").remote_id
    fake.add_comment(on=post, actor=CAROL, text="old", ago=3600)
    first = li.notifications(own_remote_id=ORG)
    assert [m.text for m in first.messages] == ["old"]
    # Written (by LinkedIn's clock) just before the mark: read again (the store drops it);
    # long before it: not read.
    fake.add_comment(on=post, actor=DAN, text="late", ago=3600 - OVERLAP_SECONDS / 2)
    fake.add_comment(on=post, actor=DAN, text="ancient", ago=3 * 3600)
    second = li.notifications(own_remote_id=ORG, cursor=first.cursor)
    assert sorted(m.text for m in second.messages) == ["late", "old"]


def test_replies_are_read_under_old_comments_and_join_their_thread(fake):
    li = client(fake)
    post = li.publish(text="Hello", idempotency_key="h").remote_id
    top = fake.add_comment(on=post, actor=CAROL, text="question", ago=7200)
    first = li.notifications(own_remote_id=ORG)
    assert [m.text for m in first.messages] == ["question"]
    # A reply under the two-hour-old comment: its thread's reply count changed.
    ours = li.reply(text="Answer", idempotency_key="reply-1", in_reply_to=top["commentUrn"])
    follow = fake.add_comment(on=post, actor=CAROL, text="thanks!", reply_to=top["commentUrn"])
    second = li.notifications(own_remote_id=ORG, cursor=first.cursor)
    ids = [m.remote_id for m in second.messages]
    assert follow["commentUrn"] in ids and ours.remote_id not in ids  # not our own
    m = next(m for m in second.messages if m.remote_id == follow["commentUrn"])
    assert (m.in_reply_to, m.thread_root) == (top["commentUrn"], top["commentUrn"])
    # Nothing changed: the replies are not asked for again (the two-hour-old comment is not
    # read again either: the mark moved to the reply).
    before = len(comment_reads(fake))
    third = li.notifications(own_remote_id=ORG, cursor=second.cursor)
    assert [m.remote_id for m in third.messages] == []
    assert len(comment_reads(fake)) - before == 1  # the post's top level only
    assert ours.remote_id in {c["commentUrn"] for c in fake.comments()}


def test_a_bad_stored_cursor_starts_a_full_walk(fake):
    li = client(fake)
    post = li.publish(text="Hello", idempotency_key="h").remote_id
    fake.add_comment(on=post, actor=CAROL, text="hi")
    for cursor in ("{", "[]", '{"p": {"share:1": ["x", 1]}}', '{"p": {"../x": [1, 1]}}', "null"):
        assert [m.text for m in li.notifications(own_remote_id=ORG, cursor=cursor).messages] == [
            "hi"
        ]


def test_a_deleted_post_is_skipped_and_bad_comments_dropped(fake):
    li = client(fake)
    post = li.publish(text="Hello", idempotency_key="h").remote_id
    good = fake.add_comment(on=post, actor=CAROL, text="fine")
    with fake.lock:  # malformed entries LinkedIn could send: no URN, a bad actor
        fake._comments["urn:li:comment:(bad)"] = {**good, "commentUrn": "x", "object": "y"}
        bad_actor = dict(good, actor="javascript:alert(1)")
        bad_actor["commentUrn"] = good["commentUrn"].replace(good["id"], "1")
        fake._comments[bad_actor["commentUrn"]] = bad_actor
    page = li.notifications(own_remote_id=ORG)
    assert [m.remote_id for m in page.messages] == [good["commentUrn"]]
    fake.add_fault(
        fail_next=1,
        status=404,
        body={"status": 404, "message": "gone"},
        path=f"/rest/socialActions/{quote(post, safe='')}/comments",
    )
    assert li.notifications(own_remote_id=ORG).messages == []


def test_throttling_429_waits_for_retry_after_and_the_daily_limit(fake):
    li = client(fake)
    li.publish(text="Hello", idempotency_key="h")
    fake.add_fault(
        fail_next=1,
        status=429,
        headers={"Retry-After": "120"},
        body={"status": 429, "message": "Too Many Requests"},
        path="/rest/socialActions/",
    )
    with pytest.raises(PlatformUnavailable) as caught:
        li.notifications(own_remote_id=ORG)
    assert caught.value.retry_after == 120 and caught.value.http_status == 429
    fake.configure(rate_limits={"/rest/socialActions/": 0})  # the daily throttle, no header
    with pytest.raises(PlatformUnavailable, match="rate limiting") as caught:
        li.notifications(own_remote_id=ORG)
    assert caught.value.retry_after is None


def test_an_expired_token_and_a_missing_permission(fake):
    li = client(fake)
    li.publish(text="Hello", idempotency_key="h")
    fake.expire_access_tokens()
    with pytest.raises(AuthenticationFailed) as caught:  # no refresh token: reconnect
        li.notifications(own_remote_id=ORG)
    assert caught.value.http_status == 401 and "Reconnect" in str(caught.value)
    reader = client(fake, scope="rw_organization_admin w_organization_social")
    with pytest.raises(AuthenticationFailed) as caught:
        reader.notifications(own_remote_id=ORG)
    assert caught.value.http_status == 403 and "Not enough permissions" in caught.value.detail
    post = fake.posts()[0]["id"]
    comment = fake.add_comment(on=post, actor=CAROL, text="hi")
    writer = client(fake, scope="rw_organization_admin r_organization_social")
    with pytest.raises(AuthenticationFailed) as caught:
        writer.reply(text="x", idempotency_key="reply-x", in_reply_to=comment["commentUrn"])
    assert caught.value.http_status == 403
    assert [c for c in fake.comments() if c["actor"] == ORG] == []


def test_reply_goes_in_the_thread_and_a_lost_answer_is_found(fake):
    li = client(fake)
    post = li.publish(text="Hello", idempotency_key="h").remote_id
    top = fake.add_comment(on=post, actor=CAROL, text="hi")
    result = li.reply(text="Hi Carol!", idempotency_key="reply-a", in_reply_to=top["commentUrn"])
    [sent] = [c for c in fake.comments() if c["actor"] == ORG]
    assert (sent["commentUrn"], sent["parentComment"], sent["message"]["text"]) == (
        result.remote_id,
        top["commentUrn"],
        "Hi Carol!",
    )
    assert result.url.startswith("https://www.linkedin.com/feed/update/")
    # A reply to a reply joins the top-level comment; its answer is lost after it was stored.
    answer = fake.add_comment(on=post, actor=DAN, text="me too", reply_to=top["commentUrn"])
    fake.add_fault(drop_next=1, when="after_store")
    since = datetime.now(UTC)
    with pytest.raises(OutcomeUnknown):
        li.reply(text="Hi  Dan!", idempotency_key="reply-b", in_reply_to=answer["commentUrn"])
    found = li.lookup_reply(
        idempotency_key="reply-b",
        text="Hi Dan!",
        since=since,
        in_reply_to=answer["commentUrn"],
        root=top["commentUrn"],
    )
    mine = [c for c in fake.comments() if c["actor"] == ORG]
    assert len(mine) == 2 and found.remote_id == mine[1]["commentUrn"]
    assert mine[1]["parentComment"] == top["commentUrn"]
    assert (
        li.lookup_reply(
            idempotency_key="reply-c",
            text="never sent",
            since=since,
            in_reply_to=top["commentUrn"],
        )
        is None
    )
    # A server error may have stored it: unconfirmed, never retried blindly.
    fake.add_fault(fail_next=1, status=500)
    with pytest.raises(OutcomeUnknown):
        li.reply(text="again", idempotency_key="reply-d", in_reply_to=top["commentUrn"])
    for bad in ("../rest/posts", "urn:li:comment:(urn:li:activity:1,2)/x", "", None):
        with pytest.raises(PlatformError):
            li.reply(text="x", idempotency_key="reply-e", in_reply_to=bad)


def test_reply_to_a_deleted_comment_is_refused(fake):
    li = client(fake)
    post = li.publish(text="Hello", idempotency_key="h").remote_id
    top = fake.add_comment(on=post, actor=CAROL, text="hi")
    li.remove(message_id=top["commentUrn"])
    with pytest.raises(PublishRejected, match="no longer on LinkedIn"):
        li.reply(text="x", idempotency_key="reply-x", in_reply_to=top["commentUrn"])


def test_remove_deletes_the_comment_and_its_replies_once(fake):
    li = client(fake)
    post = li.publish(text="Hello", idempotency_key="h").remote_id
    rude = fake.add_comment(on=post, actor=CAROL, text="rude")
    fake.add_comment(on=post, actor=DAN, text="+1", reply_to=rude["commentUrn"])
    assert li.remove(message_id=rude["commentUrn"]) == {"id": rude["commentUrn"], "removed": True}
    assert fake.comments() == []
    deletes = [r for r in fake.requests_log() if r["method"] == "DELETE"]
    assert len(deletes) == 1 and parse_qs(deletes[0]["query"])["actor"] == [ORG]
    assert li.remove(message_id=rude["commentUrn"])["removed"] is True  # gone already: fine
    with pytest.raises(PlatformError):
        li.remove(message_id="1 OR 1")
    # Another organisation's post: LinkedIn refuses.
    fake.add_organization("9002", "Other Co", "other", admins={"m1": "ADMINISTRATOR"})
    other = LinkedInClient(
        instance_url=fake.url,
        credential={
            "access_token": fake.issue_token("m1")["access_token"],
            "organization_urn": "urn:li:organization:9002",
        },
        timeout=5,
    )
    theirs = fake.add_comment(on=post, actor=DAN, text="x")
    with pytest.raises(AuthenticationFailed):
        other.remove(message_id=theirs["commentUrn"])
    assert theirs["commentUrn"] in {c["commentUrn"] for c in fake.comments()}
