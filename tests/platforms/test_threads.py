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
from platforms.errors import ReconnectRequired
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
