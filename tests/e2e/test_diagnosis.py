"""Diagnosis on real OLM failures: each scenario gathered from the live cluster yields the right finding as its
first problem, with evidence that points at a file and field that exist; healthy installs yield no error; and
`olm-gather analyze` gives the same findings on the directory, its .tar.gz and a copy without gather.json."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

import olm_gather
from olm_gather import _analyze
from tests.e2e import olm_scenarios

pytestmark = [pytest.mark.e2e, pytest.mark.olm]

BIN = Path(sys.executable).parent
# scenario -> (rule of the first error or warning, rules that must also be found); None: healthy, no error
EXPECTED: dict[str, tuple[str, set[str]] | None] = {
    "alone": None,
    "side-by-side": None,
    "all-namespaces": None,
    "dependency": None,
    "upgrade": None,
    "resolution-failed": ("resolution-failed", set()),
    "manual-approval": ("install-plan-requires-approval", set()),
    "never-ready": ("deployment-unavailable", {"csv-failed"}),
    "crashloop": ("deployment-unavailable", {"csv-failed"}),
    "two-operatorgroups": ("too-many-operator-groups", set()),
}


@pytest.fixture(scope="module")
def gathered(
    scenarios: list[olm_scenarios.Scenario], olm_kubeconfig: str, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    out = tmp_path_factory.mktemp("diagnosis") / "all"
    olm_gather.new(kubeconfig=olm_kubeconfig, writer=olm_gather.DirectoryWriter(out)).inspect()
    return out


def _field_exists(doc: object, field: str) -> bool:
    """Follows `a.b[key].c` (a `[key]` picks the list entry whose type, name or kind/name is key)."""
    node = doc
    for part in re.findall(r"[^.\[\]]+|\[[^\]]*\]", field):
        if part.startswith("["):
            key = part[1:-1]
            if not isinstance(node, list):
                return False
            node = next(
                (
                    item
                    for item in node
                    if isinstance(item, dict)
                    and key
                    in {
                        str(item.get("type")),
                        str(item.get("name")),
                        str((item.get("metadata") or {}).get("name")),
                        f"{item.get('kind')}/{item.get('name')}",
                        f"{(item.get('resource') or {}).get('kind')}/{(item.get('resource') or {}).get('name')}",
                        str(item.get("identifier")),
                    }
                ),
                None,
            )
            if node is None:
                return False
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return False
    return True


@pytest.mark.parametrize("scenario_name", list(EXPECTED))
def test_first_finding_names_the_cause(
    scenarios: list[olm_scenarios.Scenario], gathered: Path, scenario_name: str
) -> None:
    scenario = next(s for s in scenarios if s.name == scenario_name)
    analysis = _analyze.analyze(_analyze.open_tree(str(gathered)))
    rows = [r for r in analysis.operators if r.namespace == scenario.namespace and r.package in scenario.packages]
    assert rows, f"no operator row for {scenario.packages} in {scenario.namespace}"
    for row in rows:
        findings = analysis.findings_for(row)
        problems = [f for f in findings if f.severity is not _analyze.Severity.INFO]
        expected = EXPECTED[scenario_name]
        if expected is None:
            assert not [f for f in findings if f.severity is _analyze.Severity.ERROR], findings
            continue
        first, also = expected
        assert problems, f"{row.package}: no finding at all"
        assert problems[0].rule == first, [f.rule for f in problems]
        assert also <= {f.rule for f in problems}
        for finding in problems:
            for evidence in finding.evidence:
                path = gathered / evidence.path
                assert path.is_file(), f"{finding.rule}: evidence {evidence.path} does not exist"
                if evidence.field and evidence.field != "log" and path.suffix == ".yaml":
                    doc = yaml.safe_load(path.read_text())
                    if evidence.value != _analyze.NOT_SET:
                        assert _field_exists(doc, evidence.field), (
                            f"{finding.rule}: {evidence.path}: no {evidence.field}"
                        )


def test_crashloop_finding_has_restarts_and_previous_log(
    scenarios: list[olm_scenarios.Scenario], gathered: Path
) -> None:
    scenario = next(s for s in scenarios if s.name == "crashloop")
    analysis = _analyze.analyze(_analyze.open_tree(str(gathered)))
    findings = [
        f for f in analysis.findings if f.namespace == scenario.namespace and f.rule == "deployment-unavailable"
    ]
    assert findings
    text = " ".join(f.message for f in findings)
    assert "CrashLoopBackOff" in text and "restart" in text


def _analyze_json(path: Path, tmp: Path) -> dict:
    run = subprocess.run(
        [BIN / "olm-gather", "analyze", str(path), "--format", "json", "--report", str(tmp / "r.html")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_same_findings_on_dir_archive_and_without_manifest(gathered: Path, tmp_path: Path) -> None:
    archive = tmp_path / "all.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(gathered, arcname="all")
    bare = tmp_path / "bare"
    shutil.copytree(gathered, bare)
    # Another tool's tree: no gather.json, and no olm-gather `version` (without it, an olm-gather tree is unfinished).
    (bare / "gather.json").unlink()
    (bare / "version").write_text("oc adm inspect\n")
    on_dir = _analyze_json(gathered, tmp_path)
    assert on_dir["findings"]
    assert _analyze_json(archive, tmp_path)["findings"] == on_dir["findings"]
    assert _analyze_json(bare, tmp_path)["findings"] == on_dir["findings"]
