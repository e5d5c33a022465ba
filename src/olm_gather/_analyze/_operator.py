"""One operator as OLM links it: a Subscription and what its references and owners lead to in the tree.

Follows OLM's own references, never names guessed by pattern: `status.installPlanRef` (else the plans that
carry an ownerReference to the Subscription's UID), `status.currentCSV` / `installedCSV`, the CSV's
`spec.install.spec.deployments[].name`, ReplicaSets owned by each Deployment and pods owned by those
ReplicaSets (else pods matching the Deployment's selector), catalog pods by label `olm.catalogSource`.
It decides nothing about health: that is the rules' job.
"""

from __future__ import annotations

import dataclasses

from olm_gather._analyze import _doc, _objects

_OLM = _objects.OLM
_APPS = _objects.APPS
_CORE = _objects.CORE


@dataclasses.dataclass(frozen=True)
class OperatorDeployment:
    """A Deployment named by a CSV, the object if the tree has it, and its pods."""

    csv: _objects.Obj
    name: str
    deployment: _objects.Obj | None
    replica_sets: tuple[_objects.Obj, ...]
    pods: tuple[_objects.Obj, ...]

    @property
    def desired(self) -> int:
        if self.deployment is None:
            return 1
        return _doc.integer(self.deployment.get("spec", "replicas"), 1)

    @property
    def ready(self) -> int:
        if self.deployment is None:
            return 0
        return _doc.integer(self.deployment.get("status", "readyReplicas"))

    @property
    def available(self) -> bool:
        if self.deployment is None:
            return False
        cond = _doc.condition(self.deployment.body, "Available")
        available = _doc.integer(self.deployment.get("status", "availableReplicas"))
        if cond is not None and _doc.text(cond.get("status")) != "True":
            return False
        return available >= self.desired


@dataclasses.dataclass(frozen=True)
class Operator:
    subscription: _objects.Obj
    operator_groups: tuple[_objects.Obj, ...]
    catalog_source: _objects.Obj | None
    catalog_pods: tuple[_objects.Obj, ...]
    install_plan_ref: str  # the plan the Subscription references, "" when none
    install_plan: _objects.Obj | None  # the referenced plan, else the newest plan it owns
    csvs: tuple[_objects.Obj, ...]  # the current CSV, then the installed one if different; present ones only
    deployments: tuple[OperatorDeployment, ...]
    other_subscriptions: tuple[_objects.Obj, ...]  # the namespace's other Subscriptions

    @property
    def name(self) -> str:
        return self.subscription.name

    @property
    def package(self) -> str:
        return _doc.text(self.subscription.get("spec", "name"))

    @property
    def namespace(self) -> str:
        return self.subscription.namespace

    @property
    def catalog_name(self) -> str:
        return _doc.text(self.subscription.get("spec", "source"))

    @property
    def catalog_namespace(self) -> str:
        return _doc.text(self.subscription.get("spec", "sourceNamespace")) or self.namespace

    @property
    def current_csv(self) -> str:
        return _doc.text(self.subscription.get("status", "currentCSV"))

    @property
    def installed_csv(self) -> str:
        return _doc.text(self.subscription.get("status", "installedCSV"))

    @property
    def state(self) -> str:
        return _doc.text(self.subscription.get("status", "state"))

    @property
    def install_plan_phase(self) -> str:
        return _doc.text(self.install_plan.get("status", "phase")) if self.install_plan else ""

    @property
    def csv(self) -> _objects.Obj | None:
        """The CSV to show: the current one if the tree has it, else the installed one."""
        return self.csvs[0] if self.csvs else None

    def csv_named(self, name: str) -> _objects.Obj | None:
        return next((c for c in self.csvs if c.name == name), None)


def build(index: _objects.Index, subscription: _objects.Obj) -> Operator:
    ns = subscription.namespace
    catalog_name = _doc.text(subscription.get("spec", "source"))
    catalog_ns = _doc.text(subscription.get("spec", "sourceNamespace")) or ns
    catalog = index.get(_OLM, "catalogsources", catalog_ns, catalog_name) if catalog_name else None
    catalog_pods = (
        tuple(index.with_labels(_CORE, "pods", {"olm.catalogSource": catalog_name}, catalog_ns)) if catalog_name else ()
    )
    plan_ref, plan = _install_plan(index, subscription)
    csvs = _csvs(index, subscription)
    deployments = tuple(d for csv in csvs for d in _deployments(index, csv))
    others = tuple(s for s in index.all(_OLM, "subscriptions", ns) if s.name != subscription.name)
    return Operator(
        subscription=subscription,
        operator_groups=tuple(index.all(_OLM, "operatorgroups", ns)),
        catalog_source=catalog,
        catalog_pods=catalog_pods,
        install_plan_ref=plan_ref,
        install_plan=plan,
        csvs=csvs,
        deployments=deployments,
        other_subscriptions=others,
    )


def _install_plan(index: _objects.Index, sub: _objects.Obj) -> tuple[str, _objects.Obj | None]:
    ref = _doc.mapping(sub.get("status", "installPlanRef"))
    name = _doc.text(ref.get("name")) or _doc.text(sub.get("status", "installplan", "name"))
    if name:
        namespace = _doc.text(ref.get("namespace")) or sub.namespace
        return name, index.get(_OLM, "installplans", namespace, name)
    owned = [
        p
        for p in index.all(_OLM, "installplans", sub.namespace)
        if p.owned_by(kind="Subscription", uid=sub.uid, name="" if sub.uid else sub.name)
    ]
    current = _doc.text(sub.get("status", "currentCSV"))
    if current:
        owned = [p for p in owned if current in _doc.strings(p.get("spec", "clusterServiceVersionNames"))] or owned
    owned.sort(key=lambda p: (_doc.integer(p.get("spec", "generation")), p.name))
    return "", owned[-1] if owned else None


def _csvs(index: _objects.Index, sub: _objects.Obj) -> tuple[_objects.Obj, ...]:
    names: list[str] = []
    for key in ("currentCSV", "installedCSV"):
        name = _doc.text(sub.get("status", key))
        if name and name not in names:
            names.append(name)
    found = [index.get(_OLM, "clusterserviceversions", sub.namespace, n) for n in names]
    return tuple(c for c in found if c is not None)


def deployment_names(csv: _objects.Obj) -> list[str]:
    return [n for d in _doc.items(csv.get("spec", "install", "spec", "deployments")) if (n := _doc.text(d.get("name")))]


def _deployments(index: _objects.Index, csv: _objects.Obj) -> list[OperatorDeployment]:
    out: list[OperatorDeployment] = []
    for name in deployment_names(csv):
        dep = index.get(_APPS, "deployments", csv.namespace, name)
        replica_sets = [
            rs
            for rs in index.all(_APPS, "replicasets", csv.namespace)
            if rs.owned_by(kind="Deployment", name=name, uid=dep.uid if dep else "")
        ]
        rs_names = {rs.name for rs in replica_sets}
        pods = [
            p
            for p in index.all(_CORE, "pods", csv.namespace)
            if any(r.get("kind") == "ReplicaSet" and r.get("name") in rs_names for r in p.owner_references)
        ]
        if not pods and not replica_sets and dep is not None:
            selector = {k: _doc.text(v) for k, v in _doc.mapping(dep.get("spec", "selector", "matchLabels")).items()}
            if selector:
                pods = index.with_labels(_CORE, "pods", selector, csv.namespace)
        out.append(OperatorDeployment(csv, name, dep, tuple(replica_sets), tuple(pods)))
    return out
