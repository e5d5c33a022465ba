"""A loopback proxy that adds a fixed latency to every request to a real API server, and counts what passes.

It is tests/faultproxy.py (127.0.0.1 only, the kubeconfig's credentials added upstream, a `proxy.kubeconfig`
that needs none) with no faults, reused upstream connections and streamed bodies, plus: `latency` seconds of
wait before each request is forwarded (one round trip of a far cluster: a client with N requests in flight pays
it N at a time, a sequential one once per request), the number of requests, the peak number in flight, and a
record of each request (method, path, query, whether it asked for metadata only, bytes answered) for a
breakdown by kind.

Usage as a program, to try a tool by hand: `latency_proxy.py KUBECONFIG [RTT_MS]` prints the proxy kubeconfig
and serves until Ctrl-C, then prints the counts.
"""

from __future__ import annotations

import collections
import dataclasses
import http.server
import os
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from tests.faultproxy import FaultProxy


@dataclasses.dataclass
class Request:
    method: str
    path: str
    query: str
    metadata_only: bool
    sent: int = 0  # bytes of the answer (headers and body) written to the client


class _Counting:
    """The handler's wfile, counting what is written through it."""

    def __init__(self, wfile: Any, request: Request) -> None:
        self._wfile, self._request = wfile, request

    def write(self, data: bytes) -> int:
        self._request.sent += len(data)
        return int(self._wfile.write(data))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._wfile, name)


@dataclasses.dataclass(frozen=True)
class Counts:
    requests: int
    peak_in_flight: int
    log: list[Request]


class LatencyProxy(FaultProxy):
    def __init__(self, kubeconfig: str | Path, *, latency: float) -> None:
        super().__init__(kubeconfig, rate=0.0, keep_alive=True, stream=True)
        self.latency = latency
        self._in_flight = 0
        self._peak = 0
        self._log: list[Request] = []

    def reset(self) -> None:
        """Starts the counts afresh (between the runs of two tools)."""
        with self._lock:
            self._peak = self._in_flight
            self._log = []

    def counts(self) -> Counts:
        with self._lock:
            return Counts(requests=len(self._log), peak_in_flight=self._peak, log=list(self._log))

    def _serve(self, h: http.server.BaseHTTPRequestHandler) -> None:
        url = urllib.parse.urlsplit(h.path)
        accept = h.headers.get("Accept", "")
        request = Request(h.command, url.path, url.query, "as=PartialObjectMetadata" in accept)
        with self._lock:
            self._log.append(request)
            self._in_flight += 1
            self._peak = max(self._peak, self._in_flight)
        wfile = h.wfile  # the handler serves every request of its (kept-alive) connection: wrapped for this one
        h.wfile = _Counting(wfile, request)  # type: ignore[assignment]
        try:
            time.sleep(self.latency)
            super()._serve(h)
        finally:
            h.wfile = wfile
            with self._lock:
                self._in_flight -= 1


def kind_of(r: Request) -> str:
    """A request's class for the breakdown: `LIST core/configmaps ns meta sel`, `GET apps/deployments ns`,
    `LOG pods/log`, `discovery`... (names and namespaces dropped)."""
    parts = [p for p in r.path.split("/") if p]
    if not parts or parts[0] not in ("api", "apis"):
        return f"{r.method} /{parts[0] if parts else ''}"
    if parts[0] == "api":
        group, rest = "core", parts[2:]
    else:
        if len(parts) < 3:
            return "discovery"
        group, rest = parts[1], parts[3:]
    if not rest:
        return "discovery"
    scope = "cluster"
    if rest[0] == "namespaces" and len(rest) >= 3:
        scope, rest = "ns", rest[2:]
    resource, name, sub = rest[0], rest[1] if len(rest) > 1 else "", "/".join(rest[2:])
    query = urllib.parse.parse_qs(r.query)
    if sub == "log":
        return "LOG pods/log" + (" previous" if query.get("previous") == ["true"] else "")
    if resource == "namespaces" and scope == "cluster" and name:
        scope = "ns"
    verb = r.method if r.method != "GET" else ("GET" if name else "LIST")
    label = f"{verb} {group}/{resource}{'/' + sub if sub else ''} {scope}"
    if r.metadata_only:
        label += " meta"
    if "labelSelector" in query or "fieldSelector" in query:
        label += " sel"
    if "continue" in query:
        label += " page2+"
    return label


def breakdown(log: list[Request]) -> collections.Counter[str]:
    return collections.Counter(kind_of(r) for r in log)


def bytes_by_kind(log: list[Request]) -> collections.Counter[str]:
    sent: collections.Counter[str] = collections.Counter()
    for r in log:
        sent[kind_of(r)] += r.sent
    return sent


def main(argv: list[str]) -> int:
    if not argv or len(argv) > 2:
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    proxy = LatencyProxy(argv[0], latency=float(argv[1] if len(argv) > 1 else 25) / 1000)
    print(f"KUBECONFIG={proxy.kubeconfig}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    counts = proxy.counts()
    print(f"{counts.requests} requests, at most {counts.peak_in_flight} in flight")
    sent = bytes_by_kind(counts.log)
    for kind, n in breakdown(counts.log).most_common():
        print(f"{n:>6}  {sent[kind] / 2**20:>8.2f} MiB  {kind}")
    proxy.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
