"""Bad inputs as users give them: each ends with its one line on stderr (none for a closed pipe), the exit code
the README's Reliability table documents, no traceback, and nothing already there overwritten. Run as the
installed command, as a user runs it."""

from __future__ import annotations

import dataclasses
import http.server
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
README = Path(__file__).resolve().parents[2] / "README.md"


@dataclasses.dataclass(frozen=True)
class Case:
    id: str
    args: Callable[[Path, str], list[str]]  # (a scratch folder, a working kubeconfig) -> arguments
    code: int
    message: str  # a part of the one line on stderr ("" for none)
    shell: bool = False  # args[0] is a shell command line


def _kubeconfig(tmp: Path, server: str, user: dict[str, str]) -> str:
    path = tmp / "kubeconfig"
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": server, "insecure-skip-tls-verify": True}}],
                "users": [{"name": "u", "user": user}],
                "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "x",
            }
        )
    )
    return str(path)


def _file(tmp: Path, name: str, data: bytes) -> str:
    (tmp / name).write_bytes(data)
    return str(tmp / name)


def _server_of(kubeconfig: str) -> str:
    config = yaml.safe_load(Path(kubeconfig).read_text())
    return str(config["clusters"][0]["cluster"]["server"])


@pytest.fixture(scope="module")
def login_page() -> Iterator[str]:
    """A loopback server answering every request with a proxy's HTML login page (200), as a misconfigured proxy
    in front of a cluster does."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            page = b"<!DOCTYPE html><html><head><title>Sign in</title></head><body>Sign in</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


G = str(BIN / "olm-gather")
CASES = [
    Case("garbage kubeconfig", lambda t, _k: ["--kubeconfig", _file(t, "kc", b"\x00\x01: [garbage")], 2, "kubeconfig"),
    Case(
        "kubeconfig that is a YAML list",
        lambda t, _k: ["--kubeconfig", _file(t, "kc", b"- a\n- b\n")],
        2,
        "is not a valid kubeconfig",
    ),
    Case("kubeconfig that does not exist", lambda t, _k: ["--kubeconfig", str(t / "none")], 2, "does not exist"),
    Case("kubeconfig that is a directory", lambda t, _k: ["--kubeconfig", str(t)], 2, "cannot be read"),
    Case("unknown context", lambda _t, k: ["--kubeconfig", k, "--context", "nope"], 2, "nope"),
    Case(
        "server not listening",
        lambda t, _k: ["--kubeconfig", _kubeconfig(t, "https://127.0.0.1:1", {"token": "x"})],
        2,
        "Connection refused",
    ),
    Case(
        "credentials rejected",
        lambda t, k: ["--kubeconfig", _kubeconfig(t, _server_of(k), {"token": "wrong"})],
        2,
        "rejected the credentials",
    ),
    Case(
        "-o under a regular file",
        lambda t, k: ["--kubeconfig", k, "-o", _file(t, "f", b"x") + "/out"],
        2,
        "is not a directory",
    ),
    Case(
        "-o .tar.gz under a regular file",
        lambda t, k: ["--kubeconfig", k, "-o", _file(t, "f", b"x") + "/o.tar.gz"],
        2,
        "is not a directory",
    ),
    Case(
        "-o .tar.gz in a missing folder",
        lambda t, k: ["--kubeconfig", k, "-o", str(t / "no" / "o.tar.gz")],
        2,
        "does not exist",
    ),
    Case(
        "-o an existing .tar.gz",
        lambda t, k: ["--kubeconfig", k, "-o", _file(t, "o.tar.gz", b"keep")],
        2,
        "pass --force",
    ),
    Case(
        "-o a non-empty directory",
        lambda t, k: ["--kubeconfig", k, "-o", str(Path(_file(t, "keep", b"keep")).parent)],
        2,
        "is not empty",
    ),
    Case(
        "-o a directory that cannot be made",
        lambda _t, k: ["--kubeconfig", k, "-o", "/proc/olm-gather-test", "-q"],
        2,
        "failed",
    ),
    Case(
        "-o - into a full disk",
        lambda _t, k: [f"{G} --kubeconfig {k} -q -o - > /dev/full"],
        2,
        "No space left on device",
        shell=True,
    ),
    Case(
        "-o - into a closed pipe",
        lambda _t, k: [f"{G} --kubeconfig {k} -q -o - | true; exit ${{PIPESTATUS[0]}}"],
        141,
        "",
        shell=True,
    ),
    Case("a size that is not one", lambda _t, k: ["--kubeconfig", k, "--log-limit", "lots"], 2, "invalid size"),
    Case(
        "a duration that is not one", lambda _t, k: ["--kubeconfig", k, "--since", "yesterday"], 2, "invalid duration"
    ),
    Case("a timeout that is not one", lambda _t, k: ["--kubeconfig", k, "--timeout", "-5"], 2, "invalid duration"),
    Case("an unknown flag", lambda _t, k: ["--kubeconfig", k, "--frobnicate"], 2, "unrecognized arguments"),
    Case("analyze a path that does not exist", lambda t, _k: ["analyze", str(t / "none")], 2, "does not exist"),
    Case(
        "analyze a file that is no archive",
        lambda t, _k: ["analyze", _file(t, "x.tar.gz", b"not a tar")],
        2,
        "not a readable tar archive",
    ),
    Case(
        "analyze --report into a missing folder",
        lambda t, _k: ["analyze", str(t), "--report", str(t / "no" / "r.html")],
        2,
        "cannot write the report",
    ),
]


def _run(case: Case, tmp: Path, kubeconfig: str) -> subprocess.CompletedProcess[str]:
    args = case.args(tmp, kubeconfig)
    if case.shell:
        return subprocess.run(["bash", "-c", args[0]], capture_output=True, text=True, timeout=120, check=False)
    return subprocess.run([G, *args], capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_line_and_overwrites_nothing(case: Case, plain_kubeconfig: str, tmp_path: Path) -> None:
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    done = _run(case, tmp_path, plain_kubeconfig)
    assert done.returncode == case.code, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    if case.message:
        assert len(lines) == 1, done.stderr
        assert lines[0].startswith("error: "), lines[0]
        assert case.message in lines[0], lines[0]
    else:
        assert lines == [], done.stderr
    for path, data in before.items():
        assert path.read_bytes() == data, f"{path} was overwritten"


def test_a_proxy_login_page_is_one_line(login_page: str, tmp_path: Path) -> None:
    kubeconfig = _kubeconfig(tmp_path, login_page, {"token": "x"})
    done = subprocess.run(
        [G, "--kubeconfig", kubeconfig, "-o", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "HTML page" in done.stderr and "text/html" in done.stderr
    assert not (tmp_path / "o").exists()


def test_force_replaces_an_existing_archive(plain_kubeconfig: str, tmp_path: Path) -> None:
    archive = tmp_path / "o.tar.gz"
    archive.write_bytes(b"old")
    done = subprocess.run(
        [G, "--kubeconfig", plain_kubeconfig, "-o", str(archive), "--force", "-q"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    assert archive.read_bytes()[:2] == b"\x1f\x8b"


def test_readme_lists_every_case() -> None:
    table = README.read_text()
    for case in CASES:
        assert f"| {case.id} |" in table, f"README's Reliability table lacks {case.id!r}"
