"""Fidelity on real OLM: for every scenario the real controllers installed, the objects olm-gather wrote for the
package equal the ground truth computed independently from the cluster (recall and precision 100%), no canary
reaches the output in any encoding, omg (a real must-gather reader) shows what the cluster had, and the tarball
holds the same files as the directory."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

import olm_gather
from catalog import canaries
from tests.conftest import FIDELITY_ROWS
from tests.e2e import ground_truth, olm_scenarios
from tests.e2e.kapi import Api

pytestmark = [pytest.mark.e2e, pytest.mark.olm]

OMG = Path(sys.executable).parent.parent / "omg" / "bin" / "omg"


def _gathered_refs(record: dict) -> set[ground_truth.Ref]:
    return {(o["kind"], o["namespace"], o["name"]) for o in record["objects"]}


def _all_forms() -> list[str]:
    forms = list(canaries.all_forms())
    noise = olm_scenarios.NOISE_CANARY
    return [*forms, noise, base64.b64encode(noise.encode()).decode(), *(json.dumps(f)[1:-1] for f in forms)]


def _assert_no_secrets(root: Path) -> None:
    forms = _all_forms()
    for path in root.rglob("*"):
        if path.is_file():
            text = path.read_text("utf-8", "replace")
            for form in forms:
                assert form not in text, f"{form!r} leaked into {path.relative_to(root)}"
            assert not canaries.CANARY_PATTERN.search(text), f"a canary leaked into {path.relative_to(root)}"


def _cases() -> list[tuple[str, str]]:
    return [(s.name, p) for s in olm_scenarios.SCENARIOS for p in s.packages]


@pytest.mark.parametrize(("scenario_name", "package"), _cases())
def test_gathered_equals_ground_truth(
    olm_api: Api,
    scenarios: list[olm_scenarios.Scenario],
    olm_kubeconfig: str,
    tmp_path: Path,
    scenario_name: str,
    package: str,
) -> None:
    scenario = next(s for s in scenarios if s.name == scenario_name)
    out = tmp_path / "out"
    result = olm_gather.new(
        kubeconfig=olm_kubeconfig, package=package, namespace=scenario.namespace, writer=olm_gather.DirectoryWriter(out)
    ).inspect()
    record = json.loads((out / "gather.json").read_text())
    truth = ground_truth.expected(olm_api, namespace=scenario.namespace, package=package)
    gathered = _gathered_refs(record)
    missing, extra = truth - gathered, gathered - truth
    FIDELITY_ROWS.append((scenario_name, package, len(truth), len(gathered), len(missing), len(extra)))
    assert not missing, f"recall < 100%: missing {sorted(missing)}"
    assert not extra, f"precision < 100%: extra {sorted(extra)}"
    assert not result.incomplete, result.problems
    _assert_no_secrets(out)
    _check_with_omg(out, scenario.namespace, record, tmp_path)


def _omg(args: list[str], home: Path) -> str:
    run = subprocess.run(
        [str(OMG), *args], capture_output=True, text=True, timeout=60, env=dict(os.environ, HOME=str(home)), check=False
    )
    assert run.returncode == 0, f"omg {' '.join(args)}: {run.stderr}"
    return run.stdout


def _check_with_omg(root: Path, ns: str, record: dict, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    _omg(["use", str(root)], home)
    objects = record["objects"]
    for kind, resource in (
        ("Subscription", "subscriptions"),
        ("ClusterServiceVersion", "csv"),
        ("InstallPlan", "installplans"),
    ):
        names = [o["name"] for o in objects if o["kind"] == kind and o["namespace"] == ns]
        if names:
            listing = _omg(["get", resource, "-n", ns], home)
            for name in names:
                assert name in listing, f"omg get {resource} -n {ns} misses {name}:\n{listing}"
    pods = [o for o in objects if o["kind"] == "Pod" and o["namespace"] == ns]
    if pods:
        listing = _omg(["get", "pods", "-n", ns], home)
        for pod in pods:
            # The pod's row carries the phase the cluster had (Running for every kwok pod here).
            phase = yaml.safe_load((root / pod["path"]).read_text())["status"]["phase"]
            row = next((line for line in listing.splitlines() if line.split()[:1] == [pod["name"]]), "")
            assert phase in row.split(), f"omg get pods -n {ns}: {pod['name']} not {phase}:\n{listing}"
        logs = [entry for entry in record["logs"] if entry["namespace"] == ns and not entry["previous"]]
        if logs:
            text = _omg(["logs", logs[0]["pod"], "-c", logs[0]["container"], "-n", ns], home)
            assert text.strip(), "omg logs printed nothing"


def test_tarball_opens_like_the_directory(
    scenarios: list[olm_scenarios.Scenario], olm_kubeconfig: str, tmp_path: Path
) -> None:
    scenario = next(s for s in scenarios if s.name == "alone")
    directory, archive = tmp_path / "dir", tmp_path / "alone.tar.gz"
    for writer in (olm_gather.DirectoryWriter(directory), olm_gather.TarGzWriter(archive)):
        olm_gather.new(
            kubeconfig=olm_kubeconfig, package="ogt-alpha", namespace=scenario.namespace, writer=writer
        ).inspect()
    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path / "x", filter="data")
    extracted = tmp_path / "x" / "alone"
    files = {str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file()}
    assert files == {str(p.relative_to(extracted)) for p in extracted.rglob("*") if p.is_file()}
    record = json.loads((extracted / "gather.json").read_text())
    _check_with_omg(extracted, scenario.namespace, record, tmp_path)
