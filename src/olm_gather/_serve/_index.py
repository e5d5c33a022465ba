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
from collections.abc import Callable
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


@dataclasses.dataclass(frozen=True)
class _File:
    path: str
    namespace: str
    is_list: bool


class Index:
    """Everything the server answers, read from one tree. Paths are listed at start and the CRDs read (discovery
    needs them); the objects of a resource are read on its first request, so a large tree starts at once."""

    def __init__(self, tree: _tree.Tree, *, warn: Callable[[str], None] = lambda message: None) -> None:
        self.tree = tree
        self._warn = warn
        """Told of each file left out (too large, not YAML), when it is met."""
        for path in tree.skipped:
            warn(f"{path}: larger than {_tree.MAX_FILE_BYTES} bytes, left out")
        self._files: dict[tuple[str, str], list[_File]] = collections.defaultdict(list)
        self._loaded: dict[tuple[str, str], list[Obj]] = {}
        self.logs: dict[tuple[str, str, str, bool], Log] = {}
        for path in tree.paths():
            parsed = _layout.parse(path)
            if parsed is None:
                continue
            if parsed.kind == "log":
                key = (parsed.namespace, parsed.name, parsed.container, parsed.previous)
                self.logs[key] = Log(path, parsed.namespace, parsed.name, parsed.container, parsed.previous)
            elif parsed.kind in ("object", "pod", "namespace", "list"):
                group, plural = ("", "namespaces") if parsed.kind == "namespace" else (parsed.group, parsed.plural)
                self._files[(group, plural)].append(_File(path, parsed.namespace, parsed.kind == "list"))
        self.now = _gathered_at(tree) or datetime.datetime.now(datetime.UTC)
        """The time ages are measured from: when the tree was gathered (its `timestamp` file), else now."""
        self.resources = self._resources()
        """(group, plural) -> Resource, for every resource the tree holds or its CRDs define."""

    def _resources(self) -> dict[tuple[str, str], Resource]:
        out: dict[tuple[str, str], Resource] = {}
        for crd in self._load_all((_layout.CRD_GROUP, _layout.CRD_PLURAL)):
            key = (_group(crd), _plural(crd))
            resource = _crd_resource(crd, self._first(key) if key in self._files else None)
            if resource is not None:
                out[(resource.group, resource.plural)] = resource
        for (group, plural), files in self._files.items():
            if (group, plural) in out:
                continue
            builtin = _builtin.BUILTIN.get((group, plural))
            if builtin is not None:
                out[(group, plural)] = _builtin_resource(group, plural, builtin.version)
                continue
            # A kind neither Kubernetes' table nor a CRD knows: its files say what it is.
            first = self._first((group, plural))
            kind = str((first or {}).get("kind") or "")
            if first is not None and _version(first) and kind:
                namespaced = any(f.namespace for f in files)
                out[(group, plural)] = Resource(group, _version(first), plural, kind, namespaced, kind.lower())
        return out

    def _first(self, key: tuple[str, str]) -> Obj | None:
        """The first object of a resource, from its first readable file."""
        for f in self._files[key]:
            body = self._load(f.path)
            if body is None:
                continue
            if not f.is_list:
                return body
            items = [i for i in body.get("items") or [] if isinstance(i, dict)]
            if items:
                return items[0]
        return None

    def _load_all(self, key: tuple[str, str]) -> list[Obj]:
        """Every object of a resource sorted by namespace and name; a per-object file wins over a list item."""
        if key not in self._loaded:
            found: dict[tuple[str, str], tuple[int, Obj]] = {}
            for f in self._files.get(key, []):
                body = self._load(f.path)
                if body is None:
                    continue
                if f.is_list:
                    for item in body.get("items") or []:
                        if isinstance(item, dict):
                            _put(found, 1, _with_namespace(item, f.namespace))
                else:
                    _put(found, 0, _with_namespace(body, f.namespace))
            self._loaded[key] = [obj for _, (_, obj) in sorted(found.items())]
        return self._loaded[key]

    def _load(self, path: str) -> Obj | None:
        data = self.tree.read(path)
        if data is None:
            return None
        try:
            body = load_yaml(data)
        except yaml.YAMLError as err:
            self._warn(f"{path}: not valid YAML, left out ({str(err).splitlines()[0]})")
            return None
        if not isinstance(body, dict):
            self._warn(f"{path}: not a YAML mapping, left out")
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
        every = self._load_all((resource.group, resource.plural))
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


def _builtin_resource(group: str, plural: str, version: str) -> Resource:
    b = _builtin.BUILTIN[(group, plural)]
    return Resource(group, version, plural, b.kind, b.namespaced, b.kind.lower(), b.short_names, b.categories)


def version_priority(version: str) -> tuple[int, int, int, str]:
    """Kubernetes' order of versions, preferred first: GA by number, then beta, then alpha, then the rest."""
    m = re.match(r"^v(\d+)(?:(alpha|beta)(\d+))?$", version)
    if m is None:
        return (3, 0, 0, version)
    return ({None: 0, "beta": 1, "alpha": 2}[m[2]], -int(m[1]), -int(m[3] or 0), version)


def _version(obj: Obj) -> str:
    return str(obj.get("apiVersion") or "").rpartition("/")[2]


def _group(crd: Obj) -> str:
    return str((crd.get("spec") or {}).get("group") or "")


def _plural(crd: Obj) -> str:
    return str(((crd.get("spec") or {}).get("names") or {}).get("plural") or "")


def _crd_resource(crd: Obj, first: Obj | None) -> Resource | None:
    """The resource a CRD defines, at the version the tree's objects have (else the preferred served version)."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    versions = [v for v in spec.get("versions") or [] if isinstance(v, dict) and v.get("served", True)]
    if not (spec.get("group") and names.get("plural") and names.get("kind") and versions):
        return None
    by_name = {str(v.get("name")): v for v in versions}
    held = _version(first) if first is not None else ""
    chosen = by_name.get(held) or by_name[min(by_name, key=version_priority)]
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
