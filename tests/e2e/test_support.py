"""The support workflow against real OLM: the machine-readable summary, the operator's own must-gather image,
logs that keep their newest lines, the must-gather image's --since variables and shell completion."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from kubernetes import client

from catalog import packages
from tests.e2e import olmtest

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent


def _run(
    args: list[str], *, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env, check=False)


def test_json_summary_and_the_operators_own_must_gather(
    api_client: client.ApiClient, olm_kubeconfig: str, namespace: str, tmp_path: Path
) -> None:
    pkg = packages.SUPPORT
    seen = olmtest.install(api_client, pkg.name, namespace)
    csv_name = seen.csv["metadata"]["name"]  # type: ignore[index]
    # The image as real OLM left it on the CSV, not as the catalog meant it.
    image = seen.csv["metadata"]["annotations"]["operators.openshift.io/must-gather-image"]  # type: ignore[index]
    assert image == packages.MUST_GATHER_IMAGE
    command = f"oc adm must-gather --image={image}"
    out = tmp_path / "g"
    args = [BIN / "olm-gather", "--kubeconfig", olm_kubeconfig, "-p", pkg.name, "-n", namespace, "-o", str(out)]
    run = _run([*map(str, args), "--format", "json"])
    assert run.returncode == 0, run.stderr

    summary = json.loads(run.stdout)
    assert summary["location"] == str(out) and summary["incomplete"] is False and summary["exitCode"] == 0
    assert summary["counts"]["objects"] == len(json.loads((out / "gather.json").read_text())["objects"])
    (row,) = summary["operators"]
    assert (row["package"], row["namespace"], row["csv"], row["verdict"]) == (pkg.name, namespace, csv_name, "healthy")
    assert row["must_gather_image"] == image and row["must_gather_command"] == command
    (healthy,) = [f for f in summary["findings"] if f["rule"] == "healthy"]
    assert command in healthy["next_step"]

    record = json.loads((out / "gather.json").read_text())
    assert record["operators"] == [
        {
            "package": pkg.name,
            "namespace": namespace,
            "subscription": pkg.name,
            "csv": csv_name,
            "mustGatherImage": image,
            "mustGatherCommand": command,
        }
    ]
    assert command in (out / "report.html").read_text()

    table = _run([*map(str, args[:-1]), str(tmp_path / "t")])
    assert table.returncode == 0, table.stderr
    assert command in " ".join(table.stderr.split()) and table.stdout == ""


def test_json_summary_refuses_stdout_output(olm_kubeconfig: str) -> None:
    run = _run([str(BIN / "olm-gather"), "--kubeconfig", olm_kubeconfig, "-o", "-", "--format", "json"])
    assert run.returncode == 2 and run.stdout == ""
    assert "--format json and -o - both write to stdout" in run.stderr
