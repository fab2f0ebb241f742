"""The fake platform servers themselves: run as separate processes (as benchmarks and
browser journeys run them) and driven only through HTTP, including the /_fake/ control API."""

from __future__ import annotations

import selectors
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from platforms import (
    BlueskyClient,
    MastodonClient,
    OutcomeUnknown,
    PlatformUnavailable,
    WebhookClient,
)
from platforms.bluesky import clear_session_cache
from tests.fakes.guard import loopback_only
from tests.fakes.mastodon import FakeMastodon

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _loopback_only():
    clear_session_cache()
    with loopback_only():
        yield
    clear_session_cache()


@pytest.fixture
def run_fake():
    processes = []

    def start(module: str, *args: str) -> str:
        proc = subprocess.Popen(
            [sys.executable, "-m", f"tests.fakes.{module}", "--port", "0", *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        processes.append(proc)
        selector = selectors.DefaultSelector()
        selector.register(proc.stdout, selectors.EVENT_READ)
        ready = selector.select(timeout=20)
        selector.close()
        line = proc.stdout.readline().strip() if ready else ""
        assert line.startswith("http://127.0.0.1:"), (line, proc.poll())
        return line

    yield start
    for proc in processes:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0, proc.stderr.read()
        proc.stdout.close()
        proc.stderr.close()


def test_mastodon_fake_process_is_driven_over_http(run_fake):
    url = run_fake("mastodon", "--token", "tok-1=7:carol", "--max-characters", "280")
    assert requests.get(f"{url}/_fake/health", timeout=5).json()["name"] == "mastodon"
    client = MastodonClient(instance_url=url, credential={"access_token": "tok-1"}, timeout=3)
    assert client.whoami().remote_id == "7"
    assert client.instance_limits()["max_characters"] == 280

    answer = requests.post(
        f"{url}/_fake/tokens",
        json={"token": "tok-2", "account_id": "8", "username": "dave"},
        timeout=5,
    )
    assert answer.json() == {"account_id": "8", "username": "dave"}
    assert (
        MastodonClient(instance_url=url, credential={"access_token": "tok-2"})
        .whoami()
        .handle.startswith("@dave@")
    )

    requests.post(f"{url}/_fake/faults", json={"fail_next": 1, "status": 503}, timeout=5)
    client.whoami()  # faults target publishing requests unless told otherwise
    with pytest.raises(PlatformUnavailable):
        client.publish(text="first try", idempotency_key="k1")

    requests.post(f"{url}/_fake/faults", json={"accept_then_hang": 1, "seconds": 3}, timeout=5)
    slow = MastodonClient(
        instance_url=url, credential={"access_token": "tok-1"}, timeout=(3.0, 0.3)
    )
    with pytest.raises(OutcomeUnknown):
        slow.publish(text="hung", idempotency_key="k2")
    statuses = requests.get(f"{url}/_fake/statuses", timeout=5).json()
    assert [(s["text"], s["idempotency_key"]) for s in statuses] == [("hung", "k2")]
    assert slow.lookup(idempotency_key="k2", text="hung", since=None).remote_id == statuses[0]["id"]

    requests.post(
        f"{url}/_fake/faults",
        json=[{"drop_next": 1, "when": "after_store"}, {"drop_next": 1}],
        timeout=5,
    )
    assert len(requests.get(f"{url}/_fake/faults", timeout=5).json()) == 2
    assert requests.delete(f"{url}/_fake/faults", timeout=5).json() == []

    assert requests.post(f"{url}/_fake/reset", timeout=5).json() == {"ok": True}
    assert requests.get(f"{url}/_fake/posts", timeout=5).json() == []
    assert client.whoami().remote_id == "7"  # credentials survive a reset


def test_bluesky_fake_process(run_fake):
    url = run_fake("bluesky", "--account", "brand.test=pass-word-1234")
    client = BlueskyClient(
        instance_url=url,
        credential={"identifier": "brand.test", "app_password": "pass-word-1234"},
        timeout=3,
    )
    did = client.whoami().remote_id
    result = client.publish(text="From a process", idempotency_key="k1")
    [post] = requests.get(f"{url}/_fake/posts", timeout=5).json()
    assert post["uri"] == result.remote_id and post["did"] == did
    requests.post(f"{url}/_fake/expire_tokens", timeout=5)
    again = client.publish(text="From a process", idempotency_key="k1")
    assert again.remote_id == result.remote_id
    assert len(requests.get(f"{url}/_fake/posts", timeout=5).json()) == 1


def test_webhook_fake_process(run_fake):
    url = run_fake("webhook", "--endpoint", "/in/brand=sec-ret-1:acct-1:@brand")
    client = WebhookClient(instance_url=url + "/in/brand", credential={"secret": "sec-ret-1"})
    assert client.whoami().remote_id == "acct-1"
    client.publish(text="Signed", idempotency_key="k1")
    assert [d["text"] for d in requests.get(f"{url}/_fake/posts", timeout=5).json()] == ["Signed"]


def test_control_api_refuses_bad_requests():
    with FakeMastodon() as fake:
        bad = requests.post(f"{fake.url}/_fake/faults", json={"explode": 1}, timeout=5)
        assert bad.status_code == 400
        bad = requests.post(
            f"{fake.url}/_fake/faults", json={"drop_next": 1, "when": "later"}, timeout=5
        )
        assert bad.status_code == 400
        assert (
            requests.post(f"{fake.url}/_fake/config", json={"nope": 1}, timeout=5).status_code
            == 400
        )
        assert requests.get(f"{fake.url}/_fake/nothing", timeout=5).status_code == 404
        assert fake.pending_faults() == []


def test_fault_filters_target_the_requested_path():
    with FakeMastodon(tokens={"t-1": "1:a"}) as fake:
        client = MastodonClient(instance_url=fake.url, credential={"access_token": "t-1"})
        fake.add_fault(fail_next=1, status=500, path="/api/v1/accounts/verify_credentials")
        client.publish(text="unaffected", idempotency_key="k")
        with pytest.raises(PlatformUnavailable):
            client.whoami()
        client.whoami()
        fake.add_fault(fail_next=2, status=502, scope="all")
        for _ in range(2):
            with pytest.raises(PlatformUnavailable):
                client.whoami()
        assert fake.pending_faults() == []


def test_oauth_platform_fakes_run_as_processes(run_fake):
    from urllib.parse import parse_qs, urlsplit

    from platforms.facebook import FacebookClient
    from platforms.instagram import InstagramClient
    from platforms.linkedin import LinkedInClient
    from platforms.oauth import OAuthApp, OAuthClient
    from platforms.threads import ThreadsClient
    from platforms.x import XClient

    redirect = "https://countersign.example/cb"
    url = run_fake(
        "x",
        "--app",
        f"cid=secret-1234@{redirect}",
        "--account",
        "1001=brandco",
        "--token",
        "tok-x=1001",
        "--auto-approve",
        "1001",
    )
    # The consent page approves on its own: the browser goes straight back with a code.
    app = OAuthApp("cid", "secret-1234", redirect)
    oauth = OAuthClient(XClient.oauth.on(url), app, platform="x", timeout=5)
    request = oauth.authorization_request()
    answer = requests.get(request.url, allow_redirects=False, timeout=5)
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    token = oauth.exchange_code(code=code, code_verifier=request.code_verifier)
    assert XClient(instance_url=url, credential=token.as_credential()).whoami().handle == "@brandco"
    x = XClient(instance_url=url, credential={"access_token": "tok-x"}, timeout=5)
    assert x.publish(text="hello", idempotency_key="k").remote_id

    url = run_fake("graph", "--account", "501=dana", "--page", "601=Brand:pt-1:501:701:brandco")
    assert (
        FacebookClient(instance_url=url, credential={"access_token": "pt-1"}).whoami().remote_id
        == "601"
    )
    ig = InstagramClient(instance_url=url, credential={"access_token": "pt-1", "page_id": "601"})
    assert ig.whoami().handle == "@brandco"

    url = run_fake(
        "linkedin",
        "--account",
        "m1=dana",
        "--token",
        "tok-li=m1",
        "--organization",
        "9=Brand:brand:m1",
    )
    li = LinkedInClient(instance_url=url, credential={"access_token": "tok-li"}, timeout=5)
    assert li.whoami().remote_id == "urn:li:organization:9"

    url = run_fake("threads", "--account", "3001=brandco", "--token", "tok-th=3001")
    th = ThreadsClient(instance_url=url, credential={"access_token": "tok-th"}, timeout=5)
    th._sleep = lambda seconds: None
    assert th.publish(text="hi", idempotency_key="t").remote_id
