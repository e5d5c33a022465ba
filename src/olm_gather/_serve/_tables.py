"""Server-side printing: the meta.k8s.io/v1 Table that `kubectl get` asks for (`Accept: ...;as=Table`).

Custom kinds get the API server's columns for CRDs: Name, then the version's additionalPrinterColumns (or Age
when it has none), evaluated by JSONPath. Built-in kinds get the columns of Kubernetes' own printers for the
kinds a gather holds (pods, deployments, events...), every column as the server sends them (kubectl hides those
of priority 1 unless `-o wide`); others Name and Created At, the API server's default. Ages are measured from
the time the tree was gathered, so they read as they did then.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

import orjson

from olm_gather._serve import _index

Obj = dict[str, Any]
Cell = str | int | float | bool | None

_NAME = {"name": "Name", "type": "string", "format": "name", "description": "Name of the object.", "priority": 0}


def table(
    resource: _index.Resource, objects: list[Obj], *, now: datetime.datetime, include_object: str, version: str
) -> Obj:
    columns, row = _printer(resource, now)
    return {
        "kind": "Table",
        "apiVersion": f"meta.k8s.io/{version}",
        "metadata": {"resourceVersion": ""},
        "columnDefinitions": columns,
        "rows": [_row(obj, row(obj), include_object) for obj in objects],
    }


def _row(obj: Obj, cells: list[Cell], include_object: str) -> Obj:
    out: Obj = {"cells": cells}
    if include_object == "Object":
        out["object"] = obj
    elif include_object != "None":
        out["object"] = {
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": obj.get("metadata") or {},
        }
    return out


Printer = tuple[list[Obj], Callable[[Obj], list[Cell]]]


def _printer(resource: _index.Resource, now: datetime.datetime) -> Printer:
    if resource.columns is not None:
        return _crd_printer(resource.columns, now)
    builtin = _BUILTIN.get((resource.group, resource.plural))
    if builtin is not None:
        names, row = builtin
        return [_column(n) for n in names], lambda obj: row(obj, now)
    return (
        [_NAME, _column("Created At:date")],
        lambda obj: [_name(obj), str(_get(obj, "metadata", "creationTimestamp") or "")],
    )


def _column(spec: str) -> Obj:
    """A column from `Name[:type][:1]` (priority 1 columns show with `-o wide` only)."""
    if spec == "Name":
        return dict(_NAME)
    name, *rest = spec.split(":")
    kind = next((r for r in rest if r != "1"), "string")
    priority = 1 if "1" in rest else 0
    return {
        "name": name,
        "type": kind,
        "format": "name" if name == "Name" else "",
        "description": name,
        "priority": priority,
    }


def _crd_printer(columns: tuple[_index.PrinterColumn, ...], now: datetime.datetime) -> Printer:
    if not columns:
        columns = (_index.PrinterColumn("Age", "date", ".metadata.creationTimestamp"),)
    definitions = [_NAME] + [
        {
            "name": c.name,
            "type": c.type,
            "format": c.format,
            "description": c.description or f"Custom resource definition column (in JSONPath format): {c.json_path}",
            "priority": c.priority,
        }
        for c in columns
    ]

    def row(obj: Obj) -> list[Cell]:
        return [_name(obj)] + [_crd_cell(c, obj, now) for c in columns]

    return definitions, row


def _crd_cell(column: _index.PrinterColumn, obj: Obj, now: datetime.datetime) -> Cell:
    """What the API server's CRD table convertor puts in a cell: the first JSONPath result, by column type."""
    results = jsonpath(obj, column.json_path)
    if not results or results[0] is None:
        return None
    value = results[0]
    if column.type == "string":
        return _print(value)
    if column.type == "integer" and isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    if column.type == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if column.type == "boolean" and isinstance(value, bool):
        return value
    if column.type == "date" and isinstance(value, str):
        return _age(value, now) if _time(value) else "<invalid>"
    return None


def _print(value: object) -> str:
    """A JSONPath result as client-go's jsonpath prints it: strings bare, lists and maps as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return str(value)


_STEP = re.compile(
    r"\.([A-Za-z0-9_\-]+)|\['([^']*)'\]|\[(\*|-?\d+)\]|\[\?\(@\.([A-Za-z0-9_.\-]+)\s*==\s*[\"']([^\"']*)[\"']\)\]"
)


def jsonpath(obj: object, path: str) -> list[object]:
    """The results of a printer column's JSONPath: `.a.b`, `['a.b']`, `[0]`, `[*]`, `[?(@.type=="Ready")]`."""
    path = path.strip()
    if path.startswith("{") and path.endswith("}"):
        path = path[1:-1]
    nodes: list[object] = [obj]
    pos = 0
    while pos < len(path):
        m = _STEP.match(path, pos)
        if m is None:
            return []
        pos = m.end()
        field, quoted, index, filter_path, filter_value = m.groups()
        nodes = [n for node in nodes for n in _step(node, field or quoted, index, filter_path, filter_value)]
    return nodes


def _step(node: object, key: str | None, index: str | None, filter_path: str | None, value: str | None) -> list[object]:
    if key is not None:
        return [node[key]] if isinstance(node, dict) and key in node else []
    if not isinstance(node, list):
        return []
    if index == "*":
        return list(node)
    if index is not None:
        i = int(index)
        return [node[i]] if -len(node) <= i < len(node) else []
    keys = (filter_path or "").split(".")
    return [item for item in node if _dig(item, keys) == value]


def _dig(node: object, keys: list[str]) -> object:
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def human_duration(seconds: float) -> str:
    """apimachinery's duration.HumanDuration."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m{s % 60}s" if s % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d{hours % 24}h" if hours % 24 else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y{days}d" if days else f"{hours // 24 // 365}y"
    return f"{hours // 24 // 365}y"


def _time(value: object) -> datetime.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _age(value: object, now: datetime.datetime) -> str:
    """translateTimestampSince: `<unknown>` for no time."""
    t = _time(value)
    return human_duration((now - t).total_seconds()) if t else "<unknown>"


def _get(obj: object, *keys: str) -> Any:
    return _dig(obj, list(keys))


def _name(obj: Obj) -> str:
    return str(_get(obj, "metadata", "name") or "")


def _created(obj: Obj, now: datetime.datetime) -> str:
    return _age(_get(obj, "metadata", "creationTimestamp"), now)


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _containers(template: object) -> tuple[str, str]:
    containers = _list(_get(template, "spec", "containers"))
    return (
        ",".join(str(c.get("name", "")) for c in containers if isinstance(c, dict)),
        ",".join(str(c.get("image", "")) for c in containers if isinstance(c, dict)),
    )


def _label_selector(selector: object) -> str:
    """metav1.FormatLabelSelector: matchLabels as k=v, matchExpressions as `k in (a,b)`; `<none>` when empty."""
    if not isinstance(selector, dict):
        return "<none>"
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for e in _list(selector.get("matchExpressions")):
        op, key, values = e.get("operator", ""), e.get("key", ""), ",".join(e.get("values") or [])
        parts.append(
            {"In": f"{key} in ({values})", "NotIn": f"{key} notin ({values})", "Exists": key}.get(op, f"!{key}")
        )
    return ",".join(parts) or "<none>"


def _pod(obj: Obj, now: datetime.datetime) -> list[Cell]:
    """printPod of Kubernetes 1.34: READY, STATUS (the reason a person reads), RESTARTS with the last one's age."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    init_specs = {c.get("name"): c for c in _list(spec.get("initContainers")) if isinstance(c, dict)}
    sidecars = {n for n, c in init_specs.items() if c.get("restartPolicy") == "Always"}
    total = len(_list(spec.get("containers"))) + len(sidecars)
    ready = restarts = sidecar_restarts = 0
    last_restart: datetime.datetime | None = None
    last_sidecar_restart: datetime.datetime | None = None
    reason = str(status.get("reason") or status.get("phase") or "")
    for c in _list(status.get("conditions")):
        if c.get("type") == "PodScheduled" and c.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"
    initializing = False
    init_statuses = _list(status.get("initContainerStatuses"))
    for i, c in enumerate(init_statuses):
        restarts += _int(c.get("restartCount"))
        finished = _time(_get(c, "lastState", "terminated", "finishedAt"))
        last_restart = _later(last_restart, finished)
        if c.get("name") in sidecars:
            sidecar_restarts += _int(c.get("restartCount"))
            last_sidecar_restart = _later(last_sidecar_restart, finished)
        terminated = _get(c, "state", "terminated")
        waiting = _get(c, "state", "waiting")
        if isinstance(terminated, dict) and _int(terminated.get("exitCode")) == 0:
            continue
        if c.get("name") in sidecars and c.get("started"):
            ready += 1 if c.get("ready") else 0
            continue
        if isinstance(terminated, dict):
            reason = "Init:" + _exit_reason(terminated)
        elif isinstance(waiting, dict) and waiting.get("reason") and waiting.get("reason") != "PodInitializing":
            reason = f"Init:{waiting['reason']}"
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break
    initialized = any(
        c.get("type") == "Initialized" and c.get("status") == "True" for c in _list(status.get("conditions"))
    )
    if not initializing or initialized:
        restarts, last_restart = sidecar_restarts, last_sidecar_restart
        running = False
        for c in reversed(_list(status.get("containerStatuses"))):
            restarts += _int(c.get("restartCount"))
            last_restart = _later(last_restart, _time(_get(c, "lastState", "terminated", "finishedAt")))
            waiting, terminated = _get(c, "state", "waiting"), _get(c, "state", "terminated")
            if isinstance(waiting, dict) and waiting.get("reason"):
                reason = str(waiting["reason"])
            elif isinstance(terminated, dict):
                reason = _exit_reason(terminated)
            elif c.get("ready") and isinstance(_get(c, "state", "running"), dict):
                running = True
                ready += 1
        if reason == "Completed" and running:
            pod_ready = any(
                c.get("type") == "Ready" and c.get("status") == "True" for c in _list(status.get("conditions"))
            )
            reason = "Running" if pod_ready else "NotReady"
    deleted = _get(obj, "metadata", "deletionTimestamp")
    if deleted and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif deleted and status.get("phase") not in ("Succeeded", "Failed"):
        reason = "Terminating"
    restart_text = str(restarts)
    if restarts and last_restart is not None:
        restart_text = f"{restarts} ({human_duration((now - last_restart).total_seconds())} ago)"
    ips = _list(status.get("podIPs"))
    gates = _list(spec.get("readinessGates"))
    true_gates = sum(
        1
        for g in gates
        for c in _list(status.get("conditions"))
        if c.get("type") == g.get("conditionType") and c.get("status") == "True"
    )
    return [
        _name(obj),
        f"{ready}/{total}",
        reason,
        restart_text,
        _created(obj, now),
        str(ips[0].get("ip")) if ips and isinstance(ips[0], dict) and ips[0].get("ip") else "<none>",
        str(spec.get("nodeName") or "<none>"),
        str(status.get("nominatedNodeName") or "<none>"),
        f"{true_gates}/{len(gates)}" if gates else "<none>",
    ]


def _exit_reason(terminated: dict[str, Any]) -> str:
    if terminated.get("reason"):
        return str(terminated["reason"])
    if _int(terminated.get("signal")):
        return f"Signal:{terminated['signal']}"
    return f"ExitCode:{_int(terminated.get('exitCode'))}"


def _later(a: datetime.datetime | None, b: datetime.datetime | None) -> datetime.datetime | None:
    if a is None or (b is not None and b > a):
        return b
    return a


def _deployment(obj: Obj, now: datetime.datetime) -> list[Cell]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _containers(spec.get("template"))
    return [
        _name(obj),
        f"{_int(status.get('readyReplicas'))}/{_int(spec.get('replicas'))}",
        _int(status.get("updatedReplicas")),
        _int(status.get("availableReplicas")),
        _created(obj, now),
        names,
        images,
        _label_selector(spec.get("selector")),
    ]


def _replica_set(obj: Obj, now: datetime.datetime) -> list[Cell]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _containers(spec.get("template"))
    return [
        _name(obj),
        _int(spec.get("replicas")),
        _int(status.get("replicas")),
        _int(status.get("readyReplicas")),
        _created(obj, now),
        names,
        images,
        _label_selector(spec.get("selector")),
    ]


def _job(obj: Obj, now: datetime.datetime) -> list[Cell]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    succeeded = _int(status.get("succeeded"))
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{_int(spec.get('completions'))}"
    elif _int(spec.get("parallelism")) > 1:
        completions = f"{succeeded}/1 of {_int(spec.get('parallelism'))}"
    else:
        completions = f"{succeeded}/1"
    start, end = _time(status.get("startTime")), _time(status.get("completionTime"))
    took = "" if start is None else human_duration(((end or now) - start).total_seconds())
    conditions = {c.get("type") for c in _list(status.get("conditions")) if c.get("status") == "True"}
    if "Complete" in conditions:
        state = "Complete"
    elif "Failed" in conditions:
        state = "Failed"
    elif _get(obj, "metadata", "deletionTimestamp"):
        state = "Terminating"
    else:
        state = next((s for s in ("Suspended", "FailureTarget", "SuccessCriteriaMet") if s in conditions), "Running")
    names, images = _containers(spec.get("template"))
    return [
        _name(obj),
        state,
        completions,
        took,
        _created(obj, now),
        names,
        images,
        _label_selector(spec.get("selector")),
    ]


def _event(obj: Obj, now: datetime.datetime) -> list[Cell]:
    first = _age(obj.get("firstTimestamp"), now) if obj.get("firstTimestamp") else _age(obj.get("eventTime"), now)
    last = _age(obj.get("lastTimestamp"), now) if obj.get("lastTimestamp") else first
    count = _int(obj.get("count"))
    series = obj.get("series")
    if isinstance(series, dict):
        last, count = _age(series.get("lastObservedTime"), now), _int(series.get("count"))
    elif count == 0:
        count = 1
    involved = obj.get("involvedObject") or {}
    kind = str(involved.get("kind") or "").lower()
    target = f"{kind}/{involved['name']}" if involved.get("name") else kind
    source = obj.get("source") or {}
    origin = str(source.get("component") or obj.get("reportingComponent") or "")
    host = str(source.get("host") or obj.get("reportingInstance") or "")
    return [
        last,
        str(obj.get("type") or ""),
        str(obj.get("reason") or ""),
        target,
        str(involved.get("fieldPath") or ""),
        f"{origin}, {host}" if host else origin,
        str(obj.get("message") or "").strip(),
        first,
        count,
        _name(obj),
    ]


def _service(obj: Obj, now: datetime.datetime) -> list[Cell]:
    spec = obj.get("spec") or {}
    kind = str(spec.get("type") or "ClusterIP")
    external = _list(spec.get("externalIPs"))
    ingress = [i.get("ip") or i.get("hostname") for i in _list(_get(obj, "status", "loadBalancer", "ingress"))]
    if kind == "ExternalName":
        external_ip = str(spec.get("externalName") or "<none>")
    elif kind == "LoadBalancer":
        external_ip = ",".join(str(i) for i in [*ingress, *external] if i) or "<pending>"
    else:
        external_ip = ",".join(str(i) for i in external) or "<none>"
    ports = []
    for p in _list(spec.get("ports")):
        text = f"{p.get('port')}/{p.get('protocol', 'TCP')}"
        if p.get("nodePort"):
            text = f"{p.get('port')}:{p.get('nodePort')}/{p.get('protocol', 'TCP')}"
        ports.append(text)
    selector = spec.get("selector") or {}
    return [
        _name(obj),
        kind,
        str(spec.get("clusterIP") or "<none>"),
        external_ip,
        ",".join(ports) or "<none>",
        _created(obj, now),
        ",".join(f"{k}={v}" for k, v in sorted(selector.items())) or "<none>",
    ]


def _binding(obj: Obj, now: datetime.datetime) -> list[Cell]:
    ref = obj.get("roleRef") or {}
    subjects = [s for s in _list(obj.get("subjects")) if isinstance(s, dict)]

    def names(kind: str) -> str:
        return ", ".join(
            f"{s.get('namespace', '')}/{s.get('name', '')}" if kind == "ServiceAccount" else str(s.get("name", ""))
            for s in subjects
            if s.get("kind") == kind
        )

    return [
        _name(obj),
        f"{ref.get('kind', '')}/{ref.get('name', '')}",
        _created(obj, now),
        names("User"),
        names("Group"),
        names("ServiceAccount"),
    ]


_BUILTIN: dict[tuple[str, str], tuple[list[str], Callable[[Obj, datetime.datetime], list[Cell]]]] = {
    ("", "pods"): (
        ["Name", "Ready", "Status", "Restarts", "Age", "IP:1", "Node:1", "Nominated Node:1", "Readiness Gates:1"],
        _pod,
    ),
    ("apps", "deployments"): (
        ["Name", "Ready", "Up-to-date", "Available", "Age", "Containers:1", "Images:1", "Selector:1"],
        _deployment,
    ),
    ("apps", "replicasets"): (
        [
            "Name",
            "Desired:integer",
            "Current:integer",
            "Ready:integer",
            "Age",
            "Containers:1",
            "Images:1",
            "Selector:1",
        ],
        _replica_set,
    ),
    ("batch", "jobs"): (
        ["Name", "Status", "Completions", "Duration", "Age", "Containers:1", "Images:1", "Selector:1"],
        _job,
    ),
    ("", "events"): (
        [
            "Last Seen",
            "Type",
            "Reason",
            "Object",
            "Subobject:1",
            "Source:1",
            "Message",
            "First Seen:1",
            "Count:1",
            "Name:1",
        ],
        _event,
    ),
    ("", "namespaces"): (
        ["Name", "Status", "Age"],
        lambda obj, now: [_name(obj), str(_get(obj, "status", "phase") or ""), _created(obj, now)],
    ),
    ("", "configmaps"): (
        ["Name", "Data", "Age"],
        lambda obj, now: [
            _name(obj),
            len(obj.get("data") or {}) + len(obj.get("binaryData") or {}),
            _created(obj, now),
        ],
    ),
    ("", "secrets"): (
        ["Name", "Type", "Data", "Age"],
        lambda obj, now: [_name(obj), str(obj.get("type") or ""), len(obj.get("data") or {}), _created(obj, now)],
    ),
    ("", "serviceaccounts"): (
        ["Name", "Secrets", "Age"],
        lambda obj, now: [_name(obj), len(_list(obj.get("secrets"))), _created(obj, now)],
    ),
    ("", "services"): (
        ["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector:1"],
        _service,
    ),
    ("rbac.authorization.k8s.io", "rolebindings"): (
        ["Name", "Role", "Age", "Users:1", "Groups:1", "ServiceAccounts:1"],
        _binding,
    ),
    ("rbac.authorization.k8s.io", "clusterrolebindings"): (
        ["Name", "Role", "Age", "Users:1", "Groups:1", "ServiceAccounts:1"],
        _binding,
    ),
}
