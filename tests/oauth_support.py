"""The OAuth platforms' fakes, set up as this installation's apps, and the consent round
trip as a browser makes it (Countersign's start view -> the fake's consent page -> our
callback). Used by the accounts, planner and browser tests."""

from __future__ import annotations

import contextlib
import re
from urllib.parse import urlsplit

import requests

from tests.fakes.graph import FakeGraph
from tests.fakes.linkedin import FakeLinkedIn
from tests.fakes.threads import FakeThreads
from tests.fakes.x import FakeX

SITE = "http://testserver"
APPS = {
    "x": ("x-client", "x-secret-123456"),
    "linkedin": ("li-app", "li-secret-24680"),
    "facebook": ("fb-app", "fb-secret-98765"),
    "threads": ("th-app", "th-secret-13579"),
}
#: The account each platform's consent page is approved as: (brand account, personal one).
ACCOUNTS = {
    "x": ("1001", "2002"),
    "linkedin": ("m1", "m2"),
    "facebook": ("501", "502"),
    "instagram": ("501", "503"),
    "threads": ("3001", "3002"),
}
#: The remote id and handle each brand account is connected as.
IDENTITIES = {
    "x": ("1001", "@brandco"),
    "linkedin": ("urn:li:organization:9001", "brand-co"),
    "facebook": ("601", "Brand Co"),
    "instagram": ("701", "@brandco"),
    "threads": ("3001", "@brandco"),
}
#: What the personal account is (to register it as someone's personal account).
PERSONAL_HANDLES = {"x": "@alice", "threads": "@alice"}
PLATFORMS = ("x", "linkedin", "facebook", "instagram", "threads")


def fake_of(fakes: dict, platform: str):
    return fakes["facebook" if platform == "instagram" else platform]


@contextlib.contextmanager
def oauth_fakes(site: str = SITE):
    """Every OAuth fake, with the app registered for ``site``'s callbacks, a brand account
    and a personal one each."""
    with FakeX() as x, FakeLinkedIn() as li, FakeGraph() as graph, FakeThreads() as threads:
        fakes = {"x": x, "linkedin": li, "facebook": graph, "threads": threads}
        for platform, fake in fakes.items():
            client_id, secret = APPS[platform]
            uris = [f"{site}/connect/{platform}/callback/"]
            if platform == "facebook":
                uris.append(f"{site}/connect/instagram/callback/")
            fake.add_app(client_id, secret, uris)
        x.add_account("1001", "brandco", "Brand Co")
        x.add_account("2002", "alice", "Alice", kind="personal")
        li.add_account("m1", "dana", "Dana Admin")
        li.add_account("m2", "sam", "Sam Member", kind="personal")
        li.add_organization("9001", "Brand Co", "brand-co", admins={"m1": "ADMINISTRATOR"})
        graph.add_person("501", "Dana Admin")
        graph.add_person("502", "Pat Nopage")
        graph.add_person("503", "Lee Onlyfb")
        graph.page_token = graph.add_page(
            "601", "Brand Co", managers=["501"], ig={"id": "701", "username": "brandco"}
        )
        graph.add_page("602", "Fb Only Page", managers=["501", "503"])
        threads.add_account("3001", "brandco", "Brand Co")
        threads.add_account("3002", "alice", "Alice", kind="personal")
        yield fakes


def oauth_settings(settings, fakes: dict, site: str = SITE) -> None:
    apps = {
        platform: {
            "client_id": APPS[platform][0],
            "client_secret": APPS[platform][1],
            "api_url": fakes[platform].url,
        }
        for platform in APPS
    }
    apps["instagram"] = apps["facebook"]
    settings.COUNTERSIGN = {
        **settings.COUNTERSIGN,
        "OAUTH_APPS": apps,
        "SITE_URL": site,
        "ALLOW_PRIVATE_INSTANCE_URLS": True,
    }


def approve_on_consent_page(consent_url: str, account: str, *, deny: bool = False) -> str:
    """Open the fake's consent page, choose ``account`` (or cancel); return where the
    platform sends the browser back (our callback with code and state)."""
    page = requests.get(consent_url, timeout=5, allow_redirects=False)
    assert page.status_code == 200, page.text
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
    form = {k: v.replace("&amp;", "&") for k, v in form.items()}
    action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
    base = "{0.scheme}://{0.netloc}".format(urlsplit(consent_url))
    answer = requests.post(
        base + action,
        data={**form, **({"deny": "1"} if deny else {"account": account})},
        timeout=5,
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def connect_through_consent(client, brand_slug: str, platform: str, account: str, **kwargs):
    """Start connecting on the Channels page, approve as ``account``, come back; for the
    Page platforms choose ``page`` (default: the first). Returns the last response."""
    start = client.post(f"/b/{brand_slug}/channels/connect/{platform}/", kwargs.pop("data", {}))
    assert start.status_code == 302, start.content
    back = approve_on_consent_page(start["Location"], account, deny=kwargs.get("deny", False))
    parts = urlsplit(back)
    response = client.get(f"{parts.path}?{parts.query}")
    if response.status_code == 302 and "/connect/choose/" in response["Location"]:
        choose = response["Location"]
        page = client.get(choose)
        assert page.status_code == 200
        if kwargs.get("page", "") is None:
            return page
        chosen = kwargs.get("page") or re.search(
            r'name="page" value="([^"]+)"', page.content.decode()
        ).group(1)
        response = client.post(choose, {"page": chosen})
    return response
