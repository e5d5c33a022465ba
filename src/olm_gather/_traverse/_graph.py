"""Decides what to fetch from what was fetched, starting from Subscriptions and following OLM's own references.
It is a graph of fetches, not a sequence of phases: each fetch names the requests it needs and what to do with
their answer, which may be more fetches; `Kube.schedule` runs each as soon as a worker is free, so the time is
set by the longest chain (Subscriptions -> namespace lists -> steps and CSVs -> Deployments -> Pods -> logs).
It yields items as they arrive and never writes files, prints, or touches threads.

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
from collections.abc import Callable, Iterator
from typing import Any, cast

from olm_gather import _errors
from olm_gather._kube import Discovery, Fetch, Kube, Resource
from olm_gather._traverse import _logs, _olm
from olm_gather._traverse._items import AlsoFound, Events, Found, Item, Key, Log, Note, Problem

Obj = dict[str, Any]

# Namespaced kinds to which OLM gives an ownerReference to the CSV (bundle objects, cert Secrets, Services,
# the OperatorCondition) and that steps may not name. Secrets and ConfigMaps are listed metadata-only (their data
# is large, and a Secret's is never wanted) and each match fetched; the other kinds are few in a namespace and
# listed whole: the list also serves every GET of its kind and namespace asked while it is in flight (the
# Deployments of the CSVs, the steps' RBAC and Services), one request instead of one per object.
_LISTED_NAMES_ONLY = (("", "Secret"), ("", "ConfigMap"))
_OWNED_BY_CSV = (
    *_LISTED_NAMES_ONLY,
    ("", "Service"),
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
# What InstallPlan steps create of those: labelled after the CSV too.
_STEP_LABELLED = (("rbac.authorization.k8s.io", "ClusterRole"), ("rbac.authorization.k8s.io", "ClusterRoleBinding"))
OLM_OPERATOR_APPS = ("olm-operator", "catalog-operator")
_ROLE = ("rbac.authorization.k8s.io", "Role")
_ROLE_BINDING = ("rbac.authorization.k8s.io", "RoleBinding")
_CLUSTER_ROLE = ("rbac.authorization.k8s.io", "ClusterRole")
_ENDPOINTS = ("", "Endpoints")
_ENDPOINT_SLICE = ("discovery.k8s.io", "EndpointSlice")

_NAMESPACE_LISTS = ("InstallPlan", _olm.CSV_KIND, "OperatorGroup")

# What a step of the graph yields: items for the caller, and further fetches for the scheduler.
Out = Iterator[Item | Fetch[Any]]
Keep = Callable[[Obj], bool] | None


@dataclasses.dataclass(frozen=True)
class Options:
    package: str = ""
    namespace: str = ""
    log_limit_bytes: int = 4 * 1024 * 1024
    since_seconds: int = 0
    since_time: str = ""
    logs: bool = True


class Traversal:
    """One walk of the OLM graph. `run()` yields every item once. It keeps what later fetches need (keys, uids,
    names), never the objects: each is handed on as it arrives."""

    def __init__(self, kube: Kube, options: Options) -> None:
        self._kube = kube
        self._discovery = Discovery(kube)
        self._options = options
        self._seen: set[Key] = set()
        self._uids: set[str] = set()
        # Never the same object twice: a GET asked for again while in flight waits for the first (reason, keep).
        self._asked: dict[Key, list[tuple[str, Keep]]] = {}
        self._done: set[tuple[str, ...]] = set()  # follow-ups made once (role names, catalogs, unpack refs...)
        self._namespace_lists: dict[str, dict[str, list[Obj]]] = defaultdict(dict)
        self._all_subscriptions: dict[tuple[str, str], Obj] = {}
        self._events: dict[str, list[Obj]] = {}  # fetched early, kept only when they concern what was gathered
        self._events_asked: dict[str, bool] = {}  # namespace -> whether the whole list was asked (or Namespace ones)
        self._event_namespaces: set[str] = set()
        self._services: dict[str, set[str]] = defaultdict(set)
        # Endpoints and EndpointSlices of the namespaces with selected CSVs, listed early (as Events are) and kept
        # at the end for the gathered Services: (namespace, kind) -> the list
        self._endpoint_lists: dict[tuple[str, str], list[Obj]] = {}
        self._together: list[Obj] | None = None  # Deployments a whole list brought, to follow at once
        self._components: list[tuple[str, Obj, set[str]]] = []
        self._idle_rounds = 0
        self._step_crds: set[str] = set()  # CRDs InstallPlan steps name
        self._crd_roles: dict[str, list[tuple[str, str, str]]] = {}  # per gathered CRD: its APIs' ClusterRoles
        # Cluster objects OLM labels after their owner are listed once for all namespaces, when the last
        # Subscription namespace is in: (namespace, name) of the selected CSVs and of their OperatorGroups.
        self._pending_namespaces: set[str] = set()
        self._csv_owners: set[tuple[str, str]] = set()
        self._group_owners: set[tuple[str, str]] = set()
        # Whole lists of a kind in a namespace (_OWNED_BY_CSV): while one is in flight, the GETs of its kind and
        # namespace wait for it ((group, plural, namespace) -> name -> [(reason, keep, missing)]); once it is in,
        # the names it held answer later GETs of absent objects without a request.
        self._whole_waiting: dict[tuple[str, str, str], dict[str, list[tuple[str, Keep, str]]]] = {}
        self._whole_names: dict[tuple[str, str, str], frozenset[str]] = {}
        # ClusterRoles and ClusterRoleBindings wait the same way for the labelled lists (_cluster_lists) that hold
        # the steps' ones (resolver/rbac.go labels them after the CSV); what those lists lack is fetched after.
        self._labelled_pending: dict[tuple[str, str, str], int] = {}
        # Gathering every Subscription, one list of all Namespaces answers the Namespace objects wanted (those of
        # gathered objects, the OperatorGroups' targets) instead of a GET or a labelled list each: name -> object
        # once it is in; what is wanted before, kept until it is (Namespace name or label, reason, missing).
        self._all_namespaces: dict[str, Obj] | None = None
        self._namespaces_listing = False
        self._namespaces_wanted: list[tuple[str, str, str]] = []
        self._namespace_labels_wanted: list[tuple[str, str]] = []
        self.subscriptions: list[Obj] = []

    # --- entry ------------------------------------------------------------------------------------------------

    def run(self) -> Iterator[Item]:
        subscriptions, packages = self._subscriptions()
        self.subscriptions = subscriptions
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
        for output in self._kube.schedule(self._start(subscriptions), self._idle):
            yield cast(Item, output)

    def _start(self, subscriptions: list[Obj]) -> Out:
        # The namespace lists first: the Subscriptions written meanwhile lead only to leaves.
        self._pending_namespaces = {_olm.namespace(s) for s in subscriptions}
        for step_kind in _STEP_LABELLED:
            if (resource := self._maybe_res(*step_kind)) is not None:
                self._whole_waiting[(resource.group, resource.plural, "")] = {}
        for ns in sorted(self._pending_namespaces):
            for kind in _NAMESPACE_LISTS:
                yield self._namespace_list(ns, kind)
        if self._every_subscription():
            yield self._namespaces_list()
        subscription = self._res(_olm.GROUP, "Subscription")
        for sub in subscriptions:
            yield from self._accept(subscription, sub, "selected Subscription")
        yield from self._operators(subscriptions)
        yield from self._list(("", "Pod"), "", f"app in ({','.join(OLM_OPERATOR_APPS)})", "OLM operator pod")
        yield from self._namespace_events("default", whole=False)

    def _cluster_lists(self) -> Out:
        """Once every Subscription namespace is in: the cluster objects OLM labelled after the selected CSVs and
        after the OperatorGroups of their namespaces, and the copies of those CSVs, in one list of each kind for
        all namespaces rather than one per namespace."""
        lists = [
            (kind, selector, _olm.CSV_KIND, self._csv_owners)
            for selector in _olm.owner_selectors(_olm.CSV_KIND, self._csv_owners)
            for kind in _LABELLED_BY_CSV
        ] + [
            (_CLUSTER_ROLE, selector, _olm.OPERATOR_GROUP_KIND, self._group_owners)
            for selector in _olm.owner_selectors(_olm.OPERATOR_GROUP_KIND, self._group_owners)
        ]
        served = [(r, kind) for kind in _LABELLED_BY_CSV if (r := self._maybe_res(*kind)) is not None]
        managed = self._every_subscription()
        for resource, kind in served:
            count = sum(1 for k, *_ in lists if k == kind) + (managed and kind == _CLUSTER_ROLE)
            self._labelled_pending[(resource.group, resource.plural, "")] = count
        for resource, kind in served:
            for k, selector, owner_kind, owners in lists:
                if k == kind:
                    yield self._labelled(resource, selector, owner_kind, owners)
            if managed and kind == _CLUSTER_ROLE:
                # the provided-API ClusterRoles: labelled olm.managed, owned by the CRD or APIService, with no
                # owner labels (operatorgroup.go ensureProvidedAPIClusterRole); those the list lacks are fetched
                yield self._labelled(resource, _olm.MANAGED_SELECTOR)
            yield from self._labelled_done(resource, 0)
        copied: dict[str, set[str]] = defaultdict(set)
        for ns, name in self._csv_owners:
            copied[ns].add(name)
        for selector in _olm.copied_from_selectors(copied):
            yield from self._copied_csv_count(selector, copied)

    def _labelled(
        self, resource: Resource, selector: str, owner_kind: str = "", owners: set[tuple[str, str]] | None = None
    ) -> Fetch[Any]:
        """A list of cluster objects by label: those labelled after one of `owners` of `owner_kind` are gathered,
        and it answers the GETs of its kind waiting for it (with no owner kind, it only answers them)."""
        where = (resource.group, resource.plural, "")

        def then(result: list[Obj] | BaseException) -> Out:
            if isinstance(result, BaseException):
                yield self._problem(result, f"{resource.kind}s labelled {selector}")
                result = []
            waiting = self._whole_waiting.get(where, {})
            for obj in result:
                if owner_kind and _olm.labelled_by(obj, owner_kind, owners or set()):
                    owner = f"{_olm.labels(obj)[_olm.OWNER_NAMESPACE]}/{_olm.labels(obj)[_olm.OWNER]}"
                    yield from self._accept(resource, obj, f"labelled olm.owner by {owner_kind} {owner}")
                elif owner_kind:
                    continue  # the selector also matches the cross pairs of its owners' namespaces and names
                yield from self._answer(resource, obj, waiting.pop(_olm.name(obj), []))
            yield from self._labelled_done(resource, 1)

        path = resource.path()
        # not a leaf: the objects it brings (a hundred ClusterRoles for 20 operators) are better written while
        # other fetches run than after the last
        return Fetch(lambda: list(self._kube.list(path, label_selector=selector)), then)

    def _answer(self, resource: Resource, obj: Obj, asks: list[tuple[str, Keep, str]]) -> Out:
        """An object a list brought, for the GETs that waited for it (each with its own check)."""
        for reason, keep, _ in asks:
            if keep is None or keep(obj):
                yield from self._accept(resource, obj, reason)

    def _labelled_done(self, resource: Resource, lists: int) -> Out:
        """Counts down the labelled lists of a kind; after the last, the GETs they did not answer are made."""
        where = (resource.group, resource.plural, "")
        if where not in self._labelled_pending:
            return
        self._labelled_pending[where] -= lists
        if self._labelled_pending[where] > 0:
            return
        del self._labelled_pending[where]
        for name, asks in sorted(self._whole_waiting.pop(where, {}).items()):
            for reason, keep, missing in asks:
                yield from self._get(resource, "", name, reason, keep=keep, missing=missing)

    def _idle(self) -> Out:
        """What can only be decided once everything else is in, in two rounds: the components of the Operator
        objects that nothing else led to and the Endpoints of the gathered Services; then the Events that concern
        what was gathered. A round that fetches nothing goes straight on to the next."""
        while self._idle_rounds < 2:
            self._idle_rounds += 1
            fetching = False
            for output in self._idle_round(self._idle_rounds):
                fetching = fetching or isinstance(output, Fetch)
                yield output
            if fetching:
                return

    def _idle_round(self, round_: int) -> Out:
        if round_ == 1:
            for operator, ref, namespaces in self._components:
                yield from self._component(operator, ref, namespaces)
            for ns, names in sorted(self._services.items()):
                yield from self._endpoints(ns, names)
            self._endpoint_lists.clear()
            return
        yield from self._relevant_events()
        for ns in sorted(self._event_namespaces):  # `default`, when it holds Events about our namespaces
            if self._once("Namespace", ns):
                yield from self._namespace(ns, "namespace of gathered objects")

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

    # --- the fetches ------------------------------------------------------------------------------------------------

    def _get(
        self,
        resource: Resource,
        ns: str,
        name: str,
        reason: str,
        *,
        keep: Keep = None,
        missing: str = "",
        leaf: bool = False,
        labelled: bool = False,
    ) -> Out:
        """GET one object, once: asked again while in flight, the answer serves both; while a whole list of its
        kind and namespace is in flight, the list serves it, and so does a list of the cluster objects labelled
        after the CSVs for an object OLM `labelled` so. A 404 is a `missing` problem when `missing` names the
        target (a step's object), else the object is simply not there."""
        ns = ns if resource.namespaced else ""
        key = Key(resource.group, resource.plural, ns, name)
        if key in self._seen:
            if keep is None:
                yield AlsoFound(key=key, reason=reason)
            return
        where = (resource.group, resource.plural, ns)
        if where in self._whole_waiting and (ns or labelled):
            self._whole_waiting[where].setdefault(name, []).append((reason, keep, missing))
            return
        if where in self._whole_names and name not in self._whole_names[where]:
            if missing:
                yield self._absent(resource, name, reason, missing)
            return
        waiting = self._asked.get(key)
        if waiting is not None:
            waiting.append((reason, keep))
            return
        self._asked[key] = [(reason, keep)]

        def then(result: Obj | BaseException) -> Out:
            asked = self._asked.pop(key, [])
            if isinstance(result, _errors.NotFoundError):
                if missing:
                    yield Problem(kind="missing", target=missing, message=f"{reason}: {result.message}")
                return
            if isinstance(result, BaseException):
                yield self._problem(result, reason)
                return
            for why, wanted in asked:
                if wanted is None or wanted(result):
                    yield from self._accept(resource, result, why)

        yield Fetch(lambda: self._kube.get(resource.path(namespace=ns, name=name)), then, leaf=leaf)

    @staticmethod
    def _absent(resource: Resource, name: str, reason: str, missing: str) -> Problem:
        """A step's object a whole list did not hold, worded as the API server words its 404."""
        what = f"{resource.plural}.{resource.group}" if resource.group else resource.plural
        return Problem(kind="missing", target=missing, message=f'{reason}: {what} "{name}" not found')

    def _whole_list(self, resource: Resource, ns: str, csv_uids: set[str]) -> Fetch[list[Obj]]:
        """All objects of a kind in a namespace: those owned by the namespace's selected CSVs and those GETs asked
        for while it was in flight. If it fails, each of those GETs is made after all."""
        where = (resource.group, resource.plural, ns)
        self._whole_waiting[where] = {}
        owned = f"owned by a CSV in {ns}"

        def then(result: list[Obj] | BaseException) -> Out:
            waiting = self._whole_waiting.pop(where)
            if isinstance(result, BaseException):
                yield self._problem(result, f"{resource.kind}s in namespace {ns}")
                for name, asks in sorted(waiting.items()):
                    for reason, keep, missing in asks:
                        yield from self._get(resource, ns, name, reason, keep=keep, missing=missing)
                return
            self._together = together = list[Obj]()  # its Deployments' ReplicaSets and Pods: two lists for all of them
            try:
                for obj in result:
                    yield from self._answer(resource, obj, waiting.pop(_olm.name(obj), []))
                    if _olm.owner_uids(obj) & csv_uids:
                        yield from self._accept(resource, obj, owned)
            finally:
                self._together = None
            yield from self._workloads(ns, together)
            self._whole_names[where] = frozenset(_olm.name(o) for o in result)
            for name, asks in sorted(waiting.items()):
                for reason, _, missing in asks:
                    if missing:
                        yield self._absent(resource, name, reason, missing)

        path = resource.path(namespace=ns)
        return Fetch(lambda: list(self._kube.list(path)), then)

    def _named(self, kind: tuple[str, str], ns: str, name: str, reason: str, keep: Keep = None) -> Out:
        """An object OLM names by convention; absent or not matching `keep`, it is not there to gather."""
        resource = self._maybe_res(*kind)
        if resource is not None:
            yield from self._get(resource, ns, name, reason, keep=keep)

    def _list(
        self,
        kind: tuple[str, str],
        ns: str,
        selector: str,
        reason: str,
        keep: Keep = None,
        *,
        then: Callable[[Resource, list[Obj]], Out] | None = None,
        leaf: bool = False,
    ) -> Out:
        """A list by label selector; what matches `keep` is gathered, then `then` may follow it further."""
        resource = self._maybe_res(*kind)
        if resource is None:
            return

        def done(result: list[Obj] | BaseException) -> Out:
            if isinstance(result, BaseException):
                yield self._problem(result, reason)
                return
            items = [o for o in result if keep is None or keep(o)]
            for obj in items:
                yield from self._accept(resource, obj, reason)
            if then is not None:
                yield from then(resource, items)

        path = resource.path(namespace=ns)
        yield Fetch(lambda: list(self._kube.list(path, label_selector=selector)), done, leaf=leaf)

    # --- Subscriptions and the lists of their namespaces ----------------------------------------------------------

    def _subscriptions(self) -> tuple[list[Obj], list[str]]:
        """The selected Subscriptions, and the packages of all Subscriptions listed (to help with a typo)."""
        ns = self._options.namespace
        # Listed at the version OLM serves Subscriptions at, while discovery loads: a round trip less.
        guess = f"/apis/{_olm.GROUP}/{_olm.SUBSCRIPTION_VERSION}{f'/namespaces/{ns}' if ns else ''}/subscriptions"
        [listed] = self._discovery.load(lambda: list(self._kube.list(guess)))
        subscription = self._res(_olm.GROUP, "Subscription")
        path = subscription.path(namespace=ns)
        if path != guess or isinstance(listed, BaseException):
            listed = list(self._kube.list(path))  # served elsewhere, or failed: asked again, and errors raised
        found: list[Obj] = listed
        self._all_subscriptions = {(_olm.namespace(s), _olm.name(s)): s for s in found}
        selected = sorted(
            (s for s in found if not self._options.package or _olm.package_of(s) == self._options.package),
            key=lambda s: (_olm.namespace(s), _olm.name(s)),
        )
        return selected, sorted({_olm.package_of(s) for s in found})

    def _namespace_list(self, ns: str, kind: str) -> Fetch[list[Obj]]:
        """InstallPlans, CSVs (not the copies) and OperatorGroups of a Subscription's namespace: when all three
        are in, the namespace's operators are followed (`_namespace_ready`)."""
        resource = self._res(_olm.GROUP, kind)
        selector = f"!{_olm.COPIED_FROM}" if kind == _olm.CSV_KIND else ""

        def then(result: list[Obj] | BaseException) -> Out:
            lists = self._namespace_lists[ns]
            if isinstance(result, BaseException):
                yield self._problem(result, f"{kind}s in namespace {ns}")
                lists[kind] = []
            else:
                lists[kind] = result
                if kind == "OperatorGroup":
                    for group in result:
                        yield from self._accept(resource, group, f"OperatorGroup in namespace {ns}")
            if len(lists) == len(_NAMESPACE_LISTS):
                yield from self._namespace_ready(ns, lists)
                del self._namespace_lists[ns]
                self._pending_namespaces.discard(ns)
                if not self._pending_namespaces:
                    yield from self._cluster_lists()

        return Fetch(lambda: list(self._kube.list(resource.path(namespace=ns), label_selector=selector)), then)

    def _namespace_ready(self, ns: str, lists: dict[str, list[Obj]]) -> Out:
        """Per Subscription of the namespace: its InstallPlans, their steps, its CSVs, its CatalogSource; then
        what OLM made from those CSVs and for the namespace's OperatorGroups."""
        install_plan = self._res(_olm.GROUP, "InstallPlan")
        csv_res = self._res(_olm.GROUP, _olm.CSV_KIND)
        plans_here, csvs_here = lists["InstallPlan"], lists[_olm.CSV_KIND]
        # CSV -> the CSV it replaces: from CSV objects, and from CSV step manifests for CSVs gone since.
        replaces = _replaces_map(csvs_here, plans_here)
        csvs_by_name = {_olm.name(c): c for c in csvs_here}
        chosen: list[tuple[Obj, set[str], list[Obj]]] = []  # per Subscription: its CSV names and InstallPlans
        for sub in (s for s in self.subscriptions if _olm.namespace(s) == ns):
            names = _olm.package_csv_names(_olm.subscription_csv_names(sub), replaces)
            ref_name = _olm.installplan_ref_name(sub)
            plans = [
                p
                for p in plans_here
                if (_olm.uid(sub) in _olm.owner_uids(p) or _olm.name(p) == ref_name)
                and (not self._options.package or names & _olm.plan_csv_names(p))
            ]
            chosen.append((sub, names, plans))
        selected = {n: csvs_by_name[n] for _, names, _ in chosen for n in sorted(names & csvs_by_name.keys())}
        # Opened before the steps are followed, so that their GETs of these kinds wait for the lists; made before
        # the plans and CSVs are written, so that they are in flight meanwhile (their answers are taken after).
        for kind in _OWNED_BY_CSV:
            if selected and kind not in _LISTED_NAMES_ONLY and (resource := self._maybe_res(*kind)) is not None:
                yield self._whole_list(resource, ns, {_olm.uid(c) for c in selected.values()})
        followed: set[tuple[str, ...]] = set()  # one plan serves several Subscriptions: follow each step once
        for sub, names, plans in chosen:
            sub_name = _olm.name(sub)
            steps: list[tuple[Obj, Obj]] = []
            for plan in plans:
                yield from self._accept(install_plan, plan, f"InstallPlan of Subscription {ns}/{sub_name}")
                for step in _olm.steps(plan):
                    if self._options.package and step.get("resolving") not in names:
                        continue
                    r = step.get("resource") or {}
                    target = (_olm.uid(plan), str(r.get("group")), str(r.get("kind")), str(r.get("name")))
                    if target not in followed:
                        followed.add(target)
                        steps.append((plan, step))
            for name in sorted(names & csvs_by_name.keys()):
                yield from self._accept(csv_res, csvs_by_name[name], f"CSV of Subscription {ns}/{sub_name}")
            for plan, step in steps:
                yield from self._step(plan, step, csvs_by_name)
            yield from self._catalog_source(sub)
        if selected:
            self._csv_owners.update((ns, name) for name in selected)
            yield from self._created_by_csvs(ns, list(selected.values()), lists["OperatorGroup"])
        self._group_owners.update((ns, _olm.name(g)) for g in lists["OperatorGroup"])
        yield from self._operator_group_namespaces(ns, lists["OperatorGroup"])
        if selected:
            yield from self._endpoint_lists_of(ns)

    def _step(self, plan: Obj, step: Obj, csvs_by_name: dict[str, Obj]) -> Out:
        """The object a step names. CSVs and Subscriptions are already in hand from the lists: no request."""
        resource = step.get("resource") or {}
        kind = _olm.STEP_KIND_ALIASES.get(str(resource.get("kind", "")), str(resource.get("kind", "")))
        group, version, name = str(resource.get("group", "")), str(resource.get("version", "")), resource.get("name")
        ns = _olm.namespace(plan)
        reason = f"step of InstallPlan {ns}/{_olm.name(plan)}"
        found = self._discovery.find(group=group, kind=kind, version=version)
        if found is None:
            message = f"the server does not serve {kind} ({group or 'core'}/{version})"
            yield Problem(kind="missing", target=f"{kind} {name}", message=message)
            return
        name = str(name)
        in_hand = None
        if found.group == _olm.GROUP and found.kind == _olm.CSV_KIND:
            in_hand = csvs_by_name.get(name)
        elif found.group == _olm.GROUP and found.kind == "Subscription":
            in_hand = self._all_subscriptions.get((ns, name))
        if in_hand is not None:
            yield from self._accept(found, in_hand, reason)
            return
        where = f"{ns}/" if found.namespaced else ""
        labelled = (found.group, found.kind) in _STEP_LABELLED
        yield from self._get(found, ns, name, reason, missing=f"{kind} {where}{name}", labelled=labelled)
        if found.group == "apiextensions.k8s.io" and found.kind == "CustomResourceDefinition":
            self._step_crds.add(name)
            yield from self._step_crd_roles(name)

    def _step_crd_roles(self, crd: str) -> Out:
        """The ClusterRoles OLM makes for each API of a CRD an InstallPlan created, once the CRD is in hand
        (whichever came first: the step, or the CRD fetched for a gathered kind)."""
        if crd in self._step_crds and crd in self._crd_roles:
            for role, kind, owner in self._crd_roles.pop(crd):
                yield from self._provided_api_role(role, kind, owner)

    def _catalog_source(self, sub: Obj) -> Out:
        cat_ns, cat_name = _olm.catalog_source_ref(sub)
        if not cat_name or not self._once("CatalogSource", cat_ns, cat_name):
            return
        reason = f"CatalogSource of Subscription {_olm.namespace(sub)}/{_olm.name(sub)}"
        where = f"CatalogSource {cat_ns}/{cat_name}"
        yield from self._get(self._res(_olm.GROUP, "CatalogSource"), cat_ns, cat_name, reason, missing=where)
        selector = f"{_olm.CATALOG_SOURCE_LABEL}={cat_name}"
        yield from self._list(("", "Pod"), cat_ns, selector, f"catalog pod of CatalogSource {cat_ns}/{cat_name}")

    def _copied_csv_count(self, selector: str, names: dict[str, set[str]]) -> Out:
        """AllNamespaces operators have a copy of their CSV in every namespace: count them, never gather them."""
        csv_res = self._res(_olm.GROUP, _olm.CSV_KIND)

        def then(result: list[Obj] | BaseException) -> Out:
            if isinstance(result, BaseException):
                yield self._problem(result, "copied CSVs of the selected CSVs")
                return
            counts: dict[str, int] = defaultdict(int)
            for copy in result:
                source = _olm.labels(copy).get(_olm.COPIED_FROM, "")
                if _olm.name(copy) in names.get(source, ()):
                    counts[f"{source}/{_olm.name(copy)}"] += 1
            for csv_name, n in sorted(counts.items()):
                yield Note(key=f"copiedCSVs/{csv_name}", value=n)

        path = csv_res.path()
        yield Fetch(lambda: list(self._kube.list(path, label_selector=selector, metadata_only=True)), then, leaf=True)

    # --- what the olm-operator created from each CSV -------------------------------------------------------------

    def _created_by_csvs(self, ns: str, csvs: list[Obj], operator_groups: list[Obj]) -> Out:
        for csv in csvs:
            for deployment in _olm.deployment_names(csv):
                reason = f"Deployment of CSV {ns}/{_olm.name(csv)}"
                missing = f"Deployment {ns}/{deployment}"
                yield from self._get(self._res("apps", "Deployment"), ns, deployment, reason, missing=missing)
        names = {_olm.name(c) for c in csvs}
        uids = {_olm.uid(c) for c in csvs}
        for kind in _LISTED_NAMES_ONLY:
            yield from self._owned(kind, ns, uids)
        yield from self._tenant_rbac(ns, names, operator_groups)
        for csv in csvs:
            reason = f"auth reader RoleBinding of CSV {ns}/{_olm.name(csv)}"
            for binding, account in _olm.auth_reader_role_bindings(csv):
                yield from self._named(_ROLE_BINDING, _olm.KUBE_SYSTEM, binding, reason, _binds(account, ns))
            for role, api_kind, owner in _olm.provided_api_cluster_roles(csv):
                yield from self._provided_api_role(role, api_kind, owner)

    def _owned(self, kind: tuple[str, str], ns: str, csv_uids: set[str]) -> Out:
        """Objects with an ownerReference to one of the CSVs: listed metadata-only, then each match fetched whole
        (unless something else already fetches it)."""
        resource = self._maybe_res(*kind)
        if resource is None:
            return
        reason = f"owned by a CSV in {ns}"

        def then(result: list[Obj] | BaseException) -> Out:
            if isinstance(result, BaseException):
                yield self._problem(result, reason)
                return
            for item in result:
                if _olm.owner_uids(item) & csv_uids:
                    yield from self._get(resource, ns, _olm.name(item), reason)

        yield Fetch(lambda: list(self._kube.list(resource.path(namespace=ns), metadata_only=True)), then)

    def _provided_api_role(self, role: str, kind: str, owner: str) -> Out:
        """A ClusterRole of an API a CSV provides or a gathered CRD defines (each name once)."""
        if self._once("ClusterRole of API", role):
            reason = f"ClusterRole of the API of {kind} {owner}"
            keep = _owned_by_kind(kind, owner)
            # gathering every Subscription, these wait for the one list of OLM-managed ClusterRoles
            yield from self._get(self._res(*_CLUSTER_ROLE), "", role, reason, keep=keep, labelled=True)

    def _tenant_rbac(self, ns: str, csv_names: set[str], operator_groups: list[Obj]) -> Out:
        """Roles and RoleBindings OLM copied into the target namespaces of the namespace's OperatorGroups."""
        for group in operator_groups:
            for target in _olm.target_namespaces(group):
                if target == ns:
                    continue  # OLM copies nothing into the operator's own namespace
                selector = _olm.tenant_rbac_selector(csv_names, ns, target)
                reason = f"tenant RBAC of the CSVs of {ns} in target namespace {target}"
                for kind in (_ROLE, _ROLE_BINDING):
                    yield from self._list(kind, target, selector, reason)

    def _operator_group_namespaces(self, ns: str, operator_groups: list[Obj]) -> Out:
        """The target Namespaces OLM labelled for the namespace's OperatorGroups (their ClusterRoles are listed
        with the other labelled cluster objects, `_cluster_lists`)."""
        for group in operator_groups:
            label = _olm.OPERATOR_GROUP_LABEL_PREFIX + _olm.uid(group)
            reason = f"target namespace of OperatorGroup {ns}/{_olm.name(group)}"
            yield from self._labelled_namespaces(label, reason)

    def _namespaces_list(self) -> Fetch[list[Obj]]:
        """All Namespaces, for the Namespace objects wanted meanwhile and later. If it fails (a user who may get
        Namespaces but not list them), each is asked for as without it: a GET, or a list by the OperatorGroup's
        label, which say themselves what fails; the list is only a shortcut, so its failure is no problem."""
        self._namespaces_listing = True
        resource = self._res("", "Namespace")

        def then(result: list[Obj] | BaseException) -> Out:
            if isinstance(result, _errors.CancelledError):
                raise result
            self._namespaces_listing = False
            if not isinstance(result, BaseException):
                self._all_namespaces = {_olm.name(n): n for n in result}
            wanted, self._namespaces_wanted = self._namespaces_wanted, []
            labels, self._namespace_labels_wanted = self._namespace_labels_wanted, []
            for name, reason, missing in wanted:
                yield from self._namespace(name, reason, missing=missing)
            for label, reason in labels:
                yield from self._labelled_namespaces(label, reason)

        return Fetch(lambda: list(self._kube.list(resource.path())), then)

    def _namespace(self, name: str, reason: str, *, missing: str = "") -> Out:
        """The Namespace object `name`: from the list of all Namespaces when there is one (waiting for it while it
        is in flight), else a GET."""
        resource = self._res("", "Namespace")
        if self._namespaces_listing:
            self._namespaces_wanted.append((name, reason, missing))
        elif self._all_namespaces is None:
            yield from self._get(resource, "", name, reason, missing=missing, leaf=True)
        elif name in self._all_namespaces:
            yield from self._accept(resource, self._all_namespaces[name], reason)
        elif missing:
            yield self._absent(resource, name, reason, missing)

    def _labelled_namespaces(self, label: str, reason: str) -> Out:
        """The Namespaces that carry the label `label`: from the list of all Namespaces as `_namespace`, else a
        list by that label."""
        if self._namespaces_listing:
            self._namespace_labels_wanted.append((label, reason))
        elif self._all_namespaces is None:
            yield from self._list(("", "Namespace"), "", label, reason, leaf=True)
        else:
            resource = self._res("", "Namespace")
            for obj in self._all_namespaces.values():
                if label in _olm.labels(obj):
                    yield from self._accept(resource, obj, reason)

    def _every_subscription(self) -> bool:
        """Whether every Subscription is gathered (no package or namespace chosen): then what OLM made for all
        of them is wanted, and a list of a kind is one request where GETs would be one per operator."""
        return not self._options.package and not self._options.namespace

    # --- Operator objects -------------------------------------------------------------------------------------------

    def _operators(self, subscriptions: list[Obj]) -> Out:
        """The Operator object `<package>.<namespace>`; the components it lists are followed once nothing else
        is running, so that none is fetched twice."""
        operator = self._maybe_res(_olm.GROUP, "Operator")
        if operator is None:
            return
        install_ns: dict[str, set[str]] = defaultdict(set)  # one cut name may serve several namespaces
        for sub in subscriptions:
            install_ns[_olm.operator_name(_olm.package_of(sub), _olm.namespace(sub))].add(_olm.namespace(sub))

        def found(result: Obj, name: str) -> Out:
            yield from self._accept(operator, result, f"Operator of Subscription {name}")
            for ref in ((result.get("status") or {}).get("components") or {}).get("refs") or []:
                if _olm.component_ref_in_namespaces(ref, install_ns[name]):
                    self._components.append((name, ref, install_ns[name]))

        if self._every_subscription():
            # There is an Operator per installed package: all of them are wanted, in one list.
            def listed(result: list[Obj] | BaseException) -> Out:
                if isinstance(result, BaseException):
                    yield self._problem(result, "Operators")
                    return
                for obj in result:
                    if _olm.name(obj) in install_ns:
                        yield from found(obj, _olm.name(obj))

            yield Fetch(lambda: list(self._kube.list(operator.path())), listed)
            return
        for name in sorted(install_ns):

            def then(result: Obj | BaseException, name: str = name) -> Out:
                if isinstance(result, _errors.NotFoundError):
                    return  # OLM makes Operator objects only when its operator controller runs; absence is normal
                if isinstance(result, BaseException):
                    yield self._problem(result, f"Operator {name}")
                    return
                yield from found(result, name)

            yield Fetch(lambda name=name: self._kube.get(operator.path(name=name)), then)  # type: ignore[misc]

    def _component(self, operator: str, ref: Obj, install_namespaces: set[str]) -> Out:
        api_version = str(ref.get("apiVersion", ""))
        group, _, version = api_version.rpartition("/")
        kind, name, ns = str(ref.get("kind", "")), str(ref.get("name", "")), str(ref.get("namespace", ""))
        resource = self._maybe_res(group, kind, version)
        if resource is None or not name:
            return
        key = Key(resource.group, resource.plural, ns if resource.namespaced else "", name)
        if key in self._seen or key in self._asked:
            return

        def keep(obj: Obj) -> bool:
            if kind == _olm.CSV_KIND and _olm.is_copied_csv(obj):
                return False
            # a cut Operator name also lists cluster objects made for another namespace's install
            return _olm.owner_namespace_in(obj, install_namespaces)

        # a 404 is no problem: the Operator's status lags deletions
        yield from self._get(resource, ns, name, f"component of Operator {operator}", keep=keep)

    # --- follow-ups of one gathered object ------------------------------------------------------------------------

    def _follow(self, resource: Resource, obj: Obj, key: Key) -> Out:
        """What a gathered object leads to, whatever led to it."""
        if key.namespace:
            yield from self._namespace_seen(key.namespace)
        group, kind = resource.group, resource.kind
        if group not in _olm.BUILTIN_GROUPS and self._once("CRD", resource.plural, group):
            # omg and omc learn OLM's kinds from the CRDs of the gathered kinds
            crd = self._res("apiextensions.k8s.io", "CustomResourceDefinition")
            yield from self._get(crd, "", f"{resource.plural}.{group}", "CRD of a gathered kind")
        if group == "apiextensions.k8s.io" and kind == "CustomResourceDefinition":
            self._crd_roles[key.name] = _olm.crd_cluster_roles(obj)
            yield from self._step_crd_roles(key.name)
        elif group == _olm.GROUP and kind == "InstallPlan":
            yield from self._unpack_jobs(obj)
        elif group == _olm.GROUP and kind == "CatalogSource":
            yield from self._catalog_objects(obj)
        elif group == _olm.GROUP and kind == "OperatorCondition":
            why = f"RBAC of OperatorCondition {key.namespace}/{key.name}"
            for rbac in (_ROLE, _ROLE_BINDING):
                yield from self._named(rbac, key.namespace, key.name, why, _owned_by(_olm.uid(obj)))
        elif group == "apps" and kind == "Deployment":
            if self._together is not None:
                self._together.append(obj)
            else:
                yield from self._workloads(key.namespace, [obj])
        elif group == "" and kind == "Pod" and self._options.logs:
            yield from self._pod_logs(obj)
        elif group == "" and kind == "Service":
            self._services[key.namespace].add(key.name)

    def _namespace_seen(self, ns: str) -> Out:
        """A namespace holding gathered objects: its Namespace object and its Events (filtered at the end)."""
        if self._once("Namespace", ns):
            yield from self._namespace(ns, "namespace of gathered objects", missing=f"Namespace {ns}")
        yield from self._namespace_events(ns, whole=True)

    def _catalog_objects(self, source: Obj) -> Out:
        """What OLM made to serve a CatalogSource from an image: its registry Service, ServiceAccount `<name>` and
        NetworkPolicies (registry/reconciler/grpc.go, helpers.go)."""
        ns, name, uid = _olm.namespace(source), _olm.name(source), _olm.uid(source)
        reason = f"registry object of CatalogSource {ns}/{name}"
        service = _olm.registry_service(source)
        if service:
            yield from self._named(("", "Service"), service[0], service[1], reason)
        owned = _owned_by(uid)  # the catalog's namespace may hold an unrelated ServiceAccount of that name
        yield from self._named(("", "ServiceAccount"), ns, name, reason, owned)
        selector = f"{_olm.CATALOG_SOURCE_LABEL}={name}"
        yield from self._list(("networking.k8s.io", "NetworkPolicy"), ns, selector, reason, owned)

    def _unpack_jobs(self, plan: Obj) -> Out:
        """The bundle unpack Jobs of an InstallPlan and their Pods (whose logs say why an unpack failed).
        Never the unpacked ConfigMap: its data is the bundle's manifests, Secrets included."""
        for ns, name in sorted(_olm.bundle_unpack_refs(plan)):
            if not self._once("unpack", ns, name):
                continue
            selector = f"{_olm.BUNDLE_UNPACK_REF}={name}"
            reason = f"bundle unpack of an InstallPlan ({ns}/{name})"
            yield from self._list(("batch", "Job"), ns, selector, reason)
            yield from self._list(("", "Pod"), ns, selector, reason)
            # the Role and RoleBinding letting the unpack Job write its ConfigMap, named after it
            # (controller/bundle/bundle_unpacker.go ensureRole, ensureRoleBinding)
            for kind in (_ROLE, _ROLE_BINDING):
                yield from self._named(kind, ns, name, reason)

    def _workloads(self, ns: str, deployments: list[Obj]) -> Out:
        """ReplicaSets of gathered Deployments of a namespace, and the Pods those own: two lists at once, by one
        selector that all their selectors imply (`_olm.union_selector`), or two per Deployment when there is none."""
        if not deployments:
            return
        selectors = [(d.get("spec") or {}).get("selector") for d in deployments]
        union = _olm.union_selector(selectors)
        if union is None:
            for deployment, selector in zip(deployments, selectors, strict=True):
                yield from self._owned_sets_and_pods(ns, [deployment], _olm.selector_string(selector))
        else:
            yield from self._owned_sets_and_pods(ns, deployments, union)

    def _owned_sets_and_pods(self, ns: str, deployments: list[Obj], selector: str) -> Out:
        names = ", ".join(_olm.name(d) for d in deployments)
        reason = f"ReplicaSets and Pods of Deployment{'s' if len(deployments) > 1 else ''} {ns}/{names}"
        results: dict[str, list[Obj]] = {}
        rs_res, pod_res = self._res("apps", "ReplicaSet"), self._res("", "Pod")

        def joined(kind: str) -> Callable[[list[Obj] | BaseException], Out]:
            def then(result: list[Obj] | BaseException) -> Out:
                if isinstance(result, BaseException):
                    yield self._problem(result, reason)
                    result = []
                results[kind] = result
                if len(results) < 2:
                    return
                for deployment in deployments:
                    name, uid = _olm.name(deployment), _olm.uid(deployment)
                    sets = [rs for rs in results["ReplicaSet"] if uid in _olm.owner_uids(rs)]
                    set_uids = {_olm.uid(rs) for rs in sets}
                    for rs in sets:
                        yield from self._accept(rs_res, rs, f"ReplicaSet of Deployment {ns}/{name}")
                    for pod in results["Pod"]:
                        if _olm.owner_uids(pod) & set_uids:
                            yield from self._accept(pod_res, pod, f"Pod of Deployment {ns}/{name}")

            return then

        for kind, resource in (("ReplicaSet", rs_res), ("Pod", pod_res)):
            path = resource.path(namespace=ns)
            yield Fetch(lambda path=path: list(self._kube.list(path, label_selector=selector)), joined(kind))  # type: ignore[misc]

    def _endpoint_lists_of(self, ns: str) -> Out:
        """The Endpoints and EndpointSlices of a namespace with selected CSVs, listed while the rest is fetched
        rather than once everything is in; `_endpoints` keeps those of the gathered Services."""
        for kind in (_ENDPOINTS, _ENDPOINT_SLICE):
            resource = self._maybe_res(*kind)
            if resource is None:
                continue

            def then(result: list[Obj] | BaseException, kind: tuple[str, str] = kind) -> Out:
                if not isinstance(result, BaseException):  # else asked again at the end, by Service name
                    self._endpoint_lists[(ns, kind[1])] = result
                return iter(())

            path = resource.path(namespace=ns)
            yield Fetch(lambda path=path: list(self._kube.list(path)), then, leaf=True)  # type: ignore[misc]

    def _endpoints(self, ns: str, names: set[str]) -> Out:
        """Endpoints and EndpointSlices of the gathered Services: whether a webhook or metrics Service has a ready
        backend. Kubernetes makes them from the Service, copying its labels."""
        endpoints, slices = (self._endpoint_lists.get((ns, kind[1])) for kind in (_ENDPOINTS, _ENDPOINT_SLICE))
        if endpoints is None:
            yield from self._list(_ENDPOINTS, ns, "", f"Endpoints of Services in {ns}", _named(names))
        else:
            resource = self._res(*_ENDPOINTS)
            for obj in endpoints:
                if _olm.name(obj) in names:
                    yield from self._accept(resource, obj, f"Endpoints of Services in {ns}")
        if slices is None:
            selector = f"{_olm.SERVICE_NAME_LABEL} in ({','.join(sorted(names))})"
            yield from self._list(_ENDPOINT_SLICE, ns, selector, f"EndpointSlices of Services in {ns}")
        else:
            resource = self._res(*_ENDPOINT_SLICE)
            for obj in slices:
                if _olm.labels(obj).get(_olm.SERVICE_NAME_LABEL) in names:
                    yield from self._accept(resource, obj, f"EndpointSlices of Services in {ns}")

    # --- logs -------------------------------------------------------------------------------------------------------

    def _pod_logs(self, pod: Obj) -> Out:
        ns, name = _olm.namespace(pod), _olm.name(pod)
        for container, restarts in _olm.container_names(pod):
            for previous in (False, True) if restarts > 0 else (False,):
                which = "previous" if previous else "current"
                target = f"{which} log of {ns}/{name} container {container}"

                def then(result: Log | BaseException, target: str = target) -> Out:
                    yield self._problem(result, target, log=True) if isinstance(result, BaseException) else result

                job = (ns, name, container, previous)
                yield Fetch(lambda job=job: self._log(job), then)  # type: ignore[misc]

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

    # --- events ----------------------------------------------------------------------------------------------------

    def _namespace_events(self, ns: str, *, whole: bool) -> Out:
        """Events of a namespace, listed as soon as the namespace is known. `whole=False` (for `default`, where
        client-go records the Events of cluster-scoped objects) asks only those about Namespace objects."""
        asked = self._events_asked.get(ns)
        if asked is not None and (asked or not whole):
            return
        self._events_asked[ns] = whole
        event_res = self._res("", "Event")
        selector = "" if whole else "involvedObject.kind=Namespace"

        def then(result: list[Obj] | BaseException) -> Out:
            if isinstance(result, BaseException):
                yield self._problem(result, f"Events in namespace {ns}")
                return
            if whole or not self._events_asked.get(ns):  # a whole list asked later replaces this one
                self._events[ns] = result

        path = event_res.path(namespace=ns)
        yield Fetch(lambda: list(self._kube.list(path, field_selector=selector)), then, leaf=True)

    def _relevant_events(self) -> Iterator[Item]:
        """The Events about gathered objects, and those OLM records on the involved Namespace objects
        (ResolutionFailed)."""
        involved_namespaces = {k.namespace for k in self._seen if k.namespace}
        names = {(k.namespace, k.name) for k in self._seen}

        def relevant(event: Obj) -> bool:
            involved = event.get("involvedObject") or {}
            if involved.get("kind") == "Namespace":
                return involved.get("name") in involved_namespaces
            if involved.get("uid") in self._uids:
                return True
            return (str(involved.get("namespace", "")), str(involved.get("name", ""))) in names

        for ns, events in sorted(self._events.items()):
            kept = [e for e in events if relevant(e)]
            if kept:
                self._event_namespaces.add(ns)
                yield Events(namespace=ns, items=sorted(kept, key=_event_time))
        self._events.clear()

    # --- bookkeeping ------------------------------------------------------------------------------------------------

    def _once(self, *what: str) -> bool:
        """True the first time `what` is asked: a follow-up several objects lead to is made once."""
        if what in self._done:
            return False
        self._done.add(what)
        return True

    def _accept(self, resource: Resource, obj: Obj, reason: str) -> Out:
        ns = _olm.namespace(obj) if resource.namespaced else ""
        key = Key(resource.group, resource.plural, ns, _olm.name(obj))
        if key in self._seen:
            yield AlsoFound(key=key, reason=reason)
            return
        if resource.kind == _olm.CSV_KIND and _olm.is_copied_csv(obj):
            return
        # apiVersion and kind first, whether the object came from a GET or a list (whose items lack them): the
        # file must not depend on which of the two answered first.
        rest = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}
        obj = {"apiVersion": obj.get("apiVersion") or resource.api_version, "kind": obj.get("kind") or resource.kind}
        obj.update(rest)
        self._seen.add(key)
        if _olm.uid(obj):
            self._uids.add(_olm.uid(obj))
        yield Found(key=key, resource=resource, obj=obj, reason=reason)
        yield from self._follow(resource, obj, key)

    def _problem(self, error: BaseException, target: str, *, log: bool = False) -> Problem:
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
