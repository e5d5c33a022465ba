"""Discovery documents: the legacy ones (`/api`, `/apis`, `/apis/<group>`, a group version's APIResourceList) and
the aggregated apidiscovery.k8s.io/v2 APIGroupDiscoveryList that kubectl >= 1.30 asks `/api` and `/apis` for.

Every resource is listed with the verbs `get` and `list` only: the tree is a snapshot.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from olm_gather._serve import _index

Obj = dict[str, Any]
VERBS = ["get", "list"]
AGGREGATED_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


def _by_group(resources: Iterable[_index.Resource]) -> dict[str, dict[str, list[_index.Resource]]]:
    """group -> version -> resources, groups sorted with the legacy group first."""
    out: dict[str, dict[str, list[_index.Resource]]] = {}
    for r in sorted(resources, key=lambda r: (r.group, r.version, r.plural)):
        out.setdefault(r.group, {}).setdefault(r.version, []).append(r)
    return out


def api_versions(resources: Iterable[_index.Resource]) -> Obj:
    versions = sorted(_by_group(resources).get("", {}), key=_index.version_priority) or ["v1"]
    return {
        "kind": "APIVersions",
        "versions": versions,
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": ""}],
    }


def api_group_list(resources: Iterable[_index.Resource]) -> Obj:
    groups = _by_group(resources)
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [_api_group(group, sorted(groups[group], key=_index.version_priority)) for group in groups if group],
    }


def api_group(resources: Iterable[_index.Resource], group: str) -> Obj | None:
    versions = _by_group(resources).get(group)
    if not group or not versions:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_api_group(group, sorted(versions, key=_index.version_priority))}


def _api_group(group: str, versions: list[str]) -> Obj:
    entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"name": group, "versions": entries, "preferredVersion": entries[0]}


def api_resource_list(resources: Iterable[_index.Resource], group: str, version: str) -> Obj | None:
    served = _by_group(resources).get(group, {}).get(version)
    if not served:
        return None
    listed: list[Obj] = []
    for r in served:
        listed.append(
            {
                "name": r.plural,
                "singularName": r.singular,
                "namespaced": r.namespaced,
                "kind": r.kind,
                "verbs": VERBS,
                **({"shortNames": list(r.short_names)} if r.short_names else {}),
                **({"categories": list(r.categories)} if r.categories else {}),
            }
        )
        if (r.group, r.plural) == ("", "pods"):
            listed.append({"name": "pods/log", "singularName": "", "namespaced": True, "kind": "Pod", "verbs": ["get"]})
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": listed,
    }


def aggregated(resources: Iterable[_index.Resource], *, legacy: bool, version: str = "v2") -> Obj:
    """The APIGroupDiscoveryList of `/api` (legacy=True: the core group only) or `/apis` (every other group)."""
    groups = _by_group(resources)
    items = []
    for group, versions in groups.items():
        if (group == "") != legacy:
            continue
        items.append(
            {
                "metadata": {"name": group},
                "versions": [
                    {"version": v, "resources": [_discovered(r) for r in served], "freshness": "Current"}
                    for v, served in sorted(versions.items(), key=lambda kv: _index.version_priority(kv[0]))
                ],
            }
        )
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": f"apidiscovery.k8s.io/{version}",
        "metadata": {},
        "items": items,
    }


def _discovered(r: _index.Resource) -> Obj:
    out: Obj = {
        "resource": r.plural,
        "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
        "scope": "Namespaced" if r.namespaced else "Cluster",
        "singularResource": r.singular,
        "verbs": VERBS,
    }
    if r.short_names:
        out["shortNames"] = list(r.short_names)
    if r.categories:
        out["categories"] = list(r.categories)
    if (r.group, r.plural) == ("", "pods"):
        out["subresources"] = [
            {"subresource": "log", "responseKind": {"group": "", "version": "v1", "kind": "Pod"}, "verbs": ["get"]}
        ]
    return out
