import pytest

from olm_gather import _layout


def test_paths_of_oc_adm_inspect() -> None:
    assert _layout.object_path(group="operators.coreos.com", plural="subscriptions", name="etcd", namespace="ops") == (
        "namespaces/ops/operators.coreos.com/subscriptions/etcd.yaml"
    )
    assert (
        _layout.object_path(group="", plural="configmaps", name="c", namespace="ops")
        == "namespaces/ops/core/configmaps/c.yaml"
    )
    assert _layout.crd_path("subscriptions.operators.coreos.com") == (
        "cluster-scoped-resources/apiextensions.k8s.io/customresourcedefinitions/subscriptions.operators.coreos.com.yaml"
    )
    assert _layout.namespace_path("ops") == "namespaces/ops/ops.yaml"
    assert _layout.pod_path(namespace="ops", pod="p") == "namespaces/ops/pods/p/p.yaml"
    assert _layout.pods_list_path("ops") == "namespaces/ops/core/pods.yaml"
    assert _layout.events_path("ops") == "namespaces/ops/core/events.yaml"
    assert _layout.log_path(namespace="ops", pod="p", container="c", previous=True) == (
        "namespaces/ops/pods/p/c/c/logs/previous.log"
    )


@pytest.mark.parametrize(
    "path",
    [
        "cluster-scoped-resources/rbac.authorization.k8s.io/clusterroles/x.yaml",
        "namespaces/ops/operators.coreos.com/installplans/install-abc.yaml",
        "namespaces/ops/ops.yaml",
        "namespaces/ops/pods/p/p.yaml",
        "namespaces/ops/pods/p/c/c/logs/current.log",
        "namespaces/ops/core/events.yaml",
    ],
)
def test_parse_reads_back_what_the_writer_builds(path: str) -> None:
    parsed = _layout.parse(path)
    assert parsed is not None
    rebuilt = {
        "object": lambda p: _layout.object_path(group=p.group, plural=p.plural, name=p.name, namespace=p.namespace),
        "namespace": lambda p: _layout.namespace_path(p.namespace),
        "pod": lambda p: _layout.pod_path(namespace=p.namespace, pod=p.name),
        "log": lambda p: _layout.log_path(
            namespace=p.namespace, pod=p.name, container=p.container, previous=p.previous
        ),
        "list": lambda p: _layout.list_path(group=p.group, plural=p.plural, namespace=p.namespace),
    }[parsed.kind](parsed)
    assert rebuilt == path


@pytest.mark.parametrize("bad", ["../etc", "a/b", "", ".."])
def test_names_cannot_escape_the_tree(bad: str) -> None:
    with pytest.raises(_layout.UnsafeNameError):
        _layout.object_path(group="", plural="secrets", name=bad, namespace="ops")


def test_any_valid_path_segment_name_is_kept() -> None:
    # RBAC names may hold ':' and '@'; the API server only refuses '/', '%', '.' and '..'.
    assert _layout.object_path(group="rbac.authorization.k8s.io", plural="clusterroles", name="system:a@b") == (
        "cluster-scoped-resources/rbac.authorization.k8s.io/clusterroles/system:a@b.yaml"
    )
