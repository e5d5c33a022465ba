"""The control plane: etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok on 127.0.0.1.

kwokctl (`--runtime binary`) starts them from our cached binaries: it makes the PKI, picks free loopback ports,
wires kube-apiserver to kwok's kubelet endpoint for pod logs, and keeps pid files. Given a local path for every
binary (kubectl included, it uses one for its readiness check) it downloads nothing. Also here: the two fake
nodes, the kwok stages and log rules, and the OLM CRDs.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import procs
import yaml
from env import HERE, ClusterError, Kubectl, Paths, bin_dir, module_dir, versions

NAME = "olm-gather"
NODES = ("kwok-node-0", "kwok-node-1")
FAULT_LABEL = "olm-gather.test/fault"
# Containers whose kwok logs are the real logs of the OLM processes we run on the host (see olmstack.py).
OLM_CONTAINERS = ("olm-operator", "catalog-operator")
ADDRESS_TYPES = "InternalIP,ExternalIP,Hostname"
PREVIOUS_LOG_LINES = (
    ("stdout", "olm-gather test container: started (previous run)"),
    ("stderr", "olm-gather test container: fatal: cannot reach the configured endpoint; exiting with code 1"),
)
POD_LOG_LINES = (
    ("stdout", "olm-gather test container: started (kwok fake container, fixed log lines)"),
    ("stdout", "olm-gather test container: reconciling"),
    ("stderr", "olm-gather test container: a warning on stderr"),
    ("stdout", "olm-gather test container: ready"),
)


class Binaries:
    def __init__(self) -> None:
        kube, etcd, kwok = bin_dir("kube"), bin_dir("etcd"), bin_dir("kwok")
        self.kube_apiserver = kube / "kube-apiserver"
        self.kube_controller_manager = kube / "kube-controller-manager"
        self.kube_scheduler = kube / "kube-scheduler"
        self.kubectl = kube / "kubectl"
        self.etcd = etcd / "etcd"
        self.kwok = kwok / "kwok"
        self.kwokctl = kwok / "kwokctl"


def cri_line(stream: str, text: str, when: datetime | None = None) -> str:
    """One line in the CRI log format that kwok (like the kubelet) serves: `<RFC3339Nano> <stream> F <text>`."""
    stamp = (when or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return f"{stamp} {stream} F {text}\n"


def pod_logs(paths: Paths) -> dict[str, Path]:
    """Writes the fixed log files kwok serves (once) and returns the log file of each container kind."""
    folder = paths.logs / "pods"
    folder.mkdir(parents=True, exist_ok=True)
    default = folder / "default.log"
    if not default.exists():
        default.write_text("".join(cri_line(stream, text) for stream, text in POD_LOG_LINES))
    previous = folder / "crashloop-previous.log"
    if not previous.exists():
        previous.write_text("".join(cri_line(stream, text) for stream, text in PREVIOUS_LOG_LINES))
    files = {"": default, "previous": previous}
    for container in OLM_CONTAINERS:
        files[container] = paths.logs / f"{container}.cri.log"
        files[container].touch()
    return files


def kwok_docs(paths: Paths, bins: Binaries) -> list[dict[str, Any]]:
    """The kwokctl configuration: options, pod stages, and the log rules."""
    options = {
        "runtime": "binary",
        "bindAddress": "127.0.0.1",
        "kubeApiserverBinary": str(bins.kube_apiserver),
        "kubeControllerManagerBinary": str(bins.kube_controller_manager),
        "kubeSchedulerBinary": str(bins.kube_scheduler),
        "kubectlBinary": str(bins.kubectl),
        "etcdBinary": str(bins.etcd),
        "kwokControllerBinary": str(bins.kwok),
        "kubeAuthorization": True,
        "quietPull": True,
        "disableQPSLimits": True,
        "cacheDir": str(paths.root / "kwok-cache"),
        # Logs (per pod) come from the API, written by previous_logs.py; ClusterLogs stay in this file.
        "enableCRDs": ["Logs"],
    }
    # As kubeadm does: reach kubelets (here kwok's loopback server) by InternalIP, not by the node's hostname.
    apiserver = {
        "name": "kube-apiserver",
        "extraArgs": [{"key": "kubelet-preferred-address-types", "value": ADDRESS_TYPES}],
    }
    docs: list[dict[str, Any]] = [
        {
            "apiVersion": "config.kwok.x-k8s.io/v1alpha1",
            "kind": "KwokctlConfiguration",
            "options": options,
            "componentsPatches": [apiserver],
        }
    ]
    docs += pod_stages()
    logs = pod_logs(paths)
    rules = [{"containers": [c], "logsFile": str(logs[c]), "follow": True} for c in OLM_CONTAINERS]
    rules.append({"logsFile": str(logs[""]), "follow": True})
    docs.append(
        {
            "apiVersion": "kwok.x-k8s.io/v1alpha1",
            "kind": "ClusterLogs",
            "metadata": {"name": "olm-gather-logs"},
            "spec": {"logs": rules},
        }
    )
    return docs


def pod_stages() -> list[dict[str, Any]]:
    """kwok's default pod stages (from the pinned module) plus ours; pods with a fault label skip pod-ready."""
    kwok_src = module_dir("kwok", "sigs.k8s.io/kwok", versions()["KWOK_VERSION"])
    stages = []
    for name in ("pod-ready", "pod-complete", "pod-delete"):
        stage = yaml.safe_load((kwok_src / "kustomize/stage/pod/fast" / f"{name}.yaml").read_text())
        if name == "pod-ready":
            stage = copy.deepcopy(stage)
            stage["spec"]["selector"]["matchExpressions"].append(
                {"key": f'.metadata.labels["{FAULT_LABEL}"]', "operator": "DoesNotExist"}
            )
        stages.append(stage)
    stages += list(yaml.safe_load_all((HERE / "kwok-stages.yaml").read_text()))
    return stages


def digest(docs: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(docs, sort_keys=True).encode()).hexdigest()[:16]


def workdir(paths: Paths) -> Path:
    return paths.kwok_workdir / "clusters" / NAME


def kwokctl(paths: Paths, binary: Path, *args: str, timeout: float = 120) -> None:
    """Runs kwokctl on our workdir, never touching ~/.kube/config; any attempt to download fails fast."""
    with tempfile.TemporaryDirectory() as tmp:
        scratch = str(Path(tmp) / "kubeconfig")  # kwokctl adds a context here: thrown away
        env = procs.marked_env(
            paths.root,
            {
                "KWOK_WORKDIR": str(paths.kwok_workdir),
                "KUBECONFIG": scratch,
                "HTTPS_PROXY": "http://127.0.0.1:9",
                "HTTP_PROXY": "http://127.0.0.1:9",
                "NO_PROXY": "127.0.0.1,localhost",
            },
        )
        log = paths.logs / "kwokctl.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a") as out:
            out.write(f"--- kwokctl {' '.join(args)}\n")
            out.flush()
            proc = subprocess.run(
                [str(binary), *args, "--name", NAME, "--kubeconfig", scratch],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            )
    if proc.returncode != 0:
        raise ClusterError(f"kwokctl {args[0]} {args[1]} failed: see {log}; then run `make cluster-down` and retry")


def healthy(kubectl: Kubectl) -> bool:
    return kubectl.ok("get", "--raw", "/readyz", "--request-timeout=3s")


def create(paths: Paths, bins: Binaries, docs: list[dict[str, Any]]) -> None:
    config = paths.root / "kwokctl.yaml"
    config.write_text(yaml.safe_dump_all(docs, sort_keys=False))
    kwokctl(paths, bins.kwokctl, "create", "cluster", "--config", str(config))
    shutil.copyfile(workdir(paths) / "kubeconfig.yaml", paths.kubeconfig)
    kubectl = Kubectl(bins.kubectl, paths.kubeconfig)
    deadline = time.monotonic() + 60
    while not healthy(kubectl):
        if time.monotonic() > deadline:
            raise ClusterError(f"kube-apiserver not ready after 60s: see {workdir(paths) / 'logs'}")
        time.sleep(0.5)


def delete(paths: Paths, kwokctl_binary: Path | None) -> None:
    """Stops the control plane through kwokctl (clean etcd shutdown) and removes its workdir."""
    if kwokctl_binary is not None and kwokctl_binary.exists() and workdir(paths).exists():
        # On failure, `down` still kills whatever is left, by its marker.
        with contextlib.suppress(ClusterError, subprocess.TimeoutExpired):
            kwokctl(paths, kwokctl_binary, "delete", "cluster", timeout=60)
    shutil.rmtree(paths.kwok_workdir, ignore_errors=True)
    paths.kubeconfig.unlink(missing_ok=True)


def node(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "node-role.kubernetes.io/worker": "",
                "type": "kwok",
            },
        },
        # kwok serves every node's kubelet API (logs) on one loopback port, which it sets as the kubelet port.
        "status": {
            "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}, {"type": "Hostname", "address": name}],
            "allocatable": {"cpu": "16", "memory": "64Gi", "pods": "110"},
            "capacity": {"cpu": "16", "memory": "64Gi", "pods": "110"},
        },
    }


def ensure_nodes(kubectl: Kubectl) -> None:
    existing = {n["metadata"]["name"] for n in kubectl.get("nodes")["items"]}
    missing = [node(n) for n in NODES if n not in existing]
    if missing:
        kubectl.apply(missing)
    deadline = time.monotonic() + 30
    while True:
        nodes = kubectl.get("nodes")["items"]
        ready = [
            n
            for n in nodes
            if any(c["type"] == "Ready" and c["status"] == "True" for c in n.get("status", {}).get("conditions", []))
        ]
        if len(ready) >= len(NODES):
            return
        if time.monotonic() > deadline:
            raise ClusterError(f"kwok nodes not Ready after 30s: see {Path('.cluster/kwok/clusters', NAME, 'logs')}")
        time.sleep(0.5)


def olm_crd_dir() -> Path:
    olm_src = module_dir("olm", "github.com/operator-framework/operator-lifecycle-manager", versions()["OLM_VERSION"])
    return olm_src / "deploy/chart/crds"


def ensure_olm_crds(kubectl: Kubectl, paths: Paths) -> None:
    """Applies the 8 CRDs of operators.coreos.com from the pinned OLM module and waits until they are served.

    Skipped when the CRDs are exactly as our last apply left them (same files, same resourceVersions): the
    server-side apply of these large CRDs is most of the time of an `up` on a running cluster.
    """
    files = sorted(olm_crd_dir().glob("*.yaml"))
    if len(files) != 8:
        raise ClusterError(f"expected 8 OLM CRD files in {olm_crd_dir()}, found {len(files)}")
    files_digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()[:16]
    last = paths.read_state().get("olm_crds") or {}
    if last.get("digest") == files_digest and crd_versions(kubectl, list(last["versions"])) == last["versions"]:
        return
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: these files are large
    docs = [d for f in files for d in yaml.load_all(f.read_text(), Loader=loader) if d]
    names = [d["metadata"]["name"] for d in docs]
    # Server-side: the CSV CRD is too large for the last-applied annotation of a client-side apply.
    kubectl.apply(docs, server_side=True)
    kubectl.run("wait", "--for=condition=Established", "--timeout=60s", *[f"crd/{n}" for n in names])
    paths.write_state(olm_crds={"digest": files_digest, "versions": crd_versions(kubectl, names)})


def crd_versions(kubectl: Kubectl, names: list[str]) -> dict[str, str]:
    found = kubectl.get("crd", "--ignore-not-found", *names).get("items", [])
    return {c["metadata"]["name"]: c["metadata"]["resourceVersion"] for c in found}


def ensure_previous_logs(paths: Paths, kubectl: Kubectl) -> None:
    """kwok's Logs CRD and the previous_logs.py controller that gives crash-looping pods a previous log."""
    if not kubectl.ok("get", "crd", "logs.kwok.x-k8s.io"):
        kwok_src = module_dir("kwok", "sigs.k8s.io/kwok", versions()["KWOK_VERSION"])
        crd = yaml.safe_load((kwok_src / "kustomize/crd/bases/kwok.x-k8s.io_logs.yaml").read_text())
        kubectl.apply([crd])
        kubectl.run("wait", "--for=condition=Established", "--timeout=30s", "crd/logs.kwok.x-k8s.io")
    services = procs.Services(paths)
    if not services.running("previous-logs"):
        logs = pod_logs(paths)
        args = [str(HERE / "previous_logs.py"), str(kubectl.binary), str(kubectl.kubeconfig)]
        services.start("previous-logs", [sys.executable, *args, str(logs[""]), str(logs["previous"])], restart=True)
