"""Media on the Countersign side: chunked, resumable uploads; metadata read with ffprobe and
checked against each ticked channel's platform rules (from the adapters) with a message per
platform; a poster frame for video; the signed, expiring public address."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts import permissions
from accounts.models import Channel, Platform
from planner import media as media_rules
from planner.models import Post
from planner.posts import services, uploads

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)
FFMPEG = shutil.which("ffmpeg") and shutil.which("ffprobe")


@pytest.fixture(autouse=True)
def _upload_dir(settings, tmp_path):
    settings.COUNTERSIGN = {**settings.COUNTERSIGN, "UPLOAD_DIR": tmp_path / "uploads"}


@pytest.fixture
def video(tmp_path):
    """A real 2-second 320x240 MP4 at 30 fps (ffmpeg's test pattern)."""
    if not FFMPEG:
        pytest.skip("ffmpeg is not installed")
    path = tmp_path / "clip.mp4"
    subprocess.run(
        [
            shutil.which("ffmpeg"),
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=duration=2:size=320x240:rate=30",
            "-pix_fmt",
            "yuv420p",
            str(path),
        ],
        check=True,
        timeout=60,
    )
    return path.read_bytes()


def _channel(brand, platform, handle):
    channel = Channel.objects.create(
        brand=brand, platform=platform, handle=handle, remote_account_id=f"{platform}:{handle}"
    )
    permissions.sync_brand_permissions(brand)
    return channel


def test_chunked_upload_resumes_and_attaches(author_client, team):
    start = author_client.post(
        "/b/team/uploads/",
        {"name": "kettle.png", "size": len(PNG)},
        content_type="application/json",
    )
    assert start.status_code == 201
    upload_id = start.json()["upload_id"]
    url = f"/b/team/uploads/{upload_id}/"
    first = author_client.put(f"{url}?offset=0", PNG[:30], content_type="application/octet-stream")
    assert first.json()["received"] == 30 and not first.json()["complete"]
    # A part sent again at an old offset (a retry after a lost answer) is refused with
    # what the server has, so the browser resumes from there.
    again = author_client.put(f"{url}?offset=0", PNG[:30], content_type="application/octet-stream")
    assert again.status_code == 409 and again.json()["received"] == 30
    assert author_client.get(url).json()["received"] == 30
    done = author_client.put(f"{url}?offset=30", PNG[30:], content_type="application/octet-stream")
    assert done.json()["complete"]
    # The composer attaches it by its id (no file in the form).
    response = author_client.post(
        "/b/team/compose/",
        {
            "channels": [team["channel"].pk],
            "text": "A kettle.",
            "category": "news",
            "upload_id": upload_id,
            "alt_text": "A red kettle",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    media = Post.objects.get().media.get()
    assert (media.mime_type, media.alt_text, media.size) == ("image/png", "A red kettle", len(PNG))
    assert author_client.get(url).status_code == 404  # the parts are gone


def test_uploads_refuse_bad_input_without_a_500(author_client, team, make_user, settings):
    post = lambda data: author_client.post(  # noqa: E731
        "/b/team/uploads/", data, content_type="application/json"
    )
    assert post({"name": "x", "size": 0}).status_code == 400
    assert post({"name": "x", "size": "many"}).status_code == 400
    too_big = post({"name": "huge.mp4", "size": media_rules.max_upload_bytes() + 1})
    assert too_big.status_code == 400 and "largest file accepted" in too_big.json()["detail"]
    assert (
        author_client.post(
            "/b/team/uploads/", "not json", content_type="application/json"
        ).status_code
        == 400
    )
    assert author_client.get("/b/team/uploads/../../etc/").status_code == 404
    assert author_client.get("/b/team/uploads/" + "a" * 20 + "/").status_code == 404
    upload_id = post({"name": "k.png", "size": 10}).json()["upload_id"]
    url = f"/b/team/uploads/{upload_id}/"
    assert (
        author_client.put(
            f"{url}?offset=x", b"1", content_type="application/octet-stream"
        ).status_code
        == 400
    )
    assert (
        author_client.put(
            f"{url}?offset=0", b"", content_type="application/octet-stream"
        ).status_code
        == 400
    )
    over = author_client.put(f"{url}?offset=0", b"1" * 11, content_type="application/octet-stream")
    assert over.status_code == 400
    big = author_client.put(
        f"{url}?offset=0",
        b"1" * (uploads.MAX_CHUNK_BYTES + 1),
        content_type="application/octet-stream",
    )
    assert big.status_code == 400
    # Someone else's upload id is not theirs to see or fill (another member of the brand).
    other = make_user("other-author")
    from accounts import services as account_services

    account_services.membership_set(
        brand=team["brand"], user=other, roles=["author"], actor=team["admin"]
    )
    from django.test import Client

    client = Client()
    client.force_login(other)
    assert client.get(url).status_code == 404
    assert (
        client.put(f"{url}?offset=0", b"1", content_type="application/octet-stream").status_code
        == 404
    )
    # An unfinished upload cannot be attached.
    response = author_client.post(
        "/b/team/compose/",
        {
            "channels": [team["channel"].pk],
            "text": "x",
            "category": "news",
            "upload_id": upload_id,
            "alt_text": "alt",
        },
    )
    assert response.status_code == 200 and "not completely uploaded" in response.content.decode()
    assert not Post.objects.exists()


def test_the_rules_come_from_each_ticked_channels_platform(team):
    brand = team["brand"]
    x = _channel(brand, Platform.X, "@brandco")
    instagram = _channel(brand, Platform.INSTAGRAM, "@brandco.ig")
    # Instagram takes JPEG only: the message names the channel and its platform.
    with pytest.raises(ValidationError) as exc:
        services.post_compose(
            brand=brand,
            actor=team["author"],
            channels=[x, instagram],
            text="Both.",
            category="news",
            media=[services.MediaUpload(file=SimpleUploadedFile("k.png", PNG), alt_text="alt")],
        )
    assert "@brandco.ig (Instagram) does not accept image/png" in str(exc.value)
    # An Instagram post is an image or a video.
    with pytest.raises(ValidationError) as exc:
        services.post_create(
            brand=brand, actor=team["author"], channel=instagram, text="Words.", category="news"
        )
    assert "@brandco.ig (Instagram) posts need an image or a video" in str(exc.value)
    # X takes at most 4 images.
    many = [
        services.MediaUpload(file=SimpleUploadedFile(f"{i}.png", PNG), alt_text="a")
        for i in range(5)
    ]
    with pytest.raises(ValidationError) as exc:
        services.post_create(
            brand=brand, actor=team["author"], channel=x, text="Many.", category="news", media=many
        )
    assert "@brandco takes at most 4 attachments" in str(exc.value)


def test_video_metadata_is_checked_per_platform_and_gets_a_poster(team, video):
    brand = team["brand"]
    x = _channel(brand, Platform.X, "@brandco")
    instagram = _channel(brand, Platform.INSTAGRAM, "@brandco.ig")
    # 2 seconds: X takes it (0.5-140 s), Instagram reels need 3 s at least.
    with pytest.raises(ValidationError) as exc:
        services.post_compose(
            brand=brand,
            actor=team["author"],
            channels=[x, instagram],
            text="A clip.",
            category="news",
            media=[services.MediaUpload(file=SimpleUploadedFile("clip.mp4", video))],
        )
    assert "Instagram) videos must last at least 3 s; this one lasts 2.0 s" in str(exc.value)
    post = services.post_create(
        brand=brand,
        actor=team["author"],
        channel=x,
        text="A clip.",
        category="news",
        media=[services.MediaUpload(file=SimpleUploadedFile("clip.mp4", video))],
    )
    media = post.media.get()
    assert (media.width, media.height, round(media.frame_rate)) == (320, 240, 30)
    assert abs(media.duration - 2.0) < 0.1
    assert media.poster.name.endswith(".jpg")
    with media.poster.open("rb") as fh:
        assert fh.read(3) == b"\xff\xd8\xff"


def test_media_files_are_served_to_the_brand_and_at_a_signed_expiring_address(
    author_client, team, client, settings
):
    post = services.post_create(
        brand=team["brand"],
        actor=team["author"],
        channel=team["channel"],
        text="x",
        category="news",
        media=[services.MediaUpload(file=SimpleUploadedFile("k.png", PNG), alt_text="alt")],
    )
    media = post.media.get()
    private = f"/b/team/posts/{post.pk}/media/{media.pk}/file/"
    assert b"".join(author_client.get(private).streaming_content) == PNG
    from django.test import Client

    assert Client().get(private).status_code == 302  # signed out: to the sign-in page
    url = media_rules.public_url(media)
    assert url.startswith(settings.COUNTERSIGN["SITE_URL"] + "/m/")
    assert len(url.rsplit("/m/", 1)[1]) > 40  # signed: only the server can make one
    path = "/m/" + url.split("/m/", 1)[1]
    response = client.get(path)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG
    # Tampered with, made up, or expired: not found.
    token = path.split("/")[2]
    assert client.get(f"/m/{token[:-2]}xx/").status_code == 404
    forged = signing.dumps({"m": media.pk, "s": media.size}, salt="another-salt", compress=True)
    assert client.get(f"/m/{forged}/").status_code == 404
    settings.COUNTERSIGN = {**settings.COUNTERSIGN, "MEDIA_URL_MAX_AGE_SECONDS": -1}
    assert client.get(path).status_code == 404
