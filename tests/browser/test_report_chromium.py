"""report.html in a real browser: Debian's chromium, headless, loads it from disk next to its tree.

The test checks the text a reader sees (operators, verdicts, findings, timeline), that every link resolves to
a file of the tree, and writes a screenshot to test-output/report.png. Chromium runs with networking features
off and every host name unresolvable, so a page that needed the network would show it. If /usr/bin/chromium
is missing, the test installs Debian's package (root with apt-get only) and skips, saying why, only when that
is impossible.
"""

from __future__ import annotations

import html.parser
import os
import shutil
import subprocess
import urllib.parse
from pathlib import Path

import pytest

from olm_gather import _layout, _report
from olm_gather._analyze import analyze
from tests.unit import analyze_trees as trees

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
OUTPUT = REPO / "test-output"
INSTALL = ["apt-get", "install", "-y", "chromium", "chromium-driver"]


@pytest.fixture(scope="session")
def chromium() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else "")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip(
            f"chromium is missing and cannot be installed here (needs root and apt-get): run `{' '.join(INSTALL)}`"
        )
    for command in (["apt-get", "update"], INSTALL):
        done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
        if done.returncode != 0:
            pytest.skip(f"chromium could not be installed: `{' '.join(command)}` failed: {done.stderr.strip()[-300:]}")
    if not os.path.exists("/usr/bin/chromium"):
        pytest.skip("chromium could not be installed: /usr/bin/chromium is still missing after apt-get install")
    return "/usr/bin/chromium"


def run_chromium(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)


class VisibleText(html.parser.HTMLParser):
    """The text a reader sees (no <style>, <title> or <head> content) and every link target."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.hrefs: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script", "title", "head"):
            self._hidden += 1
        if tag == "a":
            self.hrefs += [v for k, v in attrs if k == "href" and v]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "title", "head"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.text.append(" ".join(data.split()))


@pytest.fixture
def report(tmp_path: Path) -> Path:
    """A gathered tree on disk with report.html at its root, as a gather or `analyze` writes it."""
    files = trees.sample_tree()
    root = tmp_path / "must-gather.local.1"
    for path, data in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    page = _report.render_html(analyze(root), root)
    (root / _layout.REPORT_HTML).write_text(page, encoding="utf-8")
    return root / _layout.REPORT_HTML


def test_report_in_headless_chromium(chromium: str, report: Path, tmp_path: Path):
    url = report.as_uri()
    dumped = run_chromium(chromium, tmp_path / "profile-dom", "--dump-dom", url)
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    parser = VisibleText()
    parser.feed(dumped.stdout)
    visible = " | ".join(parser.text)

    for text in (
        "OLM operator diagnosis",
        "5 operators",
        "6 errors",
        "1 warning",
        "etcd-operator",
        "cache-operator",
        "db-operator",
        "queue-operator",
        "search-operator",
        "Deployment not available",
        "Resolution failed",
        "No OperatorGroup",
        "InstallPlan needs approval",
        "CrashLoopBackOff after 5 restarts",
        "Namespace team-d has no OperatorGroup",
        "Next step:",
        "Events timeline",
        "Back-off restarting failed container manager",
    ):
        assert text in visible, f"{text!r} is not visible in the page"

    files = [h for h in parser.hrefs if not h.startswith("#")]
    assert files, "the findings link to no evidence file"
    for href in files:
        assert "://" not in href, href
        target = report.parent / urllib.parse.unquote(href)
        assert target.is_file(), f"link {href} does not resolve next to the report"

    OUTPUT.mkdir(exist_ok=True)
    screenshot = OUTPUT / "report.png"
    screenshot.unlink(missing_ok=True)
    shot = run_chromium(
        chromium, tmp_path / "profile-shot", f"--screenshot={screenshot}", "--window-size=1280,2000", url
    )
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert screenshot.is_file()
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 20_000, "the screenshot looks empty"
