"""Browser journey: a brand admin connects an X channel through X's consent page (the fake),
an author composes a post for it with an image (sent in parts, with a progress bar) and alt
text, and once approved the dispatcher publishes it to X with the image and its alt text.
Screenshots of the Channels page and the composer at desktop and phone widths."""

from __future__ import annotations

import datetime as dt
import os
import tempfile

import pytest
from django.utils import timezone

from accounts.models import Channel
from planner.models import Post, Status
from planner.publishing import services as publishing
from planner.review import services as review_services
from tests.e2e.conftest import sign_in
from tests.fakes.x import FakeX

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)
SHOTS = os.environ.get("SCREENSHOT_DIR", "")


@pytest.fixture
def fake_x(live_server, settings):
    with FakeX(processing_polls=0) as fake:
        fake.add_app("x-client", "x-secret-123456", [f"{live_server.url}/connect/x/callback/"])
        fake.add_account("1001", "brandco", "Brand Co")
        fake.add_account("2002", "alice", "Alice", kind="personal")
        apps = {
            p: {"client_id": "", "client_secret": "", "api_url": ""}
            for p in ("linkedin", "facebook", "instagram", "threads")
        }
        apps["x"] = {
            "client_id": "x-client",
            "client_secret": "x-secret-123456",
            "api_url": fake.url,
        }
        settings.COUNTERSIGN = {
            **settings.COUNTERSIGN,
            "OAUTH_APPS": apps,
            "SITE_URL": live_server.url,
            "ALLOW_PRIVATE_INSTANCE_URLS": True,
            "UPLOAD_DIR": tempfile.mkdtemp(prefix="countersign-uploads-"),
        }
        yield fake


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


def test_connect_x_and_publish_an_image_with_alt_text(demo, new_page, fake_x, tmp_path):
    admin = new_page()
    sign_in(admin, "admin")
    admin.goto("/b/demo/channels/")
    # Platforms without app credentials say so instead of offering a broken button.
    assert (
        "LinkedIn: not configured by your administrator"
        in admin.get_by_test_id("connect-oauth").inner_text()
    )
    admin.get_by_test_id("connect-x").click()
    # X's consent page (the fake): authorize as the brand's account.
    admin.get_by_test_id("approve-brandco").click()
    admin.wait_for_url("**/b/demo/channels/")
    assert "Connected @brandco" in admin.locator(".alert, .messages, body").first.inner_text()
    chip = admin.get_by_test_id("identity-chip").filter(has_text="@brandco")
    assert chip.count() == 1 and "Posts as @brandco on X" in chip.get_attribute("title")
    channel = Channel.objects.get(platform="x")
    assert channel.remote_account_id == "1001" and channel.brand.slug == "demo"
    for width in (1280, 390):
        admin.set_viewport_size({"width": width, "height": 900 if width > 500 else 844})
        _shot(admin, f"channels-{width}.png")

    author = new_page()
    sign_in(author, "author")
    author.goto("/b/demo/compose/")
    author.get_by_label("@brandco (X)").check()
    author.get_by_label("Post text").fill("Our new kettle, in red.")
    when = timezone.localtime(timezone.now() + dt.timedelta(days=2), channel.brand.tz)
    author.locator("input[name=scheduled_at]").fill(when.strftime("%Y-%m-%dT10:00"))
    image = tmp_path / "kettle.png"
    image.write_bytes(PNG)
    author.locator("input[name=media_file]").set_input_files(str(image))
    author.wait_for_function(
        "() => document.querySelector('.chunked-upload')?.dataset.state === 'done'"
    )
    assert "Uploaded kettle.png" in author.get_by_test_id("upload-status").inner_text()
    assert author.get_by_test_id("upload-progress").get_attribute("value") == "100"
    author.get_by_label("Alt text").fill("A red kettle on a kitchen bench")
    for width in (1280, 390):
        author.set_viewport_size({"width": width, "height": 900 if width > 500 else 844})
        _shot(author, f"compose-media-{width}.png")
    author.get_by_role("button", name="Save drafts").click()
    author.wait_for_url("**/b/demo/posts/*/")  # saved: the draft's page, not the composer still
    post = Post.objects.get(channel=channel)
    media = post.media.get()
    assert (media.mime_type, media.alt_text) == ("image/png", "A red kettle on a kitchen bench")
    author.goto(f"/b/demo/posts/{post.pk}/")
    assert author.get_by_test_id("media-thumb").get_attribute("alt") == media.alt_text

    # Review (services), then time passes and the dispatcher sends it.
    from accounts.models import User

    review_services.post_submit(post_id=post.pk, actor=User.objects.get(username="author"))
    for name in ("approver1", "approver2"):
        review_services.approval_grant(post_id=post.pk, actor=User.objects.get(username=name))
    Post.objects.filter(pk=post.pk).update(scheduled_at=timezone.now() - dt.timedelta(seconds=1))
    publishing.clear_caches()
    outcomes = publishing.publish_due_inline()
    assert [o.result for o in outcomes if o.post_id == post.pk] == ["published"]
    [tweet] = [t for t in fake_x.posts() if t["text"] == "Our new kettle, in red."]
    assert [(m["type"], m["alt_text"]) for m in tweet["media"]] == [
        ("image/png", "A red kettle on a kitchen bench")
    ] or [m["alt_text"] for m in tweet["media"]] == ["A red kettle on a kitchen bench"]
    post.refresh_from_db()
    assert post.status == Status.PUBLISHED and post.remote_url.startswith("https://x.com/brandco/")
