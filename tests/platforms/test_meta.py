"""Facebook Pages and Instagram against the fake Graph API."""

from __future__ import annotations

import pytest

from platforms import (
    MediaItem,
    MediaRejected,
    PersonalAccountRefused,
    PlatformUnavailable,
    PublishRejected,
)
from platforms.facebook import FacebookClient
from platforms.instagram import InstagramClient
from platforms.oauth import OAuthApp, OAuthClient
from tests.fakes.graph import FakeGraph
from tests.fakes.guard import loopback_only
from tests.platforms.helpers import MP4, PNG, REDIRECT, consent

APP = OAuthApp(client_id="fb-app", client_secret="fb-secret-98765", redirect_uri=REDIRECT)
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200


@pytest.fixture(autouse=True)
def _loopback_only():
    with loopback_only():
        yield


@pytest.fixture
def fake():
    with FakeGraph() as server:
        server.add_app("fb-app", "fb-secret-98765", [REDIRECT])
        server.add_person("501", "Dana Admin")
        server.page_token = server.add_page(
            "601", "Brand Co", managers=["501"], ig={"id": "701", "username": "brandco"}
        )
        server.bare_page_token = server.add_page("602", "No IG Page", managers=["501"])
        yield server


def fb(fake, token=None, cls=FacebookClient, **credential):
    client = cls(
        instance_url=fake.url,
        credential={"access_token": token or fake.page_token, **credential},
        oauth_app=APP,
        timeout=5,
    )
    client._sleep = lambda seconds: None
    return client


def test_login_lists_pages_with_page_tokens(fake):
    oauth = OAuthClient(FacebookClient.oauth.on(fake.url), APP, platform="facebook", timeout=5)
    user = consent(oauth, "501")
    long_lived = FacebookClient.long_lived_user_token(oauth, user)
    assert long_lived.access_token != user.access_token
    pages = fb(fake, long_lived.access_token).list_pages()
    assert [(p["id"], p["access_token"]) for p in pages] == [
        ("601", fake.page_token),
        ("602", fake.bare_page_token),
    ]
    assert pages[0]["instagram_business_account"] == {"id": "701"}


def test_page_whoami_and_personal_profile_refused(fake):
    identity = fb(fake).whoami()
    assert (identity.remote_id, identity.handle) == ("601", "Brand Co")
    oauth = OAuthClient(FacebookClient.oauth.on(fake.url), APP, platform="facebook", timeout=5)
    user = consent(oauth, "501")
    with pytest.raises(PersonalAccountRefused, match="personal Facebook profile"):
        fb(fake, user.access_token).whoami()


def test_page_text_photo_and_duplicate(fake):
    client = fb(fake)
    first = client.publish(text="Hello Page", idempotency_key="k1")
    assert client.publish(text="Hello Page", idempotency_key="k1").remote_id == first.remote_id
    client.publish(
        text="With photos",
        idempotency_key="k2",
        media=[MediaItem(PNG, "image/png", "A kettle"), MediaItem(JPEG, "image/jpeg", "A cup")],
    )
    posts = [o for o in fake.posts() if o["kind"] == "post"]
    assert [p["message"] for p in posts] == ["Hello Page", "With photos"]
    photos = fake.objects("photo")
    assert [(p["alt_text"], p["published"]) for p in photos] == [
        ("A kettle", False),
        ("A cup", False),
    ]
    assert posts[1]["attached"] == [p["id"] for p in photos]


def test_page_video_resumable_and_processing(fake):
    client = fb(fake)
    client.video_chunk_bytes = 700
    result = client.publish(
        text="Our film", idempotency_key="v", media=[MediaItem(MP4, "video/mp4")]
    )
    [video] = fake.objects("video")
    assert video["status"] == "ready" and video["message"] == "Our film"
    assert result.remote_id == video["id"] and "/videos/" in result.url


def test_page_video_failure_is_not_a_post(fake):
    fake.configure(fail_processing="The video could not be processed")
    with pytest.raises(MediaRejected, match="could not be processed"):
        fb(fake).publish(text="Our film", idempotency_key="v", media=[MediaItem(MP4, "video/mp4")])
    assert fake.posts() == []


def test_photo_upload_failure_never_posts_text_alone(fake):
    fake.add_fault(fail_next=5, status=500, path="/v21.0/601/photos")
    with pytest.raises(PlatformUnavailable):
        fb(fake).publish(text="Pics", idempotency_key="p", media=[MediaItem(PNG, "image/png", "x")])
    assert fake.posts() == []


def test_graph_rate_limit_and_bad_token(fake):
    fake.configure(rate_limits={"/feed": 1})
    client = fb(fake)
    client.publish(text="one", idempotency_key="1")
    with pytest.raises(PlatformUnavailable) as caught:
        client.publish(text="two", idempotency_key="2")
    assert caught.value.retry_after == 7 * 60
    bad = fb(fake, "page-not-a-real-token-123")
    with pytest.raises(Exception) as caught:
        bad.whoami()
    assert "page-not-a-real-token-123" not in str(caught.value)
    assert type(caught.value).__name__ == "AuthenticationFailed"


def test_instagram_identity_and_pages_without_instagram_refused(fake):
    identity = fb(fake, cls=InstagramClient, page_id="601").whoami()
    assert (identity.remote_id, identity.handle) == ("701", "@brandco")
    with pytest.raises(PersonalAccountRefused, match="No Instagram professional account"):
        fb(fake, fake.bare_page_token, cls=InstagramClient).whoami()


def test_instagram_image_two_step_with_alt_text(fake):
    client = fb(fake, cls=InstagramClient, page_id="601")
    url = fake.host_file("kettle.jpg", JPEG)
    result = client.publish(
        text="Caption #kettle",
        idempotency_key="ig1",
        media=[MediaItem(JPEG, "image/jpeg", "A kettle", width=1080, height=1080, url=url)],
    )
    [media] = [o for o in fake.posts() if o["kind"] == "ig_media"]
    assert media["caption"] == "Caption #kettle" and media["alt_text"] == "A kettle"
    assert result.url == f"https://www.instagram.com/p/{media['id']}/"
    # Retrying the same send reuses the published container: no second post.
    again = client.publish(
        text="Caption #kettle",
        idempotency_key="ig1",
        media=[MediaItem(JPEG, "image/jpeg", "A kettle", width=1080, height=1080, url=url)],
    )
    assert again.remote_id == result.remote_id
    assert len([o for o in fake.posts() if o["kind"] == "ig_media"]) == 1


def test_instagram_carousel_and_reel(fake):
    client = fb(fake, cls=InstagramClient, page_id="601")
    items = [
        MediaItem(JPEG, "image/jpeg", "one", url=fake.host_file("1.jpg", JPEG)),
        MediaItem(JPEG + b"2", "image/jpeg", "two", url=fake.host_file("2.jpg", JPEG)),
    ]
    client.publish(text="Carousel", idempotency_key="c", media=items)
    client.publish(
        text="Reel", idempotency_key="r", media=[MediaItem(MP4, "video/mp4", duration=5)]
    )
    published = [o for o in fake.posts() if o["kind"] == "ig_media"]
    assert [p["caption"] for p in published] == ["Carousel", "Reel"]
    assert len(published[0]["children"]) == 2
    reel = [o for o in fake.objects("container") if o["media_type"] == "REELS"]
    assert reel[0]["size"] == len(MP4)


def test_instagram_media_failures_post_nothing(fake):
    client = fb(fake, cls=InstagramClient, page_id="601")
    with pytest.raises(MediaRejected, match="public address"):
        client.publish(text="x", idempotency_key="a", media=[MediaItem(JPEG, "image/jpeg", "a")])
    with pytest.raises(MediaRejected, match="download has failed"):
        client.publish(
            text="x",
            idempotency_key="b",
            media=[MediaItem(JPEG, "image/jpeg", "a", url=f"{fake.url}/_fake/files/missing.jpg")],
        )
    with pytest.raises(MediaRejected, match="need an image or a video"):
        client.publish(text="text only", idempotency_key="c")
    fake.configure(fail_processing="ERROR: INVALID_FRAME_RATE")
    with pytest.raises(MediaRejected, match="INVALID_FRAME_RATE"):
        client.publish(text="Reel", idempotency_key="d", media=[MediaItem(MP4, "video/mp4")])
    assert fake.posts() == []


def test_instagram_publishing_limit_is_unavailable(fake):
    fake.configure(publish_limit=1)
    client = fb(fake, cls=InstagramClient, page_id="601")
    client.publish(text="one", idempotency_key="1", media=[MediaItem(MP4, "video/mp4")])
    with pytest.raises(PlatformUnavailable):
        client.publish(text="two", idempotency_key="2", media=[MediaItem(MP4, "video/mp4")])


def test_instagram_rules():
    problems = InstagramClient.validate_media(
        [MediaItem(PNG, "image/png"), MediaItem(JPEG, "image/jpeg", width=1000, height=2000)]
    )
    assert any("does not accept image/png" in p for p in problems)
    assert any("at least 4:5" in p for p in problems)
    assert PublishRejected  # imported for symmetry with the other platforms
