"""A hand-made OLM scenario: the objects OLM would have created for two packages sharing one InstallPlan in one
namespace and a third package in another, written straight to the API server (status included), plus unrelated
noise. It pins the traversal's edges independently of OLM's timing; test_olm_gather.py checks the same against
real OLM installs."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import secrets
from typing import Any

from tests.e2e.kapi import Api

CANARY = "hm-canary-4b1d"  # never allowed in the output, in any encoding
OLM = "operators.coreos.com/v1alpha1"
NOW = "2026-01-01T00:00:00Z"
BUNDLE_IMAGE = "registry.example.com/alpha-bundle:v1"
# OLM names a bundle's unpack Job sha256(bundle path) in hex, cut to 63 characters.
UNPACK_NAME = hashlib.sha256(BUNDLE_IMAGE.encode()).hexdigest()[:63]


@dataclasses.dataclass
class Scenario:
    ns_a: str
    ns_b: str
    group: str
    suffix: str
    expected_alpha: set[str]
    expected_all_extra: set[str]
    noise: set[str]


def _meta(name: str, ns: str = "", **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, **extra}
    if ns:
        meta["namespace"] = ns
    return meta


def _owner(obj: dict[str, Any], controller: bool = False) -> dict[str, Any]:
    ref = {
        "apiVersion": obj["apiVersion"],
        "kind": obj["kind"],
        "name": obj["metadata"]["name"],
        "uid": obj["metadata"]["uid"],
    }
    if controller:
        ref["controller"] = True
        ref["blockOwnerDeletion"] = True
    return ref


def step(
    csv: str, group: str, version: str, kind: str, name: str, status: str = "Created", manifest: str = ""
) -> dict[str, Any]:
    resource = {
        "group": group,
        "version": version,
        "kind": kind,
        "name": name,
        "sourceName": "cat",
        "sourceNamespace": "olm",
    }
    if manifest:
        resource["manifest"] = manifest
    return {"resolving": csv, "resource": resource, "status": status}


def _pod_template(app: str) -> dict[str, Any]:
    return {
        "metadata": {"labels": {"app": app}},
        "spec": {
            "containers": [
                {"name": "manager", "image": "example.com/op:v1", "env": [{"name": "TOKEN", "value": CANARY}]}
            ]
        },
    }


def create(api: Api) -> Scenario:
    s = secrets.token_hex(3)
    ns_a, ns_b, group = f"hm-a-{s}", f"hm-b-{s}", f"e2e{s}.example.com"
    for ns in (ns_a, ns_b):
        api.create({"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(ns)})
    crd = api.create(
        {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": _meta(f"alphas.{group}", labels={"olm.managed": "true"}),
            "spec": {
                "group": group,
                "names": {"kind": "Alpha", "plural": "alphas", "singular": "alpha", "listKind": "AlphaList"},
                "scope": "Namespaced",
                "versions": [
                    {
                        "name": "v1",
                        "served": True,
                        "storage": True,
                        "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
                    }
                ],
            },
        }
    )
    expected: set[str] = set()
    extra: set[str] = set()
    noise: set[str] = set()

    def subscription(ns: str, package: str, csv: str) -> dict[str, Any]:
        return api.create(
            {
                "apiVersion": OLM,
                "kind": "Subscription",
                "metadata": _meta(package, ns),
                "spec": {
                    "name": package,
                    "source": "cat",
                    "sourceNamespace": "olm",
                    "channel": "stable",
                    "config": {"env": [{"name": "SUB_SECRET", "value": CANARY}]},
                },
                "status": {"installedCSV": csv, "currentCSV": csv, "state": "AtLatestKnown", "lastUpdated": NOW},
            }
        )

    alpha_sub = subscription(ns_a, "alpha", "alpha.v1")
    beta_sub = subscription(ns_a, "beta", "beta.v1")
    gamma_sub = subscription(ns_b, "gamma", "gamma.v1")
    api.create(
        {"apiVersion": "operators.coreos.com/v1", "kind": "OperatorGroup", "metadata": _meta("og", ns_a), "spec": {}}
    )
    api.create(
        {"apiVersion": "operators.coreos.com/v1", "kind": "OperatorGroup", "metadata": _meta("og", ns_b), "spec": {}}
    )
    secret_manifest = (
        '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"alpha-bundle"},"stringData":{"k":"' + CANARY + '"}}'
    )
    plan = api.create(
        {
            "apiVersion": OLM,
            "kind": "InstallPlan",
            "metadata": _meta("install-1", ns_a, ownerReferences=[_owner(alpha_sub), _owner(beta_sub)]),
            "spec": {"approval": "Automatic", "approved": True, "clusterServiceVersionNames": ["alpha.v1", "beta.v1"]},
            "status": {
                "phase": "Complete",
                "catalogSources": ["cat"],
                "bundleLookups": [
                    {
                        "path": BUNDLE_IMAGE,
                        "identifier": "alpha.v1",
                        "replaces": "",
                        "catalogSourceRef": {"kind": "CatalogSource", "name": "cat", "namespace": ns_a},
                        "conditions": [{"type": "BundleLookupPending", "status": "True", "reason": "JobIncomplete"}],
                    }
                ],
                "plan": [
                    step("alpha.v1", "operators.coreos.com", "v1alpha1", "ClusterServiceVersion", "alpha.v1"),
                    step("alpha.v1", "apiextensions.k8s.io", "v1", "CustomResourceDefinition", f"alphas.{group}"),
                    step("alpha.v1", "", "v1", "ServiceAccount", "alpha-sa"),
                    step("alpha.v1", "rbac.authorization.k8s.io", "v1", "Role", f"alpha.v1-role-{s}"),
                    step("alpha.v1", "rbac.authorization.k8s.io", "v1", "RoleBinding", f"alpha.v1-rb-{s}"),
                    step("alpha.v1", "rbac.authorization.k8s.io", "v1", "ClusterRole", f"alpha.v1-cr-{s}"),
                    step("alpha.v1", "rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", f"alpha.v1-crb-{s}"),
                    step("alpha.v1", "", "v1", "ConfigMap", "alpha-config"),
                    step("alpha.v1", "", "v1", "Service", "alpha-svc"),
                    step("alpha.v1", "", "v1", "BundleSecret", "alpha-bundle", manifest=secret_manifest),
                    step("alpha.v1", "", "v1", "ConfigMap", "alpha-gone"),  # deleted since: recorded as missing
                    step("beta.v1", "operators.coreos.com", "v1alpha1", "ClusterServiceVersion", "beta.v1"),
                ],
            },
        }
    )
    del plan

    def csv(ns: str, name: str, deployment: str) -> dict[str, Any]:
        return api.create(
            {
                "apiVersion": OLM,
                "kind": "ClusterServiceVersion",
                "metadata": _meta(name, ns),
                "spec": {
                    "displayName": name,
                    "install": {
                        "strategy": "deployment",
                        "spec": {
                            "deployments": [
                                {
                                    "name": deployment,
                                    "spec": {
                                        "selector": {"matchLabels": {"app": deployment}},
                                        "template": _pod_template(deployment),
                                    },
                                }
                            ]
                        },
                    },
                    "installModes": [{"type": "OwnNamespace", "supported": True}],
                },
                "status": {"phase": "Succeeded", "reason": "InstallSucceeded"},
            }
        )

    alpha_csv = csv(ns_a, "alpha.v1", "alpha-operator")
    beta_csv = csv(ns_a, "beta.v1", "beta-operator")
    gamma_csv = csv(ns_b, "gamma.v1", "gamma-operator")
    owner_labels = {"olm.owner": "alpha.v1", "olm.owner.namespace": ns_a, "olm.owner.kind": "ClusterServiceVersion"}

    def deployment(ns: str, name: str, owner: dict[str, Any] | None) -> None:
        api.create(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": _meta(
                    name,
                    ns,
                    **({"ownerReferences": [_owner(owner, True)], "labels": {"olm.managed": "true"}} if owner else {}),
                ),
                "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}}, "template": _pod_template(name)},
            }
        )

    deployment(ns_a, "alpha-operator", alpha_csv)
    deployment(ns_a, "beta-operator", beta_csv)
    deployment(ns_b, "gamma-operator", gamma_csv)
    deployment(ns_a, "unrelated", None)
    unpack_labels = {"olm.managed": "true", "operatorframework.io/bundle-unpack-ref": UNPACK_NAME}
    api.create(
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": _meta(UNPACK_NAME, ns_a, labels=unpack_labels),
            "spec": {
                "backoffLimit": 3,
                "template": {
                    "metadata": {"labels": unpack_labels},
                    "spec": {"restartPolicy": "Never", "containers": [{"name": "extract", "image": BUNDLE_IMAGE}]},
                },
            },
        }
    )
    owned = [_owner(alpha_csv)]
    api.create(
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta("alpha-sa", ns_a, ownerReferences=owned)}
    )
    rules = [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]
    api.create(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": _meta(f"alpha.v1-role-{s}", ns_a, ownerReferences=owned, labels=owner_labels),
            "rules": rules,
        }
    )
    subject = [{"kind": "ServiceAccount", "name": "alpha-sa", "namespace": ns_a}]
    api.create(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": _meta(f"alpha.v1-rb-{s}", ns_a, ownerReferences=owned, labels=owner_labels),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": f"alpha.v1-role-{s}"},
            "subjects": subject,
        }
    )
    api.create(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": _meta(f"alpha.v1-cr-{s}", labels=owner_labels),
            "rules": rules,
        }
    )
    api.create(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": _meta(f"alpha.v1-crb-{s}", labels=owner_labels),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": f"alpha.v1-cr-{s}"},
            "subjects": subject,
        }
    )
    # An extra ClusterRole OLM labelled but no step names (a later permissions hash): found through olm.owner.
    api.create(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": _meta(f"alpha.v1-extra-{s}", labels=owner_labels),
            "rules": rules,
        }
    )
    api.create(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": _meta("alpha-config", ns_a, ownerReferences=owned),
            "data": {"k": "v"},
        }
    )
    api.create(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": _meta("alpha-svc", ns_a, ownerReferences=owned),
            "spec": {"ports": [{"port": 443}], "selector": {"app": "alpha-operator"}},
        }
    )
    secret_data = {"k": base64.b64encode(CANARY.encode()).decode()}
    api.create(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": _meta("alpha-bundle", ns_a, ownerReferences=owned),
            "data": secret_data,
        }
    )
    # A cert Secret OLM made for the CSV: no step names it, the ownerReference does.
    api.create(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": _meta(
                "alpha-operator-service-cert",
                ns_a,
                ownerReferences=owned,
                annotations={"kubectl.kubernetes.io/last-applied-configuration": '{"data":{"k":"' + CANARY + '"}}'},
            ),
            "data": secret_data,
        }
    )
    # Noise: same namespaces, same kinds, no edge to any Subscription.
    api.create({"apiVersion": "v1", "kind": "Secret", "metadata": _meta("unrelated-secret", ns_a), "data": secret_data})
    api.create(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta("unrelated-config", ns_a), "data": {"k": "v"}}
    )
    api.create(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": _meta(f"unrelated-{s}"),
            "rules": rules,
        }
    )
    api.create(
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": _meta(f"alpha.v1.{s}", ns_a),
            "involvedObject": {
                "apiVersion": OLM,
                "kind": "ClusterServiceVersion",
                "name": "alpha.v1",
                "namespace": ns_a,
                "uid": alpha_csv["metadata"]["uid"],
            },
            "reason": "InstallSucceeded",
            "message": "install strategy completed with no errors",
            "type": "Normal",
            "firstTimestamp": NOW,
            "lastTimestamp": NOW,
            "count": 1,
            "source": {"component": "operator-lifecycle-manager"},
        }
    )
    del crd, gamma_sub

    olm_group = "operators.coreos.com"
    for path in [
        f"namespaces/{ns_a}/{ns_a}.yaml",
        f"namespaces/{ns_a}/{olm_group}/subscriptions/alpha.yaml",
        f"namespaces/{ns_a}/{olm_group}/installplans/install-1.yaml",
        f"namespaces/{ns_a}/{olm_group}/operatorgroups/og.yaml",
        f"namespaces/{ns_a}/{olm_group}/clusterserviceversions/alpha.v1.yaml",
        f"cluster-scoped-resources/apiextensions.k8s.io/customresourcedefinitions/alphas.{group}.yaml",
        f"namespaces/{ns_a}/core/serviceaccounts/alpha-sa.yaml",
        f"namespaces/{ns_a}/rbac.authorization.k8s.io/roles/alpha.v1-role-{s}.yaml",
        f"namespaces/{ns_a}/rbac.authorization.k8s.io/rolebindings/alpha.v1-rb-{s}.yaml",
        f"cluster-scoped-resources/rbac.authorization.k8s.io/clusterroles/alpha.v1-cr-{s}.yaml",
        f"cluster-scoped-resources/rbac.authorization.k8s.io/clusterroles/alpha.v1-extra-{s}.yaml",
        f"cluster-scoped-resources/rbac.authorization.k8s.io/clusterrolebindings/alpha.v1-crb-{s}.yaml",
        f"namespaces/{ns_a}/core/configmaps/alpha-config.yaml",
        f"namespaces/{ns_a}/core/services/alpha-svc.yaml",
        f"namespaces/{ns_a}/core/secrets/alpha-bundle.yaml",
        f"namespaces/{ns_a}/core/secrets/alpha-operator-service-cert.yaml",
        f"namespaces/{ns_a}/apps/deployments/alpha-operator.yaml",
        f"namespaces/{ns_a}/batch/jobs/{UNPACK_NAME}.yaml",
        f"namespaces/{ns_a}/core/events.yaml",
        f"namespaces/{ns_a}/core/pods.yaml",
    ]:
        expected.add(path)
    for crd_name in ("subscriptions", "installplans", "operatorgroups", "clusterserviceversions"):
        expected.add(
            f"cluster-scoped-resources/apiextensions.k8s.io/customresourcedefinitions/{crd_name}.{olm_group}.yaml"
        )
    extra.update(
        {
            f"namespaces/{ns_a}/{olm_group}/subscriptions/beta.yaml",
            f"namespaces/{ns_a}/{olm_group}/clusterserviceversions/beta.v1.yaml",
            f"namespaces/{ns_a}/apps/deployments/beta-operator.yaml",
            f"namespaces/{ns_b}/{ns_b}.yaml",
            f"namespaces/{ns_b}/{olm_group}/subscriptions/gamma.yaml",
            f"namespaces/{ns_b}/{olm_group}/operatorgroups/og.yaml",
            f"namespaces/{ns_b}/{olm_group}/clusterserviceversions/gamma.v1.yaml",
            f"namespaces/{ns_b}/apps/deployments/gamma-operator.yaml",
            f"namespaces/{ns_b}/core/pods.yaml",
            f"namespaces/{ns_b}/core/events.yaml",
        }
    )
    noise.update(
        {
            f"namespaces/{ns_a}/apps/deployments/unrelated.yaml",
            f"namespaces/{ns_a}/core/secrets/unrelated-secret.yaml",
            f"namespaces/{ns_a}/core/configmaps/unrelated-config.yaml",
            f"cluster-scoped-resources/rbac.authorization.k8s.io/clusterroles/unrelated-{s}.yaml",
            f"namespaces/{ns_a}/core/configmaps/alpha-gone.yaml",
        }
    )
    return Scenario(
        ns_a=ns_a, ns_b=ns_b, group=group, suffix=s, expected_alpha=expected, expected_all_extra=extra, noise=noise
    )


def create_ready(api: Api) -> Scenario:
    """`create`, then wait until kwok runs the operator pods and the unpack Job's pod, so pods and logs are part
    of the picture."""
    s = create(api)
    for ns, deployment in ((s.ns_a, "alpha-operator"), (s.ns_a, "beta-operator"), (s.ns_b, "gamma-operator")):
        api.wait(
            f"{ns}/{deployment} available",
            lambda ns=ns, d=deployment: (
                api.get("apps/v1", "Deployment", d, ns).get("status", {}).get("availableReplicas") == 1
            ),
        )
    selector = f"operatorframework.io/bundle-unpack-ref={UNPACK_NAME}"
    api.wait(
        "the unpack Job's pod",
        lambda: list(api.kube.list(f"/api/v1/namespaces/{s.ns_a}/pods", label_selector=selector)),
    )
    return s


def remove(api: Api, s: Scenario) -> None:
    for ns in (s.ns_a, s.ns_b):
        api.delete("v1", "Namespace", ns)
    for kind, name in (
        ("CustomResourceDefinition", f"alphas.{s.group}"),
        ("ClusterRole", f"alpha.v1-cr-{s.suffix}"),
        ("ClusterRole", f"alpha.v1-extra-{s.suffix}"),
        ("ClusterRole", f"unrelated-{s.suffix}"),
        ("ClusterRoleBinding", f"alpha.v1-crb-{s.suffix}"),
    ):
        version = "apiextensions.k8s.io/v1" if kind == "CustomResourceDefinition" else "rbac.authorization.k8s.io/v1"
        api.delete(version, kind, name)
