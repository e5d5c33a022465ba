"""What OLM made for one install, measured on the live cluster by a before/after diff, sharing no edge with the
traversal: every object of every served, listable resource type (uid and resourceVersion) is snapshotted before
the scenario creates anything, and again once OLM is done; what is new or changed is what that install made,
minus what the test created itself and minus an explicit, printed list of objects that are not the operator's
(EXCLUSIONS: leases, node heartbeats, other controllers' objects). Installs run one at a time, one diff each.

The gather is expected to also carry the install's context, which the diff cannot show because it existed before
or was made by the test (CONTEXT): the Subscription, its namespace and OperatorGroups, the CatalogSource, OLM's
own pods, the Namespace of every namespace holding a gathered object, the CRD of every custom kind, objects owned
by any of these, and objects that already existed when an InstallPlan of the install named them in a step."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable
from typing import Any

from olm_gather import _errors
from tests.e2e.kapi import Api

Ref = tuple[str, str, str]  # (kind, namespace, name): what a written file holds
Key = tuple[str, str, str, str]  # (group, kind, namespace, name): one object of the cluster
OLM = "operators.coreos.com"
BUILTIN_GROUPS = {"", "apps", "batch", "policy", "autoscaling", "rbac.authorization.k8s.io", "apiextensions.k8s.io",
                  "admissionregistration.k8s.io", "apiregistration.k8s.io", "networking.k8s.io", "scheduling.k8s.io",
                  "storage.k8s.io", "coordination.k8s.io", "discovery.k8s.io", "events.k8s.io", "node.k8s.io",
                  "certificates.k8s.io", "flowcontrol.apiserver.k8s.io", "resource.k8s.io"}  # fmt: skip
# Not snapshotted: Events are written as per-namespace lists and checked elsewhere; a diff of them is noise.
UNLISTED = {("", "events"), ("events.k8s.io", "events")}


@dataclasses.dataclass(frozen=True)
class Entry:
    """One object as the snapshot saw it: identity, version and the metadata the exclusions read."""

    key: Key
    uid: str
    version: str
    labels: dict[str, str]
    owners: tuple[str, ...]  # ownerReference uids

    @property
    def ref(self) -> Ref:
        return self.key[1:]


Snapshot = dict[Key, Entry]


@dataclasses.dataclass(frozen=True)
class Resource:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool

    def path(self, namespace: str = "") -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        return f"{base}/namespaces/{namespace}/{self.plural}" if namespace else f"{base}/{self.plural}"


def listable(api: Api) -> list[Resource]:
    """Every listable resource type the server serves, from the raw discovery documents (one version each)."""
    out: list[Resource] = []
    seen: set[tuple[str, str]] = set()
    groups = [("", "v1")] + [
        (g["name"], v["version"]) for g in api.kube.get("/apis").get("groups", []) for v in g["versions"]
    ]
    for group, version in groups:
        try:
            doc = api.kube.get(f"/apis/{group}/{version}" if group else f"/api/{version}")
        except _errors.APIError:
            continue  # an aggregated API whose server is not there
        for r in doc.get("resources", []):
            if "/" in r["name"] or "list" not in r.get("verbs", []) or (group, r["name"]) in UNLISTED:
                continue
            if (group, r["name"]) not in seen:
                seen.add((group, r["name"]))
                out.append(Resource(group, version, r["name"], r["kind"], bool(r["namespaced"])))
    return out


def snapshot(api: Api, resources: list[Resource]) -> Snapshot:
    """uid and resourceVersion of every object of every resource type (metadata only), cluster-wide."""

    def entries(resource: Resource) -> list[Entry]:
        try:
            items = list(api.kube.list(resource.path(), metadata_only=True))
        except _errors.APIError:
            return []
        out = []
        for item in items:
            m = item.get("metadata", {})
            key = (resource.group, resource.kind, m.get("namespace", ""), m["name"])
            owners = tuple(str(o.get("uid", "")) for o in m.get("ownerReferences") or [])
            out.append(Entry(key, m.get("uid", ""), m.get("resourceVersion", ""), m.get("labels") or {}, owners))
        return out

    snap: Snapshot = {}
    for result in api.kube.together(*(functools.partial(entries, r) for r in resources)):
        if isinstance(result, BaseException):
            raise result
        snap.update((e.key, e) for e in result)
    return snap


def changed(before: Snapshot, after: Snapshot) -> dict[Key, Entry]:
    """Objects new since `before` (or recreated: another uid) or changed (another resourceVersion)."""
    return {
        k: e for k, e in after.items() if k not in before or (before[k].uid, before[k].version) != (e.uid, e.version)
    }


# --- what the diff shows that is not what OLM made for the install -------------------------------------------------

# (reason, rule): the first rule that matches an object of the diff excludes it, and the reason is printed.
Rule = Callable[[Entry, "Install"], bool]


def _owned_by(uids: set[str], after: Snapshot) -> set[str]:
    """`uids` and, transitively, the uids of every object owned by one of them."""
    owned = set(uids)
    grew = True
    while grew:
        grew = False
        for e in after.values():
            if e.uid not in owned and owned.intersection(e.owners):
                owned.add(e.uid)
                grew = True
    return owned


EXCLUSIONS: list[tuple[str, Rule]] = [
    ("Lease: leader election and heartbeats of kube's, kwok's and OLM's controllers", lambda e, i: e.key[1] == "Lease"),
    ("Node: kwok's node status heartbeats", lambda e, i: e.key[1] == "Node"),
    ("made by the test (its namespaces, OperatorGroups, Subscriptions, CatalogSource, noise)",
     lambda e, i: e.uid in i.created),
    ("made by kube-controller-manager for the test's noise (its Deployment's ReplicaSet and Pod)",
     lambda e, i: e.uid in i.noise_owned),
    ("made by kube-controller-manager in every new namespace (ServiceAccount default, ConfigMap kube-root-ca.crt)",
     lambda e, i: e.key[2] in i.namespaces and e.key[1:4:2] in {("ServiceAccount", "default"),
                                                                ("ConfigMap", "kube-root-ca.crt")}),
    ("APIService of a CRD's group and version: kube-apiserver registers one for each (automanaged)",
     lambda e, i: e.key[1] == "APIService" and "kube-aggregator.kubernetes.io/automanaged" in e.labels),
    ("kwok's Logs: the test cluster's stand-in for a crashed container's previous log (tests/cluster)",
     lambda e, i: e.key[0] == "kwok.x-k8s.io"),
    ("IPAddress: kube-apiserver's record of the ClusterIP it gave a Service", lambda e, i: e.key[1] == "IPAddress"),
    ("copied CSV: OLM's copy in a target namespace, counted by the gather and never written, on purpose",
     lambda e, i: e.key[1] == "ClusterServiceVersion" and "olm.copiedFrom" in e.labels),
    ("kube's aggregated ClusterRoles admin, edit, view: kube-controller-manager adds the operator's API roles",
     lambda e, i: e.key[1] == "ClusterRole" and e.key[3] in {"admin", "edit", "view"}),
    ("another install's Operator: OLM refreshes every Operator whose component label a shared CRD carries",
     lambda e, i: e.key[1] == "Operator" and e.key[3] not in i.operators),
    ("an earlier install's object, changed again by its controllers while this install ran",
     lambda e, i: e.uid in i.earlier),
]  # fmt: skip


@dataclasses.dataclass
class Install:
    """One install: what the test created, the diff OLM's work made, and what the gather must therefore hold."""

    name: str
    namespaces: set[str]  # created by the test for this install
    operators: set[str] = dataclasses.field(default_factory=set)  # the Operator names of its Subscriptions
    created: set[str] = dataclasses.field(default_factory=set)  # uids of everything the test created
    noise: set[str] = dataclasses.field(default_factory=set)  # uids of the test's noise objects
    earlier: set[str] = dataclasses.field(default_factory=set)  # uids in the truths of earlier installs
    noise_owned: set[str] = dataclasses.field(default_factory=set)
    made: dict[Key, Entry] = dataclasses.field(default_factory=dict)  # what OLM made: the diff minus exclusions
    excluded: dict[Key, str] = dataclasses.field(default_factory=dict)

    def account(self, diff: dict[Key, Entry], after: Snapshot) -> None:
        self.noise_owned = _owned_by(self.noise, after)
        for key, entry in diff.items():
            reason = next((reason for reason, rule in EXCLUSIONS if rule(entry, self)), None)
            if reason is None:
                self.made[key] = entry
            else:
                self.excluded[key] = reason


def operator_name(package: str, namespace: str) -> str:
    """OLM's Operator name: `<package>.<namespace>`, cut to 63 characters, trailing `.`, `_`, `-` stripped
    (operator-lifecycle-manager v0.38 pkg/controller/operators/decorators/operator.go ComponentLabelKey)."""
    name = f"{package}.{namespace}"
    return name if len(name) <= 63 else name[:63].rstrip("._-")


# --- the install's context: what the gather carries although the diff cannot show it -----------------------------


def expected(api: Api, install: Install, *, namespace: str, after: Snapshot) -> tuple[set[Ref], dict[Ref, str]]:
    """The refs the gather of `namespace` must write, and why each one that is not in the diff is there."""
    truth: set[Key] = set(install.made)
    context: dict[Key, str] = {}

    def add(keys: Iterable[Key], reason: str) -> None:
        for k in keys:
            if k in after and k not in truth:
                truth.add(k)
                context[k] = reason

    by_kind = _index(after)
    add(by_kind.get((OLM, "Subscription", namespace), []), "the Subscriptions the gather starts from")
    add(by_kind.get((OLM, "OperatorGroup", namespace), []), "the OperatorGroups of the namespace")
    for sub in _items(api, OLM, "v1alpha1", "subscriptions", namespace):
        spec = sub["spec"]
        add([(OLM, "CatalogSource", spec.get("sourceNamespace") or namespace, spec["source"])], "the CatalogSource")
    add(
        [(OLM, "Operator", "", name) for name in install.operators],
        "the Operator named after the install's component label",
    )
    add(
        [e.key for e in after.values() if e.key[1] == "Pod" and e.labels.get("app") in ("olm-operator", "catalog-operator")],
        "OLM's own pods",
    )  # fmt: skip
    add(_preexisting_step_objects(api, truth, after), "named by a step of the install's InstallPlan, existing before")
    for _ in range(3):  # owned objects of context objects, and the namespaces and CRDs of what is now in
        by_uid = {after[k].uid for k in truth}
        owned = [e.key for e in after.values() if by_uid.intersection(e.owners) and e.key not in install.excluded]
        add(owned, "owned by an object of the install")
        add([("", "Namespace", "", k[2]) for k in list(truth) if k[2]], "the Namespace of gathered objects")
        add(_crds_of(truth, after), "the CRD of a gathered custom kind")
    if _namespace_event_in_default(api, namespace):
        add([("", "Namespace", "", "default")], "OLM's Namespace events are recorded in default")
    return {k[1:] for k in truth}, {k[1:]: r for k, r in context.items()}


def _index(after: Snapshot) -> dict[tuple[str, str, str], list[Key]]:
    out: dict[tuple[str, str, str], list[Key]] = {}
    for k in after:
        out.setdefault((k[0], k[1], k[2]), []).append(k)
    return out


def _preexisting_step_objects(api: Api, truth: set[Key], after: Snapshot) -> list[Key]:
    """Objects the install's InstallPlans name in their steps (status.plan, OLM's own record) that exist."""
    found = []
    for group, kind, ns, name in list(truth):
        if (group, kind) != (OLM, "InstallPlan"):
            continue
        plan = api.get(f"{OLM}/v1alpha1", "InstallPlan", name, ns)
        for step in plan.get("status", {}).get("plan", []):
            r = step["resource"]
            step_kind = "Secret" if r["kind"] == "BundleSecret" else r["kind"]
            for key in ((r["group"], step_kind, ns, r["name"]), (r["group"], step_kind, "", r["name"])):
                if key in after:
                    found.append(key)
    return found


def _crds_of(truth: set[Key], after: Snapshot) -> list[Key]:
    custom = {(group, kind) for group, kind, _ns, _name in truth if group not in BUILTIN_GROUPS}
    return [
        k
        for k in after
        if k[1] == "CustomResourceDefinition" and (k[3].split(".", 1)[-1], _CRD_KINDS.get(k[3], "")) in custom
    ]


_CRD_KINDS: dict[str, str] = {}


def learn_crd_kinds(api: Api) -> None:
    """kind of each CRD by name (the metadata-only snapshot does not carry spec.names)."""
    for crd in api.kube.list("/apis/apiextensions.k8s.io/v1/customresourcedefinitions"):
        _CRD_KINDS[crd["metadata"]["name"]] = crd["spec"]["names"]["kind"]


def _namespace_event_in_default(api: Api, namespace: str) -> bool:
    return any(
        e["involvedObject"].get("kind") == "Namespace" and e["involvedObject"].get("name") == namespace
        for e in api.kube.list("/api/v1/namespaces/default/events")
    )


def _items(api: Api, group: str, version: str, plural: str, ns: str = "") -> list[dict[str, Any]]:
    base = f"/apis/{group}/{version}" if group else f"/api/{version}"
    try:
        return list(api.kube.list(f"{base}/namespaces/{ns}/{plural}" if ns else f"{base}/{plural}"))
    except _errors.APIError:
        return []
