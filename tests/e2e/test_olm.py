"""Real OLM v0 installs the test operators: everything checked here was made by OLM's controllers from a
Subscription (and an OperatorGroup) that the test created, including the failure states real users hit."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from catalog import packages
from tests.e2e import olmtest
from tests.e2e.olmtest import condition, install, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.olm]


def owned_by(obj: Any, kind: str, name: str) -> bool:
    return any(o.kind == kind and o.name == name for o in obj.metadata.owner_references or [])


def test_subscription_installs_operator(olm: olmtest.Olm, api_client: client.ApiClient, namespace: str) -> None:
    pkg = packages.ALPHA
    csv_name = pkg.csv_name(pkg.head.version)
    seen = install(api_client, pkg.name, namespace)

    plan = seen.install_plan
    assert plan is not None
    assert plan["status"]["phase"] == "Complete"
    assert plan["metadata"]["generateName"] == "install-"
    assert seen.subscription["metadata"]["uid"] in {o["uid"] for o in plan["metadata"]["ownerReferences"]}
    assert csv_name in plan["spec"]["clusterServiceVersionNames"]
    assert {s["status"] for s in plan["status"]["plan"]} <= {"Created", "Present"}
    assert seen.subscription["status"]["installedCSV"] == csv_name
    assert seen.csv is not None
    assert seen.csv["status"]["phase"] == "Succeeded"

    ext = client.ApiextensionsV1Api(api_client)
    for crd in pkg.owned_crds:
        assert ext.read_custom_resource_definition(crd.name).metadata.labels.get("olm.managed") == "true"

    owner = f"olm.owner={csv_name},olm.owner.namespace={namespace}"
    rbac = client.RbacAuthorizationV1Api(api_client)
    assert rbac.list_namespaced_role(namespace, label_selector=owner).items
    assert rbac.list_namespaced_role_binding(namespace, label_selector=owner).items
    assert rbac.list_cluster_role(label_selector=owner).items
    assert rbac.list_cluster_role_binding(label_selector=owner).items

    core = client.CoreV1Api(api_client)
    sa = core.read_namespaced_service_account(pkg.service_account_name, namespace)
    assert owned_by(sa, "ClusterServiceVersion", csv_name)

    apps = client.AppsV1Api(api_client)
    dep = apps.read_namespaced_deployment(pkg.deployment_name, namespace)
    assert owned_by(dep, "ClusterServiceVersion", csv_name)
    assert dep.status.available_replicas == dep.spec.replicas
    selector = ",".join(f"{k}={v}" for k, v in dep.spec.selector.match_labels.items())
    pods = core.list_namespaced_pod(namespace, label_selector=selector).items
    assert pods
    assert all(p.status.phase == "Running" for p in pods)
    nodes = {n.metadata.name: n for n in core.list_node().items}
    assert all((nodes[p.spec.node_name].metadata.annotations or {}).get("kwok.x-k8s.io/node") == "fake" for p in pods)


def test_unknown_channel_fails_resolution(olm: olmtest.Olm, api_client: client.ApiClient, namespace: str) -> None:
    seen = install(api_client, packages.BETA.name, namespace, "no-such-channel", expect="ResolutionFailed")
    failed = condition(seen.subscription, "ResolutionFailed")
    assert failed is not None
    assert failed["reason"] == "ConstraintsNotSatisfiable"
    assert "no-such-channel" in failed["message"]
    assert not seen.install_plans
    assert seen.csv is None


def test_manual_approval_waits(olm: olmtest.Olm, api_client: client.ApiClient, namespace: str) -> None:
    seen = install(api_client, packages.BETA.name, namespace, approval="Manual", expect="RequiresApproval")
    plan = seen.install_plan
    assert plan is not None
    assert plan["spec"]["approval"] == "Manual"
    assert plan["spec"]["approved"] is False
    assert seen.subscription["status"]["state"] == "UpgradePending"
    # Copies of AllNamespaces operators' CSVs (installed by other tests) may be here; no CSV of its own is.
    own = [
        c
        for c in olm.list("v1alpha1", "clusterserviceversions", namespace)
        if "olm.copiedFrom" not in c["metadata"].get("labels", {})
    ]
    assert own == []


def test_never_ready_deployment_fails_the_csv(olm: olmtest.Olm, api_client: client.ApiClient, namespace: str) -> None:
    pkg = packages.NEVER_READY_PKG
    seen = install(api_client, pkg.name, namespace, expect="Failed", timeout=150)
    assert seen.csv is not None
    status = seen.csv["status"]
    assert status["reason"] == "InstallCheckFailed"
    assert "exceeded its progress deadline" in status["message"]
    core = client.CoreV1Api(api_client)
    pods = core.list_namespaced_pod(namespace, label_selector=f"olm-gather.test/fault={pkg.fault}").items
    assert pods
    assert all(p.status.phase == "Running" and not p.status.container_statuses[0].ready for p in pods)


def test_crashloop_deployment_fails_the_csv(olm: olmtest.Olm, api_client: client.ApiClient, namespace: str) -> None:
    pkg = packages.CRASHLOOP_PKG
    seen = install(api_client, pkg.name, namespace, expect="Failed", timeout=150)
    assert seen.csv is not None
    assert seen.csv["status"]["reason"] == "InstallCheckFailed"
    core = client.CoreV1Api(api_client)
    pods = core.list_namespaced_pod(namespace, label_selector=f"olm-gather.test/fault={pkg.fault}").items
    assert pods
    for pod in pods:
        (status,) = pod.status.container_statuses
        assert status.state.waiting.reason == "CrashLoopBackOff"
        assert status.restart_count > 0

    def previous_log() -> str | None:
        try:
            return str(core.read_namespaced_pod_log(pods[0].metadata.name, namespace, previous=True))
        except ApiException:
            return None

    assert "previous run" in wait_for("a previous log", previous_log, timeout=30, detail=lambda: "none")


def test_second_operator_group_fails_the_csv(olm: olmtest.Olm, api_client: client.ApiClient, namespace: str) -> None:
    seen = install(api_client, packages.BETA.name, namespace)
    assert seen.csv is not None
    csv_name = seen.csv["metadata"]["name"]
    olm.operator_group(namespace, "og-2", "own")

    def csv_failed() -> dict[str, Any] | None:
        csv = olm.get("v1alpha1", "clusterserviceversions", namespace, csv_name) or {}
        return csv if csv.get("status", {}).get("reason") == "TooManyOperatorGroups" else None

    csv = wait_for("CSV reason TooManyOperatorGroups", csv_failed, timeout=60, detail=lambda: str(csv_failed()))
    assert csv["status"]["phase"] == "Failed"
    groups = olm.list("v1", "operatorgroups", namespace)
    assert len(groups) == 2
    assert any((condition(g, "MultipleOperatorGroup") or {}).get("status") == "True" for g in groups)


def test_two_operator_groups_block_installation(olm: olmtest.Olm, api_client: client.ApiClient, namespace: str) -> None:
    olm.operator_group(namespace, "og-1", "own")
    olm.operator_group(namespace, "og-2", "own")
    seen = install(api_client, packages.BETA.name, namespace, operator_group="none", expect="MultipleOperatorGroup")

    def both_flagged() -> list[dict[str, Any]] | None:
        groups = olm.list("v1", "operatorgroups", namespace)
        flagged = [c for g in groups if (c := condition(g, "MultipleOperatorGroup")) and c["status"] == "True"]
        return flagged if len(flagged) == len(groups) == 2 else None

    found = wait_for("both OperatorGroups flagged", both_flagged, timeout=30, detail=lambda: str(both_flagged()))
    assert {c["reason"] for c in found} == {"MultipleOperatorGroupsFound"}
    assert not olm.observe(namespace, packages.BETA.name).install_plans
    assert seen.csv is None
