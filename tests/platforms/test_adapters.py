"""Platform clients against the local fake servers (no database, no Django).

Failure semantics pinned here:
- refused connection / closed port / DNS failure -> PlatformUnavailable (retryable): nothing
  reached the platform.
- 5xx, 429 -> PlatformUnavailable (retryable, same idempotency key).
- read timeout after the request was sent -> OutcomeUnknown; lookup() then reconciles.
- connection dropped after the request body was sent -> OutcomeUnknown, whether or not the
  platform stored the post (the client cannot tell); lookup() finds it, or returns None.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import socket
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests

from platforms import (
    PLATFORMS,
    AuthenticationFailed,
    BadIdentityResponse,
    BlueskyClient,
    IdentityMismatch,
    InvalidInstanceURL,
    MastodonClient,
    MediaItem,
    MediaRejected,
    MediaUnavailable,
    OutboxClient,
    OutcomeUnknown,
    PlatformError,
    PlatformUnavailable,
    PublishRejected,
    UnknownPlatform,
    WebhookClient,
    get_client_class,
    platform_choices,
    record_key_for,
    registry_problems,
    sign,
    validate_instance_url,
    verify_signature,
)
from platforms.bluesky import clear_session_cache
from platforms.mastodon import content_to_text, same_text
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.guard import loopback_only
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.webhook import FakeWebhookReceiver

MASTODON_TOKEN = "brand-token-5d41402abc4b2a76"
BLUESKY_PASSWORD = "abcd-efgh-ijkl-mnop"
WEBHOOK_SECRET = "whsec-7f3a9c1e"
TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")


@pytest.fixture(autouse=True)
def _loopback_only():
    clear_session_cache()
    with loopback_only():
        yield
    clear_session_cache()


@pytest.fixture
def mastodon():
    with FakeMastodon(
        tokens={MASTODON_TOKEN: "1001:brand", "personal-token-aaaa": "2002:alice"}
    ) as fake:
        yield fake


@pytest.fixture
def bluesky():
    with FakeBluesky(accounts={"brand.test": BLUESKY_PASSWORD}) as fake:
        yield fake


@pytest.fixture
def receiver():
    endpoints = {"/hooks/brand": {"secret": WEBHOOK_SECRET, "account_id": "acct-9", "handle": "@b"}}
    with FakeWebhookReceiver(endpoints=endpoints) as fake:
        yield fake


def masto(fake, token=MASTODON_TOKEN, timeout=3.0):
    return MastodonClient(
        instance_url=fake.url, credential={"access_token": token}, timeout=timeout
    )


def bsky(fake, password=BLUESKY_PASSWORD, timeout=3.0):
    return BlueskyClient(
        instance_url=fake.url,
        credential={"identifier": "brand.test", "app_password": password},
        timeout=timeout,
    )


def hook(fake, secret=WEBHOOK_SECRET, timeout=3.0, path="/hooks/brand"):
    return WebhookClient(
        instance_url=fake.url + path, credential={"secret": secret}, timeout=timeout
    )


@pytest.fixture
def closed_port_url():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


# -- addresses -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "ftp://files.example.com",
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "mastodon.social",
        "https://",
        "http:///path-only",
        "https://user:s3cret-pass@mastodon.example",
        "https://user@mastodon.example",
        "https://mastodon.example/#frag",
        "https://mast odon.example",
        "https://mastodon.example\\@evil.example",
        "https://mastodon.example:99999",
        "https://127.1",
        "https://0x7f.1",
        "",
        "   ",
    ],
)
def test_invalid_instance_urls_are_refused(url):
    with pytest.raises(InvalidInstanceURL) as excinfo:
        validate_instance_url(url)
    assert "s3cret" not in str(excinfo.value)
    assert str(excinfo.value)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (" HTTPS://Mastodon.Social/ ", "https://mastodon.social"),
        ("https://mastodon.social:443", "https://mastodon.social"),
        ("http://127.0.0.1:8765/", "http://127.0.0.1:8765"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("https://bücher.example", "https://xn--bcher-kva.example"),
        ("https://hooks.example/countersign/in/", "https://hooks.example/countersign/in"),
    ],
)
def test_instance_urls_are_normalised(url, expected):
    assert validate_instance_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000",
        "http://10.1.2.3",
        "http://169.254.169.254/latest",
        "http://[::1]",
        "http://localhost:8080",
        "http://printer.local",
    ],
)
def test_private_hosts_can_be_refused(url):
    with pytest.raises(InvalidInstanceURL):
        validate_instance_url(url, allow_private_hosts=False)
    assert validate_instance_url("https://mastodon.social", allow_private_hosts=False)


def test_instance_apis_live_at_the_root_but_webhooks_may_have_a_path():
    with pytest.raises(InvalidInstanceURL):
        MastodonClient(
            instance_url="https://mastodon.social/@alice", credential={"access_token": "t"}
        )
    with pytest.raises(InvalidInstanceURL):
        WebhookClient(instance_url="https://hooks.example/in?token=x", credential={"secret": "s"})
    client = WebhookClient(
        instance_url="https://hooks.example/in/brand/", credential={"secret": "s"}
    )
    assert client.instance_url == "https://hooks.example/in/brand"
    assert validate_instance_url("https://h.example/in?route=a", allow_query=True).endswith(
        "?route=a"
    )


def test_clients_refuse_bad_urls_before_any_request():
    for cls, credential in [
        (MastodonClient, {"access_token": "t"}),
        (BlueskyClient, {"identifier": "a", "app_password": "b"}),
        (WebhookClient, {"secret": "s"}),
    ]:
        with pytest.raises(InvalidInstanceURL):
            cls(instance_url="javascript:alert(1)", credential=credential)


def test_missing_credential_fields_are_reported_by_name():
    with pytest.raises(AuthenticationFailed, match="app_password"):
        BlueskyClient(instance_url="https://bsky.social", credential={"identifier": "x"})


# -- registry --------------------------------------------------------------------------


def test_registry_has_every_platform_with_its_capabilities():
    assert set(PLATFORMS) == {
        "mastodon",
        "bluesky",
        "x",
        "linkedin",
        "facebook",
        "instagram",
        "threads",
        "webhook",
        "outbox",
    }
    assert registry_problems(tuple(PLATFORMS)) == []
    assert registry_problems(("tiktok",)) == ["no client registered for platform 'tiktok'"]
    assert dict(platform_choices())["mastodon"] == "Mastodon"
    assert get_client_class("bluesky") is BlueskyClient
    assert MastodonClient.credential_fields == ["access_token"]
    assert BlueskyClient.credential_fields == ["identifier", "app_password"]
    assert WebhookClient.credential_fields == ["secret"]
    assert OutboxClient.credential_fields == []
    assert OutboxClient.needs_instance_url is False
    assert BlueskyClient.default_instance_url == "https://bsky.social"
    for slug in ("mastodon", "bluesky", "webhook", "outbox"):
        assert PLATFORMS[slug].supports_idempotency_key and PLATFORMS[slug].supports_lookup
    for slug in ("x", "linkedin", "facebook", "instagram", "threads"):
        # No idempotency key on these platforms: an unconfirmed send is looked up instead.
        assert PLATFORMS[slug].supports_lookup and not PLATFORMS[slug].supports_idempotency_key
    with pytest.raises(UnknownPlatform):
        get_client_class("tiktok")
    assert issubclass(UnknownPlatform, PlatformError)


# -- Mastodon --------------------------------------------------------------------------


def test_mastodon_whoami(mastodon):
    identity = masto(mastodon).whoami()
    assert identity.remote_id == "1001"
    assert identity.handle == f"@brand@127.0.0.1:{mastodon.port}"
    assert identity.display_name == "Brand"
    assert identity.profile_url == f"{mastodon.url}/@brand"
    assert identity.avatar_url.startswith(mastodon.url)


def test_mastodon_bad_token_is_authentication_failed_without_the_token(mastodon):
    with pytest.raises(AuthenticationFailed) as excinfo:
        masto(mastodon, token="revoked-token-0000").whoami()
    assert excinfo.value.http_status == 401
    assert "The access token is invalid" in str(excinfo.value)
    assert "revoked-token-0000" not in str(excinfo.value)
    assert not excinfo.value.retryable


@pytest.mark.parametrize(
    "body",
    [
        {"username": "brand", "display_name": "No id"},
        {"id": "1001"},
        {"id": "", "acct": "brand"},
        "<html><body>Welcome to nginx</body></html>",
        ["not", "an", "object"],
    ],
)
def test_mastodon_whoami_with_missing_fields_is_bad_identity(mastodon, body):
    mastodon.add_fault(
        fail_next=1, status=200, body=body, path="/api/v1/accounts/verify_credentials"
    )
    with pytest.raises(BadIdentityResponse):
        masto(mastodon).whoami()


def test_mastodon_assert_identity(mastodon):
    assert masto(mastodon).assert_identity("1001").remote_id == "1001"
    with pytest.raises(IdentityMismatch) as excinfo:
        masto(mastodon, token="personal-token-aaaa").assert_identity("1001")
    assert (excinfo.value.expected, excinfo.value.actual) == ("1001", "2002")


def test_mastodon_publish(mastodon):
    result = masto(mastodon).publish(text="Spring menu is out!", idempotency_key="post-1-v1")
    [post] = mastodon.posts()
    assert result.remote_id == post["id"]
    assert result.url == f"{mastodon.url}/@brand/{post['id']}"
    assert post["text"] == "Spring menu is out!"
    assert post["visibility"] == "public"
    [request] = [r for r in mastodon.requests_log() if r["method"] == "POST"]
    assert request["headers"]["Idempotency-Key"] == "post-1-v1"
    assert request["authorized"] and MASTODON_TOKEN not in request["query"]


def test_mastodon_republish_with_the_same_key_returns_the_same_status(mastodon):
    client = masto(mastodon)
    first = client.publish(text="Once only", idempotency_key="post-2-v1")
    second = masto(mastodon).publish(text="Once only", idempotency_key="post-2-v1")
    assert second.remote_id == first.remote_id
    assert len(mastodon.posts()) == 1
    client.publish(text="Once only", idempotency_key="post-2-v2")
    assert len(mastodon.posts()) == 2


def test_mastodon_concurrent_sends_with_one_key_make_one_status(mastodon):
    results = []

    def send():
        results.append(masto(mastodon).publish(text="Race", idempotency_key="post-3"))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({r.remote_id for r in results}) == 1
    assert len(mastodon.posts()) == 1


def test_mastodon_503_is_retryable_and_the_retry_posts_once(mastodon):
    mastodon.add_fault(fail_next=1, status=503)
    with pytest.raises(PlatformUnavailable) as excinfo:
        masto(mastodon).publish(text="Later", idempotency_key="post-4")
    assert excinfo.value.retryable and excinfo.value.http_status == 503
    assert mastodon.posts() == []
    masto(mastodon).publish(text="Later", idempotency_key="post-4")
    assert len(mastodon.posts()) == 1


def test_mastodon_429_carries_retry_after(mastodon):
    mastodon.add_fault(fail_next=1, status=429, headers={"Retry-After": "7"})
    with pytest.raises(PlatformUnavailable) as excinfo:
        masto(mastodon).publish(text="Slow down", idempotency_key="post-5")
    assert excinfo.value.retry_after == 7


def test_mastodon_redirects_are_not_followed(mastodon):
    mastodon.add_fault(
        fail_next=1,
        status=302,
        body="",
        headers={"Location": "http://admin:pw-secret-1@169.254.169.254/latest/meta-data"},
        scope="all",
    )
    with pytest.raises(PlatformError) as excinfo:
        masto(mastodon).whoami()
    assert "redirect" in str(excinfo.value)
    assert "pw-secret-1" not in str(excinfo.value)
    assert [r["path"] for r in mastodon.requests_log()] == ["/api/v1/accounts/verify_credentials"]
    assert not isinstance(excinfo.value, PlatformUnavailable | AuthenticationFailed)


def test_mastodon_hang_after_accepting_is_outcome_unknown_then_lookup_finds_it(mastodon):
    since = datetime.now(UTC)
    mastodon.add_fault(accept_then_hang=1, seconds=5)
    client = masto(mastodon, timeout=(2.0, 0.3))
    with pytest.raises(OutcomeUnknown) as excinfo:
        client.publish(text="Did it go? https://example.com #launch", idempotency_key="post-6")
    assert not excinfo.value.retryable
    [post] = mastodon.posts()
    found = client.lookup(
        idempotency_key="post-6", text="Did it go? https://example.com #launch", since=since
    )
    assert found is not None and found.remote_id == post["id"]
    assert found.url == post["url"]


def test_mastodon_drop_before_store_is_outcome_unknown_and_lookup_finds_nothing(mastodon):
    since = datetime.now(UTC)
    mastodon.add_fault(drop_next=1, when="before_store")
    client = masto(mastodon)
    with pytest.raises(OutcomeUnknown):
        client.publish(text="Lost on the way", idempotency_key="post-7")
    assert mastodon.posts() == []
    assert client.lookup(idempotency_key="post-7", text="Lost on the way", since=since) is None


def test_mastodon_drop_after_store_is_outcome_unknown_and_lookup_finds_it(mastodon):
    since = datetime.now(UTC)
    mastodon.add_fault(drop_next=1, when="after_store")
    client = masto(mastodon)
    with pytest.raises(OutcomeUnknown):
        client.publish(text="Answer lost", idempotency_key="post-8")
    found = client.lookup(idempotency_key="post-8", text="Answer lost", since=since)
    assert found is not None and found.remote_id == mastodon.posts()[0]["id"]


def test_mastodon_drop_on_a_read_is_unavailable_not_unknown(mastodon):
    mastodon.add_fault(drop_next=1, path="/api/v1/accounts/verify_credentials")
    with pytest.raises(PlatformUnavailable):
        masto(mastodon).whoami()


def test_mastodon_lookup_respects_since_and_text(mastodon):
    client = masto(mastodon)
    client.publish(text="Line one\nline two\n\nNew paragraph & more", idempotency_key="post-9")
    now = datetime.now(UTC)
    text = "Line one\nline two\n\nNew paragraph & more"
    assert client.lookup(idempotency_key="post-9", text=text, since=now - timedelta(minutes=1))
    assert client.lookup(idempotency_key="post-9", text="Line one", since=None) is None
    later = now + timedelta(minutes=30)
    assert client.lookup(idempotency_key="post-9", text=text, since=later) is None


def test_mastodon_lookup_pages_through_recent_statuses(mastodon):
    client = masto(mastodon)
    client.publish(text="The old one", idempotency_key="old")
    for n in range(45):
        client.publish(text=f"Filler {n}", idempotency_key=f"filler-{n}")
    found = client.lookup(idempotency_key="old", text="The old one", since=None)
    assert found is not None and found.remote_id == mastodon.posts()[0]["id"]


def test_mastodon_rejections_are_final_with_the_reason(mastodon):
    client = masto(mastodon)
    with pytest.raises(PublishRejected, match="character limit of 500"):
        client.publish(text="x" * 501, idempotency_key="post-10")
    with pytest.raises(PublishRejected, match="blank"):
        client.publish(text="   ", idempotency_key="post-11")
    # URLs count 23 characters, so this fits in 500.
    client.publish(text="y" * 470 + " https://example.com/" + "z" * 80, idempotency_key="post-12")
    assert len(mastodon.posts()) == 1


def test_mastodon_revoked_token_on_publish_is_authentication_failed(mastodon):
    with pytest.raises(AuthenticationFailed):
        masto(mastodon, token="revoked-token-0000").publish(text="x", idempotency_key="k")


def test_platform_error_text_never_echoes_the_token(mastodon):
    mastodon.add_fault(
        fail_next=1, status=422, body={"error": f"Token {MASTODON_TOKEN} may not post"}
    )
    with pytest.raises(PublishRejected) as excinfo:
        masto(mastodon).publish(text="x", idempotency_key="k")
    assert MASTODON_TOKEN not in str(excinfo.value)
    assert "[redacted]" in str(excinfo.value)


def test_mastodon_instance_limits(mastodon):
    mastodon.configure(max_characters=640)
    assert masto(mastodon).instance_limits()["max_characters"] == 640
    mastodon.configure(v2_instance=False)
    assert masto(mastodon).instance_limits() == {
        "max_characters": 640,
        "characters_reserved_per_url": 23,
    }
    mastodon.add_fault(fail_next=2, status=404, scope="all")
    assert masto(mastodon).instance_limits()["max_characters"] == 500


def test_mastodon_media_is_uploaded_then_attached(mastodon):
    client = masto(mastodon)
    client._sleep = lambda seconds: None
    result = client.publish(
        text="pic", idempotency_key="k", media=[MediaItem(b"\x89PNG", "image/png", "A cat")]
    )
    [status] = mastodon.posts()
    assert status["id"] == result.remote_id
    assert [m["description"] for m in status["media_attachments"]] == ["A cat"]
    video = MediaItem(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64, "video/mp4", "A film")
    client.publish(text="film", idempotency_key="v", media=[video])
    polls = [r for r in mastodon.requests_log() if r["path"].startswith("/api/v1/media/")]
    assert len(polls) == 2  # 206, then 200 once processed
    assert mastodon.posts()[1]["media_attachments"][0]["type"] == "video"


def test_mastodon_failed_processing_never_posts_text_alone(mastodon):
    client = masto(mastodon)
    client._sleep = lambda seconds: None
    mastodon.configure(media_fail="Error processing thumbnail for uploaded media")
    video = MediaItem(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64, "video/mp4", "A film")
    with pytest.raises(MediaRejected, match="Error processing thumbnail"):
        client.publish(text="film", idempotency_key="v", media=[video])
    mastodon.add_fault(fail_next=5, status=503, path="/api/v2/media")
    with pytest.raises(MediaUnavailable):
        client.publish(
            text="pic", idempotency_key="p", media=[MediaItem(b"\x89PNG", "image/png", "x")]
        )
    assert mastodon.posts() == []
    assert MastodonClient.validate_media([MediaItem(b"x", "image/png", "y" * 1501)]) == [
        "Attachment 1: Mastodon takes alt text up to 1500 characters; this one has 1501."
    ]


@pytest.mark.parametrize(
    ("content", "text"),
    [
        ("<p>Hello &amp; welcome</p>", "Hello & welcome"),
        ("<p>a<br />b</p><p>c</p>", "a\nb\n\nc"),
        (
            '<p><a href="https://example.com/x"><span class="invisible">https://</span>'
            '<span class="">example.com/x</span><span class="invisible"></span></a></p>',
            "https://example.com/x",
        ),
        (
            '<p><span class="h-card"><a href="https://o.example/@bob" class="u-url mention">'
            "@<span>bob</span></a></span> hi</p>",
            "@bob@o.example hi",
        ),
    ],
)
def test_mastodon_content_matching(content, text):
    assert same_text(content, text)
    assert not same_text(content, text + " extra")


def test_content_to_text_unescapes():
    assert content_to_text("<p>&lt;b&gt; &quot;x&quot;</p>") == '<b> "x"'


# -- connection failures ------------------------------------------------------------------


def test_closed_port_is_platform_unavailable_for_reads_and_writes(closed_port_url):
    client = MastodonClient(
        instance_url=closed_port_url, credential={"access_token": "t-0000"}, timeout=2
    )
    with pytest.raises(PlatformUnavailable, match="connection refused") as excinfo:
        client.whoami()
    assert excinfo.value.retryable
    with pytest.raises(PlatformUnavailable, match="Nothing was sent"):
        client.publish(text="x", idempotency_key="k")
    webhook = WebhookClient(instance_url=closed_port_url + "/in", credential={"secret": "s"})
    with pytest.raises(PlatformUnavailable):
        webhook.publish(text="x", idempotency_key="k")


def test_the_network_guard_blocks_everything_but_loopback():
    from tests.fakes.guard import NetworkBlocked

    with socket.socket() as sock, pytest.raises(NetworkBlocked):
        sock.connect(("192.0.2.1", 80))
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("example.com", 443)


def test_unresolvable_host_is_platform_unavailable():
    client = MastodonClient(
        instance_url="https://mastodon.invalid", credential={"access_token": "t-0000"}, timeout=2
    )
    with pytest.raises(PlatformUnavailable):
        client.publish(text="x", idempotency_key="k")


def test_a_stopped_fake_refuses_even_kept_alive_connections(mastodon):
    session = requests.Session()
    client = MastodonClient(
        instance_url=mastodon.url,
        credential={"access_token": MASTODON_TOKEN},
        timeout=2,
        session=session,
    )
    client.whoami()
    mastodon.stop()
    with pytest.raises(PlatformUnavailable):
        client.publish(text="x", idempotency_key="k")


# -- Bluesky ---------------------------------------------------------------------------


def test_bluesky_whoami(bluesky):
    identity = bsky(bluesky).whoami()
    assert identity.remote_id == bluesky.add_account("brand.test", BLUESKY_PASSWORD)["did"]
    assert identity.remote_id.startswith("did:plc:")
    assert identity.handle == "brand.test"
    assert identity.profile_url == "https://bsky.app/profile/brand.test"
    assert identity.display_name == "brand.test"


def test_bluesky_wrong_app_password_is_authentication_failed(bluesky):
    with pytest.raises(AuthenticationFailed) as excinfo:
        bsky(bluesky, password="wrong-pass-word-0000").whoami()
    assert "Invalid identifier or password" in str(excinfo.value)
    assert "wrong-pass-word-0000" not in str(excinfo.value)


@pytest.mark.parametrize("body", [{"handle": "brand.test"}, {"did": "not-a-did", "handle": "x"}])
def test_bluesky_whoami_with_missing_fields_is_bad_identity(bluesky, body):
    bluesky.add_fault(
        fail_next=1, status=200, body=body, path="/xrpc/com.atproto.server.getSession"
    )
    with pytest.raises(BadIdentityResponse):
        bsky(bluesky).whoami()


def test_bluesky_publish(bluesky):
    client = bsky(bluesky)
    result = client.publish(text="New colours https://example.com/c", idempotency_key="post-1")
    [post] = bluesky.posts()
    rkey = record_key_for("post-1")
    assert TID.match(rkey)
    assert post["rkey"] == rkey
    assert result.remote_id == post["uri"] == f"at://{post['did']}/app.bsky.feed.post/{rkey}"
    assert result.url == f"https://bsky.app/profile/brand.test/post/{rkey}"
    value = post["value"]
    assert value["$type"] == "app.bsky.feed.post"
    assert value["text"] == "New colours https://example.com/c"
    assert value["createdAt"].endswith("Z")
    [facet] = value["facets"]
    assert facet["index"] == {"byteStart": 12, "byteEnd": 33}
    assert facet["features"][0]["uri"] == "https://example.com/c"


@pytest.mark.parametrize("duplicate_rkey", ["500", "400"])
def test_bluesky_republish_with_the_same_key_returns_the_same_record(bluesky, duplicate_rkey):
    bluesky.configure(duplicate_rkey=duplicate_rkey)
    first = bsky(bluesky).publish(text="Once", idempotency_key="post-2")
    second = bsky(bluesky).publish(text="Once", idempotency_key="post-2")
    assert second.remote_id == first.remote_id
    assert second.url == first.url
    assert len(bluesky.posts()) == 1


def test_record_keys_are_deterministic_tids():
    assert record_key_for("a") == record_key_for("a") != record_key_for("b")
    for n in range(200):
        key = record_key_for(f"post-{n}")
        assert TID.match(key), key


def test_bluesky_grapheme_limit(bluesky):
    client = bsky(bluesky)
    client.publish(text="👍🏽" * 300, idempotency_key="thumbs")  # 300 graphemes, 600 code points
    with pytest.raises(PublishRejected, match="300 graphemes"):
        client.publish(text="a" * 301, idempotency_key="long")
    assert len(bluesky.posts()) == 1


def test_bluesky_503_is_retryable(bluesky):
    bluesky.add_fault(fail_next=1, status=503)
    with pytest.raises(PlatformUnavailable):
        bsky(bluesky).publish(text="Later", idempotency_key="post-3")
    assert bluesky.posts() == []


def test_bluesky_hang_is_outcome_unknown_then_lookup_finds_it(bluesky):
    bluesky.add_fault(accept_then_hang=1, seconds=5)
    client = bsky(bluesky, timeout=(2.0, 0.3))
    with pytest.raises(OutcomeUnknown):
        client.publish(text="Hanging", idempotency_key="post-4")
    found = client.lookup(idempotency_key="post-4", text="Hanging", since=None)
    assert found is not None and found.remote_id == bluesky.posts()[0]["uri"]


def test_bluesky_drop_before_store_then_lookup_none_then_send_once(bluesky):
    bluesky.add_fault(drop_next=1, when="before_store")
    client = bsky(bluesky)
    with pytest.raises(OutcomeUnknown):
        client.publish(text="Dropped", idempotency_key="post-5")
    assert client.lookup(idempotency_key="post-5", text="Dropped", since=None) is None
    client.publish(text="Dropped", idempotency_key="post-5")
    assert len(bluesky.posts()) == 1


@pytest.mark.parametrize("stale_status", [400, 401])
def test_bluesky_expired_session_is_renewed(bluesky, stale_status):
    bluesky.configure(stale_token_status=stale_status)
    client = bsky(bluesky)
    client.whoami()
    bluesky.expire_access_tokens()
    client.publish(text="After expiry", idempotency_key="post-6")
    assert len(bluesky.posts()) == 1
    refreshes = [r for r in bluesky.requests_log() if r["path"].endswith("refreshSession")]
    assert len(refreshes) == 1


def test_bluesky_sessions_are_reused_across_clients(bluesky):
    bsky(bluesky).whoami()
    bsky(bluesky).publish(text="x", idempotency_key="k")
    creates = [r for r in bluesky.requests_log() if r["path"].endswith("createSession")]
    assert len(creates) == 1


def test_bluesky_closed_port(closed_port_url):
    client = BlueskyClient(
        instance_url=closed_port_url,
        credential={"identifier": "a.test", "app_password": "pw-0000"},
        timeout=2,
    )
    with pytest.raises(PlatformUnavailable):
        client.publish(text="x", idempotency_key="k")


# -- webhook ---------------------------------------------------------------------------


def test_webhook_signature_roundtrip_and_tampering():
    body = b'{"event":"publish","text":"hi"}'
    ts = int(time.time())
    expected = "sha256=" + hmac.new(b"s3", f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    assert sign("s3", ts, body) == expected
    assert verify_signature("s3", ts, body, expected)
    assert verify_signature("s3", str(ts), body.decode(), expected)
    assert not verify_signature("s3", ts, body.replace(b"hi", b"HI"), expected)
    assert not verify_signature("other", ts, body, expected)
    assert not verify_signature("s3", ts + 1, body, expected)
    assert not verify_signature("s3", ts - 1000, body, sign("s3", ts - 1000, body))
    assert verify_signature("s3", ts - 1000, body, sign("s3", ts - 1000, body), tolerance=2000)
    for bad in (None, "", "sha256=", "md5=abc", expected.upper()):
        assert not verify_signature("s3", ts, body, bad)
    assert not verify_signature("s3", None, body, expected)
    assert not verify_signature("s3", "yesterday", body, expected)


def test_webhook_whoami(receiver):
    identity = hook(receiver).whoami()
    assert (identity.remote_id, identity.handle) == ("acct-9", "@b")


def test_webhook_wrong_secret_is_authentication_failed(receiver):
    with pytest.raises(AuthenticationFailed) as excinfo:
        hook(receiver, secret="not-the-secret").whoami()
    assert "not-the-secret" not in str(excinfo.value)


def test_webhook_receiver_rejects_a_tampered_body(receiver):
    client = hook(receiver)
    body = b'{"event":"publish","idempotency_key":"k","text":"hello","media":[]}'
    ts = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": "k",
        "X-Countersign-Timestamp": ts,
        "X-Countersign-Signature": sign(WEBHOOK_SECRET, ts, body),
    }
    tampered = body.replace(b"hello", b"HELLO")
    answer = requests.post(client.instance_url, data=tampered, headers=headers, timeout=2)
    assert answer.status_code == 401
    answer = requests.post(client.instance_url, data=body, headers=headers, timeout=2)
    assert answer.status_code == 200
    assert [d["text"] for d in receiver.posts()] == ["hello"]


def test_webhook_missing_fields_is_bad_identity(receiver):
    receiver.add_fault(fail_next=1, status=200, body={"handle": "@b"}, scope="all")
    with pytest.raises(BadIdentityResponse):
        hook(receiver).whoami()


def test_webhook_publish_is_signed_and_idempotent(receiver):
    first = hook(receiver).publish(text="Deliver me", idempotency_key="post-1")
    second = hook(receiver).publish(text="Deliver me", idempotency_key="post-1")
    [delivery] = receiver.posts()
    assert first.remote_id == second.remote_id == delivery["id"]
    assert first.url == delivery["url"]
    assert delivery["text"] == "Deliver me" and delivery["idempotency_key"] == "post-1"
    log = [r for r in receiver.requests_log() if r["method"] == "POST"]
    assert all(r["headers"]["X-Countersign-Signature"].startswith("sha256=") for r in log)
    assert log[0]["headers"]["Idempotency-Key"] == "post-1"


def test_webhook_answer_without_body_uses_the_key_as_id(receiver):
    receiver.configure(reply_with_body=False)
    result = hook(receiver).publish(text="No body", idempotency_key="post-2")
    assert result.remote_id == "post-2" and result.url == ""


def test_webhook_failures(receiver):
    client = hook(receiver, timeout=(2.0, 0.3))
    receiver.add_fault(fail_next=1, status=503)
    with pytest.raises(PlatformUnavailable):
        client.publish(text="a", idempotency_key="k1")
    receiver.add_fault(accept_then_hang=1, seconds=5)
    with pytest.raises(OutcomeUnknown):
        client.publish(text="b", idempotency_key="k2")
    assert client.lookup(idempotency_key="k2", text="b", since=None).remote_id == "d-1"
    receiver.add_fault(drop_next=1)
    with pytest.raises(OutcomeUnknown):
        client.publish(text="c", idempotency_key="k3")
    assert client.lookup(idempotency_key="k3", text="c", since=None) is None
    with pytest.raises(PublishRejected, match="no text"):
        client.publish(text=" ", idempotency_key="k4")


def test_webhook_instance_limits(receiver):
    assert hook(receiver).instance_limits() == {"max_characters": 10_000}
    receiver.configure(max_characters=280)
    assert hook(receiver).instance_limits() == {"max_characters": 280}


# -- outbox ----------------------------------------------------------------------------


def test_outbox_whoami_uses_the_handle_or_the_directory(tmp_path):
    named = OutboxClient(instance_url=str(tmp_path / "demo"), credential={"handle": "@Demo-Out"})
    identity = named.whoami()
    assert (identity.remote_id, identity.handle) == ("outbox:demo:demo-out", "@Demo-Out")
    other_brand = OutboxClient(
        instance_url=str(tmp_path / "acme"), credential={"handle": "@Demo-Out"}
    )
    assert other_brand.whoami().remote_id == "outbox:acme:demo-out"
    plain = OutboxClient(instance_url=str(tmp_path / "acme"), credential={})
    identity = plain.whoami()
    assert (identity.remote_id, identity.handle) == ("outbox:acme:acme", "acme")
    with pytest.raises(InvalidInstanceURL):
        OutboxClient(instance_url="https://example.com", credential={})


def test_outbox_publish_lookup_and_idempotency(tmp_path):
    client = OutboxClient(instance_url=str(tmp_path / "demo"), credential={})
    assert client.lookup(idempotency_key="k", text="", since=None) is None
    first = client.publish(
        text="Hello", idempotency_key="k", media=[MediaItem(b"abc", "image/png", "dots")]
    )
    again = client.publish(text="Hello", idempotency_key="k")
    assert first == again
    assert first.url == ""  # outbox:// is not an http(s) link: not stored as the post's URL
    assert first.raw["url"] == "outbox://k"
    assert client.lookup(idempotency_key="k", text="Hello", since=None) == first
    [entry] = client.entries()
    assert entry["media"] == [{"mime_type": "image/png", "alt_text": "dots", "size": 3}]
    with pytest.raises(PublishRejected):
        client.publish(text="x" * 501, idempotency_key="long")


def test_outbox_is_idempotent_under_concurrent_workers(tmp_path):
    directory = str(tmp_path / "demo")
    results: list = []
    barrier = threading.Barrier(2)

    def worker(n):
        client = OutboxClient(instance_url=directory, credential={})
        barrier.wait()
        for i in range(100):
            results.append(client.publish(text=f"Post {i}", idempotency_key=f"key-{i}"))
            client.publish(text=f"Own {n}-{i}", idempotency_key=f"own-{n}-{i}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    entries = OutboxClient(instance_url=directory, credential={}).entries()
    keys = [e["idempotency_key"] for e in entries]
    assert len(keys) == len(set(keys)) == 300
    assert len(results) == 200 and len({r.remote_id for r in results}) == 100


# -- Bluesky media ----------------------------------------------------------------------


def test_bluesky_images_are_blobs_with_alt_and_aspect_ratio(bluesky):
    client = bsky(bluesky)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    client.publish(
        text="pics",
        idempotency_key="img",
        media=[
            MediaItem(png, "image/png", "A kettle", width=4, height=3),
            MediaItem(png + b"2", "image/png", "A cup"),
        ],
    )
    [post] = bluesky.posts()
    embed = post["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    assert [i["alt"] for i in embed["images"]] == ["A kettle", "A cup"]
    assert embed["images"][0]["aspectRatio"] == {"width": 4, "height": 3}


def test_bluesky_video_goes_through_the_video_service(bluesky):
    client = bsky(bluesky)
    client._sleep = lambda seconds: None
    video = MediaItem(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64, "video/mp4", "A film")
    client.publish(text="film", idempotency_key="vid", media=[video])
    [post] = bluesky.posts()
    embed = post["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.video" and embed["alt"] == "A film"
    jobs = [r for r in bluesky.requests_log() if r["path"].endswith("getJobStatus")]
    assert len(jobs) == 2


def test_bluesky_failed_video_never_posts_text_alone(bluesky):
    client = bsky(bluesky)
    client._sleep = lambda seconds: None
    bluesky.configure(video_fail="Video is too long")
    video = MediaItem(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64, "video/mp4", "A film")
    with pytest.raises(MediaRejected, match="Video is too long"):
        client.publish(text="film", idempotency_key="vid", media=[video])
    bluesky.configure(video_fail="")
    with pytest.raises(MediaRejected, match="up to 1000 KB"):
        client.publish(
            text="big", idempotency_key="big", media=[MediaItem(b"x" * 1_000_001, "image/png", "a")]
        )
    assert bluesky.posts() == []


def test_each_adapter_carries_its_platforms_facts():
    """Idempotency windows and text limits are class attributes of the adapters (one place)."""
    import datetime as dt

    from platforms.registry import PLATFORMS

    windows = {slug: cls.idempotency_window for slug, cls in PLATFORMS.items()}
    assert windows == {
        "mastodon": dt.timedelta(minutes=55),
        "bluesky": None,
        "x": None,
        "linkedin": None,
        "facebook": None,
        "instagram": None,
        "threads": None,
        "webhook": dt.timedelta(days=7),
        "outbox": None,
    }
    assert all(cls.supports_idempotency_key or cls.supports_lookup for cls in PLATFORMS.values())
    limits = {slug: cls.text_limit for slug, cls in PLATFORMS.items()}
    assert limits == {
        "mastodon": 500,
        "bluesky": 300,
        "x": 280,
        "linkedin": 3000,
        "facebook": 63206,
        "instagram": 2200,
        "threads": 500,
        "webhook": None,
        "outbox": None,
    }
    assert [slug for slug, cls in PLATFORMS.items() if cls.limit_from_instance] == ["mastodon"]
