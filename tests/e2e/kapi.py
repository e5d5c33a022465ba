"""A tiny REST helper for tests that create objects the way a controller would (including their status
subresource). It reuses olm-gather's connection code; writes use plain urllib3 requests."""

from __future__ import annotations

import time
from typing import Any

import orjson

from olm_gather import _kube


class Api:
    def __init__(self, kubeconfig: str) -> None:
        self.conn = _kube.connect(kubeconfig=kubeconfig)
        self.kube = _kube.Kube(self.conn, concurrency=4)
        self.discovery = _kube.Discovery(self.kube)

    def close(self) -> None:
        self.kube.close()

    def resource(self, api_version: str, kind: str) -> _kube.Resource:
        group, _, version = api_version.rpartition("/")
        found = self.discovery.find(group=group, kind=kind, version=version)
        assert found is not None, f"{kind} {api_version} not served"
        return found

    def _send(self, method: str, path: str, body: Any, content_type: str = "application/json") -> dict[str, Any]:
        headers = {"Content-Type": content_type, "Accept": "application/json", **self.conn.auth_headers()}
        r = self.conn.pool.request(method, self.conn.host + path, body=orjson.dumps(body), headers=headers)
        if r.status >= 300:
            raise RuntimeError(f"{method} {path}: {r.status} {r.data[:300]!r}")
        out: dict[str, Any] = orjson.loads(r.data)
        return out

    def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Creates obj; a `status` in it is then written through the status subresource, as controllers do."""
        res = self.resource(obj["apiVersion"], obj["kind"])
        ns = obj["metadata"].get("namespace", "")
        status = obj.get("status")
        created = self._send("POST", res.path(namespace=ns), {k: v for k, v in obj.items() if k != "status"})
        if status is not None:
            created["status"] = status
            path = res.path(namespace=ns, name=obj["metadata"]["name"]) + "/status"
            created = self._send("PUT", path, created)
        return created

    def create_subresource(
        self, api_version: str, kind: str, name: str, namespace: str, sub: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        """POSTs to a subresource (a ServiceAccount's `token`)."""
        path = self.resource(api_version, kind).path(namespace=namespace, name=name) + f"/{sub}"
        return self._send("POST", path, body)

    def get(self, api_version: str, kind: str, name: str, namespace: str = "") -> dict[str, Any]:
        return self.kube.get(self.resource(api_version, kind).path(namespace=namespace, name=name))

    def delete(self, api_version: str, kind: str, name: str, namespace: str = "") -> None:
        res = self.resource(api_version, kind)
        self.conn.pool.request(
            "DELETE", self.conn.host + res.path(namespace=namespace, name=name), headers=self.conn.auth_headers()
        )

    def wait(self, what: str, check: Any, timeout: float = 60.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = check()
            except Exception:
                value = None
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
            time.sleep(0.5)
