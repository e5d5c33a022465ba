"""olm-gather's time to first request, the start issue 12 wants under 0.25 s (bench/run.py prints it; alone:
`python bench/ttfr.py [N]`, N runs, default 7).

A ThreadingHTTPServer on 127.0.0.1 (an ephemeral port) stands in for the API server: it notes the monotonic time
of the first request it receives and answers every request 403 with a Kubernetes Status. A kubeconfig (a token
user) in a temporary folder points `.venv/bin/olm-gather --kubeconfig KC -o <tmp>/out --force -q` at it; each run
is timed from just before Popen to the first request's arrival, then the process is killed. The wall time of
`olm-gather --version` (import and argument parsing, no client) is measured as many times. Medians and every value.

The runs are a user's: olm-gather's source is compiled to bytecode first (compile_source; a `pip install`
compiles what it installs, and hack/venv.sh has uv compile site-packages), and PYTHONDONTWRITEBYTECODE, set in
this machine's shell, is left out of the tools' environment (user_env), else every run would recompile every
module it imports, ~0.1 s more.
"""

from __future__ import annotations

import dataclasses
import http.server
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PYTHON = REPO / ".venv" / "bin" / "python"
OLM_GATHER = REPO / ".venv" / "bin" / "olm-gather"
RUNS = 7
TARGET_SECONDS = 0.25
WAIT_SECONDS = 30.0  # for one run's first request, before giving up
FORBIDDEN = json.dumps(
    {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "forbidden: bench/ttfr.py answers every request 403",
        "reason": "Forbidden",
        "code": 403,
    }
).encode()


def user_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a user's shell would give the tools: this one without PYTHONDONTWRITEBYTECODE."""
    env = dict(os.environ if base is None else base)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def compile_source() -> None:
    """Compiles olm-gather's own source (installed editable, so no installer compiled it) to bytecode, as a
    `pip install` would. compileall writes the .pyc files even with PYTHONDONTWRITEBYTECODE set."""
    subprocess.run([str(PYTHON), "-m", "compileall", "-q", str(REPO / "src")], check=True)


@dataclasses.dataclass(frozen=True)
class Result:
    first_request: list[float]  # seconds from Popen to the first request, one per run
    version: list[float]  # wall seconds of `olm-gather --version`, one per run

    @property
    def first_request_median(self) -> float:
        return statistics.median(self.first_request)

    @property
    def version_median(self) -> float:
        return statistics.median(self.version)

    def line(self) -> str:
        return (
            f"start: olm-gather's first request after {self.first_request_median:.3f} s"
            f" (median of {len(self.first_request)}), --version in {self.version_median:.3f} s;"
            f" target under {TARGET_SECONDS:g} s"
        )


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.token = ""  # the current run's: a request from an earlier, killed run is not its first
        self.first: float | None = None
        self.arrived = threading.Event()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: a killed olm-gather resets its connections, which is the point of killing it."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)

    def expect(self, token: str) -> None:
        with self.lock:
            self.token, self.first = token, None
            self.arrived.clear()

    def note(self, authorization: str) -> None:
        now = time.monotonic()
        with self.lock:
            if self.first is None and authorization == f"Bearer {self.token}":
                self.first = now
                self.arrived.set()


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        self.server.note(self.headers.get("Authorization", ""))
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(403)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(FORBIDDEN)))
        self.end_headers()
        self.wfile.write(FORBIDDEN)

    def log_message(self, format: str, *args: object) -> None:
        pass


for _method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"):
    setattr(_Handler, f"do_{_method}", _Handler._answer)


def _kubeconfig(path: Path, port: int, token: str) -> None:
    path.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "ttfr", "cluster": {"server": f"http://127.0.0.1:{port}"}}],
                "users": [{"name": "ttfr", "user": {"token": token}}],
                "contexts": [{"name": "ttfr", "context": {"cluster": "ttfr", "user": "ttfr"}}],
                "current-context": "ttfr",
            }
        )
    )


def measure(runs: int = RUNS) -> Result:
    """Starts olm-gather `runs` times against the 403 server, then times `olm-gather --version` as often."""
    env = user_env()
    server = _Server()
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    first: list[float] = []
    version: list[float] = []
    try:
        with tempfile.TemporaryDirectory(prefix="olm-gather-ttfr-") as tmp:
            work = Path(tmp)
            for i in range(runs):
                token = f"ttfr-{i}"
                kubeconfig = work / f"kubeconfig-{i}"
                _kubeconfig(kubeconfig, server.server_address[1], token)
                server.expect(token)
                command = [str(OLM_GATHER), "--kubeconfig", str(kubeconfig), "-o", str(work / "out"), "--force", "-q"]
                started = time.monotonic()
                proc = subprocess.Popen(
                    command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
                )
                try:
                    deadline = started + WAIT_SECONDS
                    while not server.arrived.wait(0.005):
                        if proc.poll() is not None:
                            raise RuntimeError(f"olm-gather exited {proc.returncode} before any request")
                        if time.monotonic() > deadline:
                            raise RuntimeError(f"olm-gather sent no request in {WAIT_SECONDS:g} s")
                finally:
                    proc.kill()
                    proc.wait()
                assert server.first is not None
                first.append(server.first - started)
            for _ in range(runs):
                started = time.monotonic()
                subprocess.run(
                    [str(OLM_GATHER), "--version"],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    env=env,
                    check=True,
                )
                version.append(time.monotonic() - started)
    finally:
        server.shutdown()
        server.server_close()
        serving.join()
    return Result(first, version)


def main(argv: list[str]) -> int:
    if len(argv) > 1 or (argv and not argv[0].isdigit()) or (argv and int(argv[0]) < 1):
        print("usage: python bench/ttfr.py [N]  (N runs, default 7)", file=sys.stderr)
        return 2
    runs = int(argv[0]) if argv else RUNS
    compile_source()
    result = measure(runs)
    print(result.line())
    print("first request, each run (s):", " ".join(f"{s:.3f}" for s in result.first_request))
    print("--version, each run (s):    ", " ".join(f"{s:.3f}" for s in result.version))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
