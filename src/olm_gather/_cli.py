"""The `olm-gather` command (also `kubectl olm-gather` and the must-gather image's `gather`). Thin: it parses
flags, builds the config, renders progress and the summary, and maps errors to exit codes:

    0    complete
    1    gathered, but something was refused or failed, or --timeout stopped it (see gather.json)
    2    nothing gathered: bad usage, kubeconfig, connection, output, or a cluster without OLM
    3    an unexpected error (a bug): one line, the traceback with -v
    130  interrupted (SIGINT); 143 terminated (SIGTERM): what was gathered is written, marked incomplete
    141  the reader of `-o -` went away (quietly, like other Unix tools)
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from types import FrameType
from typing import IO, TYPE_CHECKING, NoReturn

from olm_gather import _config, _errors, _flags, _sink
from olm_gather._version import __version__

if TYPE_CHECKING:
    import rich.console
    import rich.progress

    from olm_gather import _inspector

# rich, the analysis and the report load after the gather's first request is sent (see _ProgressView): they
# cost about 0.3 s that a user would otherwise wait before anything happens.

MUST_GATHER_DIR = "/must-gather"
_PLAIN_INTERVAL = 5.0  # seconds between progress lines when stderr is not a terminal

_EPILOG = """examples:
  olm-gather                                  every operator OLM installed, into ./must-gather.local.<time>
  olm-gather -p etcd -n operators -o etcd.tar.gz
  olm-gather -o - | tar tz                    stream a tar.gz to stdout
  olm-gather analyze must-gather.local.2026…  diagnose a gathered tree or archive offline
  olm-gather serve must-gather.local.2026…    serve a gathered tree to kubectl, read-only
  olm-gather redact case.tar.gz -o clean.tar.gz  a copy of any must-gather without secrets, to share
  source <(olm-gather completion bash)        complete flags, namespaces and packages (also zsh, fish)
"""


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["analyze"]:
        return _guarded(_analyze_command, args[1:])
    # serve and redact read trees only: they are loaded on demand, and load nothing that talks to a cluster.
    if args[:1] == ["serve"]:
        from olm_gather import _serve_command  # noqa: PLC0415

        return _guarded(_serve_command.main, args[1:])
    if args[:1] == ["redact"]:
        from olm_gather import _redact_command  # noqa: PLC0415

        return _guarded(_redact_command.main, args[1:])
    if args[:1] == ["version"]:
        return _guarded(lambda _: _print_version(), [])
    if args[:1] == ["completion"]:
        return _guarded(_completion_command, args[1:])
    if args[:1] == [_flags.COMPLETE]:
        from olm_gather import _completion  # noqa: PLC0415 - with yaml, ~10 ms a gather does not need before it starts

        return _completion.lookup(args[1:])
    return _guarded(_gather_command, args)


def run() -> NoReturn:
    """The console scripts' entry: `main()`, then the process ends without the interpreter's teardown."""
    _exit(main())


def run_must_gather() -> NoReturn:
    """The must-gather image's `gather` entry: `must_gather_main()`, ended as `run()` ends."""
    _exit(must_gather_main())


def _exit(code: int) -> NoReturn:
    # Freeing every module, cache and object at exit took ~40 ms of a one-second gather: once the output is
    # closed and the streams flushed, nothing is left that a teardown would do (no atexit hook of ours, the
    # workers are daemon threads).
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


def must_gather_main(argv: Sequence[str] | None = None) -> int:
    """The image's `gather`: writes the tree and `version` under /must-gather ($MUST_GATHER_DIR in tests), next
    to whatever an operator's own must-gather writes there. `oc adm must-gather --since/--since-time` reach it
    as $MUST_GATHER_SINCE (a Go duration) and $MUST_GATHER_SINCE_TIME (RFC 3339)."""
    root = os.environ.get("MUST_GATHER_DIR", MUST_GATHER_DIR)
    args = list(sys.argv[1:] if argv is None else argv)
    since = [
        f"{flag}={os.environ[name]}"
        for name, flag in (("MUST_GATHER_SINCE", "--since"), ("MUST_GATHER_SINCE_TIME", "--since-time"))
        if os.environ.get(name)
    ]
    # The variables first: an argument given to the entrypoint itself wins.
    return _guarded(_gather_command, [*since, *args, "--output", root, "--allow-existing"])


def _completion_parser() -> argparse.ArgumentParser:
    parser = _flags.Parser(
        prog="olm-gather completion",
        description="Print a shell completion script: flags, subcommands, and for -n/-p the namespaces and "
        "packages of the cluster (asked when you press TAB, for at most a few seconds).",
        epilog="bash: source <(olm-gather completion bash)   zsh: source <(olm-gather completion zsh)\n"
        "fish: olm-gather completion fish | source",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from olm_gather import _completion  # noqa: PLC0415

    parser.add_argument("shell", choices=_completion.SHELLS, help="the shell to complete in")
    return parser


def _completion_command(argv: list[str]) -> int:
    from olm_gather import _completion, _redact_command, _serve_command  # noqa: PLC0415 - only when asked for

    shell = _completion_parser().parse_args(argv).shell
    commands = [
        _completion.command("", "gather", _gather_parser()),
        _completion.command("analyze", "diagnose a gathered tree offline", _analyze_parser()),
        _completion.command("serve", "serve a gathered tree to kubectl", _serve_command.parser()),
        _completion.command("redact", "a copy of a must-gather without secret values", _redact_command.parser()),
        _completion.command("completion", "print a shell completion script", _completion_parser()),
        _completion.Command("version", "print the version", (), ""),
    ]
    sys.stdout.write(_completion.script(shell, commands))
    return 0


def _print_version() -> int:
    print(f"olm-gather {__version__}")
    return 0


def _guarded(command: Callable[[list[str]], int], args: list[str]) -> int:
    """Runs a command and maps every way it can end to an exit code and at most one line on stderr."""
    try:
        return command(args)
    except _errors.OutputClosedError as e:
        _quiet_stdout()
        return e.exit_code
    except BrokenPipeError:
        _quiet_stdout()
        return _errors.OutputClosedError.exit_code
    except _errors.OlmGatherError as e:
        _error(e.message)
        if isinstance(e, _errors.OutputError):
            _quiet_stdout()  # stdout may be the output that failed: no second error when Python flushes it
        return e.exit_code
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except Exception as e:
        if "-v" in args or "--verbose" in args:
            traceback.print_exc()
        _error(
            f"unexpected {type(e).__name__}: {' '.join(str(e).split())[:200]} (a bug: run with -v for the traceback)"
        )
        return 3


def _quiet_stdout() -> None:
    # Python flushes stdout at exit and would print a second BrokenPipeError: point it at /dev/null first.
    with contextlib.suppress(OSError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _gather_parser() -> argparse.ArgumentParser:
    parser = _flags.Parser(
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
    parser.add_argument(
        "--force", action="store_true", help="write over an existing archive or into a non-empty directory"
    )
    parser.add_argument("--allow-existing", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="the end-of-run summary: a table on stderr, or JSON on stdout for CI gates (default table)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every problem met while gathering")
    parser.add_argument("--version", action="version", version=f"olm-gather {__version__}")
    return parser


def _gather_command(argv: list[str]) -> int:
    args = _gather_parser().parse_args(argv)  # --help and --version end here, before the gather's modules load
    from olm_gather import _inspector  # noqa: PLC0415 - the gather's modules, which serve and redact need not load

    to_stdout = args.output == "-"
    if to_stdout and args.format == "json":
        raise _errors.ConfigError("--format json and -o - both write to stdout: choose one")
    writer = _writer(args.output, allow_existing=args.allow_existing or args.force, force=args.force)
    with _ProgressView(quiet=args.quiet) as view:
        config = _flags.config_from_flags(args, writer=writer, progress=view.update)
        inspector = _inspector.Inspector(config)
        with _stop_on_signals(inspector) as received:
            result = inspector.inspect()
    if args.format == "json":
        sys.stdout.write(summary_json(result))
    else:
        _summary(view.console(), result, verbose=args.verbose, to_stdout=to_stdout)
    if received and result.stopped == _errors.INTERRUPTED:
        return 128 + received[0]  # 130 for SIGINT, 143 for SIGTERM, as a shell reports them
    return result.exit_code


@contextlib.contextmanager
def _stop_on_signals(inspector: _inspector.Inspector) -> Iterator[list[int]]:
    """The first SIGINT or SIGTERM stops fetching and lets the gather finish its output (gather.json says
    `interrupted`); a second one exits at once. Yields the signals received."""
    received: list[int] = []

    def handle(signum: int, _frame: FrameType | None) -> None:
        if received:
            os._exit(128 + signum)  # the user insists: no cleanup
        received.append(signum)
        name = signal.Signals(signum).name
        inspector.cancel(name)
        # A signal handler must not re-enter rich's console: write the line straight to the descriptor.
        os.write(2, f"\n{name}: finishing the output (again to quit at once)\n".encode())

    if threading.current_thread() is not threading.main_thread():
        yield received  # only the main thread may handle signals (main() called from a library caller's thread)
        return
    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _writer(output: str, *, allow_existing: bool, force: bool) -> _sink.Writer:
    """The writer for `-o`, refusing at once what cannot work or would overwrite something."""
    if output == "-":
        if sys.stdout.isatty():
            raise _errors.ConfigError("refusing to write a tar.gz to a terminal: redirect stdout or use -o <dir>")
        return _sink.TarStreamWriter(sys.stdout.buffer, location="<stdout>")
    if output.endswith((".tar.gz", ".tgz")):
        if os.path.isdir(output):
            raise _errors.ConfigError(f"{output} is a directory; give a file name ending in .tar.gz")
        if os.path.lexists(output) and not force:
            raise _errors.ConfigError(f"{output} exists: choose another --output, or pass --force to replace it")
        _check_parent(output, create=False)
        return _sink.TarGzWriter(output)
    from olm_gather import _inspector  # noqa: PLC0415

    directory = output or _inspector.default_output_dir()
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise _errors.ConfigError(f"{directory} exists and is not a directory: choose another --output")
    if os.path.isdir(directory) and os.listdir(directory) and not allow_existing:
        raise _errors.ConfigError(
            f"{directory} exists and is not empty: choose another --output, or pass --force to write into it"
        )
    _check_parent(directory, create=True)
    return _sink.DirectoryWriter(directory)


def _check_parent(path: str, *, create: bool) -> None:
    """The nearest existing folder above `path` must be a writable directory (and, for a file, be its parent)."""
    parent = os.path.dirname(os.path.abspath(path))
    while create and not os.path.lexists(parent):
        parent = os.path.dirname(parent)
    if not os.path.lexists(parent):
        raise _errors.ConfigError(f"the folder {parent} does not exist: create it first or choose another --output")
    if not os.path.isdir(parent):
        raise _errors.ConfigError(f"{parent} is not a directory: choose another --output")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise _errors.ConfigError(f"{parent} is not writable: choose another --output")


class _ProgressView:
    """A live line with counts on a terminal; one line per phase otherwise. rich is loaded on the first update,
    which comes after the first answer of the API server."""

    def __init__(self, *, quiet: bool) -> None:
        self._quiet = quiet
        self._console: rich.console.Console | None = None
        self._phase = ""
        self._next_line = 0.0
        self._progress: rich.progress.Progress | None = None
        self._task: rich.progress.TaskID | None = None
        self._terminal: bool | None = None

    def console(self) -> rich.console.Console:
        if self._console is None:
            import rich.console  # noqa: PLC0415

            self._console = rich.console.Console(stderr=True, quiet=self._quiet, highlight=False)
        return self._console

    def __enter__(self) -> _ProgressView:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def _start(self) -> None:
        import rich.progress  # noqa: PLC0415

        self._progress = rich.progress.Progress(
            rich.progress.SpinnerColumn(),
            rich.progress.TextColumn("[bold]gathering[/] {task.description}"),
            rich.progress.BarColumn(bar_width=None),
            rich.progress.TextColumn("{task.fields[counts]}"),
            rich.progress.TimeElapsedColumn(),
            console=self.console(),
            transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task("", total=None, counts="")

    def update(self, p: _config.Progress) -> None:
        if self._quiet:
            return
        if self._terminal is None:
            self._terminal = self.console().is_terminal  # asked once: rich looks at the environment each time
            if self._terminal:
                self._start()
        counts = f"{p.objects} objects, {p.logs} logs, {p.problems} problems"
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=p.phase, counts=counts)
        elif p.phase != self._phase and time.monotonic() >= self._next_line:
            # Not a terminal (CI logs, a pipe): a line when the phase changes, at most every few seconds.
            self.console().print(f"gathering {p.phase} ({counts})")
            self._next_line = time.monotonic() + _PLAIN_INTERVAL
        self._phase = p.phase


def _summary(
    console: rich.console.Console, result: _inspector.InspectResult, *, verbose: bool, to_stdout: bool
) -> None:
    if result.analysis is not None:
        from olm_gather import _analyze  # noqa: PLC0415

        _analyze.render_terminal(result.analysis, console)
    problems = [p for p in result.problems if verbose or p.kind not in ("missing", "log_unavailable")]
    for p in problems:
        console.print(f"[yellow]{p.kind}[/]: {p.target}: {p.message}", highlight=False)
    seconds = (result.finished - result.started).total_seconds()
    if result.stopped:
        stop = {_errors.INTERRUPTED: "interrupted", _errors.DEADLINE: "stopped by --timeout"}[result.stopped]
        state = f"[red]incomplete[/]: {stop}, what was gathered until then is written"
    else:
        state = "[red]incomplete[/] (see gather.json problems)" if result.incomplete else "complete"
    retried = f", {result.retries} retried" if result.retries else ""
    console.print(
        f"gathered {len(result.objects)} objects and {len(result.logs)} logs in {seconds:.1f}s "
        f"({result.requests} requests{retried}): {state}"
    )
    if not to_stdout:
        console.print(f"output: [bold]{result.location}[/]")


def summary_json(result: _inspector.InspectResult) -> str:
    """What the end-of-run table shows, for machines: the outcome, counts, output location, every problem,
    the operators and findings."""
    record: dict[str, object] = {
        "location": result.location,
        "incomplete": result.incomplete,
        "incompleteReason": result.incomplete_reason,
        "exitCode": result.exit_code,
        "seconds": round((result.finished - result.started).total_seconds(), 3),
        "counts": {
            "objects": len(result.objects),
            "logs": len(result.logs),
            "problems": len(result.problems),
            "requests": result.requests,
            "retries": result.retries,
        },
        "problems": [dataclasses.asdict(p) for p in result.problems],
    }
    analysis = result.analysis.to_dict() if result.analysis is not None else {}
    record["operators"] = analysis.get("operators", [])
    record["findings"] = analysis.get("findings", [])
    return json.dumps(record, indent=2, ensure_ascii=False) + "\n"


def _analyze_parser() -> argparse.ArgumentParser:
    parser = _flags.Parser(
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
    return parser


def _analyze_command(argv: list[str]) -> int:
    import rich.console  # noqa: PLC0415

    from olm_gather import _analyze, _report  # noqa: PLC0415

    args = _analyze_parser().parse_args(argv)
    if not os.path.exists(args.path):
        raise _errors.ConfigError(f"{args.path} does not exist: give a must-gather directory or .tar.gz")
    tree = _analyze.open_tree(args.path)
    analysis = _analyze.analyze(tree)
    report = args.report or _default_report_path(args.path)
    try:
        with open(report, "w", encoding="utf-8") as f:
            f.write(_report.render_html(analysis, tree))
    except OSError as e:
        raise _errors.OutputError(f"cannot write the report {report}: {e.strerror or e}; choose --report") from None
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
