"""What the API server says about its own kinds: version, kind, scope, short names and categories.

A gathered tree holds objects, not the discovery that served them; for custom kinds the CRDs in the tree say it
all, for built-in kinds this table does (facts of Kubernetes 1.34's discovery). A built-in kind missing here is
still served, with what its files say (apiVersion, kind, namespaced or not by its folder) and no short names.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Builtin:
    version: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()


_ALL = ("all",)

BUILTIN: dict[tuple[str, str], Builtin] = {
    ("", "configmaps"): Builtin("v1", "ConfigMap", True, ("cm",)),
    ("", "endpoints"): Builtin("v1", "Endpoints", True, ("ep",)),
    ("", "events"): Builtin("v1", "Event", True, ("ev",)),
    ("", "limitranges"): Builtin("v1", "LimitRange", True, ("limits",)),
    ("", "namespaces"): Builtin("v1", "Namespace", False, ("ns",)),
    ("", "nodes"): Builtin("v1", "Node", False, ("no",)),
    ("", "persistentvolumeclaims"): Builtin("v1", "PersistentVolumeClaim", True, ("pvc",)),
    ("", "persistentvolumes"): Builtin("v1", "PersistentVolume", False, ("pv",)),
    ("", "pods"): Builtin("v1", "Pod", True, ("po",), _ALL),
    ("", "resourcequotas"): Builtin("v1", "ResourceQuota", True, ("quota",)),
    ("", "secrets"): Builtin("v1", "Secret", True),
    ("", "serviceaccounts"): Builtin("v1", "ServiceAccount", True, ("sa",)),
    ("", "services"): Builtin("v1", "Service", True, ("svc",), _ALL),
    ("admissionregistration.k8s.io", "mutatingwebhookconfigurations"): Builtin(
        "v1", "MutatingWebhookConfiguration", False
    ),
    ("admissionregistration.k8s.io", "validatingwebhookconfigurations"): Builtin(
        "v1", "ValidatingWebhookConfiguration", False
    ),
    ("apiextensions.k8s.io", "customresourcedefinitions"): Builtin(
        "v1", "CustomResourceDefinition", False, ("crd", "crds")
    ),
    ("apiregistration.k8s.io", "apiservices"): Builtin("v1", "APIService", False),
    ("apps", "daemonsets"): Builtin("v1", "DaemonSet", True, ("ds",), _ALL),
    ("apps", "deployments"): Builtin("v1", "Deployment", True, ("deploy",), _ALL),
    ("apps", "replicasets"): Builtin("v1", "ReplicaSet", True, ("rs",), _ALL),
    ("apps", "statefulsets"): Builtin("v1", "StatefulSet", True, ("sts",), _ALL),
    ("batch", "cronjobs"): Builtin("v1", "CronJob", True, ("cj",), _ALL),
    ("batch", "jobs"): Builtin("v1", "Job", True, (), _ALL),
    ("coordination.k8s.io", "leases"): Builtin("v1", "Lease", True),
    ("discovery.k8s.io", "endpointslices"): Builtin("v1", "EndpointSlice", True),
    ("events.k8s.io", "events"): Builtin("v1", "Event", True, ("ev",)),
    ("networking.k8s.io", "networkpolicies"): Builtin("v1", "NetworkPolicy", True, ("netpol",)),
    ("policy", "poddisruptionbudgets"): Builtin("v1", "PodDisruptionBudget", True, ("pdb",)),
    ("rbac.authorization.k8s.io", "clusterrolebindings"): Builtin("v1", "ClusterRoleBinding", False),
    ("rbac.authorization.k8s.io", "clusterroles"): Builtin("v1", "ClusterRole", False),
    ("rbac.authorization.k8s.io", "rolebindings"): Builtin("v1", "RoleBinding", True),
    ("rbac.authorization.k8s.io", "roles"): Builtin("v1", "Role", True),
    ("scheduling.k8s.io", "priorityclasses"): Builtin("v1", "PriorityClass", False, ("pc",)),
    ("storage.k8s.io", "storageclasses"): Builtin("v1", "StorageClass", False, ("sc",)),
}

ALWAYS_SERVED: tuple[tuple[str, str], ...] = (("", "namespaces"), ("", "pods"), ("", "events"))
"""Every API server serves these; `kubectl describe` lists events even when the tree holds none."""
