"""Decides what to fetch from what was fetched, starting from Subscriptions and following OLM's own references.
It yields items as they arrive and never writes files or prints.

    Subscriptions (by package, namespace)
    ├── Namespace, OperatorGroups (+ their ClusterRoles and target Namespaces), Operator <pkg>.<ns> (cut to 63)
    ├── CatalogSource (+ its pods, registry Service, ServiceAccount, NetworkPolicies)
    ├── InstallPlans (ownerReference to the Subscription; with a package filter, those resolving its CSVs)
    │   └── every object a step names (CSV, CRDs, RBAC, Services, ConfigMaps, Secrets, Subscriptions, ...)
    ├── CSVs (installedCSV, currentCSV and the CSVs they replace; copies elsewhere only counted)
    │   ├── Deployments of spec.install → ReplicaSets → Pods → logs
    │   ├── cluster objects labelled olm.owner=<csv> (ClusterRoles, bindings, APIServices, webhooks)
    │   ├── namespaced objects with an ownerReference to the CSV (Secrets, Services, OperatorCondition...)
    │   │   └── the OperatorCondition's Role and RoleBinding
    │   ├── ClusterRoles of each provided API (owned by the CRD or APIService)
    │   ├── tenant Roles and RoleBindings in the OperatorGroup's target namespaces
    │   └── kube-system/<deployment>-service-auth-reader (webhook and APIService Deployments)
    ├── Operator components (status.components.refs)
    ├── bundle unpack Jobs of the InstallPlans' bundleLookups, their Role, RoleBinding and Pods → logs
    ├── OLM's own olm-operator and catalog-operator pods → logs
    ├── Events about gathered objects and the namespaces
    └── CRDs of every gathered custom kind
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Generator, Iterable, Iterator
from typing import Any

from olm_gather import _errors
from olm_gather._kube import Discovery, Kube, Resource
from olm_gather._traverse import _logs, _olm
from olm_gather._traverse._items import AlsoFound, Events, Found, Item, Key, Log, Note, Problem

Obj = dict[str, Any]

# Namespaced kinds to which OLM gives an ownerReference to the CSV (bundle objects, cert Secrets, Services,
# the OperatorCondition) and that steps may not name. Listed metadata-only; matches are then fetched whole.
_OWNED_BY_CSV = (
    ("", "Secret"),
    ("", "Service"),
    ("", "ConfigMap"),
    ("", "ServiceAccount"),
    ("rbac.authorization.k8s.io", "Role"),
    ("rbac.authorization.k8s.io", "RoleBinding"),
    ("apps", "Deployment"),
    (_olm.GROUP, "OperatorCondition"),
    ("policy", "PodDisruptionBudget"),
    ("networking.k8s.io", "NetworkPolicy"),
    ("monitoring.coreos.com", "ServiceMonitor"),
    ("monitoring.coreos.com", "PrometheusRule"),
)
# Cluster-scoped kinds OLM labels with olm.owner* (they cannot carry an ownerReference to a namespaced CSV).
_LABELLED_BY_CSV = (
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("apiregistration.k8s.io", "APIService"),
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
)
OLM_OPERATOR_APPS = ("olm-operator", "catalog-operator")
_ROLE = ("rbac.authorization.k8s.io", "Role")
_ROLE_BINDING = ("rbac.authorization.k8s.io", "RoleBinding")
_CLUSTER_ROLE = ("rbac.authorization.k8s.io", "ClusterRole")

# One deferred request (or list) and the reason its results are gathered.
_Fetch = tuple[Callable[[], list[tuple[Resource, Obj]]], str]


@dataclasses.dataclass(frozen=True)
class Options:
    package: str = ""
    namespace: str = ""
    log_limit_bytes: int = 4 * 1024 * 1024
    since_seconds: int = 0
    since_time: str = ""
    logs: bool = True


class Traversal:
    """One walk of the OLM graph. `run()` yields every item once; `gathered` indexes what was found."""

    def __init__(self, kube: Kube, options: Options) -> None:
        self._kube = kube
        self._discovery = Discovery(kube)
        self._options = options
        self._seen: dict[Key, Obj] = {}
        self._uids: set[str] = set()
        self._event_namespaces: set[str] = set()
        self.subscriptions: list[Obj] = []

    # --- entry ------------------------------------------------------------------------------------------------

    def run(self) -> Iterator[Item]:
        subscriptions, packages = self._subscriptions()
        self.subscriptions = subscriptions
        yield from self._accept_all(self._res(_olm.GROUP, "Subscription"), subscriptions, "selected Subscription")
        if not subscriptions:
            where = f"namespace {self._options.namespace}" if self._options.namespace else "any namespace"
            others = ", ".join(packages) or "none"
            what = f"package {self._options.package}" if self._options.package else "any package"
            yield Problem(
                kind="not_found",
                target=f"Subscription for {what} in {where}",
                message=f"nothing to gather; Subscriptions there are for packages: {others}",
            )
            return
        namespaces = sorted({_olm.namespace(s) for s in subscriptions})
        by_ns = yield from self._namespace_lists(namespaces)
        csvs = yield from self._operators(subscriptions, by_ns)
        yield from self._catalog_objects()
        yield from self._operator_group_objects()
        yield from self._created_by_csvs(csvs)
        yield from self._operator_condition_rbac()
        yield from self._service_endpoints()
        yield from self._operator_components(subscriptions)
        yield from self._unpack_jobs()
        pods = yield from self._workload_pods()
        if self._options.logs:
            yield from self._logs(pods)
        yield from self._events()
        yield from self._namespaces()
        yield from self._crds()

    # --- resources ------------------------------------------------------------------------------------------------

    def _res(self, group: str, kind: str, version: str = "") -> Resource:
        found = self._discovery.find(group=group, kind=kind, version=version)
        if found is None:
            if group == _olm.GROUP:
                raise _errors.OlmNotInstalledError(
                    f"the cluster at {self._kube.server} does not serve {kind} ({group}): OLM is not installed"
                )
            raise _errors.ServerError(f"the server does not serve {kind} ({group or 'core'})", status=404)
        return found

    def _maybe_res(self, group: str, kind: str, version: str = "") -> Resource | None:
        return self._discovery.find(group=group, kind=kind, version=version)

    # --- phase 1: Subscriptions ------------------------------------------------------------------------------------

    def _subscriptions(self) -> tuple[list[Obj], list[str]]:
        """The selected Subscriptions, and the packages of all Subscriptions listed (to help with a typo)."""
        subscription = self._res(_olm.GROUP, "Subscription")
        found = list(self._kube.list(subscription.path(namespace=self._options.namespace)))
        selected = sorted(
            (s for s in found if not self._options.package or _olm.package_of(s) == self._options.package),
            key=lambda s: (_olm.namespace(s), _olm.name(s)),
        )
        return selected, sorted({_olm.package_of(s) for s in found})

    # --- phase 2: what lives in the Subscriptions' namespaces ------------------------------------------------------

    def _namespace_lists(self, namespaces: list[str]) -> Generator[Item, None, dict[tuple[str, str], list[Obj]]]:
        """Lists InstallPlans, CSVs and OperatorGroups of each namespace (three lists each, concurrently)."""
        kinds = {
            "InstallPlan": (self._res(_olm.GROUP, "InstallPlan"), ""),
            "ClusterServiceVersion": (self._res(_olm.GROUP, _olm.CSV_KIND), f"!{_olm.COPIED_FROM}"),
            "OperatorGroup": (self._res(_olm.GROUP, "OperatorGroup"), ""),
        }
        jobs = [(ns, kind) for ns in namespaces for kind in kinds]
        by_ns: dict[tuple[str, str], list[Obj]] = defaultdict(list)

        def fetch(job: tuple[str, str]) -> list[Obj]:
            ns, kind = job
            resource, selector = kinds[kind]
            return list(self._kube.list(resource.path(namespace=ns), label_selector=selector))

        for (ns, kind), result in self._kube.map_unordered(fetch, jobs):
            if isinstance(result, BaseException):
                yield self._problem(result, f"{kind}s in namespace {ns}")
                continue
            by_ns[(ns, kind)] = result
            if kind == "OperatorGroup":
                yield from self._accept_all(kinds[kind][0], result, f"OperatorGroup in namespace {ns}")
        return by_ns

    def _operators(
        self, subscriptions: list[Obj], by_ns: dict[tuple[str, str], list[Obj]]
    ) -> Generator[Item, None, dict[Key, Obj]]:
        """Per Subscription: its InstallPlans, step objects, CSVs, CatalogSource and catalog pods."""
        install_plan = self._res(_olm.GROUP, "InstallPlan")
        csv_res = self._res(_olm.GROUP, _olm.CSV_KIND)
        csvs: dict[Key, Obj] = {}
        fetches: list[_Fetch] = []
        requested: set[tuple[str, ...]] = set()  # one plan serves several Subscriptions: fetch each target once
        # CSV -> the CSV it replaces, per namespace: from CSV objects, and from CSV step manifests for CSVs gone since.
        replaces_by_ns: dict[str, dict[str, str]] = {}
        for sub in subscriptions:
            ns, sub_name = _olm.namespace(sub), _olm.name(sub)
            plans_here = by_ns.get((ns, "InstallPlan"), [])
            csvs_here = by_ns.get((ns, "ClusterServiceVersion"), [])
            if ns not in replaces_by_ns:
                replaces_by_ns[ns] = _replaces_map(csvs_here, plans_here)
            names = _olm.package_csv_names(_olm.subscription_csv_names(sub), replaces_by_ns[ns])
            ref_name = _olm.installplan_ref_name(sub)
            plans = [
                p
                for p in plans_here
                if (_olm.uid(sub) in _olm.owner_uids(p) or _olm.name(p) == ref_name)
                and (not self._options.package or names & _olm.plan_csv_names(p))
            ]
            for plan in plans:
                yield from self._accept(install_plan, plan, f"InstallPlan of Subscription {ns}/{sub_name}")
                for step in _olm.steps(plan):
                    if self._options.package and step.get("resolving") not in names:
                        continue
                    r = step.get("resource") or {}
                    target = (_olm.uid(plan), str(r.get("group")), str(r.get("kind")), str(r.get("name")))
                    if target not in requested:
                        requested.add(target)
                        fetches.append(self._step_fetch(plan, step))
            for csv in csvs_here:
                if _olm.name(csv) in names:
                    key = self._key(csv_res, csv)
                    csvs[key] = csv
                    yield from self._accept(csv_res, csv, f"CSV of Subscription {ns}/{sub_name}")
            cat_ns, cat_name = _olm.catalog_source_ref(sub)
            if cat_name and ("CatalogSource", cat_ns, cat_name) not in requested:
                requested.add(("CatalogSource", cat_ns, cat_name))
                fetches.append(
                    self._get_fetch(
                        _olm.GROUP, "CatalogSource", cat_ns, cat_name, f"CatalogSource of Subscription {ns}/{sub_name}"
                    )
                )
                fetches.append(
                    self._list_fetch(
                        ("", "Pod"),
                        cat_ns,
                        f"{_olm.CATALOG_SOURCE_LABEL}={cat_name}",
                        f"catalog pod of CatalogSource {cat_ns}/{cat_name}",
                    )
                )
        yield from self._run_fetches(fetches)
        yield from self._copied_csv_counts(csvs.values())
        return csvs

    def _step_fetch(self, plan: Obj, step: Obj) -> _Fetch:
        resource = step.get("resource") or {}
        kind = _olm.STEP_KIND_ALIASES.get(str(resource.get("kind", "")), str(resource.get("kind", "")))
        group, version, name = str(resource.get("group", "")), str(resource.get("version", "")), resource.get("name")
        reason = f"step of InstallPlan {_olm.namespace(plan)}/{_olm.name(plan)}"

        def fetch() -> list[tuple[Resource, Obj]]:
            found = self._discovery.find(group=group, kind=kind, version=version)
            if found is None:
                raise _MissingError(f"{kind} {name}", f"the server does not serve {kind} ({group or 'core'}/{version})")
            ns = _olm.namespace(plan) if found.namespaced else ""
            try:
                return [(found, self._kube.get(found.path(namespace=ns, name=str(name))))]
            except _errors.NotFoundError as e:
                raise _MissingError(f"{kind} {ns + '/' if ns else ''}{name}", f"{reason}: {e.message}") from None

        return fetch, reason

    def _get_fetch(self, group: str, kind: str, ns: str, name: str, reason: str) -> _Fetch:
        def fetch() -> list[tuple[Resource, Obj]]:
            resource = self._res(group, kind)
            path = resource.path(namespace=ns if resource.namespaced else "", name=name)
            try:
                return [(resource, self._kube.get(path))]
            except _errors.NotFoundError as e:
                raise _MissingError(f"{kind} {ns + '/' if ns else ''}{name}", f"{reason}: {e.message}") from None

        return fetch, reason

    def _named_fetch(
        self, kind: tuple[str, str], ns: str, name: str, reason: str, keep: Callable[[Obj], bool] = lambda _: True
    ) -> _Fetch:
        """GET one object OLM names by convention; absent or not matching `keep`, it is not there to gather."""

        def fetch() -> list[tuple[Resource, Obj]]:
            resource = self._maybe_res(*kind)
            if resource is None:
                return []
            try:
                obj = self._kube.get(resource.path(namespace=ns if resource.namespaced else "", name=name))
            except _errors.NotFoundError:
                return []
            return [(resource, obj)] if keep(obj) else []

        return fetch, reason

    def _list_fetch(
        self,
        kind: tuple[str, str],
        ns: str,
        selector: str,
        reason: str,
        keep: Callable[[Obj], bool] = lambda _: True,
    ) -> _Fetch:
        def fetch() -> list[tuple[Resource, Obj]]:
            resource = self._maybe_res(*kind)
            if resource is None:
                return []
            items = self._kube.list(resource.path(namespace=ns), label_selector=selector)
            return [(resource, o) for o in items if keep(o)]

        return fetch, reason

    def _run_fetches(self, fetches: Iterable[_Fetch]) -> Iterator[Item]:
        for (_fn, reason), result in self._kube.map_unordered(lambda f: f[0](), fetches):
            if isinstance(result, BaseException):
                yield self._problem(result, reason)
                continue
            for resource, obj in result:
                yield from self._accept(resource, obj, reason)

    def _copied_csv_counts(self, csvs: Iterable[Obj]) -> Iterator[Item]:
        """AllNamespaces operators have a copy of their CSV in every namespace: count them, never gather them."""
        csv_res = self._res(_olm.GROUP, _olm.CSV_KIND)
        by_ns: dict[str, set[str]] = defaultdict(set)
        for csv in csvs:
            by_ns[_olm.namespace(csv)].add(_olm.name(csv))

        def count(ns: str) -> dict[str, int]:
            counts: dict[str, int] = defaultdict(int)
            for copy in self._kube.list(csv_res.path(), label_selector=f"{_olm.COPIED_FROM}={ns}", metadata_only=True):
                if _olm.name(copy) in by_ns[ns]:
                    counts[f"{ns}/{_olm.name(copy)}"] += 1
            return counts

        for ns, result in self._kube.map_unordered(count, sorted(by_ns)):
            if isinstance(result, BaseException):
                yield self._problem(result, f"copied CSVs of namespace {ns}")
            else:
                for csv_name, n in sorted(result.items()):
                    yield Note(key=f"copiedCSVs/{csv_name}", value=n)

    # --- phase 3: what the olm-operator created from each CSV ------------------------------------------------------

    def _created_by_csvs(self, csvs: dict[Key, Obj]) -> Iterator[Item]:
        fetches: list[_Fetch] = []
        by_ns: dict[str, list[Obj]] = defaultdict(list)
        for csv in csvs.values():
            ns, name = _olm.namespace(csv), _olm.name(csv)
            by_ns[ns].append(csv)
            for deployment in _olm.deployment_names(csv):
                fetches.append(self._get_fetch("apps", "Deployment", ns, deployment, f"Deployment of CSV {ns}/{name}"))
        for ns, group in sorted(by_ns.items()):
            names = ",".join(sorted(_olm.name(c) for c in group))
            selector = f"{_olm.OWNER_KIND}={_olm.CSV_KIND},{_olm.OWNER_NAMESPACE}={ns},{_olm.OWNER} in ({names})"
            for kind in _LABELLED_BY_CSV:
                fetches.append(self._list_fetch(kind, "", selector, f"labelled olm.owner by a CSV in {ns}"))
            uids = {_olm.uid(c): _olm.name(c) for c in group}
            for kind in _OWNED_BY_CSV:
                fetches.append(self._owned_fetch(kind, ns, uids))
            fetches += self._tenant_rbac_fetches(ns, {_olm.name(c) for c in group})
        for csv in csvs.values():
            fetches += self._auth_reader_fetches(csv)
        fetches += self._provided_api_fetches(csvs.values())
        yield from self._run_fetches(fetches)

    def _provided_api_fetches(self, csvs: Iterable[Obj]) -> list[_Fetch]:
        """The ClusterRoles of each API the CSVs provide and of each gathered CRD, each name fetched once."""
        roles = {role: (kind, owner) for csv in csvs for role, kind, owner in _olm.provided_api_cluster_roles(csv)}
        for crd in self._gathered("apiextensions.k8s.io", "customresourcedefinitions"):
            roles.update({role: (kind, owner) for role, kind, owner in _olm.crd_cluster_roles(crd)})
        return [
            self._named_fetch(
                _CLUSTER_ROLE, "", role, f"ClusterRole of the API of {kind} {owner}", _owned_by_kind(kind, owner)
            )
            for role, (kind, owner) in sorted(roles.items())
        ]

    def _auth_reader_fetches(self, csv: Obj) -> list[_Fetch]:
        ns = _olm.namespace(csv)
        reason = f"auth reader RoleBinding of CSV {ns}/{_olm.name(csv)}"
        return [
            self._named_fetch(_ROLE_BINDING, _olm.KUBE_SYSTEM, binding, reason, _binds(account, ns))
            for binding, account in _olm.auth_reader_role_bindings(csv)
        ]

    def _tenant_rbac_fetches(self, ns: str, csv_names: set[str]) -> list[_Fetch]:
        """Roles and RoleBindings OLM copied into the target namespaces of the namespace's OperatorGroups."""
        fetches: list[_Fetch] = []
        for group in self._gathered(_olm.GROUP, "operatorgroups", namespace=ns):
            for target in _olm.target_namespaces(group):
                if target == ns:
                    continue  # OLM copies nothing into the operator's own namespace
                selector = _olm.tenant_rbac_selector(csv_names, ns, target)
                reason = f"tenant RBAC of the CSVs of {ns} in target namespace {target}"
                fetches += [self._list_fetch(kind, target, selector, reason) for kind in (_ROLE, _ROLE_BINDING)]
        return fetches

    def _operator_condition_rbac(self) -> Iterator[Item]:
        """The Role and RoleBinding `<csv>` OLM makes for each OperatorCondition, owned by it
        (operators/operatorcondition_controller.go)."""
        fetches: list[_Fetch] = []
        for condition in self._gathered(_olm.GROUP, "operatorconditions"):
            ns, name, uid = _olm.namespace(condition), _olm.name(condition), _olm.uid(condition)
            reason = f"RBAC of OperatorCondition {ns}/{name}"
            for kind in (_ROLE, _ROLE_BINDING):
                fetches.append(self._named_fetch(kind, ns, name, reason, _owned_by(uid)))
        yield from self._run_fetches(fetches)

    def _operator_group_objects(self) -> Iterator[Item]:
        """Per gathered OperatorGroup: the ClusterRoles OLM made for it and the target Namespaces it labelled."""
        fetches: list[_Fetch] = []
        by_ns: dict[str, list[str]] = defaultdict(list)
        for group in self._gathered(_olm.GROUP, "operatorgroups"):
            by_ns[_olm.namespace(group)].append(_olm.name(group))
            label = _olm.OPERATOR_GROUP_LABEL_PREFIX + _olm.uid(group)
            reason = f"target namespace of OperatorGroup {_olm.namespace(group)}/{_olm.name(group)}"
            fetches.append(self._list_fetch(("", "Namespace"), "", label, reason))
        for ns, names in sorted(by_ns.items()):
            selector = _olm.operator_group_owner_selector(names, ns)
            fetches.append(self._list_fetch(_CLUSTER_ROLE, "", selector, f"ClusterRole of an OperatorGroup in {ns}"))
        yield from self._run_fetches(fetches)

    def _catalog_objects(self) -> Iterator[Item]:
        """What OLM made to serve a CatalogSource from an image: its registry Service, ServiceAccount `<name>` and
        NetworkPolicies (registry/reconciler/grpc.go, helpers.go)."""
        fetches: list[_Fetch] = []
        for source in self._gathered(_olm.GROUP, "catalogsources"):
            ns, name, uid = _olm.namespace(source), _olm.name(source), _olm.uid(source)
            reason = f"registry object of CatalogSource {ns}/{name}"
            service = _olm.registry_service(source)
            if service:
                fetches.append(self._named_fetch(("", "Service"), service[0], service[1], reason))
            owned = _owned_by(uid)  # the catalog's namespace may hold an unrelated ServiceAccount of that name
            fetches.append(self._named_fetch(("", "ServiceAccount"), ns, name, reason, owned))
            selector = f"{_olm.CATALOG_SOURCE_LABEL}={name}"
            fetches.append(self._list_fetch(("networking.k8s.io", "NetworkPolicy"), ns, selector, reason, owned))
        yield from self._run_fetches(fetches)

    def _gathered(self, group: str, plural: str, *, namespace: str | None = None) -> list[Obj]:
        return [
            o
            for k, o in list(self._seen.items())
            if k.group == group and k.plural == plural and (namespace is None or k.namespace == namespace)
        ]

    def _owned_fetch(self, kind: tuple[str, str], ns: str, csv_uids: dict[str, str]) -> _Fetch:
        reason = f"owned by a CSV in {ns}"

        def fetch() -> list[tuple[Resource, Obj]]:
            resource = self._maybe_res(*kind)
            if resource is None:
                return []
            out = []
            for item in self._kube.list(resource.path(namespace=ns), metadata_only=True):
                if _olm.owner_uids(item) & csv_uids.keys() and self._key(resource, item) not in self._seen:
                    out.append((resource, self._kube.get(resource.path(namespace=ns, name=_olm.name(item)))))
            return out

        return fetch, reason

    def _service_endpoints(self) -> Iterator[Item]:
        """Endpoints and EndpointSlices of the gathered Services: whether a webhook or metrics Service has a ready
        backend. Kubernetes makes them from the Service, copying its labels."""
        services: dict[str, list[str]] = defaultdict(list)
        for key in list(self._seen):
            if key.group == "" and key.plural == "services":
                services[key.namespace].append(key.name)
        fetches: list[_Fetch] = []
        for ns, names in sorted(services.items()):
            wanted = set(names)
            fetches.append(
                self._list_fetch(("", "Endpoints"), ns, "", f"Endpoints of Services in {ns}", _named(wanted))
            )
            selector = f"kubernetes.io/service-name in ({','.join(sorted(names))})"
            fetches.append(
                self._list_fetch(
                    ("discovery.k8s.io", "EndpointSlice"), ns, selector, f"EndpointSlices of Services in {ns}"
                )
            )
        yield from self._run_fetches(fetches)

    def _operator_components(self, subscriptions: list[Obj]) -> Iterator[Item]:
        """The Operator object `<package>.<namespace>` and every component it lists (OLM's own label index)."""
        operator = self._maybe_res(_olm.GROUP, "Operator")
        if operator is None:
            return
        install_ns: dict[str, set[str]] = defaultdict(set)  # one cut name may serve several namespaces
        for sub in subscriptions:
            install_ns[_olm.operator_name(_olm.package_of(sub), _olm.namespace(sub))].add(_olm.namespace(sub))
        names = sorted(install_ns)

        def get(name: str) -> Obj:
            return self._kube.get(operator.path(name=name))

        refs: list[tuple[str, Obj]] = []
        for name, result in self._kube.map_unordered(get, names):
            if isinstance(result, _errors.NotFoundError):
                continue  # OLM makes Operator objects only when its operator controller runs; absence is normal
            if isinstance(result, BaseException):
                yield self._problem(result, f"Operator {name}")
                continue
            yield from self._accept(operator, result, f"Operator of Subscription {name}")
            for ref in ((result.get("status") or {}).get("components") or {}).get("refs") or []:
                if _olm.component_ref_in_namespaces(ref, install_ns[name]):
                    refs.append((name, ref))
        components = (self._component_fetch(name, ref, install_ns[name]) for name, ref in refs)
        yield from self._run_fetches(f for f in components if f is not None)

    def _component_fetch(self, operator: str, ref: Obj, install_namespaces: set[str]) -> _Fetch | None:
        api_version = str(ref.get("apiVersion", ""))
        group, _, version = api_version.rpartition("/")
        kind, name, ns = str(ref.get("kind", "")), str(ref.get("name", "")), str(ref.get("namespace", ""))
        resource = self._maybe_res(group, kind, version)
        if resource is None or not name:
            return None
        if Key(resource.group, resource.plural, ns if resource.namespaced else "", name) in self._seen:
            return None
        reason = f"component of Operator {operator}"

        def fetch() -> list[tuple[Resource, Obj]]:
            try:
                obj = self._kube.get(resource.path(namespace=ns, name=name))
            except _errors.NotFoundError:
                return []  # the Operator's status lags deletions
            if kind == _olm.CSV_KIND and _olm.is_copied_csv(obj):
                return []
            # a cut Operator name also lists cluster objects made for another namespace's install
            return [(resource, obj)] if _olm.owner_namespace_in(obj, install_namespaces) else []

        return fetch, reason

    def _unpack_jobs(self) -> Iterator[Item]:
        """The bundle unpack Jobs of the gathered InstallPlans and their Pods (whose logs say why an unpack failed).
        Never the unpacked ConfigMap: its data is the bundle's manifests, Secrets included."""
        refs: set[tuple[str, str]] = set()
        for key, obj in list(self._seen.items()):
            if key.group == _olm.GROUP and key.plural == "installplans":
                refs |= _olm.bundle_unpack_refs(obj)
        fetches: list[_Fetch] = []
        for ns, name in sorted(refs):
            selector = f"{_olm.BUNDLE_UNPACK_REF}={name}"
            reason = f"bundle unpack of an InstallPlan ({ns}/{name})"
            fetches.append(self._list_fetch(("batch", "Job"), ns, selector, reason))
            fetches.append(self._list_fetch(("", "Pod"), ns, selector, reason))
            # the Role and RoleBinding letting the unpack Job write its ConfigMap, named after it
            # (controller/bundle/bundle_unpacker.go ensureRole, ensureRoleBinding)
            fetches += [self._named_fetch(kind, ns, name, reason) for kind in (_ROLE, _ROLE_BINDING)]
        yield from self._run_fetches(fetches)

    # --- phase 4: pods ----------------------------------------------------------------------------------------------

    def _workload_pods(self) -> Generator[Item, None, list[Obj]]:
        """ReplicaSets and Pods of every gathered Deployment, and OLM's own operator pods."""
        deployments = [o for k, o in list(self._seen.items()) if k.group == "apps" and k.plural == "deployments"]
        rs_res, pod_res = self._res("apps", "ReplicaSet"), self._res("", "Pod")
        fetches = []
        for deployment in deployments:
            ns, name = _olm.namespace(deployment), _olm.name(deployment)
            selector = _olm.selector_string((deployment.get("spec") or {}).get("selector"))
            fetches.append((deployment, ns, name, selector))

        def workload(job: tuple[Obj, str, str, str]) -> tuple[list[Obj], list[Obj]]:
            deployment, ns, _name, selector = job
            sets = [
                rs
                for rs in self._kube.list(rs_res.path(namespace=ns), label_selector=selector)
                if _olm.uid(deployment) in _olm.owner_uids(rs)
            ]
            set_uids = {_olm.uid(rs) for rs in sets}
            pods = [
                p
                for p in self._kube.list(pod_res.path(namespace=ns), label_selector=selector)
                if _olm.owner_uids(p) & set_uids
            ]
            return sets, pods

        for (_d, ns, name, _s), result in self._kube.map_unordered(workload, fetches):
            if isinstance(result, BaseException):
                yield self._problem(result, f"ReplicaSets and Pods of Deployment {ns}/{name}")
                continue
            sets, pods = result
            yield from self._accept_all(rs_res, sets, f"ReplicaSet of Deployment {ns}/{name}")
            yield from self._accept_all(pod_res, pods, f"Pod of Deployment {ns}/{name}")
        selector = f"app in ({','.join(OLM_OPERATOR_APPS)})"
        yield from self._run_fetches([self._list_fetch(("", "Pod"), "", selector, "OLM operator pod")])
        return [o for k, o in list(self._seen.items()) if k.group == "" and k.plural == "pods"]

    # --- phase 5: logs ----------------------------------------------------------------------------------------------

    def _logs(self, pods: list[Obj]) -> Iterator[Item]:
        jobs = []
        for pod in pods:
            for container, restarts in _olm.container_names(pod):
                jobs.append((_olm.namespace(pod), _olm.name(pod), container, False))
                if restarts > 0:
                    jobs.append((_olm.namespace(pod), _olm.name(pod), container, True))
        for (ns, pod_name, container, previous), result in self._kube.map_unordered(self._log, jobs):
            if isinstance(result, BaseException):
                which = "previous" if previous else "current"
                yield self._problem(result, f"{which} log of {ns}/{pod_name} container {container}", log=True)
            else:
                yield result

    def _log(self, job: tuple[str, str, str, bool]) -> Log:
        ns, pod, container, previous = job
        query = {"container": container, "timestamps": "true"}
        if previous:
            query["previous"] = "true"
        if self._options.since_seconds:
            query["sinceSeconds"] = str(self._options.since_seconds)
        if self._options.since_time:
            query["sinceTime"] = self._options.since_time
        path = f"/api/v1/namespaces/{ns}/pods/{pod}/log"
        # The newest bytes within the cap: a crash is at the end of a long log (_logs has the strategy).
        tail = _logs.newest(lambda q: self._kube.stream(path, q), query, self._options.log_limit_bytes)
        return Log(
            namespace=ns,
            pod=pod,
            container=container,
            previous=previous,
            file=tail.file,
            size=tail.size,
            truncated=bool(tail.cut),
            cut=tail.cut,
            first_time=tail.first_time,
            transferred=tail.transferred,
        )

    # --- phase 6: context -------------------------------------------------------------------------------------------

    def _events(self) -> Iterator[Item]:
        """Events about gathered objects in their namespaces, and the Events OLM records on the Namespace objects
        (ResolutionFailed): those live in `default`, where client-go puts events of cluster-scoped objects."""
        event_res = self._res("", "Event")
        namespaces = sorted({k.namespace for k in self._seen if k.namespace})
        uids = set(self._uids)
        names = {(k.namespace, k.name) for k in self._seen}
        involved_namespaces = set(namespaces)

        def relevant(event: Obj) -> bool:
            involved = event.get("involvedObject") or {}
            if involved.get("kind") == "Namespace":
                return involved.get("name") in involved_namespaces
            if involved.get("uid") in uids:
                return True
            return (str(involved.get("namespace", "")), str(involved.get("name", ""))) in names

        def fetch(ns: str) -> list[Obj]:
            selector = "" if ns in involved_namespaces else "involvedObject.kind=Namespace"
            return [e for e in self._kube.list(event_res.path(namespace=ns), field_selector=selector) if relevant(e)]

        jobs = sorted(involved_namespaces | {"default"})
        for ns, result in self._kube.map_unordered(fetch, jobs):
            if isinstance(result, BaseException):
                yield self._problem(result, f"Events in namespace {ns}")
            elif result:
                self._event_namespaces.add(ns)
                yield Events(namespace=ns, items=sorted(result, key=_event_time))

    def _namespaces(self) -> Iterator[Item]:
        wanted = sorted({k.namespace for k in self._seen if k.namespace} | self._event_namespaces)
        fetches = [self._get_fetch("", "Namespace", "", ns, "namespace of gathered objects") for ns in wanted]
        yield from self._run_fetches(fetches)

    def _crds(self) -> Iterator[Item]:
        """CRDs of every gathered custom kind: omg and omc learn OLM's kinds from them."""
        crd_res = self._res("apiextensions.k8s.io", "CustomResourceDefinition")
        custom = sorted({(k.group, k.plural) for k in self._seen if k.group not in _olm.BUILTIN_GROUPS})
        wanted = [f"{plural}.{group}" for group, plural in custom]
        wanted = [n for n in wanted if Key(crd_res.group, crd_res.plural, "", n) not in self._seen]

        def get(name: str) -> Obj:
            return self._kube.get(crd_res.path(name=name))

        for name, result in self._kube.map_unordered(get, wanted):
            if isinstance(result, _errors.NotFoundError):
                continue  # an aggregated API, not a CRD
            if isinstance(result, BaseException):
                yield self._problem(result, f"CRD {name}")
            else:
                yield from self._accept(crd_res, result, "CRD of a gathered kind")

    # --- bookkeeping ------------------------------------------------------------------------------------------------

    def _key(self, resource: Resource, obj: Obj) -> Key:
        ns = _olm.namespace(obj) if resource.namespaced else ""
        return Key(resource.group, resource.plural, ns, _olm.name(obj))

    def _accept(self, resource: Resource, obj: Obj, reason: str) -> Iterator[Item]:
        key = self._key(resource, obj)
        if key in self._seen:
            yield AlsoFound(key=key, reason=reason)
            return
        if resource.kind == _olm.CSV_KIND and _olm.is_copied_csv(obj):
            return
        obj.setdefault("apiVersion", resource.api_version)
        obj.setdefault("kind", resource.kind)
        self._seen[key] = obj
        if _olm.uid(obj):
            self._uids.add(_olm.uid(obj))
        yield Found(key=key, resource=resource, obj=obj, reason=reason)

    def _accept_all(self, resource: Resource, objs: Iterable[Obj], reason: str) -> Iterator[Item]:
        for obj in objs:
            yield from self._accept(resource, obj, reason)

    def _problem(self, error: BaseException, target: str, *, log: bool = False) -> Problem:
        if isinstance(error, _MissingError):
            return Problem(kind="missing", target=error.target, message=error.message)
        if isinstance(error, _errors.CancelledError):
            raise error  # fetching stops; the output is finished by the caller
        if isinstance(error, _errors.APIError):
            kind = {
                _errors.ForbiddenError: "forbidden",
                _errors.NotFoundError: "not_found",
                _errors.UnauthorizedError: "unauthorized",
            }.get(type(error), "error")
            if log and error.status in (400, 404):
                kind = "log_unavailable"  # the kubelet's answer for a container that has not run (yet)
            return Problem(kind=kind, target=target, message=error.message, reason=error.reason)
        if isinstance(error, _errors.OlmGatherError):
            # Unreachable after every retry, or credentials that stopped working: recorded, and the gather goes on.
            return Problem(kind="error", target=target, message=error.message)
        raise error  # a bug: let it surface with its traceback


class _MissingError(Exception):
    """An object a reference names does not exist (any more): recorded, not an error."""

    def __init__(self, target: str, message: str) -> None:
        super().__init__(message)
        self.target = target
        self.message = message


def _replaces_map(csvs: list[Obj], plans: list[Obj]) -> dict[str, str]:
    replaces = {_olm.name(c): _olm.replaces_of(c) for c in csvs}
    for plan in plans:
        for step in _olm.steps(plan):
            pair = _olm.step_csv_replaces(step)
            if pair and pair[1]:
                replaces.setdefault(pair[0], pair[1])
    return replaces


def _owned_by(uid: str) -> Callable[[Obj], bool]:
    return lambda obj: uid in _olm.owner_uids(obj)


def _owned_by_kind(kind: str, owner: str) -> Callable[[Obj], bool]:
    return lambda obj: _olm.owned_by_kind(obj, kind, owner)


def _binds(service_account: str, namespace: str) -> Callable[[Obj], bool]:
    """Two operators with equally named Deployments share the auth reader's name: keep the one bound to ours."""
    return lambda obj: _olm.binds_service_account(obj, service_account, namespace)


def _named(names: set[str]) -> Callable[[Obj], bool]:
    return lambda obj: _olm.name(obj) in names


def _event_time(event: Obj) -> str:
    return str(event.get("lastTimestamp") or event.get("eventTime") or event.get("firstTimestamp") or "")
