"""The Kubernetes objects of a tree, indexed by API group, resource, namespace and name.

Reads per-object files (`namespaces/<ns>/<group>/<plural>/<name>.yaml`, pods at
`namespaces/<ns>/pods/<pod>/<pod>.yaml`) and list files (`namespaces/<ns>/<group>/<plural>.yaml` with
`items:`), since other tools write either form; when both hold an object, the per-object file wins, as the
more precise evidence. Every path is read back through `_layout.parse`. It only parses the kinds analysis
uses and never interprets them: that is the rules' job.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import functools
from typing import Any, cast

import orjson
import yaml

from olm_gather import _layout
from olm_gather._analyze import _doc, _tree

OLM = "operators.coreos.com"
APPS = "apps"
CORE = ""
EVENTS_GROUP = "events.k8s.io"

# (group, plural) of every resource a rule or the report reads.
WANTED: frozenset[tuple[str, str]] = frozenset(
    {
        (OLM, "subscriptions"),
        (OLM, "installplans"),
        (OLM, "clusterserviceversions"),
        (OLM, "operatorgroups"),
        (OLM, "catalogsources"),
        (APPS, "deployments"),
        (APPS, "replicasets"),
        (CORE, "pods"),
        (CORE, "events"),
        (CORE, "namespaces"),
        (EVENTS_GROUP, "events"),
        ("batch", "jobs"),
    }
)

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(data: bytes) -> object:
    """One YAML document with libyaml's safe loader (no tags, no objects); JSON (which is YAML too, and what the
    analysis copy of a gather holds) with orjson, many times faster."""
    if data[:1] == b"{":
        with contextlib.suppress(orjson.JSONDecodeError):
            return orjson.loads(data)
    return yaml.load(data, Loader=_Loader)  # noqa: S506 - CSafeLoader is the safe loader


@dataclasses.dataclass(frozen=True)
class Obj:
    """One object and where it lives: a file, and for list files the item holding it."""

    group: str
    plural: str
    path: str
    item: str  # "" for a per-object file; the object's name inside a list file
    body: _doc.Doc

    @property
    def name(self) -> str:
        return _doc.text(_doc.dig(self.body, "metadata", "name"))

    @property
    def namespace(self) -> str:
        return _doc.text(_doc.dig(self.body, "metadata", "namespace"))

    @property
    def uid(self) -> str:
        return _doc.text(_doc.dig(self.body, "metadata", "uid"))

    @property
    def labels(self) -> _doc.Doc:
        return _doc.mapping(_doc.dig(self.body, "metadata", "labels"))

    @property
    def annotations(self) -> _doc.Doc:
        return _doc.mapping(_doc.dig(self.body, "metadata", "annotations"))

    @property
    def owner_references(self) -> list[_doc.Doc]:
        return _doc.items(_doc.dig(self.body, "metadata", "ownerReferences"))

    def get(self, *keys: str) -> object:
        return _doc.dig(self.body, *keys)

    def field(self, field: str) -> str:
        """The evidence field for `field` of this object: prefixed with `items[<name>].` in a list file."""
        return f"items[{self.item}].{field}" if self.item else field

    def owned_by(self, *, kind: str, name: str = "", uid: str = "") -> bool:
        for ref in self.owner_references:
            if ref.get("kind") != kind:
                continue
            if uid and ref.get("uid") == uid:
                return True
            if name and ref.get("name") == name:
                return True
        return False


class Index:
    """All wanted objects of a tree, plus the files that could not be parsed. `Index.of` builds it once per tree
    (the analysis and the report of one gather read the same one)."""

    @classmethod
    def of(cls, tree: _tree.Tree) -> Index:
        if "index" not in tree.derived:
            tree.derived["index"] = cls(tree)
        return cast(Index, tree.derived["index"])

    def __init__(self, tree: _tree.Tree) -> None:
        self.tree = tree
        self.unreadable: list[tuple[str, str]] = [(p, "larger than the size limit") for p in tree.skipped]
        # key (group, plural, namespace, name) -> (priority, Obj); per-object files have priority 0.
        self._objects: dict[tuple[str, str, str, str], tuple[int, Obj]] = {}
        for path in tree.paths():
            parsed = _layout.parse(path)
            if parsed is None or not path.endswith(".yaml"):
                continue
            group, plural = parsed.group, parsed.plural
            if parsed.kind == "namespace":
                group, plural = CORE, "namespaces"
            if (group, plural) not in WANTED:
                continue
            self._add_file(path, group, plural, parsed.namespace)

    def _add_file(self, path: str, group: str, plural: str, namespace: str) -> None:
        data = self.tree.read(path)
        if data is None:
            self.unreadable.append((path, "larger than the size limit"))
            return
        try:
            body = load_yaml(data)
        except yaml.YAMLError as err:
            self.unreadable.append((path, _doc.shorten(f"not valid YAML: {err}", 200)))
            return
        if not isinstance(body, dict):
            if body is not None:
                self.unreadable.append((path, "not a YAML mapping"))
            return
        if "items" in body and not _doc.dig(body, "metadata", "name"):
            for item in _doc.items(body.get("items")):
                name = _doc.text(_doc.dig(item, "metadata", "name"))
                if name:
                    self._put(1, Obj(group, plural, path, name, _with_namespace(item, namespace)))
            return
        obj = Obj(group, plural, path, "", _with_namespace(body, namespace))
        if obj.name:
            self._put(0, obj)

    def _put(self, priority: int, obj: Obj) -> None:
        key = (obj.group, obj.plural, obj.namespace, obj.name)
        old = self._objects.get(key)
        if old is None or priority < old[0]:
            self._objects[key] = (priority, obj)

    def get(self, group: str, plural: str, namespace: str, name: str) -> Obj | None:
        found = self._objects.get((group, plural, namespace, name))
        return found[1] if found else None

    def all(self, group: str, plural: str, namespace: str | None = None) -> list[Obj]:
        """Objects of one resource, sorted by namespace and name; all namespaces when namespace is None."""
        out = [
            obj
            for (g, p, ns, _), (_, obj) in self._objects.items()
            if g == group and p == plural and (namespace is None or ns == namespace)
        ]
        return sorted(out, key=lambda o: (o.namespace, o.name))

    @functools.cached_property
    def _events(self) -> list[Obj]:
        return sorted(self.all(CORE, "events") + self.all(EVENTS_GROUP, "events"), key=event_sort_key)

    @functools.cached_property
    def _events_by_object(self) -> dict[tuple[str, str], list[Obj]]:
        out: dict[tuple[str, str], list[Obj]] = {}
        for ev in self._events:
            out.setdefault(event_object(ev), []).append(ev)
        return out

    def events(self) -> list[Obj]:
        """Every event of the tree, oldest first."""
        return list(self._events)

    def events_about(self, *, kind: str, name: str, namespace: str | None = None) -> list[Obj]:
        """Events whose involved object is this one, oldest first. Events about a cluster-scoped object such
        as a Namespace live in `default`, so every namespace's events are searched."""
        return [
            ev
            for ev in self._events_by_object.get((kind, name), [])
            if namespace is None or event_object_namespace(ev) in (namespace, "")
        ]

    @functools.cached_property
    def latest_time(self) -> datetime.datetime | None:
        """The latest time written in the tree's events and Subscriptions: a lower bound of when it was gathered
        that needs no gather.json."""
        times = [_doc.time(event_time(ev)) for ev in self._events]
        times += [_doc.time(s.get("status", "lastUpdated")) for s in self.all(OLM, "subscriptions")]
        known = [t for t in times if t is not None]
        return max(known) if known else None

    def with_labels(self, group: str, plural: str, labels: dict[str, str], namespace: str | None = None) -> list[Obj]:
        return [o for o in self.all(group, plural, namespace) if all(o.labels.get(k) == v for k, v in labels.items())]

    def log_tail(
        self, *, namespace: str, pod: str, container: str, previous: bool, lines: int
    ) -> tuple[str, list[str]]:
        """The path and last non-empty lines of a container log, or ("", []) when the tree has none."""
        try:
            path = _layout.log_path(namespace=namespace, pod=pod, container=container, previous=previous)
        except _layout.UnsafeNameError:
            return "", []
        data = self.tree.read(path)
        if data is None:
            return "", []
        text = data.decode("utf-8", errors="replace")
        kept = [_doc.shorten(line, 300) for line in text.splitlines() if line.strip()]
        return path, kept[-lines:]

    def logs_of(self, pod: Obj) -> list[str]:
        """Every log path of a pod's containers (init containers too) that the tree holds."""
        out: list[str] = []
        spec = pod.get("spec")
        names = [
            _doc.text(c.get("name"))
            for key in ("initContainers", "containers")
            for c in _doc.items(_doc.dig(spec, key))
        ]
        for container in names:
            for previous in (False, True):
                try:
                    path = _layout.log_path(
                        namespace=pod.namespace, pod=pod.name, container=container, previous=previous
                    )
                except _layout.UnsafeNameError:
                    continue
                if path in self.tree:
                    out.append(path)
        return out


def _with_namespace(body: _doc.Doc, namespace: str) -> _doc.Doc:
    """Objects from a namespace folder belong to it even if a tool left metadata.namespace out."""
    if not namespace or _doc.dig(body, "metadata", "namespace"):
        return body
    meta = dict(_doc.mapping(body.get("metadata")))
    meta["namespace"] = namespace
    return {**body, "metadata": meta}


def event_object(ev: Obj) -> tuple[str, str]:
    """(kind, name) of what an event is about, for core/v1 and events.k8s.io/v1 events."""
    ref = _doc.mapping(ev.get("involvedObject") or ev.get("regarding"))
    return _doc.text(ref.get("kind")), _doc.text(ref.get("name"))


def event_object_namespace(ev: Obj) -> str:
    ref = _doc.mapping(ev.get("involvedObject") or ev.get("regarding"))
    return _doc.text(ref.get("namespace"))


def event_time(ev: Obj) -> str:
    """The event's last time as RFC 3339 text ("" when it has none)."""
    for keys in (
        ("lastTimestamp",),
        ("deprecatedLastTimestamp",),
        ("series", "lastObservedTime"),
        ("eventTime",),
        ("firstTimestamp",),
        ("deprecatedFirstTimestamp",),
        ("metadata", "creationTimestamp"),
    ):
        when = _doc.time(ev.get(*keys))
        if when is not None:
            return when.strftime("%Y-%m-%dT%H:%M:%SZ")
    return ""


def event_message(ev: Obj) -> str:
    return _doc.text(ev.get("message") or ev.get("note"))


def event_count(ev: Obj) -> int:
    return _doc.integer(ev.get("count") or ev.get("deprecatedCount") or _doc.dig(ev.body, "series", "count"), 1)


def event_sort_key(ev: Obj) -> tuple[str, str, str]:
    return (event_time(ev), ev.namespace, ev.name)
