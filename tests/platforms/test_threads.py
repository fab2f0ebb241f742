"""The Threads client against the fake Threads API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from platforms import (
    AuthenticationFailed,
    IdentityMismatch,
    MediaItem,
    MediaRejected,
    PlatformUnavailable,
    PublishRejected,
)
from platforms.errors import PlatformError, ReconnectRequired
from platforms.oauth import OAuthApp, OAuthClient
from platforms.threads import ThreadsClient
from tests.fakes.guard import loopback_only
from tests.fakes.threads import FakeThreads
from tests.platforms.helpers import MP4, PNG, REDIRECT, consent

APP = OAuthApp(client_id="th-app", client_secret="th-secret-13579", redirect_uri=REDIRECT)


@pytest.fixture(autouse=True)
def _loopback_only():
    with loopback_only():
        yield


@pytest.fixture
def fake():
    with FakeThreads() as server:
        server.add_app("th-app", "th-secret-13579", [REDIRECT])
        server.add_account("3001", "brandco", "Brand Co")
        server.add_account("3002", "alice", "Alice", kind="personal")
        yield server


def oauth(fake):
    return OAuthClient(ThreadsClient.oauth.on(fake.url), APP, platform="threads", timeout=5)


def connect(fake, account="3001", **kwargs) -> ThreadsClient:
    short = consent(oauth(fake), account)
    assert short.extra["user_id"] == int(account)
    long_lived = ThreadsClient.long_lived_token(oauth(fake), short)
    assert long_lived.expires_at - datetime.now(UTC) > timedelta(days=59)
    client = ThreadsClient(
        instance_url=fake.url,
        credential=long_lived.as_credential(),
        oauth_app=APP,
        timeout=5,
        **kwargs,
    )
    client._sleep = lambda seconds: None
    return client


def test_connect_whoami_and_personal_profile(fake):
    identity = connect(fake).whoami()
    assert (identity.remote_id, identity.handle) == ("3001", "@brandco")
    assert identity.profile_url == "https://www.threads.net/@brandco"
    personal = connect(fake, "3002")  # Threads cannot tell: the guard's id check refuses it
    with pytest.raises(IdentityMismatch):
        personal.assert_identity("3001")


def test_text_post_two_steps_and_repeat_is_not_reposted(fake):
    client = connect(fake)
    result = client.publish(text="Hello Threads", idempotency_key="t")
    [post] = fake.posts()
    assert post["media_type"] == "TEXT" and result.remote_id == post["id"]
    assert result.url.endswith(f"/post/{post['id']}")
    again = client.publish(text="Hello Threads", idempotency_key="t")
    assert again.remote_id == result.remote_id and len(fake.posts()) == 1


def test_image_video_and_carousel(fake):
    client = connect(fake)
    img = MediaItem(PNG, "image/png", "A kettle", url=fake.host_file("k.png", PNG))
    vid = MediaItem(MP4, "video/mp4", "A film", url=fake.host_file("f.mp4", MP4))
    client.publish(text="Image", idempotency_key="i", media=[img])
    client.publish(text="Both", idempotency_key="c", media=[img, vid])
    posts = fake.posts()
    assert [p["media_type"] for p in posts] == ["IMAGE", "CAROUSEL"]
    children = [c for c in fake.containers() if c["carousel_item"]]
    assert [(c["media_type"], c["alt_text"]) for c in children] == [
        ("IMAGE", "A kettle"),
        ("VIDEO", "A film"),
    ]


def test_media_failure_never_posts_text_alone(fake):
    client = connect(fake)
    with pytest.raises(MediaRejected, match="FAILED_DOWNLOADING_VIDEO"):
        client.publish(
            text="Film",
            idempotency_key="v",
            media=[MediaItem(MP4, "video/mp4", url=f"{fake.url}/_fake/files/nope.mp4")],
        )
    with pytest.raises(MediaRejected, match="public address"):
        client.publish(text="Film", idempotency_key="w", media=[MediaItem(MP4, "video/mp4")])
    assert fake.posts() == []


def test_token_renewal_and_reconnect(fake):
    seen = []
    client = connect(fake, on_token_refresh=seen.append)
    old = client.token.access_token
    fresh = client.refresh_access_token()
    assert fresh.access_token != old and seen == [fresh]
    assert client.whoami().remote_id == "3001"
    fake.expire_access_tokens()
    with pytest.raises(ReconnectRequired):
        client.whoami()


def test_rate_limit_and_errors(fake):
    client = connect(fake)
    fake.configure(rate_limits={"/threads_publish": 0})
    with pytest.raises(PlatformUnavailable) as caught:
        client.publish(text="x", idempotency_key="x")
    assert caught.value.retry_after == 180
    fake.configure(rate_limits={})
    with pytest.raises(PublishRejected, match="too long"):
        client.publish(text="y" * 501, idempotency_key="y")
    token = client.token.access_token
    fake.add_fault(
        fail_next=1,
        status=400,
        scope="all",
        body={"error": {"message": f"no {token}", "code": 190}},
    )
    assert client.whoami().remote_id == "3001"  # 190: the token was renewed, then it worked
    assert client.token.access_token != token
    token = client.token.access_token
    fake.add_fault(
        fail_next=1,
        status=403,
        scope="all",
        body={"error": {"message": f"no {token}", "code": 200}},
    )
    with pytest.raises(AuthenticationFailed) as caught:
        client.whoami()
    assert token not in str(caught.value) and "[redacted]" in str(caught.value)


# --- the engagement inbox ---------------------------------------------------------------------


def _walk(client, cursor="", limit=0):
    """Read pages until the walk is done: (messages, pages, cursor)."""
    seen, pages = [], 0
    while True:
        page = client.notifications(own_remote_id="3001", cursor=cursor, limit=limit)
        pages += 1
        seen += page.messages
        cursor = page.cursor
        if not page.more:
            return seen, pages, cursor
        assert pages < 50


def test_scopes_ask_for_replies_and_mentions():
    assert set(ThreadsClient.oauth.scopes) >= {
        "threads_read_replies",
        "threads_manage_replies",
        "threads_manage_mentions",
    }
    assert ThreadsClient.supports_inbox and ThreadsClient.supports_reply
    assert ThreadsClient.moderation_actions == ()


def test_mentions_and_replies_to_recent_posts_are_read_by_cursor(fake):
    client = connect(fake)
    first = client.publish(text="Our new oven", idempotency_key="p1")
    second = client.publish(text="Our new fridge", idempotency_key="p2")
    replies = [
        fake.add_inbound(
            to="3001",
            author={"id": "9001", "username": "carol"},
            text=f"nice {n}",
            reply_to=(first if n % 2 else second).remote_id,
        )
        for n in range(7)
    ]
    nested = fake.add_inbound(
        to="3001",
        author={"id": "9002", "username": "dan"},
        text="agreed",
        reply_to=replies[0]["id"],
    )
    mentions = [
        fake.add_inbound(to="3001", author={"id": "9003", "username": "erin"}, text=f"hey {n}")
        for n in range(3)
    ]
    # Pages of 2: the walk goes over the mentions, then each recent post's replies.
    seen, pages, cursor = _walk(client, limit=2)
    ids = [m.remote_id for m in seen]
    assert len(ids) == len(set(ids))  # nothing twice within a walk
    assert set(ids) == {o["id"] for o in [*replies, nested, *mentions]}  # nothing missed
    assert pages >= 6
    by_id = {m.remote_id: m for m in seen}
    assert by_id[mentions[0]["id"]].kind == "mention"
    assert by_id[mentions[0]["id"]].author_handle == "@erin"
    reply = by_id[replies[1]["id"]]
    assert reply.kind == "reply" and reply.in_reply_to == first.remote_id
    assert reply.thread_root == first.remote_id and reply.created_at is not None
    assert by_id[nested["id"]].in_reply_to == replies[0]["id"]
    assert by_id[nested["id"]].thread_root == second.remote_id
    conversation = [r for r in fake.requests_log() if r["path"].endswith("/conversation")]
    assert conversation and "reverse=false" in conversation[-1]["query"]
    mention_reads = [r for r in fake.requests_log() if r["path"] == "/v1.0/3001/mentions"]
    assert "replied_to" in mention_reads[-1]["query"]
    # The next walk reads only what is new (from the newest time seen, less the overlap).
    later, _pages, _cursor = _walk(client, cursor)
    assert {m.remote_id for m in later} <= set(ids)  # the overlap: dropped by the store
    assert (
        "since="
        in [r for r in fake.requests_log() if r["path"] == "/v1.0/3001/mentions"][-1]["query"]
    )


def test_the_brands_own_replies_are_not_inbox_items(fake):
    client = connect(fake)
    post = client.publish(text="Hello", idempotency_key="p1")
    question = fake.add_inbound(
        to="3001", author={"id": "9001", "username": "carol"}, text="when?", reply_to=post.remote_id
    )
    client.reply(text="Tomorrow", idempotency_key="reply-1", in_reply_to=question["id"])
    seen, _pages, _cursor = _walk(client)
    assert [m.remote_id for m in seen] == [question["id"]]


def test_reply_is_a_container_answering_the_post_and_a_repeat_is_found_not_reposted(fake):
    client = connect(fake)
    post = client.publish(text="Hello", idempotency_key="p1")
    question = fake.add_inbound(
        to="3001", author={"id": "9001", "username": "carol"}, text="when?", reply_to=post.remote_id
    )
    sent = client.reply(text="Tomorrow", idempotency_key="reply-abc", in_reply_to=question["id"])
    [container] = [c for c in fake.containers() if c["reply_to_id"]]
    assert container["reply_to_id"] == question["id"] and container["media_type"] == "TEXT"
    mine = [p for p in fake.posts() if p["user"] == "3001" and p["reply_to"]]
    assert [p["id"] for p in mine] == [sent.remote_id]
    # The same send again meets its published container: found among the replies.
    again = client.reply(text="Tomorrow", idempotency_key="reply-abc", in_reply_to=question["id"])
    assert again.remote_id == sent.remote_id
    assert len([p for p in fake.posts() if p["user"] == "3001" and p["reply_to"]]) == 1
    found = client.lookup(idempotency_key="reply-abc", text="Tomorrow", since=None)
    assert found is not None and found.remote_id == sent.remote_id
    assert client.lookup(idempotency_key="p-9", text="Tomorrow", since=None) is None  # not a post
    with pytest.raises(PlatformError):
        client.reply(text="x", idempotency_key="reply-2", in_reply_to="../me")
    with pytest.raises(PlatformError):
        client.report(account_id="carol")  # no moderation API


def test_a_spent_budget_on_the_inbox_is_unavailable(fake):
    client = connect(fake)
    fake.configure(rate_limits={"/mentions": 1})
    client.notifications(own_remote_id="3001")
    with pytest.raises(PlatformUnavailable) as caught:
        client.notifications(own_remote_id="3001", cursor="")
    assert caught.value.retry_after == 180
