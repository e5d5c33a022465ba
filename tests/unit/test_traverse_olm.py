"""What OLM v0.38 writes on the objects it creates, as the traversal reads it (olm_gather._traverse._olm)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from olm_gather._traverse import _olm

Obj = dict[str, Any]


def test_operator_name_is_the_package_and_namespace_when_short() -> None:
    assert _olm.operator_name("ogt-beta", "team-a") == "ogt-beta.team-a"


def test_operator_name_is_cut_like_olms_component_label_key() -> None:
    # decorators/operator.go: name part cut to 63 characters, then trailing ".", "_", "-" stripped
    namespace = "n" * 52 + "--" + "x" * 6  # the 62nd and 63rd characters of "ogt-beta.<namespace>" are "-"
    assert _olm.operator_name("ogt-beta", namespace) == "ogt-beta." + "n" * 52
    assert _olm.operator_name("ogt-beta", "n" * 54) == "ogt-beta." + "n" * 54  # exactly 63: kept whole


def test_component_refs_of_another_namespace_do_not_belong_to_the_install() -> None:
    assert _olm.component_ref_in_namespaces({"kind": "Role", "namespace": "a"}, {"a"})
    assert _olm.component_ref_in_namespaces({"kind": "ClusterRole", "name": "x"}, {"a"})
    assert not _olm.component_ref_in_namespaces({"kind": "Role", "namespace": "b"}, {"a"})


def test_cluster_objects_owned_from_another_namespace_are_not_the_installs() -> None:
    def labelled(**labels: str) -> Obj:
        return {"metadata": {"labels": labels}}

    assert _olm.owner_namespace_in(labelled(), {"a"})
    assert _olm.owner_namespace_in(labelled(**{"olm.owner.namespace": "a"}), {"a", "c"})
    assert not _olm.owner_namespace_in(labelled(**{"olm.owner.namespace": "b"}), {"a"})


def test_provided_api_cluster_roles_per_owned_crd_version_and_apiservice() -> None:
    csv = {
        "spec": {
            "customresourcedefinitions": {
                "owned": [
                    {"name": "widgets.a.test", "version": "v1", "kind": "Widget"},
                    {"name": "widgets.a.test", "version": "v2", "kind": "Widget"},
                ]
            },
            "apiservicedefinitions": {
                "owned": [{"name": "things", "group": "b.test", "version": "v1beta1", "kind": "Thing"}]
            },
        }
    }
    roles = _olm.provided_api_cluster_roles(csv)
    crd_roles = {r for r, kind, owner in roles if kind == "CustomResourceDefinition" and owner == "widgets.a.test"}
    assert crd_roles == {f"widgets.a.test-{v}-{s}" for v in ("v1", "v2") for s in ("admin", "edit", "view", "crdview")}
    assert {(r, o) for r, kind, o in roles if kind == "APIService"} == {
        (f"things-v1beta1-{s}", "v1beta1.b.test") for s in ("admin", "edit", "view")
    }
    assert _olm.provided_api_cluster_roles({"spec": {}}) == []


def test_crd_cluster_roles_per_served_version() -> None:
    crd = {
        "metadata": {"name": "levers.m.test"},
        "spec": {"versions": [{"name": "v1", "served": True}, {"name": "v0", "served": False}]},
    }
    assert {r for r, _, _ in _olm.crd_cluster_roles(crd)} == {
        f"levers.m.test-v1-{s}" for s in ("admin", "edit", "view", "crdview")
    }


def test_owned_by_kind_reads_the_owner_reference() -> None:
    role = {"metadata": {"ownerReferences": [{"kind": "CustomResourceDefinition", "name": "w.a.test", "uid": "1"}]}}
    assert _olm.owned_by_kind(role, "CustomResourceDefinition", "w.a.test")
    assert not _olm.owned_by_kind(role, "CustomResourceDefinition", "other.a.test")
    assert not _olm.owned_by_kind(role, "APIService", "w.a.test")
    # what OLM v0.38 really writes (olm/operatorgroup.go ensureClusterRolesForCSV sets this kind on the CRD)
    lowercase = {"metadata": {"ownerReferences": [{"kind": "customresourcedefinition", "name": "w.a.test"}]}}
    assert _olm.owned_by_kind(lowercase, "CustomResourceDefinition", "w.a.test")


def _deployment(name: str, service_account: str | None) -> Obj:
    pod_spec = {"serviceAccountName": service_account} if service_account else {}
    return {"name": name, "spec": {"template": {"spec": pod_spec}}}


def test_auth_reader_role_bindings_only_for_deployments_serving_webhooks_or_apiservices() -> None:
    csv = {
        "spec": {
            "install": {
                "spec": {
                    "deployments": [
                        _deployment("hooks", "hooks-sa"),
                        _deployment("api", None),
                        _deployment("plain", "plain-sa"),
                    ]
                }
            },
            "webhookdefinitions": [{"deploymentName": "hooks"}, {"deploymentName": "hooks"}],
            "apiservicedefinitions": {"owned": [{"deploymentName": "api"}]},
        }
    }
    assert _olm.auth_reader_role_bindings(csv) == [
        ("api-service-auth-reader", "default"),
        ("hooks-service-auth-reader", "hooks-sa"),
    ]
    assert _olm.auth_reader_role_bindings({"spec": {}}) == []


def test_binds_service_account_needs_name_and_namespace() -> None:
    binding = {"subjects": [{"kind": "ServiceAccount", "name": "sa", "namespace": "a"}]}
    assert _olm.binds_service_account(binding, "sa", "a")
    assert not _olm.binds_service_account(binding, "sa", "b")
    assert not _olm.binds_service_account({"subjects": None}, "sa", "a")


def test_target_namespaces_leave_out_all_namespaces() -> None:
    assert _olm.target_namespaces({"status": {"namespaces": ["b", "a"]}}) == ["a", "b"]
    assert _olm.target_namespaces({"status": {"namespaces": [""]}}) == []
    assert _olm.target_namespaces({}) == []


def test_selectors_name_olms_owner_labels() -> None:
    assert _olm.tenant_rbac_selector({"c.v1", "b.v1"}, "ops", "team") == (
        "olm.copiedFrom=ops,olm.owner.kind=ClusterServiceVersion,olm.owner.namespace=team,olm.owner in (b.v1,c.v1)"
    )
    assert _olm.owner_selectors("OperatorGroup", [("ops", "og")]) == [
        "olm.owner.kind=OperatorGroup,olm.owner.namespace in (ops),olm.owner in (og)"
    ]


def test_owner_selectors_ask_for_every_owner_once_within_the_limit() -> None:
    owners = {(f"ns-{i:03d}", f"csv-{i % 7}.v1.0.{i}") for i in range(300)} | {("ns-000", "x" * 64), ("ns-001", "-a")}
    selectors = _olm.owner_selectors("ClusterServiceVersion", owners, limit=500)
    assert len(selectors) > 1 and all(len(s) <= 500 for s in selectors)
    asked: list[tuple[str, str]] = []
    for selector in selectors:
        kind, namespaces, names = selector.split(",olm.owner")
        assert kind == "olm.owner.kind=ClusterServiceVersion"
        chunk_ns = namespaces.removeprefix(".namespace in (").removesuffix(")").split(",")
        chunk_names = set(names.removeprefix(" in (").removesuffix(")").split(","))
        asked += [(ns, n) for ns, n in owners if ns in chunk_ns and n in chunk_names]
    # every valid owner in exactly one chunk; a name no label can carry (64 characters, a leading -) in none
    assert sorted(asked) == sorted(o for o in owners if o[1] not in ("x" * 64, "-a"))


def test_labelled_by_keeps_only_the_owners_asked_for() -> None:
    def labelled(ns: str, name: str, kind: str = "ClusterServiceVersion") -> dict[str, object]:
        labels = {"olm.owner": name, "olm.owner.namespace": ns, "olm.owner.kind": kind}
        return {"metadata": {"labels": labels}}

    owners = {("a", "one.v1"), ("b", "two.v1")}
    assert _olm.labelled_by(labelled("a", "one.v1"), "ClusterServiceVersion", owners)
    # a merged selector also matches a's name in b: not an owner asked for
    assert not _olm.labelled_by(labelled("b", "one.v1"), "ClusterServiceVersion", owners)
    assert not _olm.labelled_by(labelled("a", "one.v1", "OperatorGroup"), "ClusterServiceVersion", owners)
    assert not _olm.labelled_by({"metadata": {}}, "ClusterServiceVersion", owners)


def test_copied_from_selectors_cover_every_namespace_within_the_limit() -> None:
    namespaces = [f"namespace-{i}" for i in range(100)]
    selectors = _olm.copied_from_selectors(namespaces, limit=300)
    assert all(len(s) <= 300 for s in selectors)
    listed = [ns for s in selectors for ns in s.removeprefix("olm.copiedFrom in (").removesuffix(")").split(",")]
    assert sorted(listed) == sorted(namespaces)


def test_label_values_as_apimachinery_validates_them() -> None:
    assert all(_olm.is_label_value(v) for v in ("", "a", "etcd.v0.9.4", "a-b_c.d", "x" * 63))
    assert not any(_olm.is_label_value(v) for v in ("x" * 64, "-a", "a-", "a/b", "a b", ".a"))


def test_registry_service_from_the_catalog_source_status() -> None:
    source = {
        "metadata": {"name": "cat", "namespace": "olm"},
        "status": {"registryService": {"serviceName": "cat", "serviceNamespace": "olm", "port": "50051"}},
    }
    assert _olm.registry_service(source) == ("olm", "cat")
    assert _olm.registry_service({"metadata": {"name": "cat"}, "status": {}}) is None


# --- one selector for the ReplicaSets and Pods of several Deployments ---------------------------------------------
# The expectation is Kubernetes' selector semantics, written here from its API reference: a LabelSelector object
# (matchLabels and matchExpressions, ANDed) and the labelSelector query string (`k=v`, `k in (a,b)`, `k`, `!k`).


def _matches_object(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if (op == "In" and labels.get(key) not in values) or (op == "NotIn" and labels.get(key) in values):
            return False
        if (op == "Exists" and key not in labels) or (op == "DoesNotExist" and key in labels):
            return False
    return True


def _matches_query(query: str, labels: dict[str, str]) -> bool:
    import re

    for found in re.findall(r"[^,(]+(?:\([^)]*\))?", query):
        term = found.strip()
        if m := re.fullmatch(r"(\S+) (in|notin) \((.*)\)", term):
            key, op, values = m.group(1), m.group(2), m.group(3).split(",")
            if (labels.get(key) in values) != (op == "in"):
                return False
        elif "=" in term:
            key, _, value = term.partition("=")
            if labels.get(key) != value:
                return False
        elif (term.startswith("!") and term[1:] in labels) or (not term.startswith("!") and term not in labels):
            return False
    return True


_label_keys = st.sampled_from(["app", "control-plane", "name", "tier"])
_label_values = st.sampled_from(["", "a", "b", "manager", "x-1"])
_selectors = st.fixed_dictionaries(
    {"matchLabels": st.dictionaries(_label_keys, _label_values, max_size=3)},
    optional={
        # as the API server admits them (ValidateLabelSelectorRequirement): In and NotIn with values, Exists and
        # DoesNotExist without
        "matchExpressions": st.lists(
            st.one_of(
                st.fixed_dictionaries(
                    {
                        "key": _label_keys,
                        "operator": st.sampled_from(["In", "NotIn"]),
                        "values": st.lists(_label_values, min_size=1, max_size=2),
                    }
                ),
                st.fixed_dictionaries({"key": _label_keys, "operator": st.sampled_from(["Exists", "DoesNotExist"])}),
            ),
            max_size=2,
        )
    },
)


@settings(max_examples=500, deadline=None, database=None)
@given(st.lists(_selectors, min_size=1, max_size=4), st.lists(st.dictionaries(_label_keys, _label_values), max_size=8))
def test_union_selector_selects_everything_each_selector_does(
    selectors: list[dict[str, Any]], pods: list[dict[str, str]]
) -> None:
    union = _olm.union_selector(list(selectors))
    if union is None:
        return  # two lists per Deployment instead
    assert union, "an empty selector would list the whole namespace"
    for labels in pods:
        if any(_matches_object(s, labels) for s in selectors):
            assert _matches_query(union, labels), (union, labels)


def test_union_selector_of_deployments_differing_in_a_value() -> None:
    selectors = [{"matchLabels": {"app": "b", "tier": "x"}}, {"matchLabels": {"app": "a", "tier": "x"}}]
    assert _olm.union_selector(list(selectors)) == "app in (a,b),tier in (x)"
    assert _olm.union_selector([{"matchLabels": {"app": "a"}}, {"matchLabels": {"name": "a"}}]) is None
    assert _olm.union_selector([{"matchLabels": {"app": "a"}}, None]) is None
