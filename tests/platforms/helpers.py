"""Shared pieces of the adapter tests: the consent-page round trip and generated media."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import requests

from platforms.oauth import OAuthClient, OAuthToken

REDIRECT = "https://countersign.example/connect/callback"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 2000


def consent(oauth: OAuthClient, account_id: str, *, deny: bool = False) -> OAuthToken:
    """Open the consent page as a browser would, pick the account, follow the redirect
    back to us with the code, and exchange it."""
    request = oauth.authorization_request()
    page = requests.get(request.url, timeout=5, allow_redirects=False)
    assert page.status_code == 200, page.text
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
    form = {k: v.replace("&amp;", "&") for k, v in form.items()}
    action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
    base = "{0.scheme}://{0.netloc}".format(urlsplit(request.url))
    answer = requests.post(
        base + action,
        data={**form, **({"deny": "1"} if deny else {"account": account_id})},
        timeout=5,
        allow_redirects=False,
    )
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT)
    query = {k: v[-1] for k, v in parse_qs(urlsplit(location).query).items()}
    assert query["state"] == request.state
    return oauth.exchange_code(
        code=query.get("code", ""),
        code_verifier=request.code_verifier,
        state=query["state"],
        expected_state=request.state,
    )
