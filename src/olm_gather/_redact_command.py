"""`olm-gather redact SRC -o DEST`: a redacted copy of any must-gather directory or archive, through the gate a
gather uses (`_redact_tree`). Thin, like the rest of the CLI; it must not import the Kubernetes client, so that it
starts fast and runs where only the archive is."""

from __future__ import annotations

import argparse
import os
import sys

from olm_gather import _errors, _flags, _redact_tree, _sink

_ARCHIVE = (".tar.gz", ".tgz")


def parser() -> argparse.ArgumentParser:
    """The command's flags (also read by shell completion)."""
    parser = _flags.Parser(
        prog="olm-gather redact",
        description="Write a copy of a must-gather (oc adm must-gather, oc adm inspect, olm-gather) with no Secret "
        "value, environment variable value or private key: every YAML/JSON object and list file passes the gate a "
        "gather uses, every other file the private-key filter. SRC is never modified.",
    )
    parser.add_argument("source", metavar="SRC", help="a must-gather directory or tar archive (.tar.gz, .tgz, .tar)")
    parser.add_argument(
        "-o", "--output", required=True, metavar="DEST", help="a new directory, or a file ending in .tar.gz"
    )
    return parser


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    source, dest = args.source, args.output
    if not os.path.exists(source):
        raise _errors.ConfigError(f"{source} does not exist: give a must-gather directory or archive")
    _check_dest(source, dest)
    writer: _sink.Writer = _sink.TarGzWriter(dest) if dest.endswith(_ARCHIVE) else _sink.DirectoryWriter(dest)
    try:
        summary = _redact_tree.redact_tree(source, writer)
    finally:
        writer.close()
    _print(summary, source, dest)
    return 1 if summary.refused else 0


def _check_dest(source: str, dest: str) -> None:
    if dest.endswith(_ARCHIVE):
        if os.path.exists(dest):
            raise _errors.ConfigError(f"{dest} exists: choose another --output")
    elif os.path.exists(dest) and (not os.path.isdir(dest) or os.listdir(dest)):
        raise _errors.ConfigError(f"{dest} exists and is not an empty directory: choose another --output")
    src, out = os.path.realpath(source), os.path.realpath(dest)
    if out == src or (os.path.isdir(src) and out.startswith(src + os.sep)):
        raise _errors.ConfigError(f"{dest} is inside {source}: the source is never modified, choose another --output")


def _print(summary: _redact_tree.Summary, source: str, dest: str) -> None:
    out = sys.stdout
    out.write(
        f"{source} -> {dest}: {summary.objects} object files, {summary.other} other files, "
        f"{len(summary.changed)} changed\n"
    )
    for rule, count in sorted(summary.counts.items()):
        out.write(f"  {count:8d}  {rule}\n")
    if not summary.counts:
        out.write("  nothing to replace\n")
    for path in summary.skipped:
        out.write(f"skipped (not a regular file, or an unsafe name): {path}\n")
    for path, reason in summary.refused:
        out.write(f"refused (not written, it cannot be checked): {path}: {reason}\n")
