"""What OLM v0 writes on the objects it creates, and how to read its references. Pure functions over dicts."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Iterable
from typing import Any, Final

import orjson

Obj = dict[str, Any]

GROUP: Final = "operators.coreos.com"
SUBSCRIPTION_VERSION: Final = "v1alpha1"
OWNER: Final = "olm.owner"
OWNER_NAMESPACE: Final = "olm.owner.namespace"
OWNER_KIND: Final = "olm.owner.kind"
COPIED_FROM: Final = "olm.copiedFrom"
SERVICE_NAME_LABEL: Final = "kubernetes.io/service-name"  # on EndpointSlices, naming their Service
MANAGED_SELECTOR: Final = "olm.managed=true"  # install.OLMManagedLabelKey: what OLM's informers watch
CATALOG_SOURCE_LABEL: Final = "olm.catalogSource"
CSV_KIND: Final = "ClusterServiceVersion"
OPERATOR_GROUP_KIND: Final = "OperatorGroup"
# Label OLM puts on each target Namespace of a (not AllNamespaces) OperatorGroup (api operatorgroup_types.go).
OPERATOR_GROUP_LABEL_PREFIX: Final = "olm.operatorgroup.uid/"
KUBE_SYSTEM: Final = "kube-system"
# The Operator API's label key prefix and the longest name part a label key may have (decorators/operator.go).
COMPONENT_LABEL_PREFIX: Final = "operators.coreos.com/"
_LABEL_NAME_LIMIT: Final = 63
_LABEL_VALUE: Final = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
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


def union_selector(selectors: list[Obj | None]) -> str | None:
    """One `labelSelector` that every object one of `selectors` selects also matches (more may match it), or None
    when there is none narrower than everything: each key their matchLabels all have, with the values they
    give it (`app in (a,b)`). Two Deployments of one operator mostly differ only in a value."""
    strings = {selector_string(s) for s in selectors}
    if not selectors or "" in strings:
        return None
    if len(strings) == 1:
        return strings.pop()
    labels = [{str(k): str(v) for k, v in ((s or {}).get("matchLabels") or {}).items()} for s in selectors]
    # a key some selector wants empty is left out: `k in ()` is no selector
    common = sorted(k for k in set.intersection(*(set(m) for m in labels)) if all(m[k] for m in labels))
    if not common:
        return None
    return ",".join(f"{k} in ({','.join(sorted({m[k] for m in labels}))})" for k in common)


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


def operator_name(package: str, install_namespace: str) -> str:
    """The Operator object of a Subscription: `<package>.<namespace>`, cut as OLM cuts its component label key's
    name part (63 characters, trailing `.`, `_`, `-` stripped; decorators/operator.go ComponentLabelKey), since the
    operator controller names the Operator after that key."""
    full = f"{package}.{install_namespace}"
    if len(full) <= _LABEL_NAME_LIMIT:
        return full
    return full[:_LABEL_NAME_LIMIT].rstrip("._-")


def component_ref_in_namespaces(ref: Obj, install_namespaces: Collection[str]) -> bool:
    """Whether a `status.components.refs[]` entry may belong to an install in `install_namespaces`: a cut Operator
    name is shared by every namespace with the same 63-character prefix, so namespaced refs elsewhere are not."""
    ns = str(ref.get("namespace", "") or "")
    return not ns or ns in install_namespaces


def owner_namespace_in(obj: Obj, install_namespaces: Collection[str]) -> bool:
    """False for a cluster object OLM labelled as owned from another namespace (olm.owner.namespace)."""
    owner_ns = labels(obj).get(OWNER_NAMESPACE)
    return owner_ns is None or owner_ns in install_namespaces


def provided_api_cluster_roles(csv: Obj) -> list[tuple[str, str, str]]:
    """(ClusterRole, owner kind, owner name) of the roles OLM makes for each API a CSV provides, owned by the CRD or
    APIService: `<crd>-<version>-admin|edit|view|crdview` per owned CRD version, `<name>-<version>-admin|edit|view`
    per owned APIService (olm/operatorgroup.go ensureClusterRolesForCSV)."""
    spec = csv.get("spec") or {}
    out: list[tuple[str, str, str]] = []
    for owned in (spec.get("customresourcedefinitions") or {}).get("owned") or []:
        crd, version = str(owned.get("name", "")), str(owned.get("version", ""))
        if crd and version:
            prefix = f"{crd}-{version}-"
            out += [(prefix + s, "CustomResourceDefinition", crd) for s in ("admin", "edit", "view", "crdview")]
    for owned in (spec.get("apiservicedefinitions") or {}).get("owned") or []:
        api, group, version = str(owned.get("name", "")), str(owned.get("group", "")), str(owned.get("version", ""))
        if api and group and version:
            prefix = f"{api}-{version}-"
            out += [(prefix + s, "APIService", f"{version}.{group}") for s in ("admin", "edit", "view")]
    return out


def crd_cluster_roles(crd: Obj) -> list[tuple[str, str, str]]:
    """The same roles named from a CRD's own served versions: OLM made them when a CSV owning the CRD succeeded,
    which may be another install's (a plan waiting for approval names the CRD in a step)."""
    spec, crd_name = crd.get("spec") or {}, name(crd)
    return [
        (f"{crd_name}-{v['name']}-{s}", "CustomResourceDefinition", crd_name)
        for v in spec.get("versions") or []
        if v.get("served") and v.get("name")
        for s in ("admin", "edit", "view", "crdview")
    ]


def owned_by_kind(obj: Obj, kind: str, owner: str) -> bool:
    """Case-insensitive kind: OLM writes `customresourcedefinition` into the ownerReferences of per-API roles."""
    return any(
        str(r.get("kind", "")).lower() == kind.lower() and r.get("name") == owner
        for r in meta(obj).get("ownerReferences") or []
    )


def auth_reader_role_bindings(csv: Obj) -> list[tuple[str, str]]:
    """(RoleBinding in kube-system, ServiceAccount) OLM applies for each Deployment serving a webhook or an owned
    APIService: `<deployment>-service-auth-reader`, labelled olm.managed only (install/certresources.go)."""
    spec = csv.get("spec") or {}
    served = [str(w.get("deploymentName", "")) for w in spec.get("webhookdefinitions") or []]
    served += [str(a.get("deploymentName", "")) for a in (spec.get("apiservicedefinitions") or {}).get("owned") or []]
    install = (spec.get("install") or {}).get("spec") or {}
    accounts = {
        str(d.get("name")): str(
            ((d.get("spec") or {}).get("template") or {}).get("spec", {}).get("serviceAccountName") or "default"
        )
        for d in install.get("deployments") or []
    }
    return sorted({(f"{d}-service-auth-reader", accounts[d]) for d in served if d in accounts})


def binds_service_account(binding: Obj, service_account: str, sa_namespace: str) -> bool:
    return any(
        s.get("kind") == "ServiceAccount" and s.get("name") == service_account and s.get("namespace") == sa_namespace
        for s in binding.get("subjects") or []
    )


def target_namespaces(operator_group: Obj) -> list[str]:
    """The namespaces an OperatorGroup targets, without the "" of AllNamespaces."""
    return sorted(str(n) for n in (operator_group.get("status") or {}).get("namespaces") or [] if n)


def tenant_rbac_selector(csv_names: Iterable[str], install_namespace: str, target_namespace: str) -> str:
    """The Roles and RoleBindings OLM copies into a target namespace for the CSVs of `install_namespace`, owned by
    the copied CSV and labelled after it (olm/operatorgroup.go ensureTenantRBAC)."""
    names = ",".join(sorted(csv_names))
    return (
        f"{COPIED_FROM}={install_namespace},{OWNER_KIND}={CSV_KIND},"
        f"{OWNER_NAMESPACE}={target_namespace},{OWNER} in ({names})"
    )


def owner_selectors(owner_kind: str, owners: Iterable[tuple[str, str]], limit: int = 2000) -> list[str]:
    """Label selectors for the cluster objects OLM labels after their owner (ownerutil.AddOwnerLabels: olm.owner,
    olm.owner.namespace, olm.owner.kind), for all `owners` ((namespace, name) pairs) of `owner_kind` at once, cut
    into selectors of about `limit` characters (a URL has its limits). A selector asks for every name of its
    chunk in every namespace of it, so keep only what `labelled_by` accepts. A name that is no label value is left
    out: no object can carry it."""
    by_namespace: dict[str, set[str]] = {}
    for ns, owner in owners:
        if is_label_value(owner):
            by_namespace.setdefault(ns, set()).add(owner)
    selectors: list[str] = []
    chunk: dict[str, set[str]] = {}

    def selector(part: dict[str, set[str]]) -> str:
        names = ",".join(sorted(set().union(*part.values())))
        return f"{OWNER_KIND}={owner_kind},{OWNER_NAMESPACE} in ({','.join(sorted(part))}),{OWNER} in ({names})"

    for ns in sorted(by_namespace):
        if chunk and len(selector({**chunk, ns: by_namespace[ns]})) > limit:
            selectors.append(selector(chunk))
            chunk = {}
        chunk[ns] = by_namespace[ns]
    if chunk:
        selectors.append(selector(chunk))
    return selectors


def labelled_by(obj: Obj, owner_kind: str, owners: Collection[tuple[str, str]]) -> bool:
    """Whether OLM's owner labels on `obj` name one of `owners` ((namespace, name) pairs) of `owner_kind`."""
    got = labels(obj)
    return got.get(OWNER_KIND) == owner_kind and (got.get(OWNER_NAMESPACE, ""), got.get(OWNER, "")) in owners


def copied_from_selectors(namespaces: Iterable[str], limit: int = 2000) -> list[str]:
    """Label selectors for the CSV copies OLM makes of the CSVs of `namespaces` (olm.copiedFrom), about `limit`
    characters each."""
    selectors: list[str] = []
    chunk: list[str] = []
    for ns in sorted(set(namespaces)):
        if chunk and len(COPIED_FROM) + 6 + len(",".join([*chunk, ns])) > limit:
            selectors.append(f"{COPIED_FROM} in ({','.join(chunk)})")
            chunk = []
        chunk.append(ns)
    if chunk:
        selectors.append(f"{COPIED_FROM} in ({','.join(chunk)})")
    return selectors


def is_label_value(value: str) -> bool:
    """A valid label value (apimachinery validation.IsValidLabelValue): up to 63 characters of alphanumerics,
    `-`, `_` and `.`, beginning and ending with an alphanumeric."""
    return len(value) <= _LABEL_NAME_LIMIT and _LABEL_VALUE.fullmatch(value) is not None


def registry_service(catalog_source: Obj) -> tuple[str, str] | None:
    """(namespace, name) of the Service OLM made for a catalog served from an image (status.registryService)."""
    status = (catalog_source.get("status") or {}).get("registryService") or {}
    if not status.get("serviceName"):
        return None
    return str(status.get("serviceNamespace") or namespace(catalog_source)), str(status["serviceName"])
