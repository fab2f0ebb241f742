"""Shared machinery of the fake platform servers (standard library only).

A fake is a ``FakeServer`` subclass with in-memory state behind ``self.lock``. It serves
the platform's documented API plus a control API under ``/_fake/`` so that tests, browser
journeys and benchmarks can drive a fake running in another process:

``GET  /_fake/health``    ``{"ok": true, "name": ...}``
``GET  /_fake/posts``     every accepted post (alias ``/_fake/statuses``)
``GET  /_fake/requests``  the last requests received (method, path, selected headers)
``GET  /_fake/faults``    faults still pending
``POST /_fake/faults``    add a fault (an object, or a list of them), see below
``DELETE /_fake/faults``  drop pending faults
``POST /_fake/tokens``    add/replace a credential -> account mapping (per fake)
``POST /_fake/config``    change settings (``latency`` and per-fake ones)
``POST /_fake/reset``     forget posts, idempotency keys, faults and the request log
                          (credentials are kept)

Faults (each applies to the next N matching requests, then is gone):

``{"fail_next": N, "status": 503}``  answer ``status`` without doing anything; optional
    ``"body"`` (JSON value, or a string sent as text) replaces the default error body;
    ``"content_type"`` overrides the type, ``"headers"`` adds headers (``Location``,
    ``Retry-After``). ``status`` 200 + ``body`` fakes a malformed answer.
``{"accept_then_hang": N, "seconds": S}``  do the work (store the post), then wait S
    seconds before answering, so a client with a shorter read timeout gives up.
``{"drop_next": N, "when": "before_store" | "after_store"}``  read the request, then close
    the connection without answering, either without doing the work or after doing it.

By default a fault matches only requests that would store a post (the fake's
``is_write``); add ``"path"`` (a prefix) and/or ``"method"`` to target other requests, or
``"scope": "all"`` to match every API request.

Every fake serves HTTP/1.1 with keep-alive, one daemon thread per connection, and logs
nothing per request.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["FakeServer", "Request", "Response", "json_response", "run_cli", "split_pair"]

_DROP = object()
_LOGGED_HEADERS = (
    "Content-Type",
    "Idempotency-Key",
    "X-Countersign-Event",
    "X-Countersign-Timestamp",
    "X-Countersign-Signature",
    "User-Agent",
)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Any  # http.client.HTTPMessage: case-insensitive .get()
    body: bytes
    raw_path: str = ""

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8") or "null")

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def bearer(self) -> str | None:
        value = self.headers.get("Authorization") or ""
        if value[:7].lower() == "bearer ":
            return value[7:].strip()
        return None


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, obj: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status, json.dumps(obj).encode("utf-8"), headers=headers or {})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakePlatform/1.0"
    sys_version = ""
    # Headers and body leave in one segment, without waiting for Nagle/delayed ACK.
    disable_nagle_algorithm = True
    wbufsize = 64 * 1024

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_PUT(self):
        self._dispatch()

    def do_PATCH(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    def _dispatch(self):
        fake: FakeServer = self.server.fake
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            self._write(json_response(411, {"error": "Content-Length required"}))
            return
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers=self.headers,
            body=body,
            raw_path=self.path,
        )
        try:
            outcome = fake._serve(request)
        except Exception as exc:  # a bug in the fake must not hang the client
            outcome = json_response(500, {"error": "FakeServerError", "message": repr(exc)})
        if outcome is _DROP:
            self.close_connection = True
            return
        self._write(outcome)

    def _write(self, response: Response) -> None:
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if response.body:
                self.wfile.write(response.body)
            self.wfile.flush()
        except OSError:
            self.close_connection = True  # the client went away (e.g. after a hang)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address, fake: FakeServer):
        self.fake = fake
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request, client_address):
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Cut kept-alive connections, so a stopped fake really stops answering."""
        with self._connections_lock:
            connections = list(self._connections)
            self._connections.clear()
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class FakeServer:
    """Base of the fakes: lifecycle, faults, the ``/_fake/`` control API and the CLI."""

    name = "fake"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, latency: float = 0.0):
        self.host = host
        self.port = port
        self.latency = latency
        self.lock = threading.RLock()
        self._faults: list[dict] = []
        self._log: deque[dict] = deque(maxlen=5000)
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.url = ""

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> str:
        """Bind (127.0.0.1, port 0 = any free port), serve in a daemon thread, return
        the base URL."""
        if self._httpd is not None:
            return self.url
        self._stopping.clear()
        self._httpd = _HTTPServer((self.host, self.port), self)
        self.port = self._httpd.server_address[1]
        self.url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-{self.name}-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping.set()  # wakes handlers sleeping in accept_then_hang
        httpd.shutdown()
        httpd.close_connections()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # -- subclass hooks ----------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        """Serve one platform API request."""
        return json_response(404, {"error": "Not found"})

    def is_write(self, request: Request) -> bool:
        """Whether the request would store a post (the default target of faults)."""
        return False

    def posts(self) -> list[dict]:
        """Every accepted post, oldest first."""
        return []

    def reset_state(self) -> None:
        """Forget posts and idempotency keys (credentials stay)."""

    def add_token(self, payload: dict) -> dict:
        raise ValueError("this fake has no tokens")

    def configure(self, **settings: Any) -> dict:
        """Change settings; subclasses handle their own keys and call super()."""
        with self.lock:
            if "latency" in settings:
                self.latency = float(settings.pop("latency"))
        if settings:
            raise ValueError(f"unknown settings: {sorted(settings)}")
        return {"latency": self.latency}

    def control(self, request: Request, action: str) -> Response | None:
        """Extra ``/_fake/<action>`` endpoints of a subclass."""
        return None

    # -- faults ------------------------------------------------------------------------

    def add_fault(self, **spec: Any) -> dict:
        """Python equivalent of ``POST /_fake/faults``."""
        fault = _parse_fault(spec)
        with self.lock:
            self._faults.append(fault)
        return dict(fault)

    def clear_faults(self) -> None:
        with self.lock:
            self._faults.clear()

    def pending_faults(self) -> list[dict]:
        with self.lock:
            return [dict(f) for f in self._faults]

    def _take_fault(self, request: Request) -> dict | None:
        with self.lock:
            for fault in self._faults:
                if not self._fault_matches(fault, request):
                    continue
                fault["remaining"] -= 1
                if fault["remaining"] <= 0:
                    self._faults.remove(fault)
                return dict(fault)
        return None

    def _fault_matches(self, fault: dict, request: Request) -> bool:
        if fault.get("path") or fault.get("method"):
            if fault.get("path") and not request.path.startswith(fault["path"]):
                return False
            return not (fault.get("method") and request.method != fault["method"].upper())
        if fault.get("scope") == "all":
            return True
        try:
            return self.is_write(request)
        except Exception:
            return False

    def reset(self) -> None:
        with self.lock:
            self._faults.clear()
            self._log.clear()
            self.reset_state()

    def requests_log(self) -> list[dict]:
        with self.lock:
            return list(self._log)

    # -- request flow ------------------------------------------------------------------

    def _serve(self, request: Request):
        if request.path.startswith("/_fake/") or request.path == "/_fake":
            return self._control(request)
        entry = {
            "method": request.method,
            "path": request.path,
            "query": request.raw_path.partition("?")[2],
            "headers": {
                name: request.headers.get(name)
                for name in _LOGGED_HEADERS
                if request.headers.get(name) is not None
            },
            "authorized": bool(request.headers.get("Authorization")),
            "at": time.time(),
        }
        with self.lock:
            self._log.append(entry)
        if self.latency:
            self._stopping.wait(self.latency)
        fault = self._take_fault(request)
        if fault is None:
            return self.handle(request)
        kind = fault["kind"]
        if kind == "fail":
            return _canned(fault)
        if kind == "drop" and fault["when"] == "before_store":
            return _DROP
        response = self.handle(request)
        if kind == "drop":
            return _DROP
        self._stopping.wait(fault["seconds"])  # accept_then_hang
        return response

    def _control(self, request: Request):
        action = request.path[len("/_fake/") :].strip("/")
        try:
            payload = request.json() if request.body else {}
        except ValueError:
            return json_response(400, {"error": "body is not JSON"})
        try:
            if action == "health":
                return json_response(200, {"ok": True, "name": self.name, "url": self.url})
            if action in ("posts", "statuses") and request.method == "GET":
                return json_response(200, self.posts())
            if action == "requests" and request.method == "GET":
                return json_response(200, self.requests_log())
            if action == "faults":
                if request.method == "GET":
                    return json_response(200, self.pending_faults())
                if request.method == "DELETE" or (
                    isinstance(payload, dict) and payload.get("clear")
                ):
                    self.clear_faults()
                    return json_response(200, [])
                if request.method == "POST":
                    specs = payload if isinstance(payload, list) else [payload]
                    for spec in specs:
                        if not isinstance(spec, dict):
                            raise ValueError("a fault is a JSON object")
                        self.add_fault(**spec)
                    return json_response(200, self.pending_faults())
            if action == "reset" and request.method == "POST":
                self.reset()
                return json_response(200, {"ok": True})
            if action == "tokens" and request.method == "POST":
                if not isinstance(payload, dict):
                    raise ValueError("expected a JSON object")
                return json_response(200, self.add_token(payload))
            if action == "config" and request.method == "POST":
                if not isinstance(payload, dict):
                    raise ValueError("expected a JSON object")
                return json_response(200, self.configure(**payload))
            extra = self.control(request, action)
            if extra is not None:
                return extra
        except (TypeError, ValueError, KeyError) as exc:
            return json_response(400, {"error": str(exc)})
        return json_response(404, {"error": f"no control endpoint {request.method} {action}"})


def _parse_fault(spec: dict) -> dict:
    spec = dict(spec)
    common = {
        "path": spec.pop("path", None),
        "method": spec.pop("method", None),
        "scope": spec.pop("scope", "writes"),
    }
    if common["scope"] not in ("writes", "all"):
        raise ValueError("scope is 'writes' or 'all'")
    if "fail_next" in spec:
        fault = {
            "kind": "fail",
            "remaining": int(spec.pop("fail_next")),
            "status": int(spec.pop("status", 503)),
            "body": spec.pop("body", None),
            "content_type": spec.pop("content_type", None),
            "headers": {str(k): str(v) for k, v in (spec.pop("headers", None) or {}).items()},
        }
    elif "accept_then_hang" in spec:
        fault = {
            "kind": "hang",
            "remaining": int(spec.pop("accept_then_hang")),
            "seconds": float(spec.pop("seconds", 30.0)),
        }
    elif "drop_next" in spec:
        when = spec.pop("when", "before_store")
        if when not in ("before_store", "after_store"):
            raise ValueError("when is 'before_store' or 'after_store'")
        fault = {"kind": "drop", "remaining": int(spec.pop("drop_next")), "when": when}
    else:
        raise ValueError("a fault needs fail_next, accept_then_hang or drop_next")
    if spec:
        raise ValueError(f"unknown fault keys: {sorted(spec)}")
    if fault["remaining"] < 1:
        raise ValueError("the count must be at least 1")
    fault.update(common)
    return fault


def _canned(fault: dict) -> Response:
    status, body = fault["status"], fault["body"]
    if body is None:
        response = json_response(status, {"error": "Service Unavailable", "message": "fault"})
    elif isinstance(body, str):
        response = Response(status, body.encode("utf-8"), fault["content_type"] or "text/html")
    else:
        response = json_response(status, body)
        if fault["content_type"]:
            response.content_type = fault["content_type"]
    response.headers.update(fault["headers"])
    return response


def run_cli(description: str, build, add_arguments=None, argv=None) -> None:
    """``python -m tests.fakes.<name> --port 8765 ...``: print the URL, serve until killed.

    ``build(args)`` returns the fake; ``add_arguments(parser)`` adds the fake's options.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (0: any free port)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    if add_arguments:
        add_arguments(parser)
    args = parser.parse_args(argv)
    fake = build(args)
    fake.host, fake.port, fake.latency = args.host, args.port, args.latency
    stop = threading.Event()

    def _on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    print(fake.start(), flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        fake.stop()


def split_pair(value: str, sep: str = "=") -> tuple[str, str]:
    left, found, right = value.partition(sep)
    if not found or not left:
        raise argparse.ArgumentTypeError(f"expected NAME{sep}VALUE, got {value!r}")
    return left, right
