"""Real OLM v0 in the local cluster: the olm and catalog controllers and `opm serve` as host processes.

What it creates, as upstream's quickstart (deploy/upstream/quickstart/olm.yaml of the pinned OLM module) does:
namespaces `olm` and `operators`, OLM's service account and RBAC, OperatorGroups `global-operators` and
`olm-operators`, and Deployments `olm-operator` and `catalog-operator`. Those Deployments run on kwok nodes
as stand-ins: their pods do nothing, but kwok serves the real logs of the host processes as their logs.
Not here (they need a pod network): packageserver, operator webhooks, APIServices, catalog or unpack pods.
The test catalog is served by `opm serve` on 127.0.0.1 and registered as CatalogSource `olm-gather-test`
(sourceType grpc, spec.address), so OLM starts no registry pod.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import procs
import yaml
from env import REPO, ClusterError, Kubectl, Paths, bin_dir, module_dir, versions

NAMESPACE = "olm"
CATALOG_SOURCE = "olm-gather-test"
GENERATOR = REPO / "tests/catalog/generate.py"
QUICKSTART_KINDS = {"Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Deployment", "OperatorGroup"}
STAND_IN = "olm-gather.test/stand-in"


def quickstart(olm_version: str) -> list[dict[str, Any]]:
    """Upstream's install objects, minus packageserver and the operatorhub.io CatalogSource (need pods)."""
    src = module_dir("olm", "github.com/operator-framework/operator-lifecycle-manager", olm_version)
    docs = [d for d in yaml.safe_load_all((src / "deploy/upstream/quickstart/olm.yaml").read_text()) if d]
    keep = [d for d in docs if d["kind"] in QUICKSTART_KINDS]
    for d in keep:
        if d["kind"] == "Deployment":
            d["metadata"].setdefault("annotations", {})[STAND_IN] = (
                "pods run on kwok; the controller runs on the host, its log is this pod's log"
            )
    return keep


def catalog_source(port: int) -> dict[str, Any]:
    return {
        "apiVersion": "operators.coreos.com/v1alpha1",
        "kind": "CatalogSource",
        "metadata": {"name": CATALOG_SOURCE, "namespace": NAMESPACE},
        "spec": {
            "sourceType": "grpc",
            "address": f"127.0.0.1:{port}",
            "displayName": "olm-gather test operators",
            "publisher": "olm-gather",
        },
    }


def tree_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(str(f.relative_to(folder)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def build_catalog(paths: Paths) -> Path:
    """The file-based catalog to serve: $OLM_GATHER_TEST_CATALOG if set, else tests/catalog/generate.py's output."""
    override = os.environ.get("OLM_GATHER_TEST_CATALOG")
    if override:
        if not Path(override).is_dir():
            raise ClusterError(f"OLM_GATHER_TEST_CATALOG={override} is not a folder; point it at a file-based catalog")
        return Path(override).resolve()
    if not GENERATOR.exists():
        raise ClusterError(f"{GENERATOR.relative_to(REPO)} is missing; set OLM_GATHER_TEST_CATALOG=<fbc dir> meanwhile")
    fresh = paths.root / "catalog.new"
    shutil.rmtree(fresh, ignore_errors=True)
    proc = subprocess.run([sys.executable, str(GENERATOR), str(fresh)], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise ClusterError(f"tests/catalog/generate.py failed: {last}")
    current = paths.root / "catalog"
    if current.is_dir() and tree_digest(current) == tree_digest(fresh):
        shutil.rmtree(fresh)
    else:
        shutil.rmtree(current, ignore_errors=True)
        fresh.rename(current)
    return current


def healthz(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
            return bool(r.status == 200)
    except (urllib.error.URLError, OSError):
        return False


class Stack:
    def __init__(self, paths: Paths, kubectl: Kubectl) -> None:
        self.paths = paths
        self.kubectl = kubectl
        self.bin = bin_dir("olm")
        self.services = procs.Services(paths)
        self.pins = versions()

    def ports(self) -> dict[str, int]:
        """Loopback ports of our processes, chosen once and kept in state.json (a new one if another took it)."""
        ports: dict[str, int] = dict(self.paths.read_state().get("ports", {}))
        for name in ("olm-operator", "catalog-operator", "opm"):
            if not ports.get(name) or (not self.services.running(name) and procs.port_open(ports[name])):
                ports[name] = procs.free_port()
        self.paths.write_state(ports=ports)
        return ports

    def ensure(self) -> None:
        ports = self.ports()
        self.kubectl.apply(quickstart(self.pins["OLM_VERSION"]))

        catalog = build_catalog(self.paths)
        digest = tree_digest(catalog)
        state = self.paths.read_state()
        if (
            state.get("catalog_digest") != digest
            or not self.services.running("opm")
            or not procs.port_open(ports["opm"])
        ):
            # A new catalog: drop the CatalogSource so OLM forgets its cache of the old content.
            self.kubectl.run("delete", "catalogsource", "-n", NAMESPACE, CATALOG_SOURCE, "--ignore-not-found")
            self.services.stop("opm")
            tmp = self.paths.root / "tmp"
            tmp.mkdir(exist_ok=True)
            self.services.start(
                "opm",
                [str(self.bin / "opm"), "serve", str(catalog), "-p", str(ports["opm"]),
                 "--pprof-addr", "127.0.0.1:0", "-t", str(self.paths.logs / "opm-termination.log")],
                {"OPM_SERVE_HOST": "127.0.0.1", "TMPDIR": str(tmp)},
            )  # fmt: skip
            self.paths.write_state(catalog_digest=digest)

        kubeconfig = str(self.paths.kubeconfig)
        common = ["--namespace", NAMESPACE, "--writeStatusName", ""]
        wanted = {
            "olm-operator": [str(self.bin / "olm"), *common, "--writePackageServerStatusName", ""],
            "catalog-operator": [
                str(self.bin / "catalog"), *common, "--kubeconfig", kubeconfig, "--set-workload-user-id=false",
                "--util-image", f"quay.io/operator-framework/olm:{self.pins['OLM_VERSION']}",
                "--opmImage", f"quay.io/operator-framework/opm:{self.pins['OPM_VERSION']}",
            ],
        }  # fmt: skip
        for name, args in wanted.items():
            if not (self.services.running(name) and healthz(ports[name])):
                self.services.stop(name)
                env = {"KUBECONFIG": kubeconfig, "OLM_HEALTH_ADDR": f"127.0.0.1:{ports[name]}"}
                # Supervised: olm exits on purpose after its first labelling pass, expecting a restart.
                self.services.start(name, args, env, restart=True)

        self.kubectl.apply([catalog_source(ports["opm"])])
        self.wait_ready(ports)

    def wait_ready(self, ports: dict[str, int], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        pending = ""
        while time.monotonic() < deadline:
            pending = self.not_ready(ports)
            if not pending:
                return
            time.sleep(0.5)
        raise ClusterError(f"OLM not ready after {timeout:.0f}s: {pending}; see {self.paths.logs}")

    def not_ready(self, ports: dict[str, int]) -> str:
        for name in ("olm-operator", "catalog-operator"):
            if not self.services.running(name):
                return f"{name} exited (see {self.paths.logs / (name + '.log')})"
            if not healthz(ports[name]):
                return f"{name} health endpoint 127.0.0.1:{ports[name]} not answering"
        if not procs.port_open(ports["opm"]):
            return f"opm serve not listening on 127.0.0.1:{ports['opm']} (see {self.paths.logs / 'opm.log'})"
        source = self.kubectl.get("catalogsource", "-n", NAMESPACE, CATALOG_SOURCE)
        state = source.get("status", {}).get("connectionState", {}).get("lastObservedState")
        if state != "READY":
            return f"CatalogSource {CATALOG_SOURCE} is {state or 'not observed yet'}"
        for name in ("olm-operator", "catalog-operator"):
            dep = self.kubectl.get("deployment", "-n", NAMESPACE, name)
            if dep.get("status", {}).get("availableReplicas", 0) < 1:
                return f"Deployment {NAMESPACE}/{name} not available"
        return ""
