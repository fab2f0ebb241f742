"""OAuth 2.0 for the fake platforms: a consent page, the token endpoint and token checks.

``OAuthFake`` is mixed into a ``FakeServer``. It serves, at the subclass's paths:

- ``GET  <authorize_path>?response_type=code&client_id&redirect_uri&scope&state
  [&code_challenge&code_challenge_method=S256]``: an HTML consent page that lists the
  accounts that may sign in (one form button each, plus "Cancel"); the page's
  ``data-testid`` attributes are for browser journeys. With ``auto_approve`` set to an
  account id the page is skipped.
- ``POST <authorize_path>`` (the form): ``302`` to ``redirect_uri?code=...&state=...`` (or
  ``?error=access_denied&state=...``). An unknown client or a redirect URI that was not
  registered is answered on the page itself (never redirected), as real platforms do.
- ``POST <token_path>``: ``grant_type=authorization_code`` (code, redirect_uri and, with
  PKCE, code_verifier checked against the S256 challenge; codes are single-use) and
  ``grant_type=refresh_token`` (rotating refresh tokens when ``rotate_refresh``). Client
  authentication by HTTP Basic or ``client_id``/``client_secret`` in the body.

Accounts are ``{"id", "username", "name", "kind"}`` where ``kind`` is ``brand`` or
``personal``; what a personal account's token can do is up to each fake.

Control: ``POST /_fake/tokens {"token", "account", "expires_in"?, "refresh_token"?}``,
``POST /_fake/expire_tokens``, ``POST /_fake/apps {"client_id", "client_secret",
"redirect_uris"}``, ``POST /_fake/accounts {...}``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import time
from typing import Any
from urllib.parse import parse_qs, urlencode

from .base import Request, Response, json_response, run_cli, split_pair


class OAuthFake:
    authorize_path = "/oauth/authorize"
    token_path = "/oauth/token"
    access_ttl = 7200.0
    rotate_refresh = True
    issue_refresh = True
    pkce_required = True

    def _init_oauth(self) -> None:
        self.apps: dict[str, dict] = {}
        self.accounts: dict[str, dict] = {}
        self._codes: dict[str, dict] = {}
        self._access: dict[str, dict] = {}  # token -> {"account", "expires", "scope"}
        self._refresh: dict[str, dict] = {}  # token -> {"account", "scope"}
        self.auto_approve: str | None = None
        self.token_requests = 0

    # -- state -------------------------------------------------------------------------

    def add_app(self, client_id: str, client_secret: str = "", redirect_uris=()) -> dict:
        with self.lock:
            self.apps[client_id] = {"secret": client_secret, "redirect_uris": list(redirect_uris)}
        return {"client_id": client_id}

    def add_account(self, id: str, username: str, name: str = "", kind: str = "brand", **extra):
        with self.lock:
            account = {"id": str(id), "username": username, "name": name or username.title()}
            account.update({"kind": kind, **extra})
            self.accounts[str(id)] = account
        return account

    def issue_token(
        self,
        account: str,
        *,
        token: str | None = None,
        expires_in: float | None = None,
        refresh_token: str | None = None,
        scope: str = "",
    ) -> dict:
        token = token or "at-" + secrets.token_urlsafe(24)
        ttl = self.access_ttl if expires_in is None else float(expires_in)
        with self.lock:
            if str(account) not in self.accounts:
                raise ValueError(f"unknown account {account!r}")
            self._access[token] = {
                "account": str(account),
                "expires": time.time() + ttl if ttl > 0 else None,
                "scope": scope,
            }
            if refresh_token:
                self._refresh[refresh_token] = {"account": str(account), "scope": scope}
        return {"access_token": token, "refresh_token": refresh_token or "", "expires_in": ttl}

    def add_token(self, payload: dict) -> dict:
        return self.issue_token(
            str(payload["account"]),
            token=payload.get("token"),
            expires_in=payload.get("expires_in"),
            refresh_token=payload.get("refresh_token"),
            scope=payload.get("scope", ""),
        )

    def expire_access_tokens(self) -> None:
        with self.lock:
            for entry in self._access.values():
                entry["expires"] = time.time() - 1

    def revoke_refresh_tokens(self) -> None:
        with self.lock:
            self._refresh.clear()

    def oauth_control(self, request: Request, action: str) -> Response | None:
        if action == "expire_tokens" and request.method == "POST":
            self.expire_access_tokens()
            return json_response(200, {"ok": True})
        if action == "revoke_refresh_tokens" and request.method == "POST":
            self.revoke_refresh_tokens()
            return json_response(200, {"ok": True})
        if action == "apps" and request.method == "POST":
            body = request.json() or {}
            return json_response(
                200,
                self.add_app(
                    body["client_id"], body.get("client_secret", ""), body.get("redirect_uris", [])
                ),
            )
        if action == "accounts" and request.method == "POST":
            return json_response(200, self.add_account(**(request.json() or {})))
        return None

    def account_for(self, request: Request, token: str | None = None) -> dict | None:
        """The account the request's Bearer token (or ``token``) is, if valid and unexpired."""
        token = token or request.bearer()
        if not token:
            return None
        with self.lock:
            entry = self._access.get(token)
            if entry is None:
                return None
            if entry["expires"] is not None and time.time() >= entry["expires"]:
                return None
            return self.accounts.get(entry["account"])

    # -- format hooks (each fake answers in its platform's shape) ------------------------

    def oauth_error(self, status: int, error: str, description: str) -> Response:
        return json_response(status, {"error": error, "error_description": description})

    def token_body(self, account: dict, access: str, refresh: str, ttl: float, scope: str):
        body: dict[str, Any] = {
            "token_type": "bearer",
            "access_token": access,
            "expires_in": int(ttl),
            "scope": scope,
        }
        if refresh:
            body["refresh_token"] = refresh
        return body

    # -- endpoints ---------------------------------------------------------------------

    def handle_oauth(self, request: Request) -> Response | None:
        if request.path == self.authorize_path:
            if request.method == "GET":
                return self._consent_page(request)
            if request.method == "POST":
                return self._consent_answer(request)
        if request.path == self.token_path and request.method == "POST":
            return self._token(request)
        return None

    def _authorize_params(self, params: dict[str, str]) -> tuple[dict | None, str]:
        app = self.apps.get(params.get("client_id", ""))
        if app is None:
            return None, "Unknown client_id."
        if params.get("redirect_uri") not in app["redirect_uris"]:
            return None, "The redirect_uri is not registered for this app."
        if params.get("response_type") != "code":
            return None, "response_type must be code."
        if self.pkce_required and params.get("code_challenge_method") != "S256":
            return None, "PKCE with code_challenge_method=S256 is required."
        if not params.get("state"):
            return None, "state is required."
        return app, ""

    def _consent_page(self, request: Request) -> Response:
        params = {k: v[-1] for k, v in request.query.items()}
        app, problem = self._authorize_params(params)
        if app is None:
            return _html(400, f"<h1>Something went wrong</h1><p>{html.escape(problem)}</p>")
        if self.auto_approve:
            return self._redirect_with_code(params, self.auto_approve)
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in params.items()
        )
        buttons = "".join(
            f'<button name="account" value="{html.escape(a["id"])}" '
            f'data-testid="approve-{html.escape(a["username"])}">Authorize as '
            f"@{html.escape(a['username'])} ({html.escape(a['kind'])})</button>"
            for a in self.accounts.values()
        )
        page = (
            f"<h1>{html.escape(self.name)}: authorize this app?</h1>"
            f"<p>Scopes: {html.escape(params.get('scope', ''))}</p>"
            f'<form method="post" action="{self.authorize_path}">{hidden}{buttons}'
            '<button name="deny" value="1" data-testid="deny">Cancel</button></form>'
        )
        return _html(200, page)

    def _consent_answer(self, request: Request) -> Response:
        form = {k: v[-1] for k, v in parse_qs(request.body.decode("utf-8")).items()}
        app, problem = self._authorize_params(form)
        if app is None:
            return _html(400, f"<p>{html.escape(problem)}</p>")
        if form.get("deny"):
            query = urlencode({"error": "access_denied", "state": form["state"]})
            return Response(302, b"", "text/html", {"Location": f"{form['redirect_uri']}?{query}"})
        account = form.get("account", "")
        if account not in self.accounts:
            return _html(400, "<p>Choose an account.</p>")
        return self._redirect_with_code(form, account)

    def _redirect_with_code(self, params: dict[str, str], account: str) -> Response:
        code = "code-" + secrets.token_urlsafe(16)
        with self.lock:
            self._codes[code] = {
                "client_id": params["client_id"],
                "redirect_uri": params["redirect_uri"],
                "challenge": params.get("code_challenge", ""),
                "scope": params.get("scope", ""),
                "account": account,
                "expires": time.time() + 600,
            }
        query = urlencode({"code": code, "state": params["state"]})
        return Response(302, b"", "text/html", {"Location": f"{params['redirect_uri']}?{query}"})

    def _client(self, request: Request, form: dict[str, str]) -> tuple[str, str]:
        header = request.headers.get("Authorization") or ""
        if header.lower().startswith("basic "):
            try:
                pair = base64.b64decode(header[6:]).decode("utf-8")
            except ValueError:
                return "", ""
            client_id, _, secret = pair.partition(":")
            return client_id, secret
        return form.get("client_id", ""), form.get("client_secret", "")

    def _token(self, request: Request) -> Response:
        self.token_requests += 1
        form = {k: v[-1] for k, v in parse_qs(request.body.decode("utf-8")).items()}
        client_id, secret = self._client(request, form)
        app = self.apps.get(client_id)
        if app is None or (app["secret"] and secret != app["secret"]):
            return self.oauth_error(401, "invalid_client", "Client authentication failed.")
        grant = form.get("grant_type")
        with self.lock:
            if grant == "authorization_code":
                code = self._codes.pop(form.get("code", ""), None)
                if code is None or code["expires"] < time.time() or code["client_id"] != client_id:
                    return self.oauth_error(
                        400, "invalid_grant", "The authorization code is invalid."
                    )
                if form.get("redirect_uri") != code["redirect_uri"]:
                    return self.oauth_error(400, "invalid_grant", "redirect_uri does not match.")
                if code["challenge"]:
                    verifier = form.get("code_verifier", "")
                    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
                    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
                    if not secrets.compare_digest(expected, code["challenge"]):
                        return self.oauth_error(400, "invalid_grant", "code_verifier is invalid.")
                account, scope = code["account"], code["scope"]
            elif grant == "refresh_token":
                old = form.get("refresh_token", "")
                entry = self._refresh.get(old)
                if entry is None:
                    return self.oauth_error(400, "invalid_grant", "The refresh token is invalid.")
                if self.rotate_refresh:
                    del self._refresh[old]
                account, scope = entry["account"], entry["scope"]
            else:
                return self.oauth_error(400, "unsupported_grant_type", f"Unsupported {grant!r}.")
            access = "at-" + secrets.token_urlsafe(24)
            refresh = ""
            if self.issue_refresh:
                refresh = (
                    "rt-" + secrets.token_urlsafe(24)
                    if grant == "authorization_code" or self.rotate_refresh
                    else form["refresh_token"]
                )
                self._refresh[refresh] = {"account": account, "scope": scope}
            self._access[access] = {
                "account": account,
                "expires": time.time() + self.access_ttl,
                "scope": scope,
            }
            body = self.token_body(self.accounts[account], access, refresh, self.access_ttl, scope)
        return json_response(200, body)


def _html(status: int, body: str) -> Response:
    page = f"<!doctype html><html><body>{body}</body></html>"
    return Response(status, page.encode("utf-8"), "text/html; charset=utf-8")


def oauth_cli(description: str, make, argv=None, add_arguments=None, configure=None) -> None:
    """``python -m tests.fakes.<name>``: the options every OAuth fake shares, then the
    fake's own (``add_arguments``/``configure(fake, args)``)."""

    def arguments(parser):
        parser.add_argument(
            "--app", action="append", default=[], metavar="CLIENT_ID=SECRET@REDIRECT_URI"
        )
        parser.add_argument(
            "--account", action="append", default=[], metavar="ID=USERNAME[:personal]"
        )
        parser.add_argument("--token", action="append", default=[], metavar="TOKEN=ACCOUNT_ID")
        parser.add_argument("--auto-approve", default=None, metavar="ACCOUNT_ID")
        if add_arguments:
            add_arguments(parser)

    def build(args):
        fake = make()
        for value in args.app:
            client_id, rest = split_pair(value)
            secret, _, redirect = rest.partition("@")
            fake.add_app(client_id, secret, [redirect] if redirect else [])
        for value in args.account:
            account_id, rest = split_pair(value)
            username, _, kind = rest.partition(":")
            fake.add_account(account_id, username, kind=kind or "brand")
        for value in args.token:
            token, account_id = split_pair(value)
            fake.issue_token(account_id, token=token)
        fake.auto_approve = args.auto_approve
        if configure:
            configure(fake, args)
        return fake

    run_cli(description, build, arguments, argv)
