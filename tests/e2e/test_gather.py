"""olm-gather against a real local API server (with OLM's CRDs, without its controllers) on a hand-made OLM
scenario: the exact set of paths for one
package and for all, no canary anywhere, the writer replaced by an in-memory one (the design's test plan), the
CLI and the must-gather entrypoint as a user runs them."""

from __future__ import annotations

import base64
import contextlib
import json
import math
import os
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

import olm_gather
from tests.e2e import handmade
from tests.e2e.kapi import Api

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def api(plain_api: Api) -> Api:
    return plain_api


@pytest.fixture(scope="module")
def scenario(api: Api) -> Iterator[handmade.Scenario]:
    s = handmade.create_ready(api)
    yield s
    handmade.remove(api, s)


def _workload_paths(api: Api, ns: str, deployment: str) -> set[str]:
    """Ground truth from the cluster: the Deployment's ReplicaSets and Pods, and the logs of their containers."""
    dep = api.get("apps/v1", "Deployment", deployment, ns)
    rs_list = api.kube.list(f"/apis/apps/v1/namespaces/{ns}/replicasets")
    sets = [
        rs for rs in rs_list if dep["metadata"]["uid"] in {o["uid"] for o in rs["metadata"].get("ownerReferences", [])}
    ]
    uids = {rs["metadata"]["uid"] for rs in sets}
    pods = [
        p
        for p in api.kube.list(f"/api/v1/namespaces/{ns}/pods")
        if uids & {o["uid"] for o in p["metadata"].get("ownerReferences", [])}
    ]
    assert pods, f"kwok ran no pod for {ns}/{deployment}"
    paths = {f"namespaces/{ns}/apps/replicasets/{rs['metadata']['name']}.yaml" for rs in sets}
    for pod in pods:
        name = pod["metadata"]["name"]
        paths.add(f"namespaces/{ns}/pods/{name}/{name}.yaml")
        paths.add(f"namespaces/{ns}/pods/{name}/manager/manager/logs/current.log")
    return paths


def _unpack_pod_paths(api: Api, ns: str) -> set[str]:
    """Ground truth from the cluster: the Pods the Job controller made for the bundle unpack Job, and their logs."""
    selector = f"operatorframework.io/bundle-unpack-ref={handmade.UNPACK_NAME}"
    pods = list(api.kube.list(f"/api/v1/namespaces/{ns}/pods", label_selector=selector))
    assert pods, "the Job controller made no unpack pod"
    paths = set()
    for pod in pods:
        name = pod["metadata"]["name"]
        paths |= {
            f"namespaces/{ns}/pods/{name}/{name}.yaml",
            f"namespaces/{ns}/pods/{name}/extract/extract/logs/current.log",
        }
    return paths


def _service_paths(api: Api, ns: str, service: str) -> set[str]:
    """Ground truth from the cluster: the Endpoints and EndpointSlices Kubernetes made for a Service."""
    slices = api.kube.list(
        f"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices",
        label_selector=f"kubernetes.io/service-name={service}",
    )
    paths = {f"namespaces/{ns}/discovery.k8s.io/endpointslices/{s['metadata']['name']}.yaml" for s in slices}
    return paths | {f"namespaces/{ns}/core/endpoints/{service}.yaml"}


def _ours(paths: set[str], s: handmade.Scenario) -> set[str]:
    """Paths of the scenario's namespaces and cluster objects (OLM's own pods, when present, are checked apart)."""
    return {
        p
        for p in paths
        if p.startswith((f"namespaces/{s.ns_a}/", f"namespaces/{s.ns_b}/", "cluster-scoped-resources/"))
    }


def _assert_no_canary(files: dict[str, bytes]) -> None:
    forms = [handmade.CANARY, base64.b64encode(handmade.CANARY.encode()).decode(), json.dumps(handmade.CANARY)[1:-1]]
    for path, data in files.items():
        text = data.decode("utf-8", "replace")
        for form in forms:
            assert form not in text, f"{form!r} leaked into {path}"


def test_one_package_exact_paths_in_memory(api: Api, scenario: handmade.Scenario, plain_kubeconfig: str) -> None:
    writer = olm_gather.MemoryWriter()
    result = olm_gather.new(
        kubeconfig=plain_kubeconfig, package="alpha", namespace=scenario.ns_a, writer=writer
    ).inspect()
    assert writer.closed and result.location == "<memory>"
    expected = (
        scenario.expected_alpha
        | _workload_paths(api, scenario.ns_a, "alpha-operator")
        | _service_paths(api, scenario.ns_a, "alpha-svc")
        | _unpack_pod_paths(api, scenario.ns_a)
    )
    written = set(writer.files)
    assert _ours(written, scenario) == expected
    assert not written & scenario.noise
    assert {"version", "timestamp", "gather.json", "report.html"} <= written
    assert writer.files["version"].decode().splitlines()[0] == "olm-gather"
    _assert_no_canary(writer.files)

    record = json.loads(writer.files["gather.json"])
    by_path = {o["path"]: o for o in record["objects"]}
    assert any(
        "step of InstallPlan" in r
        for r in by_path[f"namespaces/{scenario.ns_a}/core/secrets/alpha-bundle.yaml"]["reasons"]
    )
    assert by_path[f"namespaces/{scenario.ns_a}/core/secrets/alpha-operator-service-cert.yaml"]["reasons"] == [
        f"owned by a CSV in {scenario.ns_a}"
    ]
    missing = [p for p in record["problems"] if p["kind"] == "missing"]
    assert any("alpha-gone" in p["target"] for p in missing)
    assert not record["incomplete"] and result.exit_code == 0

    secret = yaml.safe_load(writer.files[f"namespaces/{scenario.ns_a}/core/secrets/alpha-bundle.yaml"])
    assert list(secret["data"]) == ["k"] and secret["data"]["k"].startswith("<redacted: ")
    pods = yaml.safe_load(writer.files[f"namespaces/{scenario.ns_a}/core/pods.yaml"])
    assert pods["kind"] == "PodList" and all(p["kind"] == "Pod" for p in pods["items"])


def test_all_packages(api: Api, scenario: handmade.Scenario, plain_kubeconfig: str) -> None:
    writer = olm_gather.MemoryWriter()
    olm_gather.new(kubeconfig=plain_kubeconfig, writer=writer).inspect()
    expected = (
        scenario.expected_alpha
        | scenario.expected_all_extra
        | _workload_paths(api, scenario.ns_a, "alpha-operator")
        | _workload_paths(api, scenario.ns_a, "beta-operator")
        | _workload_paths(api, scenario.ns_b, "gamma-operator")
        | _service_paths(api, scenario.ns_a, "alpha-svc")
        | _unpack_pod_paths(api, scenario.ns_a)
    )
    written = _ours(set(writer.files), scenario)
    # Other tests' operators live in other namespaces; cluster objects of theirs are filtered by name here.
    written = {
        p
        for p in written
        if not p.startswith("cluster-scoped-resources/")
        or p in expected
        or scenario.suffix in p
        or p.endswith(f".{scenario.group}.yaml")
    }
    assert written == expected
    _assert_no_canary(writer.files)


def test_cli_tarball_and_kubectl_plugin(scenario: handmade.Scenario, plain_kubeconfig: str, tmp_path: Path) -> None:
    out = tmp_path / "alpha.tar.gz"
    run = subprocess.run(
        [BIN / "olm-gather", "--kubeconfig", plain_kubeconfig, "-p", "alpha", "-n", scenario.ns_a, "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "output:" in run.stderr and "alpha" in run.stderr
    with tarfile.open(out) as tar:
        names = {m.name for m in tar if m.isfile()}
    assert f"alpha/namespaces/{scenario.ns_a}/operators.coreos.com/subscriptions/alpha.yaml" in names

    # As a kubectl plugin: kubectl finds kubectl-olm_gather on PATH and maps `olm-gather` to it.
    plugin_dir = tmp_path / "plugin"
    kubectl = Path(plain_kubeconfig).parent / "bin" / "kubectl"
    env = dict(os.environ, PATH=f"{BIN}:{os.environ['PATH']}")
    run = subprocess.run(
        [
            kubectl,
            "olm-gather",
            "--kubeconfig",
            plain_kubeconfig,
            "-p",
            "alpha",
            "-n",
            scenario.ns_a,
            "-o",
            str(plugin_dir),
            "-q",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    assert (
        plugin_dir / "namespaces" / scenario.ns_a / "operators.coreos.com" / "installplans" / "install-1.yaml"
    ).is_file()


def test_stream_to_stdout(scenario: handmade.Scenario, plain_kubeconfig: str, tmp_path: Path) -> None:
    with open(tmp_path / "s.tar.gz", "wb") as f:
        run = subprocess.run(
            [BIN / "olm-gather", "--kubeconfig", plain_kubeconfig, "-p", "alpha", "-n", scenario.ns_a, "-o", "-"],
            stdout=f,
            stderr=subprocess.PIPE,
            timeout=120,
            check=False,
        )
    assert run.returncode == 0, run.stderr
    with tarfile.open(tmp_path / "s.tar.gz") as tar:
        assert "must-gather/version" in tar.getnames()


def test_must_gather_entrypoint(scenario: handmade.Scenario, plain_kubeconfig: str, tmp_path: Path) -> None:
    root = tmp_path / "must-gather"
    root.mkdir()
    (root / "operator-own-file.txt").write_text("written by the operator's own gather\n")
    env = dict(os.environ, MUST_GATHER_DIR=str(root), KUBECONFIG=plain_kubeconfig)
    run = subprocess.run(
        [BIN / "olm-gather-must-gather", "-p", "alpha"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert (root / "version").read_text().splitlines()[0] == "olm-gather"
    assert (root / "operator-own-file.txt").exists()
    assert (root / "namespaces" / scenario.ns_a / "operators.coreos.com" / "subscriptions" / "alpha.yaml").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kubeconfig", "/nonexistent/kubeconfig"], "kubeconfig /nonexistent/kubeconfig does not exist"),
        (["--context", "no-such-context"], "no-such-context"),
        (["--log-limit", "lots"], "invalid size"),
    ],
)
def test_usage_errors_are_one_line(args: list[str], message: str, plain_kubeconfig: str, tmp_path: Path) -> None:
    full = [BIN / "olm-gather", *args, "-o", str(tmp_path / "o")]
    if "--kubeconfig" not in args:
        full += ["--kubeconfig", plain_kubeconfig]
    run = subprocess.run(full, capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 2
    assert message in run.stderr
    assert "Traceback" not in run.stderr


def test_lists_are_paginated(api: Api, scenario: handmade.Scenario) -> None:
    """The real server's limit/continue: pages of 2 give the same items as one page, one request per page."""
    path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    before = api.kube.requests
    whole = [o["metadata"]["uid"] for o in api.kube.list(path)]
    assert api.kube.requests - before == 1
    before = api.kube.requests
    paged = [o["metadata"]["uid"] for o in api.kube.list(path, page_size=2)]
    assert paged == whole and len(whole) > 4
    assert api.kube.requests - before == math.ceil(len(whole) / 2)


def _kubeconfig_for_token(source: str, token: str, path: Path) -> str:
    config = yaml.safe_load(Path(source).read_text())
    config["users"] = [{"name": "limited", "user": {"token": token}}]
    for context in config["contexts"]:
        context["context"]["user"] = "limited"
    path.write_text(yaml.safe_dump(config))
    return str(path)


@contextlib.contextmanager
def _limited_user(
    api: Api, scenario: handmade.Scenario, plain_kubeconfig: str, path: Path, rules: list[dict[str, object]]
) -> Iterator[str]:
    """A kubeconfig of a ServiceAccount the real API server authorizes by `rules` alone (a ClusterRole)."""
    ns, name = scenario.ns_a, f"olm-gather-limited-{path.stem}-{scenario.suffix}"
    account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": ns}}
    api.create(account)
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": name}}
    api.create({**role, "rules": rules})
    api.create(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": name},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
            "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": ns}],
        }
    )
    try:
        request = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {}}
        token = api.create_subresource("v1", "ServiceAccount", name, ns, "token", request)["status"]["token"]
        yield _kubeconfig_for_token(plain_kubeconfig, token, path)
    finally:
        api.delete("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", name)
        api.delete("rbac.authorization.k8s.io/v1", "ClusterRole", name)
        api.delete("v1", "ServiceAccount", name, ns)


def test_forbidden_is_recorded_and_exits_1(
    api: Api, scenario: handmade.Scenario, plain_kubeconfig: str, tmp_path: Path
) -> None:
    """A user who may read OLM's objects but not Secrets, pods or logs: the gather goes on, records each 403 and
    exits 1 with gather.json saying incomplete."""
    ns = scenario.ns_a
    rules: list[dict[str, object]] = [
        {
            "apiGroups": ["operators.coreos.com", "apps", "apiextensions.k8s.io", "rbac.authorization.k8s.io"],
            "resources": ["*"],
            "verbs": ["get", "list"],
        },
        {
            "apiGroups": [""],
            "resources": ["namespaces", "configmaps", "services", "serviceaccounts", "events"],
            "verbs": ["get", "list"],
        },
    ]
    with _limited_user(api, scenario, plain_kubeconfig, tmp_path / "limited.kubeconfig", rules) as kubeconfig:
        out = tmp_path / "out"
        run = subprocess.run(
            [BIN / "olm-gather", "--kubeconfig", kubeconfig, "-p", "alpha", "-n", ns, "-o", str(out)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr and "incomplete" in run.stderr
    record = json.loads((out / "gather.json").read_text())
    assert record["incomplete"] is True
    forbidden = [p for p in record["problems"] if p["kind"] == "forbidden"]
    assert any("Secret" in p["target"] or "secrets" in p["message"] for p in forbidden), forbidden
    assert (out / "namespaces" / ns / "operators.coreos.com" / "subscriptions" / "alpha.yaml").is_file()


def test_every_subscription_without_the_right_to_list_namespaces(
    api: Api, scenario: handmade.Scenario, plain_kubeconfig: str, tmp_path: Path
) -> None:
    """Gathering every Subscription lists all Namespaces as a shortcut; a user who may get Namespaces but not list
    them (the real API server's RBAC says 403) gets the same Namespace objects, one by one, and the shortcut's
    403 is no problem of the gather."""
    groups = [g["name"] for g in api.kube.get("/apis")["groups"]]
    core = ["pods", "pods/log", "secrets", "configmaps", "services", "serviceaccounts", "events", "endpoints"]
    rules: list[dict[str, object]] = [
        {"apiGroups": groups, "resources": ["*"], "verbs": ["get", "list"]},
        {"apiGroups": [""], "resources": core, "verbs": ["get", "list"]},
        {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get"]},
    ]
    with _limited_user(api, scenario, plain_kubeconfig, tmp_path / "nolist.kubeconfig", rules) as kubeconfig:
        user = Api(kubeconfig)
        try:
            with pytest.raises(olm_gather.ForbiddenError):  # the shortcut is denied by the API server itself
                user.kube.get("/api/v1/namespaces")
            assert user.kube.get(f"/api/v1/namespaces/{scenario.ns_a}")["metadata"]["name"] == scenario.ns_a
        finally:
            user.close()
        limited, admin = olm_gather.MemoryWriter(), olm_gather.MemoryWriter()
        olm_gather.new(kubeconfig=kubeconfig, writer=limited, analyze=False).inspect()
    olm_gather.new(kubeconfig=plain_kubeconfig, writer=admin, analyze=False).inspect()

    def namespaces(writer: olm_gather.MemoryWriter) -> dict[str, str]:
        """namespaces/<ns>/<ns>.yaml -> the uid in it."""
        files = {p: yaml.safe_load(d) for p, d in writer.files.items() if p.count("/") == 2 and p.endswith(".yaml")}
        return {
            p: o["metadata"]["uid"] for p, o in files.items() if isinstance(o, dict) and o.get("kind") == "Namespace"
        }

    # This scenario's (the namespaces of other tests' scenarios may be going away between the two gathers).
    ours = {f"namespaces/{ns}/{ns}.yaml" for ns in (scenario.ns_a, scenario.ns_b)}
    assert ours <= namespaces(admin).keys()
    assert {p: u for p, u in namespaces(limited).items() if p in ours} == {p: namespaces(admin)[p] for p in ours}

    def problems(writer: olm_gather.MemoryWriter) -> set[tuple[str, str]]:
        """This scenario's problems, as (kind, target)."""
        listed = json.loads(writer.files["gather.json"])["problems"]
        return {(p["kind"], p["target"]) for p in listed if scenario.suffix in p["target"]}

    # What the user cannot do without a list either: find the OperatorGroups' targets by label (each a 403).
    extra = problems(limited) - problems(admin)
    assert problems(admin) <= problems(limited)
    assert extra and all(k == "forbidden" and t.startswith("target namespace of OperatorGroup") for k, t in extra)
    forbidden = [p for p in json.loads(limited.files["gather.json"])["problems"] if p["kind"] == "forbidden"]
    assert all(p["target"].startswith("target namespace of OperatorGroup") for p in forbidden), forbidden


@pytest.mark.parametrize("output", ["o", "o.tar.gz"])
def test_unreachable_server_is_one_line(tmp_path: Path, output: str) -> None:
    config = tmp_path / "kubeconfig"
    config.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [
                    {"name": "c", "cluster": {"server": "https://127.0.0.1:1", "insecure-skip-tls-verify": True}}
                ],
                "users": [{"name": "u", "user": {"token": "t"}}],
                "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "x",
            }
        )
    )
    run = subprocess.run(
        [BIN / "olm-gather", "--kubeconfig", str(config), "-o", str(tmp_path / output)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 2
    assert "cannot reach the API server https://127.0.0.1:1" in run.stderr and "Connection refused" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert not (tmp_path / output).exists()  # no empty directory or half archive left behind


def test_unknown_package_names_the_packages_there(
    scenario: handmade.Scenario, plain_kubeconfig: str, tmp_path: Path
) -> None:
    run = subprocess.run(
        [
            BIN / "olm-gather",
            "--kubeconfig",
            plain_kubeconfig,
            "-p",
            "alpah",
            "-n",
            scenario.ns_a,
            "-o",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "Subscription for package alpah" in run.stderr and "alpha, beta" in run.stderr
