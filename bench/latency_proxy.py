"""A loopback proxy that adds a fixed latency to every request to a real API server, and counts what passes.

The relay itself is bench/latencyproxy (Go, standard library only), built on first use into the cache
(`$OLM_GATHER_CACHE` or `~/.cache/olm-gather`, keyed by its source) with the Go toolchain the cluster is built
with: relaying in Python cost ~0.15 s of CPU in a one-second gather on this 2-core machine, taken from the tools
it measures, where a far cluster's network takes none. Like tests/faultproxy.py it listens on 127.0.0.1 (plain
HTTP) and forwards each request, with the kubeconfig's credentials, to that kubeconfig's (loopback) API server
over kept-alive connections, streaming each answer back; a `proxy.kubeconfig` needs no credentials. It waits
`latency` seconds before forwarding each request (one round trip of a far cluster: a client with N requests in
flight pays it N at a time, a sequential one once per request) and counts the requests, the most in flight, and
for each request its method, path, query, whether it asked for metadata only, and the bytes answered, for a
breakdown by kind.

Usage as a program, to try a tool by hand: `latency_proxy.py KUBECONFIG [RTT_MS]` prints the proxy kubeconfig
and serves until Ctrl-C, then prints the counts.
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import orjson
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from tests.faultproxy import kubeconfig_for, upstream_of

SOURCE = Path(__file__).resolve().parent / "latencyproxy"
_CONTROL = "/_latencyproxy"
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never through $http_proxy


@dataclasses.dataclass
class Request:
    method: str
    path: str
    query: str
    metadata_only: bool
    sent: int = 0  # bytes of the answer (status line, headers and body) written to the client


@dataclasses.dataclass(frozen=True)
class Counts:
    requests: int
    peak_in_flight: int
    log: list[Request]


def binary() -> Path:
    """The relay, built once per version of its source (a few seconds with a warm Go build cache)."""
    digest = hashlib.sha256(b"".join((SOURCE / f).read_bytes() for f in ("go.mod", "main.go"))).hexdigest()[:12]
    cache = Path(os.environ.get("OLM_GATHER_CACHE") or Path.home() / ".cache" / "olm-gather")
    target = cache / "bench" / f"latencyproxy-{digest}" / "latency-proxy"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        env = {**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "", "CGO_ENABLED": "0"}
        subprocess.run(["go", "build", "-trimpath", "-o", str(partial), "."], cwd=SOURCE, env=env, check=True)
        partial.rename(target)
    return target


class LatencyProxy:
    def __init__(self, kubeconfig: str | Path, *, latency: float) -> None:
        self.latency = latency
        self._tmp = tempfile.TemporaryDirectory(prefix="latencyproxy-")
        up = upstream_of(Path(kubeconfig), Path(self._tmp.name))
        flags = [f"-server={up.server}", f"-latency={latency * 1000:g}ms", f"-insecure={str(up.insecure).lower()}"]
        flags += [f"-{name}={path}" for name, path in (("ca", up.ca), ("cert", up.cert), ("key", up.key)) if path]
        self._process = subprocess.Popen(
            [str(binary()), *flags],
            stdin=subprocess.PIPE,  # closed by close(), or by the OS when this process ends: the relay stops
            stdout=subprocess.PIPE,
            env={**os.environ, "LATENCY_PROXY_TOKEN": up.token},
        )
        assert self._process.stdout is not None
        self.address = self._process.stdout.readline().decode().strip()
        if not self.address.startswith("http://127.0.0.1:"):
            self.close()
            raise RuntimeError(f"the latency proxy did not start (it said {self.address!r})")
        self.kubeconfig = Path(self._tmp.name) / "kubeconfig"
        self.kubeconfig.write_text(yaml.safe_dump(kubeconfig_for(self.address)))

    def _control(self, what: str, *, method: str = "GET") -> bytes:
        request = urllib.request.Request(f"{self.address}{_CONTROL}/{what}", method=method)
        with _DIRECT.open(request, timeout=30) as response:
            return bytes(response.read())

    def reset(self) -> None:
        """Starts the counts afresh (between the runs of two tools)."""
        self._control("reset", method="POST")

    def counts(self) -> Counts:
        c = orjson.loads(self._control("counts"))
        log = [Request(e["method"], e["path"], e["query"], e["metadata_only"], e["sent"]) for e in c["log"] or []]
        return Counts(requests=c["requests"], peak_in_flight=c["peak_in_flight"], log=log)

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._tmp.cleanup()


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
