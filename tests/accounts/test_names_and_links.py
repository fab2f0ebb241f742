"""Names and links a platform hands back: handles and display names with control characters
are refused (they would break emails and pages), and only http(s) URLs are kept and linked."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template
from rest_framework.test import APIClient

from accounts import services
from accounts.models import Channel, PersonalAccount
from platforms import PublishResult, WebhookClient
from platforms.base import Identity
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.webhook import FakeWebhookReceiver

TOKEN = "brand-token-0123456789"
BAD = ["kitchen\nBcc: everyone@example.com", "kit\x00chen", "kit\x01chen", "kit\rchen", "a\u2028b"]


@pytest.mark.parametrize("username", BAD)
def test_a_handle_with_control_characters_from_whoami_is_refused(brand_with_team, username):
    with FakeMastodon() as fake:
        fake.add_token({"token": TOKEN, "account_id": "1001", "username": username})
        with pytest.raises(services.PlatformProblem, match="handle with control characters"):
            services.channel_connect(
                brand=brand_with_team["brand"],
                actor=brand_with_team["admin"],
                platform="mastodon",
                instance_url=fake.url,
                credential={"access_token": TOKEN},
            )
    assert not Channel.objects.filter(platform="mastodon").exists()


def test_a_display_name_with_a_newline_is_refused_through_the_api(brand_with_team):
    api = APIClient()
    api.force_authenticate(brand_with_team["admin"])
    with FakeMastodon() as fake:
        fake.add_token(
            {
                "token": TOKEN,
                "account_id": "1001",
                "username": "kitchen",
                "display_name": "Kitchen\nSubject: you won",
            }
        )
        response = api.post(
            f"/api/brands/{brand_with_team['brand'].slug}/channels/",
            {"platform": "mastodon", "instance_url": fake.url, "access_token": TOKEN},
            format="json",
        )
    assert response.status_code == 400
    assert "display name with control characters" in response.json()["detail"]
    assert not Channel.objects.filter(platform="mastodon").exists()


def test_the_model_fields_refuse_control_characters(brand_with_team):
    channel = brand_with_team["channel"]
    for field in ("handle", "display_name"):
        setattr(channel, field, "@team\n")
        with pytest.raises(ValidationError) as exc:
            channel.full_clean()
        assert field in exc.value.message_dict
        channel.refresh_from_db()
    with pytest.raises(ValidationError):
        services.channel_create_outbox(
            brand=brand_with_team["brand"], handle="@out\x07box", actor=brand_with_team["admin"]
        )
    # Emoji with joiners are not control characters.
    channel.display_name = "Team 👩‍🍳"
    channel.full_clean()


@pytest.mark.parametrize("handle", ["@jo\n@x.social", "@j\x00o", "@jo\x01", "@j\to"])
def test_personal_account_handles_with_control_characters_are_refused(make_user, handle):
    user = make_user()
    with pytest.raises(ValidationError):
        services.personal_account_register(user=user, platform="mastodon", handle=handle)
    account = PersonalAccount(
        user=user, platform="mastodon", handle="@jo\x01", normalized_handle="jo"
    )
    with pytest.raises(ValidationError):
        account.full_clean()
    api = APIClient()
    api.force_authenticate(user)
    response = api.post(
        "/api/me/personal-accounts/",
        {"platform": "mastodon", "handle": "@jo\u0085x"},
        format="json",
    )
    assert response.status_code == 400
    assert not PersonalAccount.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.cookie)",
        " JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/x",
        "/relative/path",
        "https://user:pw@evil.example/",
        "https://exa mple.com/",
        "https://example.com/\nx",
        "ftp://example.com/file",
        "https://",
        "http://[::1/",
        12,
        None,
    ],
)
def test_publish_results_keep_only_http_urls(url):
    assert PublishResult(remote_id="1", url=url).url == ""
    assert Identity(remote_id="1", handle="@a", avatar_url=url, profile_url=url).avatar_url == ""


def test_good_urls_are_kept():
    url = "https://mastodon.example/@brand/110000000000000001"
    assert PublishResult(remote_id="1", url=url).url == url
    assert PublishResult(remote_id="1", url="http://example.com/p?id=3").url


def test_a_webhook_answer_with_a_javascript_url_is_stored_as_no_url():
    with FakeWebhookReceiver(
        endpoints={"/hook": {"secret": "s3cret-1", "account_id": "h"}}
    ) as fake:
        fake.add_fault(
            fail_next=2, status=200, scope="all", body={"id": "d-1", "url": "javascript:alert(1)"}
        )
        client = WebhookClient(instance_url=fake.url + "/hook", credential={"secret": "s3cret-1"})
        result = client.publish(text="Hello", idempotency_key="k-1")
        assert (result.remote_id, result.url) == ("d-1", "")
        found = client.lookup(idempotency_key="k-1", text="Hello", since=None)
        assert found is not None and found.url == ""
        client.close()


def test_the_template_filter_links_only_http_urls():
    template = Template("{% load safe_links %}[{{ url|http_url }}]")
    assert template.render(Context({"url": "javascript:alert(1)"})) == "[]"
    assert template.render(Context({"url": "https://a.example/p"})) == "[https://a.example/p]"


def test_a_stored_javascript_remote_url_is_not_rendered_as_a_link(brand_with_team, client):
    from planner.models import Post
    from planner.posts import services as planner_services

    author = brand_with_team["author"]
    post = planner_services.post_create(
        brand=brand_with_team["brand"],
        actor=author,
        channel=brand_with_team["channel"],
        text="Hello",
        category="news",
    )
    Post.objects.filter(pk=post.pk).update(remote_url="javascript:alert(document.cookie)")
    client.force_login(author)
    brand = brand_with_team["brand"]
    for path in (f"/b/{brand.slug}/posts/{post.pk}/", f"/b/{brand.slug}/posts/{post.pk}/delivery/"):
        response = client.get(path)
        assert response.status_code == 200
        assert b"javascript:" not in response.content
