"""The index of a gathered tree that the server answers from: resources (what discovery lists), their objects,
and the container logs, read once at start through `_analyze._tree` and `_layout.parse`.

Per-object files and list files (`<group>/<plural>.yaml`, as `oc adm inspect` writes them) may both hold an
object; the per-object file wins, as in `analyze`. Objects are served exactly as gathered (already redacted).
It never writes and never reads outside the tree.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime
import os
import re
from typing import Any

import yaml

from olm_gather import _layout
from olm_gather._analyze import _tree
from olm_gather._serve import _builtin

Obj = dict[str, Any]


class _Loader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):  # type: ignore[misc]
    """YAML without timestamp resolution: `creationTimestamp` stays the string the API server sent."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(data: bytes) -> object:
    return yaml.load(data, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass


@dataclasses.dataclass(frozen=True)
class PrinterColumn:
    """One of a CRD version's additionalPrinterColumns."""

    name: str
    type: str
    json_path: str
    format: str = ""
    description: str = ""
    priority: int = 0


@dataclasses.dataclass(frozen=True)
class Resource:
    """One resource as discovery describes it."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    singular: str
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    columns: tuple[PrinterColumn, ...] | None = None
    """A CRD's printer columns (empty: the CRD has none, so Age); None for a built-in kind."""

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"


@dataclasses.dataclass(frozen=True)
class Log:
    path: str
    namespace: str
    pod: str
    container: str
    previous: bool


class Index:
    """Everything the server answers, read from one tree."""

    def __init__(self, tree: _tree.Tree) -> None:
        self.tree = tree
        self.unreadable: list[str] = list(tree.skipped)
        # (group, plural) -> (namespace, name) -> (priority, object); per-object files have priority 0.
        found: dict[tuple[str, str], dict[tuple[str, str], tuple[int, Obj]]] = collections.defaultdict(dict)
        list_kinds: dict[tuple[str, str], str] = {}
        self.logs: dict[tuple[str, str, str, bool], Log] = {}
        for path in tree.paths():
            parsed = _layout.parse(path)
            if parsed is None:
                continue
            if parsed.kind == "log":
                key = (parsed.namespace, parsed.name, parsed.container, parsed.previous)
                self.logs[key] = Log(path, parsed.namespace, parsed.name, parsed.container, parsed.previous)
                continue
            if parsed.kind not in ("object", "pod", "namespace", "list"):
                continue
            group, plural = ("", "namespaces") if parsed.kind == "namespace" else (parsed.group, parsed.plural)
            body = self._load(path)
            if body is None:
                continue
            objects = found[(group, plural)]
            if parsed.kind == "list":
                list_kinds[(group, plural)] = str(body.get("kind", ""))
                for item in body.get("items") or []:
                    if isinstance(item, dict):
                        _put(objects, 1, _with_namespace(item, parsed.namespace))
            else:
                _put(objects, 0, _with_namespace(body, parsed.namespace))
        self.now = _gathered_at(tree) or datetime.datetime.now(datetime.UTC)
        """The time ages are measured from: when the tree was gathered (its `timestamp` file), else now."""
        crds = [obj for _, obj in found.get((_layout.CRD_GROUP, _layout.CRD_PLURAL), {}).values()]
        self.resources = _resources(found, list_kinds, crds)
        """(group, plural) -> Resource, for every resource the tree holds or its CRDs define."""
        self._objects = {
            key: [obj for _, (_, obj) in sorted(objects.items())] for key, objects in found.items() if objects
        }

    def _load(self, path: str) -> Obj | None:
        data = self.tree.read(path)
        if data is None:
            return None
        try:
            body = load_yaml(data)
        except yaml.YAMLError:
            self.unreadable.append(path)
            return None
        if not isinstance(body, dict):
            self.unreadable.append(path)
            return None
        return body

    @property
    def source(self) -> str:
        return self.tree.source

    def resource(self, group: str, version: str, plural: str) -> Resource | None:
        """The resource served at group/version/plural; a built-in kind every cluster serves even when the tree
        holds none of it (an empty list, as the API server would answer)."""
        found = self.resources.get((group, plural))
        if found is None and (group, plural) in _builtin.ALWAYS_SERVED:
            found = _builtin_resource(group, plural, _builtin.BUILTIN[(group, plural)].version)
        if found is None or found.version != version:
            return None
        return found

    def objects(self, resource: Resource, namespace: str | None = None) -> list[Obj]:
        """Objects of a resource sorted by namespace and name; every namespace when namespace is None."""
        every = self._objects.get((resource.group, resource.plural), [])
        if namespace is None:
            return every
        return [o for o in every if _meta(o, "namespace") == namespace]

    def get(self, resource: Resource, namespace: str, name: str) -> Obj | None:
        return next((o for o in self.objects(resource, namespace) if _meta(o, "name") == name), None)

    def log_bytes(self, log: Log) -> bytes:
        """The whole log of a directory tree; an archive's reader keeps only each log's tail."""
        if isinstance(self.tree, _tree.DirTree):
            full = os.path.join(self.tree.source, *(self.tree.prefix + log.path).split("/"))
            try:
                with open(full, "rb") as f:
                    return f.read()
            except OSError:
                pass
        return self.tree.read(log.path) or b""


def _meta(obj: Obj, field: str) -> str:
    meta = obj.get("metadata")
    return str(meta.get(field) or "") if isinstance(meta, dict) else ""


def _with_namespace(obj: Obj, namespace: str) -> Obj:
    """An object of a namespace's folder carries that namespace even if its file left it out."""
    meta = obj.get("metadata")
    if namespace and isinstance(meta, dict) and not meta.get("namespace"):
        return {**obj, "metadata": {**meta, "namespace": namespace}}
    return obj


def _put(objects: dict[tuple[str, str], tuple[int, Obj]], priority: int, obj: Obj) -> None:
    name = _meta(obj, "name")
    if not name:
        return
    key = (_meta(obj, "namespace"), name)
    old = objects.get(key)
    if old is None or priority < old[0]:
        objects[key] = (priority, obj)


_GO_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:\.\d+)? ([+-]\d{4})")


def _gathered_at(tree: _tree.Tree) -> datetime.datetime | None:
    """The last time in the `timestamp` file (Go's time format, as `oc adm inspect` and olm-gather write it)."""
    data = tree.read(_layout.TIMESTAMP) or b""
    for line in reversed(data.decode("utf-8", "replace").splitlines()):
        m = _GO_TIME.match(line.strip())
        if m:
            return datetime.datetime.strptime(f"{m[1]} {m[2]}", "%Y-%m-%d %H:%M:%S %z")
    return None


def _resources(
    found: dict[tuple[str, str], dict[tuple[str, str], tuple[int, Obj]]],
    list_kinds: dict[tuple[str, str], str],
    crds: list[Obj],
) -> dict[tuple[str, str], Resource]:
    out: dict[tuple[str, str], Resource] = {}
    for crd in crds:
        resource = _crd_resource(crd, found.get((_group(crd), _plural(crd)), {}))
        if resource is not None:
            out[(resource.group, resource.plural)] = resource
    for (group, plural), objects in found.items():
        if (group, plural) in out:
            continue
        versions = collections.Counter(_version(obj) for _, obj in objects.values())
        kinds = collections.Counter(str(obj.get("kind") or "") for _, obj in objects.values())
        builtin = _builtin.BUILTIN.get((group, plural))
        version = versions.most_common(1)[0][0] if versions else (builtin.version if builtin else "")
        if builtin is not None:
            out[(group, plural)] = _builtin_resource(group, plural, version or builtin.version)
            continue
        kind = kinds.most_common(1)[0][0] if kinds else list_kinds.get((group, plural), "").removesuffix("List")
        if not version or not kind:
            continue
        namespaced = any(ns for ns, _ in objects)
        out[(group, plural)] = Resource(group, version, plural, kind, namespaced, kind.lower())
    return out


def _builtin_resource(group: str, plural: str, version: str) -> Resource:
    b = _builtin.BUILTIN[(group, plural)]
    return Resource(group, version, plural, b.kind, b.namespaced, b.kind.lower(), b.short_names, b.categories)


def _version(obj: Obj) -> str:
    return str(obj.get("apiVersion") or "").rpartition("/")[2]


def _group(crd: Obj) -> str:
    return str((crd.get("spec") or {}).get("group") or "")


def _plural(crd: Obj) -> str:
    return str(((crd.get("spec") or {}).get("names") or {}).get("plural") or "")


def _crd_resource(crd: Obj, objects: dict[tuple[str, str], tuple[int, Obj]]) -> Resource | None:
    """The resource a CRD defines, at the version the tree's objects have (else the CRD's storage version)."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    versions = [v for v in spec.get("versions") or [] if isinstance(v, dict) and v.get("served", True)]
    if not (spec.get("group") and names.get("plural") and names.get("kind") and versions):
        return None
    held = collections.Counter(_version(obj) for _, obj in objects.values())
    by_name = {str(v.get("name")): v for v in versions}
    chosen = next((by_name[v] for v, _ in held.most_common() if v in by_name), None)
    chosen = chosen or next((v for v in versions if v.get("storage")), versions[0])
    columns = tuple(
        PrinterColumn(
            name=str(c.get("name", "")),
            type=str(c.get("type", "string")),
            json_path=str(c.get("jsonPath", "")),
            format=str(c.get("format", "")),
            description=str(c.get("description", "")),
            priority=int(c.get("priority", 0)),
        )
        for c in chosen.get("additionalPrinterColumns") or []
        if isinstance(c, dict)
    )
    return Resource(
        group=str(spec["group"]),
        version=str(chosen.get("name")),
        plural=str(names["plural"]),
        kind=str(names["kind"]),
        namespaced=spec.get("scope", "Namespaced") == "Namespaced",
        singular=str(names.get("singular") or str(names["kind"]).lower()),
        short_names=tuple(str(n) for n in names.get("shortNames") or []),
        categories=tuple(str(c) for c in names.get("categories") or []),
        columns=columns,
    )
