"""The options of one gather: `InspectConfig` and the progress record the library reports through."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from olm_gather import _sink  # the Writer protocol, for the annotation only

DEFAULT_LOG_LIMIT_BYTES = 4 * 1024 * 1024
DEFAULT_CONCURRENCY = 16


@dataclasses.dataclass(frozen=True)
class Progress:
    """A snapshot reported after each gathered item; `phase` names what is being fetched."""

    phase: str
    objects: int
    logs: int
    problems: int
    message: str = ""


@dataclasses.dataclass(frozen=True, kw_only=True)
class InspectConfig:
    """What to gather and where to put it.

    kubeconfig: path(s) to a kubeconfig (`os.pathsep`-separated like KUBECONFIG); empty: $KUBECONFIG,
        ~/.kube/config, else the in-cluster service account.
    client_configuration: an already-loaded `kubernetes.client.Configuration`; wins over `kubeconfig`.
    context: kubeconfig context; empty: the current one.
    package: Subscription package name (`spec.name`); empty: every package.
    namespace: where to look for Subscriptions; empty: the whole cluster.
    writer: where the tree goes; None: a new directory `./must-gather.local.<timestamp>`.
    log_limit_bytes: cap of each container log (current and previous each).
    since_seconds: only log lines newer than this many seconds; 0: all.
    since_time: only log lines after this RFC 3339 time (UTC, `Z`); "": all. Not together with since_seconds.
    logs: gather container logs at all.
    analyze: run the analysis at the end and write report.html.
    concurrency: requests in flight at most.
    timeout_seconds: stop fetching after this many seconds and finish the output, marked incomplete with the
        reason `deadline`; 0: no limit.
    progress: called from the gathering thread after each item.
    """

    kubeconfig: str = ""
    client_configuration: Any = None
    context: str = ""
    package: str = ""
    namespace: str = ""
    writer: _sink.Writer | None = None
    log_limit_bytes: int = DEFAULT_LOG_LIMIT_BYTES
    since_seconds: int = 0
    since_time: str = ""
    logs: bool = True
    analyze: bool = True
    concurrency: int = DEFAULT_CONCURRENCY
    timeout_seconds: float = 0
    progress: Callable[[Progress], None] | None = None

    def options_record(self) -> dict[str, Any]:
        """The options as gather.json records them (no credentials)."""
        return {
            "package": self.package,
            "namespace": self.namespace,
            "context": self.context,
            "logLimitBytes": self.log_limit_bytes,
            "sinceSeconds": self.since_seconds,
            "sinceTime": self.since_time,
            "logs": self.logs,
            "timeoutSeconds": self.timeout_seconds,
        }
