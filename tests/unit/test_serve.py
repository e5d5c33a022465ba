"""`olm-gather serve` on in-memory trees: discovery, get/list with selectors and pages, Tables, pod logs, events,
and the refusals (writes, watches, exec), over real HTTP on loopback. Expected values come from the tree each
test builds and from Kubernetes' own printers and duration tests."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from aiohttp import test_utils

from olm_gather import _layout, _serve, _serve_command
from olm_gather._analyze import DirTree, MemoryTree
from olm_gather._serve import _tables

OLM = "operators.coreos.com"
NS = "operators"
GATHERED = "2025-01-10 10:20:00.000000000 +0000 UTC"  # the `timestamp` line ages are measured from
TABLE = (
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
)
AGGREGATED = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
)


def dump(obj: object) -> bytes:
    return yaml.safe_dump(obj, sort_keys=False).encode()


def meta(name: str, namespace: str = "", **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "creationTimestamp": "2025-01-10T10:00:00Z", "uid": f"uid-{name}", **extra}
    if namespace:
        out["namespace"] = namespace
    return out


CSV_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": meta(f"clusterserviceversions.{OLM}"),
    "spec": {
        "group": OLM,
        "names": {
            "plural": "clusterserviceversions",
            "singular": "clusterserviceversion",
            "kind": "ClusterServiceVersion",
            "listKind": "ClusterServiceVersionList",
            "shortNames": ["csv", "csvs"],
            "categories": ["olm"],
        },
        "scope": "Namespaced",
        "versions": [
            {
                "name": "v1alpha1",
                "served": True,
                "storage": True,
                "additionalPrinterColumns": [
                    {"name": "Display", "type": "string", "jsonPath": ".spec.displayName"},
                    {"name": "Version", "type": "string", "jsonPath": ".spec.version"},
                    {"name": "Replaces", "type": "string", "jsonPath": ".spec.replaces"},
                    {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
                ],
            }
        ],
    },
}
SUB_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": meta(f"subscriptions.{OLM}"),
    "spec": {
        "group": OLM,
        "names": {
            "plural": "subscriptions",
            "singular": "subscription",
            "kind": "Subscription",
            "shortNames": ["sub", "subs"],
            "categories": ["olm"],
        },
        "scope": "Namespaced",
        "versions": [{"name": "v1alpha1", "served": True, "storage": True}],
    },
}


def csv(name: str, phase: str) -> dict[str, Any]:
    return {
        "apiVersion": f"{OLM}/v1alpha1",
        "kind": "ClusterServiceVersion",
        "metadata": meta(name, NS, labels={"operators.coreos.com/foo.operators": ""}),
        "spec": {"displayName": "Foo Operator", "version": name.rsplit(".v", maxsplit=1)[-1]},
        "status": {"phase": phase},
    }


POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": meta("foo-1", NS, labels={"app": "foo"}),
    "spec": {"nodeName": "kwok-node-0", "containers": [{"name": "manager"}, {"name": "proxy"}]},
    "status": {
        "phase": "Running",
        "podIPs": [{"ip": "10.0.0.7"}],
        "conditions": [{"type": "Ready", "status": "False"}],
        "containerStatuses": [
            {
                "name": "manager",
                "ready": False,
                "restartCount": 4,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"exitCode": 1, "finishedAt": "2025-01-10T10:17:00Z"}},
            },
            {"name": "proxy", "ready": True, "restartCount": 0, "state": {"running": {}}},
        ],
    },
}
EVENTS = {
    "apiVersion": "v1",
    "kind": "EventList",
    "items": [
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": meta("foo-1.1", NS),
            "involvedObject": {"kind": "Pod", "name": "foo-1", "namespace": NS, "uid": "uid-foo-1"},
            "reason": "BackOff",
            "type": "Warning",
            "message": "Back-off restarting failed container manager",
            "firstTimestamp": "2025-01-10T10:05:00Z",
            "lastTimestamp": "2025-01-10T10:19:00Z",
            "count": 7,
        },
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": meta("other.1", NS),
            "involvedObject": {"kind": "Pod", "name": "other", "namespace": NS, "uid": "uid-other"},
            "reason": "Started",
            "type": "Normal",
            "message": "Started",
            "lastTimestamp": "2025-01-10T10:01:00Z",
        },
    ],
}
LOG = (
    b"2025-01-10T10:16:58.000000001Z starting manager\n"
    b"2025-01-10T10:16:59.5Z reconciling\n"
    b"2025-01-10T10:17:00Z exiting: bad config\n"
)


def tree() -> dict[str, bytes]:
    """olm-gather's layout, with a CRD, two CSVs, a crashlooping pod with logs, and an events list file."""
    files = {
        _layout.TIMESTAMP: f"2025-01-10 10:19:00.000000000 +0000 UTC\n{GATHERED}\n".encode(),
        _layout.crd_path(CSV_CRD["metadata"]["name"]): dump(CSV_CRD),
        _layout.crd_path(SUB_CRD["metadata"]["name"]): dump(SUB_CRD),
        _layout.namespace_path(NS): dump(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": meta(NS), "status": {"phase": "Active"}}
        ),
        _layout.pod_path(namespace=NS, pod="foo-1"): dump(POD),
        _layout.pods_list_path(NS): dump({"apiVersion": "v1", "kind": "PodList", "items": [POD]}),
        _layout.events_path(NS): dump(EVENTS),
        _layout.log_path(namespace=NS, pod="foo-1", container="manager"): LOG,
        _layout.log_path(
            namespace=NS, pod="foo-1", container="manager", previous=True
        ): b"2025-01-10T10:10:00Z old run\n",
    }
    for name, phase in (("foo.v1.0.0", "Replacing"), ("foo.v2.0.0", "Succeeded")):
        files[_layout.object_path(group=OLM, plural="clusterserviceversions", name=name, namespace=NS)] = dump(
            csv(name, phase)
        )
    files[_layout.object_path(group=OLM, plural="subscriptions", name="foo", namespace="other")] = dump(
        {
            "apiVersion": f"{OLM}/v1alpha1",
            "kind": "Subscription",
            "metadata": meta("foo", "other"),
            "spec": {"name": "foo"},
        }
    )
    return files


class Answer:
    def __init__(self, status: int, body: bytes, content_type: str) -> None:
        self.status, self.body, self.content_type = status, body, content_type

    def json(self) -> Any:
        return orjson.loads(self.body)


def call(files: dict[str, bytes], path: str, *, method: str = "GET", accept: str = "application/json") -> Answer:
    async def go() -> Answer:
        app = _serve.application(_serve.Index(MemoryTree(files, source="case-1.tar.gz")))
        async with test_utils.TestClient(test_utils.TestServer(app, host="127.0.0.1")) as client:
            r = await client.request(method, path, headers={"Accept": accept})
            return Answer(r.status, await r.read(), r.headers.get("Content-Type", ""))

    return asyncio.run(go())


def names(doc: dict[str, Any]) -> list[str]:
    return [i["metadata"]["name"] for i in doc["items"]]


def test_aggregated_discovery_lists_the_tree_kinds_with_short_names_and_categories():
    core = call(tree(), "/api", accept=AGGREGATED)
    assert core.content_type == "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    [group] = core.json()["items"]
    assert group["metadata"]["name"] == ""
    pods = next(r for r in group["versions"][0]["resources"] if r["resource"] == "pods")
    assert pods["scope"] == "Namespaced" and pods["shortNames"] == ["po"] and pods["verbs"] == ["get", "list"]
    assert {r["resource"] for r in group["versions"][0]["resources"]} == {"pods", "events", "namespaces"}
    groups = {g["metadata"]["name"]: g for g in call(tree(), "/apis", accept=AGGREGATED).json()["items"]}
    assert set(groups) == {OLM, "apiextensions.k8s.io"}
    olm = {r["resource"]: r for r in groups[OLM]["versions"][0]["resources"]}
    assert olm["clusterserviceversions"]["shortNames"] == ["csv", "csvs"]
    assert olm["clusterserviceversions"]["categories"] == ["olm"]
    assert olm["subscriptions"]["responseKind"] == {"group": OLM, "version": "v1alpha1", "kind": "Subscription"}


def test_legacy_discovery():
    assert call(tree(), "/api").json()["versions"] == ["v1"]
    group_list = call(tree(), "/apis").json()
    assert group_list["kind"] == "APIGroupList"
    assert {g["name"] for g in group_list["groups"]} == {OLM, "apiextensions.k8s.io"}
    listed = call(tree(), f"/apis/{OLM}/v1alpha1").json()
    assert {r["name"]: r["kind"] for r in listed["resources"]} == {
        "clusterserviceversions": "ClusterServiceVersion",
        "subscriptions": "Subscription",
    }
    assert "pods/log" in {r["name"] for r in call(tree(), "/api/v1").json()["resources"]}
    assert call(tree(), "/apis/no.such.group/v1").status == 404


def test_list_namespaced_all_namespaces_and_cluster_scoped():
    files = tree()
    listed = call(files, f"/apis/{OLM}/v1alpha1/namespaces/{NS}/clusterserviceversions").json()
    assert listed["kind"] == "ClusterServiceVersionList"
    assert names(listed) == ["foo.v1.0.0", "foo.v2.0.0"]
    assert names(call(files, f"/apis/{OLM}/v1alpha1/subscriptions").json()) == ["foo"]
    assert names(call(files, f"/apis/{OLM}/v1alpha1/namespaces/{NS}/subscriptions").json()) == []
    assert names(call(files, "/api/v1/namespaces").json()) == [NS]
    crds = call(files, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions").json()
    assert names(crds) == [f"clusterserviceversions.{OLM}", f"subscriptions.{OLM}"]


def test_get_returns_the_object_as_gathered():
    got = call(tree(), f"/apis/{OLM}/v1alpha1/namespaces/{NS}/clusterserviceversions/foo.v2.0.0").json()
    assert got == csv("foo.v2.0.0", "Succeeded")
    assert got["metadata"]["creationTimestamp"] == "2025-01-10T10:00:00Z"  # a string, as the API server sends it


def test_not_found_is_a_status_naming_the_tree():
    answer = call(tree(), f"/api/v1/namespaces/{NS}/pods/nope")
    assert answer.status == 404
    status = answer.json()
    assert status["kind"] == "Status" and status["reason"] == "NotFound" and status["code"] == 404
    assert status["message"] == 'pods "nope" not found in the tree case-1.tar.gz'
    assert status["details"] == {"name": "nope", "group": "", "kind": "pods"}
    unknown = call(tree(), "/apis/apps/v1/namespaces/x/deployments")
    assert unknown.status == 404 and "case-1.tar.gz" in unknown.json()["message"]
    scoped = call(tree(), f"/apis/{OLM}/v1alpha1/namespaces/{NS}/subscriptions/foo")
    assert scoped.status == 404 and scoped.json()["message"].startswith(f'subscriptions.{OLM} "foo" not found')


def test_label_and_field_selectors():
    files = tree()
    base = f"/apis/{OLM}/v1alpha1/clusterserviceversions"
    assert names(call(files, f"{base}?labelSelector=operators.coreos.com/foo.operators").json()) == [
        "foo.v1.0.0",
        "foo.v2.0.0",
    ]
    assert names(call(files, f"{base}?labelSelector=!operators.coreos.com/foo.operators").json()) == []
    assert names(call(files, f"{base}?labelSelector=app+in+(x,y)").json()) == []
    assert names(call(files, f"{base}?fieldSelector=metadata.name%3Dfoo.v2.0.0").json()) == ["foo.v2.0.0"]
    assert names(call(files, f"{base}?fieldSelector=metadata.namespace!%3D{NS}").json()) == []
    pods = "/api/v1/pods"
    assert names(call(files, f"{pods}?labelSelector=app%3Dfoo").json()) == ["foo-1"]
    assert names(call(files, f"{pods}?labelSelector=app!%3Dfoo").json()) == []
    bad = call(files, f"{base}?labelSelector=a%3D%3D%3Db")
    assert bad.status == 400 and bad.json()["reason"] == "BadRequest"


def test_limit_and_continue():
    files = tree()
    base = f"/apis/{OLM}/v1alpha1/namespaces/{NS}/clusterserviceversions"
    first = call(files, f"{base}?limit=1").json()
    assert names(first) == ["foo.v1.0.0"]
    assert first["metadata"]["remainingItemCount"] == 1
    second = call(files, f"{base}?limit=1&continue={first['metadata']['continue']}").json()
    assert names(second) == ["foo.v2.0.0"]
    assert "continue" not in second["metadata"]
    assert call(files, f"{base}?limit=1&continue=garbage").status == 400


def test_list_files_of_oc_adm_inspect_and_per_object_files_win():
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta("foo", NS),
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "foo"}}, "template": {"spec": {"containers": []}}},
        "status": {"readyReplicas": 0, "availableReplicas": 0, "updatedReplicas": 1},
    }
    newer = {**deployment, "status": {"readyReplicas": 1, "availableReplicas": 1, "updatedReplicas": 1}}
    files = {
        _layout.list_path(group="apps", plural="deployments", namespace=NS): dump(
            {"apiVersion": "v1", "kind": "List", "items": [deployment, {**deployment, "metadata": meta("bar", NS)}]}
        ),
        _layout.object_path(group="apps", plural="deployments", name="foo", namespace=NS): dump(newer),
    }
    listed = call(files, f"/apis/apps/v1/namespaces/{NS}/deployments").json()
    assert names(listed) == ["bar", "foo"]
    assert listed["items"][1]["status"]["readyReplicas"] == 1
    table = call(files, f"/apis/apps/v1/namespaces/{NS}/deployments", accept=TABLE).json()
    assert [c["name"] for c in table["columnDefinitions"]] == [
        "Name", "Ready", "Up-to-date", "Available", "Age", "Containers", "Images", "Selector"
    ]  # fmt: skip
    assert table["rows"][1]["cells"][:4] == ["foo", "1/1", 1, 1]
    assert table["rows"][1]["cells"][7] == "app=foo"


def test_table_of_a_crd_uses_its_printer_columns():
    table = call(tree(), f"/apis/{OLM}/v1alpha1/clusterserviceversions", accept=TABLE).json()
    assert table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Display", "Version", "Replaces", "Phase"]
    assert [r["cells"] for r in table["rows"]] == [
        ["foo.v1.0.0", "Foo Operator", "1.0.0", None, "Replacing"],
        ["foo.v2.0.0", "Foo Operator", "2.0.0", None, "Succeeded"],
    ]
    row_object = table["rows"][0]["object"]
    assert row_object["kind"] == "PartialObjectMetadata"
    assert row_object["metadata"]["namespace"] == NS  # kubectl -A prints it as NAMESPACE


def test_table_of_a_crd_without_columns_has_age_from_the_gather_time():
    table = call(tree(), f"/apis/{OLM}/v1alpha1/subscriptions", accept=TABLE).json()
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Age"]
    assert table["rows"][0]["cells"] == ["foo", "20m"]  # created 10:00, gathered 10:20


def test_pod_table_reads_as_kubectl_get_pods():
    table = call(tree(), f"/api/v1/namespaces/{NS}/pods", accept=TABLE).json()
    columns = [(c["name"], c["priority"]) for c in table["columnDefinitions"]]
    assert columns == [
        ("Name", 0), ("Ready", 0), ("Status", 0), ("Restarts", 0), ("Age", 0),
        ("IP", 1), ("Node", 1), ("Nominated Node", 1), ("Readiness Gates", 1),
    ]  # fmt: skip
    assert table["rows"][0]["cells"] == [
        "foo-1", "1/2", "CrashLoopBackOff", "4 (3m ago)", "20m", "10.0.0.7", "kwok-node-0", "<none>", "<none>"
    ]  # fmt: skip
    single = call(tree(), f"/api/v1/namespaces/{NS}/pods/foo-1", accept=TABLE).json()
    assert [r["cells"][0] for r in single["rows"]] == ["foo-1"]


def test_events_of_a_pod_as_kubectl_describe_asks_for_them():
    selector = "involvedObject.name%3Dfoo-1,involvedObject.namespace%3Doperators,involvedObject.uid%3Duid-foo-1"
    listed = call(tree(), f"/api/v1/namespaces/{NS}/events?fieldSelector={selector}&limit=500").json()
    assert [e["reason"] for e in listed["items"]] == ["BackOff"]
    table = call(tree(), f"/api/v1/namespaces/{NS}/events", accept=TABLE).json()
    assert table["rows"][0]["cells"][:4] == ["60s", "Warning", "BackOff", "pod/foo-1"]
    assert table["rows"][0]["cells"][6] == "Back-off restarting failed container manager"


def test_events_are_served_even_when_the_tree_has_none():
    files = {_layout.namespace_path(NS): tree()[_layout.namespace_path(NS)]}
    assert call(files, f"/api/v1/namespaces/{NS}/events").json()["items"] == []


def test_pod_logs_without_timestamps_unless_asked():
    base = f"/api/v1/namespaces/{NS}/pods/foo-1/log"
    assert call(tree(), f"{base}?container=manager").body == b"starting manager\nreconciling\nexiting: bad config\n"
    assert call(tree(), f"{base}?container=manager&timestamps=true").body == LOG
    assert call(tree(), f"{base}?container=manager&tailLines=1").body == b"exiting: bad config\n"
    assert call(tree(), f"{base}?container=manager&limitBytes=8").body == b"starting"
    assert call(tree(), f"{base}?container=manager&previous=true").body == b"old run\n"


def test_pod_logs_since_a_time_or_seconds_before_the_gather():
    base = f"/api/v1/namespaces/{NS}/pods/foo-1/log?container=manager"
    assert call(tree(), f"{base}&sinceTime=2025-01-10T10:16:59Z").body == b"reconciling\nexiting: bad config\n"
    assert call(tree(), f"{base}&sinceSeconds=190").body == b"starting manager\nreconciling\nexiting: bad config\n"
    assert call(tree(), f"{base}&sinceSeconds=180").body == b"exiting: bad config\n"  # gathered at 10:20:00
    assert call(tree(), f"{base}&sinceTime=yesterday").status == 400


def test_pod_log_errors_are_the_api_servers():
    base = f"/api/v1/namespaces/{NS}/pods/foo-1/log"
    choose = call(tree(), base)
    assert choose.status == 400
    assert (
        choose.json()["message"] == "a container name must be specified for pod foo-1, choose one of: [manager proxy]"
    )
    assert call(tree(), f"{base}?container=nope").json()["message"] == "container nope is not valid for pod foo-1"
    previous = call(tree(), f"{base}?container=proxy&previous=true")
    assert previous.status == 400
    assert previous.json()["message"].startswith('previous terminated container "proxy" in pod "foo-1" not found')
    assert call(tree(), f"{base}?container=proxy").status == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", f"/api/v1/namespaces/{NS}/pods/foo-1"),
        ("POST", f"/apis/{OLM}/v1alpha1/namespaces/{NS}/subscriptions"),
        ("PATCH", f"/apis/{OLM}/v1alpha1/namespaces/{NS}/clusterserviceversions/foo.v2.0.0"),
        ("PUT", "/api/v1/namespaces/operators"),
        ("POST", f"/api/v1/namespaces/{NS}/pods/exec"),  # a pod named exec: still a write
        ("GET", f"/api/v1/namespaces/{NS}/pods?watch=true"),
        ("GET", f"/api/v1/watch/namespaces/{NS}/pods"),
    ],
)
def test_writes_and_watches_are_refused_as_a_snapshot(method: str, path: str):
    answer = call(tree(), path, method=method)
    assert answer.status == 405
    status = answer.json()
    assert status["kind"] == "Status" and status["reason"] == "MethodNotAllowed"
    assert "case-1.tar.gz is a read-only snapshot" in status["message"]


@pytest.mark.parametrize("sub", ["exec", "attach", "portforward"])
def test_exec_attach_port_forward_are_forbidden(sub: str):
    answer = call(tree(), f"/api/v1/namespaces/{NS}/pods/foo-1/{sub}?command=sh", method="POST")
    assert answer.status == 403
    assert answer.json()["reason"] == "Forbidden"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (1, "1s"), (70, "70s"), (190, "3m10s"), (70 * 60, "70m"), (47 * 3600, "47h"), (49 * 3600, "2d1h"),
        ((8 * 24 + 2) * 3600, "8d"), (367 * 24 * 3600, "367d"), ((365 * 2 * 24 + 25) * 3600, "2y1d"),
        ((365 * 8 * 24 + 2) * 3600, "8y"), (-2, "<invalid>"), (-1.9, "0s"), (0, "0s"), (119.9, "119s"),
        (120, "2m"), (3 * 3600 - 0.001, "179m"), (3 * 3600 + 60, "3h1m"), (8 * 3600 + 59 * 60, "8h"),
        (8 * 24 * 3600 - 0.001, "7d23h"),
    ],
)  # fmt: skip
def test_human_duration_matches_apimachinery(seconds: float, text: str):
    # The cases of k8s.io/apimachinery/pkg/util/duration's own test.
    assert _tables.human_duration(seconds) == text


def test_jsonpath_of_printer_columns():
    obj = {"spec": {"names": ["a", "b"]}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}}
    assert _tables.jsonpath(obj, ".spec.names[0]") == ["a"]
    assert _tables.jsonpath(obj, '.status.conditions[?(@.type=="Ready")].status') == ["True"]
    assert _tables.jsonpath(obj, ".spec.missing") == []


def test_serve_starts_without_the_kubernetes_client():
    code = (
        "import contextlib, sys\n"
        "from olm_gather import _cli\n"
        "with contextlib.suppress(SystemExit):\n"
        "    _cli.main(['serve', '--help'])\n"
        "print('kubernetes loaded:', 'kubernetes' in sys.modules)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert "usage: olm-gather serve" in run.stdout
    assert run.stdout.strip().endswith("kubernetes loaded: False")


def _write(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root


def test_command_prints_the_address_writes_a_kubeconfig_and_cleans_up(tmp_path: Path):
    root = _write(tmp_path / "must-gather.local.1", tree())
    command = [Path(sys.executable).parent / "olm-gather", "serve", str(root)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            address = proc.stdout.readline().strip()
            assert address.startswith(f"serving {root} read-only at http://127.0.0.1:")
            server = address.rsplit(" ", 1)[1]
            kubeconfig = Path(proc.stdout.readline().strip().removeprefix("kubeconfig: "))
            config = yaml.safe_load(kubeconfig.read_text())
            assert config["clusters"][0]["cluster"]["server"] == server
            assert config["current-context"] == config["contexts"][0]["name"]
            with urllib.request.urlopen(f"{server}/api/v1/namespaces", timeout=10) as r:
                assert [i["metadata"]["name"] for i in orjson.loads(r.read())["items"]] == [NS]
        finally:
            proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert stderr == ""
    assert not kubeconfig.exists()  # a temporary kubeconfig goes with the server


def test_a_file_that_is_not_yaml_is_left_out_and_told():
    files = {**tree(), _layout.object_path(group="apps", plural="deployments", name="bad", namespace=NS): b"a: [b"}
    told: list[str] = []
    index = _serve.Index(MemoryTree(files), warn=told.append)
    deployments = index.resources[("apps", "deployments")]
    assert index.objects(deployments) == []
    assert told == [
        f"namespaces/{NS}/apps/deployments/bad.yaml: not valid YAML, left out (while parsing a flow sequence)"
    ]


def test_whole_logs_from_a_directory(tmp_path: Path):
    long_log = b"".join(b"2025-01-10T10:00:00Z line %d\n" % i for i in range(5000))
    files = {**tree(), _layout.log_path(namespace=NS, pod="foo-1", container="manager"): long_log}
    index = _serve.Index(DirTree(_write(tmp_path / "t", files)))
    log = index.logs[(NS, "foo-1", "manager", False)]
    assert index.log_bytes(log) == long_log


@pytest.mark.parametrize(
    ("address", "loopback"),
    [("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("localhost", True), ("0.0.0.0", False), ("::", False)],
)
def test_only_loopback_addresses_go_unwarned(address: str, loopback: bool):
    assert _serve_command._is_loopback(address) is loopback
