"""`olm-gather redact` on hand-made trees in the shapes other tools write: `oc adm must-gather` (a folder per
image), `oc adm inspect` list files, per-object files, logs, and files that are not objects."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

from olm_gather import _errors, _redact_command, _redact_tree

CANARY = "tree-canary-5e0c"
PEM = f"-----BEGIN RSA PRIVATE KEY-----\nMIIE{CANARY}\n-----END RSA PRIVATE KEY-----\n"
IMAGE = "must-gather.local.1/quay-io-openshift-release-dev-ocp-v4-0-art-dev-sha256-0f1e"
NS = "openshift-operators"


def _forms(value: str) -> list[str]:
    once = base64.b64encode(value.encode())
    return [value, once.decode(), base64.b64encode(once).decode(), json.dumps(value)[1:-1]]


def _tree(root: Path) -> dict[str, bytes]:
    """An `oc adm must-gather` directory: list files as `oc adm inspect` writes them, with items as the API
    returns them (no kind), per-object files, logs, and the files around them."""
    b64 = base64.b64encode(CANARY.encode()).decode()
    secrets = {
        "apiVersion": "v1",
        "kind": "List",  # what `oc adm inspect` writes; the items carry no kind
        "items": [
            {
                "metadata": {
                    "name": "builder-token-x",
                    "annotations": {
                        "openshift.io/token-secret.value": CANARY,
                        "kubernetes.io/service-account.name": "builder",
                    },
                },
                "data": {"token": b64},
                "type": "kubernetes.io/service-account-token",
            }
        ],
    }
    configmaps = {
        "apiVersion": "v1",
        "kind": "ConfigMapList",
        "items": [{"metadata": {"name": "tls-config"}, "data": {"tls.key": PEM, "mode": "strict"}}],
    }
    csv = {
        "apiVersion": "operators.coreos.com/v1alpha1",
        "kind": "ClusterServiceVersion",
        "metadata": {
            "name": "etcd.v0.9.4",
            "namespace": NS,
            "annotations": {
                "alm-examples": json.dumps(
                    [{"kind": "EtcdCluster", "metadata": {"name": "example"}, "spec": {"extraEnv": {"PW": CANARY}}}]
                )
            },
        },
        "spec": {"displayName": "etcd"},
    }
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "etcd-operator-1", "namespace": NS},
        "spec": {"containers": [{"name": "etcd", "env": [f"PASSWORD={CANARY}"]}]},
    }
    sub = {
        "apiVersion": "operators.coreos.com/v1alpha1",
        "kind": "Subscription",
        "metadata": {"name": "etcd", "namespace": NS},
        "spec": {"name": "etcd", "config": {"env": [{"name": "PROXY", "value": CANARY}]}},
    }
    plain = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}
    files = {
        f"{IMAGE}/namespaces/{NS}/core/secrets.yaml": yaml.safe_dump(secrets).encode(),
        f"{IMAGE}/namespaces/{NS}/core/configmaps.yaml": yaml.safe_dump(configmaps).encode(),
        f"{IMAGE}/namespaces/{NS}/operators.coreos.com/clusterserviceversions/etcd.v0.9.4.yaml": yaml.safe_dump(
            csv
        ).encode(),
        f"{IMAGE}/namespaces/{NS}/operators.coreos.com/subscriptions/etcd.json": json.dumps(sub).encode(),
        f"{IMAGE}/namespaces/{NS}/pods/etcd-operator-1/etcd-operator-1.yaml": yaml.safe_dump(pod).encode(),
        f"{IMAGE}/namespaces/{NS}/pods/etcd-operator-1/etcd/etcd/logs/current.log": (
            b"2026-01-01T00:00:00Z started\n" + PEM.encode() + b"2026-01-01T00:00:01Z ready\n"
        ),
        f"{IMAGE}/namespaces/{NS}/{NS}.yaml": b"# written by oc\n" + yaml.safe_dump(plain).encode(),
        f"{IMAGE}/cluster-scoped-resources/core/nodes/node-1.yaml": b"kind: Node\nmetadata:\n  name: node-1\n",
        f"{IMAGE}/timestamp": b"2026-01-01 00:00:00.000000000 +0000 UTC\n",
        f"{IMAGE}/host_service_logs/masters/kubelet_service.log.gz": gzip.compress(b"kubelet started\n", mtime=0),
        "must-gather.local.1/event-filter.html": b"<html>events</html>\n",
        # A second image's tree in the same must-gather; a file that cannot be checked.
        "must-gather.local.1/other-image/namespaces/x/core/secrets/s.yaml": b"data: {k: " + b64.encode() + b"}\n",
        "must-gather.local.1/other-image/namespaces/x/core/broken.yaml": b"data: [" + CANARY.encode() + b"\n",
    }
    for path, data in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    return files


def _read_dir(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _read_archive(path: Path) -> dict[str, bytes]:
    with tarfile.open(path) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]


def _digest(files: dict[str, bytes]) -> str:
    return hashlib.sha256(json.dumps({k: v.hex() for k, v in sorted(files.items())}).encode()).hexdigest()


def _assert_redacted(out: dict[str, bytes], src: dict[str, bytes], *, prefix: str = "", top: str = "") -> None:
    """`out` (under `prefix`) is `src` redacted, with the one top folder `top` of the source dropped."""
    src = {p.removeprefix(top): d for p, d in src.items()}
    image = IMAGE.removeprefix(top)
    broken = "must-gather.local.1/other-image/namespaces/x/core/broken.yaml".removeprefix(top)
    assert set(out) == {prefix + p for p in src if p != broken}  # the unparseable file is refused
    for path, data in out.items():
        for form in _forms(CANARY):
            assert form.encode() not in data, (form, path)
    get = {p[len(prefix) :]: d for p, d in out.items()}
    secrets = yaml.safe_load(get[f"{image}/namespaces/{NS}/core/secrets.yaml"])
    item = secrets["items"][0]
    assert item["metadata"]["name"] == "builder-token-x" and list(item["data"]) == ["token"]
    assert item["metadata"]["annotations"]["kubernetes.io/service-account.name"] == "builder"
    configmap = yaml.safe_load(get[f"{image}/namespaces/{NS}/core/configmaps.yaml"])["items"][0]
    assert configmap["data"]["mode"] == "strict" and configmap["data"]["tls.key"].startswith("<redacted: private key")
    log = get[f"{image}/namespaces/{NS}/pods/etcd-operator-1/etcd/etcd/logs/current.log"]
    assert log.startswith(b"2026-01-01T00:00:00Z started\n<redacted: private key,") and log.endswith(b"ready\n")
    sub = json.loads(get[f"{image}/namespaces/{NS}/operators.coreos.com/subscriptions/etcd.json"])
    assert sub["spec"]["config"]["env"][0]["name"] == "PROXY"
    csv = yaml.safe_load(get[f"{image}/namespaces/{NS}/operators.coreos.com/clusterserviceversions/etcd.v0.9.4.yaml"])
    assert json.loads(csv["metadata"]["annotations"]["alm-examples"])[0]["metadata"]["name"] == "example"
    # Files with nothing to replace are copied byte for byte (the comment stays).
    for path in (f"{image}/namespaces/{NS}/{NS}.yaml", f"{image}/host_service_logs/masters/kubelet_service.log.gz"):
        assert get[path] == src[path]


def test_directory_to_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _tree(tmp_path / "src")
    before = _digest(_read_dir(tmp_path / "src"))
    assert _redact_command.main([str(tmp_path / "src"), "-o", str(tmp_path / "out")]) == 1  # one file refused
    assert _digest(_read_dir(tmp_path / "src")) == before  # the source is never modified
    _assert_redacted(_read_dir(tmp_path / "out"), src)
    printed = capsys.readouterr().out
    for line in ("2  secret value", "1  secret annotation", "3  env value", "2  private key"):
        assert line in printed, printed
    assert "refused (not written, it cannot be checked): must-gather.local.1/other-image/" in printed


def test_archive_to_archive_and_to_directory(tmp_path: Path) -> None:
    src = _tree(tmp_path / "src")
    archive = tmp_path / "case-01234.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "src" / "must-gather.local.1", arcname="must-gather.local.1")
    before = archive.read_bytes()
    # The archive's one top folder is replaced by the output's own (`clean/` in clean.tar.gz).
    assert _redact_command.main([str(archive), "-o", str(tmp_path / "clean.tar.gz")]) == 1
    _assert_redacted(_read_archive(tmp_path / "clean.tar.gz"), src, prefix="clean/", top="must-gather.local.1/")
    assert _redact_command.main([str(archive), "-o", str(tmp_path / "clean")]) == 1
    _assert_redacted(_read_dir(tmp_path / "clean"), src, top="must-gather.local.1/")
    assert archive.read_bytes() == before


@pytest.mark.parametrize("dest", ["out", "out.tar.gz", "src/inside"])
def test_refuses_an_existing_or_nested_destination(tmp_path: Path, dest: str) -> None:
    _tree(tmp_path / "src")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x").write_text("x")
    (tmp_path / "out.tar.gz").write_text("x")
    with pytest.raises(_errors.ConfigError):
        _redact_command.main([str(tmp_path / "src"), "-o", str(tmp_path / dest)])


@pytest.mark.parametrize(
    ("path", "resource"),
    [
        ("namespaces/ns/core/secrets.yaml", ("", "secrets")),
        ("a/b/namespaces/ns/core/secrets/s.yaml", ("", "secrets")),
        (
            "cluster-scoped-resources/rbac.authorization.k8s.io/clusterroles/x.yaml",
            ("rbac.authorization.k8s.io", "clusterroles"),
        ),
        ("x/namespaces/ns/pods/p/p.yaml", ("", "pods")),
        ("namespaces/ns/ns.yaml", ("", "namespaces")),
        ("gather.json", ("", "")),
        ("secrets/s.yaml", ("", "")),
    ],
)
def test_resource_of_a_path(path: str, resource: tuple[str, str]) -> None:
    assert _redact_tree.resource_of(path) == resource


def test_redact_does_not_load_the_kubernetes_client(tmp_path: Path) -> None:
    _tree(tmp_path / "src")
    code = (
        "import sys\nfrom olm_gather import _cli\n"
        f"_cli.main(['redact', {str(tmp_path / 'src')!r}, '-o', {str(tmp_path / 'out')!r}])\n"
        "assert not [m for m in sys.modules if m.startswith('kubernetes')], 'kubernetes was imported'\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "out" / IMAGE / "timestamp").is_file()


def test_unchanged_yaml_is_copied_and_multi_document_files_are_redacted(tmp_path: Path) -> None:
    src = tmp_path / "src" / "namespaces" / "ns" / "core"
    src.mkdir(parents=True)
    (src / "two.yaml").write_bytes(b"kind: Secret\ndata: {k: v}\n---\nkind: ConfigMap\ndata: {k: v}\n")
    (src / "list.json").write_bytes(json.dumps([{"kind": "Secret", "data": {"k": CANARY}}]).encode())
    _redact_command.main([str(tmp_path / "src"), "-o", str(tmp_path / "out")])
    out = tmp_path / "out" / "namespaces" / "ns" / "core"
    docs = list(yaml.safe_load_all((out / "two.yaml").read_bytes()))
    assert docs == [{"kind": "Secret", "data": {"k": "<redacted: 1 bytes>"}}, {"kind": "ConfigMap", "data": {"k": "v"}}]
    assert CANARY not in (out / "list.json").read_text()
