"""The local test cluster: a real control plane on 127.0.0.1 with 2 kwok nodes, optionally with real OLM.

Usage: cluster.py up [--olm] | down | status

- up: builds what is missing (tests/cluster/build.sh, cached outside the repo), then starts or reuses the cluster.
  Idempotent: on a healthy cluster it only re-applies what it owns (nodes, OLM CRDs, OLM objects, catalog).
- down: stops every process any `up` started for this checkout (found by their environment, from any shell).
- status: what runs, and whether it answers; exit code 1 when the control plane is down.

State lives in .cluster/ at the repo root (OLM_GATHER_CLUSTER_DIR overrides it): kubeconfig, logs/ (every
process's log; the previous cluster's in logs.previous/), state.json (ports, pids), kwok/ (kwokctl's workdir),
catalog/ (the served FBC), bin/kubectl. Try `.cluster/bin/kubectl --kubeconfig .cluster/kubeconfig get pods -A`.
"""

from __future__ import annotations

import argparse
import fcntl
import shutil
import sys
import time
from pathlib import Path

import controlplane
import olmstack
import procs
from env import ClusterError, Kubectl, Paths, default_paths


def up(paths: Paths, *, olm: bool) -> None:
    start = time.monotonic()
    paths.root.mkdir(parents=True, exist_ok=True)
    bins = controlplane.Binaries()
    kubectl = Kubectl(bins.kubectl, paths.kubeconfig)
    docs = controlplane.kwok_docs(paths, bins)
    key = controlplane.digest(docs)
    state = paths.read_state()
    if state.get("kwok_digest") == key and paths.kubeconfig.exists() and controlplane.healthy(kubectl):
        print("control plane: running, reused")
    else:
        if procs.ours(paths.root) or controlplane.workdir(paths).exists():
            print("control plane: not healthy or its configuration changed; restarting it")
            down(paths, quiet=True)
        # A new cluster has new pods: keep the last cluster's logs beside, start the pods' logs afresh.
        shutil.rmtree(paths.root / "logs.previous", ignore_errors=True)
        if paths.logs.exists():
            paths.logs.rename(paths.root / "logs.previous")
        docs = controlplane.kwok_docs(paths, bins)
        controlplane.create(paths, bins, docs)
        paths.write_state(kwok_digest=key, kwokctl=str(bins.kwokctl), pids={}, olm_crds=None)
        print(f"control plane: started in {time.monotonic() - start:.1f}s")
    paths.bin.mkdir(exist_ok=True)
    link = paths.bin / "kubectl"
    if not link.is_symlink() or link.resolve() != bins.kubectl.resolve():
        link.unlink(missing_ok=True)
        link.symlink_to(bins.kubectl)
    controlplane.ensure_nodes(kubectl)
    controlplane.ensure_olm_crds(kubectl, paths)
    controlplane.ensure_previous_logs(paths, kubectl)
    if olm:
        olmstack.Stack(paths, kubectl).ensure()
        print("OLM: olm-operator, catalog-operator and CatalogSource olm/olm-gather-test ready")
    print(f"ready in {time.monotonic() - start:.1f}s: export KUBECONFIG={paths.kubeconfig}; kubectl: {link}")


def down(paths: Paths, *, quiet: bool = False) -> None:
    state = paths.read_state()
    kwokctl = state.get("kwokctl")
    found = len(procs.ours(paths.root))
    controlplane.delete(paths, Path(kwokctl) if kwokctl else None)
    left = procs.stop_all(paths.root)
    if left:
        listing = "; ".join(f"{pid} {cmd[:80]}" for pid, cmd in left.items())
        raise ClusterError(f"processes still running after SIGKILL: {listing}")
    paths.write_state(pids={}, kwok_digest=None, catalog_digest=None, olm_crds=None)
    if not quiet:
        print(f"stopped {found} processes; none of ours is left running")


def status(paths: Paths) -> int:
    running = procs.ours(paths.root)
    for pid, cmd in sorted(running.items()):
        print(f"{pid:>8}  {cmd[:150]}")
    if not running:
        print("no process of the local cluster is running (start it with `make cluster`)")
        return 1
    state = paths.read_state()
    kubectl_path = paths.bin / "kubectl"
    if not kubectl_path.exists() or not paths.kubeconfig.exists():
        print("control plane: no kubeconfig (run `make cluster`)")
        return 1
    kubectl = Kubectl(kubectl_path, paths.kubeconfig)
    if not controlplane.healthy(kubectl):
        print("control plane: not answering /readyz (run `make cluster-down && make cluster`)")
        return 1
    print(f"control plane: ready; KUBECONFIG={paths.kubeconfig}")
    print(kubectl.run("get", "nodes", "-o", "wide").rstrip())
    ports = state.get("ports", {})
    for name in ("olm-operator", "catalog-operator"):
        if name in state.get("pids", {}):
            health = "healthy" if olmstack.healthz(ports.get(name, 0)) else "NOT answering /healthz"
            print(f"{name}: {health} (127.0.0.1:{ports.get(name)})")
    if "previous-logs" in state.get("pids", {}):
        running = procs.Services(paths).running("previous-logs")
        print(f"previous-logs controller: {'running' if running else 'NOT running'}")
    if "opm" in state.get("pids", {}):
        print(f"opm serve: {'listening' if procs.port_open(ports.get('opm', 0)) else 'NOT listening'}")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="cluster.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    up_parser = sub.add_parser("up", help="start or reuse the cluster")
    up_parser.add_argument("--olm", action="store_true", help="also run OLM and serve the test catalog")
    sub.add_parser("down", help="stop every process of the cluster")
    sub.add_parser("status", help="show what runs")
    args = parser.parse_args(argv)
    paths = default_paths()
    paths.root.mkdir(parents=True, exist_ok=True)
    try:
        if args.command == "status":
            return status(paths)
        # One up or down at a time per checkout (a test session may call up while a shell does).
        with (paths.root / "lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if args.command == "up":
                up(paths, olm=args.olm)
            else:
                down(paths)
    except ClusterError as e:
        print(f"cluster.py {args.command}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
