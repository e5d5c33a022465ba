"""The test operators of the local catalog `olm-gather-test`: what each package is and why it exists.

tests/catalog/README.md has the table (package, channel and versions, install modes, expected OLM outcome);
keep both in step. Names: packages `ogt-<name>`, CSVs `<package>.v<version>`, API groups `<name>.olm-gather.test`.
"""

from __future__ import annotations

import base64

from . import canaries
from .model import (
    ALL_NAMESPACES,
    CRASHLOOP,
    MULTI_NAMESPACE,
    NEVER_READY,
    OWN_NAMESPACE,
    SINGLE_NAMESPACE,
    Crd,
    Package,
    Version,
    rule,
)

NAMESPACED = frozenset({OWN_NAMESPACE, SINGLE_NAMESPACE, MULTI_NAMESPACE})
ANY_MODE = NAMESPACED | {ALL_NAMESPACES}

ALL_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"]
READ = ["get", "list", "watch"]
LEADER_ELECTION = (
    rule("coordination.k8s.io", ["leases"], ALL_VERBS),
    rule("", ["events"], ["create", "patch"]),
)


def _crd_rules(crd: Crd) -> tuple[dict[str, object], ...]:
    return (
        rule(crd.group, [crd.plural], ALL_VERBS),
        rule(crd.group, [f"{crd.plural}/status", f"{crd.plural}/finalizers"], ["get", "update", "patch"]),
    )


WIDGET = Crd(group="alpha.olm-gather.test", kind="Widget", plural="widgets")
GADGET = Crd(group="beta.olm-gather.test", kind="Gadget", plural="gadgets")
GIZMO = Crd(group="global.olm-gather.test", kind="Gizmo", plural="gizmos")
BOOK = Crd(group="lib.olm-gather.test", kind="Book", plural="books")
READER = Crd(group="needs-lib.olm-gather.test", kind="Reader", plural="readers")
SPROCKET = Crd(group="upgrade.olm-gather.test", kind="Sprocket", plural="sprockets")

# The everything operator: owned CRD, namespaced and cluster permissions, a Service, a ConfigMap and a Secret in
# its bundle, literal env values (canaries) next to valueFrom ones. Not AllNamespaces.
ALPHA = Package(
    name="ogt-alpha",
    display_name="OGT Alpha",
    description="Plain namespaced test operator with every kind of bundle object.",
    install_modes=NAMESPACED,
    owned_crds=(WIDGET,),
    permissions=(
        rule("", ["configmaps", "secrets", "services"], ALL_VERBS),
        rule("", ["pods"], READ),
        rule("apps", ["deployments"], READ),
        *LEADER_ELECTION,
        *_crd_rules(WIDGET),
    ),
    cluster_permissions=(
        rule("", ["namespaces"], READ),
        rule("authentication.k8s.io", ["tokenreviews"], ["create"]),
        rule("authorization.k8s.io", ["subjectaccessreviews"], ["create"]),
    ),
    versions=(
        Version(
            "1.0.0",
            env={
                "DB_PASSWORD": canaries.ALPHA_ENV_DB_PASSWORD,
                "API_TOKEN": canaries.ALPHA_ENV_API_TOKEN,
                "WATCH_LABEL": canaries.ALPHA_ENV_WATCH_LABEL,
            },
        ),
    ),
    env_from_refs=(
        # OLM's own convention: the operator learns its target namespaces from the annotation OLM puts on the pod.
        {
            "name": "WATCH_NAMESPACE",
            "valueFrom": {"fieldRef": {"fieldPath": "metadata.annotations['olm.targetNamespaces']"}},
        },
        {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
        {
            "name": "API_TOKEN_FROM_SECRET",
            "valueFrom": {"secretKeyRef": {"name": "ogt-alpha-credentials", "key": "api-token"}},
        },
    ),
    bundle_objects=(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "ogt-alpha-metrics", "labels": {"app.kubernetes.io/name": "ogt-alpha"}},
            "spec": {
                "selector": {"app.kubernetes.io/name": "ogt-alpha"},
                "ports": [{"name": "metrics", "port": 8443, "targetPort": 8443, "protocol": "TCP"}],
            },
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "ogt-alpha-config", "labels": {"app.kubernetes.io/name": "ogt-alpha"}},
            # Plain configuration: a gather keeps ConfigMap data as it is.
            "data": {"log-level": "debug", "controller.yaml": "reconcileInterval: 30s\nmaxConcurrentReconciles: 2\n"},
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "ogt-alpha-credentials", "labels": {"app.kubernetes.io/name": "ogt-alpha"}},
            "type": "Opaque",
            "data": {"api-token": base64.b64encode(canaries.ALPHA_SECRET_DATA.encode()).decode()},
            # stringData stays plain text in the InstallPlan step manifest; the API server folds it into data.
            "stringData": {"password": canaries.ALPHA_SECRET_STRING_DATA},
        },
    ),
)

# A second plain operator with its own CRD, to install next to ogt-alpha in one namespace (one OperatorGroup,
# two Subscriptions, InstallPlans owned by both). Also the package for the Manual-approval, unknown-channel and
# two-OperatorGroups cases.
BETA = Package(
    name="ogt-beta",
    display_name="OGT Beta",
    description="Second plain namespaced test operator.",
    install_modes=NAMESPACED,
    owned_crds=(GADGET,),
    permissions=(rule("", ["configmaps"], ALL_VERBS), *LEADER_ELECTION, *_crd_rules(GADGET)),
    versions=(Version("1.0.0", env={"LICENSE_KEY": canaries.BETA_ENV_LICENSE_KEY}),),
)

# AllNamespaces only: install into `operators` (OperatorGroup global-operators); OLM copies its CSV into every
# namespace (label olm.copiedFrom=operators).
GLOBAL = Package(
    name="ogt-global",
    display_name="OGT Global",
    description="Cluster-wide test operator (AllNamespaces only).",
    install_modes=frozenset({ALL_NAMESPACES}),
    owned_crds=(GIZMO,),
    permissions=LEADER_ELECTION,
    cluster_permissions=(rule("", ["configmaps", "namespaces"], READ), *_crd_rules(GIZMO)),
    versions=(Version("1.0.0", env={"SHARED_SECRET": canaries.GLOBAL_ENV_SHARED_SECRET}),),
)

# The package ogt-needs-lib requires. Subscribing to ogt-needs-lib alone makes OLM add a Subscription to this
# one (`ogt-lib-stable-olm-gather-test-olm`, annotation olm.generated-by=<plan>).
LIB = Package(
    name="ogt-lib",
    display_name="OGT Lib",
    description="Test operator that ogt-needs-lib depends on.",
    install_modes=ANY_MODE,
    owned_crds=(BOOK,),
    permissions=(*LEADER_ELECTION, *_crd_rules(BOOK)),
    versions=(Version("1.0.0", env={"LIB_TOKEN": canaries.LIB_ENV_TOKEN}),),
)

NEEDS_LIB = Package(
    name="ogt-needs-lib",
    display_name="OGT Needs Lib",
    description="Test operator that requires the package ogt-lib and its Book API.",
    install_modes=ANY_MODE,
    owned_crds=(READER,),
    required_crds=(BOOK,),
    required_packages=(("ogt-lib", ">=1.0.0 <2.0.0"),),
    permissions=(*LEADER_ELECTION, *_crd_rules(READER), rule(BOOK.group, [BOOK.plural], READ)),
    versions=(Version("1.0.0", env={"LIB_CLIENT_TOKEN": canaries.NEEDS_LIB_ENV_TOKEN}),),
)

# Upgrade chain: 1.0.0 -> 2.0.0 in channel stable. Subscribe with startingCSV ogt-upgrade.v1.0.0: OLM installs
# 1.0.0 with one InstallPlan, then upgrades to 2.0.0 with a second one (Manual approval: the second plan waits in
# RequiresApproval). 2.0.0 also reads Secrets, so OLM replaces the Role.
UPGRADE = Package(
    name="ogt-upgrade",
    display_name="OGT Upgrade",
    description="Test operator with an upgrade chain.",
    install_modes=NAMESPACED,
    owned_crds=(SPROCKET,),
    permissions=(rule("", ["configmaps"], ALL_VERBS), *LEADER_ELECTION, *_crd_rules(SPROCKET)),
    versions=(
        Version("1.0.0", env={"DB_PASSWORD": canaries.UPGRADE_V1_ENV_PASSWORD}),
        Version(
            "2.0.0",
            env={"DB_PASSWORD": canaries.UPGRADE_V2_ENV_PASSWORD},
            added_permissions=(rule("", ["secrets"], READ),),
        ),
    ),
)

# Failure cases. Their Deployments have a short progressDeadlineSeconds (manifests.py), so that kube's deployment
# controller marks them ProgressDeadlineExceeded and OLM fails the CSV (Failed / InstallCheckFailed) within
# seconds rather than after its hard-coded five minutes.
NEVER_READY_PKG = Package(
    name="ogt-never-ready",
    display_name="OGT Never Ready",
    description="Test operator whose pod never becomes ready.",
    install_modes=ANY_MODE,
    permissions=LEADER_ELECTION,
    fault=NEVER_READY,
    versions=(Version("1.0.0", env={"DB_PASSWORD": canaries.NEVER_READY_ENV_PASSWORD}),),
)

CRASHLOOP_PKG = Package(
    name="ogt-crashloop",
    display_name="OGT Crashloop",
    description="Test operator whose container crashes in a loop.",
    install_modes=ANY_MODE,
    permissions=LEADER_ELECTION,
    fault=CRASHLOOP,
    versions=(Version("1.0.0", env={"DB_PASSWORD": canaries.CRASHLOOP_ENV_PASSWORD}),),
)

# An operator that names its own must-gather image in the CSV, as OpenShift operators do; it installs cleanly,
# so the analysis points to that image as the next step.
MUST_GATHER_IMAGE = "registry.olm-gather.test/ogt-support-must-gather:1.0.0"
SUPPORT = Package(
    name="ogt-support",
    display_name="OGT Support",
    description="Test operator with its own must-gather image.",
    install_modes=NAMESPACED,
    permissions=LEADER_ELECTION,
    csv_annotations=(("operators.openshift.io/must-gather-image", MUST_GATHER_IMAGE),),
    versions=(Version("1.0.0", env={"SUPPORT_TOKEN": canaries.SUPPORT_ENV_TOKEN}),),
)

# Installed in two namespaces whose `ogt-twin.<namespace>` share the first 63 characters: OLM cuts the component
# label key (and so the Operator's name) there, and one Operator lists the components of both installs.
TWIN = Package(
    name="ogt-twin",
    display_name="OGT Twin",
    description="Test operator installed in two namespaces with one long shared name prefix.",
    install_modes=NAMESPACED,
    owned_crds=(Crd(group="twin.olm-gather.test", kind="Mirror", plural="mirrors"),),
    permissions=LEADER_ELECTION,
    versions=(Version("1.0.0", env={"TWIN_TOKEN": canaries.TWIN_ENV_TOKEN}),),
)

# Three owned CRDs, one served in two versions: OLM makes four ClusterRoles per owned CRD version.
MULTI_API_CRDS = (
    Crd(group="multi-api.olm-gather.test", kind="Lever", plural="levers", version="v1", more_versions=("v1beta1",)),
    Crd(group="multi-api.olm-gather.test", kind="Pulley", plural="pulleys"),
    Crd(group="multi-api.olm-gather.test", kind="Wedge", plural="wedges"),
)
MULTI_API = Package(
    name="ogt-multi-api",
    display_name="OGT Multi API",
    description="Test operator owning three CRDs, one of them in two versions.",
    install_modes=NAMESPACED,
    owned_crds=MULTI_API_CRDS,
    permissions=(*LEADER_ELECTION, *(r for c in MULTI_API_CRDS for r in _crd_rules(c))),
    versions=(Version("1.0.0", env={"MULTI_API_TOKEN": canaries.MULTI_API_ENV_TOKEN}),),
)

# A validating and a mutating webhook served by the operator Deployment. failurePolicy Ignore and rules on its own
# API group only: nothing here serves them (kwok pods have no network), and nothing else may depend on them.
HOOK = Crd(group="hooks.olm-gather.test", kind="Hook", plural="hooks")
_HOOK_RULES = [
    {"apiGroups": [HOOK.group], "apiVersions": [HOOK.version], "operations": ["CREATE", "UPDATE"],
     "resources": [HOOK.plural]}
]  # fmt: skip
_WEBHOOK_COMMON: dict[str, object] = {
    "admissionReviewVersions": ["v1"],
    "containerPort": 9443,
    "targetPort": 9443,
    "failurePolicy": "Ignore",
    "sideEffects": "None",
    "timeoutSeconds": 5,
    "rules": _HOOK_RULES,
}
HOOKS = Package(
    name="ogt-hooks",
    display_name="OGT Hooks",
    description="Test operator with a validating and a mutating admission webhook.",
    install_modes=NAMESPACED,
    owned_crds=(HOOK,),
    permissions=(*LEADER_ELECTION, *_crd_rules(HOOK)),
    versions=(Version("1.0.0", env={"HOOKS_TOKEN": canaries.HOOKS_ENV_TOKEN}),),
    webhooks=(
        {**_WEBHOOK_COMMON, "type": "ValidatingAdmissionWebhook", "generateName": "vhook.hooks.olm-gather.test",
         "webhookPath": "/validate-hook"},
        {**_WEBHOOK_COMMON, "type": "MutatingAdmissionWebhook", "generateName": "mhook.hooks.olm-gather.test",
         "webhookPath": "/mutate-hook", "reinvocationPolicy": "Never"},
    ),
)  # fmt: skip


def _chain(name: str, crd: Crd, requires: str | None) -> Package:
    """One link of a dependency chain: requires the package `requires` (any version)."""
    return Package(
        name=f"ogt-chain-{name}",
        display_name=f"OGT Chain {name.title()}",
        description=f"Test operator, link {name!r} of a dependency chain of three.",
        install_modes=ANY_MODE,
        owned_crds=(crd,),
        required_packages=((requires, ">=1.0.0 <2.0.0"),) if requires else (),
        permissions=(*LEADER_ELECTION, *_crd_rules(crd)),
        versions=(Version("1.0.0", env={"CHAIN_TOKEN": canaries.CHAIN_ENV_TOKEN}),),
    )


# ogt-chain-top requires ogt-chain-mid, which requires ogt-chain-base: one Subscription, one InstallPlan of three
# CSVs and two generated Subscriptions. Gathering `-p ogt-chain-mid` must keep only the middle link's steps.
CHAIN_BASE = _chain("base", Crd(group="chain-base.olm-gather.test", kind="Footing", plural="footings"), None)
CHAIN_MID = _chain("mid", Crd(group="chain-mid.olm-gather.test", kind="Beam", plural="beams"), "ogt-chain-base")
CHAIN_TOP = _chain("top", Crd(group="chain-top.olm-gather.test", kind="Roof", plural="roofs"), "ogt-chain-mid")

PACKAGES: tuple[Package, ...] = (
    ALPHA, BETA, GLOBAL, LIB, NEEDS_LIB, UPGRADE, NEVER_READY_PKG, CRASHLOOP_PKG, TWIN, MULTI_API, HOOKS,
    CHAIN_BASE, CHAIN_MID, CHAIN_TOP, SUPPORT,
)  # fmt: skip
BY_NAME: dict[str, Package] = {p.name: p for p in PACKAGES}
