"""`olm-gather redact` against trees made from a real API server (the OLM-less local control plane, with OLM's
CRDs): a real gather's output, and an `oc adm inspect`-style tree of list files built from the server's own list
responses (items without `kind`, as the API returns them), with canaries in every shape of issue 11: Secret data
and annotations, env values in Subscriptions, Deployments, CSV install specs, `alm-examples` and
`initialization-resource`, env maps, `K=V` strings and env-like keys of a custom resource, step manifests (also
JSON of a JSON string), and PEM private keys in a ConfigMap, a custom resource and a container log."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import secrets
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from olm_gather import _kube
from tests.e2e import handmade
from tests.e2e.kapi import Api

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
OLM = "operators.coreos.com/v1alpha1"
PREFIX = "rd-canary-"
IMAGE = "quay-io-example-olm-gather-sha256-0a1b2c"


@dataclasses.dataclass
class Objects:
    ns: str
    group: str
    pod: str
    canaries: dict[str, str]


def _canaries(suffix: str) -> dict[str, str]:
    positions = [
        "secret-data",
        "secret-annotation",
        "subscription-env",
        "deployment-env",
        "csv-install-env",
        "alm-examples-env-map",
        "alm-examples-kv",
        "initialization-resource-env",
        "step-secret",
        "step-json-of-json",
        "cr-env-map",
        "cr-kv-text",
        "cr-extra-env",
        "cr-pem",
        "configmap-pem",
        "log-pem",
    ]
    return {p: f"{PREFIX}{p}-{suffix}" for p in positions}


def _pem(canary: str) -> str:
    return f"-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA{canary}\nq3Nz\n-----END RSA PRIVATE KEY-----\n"


def _forms(canary: str) -> list[str]:
    once = base64.b64encode(canary.encode())
    return [canary, once.decode(), base64.b64encode(once).decode(), json.dumps(canary)[1:-1]]


def _assert_no_canary(files: dict[str, bytes], canaries: dict[str, str]) -> None:
    for path, data in files.items():
        text = data.decode("utf-8", "replace")
        assert PREFIX not in text, f"a canary leaked into {path}"
        for canary in canaries.values():
            for form in _forms(canary)[1:]:
                assert form not in text, f"{canary} leaked into {path} as {form}"


@pytest.fixture(scope="module")
def api(plain_api: Api) -> Api:
    return plain_api


@pytest.fixture(scope="module")
def objects(api: Api, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Objects]:
    suffix = secrets.token_hex(3)
    ns, group = f"rd-{suffix}", f"rd{suffix}.example.com"
    c = _canaries(suffix)
    api.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    api.create(
        {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": f"examples.{group}"},
            "spec": {
                "group": group,
                "names": {"kind": "Example", "plural": "examples", "singular": "example", "listKind": "ExampleList"},
                "scope": "Namespaced",
                "versions": [
                    {
                        "name": "v1",
                        "served": True,
                        "storage": True,
                        "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
                    }
                ],
            },
        }
    )
    api.wait(
        "the Example CRD established",
        lambda: any(
            cond["type"] == "Established" and cond["status"] == "True"
            for cond in api.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", f"examples.{group}")["status"][
                "conditions"
            ]
        ),
    )
    api.discovery = _kube.Discovery(api.kube)  # discovery is cached: a fresh one sees the new kind
    template = {
        "metadata": {"labels": {"app": "op-manager"}},
        "spec": {
            "containers": [
                {
                    "name": "manager",
                    "image": "example.com/op:v1",
                    "env": [
                        {"name": "DB_PASSWORD", "value": c["csv-install-env"]},
                        {"name": "POD_NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
                    ],
                }
            ]
        },
    }
    examples = [
        {
            "apiVersion": f"{group}/v1",
            "kind": "Example",
            "metadata": {"name": "example-sample"},
            "spec": {
                "extraEnv": {"SAMPLE_TOKEN": c["alm-examples-env-map"]},
                "env": [f"SAMPLE_KEY={c['alm-examples-kv']}"],
            },
        }
    ]
    init = {
        "apiVersion": f"{group}/v1",
        "kind": "Example",
        "metadata": {"name": "example-init"},
        "spec": {"envVars": [{"name": "INIT_SECRET", "value": c["initialization-resource-env"]}]},
    }
    csv_body = {
        "apiVersion": OLM,
        "kind": "ClusterServiceVersion",
        "metadata": {
            "name": "op.v1",
            "namespace": ns,
            "annotations": {
                "alm-examples": json.dumps(examples, indent=2),
                "operatorframework.io/initialization-resource": json.dumps(init),
                "capabilities": "Basic Install",
            },
        },
        "spec": {
            "displayName": "Redaction test operator",
            "install": {
                "strategy": "deployment",
                "spec": {
                    "deployments": [
                        {
                            "name": "op-manager",
                            "spec": {"selector": {"matchLabels": {"app": "op-manager"}}, "template": template},
                        }
                    ]
                },
            },
            "installModes": [{"type": "OwnNamespace", "supported": True}],
        },
    }
    csv = api.create({**csv_body, "status": {"phase": "Succeeded", "reason": "InstallSucceeded"}})
    owner = {"apiVersion": OLM, "kind": "ClusterServiceVersion", "name": "op.v1", "uid": csv["metadata"]["uid"]}
    sub = api.create(
        {
            "apiVersion": OLM,
            "kind": "Subscription",
            "metadata": {"name": "op", "namespace": ns},
            "spec": {
                "name": "op",
                "source": "cat",
                "sourceNamespace": "olm",
                "channel": "stable",
                "config": {"env": [{"name": "HTTPS_PROXY", "value": c["subscription-env"]}]},
            },
            "status": {
                "installedCSV": "op.v1",
                "currentCSV": "op.v1",
                "state": "AtLatestKnown",
                "lastUpdated": "2026-01-01T00:00:00Z",
            },
        }
    )
    api.create(
        {
            "apiVersion": "operators.coreos.com/v1",
            "kind": "OperatorGroup",
            "metadata": {"name": "og", "namespace": ns},
            "spec": {},
        }
    )
    bundle_secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "op-bundle"},
        "stringData": {"k": c["step-secret"]},
    }
    twice = json.dumps(json.dumps({"kind": "Secret", "stringData": {"k": c["step-json-of-json"]}}))

    def step(kind: str, name: str, group_: str = "", version: str = "v1", manifest: str = "") -> dict[str, Any]:
        return handmade.step("op.v1", group_, version, kind, name, manifest=manifest)

    sub_owner = {"apiVersion": OLM, "kind": "Subscription", "name": "op", "uid": sub["metadata"]["uid"]}
    api.create(
        {
            "apiVersion": OLM,
            "kind": "InstallPlan",
            "metadata": {"name": "install-1", "namespace": ns, "ownerReferences": [sub_owner]},
            "spec": {"approval": "Automatic", "approved": True, "clusterServiceVersionNames": ["op.v1"]},
            "status": {
                "phase": "Complete",
                "catalogSources": ["cat"],
                "plan": [
                    step("ClusterServiceVersion", "op.v1", "operators.coreos.com", "v1alpha1", json.dumps(csv_body)),
                    step("BundleSecret", "op-token", manifest=json.dumps(bundle_secret)),
                    step("BundleSecret", "op-twice", manifest=twice),
                    step("ConfigMap", "op-config"),
                ],
            },
        }
    )
    api.create(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": "op-token",
                "namespace": ns,
                "annotations": {
                    "openshift.io/token-secret.value": c["secret-annotation"],
                    "kubernetes.io/service-account.name": "op-builder",
                },
            },
            "data": {"token": base64.b64encode(c["secret-data"].encode()).decode()},
        }
    )
    api.create(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "op-config", "namespace": ns},
            "data": {"tls.key": _pem(c["configmap-pem"]), "mode": "strict"},
        }
    )
    api.create(
        {
            "apiVersion": f"{group}/v1",
            "kind": "Example",
            "metadata": {"name": "example-cr", "namespace": ns},
            "spec": {
                "env": {"CR_PASSWORD": c["cr-env-map"]},
                "operator": {"environment": f"CR_USER=admin\nCR_KEY={c['cr-kv-text']}"},
                "extraEnv": [{"name": "CR_EXTRA", "value": c["cr-extra-env"]}],
                "tls": {"privateKey": _pem(c["cr-pem"]), "secretName": "example-tls"},
            },
        }
    )
    deployment_template = json.loads(json.dumps(template).replace(c["csv-install-env"], c["deployment-env"]))
    api.create(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "op-manager", "namespace": ns, "ownerReferences": [{**owner, "controller": True}]},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "op-manager"}},
                "template": deployment_template,
            },
        }
    )
    pods = api.wait(
        "the operator pod",
        lambda: list(api.kube.list(f"/api/v1/namespaces/{ns}/pods", label_selector="app=op-manager")),
    )
    pod = pods[0]["metadata"]["name"]
    # kwok serves this file as the pod's log: a private key printed over several lines, in the CRI format.
    log = tmp_path_factory.mktemp("kwok-log") / "manager.log"
    lines = ["manager: starting", *_pem(c["log-pem"]).splitlines(), "manager: ready"]
    log.write_text("".join(f"2026-01-01T00:00:0{i % 10}.000000000Z stdout F {line}\n" for i, line in enumerate(lines)))
    api.create(
        {
            "apiVersion": "kwok.x-k8s.io/v1alpha1",
            "kind": "Logs",
            "metadata": {"name": pod, "namespace": ns},
            "spec": {"logs": [{"logsFile": str(log), "follow": False}]},
        }
    )
    api.wait(
        "kwok serving the log",
        lambda: b"BEGIN RSA" in b"".join(api.kube.stream(f"/api/v1/namespaces/{ns}/pods/{pod}/log", {})),
    )
    yield Objects(ns=ns, group=group, pod=pod, canaries=c)
    api.delete("v1", "Namespace", ns)
    api.delete("apiextensions.k8s.io/v1", "CustomResourceDefinition", f"examples.{group}")


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120, check=False)


def _archive_files(path: Path) -> dict[str, bytes]:
    with tarfile.open(path) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]


def _dir_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_redact_a_real_gather(objects: Objects, plain_kubeconfig: str, tmp_path: Path) -> None:
    """The gather itself leaves no canary (the log filter included), and `redact` on its output finds nothing
    more to replace: every file comes out byte for byte."""
    gathered = tmp_path / "gather.tar.gz"
    run = _run(BIN / "olm-gather", "--kubeconfig", plain_kubeconfig, "-n", objects.ns, "-o", gathered, "-q")
    assert run.returncode == 0, run.stderr
    files = _archive_files(gathered)
    ns = objects.ns
    log = files[f"gather/namespaces/{ns}/pods/{objects.pod}/manager/manager/logs/current.log"]
    assert b"manager: starting" in log and b"<redacted: private key," in log and b"manager: ready" in log
    assert f"gather/namespaces/{ns}/core/secrets/op-token.yaml" in files
    assert f"gather/namespaces/{ns}/core/configmaps/op-config.yaml" in files
    _assert_no_canary(files, objects.canaries)

    clean = tmp_path / "clean.tar.gz"
    run = _run(BIN / "olm-gather", "redact", gathered, "-o", clean)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "nothing to replace" in run.stdout
    assert _archive_files(clean) == {"clean/" + p.removeprefix("gather/"): d for p, d in files.items()}


def _inspect_tree(api: Api, objects: Objects, root: Path) -> dict[str, bytes]:
    """What `oc adm inspect ns/<ns>` writes, from the server's own responses: list files of the namespace's
    resources, per-object Secret files, the pod file and its log."""
    ns, base = objects.ns, root / "must-gather.local.7" / IMAGE
    resources = [
        ("core", "/api/v1", "secrets"),
        ("core", "/api/v1", "configmaps"),
        ("core", "/api/v1", "pods"),
        ("apps", "/apis/apps/v1", "deployments"),
        ("apps", "/apis/apps/v1", "replicasets"),
        ("operators.coreos.com", f"/apis/{OLM}", "subscriptions"),
        ("operators.coreos.com", f"/apis/{OLM}", "clusterserviceversions"),
        ("operators.coreos.com", f"/apis/{OLM}", "installplans"),
        (objects.group, f"/apis/{objects.group}/v1", "examples"),
    ]
    files: dict[str, bytes] = {}
    for folder, prefix, plural in resources:
        listed = api.kube.get(f"{prefix}/namespaces/{ns}/{plural}")
        assert listed["items"]
        if folder in ("core", "apps"):  # built-in lists carry no kind in their items (custom resources' do)
            assert all("kind" not in item for item in listed["items"])
        files[f"namespaces/{ns}/{folder}/{plural}.yaml"] = yaml.safe_dump(listed).encode()
        if plural == "secrets":
            for item in listed["items"]:
                files[f"namespaces/{ns}/core/secrets/{item['metadata']['name']}.yaml"] = yaml.safe_dump(item).encode()
    pod = api.kube.get(f"/api/v1/namespaces/{ns}/pods/{objects.pod}")
    files[f"namespaces/{ns}/pods/{objects.pod}/{objects.pod}.yaml"] = yaml.safe_dump(pod).encode()
    log_path = f"/api/v1/namespaces/{ns}/pods/{objects.pod}/log"
    log = b"".join(api.kube.stream(log_path, {"container": "manager", "timestamps": "true"}))
    files[f"namespaces/{ns}/pods/{objects.pod}/manager/manager/logs/current.log"] = log
    files[f"namespaces/{ns}/{ns}.yaml"] = yaml.safe_dump(api.kube.get(f"/api/v1/namespaces/{ns}")).encode()
    files["timestamp"] = b"2026-01-01 00:00:00.000000000 +0000 UTC\n"
    files["event-filter.html"] = b"<html></html>\n"
    for path, data in files.items():
        (base / path).parent.mkdir(parents=True, exist_ok=True)
        (base / path).write_bytes(data)
    return {f"{IMAGE}/{p}": d for p, d in files.items()}


def test_redact_an_inspect_style_tree(api: Api, objects: Objects, tmp_path: Path) -> None:
    source = _inspect_tree(api, objects, tmp_path / "src")
    everything = b"\n".join(source.values()).decode()
    for position, canary in objects.canaries.items():
        assert any(form in everything for form in _forms(canary)), f"{position}: the source lacks its canary"
    archive = tmp_path / "case.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "src" / "must-gather.local.7", arcname="must-gather.local.7")
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()

    run = _run(BIN / "olm-gather", "redact", archive, "-o", tmp_path / "clean")
    assert run.returncode == 0, run.stdout + run.stderr
    assert hashlib.sha256(archive.read_bytes()).hexdigest() == digest
    out = _dir_files(tmp_path / "clean")
    assert set(out) == set(source)  # structure kept: every file, at its path
    _assert_no_canary(out, objects.canaries)
    for rule in ("secret value", "secret annotation", "env value", "private key"):
        assert rule in run.stdout, run.stdout

    ns, base = objects.ns, f"{IMAGE}/namespaces/{objects.ns}"
    secret = yaml.safe_load(out[f"{base}/core/secrets/op-token.yaml"])
    assert list(secret["data"]) == ["token"] and secret["metadata"]["name"] == "op-token"
    assert secret["metadata"]["annotations"]["kubernetes.io/service-account.name"] == "op-builder"
    configmaps = {c["metadata"]["name"]: c for c in yaml.safe_load(out[f"{base}/core/configmaps.yaml"])["items"]}
    assert configmaps["op-config"]["data"]["mode"] == "strict" and set(configmaps["op-config"]["data"]) == {
        "mode",
        "tls.key",
    }
    assert "BEGIN CERTIFICATE" in configmaps["kube-root-ca.crt"]["data"]["ca.crt"]  # certificates are public
    example = yaml.safe_load(out[f"{base}/{objects.group}/examples.yaml"])["items"][0]
    assert example["metadata"]["name"] == "example-cr" and set(example["spec"]["env"]) == {"CR_PASSWORD"}
    assert example["spec"]["operator"]["environment"].startswith("CR_USER=<redacted: 5 bytes>\nCR_KEY=<redacted: ")
    assert example["spec"]["tls"]["secretName"] == "example-tls"
    csv = yaml.safe_load(out[f"{base}/operators.coreos.com/clusterserviceversions.yaml"])["items"][0]
    sample = json.loads(csv["metadata"]["annotations"]["alm-examples"])[0]
    assert sample["metadata"]["name"] == "example-sample" and set(sample["spec"]["extraEnv"]) == {"SAMPLE_TOKEN"}
    subscription = yaml.safe_load(out[f"{base}/operators.coreos.com/subscriptions.yaml"])["items"][0]
    assert subscription["spec"]["config"]["env"][0]["name"] == "HTTPS_PROXY"
    log = out[f"{base}/pods/{objects.pod}/manager/manager/logs/current.log"]
    assert b"manager: starting" in log and b"manager: ready" in log
    assert out[f"{base}/{ns}.yaml"] == source[f"{base}/{ns}.yaml"]  # nothing to replace: copied byte for byte
