"""What the traversal yields: objects with the edge that led to them, logs spooled to disk, events, and failures
as data. Plain records; no I/O."""

from __future__ import annotations

import dataclasses
from typing import IO, Any

from olm_gather._kube import Resource


@dataclasses.dataclass(frozen=True)
class Key:
    """Identity of a gathered object: where it lives, independent of version."""

    group: str
    plural: str
    namespace: str
    name: str

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.plural}.{self.group or 'core'} {where}{self.name}"


@dataclasses.dataclass(frozen=True)
class Found:
    """An object gathered for the first time, and why."""

    key: Key
    resource: Resource
    obj: dict[str, Any]
    reason: str


@dataclasses.dataclass(frozen=True)
class AlsoFound:
    """Another edge that led to an object already gathered."""

    key: Key
    reason: str


@dataclasses.dataclass(frozen=True)
class Log:
    """One container log, spooled to a temporary file as it was received: its newest bytes within the cap."""

    namespace: str
    pod: str
    container: str
    previous: bool
    file: IO[bytes]
    size: int
    truncated: bool
    cut: str = ""
    """Where bytes were left out: "start" (the oldest lines), "end" (the newest lines were beyond the transfer
    bound), or "" (the whole log)."""
    first_time: str = ""
    """When cut: the timestamp of the first line kept."""
    transferred: int = 0
    """Bytes received for this log over all requests."""


@dataclasses.dataclass(frozen=True)
class Events:
    """The Events of a namespace that concern gathered objects (and the namespace itself)."""

    namespace: str
    items: list[dict[str, Any]]


@dataclasses.dataclass(frozen=True)
class Problem:
    """Something that could not be gathered. `kind`: forbidden, not_found, missing (an InstallPlan step whose
    object is gone), log_unavailable, unauthorized, error."""

    kind: str
    target: str
    message: str
    reason: str = ""


@dataclasses.dataclass(frozen=True)
class Note:
    """A fact worth recording that is not an object (the number of copied CSVs)."""

    key: str
    value: Any


Item = Found | AlsoFound | Log | Events | Problem | Note
