"""Which resources the server serves: kind to plural, scope and URL. Aggregated discovery (one request each for
/api and /apis) when the server offers it, the per-group-version documents otherwise, fetched lazily."""

from __future__ import annotations

import dataclasses
import functools
import threading
from collections.abc import Callable
from typing import Any

from olm_gather import _errors
from olm_gather._kube import _client

_AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"


@dataclasses.dataclass(frozen=True)
class Resource:
    """One served resource: `group` is "" for the core group."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, *, namespace: str = "", name: str = "") -> str:
        """The URL path of the collection (no name) or of one object."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        return f"{base}/{name}" if name else base


class Discovery:
    """Looks up resources by group and kind (or plural), preferring the asked version, else the group's
    preferred one."""

    def __init__(self, kube: _client.Kube) -> None:
        self._kube = kube
        self._lock = threading.Lock()
        self._loaded = False
        # group -> versions in preference order; (group, version) -> resources, None until fetched (legacy mode)
        self._versions: dict[str, list[str]] = {}
        self._resources: dict[tuple[str, str], list[Resource] | None] = {}

    def find(self, *, group: str, kind: str = "", plural: str = "", version: str = "") -> Resource | None:
        """The resource of a kind or plural in a group, or None if the server does not serve it."""
        self._load()
        versions = self._versions.get(group, [])
        ordered = ([version] if version in versions else []) + [v for v in versions if v != version]
        for v in ordered:
            for r in self._group_version(group, v):
                if (kind and r.kind == kind) or (plural and r.plural == plural):
                    return r
        return None

    def serves_group(self, group: str) -> bool:
        self._load()
        return group in self._versions

    def load(self, *alongside: Callable[[], Any]) -> list[Any]:
        """Reads discovery (/api and /apis at once) unless it was, with `alongside` calls run at the same time (a
        request that does not need discovery, to save a round trip); returns their results or exceptions."""
        with self._lock:
            if self._loaded:
                return self._kube.together(*alongside)
            roots = ("/api", "/apis")
            calls = [functools.partial(self._kube.get, r, accept=_AGGREGATED) for r in roots]
            results = self._kube.together(*calls, *alongside)
            docs = results[: len(roots)]
            for root, doc in zip(roots, docs, strict=True):
                if isinstance(doc, BaseException):
                    raise doc
                if doc.get("kind") == "APIGroupDiscoveryList":
                    self._read_aggregated(doc)
                elif root == "/api":
                    self._versions[""] = list(doc.get("versions", ["v1"]))
                    for v in self._versions[""]:
                        self._resources[("", v)] = None
                else:
                    for g in doc.get("groups", []):
                        preferred = g.get("preferredVersion", {}).get("version", "")
                        versions = [x["version"] for x in g.get("versions", [])]
                        versions.sort(key=lambda v: v != preferred)
                        self._versions[g["name"]] = versions
                        for v in versions:
                            self._resources[(g["name"], v)] = None
            self._loaded = True
            return results[len(roots) :]

    def _load(self) -> None:
        if not self._loaded:
            self.load()

    def _read_aggregated(self, doc: dict[str, Any]) -> None:
        for g in doc.get("items", []):
            group = g.get("metadata", {}).get("name", "")
            versions = []
            for v in g.get("versions", []):
                version = v["version"]
                versions.append(version)
                self._resources[(group, version)] = [
                    Resource(
                        group=group,
                        version=version,
                        kind=r.get("responseKind", {}).get("kind", ""),
                        plural=r["resource"],
                        namespaced=r.get("scope") == "Namespaced",
                    )
                    for r in v.get("resources", [])
                ]
            # Aggregated discovery lists versions in preference order already.
            self._versions[group] = versions

    def _group_version(self, group: str, version: str) -> list[Resource]:
        with self._lock:
            cached = self._resources.get((group, version))
        if cached is not None:
            return cached
        path = f"/apis/{group}/{version}" if group else f"/api/{version}"
        try:
            doc = self._kube.get(path)
        except (_errors.NotFoundError, _errors.ServerError):
            # An aggregated API whose backend is down (a 503) must not stop the gather of everything else.
            doc = {}
        found = [
            Resource(group=group, version=version, kind=r["kind"], plural=r["name"], namespaced=bool(r["namespaced"]))
            for r in doc.get("resources", [])
            if "/" not in r["name"]  # subresources such as pods/log
        ]
        with self._lock:
            self._resources[(group, version)] = found
        return found
