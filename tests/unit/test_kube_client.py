"""`_kube.Kube` against a scripted HTTP server on loopback: which failures are retried (client-go's rules), the
budgets, the 410 restart of a list, non-JSON answers, broken log streams, cancel and deadline. The scripts give
the answers a flaky API server or proxy gives; the expectations come from HTTP and Kubernetes API semantics."""

from __future__ import annotations

import http.server
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
import urllib3

from olm_gather import _errors
from olm_gather._kube import Kube, _connect, _retry

FAST = _retry.RetryPolicy(backoff=0.01, backoff_cap=0.02, retry_after_cap=0.05)
Answer = Callable[[http.server.BaseHTTPRequestHandler, int], None]


def status(code: int, body: Any = None, headers: dict[str, str] | None = None) -> Answer:
    def answer(h: http.server.BaseHTTPRequestHandler, _n: int) -> None:
        data = orjson.dumps(body if body is not None else {"kind": "Status", "code": code})
        h.send_response(code)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    return answer


def raw(code: int, data: bytes, content_type: str) -> Answer:
    def answer(h: http.server.BaseHTTPRequestHandler, _n: int) -> None:
        h.send_response(code)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    return answer


def reset(h: http.server.BaseHTTPRequestHandler, _n: int) -> None:
    """Drops the connection without an answer (SO_LINGER 0: the close is a reset)."""
    h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    h.wfile.flush()
    h.connection.shutdown(socket.SHUT_RDWR)
    h.close_connection = True


def stall(seconds: float) -> Answer:
    def answer(h: http.server.BaseHTTPRequestHandler, n: int) -> None:
        time.sleep(seconds)
        status(200, {"kind": "Pod"})(h, n)

    return answer


class Script:
    """Answers the n-th request for a path with the n-th answer of its list (the last one repeats)."""

    def __init__(self, answers: dict[str, list[Answer]]) -> None:
        self.answers = answers
        self.seen: list[str] = []
        self.lock = threading.Lock()

    def handle(self, h: http.server.BaseHTTPRequestHandler) -> None:
        with self.lock:
            self.seen.append(h.path)
            path = h.path.split("?")[0]
            n = sum(1 for p in self.seen if p.split("?")[0] == path) - 1
        answers = self.answers.get(h.path) or self.answers[path]
        answers[min(n, len(answers) - 1)](h, n)


@pytest.fixture
def serve() -> Iterator[Callable[[dict[str, list[Answer]]], tuple[Script, _connect.Connection]]]:
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(answers: dict[str, list[Answer]]) -> tuple[Script, _connect.Connection]:
        script = Script(answers)

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                script.handle(self)

            def log_message(self, *_args: object) -> None:
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        conn = _connect.Connection(
            host=f"http://127.0.0.1:{server.server_port}",
            pool=urllib3.PoolManager(),
            auth_headers=dict,
            source="the test server",
        )
        return script, conn

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


POD = "/api/v1/namespaces/ns/pods/p"


def test_429_and_503_with_retry_after_are_retried(serve: Any) -> None:
    script, conn = serve({POD: [status(429, headers={"Retry-After": "1"}), status(503), status(200, {"kind": "Pod"})]})
    kube = Kube(conn, retry=FAST)
    assert kube.get(POD) == {"kind": "Pod"}
    assert (kube.requests, kube.retries, len(script.seen)) == (3, 2, 3)


@pytest.mark.parametrize("code", [400, 401, 403, 404, 409, 422])
def test_4xx_are_answers_not_retried(serve: Any, code: int) -> None:
    script, conn = serve({POD: [status(code, {"kind": "Status", "message": "no", "code": code})]})
    with pytest.raises(_errors.APIError) as e:
        Kube(conn, retry=FAST).get(POD)
    assert e.value.status == code and len(script.seen) == 1


def test_500_is_retried_only_when_the_api_server_says_it_passes(serve: Any) -> None:
    leader = {"kind": "Status", "status": "Failure", "message": "etcdserver: leader changed", "code": 500}
    script, conn = serve({POD: [status(500, leader), status(200, {"kind": "Pod"})]})
    assert Kube(conn, retry=FAST).get(POD) == {"kind": "Pod"}
    script, conn = serve({POD: [raw(500, b"boom", "text/plain"), status(200, {"kind": "Pod"})]})
    with pytest.raises(_errors.ServerError, match="HTTP 500 for /api/v1/namespaces/ns/pods/p: boom"):
        Kube(conn, retry=FAST).get(POD)
    assert len(script.seen) == 1


def test_reset_connection_is_retried(serve: Any) -> None:
    script, conn = serve({POD: [reset, reset, status(200, {"kind": "Pod"})]})
    assert Kube(conn, retry=FAST).get(POD) == {"kind": "Pod"}
    assert len(script.seen) == 3


def test_per_request_attempts_then_a_clear_error(serve: Any) -> None:
    script, conn = serve({POD: [status(503)]})
    with pytest.raises(_errors.ServerError):
        Kube(conn, retry=FAST).get(POD)
    assert len(script.seen) == FAST.attempts


def test_gather_budget_stops_retrying_a_dead_server(serve: Any) -> None:
    script, conn = serve({POD: [status(503)]})
    kube = Kube(conn, retry=_retry.RetryPolicy(backoff=0.001, budget=3, budget_ratio=0.0))
    for _ in range(3):
        with pytest.raises(_errors.ServerError):
            kube.get(POD)
    assert kube.retries == 3
    assert len(script.seen) == 3 + 3  # three requests, three retries in all: the budget, not 3 x attempts


def test_html_login_page_is_a_server_error_naming_path_and_type(serve: Any) -> None:
    page = b"<!DOCTYPE html><html><body>Please log in</body></html>"
    script, conn = serve({POD: [raw(200, page, "text/html; charset=utf-8")]})
    with pytest.raises(_errors.ServerError) as e:
        Kube(conn, retry=FAST).get(POD)
    assert POD in e.value.message and "text/html" in e.value.message and "HTML page" in e.value.message
    assert len(script.seen) == 1


def test_json_that_is_not_an_object_is_refused(serve: Any) -> None:
    _script, conn = serve({POD: [raw(200, b"[1, 2]", "application/json")]})
    with pytest.raises(_errors.ServerError, match="not a JSON object"):
        Kube(conn, retry=FAST).get(POD)


def test_list_restarts_after_410_and_yields_each_item_once(serve: Any) -> None:
    pods = "/api/v1/pods"
    first = {"kind": "PodList", "metadata": {"continue": "t1"}, "items": [{"metadata": {"uid": "a", "name": "a"}}]}
    full = {
        "kind": "PodList",
        "metadata": {},
        "items": [{"metadata": {"uid": "a", "name": "a"}}, {"metadata": {"uid": "b", "name": "b"}}],
    }
    gone = {"kind": "Status", "code": 410, "reason": "Expired", "message": "too old resource version"}
    _script, conn = serve({f"{pods}?limit=1": [status(200, first), status(200, full)], pods: [status(410, gone)]})
    names = [i["metadata"]["name"] for i in Kube(conn, retry=FAST).list(pods, page_size=1)]
    assert names == ["a", "b"]


def test_broken_log_stream_continues_after_what_was_received(serve: Any) -> None:
    log = b"".join(f"line {i}\n".encode() for i in range(2000))

    def half(h: http.server.BaseHTTPRequestHandler, _n: int) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/plain")
        h.send_header("Content-Length", str(len(log)))
        h.end_headers()
        h.wfile.write(log[: len(log) // 2])
        h.wfile.flush()
        reset(h, 0)

    _script, conn = serve({f"{POD}/log": [half, raw(200, log, "text/plain")]})
    received = b"".join(Kube(conn, retry=FAST).stream(f"{POD}/log", {}))
    assert received == log


def test_cancel_stops_a_waiting_caller_at_once(serve: Any) -> None:
    _script, conn = serve({POD: [stall(5)]})
    kube = Kube(conn, retry=FAST)
    threading.Timer(0.2, kube.cancel).start()
    started = time.monotonic()
    with pytest.raises(_errors.CancelledError) as e:
        kube.get(POD)
    assert e.value.reason == _errors.INTERRUPTED
    assert time.monotonic() - started < 3  # not the 5 s the server stalls, let alone the 60 s read timeout
    kube.close()


def test_deadline_ends_requests_and_waits(serve: Any) -> None:
    _script, conn = serve({POD: [stall(5)]})
    kube = Kube(conn, retry=FAST, deadline=time.monotonic() + 0.3)
    with pytest.raises(_errors.CancelledError) as e:
        kube.get(POD)
    assert e.value.reason == _errors.DEADLINE
    with pytest.raises(_errors.CancelledError):
        kube.get(POD)  # nothing new starts after the deadline


@pytest.mark.parametrize(
    ("value", "expected"),
    [("3", 3.0), ("120", 10.0), ("", None), ("soon", None), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)],
)
def test_retry_after_values(value: str, expected: float | None) -> None:
    assert _retry.retry_after_seconds(value, cap=10.0) == expected
