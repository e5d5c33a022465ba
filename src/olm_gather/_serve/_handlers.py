"""The HTTP side: routes the Kubernetes API paths to discovery, get, list and pod logs, read-only.

Paths follow the API server's grammar (`/api/v1/namespaces/<ns>/<plural>/<name>/<subresource>`,
`/apis/<group>/<version>/...`). Every answer that is not a document is a `Status` as the API server writes it:
404 for what the tree does not hold (naming the tree), 405 for every write verb and for watches (nothing
changes after the snapshot), 403 for exec, attach, port-forward and proxy. It never writes anything.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

import orjson
from aiohttp import web

from olm_gather._serve import _discovery, _index, _select, _tables

Obj = dict[str, Any]

_WRITE_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}
_CONNECT = {"exec", "attach", "portforward", "proxy"}
_LOG_CHUNK = 64 * 1024
# The timestamp the kubelet puts in front of each line with `timestamps=true`, as gathers fetch logs.
_LOG_TIMESTAMP = re.compile(rb"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d) ", re.MULTILINE)


def application(index: _index.Index) -> web.Application:
    app = web.Application()
    app.router.add_route("*", "/{path:.*}", _Handler(index).handle)
    return app


def status(code: int, reason: str, message: str, details: Obj | None = None) -> web.Response:
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "details": details or {},
        "code": code,
    }
    return web.Response(status=code, body=orjson.dumps(body), content_type="application/json")


def _json(doc: Obj, content_type: str = "application/json") -> web.Response:
    return web.Response(body=orjson.dumps(doc), headers={"Content-Type": content_type})


def _wanted(accept: str, *, as_: str, group: str, versions: tuple[str, ...]) -> str:
    """The version of `as=<as_>;g=<group>` the Accept header asks for first, or ""."""
    for media in accept.split(","):
        params = dict(p.strip().partition("=")[::2] for p in media.split(";")[1:])
        if params.get("as") == as_ and params.get("g") == group and params.get("v") in versions:
            return params["v"]
    return ""


def _timestamp(text: bytes) -> datetime.datetime | None:
    """An RFC 3339 time with up to nanoseconds (Python reads microseconds)."""
    m = re.match(rb"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$", text.strip())
    if m is None:
        return None
    fraction = (m[2] or b"")[:7]
    zone = b"+00:00" if m[3] == b"Z" else m[3]
    return datetime.datetime.fromisoformat((m[1] + fraction + zone).decode())


def _lines_since(data: bytes, since: datetime.datetime) -> bytes:
    """The lines stamped at or after since; an unstamped line goes with the line before it."""
    kept, keep = [], True
    for line in data.splitlines(keepends=True):
        stamp = _LOG_TIMESTAMP.match(line)
        if stamp:
            at = _timestamp(stamp.group())
            keep = at is None or at >= since
        if keep:
            kept.append(line)
    return b"".join(kept)


def _int(request: web.Request, name: str) -> int | None:
    value = request.query.get(name, "")
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise _select.SelectorError(f"{name}: invalid value {value!r}") from None


def _true(request: web.Request, name: str) -> bool:
    return request.query.get(name, "").lower() in ("true", "1")


class _Handler:
    def __init__(self, index: _index.Index) -> None:
        self.index = index
        self.snapshot = f"{index.source} is a read-only snapshot served by olm-gather"

    async def handle(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self._route(request)
        except _select.SelectorError as err:
            return status(400, "BadRequest", str(err))

    def _not_found(self, what: str = "", details: Obj | None = None) -> web.Response:
        message = (
            f"{what} not found in the tree {self.index.source}"
            if what
            else (f"the server could not find the requested resource in the tree {self.index.source}")
        )
        return status(404, "NotFound", message, details)

    def _since(self, request: web.Request) -> datetime.datetime | None:
        """The start of `sinceTime`, or of `sinceSeconds` before the gather time (the snapshot's now)."""
        seconds = _int(request, "sinceSeconds")
        if seconds is not None:
            if seconds < 1:
                raise _select.SelectorError("sinceSeconds: must be greater than 0")
            return self.index.now - datetime.timedelta(seconds=seconds)
        if request.query.get("sinceTime"):
            since = _timestamp(request.query["sinceTime"].encode())
            if since is None:
                raise _select.SelectorError(f"sinceTime: invalid value {request.query['sinceTime']!r}")
            return since
        return None

    def _refuse(self, request: web.Request) -> web.Response:
        verb = _WRITE_VERBS.get(request.method, request.method.lower())
        return status(405, "MethodNotAllowed", f"{self.snapshot}: {verb} is not allowed")

    async def _route(self, request: web.Request) -> web.StreamResponse:
        parts = [p for p in request.path.split("/") if p]
        if parts[:1] in (["healthz"], ["livez"], ["readyz"]):
            return web.Response(text="ok")
        writing = request.method not in ("GET", "HEAD")
        if writing and not (len(parts) >= 5 and parts[-1] in _CONNECT):
            return self._refuse(request)
        if parts[:1] == ["api"] and len(parts) >= 3:
            return await self._resource(request, "", parts[1], parts[2:], writing=writing)
        if parts[:1] == ["apis"] and len(parts) >= 4:
            return await self._resource(request, parts[1], parts[2], parts[3:], writing=writing)
        return self._discovery(request, parts)

    def _discovery(self, request: web.Request, parts: list[str]) -> web.Response:
        """`/api`, `/apis` (aggregated when asked), `/apis/<group>`, and a group version's resource list."""
        resources = list(self.index.resources.values())
        aggregated = _wanted(
            request.headers.get("Accept", ""),
            as_="APIGroupDiscoveryList",
            group="apidiscovery.k8s.io",
            versions=("v2",),
        )
        doc: Obj | None = None
        content_type = _discovery.AGGREGATED_V2 if aggregated else "application/json"
        if parts == ["api"]:
            doc = _discovery.aggregated(resources, legacy=True) if aggregated else _discovery.api_versions(resources)
        elif parts == ["apis"]:
            doc = _discovery.aggregated(resources, legacy=False) if aggregated else _discovery.api_group_list(resources)
        elif parts[:1] == ["apis"] and len(parts) == 2:
            doc, content_type = _discovery.api_group(resources, parts[1]), "application/json"
        elif parts[:1] == ["api"] and len(parts) == 2:
            doc, content_type = _discovery.api_resource_list(resources, "", parts[1]), "application/json"
        elif parts[:1] == ["apis"] and len(parts) == 3:
            doc, content_type = _discovery.api_resource_list(resources, parts[1], parts[2]), "application/json"
        return _json(doc, content_type) if doc else self._not_found()

    async def _resource(
        self, request: web.Request, group: str, version: str, rest: list[str], *, writing: bool
    ) -> web.StreamResponse:
        """`[namespaces/<ns>/]<plural>[/<name>[/<subresource>]]` of one group version."""
        if rest[0] == "watch" or _true(request, "watch"):
            return status(
                405, "MethodNotAllowed", f"{self.snapshot}: nothing changes after it, so watch is not allowed"
            )
        namespace: str | None = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        plural, name, sub = rest[0], (rest[1] if len(rest) > 1 else ""), (rest[2] if len(rest) > 2 else "")
        if len(rest) > 3:
            return self._not_found()
        if sub in _CONNECT:
            return status(403, "Forbidden", f"{self.snapshot}: there is no container to {sub}")
        if writing:
            return self._refuse(request)
        resource = self.index.resource(group, version, plural)
        if resource is None or (namespace is not None and not resource.namespaced):
            return self._not_found()
        qualified = f"{plural}.{group}" if group else plural
        if name:
            if resource.namespaced and namespace is None:
                return self._not_found()
            obj = self.index.get(resource, namespace or "", name)
            if obj is None:
                return self._not_found(f'{qualified} "{name}"', {"name": name, "group": group, "kind": plural})
            if sub == "log" and (group, plural) == ("", "pods"):
                return await self._log(request, obj, namespace or "", name)
            if sub and sub != "status":
                return self._not_found()
            return self._answer(request, resource, [obj], single=True)
        objects = self.index.objects(resource, namespace)
        if "labelSelector" in request.query:
            match = _select.label_selector(request.query["labelSelector"])
            objects = [o for o in objects if match(o)]
        if "fieldSelector" in request.query:
            match = _select.field_selector(request.query["fieldSelector"])
            objects = [o for o in objects if match(o)]
        page = _select.page(objects, limit=_int(request, "limit") or 0, token=request.query.get("continue", ""))
        return self._answer(request, resource, page.items, page=page)

    def _answer(
        self,
        request: web.Request,
        resource: _index.Resource,
        objects: list[Obj],
        *,
        single: bool = False,
        page: _select.Page | None = None,
    ) -> web.Response:
        meta: Obj = {"resourceVersion": ""}
        if page is not None and page.continue_token:
            meta["continue"] = page.continue_token
            if page.remaining is not None:
                meta["remainingItemCount"] = page.remaining
        version = _wanted(
            request.headers.get("Accept", ""), as_="Table", group="meta.k8s.io", versions=("v1", "v1beta1")
        )
        if version:
            doc = _tables.table(
                resource,
                objects,
                now=self.index.now,
                include_object=request.query.get("includeObject", "Metadata"),
                version=version,
            )
            doc["metadata"] = meta
            return _json(doc)
        if single:
            return _json(objects[0])
        return _json(
            {"kind": resource.list_kind, "apiVersion": resource.group_version, "metadata": meta, "items": objects}
        )

    async def _log(self, request: web.Request, pod: Obj, namespace: str, name: str) -> web.StreamResponse:
        spec = pod.get("spec") or {}
        containers = [str(c.get("name")) for c in spec.get("containers") or [] if isinstance(c, dict)]
        others = [
            str(c.get("name"))
            for c in (spec.get("initContainers") or []) + (spec.get("ephemeralContainers") or [])
            if isinstance(c, dict)
        ]
        container = request.query.get("container", "")
        if not container and len(containers) == 1:
            container = containers[0]
        if not container:
            return status(
                400,
                "BadRequest",
                f"a container name must be specified for pod {name}, choose one of: [{' '.join(containers)}]",
            )
        if container not in containers + others:
            return status(400, "BadRequest", f"container {container} is not valid for pod {name}")
        previous = _true(request, "previous")
        log = self.index.logs.get((namespace, name, container, previous))
        if log is None:
            if previous:
                message = f'previous terminated container "{container}" in pod "{name}" not found'
                return status(400, "BadRequest", f"{message} in the tree {self.index.source}")
            return self._not_found(f'the log of container "{container}" in pod "{name}"')
        data = self.index.log_bytes(log)
        since = self._since(request)
        if since is not None:
            data = _lines_since(data, since)
        if not _true(request, "timestamps"):
            data = _LOG_TIMESTAMP.sub(b"", data)
        tail = _int(request, "tailLines")
        if tail is not None:
            if tail < 0:
                return status(400, "BadRequest", "tailLines: must be greater than or equal to 0")
            data = b"".join(data.splitlines(keepends=True)[-tail:]) if tail else b""
        limit = _int(request, "limitBytes")
        if limit is not None:
            if limit < 1:
                return status(400, "BadRequest", "limitBytes: must be greater than 0")
            data = data[:limit]
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        await response.prepare(request)
        for start in range(0, len(data), _LOG_CHUNK):
            await response.write(data[start : start + _LOG_CHUNK])
        await response.write_eof()
        return response
