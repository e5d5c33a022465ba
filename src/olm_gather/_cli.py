"""The `olm-gather` command (also `kubectl olm-gather` and the must-gather image's `gather`). Thin: it parses
flags, builds the config, renders progress and the summary, and maps errors to exit codes:
0 complete, 1 gathered with recorded errors, 2 bad usage, config or connection."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING

import rich.console
import rich.progress

from olm_gather import _analyze, _config, _errors, _flags, _redact_command, _report, _sink
from olm_gather._version import __version__

if TYPE_CHECKING:
    from olm_gather import _inspector

MUST_GATHER_DIR = "/must-gather"
_PLAIN_INTERVAL = 5.0  # seconds between progress lines when stderr is not a terminal

_EPILOG = """examples:
  olm-gather                                  every operator OLM installed, into ./must-gather.local.<time>
  olm-gather -p etcd -n operators -o etcd.tar.gz
  olm-gather -o - | tar tz                    stream a tar.gz to stdout
  olm-gather analyze must-gather.local.2026…  diagnose a gathered tree or archive offline
  olm-gather redact case.tar.gz -o clean.tar.gz  a copy of any must-gather without secrets, to share
"""


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args[:1] == ["analyze"]:
            return _analyze_command(args[1:])
        if args[:1] == ["redact"]:
            return _redact_command.main(args[1:])
        if args[:1] == ["version"]:
            print(f"olm-gather {__version__}")
            return 0
        return _gather_command(args)
    except _errors.OlmGatherError as e:
        _error(e.message)
        return e.exit_code
    except KeyboardInterrupt:
        _error("interrupted")
        return 130


def must_gather_main(argv: Sequence[str] | None = None) -> int:
    """The image's `gather`: writes the tree and `version` under /must-gather ($MUST_GATHER_DIR in tests), next
    to whatever an operator's own must-gather writes there."""
    root = os.environ.get("MUST_GATHER_DIR", MUST_GATHER_DIR)
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        return _gather_command([*args, "--output", root, "--allow-existing"])
    except _errors.OlmGatherError as e:
        _error(e.message)
        return e.exit_code


def _gather_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="olm-gather",
        description="Gather the operators OLM installed (Subscriptions, InstallPlans, CSVs, what OLM created, pods, "
        "logs, events) into the must-gather layout, then say what is wrong. Secret values and environment "
        "variable values are never written.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _flags.add_flags(parser)
    parser.add_argument(
        "-o",
        "--output",
        default="",
        help="a directory (default ./must-gather.local.<time>), a file ending in .tar.gz, or - for a tar.gz on stdout",
    )
    parser.add_argument("--allow-existing", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every problem met while gathering")
    parser.add_argument("--version", action="version", version=f"olm-gather {__version__}")
    return parser


def _gather_command(argv: list[str]) -> int:
    from olm_gather import _inspector  # noqa: PLC0415 - the Kubernetes client, which `redact` must not load

    parser = _gather_parser()
    args = parser.parse_args(argv)
    to_stdout = args.output == "-"
    console = rich.console.Console(stderr=True, quiet=args.quiet, highlight=False)
    writer = _writer(args.output, allow_existing=args.allow_existing)
    with _ProgressView(console, enabled=not args.quiet) as view:
        config = _flags.config_from_flags(args, writer=writer, progress=view.update)
        result = _inspector.Inspector(config).inspect()
    _summary(console, result, verbose=args.verbose, to_stdout=to_stdout)
    return result.exit_code


def _writer(output: str, *, allow_existing: bool) -> _sink.Writer:
    from olm_gather import _inspector  # noqa: PLC0415 - see _gather_command

    if output == "-":
        if sys.stdout.isatty():
            raise _errors.ConfigError("refusing to write a tar.gz to a terminal: redirect stdout or use -o <dir>")
        return _sink.TarStreamWriter(sys.stdout.buffer, location="<stdout>")
    if output.endswith((".tar.gz", ".tgz")):
        if os.path.isdir(output):
            raise _errors.ConfigError(f"{output} is a directory; give a file name ending in .tar.gz")
        return _sink.TarGzWriter(output)
    directory = output or _inspector.default_output_dir()
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise _errors.ConfigError(f"{directory} exists and is not a directory: choose another --output")
    if os.path.isdir(directory) and os.listdir(directory) and not allow_existing:
        raise _errors.ConfigError(f"{directory} exists and is not empty: choose another --output")
    return _sink.DirectoryWriter(directory)


class _ProgressView:
    """A live line with counts on a terminal; one line per phase otherwise."""

    def __init__(self, console: rich.console.Console, *, enabled: bool) -> None:
        self._console = console
        self._enabled = enabled
        self._phase = ""
        self._next_line = 0.0
        self._progress: rich.progress.Progress | None = None
        self._task: rich.progress.TaskID | None = None

    def __enter__(self) -> _ProgressView:
        if self._enabled and self._console.is_terminal:
            self._progress = rich.progress.Progress(
                rich.progress.SpinnerColumn(),
                rich.progress.TextColumn("[bold]gathering[/] {task.description}"),
                rich.progress.BarColumn(bar_width=None),
                rich.progress.TextColumn("{task.fields[counts]}"),
                rich.progress.TimeElapsedColumn(),
                console=self._console,
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("Subscriptions", total=None, counts="")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def update(self, p: _config.Progress) -> None:
        counts = f"{p.objects} objects, {p.logs} logs, {p.problems} problems"
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=p.phase, counts=counts)
        elif self._enabled and p.phase != self._phase and time.monotonic() >= self._next_line:
            # Not a terminal (CI logs, a pipe): a line when the phase changes, at most every few seconds.
            self._console.print(f"gathering {p.phase} ({counts})")
            self._next_line = time.monotonic() + _PLAIN_INTERVAL
        self._phase = p.phase


def _summary(
    console: rich.console.Console, result: _inspector.InspectResult, *, verbose: bool, to_stdout: bool
) -> None:
    if result.analysis is not None:
        _analyze.render_terminal(result.analysis, console)
    problems = [p for p in result.problems if verbose or p.kind not in ("missing", "log_unavailable")]
    for p in problems:
        console.print(f"[yellow]{p.kind}[/]: {p.target}: {p.message}", highlight=False)
    seconds = (result.finished - result.started).total_seconds()
    state = "[red]incomplete[/] (see gather.json problems)" if result.incomplete else "complete"
    console.print(
        f"gathered {len(result.objects)} objects and {len(result.logs)} logs in {seconds:.1f}s "
        f"({result.requests} requests): {state}"
    )
    if not to_stdout:
        console.print(f"output: [bold]{result.location}[/]")


def _analyze_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="olm-gather analyze",
        description="Diagnose the OLM operators in a gathered must-gather directory or .tar.gz, offline.",
    )
    parser.add_argument("path", help="a must-gather directory or .tar.gz (olm-gather's or oc adm inspect's)")
    parser.add_argument("--format", choices=("table", "json"), default="table", help="output format (default table)")
    parser.add_argument(
        "--report",
        default="",
        help="where to write the HTML report (default: report.html inside a directory, "
        "<archive>.report.html next to an archive)",
    )
    args = parser.parse_args(argv)
    if not os.path.exists(args.path):
        raise _errors.ConfigError(f"{args.path} does not exist: give a must-gather directory or .tar.gz")
    tree = _analyze.open_tree(args.path)
    analysis = _analyze.analyze(tree)
    report = args.report or _default_report_path(args.path)
    with open(report, "w", encoding="utf-8") as f:
        f.write(_report.render_html(analysis, tree))
    if args.format == "json":
        sys.stdout.write(_analyze.to_json(analysis))
        return 0
    console = rich.console.Console(highlight=False)
    _analyze.render_terminal(analysis, console)
    console.print(f"report: [bold]{report}[/]")
    return 0


def _default_report_path(path: str) -> str:
    if os.path.isdir(path):
        return os.path.join(path, "report.html")
    base = path.removesuffix(".tar.gz").removesuffix(".tgz")
    return f"{base}.report.html"


def _error(message: str, stream: IO[str] | None = None) -> None:
    print(f"error: {message}", file=stream or sys.stderr)
