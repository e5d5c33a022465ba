"""How fast olm-gather gathers from a far cluster, next to what a support engineer would use instead (make bench).

First, olm-gather's own source is compiled to bytecode (it is installed editable, so no installer did; a user's
`pip install` does), and PYTHONDONTWRITEBYTECODE, set in this machine's shell, is left out of every tool's
environment: a user's start is measured, not one that recompiles every module. Near the top, one line:

  start: olm-gather's first request after X.XXX s (median of 7), --version in Y.YYY s; target under 0.25 s

the time from starting olm-gather to its first request (to a local server that answers 403, no proxy, no cluster)
and the wall time of `olm-gather --version` (bench/ttfr.py has the details); issue 12 wants the first under 0.25 s.

The cluster is the OLM-less local one (a real kube-apiserver and kube-controller-manager, kwok nodes that run the
pods and serve their logs) with OLM objects written by hand (bench/scenario.py, built from tests/e2e/handmade.py):
real OLM cannot install 100 operators here in reasonable time (each install is a catalog resolution, a bundle
unpack Job and an InstallPlan run, minutes apiece on this 2-core machine), and the gather only reads what OLM
wrote, which is the same whoever wrote it. Scenarios (bench/scenario.py has the details):

  A  20 operators in 10 namespaces, 200 unrelated ConfigMaps in each (the one of issue 12)
  B  100 operators in 50 namespaces, 5,000 unrelated ConfigMaps and Secrets, ~1 MiB of the operators' logs

Every tool reaches the API server through bench/latency_proxy.py, which adds --rtt-ms (25) to each request and
counts requests and the most in flight. The tools, interleaved round-robin for --rounds (3) rounds, medians shown
(a tool whose first run took over a minute, the kubectl script on B, runs --slow-rounds (1) times: 3 would add
~7 minutes to `make bench` here):

  olm-gather             all Subscriptions, --concurrency 16, its own CLI in a subprocess
  kubectl script         bench/kubectl_gather.sh: per namespace, the OLM and step kinds as lists, every pod's logs
  cluster-info dump      kubectl cluster-info dump --namespaces <the operator namespaces> --output-directory

Each tool's peak RSS is its process tree's largest (os.wait4's ru_maxrss, taken by bench/spawn.py, a small
process, since a child started from this one would be charged this one's peak), MiB written is the size of
what it left in its output directory, a fresh one per run in /dev/shm when the machine has it (`scratch_root`
says why) and removed after the run. Then the ratio of each peer's seconds to olm-gather's, and olm-gather's distance to the bound
`requests / concurrency x RTT` (the time its requests need at --concurrency in flight if nothing else took
any). Last, one package alone (-p -n) on the largest scenario, then again once the unrelated objects and
namespaces are multiplied by --noise-factor (3 by default, to keep `make bench` near 10 minutes; the issue's
10 takes ~5 minutes more to create, once with --keep): the ratio of requests should be 1.00. --breakdown shows
olm-gather's requests by kind, as the proxy saw them.

The cluster is made once: objects live in `bench-*` namespaces (cluster-scoped ones labelled
olm-gather.bench=true), a second run reuses what is there, and all of it is deleted at the end unless --keep
(a kept cluster keeps its larger noise: the header of each table says how much is present). Progress goes to
stderr, figures to stdout. Nothing about time is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

from tests.e2e.kapi import Api

import scenario as sc
import ttfr
from latency_proxy import LatencyProxy, Request, breakdown, bytes_by_kind

REPO = Path(__file__).resolve().parents[1]
CLUSTER_DIR = REPO / ".cluster" / "plain"  # the OLM-less cluster `make bench` starts; never the OLM one
KUBECONFIG = os.environ.get("OLM_GATHER_TEST_PLAIN_KUBECONFIG") or str(CLUSTER_DIR / "kubeconfig")
OLM_GATHER = REPO / ".venv" / "bin" / "olm-gather"
SPAWN = REPO / "bench" / "spawn.py"  # starts and times each tool, and takes its peak RSS with os.wait4
CONCURRENCY = 16
SLOW_SECONDS = 60.0


@dataclasses.dataclass
class Measure:
    seconds: float
    requests: int
    peak_in_flight: int
    rss_mib: float
    written_mib: float
    exit_code: int
    log: list[Request]
    summary: dict[str, object]


@dataclasses.dataclass(frozen=True)
class Tool:
    name: str
    command: Callable[[Path], list[str]]  # given the output directory
    env: dict[str, str] = dataclasses.field(default_factory=dict)


def scratch_root() -> str | None:
    """Where the tools write: a tmpfs when this machine has one (/dev/shm), else the temporary folder. This
    machine's disk is ext4 without a journal, whose inode allocator skips the inodes deleted in the last minute or
    more (recently_deleted): after the previous tool's output was removed, creating files cost a gather of scenario
    A 190 ms of CPU instead of 30 (perf), which would measure the order of the tools, not the tools."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK) else None


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rtt = args.rtt_ms / 1000
        self.api = Api(KUBECONFIG)
        self.builder = sc.Builder(self.api, CLUSTER_DIR / "bench")
        self.proxy = LatencyProxy(KUBECONFIG, latency=self.rtt)
        self.kubectl = str(CLUSTER_DIR / "bin" / "kubectl") if (CLUSTER_DIR / "bin" / "kubectl").exists() else "kubectl"
        self.scratch = Path(tempfile.mkdtemp(prefix="olm-gather-bench-", dir=scratch_root()))
        self.olm_flags = self._olm_gather_flags()

    def close(self) -> None:
        self.proxy.close()
        self.builder.close()
        shutil.rmtree(self.scratch, ignore_errors=True)

    def _olm_gather_flags(self) -> list[str]:
        """--concurrency when the CLI has it (else its default, 16), and whatever turns the analysis off."""
        text = subprocess.run(
            [str(OLM_GATHER), "--help"], capture_output=True, text=True, check=True, env=ttfr.user_env()
        ).stdout
        flags = ["--concurrency", str(CONCURRENCY)] if "--concurrency" in text else []
        flags += [f for f in ("--no-analysis", "--no-analyze", "--no-report", "--skip-analysis") if f in text][:1]
        return flags

    # --- tools ---------------------------------------------------------------------------------------------------

    def olm_gather(self, *extra: str) -> Tool:
        kubeconfig = str(self.proxy.kubeconfig)
        flags = [*self.olm_flags, *extra]
        return Tool(
            "olm-gather" + (" " + " ".join(extra) if extra else ""),
            lambda out: [str(OLM_GATHER), "--kubeconfig", kubeconfig, "-o", str(out), "--format", "json", *flags],
        )

    def peers(self, namespaces: list[str]) -> list[Tool]:
        kubeconfig = str(self.proxy.kubeconfig)
        script = str(REPO / "bench" / "kubectl_gather.sh")
        env = {"KUBECTL": self.kubectl, "KUBECONFIG": kubeconfig}
        return [
            Tool("kubectl script", lambda out: ["bash", script, str(out), *namespaces], env),
            Tool(
                "kubectl cluster-info dump",
                lambda out: [
                    self.kubectl,
                    "--kubeconfig",
                    kubeconfig,
                    "cluster-info",
                    "dump",
                    "--namespaces",
                    ",".join(namespaces),
                    "--output-directory",
                    str(out),
                ],
                env,
            ),
        ]

    def run(self, tool: Tool) -> Measure:
        """Runs a tool once through the proxy, in a fresh output directory and a fresh kubectl cache."""
        work = Path(tempfile.mkdtemp(dir=self.scratch))
        out = work / "out"
        env = {**ttfr.user_env(), **tool.env, "KUBECACHEDIR": str(work / "kube-cache")}
        report = work / "spawn.json"
        self.proxy.reset()
        with (work / "stdout").open("wb") as stdout, (work / "stderr").open("wb") as stderr:
            subprocess.run(
                [sys.executable, "-S", str(SPAWN), str(report), *tool.command(out)],
                stdout=stdout,
                stderr=stderr,
                env=env,
                cwd=work,
                check=True,
            )
        counts = self.proxy.counts()
        spawned = json.loads(report.read_text())
        seconds, exit_code = float(spawned["seconds"]), int(spawned["exit_code"])
        written = sum(p.stat().st_size for p in out.rglob("*") if p.is_file() and not p.is_symlink())
        summary: dict[str, object] = {}
        with contextlib.suppress(ValueError):
            summary = json.loads((work / "stdout").read_text() or "{}")
        if exit_code != 0:
            tail = (work / "stderr").read_text(errors="replace").strip().splitlines()[-3:]
            sc.progress(f"  {tool.name} exited {exit_code}: {' | '.join(tail)}")
        shutil.rmtree(work, ignore_errors=True)
        m = Measure(
            seconds=seconds,
            requests=counts.requests,
            peak_in_flight=counts.peak_in_flight,
            rss_mib=int(spawned["maxrss_kib"]) / 1024,
            written_mib=written / 2**20,
            exit_code=exit_code,
            log=counts.log,
            summary=summary if isinstance(summary, dict) else {},
        )
        sc.progress(
            f"  {tool.name}: {m.seconds:.2f}s, {m.requests} requests, {m.peak_in_flight} in flight,"
            f" {m.rss_mib:.0f} MiB RSS, {m.written_mib:.1f} MiB written"
        )
        return m

    def rounds(self, tools: list[Tool]) -> dict[str, list[Measure]]:
        """Each tool once per round, the order rotating from round to round; a tool whose first run took over
        SLOW_SECONDS stops after --slow-rounds runs."""
        results: dict[str, list[Measure]] = {t.name: [] for t in tools}
        for r in range(self.args.rounds):
            sc.progress(f"round {r + 1}/{self.args.rounds}")
            for i in range(len(tools)):
                tool = tools[(i + r) % len(tools)]
                done = results[tool.name]
                if done and done[0].seconds > SLOW_SECONDS and len(done) >= self.args.slow_rounds:
                    continue
                done.append(self.run(tool))
        return results

    # --- the cluster ---------------------------------------------------------------------------------------------

    def ensure(self, scenario: sc.Scenario, factor: int = 1) -> float:
        """Makes the cluster hold the scenario (and `factor` times its noise); only its operators subscribed.
        Returns the seconds the unrelated objects took to create."""
        b = self.builder
        b.catalog()
        b.operators(scenario)
        b.api_roles(scenario)
        seconds = b.noise(scenario.noise(factor), scenario.more_namespaces(factor))
        b.pods_and_logs(scenario)
        b.refresh_events(scenario)
        b.subscribe(scenario.operators)
        crd_path = self.api.resource("apiextensions.k8s.io/v1", "CustomResourceDefinition").path()

        def established() -> bool:
            crds = list(self.api.kube.list(crd_path, label_selector=sc.LABEL))
            return all(
                any(
                    c["type"] == "Established" and c["status"] == "True"
                    for c in crd.get("status", {}).get("conditions", [])
                )
                for crd in crds
            )

        self.api.wait("the operators' CRDs established", established, timeout=120)
        return seconds

    def present(self) -> str:
        """What the cluster holds now: bench namespaces, unrelated objects, and Subscriptions not the bench's."""
        ns_path = self.api.resource("v1", "Namespace").path()
        namespaces = list(self.api.kube.list(ns_path, label_selector=sc.LABEL, metadata_only=True))
        unrelated = 0
        for n in namespaces:
            marks = n["metadata"].get("annotations", {}).get(sc.MARK, "").split(",")
            counts = [tuple(map(int, m[5:].split("+"))) for m in marks if m.startswith("noise")]
            unrelated += sum(max(counts, default=(0, 0)))
        sub_path = self.api.resource(sc.OLM, "Subscription").path()
        subs = list(self.api.kube.list(sub_path, metadata_only=True))
        others = [s for s in subs if not s["metadata"]["namespace"].startswith("bench-")]
        line = f"cluster now: {len(namespaces)} bench namespaces, {unrelated:,} unrelated objects in them"
        if others:
            line += f"; also {len(others)} Subscriptions outside bench-* (other tests), which olm-gather gathers too"
        return line


# --- printing --------------------------------------------------------------------------------------------------


def table(results: dict[str, list[Measure]]) -> list[str]:
    lines = [
        "| tool | seconds | requests | peak in flight | peak RSS MiB | MiB written |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for name, ms in results.items():
        runs = (
            f" ({len(ms)} run{'s' if len(ms) > 1 else ''})" if len(ms) < max(len(v) for v in results.values()) else ""
        )
        lines.append(
            f"| {name}{runs} | {median([m.seconds for m in ms]):.2f} | {median([m.requests for m in ms]):.0f}"
            f" | {median([m.peak_in_flight for m in ms]):.0f} | {median([m.rss_mib for m in ms]):.0f}"
            f" | {median([m.written_mib for m in ms]):.1f} |"
        )
    return lines


def gathered(ms: list[Measure]) -> str:
    counts = [m.summary.get("counts") for m in ms]
    objects = [float(c.get("objects", 0)) for c in counts if isinstance(c, dict)]
    logs = [float(c.get("logs", 0)) for c in counts if isinstance(c, dict)]
    if not objects:
        return "olm-gather printed no JSON summary"
    requests = median([m.requests for m in ms])
    return (
        f"olm-gather gathered {median(objects):.0f} objects and {median(logs):.0f} logs:"
        f" {requests / max(median(objects), 1):.2f} requests per gathered object"
    )


def print_breakdown(columns: dict[str, list[Request]]) -> None:
    counted = {name: breakdown(log) for name, log in columns.items()}
    sent = {name: bytes_by_kind(log) for name, log in columns.items()}
    kinds = sorted(
        {k for c in counted.values() for k in c}, key=lambda k: (-max(c.get(k, 0) for c in counted.values()), k)
    )
    width = max(len(k) for k in kinds) if kinds else 10
    print()
    print("olm-gather's requests by kind, and the MiB answered to them (one run each, as the proxy saw them;")
    print("ns = namespaced, meta = metadata only, sel = label/field selector, page2+ = a continued list):")
    print(f"{'':<{width}}" + "".join(f"  {n:>18}" for n in columns))
    for k in kinds:
        cells = [f"{counted[n].get(k, 0)} {sent[n].get(k, 0) / 2**20:>6.2f}M" for n in columns]
        print(f"{k:<{width}}" + "".join(f"  {c:>18}" for c in cells))
    totals = [f"{sum(counted[n].values())} {sum(sent[n].values()) / 2**20:>6.2f}M" for n in columns]
    print(f"{'total':<{width}}" + "".join(f"  {c:>18}" for c in totals))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of every tool (default 3)")
    parser.add_argument("--rtt-ms", type=float, default=25.0, help="latency the proxy adds per request (default 25)")
    parser.add_argument("--scenarios", default="A,B", help="comma-separated, of A and B (default A,B)")
    parser.add_argument(
        "--noise-factor",
        type=int,
        default=3,
        help="the one-package check is repeated with this many times the unrelated objects and namespaces"
        " (default 3: 10 adds 45,000 objects and 540 namespaces, ~5 min to create here, reused with --keep; 1 skips it)",
    )
    parser.add_argument(
        "--slow-rounds",
        type=int,
        default=1,
        help=f"runs of a tool whose first run took over {SLOW_SECONDS:.0f}s (default 1: the kubectl script on B;"
        " --slow-rounds 3 with --rounds 3 runs it every round, ~7 minutes more)",
    )
    parser.add_argument("--keep", action="store_true", help="do not delete what the benchmark created")
    parser.add_argument("--breakdown", action="store_true", help="olm-gather's requests by kind, per measurement")
    args = parser.parse_args()
    names = [s.strip().upper() for s in args.scenarios.split(",") if s.strip()]
    unknown = [n for n in names if n not in sc.SCENARIOS]
    if unknown or not names:
        parser.error(f"unknown scenario {','.join(unknown)}: choose from {','.join(sc.SCENARIOS)}")
    scenarios = sorted((sc.SCENARIOS[n] for n in set(names)), key=lambda s: s.namespaces)  # each grows the last

    started = time.monotonic()
    ttfr.compile_source()  # before anything runs olm-gather
    sc.progress(f"olm-gather's start: {ttfr.RUNS} runs to a local server that answers 403")
    start = ttfr.measure(ttfr.RUNS)  # before the proxy and the cluster client exist: nothing else running
    bench = Bench(args)
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    version = subprocess.run(
        [str(OLM_GATHER), "--version"], capture_output=True, text=True, check=False, env=ttfr.user_env()
    ).stdout.strip()
    print(
        f"olm-gather benchmark: {version}; {os.cpu_count()} CPUs ({cpu}); RTT {args.rtt_ms:g} ms added per request;"
        f" median of {args.rounds} interleaved rounds"
    )
    print(f"olm-gather flags: {' '.join(bench.olm_flags) or '(none: its default concurrency is 16)'}")
    print(f"outputs written under {bench.scratch.parent}")
    print(start.line())
    sys.stdout.flush()
    columns: dict[str, list[Request]] = {}
    try:
        for s in scenarios:
            sc.progress(f"scenario {s.name}: {s.describe()}")
            bench.ensure(s)
            tools = [bench.olm_gather(), *bench.peers(s.operator_namespaces)]
            sc.progress(f"scenario {s.name}: gathering")
            results = bench.rounds(tools)
            ours = results[tools[0].name]
            seconds, requests = median([m.seconds for m in ours]), median([m.requests for m in ours])
            print()
            print(f"scenario {s.name}: {s.describe()}")
            print(bench.present())
            print()
            print("\n".join(table(results)))
            print()
            for peer in tools[1:]:
                ratio = median([m.seconds for m in results[peer.name]]) / seconds
                print(f"{peer.name} / olm-gather: {ratio:.1f}x (peer seconds / olm-gather seconds)")
            bound = requests / CONCURRENCY * bench.rtt
            print(
                f"bound: {requests:.0f} requests / {CONCURRENCY} in flight x {args.rtt_ms:g} ms = {bound:.2f}s;"
                f" olm-gather takes {seconds / bound:.2f}x its bound"
            )
            print(gathered(ours))
            sys.stdout.flush()
            columns[f"{s.name} all"] = ours[-1].log

        s = scenarios[-1]
        op = s.operators[0]
        one = bench.olm_gather("-p", op.package, "-n", op.namespace)
        sc.progress(f"one package ({op.package} in {op.namespace}) on scenario {s.name}")
        base = [bench.run(one) for _ in range(args.rounds)]
        columns[f"{s.name} 1 pkg"] = base[-1].log
        rows = [(f"scenario {s.name}", s.describe(), base)]
        if args.noise_factor > 1:
            sc.progress(f"scenario {s.name} with {args.noise_factor}x the noise: {s.describe(args.noise_factor)}")
            created = time.monotonic()
            object_seconds = bench.ensure(s, args.noise_factor)
            sc.progress(
                f"{args.noise_factor}x noise ready in {time.monotonic() - created:.0f}s"
                f" ({object_seconds:.0f}s for the objects)"
            )
            noisy = [bench.run(one) for _ in range(args.rounds)]
            columns[f"{s.name} x{args.noise_factor} 1 pkg"] = noisy[-1].log
            rows.append((f"scenario {s.name}, noise x{args.noise_factor}", s.describe(args.noise_factor), noisy))
        print()
        print(f"one package alone: olm-gather -p {op.package} -n {op.namespace} (median of {args.rounds})")
        print(bench.present())
        print()
        print("| cluster | seconds | requests | objects gathered | peak RSS MiB | MiB written |")
        print("|---|--:|--:|--:|--:|--:|")
        for label, what, ms in rows:
            objects = [float(c.get("objects", 0)) for m in ms if isinstance(c := m.summary.get("counts"), dict) and c]
            print(
                f"| {label} ({what}) | {median([m.seconds for m in ms]):.2f} | {median([m.requests for m in ms]):.0f}"
                f" | {median(objects):.0f} | {median([m.rss_mib for m in ms]):.0f}"
                f" | {median([m.written_mib for m in ms]):.1f} |"
            )
        if len(rows) > 1:
            ratio = median([m.requests for m in rows[1][2]]) / median([m.requests for m in rows[0][2]])
            print(f"requests with {args.noise_factor}x the noise / requests without: {ratio:.2f} (1.00 = O(selected))")
        if args.breakdown:
            print_breakdown(columns)
    finally:
        bench.close()
        if not args.keep:
            sc.progress("removing what the benchmark created (--keep keeps it)")
            sc.remove(bench.api)
        bench.api.close()
    print()
    print(f"whole benchmark: {time.monotonic() - started:.0f}s wall")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
