"""Helpers for e2e tests in which real OLM installs the test operators of tests/catalog.

`install()` does what a user does (an OperatorGroup and a Subscription) and then only waits: every InstallPlan,
CSV, CRD, RBAC object and Deployment it returns or the test checks was made by OLM's own controllers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from kubernetes import client
from kubernetes.client.exceptions import ApiException

GROUP = "operators.coreos.com"
CATALOG = "olm-gather-test"
CATALOG_NAMESPACE = "olm"
GLOBAL_NAMESPACE = "operators"  # OperatorGroup global-operators: AllNamespaces operators go here

# What install() waits for:
#   Succeeded              the CSV is Succeeded (and the InstallPlan that made it Complete)
#   Failed                 the CSV is Failed (e.g. InstallCheckFailed for a Deployment that never gets ready)
#   ResolutionFailed       the Subscription has condition ResolutionFailed=True (e.g. unknown channel)
#   RequiresApproval       the Subscription's InstallPlan waits in phase RequiresApproval (Manual approval)
#   MultipleOperatorGroup  an OperatorGroup of the namespace has condition MultipleOperatorGroup=True
Expect = Literal["Succeeded", "Failed", "ResolutionFailed", "RequiresApproval", "MultipleOperatorGroup"]
# The OperatorGroup install() creates: "own" targets the namespace itself, "all" all namespaces, "none" creates
# none (the namespace has one already, or the test wants zero or two), a list names the target namespaces.
OperatorGroupMode = Literal["own", "all", "none"] | list[str]

T = TypeVar("T")


@dataclass
class Installed:
    """What OLM made of one Subscription, as last seen."""

    namespace: str
    package: str
    subscription: dict[str, Any]
    install_plans: list[dict[str, Any]] = field(default_factory=list)
    csv: dict[str, Any] | None = None
    operator_groups: list[dict[str, Any]] = field(default_factory=list)

    @property
    def install_plan(self) -> dict[str, Any] | None:
        """The plan the Subscription points at (status.installPlanRef)."""
        ref = self.subscription.get("status", {}).get("installPlanRef", {}).get("name")
        return next((p for p in self.install_plans if p["metadata"]["name"] == ref), None)


class Olm:
    """Reads and writes OLM objects through the official client's CustomObjectsApi."""

    def __init__(self, api_client: client.ApiClient) -> None:
        self.custom = client.CustomObjectsApi(api_client)

    def create(self, version: str, plural: str, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = self.custom.create_namespaced_custom_object(GROUP, version, namespace, plural, body)
        return out

    def get(self, version: str, plural: str, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            out: dict[str, Any] = self.custom.get_namespaced_custom_object(GROUP, version, namespace, plural, name)
        except ApiException as e:
            if e.status == 404:
                return None
            raise
        return out

    def list(self, version: str, plural: str, namespace: str, label_selector: str = "") -> list[dict[str, Any]]:
        out = self.custom.list_namespaced_custom_object(
            GROUP, version, namespace, plural, label_selector=label_selector
        )
        return list(out["items"])

    def operator_group(self, namespace: str, name: str, mode: OperatorGroupMode) -> dict[str, Any]:
        spec: dict[str, Any] = {}
        if mode == "own":
            spec["targetNamespaces"] = [namespace]
        elif isinstance(mode, list):
            spec["targetNamespaces"] = mode
        body = {"apiVersion": f"{GROUP}/v1", "kind": "OperatorGroup", "metadata": {"name": name}, "spec": spec}
        return self.create("v1", "operatorgroups", namespace, body)

    def observe(self, namespace: str, package: str) -> Installed:
        sub = self.get("v1alpha1", "subscriptions", namespace, package) or {}
        uid = sub.get("metadata", {}).get("uid")
        plans = [
            p
            for p in self.list("v1alpha1", "installplans", namespace)
            if any(o.get("uid") == uid for o in p["metadata"].get("ownerReferences", []))
        ]
        csv_name = sub.get("status", {}).get("currentCSV")
        csv = self.get("v1alpha1", "clusterserviceversions", namespace, csv_name) if csv_name else None
        groups = self.list("v1", "operatorgroups", namespace)
        return Installed(namespace, package, sub, plans, csv, groups)

    def catalog_ready(self) -> bool:
        source = self.get("v1alpha1", "catalogsources", CATALOG_NAMESPACE, CATALOG) or {}
        return bool(source.get("status", {}).get("connectionState", {}).get("lastObservedState") == "READY")


def condition(obj: dict[str, Any] | None, kind: str) -> dict[str, Any] | None:
    """The status condition of type `kind`, or None."""
    for c in (obj or {}).get("status", {}).get("conditions", []) or []:
        if c.get("type") == kind:
            return dict(c)
    return None


def reached(seen: Installed, expect: Expect) -> bool:
    csv_phase = (seen.csv or {}).get("status", {}).get("phase")
    if expect == "Succeeded":
        plan = seen.install_plan
        return csv_phase == "Succeeded" and plan is not None and plan.get("status", {}).get("phase") == "Complete"
    if expect == "Failed":
        return csv_phase == "Failed"
    if expect == "ResolutionFailed":
        return (condition(seen.subscription, "ResolutionFailed") or {}).get("status") == "True"
    if expect == "RequiresApproval":
        return (seen.install_plan or {}).get("status", {}).get("phase") == "RequiresApproval"
    return any((condition(g, "MultipleOperatorGroup") or {}).get("status") == "True" for g in seen.operator_groups)


def describe(seen: Installed) -> str:
    """One line of what OLM shows for a Subscription: enough to see why a wait failed."""
    status = seen.subscription.get("status", {})
    conditions = [
        f"{c['type']}={c['status']}({c.get('reason', '')})" for c in status.get("conditions", []) if c.get("status")
    ]
    plans = [f"{p['metadata']['name']}:{p.get('status', {}).get('phase')}" for p in seen.install_plans]
    csv = seen.csv or {}
    csv_text = f"{csv.get('metadata', {}).get('name')}:{csv.get('status', {}).get('phase')}/" + str(
        csv.get("status", {}).get("reason")
    )
    return (
        f"subscription state={status.get('state')} conditions={conditions} plans={plans} "
        f"csv={csv_text if csv else None} operatorgroups={[g['metadata']['name'] for g in seen.operator_groups]}"
    )


def wait_for(what: str, probe: Callable[[], T | None], *, timeout: float, detail: Callable[[], str]) -> T:
    """Polls `probe` until it returns something truthy; on timeout fails with `detail()`."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}: {detail()}")
        time.sleep(0.5)


def install(
    api_client: client.ApiClient,
    package: str,
    namespace: str,
    channel: str = "stable",
    *,
    approval: Literal["Automatic", "Manual"] = "Automatic",
    starting_csv: str | None = None,
    operator_group: OperatorGroupMode = "own",
    expect: Expect = "Succeeded",
    timeout: float = 120.0,
) -> Installed:
    """Subscribes `namespace` to `package` from the test catalog and waits until OLM shows `expect`.

    Creates OperatorGroup `og` first (see OperatorGroupMode) and Subscription `<package>`. Fails at once when
    the CSV goes Failed while Succeeded was expected.
    """
    olm = Olm(api_client)
    if operator_group != "none":
        olm.operator_group(namespace, "og", operator_group)
    spec: dict[str, Any] = {
        "name": package,
        "channel": channel,
        "source": CATALOG,
        "sourceNamespace": CATALOG_NAMESPACE,
        "installPlanApproval": approval,
    }
    if starting_csv:
        spec["startingCSV"] = starting_csv
    body = {"apiVersion": f"{GROUP}/v1alpha1", "kind": "Subscription", "metadata": {"name": package}, "spec": spec}
    olm.create("v1alpha1", "subscriptions", namespace, body)
    last: list[Installed] = []

    def probe() -> Installed | None:
        seen = olm.observe(namespace, package)
        last[:] = [seen]
        if expect == "Succeeded" and (seen.csv or {}).get("status", {}).get("phase") == "Failed":
            raise AssertionError(f"{package} in {namespace}: CSV Failed while Succeeded was expected: {describe(seen)}")
        return seen if reached(seen, expect) else None

    return wait_for(
        f"{package} in {namespace} to reach {expect}",
        probe,
        timeout=timeout,
        detail=lambda: describe(last[0]) if last else "nothing observed",
    )
