"""The shapes a test operator is described with (packages.py fills them in; manifests.py and fbc.py read them).

Only what differs between our operators is a field; everything every operator shares (labels, resources,
image registry, CSV boilerplate) is decided once in manifests.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# OLM's install mode types (api pkg/operators/v1alpha1 clusterserviceversion_types.go).
OWN_NAMESPACE = "OwnNamespace"
SINGLE_NAMESPACE = "SingleNamespace"
MULTI_NAMESPACE = "MultiNamespace"
ALL_NAMESPACES = "AllNamespaces"
INSTALL_MODE_TYPES = (OWN_NAMESPACE, SINGLE_NAMESPACE, MULTI_NAMESPACE, ALL_NAMESPACES)

# Pod template label that the local cluster's kwok stages act on (tests/cluster/).
FAULT_LABEL = "olm-gather.test/fault"
NEVER_READY = "never-ready"  # kwok keeps the pod Running but never ready
CRASHLOOP = "crashloop"  # kwok shows the container in CrashLoopBackOff

Manifest = dict[str, Any]


def rule(groups: str | list[str], resources: list[str], verbs: list[str]) -> Manifest:
    """An RBAC PolicyRule; `groups` is one API group ("" for core) or a list."""
    return {"apiGroups": [groups] if isinstance(groups, str) else groups, "resources": resources, "verbs": verbs}


@dataclass(frozen=True)
class Crd:
    """A CustomResourceDefinition with an open schema: `version` is served and stored, `more_versions` served too."""

    group: str
    kind: str
    plural: str
    version: str = "v1"
    more_versions: tuple[str, ...] = ()

    @property
    def versions(self) -> tuple[str, ...]:
        return (self.version, *self.more_versions)

    @property
    def name(self) -> str:
        return f"{self.plural}.{self.group}"

    @property
    def singular(self) -> str:
        return self.kind.lower()


@dataclass(frozen=True)
class Version:
    """One bundle of a package. Versions of a package are listed oldest first; each replaces the one before."""

    version: str
    # Literal env values of the operator container (where the canaries go).
    env: dict[str, str]
    # Namespaced rules this version has on top of the package's `permissions`.
    added_permissions: tuple[Manifest, ...] = ()


@dataclass(frozen=True)
class Package:
    """An OLM package with one channel (`channel`, also the default channel) and one operator Deployment."""

    name: str
    display_name: str
    description: str
    install_modes: frozenset[str]
    versions: tuple[Version, ...]
    channel: str = "stable"
    owned_crds: tuple[Crd, ...] = ()
    # CRDs the CSV lists under `customresourcedefinitions.required` (opm turns them into `olm.gvk.required`).
    required_crds: tuple[Crd, ...] = ()
    # (package, semver range) pairs, written as `olm.package.required` bundle properties.
    required_packages: tuple[tuple[str, str], ...] = ()
    # Namespaced rules (CSV `permissions`) and cluster-wide rules (CSV `clusterPermissions`) of the operator's
    # ServiceAccount; an empty tuple leaves the section out.
    permissions: tuple[Manifest, ...] = ()
    cluster_permissions: tuple[Manifest, ...] = ()
    # Env entries that are not literal values (valueFrom), shared by all versions.
    env_from_refs: tuple[Manifest, ...] = ()
    # Extra bundle objects (Service, ConfigMap, Secret, ...), shared by all versions; OLM applies them as
    # InstallPlan steps in the install namespace, owned by the CSV.
    bundle_objects: tuple[Manifest, ...] = ()
    # FAULT_LABEL value on the pod template, or None for an operator that becomes ready.
    fault: str | None = None
    # CSV annotations on top of the ones every package has (e.g. operators.openshift.io/must-gather-image).
    csv_annotations: tuple[tuple[str, str], ...] = ()
    # CSV `webhookdefinitions` (their deploymentName is filled in: the operator Deployment serves them).
    webhooks: tuple[Manifest, ...] = ()

    def csv_name(self, version: str) -> str:
        return f"{self.name}.v{version}"

    @property
    def head(self) -> Version:
        return self.versions[-1]

    @property
    def deployment_name(self) -> str:
        return f"{self.name}-controller-manager"

    @property
    def service_account_name(self) -> str:
        return f"{self.name}-controller-manager"
