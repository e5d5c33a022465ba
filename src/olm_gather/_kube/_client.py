"""The only code that talks HTTP to the API server: GET one object, paginated lists (full or metadata-only),
log streams, and bounded concurrency. Raw JSON bytes in, plain dicts out (orjson), never generated models,
so every field the server sent survives. Every failure becomes an `_errors` class.

Requests run on daemon worker threads; the calling thread only waits, a fraction of a second at a time, so
`cancel()` (a signal handler may call it) or a deadline stops the caller at once, never in the middle of a
write, and an in-flight request can never hold the process past its end. Failed GETs are retried by
`_retry`'s rules within a per-request and a per-gather budget.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import dataclasses
import functools
import queue
import random
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

import orjson
import urllib3
import urllib3.exceptions

from olm_gather import _errors
from olm_gather._kube import _connect, _retry

Obj = dict[str, Any]
T = TypeVar("T")
R = TypeVar("R")

PAGE_SIZE = 500
METADATA_PAGE_SIZE = 5000
"""Metadata-only items are a tenth or less of whole ones: a page of these is no larger than one of PAGE_SIZE
whole objects, and a namespace with thousands of unrelated ConfigMaps or Secrets still costs one request."""
_JSON = "application/json"
_METADATA = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
_CONNECT_TIMEOUT = 10.0
_READ_TIMEOUT = 60.0
_POLL = 0.1  # seconds a waiting caller sleeps between looks at cancel() and the deadline
_local = threading.local()


class Kube:
    """A connection to one API server with a bounded pool of workers for concurrent requests."""

    def __init__(
        self,
        connection: _connect.Connection,
        *,
        concurrency: int = 16,
        retry: _retry.RetryPolicy = _retry.RetryPolicy(),  # noqa: B008 - frozen
        deadline: float | None = None,
    ) -> None:
        """`deadline` is a `time.monotonic()` value after which no request runs and every wait ends."""
        self._conn = connection
        self._workers = _Workers(concurrency, name="olm-gather")
        self._concurrency = max(1, concurrency)
        self.peak_in_flight = 0  # the most fetches `schedule` had running at once
        # Requests of the calling thread run here, so that thread only ever waits (and can be stopped).
        self._foreground = _Workers(1, name="olm-gather-fg")
        self._retry = retry
        self._budget = _retry.Budget(retry)
        self._rng = random.Random()  # noqa: S311 - jitter, not security
        self._deadline = deadline
        self._stop = threading.Event()
        self._stop_reason = ""
        self._stop_message = ""

    @property
    def server(self) -> str:
        return self._conn.host

    @property
    def source(self) -> str:
        return self._conn.source

    @property
    def requests(self) -> int:
        """Requests sent, retries included."""
        return self._budget.requests

    @property
    def retries(self) -> int:
        return self._budget.retries

    def cancel(self, reason: str = _errors.INTERRUPTED, message: str = "") -> None:
        """Stops every request and wait from now on; safe to call from a signal handler or another thread."""
        if not self._stop.is_set():
            self._stop_reason, self._stop_message = reason, message
            self._stop.set()

    def close(self) -> None:
        """Releases the workers without waiting for in-flight requests (their results are dropped)."""
        self.cancel(reason="closed")
        self._workers.shutdown()
        self._foreground.shutdown()

    def check(self) -> None:
        """Raises CancelledError once cancel() was called or the deadline passed."""
        if not self._stop.is_set() and self._deadline is not None and time.monotonic() >= self._deadline:
            self.cancel(_errors.DEADLINE, "the --timeout passed")
        if self._stop.is_set():
            reason = self._stop_reason
            what = self._stop_message or ("interrupted" if reason == _errors.INTERRUPTED else reason)
            raise _errors.CancelledError(f"gather stopped: {what}", reason=reason)

    # --- concurrency -------------------------------------------------------------------------------------------

    def schedule(self, start: Iterable[object], idle: Callable[[], Iterable[object]]) -> Iterator[object]:
        """Runs a graph of fetches: every `Fetch` in `start`, and every `Fetch` their `then` yields, goes to a worker
        as soon as one is free (at most `concurrency` at once, in the order they were made); anything else they
        yield is passed on. When nothing is running or waiting, `idle()` may add more; when it adds no fetch, the
        graph is done. `then` runs on the calling thread, one at a time. Leaves wait for every other ready Fetch.
        Raises CancelledError when stopped."""
        concurrency = self._concurrency
        # While a `then` is still yielding, leaves leave a quarter of the workers free: what it yields next may be
        # a fetch that others wait for. Not once only leaves are left (the last part of a gather): their `then`s
        # make no fetch.
        reserve = max(1, concurrency // 4)
        graph = _Graph()

        def pick(leaves_up_to: int) -> Fetch[Any] | None:
            """The next fetch to start, if a place is free (called with the graph's lock held)."""
            if graph.running >= concurrency:
                return None
            if graph.ready:
                fetch = graph.ready.popleft()
            elif graph.leaves and (not graph.branches or graph.running < leaves_up_to):
                fetch = graph.leaves.popleft()
            else:
                return None
            graph.running += 1
            graph.unanswered += 1
            self.peak_in_flight = max(self.peak_in_flight, graph.running)
            return fetch

        def chain(fetch: Fetch[Any] | None) -> None:
            # On a worker: a fetch, then the next one waiting, without waiting for the calling thread, which may be
            # in a long `then` (handing a fetch over from it cost each request a thread switch, ~1 ms).
            while fetch is not None:
                try:
                    result, error = fetch.call(), None
                except BaseException as e:  # handed to its `then`, on the calling thread
                    result, error = None, e
                with graph.lock:
                    graph.running -= 1
                    graph.answered.put((fetch, error, result))
                    fetch = pick(concurrency - reserve)

        def fill(*, leaves_up_to: int = concurrency) -> None:
            with graph.lock:
                while (fetch := pick(leaves_up_to)) is not None:
                    self._workers.submit(chain, fetch)

        def take(outputs: Iterable[object]) -> Iterator[object]:
            for output in outputs:
                if isinstance(output, Fetch):
                    with graph.lock:
                        (graph.leaves if output.leaf else graph.ready).append(output)
                        graph.branches += not output.leaf
                else:
                    # the caller may take a while with the item (it writes it): the workers go on meanwhile
                    fill(leaves_up_to=concurrency - reserve)
                    yield output

        def done_taking(leaf: bool = False) -> None:
            with graph.lock:
                graph.branches -= not leaf

        yield from take(start)
        done_taking()
        while True:
            fill()
            if not graph.unanswered:
                with graph.lock:
                    graph.branches += 1
                yield from take(idle())
                done_taking()
                if not graph.ready and not graph.leaves and not graph.unanswered:
                    return
                continue
            self.check()
            try:
                answers = [graph.answered.get(timeout=_POLL)]
            except queue.Empty:
                continue
            with contextlib.suppress(queue.Empty):
                while True:
                    answers.append(graph.answered.get_nowait())
            for fetch, error, result in answers:
                with graph.lock:
                    graph.unanswered -= 1
                self.check()
                if isinstance(error, _errors.CancelledError):
                    raise error
                yield from take(fetch.then(error if error is not None else result))
                done_taking(fetch.leaf)
                fill(leaves_up_to=concurrency - reserve)  # the next `then` may make a fetch others wait for

    def together(self, *calls: Callable[[], Any]) -> list[Any]:
        """Runs calls at once on the workers; returns each one's result or the exception it raised, in order
        (a few independent requests at the start, before the fetch graph). Raises CancelledError when stopped."""
        if getattr(_local, "worker", False):
            return [_outcome(call) for call in calls]
        futures = [self._workers.submit(_outcome, call) for call in calls]
        while not all(f.done() for f in futures):
            self.check()
            concurrent.futures.wait(futures, timeout=_POLL)
        self.check()
        results = [f.result() for f in futures]
        for result in results:
            if isinstance(result, _errors.CancelledError):
                raise result
        return results

    def _call(self, fn: Callable[[], R]) -> R:
        """Runs fn on a worker unless this already is one, waiting in short steps so a stop is seen at once."""
        if getattr(_local, "worker", False):
            return fn()
        future = self._foreground.submit(lambda _: fn(), None)
        while True:
            self.check()
            try:
                return future.result(timeout=_POLL)
            except concurrent.futures.TimeoutError:
                continue

    # --- requests ----------------------------------------------------------------------------------------------

    def get(self, path: str, query: dict[str, str] | None = None, *, accept: str = _JSON) -> Obj:
        """GETs one object (or a discovery document) as a dict."""
        return self._call(lambda: self._get_json(path, query, accept=accept))

    def list(
        self,
        path: str,
        *,
        label_selector: str = "",
        field_selector: str = "",
        metadata_only: bool = False,
        page_size: int = 0,
    ) -> Iterator[Obj]:
        """Yields every item of a collection, page by page (`limit`/`continue`; 0: PAGE_SIZE, METADATA_PAGE_SIZE
        for metadata only). When a continue token expires (410) the list restarts from the beginning and skips
        what it already yielded."""
        seen: set[str] = set()
        query = {"limit": str(page_size or (METADATA_PAGE_SIZE if metadata_only else PAGE_SIZE))}
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
                page = self._call(functools.partial(self._get_json, path, page_query, accept=accept))
            except _errors.GoneError:
                if not token or restarts >= 3:
                    raise
                restarts += 1
                token = ""
                continue
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
        """Streams a response body (pod logs) as it arrives; nothing is held in memory beyond one chunk. A stream
        that breaks is asked for again and continues after the bytes already yielded (logs only grow)."""
        sent = 0
        attempt = 0
        started = time.monotonic()
        while True:
            response = self._call(lambda: self._request(path, query, accept="*/*", preload=False))
            skip = sent
            try:
                for received in response.stream(chunk_size):
                    self.check()
                    cut = min(skip, len(received))
                    skip -= cut
                    if cut < len(received):
                        sent += len(received) - cut
                        yield received[cut:]
                return
            except (urllib3.exceptions.HTTPError, OSError) as e:
                self.check()
                wait = self._retry_wait(attempt, None, started)
                if wait is None:
                    raise _errors.UnreachableError(f"log stream from {self._conn.host}{path} broke: {e}") from None
                self._sleep(wait)
                attempt += 1
            finally:
                response.release_conn()

    def _get_json(self, path: str, query: dict[str, str] | None, *, accept: str) -> Obj:
        response = self._request(path, query, accept=accept)
        try:
            return _decode(response, path=path, server=self._conn.host)
        finally:
            response.release_conn()

    def _request(
        self, path: str, query: dict[str, str] | None, *, accept: str, preload: bool = True
    ) -> urllib3.BaseHTTPResponse:
        url = self._conn.host + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        attempt = 0
        started = time.monotonic()
        while True:
            self.check()
            headers = {"Accept": accept, "User-Agent": "olm-gather"}
            try:
                headers.update(self._conn.auth_headers())
            except Exception as e:
                raise _errors.ConfigError(f"getting credentials from {self._conn.source} failed: {e}") from None
            self._budget.count_request()
            try:
                response = self._conn.pool.request(
                    "GET", url, headers=headers, timeout=self._timeout(), preload_content=preload, retries=False
                )
            except (urllib3.exceptions.HTTPError, OSError) as e:
                self.check()  # a read cut short by the deadline is the deadline, not an unreachable server
                if isinstance(e, urllib3.exceptions.SSLError):
                    raise self._unreachable(e) from None  # a certificate does not get better by asking again
                wait = self._retry_wait(attempt, None, started)
                if wait is None:
                    raise self._unreachable(e) from None
            else:
                if response.status < 400:
                    return response
                try:
                    body = response.data if preload else response.read()
                except (urllib3.exceptions.HTTPError, OSError):
                    body = b""
                response.release_conn()
                retry_after = response.headers.get("Retry-After")
                error = _status_error(response.status, body, path=path, server=self._conn.host)
                retryable = _retry.status_is_retryable(response.status, body, retry_after)
                wait = self._retry_wait(attempt, retry_after, started) if retryable else None
                if wait is None:
                    raise error
            self._sleep(wait)
            attempt += 1

    def _retry_wait(self, attempt: int, retry_after: str | None, started: float) -> float | None:
        """Seconds to wait before the next try, or None when this request or the gather has no retry left."""
        policy = self._retry
        if attempt + 1 >= policy.attempts or self._stop.is_set():
            return None
        wait = _retry.retry_after_seconds(retry_after, cap=policy.retry_after_cap)
        if wait is None:
            wait = _retry.backoff_seconds(policy, attempt, self._rng)
        if time.monotonic() + wait - started > policy.request_seconds:
            return None
        if self._deadline is not None and time.monotonic() + wait >= self._deadline:
            return None
        return wait if self._budget.take() else None

    def _sleep(self, seconds: float) -> None:
        self._stop.wait(seconds)
        self.check()

    def _timeout(self) -> urllib3.Timeout:
        """The usual timeouts, cut to what is left before the deadline so no request outlives it."""
        if self._deadline is None:
            return urllib3.Timeout(connect=_CONNECT_TIMEOUT, read=_READ_TIMEOUT)
        left = max(0.05, self._deadline - time.monotonic())
        return urllib3.Timeout(connect=min(_CONNECT_TIMEOUT, left), read=min(_READ_TIMEOUT, left))

    def _unreachable(self, e: BaseException) -> _errors.UnreachableError:
        return _errors.UnreachableError(
            f"cannot reach the API server {self._conn.host} ({self._conn.source}): {_reason(e)}"
        )


@dataclasses.dataclass(frozen=True)
class Fetch(Generic[R]):
    """One node of a fetch graph: `call` runs on a worker (its requests), `then` on the caller's thread with the
    result or the exception `call` raised, yielding items and further Fetches. A `leaf` leads to no further
    Fetch (Events, a Namespace, labelled cluster objects): the scheduler starts it only when no other Fetch
    waits, so the chains that lead to more requests go first and set the pace."""

    call: Callable[[], R]
    then: Callable[[Any], Iterable[object]]
    leaf: bool = False


class _Graph:
    """The state `Kube.schedule` shares with its workers, under `lock`: the fetches waiting (`ready`, then
    `leaves`), how many run, how many were started and have not had their `then` yet, and `branches`: the fetches
    that may still make others (non-leaves waiting, running or not yet taken, and a `then` or the start while it
    yields). Answers wait in `answered` for their `then`, in the order they came."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ready: collections.deque[Fetch[Any]] = collections.deque()
        self.leaves: collections.deque[Fetch[Any]] = collections.deque()
        self.running = 0
        self.unanswered = 0
        self.branches = 1
        self.answered: queue.SimpleQueue[tuple[Fetch[Any], BaseException | None, Any]] = queue.SimpleQueue()


def _outcome(call: Callable[[], R]) -> R | BaseException:
    try:
        return call()
    except Exception as e:  # handed to the caller, who decides
        return e


class _Workers:
    """A fixed set of daemon threads running submitted calls. Daemon threads, unlike ThreadPoolExecutor's, never
    keep a stopped gather's process alive while a request waits for its read timeout."""

    def __init__(self, size: int, *, name: str) -> None:
        self._size = max(1, size)
        self._name = name
        self._jobs: queue.SimpleQueue[tuple[concurrent.futures.Future[Any], Callable[[Any], Any], Any] | None] = (
            queue.SimpleQueue()
        )
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def submit(self, fn: Callable[[T], R], item: T) -> concurrent.futures.Future[R]:
        future: concurrent.futures.Future[R] = concurrent.futures.Future()
        with self._lock:
            if len(self._threads) < self._size:  # started on demand: a short gather needs few
                thread = threading.Thread(target=self._work, name=f"{self._name}-{len(self._threads)}", daemon=True)
                self._threads.append(thread)
                thread.start()
        self._jobs.put((future, fn, item))
        return future

    def shutdown(self) -> None:
        with self._lock:
            for _ in self._threads:
                self._jobs.put(None)

    def _work(self) -> None:
        _local.worker = True
        while (job := self._jobs.get()) is not None:
            future, fn, item = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(item))
            except BaseException as e:
                future.set_exception(e)


def _decode(response: urllib3.BaseHTTPResponse, *, path: str, server: str) -> Obj:
    """The JSON body as a dict; anything else (a proxy's login page, a cut body) is a ServerError saying what came."""
    data = response.data
    try:
        decoded = orjson.loads(data)
    except orjson.JSONDecodeError:
        decoded = None
    if isinstance(decoded, dict):
        return decoded
    content_type = response.headers.get("Content-Type", "") or "no content type"
    what = "an HTML page (a proxy or login page?)" if b"<html" in data[:512].lower() else f"{len(data)} bytes"
    raise _errors.ServerError(
        f"{server}{path} answered {what} of {content_type.split(';')[0]}, not a JSON object: is the server "
        "in the kubeconfig the API server?",
        status=response.status,
        path=path,
    )


def _reason(e: BaseException) -> str:
    cause: BaseException = e
    if isinstance(e, urllib3.exceptions.MaxRetryError) and e.reason is not None:
        cause = e.reason
    text = str(cause)
    # urllib3 wraps the OS error in a long repr; keep the part a person can act on.
    for marker in (
        "Connection refused",
        "Connection reset",
        "Name or service not known",
        "timed out",
        "CERTIFICATE_VERIFY_FAILED",
    ):
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
        text = " ".join(body[:200].decode("utf-8", "replace").split())
        # A proxy's HTML error page says nothing a person can act on; plain text may.
        message = f"HTTP {status} for {path}" + (f": {text}" if text and "<" not in text else "")
    if status == 401:
        message = (
            f"the API server {server} rejected the credentials (401 Unauthorized): log in again or check the kubeconfig"
        )
    return _errors.for_status(status)(
        " ".join((message or f"HTTP {status} for {path}").split()), status=status, reason=reason, path=path
    )
