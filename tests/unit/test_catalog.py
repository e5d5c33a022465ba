"""The test operators' file-based catalog (tests/catalog): what generate.py writes is a catalog OLM can install.

Runs the generator as the local cluster does (a subprocess) and reads the files back without the generator's code.
With the opm binary built (tests/cluster/build.sh), `opm validate` and `opm render` check it too.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from catalog import canaries, fbc, manifests, model, packages

ROOT = Path(__file__).resolve().parents[2]
GENERATE = ROOT / "tests" / "catalog" / "generate.py"

Blob = dict[str, Any]


def _generate(outdir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(GENERATE), str(outdir)], capture_output=True, text=True, check=False, timeout=60
    )


def _read_stream(text: str) -> list[Blob]:
    """The JSON documents of an FBC file or of `opm render -o json` output (a stream of JSON documents)."""
    decoder, pos = json.JSONDecoder(), 0
    out: list[Blob] = []
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos == len(text):
            return out
        blob, pos = decoder.raw_decode(text, pos)
        out.append(blob)


def _read_blobs(outdir: Path) -> list[Blob]:
    blobs = []
    for path in sorted(outdir.rglob("*")):
        if not path.is_file() or path.name == fbc.MARKER:
            continue
        assert path.suffix == ".json", f"unexpected file in the catalog: {path}"
        blobs += _read_stream(path.read_text())
    return blobs


def _objects(bundle: Blob) -> list[Blob]:
    return [
        json.loads(base64.b64decode(p["value"]["data"], validate=True))
        for p in bundle["properties"]
        if p["type"] == "olm.bundle.object"
    ]


def _props(bundle: Blob, type_: str) -> list[Any]:
    return [p["value"] for p in bundle["properties"] if p["type"] == type_]


def _csv(bundle: Blob) -> Blob:
    (csv,) = [o for o in _objects(bundle) if o["kind"] == "ClusterServiceVersion"]
    return csv


@pytest.fixture(scope="module")
def catalog_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("fbc") / "catalog"
    result = _generate(outdir)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    return outdir


@pytest.fixture(scope="module")
def blobs(catalog_dir: Path) -> list[Blob]:
    return _read_blobs(catalog_dir)


@pytest.fixture(scope="module")
def bundles(blobs: list[Blob]) -> dict[str, Blob]:
    found = [b for b in blobs if b["schema"] == "olm.bundle"]
    by_name = {b["name"]: b for b in found}
    assert len(by_name) == len(found), "duplicate bundle names"
    return by_name


def test_one_file_per_package(catalog_dir: Path) -> None:
    files = sorted(str(p.relative_to(catalog_dir)) for p in catalog_dir.rglob("*") if p.is_file())
    expected = sorted([fbc.MARKER, *(f"{p.name}/catalog.json" for p in packages.PACKAGES)])
    assert files == expected


def test_packages_and_default_channels(blobs: list[Blob]) -> None:
    pkgs = [b for b in blobs if b["schema"] == "olm.package"]
    channels = {(b["package"], b["name"]) for b in blobs if b["schema"] == "olm.channel"}
    assert sorted(p["name"] for p in pkgs) == sorted(packages.BY_NAME)
    assert all(p["name"].startswith("ogt-") for p in pkgs)
    for p in pkgs:
        assert (p["name"], p["defaultChannel"]) in channels
    assert {b["schema"] for b in blobs} == {"olm.package", "olm.channel", "olm.bundle"}


def test_bundles_carry_their_manifests_inline(bundles: dict[str, Blob]) -> None:
    for name, bundle in bundles.items():
        assert not bundle.get("image"), f"{name}: a bundle image would make OLM start an unpack Job"
        (pkg,) = _props(bundle, "olm.package")
        assert pkg["packageName"] == bundle["package"]
        objects = _objects(bundle)
        assert objects, name
        for obj in objects:
            assert all((obj["apiVersion"], obj["kind"], obj["metadata"]["name"])), obj
            assert "namespace" not in obj["metadata"], "OLM chooses the namespace"
        kinds = Counter(o["kind"] for o in objects)
        assert kinds["ClusterServiceVersion"] == 1, name
        # Kinds OLM v0 applies as InstallPlan steps (catalog/operator.go ExecutePlan); Secret becomes BundleSecret.
        assert set(kinds) <= {"ClusterServiceVersion", "CustomResourceDefinition", "Service", "ConfigMap", "Secret"}


def test_csvs_are_complete(bundles: dict[str, Blob]) -> None:
    for name, bundle in bundles.items():
        csv = _csv(bundle)
        spec = csv["spec"]
        (pkg,) = _props(bundle, "olm.package")
        assert csv["apiVersion"] == "operators.coreos.com/v1alpha1"
        assert csv["metadata"]["name"] == name
        assert spec["version"] == pkg["version"]
        assert spec["displayName"]
        assert [m["type"] for m in spec["installModes"]] == list(model.INSTALL_MODE_TYPES)
        assert any(m["supported"] for m in spec["installModes"])
        assert spec["install"]["strategy"] == "deployment"
        (deployment,) = spec["install"]["spec"]["deployments"]
        template = deployment["spec"]["template"]
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert selector.items() <= template["metadata"]["labels"].items()
        service_accounts = {
            p["serviceAccountName"]
            for section in ("permissions", "clusterPermissions")
            for p in spec["install"]["spec"].get(section, [])
        }
        # OLM creates the ServiceAccount only when the CSV gives it rules.
        assert service_accounts == {template["spec"]["serviceAccountName"]}, name
        literal_env = [e for c in template["spec"]["containers"] for e in c["env"] if "value" in e]
        assert literal_env, f"{name}: every operator carries a literal env value (a canary)"


def test_owned_and_required_apis_match_properties(bundles: dict[str, Blob]) -> None:
    for name, bundle in bundles.items():
        csv, objects = _csv(bundle), _objects(bundle)
        crds = {o["metadata"]["name"]: o for o in objects if o["kind"] == "CustomResourceDefinition"}
        owned = csv["spec"].get("customresourcedefinitions", {}).get("owned", [])
        required = csv["spec"].get("customresourcedefinitions", {}).get("required", [])
        assert sorted({c["name"] for c in owned}) == sorted(crds), name
        gvks = []
        for desc in owned:
            crd = crds[desc["name"]]["spec"]
            assert desc["name"] == f"{crd['names']['plural']}.{crd['group']}"
            assert desc["kind"] == crd["names"]["kind"]
            assert desc["version"] in [v["name"] for v in crd["versions"]]
            gvks.append({"group": crd["group"], "kind": desc["kind"], "version": desc["version"]})
        assert sorted(_props(bundle, "olm.gvk"), key=str) == sorted(gvks, key=str)
        wanted = [{"group": d["name"].split(".", 1)[1], "kind": d["kind"], "version": d["version"]} for d in required]
        assert sorted(_props(bundle, "olm.gvk.required"), key=str) == sorted(wanted, key=str)


def test_required_packages_and_apis_are_in_the_catalog(bundles: dict[str, Blob]) -> None:
    provided = {json.dumps(g, sort_keys=True) for b in bundles.values() for g in _props(b, "olm.gvk")}
    names = {b["package"] for b in bundles.values()}
    requiring = []
    for name, bundle in bundles.items():
        for req in _props(bundle, "olm.package.required"):
            assert req["packageName"] in names
            assert req["packageName"] != bundle["package"]
            assert req["versionRange"]
            requiring.append(name)
        for gvk in _props(bundle, "olm.gvk.required"):
            assert json.dumps(gvk, sort_keys=True) in provided
    wanted = [packages.NEEDS_LIB, packages.CHAIN_MID, packages.CHAIN_TOP]
    assert sorted(requiring) == sorted(p.csv_name("1.0.0") for p in wanted)


def test_channel_entries_and_replaces_chain(blobs: list[Blob], bundles: dict[str, Blob]) -> None:
    in_channels = set()
    for channel in (b for b in blobs if b["schema"] == "olm.channel"):
        entries = {e["name"]: e for e in channel["entries"]}
        assert len(entries) == len(channel["entries"])
        for entry in entries.values():
            bundle = bundles[entry["name"]]
            assert bundle["package"] == channel["package"]
            assert _csv(bundle)["spec"].get("replaces") == entry.get("replaces")
            if "replaces" in entry:
                assert entry["replaces"] in entries, "replaces must name a bundle of the same channel"
        replaced = {e["replaces"] for e in entries.values() if "replaces" in e}
        (head,) = set(entries) - replaced
        chain = [head]
        while "replaces" in entries[chain[-1]]:
            chain.append(entries[chain[-1]]["replaces"])
            assert len(chain) <= len(entries), "cycle"
        assert sorted(chain) == sorted(entries), "every entry is on the chain from the head"
        in_channels |= set(entries)
    assert in_channels == set(bundles)
    upgrade = next(b for b in blobs if b["schema"] == "olm.channel" and b["package"] == packages.UPGRADE.name)
    assert upgrade["entries"] == [
        {"name": "ogt-upgrade.v1.0.0"},
        {"name": "ogt-upgrade.v2.0.0", "replaces": "ogt-upgrade.v1.0.0"},
    ]


def test_install_modes_per_purpose(bundles: dict[str, Blob]) -> None:
    def supported(package: model.Package) -> set[str]:
        modes = _csv(bundles[package.csv_name(package.head.version)])["spec"]["installModes"]
        return {m["type"] for m in modes if m["supported"]}

    assert supported(packages.GLOBAL) == {model.ALL_NAMESPACES}
    for package in (packages.ALPHA, packages.BETA, packages.UPGRADE):
        assert supported(package) == {model.OWN_NAMESPACE, model.SINGLE_NAMESPACE, model.MULTI_NAMESPACE}


def test_alpha_bundle_has_every_object_kind(bundles: dict[str, Blob]) -> None:
    bundle = bundles[packages.ALPHA.csv_name("1.0.0")]
    kinds = sorted(o["kind"] for o in _objects(bundle))
    assert kinds == ["ClusterServiceVersion", "ConfigMap", "CustomResourceDefinition", "Secret", "Service"]
    install = _csv(bundle)["spec"]["install"]["spec"]
    assert install["permissions"]
    assert install["clusterPermissions"]
    (secret,) = [o for o in _objects(bundle) if o["kind"] == "Secret"]
    assert base64.b64decode(secret["data"]["api-token"]).decode() == canaries.ALPHA_SECRET_DATA
    assert secret["stringData"]["password"] == canaries.ALPHA_SECRET_STRING_DATA


def test_fault_labels_and_deadlines(bundles: dict[str, Blob]) -> None:
    faults = {}
    for name, bundle in bundles.items():
        (deployment,) = _csv(bundle)["spec"]["install"]["spec"]["deployments"]
        fault = deployment["spec"]["template"]["metadata"]["labels"].get(model.FAULT_LABEL)
        deadline = deployment["spec"].get("progressDeadlineSeconds")
        assert (deadline == manifests.FAULT_PROGRESS_DEADLINE_SECONDS) == (fault is not None), name
        if fault:
            faults[bundle["package"]] = fault
    assert faults == {"ogt-never-ready": model.NEVER_READY, "ogt-crashloop": model.CRASHLOOP}


def test_canaries_are_listed_recognisable_and_present(blobs: list[Blob], bundles: dict[str, Blob]) -> None:
    assert len(set(canaries.ALL)) == len(canaries.ALL) >= 10
    assert all(canaries.CANARY_PATTERN.fullmatch(c) for c in canaries.ALL)
    decoded = json.dumps([blobs, [_objects(b) for b in bundles.values()]])
    unlisted = set(canaries.CANARY_PATTERN.findall(decoded)) - set(canaries.ALL)
    assert not unlisted, f"canaries missing from canaries.py: {unlisted}"
    # The Secret's `data` canary is there only base64-encoded, as in the cluster.
    absent = {c for c in canaries.ALL if not any(form in decoded for form in canaries.forms(c))}
    assert absent == {canaries.SUBSCRIPTION_CONFIG_ENV}
    plain, encoded = canaries.forms(canaries.ALPHA_SECRET_DATA)
    assert base64.b64decode(encoded).decode() == plain
    assert len(canaries.all_forms()) == 2 * len(canaries.ALL)


def test_output_is_deterministic_and_regenerates_in_place(catalog_dir: Path, tmp_path: Path) -> None:
    outdir = tmp_path / "again"
    assert _generate(outdir).returncode == 0
    stray = outdir / "ogt-removed-package" / "catalog.json"
    stray.parent.mkdir()
    stray.write_text("{}")
    assert _generate(outdir).returncode == 0, "a directory written by generate.py is regenerated"
    assert not stray.parent.exists()
    for path in catalog_dir.rglob("*"):
        if path.is_file():
            assert (outdir / path.relative_to(catalog_dir)).read_bytes() == path.read_bytes()


def test_refuses_to_clear_a_foreign_directory(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("not a catalog")
    result = _generate(tmp_path)
    assert result.returncode == 1
    assert "refusing" in result.stderr
    assert (tmp_path / "keep.txt").read_text() == "not a catalog"


def test_readme_lists_every_package() -> None:
    readme = (ROOT / "tests" / "catalog" / "README.md").read_text()
    for name in packages.BY_NAME:
        assert f"| `{name}` |" in readme, name


def _find_opm() -> Path | None:
    if os.environ.get("OPM"):
        return Path(os.environ["OPM"])
    cache = Path(
        os.environ.get("OLM_GATHER_CACHE")
        or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "olm-gather"
    )
    found = sorted(cache.glob("cluster/olm-*/bin/opm"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


@pytest.fixture(scope="module")
def opm() -> Path:
    path = _find_opm()
    if path is None or not os.access(path, os.X_OK):
        pytest.skip("opm not built (tests/cluster/build.sh olm); set OPM=/path/to/opm to use another")
    return path


def test_opm_validate(opm: Path, catalog_dir: Path) -> None:
    result = subprocess.run([opm, "validate", catalog_dir], capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stderr


def test_opm_render_keeps_every_bundle_without_image(opm: Path, catalog_dir: Path, bundles: dict[str, Blob]) -> None:
    result = subprocess.run(
        [opm, "render", catalog_dir, "-o", "json"], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    rendered = [b for b in _read_stream(result.stdout) if b["schema"] == "olm.bundle"]
    assert sorted(b["name"] for b in rendered) == sorted(bundles)
    for bundle in rendered:
        assert not bundle.get("image")
        assert len(_objects(bundle)) == len(_objects(bundles[bundle["name"]]))
