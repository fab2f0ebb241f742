"""The X client against the fake X API v2 (OAuth 2.0 + PKCE, tweets, chunked media)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from platforms import (
    AuthenticationFailed,
    IdentityMismatch,
    MediaItem,
    MediaRejected,
    MediaUnavailable,
    PlatformUnavailable,
    PublishRejected,
)
from platforms.errors import PlatformError, ReconnectRequired
from platforms.oauth import OAuthApp, OAuthClient
from platforms.x import XClient
from tests.fakes.guard import loopback_only
from tests.fakes.x import FakeX
from tests.platforms.helpers import MP4, PNG, REDIRECT, consent

APP = OAuthApp(client_id="x-client", client_secret="x-secret-123456", redirect_uri=REDIRECT)


@pytest.fixture(autouse=True)
def _loopback_only():
    with loopback_only():
        yield


@pytest.fixture
def fake():
    with FakeX() as server:
        server.add_app("x-client", "x-secret-123456", [REDIRECT])
        server.add_account("1001", "brandco", "Brand Co")
        server.add_account("2002", "alice", "Alice", kind="personal")
        yield server


def oauth(fake) -> OAuthClient:
    return OAuthClient(XClient.oauth.on(fake.url), APP, platform="x", label="X", timeout=5)


def client(fake, token, **kwargs) -> XClient:
    c = XClient(
        instance_url=fake.url,
        credential=token.as_credential(),
        oauth_app=APP,
        timeout=5,
        **kwargs,
    )
    c._sleep = lambda seconds: None  # the fake asks for 1 s between STATUS calls
    return c


def test_consent_url_has_state_pkce_and_scopes(fake):
    request = oauth(fake).authorization_request()
    query = {k: v[-1] for k, v in parse_qs(urlsplit(request.url).query).items()}
    assert urlsplit(request.url).path == "/i/oauth2/authorize"
    assert query["scope"] == "tweet.write tweet.read users.read offline.access mute.write"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["state"] == request.state and query["redirect_uri"] == REDIRECT
    assert request.code_verifier not in request.url


def test_connect_whoami_and_state_mismatch(fake):
    token = consent(oauth(fake), "1001")
    assert token.refresh_token and token.expires_at is not None
    identity = client(fake, token).whoami()
    assert (identity.remote_id, identity.handle) == ("1001", "@brandco")
    assert identity.profile_url == "https://x.com/brandco"
    with pytest.raises(AuthenticationFailed, match="state mismatch"):
        oauth(fake).exchange_code(code="c", code_verifier="v", state="a", expected_state="b")
    with pytest.raises(AuthenticationFailed, match="invalid_grant"):
        oauth(fake).exchange_code(code="made-up", code_verifier="v")


def test_personal_account_is_another_identity(fake):
    """X does not mark personal accounts: the guard compares the stable id, which differs."""
    token = consent(oauth(fake), "2002")
    personal = client(fake, token)
    assert personal.whoami().remote_id == "2002"
    with pytest.raises(IdentityMismatch):
        personal.assert_identity("1001")


def test_token_refresh_on_expiry_and_on_401(fake):
    token = consent(oauth(fake), "1001")
    seen = []
    c = client(fake, token, on_token_refresh=seen.append)
    fake.expire_access_tokens()  # the fake says 401; the client refreshes once and retries
    assert c.whoami().remote_id == "1001"
    assert len(seen) == 1 and seen[0].access_token != token.access_token
    assert seen[0].refresh_token != token.refresh_token  # X rotates refresh tokens
    # The old refresh token is spent: a client still holding it must reconnect.
    stale = client(fake, token)
    fake.expire_access_tokens()
    with pytest.raises(ReconnectRequired) as caught:
        stale.whoami()
    assert token.refresh_token not in str(caught.value)


def test_text_publish_and_duplicate_is_reconciled(fake):
    c = client(fake, consent(oauth(fake), "1001"))
    c.whoami()
    text = "Launch day! https://example.com/launch"
    first = c.publish(text=text, idempotency_key="k1")
    assert first.url == f"https://x.com/brandco/status/{first.remote_id}"
    again = c.publish(text=text, idempotency_key="k1")  # X says duplicate; we find ours
    assert again.remote_id == first.remote_id
    assert len(fake.posts()) == 1
    assert c.lookup(idempotency_key="k1", text=text, since=None).remote_id == first.remote_id


def test_over_long_text_is_rejected(fake):
    c = client(fake, consent(oauth(fake), "1001"))
    with pytest.raises(PublishRejected, match="too long"):
        c.publish(text="x" * 281, idempotency_key="long")


def test_image_publish_with_alt_text(fake):
    c = client(fake, consent(oauth(fake), "1001"))
    result = c.publish(
        text="A picture",
        idempotency_key="img",
        media=[MediaItem(PNG, "image/png", "A red kettle", width=1, height=1)],
    )
    [post] = fake.posts()
    assert post["id"] == result.remote_id
    assert [m["alt_text"] for m in post["media"]] == ["A red kettle"]


def test_video_publish_chunked_with_processing(fake):
    c = client(fake, consent(oauth(fake), "1001"))
    c.media_chunk_bytes = 512
    fake.configure(processing_polls=3)
    c.publish(
        text="Watch",
        idempotency_key="vid",
        media=[MediaItem(MP4, "video/mp4", duration=5.0, width=640, height=360, frame_rate=30)],
    )
    [post] = fake.posts()
    [upload] = fake.media()
    assert upload["chunks"] == 4 and upload["state"] == "succeeded" and upload["polls"] == 3
    assert post["media"][0]["type"] == "video/mp4"
    statuses = [r for r in fake.requests_log() if "command=STATUS" in r["query"]]
    assert len(statuses) == 3


def test_failed_processing_never_posts_text_alone(fake):
    c = client(fake, consent(oauth(fake), "1001"))
    fake.configure(fail_processing="Unsupported video format")
    with pytest.raises(MediaRejected, match="Unsupported video format"):
        c.publish(text="Watch", idempotency_key="vid", media=[MediaItem(MP4, "video/mp4")])
    assert fake.posts() == []


def test_upload_retried_then_unavailable_never_posts(fake):
    c = client(fake, consent(oauth(fake), "1001"))
    fake.add_fault(fail_next=1, status=503, path="/2/media/upload", method="POST")
    c.publish(text="One retry", idempotency_key="r1", media=[MediaItem(PNG, "image/png", "dot")])
    assert len(fake.posts()) == 1
    fake.add_fault(fail_next=10, status=503, path="/2/media/upload", method="POST")
    with pytest.raises(MediaUnavailable) as caught:
        c.publish(text="Down", idempotency_key="r2", media=[MediaItem(PNG, "image/png", "dot")])
    assert isinstance(caught.value, PlatformUnavailable)  # the planner retries later
    assert [p["text"] for p in fake.posts()] == ["One retry"]


def test_second_attachment_failing_posts_nothing_and_retry_reuses_the_first(fake):
    c = client(fake, consent(oauth(fake), "1001"))
    items = [MediaItem(PNG, "image/png"), MediaItem(PNG + b"2", "image/png", "two")]
    fake.add_fault(fail_next=3, status=500, path="/2/media/metadata")  # item 2's alt text
    with pytest.raises(MediaUnavailable):
        c.publish(text="Two pics", idempotency_key="two", media=items)
    assert fake.posts() == []
    c.publish(text="Two pics", idempotency_key="two", media=items)
    [post] = fake.posts()
    assert len(post["media"]) == 2
    # Item 1 was uploaded once and reused; item 2 three times, then once more.
    assert len(fake.media()) == 1 + 3 + 1


def test_rate_limit_is_unavailable_with_retry_after(fake):
    c = client(fake, consent(oauth(fake), "1001"))
    fake.configure(rate_limits={"/2/tweets": 1})
    c.publish(text="first", idempotency_key="a")
    with pytest.raises(PlatformUnavailable) as caught:
        c.publish(text="second", idempotency_key="b")
    assert 800 <= caught.value.retry_after <= 900


def test_media_rules_speak_per_platform():
    problems = XClient.validate_media(
        [
            MediaItem(b"v", "video/mp4", duration=200, frame_rate=120, width=4000, height=500),
            MediaItem(PNG, "image/png"),
        ]
    )
    text = " ".join(problems)
    assert "cannot mix a video" in text
    assert "at most 2 min 20 s" in text and "60 frames per second" in text
    assert "at most 3:1" in text
    assert XClient.validate_media([MediaItem(PNG, "image/tiff")]) == [
        "Attachment 1: X does not accept image/tiff (it takes image/gif, image/jpeg, "
        "image/png, image/webp, video/mp4, video/quicktime)."
    ]


def test_errors_never_show_the_token(fake):
    token = consent(oauth(fake), "1001")
    c = client(fake, token)
    fake.add_fault(
        fail_next=1,
        status=400,
        path="/2/tweets",
        body={"title": "Invalid Request", "detail": f"bad token {token.access_token}"},
    )
    with pytest.raises(PublishRejected) as caught:
        c.publish(text="hello", idempotency_key="k")
    assert token.access_token not in str(caught.value)
    assert "[redacted]" in str(caught.value)


# --- the engagement inbox ---------------------------------------------------------------------


def _mentions_log(fake) -> list[dict]:
    return [r for r in fake.requests_log() if r["path"] == "/2/users/1001/mentions"]


def test_mentions_are_read_with_a_cursor_nothing_twice_nothing_missed(fake):
    c = client(fake, consent(oauth(fake), "1001"))
    written = [
        fake.add_inbound(to="1001", author={"id": "7001", "username": "carol"}, text=f"hi {n}")
        for n in range(12)
    ]
    # Pages of 5, newest first on X: three pages, the cursor carries the walk between them.
    seen, cursor, pages = [], "", 0
    while True:
        page = c.notifications(own_remote_id="1001", cursor=cursor, limit=5)
        pages += 1
        seen += [m.remote_id for m in page.messages]
        assert [m.remote_id for m in page.messages] == sorted(
            (m.remote_id for m in page.messages), key=lambda i: (len(i), i)
        )  # each page oldest first
        cursor = page.cursor
        if not page.more:
            break
    assert pages == 3
    assert sorted(seen) == sorted(t["id"] for t in written) and len(set(seen)) == 12
    first = c.notifications(own_remote_id="1001", cursor="", limit=5).messages[-1]
    assert first.kind == "mention" and first.author_handle == "@carol"
    assert first.text.startswith("@brandco hi") and first.created_at is not None
    assert first.url == f"https://x.com/carol/status/{first.remote_id}"
    # Nothing new: nothing read again; what comes later is read from the newest seen.
    page = c.notifications(own_remote_id="1001", cursor=cursor, limit=5)
    assert page.messages == [] and not page.more
    later = fake.add_inbound(to="1001", author={"id": "7002", "username": "dan"}, text="late")
    page = c.notifications(own_remote_id="1001", cursor=cursor)
    assert [m.remote_id for m in page.messages] == [later["id"]]
    query = parse_qs(_mentions_log(fake)[-1]["query"])
    newest = max(written, key=lambda t: (len(t["id"]), t["id"]))["id"]
    assert query["since_id"] == [newest] and query["max_results"] == ["100"]
    assert query["expansions"] == ["author_id"]
    assert set(query["tweet.fields"][0].split(",")) >= {
        "created_at",
        "author_id",
        "conversation_id",
        "in_reply_to_user_id",
        "referenced_tweets",
    }


def test_a_reply_to_the_brand_is_a_reply_in_its_thread_and_rate_headers_are_read(fake):
    c = client(fake, consent(oauth(fake), "1001"))
    post = c.publish(text="Our new oven", idempotency_key="p1")
    answer = fake.add_inbound(
        to="1001",
        author={"id": "7001", "username": "carol"},
        text="mine broke",
        reply_to=post.remote_id,
    )
    page = c.notifications(own_remote_id="1001")
    [message] = page.messages
    assert message.remote_id == answer["id"] and message.kind == "reply"
    assert message.in_reply_to == post.remote_id and message.in_reply_to_account == "1001"
    assert message.thread_root == post.remote_id
    assert page.rate_limit.limit == 900 and page.rate_limit.remaining == 899
    assert page.rate_limit.reset_at is not None


def test_a_spent_mentions_budget_is_unavailable_with_retry_after(fake):
    c = client(fake, consent(oauth(fake), "1001"))
    fake.configure(rate_limits={"/2/users/:id/mentions": 1})
    c.notifications(own_remote_id="1001")
    with pytest.raises(PlatformUnavailable) as caught:
        c.notifications(own_remote_id="1001")
    assert 800 <= caught.value.retry_after <= 900


def test_reply_goes_in_the_thread_and_a_lost_answer_is_found_by_lookup(fake):
    c = client(fake, consent(oauth(fake), "1001"))
    c.whoami()
    mention = fake.add_inbound(to="1001", author={"id": "7001", "username": "carol"}, text="help")
    sent = c.reply(text="We are on it", idempotency_key="reply-abc", in_reply_to=mention["id"])
    [stored] = [p for p in fake.posts() if p["author_id"] == "1001"]
    assert stored["in_reply_to_id"] == mention["id"] and stored["id"] == sent.remote_id
    # A reply's lookup searches the replies (shown with "@carol " in front) ...
    found = c.lookup(idempotency_key="reply-abc", text="We are on it", since=None)
    assert found is not None and found.remote_id == sent.remote_id
    # ... and a post's lookup does not take a reply for the post.
    assert c.lookup(idempotency_key="post-1", text="We are on it", since=None) is None
    assert c.lookup(idempotency_key="reply-x", text="Something else", since=None) is None
    with pytest.raises(PlatformError):
        c.reply(text="x", idempotency_key="reply-y", in_reply_to="not-an-id")


def test_mute_is_the_moderation_x_allows(fake):
    assert XClient.moderation_actions == ("mute",) and XClient.supports_reply
    c = client(fake, consent(oauth(fake), "1001"))
    assert c.mute(account_id="7001") == {"id": "7001", "muting": True}
    assert fake.relations() == [{"kind": "muting", "source": "1001", "target": "7001"}]
    with pytest.raises(PlatformError, match="Enterprise"):  # blocking: Enterprise plan only
        c.block(account_id="7001")
    with pytest.raises(PlatformError):
        c.mute(account_id="../../2/tweets")
    with pytest.raises(PlatformError):
        c.report(account_id="7001")  # X has no report API
