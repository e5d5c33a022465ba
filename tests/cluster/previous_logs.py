"""Usage: previous_logs.py KUBECTL KUBECONFIG CURRENT_LOG PREVIOUS_LOG

Gives crash-looping pods a previous container log, as the kubelet keeps the log of a container's last run.
kwok selects log files by pod name only (its `Logs` objects) or by pod name, namespace and container name
(`ClusterLogs`), never by label, and must not serve a previous log for pods that never restarted (a real
kubelet answers 400 there). So this small controller watches pods labelled olm-gather.test/fault=crashloop and
creates a `Logs` object for each (owned by the pod, so it goes with it): `kubectl logs --previous` then prints
PREVIOUS_LOG. Run by cluster.py next to the control plane, under supervise.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

SELECTOR = "olm-gather.test/fault=crashloop"


def watch(kubectl: list[str]) -> Iterator[dict[str, Any]]:
    """Pods matching SELECTOR as kubectl's watch prints them (a stream of JSON objects)."""
    args = [*kubectl, "get", "pods", "-A", "-l", SELECTOR, "--watch", "-o", "json"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    decoder, buffer = json.JSONDecoder(), ""
    for line in proc.stdout:
        buffer += line
        while buffer.strip():
            try:
                obj, end = decoder.raw_decode(buffer.lstrip())
            except ValueError:
                break  # an incomplete object: read on
            buffer = buffer.lstrip()[end:]
            yield obj
    sys.exit(f"previous_logs.py: kubectl watch ended with {proc.wait()}")


def logs_for(pod: dict[str, Any], current: str, previous: str) -> dict[str, Any]:
    meta = pod["metadata"]
    owner = {"apiVersion": "v1", "kind": "Pod", "name": meta["name"], "uid": meta["uid"]}
    return {
        "apiVersion": "kwok.x-k8s.io/v1alpha1",
        "kind": "Logs",
        "metadata": {"name": meta["name"], "namespace": meta["namespace"], "ownerReferences": [owner]},
        "spec": {"logs": [{"logsFile": current, "previousLogsFile": previous, "follow": True}]},
    }


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 2
    kubectl_bin, kubeconfig, current, previous = argv
    kubectl = [kubectl_bin, "--kubeconfig", kubeconfig]
    done: set[str] = set()
    for pod in watch(kubectl):
        meta = pod["metadata"]
        if meta["uid"] in done or meta.get("deletionTimestamp"):
            continue
        body = json.dumps(logs_for(pod, current, previous))
        proc = subprocess.run([*kubectl, "apply", "-f", "-"], input=body, capture_output=True, text=True, check=False)
        if proc.returncode == 0:
            done.add(meta["uid"])
        print(f"{meta['namespace']}/{meta['name']}: {(proc.stdout or proc.stderr).strip()}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
