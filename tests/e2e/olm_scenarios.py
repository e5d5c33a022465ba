"""Scenarios installed by the real OLM controllers from the local test catalog (tests/catalog), each in a namespace
of its own, with unrelated noise next to them. `install_all` creates every scenario at once (OLM works on them in
parallel) and waits until each shows the state real OLM gives it."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable
from typing import Any

from catalog import canaries
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

    def __post_init__(self) -> None:
        self.packages = self.packages or [s.package for s in self.subs]


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


def remove_all(api: Api, scenarios: list[Scenario]) -> None:
    """Deletes what install_all made; in a shared namespace (operators) only the scenario's own objects."""
    for s in scenarios:
        if s.namespace.startswith("fid-"):
            api.delete("v1", "Namespace", s.namespace)
        else:
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


def install_all(api: Api, scenarios: list[Scenario], *, timeout: float = 240) -> None:
    suffix = secrets.token_hex(3)
    for s in scenarios:
        if not s.namespace:
            s.namespace = f"fid-{s.name}-{suffix}"
            api.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": s.namespace}})
        for i in range(s.operator_groups):
            api.create(
                {
                    "apiVersion": "operators.coreos.com/v1",
                    "kind": "OperatorGroup",
                    "metadata": {"name": f"og-{i}", "namespace": s.namespace},
                    "spec": {"targetNamespaces": [s.namespace]},
                }
            )
        add_noise(api, s.namespace)
        for sub in s.subs:
            spec: dict[str, Any] = {
                "name": sub.package,
                "channel": sub.channel,
                "source": CATALOG,
                "sourceNamespace": CATALOG_NAMESPACE,
                "installPlanApproval": sub.approval,
                "config": {"env": [{"name": "FROM_SUBSCRIPTION", "value": canaries.SUBSCRIPTION_CONFIG_ENV}]},
            }
            if sub.starting_csv:
                spec["startingCSV"] = sub.starting_csv
            api.create(
                {
                    "apiVersion": OLM,
                    "kind": "Subscription",
                    "metadata": {"name": sub.package, "namespace": s.namespace},
                    "spec": spec,
                }
            )
    for s in scenarios:
        done = s.ready or all_succeeded
        api.wait(f"scenario {s.name} in {s.namespace}", lambda s=s, done=done: done(api, s), timeout=timeout)


NOISE_CANARY = "ogt-canary-noise-secret-0c4f11"


def add_noise(api: Api, ns: str) -> None:
    """Objects no Subscription leads to: same namespace, same kinds, plus cluster RBAC."""
    api.create(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "noise-config", "namespace": ns},
            "data": {"k": "v"},
        }
    )
    api.create(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "noise-secret", "namespace": ns},
            "stringData": {"k": NOISE_CANARY},
        }
    )
    api.create({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "noise-sa", "namespace": ns}})
    rules = [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]
    api.create(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": "noise-role", "namespace": ns},
            "rules": rules,
        }
    )
    labels = {"app": "noise"}
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
                        "containers": [{"name": "c", "image": "noise", "env": [{"name": "N", "value": NOISE_CANARY}]}]
                    },
                },
            },
        }
    )
    api.create(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": f"noise-{ns}"},
            "rules": rules,
        }
    )
