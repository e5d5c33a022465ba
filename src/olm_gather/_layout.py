"""Every path of the must-gather tree, defined once.

This module owns the layout that `oc adm inspect` writes and that omg and omc read. The writer, `analyze`
and the tests all build and parse paths through these functions; no other module formats a tree path.
It never touches files.

    version, timestamp, gather.json, report.html
    cluster-scoped-resources/<group>/<plural>/<name>.yaml
    namespaces/<ns>/<ns>.yaml
    namespaces/<ns>/<group>/<plural>/<name>.yaml
    namespaces/<ns>/<group>/<plural>.yaml                 (list files: core/pods.yaml, core/events.yaml)
    namespaces/<ns>/pods/<pod>/<pod>.yaml
    namespaces/<ns>/pods/<pod>/<container>/<container>/logs/{current,previous}.log

`core` stands for the empty (legacy) API group.
"""

from __future__ import annotations

import dataclasses
import re

LAYOUT_VERSION = "1"
"""Version of this tree's layout and of gather.json's schema; bumped on any incompatible change."""

LOG_TAIL_BYTES = 16 * 1024
"""Log files are read as their last bytes only (rules look at the last lines, and logs can be large); the
gatherer keeps the same tail in memory for the analysis that ends a gather, so both read the same bytes."""

VERSION = "version"
TIMESTAMP = "timestamp"
GATHER_JSON = "gather.json"
REPORT_HTML = "report.html"

CLUSTER = "cluster-scoped-resources"
NAMESPACES = "namespaces"
CORE = "core"
CRD_GROUP = "apiextensions.k8s.io"
CRD_PLURAL = "customresourcedefinitions"

# The API server accepts any name that is a valid path segment (RBAC names such as `system:foo@bar` included), so
# refuse exactly what is not one: empty, `.`, `..`, or a `/`, `%` or NUL, which could escape or alter the tree.
_UNSAFE = re.compile(r"[/%\x00]")


class UnsafeNameError(ValueError):
    """A name from the cluster that cannot be a path segment."""


def _segment(value: str) -> str:
    if value in ("", ".", "..") or _UNSAFE.search(value):
        raise UnsafeNameError(f"refusing path segment {value!r}")
    return value


def group_dir(group: str) -> str:
    """The folder name of an API group: `core` for the legacy group."""
    return _segment(group) if group else CORE


def object_path(*, group: str, plural: str, name: str, namespace: str = "") -> str:
    """Where one object goes: per-object files, as `oc adm inspect <kind>/<name>` writes them."""
    base = f"{NAMESPACES}/{_segment(namespace)}" if namespace else CLUSTER
    return f"{base}/{group_dir(group)}/{_segment(plural)}/{_segment(name)}.yaml"


def list_path(*, group: str, plural: str, namespace: str) -> str:
    """A namespace's list file for one resource (a `<Kind>List`), the form omg and omc prefer for core kinds."""
    return f"{NAMESPACES}/{_segment(namespace)}/{group_dir(group)}/{_segment(plural)}.yaml"


def namespace_path(namespace: str) -> str:
    ns = _segment(namespace)
    return f"{NAMESPACES}/{ns}/{ns}.yaml"


def pod_path(*, namespace: str, pod: str) -> str:
    return f"{NAMESPACES}/{_segment(namespace)}/pods/{_segment(pod)}/{_segment(pod)}.yaml"


def pods_list_path(namespace: str) -> str:
    return list_path(group="", plural="pods", namespace=namespace)


def events_path(namespace: str) -> str:
    return list_path(group="", plural="events", namespace=namespace)


def log_path(*, namespace: str, pod: str, container: str, previous: bool = False) -> str:
    """A container's log; the container name appears twice, as `oc adm inspect` writes it."""
    c = _segment(container)
    kind = "previous" if previous else "current"
    return f"{NAMESPACES}/{_segment(namespace)}/pods/{_segment(pod)}/{c}/{c}/logs/{kind}.log"


def crd_path(name: str) -> str:
    return object_path(group=CRD_GROUP, plural=CRD_PLURAL, name=name)


@dataclasses.dataclass(frozen=True)
class ParsedPath:
    """What a tree path holds, read back from the path alone."""

    kind: str  # "object", "list", "namespace", "pod", "log" or "top"
    group: str = ""  # "" for core
    plural: str = ""
    namespace: str = ""
    name: str = ""
    container: str = ""
    previous: bool = False


def parse(path: str) -> ParsedPath | None:
    """Reads a tree path back into what it holds, or None for a path outside the layout."""
    parts = path.strip("/").split("/")
    if len(parts) == 1:
        return ParsedPath(kind="top", name=parts[0])
    if parts[0] == CLUSTER and len(parts) == 4 and parts[3].endswith(".yaml"):
        return ParsedPath(kind="object", group=_group(parts[1]), plural=parts[2], name=parts[3][:-5])
    if parts[0] != NAMESPACES or len(parts) < 3:
        return None
    ns = parts[1]
    if len(parts) == 3 and parts[2] == f"{ns}.yaml":
        return ParsedPath(kind="namespace", namespace=ns, name=ns)
    if parts[2] == "pods" and len(parts) >= 5:
        pod = parts[3]
        if len(parts) == 5 and parts[4] == f"{pod}.yaml":
            return ParsedPath(kind="pod", group="", plural="pods", namespace=ns, name=pod)
        if (
            len(parts) == 8
            and parts[4] == parts[5]
            and parts[6] == "logs"
            and parts[7] in ("current.log", "previous.log")
        ):
            return ParsedPath(
                kind="log", namespace=ns, name=pod, container=parts[4], previous=parts[7] == "previous.log"
            )
        return None
    if len(parts) == 4 and parts[3].endswith(".yaml"):
        return ParsedPath(kind="list", group=_group(parts[2]), plural=parts[3][:-5], namespace=ns)
    if len(parts) == 5 and parts[4].endswith(".yaml"):
        return ParsedPath(kind="object", group=_group(parts[2]), plural=parts[3], namespace=ns, name=parts[4][:-5])
    return None


def _group(folder: str) -> str:
    return "" if folder == CORE else folder
