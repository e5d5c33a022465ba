"""When a failed GET is worth another try, and how long to wait: client-go's rules, bounded.

Pure functions and a small budget record; no I/O. Every request olm-gather sends is an idempotent GET, so a
retry never changes the cluster. A retry is made for
- a connection that failed or broke (refused, reset, timed out, a body cut short),
- 429 Too Many Requests, and any 5xx that carries `Retry-After` (its value is honoured, capped),
- 502/503/504, and a 500 whose body is the API server's own Status for a passing failure (`etcdserver: leader
  changed`, a request timeout),
and never for another 4xx: a 403 or a 404 is an answer, not a glitch.
"""

from __future__ import annotations

import dataclasses
import email.utils
import random
import threading
import time

import orjson

# Status reasons the API server gives for failures that pass (etcd leader changes, overload, timeouts).
_PASSING_REASONS = frozenset({"InternalError", "ServiceUnavailable", "Timeout", "ServerTimeout", "TooManyRequests"})
_PASSING_MESSAGES = ("etcdserver: leader changed", "etcdserver: request timed out", "the server was unable to return")


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """Bounds of retrying. The defaults keep a gather through a flaky proxy or an etcd leader change alive
    without letting a dead server stretch it for minutes."""

    attempts: int = 6
    """Tries per request, the first one included."""
    backoff: float = 0.2
    """First wait in seconds; it doubles with each try, with full jitter, up to `backoff_cap`."""
    backoff_cap: float = 4.0
    retry_after_cap: float = 10.0
    """A server's `Retry-After` is honoured up to this many seconds."""
    request_seconds: float = 45.0
    """No retry starts once a request has spent this long in waits and tries."""
    budget: int = 30
    """Retries a whole gather may spend beyond `budget_ratio` of its requests: a server failing every request
    soon stops being retried at all."""
    budget_ratio: float = 0.5


NO_RETRY = RetryPolicy(attempts=1)


class Budget:
    """The retries a gather has left, shared by all of its requests."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy
        self._lock = threading.Lock()
        self.requests = 0
        self.retries = 0

    def count_request(self) -> None:
        with self._lock:
            self.requests += 1

    def take(self) -> bool:
        """Spends one retry if the gather still has one."""
        with self._lock:
            if self.retries >= self._policy.budget + self._policy.budget_ratio * self.requests:
                return False
            self.retries += 1
            return True


def status_is_retryable(status: int, body: bytes, retry_after: str | None) -> bool:
    if status == 429 or (status >= 500 and retry_after):
        return True
    if status in (502, 503, 504):
        return True
    if status == 500:
        return _is_passing_status(body)
    return False


def _is_passing_status(body: bytes) -> bool:
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        return False
    if not isinstance(doc, dict) or doc.get("kind") != "Status":
        return False
    message = str(doc.get("message", ""))
    return doc.get("reason") in _PASSING_REASONS or any(m in message for m in _PASSING_MESSAGES)


def retry_after_seconds(value: str | None, *, cap: float, now: float | None = None) -> float | None:
    """`Retry-After` as seconds to wait (delta-seconds or an HTTP date), capped; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), cap)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, min(when.timestamp() - (time.time() if now is None else now), cap))


def backoff_seconds(policy: RetryPolicy, attempt: int, rng: random.Random) -> float:
    """Full-jitter exponential backoff before try `attempt + 1` (attempt counts from 0)."""
    return rng.uniform(0.0, min(policy.backoff_cap, policy.backoff * (2**attempt)))
