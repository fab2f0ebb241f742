"""A fake receiver of Countersign's signed webhook (the contract is documented in
``platforms/webhook.py``).

Each endpoint is a path with its own secret and identity. For every POST it checks the
signature and timestamp independently of the client code (401 ``{"error": ...}`` when
they are wrong), then answers the event:

- ``ping`` -> ``{"account_id", "handle", "display_name"}`` (+ ``max_characters`` if set)
- ``publish`` -> records the delivery and answers ``{"id", "url"}`` (or ``204`` without a
  body when ``reply_with_body=False``); a repeated ``Idempotency-Key`` on the same endpoint
  gets the first answer again and records nothing
- ``lookup`` -> ``{"id", "url"}`` of the delivery with that key, or 404

Control (besides base.py's): ``POST /_fake/tokens`` (alias ``/_fake/endpoints``)
``{"path", "secret", "account_id", "handle", "display_name"?}``; ``POST /_fake/config
{"tolerance", "reply_with_body", "max_characters", "latency"}``.

Run alone: ``python -m tests.fakes.webhook --port 8767 --endpoint /hook=SECRET:acct-1:@brand``.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import time

from .base import FakeServer, Request, Response, json_response, run_cli, split_pair

EVENTS = ("ping", "publish", "lookup")


class FakeWebhookReceiver(FakeServer):
    name = "webhook"

    def __init__(
        self,
        *,
        endpoints: dict | None = None,
        tolerance: float = 300.0,
        reply_with_body: bool = True,
        max_characters: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.tolerance = tolerance
        self.reply_with_body = reply_with_body
        self.max_characters = max_characters
        self.endpoints: dict[str, dict] = {}
        self._deliveries: dict[tuple[str, str], dict] = {}
        self._ids = itertools.count(1)
        if endpoints is None:
            endpoints = {"/hook": {"secret": "test-secret", "account_id": "hook-1"}}
        for path, spec in endpoints.items():
            self.add_token({"path": path, **spec})

    # -- state -------------------------------------------------------------------------

    def add_token(self, payload: dict) -> dict:
        path = "/" + str(payload.get("path") or "/hook").strip("/")
        endpoint = {
            "secret": str(payload["secret"]),
            "account_id": str(payload.get("account_id") or f"hook:{path}"),
            "handle": str(payload.get("handle") or f"@{path.strip('/') or 'hook'}"),
            "display_name": str(payload.get("display_name") or "Webhook receiver"),
        }
        with self.lock:
            self.endpoints[path] = endpoint
        return {"path": path, "account_id": endpoint["account_id"], "handle": endpoint["handle"]}

    def reset_state(self) -> None:
        self._deliveries.clear()

    def configure(self, **settings) -> dict:
        with self.lock:
            if "tolerance" in settings:
                self.tolerance = float(settings.pop("tolerance"))
            if "reply_with_body" in settings:
                self.reply_with_body = bool(settings.pop("reply_with_body"))
            if "max_characters" in settings:
                value = settings.pop("max_characters")
                self.max_characters = int(value) if value else None
            result = {
                "tolerance": self.tolerance,
                "reply_with_body": self.reply_with_body,
                "max_characters": self.max_characters,
            }
        return {**result, **super().configure(**settings)}

    def posts(self) -> list[dict]:
        with self.lock:
            return sorted(
                (dict(d) for d in self._deliveries.values()), key=lambda d: d["received_at"]
            )

    def control(self, request: Request, action: str) -> Response | None:
        if action == "endpoints" and request.method == "POST":
            return json_response(200, self.add_token(request.json()))
        return None

    # -- API ---------------------------------------------------------------------------

    def _event(self, request: Request) -> tuple[str, dict | None]:
        try:
            body = request.json()
        except (ValueError, UnicodeDecodeError):
            return "", None
        if not isinstance(body, dict):
            return "", None
        return str(body.get("event") or ""), body

    def is_write(self, request: Request) -> bool:
        return request.method == "POST" and self._event(request)[0] == "publish"

    def _signature_ok(self, secret: str, request: Request) -> str:
        """'' when the request is authentic, else the reason."""
        timestamp = request.headers.get("X-Countersign-Timestamp") or ""
        signature = request.headers.get("X-Countersign-Signature") or ""
        if not timestamp.isdigit():
            return "missing or malformed timestamp"
        if abs(time.time() - int(timestamp)) > self.tolerance:
            return "stale timestamp"
        mac = hmac.new(secret.encode(), timestamp.encode() + b"." + request.body, hashlib.sha256)
        if not hmac.compare_digest(("sha256=" + mac.hexdigest()).encode(), signature.encode()):
            return "bad signature"
        return ""

    def handle(self, request: Request) -> Response:
        path = "/" + request.path.strip("/")
        with self.lock:
            endpoint = self.endpoints.get(path)
        if endpoint is None:
            return json_response(404, {"error": "no such endpoint"})
        if request.method != "POST":
            return json_response(405, {"error": "POST only"})
        problem = self._signature_ok(endpoint["secret"], request)
        if problem:
            return json_response(401, {"error": problem})
        event, body = self._event(request)
        if body is None:
            return json_response(400, {"error": "body is not a JSON object"})
        header_event = request.headers.get("X-Countersign-Event")
        if event not in EVENTS or (header_event and header_event != event):
            return json_response(400, {"error": f"unknown event {event!r}"})
        if event == "ping":
            answer = {
                "account_id": endpoint["account_id"],
                "handle": endpoint["handle"],
                "display_name": endpoint["display_name"],
            }
            if self.max_characters:
                answer["max_characters"] = self.max_characters
            return json_response(200, answer)
        key = body.get("idempotency_key")
        if not isinstance(key, str) or not key:
            return json_response(400, {"error": "idempotency_key is required"})
        if event == "lookup":
            with self.lock:
                delivery = self._deliveries.get((path, key))
            if delivery is None:
                return json_response(404, {"error": "unknown idempotency key"})
            return json_response(200, {"id": delivery["id"], "url": delivery["url"]})
        return self._publish(path, endpoint, key, body, request)

    def _publish(self, path, endpoint, key, body, request: Request) -> Response:
        if request.headers.get("Idempotency-Key") != key:
            return json_response(400, {"error": "Idempotency-Key header does not match body"})
        text = body.get("text")
        with self.lock:
            delivery = self._deliveries.get((path, key))
            if delivery is None:
                if not isinstance(text, str) or not text.strip():
                    return json_response(422, {"error": "the post has no text"})
                if self.max_characters and len(text) > self.max_characters:
                    return json_response(
                        422, {"error": f"longer than {self.max_characters} characters"}
                    )
                delivery_id = f"d-{next(self._ids)}"
                delivery = {
                    "id": delivery_id,
                    "url": f"{self.url}/deliveries/{delivery_id}",
                    "path": path,
                    "account_id": endpoint["account_id"],
                    "idempotency_key": key,
                    "text": text,
                    "media": body.get("media") or [],
                    "sent_at": body.get("sent_at"),
                    "received_at": time.time(),
                }
                self._deliveries[(path, key)] = delivery
            if not self.reply_with_body:
                return Response(204, b"", "text/plain")
            return json_response(200, {"id": delivery["id"], "url": delivery["url"]})


def main(argv=None) -> None:
    def add_arguments(parser):
        parser.add_argument(
            "--endpoint",
            action="append",
            default=[],
            metavar="PATH=SECRET:ACCOUNT_ID:HANDLE",
            help="a receiving path, its secret and identity (repeatable)",
        )
        parser.add_argument("--tolerance", type=float, default=300.0)
        parser.add_argument("--no-body", action="store_true", help="answer publishes with 204")

    def build(args):
        endpoints = {}
        for value in args.endpoint:
            path, rest = split_pair(value)
            secret, account_id, handle = ([*rest.rsplit(":", 2), "", ""])[:3]
            endpoints[path] = {"secret": secret, "account_id": account_id, "handle": handle}
        return FakeWebhookReceiver(
            endpoints=endpoints or None,
            tolerance=args.tolerance,
            reply_with_body=not args.no_body,
        )

    run_cli("Fake signed-webhook receiver for tests.", build, add_arguments, argv)


if __name__ == "__main__":
    main()
