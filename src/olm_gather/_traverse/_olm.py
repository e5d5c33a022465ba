"""What OLM v0 writes on the objects it creates, and how to read its references. Pure functions over dicts."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any, Final

import orjson

Obj = dict[str, Any]

GROUP: Final = "operators.coreos.com"
OWNER: Final = "olm.owner"
OWNER_NAMESPACE: Final = "olm.owner.namespace"
OWNER_KIND: Final = "olm.owner.kind"
COPIED_FROM: Final = "olm.copiedFrom"
CATALOG_SOURCE_LABEL: Final = "olm.catalogSource"
CSV_KIND: Final = "ClusterServiceVersion"
BUNDLE_UNPACK_REF: Final = "operatorframework.io/bundle-unpack-ref"

# InstallPlan steps name this made-up kind for a Secret shipped in a bundle.
STEP_KIND_ALIASES: Final = {"BundleSecret": "Secret"}

# Built-in API groups: a gathered kind from any other group is a custom resource whose CRD readers need.
BUILTIN_GROUPS: Final = frozenset(
    {
        "",
        "apps",
        "batch",
        "policy",
        "autoscaling",
        "rbac.authorization.k8s.io",
        "apiregistration.k8s.io",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "networking.k8s.io",
        "scheduling.k8s.io",
        "storage.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "events.k8s.io",
        "node.k8s.io",
        "certificates.k8s.io",
        "flowcontrol.apiserver.k8s.io",
        "resource.k8s.io",
    }
)


def meta(obj: Obj) -> Obj:
    m: Obj = obj.get("metadata") or {}
    return m


def name(obj: Obj) -> str:
    return str(meta(obj).get("name", ""))


def namespace(obj: Obj) -> str:
    return str(meta(obj).get("namespace", ""))


def uid(obj: Obj) -> str:
    return str(meta(obj).get("uid", ""))


def labels(obj: Obj) -> dict[str, str]:
    found: dict[str, str] = meta(obj).get("labels") or {}
    return found


def owner_uids(obj: Obj) -> set[str]:
    return {str(ref.get("uid", "")) for ref in meta(obj).get("ownerReferences") or []}


def is_copied_csv(obj: Obj) -> bool:
    return COPIED_FROM in labels(obj) or (obj.get("status") or {}).get("reason") == "Copied"


def package_of(subscription: Obj) -> str:
    return str((subscription.get("spec") or {}).get("name", ""))


def subscription_csv_names(subscription: Obj) -> set[str]:
    status = subscription.get("status") or {}
    return {str(status[k]) for k in ("installedCSV", "currentCSV") if status.get(k)}


def installplan_ref_name(subscription: Obj) -> str:
    status = subscription.get("status") or {}
    ref = status.get("installPlanRef") or {}
    legacy = status.get("installplan") or {}
    return str(ref.get("name") or legacy.get("name") or "")


def catalog_source_ref(subscription: Obj) -> tuple[str, str]:
    """(namespace, name) of the CatalogSource a Subscription names."""
    spec = subscription.get("spec") or {}
    return str(spec.get("sourceNamespace") or namespace(subscription)), str(spec.get("source", ""))


def steps(install_plan: Obj) -> list[Obj]:
    found: list[Obj] = (install_plan.get("status") or {}).get("plan") or []
    return found


def plan_csv_names(install_plan: Obj) -> set[str]:
    """Every CSV an InstallPlan resolves (its spec and its steps)."""
    names = {str(n) for n in (install_plan.get("spec") or {}).get("clusterServiceVersionNames") or []}
    names.update(str(s.get("resolving", "")) for s in steps(install_plan) if s.get("resolving"))
    return names


def bundle_unpack_refs(install_plan: Obj) -> set[tuple[str, str]]:
    """(namespace, name) of the unpack Job of each bundle an InstallPlan looks up. OLM names the Job (and its
    ConfigMap) after the bundle path: sha256 in hex, cut to 63 characters, in the CatalogSource's namespace."""
    refs = set()
    for lookup in (install_plan.get("status") or {}).get("bundleLookups") or []:
        path, source = str(lookup.get("path", "")), lookup.get("catalogSourceRef") or {}
        if path and source.get("namespace"):
            refs.add((str(source["namespace"]), hashlib.sha256(path.encode()).hexdigest()[:63]))
    return refs


def replaces_of(csv: Obj) -> str:
    return str((csv.get("spec") or {}).get("replaces", "") or "")


def step_csv_replaces(step: Obj) -> tuple[str, str] | None:
    """(csv, replaces) read from a CSV step's inline manifest, for CSVs already gone from the cluster."""
    resource = step.get("resource") or {}
    if resource.get("kind") != CSV_KIND or not isinstance(resource.get("manifest"), str):
        return None
    try:
        manifest = orjson.loads(resource["manifest"])
    except orjson.JSONDecodeError:
        return None
    if not isinstance(manifest, dict) or manifest.get("kind") != CSV_KIND:
        return None
    return name(manifest), replaces_of(manifest)


def package_csv_names(seeds: Iterable[str], replaces: dict[str, str]) -> set[str]:
    """The CSVs of one package: the Subscription's installed/current CSVs and every CSV they replace, in turn."""
    found: set[str] = set()
    todo = [s for s in seeds if s]
    while todo:
        csv = todo.pop()
        if csv in found:
            continue
        found.add(csv)
        previous = replaces.get(csv, "")
        if previous:
            todo.append(previous)
    return found


def deployment_names(csv: Obj) -> list[str]:
    install = ((csv.get("spec") or {}).get("install") or {}).get("spec") or {}
    return [str(d["name"]) for d in install.get("deployments") or [] if d.get("name")]


def selector_string(selector: Obj | None) -> str:
    """A LabelSelector as the `labelSelector` query syntax; "" selects everything."""
    if not selector:
        return ""
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key", ""), expr.get("operator", ""), expr.get("values") or []
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts)


def container_names(pod: Obj) -> list[tuple[str, int]]:
    """(container, restartCount) for init and regular containers, in pod spec order."""
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    restarts = {
        s.get("name"): int(s.get("restartCount") or 0)
        for s in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or [])
    }
    return [
        (str(c["name"]), restarts.get(c["name"], 0))
        for c in (spec.get("initContainers") or []) + (spec.get("containers") or [])
        if c.get("name")
    ]
