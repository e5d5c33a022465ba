"""Gathered trees for the analyze tests: OLM objects shaped as OLM v0 (0.38) writes them, laid out by `_layout`.

`Scenario.healthy()` is one operator installed by OLM (Subscription, InstallPlan, CSV, Deployment, ReplicaSet,
pod, logs, events, OperatorGroup, CatalogSource, OLM's catalog-operator pod); every failure scenario changes
it the way real OLM would for that failure. `files()` returns the tree as a map of path to bytes.
"""

from __future__ import annotations

import copy
import dataclasses
import zlib
from typing import Any

import yaml

from olm_gather import _layout

T0 = "2025-01-10T10:00:00Z"
T1 = "2025-01-10T10:00:05Z"
T2 = "2025-01-10T10:00:30Z"
T_LATE = "2025-01-10T10:20:00Z"  # the last event of a tree: analysis reads it as the gather time

Obj = dict[str, Any]

_RESOURCES = {
    ("operators.coreos.com/v1alpha1", "Subscription"): ("operators.coreos.com", "subscriptions"),
    ("operators.coreos.com/v1alpha1", "InstallPlan"): ("operators.coreos.com", "installplans"),
    ("operators.coreos.com/v1alpha1", "ClusterServiceVersion"): ("operators.coreos.com", "clusterserviceversions"),
    ("operators.coreos.com/v1alpha1", "CatalogSource"): ("operators.coreos.com", "catalogsources"),
    ("operators.coreos.com/v1", "OperatorGroup"): ("operators.coreos.com", "operatorgroups"),
    ("apps/v1", "Deployment"): ("apps", "deployments"),
    ("apps/v1", "ReplicaSet"): ("apps", "replicasets"),
    ("v1", "Namespace"): ("", "namespaces"),
}


def dump(obj: object) -> bytes:
    return yaml.safe_dump(obj, sort_keys=False, default_flow_style=False).encode()


@dataclasses.dataclass
class Scenario:
    """One tree under construction: objects by role, plus extra objects, events and logs."""

    namespace: str = "ns1"
    package: str = "foo-operator"
    objects: dict[str, Obj] = dataclasses.field(default_factory=dict)
    events: list[Obj] = dataclasses.field(default_factory=list)
    logs: dict[str, str] = dataclasses.field(default_factory=dict)
    list_files: bool = False  # write OLM objects as `<plural>.yaml` list files, as `oc adm inspect` of a namespace

    @property
    def csv_name(self) -> str:
        return f"{self.package}.v0.1.0"

    @property
    def deployment_name(self) -> str:
        return f"{self.package}-controller-manager"

    @property
    def pod_name(self) -> str:
        return f"{self.deployment_name}-6d5f7c8b9-x2x4z"

    @property
    def sub(self) -> Obj:
        return self.objects["subscription"]

    @property
    def plan(self) -> Obj:
        return self.objects["installplan"]

    @property
    def csv(self) -> Obj:
        return self.objects["csv"]

    @property
    def deployment(self) -> Obj:
        return self.objects["deployment"]

    @property
    def pod(self) -> Obj:
        return self.objects["pod"]

    @classmethod
    def healthy(cls, namespace: str = "ns1", package: str = "foo-operator") -> Scenario:
        s = cls(namespace=namespace, package=package)
        s.objects = _healthy_objects(s)
        s.events = _healthy_events(s)
        s.logs = {
            _layout.log_path(namespace=namespace, pod=s.pod_name, container="manager"): (
                f"{T1} INFO setup starting manager\n{T1} INFO Starting workers controller=foo worker count=1\n"
            ),
            _layout.log_path(namespace="olm", pod="catalog-operator-7c9f8d6b5-abcde", container="catalog-operator"): (
                f'time="{T0}" level=info msg="resolving sources" id=AbCdE namespace={namespace}\n'
            ),
        }
        return s

    def drop(self, *roles: str) -> Scenario:
        for role in roles:
            self.objects.pop(role, None)
        return self

    def no_install(self) -> Scenario:
        """What a Subscription looks like when OLM never resolved it: catalog health only, no plan or CSV."""
        self.drop("installplan", "csv", "deployment", "replicaset", "pod")
        status = self.sub["status"]
        for key in ("currentCSV", "installedCSV", "installPlanRef", "installplan", "installPlanGeneration", "state"):
            status.pop(key, None)
        self.logs = {k: v for k, v in self.logs.items() if f"/{self.pod_name}/" not in k}
        self.events = [e for e in self.events if e["involvedObject"]["kind"] not in ("Pod", "ClusterServiceVersion")]
        return self

    def event(
        self,
        *,
        namespace: str,
        kind: str,
        name: str,
        reason: str,
        message: str,
        type_: str = "Warning",
        when: str = T2,
        count: int = 1,
        source: str = "",
    ) -> Scenario:
        ref_ns = "" if kind == "Namespace" else namespace
        self.events.append(
            {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {"name": f"{name}.{zlib.crc32((reason + message).encode()):08x}", "namespace": namespace},
                "involvedObject": {"kind": kind, "name": name, "namespace": ref_ns},
                "reason": reason,
                "message": message,
                "type": type_,
                "count": count,
                "firstTimestamp": when,
                "lastTimestamp": when,
                "source": {"component": source or "kubelet"},
            }
        )
        return self

    def files(self) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        lists: dict[str, list[Obj]] = {}
        for obj in self.objects.values():
            kind = obj["kind"]
            meta = obj["metadata"]
            ns = meta.get("namespace", "")
            if kind == "Pod":
                out[_layout.pod_path(namespace=ns, pod=meta["name"])] = dump(obj)
                lists.setdefault(_layout.pods_list_path(ns), []).append(obj)
                continue
            if kind == "Namespace":
                out[_layout.namespace_path(meta["name"])] = dump(obj)
                continue
            group, plural = _RESOURCES[(obj["apiVersion"], kind)]
            if self.list_files and ns:
                lists.setdefault(_layout.list_path(group=group, plural=plural, namespace=ns), []).append(obj)
            else:
                out[_layout.object_path(group=group, plural=plural, name=meta["name"], namespace=ns)] = dump(obj)
        for ev in self.events:
            lists.setdefault(_layout.events_path(ev["metadata"]["namespace"]), []).append(ev)
        for path, items in lists.items():
            kind = "EventList" if path.endswith("events.yaml") else "List"
            out[path] = dump({"apiVersion": "v1", "kind": kind, "metadata": {"resourceVersion": ""}, "items": items})
        for path, text in self.logs.items():
            out[path] = text.encode()
        out[_layout.VERSION] = b"olm-gather\n0.1.0\n"
        out[_layout.TIMESTAMP] = f"{T0}\n{T_LATE}\n".encode()
        out[_layout.GATHER_JSON] = b'{"layoutVersion": "1", "incomplete": false}\n'
        return out


def _meta(name: str, namespace: str = "", uid: str = "", **extra: Any) -> Obj:
    meta: Obj = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    meta["uid"] = uid or f"uid-{name}"
    meta["resourceVersion"] = "1234"
    meta["generation"] = 1
    meta["creationTimestamp"] = T0
    meta.update(extra)
    return meta


def _healthy_objects(s: Scenario) -> dict[str, Obj]:
    ns, pkg, csv, dep, pod = s.namespace, s.package, s.csv_name, s.deployment_name, s.pod_name
    component = {f"operators.coreos.com/{pkg}.{ns}": ""}
    catalog_ref = {
        "apiVersion": "operators.coreos.com/v1alpha1",
        "kind": "CatalogSource",
        "name": "test-catalog",
        "namespace": "olm",
        "resourceVersion": "900",
        "uid": "uid-test-catalog",
    }
    sub_uid = f"uid-sub-{pkg}"
    plan_name = "install-8xk2p"
    rs = f"{dep}-6d5f7c8b9"
    step = {"sourceName": "test-catalog", "sourceNamespace": "olm", "manifest": "{}"}
    return {
        "namespace": {"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(ns), "status": {"phase": "Active"}},
        "operatorgroup": {
            "apiVersion": "operators.coreos.com/v1",
            "kind": "OperatorGroup",
            "metadata": _meta(f"{ns}-og", ns, annotations={"olm.providedAPIs": "Foo.v1.example.com"}),
            "spec": {"targetNamespaces": [ns], "upgradeStrategy": "Default"},
            "status": {"lastUpdated": T0, "namespaces": [ns]},
        },
        "catalogsource": {
            "apiVersion": "operators.coreos.com/v1alpha1",
            "kind": "CatalogSource",
            "metadata": _meta("test-catalog", "olm", uid="uid-test-catalog"),
            "spec": {"address": "127.0.0.1:50051", "displayName": "Test operators", "sourceType": "grpc"},
            "status": {
                "connectionState": {"address": "127.0.0.1:50051", "lastConnect": T0, "lastObservedState": "READY"}
            },
        },
        "subscription": {
            "apiVersion": "operators.coreos.com/v1alpha1",
            "kind": "Subscription",
            "metadata": _meta(pkg, ns, uid=sub_uid, labels=dict(component)),
            "spec": {
                "channel": "stable",
                "installPlanApproval": "Automatic",
                "name": pkg,
                "source": "test-catalog",
                "sourceNamespace": "olm",
            },
            "status": {
                "catalogHealth": [{"catalogSourceRef": catalog_ref, "healthy": True, "lastUpdated": T0}],
                "conditions": [
                    {
                        "lastTransitionTime": T0,
                        "message": "all available catalogsources are healthy",
                        "reason": "AllCatalogSourcesHealthy",
                        "status": "False",
                        "type": "CatalogSourcesUnhealthy",
                    }
                ],
                "currentCSV": csv,
                "installPlanGeneration": 1,
                "installPlanRef": {
                    "apiVersion": "operators.coreos.com/v1alpha1",
                    "kind": "InstallPlan",
                    "name": plan_name,
                    "namespace": ns,
                    "resourceVersion": "1300",
                    "uid": f"uid-{plan_name}",
                },
                "installedCSV": csv,
                "installplan": {
                    "apiVersion": "operators.coreos.com/v1alpha1",
                    "kind": "InstallPlan",
                    "name": plan_name,
                    "uuid": f"uid-{plan_name}",
                },
                "lastUpdated": T2,
                "state": "AtLatestKnown",
            },
        },
        "installplan": {
            "apiVersion": "operators.coreos.com/v1alpha1",
            "kind": "InstallPlan",
            "metadata": _meta(
                plan_name,
                ns,
                generateName="install-",
                labels=dict(component),
                ownerReferences=[
                    {
                        "apiVersion": "operators.coreos.com/v1alpha1",
                        "blockOwnerDeletion": False,
                        "controller": False,
                        "kind": "Subscription",
                        "name": pkg,
                        "uid": sub_uid,
                    }
                ],
            ),
            "spec": {"approval": "Automatic", "approved": True, "clusterServiceVersionNames": [csv], "generation": 1},
            "status": {
                "bundleLookups": None,
                "catalogSources": [],
                "conditions": [{"lastTransitionTime": T1, "lastUpdateTime": T1, "status": "True", "type": "Installed"}],
                "phase": "Complete",
                "plan": [
                    {
                        "resolving": csv,
                        "resource": {
                            **step,
                            "group": "apiextensions.k8s.io",
                            "kind": "CustomResourceDefinition",
                            "name": "foos.example.com",
                            "version": "v1",
                        },
                        "status": "Created",
                    },
                    {
                        "resolving": csv,
                        "resource": {
                            **step,
                            "group": "operators.coreos.com",
                            "kind": "ClusterServiceVersion",
                            "name": csv,
                            "version": "v1alpha1",
                        },
                        "status": "Created",
                    },
                    {
                        "resolving": csv,
                        "resource": {**step, "group": "", "kind": "ServiceAccount", "name": dep, "version": "v1"},
                        "status": "Created",
                    },
                ],
                "startTime": T0,
            },
        },
        "csv": {
            "apiVersion": "operators.coreos.com/v1alpha1",
            "kind": "ClusterServiceVersion",
            "metadata": _meta(
                csv,
                ns,
                labels={**component, "olm.api.2a5c0fa1b3d4e5f6": "provided"},
                annotations={
                    "olm.operatorGroup": f"{ns}-og",
                    "olm.operatorNamespace": ns,
                    "olm.targetNamespaces": ns,
                    "operatorframework.io/properties": '{"properties":[]}',
                },
            ),
            "spec": {
                "customresourcedefinitions": {"owned": [{"kind": "Foo", "name": "foos.example.com", "version": "v1"}]},
                "displayName": "Foo Operator",
                "install": {
                    "spec": {
                        "deployments": [
                            {
                                "label": {"control-plane": "controller-manager"},
                                "name": dep,
                                "spec": {
                                    "replicas": 1,
                                    "selector": {"matchLabels": {"control-plane": "controller-manager"}},
                                    "template": {
                                        "metadata": {"labels": {"control-plane": "controller-manager"}},
                                        "spec": {
                                            "containers": [
                                                {"name": "manager", "image": f"quay.example.com/{pkg}:v0.1.0"}
                                            ],
                                            "serviceAccountName": dep,
                                        },
                                    },
                                },
                            }
                        ],
                        "permissions": [
                            {
                                "serviceAccountName": dep,
                                "rules": [
                                    {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}
                                ],
                            }
                        ],
                    },
                    "strategy": "deployment",
                },
                "installModes": [
                    {"supported": True, "type": "OwnNamespace"},
                    {"supported": True, "type": "SingleNamespace"},
                    {"supported": False, "type": "MultiNamespace"},
                    {"supported": False, "type": "AllNamespaces"},
                ],
                "version": "0.1.0",
            },
            "status": {
                "conditions": [
                    {
                        "lastTransitionTime": T0,
                        "lastUpdateTime": T0,
                        "message": "requirements not yet checked",
                        "phase": "Pending",
                        "reason": "RequirementsUnknown",
                    },
                    {
                        "lastTransitionTime": T1,
                        "lastUpdateTime": T1,
                        "message": "all requirements found, attempting install",
                        "phase": "InstallReady",
                        "reason": "AllRequirementsMet",
                    },
                    {
                        "lastTransitionTime": T2,
                        "lastUpdateTime": T2,
                        "message": "install strategy completed with no errors",
                        "phase": "Succeeded",
                        "reason": "InstallSucceeded",
                    },
                ],
                "lastTransitionTime": T2,
                "lastUpdateTime": T2,
                "message": "install strategy completed with no errors",
                "phase": "Succeeded",
                "reason": "InstallSucceeded",
                "requirementStatus": [
                    {
                        "group": "apiextensions.k8s.io",
                        "kind": "CustomResourceDefinition",
                        "message": "CRD is present and Established condition is true",
                        "name": "foos.example.com",
                        "status": "Present",
                        "uuid": "uid-crd",
                        "version": "v1",
                    },
                    {
                        "group": "",
                        "kind": "ServiceAccount",
                        "message": "",
                        "name": dep,
                        "status": "Present",
                        "version": "v1",
                        "dependents": [
                            {
                                "group": "rbac.authorization.k8s.io",
                                "kind": "PolicyRule",
                                "message": 'namespaced rule:{"verbs":["get","list","watch"],"apiGroups":[""],'
                                '"resources":["configmaps"]}',
                                "status": "Satisfied",
                                "version": "v1",
                            }
                        ],
                    },
                ],
            },
        },
        "deployment": {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": _meta(
                dep,
                ns,
                labels={
                    **component,
                    "olm.deployment-spec-hash": "5b7d9c8f6",
                    "olm.managed": "true",
                    "olm.owner": csv,
                    "olm.owner.kind": "ClusterServiceVersion",
                    "olm.owner.namespace": ns,
                },
                ownerReferences=[
                    {
                        "apiVersion": "operators.coreos.com/v1alpha1",
                        "blockOwnerDeletion": False,
                        "controller": False,
                        "kind": "ClusterServiceVersion",
                        "name": csv,
                        "uid": f"uid-{csv}",
                    }
                ],
            ),
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"control-plane": "controller-manager"}},
                "template": {
                    "metadata": {"labels": {"control-plane": "controller-manager"}},
                    "spec": {"containers": [{"name": "manager", "image": f"quay.example.com/{pkg}:v0.1.0"}]},
                },
            },
            "status": {
                "availableReplicas": 1,
                "conditions": [
                    {
                        "lastTransitionTime": T1,
                        "lastUpdateTime": T1,
                        "message": "Deployment has minimum availability.",
                        "reason": "MinimumReplicasAvailable",
                        "status": "True",
                        "type": "Available",
                    },
                    {
                        "lastTransitionTime": T0,
                        "lastUpdateTime": T1,
                        "message": f'ReplicaSet "{rs}" has successfully progressed.',
                        "reason": "NewReplicaSetAvailable",
                        "status": "True",
                        "type": "Progressing",
                    },
                ],
                "observedGeneration": 1,
                "readyReplicas": 1,
                "replicas": 1,
                "updatedReplicas": 1,
            },
        },
        "replicaset": {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": _meta(
                rs,
                ns,
                labels={"control-plane": "controller-manager", "pod-template-hash": "6d5f7c8b9"},
                ownerReferences=[
                    {
                        "apiVersion": "apps/v1",
                        "blockOwnerDeletion": True,
                        "controller": True,
                        "kind": "Deployment",
                        "name": dep,
                        "uid": f"uid-{dep}",
                    }
                ],
            ),
            "spec": {"replicas": 1, "selector": {"matchLabels": {"control-plane": "controller-manager"}}},
            "status": {"availableReplicas": 1, "fullyLabeledReplicas": 1, "readyReplicas": 1, "replicas": 1},
        },
        "pod": {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": _meta(
                pod,
                ns,
                generateName=f"{rs}-",
                labels={"control-plane": "controller-manager", "pod-template-hash": "6d5f7c8b9"},
                ownerReferences=[
                    {
                        "apiVersion": "apps/v1",
                        "blockOwnerDeletion": True,
                        "controller": True,
                        "kind": "ReplicaSet",
                        "name": rs,
                        "uid": f"uid-{rs}",
                    }
                ],
            ),
            "spec": {
                "containers": [{"name": "manager", "image": f"quay.example.com/{pkg}:v0.1.0"}],
                "nodeName": "node-0",
                "serviceAccountName": dep,
            },
            "status": {
                "conditions": [
                    {"lastTransitionTime": T0, "status": "True", "type": "PodScheduled"},
                    {"lastTransitionTime": T1, "status": "True", "type": "Initialized"},
                    {"lastTransitionTime": T1, "status": "True", "type": "ContainersReady"},
                    {"lastTransitionTime": T1, "status": "True", "type": "Ready"},
                ],
                "containerStatuses": [
                    {
                        "containerID": "containerd://abc",
                        "image": f"quay.example.com/{pkg}:v0.1.0",
                        "imageID": f"quay.example.com/{pkg}@sha256:0123",
                        "lastState": {},
                        "name": "manager",
                        "ready": True,
                        "restartCount": 0,
                        "started": True,
                        "state": {"running": {"startedAt": T1}},
                    }
                ],
                "hostIP": "10.0.0.1",
                "phase": "Running",
                "podIP": "10.244.0.12",
                "qosClass": "BestEffort",
                "startTime": T0,
            },
        },
        "catalog-operator": {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": _meta(
                "catalog-operator-7c9f8d6b5-abcde",
                "olm",
                labels={"app": "catalog-operator", "pod-template-hash": "7c9f8d6b5"},
            ),
            "spec": {"containers": [{"name": "catalog-operator", "image": "quay.io/operator-framework/olm:v0.38.0"}]},
            "status": {
                "conditions": [{"lastTransitionTime": T0, "status": "True", "type": "Ready"}],
                "containerStatuses": [
                    {
                        "name": "catalog-operator",
                        "ready": True,
                        "restartCount": 0,
                        "started": True,
                        "image": "quay.io/operator-framework/olm:v0.38.0",
                        "state": {"running": {"startedAt": T0}},
                    }
                ],
                "phase": "Running",
            },
        },
    }


def _healthy_events(s: Scenario) -> list[Obj]:
    ns, csv = s.namespace, s.csv_name
    s.events = []
    s.event(
        namespace=ns,
        kind="ClusterServiceVersion",
        name=csv,
        reason="RequirementsUnknown",
        message="requirements not yet checked",
        type_="Normal",
        when=T0,
        source="operator-lifecycle-manager",
    )
    s.event(
        namespace=ns,
        kind="ClusterServiceVersion",
        name=csv,
        reason="AllRequirementsMet",
        message="all requirements found, attempting install",
        type_="Normal",
        when=T1,
        source="operator-lifecycle-manager",
    )
    s.event(
        namespace=ns,
        kind="Pod",
        name=s.pod_name,
        reason="Started",
        message="Started container manager",
        type_="Normal",
        when=T1,
    )
    s.event(
        namespace=ns,
        kind="ClusterServiceVersion",
        name=csv,
        reason="InstallSucceeded",
        message="install strategy completed with no errors",
        type_="Normal",
        when=T2,
        source="operator-lifecycle-manager",
    )
    return s.events


# --- Failure scenarios, each as real OLM leaves the objects ---------------------------------------------------


def no_operator_group() -> Scenario:
    s = Scenario.healthy().no_install().drop("operatorgroup")
    s.logs[_layout.log_path(namespace="olm", pod="catalog-operator-7c9f8d6b5-abcde", container="catalog-operator")] = (
        f'time="{T0}" level=info msg="resolving sources" id=AbCdE namespace=ns1\n'
        'E0110 10:05:00.000000       1 queueinformer_operator.go:312] "Unhandled Error" '
        'err="sync \\"/ns1\\" failed: found 0 operatorGroups, expected 1" logger="UnhandledError"\n'
    )
    return s


def two_operator_groups() -> Scenario:
    s = Scenario.healthy().no_install()
    cond = {
        "lastTransitionTime": T1,
        "message": "Multiple OperatorGroup found in the same namespace",
        "reason": "MultipleOperatorGroupsFound",
        "status": "True",
        "type": "MultipleOperatorGroup",
    }
    og = s.objects["operatorgroup"]
    og["status"]["conditions"] = [cond]
    second = copy.deepcopy(og)
    second["metadata"]["name"] = "second-og"
    second["metadata"]["uid"] = "uid-second-og"
    s.objects["operatorgroup2"] = second
    return s


def csv_too_many_operator_groups() -> Scenario:
    s = two_operator_groups()
    fresh = Scenario.healthy()
    s.objects.update({k: fresh.objects[k] for k in ("installplan", "csv", "deployment", "replicaset", "pod")})
    s.sub["status"] = fresh.sub["status"]
    s.csv["status"].update(
        phase="Failed",
        reason="TooManyOperatorGroups",
        message="csv created in namespace with multiple operatorgroups, can't pick one automatically",
    )
    return s


def unsupported_install_mode() -> Scenario:
    s = Scenario.healthy()
    s.drop("deployment", "replicaset", "pod")
    og = s.objects["operatorgroup"]
    og["spec"] = {"upgradeStrategy": "Default"}
    og["status"]["namespaces"] = [""]
    s.csv["metadata"]["annotations"]["olm.targetNamespaces"] = ""
    s.csv["status"].update(
        phase="Failed",
        reason="UnsupportedOperatorGroup",
        message="AllNamespaces InstallModeType not supported, cannot configure to watch all namespaces",
    )
    s.sub["status"]["state"] = "AtLatestKnown"
    return s


def resolution_failed() -> Scenario:
    s = Scenario.healthy().no_install()
    s.sub["spec"]["channel"] = "nope"
    message = (
        "constraints not satisfiable: no operators found in channel nope of package foo-operator in the catalog "
        "referenced by subscription foo-operator, subscription foo-operator exists"
    )
    s.sub["status"]["conditions"].append(
        {
            "lastTransitionTime": T1,
            "message": message,
            "reason": "ConstraintsNotSatisfiable",
            "status": "True",
            "type": "ResolutionFailed",
        }
    )
    # The recorder puts events about a (cluster-scoped) Namespace into `default`.
    s.event(
        namespace="default",
        kind="Namespace",
        name="ns1",
        reason="ResolutionFailed",
        message=message,
        source="operator-lifecycle-manager",
    )
    return s


def catalog_unhealthy() -> Scenario:
    s = Scenario.healthy().no_install()
    s.sub["status"]["catalogHealth"][0]["healthy"] = False
    s.sub["status"]["conditions"][0].update(
        message="targeted catalogsource olm/test-catalog unhealthy", reason="UnhealthyCatalogSourceFound", status="True"
    )
    cat = s.objects["catalogsource"]
    cat["spec"] = {"image": "quay.example.com/test-catalog:latest", "sourceType": "grpc"}
    cat["status"] = {
        "connectionState": {
            "address": "test-catalog.olm.svc:50051",
            "lastConnect": T0,
            "lastObservedState": "TRANSIENT_FAILURE",
        },
        "registryService": {
            "createdAt": T0,
            "port": "50051",
            "protocol": "grpc",
            "serviceName": "test-catalog",
            "serviceNamespace": "olm",
        },
    }
    s.objects["catalog-pod"] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": _meta(
            "test-catalog-9zq7w", "olm", labels={"olm.catalogSource": "test-catalog", "olm.managed": "true"}
        ),
        "spec": {"containers": [{"name": "registry-server", "image": "quay.example.com/test-catalog:latest"}]},
        "status": {
            "phase": "Pending",
            "conditions": [{"status": "True", "type": "PodScheduled"}],
            "containerStatuses": [
                {
                    "name": "registry-server",
                    "image": "quay.example.com/test-catalog:latest",
                    "ready": False,
                    "restartCount": 0,
                    "started": False,
                    "state": {
                        "waiting": {
                            "reason": "ImagePullBackOff",
                            "message": 'Back-off pulling image "quay.example.com/test-catalog:latest"',
                        }
                    },
                }
            ],
        },
    }
    return s


def catalog_missing() -> Scenario:
    s = Scenario.healthy().no_install().drop("catalogsource")
    s.sub["spec"]["source"] = "missing-catalog"
    s.sub["status"]["catalogHealth"] = []
    s.sub["status"]["conditions"][0].update(
        message="targeted catalogsource olm/missing-catalog missing",
        reason="UnhealthyCatalogSourceFound",
        status="True",
    )
    return s


def bundle_unpack_failed() -> Scenario:
    s = Scenario.healthy().no_install()
    s.sub["status"]["conditions"].append(
        {
            "lastTransitionTime": T2,
            "message": "bundle unpacking failed. Reason: DeadlineExceeded, and Message: Job was active longer than "
            "specified deadline",
            "reason": "BundleUnpackFailed",
            "status": "True",
            "type": "BundleUnpackFailed",
        }
    )
    return s


def bundle_unpacking_stuck() -> Scenario:
    s = Scenario.healthy().no_install()
    s.sub["status"]["conditions"].append(
        {"lastTransitionTime": T0, "reason": "UnpackingInProgress", "status": "True", "type": "BundleUnpacking"}
    )
    s.event(
        namespace="ns1",
        kind="Subscription",
        name="foo-operator",
        reason="Unpacking",
        message="still unpacking",
        type_="Normal",
        when=T_LATE,
    )
    return s


def requires_approval() -> Scenario:
    s = Scenario.healthy().drop("csv", "deployment", "replicaset", "pod")
    s.sub["spec"]["installPlanApproval"] = "Manual"
    s.sub["status"].pop("installedCSV")
    s.sub["status"]["state"] = "UpgradePending"
    s.sub["status"]["conditions"].append(
        {"lastTransitionTime": T1, "reason": "RequiresApproval", "status": "True", "type": "InstallPlanPending"}
    )
    s.plan["spec"].update(approval="Manual", approved=False)
    s.plan["status"]["phase"] = "RequiresApproval"
    s.plan["status"]["conditions"] = []
    for step in s.plan["status"]["plan"]:
        step["status"] = "Unknown"
    s.events = [e for e in s.events if e["involvedObject"]["kind"] not in ("Pod", "ClusterServiceVersion")]
    return s


def install_plan_failed() -> Scenario:
    s = Scenario.healthy().drop("csv", "deployment", "replicaset", "pod")
    s.sub["status"].pop("installedCSV")
    s.sub["status"]["state"] = "UpgradePending"
    message = (
        'error validating existing CRs against new CRD\'s schema for "foos.example.com": error validating custom '
        'resource against new schema for Foo ns1/foo-sample: [].spec.size: Invalid value: "string": spec.size in '
        "body must be of type integer"
    )
    s.sub["status"]["conditions"].append(
        {
            "lastTransitionTime": T2,
            "message": message,
            "reason": "InstallComponentFailed",
            "status": "True",
            "type": "InstallPlanFailed",
        }
    )
    s.plan["status"]["phase"] = "Failed"
    s.plan["status"]["message"] = message
    s.plan["status"]["conditions"] = [
        {
            "lastTransitionTime": T2,
            "lastUpdateTime": T2,
            "message": message,
            "reason": "InstallComponentFailed",
            "status": "False",
            "type": "Installed",
        }
    ]
    s.plan["status"]["plan"][0]["status"] = "Unknown"
    for step in s.plan["status"]["plan"][1:]:
        step["status"] = "Unknown"
    return s


def install_plan_missing() -> Scenario:
    s = Scenario.healthy().drop("installplan", "csv", "deployment", "replicaset", "pod")
    s.sub["status"].pop("installedCSV")
    s.sub["status"]["state"] = "UpgradePending"
    s.sub["status"]["conditions"].append(
        {
            "lastTransitionTime": T2,
            "message": "",
            "reason": "ReferencedInstallPlanNotFound",
            "status": "True",
            "type": "InstallPlanMissing",
        }
    )
    return s


def requirements_not_met() -> Scenario:
    s = Scenario.healthy().drop("deployment", "replicaset", "pod")
    s.sub["status"].pop("installedCSV")
    s.sub["status"]["state"] = "UpgradePending"
    s.csv["spec"]["customresourcedefinitions"]["required"] = [
        {"kind": "Bar", "name": "bars.example.com", "version": "v1"}
    ]
    s.csv["status"].update(
        phase="Pending", reason="RequirementsNotMet", message="one or more requirements couldn't be found"
    )
    s.csv["status"]["requirementStatus"] = [
        {
            "group": "apiextensions.k8s.io",
            "kind": "CustomResourceDefinition",
            "message": "CRD is not present",
            "name": "bars.example.com",
            "status": "NotPresent",
            "version": "v1",
        },
        {
            "group": "apiextensions.k8s.io",
            "kind": "CustomResourceDefinition",
            "message": "CRD is present and Established condition is true",
            "name": "foos.example.com",
            "status": "Present",
            "uuid": "uid-crd",
            "version": "v1",
        },
        {
            "group": "",
            "kind": "ServiceAccount",
            "message": "Policy rule not satisfied for service account",
            "name": "foo-operator-controller-manager",
            "status": "PresentNotSatisfied",
            "version": "v1",
            "dependents": [
                {
                    "group": "rbac.authorization.k8s.io",
                    "kind": "PolicyRule",
                    "message": 'namespaced rule:{"verbs":["get","list","watch"],"apiGroups":[""],'
                    '"resources":["configmaps"]}',
                    "status": "NotSatisfied",
                    "version": "v1",
                }
            ],
        },
    ]
    s.event(
        namespace="ns1",
        kind="ClusterServiceVersion",
        name=s.csv_name,
        reason="RequirementsNotMet",
        message="one or more requirements couldn't be found",
        source="operator-lifecycle-manager",
        when=T_LATE,
    )
    return s


def _unavailable(s: Scenario) -> Scenario:
    dep = s.deployment
    dep["status"] = {
        "conditions": [
            {
                "lastTransitionTime": T1,
                "lastUpdateTime": T1,
                "message": "Deployment does not have minimum availability.",
                "reason": "MinimumReplicasUnavailable",
                "status": "False",
                "type": "Available",
            },
            {
                "lastTransitionTime": T0,
                "lastUpdateTime": T1,
                "message": f'ReplicaSet "{s.deployment_name}-6d5f7c8b9" is progressing.',
                "reason": "ReplicaSetUpdated",
                "status": "True",
                "type": "Progressing",
            },
        ],
        "observedGeneration": 1,
        "replicas": 1,
        "unavailableReplicas": 1,
        "updatedReplicas": 1,
    }
    s.pod["status"]["conditions"][-1].update(
        status="False", reason="ContainersNotReady", message="containers with unready status: [manager]"
    )
    s.sub["status"].pop("installedCSV")
    s.sub["status"]["state"] = "UpgradePending"
    s.events = [e for e in s.events if e["reason"] != "InstallSucceeded"]
    return s


def _csv_install_check_failed(s: Scenario) -> None:
    s.csv["status"].update(
        phase="Failed", reason="InstallCheckFailed", message="install timeout", lastTransitionTime=T_LATE
    )


def crashloop() -> Scenario:
    s = _unavailable(Scenario.healthy())
    _csv_install_check_failed(s)
    s.pod["status"]["containerStatuses"][0].update(
        ready=False,
        restartCount=5,
        started=False,
        state={
            "waiting": {
                "reason": "CrashLoopBackOff",
                "message": "back-off 2m40s restarting failed container=manager pod=" + s.pod_name,
            }
        },
        lastState={
            "terminated": {
                "exitCode": 1,
                "reason": "Error",
                "startedAt": T2,
                "finishedAt": T2,
                "containerID": "containerd://def",
            }
        },
    )
    s.logs[_layout.log_path(namespace="ns1", pod=s.pod_name, container="manager", previous=True)] = (
        f"{T2} INFO setup starting manager\n"
        f'{T2} ERROR setup unable to start manager {{"error": "configmaps is forbidden: User '
        f'\\"system:serviceaccount:ns1:foo-operator-controller-manager\\" cannot list resource \\"configmaps\\""}}\n'
    )
    s.event(
        namespace="ns1",
        kind="Pod",
        name=s.pod_name,
        reason="BackOff",
        message="Back-off restarting failed container manager in pod " + s.pod_name,
        count=23,
        when=T_LATE,
    )
    return s


def image_pull() -> Scenario:
    s = _unavailable(Scenario.healthy())
    s.csv["status"].update(
        phase="Installing",
        reason="InstallWaiting",
        lastTransitionTime=T2,
        message="installing: waiting for deployment foo-operator-controller-manager to become ready: deployment "
        '"foo-operator-controller-manager" not available: Deployment does not have minimum availability.',
    )
    s.pod["status"]["phase"] = "Pending"
    s.pod["status"]["containerStatuses"][0].update(
        ready=False,
        started=False,
        image="quay.example.com/foo-operator:v0.1.0",
        state={
            "waiting": {
                "reason": "ImagePullBackOff",
                "message": 'Back-off pulling image "quay.example.com/foo-operator:v0.1.0"',
            }
        },
    )
    s.event(
        namespace="ns1",
        kind="Pod",
        name=s.pod_name,
        reason="Failed",
        message='Failed to pull image "quay.example.com/foo-operator:v0.1.0": rpc error: code = NotFound desc = '
        "manifest unknown",
        when="2025-01-10T10:02:00Z",
    )
    return s


def unschedulable() -> Scenario:
    s = _unavailable(Scenario.healthy())
    _csv_install_check_failed(s)
    s.pod["spec"].pop("nodeName")
    message = (
        "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption "
        "victims found for incoming pod."
    )
    s.pod["status"] = {
        "phase": "Pending",
        "qosClass": "Burstable",
        "conditions": [
            {
                "lastProbeTime": None,
                "lastTransitionTime": T1,
                "message": message,
                "reason": "Unschedulable",
                "status": "False",
                "type": "PodScheduled",
            }
        ],
    }
    s.event(
        namespace="ns1",
        kind="Pod",
        name=s.pod_name,
        reason="FailedScheduling",
        message=message,
        source="default-scheduler",
        when=T_LATE,
    )
    return s


def not_ready() -> Scenario:
    s = _unavailable(Scenario.healthy())
    _csv_install_check_failed(s)
    s.pod["status"]["containerStatuses"][0]["ready"] = False
    s.event(
        namespace="ns1",
        kind="Pod",
        name=s.pod_name,
        reason="Unhealthy",
        message="Readiness probe failed: HTTP probe failed with statuscode: 500",
        count=40,
        when=T_LATE,
    )
    return s


def upgrade_pending_approval() -> Scenario:
    s = Scenario.healthy()
    s.sub["spec"]["installPlanApproval"] = "Manual"
    s.sub["status"]["currentCSV"] = "foo-operator.v0.2.0"
    s.sub["status"]["state"] = "UpgradePending"
    new_plan = copy.deepcopy(s.plan)
    new_plan["metadata"].update(name="install-q9w3r", uid="uid-install-q9w3r")
    new_plan["spec"].update(
        approval="Manual", approved=False, clusterServiceVersionNames=["foo-operator.v0.2.0"], generation=2
    )
    new_plan["status"]["phase"] = "RequiresApproval"
    new_plan["status"]["conditions"] = []
    s.objects["installplan2"] = new_plan
    s.sub["status"]["installPlanRef"]["name"] = "install-q9w3r"
    s.sub["status"]["installplan"]["name"] = "install-q9w3r"
    return s


def no_status() -> Scenario:
    s = Scenario.healthy().no_install()
    s.sub.pop("status")
    return s


def two_operators_one_failing() -> Scenario:
    """A healthy operator next to one whose resolution fails: OLM sets ResolutionFailed on both."""
    s = Scenario.healthy()
    bad = resolution_failed()
    other = copy.deepcopy(bad.sub)
    other["metadata"].update(name="bar-operator", uid="uid-sub-bar-operator")
    other["spec"]["name"] = "bar-operator"
    cond = other["status"]["conditions"][-1]
    cond["message"] = cond["message"].replace("foo-operator", "bar-operator")
    s.objects["subscription2"] = other
    s.sub["status"]["conditions"].append(copy.deepcopy(cond))
    s.events += [e for e in bad.events if e["reason"] == "ResolutionFailed"]
    s.events[-1]["message"] = cond["message"]
    return s


def renamed(files: dict[str, bytes], *, namespace: str, package: str) -> dict[str, bytes]:
    """A scenario's tree moved to another namespace and package name (ns1 -> namespace, foo-operator -> package)."""

    def move(data: bytes) -> bytes:
        return data.replace(b"ns1", namespace.encode()).replace(b"foo-operator", package.encode())

    return {move(k.encode()).decode(): move(v) for k, v in files.items()}


def merge(*trees: dict[str, bytes]) -> dict[str, bytes]:
    """Several trees as one gather: list files merge their items, logs concatenate, other files are shared."""
    out: dict[str, bytes] = {}
    for tree in trees:
        for path, data in tree.items():
            if path not in out or out[path] == data:
                out[path] = data
            elif path.endswith(".log"):
                out[path] += data
            elif path.endswith((_layout.events_path("x")[len("namespaces/x/") :], "/core/pods.yaml")):
                old, new = yaml.safe_load(out[path]), yaml.safe_load(data)
                names = {i["metadata"]["name"] for i in old["items"]}
                old["items"] += [i for i in new["items"] if i["metadata"]["name"] not in names]
                out[path] = dump(old)
    return out


def sample_tree() -> dict[str, bytes]:
    """Five operators in five namespaces: healthy, crash-looping, unresolvable, without OperatorGroup, and
    waiting for approval; what the report and browser tests render."""
    return merge(
        renamed(Scenario.healthy().files(), namespace="team-a", package="etcd-operator"),
        renamed(crashloop().files(), namespace="team-b", package="cache-operator"),
        renamed(resolution_failed().files(), namespace="team-c", package="db-operator"),
        renamed(no_operator_group().files(), namespace="team-d", package="queue-operator"),
        renamed(requires_approval().files(), namespace="team-e", package="search-operator"),
    )


SCENARIOS = {
    "no-operator-group": (no_operator_group, "no-operator-group"),
    "two-operator-groups": (two_operator_groups, "too-many-operator-groups"),
    "csv-too-many-operator-groups": (csv_too_many_operator_groups, "too-many-operator-groups"),
    "unsupported-install-mode": (unsupported_install_mode, "unsupported-install-mode"),
    "resolution-failed": (resolution_failed, "resolution-failed"),
    "catalog-unhealthy": (catalog_unhealthy, "catalog-unhealthy"),
    "catalog-missing": (catalog_missing, "catalog-missing"),
    "bundle-unpack-failed": (bundle_unpack_failed, "bundle-unpack-failed"),
    "bundle-unpacking-stuck": (bundle_unpacking_stuck, "bundle-unpacking"),
    "install-plan-failed": (install_plan_failed, "install-plan-failed"),
    "install-plan-missing": (install_plan_missing, "install-plan-missing"),
    "requirements-not-met": (requirements_not_met, "csv-requirements-not-met"),
    "crashloop": (crashloop, "deployment-unavailable"),
    "image-pull": (image_pull, "deployment-unavailable"),
    "unschedulable": (unschedulable, "deployment-unavailable"),
    "not-ready": (not_ready, "deployment-unavailable"),
    "no-status": (no_status, "subscription-not-processed"),
}
"""Failure scenario -> (builder, rule id of the first error it must yield)."""
