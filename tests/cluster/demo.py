"""make demo: on the local cluster with real OLM (already up), install three test operators through real
Subscriptions (one healthy, one whose Deployment never becomes ready, one that cannot resolve), wait for OLM to
settle them, then run olm-gather as a user would and show its summary and report."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1].parent
sys.path.insert(0, str(REPO))

from tests.e2e.kapi import Api  # noqa: E402

KUBECONFIG = str(Path(os.environ.get("OLM_GATHER_CLUSTER_DIR", REPO / ".cluster")) / "kubeconfig")
OLM = "operators.coreos.com/v1alpha1"
DEMO = [
    # namespace, package, channel, what it shows
    ("demo-healthy", "ogt-alpha", "stable", "a healthy install"),
    ("demo-broken", "ogt-never-ready", "stable", "a Deployment that never becomes ready (CSV Failed)"),
    ("demo-unresolvable", "ogt-beta", "no-such-channel", "a Subscription that cannot resolve"),
]


def ensure(api: Api, obj: dict) -> None:
    try:
        api.create(obj)
    except RuntimeError as e:
        if " 409 " not in str(e):
            raise


def settled(api: Api, ns: str, package: str) -> bool:
    sub = api.get(OLM, "Subscription", package, ns).get("status", {})
    if any(c.get("type") == "ResolutionFailed" and c.get("status") == "True" for c in sub.get("conditions", [])):
        return True
    csv = sub.get("installedCSV")
    return bool(csv) and api.get(OLM, "ClusterServiceVersion", csv, ns).get("status", {}).get("phase") in (
        "Succeeded",
        "Failed",
    )


def main() -> int:
    api = Api(KUBECONFIG)
    for ns, package, channel, what in DEMO:
        print(f"installing {package} into {ns}: {what}")
        ensure(api, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        ensure(
            api,
            {
                "apiVersion": "operators.coreos.com/v1",
                "kind": "OperatorGroup",
                "metadata": {"name": "demo", "namespace": ns},
                "spec": {"targetNamespaces": [ns]},
            },
        )
        ensure(
            api,
            {
                "apiVersion": OLM,
                "kind": "Subscription",
                "metadata": {"name": package, "namespace": ns},
                "spec": {"name": package, "channel": channel, "source": "olm-gather-test", "sourceNamespace": "olm"},
            },
        )
    start = time.monotonic()
    for ns, package, _, _ in DEMO:
        api.wait(f"OLM to settle {package} in {ns}", lambda ns=ns, p=package: settled(api, ns, p), timeout=180)
    print(f"OLM settled all three in {time.monotonic() - start:.0f}s; now gathering:\n")
    api.close()
    out = REPO / f"must-gather.local.demo-{time.strftime('%Y%m%d%H%M%S')}"
    olm_gather = Path(sys.executable).parent / "olm-gather"
    command = [str(olm_gather), "--kubeconfig", KUBECONFIG, "-o", str(out)]
    print("$ " + " ".join([*command[:1], "--kubeconfig", ".cluster/kubeconfig", "-o", out.name]), flush=True)
    code = subprocess.call(command, env=dict(os.environ))
    print(f"\nopen {out / 'report.html'} in a browser, or run: olm-gather analyze {out.name}")
    return 0 if code in (0, 1) else code


if __name__ == "__main__":
    raise SystemExit(main())
