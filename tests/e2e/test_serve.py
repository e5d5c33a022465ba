"""`olm-gather serve` against the real kubectl: the real-OLM scenarios are gathered, the tree is served, and
kubectl's output against it is compared with kubectl's output against the live cluster (for the objects the
tree holds), or with the gathered files. The same against an `oc adm inspect`-style archive of list files."""

from __future__ import annotations

import collections
import io
import json
import re
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

import olm_gather
from olm_gather import _layout
from tests.e2e import olm_scenarios

pytestmark = [pytest.mark.e2e, pytest.mark.olm]

BIN = Path(sys.executable).parent
AGES = {"AGE", "LAST SEEN"}  # measured from now on the cluster, from the gather time when served


@pytest.fixture(scope="module")
def kubectl(olm_kubeconfig: str) -> str:
    local = Path(olm_kubeconfig).parent / "bin" / "kubectl"
    found = str(local) if local.exists() else shutil.which("kubectl")
    if not found:
        pytest.skip("no kubectl next to the cluster's kubeconfig or on PATH")
    return found


@pytest.fixture(scope="module")
def gathered(
    scenarios: list[olm_scenarios.Scenario], olm_kubeconfig: str, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    out = tmp_path_factory.mktemp("serve") / "all"
    result = olm_gather.new(kubeconfig=olm_kubeconfig, writer=olm_gather.DirectoryWriter(out)).inspect()
    assert not result.incomplete, result.problems
    return out


class Served:
    def __init__(self, tree: Path, tmp: Path) -> None:
        self.kubeconfig = tmp / "served.kubeconfig"
        self.proc = subprocess.Popen(
            [BIN / "olm-gather", "serve", str(tree), "--write-kubeconfig", str(self.kubeconfig)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline()
        m = re.search(r"at http://([\d.]+):(\d+)$", first.strip())
        assert m, f"serve printed {first!r}; stderr: {self.proc.stderr.read() if self.proc.poll() is not None else ''}"
        self.host, self.port = m[1], int(m[2])
        assert self.proc.stdout.readline().strip() == f"kubeconfig: {self.kubeconfig}"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.communicate(timeout=10)


@pytest.fixture(scope="module")
def served(gathered: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    s = Served(gathered, tmp_path_factory.mktemp("served"))
    yield s
    s.stop()


def run_kubectl(kubectl: str, kubeconfig: str | Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    run = subprocess.run(
        [kubectl, "--kubeconfig", str(kubeconfig), *args], capture_output=True, text=True, timeout=60, check=False
    )
    if ok:
        assert run.returncode == 0, f"kubectl {' '.join(args)}: {run.stderr}"
    return run


def sections(text: str) -> list[list[dict[str, str]]]:
    """kubectl's tables (one per kind, separated by blank lines) as rows of column -> cell, cut at the header's
    column starts so that empty cells stay empty."""
    out: list[list[dict[str, str]]] = []
    for block in text.strip("\n").split("\n\n"):
        header, *rows = block.splitlines()
        columns = [(m.start(), m.group()) for m in re.finditer(r"\S+(?: \S+)*", header)]
        table = []
        for row in rows:
            cells = {}
            for i, (start, name) in enumerate(columns):
                end = columns[i + 1][0] if i + 1 < len(columns) else len(row)
                cells[name] = row[start:end].strip()
            table.append(cells)
        out.append(table)
    return out


def gathered_keys(tree: Path) -> set[tuple[str, str, str]]:
    """(kind in lower case, namespace, name) of every object the tree holds, from gather.json."""
    record = json.loads((tree / _layout.GATHER_JSON).read_text())
    return {(o["kind"].lower(), o["namespace"], o["name"]) for o in record["objects"]}


def unchanged_keys(tree: Path, kubectl: str, kubeconfig: str, kinds: str) -> set[tuple[str, str, str]]:
    """The keys of the tree's objects of these kinds that the cluster still has at the gathered resourceVersion.
    Other tests run meanwhile (namespaces being deleted, OLM resyncing): what changed since the gather cannot be
    compared with the cluster, only with the tree."""
    record = json.loads((tree / _layout.GATHER_JSON).read_text())
    in_tree = {}
    for o in record["objects"]:
        doc = yaml.safe_load((tree / o["path"]).read_text())
        in_tree[(o["kind"].lower(), o["namespace"], o["name"])] = doc["metadata"].get("resourceVersion")
    live = json.loads(run_kubectl(kubectl, kubeconfig, "get", kinds, "-A", "-o", "json").stdout)
    return {
        key
        for item in live["items"]
        if in_tree.get(key := (item["kind"].lower(), item["metadata"].get("namespace", ""), item["metadata"]["name"]))
        == item["metadata"]["resourceVersion"]
    }


def _key(row: dict[str, str], namespace: str = "") -> tuple[str, str, str]:
    kind, _, name = row["NAME"].rpartition("/")
    return (kind.split(".")[0], row.get("NAMESPACE", namespace), name)


def comparable(text: str, keys: set[tuple[str, str, str]], *, kind: str = "", namespace: str = "") -> list[list[tuple]]:
    """The rows of the tree's objects, without the columns that depend on when they are read."""
    out = []
    for table in sections(text):
        rows = []
        for row in table:
            k = _key(row, namespace)
            if (k[0] or kind, k[1], k[2]) in keys:
                cells = {c: v for c, v in row.items() if c not in AGES}
                if "RESTARTS" in cells:  # `4 (3m ago)`: the count, not how long ago
                    cells["RESTARTS"] = cells["RESTARTS"].split()[0]
                rows.append(tuple(sorted(cells.items())))
        if rows:
            out.append(sorted(rows))
    return out


def test_olm_kinds_list_as_on_the_cluster(kubectl: str, olm_kubeconfig: str, gathered: Path, served: Served) -> None:
    args = ("get", "subscriptions,csv,installplans", "-A")
    keys = unchanged_keys(gathered, kubectl, olm_kubeconfig, args[1])
    live = comparable(run_kubectl(kubectl, olm_kubeconfig, *args).stdout, keys)
    answered = run_kubectl(kubectl, served.kubeconfig, *args).stdout
    assert comparable(answered, keys) == live
    assert sum(len(t) for t in live) > 20  # most of what was gathered is still there to compare with
    headers = [list(t[0]) for t in sections(answered)]
    assert ["NAMESPACE", "NAME", "DISPLAY", "VERSION", "REPLACES", "PHASE"] in headers
    tree_rows = {k for k in gathered_keys(gathered) if k[0] in ("subscription", "clusterserviceversion", "installplan")}
    assert sum(len(t) for t in sections(answered)) == len(tree_rows)  # the tree's rows and no others


def test_get_olm_category_as_on_the_cluster(kubectl: str, olm_kubeconfig: str, gathered: Path, served: Served) -> None:
    keys = unchanged_keys(gathered, kubectl, olm_kubeconfig, "olm")
    live = comparable(run_kubectl(kubectl, olm_kubeconfig, "get", "olm", "-A").stdout, keys)
    text = run_kubectl(kubectl, served.kubeconfig, "get", "olm", "-A").stdout
    assert comparable(text, keys) == live
    kinds = {_key(row)[0] for table in sections(text) for row in table}
    assert {"subscription", "clusterserviceversion", "installplan", "operatorgroup", "catalogsource"} <= kinds


def _scenario(scenarios: list[olm_scenarios.Scenario], name: str) -> olm_scenarios.Scenario:
    return next(s for s in scenarios if s.name == name)


def _pods(tree: Path, namespace: str) -> list[str]:
    return sorted(p.name for p in (tree / "namespaces" / namespace / "pods").iterdir())


def test_pods_of_a_namespace_as_on_the_cluster(
    kubectl: str, olm_kubeconfig: str, gathered: Path, served: Served, scenarios: list[olm_scenarios.Scenario]
) -> None:
    keys = gathered_keys(gathered)
    for name in ("crashloop", "never-ready", "alone"):
        ns = _scenario(scenarios, name).namespace
        args = ("get", "pods", "-n", ns, "-o", "wide")
        live = comparable(run_kubectl(kubectl, olm_kubeconfig, *args).stdout, keys, kind="pod", namespace=ns)
        answered = comparable(run_kubectl(kubectl, served.kubeconfig, *args).stdout, keys, kind="pod", namespace=ns)
        assert answered == live, name
        assert len(answered[0]) == len(_pods(gathered, ns))


def test_label_selector(kubectl: str, olm_kubeconfig: str, gathered: Path, served: Served) -> None:
    keys = gathered_keys(gathered)
    args = ("get", "pods", "-A", "-l", "app in (olm-operator,catalog-operator)")
    live = comparable(run_kubectl(kubectl, olm_kubeconfig, *args).stdout, keys, kind="pod")
    answered = run_kubectl(kubectl, served.kubeconfig, *args).stdout
    assert comparable(answered, keys, kind="pod") == live
    assert {row["NAME"].rsplit("-", 2)[0] for row in sections(answered)[0]} == {"olm-operator", "catalog-operator"}


def test_describe_pod_shows_its_events(
    kubectl: str, olm_kubeconfig: str, gathered: Path, served: Served, scenarios: list[olm_scenarios.Scenario]
) -> None:
    ns = _scenario(scenarios, "crashloop").namespace
    pod = _pods(gathered, ns)[0]
    described = run_kubectl(kubectl, served.kubeconfig, "describe", "pod", pod, "-n", ns).stdout
    live = run_kubectl(kubectl, olm_kubeconfig, "describe", "pod", pod, "-n", ns).stdout
    for field in ("Name:", "Namespace:", "Node:", "Status:", "IP:", "Controlled By:"):
        line = next(x for x in live.splitlines() if x.startswith(field))
        assert line in described.splitlines(), field
    _assert_shows_events(described, gathered, ns, pod)


def _assert_shows_events(described: str, gathered: Path, ns: str, pod: str) -> None:
    """The Events section of `kubectl describe pod` lists every gathered event about the pod."""
    events = yaml.safe_load((gathered / _layout.events_path(ns)).read_text())["items"]
    about = [e for e in events if e["involvedObject"].get("name") == pod]
    assert about, f"no gathered event about {pod}"
    section = described.split("\nEvents:\n", 1)[1]
    for event in about:
        assert event["reason"] in section and event["message"].strip() in section


def test_logs_and_previous_logs_as_on_the_cluster(
    kubectl: str, olm_kubeconfig: str, gathered: Path, served: Served, scenarios: list[olm_scenarios.Scenario]
) -> None:
    ns = _scenario(scenarios, "crashloop").namespace
    pod = _pods(gathered, ns)[0]
    for args in (("logs", pod, "-n", ns), ("logs", pod, "-n", ns, "--previous"), ("logs", pod, "-n", ns, "--tail=1")):
        live = run_kubectl(kubectl, olm_kubeconfig, *args).stdout
        assert live.strip()
        assert run_kubectl(kubectl, served.kubeconfig, *args).stdout == live, args
    healthy = _scenario(scenarios, "alone").namespace
    refused = run_kubectl(
        kubectl, served.kubeconfig, "logs", _pods(gathered, healthy)[0], "-n", healthy, "-p", ok=False
    )
    assert refused.returncode != 0 and "previous terminated container" in refused.stderr


def test_get_yaml_is_the_gathered_object(gathered: Path, kubectl: str, served: Served) -> None:
    for path in sorted(gathered.glob("namespaces/*/operators.coreos.com/clusterserviceversions/*.yaml"))[:3]:
        ns, name = path.parts[-4], path.stem
        shown = run_kubectl(
            kubectl, served.kubeconfig, "get", "csv", name, "-n", ns, "-o", "yaml", "--show-managed-fields"
        ).stdout
        assert yaml.safe_load(shown) == yaml.safe_load(path.read_text())


def test_delete_is_refused_and_the_tree_is_unchanged(gathered: Path, kubectl: str, served: Served) -> None:
    path = next(gathered.glob("namespaces/*/operators.coreos.com/subscriptions/*.yaml"))
    before = path.read_bytes()
    run = run_kubectl(kubectl, served.kubeconfig, "delete", "sub", path.stem, "-n", path.parts[-4], ok=False)
    assert run.returncode != 0
    assert "Error from server (MethodNotAllowed)" in run.stderr and "read-only snapshot" in run.stderr
    assert path.read_bytes() == before
    pod = next(gathered.glob("namespaces/*/pods/*/"))
    exec_run = run_kubectl(kubectl, served.kubeconfig, "exec", "-n", pod.parts[-3], pod.name, "--", "sh", ok=False)
    assert exec_run.returncode != 0 and "Forbidden" in exec_run.stderr


def _listening(port: int) -> list[str]:
    """Local addresses (hex, as /proc/net/tcp* write them) of the sockets listening on port."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].split(":")
            if fields[3] == "0A" and int(hex_port, 16) == port:
                found.append(address)
    return found


def test_listens_on_loopback_only(served: Served) -> None:
    assert served.host == "127.0.0.1"
    assert _listening(served.port) == ["0100007F"]  # 127.0.0.1, and no wildcard or other address


def _inspect_style(tree: Path, archive: Path) -> None:
    """The tree as `oc adm inspect` lays it out: a namespace's objects in list files
    (`namespaces/<ns>/<group>/<plural>.yaml`, `kind: List`), no gather.json, in a .tar.gz with a top folder."""
    lists: dict[str, list[dict]] = collections.defaultdict(list)
    files: dict[str, bytes] = {}
    for path in sorted(p for p in tree.rglob("*") if p.is_file()):
        rel = str(path.relative_to(tree))
        parsed = _layout.parse(rel)
        if rel == _layout.GATHER_JSON or rel == _layout.REPORT_HTML:
            continue
        if parsed is not None and parsed.kind == "object" and parsed.namespace:
            target = _layout.list_path(group=parsed.group, plural=parsed.plural, namespace=parsed.namespace)
            lists[target].append(yaml.safe_load(path.read_text()))
        else:
            files[rel] = path.read_bytes()
    for target, items in lists.items():
        files[target] = yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}).encode()
    with tarfile.open(archive, "w:gz") as tar:
        for rel, data in sorted(files.items()):
            info = tarfile.TarInfo(f"inspect.local.1/{rel}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_an_inspect_style_archive_answers_the_same(
    kubectl: str,
    gathered: Path,
    served: Served,
    scenarios: list[olm_scenarios.Scenario],
    tmp_path: Path,
) -> None:
    archive = tmp_path / "inspect.tar.gz"
    _inspect_style(gathered, archive)
    with tarfile.open(archive) as tar:
        assert not [m.name for m in tar if "/operators.coreos.com/subscriptions/" in m.name]
    other = Served(archive, tmp_path)
    try:
        ns = _scenario(scenarios, "crashloop").namespace
        pod = _pods(gathered, ns)[0]
        for args in (
            ("get", "subscriptions,csv,installplans", "-A"),
            ("get", "olm", "-A"),
            ("get", "pods", "-n", ns),
            ("get", "csv", "-A", "-l", f"operators.coreos.com/ogt-crashloop.{ns}"),
            ("logs", pod, "-n", ns, "--previous"),
        ):
            expected = run_kubectl(kubectl, served.kubeconfig, *args).stdout
            assert expected.strip()
            assert run_kubectl(kubectl, other.kubeconfig, *args).stdout == expected, args
        _assert_shows_events(
            run_kubectl(kubectl, other.kubeconfig, "describe", "pod", pod, "-n", ns).stdout, gathered, ns, pod
        )
    finally:
        other.stop()
