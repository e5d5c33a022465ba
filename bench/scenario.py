"""The benchmark's clusters, written straight to the OLM-less local cluster the way tests/e2e/handmade.py writes
its scenario (same building blocks): N operators, two per namespace, each with what OLM would have made for it
(Subscription, InstallPlan with steps, CSV, CRD, RBAC, Service, ConfigMap, cert Secret, OperatorCondition,
Operator, Events, a Deployment that kwok runs, ~10 KiB of its pod's logs), plus unrelated ConfigMaps and Secrets.

Everything lives in namespaces named `bench-...` and carries the label `olm-gather.bench=true` (cluster-scoped
objects too), so `remove` finds it all. Each part is made once and marked done on its namespace; a second run
finds the marks and only fills in what is missing.

The layers grow into each other, so that a run goes A -> B -> B with more noise without deleting anything:
  A   operators in bench-op-00..09 (20), 200 unrelated ConfigMaps in each of those namespaces
  B   operators in bench-op-00..49 (100); unrelated: A's 2,000 + 25 ConfigMaps and 25 Secrets in each of
      bench-op-10..49 + 50 ConfigMaps and 50 Secrets in each of bench-noise-00..09 = 5,000
  xF  every count of unrelated objects multiplied by F, and (F-1) x 60 more namespaces (bench-more-NNN), so the
      cluster has F times the unrelated objects and namespaces of B
Which operators a gather sees is chosen by their Subscriptions (and InstallPlans) alone: `subscribe` creates
them for the operators of one scenario and deletes the others', leaving the rest of each operator in place (as
OLM leaves a CSV whose Subscription was deleted).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import functools
import os
import sys
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "cluster"))

from previous_logs import logs_for
from tests.e2e import handmade
from tests.e2e.handmade import NOW, OLM, _meta, _owner, _pod_template, step
from tests.e2e.kapi import Api

LABEL = "olm-gather.bench"
MARK = "olm-gather.bench/made"  # namespace annotation: which parts are complete in it
CATALOG_NS, CATALOG = "bench-olm", "bench-catalog"
PER_NAMESPACE = 2
LOG_BYTES_TOTAL = 2**20  # over scenario B's 100 operator pods
B_NAMESPACES = 50
THREADS = 16


def progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclasses.dataclass(frozen=True)
class Operator:
    namespace: str
    package: str

    @property
    def csv(self) -> str:
        return f"{self.package}.v1.0.0"

    @property
    def group(self) -> str:
        return f"{self.package}.bench.example.com"

    @property
    def crd(self) -> str:
        return f"widgets.{self.group}"


@dataclasses.dataclass(frozen=True)
class Scenario:
    name: str
    namespaces: int  # bench-op-00.. with PER_NAMESPACE operators each

    @property
    def operator_namespaces(self) -> list[str]:
        return [op_namespace(i) for i in range(self.namespaces)]

    @property
    def operators(self) -> list[Operator]:
        return [
            Operator(op_namespace(i), f"bench-pkg-{i:02d}-{j}")
            for i in range(self.namespaces)
            for j in range(PER_NAMESPACE)
        ]

    def noise(self, factor: int = 1) -> dict[str, tuple[int, int]]:
        """Unrelated (ConfigMaps, Secrets) per namespace."""
        plan = {op_namespace(i): (200 * factor, 0) for i in range(min(self.namespaces, 10))}
        if self.namespaces > 10:
            plan.update({op_namespace(i): (25 * factor, 25 * factor) for i in range(10, self.namespaces)})
            plan.update({f"bench-noise-{i:02d}": (50 * factor, 50 * factor) for i in range(10)})
        return plan

    def more_namespaces(self, factor: int) -> list[str]:
        return [f"bench-more-{i:03d}" for i in range((factor - 1) * len(self.bench_namespaces))]

    @property
    def bench_namespaces(self) -> list[str]:
        """The namespaces of operators and of noise (not the catalog's)."""
        return list(dict.fromkeys([*self.operator_namespaces, *self.noise()]))

    def describe(self, factor: int = 1) -> str:
        objects = sum(a + b for a, b in self.noise(factor).values())
        noisy = len(self.bench_namespaces) + len(self.more_namespaces(factor))
        return (
            f"{len(self.operators)} operators in {self.namespaces} namespaces, {objects:,} unrelated objects"
            f" ({noisy} bench namespaces), {log_bytes_per_pod() * len(self.operators) / 2**20:.1f} MiB of logs"
        )


SCENARIOS = {"A": Scenario("A", 10), "B": Scenario("B", B_NAMESPACES)}


def op_namespace(i: int) -> str:
    return f"bench-op-{i:02d}"


def log_bytes_per_pod() -> int:
    return LOG_BYTES_TOTAL // (B_NAMESPACES * PER_NAMESPACE)


def labelled(obj: dict[str, Any], **labels: str) -> dict[str, Any]:
    obj["metadata"].setdefault("labels", {}).update({LABEL: "true", **labels})
    return obj


class Builder:
    """Creates what is missing, concurrently (THREADS requests at a time), on the real API server."""

    def __init__(self, api: Api, log_dir: Path) -> None:
        self.api = api
        self.log_dir = log_dir
        self.pool = concurrent.futures.ThreadPoolExecutor(THREADS)
        self._marks: dict[str, set[str]] = {}

    def close(self) -> None:
        self.pool.shutdown()

    # --- helpers -----------------------------------------------------------------------------------------------

    def make(self, obj: dict[str, Any], *, fetch: bool = True) -> dict[str, Any]:
        """Creates obj (with its status), or returns the one already there (or {} unless `fetch`)."""
        try:
            return self.api.create(obj)
        except RuntimeError as e:
            if ": 409 " not in str(e):
                raise
        if not fetch:
            return {}
        meta = obj["metadata"]
        return self.api.get(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace", ""))

    def patch(self, api_version: str, kind: str, name: str, namespace: str, body: dict[str, Any]) -> None:
        path = self.api.resource(api_version, kind).path(namespace=namespace, name=name)
        self.api._send("PATCH", path, body, content_type="application/merge-patch+json")

    def listing(self, api_version: str, kind: str, namespace: str = "", selector: str = LABEL) -> list[dict[str, Any]]:
        path = self.api.resource(api_version, kind).path(namespace=namespace)
        return list(self.api.kube.list(path, label_selector=selector))

    def run_all(self, what: str, jobs: list[Callable[[], object]]) -> float:
        """Runs jobs on the pool with a progress line every few seconds; returns the seconds taken."""
        start = last = time.monotonic()
        if not jobs:
            return 0.0
        progress(f"{what}: {len(jobs):,} to create")
        futures = [self.pool.submit(job) for job in jobs]
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            future.result()
            if time.monotonic() - last > 5:
                last = time.monotonic()
                progress(f"{what}: {done:,}/{len(jobs):,}")
        seconds = time.monotonic() - start
        progress(f"{what}: {len(jobs):,} created in {seconds:.1f}s ({len(jobs) / seconds:.0f}/s)")
        return seconds

    def namespaces(self, names: Iterable[str], part: str) -> None:
        """Creates the namespaces missing (waiting out one still terminating from an earlier run)."""
        wanted = list(dict.fromkeys(names))
        existing = {n["metadata"]["name"]: n for n in self.listing("v1", "Namespace")}
        for n in existing.values():
            marks = n["metadata"].get("annotations", {}).get(MARK, "")
            self._marks[n["metadata"]["name"]] = set(filter(None, marks.split(",")))
        terminating = [n for n in wanted if existing.get(n, {}).get("status", {}).get("phase") == "Terminating"]
        if terminating:
            progress(f"waiting for {len(terminating)} namespaces of an earlier run to finish terminating")
            self.api.wait(
                "namespaces of an earlier run deleted",
                lambda: not {n["metadata"]["name"] for n in self.listing("v1", "Namespace")} & set(terminating),
                timeout=600,
            )
            for n in terminating:
                existing.pop(n)
                self._marks.pop(n, None)
        missing = [n for n in wanted if n not in existing]
        jobs = [
            lambda n=n: self.make(
                labelled({"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(n)}, **{f"{LABEL}/part": part})
            )
            for n in missing
        ]
        self.run_all(f"namespaces ({part})", jobs)
        for n in missing:
            self._marks[n] = set()

    def done(self, namespace: str, mark: str) -> bool:
        return mark in self._marks.get(namespace, set())

    def mark(self, namespace: str, mark: str) -> None:
        marks = self._marks.setdefault(namespace, set()) | {mark}
        self._marks[namespace] = marks
        self.patch("v1", "Namespace", namespace, "", {"metadata": {"annotations": {MARK: ",".join(sorted(marks))}}})

    # --- the parts ---------------------------------------------------------------------------------------------

    def catalog(self) -> None:
        self.namespaces([CATALOG_NS], "catalog")
        if self.done(CATALOG_NS, "catalog"):
            return
        progress(f"catalog {CATALOG_NS}/{CATALOG}")
        self.make(
            labelled(
                {
                    "apiVersion": OLM,
                    "kind": "CatalogSource",
                    "metadata": _meta(CATALOG, CATALOG_NS),
                    "spec": {"sourceType": "grpc", "image": "registry.example.com/bench-index:v1"},
                    "status": {
                        "connectionState": {
                            "lastObservedState": "READY",
                            "address": f"{CATALOG}.{CATALOG_NS}.svc:50051",
                        }
                    },
                }
            )
        )
        template = _pod_template(CATALOG)
        template["metadata"]["labels"]["olm.catalogSource"] = CATALOG
        self.make(
            labelled(
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": _meta(CATALOG, CATALOG_NS),
                    "spec": {"replicas": 1, "selector": {"matchLabels": {"app": CATALOG}}, "template": template},
                }
            )
        )
        self.mark(CATALOG_NS, "catalog")

    def operators(self, scenario: Scenario) -> None:
        """Everything of each operator but its Subscription and InstallPlan (see `subscribe`)."""
        self.namespaces(scenario.operator_namespaces, "operators")
        todo = [ns for ns in scenario.operator_namespaces if not self.done(ns, "operators")]
        ops = [op for op in scenario.operators if op.namespace in todo]
        jobs: list[Callable[[], object]] = [lambda ns=ns: self.make(labelled(operator_group(ns))) for ns in todo]
        jobs += [lambda op=op: self.operator(op) for op in ops]
        self.run_all(f"operators of scenario {scenario.name} ({len(ops)})", jobs)
        for ns in todo:
            self.mark(ns, "operators")

    def api_roles(self, scenario: Scenario) -> None:
        """The ClusterRoles OLM makes for each API a CSV provides once it succeeded: `<crd>-v1-admin|edit|view|crdview`,
        labelled olm.managed and for aggregation, owned by the CRD (operatorgroup.go ensureProvidedAPIClusterRole)."""
        todo = [ns for ns in scenario.operator_namespaces if not self.done(ns, "api-roles")]
        ops = [op for op in scenario.operators if op.namespace in todo]
        self.run_all(
            f"API ClusterRoles of scenario {scenario.name} ({len(ops)} CRDs)",
            [functools.partial(self.api_roles_of, op) for op in ops],
        )
        for ns in todo:
            self.mark(ns, "api-roles")

    def api_roles_of(self, op: Operator) -> None:
        crd = self.api.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", op.crd, "")
        owner = {**_owner(crd), "controller": False, "blockOwnerDeletion": False}
        verbs = {"admin": ["*"], "edit": ["create", "update", "patch", "delete"], "view": ["get", "list", "watch"]}
        for suffix in ("admin", "edit", "view", "crdview"):
            resource = (
                ("apiextensions.k8s.io", "customresourcedefinitions") if suffix == "crdview" else (op.group, "widgets")
            )
            rule = {"apiGroups": [resource[0]], "resources": [resource[1]], "verbs": verbs.get(suffix, ["get"])}
            if suffix == "crdview":
                rule["resourceNames"] = [op.crd]
            aggregate = "view" if suffix == "crdview" else suffix
            self.make(
                labelled(
                    {
                        "apiVersion": "rbac.authorization.k8s.io/v1",
                        "kind": "ClusterRole",
                        "metadata": _meta(f"{op.crd}-v1-{suffix}", ownerReferences=[owner]),
                        "rules": [rule],
                    },
                    **{
                        "olm.managed": "true",
                        f"rbac.authorization.k8s.io/aggregate-to-{aggregate}": "true",
                        f"olm.opgroup.permissions/aggregate-to-{op.package[-8:]}-{suffix}": "true",
                    },
                ),
                fetch=False,
            )

    def operator(self, op: Operator) -> None:
        ns, pkg, csv_name = op.namespace, op.package, op.csv
        kind = "Widget"
        self.make(
            labelled(
                {
                    "apiVersion": "apiextensions.k8s.io/v1",
                    "kind": "CustomResourceDefinition",
                    "metadata": _meta(op.crd),
                    "spec": {
                        "group": op.group,
                        "names": {"kind": kind, "plural": "widgets", "singular": "widget", "listKind": "WidgetList"},
                        "scope": "Namespaced",
                        "versions": [
                            {
                                "name": "v1",
                                "served": True,
                                "storage": True,
                                "schema": {
                                    "openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
                                },
                            }
                        ],
                    },
                },
                **{"olm.managed": "true"},
            )
        )
        deployment = f"{pkg}-controller-manager"
        template = _pod_template(deployment)
        template["metadata"]["labels"][f"{LABEL}/operator"] = pkg
        rules = [
            {"apiGroups": [op.group], "resources": ["widgets", "widgets/status"], "verbs": ["*"]},
            {"apiGroups": [""], "resources": ["configmaps", "secrets", "events"], "verbs": ["get", "list", "watch"]},
        ]
        sa = f"{pkg}-controller-manager"
        csv = self.make(
            labelled(
                {
                    "apiVersion": OLM,
                    "kind": "ClusterServiceVersion",
                    "metadata": _meta(
                        csv_name,
                        ns,
                        annotations={
                            "olm.operatorGroup": "og",
                            "olm.operatorNamespace": ns,
                            "alm-examples": f'[{{"apiVersion":"{op.group}/v1","kind":"{kind}","metadata":{{"name":"example"}}}}]',
                        },
                    ),
                    "spec": {
                        "displayName": f"Bench operator {pkg}",
                        "version": "1.0.0",
                        "description": (f"The {pkg} operator manages Widgets. " * 120),
                        "provider": {"name": "olm-gather bench"},
                        "customresourcedefinitions": {
                            "owned": [{"name": op.crd, "version": "v1", "kind": kind, "displayName": kind}]
                        },
                        "install": {
                            "strategy": "deployment",
                            "spec": {
                                "deployments": [
                                    {
                                        "name": deployment,
                                        "spec": {
                                            "replicas": 1,
                                            "selector": {"matchLabels": {"app": deployment}},
                                            "template": template,
                                        },
                                    }
                                ],
                                "permissions": [{"serviceAccountName": sa, "rules": rules}],
                                "clusterPermissions": [{"serviceAccountName": sa, "rules": rules}],
                            },
                        },
                        "installModes": [
                            {"type": "OwnNamespace", "supported": True},
                            {"type": "SingleNamespace", "supported": True},
                            {"type": "MultiNamespace", "supported": False},
                            {"type": "AllNamespaces", "supported": True},
                        ],
                    },
                    "status": {
                        "phase": "Succeeded",
                        "reason": "InstallSucceeded",
                        "message": "install strategy completed with no errors",
                        "lastUpdateTime": NOW,
                        "lastTransitionTime": NOW,
                        "conditions": [
                            {"phase": p, "reason": r, "lastUpdateTime": NOW, "lastTransitionTime": NOW}
                            for p, r in (
                                ("Pending", "RequirementsUnknown"),
                                ("InstallReady", "AllRequirementsMet"),
                                ("Installing", "InstallSucceeded"),
                                ("Succeeded", "InstallSucceeded"),
                            )
                        ],
                        "requirementStatus": [
                            {
                                "group": "apiextensions.k8s.io",
                                "version": "v1",
                                "kind": "CustomResourceDefinition",
                                "name": op.crd,
                                "status": "Present",
                                "message": "CRD is present and Established condition is true",
                            },
                            {
                                "group": "",
                                "version": "v1",
                                "kind": "ServiceAccount",
                                "name": sa,
                                "status": "Present",
                                "message": "",
                            },
                        ],
                    },
                }
            )
        )
        owned = [_owner(csv)]
        owner_labels = {"olm.owner": csv_name, "olm.owner.namespace": ns, "olm.owner.kind": "ClusterServiceVersion"}
        rbac = "rbac.authorization.k8s.io/v1"
        self.make(
            labelled(
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": _meta(deployment, ns, ownerReferences=[_owner(csv, True)]),
                    "spec": {"replicas": 1, "selector": {"matchLabels": {"app": deployment}}, "template": template},
                },
                **{"olm.managed": "true", **owner_labels},
            )
        )
        subject = [{"kind": "ServiceAccount", "name": sa, "namespace": ns}]
        for obj in (
            {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(sa, ns, ownerReferences=owned)},
            {
                "apiVersion": rbac,
                "kind": "Role",
                "metadata": _meta(f"{csv_name}-role", ns, ownerReferences=owned),
                "rules": rules,
            },
            {
                "apiVersion": rbac,
                "kind": "RoleBinding",
                "metadata": _meta(f"{csv_name}-rb", ns, ownerReferences=owned),
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": f"{csv_name}-role"},
                "subjects": subject,
            },
            {"apiVersion": rbac, "kind": "ClusterRole", "metadata": _meta(f"{csv_name}-cr"), "rules": rules},
            {
                "apiVersion": rbac,
                "kind": "ClusterRoleBinding",
                "metadata": _meta(f"{csv_name}-crb"),
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": f"{csv_name}-cr"},
                "subjects": subject,
            },
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": _meta(f"{pkg}-metrics", ns, ownerReferences=owned),
                "spec": {"ports": [{"port": 8443}], "selector": {"app": deployment}},
            },
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": _meta(f"{pkg}-config", ns, ownerReferences=owned),
                "data": {"config.yaml": "leaderElection: true\nmetrics: :8443\n"},
            },
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": _meta(f"{deployment}-service-cert", ns, ownerReferences=owned),
                "type": "kubernetes.io/tls",
                "data": {"tls.crt": "Y2VydA==", "tls.key": "a2V5"},
            },
            {
                "apiVersion": "operators.coreos.com/v2",
                "kind": "OperatorCondition",
                "metadata": _meta(csv_name, ns, ownerReferences=owned),
                "spec": {"deployments": [deployment], "serviceAccounts": [sa]},
            },
            {"apiVersion": "operators.coreos.com/v1", "kind": "Operator", "metadata": _meta(f"{pkg}.{ns}")},
        ):
            cluster_scoped = obj["kind"] in ("ClusterRole", "ClusterRoleBinding")
            self.make(labelled(obj, **(owner_labels if cluster_scoped else {})))
        self.events(op, csv)

    def events(self, op: Operator, csv: dict[str, Any]) -> None:
        """Two Events about the CSV, as OLM records them (events expire after an hour: made again on each run)."""
        for n, (reason, message) in enumerate(
            (
                ("RequirementsNotMet", "one or more requirements couldn't be found"),
                ("InstallSucceeded", "install strategy completed with no errors"),
            )
        ):
            self.make(
                labelled(
                    {
                        "apiVersion": "v1",
                        "kind": "Event",
                        "metadata": _meta(f"{op.csv}.bench{n}", op.namespace),
                        "involvedObject": {
                            "apiVersion": OLM,
                            "kind": "ClusterServiceVersion",
                            "name": op.csv,
                            "namespace": op.namespace,
                            "uid": csv["metadata"]["uid"],
                        },
                        "reason": reason,
                        "message": message,
                        "type": "Normal",
                        "firstTimestamp": NOW,
                        "lastTimestamp": NOW,
                        "count": 1,
                        "source": {"component": "operator-lifecycle-manager"},
                    }
                ),
                fetch=False,
            )

    def refresh_events(self, scenario: Scenario) -> None:
        csvs = {
            c["metadata"]["namespace"] + "/" + c["metadata"]["name"]: c
            for c in self.listing(OLM, "ClusterServiceVersion")
        }
        jobs: list[Callable[[], object]] = [
            lambda op=op: self.events(op, csvs[f"{op.namespace}/{op.csv}"])
            for op in scenario.operators
            if f"{op.namespace}/{op.csv}" in csvs
        ]
        self.run_all("events about the CSVs", jobs)

    def pods_and_logs(self, scenario: Scenario) -> None:
        """Waits until kwok runs every operator's pod, then gives each pod its logs (a kwok Logs object)."""
        log_file = self.log_dir / "operator.log"
        if not log_file.exists() or abs(log_file.stat().st_size - log_bytes_per_pod()) > 200:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            log_file.write_text(_log_text(log_bytes_per_pod()))
        packages = {op.package for op in scenario.operators}
        selector = f"{LABEL}/operator"

        def running() -> list[dict[str, Any]]:
            pods = [
                p
                for p in self.listing("v1", "Pod", selector=selector)
                if p["metadata"]["labels"][selector] in packages
                and p.get("status", {}).get("phase") == "Running"
                and not p["metadata"].get("deletionTimestamp")
            ]
            return pods if {p["metadata"]["labels"][selector] for p in pods} >= packages else []

        progress(f"waiting for the {len(packages)} operator pods to run")
        pods = self.api.wait("operator pods running", running, timeout=300)
        have = {
            f"{lg['metadata']['namespace']}/{lg['metadata']['name']}"
            for lg in self.listing("kwok.x-k8s.io/v1alpha1", "Logs")
        }
        jobs: list[Callable[[], object]] = []
        for pod in pods:
            if f"{pod['metadata']['namespace']}/{pod['metadata']['name']}" in have:
                continue
            logs = logs_for(pod, str(log_file), "")
            del logs["spec"]["logs"][0]["previousLogsFile"]  # these pods never restarted
            logs["spec"]["logs"][0]["follow"] = False
            jobs.append(lambda logs=logs: self.make(labelled(logs)))
        self.run_all("kwok Logs of the operator pods", jobs)

    def noise(self, plan: dict[str, tuple[int, int]], more: list[str]) -> float:
        """Unrelated ConfigMaps and Secrets (`plan`: how many of each per namespace), and empty namespaces.
        Returns the seconds the objects took to create."""
        self.namespaces([n for n in plan if not n.startswith("bench-op-")], "noise")
        self.namespaces(more, "more")
        jobs: list[Callable[[], object]] = []
        filled: list[tuple[str, str]] = []
        value = "x" * 384
        for ns, (configmaps, secrets) in plan.items():
            have = [tuple(map(int, m[5:].split("+"))) for m in self._marks.get(ns, set()) if m.startswith("noise")]
            from_cm, from_secret = max(have, default=(0, 0))
            if from_cm >= configmaps and from_secret >= secrets:
                continue
            filled.append((ns, f"noise{max(configmaps, from_cm)}+{max(secrets, from_secret)}"))
            jobs += [
                lambda ns=ns, i=i: self.make(noise_configmap(ns, i, value), fetch=False)
                for i in range(from_cm, configmaps)
            ]
            jobs += [
                lambda ns=ns, i=i: self.make(noise_secret(ns, i, value), fetch=False)
                for i in range(from_secret, secrets)
            ]
        seconds = self.run_all("unrelated ConfigMaps and Secrets", jobs)
        for ns, mark in filled:
            self._marks[ns] = {m for m in self._marks.get(ns, set()) if not m.startswith("noise")}
            self.mark(ns, mark)
        return seconds

    def subscribe(self, operators: list[Operator]) -> None:
        """Makes the Subscriptions (and their InstallPlans) of exactly these operators exist among the bench's."""
        wanted = {(op.namespace, op.package): op for op in operators}
        subs = {(s["metadata"]["namespace"], s["metadata"]["name"]): s for s in self.listing(OLM, "Subscription")}
        plans = {(p["metadata"]["namespace"], p["metadata"]["name"]) for p in self.listing(OLM, "InstallPlan")}
        # Not wanted, or left without a status by an interrupted run: deleted (and the latter made again).
        extra = [key for key in subs if key not in wanted or not subs[key].get("status", {}).get("installedCSV")]
        jobs: list[Callable[[], object]] = [
            lambda key=key: self.api.delete(OLM, "Subscription", key[1], key[0]) for key in extra
        ]
        jobs += [
            lambda key=key: self.api.delete(OLM, "InstallPlan", plan_name(key[1]), key[0])
            for key in extra
            if (key[0], plan_name(key[1])) in plans
        ]
        self.run_all("deleting the Subscriptions of other scenarios", jobs)
        for key in extra:
            subs.pop(key)
            plans.discard((key[0], plan_name(key[1])))
        jobs = [
            functools.partial(self.subscription, op, subs.get(key))
            for key, op in wanted.items()
            if key not in subs or (key[0], plan_name(key[1])) not in plans
        ]
        self.run_all("Subscriptions and InstallPlans", jobs)

    def subscription(self, op: Operator, sub: dict[str, Any] | None) -> None:
        ns, pkg = op.namespace, op.package
        plan = plan_name(pkg)
        if sub is None:
            sub = self.make(
                labelled(
                    {
                        "apiVersion": OLM,
                        "kind": "Subscription",
                        "metadata": _meta(pkg, ns),
                        "spec": {
                            "name": pkg,
                            "source": CATALOG,
                            "sourceNamespace": CATALOG_NS,
                            "channel": "stable",
                            "installPlanApproval": "Automatic",
                        },
                        "status": {
                            "installedCSV": op.csv,
                            "currentCSV": op.csv,
                            "state": "AtLatestKnown",
                            "lastUpdated": NOW,
                            "installPlanGeneration": 1,
                            "installPlanRef": {
                                "apiVersion": OLM,
                                "kind": "InstallPlan",
                                "name": plan,
                                "namespace": ns,
                            },
                            "catalogHealth": [
                                {
                                    "catalogSourceRef": {
                                        "kind": "CatalogSource",
                                        "name": CATALOG,
                                        "namespace": CATALOG_NS,
                                    },
                                    "healthy": True,
                                    "lastUpdated": NOW,
                                }
                            ],
                        },
                    }
                )
            )
        csv = op.csv
        steps = [
            step(csv, "operators.coreos.com", "v1alpha1", "ClusterServiceVersion", csv),
            step(csv, "apiextensions.k8s.io", "v1", "CustomResourceDefinition", op.crd),
            step(csv, "", "v1", "ServiceAccount", f"{pkg}-controller-manager"),
            step(csv, "rbac.authorization.k8s.io", "v1", "Role", f"{csv}-role"),
            step(csv, "rbac.authorization.k8s.io", "v1", "RoleBinding", f"{csv}-rb"),
            step(csv, "rbac.authorization.k8s.io", "v1", "ClusterRole", f"{csv}-cr"),
            step(csv, "rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", f"{csv}-crb"),
            step(csv, "", "v1", "Service", f"{pkg}-metrics"),
            step(csv, "", "v1", "ConfigMap", f"{pkg}-config"),
        ]
        for s in steps:
            s["resource"]["sourceName"], s["resource"]["sourceNamespace"] = CATALOG, CATALOG_NS
        self.make(
            labelled(
                {
                    "apiVersion": OLM,
                    "kind": "InstallPlan",
                    "metadata": _meta(plan, ns, ownerReferences=[_owner(sub)]),
                    "spec": {"approval": "Automatic", "approved": True, "clusterServiceVersionNames": [csv]},
                    "status": {"phase": "Complete", "catalogSources": [CATALOG], "plan": steps},
                }
            )
        )


def operator_group(ns: str) -> dict[str, Any]:
    return {
        "apiVersion": "operators.coreos.com/v1",
        "kind": "OperatorGroup",
        "metadata": _meta("og", ns),
        "spec": {"targetNamespaces": [ns]},
        "status": {"namespaces": [ns], "lastUpdated": NOW},
    }


def noise_configmap(ns: str, i: int, value: str) -> dict[str, Any]:
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(f"unrelated-{i:05d}", ns)}
    return labelled({**obj, "data": {"settings": value, "index": str(i)}}, **{f"{LABEL}/noise": "true"})


def noise_secret(ns: str, i: int, value: str) -> dict[str, Any]:
    obj = {"apiVersion": "v1", "kind": "Secret", "metadata": _meta(f"unrelated-{i:05d}", ns)}
    return labelled(
        {**obj, "stringData": {"password": handmade.CANARY, "settings": value}}, **{f"{LABEL}/noise": "true"}
    )


def plan_name(package: str) -> str:
    return f"install-{package.removeprefix('bench-pkg-')}"


def _log_text(size: int) -> str:
    """CRI-format lines (`<RFC3339Nano> stdout F <text>`) of a controller's log, about `size` bytes."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    lines, total, n = [], 0, 0
    while total < size:
        when = (start + timedelta(milliseconds=250 * n)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        stream = "stderr" if n % 10 == 9 else "stdout"
        text = (
            f'{{"level":"info","ts":"{when}","logger":"controller.widget","msg":"Reconciling Widget",'
            f'"namespace":"tenant-{n % 7}","name":"widget-{n}","reconcileID":"{n:08x}"}}'
        )
        line = f"{when} {stream} F {text}\n"
        lines.append(line)
        total += len(line)
        n += 1
    return "".join(lines)


def remove(api: Api) -> None:
    """Deletes everything labelled olm-gather.bench (cluster-scoped objects first, then the namespaces) and
    waits a minute at most for the namespaces to go (a next run waits for those it needs)."""
    kinds = (
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
        ("rbac.authorization.k8s.io/v1", "ClusterRole"),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
        ("operators.coreos.com/v1", "Operator"),
        ("v1", "Namespace"),
    )
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
        for api_version, kind in kinds:
            path = api.resource(api_version, kind).path()
            names = [o["metadata"]["name"] for o in api.kube.list(path, label_selector=LABEL, metadata_only=True)]
            if names:
                progress(f"deleting {len(names)} {kind}s")
            list(pool.map(lambda n, v=api_version, k=kind: api.delete(v, k, n), names))
    ns_path = api.resource("v1", "Namespace").path()
    try:
        api.wait(
            "bench namespaces gone",
            lambda: not list(api.kube.list(ns_path, label_selector=LABEL, metadata_only=True)),
            timeout=60,
        )
        progress(f"removed in {time.monotonic() - start:.0f}s")
    except TimeoutError:
        left = len(list(api.kube.list(ns_path, label_selector=LABEL, metadata_only=True)))
        progress(f"{left} bench namespaces still terminating; the namespace controller finishes them on its own")
