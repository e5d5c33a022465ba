"""A fault-injecting HTTP proxy on loopback in front of a real API server, for tests of a sick cluster.

It listens on 127.0.0.1 (plain HTTP) and forwards each request to the API server of a kubeconfig with that
kubeconfig's credentials, so a client pointed at `proxy.kubeconfig` needs none. A `rate` share of the requests
get one of the faults a must-gather meets on a failing cluster, instead of (or before) the real answer:

    429       Too Many Requests, `Retry-After: 1` (API priority and fairness throttling)
    503       Service Unavailable, `Retry-After: 1` (an API server restarting behind a load balancer)
    500       the API server's own Status for `etcdserver: leader changed`, `Retry-After: 1`
    reset     the connection dropped without an answer
    stall     2 s of silence, then the real answer

Which request gets which fault is decided by the seed and the request itself (method, URL and how many times
that URL was asked before), never by arrival order, so a seed gives the same faults however the client's
concurrency interleaves its requests. `on_request` is called with each request's number, to act at a chosen
point (a test sends SIGTERM to a gather there). Traffic goes to the kubeconfig's server only and stops with
`close()`.
"""

from __future__ import annotations

import base64
import collections
import dataclasses
import hashlib
import http.client
import http.server
import random
import socket
import ssl
import struct
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import yaml

FAULTS = ("429", "503", "500", "reset", "stall")
_HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection"}


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # a burst of new connections (100+ clients at once) is not dropped by the backlog


class FaultProxy:
    def __init__(
        self,
        kubeconfig: str | Path,
        *,
        seed: int = 0,
        rate: float = 0.0,
        faults: tuple[str, ...] = FAULTS,
        stall_seconds: float = 2.0,
        on_request: Callable[[int], None] | None = None,
    ) -> None:
        self.seed, self.rate, self.faults, self.stall_seconds = seed, rate, faults, stall_seconds
        self.on_request = on_request
        self.requests = 0
        self.injected: collections.Counter[str] = collections.Counter()
        self.body_bytes: collections.Counter[str] = collections.Counter()  # bytes of response bodies, by URL path
        self.urls: list[str] = []  # every request forwarded, with its query
        self._asked: collections.Counter[str] = collections.Counter()
        self._lock = threading.Lock()
        self._tmp = tempfile.TemporaryDirectory(prefix="faultproxy-")
        self._upstream, self._context, self._auth = _upstream(Path(kubeconfig), Path(self._tmp.name))
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self.address = f"http://127.0.0.1:{self._server.server_port}"
        self.kubeconfig = Path(self._tmp.name) / "kubeconfig"
        self.kubeconfig.write_text(yaml.safe_dump(kubeconfig_for(self.address)))
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._tmp.cleanup()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def fault_for(self, method: str, url: str) -> str:
        """The fault this request gets ("" for none): a function of the seed, the request and its repeat count."""
        with self._lock:
            self.requests += 1
            number = self.requests
            repeat = self._asked[f"{method} {url}"]
            self._asked[f"{method} {url}"] += 1
        if self.on_request is not None:
            self.on_request(number)
        digest = hashlib.sha256(f"{self.seed}\0{method}\0{url}\0{repeat}".encode()).digest()
        rng = random.Random(digest)
        fault = rng.choice(self.faults) if rng.random() < self.rate else ""
        if fault:
            with self._lock:
                self.injected[fault] += 1
        return fault

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body are two writes: with Nagle on, the second waits for the client's delayed ACK
            # (40 ms on Linux), which a real API server (Go sets TCP_NODELAY) never adds.
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                proxy._serve(self)

            do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

            def log_message(self, *_args: object) -> None:
                pass

        return Handler

    def _serve(self, h: http.server.BaseHTTPRequestHandler) -> None:
        fault = self.fault_for(h.command, h.path)
        if fault in ("429", "503", "500"):
            _status(h, int(fault))
            return
        if fault == "reset":
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            h.connection.shutdown(socket.SHUT_RDWR)
            h.close_connection = True
            return
        if fault == "stall":
            time.sleep(self.stall_seconds)
        self._forward(h)

    def _forward(self, h: http.server.BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else None
        headers = {k: v for k, v in h.headers.items() if k.lower() not in _HOP_HEADERS and k.lower() != "host"}
        headers.update(self._auth)
        conn = self._connect()
        try:
            conn.request(h.command, h.path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        with self._lock:
            self.body_bytes[urllib.parse.urlsplit(h.path).path] += len(data)
            self.urls.append(h.path)
        h.send_response(response.status)
        for k, v in response.getheaders():
            if k.lower() not in _HOP_HEADERS:
                h.send_header(k, v)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _connect(self) -> http.client.HTTPConnection:
        upstream = urllib.parse.urlsplit(self._upstream)
        if upstream.scheme == "https":
            return http.client.HTTPSConnection(
                upstream.hostname or "", upstream.port, context=self._context, timeout=60
            )
        return http.client.HTTPConnection(upstream.hostname or "", upstream.port, timeout=60)


def _status(h: http.server.BaseHTTPRequestHandler, code: int) -> None:
    message = {
        429: "Too many requests, please try again later.",
        503: "the server is currently unable to handle the request",
        500: "etcdserver: leader changed",
    }[code]
    reason = {429: "TooManyRequests", 503: "ServiceUnavailable", 500: "InternalError"}[code]
    data = orjson.dumps(
        {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message, "reason": reason, "code": code}
    )
    h.send_response(code)
    h.send_header("Content-Type", "application/json")
    h.send_header("Retry-After", "1")
    h.send_header("Content-Length", str(len(data)))
    h.end_headers()
    h.wfile.write(data)


@dataclasses.dataclass(frozen=True)
class Upstream:
    """A kubeconfig's API server and credentials, as files (bench/latency_proxy.py hands them to its relay)."""

    server: str
    ca: str | None
    cert: str | None
    key: str | None
    token: str
    insecure: bool


def upstream_of(kubeconfig: Path, tmp: Path) -> Upstream:
    """The current context's server (loopback only) and credentials; inline `-data` ones are written to `tmp`."""
    config: dict[str, Any] = yaml.safe_load(kubeconfig.read_text())
    context_name = config.get("current-context")
    context = next(c["context"] for c in config["contexts"] if c["name"] == context_name)
    cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])
    user = next(u["user"] for u in config["users"] if u["name"] == context["user"])
    server = str(cluster["server"])
    assert urllib.parse.urlsplit(server).hostname in ("127.0.0.1", "localhost"), "the proxy only fronts loopback"

    def file_of(entry: dict[str, Any], key: str, name: str) -> str | None:
        if entry.get(f"{key}-data"):
            path = tmp / name
            path.write_bytes(base64.b64decode(entry[f"{key}-data"]))
            return str(path)
        value = entry.get(key)
        return str((kubeconfig.parent / value).resolve()) if value else None

    return Upstream(
        server=server,
        ca=file_of(cluster, "certificate-authority", "ca.crt"),
        cert=file_of(user, "client-certificate", "client.crt"),
        key=file_of(user, "client-key", "client.key"),
        token=str(user.get("token") or ""),
        insecure=bool(cluster.get("insecure-skip-tls-verify")),
    )


def _upstream(kubeconfig: Path, tmp: Path) -> tuple[str, ssl.SSLContext, dict[str, str]]:
    """The server, a TLS context with the kubeconfig's CA and client certificate, and its bearer token if any."""
    up = upstream_of(kubeconfig, tmp)
    tls = ssl.create_default_context(cafile=up.ca)
    if up.insecure:
        tls.check_hostname = False
        tls.verify_mode = ssl.CERT_NONE
    if up.cert and up.key:
        tls.load_cert_chain(up.cert, up.key)
    return up.server, tls, ({"Authorization": f"Bearer {up.token}"} if up.token else {})


def kubeconfig_for(address: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "faultproxy", "cluster": {"server": address}}],
        "users": [{"name": "faultproxy", "user": {}}],
        "contexts": [{"name": "faultproxy", "context": {"cluster": "faultproxy", "user": "faultproxy"}}],
        "current-context": "faultproxy",
    }
