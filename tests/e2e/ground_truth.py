"""What olm-gather should gather for one package in one namespace, computed from the live cluster without any of
olm-gather's traversal code: every object carrying OLM's Operator component label `operators.coreos.com/<pkg>.<ns>`,
every object labelled `olm.owner=<csv>` or owned by the CSV, every existing object an InstallPlan step of the
package names, and the Subscription's context (namespace, OperatorGroups, CatalogSource, Operator, the
Deployments' ReplicaSets and Pods, OLM's own pods, the CRDs of custom kinds). Every resource type the server
serves is searched, so a kind the traversal forgot shows up as missing."""

from __future__ import annotations

from typing import Any

from olm_gather import _errors
from tests.e2e.kapi import Api

Ref = tuple[str, str, str]  # (kind, namespace, name)
OLM = "operators.coreos.com"
BUILTIN_GROUPS = {"", "apps", "batch", "policy", "autoscaling", "rbac.authorization.k8s.io", "apiextensions.k8s.io",
                  "admissionregistration.k8s.io", "apiregistration.k8s.io", "networking.k8s.io", "scheduling.k8s.io",
                  "storage.k8s.io", "coordination.k8s.io", "discovery.k8s.io", "events.k8s.io", "node.k8s.io",
                  "certificates.k8s.io", "flowcontrol.apiserver.k8s.io", "resource.k8s.io"}  # fmt: skip


def _listable(api: Api) -> list[tuple[str, str, str, bool]]:
    """(group, version, plural, namespaced) of every listable resource, from the raw discovery documents."""
    out = []
    seen: set[tuple[str, str]] = set()
    groups = [("", "v1")] + [
        (g["name"], v["version"]) for g in api.kube.get("/apis").get("groups", []) for v in g["versions"]
    ]
    for group, version in groups:
        path = f"/apis/{group}/{version}" if group else f"/api/{version}"
        try:
            doc = api.kube.get(path)
        except _errors.APIError:
            continue
        for r in doc.get("resources", []):
            listable = "/" not in r["name"] and "list" in r.get("verbs", []) and r["name"] != "events"
            if listable and (group, r["name"]) not in seen:  # served in several versions: search one
                seen.add((group, r["name"]))
                out.append((group, version, r["name"], bool(r["namespaced"])))
    return out


def _ref(obj: dict[str, Any]) -> Ref:
    return (obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"])


def _items(api: Api, group: str, version: str, plural: str, ns: str = "", selector: str = "") -> list[dict[str, Any]]:
    base = f"/apis/{group}/{version}" if group else f"/api/{version}"
    path = f"{base}/namespaces/{ns}/{plural}" if ns else f"{base}/{plural}"
    try:
        return list(api.kube.list(path, label_selector=selector))
    except _errors.APIError:
        return []


def expected(api: Api, *, namespace: str, package: str) -> set[Ref]:
    resources = _listable(api)
    truth: set[Ref] = set()
    subs = [s for s in _items(api, OLM, "v1alpha1", "subscriptions", namespace) if s["spec"]["name"] == package]
    assert len(subs) == 1, f"expected one Subscription for {package} in {namespace}"
    sub = subs[0]
    truth.add(_ref(sub))

    label = f"operators.coreos.com/{package}.{namespace}"[:63]
    for group, version, plural, _ in resources:
        for obj in _items(api, group, version, plural, selector=label):
            if "olm.copiedFrom" not in obj["metadata"].get("labels", {}):
                truth.add(_ref(obj))

    csv_names = {sub.get("status", {}).get(k) for k in ("installedCSV", "currentCSV")} - {None, ""}
    csvs = [
        c
        for c in _items(api, OLM, "v1alpha1", "clusterserviceversions", namespace)
        if c["metadata"]["name"] in csv_names
    ]
    for csv in csvs:
        truth.add(_ref(csv))
        name, uid = csv["metadata"]["name"], csv["metadata"]["uid"]
        for group, version, plural, namespaced in resources:
            for obj in _items(
                api, group, version, plural, selector=f"olm.owner={name},olm.owner.namespace={namespace}"
            ):
                truth.add(_ref(obj))
            if namespaced:
                for obj in _items(api, group, version, plural, namespace):
                    if uid in {o["uid"] for o in obj["metadata"].get("ownerReferences", [])}:
                        truth.add(_ref(obj))

    # InstallPlans owned by the Subscription that resolve this package's CSVs (test CSVs are named <package>.v<x>),
    # and every object their steps for this package name that still exists.
    kinds = {(g, kind): (v, p, ns) for g, v, p, ns in resources for kind in [_kind_of(api, g, v, p)]}
    for plan in _items(api, OLM, "v1alpha1", "installplans", namespace):
        if sub["metadata"]["uid"] not in {o["uid"] for o in plan["metadata"].get("ownerReferences", [])}:
            continue
        steps = [s for s in plan.get("status", {}).get("plan", []) if s["resolving"].startswith(f"{package}.v")]
        if not steps and not any(
            n.startswith(f"{package}.v") for n in plan["spec"].get("clusterServiceVersionNames", [])
        ):
            continue
        truth.add(_ref(plan))
        for step in steps:
            r = step["resource"]
            kind = "Secret" if r["kind"] == "BundleSecret" else r["kind"]
            version, plural, namespaced = kinds[(r["group"], kind)]
            base = f"/apis/{r['group']}/{version}" if r["group"] else f"/api/{version}"
            path = (
                f"{base}/namespaces/{namespace}/{plural}/{r['name']}" if namespaced else f"{base}/{plural}/{r['name']}"
            )
            try:
                truth.add(_ref(_with_kind(api.kube.get(path), kind)))
            except _errors.NotFoundError:
                pass

    # Context: namespace, OperatorGroups, CatalogSource, Operator, workloads, OLM's pods, CRDs.
    for og in _items(api, OLM, "v1", "operatorgroups", namespace):
        truth.add(_ref(og))
    source_ns = sub["spec"].get("sourceNamespace") or namespace
    try:
        truth.add(_ref(api.get(f"{OLM}/v1alpha1", "CatalogSource", sub["spec"]["source"], source_ns)))
    except _errors.NotFoundError:
        pass
    try:
        truth.add(_ref(api.get(f"{OLM}/v1", "Operator", f"{package}.{namespace}")))
    except _errors.NotFoundError:
        pass
    deployments = [r for r in truth if r[0] == "Deployment"]
    for _, ns, name in deployments:
        dep = api.get("apps/v1", "Deployment", name, ns)
        sets = [rs for rs in _items(api, "apps", "v1", "replicasets", ns) if dep["metadata"]["uid"] in _owners(rs)]
        uids = {rs["metadata"]["uid"] for rs in sets}
        truth.update(_ref(rs) for rs in sets)
        truth.update(_ref(p) for p in _items(api, "", "v1", "pods", ns) if _owners(p) & uids)
    truth.update(_ref(p) for p in _items(api, "", "v1", "pods", selector="app in (olm-operator,catalog-operator)"))
    if any(
        e["involvedObject"].get("kind") == "Namespace" and e["involvedObject"].get("name") == namespace
        for e in api.kube.list("/api/v1/namespaces/default/events")
    ):
        truth.add(("Namespace", "", "default"))  # OLM's Namespace events are recorded in `default`
    for ns in {r[1] for r in truth if r[1]}:
        truth.add(("Namespace", "", ns))
    plural_of = {(g, _kind_of(api, g, v, p)): p for g, v, p, _ in resources}
    for kind, group in {(r[0], g) for r in truth for (g, k) in plural_of if k == r[0]}:
        if group not in BUILTIN_GROUPS:
            truth.add(("CustomResourceDefinition", "", f"{plural_of[(group, kind)]}.{group}"))
    return truth


def _owners(obj: dict[str, Any]) -> set[str]:
    return {o["uid"] for o in obj["metadata"].get("ownerReferences", [])}


def _with_kind(obj: dict[str, Any], kind: str) -> dict[str, Any]:
    obj.setdefault("kind", kind)
    return obj


_KINDS: dict[tuple[str, str, str], str] = {}


def _kind_of(api: Api, group: str, version: str, plural: str) -> str:
    if (group, version, plural) not in _KINDS:
        path = f"/apis/{group}/{version}" if group else f"/api/{version}"
        for r in api.kube.get(path).get("resources", []):
            _KINDS[(group, version, r["name"])] = r["kind"]
    return _KINDS.get((group, version, plural), "")
