"""Runs one gather: connect, traverse, redact, lay out, write; then gather.json, the analysis and the report.
The library never prints: progress goes through `InspectConfig.progress`."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import importlib
import threading
import time
from collections import Counter, defaultdict
from typing import Any

import orjson

from olm_gather import (
    _config,
    _errors,
    _kube,
    _layout,
    _must_gather,
    _output,
    _redact,
    _sink,
    _traverse,
)
from olm_gather._version import __version__

PRODUCT = "olm-gather"
_INCOMPLETE_KINDS = frozenset({"forbidden", "unauthorized", "error"})


@dataclasses.dataclass(frozen=True)
class GatheredObject:
    path: str
    api_version: str
    kind: str
    namespace: str
    name: str
    reasons: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class GatherProblem:
    """Something not gathered: `kind` is forbidden, unauthorized, not_found, missing, log_unavailable or error."""

    kind: str
    target: str
    message: str


@dataclasses.dataclass(frozen=True)
class InspectResult:
    """What one `inspect()` gathered, what it could not, and where it went."""

    location: str
    objects: tuple[GatheredObject, ...]
    logs: tuple[str, ...]
    problems: tuple[GatherProblem, ...]
    started: datetime.datetime
    finished: datetime.datetime
    requests: int
    bytes_written: int
    analysis: Any = None
    """The `analyze` result of what was gathered (None when analysis was off)."""
    stopped: str = ""
    """Why fetching stopped early: "interrupted" or "deadline"; "" when the gather ran to its end."""
    retries: int = 0
    """Requests sent again after a connection failure, throttling or a passing server error."""

    @property
    def incomplete(self) -> bool:
        """True when fetching stopped early, or something that should have been gathered was refused or failed."""
        return bool(self.stopped) or any(p.kind in _INCOMPLETE_KINDS for p in self.problems)

    @property
    def incomplete_reason(self) -> str:
        """ "interrupted", "deadline", "errors" (something refused or failed), or "" for a complete gather."""
        if self.stopped:
            return self.stopped
        return "errors" if self.incomplete else ""

    @property
    def exit_code(self) -> int:
        if self.stopped == _errors.INTERRUPTED:
            return 130
        return 1 if self.incomplete else 0


class Inspector:
    """Gathers what `config` selects. `inspect()` may be called more than once (each run needs its writer);
    `cancel()` (from a signal handler or another thread) stops a running one, which still finishes its output."""

    def __init__(self, config: _config.InspectConfig) -> None:
        if config.log_limit_bytes <= 0:
            raise _errors.ConfigError("the log limit must be positive")
        if config.since_seconds < 0:
            raise _errors.ConfigError("--since must not be negative")
        if config.since_seconds and config.since_time:
            raise _errors.ConfigError("--since and --since-time exclude each other: give one")
        if config.timeout_seconds < 0:
            raise _errors.ConfigError("--timeout must not be negative")
        if config.concurrency < 1:
            raise _errors.ConfigError("--concurrency must be at least 1")
        self.config = config
        self._kube: _kube.Kube | None = None
        self._cancelled: tuple[str, str] | None = None

    def cancel(self, message: str = "") -> None:
        """Stops fetching at once; the running `inspect()` writes what it has, marked incomplete ("interrupted")."""
        self._cancelled = (_errors.INTERRUPTED, message)
        if self._kube is not None:
            self._kube.cancel(_errors.INTERRUPTED, message)

    def inspect(self) -> InspectResult:
        config = self.config
        self._cancelled = None
        deadline = time.monotonic() + config.timeout_seconds if config.timeout_seconds else None
        connection = _kube.connect(
            kubeconfig=config.kubeconfig,
            context=config.context,
            client_configuration=config.client_configuration,
            pool_size=config.concurrency,
        )
        kube = _kube.Kube(connection, concurrency=config.concurrency, deadline=deadline)
        self._kube = kube
        if self._cancelled is not None:  # a signal while the kubeconfig was loading
            kube.cancel(*self._cancelled)
        try:
            return _Run(config, kube).run()
        finally:
            self._kube = None
            kube.close()


def new(config: _config.InspectConfig | None = None, /, **options: Any) -> Inspector:
    """An Inspector from a config, from keyword options (`new(package="etcd", namespace="ops")`), or both
    (options override the config's fields)."""
    base = config or _config.InspectConfig()
    try:
        return Inspector(dataclasses.replace(base, **options))
    except TypeError as e:
        raise _errors.ConfigError(f"unknown option: {e}") from None


def default_output_dir() -> str:
    return f"must-gather.local.{time.strftime('%Y%m%d%H%M%S')}"


class _Run:
    def __init__(self, config: _config.InspectConfig, kube: _kube.Kube) -> None:
        self.config = config
        self.kube = kube
        self.objects: dict[_traverse.Key, dict[str, Any]] = {}
        self.logs: list[dict[str, Any]] = []
        self.problems: list[_traverse.Problem] = []
        self.notes: dict[str, Any] = {}
        self.pods: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.must_gather_images: dict[tuple[str, str], str] = {}  # (namespace, CSV) -> image its annotation names
        self.phase = "Subscriptions"
        self.stopped = ""
        self.stop_message = ""

    def run(self) -> InspectResult:
        started = datetime.datetime.now(datetime.UTC)
        if self.config.analyze:
            # The analysis' modules (rich among them) load while the first requests are in flight, rather than
            # on this thread once their answers are in.
            threading.Thread(target=importlib.import_module, args=("olm_gather._report",), daemon=True).start()
        traversal = _traverse.Traversal(
            self.kube,
            _traverse.Options(
                package=self.config.package,
                namespace=self.config.namespace,
                log_limit_bytes=self.config.log_limit_bytes,
                since_seconds=self.config.since_seconds,
                since_time=self.config.since_time,
                logs=self.config.logs,
            ),
        )
        items = traversal.run()
        # The first item needs the Subscription list: connection, credential and "no OLM" errors surface here,
        # before any output exists. A stop that comes first still leaves a record that says so.
        try:
            first = next(items, None)
        except _errors.CancelledError as e:
            first, self.stopped, self.stop_message = None, e.reason, e.message
        writer = self.config.writer or _sink.DirectoryWriter(default_output_dir())
        out = _output.Output(writer, copy_for_analysis=self.config.analyze)
        interrupted = False
        try:
            out.put_text(_layout.VERSION, f"{PRODUCT}\n{__version__}\n".encode())
            try:
                if first is not None:
                    self._take(out, first)
                for item in items:
                    self._take(out, item)
            except _errors.CancelledError as e:
                self.stopped = e.reason
                self.stop_message = e.message
            except KeyboardInterrupt:
                # A library caller's Ctrl-C (the CLI cancels instead): finish the output, then let it through.
                self.kube.cancel()
                self.stopped, self.stop_message, interrupted = _errors.INTERRUPTED, "KeyboardInterrupt", True
            result = self._finish(out, started, traversal)
        except BaseException:
            with contextlib.suppress(_errors.OutputError):
                out.close()  # the error that stopped the output is the one to report
            raise
        out.close()
        if interrupted:
            raise KeyboardInterrupt
        return result

    def _finish(self, out: _output.Output, started: datetime.datetime, traversal: _traverse.Traversal) -> InspectResult:
        """The pod lists, gather.json, timestamp and report: written whether fetching ran to its end or stopped."""
        self._write_pod_lists(out)
        finished = datetime.datetime.now(datetime.UTC)
        result = self._result(out, started, finished)
        record = self._gather_json(result, traversal)
        out.put_text(_layout.GATHER_JSON, record)
        stamp = f"{_go_time(started)}\n{_go_time(finished)}\n".encode()
        out.put_text(_layout.TIMESTAMP, stamp)
        if self.config.analyze:
            result = self._analyze(out, result)
        return result

    # --- items ----------------------------------------------------------------------------------------------------

    def _take(self, out: _output.Output, item: _traverse.Item) -> None:
        if isinstance(item, _traverse.Found):
            self._put_found(out, item)
        elif isinstance(item, _traverse.AlsoFound):
            self.objects[item.key]["reasons"].append(item.reason)
        elif isinstance(item, _traverse.Log):
            path = _layout.log_path(
                namespace=item.namespace, pod=item.pod, container=item.container, previous=item.previous
            )
            with item.file:
                out.put_log(path, _redact.filter_log(item.file))
            self.logs.append(
                {
                    "path": path,
                    "namespace": item.namespace,
                    "pod": item.pod,
                    "container": item.container,
                    "previous": item.previous,
                    "bytes": item.size,
                    "truncated": item.truncated,
                    "cut": item.cut,
                    "firstLineTime": item.first_time,
                    "transferredBytes": item.transferred,
                }
            )
            self.phase = "logs"
        elif isinstance(item, _traverse.Events):
            events = {"apiVersion": "v1", "kind": "EventList", "items": item.items}
            out.put_object(_layout.events_path(item.namespace), _redact.redact(events, group="", plural="events"))
            self.phase = "events"
        elif isinstance(item, _traverse.Problem):
            self.problems.append(item)
        else:
            self.notes[item.key] = item.value
        self._report()

    def _put_found(self, out: _output.Output, item: _traverse.Found) -> None:
        key, obj = item.key, item.obj
        if key.group == "" and key.plural == "pods":
            path = _layout.pod_path(namespace=key.namespace, pod=key.name)
        elif key.group == "" and key.plural == "namespaces":
            path = _layout.namespace_path(key.name)
        else:
            path = _layout.object_path(group=key.group, plural=key.plural, name=key.name, namespace=key.namespace)
        redacted = _redact.redact(obj, group=key.group, plural=key.plural)
        out.put_object(path, redacted)
        if key.plural == "pods" and key.group == "":
            self.pods[key.namespace].append(redacted.obj)
        if key.plural == "clusterserviceversions":
            image = _must_gather.image((obj.get("metadata") or {}).get("annotations"))
            if image:
                self.must_gather_images[(key.namespace, key.name)] = image
        self.objects[key] = {
            "path": path,
            "apiVersion": obj.get("apiVersion", item.resource.api_version),
            "kind": obj.get("kind", item.resource.kind),
            "namespace": key.namespace,
            "name": key.name,
            "uid": (obj.get("metadata") or {}).get("uid", ""),
            "reasons": [item.reason],
        }
        self.phase = item.resource.kind

    def _write_pod_lists(self, out: _output.Output) -> None:
        # omg and omc list pods from this file only; the per-pod files carry the logs next to them.
        for ns, pods in sorted(self.pods.items()):
            # Sorted by name: the order pods arrived in depends on the concurrency, the file must not.
            items = sorted(pods, key=lambda pod: str((pod.get("metadata") or {}).get("name", "")))
            podlist = {"apiVersion": "v1", "kind": "PodList", "items": items}
            out.put_object(_layout.pods_list_path(ns), _redact.redact(podlist, group="", plural="pods"))

    def _report(self) -> None:
        if self.config.progress is not None:
            self.config.progress(
                _config.Progress(
                    phase=self.phase, objects=len(self.objects), logs=len(self.logs), problems=len(self.problems)
                )
            )

    # --- results --------------------------------------------------------------------------------------------------

    def _result(self, out: _output.Output, started: datetime.datetime, finished: datetime.datetime) -> InspectResult:
        return InspectResult(
            location=out.location,
            objects=tuple(
                GatheredObject(
                    path=o["path"],
                    api_version=o["apiVersion"],
                    kind=o["kind"],
                    namespace=o["namespace"],
                    name=o["name"],
                    reasons=tuple(o["reasons"]),
                )
                for o in sorted(self.objects.values(), key=lambda o: str(o["path"]))
            ),
            logs=tuple(sorted(str(log["path"]) for log in self.logs)),
            problems=tuple(GatherProblem(kind=p.kind, target=p.target, message=p.message) for p in self.problems),
            started=started,
            finished=finished,
            requests=self.kube.requests,
            bytes_written=out.bytes_written,
            stopped=self.stopped,
            retries=self.kube.retries,
        )

    def _gather_json(self, result: InspectResult, traversal: _traverse.Traversal) -> bytes:
        by_kind = Counter(o.kind for o in result.objects)
        record = {
            "layoutVersion": _layout.LAYOUT_VERSION,
            "tool": {"name": PRODUCT, "version": __version__},
            "server": self.kube.server,
            "options": self.config.options_record(),
            "startedAt": result.started.isoformat(),
            "finishedAt": result.finished.isoformat(),
            "incomplete": result.incomplete,
            "incompleteReason": result.incomplete_reason,
            "stopMessage": self.stop_message,
            "counts": {
                "subscriptions": len(traversal.subscriptions),
                "objects": len(result.objects),
                "objectsByKind": dict(sorted(by_kind.items())),
                "logs": len(self.logs),
                "problems": len(self.problems),
                "requests": self.kube.requests,
                "retries": self.kube.retries,
            },
            "operators": self._operators(traversal),
            "notes": dict(sorted(self.notes.items())),
            "objects": sorted(self.objects.values(), key=lambda o: str(o["path"])),
            "logs": sorted(self.logs, key=lambda log: str(log["path"])),
            "problems": [dataclasses.asdict(p) for p in self.problems],
        }
        return orjson.dumps(record, option=orjson.OPT_INDENT_2) + b"\n"

    def _operators(self, traversal: _traverse.Traversal) -> list[dict[str, str]]:
        """One record per selected Subscription: its package, CSV and the operator's own must-gather image."""
        out = []
        for sub in traversal.subscriptions:
            meta, spec, status = (sub.get(k) or {} for k in ("metadata", "spec", "status"))
            ns = str(meta.get("namespace", ""))
            csv = str(status.get("installedCSV") or status.get("currentCSV") or "")
            image = self.must_gather_images.get((ns, csv), "")
            out.append(
                {
                    "package": str(spec.get("name", "")),
                    "namespace": ns,
                    "subscription": str(meta.get("name", "")),
                    "csv": csv,
                    "mustGatherImage": image,
                    "mustGatherCommand": _must_gather.command(image) if image else "",
                }
            )
        return sorted(out, key=lambda o: (o["namespace"], o["package"], o["subscription"]))

    def _analyze(self, out: _output.Output, result: InspectResult) -> InspectResult:
        from olm_gather import _analyze, _report  # noqa: PLC0415 - loaded once the fetching is done
        from olm_gather._analyze import _tree  # noqa: PLC0415

        tree = _tree.SpooledTree(*out.analysis_copy(), source=out.location)
        analysis = _analyze.analyze(tree)
        out.put_text(_layout.REPORT_HTML, _report.render_html(analysis, tree).encode("utf-8"))
        return dataclasses.replace(result, analysis=analysis)


def _go_time(t: datetime.datetime) -> str:
    """The time format `oc adm inspect` writes in its timestamp file."""
    return t.strftime("%Y-%m-%d %H:%M:%S.%f000 +0000 UTC")
