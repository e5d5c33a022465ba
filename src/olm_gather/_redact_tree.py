"""Redacts a whole must-gather tree written by anyone (`oc adm must-gather`, `oc adm inspect`, olm-gather) from a
directory or a tar archive into a `Writer`, through the same gate as a gather (`_redact`).

- Object files (`.yaml`, `.yml`, `.json`): every document that is an object or a list goes through
  `_redact.redact` with the resource its path names (`_layout.parse` below the first `namespaces/` or
  `cluster-scoped-resources/`, so one archive may hold several trees, as `oc adm must-gather` writes one per
  image). A file is written as it was when nothing was replaced, re-encoded otherwise. A file that does not
  parse, or holds anything but objects and lists, is refused: not written, and listed (fail closed).
- Every other file (logs, html, text, archives) goes through the log filter (private keys) as a byte stream.

It never writes to the source: it reads it only, and refuses nothing but what it cannot check. Links, devices and
names that could point outside the tree are skipped and listed.
"""

from __future__ import annotations

import collections
import dataclasses
import os
import tarfile
from collections.abc import Iterator
from typing import IO, Any

import orjson
import yaml

from olm_gather import _layout, _redact, _sink, _yaml
from olm_gather._analyze import _tree

_OBJECT_SUFFIXES = (".yaml", ".yml", ".json")
_ROOTS = (_layout.NAMESPACES, _layout.CLUSTER)


@dataclasses.dataclass
class Summary:
    """What `redact_tree` did, for the command to print."""

    objects: int = 0
    """Object files that went through the gate."""
    other: int = 0
    """Other files, through the private-key filter."""
    changed: list[str] = dataclasses.field(default_factory=list)
    """Files whose content was redacted."""
    refused: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    """Files not written, with the reason."""
    skipped: list[str] = dataclasses.field(default_factory=list)
    """Links, devices and unsafe names."""
    counts: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)
    """Values replaced, per rule."""


def redact_tree(source: str, writer: _sink.Writer) -> Summary:
    """Writes the redacted copy of the tree at `source` (a directory or a tar archive) to `writer`."""
    summary = Summary()
    files = _dir_files(source, summary) if os.path.isdir(source) else _archive_files(source, summary)
    for path, stream in files:
        if path.endswith(_OBJECT_SUFFIXES):
            _object_file(path, stream.read(), writer, summary)
        else:
            with _redact.filter_log(stream) as log:
                writer.write_stream(path, log.file, log.size)
            summary.other += 1
            if log.count:
                summary.changed.append(path)
                summary.counts[_redact.PRIVATE_KEY] += log.count
    return summary


def resource_of(path: str) -> tuple[str, str]:
    """The (group, plural) a tree path holds objects of, or ("", "") when the path does not say."""
    parts = path.split("/")
    for i, part in enumerate(parts[:-1]):
        if part in _ROOTS:
            parsed = _layout.parse("/".join(parts[i:]))
            if parsed is not None and parsed.kind == "namespace":
                return "", "namespaces"
            if parsed is None or not parsed.plural:
                return "", ""
            return parsed.group, parsed.plural
    return "", ""


def _object_file(path: str, data: bytes, writer: _sink.Writer, summary: Summary) -> None:
    group, plural = resource_of(path)
    is_json = path.endswith(".json")
    try:
        docs = [orjson.loads(data)] if is_json else list(yaml.load_all(data, Loader=_redact.YamlLoader))
    except (orjson.JSONDecodeError, yaml.YAMLError, UnicodeDecodeError, RecursionError) as err:
        summary.refused.append((path, f"does not parse as {'JSON' if is_json else 'YAML'}: {_first_line(err)}"))
        return
    out: list[Any] = []
    counts: collections.Counter[str] = collections.Counter()
    for doc in docs:
        if doc is None:
            out.append(doc)
            continue
        if isinstance(doc, list):
            # A bare list of objects: its items are objects of the path's resource, as a list file's are.
            redacted = _redact.redact({"items": doc}, group=group, plural=plural)
            out.append(redacted.obj["items"])
        elif isinstance(doc, dict):
            redacted = _redact.redact(doc, group=group, plural=plural)
            out.append(redacted.obj)
        else:
            summary.refused.append((path, f"holds a {type(doc).__name__}, not an object or a list"))
            return
        counts.update(redacted.counts)
    summary.objects += 1
    if not counts:
        writer.write(path, data)
        return
    summary.changed.append(path)
    summary.counts.update(counts)
    if is_json:
        writer.write(path, orjson.dumps(out[0], option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n")
    else:
        writer.write(path, b"---\n".join(_yaml.dump(doc) for doc in out))


def _dir_files(root: str, summary: Summary) -> Iterator[tuple[str, IO[bytes]]]:
    for folder, dirs, names in os.walk(root, followlinks=False):
        dirs.sort()
        rel = os.path.relpath(folder, root).replace(os.sep, "/")
        for name in sorted(names):
            path = name if rel == "." else f"{rel}/{name}"
            full = os.path.join(folder, name)
            if os.path.islink(full) or not os.path.isfile(full):
                summary.skipped.append(path)
                continue
            with open(full, "rb") as f:
                yield path, f


def _archive_files(archive: str, summary: Summary) -> Iterator[tuple[str, IO[bytes]]]:
    """Two passes over the archive: the names first, to drop the one top folder every member shares (the
    writer puts its own), then the files."""
    try:
        with tarfile.open(archive, mode="r|*") as tar:
            names = [m.name for m in tar if m.isfile()]
        top = _common_top(names)
        with tarfile.open(archive, mode="r|*") as tar:
            for member in tar:
                if member.isdir():
                    continue
                name = _tree._clean_name(member.name)
                if name is None or not member.isfile():
                    summary.skipped.append(member.name)
                    continue
                stream = tar.extractfile(member)
                if stream is not None:
                    yield name[len(top) :], stream
    except (tarfile.TarError, EOFError, OSError) as err:
        raise _tree.UnreadableTreeError(f"{archive}: not a readable tar archive ({err})") from err


def _common_top(names: list[str]) -> str:
    clean = [n for name in names if (n := _tree._clean_name(name)) is not None]
    tops = {n.split("/", 1)[0] for n in clean}
    if len(tops) == 1 and all("/" in n for n in clean):
        return f"{tops.pop()}/"
    return ""


def _first_line(err: BaseException) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
