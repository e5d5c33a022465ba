"""A sick cluster: gathers through a loopback proxy that injects the faults of a failing API server (429, 503,
etcd's leader-change 500, dropped connections, stalls; tests/faultproxy.py) give the same object files as a
clean gather; SIGTERM at a random request leaves a tree marked incomplete that `analyze` reads without false
findings; --timeout ends a stalled gather on time. The truth is a clean gather of the same cluster, and the
faults are injected, not assumed."""

from __future__ import annotations

import concurrent.futures
import json
import os
import random
import signal
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

import olm_gather
from tests.conftest import FAULT_ROWS
from tests.e2e import handmade, olm_scenarios
from tests.e2e.kapi import Api
from tests.faultproxy import FaultProxy

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
SEEDS = 20
RATE = 0.10
# Read from the cluster's own answers, not the tool's: events and OLM's own pod logs keep changing on a live
# cluster, so they are compared by presence; every other object file by content.
_LIVE = ("/core/events.yaml",)


@pytest.fixture(scope="module")
def handmade_scenario(plain_api: Api) -> Iterator[handmade.Scenario]:
    s = handmade.create_ready(plain_api)
    yield s
    handmade.remove(plain_api, s)


def _gather(kubeconfig: str | Path, namespace: str) -> tuple[olm_gather.InspectResult, dict[str, bytes]]:
    writer = olm_gather.MemoryWriter()
    result = olm_gather.new(kubeconfig=str(kubeconfig), namespace=namespace, writer=writer, analyze=False).inspect()
    return result, writer.files


def _objects(files: dict[str, bytes]) -> dict[str, bytes]:
    return {p: d for p, d in files.items() if "/" in p and not p.endswith(".log")}


def _resource_version(data: bytes) -> str:
    """The object's resourceVersion; for a list file, those of its items."""
    doc = yaml.safe_load(data)
    if not isinstance(doc, dict):
        return ""
    if isinstance(doc.get("items"), list):
        return ",".join(str((i.get("metadata") or {}).get("resourceVersion", "")) for i in doc["items"])
    return str((doc.get("metadata") or {}).get("resourceVersion", ""))


def _assert_same_output(clean: dict[str, bytes], faulty: dict[str, bytes], where: str) -> None:
    clean_objects, faulty_objects = _objects(clean), _objects(faulty)
    assert sorted(faulty_objects) == sorted(clean_objects), f"{where}: other files than a clean gather's"
    assert sorted(p for p in faulty if p.endswith(".log")) == sorted(p for p in clean if p.endswith(".log"))
    for path, data in clean_objects.items():
        if path.endswith(_LIVE) or data == faulty_objects[path]:
            continue
        # The only acceptable difference: the object itself changed on the cluster between the two gathers.
        assert _resource_version(data) != _resource_version(faulty_objects[path]), f"{where}: {path} differs"


def _seeded_gathers(scenario: str, kubeconfig: str, namespace: str, seeds: range) -> None:
    clean_result, clean = _gather(kubeconfig, namespace)
    assert clean_result.exit_code == 0, clean_result.problems

    def faulty(seed: int) -> tuple[olm_gather.InspectResult, dict[str, bytes], FaultProxy, float]:
        with FaultProxy(kubeconfig, seed=seed, rate=RATE) as proxy:
            started = time.monotonic()
            result, files = _gather(proxy.kubeconfig, namespace)
            return result, files, proxy, time.monotonic() - started

    # Four seeds at a time: the runs mostly wait out Retry-After and stalls, and each has its own proxy.
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        runs = list(zip(seeds, pool.map(faulty, seeds), strict=True))
    for seed, (result, _files, proxy, seconds) in runs:
        injected = dict(proxy.injected)
        FAULT_ROWS.append((scenario, seed, proxy.requests, sum(injected.values()), result.retries, seconds, injected))
    for seed, (result, files, proxy, _seconds) in runs:
        assert result.exit_code == 0, f"seed {seed}: {result.problems}"
        assert sum(proxy.injected.values()) > 0, f"seed {seed}: no fault was injected, the test proves nothing"
        _assert_same_output(clean, files, f"seed {seed}")


def test_handmade_gathers_under_faults_equal_a_clean_one(
    handmade_scenario: handmade.Scenario, plain_kubeconfig: str
) -> None:
    _seeded_gathers("hand-made", plain_kubeconfig, handmade_scenario.ns_a, range(5))


@pytest.mark.olm
def test_real_olm_gathers_under_faults_equal_a_clean_one(
    scenarios: list[olm_scenarios.Scenario], olm_kubeconfig: str
) -> None:
    # Every Subscription of every scenario at once: each install shape and failure state real OLM gives.
    assert scenarios
    _seeded_gathers("all real-OLM", olm_kubeconfig, "", range(100, 100 + SEEDS))


def _terminated_at(request: int, kubeconfig: str, namespace: str, output: Path) -> subprocess.CompletedProcess[str]:
    holder: dict[str, int] = {}

    def kill(n: int) -> None:
        if n == request and "pid" in holder:
            os.kill(holder["pid"], signal.SIGTERM)

    with FaultProxy(kubeconfig, on_request=kill) as proxy:
        cmd = [BIN / "olm-gather", "--kubeconfig", proxy.kubeconfig, "-n", namespace, "-o", output, "-q"]
        child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        holder["pid"] = child.pid
        out, err = child.communicate(timeout=120)
    return subprocess.CompletedProcess(cmd, child.returncode, out, err)


def test_sigterm_at_a_random_request_leaves_a_true_record(
    handmade_scenario: handmade.Scenario, plain_kubeconfig: str, tmp_path: Path
) -> None:
    ns = handmade_scenario.ns_a
    with FaultProxy(plain_kubeconfig) as counter:
        _gather(counter.kubeconfig, ns)
        requests = counter.requests
    absence = {"no-operator-group", "no-install-plan", "csv-not-gathered", "deployment-not-gathered", "no-subscription"}
    rng = random.Random(7)
    points = [rng.randint(1, max(1, int(requests * 0.8))) for _ in range(SEEDS)]  # the last ones may finish anyway
    outputs = [tmp_path / (f"run{run}.tar.gz" if run % 2 else f"run{run}") for run in range(SEEDS)]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        runs = list(
            pool.map(lambda a: _terminated_at(a[0], plain_kubeconfig, ns, a[1]), zip(points, outputs, strict=True))
        )
    for run, (at, output, done) in enumerate(zip(points, outputs, runs, strict=True)):
        assert done.returncode == 128 + signal.SIGTERM, f"run {run} (request {at}): {done.stderr}"
        assert "Traceback" not in done.stderr
        if output.suffix == ".gz":
            with tarfile.open(output) as tar:  # a valid archive, read to its end
                names = [m.name for m in tar.getmembers()]
                record = json.load(tar.extractfile(f"{output.name.removesuffix('.tar.gz')}/gather.json"))  # type: ignore[arg-type]
            assert any(n.endswith("/version") for n in names)
        else:
            record = json.loads((output / "gather.json").read_text())
        assert record["incomplete"] is True and record["incompleteReason"] == "interrupted", f"run {run}"
        analysis = subprocess.run(
            [BIN / "olm-gather", "analyze", output, "--format", "json", "--report", tmp_path / f"r{run}.html"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert analysis.returncode == 0, analysis.stderr
        found = json.loads(analysis.stdout)
        assert found["incomplete"] == "interrupted"
        assert not absence & {f["rule"] for f in found["findings"]}, f"run {run}: a finding from what was not fetched"
        assert found["findings"][0]["rule"] == "incomplete-gather"
        FAULT_ROWS.append(("SIGTERM", run, at, 0, 0, 0.0, {"objects": len(record["objects"])}))


def test_timeout_ends_a_stalled_gather_on_time(
    handmade_scenario: handmade.Scenario, plain_kubeconfig: str, tmp_path: Path
) -> None:
    # Every request stalls 30 s: only the deadline can end this gather, not a read timeout (60 s).
    with FaultProxy(plain_kubeconfig, rate=1.0, faults=("stall",), stall_seconds=30) as proxy:
        started = time.monotonic()
        run = subprocess.run(
            [BIN / "olm-gather", "--kubeconfig", proxy.kubeconfig, "--timeout", "2s", "-o", tmp_path / "o", "-q"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        seconds = time.monotonic() - started
    assert run.returncode == 1, run.stderr
    record = json.loads((tmp_path / "o" / "gather.json").read_text())
    assert record["incomplete"] is True and record["incompleteReason"] == "deadline"
    assert seconds < 15, f"the gather took {seconds:.1f}s with --timeout 2s"
