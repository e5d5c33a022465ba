"""Scenarios installed by the real OLM controllers from the local test catalog (tests/catalog), each in a namespace
of its own, with unrelated noise next to them. `install_all` installs them one at a time: it snapshots the whole
cluster before a scenario creates anything and again once OLM is done with it, so that the diff between the two
is what OLM made for that install (tests/e2e/ground_truth.py)."""

from __future__ import annotations

import dataclasses
import secrets
import sys
import time
from collections.abc import Callable
from typing import Any

from catalog import canaries
from tests.e2e import ground_truth
from tests.e2e.kapi import Api

CATALOG = "olm-gather-test"
CATALOG_NAMESPACE = "olm"
OLM = "operators.coreos.com/v1alpha1"


@dataclasses.dataclass
class Sub:
    package: str
    channel: str = "stable"
    approval: str = "Automatic"
    starting_csv: str = ""


@dataclasses.dataclass
class Scenario:
    name: str
    subs: list[Sub]
    namespace: str = ""  # empty: a new namespace
    operator_groups: int = 1
    # What "done" means for this scenario, checked against the live objects (default: every CSV Succeeded).
    ready: Callable[[Api, Scenario], bool] | None = None
    packages: list[str] = dataclasses.field(default_factory=list)  # filtered gathers to check (default: subs)
    # Target namespaces of the OperatorGroup: empty, its own namespace; "@<scenario>" that scenario's namespace
    # (installed before), any other word a fresh namespace of this scenario.
    targets: tuple[str, ...] = ()
    # The namespace's name from the run's random suffix, for names OLM has to cut (default fid-<name>-<suffix>).
    namespace_name: Callable[[str], str] | None = None
    # A CatalogSource of this scenario's own, served from this image (which nothing here can pull or serve).
    catalog_image: str = ""
    install: ground_truth.Install | None = None
    after: ground_truth.Snapshot = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        self.packages = self.packages or [s.package for s in self.subs]

    @property
    def catalog(self) -> tuple[str, str]:
        """(name, namespace) of the CatalogSource the Subscriptions name."""
        return ("image-catalog", self.namespace) if self.catalog_image else (CATALOG, CATALOG_NAMESPACE)


def subscription(api: Api, ns: str, name: str) -> dict[str, Any]:
    return api.get(OLM, "Subscription", name, ns)


def csv_phase(api: Api, ns: str, name: str) -> str:
    return str(api.get(OLM, "ClusterServiceVersion", name, ns).get("status", {}).get("phase", ""))


def all_succeeded(api: Api, s: Scenario) -> bool:
    for sub in s.subs:
        installed = subscription(api, s.namespace, sub.package).get("status", {}).get("installedCSV")
        if not installed or csv_phase(api, s.namespace, installed) != "Succeeded":
            return False
    return True


def _condition(obj: dict[str, Any], kind: str) -> dict[str, Any]:
    return next((c for c in obj.get("status", {}).get("conditions") or [] if c.get("type") == kind), {})


def _plans(api: Api, ns: str) -> list[dict[str, Any]]:
    return list(api.kube.list(api.resource(OLM, "InstallPlan").path(namespace=ns)))


SCENARIOS: list[Scenario] = [
    Scenario("alone", [Sub("ogt-alpha")]),
    Scenario("side-by-side", [Sub("ogt-alpha"), Sub("ogt-beta")]),
    Scenario("all-namespaces", [Sub("ogt-global")], namespace="operators", operator_groups=0),
    Scenario("dependency", [Sub("ogt-needs-lib")], packages=["ogt-needs-lib", "ogt-lib"]),
    Scenario(
        "upgrade",
        [Sub("ogt-upgrade", starting_csv="ogt-upgrade.v1.0.0")],
        ready=lambda api, s: (
            subscription(api, s.namespace, "ogt-upgrade").get("status", {}).get("installedCSV") == "ogt-upgrade.v2.0.0"
            and csv_phase(api, s.namespace, "ogt-upgrade.v2.0.0") == "Succeeded"
            and len(_plans(api, s.namespace)) >= 2
        ),
    ),
    Scenario(
        "manual-approval",
        [Sub("ogt-beta", approval="Manual")],
        ready=lambda api, s: any(
            p.get("status", {}).get("phase") == "RequiresApproval" for p in _plans(api, s.namespace)
        ),
    ),
    Scenario(
        "resolution-failed",
        [Sub("ogt-beta", channel="no-such-channel")],
        ready=lambda api, s: (
            _condition(subscription(api, s.namespace, "ogt-beta"), "ResolutionFailed").get("status") == "True"
        ),
    ),
    Scenario(
        "never-ready",
        [Sub("ogt-never-ready")],
        ready=lambda api, s: csv_phase(api, s.namespace, "ogt-never-ready.v1.0.0") == "Failed",
    ),
    Scenario(
        "crashloop",
        [Sub("ogt-crashloop")],
        ready=lambda api, s: csv_phase(api, s.namespace, "ogt-crashloop.v1.0.0") == "Failed",
    ),
    Scenario(
        "two-operatorgroups",
        [Sub("ogt-beta")],
        operator_groups=2,
        ready=lambda api, s: any(
            _condition(og, "MultipleOperatorGroup").get("status") == "True"
            for og in api.kube.list(
                api.resource("operators.coreos.com/v1", "OperatorGroup").path(namespace=s.namespace)
            )
        ),
    ),
]


def _long_namespace(suffix: str, tail: str) -> str:
    """A namespace whose `ogt-twin.<namespace>` is 67 characters, the 63rd a `-`: OLM cuts the name part of the
    component label key there and strips the `-`, so every tail shares one Operator `ogt-twin.<first 53>`."""
    return f"fid-long-{suffix}-".ljust(53, "x") + "-" + tail


def _catalog_failed(api: Api, s: Scenario) -> bool:
    """The image catalog's pod never serves: resolution fails (ErrorPreventedResolution: no address to list bundles
    from), yet OLM made the catalog's registry objects."""
    name, ns = s.catalog
    source = api.get(OLM, "CatalogSource", name, ns)
    failed = _condition(subscription(api, s.namespace, s.subs[0].package), "ResolutionFailed").get("status") == "True"
    return failed and bool(source.get("status", {}).get("registryService"))


SCENARIOS += [
    Scenario("multi-neighbour", [Sub("ogt-lib")]),
    Scenario("multi-namespace", [Sub("ogt-alpha")], targets=("@multi-neighbour", "other")),
    Scenario("single-namespace", [Sub("ogt-beta")], targets=("target",)),
    Scenario("long-name", [Sub("ogt-twin")], namespace_name=lambda sfx: _long_namespace(sfx, "one")),
    Scenario("long-name-twin", [Sub("ogt-twin")], namespace_name=lambda sfx: _long_namespace(sfx, "two")),
    Scenario("three-crds", [Sub("ogt-multi-api")]),
    Scenario("webhooks", [Sub("ogt-hooks")]),
    Scenario(
        "catalog-image",
        [Sub("ogt-from-image")],
        catalog_image="registry.olm-gather.test/catalog:v1",
        ready=_catalog_failed,
    ),
    Scenario("chain", [Sub("ogt-chain-top")], packages=["ogt-chain-top", "ogt-chain-mid", "ogt-chain-base"]),
]


def remove_all(api: Api, scenarios: list[Scenario]) -> None:
    """Deletes what install_all made; in a shared namespace (operators) only the scenario's own objects."""
    for s in scenarios:
        if not s.namespace:
            continue  # never installed
        for ns in {s.namespace} | set(s.install.namespaces if s.install else ()):
            if ns.startswith("fid-"):
                api.delete("v1", "Namespace", ns)
        if not s.namespace.startswith("fid-"):
            for sub in s.subs:
                installed = subscription(api, s.namespace, sub.package).get("status", {}).get("installedCSV", "")
                api.delete(OLM, "Subscription", sub.package, s.namespace)
                if installed:
                    api.delete(OLM, "ClusterServiceVersion", installed, s.namespace)
            for kind, name in (
                ("ConfigMap", "noise-config"),
                ("Secret", "noise-secret"),
                ("ServiceAccount", "noise-sa"),
            ):
                api.delete("v1", kind, name, s.namespace)
            api.delete("apps/v1", "Deployment", "noise", s.namespace)
            api.delete("rbac.authorization.k8s.io/v1", "Role", "noise-role", s.namespace)
        api.delete("rbac.authorization.k8s.io/v1", "ClusterRole", f"noise-{s.namespace}")


def _clean_leftovers(api: Api, *, timeout: float = 180) -> None:
    """What an interrupted earlier session left would change during these installs and blur their diffs."""
    namespaces = api.resource("v1", "Namespace").path()
    for ns in api.kube.list(namespaces):
        if ns["metadata"]["name"].startswith("fid-"):
            api.delete("v1", "Namespace", ns["metadata"]["name"])
    api.wait(
        "namespaces of an earlier session to be deleted",
        lambda: not [n for n in api.kube.list(namespaces) if n["metadata"]["name"].startswith("fid-")],
        timeout=timeout,
    )


def install_all(api: Api, scenarios: list[Scenario], *, timeout: float = 240) -> None:
    """Installs the scenarios one after the other, each between two snapshots of the whole cluster."""
    suffix = secrets.token_hex(3)
    by_name = {s.name: s for s in scenarios}
    earlier: set[str] = set()
    _clean_leftovers(api)
    ground_truth.learn_crd_kinds(api)
    for s in scenarios:
        before = ground_truth.snapshot(api, ground_truth.listable(api))
        install = _install(api, s, suffix, by_name)
        done = s.ready or all_succeeded
        api.wait(f"scenario {s.name} in {s.namespace}", lambda s=s, done=done: done(api, s), timeout=timeout)
        install.earlier = set(earlier)
        after = _settled(api, install)
        diff = ground_truth.changed(before, after)
        install.account(diff, after)
        ground_truth.learn_crd_kinds(api)
        s.install, s.after = install, after
        earlier |= {e.uid for e in diff.values()} | install.created


def _settled(
    api: Api, install: ground_truth.Install, *, quiet: float = 3.0, limit: float = 30.0
) -> ground_truth.Snapshot:
    """A snapshot once OLM has stopped making or changing objects for the install: nothing but leases, node
    heartbeats and earlier installs' objects changed for `quiet` seconds (at most `limit` seconds of waiting)."""
    deadline = time.monotonic() + limit
    last = ground_truth.snapshot(api, ground_truth.listable(api))
    calm_since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = ground_truth.snapshot(api, ground_truth.listable(api))
        moving = [
            e for e in ground_truth.changed(last, now).values()
            if e.key[1] not in ("Lease", "Node") and e.uid not in install.earlier
        ]  # fmt: skip
        if moving:
            calm_since = time.monotonic()
        elif time.monotonic() - calm_since >= quiet:
            return now
        last = now
    print(f"fidelity: {install.name} still changing after {limit:.0f}s; its diff may be incomplete", file=sys.stderr)
    return last


def _install(api: Api, s: Scenario, suffix: str, by_name: dict[str, Scenario]) -> ground_truth.Install:
    """Creates what a user creates for the scenario, recording each uid as the test's."""
    install = ground_truth.Install(s.name, namespaces=set())

    def create(obj: dict[str, Any]) -> dict[str, Any]:
        made = api.create(obj)
        install.created.add(made["metadata"]["uid"])
        return made

    def namespace(name: str) -> str:
        create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
        install.namespaces.add(name)
        return name

    if not s.namespace:
        s.namespace = namespace(s.namespace_name(suffix) if s.namespace_name else f"fid-{s.name}-{suffix}")
    targets = [
        by_name[t[1:]].namespace if t.startswith("@") else namespace(f"fid-{s.name}-{t}-{suffix}") for t in s.targets
    ]
    for i in range(s.operator_groups):
        create(
            {
                "apiVersion": "operators.coreos.com/v1",
                "kind": "OperatorGroup",
                "metadata": {"name": f"og-{i}", "namespace": s.namespace},
                "spec": {"targetNamespaces": targets or [s.namespace]},
            }
        )
    if s.catalog_image:
        name, ns = s.catalog
        create(
            {
                "apiVersion": OLM,
                "kind": "CatalogSource",
                "metadata": {"name": name, "namespace": ns},
                "spec": {"sourceType": "grpc", "image": s.catalog_image, "displayName": "from an image"},
            }
        )
    install.operators = {ground_truth.operator_name(p, s.namespace) for p in s.packages}
    install.noise = {o["metadata"]["uid"] for o in add_noise(api, s.namespace)}
    install.created |= install.noise
    catalog, catalog_ns = s.catalog
    for sub in s.subs:
        spec: dict[str, Any] = {
            "name": sub.package,
            "channel": sub.channel,
            "source": catalog,
            "sourceNamespace": catalog_ns,
            "installPlanApproval": sub.approval,
            "config": {"env": [{"name": "FROM_SUBSCRIPTION", "value": canaries.SUBSCRIPTION_CONFIG_ENV}]},
        }
        if sub.starting_csv:
            spec["startingCSV"] = sub.starting_csv
        create(
            {
                "apiVersion": OLM,
                "kind": "Subscription",
                "metadata": {"name": sub.package, "namespace": s.namespace},
                "spec": spec,
            }
        )
    return install


NOISE_CANARY = "ogt-canary-noise-secret-0c4f11"


def add_noise(api: Api, ns: str) -> list[dict[str, Any]]:
    """Objects no Subscription leads to: same namespace, same kinds, plus cluster RBAC. Returns what it made."""
    made: list[dict[str, Any]] = []
    made.append(
        api.create(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "noise-config", "namespace": ns},
                "data": {"k": "v"},
            }
        )
    )
    made.append(
        api.create(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "noise-secret", "namespace": ns},
                "stringData": {"k": NOISE_CANARY},
            }
        )
    )
    made.append(
        api.create({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "noise-sa", "namespace": ns}})
    )
    rules = [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]
    made.append(
        api.create(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "Role",
                "metadata": {"name": "noise-role", "namespace": ns},
                "rules": rules,
            }
        )
    )
    labels = {"app": "noise"}
    made.append(
        api.create(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "noise", "namespace": ns},
                "spec": {
                    "replicas": 1,
                    "selector": {"matchLabels": labels},
                    "template": {
                        "metadata": {"labels": labels},
                        "spec": {
                            "containers": [
                                {"name": "c", "image": "noise", "env": [{"name": "N", "value": NOISE_CANARY}]}
                            ]
                        },
                    },
                },
            }
        )
    )
    made.append(
        api.create(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRole",
                "metadata": {"name": f"noise-{ns}"},
                "rules": rules,
            }
        )
    )
    return made
