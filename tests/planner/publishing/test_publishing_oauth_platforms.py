"""X, LinkedIn, Facebook Pages, Instagram and Threads through the planner: connected
through the guard, approved, claimed and sent by the dispatcher to each fake, with text,
an image and a video; the guard, the re-checks and exactly-once on each; a refresh that
fails holds the post for reconnecting and marks the channel."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Channel
from planner.models import Delivery, HeldCode, Post, Status
from planner.posts import services
from planner.publishing import clients
from planner.publishing import send as send_module
from planner.publishing import services as publishing
from platforms.base import PlatformClient
from tests.fakes.guard import loopback_only
from tests.oauth_support import IDENTITIES, PLATFORMS, fake_of, oauth_fakes, oauth_settings
from tests.planner.publishing.support import approve, make_due

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 2000


@pytest.fixture(scope="module")
def fakes():
    with loopback_only(), oauth_fakes() as servers:
        for fake in servers.values():
            fake.processing_polls = 1
        yield servers


@pytest.fixture(autouse=True)
def _offline(settings, fakes, monkeypatch):
    oauth_settings(settings, fakes)
    settings.COUNTERSIGN = {**settings.COUNTERSIGN, "PLATFORM_TIMEOUT_SECONDS": 2}
    monkeypatch.setattr(PlatformClient, "_sleep", lambda self, seconds: None)
    # Instagram and Threads fetch media from a public address: the fakes serve the files
    # they were given (the signed address itself is tested in tests/planner/posts).
    hosted = {}

    def public_url(media):
        fake = fakes["threads"] if media.post.channel.platform == "threads" else fakes["facebook"]
        with media.file.open("rb") as fh:
            hosted[media.pk] = fake.host_file(f"m{media.pk}", fh.read())
        return hosted[media.pk]

    monkeypatch.setattr(send_module, "public_url", public_url)
    publishing.clear_caches()
    for fake in fakes.values():
        fake.reset_state()
        fake.clear_faults()
    with loopback_only():
        yield
    publishing.clear_caches()


def token_for(fakes, platform: str, *, refresh: str = "", expires_in=None) -> dict:
    fake = fake_of(fakes, platform)
    if platform in ("facebook", "instagram"):
        credential = {"access_token": fake.page_token, "page_id": "601"}
        if platform == "instagram":
            credential["ig_user_id"] = "701"
        return credential
    account = {"x": "1001", "linkedin": "m1", "threads": "3001"}[platform]
    issued = fake.issue_token(account, refresh_token=refresh or None, expires_in=expires_in)
    credential = {"access_token": issued["access_token"]}
    if refresh:
        credential["refresh_token"] = refresh
    if expires_in is not None:
        expires = timezone.now() + dt.timedelta(seconds=expires_in)
        credential["expires_at"] = expires.isoformat().replace("+00:00", "Z")
    if platform == "linkedin":
        credential["organization_urn"] = "urn:li:organization:9001"
    return credential


def connect(team, fakes, platform: str, **kwargs) -> Channel:
    return account_services.channel_connect(
        brand=team["brand"],
        actor=team["admin"],
        platform=platform,
        instance_url=fake_of(fakes, platform).url,
        credential=token_for(fakes, platform, **kwargs),
    )


def upload(name: str, content: bytes, alt: str = ""):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return services.MediaUpload(file=SimpleUploadedFile(name, content), alt_text=alt)


def due_post(team, channel, text, media=()) -> Post:
    post = services.post_create(
        brand=team["brand"],
        actor=team["author"],
        channel=channel,
        text=text,
        category="engagement",
        scheduled_at=timezone.now() + dt.timedelta(hours=1),
        media=list(media),
    )
    post = approve(team, post)
    make_due([post.pk])
    return post


def image_for(platform: str):
    if platform == "instagram":
        return upload("kettle.jpg", JPEG, "A red kettle on a bench")
    return upload("kettle.png", PNG, "A red kettle on a bench")


def posts_on(fakes, platform):
    posts = fake_of(fakes, platform).posts()
    if platform == "instagram":
        return [p for p in posts if p.get("kind") == "ig_media" or "ig" in str(p.get("kind"))]
    if platform == "facebook":
        return [p for p in posts if p.get("kind") in ("post", "video")]
    return posts


@pytest.mark.parametrize("platform", PLATFORMS)
def test_text_image_and_video_reach_each_platform_once(platform, brand_with_team, fakes):
    team = brand_with_team
    channel = connect(team, fakes, platform)
    assert (channel.remote_account_id, channel.handle) == IDENTITIES[platform]
    fake = fake_of(fakes, platform)
    posts = []
    if platform != "instagram":  # an Instagram post is an image or a video
        posts.append(due_post(team, channel, f"Hello from the oven on {platform}."))
    posts.append(due_post(team, channel, f"A kettle on {platform}.", [image_for(platform)]))
    posts.append(due_post(team, channel, f"A video on {platform}.", [upload("clip.mp4", MP4)]))
    outcomes = publishing.publish_due_inline()
    assert sorted(o.result for o in outcomes) == ["published"] * len(posts), [
        (o.result, o.detail) for o in outcomes
    ]
    for post in posts:
        post.refresh_from_db()
        assert post.status == Status.PUBLISHED
        delivery = Delivery.objects.get(post=post)
        assert delivery.remote_id and delivery.evidence["identity"]["matches"]
    # Every upload the platform saw carried the alt text; nothing was posted twice.
    seen = repr(fake.posts())
    for accessor in ("media", "objects", "assets", "containers"):
        if hasattr(fake, accessor):
            seen += repr(getattr(fake, accessor)())
    assert "A red kettle on a bench" in seen
    assert publishing.publish_due_inline() == []


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_lost_answer_is_reconciled_never_sent_twice(platform, brand_with_team, fakes):
    team = brand_with_team
    channel = connect(team, fakes, platform)
    media = [image_for(platform)] if platform == "instagram" else []
    post = due_post(team, channel, f"Exactly once on {platform}.", media)
    fake = fake_of(fakes, platform)
    fake.add_fault(drop_next=1, when="after_store")
    [outcome] = publishing.publish_due_inline()
    assert outcome.result == "unconfirmed", outcome.detail
    publishing.clear_caches()
    Post.objects.filter(pk=post.pk).update(lease_expires_at=None)
    result = publishing.dispatch()
    assert [publishing.reconcile_one(pk).result for pk in result.reconcile] == ["published"]
    post.refresh_from_db()
    assert post.status == Status.PUBLISHED
    texts = [str(p) for p in fake.posts() if f"Exactly once on {platform}." in str(p)]
    assert len(texts) == 1


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_paused_channel_holds_instead_of_sending(platform, brand_with_team, fakes):
    team = brand_with_team
    channel = connect(team, fakes, platform)
    media = [image_for(platform)] if platform == "instagram" else []
    post = due_post(team, channel, f"Paused on {platform}.", media)
    account_services.channel_pause(channel=channel, actor=team["admin"], reason="Crisis")
    outcomes = publishing.publish_due_inline()
    assert all(o.result in ("held", "skipped") for o in outcomes)
    post.refresh_from_db()
    assert post.status in (Status.APPROVED, Status.HELD)
    assert not [p for p in fake_of(fakes, platform).posts() if "Paused on" in str(p)]


def test_a_partial_upload_never_becomes_a_text_only_post(brand_with_team, fakes):
    team = brand_with_team
    channel = connect(team, fakes, "x")
    fakes["x"].fail_processing = "InvalidMedia: the video could not be processed"
    try:
        post = due_post(
            team,
            channel,
            "Two attachments, one fails.",
            [upload("clip.mp4", MP4)],
        )
        [outcome] = publishing.publish_due_inline()
    finally:
        fakes["x"].fail_processing = ""
    post.refresh_from_db()
    assert outcome.result in ("failed", "held"), outcome.detail
    assert post.status in (Status.FAILED, Status.HELD)
    assert not [p for p in fakes["x"].posts() if "Two attachments" in p["text"]]


def test_a_refresh_that_fails_holds_the_post_and_marks_the_channel(brand_with_team, fakes, client):
    team = brand_with_team
    channel = connect(team, fakes, "x", refresh="rt-will-be-revoked", expires_in=3600)
    post = due_post(team, channel, "After the token expired.")
    fakes["x"].expire_access_tokens()
    fakes["x"].revoke_refresh_tokens()
    [outcome] = publishing.publish_due_inline()
    assert outcome.result == "held"
    post.refresh_from_db()
    assert post.status == Status.HELD and post.held_code == HeldCode.RECONNECT
    assert not [p for p in fakes["x"].posts() if "After the token" in p["text"]]
    channel.refresh_from_db()
    assert channel.needs_reconnect and "refresh" in channel.reconnect_reason.lower()
    client.force_login(team["admin"])
    page = client.get("/b/team/channels/").content.decode()
    assert (
        'data-testid="channel-reconnect"' in page
        and f'data-testid="reconnect-{channel.pk}"' in page
    )


def test_a_refreshed_token_is_stored_encrypted_and_used(brand_with_team, fakes):
    team = brand_with_team
    channel = connect(team, fakes, "x", refresh="rt-first-one", expires_in=3600)
    # Time passes: the stored token is now a minute from expiring.
    soon = (timezone.now() + dt.timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    channel.set_credential({**channel.credential, "expires_at": soon})
    channel.save(update_fields=["credential_encrypted"])
    before = channel.credential["access_token"]
    due_post(team, channel, "After a refresh.")
    [outcome] = publishing.publish_due_inline()
    assert outcome.result == "published", outcome.detail
    channel.refresh_from_db()
    stored = channel.credential
    assert stored["access_token"] != before and stored["refresh_token"] != "rt-first-one"
    assert stored["expires_at"] > soon
    assert stored["access_token"] not in channel.credential_encrypted
    assert not channel.needs_reconnect


def test_another_account_behind_the_token_holds_the_post(brand_with_team, fakes):
    team = brand_with_team
    channel = connect(team, fakes, "x")
    post = due_post(team, channel, "Who is this?")
    # The credential now answers as someone else (a personal account).
    personal = fakes["x"].issue_token("2002")["access_token"]
    channel.set_credential({"access_token": personal})
    channel.save(update_fields=["credential_encrypted"])
    publishing.clear_caches()
    [outcome] = publishing.publish_due_inline()
    assert outcome.result == "held"
    post.refresh_from_db()
    assert post.status == Status.HELD
    assert not [p for p in fakes["x"].posts() if "Who is this" in p["text"]]


def test_a_set_refreshes_a_token_about_to_expire_once_and_its_threads_read_no_rows(
    brand_with_team, fakes, settings
):
    """The posts of a set are sent from threads at the same time: a token about to expire is
    refreshed once before them (X rotates refresh tokens: a second refresh with the first
    refresh token would be refused), and no thread reads or writes the database."""
    settings.COUNTERSIGN = {**settings.COUNTERSIGN, "PUBLISH_SEND_CONCURRENCY": 4}
    team = brand_with_team
    channel = connect(team, fakes, "x", refresh="rt-first-one", expires_in=3600)
    # Time passes: the token is a minute from expiring, and its identity was checked a
    # moment ago by another worker (remembered: no whoami, so no refresh, before the set).
    soon = (timezone.now() + dt.timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    channel.set_credential({**channel.credential, "expires_at": soon})
    channel.save(update_fields=["credential_encrypted"])
    clients.forget_client(channel)
    remembered = (channel.remote_account_id, channel.handle, "", "", "", timezone.now().isoformat())
    cache.set(clients._identity_key(channel), remembered, timeout=60)
    for i in range(3):
        due_post(team, channel, f"Set post {i}.", media=[image_for("x")] if i == 0 else [])
    outcomes = publishing.publish_due_inline()
    assert {o.result for o in outcomes} == {"published"}, [o.detail for o in outcomes]
    assert len(posts_on(fakes, "x")) == 3
    channel.refresh_from_db()
    assert channel.credential["refresh_token"] != "rt-first-one"
    assert not channel.needs_reconnect
