"""File-based catalog (FBC) blobs of the test packages, and writing them into a directory that `opm serve` reads.

Bundles have no `image`: each `olm.bundle` carries its manifests inline as `olm.bundle.object` properties (base64
of the manifest's JSON). opm accepts a bundle without image when it has objects (operator-registry
alpha/model/model.go Bundle.Validate), serves them with an empty `bundlePath` (pkg/api/model_to_api.go), and OLM's
resolver then builds the InstallPlan steps from them directly, with no unpack Job
(operator-lifecycle-manager pkg/controller/registry/resolver/step_resolver.go). Properties are the ones
`opm render` derives from a bundle image (operator-registry pkg/registry/registry_to_model.go): olm.package,
olm.gvk per owned CRD version, olm.gvk.required per required CRD, olm.package.required, sorted by type and value.
"""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path
from typing import Any

from . import manifests
from .model import Crd, Manifest, Package, Version

# opm skips a `.indexignore` file; its presence also marks a directory as ours to overwrite.
MARKER = ".indexignore"
MARKER_TEXT = "# Written by tests/catalog/generate.py (olm-gather test catalog); regenerated, do not edit.\n"
CATALOG_FILE = "catalog.json"


def _property(type_: str, value: dict[str, Any]) -> Manifest:
    return {"type": type_, "value": value}


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def bundle_properties(package: Package, version: Version, objects: list[Manifest]) -> list[Manifest]:
    def gvks(c: Crd) -> list[dict[str, str]]:
        return [{"group": c.group, "kind": c.kind, "version": v} for v in c.versions]

    props = [_property("olm.bundle.object", {"data": base64.b64encode(_compact(o).encode()).decode()}) for o in objects]
    props.append(_property("olm.package", {"packageName": package.name, "version": version.version}))
    props += [_property("olm.gvk", g) for c in package.owned_crds for g in gvks(c)]
    props += [_property("olm.gvk.required", g) for c in package.required_crds for g in gvks(c)]
    props += [
        _property("olm.package.required", {"packageName": name, "versionRange": version_range})
        for name, version_range in package.required_packages
    ]
    return sorted(props, key=lambda p: (p["type"], _compact(p["value"])))


def package_blobs(package: Package) -> list[Manifest]:
    """The olm.package, olm.channel and olm.bundle blobs of one package, in that order."""
    entries: list[Manifest] = []
    bundles: list[Manifest] = []
    replaces: str | None = None
    for version in package.versions:
        name = package.csv_name(version.version)
        entries.append({"name": name, "replaces": replaces} if replaces else {"name": name})
        objects = manifests.bundle(package, version, replaces)
        bundles.append(
            {
                "schema": "olm.bundle",
                "name": name,
                "package": package.name,
                "properties": bundle_properties(package, version, objects),
            }
        )
        replaces = name
    return [
        {
            "schema": "olm.package",
            "name": package.name,
            "defaultChannel": package.channel,
            "description": package.description,
        },
        {"schema": "olm.channel", "package": package.name, "name": package.channel, "entries": entries},
        *bundles,
    ]


def render(package: Package) -> str:
    """One package's catalog file: its blobs as a stream of JSON documents (the layout `opm render` writes)."""
    return "".join(json.dumps(blob, indent=2) + "\n" for blob in package_blobs(package))


def write(outdir: Path, packages: tuple[Package, ...]) -> list[Path]:
    """Write `<outdir>/<package>/catalog.json` for each package; returns the files written.

    opm reads every file under the directory, so the directory must hold nothing else: an existing directory is
    emptied first, but only if it is empty or was written by this function (it has MARKER).
    """
    if outdir.exists():
        children = list(outdir.iterdir())
        if children and not (outdir / MARKER).is_file():
            raise FileExistsError(f"{outdir} is not empty and was not written by generate.py; refusing to clear it")
        for child in children:
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / MARKER).write_text(MARKER_TEXT)
    written = []
    for package in packages:
        path = outdir / package.name / CATALOG_FILE
        path.parent.mkdir()
        path.write_text(render(package))
        written.append(path)
    return written
