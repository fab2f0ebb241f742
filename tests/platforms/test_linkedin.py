"""The LinkedIn organisation-page client against the fake LinkedIn REST API."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from platforms import (
    IdentityMismatch,
    MediaItem,
    MediaRejected,
    PersonalAccountRefused,
    PlatformUnavailable,
    PublishRejected,
)
from platforms.errors import ReconnectRequired
from platforms.linkedin import LinkedInClient
from platforms.oauth import OAuthApp, OAuthClient
from tests.fakes.guard import loopback_only
from tests.fakes.linkedin import FakeLinkedIn
from tests.platforms.helpers import MP4, PNG, REDIRECT, consent

APP = OAuthApp(client_id="li-app", client_secret="li-secret-24680", redirect_uri=REDIRECT)
ORG = "urn:li:organization:9001"


@pytest.fixture(autouse=True)
def _loopback_only():
    with loopback_only():
        yield


@pytest.fixture
def fake():
    with FakeLinkedIn() as server:
        server.add_app("li-app", "li-secret-24680", [REDIRECT])
        server.add_account("m1", "dana", "Dana Admin")
        server.add_account("m2", "sam", "Sam Member", kind="personal")
        server.add_organization("9001", "Brand Co", "brand-co", admins={"m1": "ADMINISTRATOR"})
        yield server


def oauth(fake):
    return OAuthClient(LinkedInClient.oauth.on(fake.url), APP, platform="linkedin", timeout=5)


def client(fake, token, **credential):
    c = LinkedInClient(
        instance_url=fake.url,
        credential={**token.as_credential(), **credential},
        oauth_app=APP,
        timeout=5,
    )
    c._sleep = lambda seconds: None
    return c


def test_consent_and_organisation_identity(fake):
    request = oauth(fake).authorization_request()
    query = parse_qs(urlsplit(request.url).query)
    assert query["scope"] == ["w_organization_social r_organization_social rw_organization_admin"]
    assert "code_challenge" not in query
    token = consent(oauth(fake), "m1")
    identity = client(fake, token).whoami()
    assert (identity.remote_id, identity.handle) == (ORG, "brand-co")
    assert identity.profile_url == "https://www.linkedin.com/company/brand-co"
    assert client(fake, token, organization_urn=ORG).whoami().remote_id == ORG


def test_member_profiles_are_personal_accounts(fake):
    member = consent(oauth(fake), "m2")  # administers no page: can only post as themselves
    with pytest.raises(PersonalAccountRefused, match="personal account"):
        client(fake, member).whoami()
    admin = consent(oauth(fake), "m1")
    with pytest.raises(PersonalAccountRefused):
        client(fake, admin, organization_urn="urn:li:person:m1").whoami()
    with pytest.raises(IdentityMismatch):
        client(fake, admin, organization_urn="urn:li:organization:1234").whoami()


def test_text_post_headers_and_duplicate(fake):
    c = client(fake, consent(oauth(fake), "m1"), organization_urn=ORG)
    result = c.publish(text="We are hiring", idempotency_key="k")
    assert result.remote_id.startswith("urn:li:share:")
    assert result.url == f"https://www.linkedin.com/feed/update/{result.remote_id}/"
    assert c.publish(text="We are hiring", idempotency_key="k").remote_id == result.remote_id
    [post] = fake.posts()
    assert post["author"] == ORG
    sent = next(r for r in fake.requests_log() if r["path"] == "/rest/posts")
    assert sent["method"] == "POST"


def test_image_and_video_uploads(fake):
    c = client(fake, consent(oauth(fake), "m1"), organization_urn=ORG)
    c.publish(
        text="Two images",
        idempotency_key="i",
        media=[MediaItem(PNG, "image/png", "one"), MediaItem(PNG + b"x", "image/png", "two")],
    )
    fake.configure(part_bytes=700)
    c.publish(text="A video", idempotency_key="v", media=[MediaItem(MP4, "video/mp4", duration=10)])
    posts = fake.posts()
    assert [i["altText"] for i in posts[0]["content"]["multiImage"]["images"]] == ["one", "two"]
    assert posts[1]["content"]["media"]["id"].startswith("urn:li:video:")
    video = next(a for a in fake.assets() if a["kind"] == "videos")
    assert len(video["parts"]) == 3 and video["status"] == "AVAILABLE"


def test_failed_video_processing_posts_nothing(fake):
    c = client(fake, consent(oauth(fake), "m1"), organization_urn=ORG)
    fake.configure(fail_processing=True)
    with pytest.raises(MediaRejected, match="could not process"):
        c.publish(text="A video", idempotency_key="v", media=[MediaItem(MP4, "video/mp4")])
    assert fake.posts() == []


def test_refresh_and_reconnect(fake):
    fake.issue_refresh = True
    token = consent(oauth(fake), "m1")
    seen = []
    c = LinkedInClient(
        instance_url=fake.url,
        credential=token.as_credential(),
        oauth_app=APP,
        timeout=5,
        on_token_refresh=seen.append,
    )
    fake.expire_access_tokens()
    assert c.whoami().remote_id == ORG and len(seen) == 1
    fake.revoke_refresh_tokens()
    fake.expire_access_tokens()
    with pytest.raises(ReconnectRequired):
        c.whoami()


def test_throttling_and_redaction(fake):
    token = consent(oauth(fake), "m1")
    c = client(fake, token, organization_urn=ORG)
    fake.configure(rate_limits={"/rest/posts": 0})
    with pytest.raises(PlatformUnavailable):
        c.publish(text="x", idempotency_key="x")
    fake.configure(rate_limits={})
    fake.add_fault(
        fail_next=1,
        status=422,
        path="/rest/posts",
        body={"status": 422, "message": f"bad {token.access_token}"},
    )
    with pytest.raises(PublishRejected) as caught:
        c.publish(text="y", idempotency_key="y")
    assert token.access_token not in str(caught.value)


def test_linkedin_rules():
    problems = LinkedInClient.validate_media([MediaItem(MP4, "video/mp4", duration=1)])
    assert problems == [
        "Attachment 1: LinkedIn videos must last at least 3 s; this one lasts 1.0 s."
    ]
