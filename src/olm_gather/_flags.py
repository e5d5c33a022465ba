"""The small set of flags every command that gathers OLM data shares, for argparse (and click), so an operator
team's own must-gather offers the same options as `olm-gather`."""

from __future__ import annotations

import argparse
import datetime
import math
import re
import sys
from typing import Any, NoReturn

from olm_gather import _config, _errors

COMPLETE = "__complete"
"""The hidden command the completion scripts call for namespaces and packages (`_completion`): here, so the CLI
dispatches it without loading the completion module."""
_SIZE = re.compile(r"^(\d+)\s*([KMG]i?)?B?$", re.IGNORECASE)
# Go's time.Duration syntax (oc passes `--since` on as its String(), e.g. 1h0m0s, 1.5s, 500ms) plus days.
_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d)")
_UNITS = {"": 1, "k": 1000, "ki": 1024, "m": 1000**2, "mi": 1024**2, "g": 1000**3, "gi": 1024**3}
_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600, "d": 86400}


class Parser(argparse.ArgumentParser):
    """argparse with kubectl's one-line usage errors (`error: ... (see <prog> --help)`), exit code 2; every
    olm-gather command parses with it."""

    def error(self, message: str) -> NoReturn:
        print(f"error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


def parse_size(text: str) -> int:
    """`4Mi`, `500K`, `1048576` -> bytes."""
    match = _SIZE.match(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"invalid size {text!r}: use bytes or a suffix such as 512Ki, 4Mi, 1Gi")
    return int(match.group(1)) * _UNITS[(match.group(2) or "").lower()]


def parse_duration(text: str) -> int:
    """`90s`, `10m`, `1h30m`, `2d`, `1h0m0s`, `1.5s` -> whole seconds, a fraction rounded up (the API server's
    sinceSeconds is whole, and rounding down could drop the newest second)."""
    text = text.strip()
    if not text or _DURATION.sub("", text):
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}: use e.g. 30s, 10m, 1h30m")
    return math.ceil(sum(float(n) * _SECONDS[u] for n, u in _DURATION.findall(text)) - 1e-9)


def parse_time(text: str) -> str:
    """An RFC 3339 time (`2026-01-02T15:04:05Z`, an offset, fractions) -> the same instant in UTC, as the API
    server's `sinceTime` wants it (kubectl's --since-time)."""
    try:
        t = datetime.datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        t = None
    if t is None or t.tzinfo is None or "T" not in text.upper():
        raise argparse.ArgumentTypeError(f"invalid time {text!r}: use RFC 3339, e.g. 2026-01-02T15:04:05Z")
    return t.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def parse_timeout(text: str) -> int:
    """Like `parse_duration`, and a bare number of seconds; `0` means no limit (kubectl's --request-timeout)."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    return parse_duration(text)


def add_flags(parser: argparse.ArgumentParser) -> None:
    """Adds --kubeconfig, --context, -n/--namespace, -p/--package, --log-limit, --since, --since-time and
    --timeout."""
    group = parser.add_argument_group("olm-gather")
    group.add_argument(
        "--kubeconfig",
        default="",
        help="path to the kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)",
    )
    group.add_argument("--context", default="", help="kubeconfig context to use (default: current)")
    group.add_argument(
        "-n", "--namespace", default="", help="look for Subscriptions in this namespace only (default: all namespaces)"
    )
    group.add_argument(
        "-p", "--package", default="", help="gather only the operator of this package (Subscription spec.name)"
    )
    group.add_argument(
        "--log-limit",
        type=parse_size,
        default=_config.DEFAULT_LOG_LIMIT_BYTES,
        metavar="SIZE",
        help="cap of each container log, current and previous (default: 4Mi)",
    )
    group.add_argument(
        "--since",
        type=parse_duration,
        default=0,
        metavar="DURATION",
        help="only logs newer than this, e.g. 1h (default: all)",
    )
    group.add_argument(
        "--since-time",
        type=parse_time,
        default=None,  # argparse would pass a "" default through parse_time
        metavar="TIME",
        help="only logs after this RFC 3339 time, e.g. 2026-01-02T15:04:05Z (default: all; not with --since)",
    )
    group.add_argument(
        "--timeout",
        type=parse_timeout,
        default=0,
        metavar="DURATION",
        help="stop fetching after this long, e.g. 5m, and write what was gathered, marked incomplete "
        "(default: 0, no limit)",
    )
    group.add_argument(
        "--concurrency",
        type=parse_concurrency,
        default=_config.InspectConfig.concurrency,
        metavar="N",
        help=f"requests in flight at once (default: {_config.InspectConfig.concurrency}; more hides a long round trip)",
    )


def parse_concurrency(value: str) -> int:
    """A whole number of requests in flight, at least 1."""
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid concurrency {value!r}: give a whole number, e.g. 16") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"invalid concurrency {value!r}: at least 1")
    return n


def config_from_flags(args: argparse.Namespace, **overrides: Any) -> _config.InspectConfig:
    """The InspectConfig the parsed flags describe; keyword overrides (writer, progress...) win."""
    values: dict[str, Any] = {
        "kubeconfig": args.kubeconfig,
        "context": args.context,
        "namespace": args.namespace,
        "package": args.package,
        "log_limit_bytes": args.log_limit,
        "since_seconds": args.since,
        # Parsers built before --since-time existed have no such attribute.
        "since_time": getattr(args, "since_time", None) or "",
        # Parsers built before --timeout existed (an operator's own must-gather) have no such attribute.
        "timeout_seconds": getattr(args, "timeout", 0),
        "concurrency": getattr(args, "concurrency", _config.InspectConfig.concurrency),
    }
    values.update(overrides)
    try:
        return _config.InspectConfig(**values)
    except TypeError as e:
        raise _errors.ConfigError(f"unknown option: {e}") from None


def click_options(command: Any) -> Any:
    """Decorates a click command with the same flags; build the config with `config_from_click(**kwargs)`."""
    import click  # noqa: PLC0415 - click is an optional extra

    options = [
        click.option("--kubeconfig", default="", help="path to the kubeconfig file"),
        click.option("--context", default="", help="kubeconfig context to use"),
        click.option("-n", "--namespace", default="", help="look for Subscriptions in this namespace only"),
        click.option("-p", "--package", default="", help="gather only the operator of this package"),
        click.option(
            "--log-limit", default="4Mi", help="cap of each container log", callback=_click_convert(parse_size)
        ),
        click.option(
            "--since", default="", help="only logs newer than this, e.g. 1h", callback=_click_convert(parse_duration)
        ),
        click.option(
            "--since-time",
            default="",
            help="only logs after this RFC 3339 time",
            callback=_click_convert(parse_time, empty=""),
        ),
        click.option(
            "--timeout",
            default="0",
            help="stop fetching after this long and write what was gathered",
            callback=_click_convert(parse_timeout),
        ),
        click.option(
            "--concurrency",
            default=str(_config.InspectConfig.concurrency),
            help="requests in flight at once",
            callback=_click_convert(parse_concurrency, empty=_config.InspectConfig.concurrency),
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def config_from_click(**kwargs: Any) -> _config.InspectConfig:
    """The InspectConfig of a click command decorated with `click_options`; extra keyword arguments pass through."""
    names = {
        "kubeconfig",
        "context",
        "namespace",
        "package",
        "log_limit",
        "since",
        "since_time",
        "timeout",
        "concurrency",
    }
    args = argparse.Namespace(**{k: kwargs.pop(k) for k in names})
    return config_from_flags(args, **kwargs)


def _click_convert(parse: Any, *, empty: Any = 0) -> Any:
    import click  # noqa: PLC0415

    def convert(_ctx: Any, _param: Any, value: str) -> Any:
        if value == "":
            return empty
        try:
            result = parse(value)
        except argparse.ArgumentTypeError as e:
            raise click.BadParameter(str(e)) from None
        return result

    return convert
