"""The Kubernetes manifests of one bundle: the ClusterServiceVersion, the owned CRDs and the extra objects.

What all test operators share is decided here once: labels, image names (no registry serves them: kwok runs no
containers), resources, CSV metadata. Manifests carry no namespace; OLM puts them in the install namespace.
"""

from __future__ import annotations

import json

from .model import FAULT_LABEL, INSTALL_MODE_TYPES, Crd, Manifest, Package, Version

IMAGE_REGISTRY = "registry.olm-gather.test"
MIN_KUBE_VERSION = "1.27.0"
# Seconds kube's deployment controller waits for progress before it sets Progressing=False
# (ProgressDeadlineExceeded), which OLM's install check turns into CSV Failed / InstallCheckFailed at once
# (operator-lifecycle-manager pkg/controller/install/status_viewer.go). Only the fault packages set it.
FAULT_PROGRESS_DEADLINE_SECONDS = 20


def image(package: Package, version: Version) -> str:
    return f"{IMAGE_REGISTRY}/{package.name}-operator:v{version.version}"


def crd(spec: Crd) -> Manifest:
    open_object = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": spec.name},
        "spec": {
            "group": spec.group,
            "names": {
                "kind": spec.kind,
                "listKind": f"{spec.kind}List",
                "plural": spec.plural,
                "singular": spec.singular,
            },
            "scope": "Namespaced",
            "versions": [
                {
                    "name": version,
                    "served": True,
                    "storage": version == spec.version,
                    "subresources": {"status": {}},
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {"spec": open_object, "status": open_object},
                        }
                    },
                }
                for version in spec.versions
            ],
        },
    }


def _crd_descriptions(spec: Crd) -> list[Manifest]:
    """One CSV entry per served version: OLM provides (and makes ClusterRoles for) each group/version/kind."""
    return [
        {
            "name": spec.name,
            "version": version,
            "kind": spec.kind,
            "displayName": spec.kind,
            "description": f"A {spec.kind} of the olm-gather test operators.",
        }
        for version in spec.versions
    ]


def _deployment(package: Package, version: Version) -> Manifest:
    selector = {"app.kubernetes.io/name": package.name, "control-plane": "controller-manager"}
    pod_labels = dict(selector)
    if package.fault:
        pod_labels[FAULT_LABEL] = package.fault
    env = [{"name": name, "value": value} for name, value in version.env.items()]
    env += package.env_from_refs
    spec: Manifest = {
        "replicas": 1,
        "selector": {"matchLabels": selector},
        "template": {
            "metadata": {"labels": pod_labels, "annotations": {"kubectl.kubernetes.io/default-container": "manager"}},
            "spec": {
                "serviceAccountName": package.service_account_name,
                "terminationGracePeriodSeconds": 10,
                "securityContext": {"runAsNonRoot": True},
                "containers": [
                    {
                        "name": "manager",
                        "image": image(package, version),
                        "command": ["/manager"],
                        "args": ["--leader-elect", "--metrics-bind-address=:8443"],
                        "env": env,
                        "ports": [{"name": "metrics", "containerPort": 8443, "protocol": "TCP"}],
                        "resources": {
                            "requests": {"cpu": "10m", "memory": "64Mi"},
                            "limits": {"cpu": "500m", "memory": "128Mi"},
                        },
                        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
                    }
                ],
            },
        },
    }
    if package.fault:
        spec["progressDeadlineSeconds"] = FAULT_PROGRESS_DEADLINE_SECONDS
    return {"name": package.deployment_name, "label": {"app.kubernetes.io/name": package.name}, "spec": spec}


def _alm_examples(package: Package) -> str:
    examples = [
        {
            "apiVersion": f"{c.group}/{c.version}",
            "kind": c.kind,
            "metadata": {"name": f"{c.singular}-sample"},
            "spec": {"size": 1},
        }
        for c in package.owned_crds
    ]
    return json.dumps(examples, indent=2)


def csv(package: Package, version: Version, replaces: str | None) -> Manifest:
    sa = package.service_account_name
    install_spec: Manifest = {"deployments": [_deployment(package, version)]}
    rules = [*package.permissions, *version.added_permissions]
    if rules:
        install_spec["permissions"] = [{"serviceAccountName": sa, "rules": rules}]
    if package.cluster_permissions:
        install_spec["clusterPermissions"] = [{"serviceAccountName": sa, "rules": list(package.cluster_permissions)}]
    crds: Manifest = {}
    if package.owned_crds:
        crds["owned"] = [d for c in package.owned_crds for d in _crd_descriptions(c)]
    if package.required_crds:
        crds["required"] = [d for c in package.required_crds for d in _crd_descriptions(c)]
    spec: Manifest = {
        "displayName": package.display_name,
        "description": f"{package.description} Part of olm-gather's test catalog; runs on kwok, no real image.",
        "version": version.version,
        "maturity": "alpha",
        "minKubeVersion": MIN_KUBE_VERSION,
        "provider": {"name": "olm-gather tests"},
        "maintainers": [{"name": "olm-gather", "email": "olm-gather@olm-gather.test"}],
        "links": [{"name": "olm-gather", "url": "https://olm-gather.test/"}],
        "keywords": ["olm-gather", "test"],
        "installModes": [{"type": t, "supported": t in package.install_modes} for t in INSTALL_MODE_TYPES],
        "install": {"strategy": "deployment", "spec": install_spec},
    }
    if crds:
        spec["customresourcedefinitions"] = crds
    if package.webhooks:
        spec["webhookdefinitions"] = [dict(w, deploymentName=package.deployment_name) for w in package.webhooks]
    if replaces:
        spec["replaces"] = replaces
    annotations = {
        "capabilities": "Basic Install",
        "categories": "Developer Tools",
        "containerImage": image(package, version),
        "createdAt": "2025-01-01T00:00:00Z",
        "description": package.description,
    }
    if package.owned_crds:
        annotations["alm-examples"] = _alm_examples(package)
    annotations.update(package.csv_annotations)
    return {
        "apiVersion": "operators.coreos.com/v1alpha1",
        "kind": "ClusterServiceVersion",
        "metadata": {"name": package.csv_name(version.version), "annotations": annotations},
        "spec": spec,
    }


def bundle(package: Package, version: Version, replaces: str | None) -> list[Manifest]:
    """All manifests of one bundle, CSV first, as `opm render` of a bundle image would list them."""
    return [csv(package, version, replaces), *(crd(c) for c in package.owned_crds), *package.bundle_objects]
