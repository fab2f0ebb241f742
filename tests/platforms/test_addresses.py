"""Private addresses: one rule (``address_problem``) for typed-in literals, the connect
form's early check and, what protects, the address every connection was actually made to,
so DNS rebinding (public when checked, 127.0.0.1 when used) reaches nothing local."""

from __future__ import annotations

import socket
import threading

import pytest
import requests

from accounts import services
from accounts.models import Channel
from platforms import (
    BlueskyClient,
    InvalidInstanceURL,
    MastodonClient,
    PlatformError,
    WebhookClient,
)
from platforms.addresses import address_problem
from tests.fakes.mastodon import FakeMastodon

PUBLIC_IP = "93.184.215.14"
TOKEN = "brand-token-0123456789"


@pytest.mark.parametrize(
    "ip",
    [
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.10",
        "172.16.5.4",
        "169.254.169.254",
        "100.64.0.1",  # shared address space (carrier NAT)
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:10.0.0.1",
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
    ],
)
def test_private_local_and_odd_addresses_are_refused(ip):
    assert address_problem(ip) is not None


@pytest.mark.parametrize("ip", ["8.8.8.8", PUBLIC_IP, "2606:4700:4700::1111"])
def test_public_addresses_pass(ip):
    assert address_problem(ip) is None
    assert address_problem("127.0.0.1", allow_private=True) is None
    assert address_problem("224.0.0.1", allow_private=True) is not None


class ByteCounter:
    """A TCP listener on 127.0.0.1 that counts every byte a client sends it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.received = b""
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.settimeout(2)
            try:
                while chunk := conn.recv(65536):
                    self.received += chunk
            except OSError:
                pass
            conn.close()

    def close(self):
        self.sock.close()


def _rebinding(monkeypatch, host: str, *, public_first: int = 1):
    """``host`` resolves to a public address the first ``public_first`` times, then to
    127.0.0.1 (what an attacker's DNS server with a zero TTL does)."""
    real = socket.getaddrinfo
    calls = {"n": 0}

    def fake_getaddrinfo(name, port, *args, **kwargs):
        name = name.decode() if isinstance(name, bytes) else name
        if name != host:
            return real(name, port, *args, **kwargs)
        calls["n"] += 1
        ip = PUBLIC_IP if calls["n"] <= public_first else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, int(port or 0)))]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    return calls


@pytest.fixture
def private_refused(settings):
    settings.COUNTERSIGN = {**settings.COUNTERSIGN, "ALLOW_PRIVATE_INSTANCE_URLS": False}


@pytest.fixture
def counter():
    server = ByteCounter()
    yield server
    server.close()


def test_connect_with_a_rebinding_name_sends_nothing_to_the_local_server(
    private_refused, brand_with_team, monkeypatch, counter
):
    calls = _rebinding(monkeypatch, "rebind.example")
    with pytest.raises(services.PlatformProblem, match="private or local"):
        services.channel_connect(
            brand=brand_with_team["brand"],
            actor=brand_with_team["admin"],
            platform="mastodon",
            instance_url=f"http://rebind.example:{counter.port}",
            credential={"access_token": TOKEN},
        )
    assert calls["n"] >= 2  # the early check saw the public address, the connection 127.0.0.1
    counter.close()
    assert counter.received == b""
    assert not Channel.objects.filter(platform="mastodon").exists()


def test_a_rebinding_name_cannot_connect_a_channel_to_a_local_fake_platform(
    private_refused, brand_with_team, monkeypatch
):
    with FakeMastodon(tokens={TOKEN: "1001:kitchen"}) as fake:
        port = fake.url.rsplit(":", 1)[1]
        _rebinding(monkeypatch, "rebind.example")
        with pytest.raises(services.PlatformProblem):
            services.channel_connect(
                brand=brand_with_team["brand"],
                actor=brand_with_team["admin"],
                platform="mastodon",
                instance_url=f"http://rebind.example:{port}",
                credential={"access_token": TOKEN},
            )
        assert fake.requests_log() == []
    assert not Channel.objects.filter(platform="mastodon").exists()


def _clients(port: int):
    url = f"http://rebind.example:{port}"
    kwargs = {"timeout": 1.0, "allow_private_hosts": False}
    return [
        MastodonClient(instance_url=url, credential={"access_token": TOKEN}, **kwargs),
        BlueskyClient(
            instance_url=url,
            credential={"identifier": "brand.test", "app_password": "abcd-efgh"},
            **kwargs,
        ),
        WebhookClient(instance_url=url + "/hook", credential={"secret": "s3cret"}, **kwargs),
    ]


@pytest.mark.parametrize("index", [0, 1, 2], ids=["mastodon", "bluesky", "webhook"])
@pytest.mark.parametrize("call", ["whoami", "publish", "lookup"])
def test_every_request_of_every_client_checks_the_address_it_connected_to(
    monkeypatch, counter, index, call
):
    # The name was public at connect time (the channel exists); now it points at 127.0.0.1.
    _rebinding(monkeypatch, "rebind.example", public_first=0)
    client = _clients(counter.port)[index]
    with pytest.raises(InvalidInstanceURL, match="private or local"):
        if call == "whoami":
            client.whoami()
        elif call == "publish":
            client.publish(text="Hello", idempotency_key="k-1")
        else:
            client.lookup(idempotency_key="k-1", text="Hello", since=None)
    client.close()
    counter.close()
    assert counter.received == b""


def test_the_clients_planner_uses_for_publish_and_reconcile_are_guarded(
    brand_with_team, monkeypatch, counter, settings
):
    with FakeMastodon(tokens={TOKEN: "1001:kitchen"}) as fake:
        channel = services.channel_connect(
            brand=brand_with_team["brand"],
            actor=brand_with_team["admin"],
            platform="mastodon",
            instance_url=fake.url,
            credential={"access_token": TOKEN},
        )
    # Later the operator refuses private hosts, and the name now points at a local service.
    Channel.objects.filter(pk=channel.pk).update(
        instance_url=f"http://rebind.example:{counter.port}"
    )
    channel.refresh_from_db()
    settings.COUNTERSIGN = {**settings.COUNTERSIGN, "ALLOW_PRIVATE_INSTANCE_URLS": False}
    _rebinding(monkeypatch, "rebind.example", public_first=0)
    client = services.channel_client(channel)
    with pytest.raises(InvalidInstanceURL):
        client.assert_identity(channel.remote_account_id)
    with pytest.raises(InvalidInstanceURL):
        client.publish(text="Hello", idempotency_key="k-2")
    with pytest.raises(InvalidInstanceURL):
        client.lookup(idempotency_key="k-2", text="Hello", since=None)
    counter.close()
    assert counter.received == b""


def test_a_redirect_to_a_private_address_is_refused(monkeypatch, counter):
    from platforms import base

    with FakeMastodon(tokens={TOKEN: "1001:kitchen"}) as fake:
        fake_port = int(fake.url.rsplit(":", 1)[1])
        real_check = base._check_peer

        def fake_counts_as_public(conn, sock):  # the fake stands for a public platform
            if sock.getpeername()[1] != fake_port:
                real_check(conn, sock)

        monkeypatch.setattr(base, "_check_peer", fake_counts_as_public)
        _rebinding(monkeypatch, "platform.example", public_first=0)
        fake.add_fault(
            fail_next=5,
            status=302,
            scope="all",
            headers={"Location": f"http://127.0.0.1:{counter.port}/api/v1/statuses"},
        )
        client = MastodonClient(
            instance_url=f"http://platform.example:{fake_port}",
            credential={"access_token": TOKEN},
            allow_private_hosts=False,
        )
        with pytest.raises(PlatformError, match="redirect"):
            client.publish(text="Hello", idempotency_key="k-3")
        # Even a request that follows redirects is stopped at the private hop.
        response_or_error = None
        try:
            response_or_error = client.session.get(
                f"http://platform.example:{fake_port}/api/v1/accounts/verify_credentials",
                timeout=2,
                allow_redirects=True,
            )
        except requests.ConnectionError as exc:
            response_or_error = exc
        assert isinstance(response_or_error, requests.ConnectionError)
        assert "private or local" in str(response_or_error)
        client.close()
    counter.close()
    assert counter.received == b""
