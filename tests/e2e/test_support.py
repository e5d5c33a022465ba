"""The support workflow against real OLM: the machine-readable summary, the operator's own must-gather image,
logs that keep their newest lines, the must-gather image's --since variables and shell completion."""

from __future__ import annotations

import datetime
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from kubernetes import client

import olm_gather
from catalog import packages
from tests.e2e import olmtest
from tests.e2e.kapi import Api
from tests.faultproxy import FaultProxy

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent


def _run(
    args: list[str], *, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env, check=False)


@pytest.fixture(scope="module")
def support(api_client: client.ApiClient, olm_kubeconfig: str) -> Iterator[tuple[str, olmtest.Installed]]:
    """ogt-support installed by real OLM in a namespace of its own: a Subscription, so OLM's own pods and logs
    are gathered too."""
    ns = f"e2e-support-{secrets.token_hex(3)}"
    core = client.CoreV1Api(api_client)
    core.create_namespace({"metadata": {"name": ns, "labels": {"olm-gather.test/e2e": "true"}}})
    try:
        yield ns, olmtest.install(api_client, packages.SUPPORT.name, ns)
    finally:
        core.delete_namespace(ns)


def _olm_operator_pod(api: Api) -> str:
    (pod,) = api.kube.list("/api/v1/namespaces/olm/pods", label_selector="app=olm-operator")
    return str(pod["metadata"]["name"])


def _full_log(api: Api, pod: str) -> bytes:
    return b"".join(api.kube.stream(f"/api/v1/namespaces/olm/pods/{pod}/log", {"timestamps": "true"}))


def _time(line: bytes) -> datetime.datetime:
    return datetime.datetime.fromisoformat(line.split(b" ", 1)[0].decode())


def test_json_summary_and_the_operators_own_must_gather(
    support: tuple[str, olmtest.Installed], olm_kubeconfig: str, tmp_path: Path
) -> None:
    pkg = packages.SUPPORT
    namespace, seen = support
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


def test_log_cap_keeps_the_newest_lines_of_olms_own_log(
    support: tuple[str, olmtest.Installed], olm_kubeconfig: str
) -> None:
    namespace, _ = support
    cap = 2048
    api = Api(olm_kubeconfig)
    try:
        pod = _olm_operator_pod(api)
        before = _full_log(api, pod)
        assert len(before) > 4 * cap, "OLM's log should be long enough to need the cap"
        writer = olm_gather.MemoryWriter()
        with FaultProxy(olm_kubeconfig) as counter:  # counts what crossed the wire, outside olm-gather
            olm_gather.new(
                kubeconfig=str(counter.kubeconfig),
                package=packages.SUPPORT.name,
                namespace=namespace,
                log_limit_bytes=cap,
                writer=writer,
                analyze=False,
            ).inspect()
        after = _full_log(api, pod)
    finally:
        api.close()
    path = f"namespaces/olm/pods/{pod}/olm-operator/olm-operator/logs/current.log"
    kept = writer.files[path]
    assert 0 < len(kept) <= cap
    assert kept in after and kept.startswith(b"20")  # one piece of the real log, from a line start
    start = after.index(kept)
    assert start > 0 and after[start - 1 : start] == b"\n"
    # The newest lines: it ends no earlier than the log did before the gather (OLM may log meanwhile).
    assert after.startswith(before) and start + len(kept) >= len(before) and kept.endswith(b"\n")
    transferred = counter.body_bytes[f"/api/v1/namespaces/olm/pods/{pod}/log"]
    print(f"olm-operator log {len(before)} bytes, cap {cap}: {transferred} bytes transferred, {len(kept)} kept")
    assert transferred <= 8 * cap and transferred < len(before)  # the bound: 4 requests of at most 2 x cap
    assert all("tailLines=" in u for u in counter.urls if u.startswith(f"/api/v1/namespaces/olm/pods/{pod}/log"))
    (record,) = [r for r in json.loads(writer.files["gather.json"])["logs"] if r["path"] == path]
    assert record["truncated"] is True and record["cut"] == "start"
    assert record["firstLineTime"] == kept.split(b" ", 1)[0].decode() and record["bytes"] == len(kept)


def _gathered_log_lines(root: Path) -> dict[str, list[bytes]]:
    return {
        str(p.relative_to(root)): p.read_bytes().splitlines() for p in root.glob("namespaces/*/pods/*/*/*/logs/*.log")
    }


def test_must_gather_since_writes_no_older_line(
    support: tuple[str, olmtest.Installed], olm_kubeconfig: str, tmp_path: Path
) -> None:
    namespace, _ = support
    root = tmp_path / "must-gather"
    started = datetime.datetime.now(datetime.UTC)
    env = dict(os.environ, MUST_GATHER_DIR=str(root), KUBECONFIG=olm_kubeconfig, MUST_GATHER_SINCE="1s")
    run = _run([str(BIN / "olm-gather-must-gather"), "-p", packages.SUPPORT.name, "-n", namespace], env=env)
    assert run.returncode == 0, run.stderr
    logs = _gathered_log_lines(root)
    assert any("/olm-operator/" in p for p in logs), sorted(logs)
    for path, lines in logs.items():
        for line in lines:
            assert _time(line) >= started - datetime.timedelta(seconds=1), (path, line)
    api = Api(olm_kubeconfig)
    try:
        full = _full_log(api, _olm_operator_pod(api))
    finally:
        api.close()
    # Without the variable there is something to leave out: OLM logged before the last second.
    assert _time(full.splitlines()[0]) < started - datetime.timedelta(seconds=1)
    assert json.loads((root / "gather.json").read_text())["options"]["sinceSeconds"] == 1


def test_must_gather_since_time_starts_at_that_time(
    support: tuple[str, olmtest.Installed], olm_kubeconfig: str, tmp_path: Path
) -> None:
    namespace, _ = support
    api = Api(olm_kubeconfig)
    try:
        pod = _olm_operator_pod(api)
        whole = _full_log(api, pod)
    finally:
        api.close()
    full = whole.splitlines()
    # A whole second in the middle of the log (sinceTime has second precision): the lines from it on.
    since = (_time(full[len(full) // 2]) + datetime.timedelta(seconds=1)).replace(microsecond=0)
    expected = [line for line in full if _time(line) >= since]
    assert 0 < len(expected) < len(full)
    root = tmp_path / "must-gather"
    env = dict(
        os.environ,
        MUST_GATHER_DIR=str(root),
        KUBECONFIG=olm_kubeconfig,
        MUST_GATHER_SINCE_TIME=since.isoformat().replace("+00:00", "Z"),
    )
    # After the rest of the suite OLM's log outgrows the default cap, which would keep only its newest part:
    # a cap well above the whole log leaves the since time alone to decide where the file starts.
    limit = str(4 * len(whole))
    args = ["-p", packages.SUPPORT.name, "-n", namespace, "--log-limit", limit]
    run = _run([str(BIN / "olm-gather-must-gather"), *args], env=env)
    assert run.returncode == 0, run.stderr
    path = f"namespaces/olm/pods/{pod}/olm-operator/olm-operator/logs/current.log"
    written = (root / path).read_bytes()
    assert written.splitlines()[: len(expected)] == expected  # OLM may have logged more since
    (record,) = [r for r in json.loads((root / "gather.json").read_text())["logs"] if r["path"] == path]
    assert record["truncated"] is False


def _bash_complete(words: list[str]) -> tuple[list[str], str]:
    """COMPREPLY and stderr after a real bash sources `olm-gather completion bash` and completes `words`."""
    quoted = " ".join(f"'{w}'" for w in words)
    program = (
        f"source <(olm-gather completion bash); COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; _olm_gather; "
        'printf "%s\\n" "${COMPREPLY[@]}"'
    )
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp")}
    run = subprocess.run(["bash", "-c", program], env=env, capture_output=True, text=True, timeout=30, check=True)
    return [line for line in run.stdout.splitlines() if line], run.stderr


def test_bash_completes_packages_and_namespaces_from_the_cluster(
    support: tuple[str, olmtest.Installed], olm_kubeconfig: str
) -> None:
    namespace, _ = support
    api = Api(olm_kubeconfig)
    try:
        subscriptions = list(api.kube.list("/apis/operators.coreos.com/v1alpha1/subscriptions"))
        namespaces = sorted(n["metadata"]["name"] for n in api.kube.list("/api/v1/namespaces"))
    finally:
        api.close()
    packages_there = sorted({s["spec"]["name"] for s in subscriptions})
    assert packages.SUPPORT.name in packages_there

    offered, stderr = _bash_complete(["olm-gather", "--kubeconfig", olm_kubeconfig, "-p", ""])
    assert sorted(offered) == packages_there and stderr == ""
    offered, _ = _bash_complete(["olm-gather", "--kubeconfig", olm_kubeconfig, "-p", "ogt-su"])
    assert offered == [packages.SUPPORT.name]
    in_ns = sorted({s["spec"]["name"] for s in subscriptions if s["metadata"]["namespace"] == namespace})
    offered, _ = _bash_complete(["olm-gather", "--kubeconfig", olm_kubeconfig, "-n", namespace, "-p", ""])
    assert sorted(offered) == in_ns
    offered, _ = _bash_complete(["olm-gather", "--kubeconfig", olm_kubeconfig, "-n", ""])
    assert sorted(offered) == namespaces


def test_layout_is_what_omc_and_omg_read(
    support: tuple[str, olmtest.Installed], olm_kubeconfig: str, tmp_path: Path
) -> None:
    """The tree against what the readers' sources read (gmeghnag/omc cmd/use/use.go, cmd/get/get.go
    getNamespacedResources and getClusterScopedResources, cmd/get/helpers.go kindGroupNamespacedFromCrds,
    cmd/logs/logreader.go; kxr/o-must-gather omg/must_gather/locate_yamls.py _detect_yamls, locate_project):
    - a root holding namespaces/ or cluster-scoped-resources/;
    - `<plural>.yaml` (a List) wins over the folder `<plural>/`: both at once hide the folder, so never both;
      a folder holds single objects in .yaml files and no directory;
    - namespaces from namespaces/<ns>/<ns>.yaml; pods from the list namespaces/<ns>/core/pods.yaml only;
    - custom kinds resolved from cluster-scoped-resources/apiextensions.k8s.io/customresourcedefinitions/;
    - logs at namespaces/<ns>/pods/<pod>/<container>/<container>/logs/current.log."""
    namespace, _ = support
    out = tmp_path / "tree"
    run = _run([str(BIN / "olm-gather"), "--kubeconfig", olm_kubeconfig, "-n", namespace, "-o", str(out), "-q"])
    assert run.returncode == 0, run.stderr
    api = Api(olm_kubeconfig)
    try:
        # Which group/plural is a custom kind, and its scope: from the cluster, not from olm-gather.
        crds = {
            (c["spec"]["group"], c["spec"]["names"]["plural"]): c["spec"]["scope"]
            for c in api.kube.list("/apis/apiextensions.k8s.io/v1/customresourcedefinitions")
        }
    finally:
        api.close()
    assert (out / "namespaces").is_dir() and (out / "cluster-scoped-resources").is_dir()
    crd_dir = out / "cluster-scoped-resources/apiextensions.k8s.io/customresourcedefinitions"
    kinds_seen = set()
    for scope, base in (("Namespaced", out / "namespaces"), ("Cluster", out / "cluster-scoped-resources")):
        group_dirs = (
            [g for ns in base.iterdir() if ns.is_dir() for g in ns.iterdir()]
            if scope == "Namespaced"
            else [g for g in base.iterdir()]
        )
        for group in (g for g in group_dirs if g.is_dir() and g.name != "pods"):
            for entry in group.iterdir():
                plural = entry.name.removesuffix(".yaml")
                if entry.is_dir():
                    assert not (group / f"{plural}.yaml").exists(), f"{entry}: a list file would hide the folder"
                    for f in entry.iterdir():
                        assert f.is_file() and f.suffix == ".yaml", f
                        assert not yaml.safe_load(f.read_text())["kind"].endswith("List"), f
                else:
                    assert yaml.safe_load(entry.read_text())["kind"].endswith("List"), entry
                name = (group.name if group.name != "core" else "", plural)
                kinds_seen.add(name)
                if name in crds:
                    assert crds[name] == scope, name
                    assert (crd_dir / f"{plural}.{group.name}.yaml").is_file(), f"no CRD for {name}"
    assert ("operators.coreos.com", "subscriptions") in kinds_seen
    logs_checked = 0
    for ns_dir in (out / "namespaces").iterdir():
        ns = yaml.safe_load((ns_dir / f"{ns_dir.name}.yaml").read_text())
        assert ns["kind"] == "Namespace" and ns["metadata"]["name"] == ns_dir.name
        pod_dirs = sorted(p.name for p in (ns_dir / "pods").iterdir()) if (ns_dir / "pods").is_dir() else []
        if not pod_dirs:
            continue
        pods = yaml.safe_load((ns_dir / "core" / "pods.yaml").read_text())
        assert pods["kind"] == "PodList" and sorted(p["metadata"]["name"] for p in pods["items"]) == pod_dirs
        for pod in pods["items"]:
            for c in pod["spec"]["containers"]:
                name = c["name"]
                assert (ns_dir / "pods" / pod["metadata"]["name"] / name / name / "logs" / "current.log").is_file()
                logs_checked += 1
    assert logs_checked >= 2  # at least OLM's own olm-operator and catalog-operator
    # Written by oc adm inspect, read by neither reader: left out (docs/decisions.md).
    assert not {p.name for p in out.iterdir()} & {
        "aggregated-discovery-api.yaml",
        "aggregated-discovery-apis.yaml",
        "event-filter.html",
    }
