"""Fidelity on real OLM: for every scenario the real controllers installed, the objects olm-gather wrote (read back
from the files) equal what OLM made for that install, measured by a before/after diff of the whole cluster
(tests/e2e/ground_truth.py; recall and precision 100%); a package filter keeps only that package's part; no canary
reaches the output in any encoding; omg (a real must-gather reader) shows what the cluster had; and the tarball
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
from tests.conftest import FIDELITY_NOTES, FIDELITY_ROWS
from tests.e2e import ground_truth, olm_scenarios
from tests.e2e.kapi import Api

pytestmark = [pytest.mark.e2e, pytest.mark.olm]

OMG = Path(sys.executable).parent.parent / "omg" / "bin" / "omg"


def _gathered_refs(record: dict) -> set[ground_truth.Ref]:
    return {(o["kind"], o["namespace"], o["name"]) for o in record["objects"]}


def _written_refs(root: Path) -> set[ground_truth.Ref]:
    """Every object in the written YAML files (list files item by item), Events left out."""
    refs: set[ground_truth.Ref] = set()
    for path in root.rglob("*.yaml"):
        doc = yaml.load(path.read_text(), Loader=_LOADER)
        if not isinstance(doc, dict) or "kind" not in doc:
            continue
        items = doc.get("items") or [] if str(doc["kind"]).endswith("List") else [doc]
        for obj in items:
            kind = obj.get("kind") or str(doc["kind"]).removesuffix("List")
            if kind != "Event":
                refs.add((kind, obj["metadata"].get("namespace", ""), obj["metadata"]["name"]))
    return refs


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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


def _gather(
    kubeconfig: str, out: Path, namespace: str, package: str = ""
) -> tuple[olm_gather.InspectResult, set[ground_truth.Ref]]:
    result = olm_gather.new(
        kubeconfig=kubeconfig, package=package, namespace=namespace, writer=olm_gather.DirectoryWriter(out)
    ).inspect()
    written = _written_refs(out)
    record = json.loads((out / "gather.json").read_text())
    assert written == _gathered_refs(record), "gather.json's ledger and the written files differ"
    return result, written


@pytest.mark.parametrize("scenario_name", [s.name for s in olm_scenarios.SCENARIOS])
def test_written_files_equal_what_olm_made(
    olm_api: Api,
    scenarios: list[olm_scenarios.Scenario],
    olm_kubeconfig: str,
    tmp_path: Path,
    scenario_name: str,
) -> None:
    scenario = next(s for s in scenarios if s.name == scenario_name)
    assert scenario.install is not None
    truth, context = ground_truth.expected(
        olm_api, scenario.install, namespace=scenario.namespace, after=scenario.after
    )
    single = scenario.packages[0] if len(scenario.packages) == 1 else ""
    out = tmp_path / "out"
    result, written = _gather(olm_kubeconfig, out, scenario.namespace, single)
    missing, extra = truth - written, written - truth
    made = len(truth) - len(context)
    FIDELITY_ROWS.append(
        (scenario_name, single or "(namespace)", made, len(truth), len(written), len(missing), len(extra))
    )
    for key, reason in sorted(scenario.install.excluded.items()):
        FIDELITY_NOTES.append(("excluded", reason, f"{key[1]} {key[2] + '/' if key[2] else ''}{key[3]}"))
    for ref, reason in sorted(context.items()):
        FIDELITY_NOTES.append(("context", reason, f"{ref[0]} {ref[1] + '/' if ref[1] else ''}{ref[2]}"))
    assert not missing and not extra, f"missing (recall < 100%) {sorted(missing)}, extra {sorted(extra)}"
    assert not result.incomplete, result.problems
    _assert_no_secrets(out)
    _check_with_omg(out, scenario.namespace, json.loads((out / "gather.json").read_text()), tmp_path, truth)
    if not single:
        _check_package_filters(olm_kubeconfig, tmp_path, scenario, written)


def test_every_subscription_at_once_writes_what_each_scenario_made(
    olm_api: Api, scenarios: list[olm_scenarios.Scenario], olm_kubeconfig: str, tmp_path: Path
) -> None:
    """With no package or namespace chosen, the gather takes other paths (one list of Operators, one of the
    OLM-managed ClusterRoles): it still writes everything OLM made for every scenario, and in the scenarios'
    namespaces nothing else. When the scenarios' are the only Subscriptions on the cluster, nothing else at all."""
    union: set[ground_truth.Ref] = set()
    for scenario in scenarios:
        assert scenario.install is not None
        truth, _ = ground_truth.expected(olm_api, scenario.install, namespace=scenario.namespace, after=scenario.after)
        union |= truth
    result, written = _gather(olm_kubeconfig, tmp_path / "all", "")
    assert not result.incomplete, result.problems
    missing = union - written
    assert not missing, f"an unfiltered gather misses {sorted(missing)}"
    namespaces = {s.namespace for s in scenarios}
    subscribed = {ns for ns, _ in ((r[1], r[2]) for r in written if r[0] == "Subscription")}
    extra = written - union
    if subscribed <= namespaces:
        assert not extra, f"an unfiltered gather writes what no scenario made: {sorted(extra)}"
    else:
        here = sorted(r for r in extra if r[1] in namespaces)
        assert not here, f"an unfiltered gather writes in the scenarios' namespaces what they did not make: {here}"
    _assert_no_secrets(tmp_path / "all")


def _check_package_filters(
    kubeconfig: str, tmp_path: Path, scenario: olm_scenarios.Scenario, everything: set[ground_truth.Ref]
) -> None:
    """Each `-p` gather is a part of the namespace's, holds only its own package's CSVs, Subscriptions and
    Deployments, and together they are the whole."""
    union: set[ground_truth.Ref] = set()
    for package in scenario.packages:
        result, written = _gather(kubeconfig, tmp_path / package, scenario.namespace, package)
        assert not result.incomplete, result.problems
        assert written <= everything, f"-p {package}: not in the namespace's gather: {sorted(written - everything)}"
        own = [r for r in written if r[0] in ("ClusterServiceVersion", "Subscription", "Deployment") and r[1]]
        assert own, f"-p {package}: no CSV, Subscription or Deployment"
        foreign = [r for r in own if not r[2].startswith((f"{package}.", f"{package}-")) and r[2] != package]
        assert not foreign, f"-p {package}: another package's objects {sorted(foreign)}"
        union |= written
    assert union == everything, f"the -p gathers miss {sorted(everything - union)}"


def _omg(args: list[str], home: Path) -> str:
    run = subprocess.run(
        [str(OMG), *args], capture_output=True, text=True, timeout=60, env=dict(os.environ, HOME=str(home)), check=False
    )
    assert run.returncode == 0, f"omg {' '.join(args)}: {run.stderr}"
    return run.stdout


def _check_with_omg(root: Path, ns: str, record: dict, tmp_path: Path, truth: set[ground_truth.Ref]) -> None:
    """omg lists every Subscription, CSV, InstallPlan and pod of the namespace the truth holds, each kind read
    non-empty, with the pod phases the cluster had, and prints a log."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    _omg(["use", str(root)], home)
    objects = record["objects"]
    kinds_here = {kind for kind, namespace, _ in truth if namespace == ns}
    assert "Subscription" in kinds_here
    for kind, resource in (
        ("Subscription", "subscriptions"),
        ("ClusterServiceVersion", "csv"),
        ("InstallPlan", "installplans"),
    ):
        if kind not in kinds_here:
            continue
        names = [o["name"] for o in objects if o["kind"] == kind and o["namespace"] == ns]
        assert names, f"the truth has {kind}s in {ns}, the gather none"
        listing = _omg(["get", resource, "-n", ns], home)
        for name in names:
            assert name in listing, f"omg get {resource} -n {ns} misses {name}:\n{listing}"
    pods = [o for o in objects if o["kind"] == "Pod" and o["namespace"] == ns]
    if "Pod" in kinds_here:
        assert pods, f"the truth has Pods in {ns}, the gather none"
        listing = _omg(["get", "pods", "-n", ns], home)
        for pod in pods:
            # The pod's row carries the phase the cluster had (Running for every kwok pod here).
            phase = yaml.safe_load((root / pod["path"]).read_text())["status"]["phase"]
            row = next((line for line in listing.splitlines() if line.split()[:1] == [pod["name"]]), "")
            assert phase in row.split(), f"omg get pods -n {ns}: {pod['name']} not {phase}:\n{listing}"
        logs = [entry for entry in record["logs"] if entry["namespace"] == ns and not entry["previous"]]
        assert logs, f"no current log of the pods in {ns}"
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
    assert _written_refs(extracted) == _written_refs(directory)
    _check_with_omg(extracted, scenario.namespace, record, tmp_path, _written_refs(directory))
