"""The only code that talks HTTP to the API server: GET one object, paginated lists (full or metadata-only),
log streams, and bounded concurrency. Raw JSON bytes in, plain dicts out (orjson), never generated models,
so every field the server sent survives. Every failure becomes an `_errors` class.
"""

from __future__ import annotations

import concurrent.futures
import threading
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import orjson
import urllib3
import urllib3.exceptions

from olm_gather import _errors
from olm_gather._kube import _connect

Obj = dict[str, Any]
T = TypeVar("T")
R = TypeVar("R")

PAGE_SIZE = 500
_JSON = "application/json"
_METADATA = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
_TIMEOUT = urllib3.Timeout(connect=10.0, read=60.0)


class Kube:
    """A connection to one API server with a bounded pool of workers for concurrent requests."""

    def __init__(self, connection: _connect.Connection, *, concurrency: int = 16) -> None:
        self._conn = connection
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="olm-gather")
        self._lock = threading.Lock()
        self.requests = 0

    @property
    def server(self) -> str:
        return self._conn.host

    @property
    def source(self) -> str:
        return self._conn.source

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._conn.pool.clear()

    # --- concurrency -------------------------------------------------------------------------------------------

    def map_unordered(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[T, R | BaseException]]:
        """Runs fn over items on the worker pool; yields (item, result or the exception it raised) as each
        finishes, so callers write results as they arrive."""
        futures = {self._pool.submit(fn, item): item for item in items}
        for future in concurrent.futures.as_completed(futures):
            item = futures[future]
            try:
                yield item, future.result()
            except Exception as e:
                yield item, e

    # --- requests ----------------------------------------------------------------------------------------------

    def get(self, path: str, query: dict[str, str] | None = None, *, accept: str = _JSON) -> Obj:
        """GETs one object (or a discovery document) as a dict."""
        response = self._request(path, query, accept=accept)
        try:
            data: Obj = orjson.loads(response.data)
        finally:
            response.release_conn()
        return data

    def list(
        self,
        path: str,
        *,
        label_selector: str = "",
        field_selector: str = "",
        metadata_only: bool = False,
        page_size: int = PAGE_SIZE,
    ) -> Iterator[Obj]:
        """Yields every item of a collection, page by page (`limit`/`continue`). When a continue token expires
        (410) the list restarts from the beginning and skips what it already yielded."""
        seen: set[str] = set()
        query = {"limit": str(page_size)}
        if label_selector:
            query["labelSelector"] = label_selector
        if field_selector:
            query["fieldSelector"] = field_selector
        accept = _METADATA if metadata_only else _JSON
        token = ""
        restarts = 0
        while True:
            page_query = dict(query, **({"continue": token} if token else {}))
            try:
                response = self._request(path, page_query, accept=accept)
            except _errors.GoneError:
                if not token or restarts >= 3:
                    raise
                restarts += 1
                token = ""
                continue
            try:
                page = orjson.loads(response.data)
            finally:
                response.release_conn()
            kind = str(page.get("kind", ""))
            item_kind = kind.removesuffix("List")
            api_version = page.get("apiVersion", "v1")
            for item in page.get("items") or []:
                uid = item.get("metadata", {}).get("uid", "")
                if uid and uid in seen:
                    continue
                if uid:
                    seen.add(uid)
                # List items carry no apiVersion/kind; restore them so each object stands alone in its file.
                if not metadata_only:
                    item.setdefault("apiVersion", api_version)
                    item.setdefault("kind", item_kind)
                yield item
            token = page.get("metadata", {}).get("continue", "")
            if not token:
                return

    def stream(self, path: str, query: dict[str, str], *, chunk_size: int = 64 * 1024) -> Iterator[bytes]:
        """Streams a response body (pod logs) as it arrives; nothing is held in memory beyond one chunk."""
        response = self._request(path, query, accept="*/*", preload=False)
        try:
            yield from response.stream(chunk_size)
        except urllib3.exceptions.HTTPError as e:
            raise _errors.UnreachableError(f"log stream from {self._conn.host}{path} broke: {e}") from None
        finally:
            response.release_conn()

    def _request(
        self, path: str, query: dict[str, str] | None, *, accept: str, preload: bool = True
    ) -> urllib3.BaseHTTPResponse:
        url = self._conn.host + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        headers = {"Accept": accept, "User-Agent": "olm-gather"}
        try:
            headers.update(self._conn.auth_headers())
        except Exception as e:
            raise _errors.ConfigError(f"getting credentials from {self._conn.source} failed: {e}") from None
        with self._lock:
            self.requests += 1
        try:
            response = self._conn.pool.request(
                "GET", url, headers=headers, timeout=_TIMEOUT, preload_content=preload, retries=_RETRIES
            )
        except urllib3.exceptions.HTTPError as e:
            raise _errors.UnreachableError(
                f"cannot reach the API server {self._conn.host} ({self._conn.source}): {_reason(e)}"
            ) from None
        if response.status >= 400:
            body = response.data if preload else response.read()
            response.release_conn()
            raise _status_error(response.status, body, path=path, server=self._conn.host)
        return response


# Retry connection failures and throttling, never a 4xx: a 403 is an answer, not a glitch.
_RETRIES = urllib3.Retry(
    total=4,
    connect=3,
    read=2,
    status=3,
    backoff_factor=0.3,
    status_forcelist=(429, 502, 503, 504),
    allowed_methods=("GET",),
    raise_on_status=False,
    respect_retry_after_header=True,
)


def _reason(e: urllib3.exceptions.HTTPError) -> str:
    cause: BaseException = e
    if isinstance(e, urllib3.exceptions.MaxRetryError) and e.reason is not None:
        cause = e.reason
    text = str(cause)
    # urllib3 wraps the OS error in a long repr; keep the part a person can act on.
    for marker in ("Connection refused", "Name or service not known", "timed out", "CERTIFICATE_VERIFY_FAILED"):
        if marker in text:
            return marker
    return " ".join(text.split())[:200]


def _status_error(status: int, body: bytes, *, path: str, server: str) -> _errors.APIError:
    message = ""
    reason = ""
    try:
        decoded = orjson.loads(body)
        if isinstance(decoded, dict):
            message = str(decoded.get("message", ""))
            reason = str(decoded.get("reason", ""))
    except orjson.JSONDecodeError:
        message = body[:200].decode("utf-8", "replace")
    if status == 401:
        message = (
            f"the API server {server} rejected the credentials (401 Unauthorized): log in again or check the kubeconfig"
        )
    return _errors.for_status(status)(
        " ".join((message or f"HTTP {status} for {path}").split()), status=status, reason=reason, path=path
    )
