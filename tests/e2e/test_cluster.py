"""The ground the e2e tests stand on: a real API server with the OLM CRDs, kwok nodes that run Deployments,
pod logs through the API, the failure stages of the test operators, and OLM's own logs as pod logs."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from tests.e2e.olmtest import wait_for

pytestmark = pytest.mark.e2e

OLM_CRDS = {
    f"{plural}.operators.coreos.com"
    for plural in (
        "subscriptions",
        "installplans",
        "clusterserviceversions",
        "catalogsources",
        "operatorgroups",
        "operatorconditions",
        "operators",
        "olmconfigs",
    )
}
FAULT_LABEL = "olm-gather.test/fault"


@pytest.fixture(scope="module")
def kwok_nodes(api_client: client.ApiClient) -> set[str]:
    """Names of the kwok nodes; skips where the cluster has none (an external cluster)."""
    nodes = client.CoreV1Api(api_client).list_node().items
    names = {n.metadata.name for n in nodes if (n.metadata.annotations or {}).get("kwok.x-k8s.io/node") == "fake"}
    if not names:
        pytest.skip("no kwok nodes on this cluster")
    return names


def deployment(name: str, replicas: int, labels: dict[str, str] | None = None) -> dict[str, Any]:
    pod_labels = {"app": name, **(labels or {})}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": pod_labels},
                "spec": {"containers": [{"name": "main", "image": "registry.olm-gather.test/nothing:v1"}]},
            },
        },
    }


def pods_when(
    api_client: client.ApiClient, namespace: str, app: str, ok: Callable[[client.V1Pod], bool]
) -> list[client.V1Pod]:
    core = client.CoreV1Api(api_client)

    def probe() -> list[client.V1Pod] | None:
        pods = core.list_namespaced_pod(namespace, label_selector=f"app={app}").items
        return pods if pods and all(ok(p) for p in pods) else None

    return wait_for(f"pods of {app}", probe, timeout=60, detail=lambda: str(core.list_namespaced_pod(namespace).items))


def test_olm_crds_are_established(api_client: client.ApiClient) -> None:
    crds = client.ApiextensionsV1Api(api_client).list_custom_resource_definition().items
    established = {
        c.metadata.name
        for c in crds
        if any(x.type == "Established" and x.status == "True" for x in c.status.conditions)
    }
    assert established >= OLM_CRDS


def test_deployment_becomes_available_on_kwok_nodes(
    api_client: client.ApiClient, namespace: str, kwok_nodes: set[str]
) -> None:
    apps = client.AppsV1Api(api_client)
    apps.create_namespaced_deployment(namespace, deployment("web", 2))
    wait_for(
        "web available",
        lambda: (apps.read_namespaced_deployment("web", namespace).status.available_replicas or 0) == 2,
        timeout=60,
        detail=lambda: str(apps.read_namespaced_deployment("web", namespace).status),
    )
    pods = pods_when(api_client, namespace, "web", lambda p: p.status.phase == "Running")
    assert len(pods) == 2
    assert {p.spec.node_name for p in pods} <= kwok_nodes
    assert all(s.ready for p in pods for s in p.status.container_statuses)

    log = client.CoreV1Api(api_client).read_namespaced_pod_log(pods[0].metadata.name, namespace, container="main")
    assert "olm-gather test container: started" in log
    assert len(log.splitlines()) >= 3


def test_never_ready_pod_runs_but_is_not_ready(
    api_client: client.ApiClient, namespace: str, kwok_nodes: set[str]
) -> None:
    client.AppsV1Api(api_client).create_namespaced_deployment(
        namespace, deployment("stuck", 1, {FAULT_LABEL: "never-ready"})
    )
    (pod,) = pods_when(api_client, namespace, "stuck", lambda p: p.status.phase == "Running")
    ready = next(c for c in pod.status.conditions if c.type == "Ready")
    assert ready.status == "False"
    assert ready.reason == "ContainersNotReady"
    (status,) = pod.status.container_statuses
    assert status.ready is False
    assert status.state.running is not None
    time.sleep(2)  # and it stays so
    again = client.CoreV1Api(api_client).read_namespaced_pod(pod.metadata.name, namespace)
    assert not again.status.container_statuses[0].ready


def test_crashloop_pod_waits_in_backoff_with_restarts(
    api_client: client.ApiClient, namespace: str, kwok_nodes: set[str]
) -> None:
    client.AppsV1Api(api_client).create_namespaced_deployment(
        namespace, deployment("crash", 1, {FAULT_LABEL: "crashloop"})
    )
    (pod,) = pods_when(api_client, namespace, "crash", lambda p: bool(p.status.container_statuses))
    (status,) = pod.status.container_statuses
    assert status.state.waiting.reason == "CrashLoopBackOff"
    assert status.restart_count > 0
    assert status.last_state.terminated.exit_code == 1
    assert status.ready is False

    core = client.CoreV1Api(api_client)

    def previous_log() -> str | None:
        try:
            return str(core.read_namespaced_pod_log(pod.metadata.name, namespace, container="main", previous=True))
        except ApiException:
            return None  # until previous_logs.py has given the pod its previous log

    log = wait_for("a previous log", previous_log, timeout=30, detail=lambda: "kubectl logs --previous fails")
    assert "olm-gather test container: started (previous run)" in log
    assert "olm-gather test container: started" in core.read_namespaced_pod_log(pod.metadata.name, namespace)


def test_pod_without_restarts_has_no_previous_log(
    api_client: client.ApiClient, namespace: str, kwok_nodes: set[str]
) -> None:
    client.AppsV1Api(api_client).create_namespaced_deployment(namespace, deployment("fine", 1))
    (pod,) = pods_when(api_client, namespace, "fine", lambda p: p.status.phase == "Running")
    with pytest.raises(ApiException) as failed:
        client.CoreV1Api(api_client).read_namespaced_pod_log(pod.metadata.name, namespace, previous=True)
    assert failed.value.status == 400


@pytest.mark.olm
@pytest.mark.parametrize(("app", "marker"), [("olm-operator", "log level"), ("catalog-operator", "log level")])
def test_olm_logs_are_pod_logs(olm_kubeconfig: str, api_client: client.ApiClient, app: str, marker: str) -> None:
    """OLM's controllers run on the host; their real log is the log of the stand-in pod `-l app=<name>`."""
    core = client.CoreV1Api(api_client)
    (pod,) = core.list_namespaced_pod("olm", label_selector=f"app={app}").items
    assert pod.status.phase == "Running"
    log = core.read_namespaced_pod_log(pod.metadata.name, "olm", container=app)
    assert marker in log, log[:500]
