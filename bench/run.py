"""Benchmarks of olm-gather against the real local API server (make bench). Prints figures and ratios; asserts
nothing about time.

It grows the cluster (copies of the hand-made OLM scenario: 3 operators in 2 namespaces each, with noise), and for
each size gathers everything with concurrency 1 and 16, and one package alone, reporting wall time, requests,
objects, bytes written and peak Python memory. The ratios show what concurrency buys, that requests grow with
what is gathered rather than with the cluster, and that memory stays flat.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from tests.e2e import handmade
from tests.e2e.kapi import Api

import olm_gather

# The hand-made scenario needs a cluster with OLM's CRDs but not its controllers (make bench starts one).
KUBECONFIG = os.environ.get("OLM_GATHER_TEST_PLAIN_KUBECONFIG") or os.path.join(
    os.path.dirname(__file__), "..", ".cluster", "plain", "kubeconfig"
)


def gather(*, concurrency: int, package: str = "", namespace: str = "") -> dict[str, float]:
    writer = olm_gather.MemoryWriter()
    tracemalloc.start()
    start = time.perf_counter()
    result = olm_gather.new(
        kubeconfig=KUBECONFIG,
        writer=writer,
        concurrency=concurrency,
        package=package,
        namespace=namespace,
        analyze=False,
    ).inspect()
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    written = sum(len(v) for v in writer.files.values())
    # The in-memory writer holds the output itself; subtract it to see the gatherer's own peak.
    return {
        "seconds": seconds,
        "requests": result.requests,
        "objects": len(result.objects),
        "logs": len(result.logs),
        "mib": written / 2**20,
        "peak_mib": max(0.0, (peak - written) / 2**20),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1,4", help="scenario copies per step (default 1,4)")
    args = parser.parse_args()
    api = Api(KUBECONFIG)
    made: list[handmade.Scenario] = []
    rows = []
    try:
        for size in (int(s) for s in args.sizes.split(",")):
            while len(made) < size:
                made.append(handmade.create(api))
            for s in made:
                api.wait(
                    "operators available",
                    lambda s=s: (
                        api.get("apps/v1", "Deployment", "alpha-operator", s.ns_a)
                        .get("status", {})
                        .get("availableReplicas")
                    ),
                    timeout=120,
                )
            gather(concurrency=16)  # warm discovery caches on the server side
            serial = gather(concurrency=1)
            parallel = gather(concurrency=16)
            one = gather(concurrency=16, package="alpha", namespace=made[0].ns_a)
            rows.append((size, serial, parallel, one))
    finally:
        for s in made:
            for ns in (s.ns_a, s.ns_b):
                api.delete("v1", "Namespace", ns)
        api.close()

    print(
        f"{'copies':>6} {'mode':<12} {'seconds':>8} {'requests':>8} {'objects':>8} {'logs':>5} {'MiB out':>8} {'peak MiB':>8}"
    )
    for size, serial, parallel, one in rows:
        for mode, r in (("all, 1 conn", serial), ("all, 16", parallel), ("1 package", one)):
            print(
                f"{size:>6} {mode:<12} {r['seconds']:>8.2f} {r['requests']:>8.0f} {r['objects']:>8.0f} {r['logs']:>5.0f}"
                f" {r['mib']:>8.2f} {r['peak_mib']:>8.2f}"
            )
    print()
    for size, serial, parallel, one in rows:
        print(
            f"copies={size}: concurrency speed-up {serial['seconds'] / parallel['seconds']:.2f}x; "
            f"requests per gathered object {parallel['requests'] / parallel['objects']:.2f}; "
            f"one package costs {one['requests'] / parallel['requests']:.2f} of the requests of all"
        )
    if len(rows) > 1:
        (s0, _, p0, o0), (s1, _, p1, o1) = rows[0], rows[-1]
        print(
            f"growth x{s1 / s0:.0f}: objects x{p1['objects'] / p0['objects']:.2f}, requests x{p1['requests'] / p0['requests']:.2f}, "
            f"time x{p1['seconds'] / p0['seconds']:.2f}, peak memory x{p1['peak_mib'] / max(p0['peak_mib'], 1e-6):.2f}; "
            f"one-package requests x{o1['requests'] / o0['requests']:.2f} (flat = independent of cluster size)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
