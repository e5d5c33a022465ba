"""A gathered tree as relative paths and bytes: a directory, a `.tar.gz` or an in-memory map.

Owns finding the layout root (an archive or folder may wrap the tree in one or more folders, as `oc adm
must-gather` does with its image folder), the size limits, and keeping only the tail of log files so that
the three readers return the same bytes. Troubleshoot's analyzers read through a `getFile(path)` function;
`Tree.read` is that shape.

It never writes, never extracts an archive to disk, and never reads outside the tree: absolute names, `..`
segments, links and devices are skipped.
"""

from __future__ import annotations

import abc
import os
import posixpath
import tarfile
from collections.abc import Iterable, Mapping
from typing import IO

from olm_gather import _errors, _layout

LOG_TAIL_BYTES = _layout.LOG_TAIL_BYTES

MAX_FILE_BYTES = 64 * 1024 * 1024
"""Other files larger than this are skipped (and reported), so a hostile archive cannot exhaust memory."""

MAX_ARCHIVE_BYTES = 1024 * 1024 * 1024
"""An archive whose kept content exceeds this is refused."""

_ROOT_MARKERS = (_layout.NAMESPACES, _layout.CLUSTER)
_ROOT_FILES = frozenset({_layout.VERSION, _layout.GATHER_JSON, _layout.TIMESTAMP})
# Only these files matter to analyze and the report; the rest of an archive is not kept in memory.
_KEPT_SUFFIXES = (".yaml", ".yml", ".json", ".log")
_KEPT_NAMES = (_layout.VERSION, _layout.TIMESTAMP)


class UnreadableTreeError(_errors.ConfigError):
    """The source is not a directory, a readable tar archive or a mapping (bad input: exit code 2)."""


class Tree(abc.ABC):
    """Read access to one gathered tree, by layout path (`namespaces/ns1/core/events.yaml`)."""

    def __init__(self, *, source: str, prefix: str) -> None:
        self.source = source
        """What was opened: a directory or archive path, or `<memory>`."""
        self.prefix = prefix
        """The folders in front of the layout root inside the source (`must-gather.local.1/`), or ""."""
        self.skipped: list[str] = []
        """Files left out because they are too large."""
        self.derived: dict[str, object] = {}
        """What readers built from the tree, built once (`_objects.Index.of`: the analysis and the report)."""

    @abc.abstractmethod
    def paths(self) -> tuple[str, ...]:
        """Every file of the tree, sorted, relative to the layout root."""

    @abc.abstractmethod
    def _read_raw(self, path: str) -> bytes | None: ...

    def read(self, path: str) -> bytes | None:
        """The file's bytes (only the tail of a `.log`), or None if the tree has no such file."""
        if path not in self:
            return None
        return self._read_raw(path)

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and path in self._path_set()

    @abc.abstractmethod
    def _path_set(self) -> frozenset[str]: ...


class MemoryTree(Tree):
    """A tree held as a map of path to bytes: what tests build and what an archive is read into."""

    def __init__(self, files: Mapping[str, bytes], *, source: str = "<memory>") -> None:
        clean = {n: data for name, data in files.items() if (n := _clean_name(name)) is not None}
        prefix = _root_prefix(clean)
        super().__init__(source=source, prefix=prefix)
        self._files = {name[len(prefix) :]: data for name, data in clean.items() if name.startswith(prefix)}
        self._set = frozenset(self._files)
        self._sorted = tuple(sorted(self._files))

    def paths(self) -> tuple[str, ...]:
        return self._sorted

    def _path_set(self) -> frozenset[str]:
        return self._set

    def _read_raw(self, path: str) -> bytes | None:
        data = self._files[path]
        if path.endswith(".log"):
            return data[-LOG_TAIL_BYTES:]
        if len(data) > MAX_FILE_BYTES:
            return None
        return data


class DirTree(Tree):
    """A tree on disk, read lazily: only the paths are listed up front."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self._root = os.fspath(root)
        found: list[str] = []
        for folder, dirs, files in os.walk(self._root, followlinks=False):
            dirs.sort()
            rel_folder = os.path.relpath(folder, self._root)
            for name in files:
                full = os.path.join(folder, name)
                if os.path.islink(full) or not os.path.isfile(full):
                    continue
                rel = name if rel_folder == "." else f"{rel_folder}/{name}".replace(os.sep, "/")
                found.append(rel)
        prefix = _root_prefix(found)
        super().__init__(source=self._root, prefix=prefix)
        self._set = frozenset(p[len(prefix) :] for p in found if p.startswith(prefix))
        self._sorted = tuple(sorted(self._set))

    def paths(self) -> tuple[str, ...]:
        return self._sorted

    def _path_set(self) -> frozenset[str]:
        return self._set

    def _read_raw(self, path: str) -> bytes | None:
        full = os.path.join(self._root, *(self.prefix + path).split("/"))
        try:
            with open(full, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                if path.endswith(".log"):
                    f.seek(max(0, size - LOG_TAIL_BYTES))
                    return f.read()
                if size > MAX_FILE_BYTES:
                    return None
                return f.read()
        except OSError:
            return None


class SpooledTree(Tree):
    """A tree whose files lie one after another in one open file, found by (offset, size): the copy a gather
    keeps for its own analysis, which holds only the tail of each log already. Read with `os.pread`, so readers
    never move a shared file position."""

    def __init__(self, fd: int, index: Mapping[str, tuple[int, int]], *, source: str) -> None:
        clean = {n: at for name, at in index.items() if (n := _clean_name(name)) is not None}
        prefix = _root_prefix(clean)
        super().__init__(source=source, prefix=prefix)
        self._fd = fd
        self._index = {name[len(prefix) :]: at for name, at in clean.items() if name.startswith(prefix)}
        self._set = frozenset(self._index)
        self._sorted = tuple(sorted(self._index))

    def paths(self) -> tuple[str, ...]:
        return self._sorted

    def _path_set(self) -> frozenset[str]:
        return self._set

    def _read_raw(self, path: str) -> bytes | None:
        offset, size = self._index[path]
        if size > MAX_FILE_BYTES:
            return None
        try:
            return os.pread(self._fd, size, offset)
        except OSError:
            return None


def read_archive(path: str | os.PathLike[str]) -> Tree:
    """Reads a tar archive (gzip or not) in one pass, in memory, keeping only what analysis reads."""
    files: dict[str, bytes] = {}
    skipped: list[str] = []
    total = 0
    try:
        with tarfile.open(os.fspath(path), mode="r|*") as archive:
            for member in archive:
                name = _clean_name(member.name)
                if name is None or not member.isfile() or not _kept(name):
                    continue
                stream = archive.extractfile(member)
                if stream is None:
                    continue
                if name.endswith(".log"):
                    data = _tail(stream, LOG_TAIL_BYTES)
                elif member.size > MAX_FILE_BYTES:
                    skipped.append(name)
                    continue
                else:
                    data = stream.read()
                total += len(data)
                if total > MAX_ARCHIVE_BYTES:
                    raise UnreadableTreeError(f"{os.fspath(path)}: more than {MAX_ARCHIVE_BYTES} bytes to read")
                files[name] = data
    except (tarfile.TarError, OSError, EOFError) as err:
        raise UnreadableTreeError(f"{os.fspath(path)}: not a readable tar archive ({err})") from err
    tree = MemoryTree(files, source=os.fspath(path))
    tree.skipped.extend(n[len(tree.prefix) :] for n in skipped if n.startswith(tree.prefix))
    return tree


def open_tree(source: str | os.PathLike[str] | Mapping[str, bytes] | Tree) -> Tree:
    """A Tree for a directory, a tar archive (`.tar.gz`, `.tgz`, `.tar`), or a map of path to bytes."""
    if isinstance(source, Tree):
        return source
    if isinstance(source, Mapping):
        return MemoryTree(source)
    path = os.fspath(source)
    if os.path.isdir(path):
        return DirTree(path)
    if os.path.isfile(path):
        return read_archive(path)
    raise UnreadableTreeError(f"{path}: no such directory or archive")


def _kept(name: str) -> bool:
    return name.endswith(_KEPT_SUFFIXES) or name.rsplit("/", 1)[-1] in _KEPT_NAMES


def _clean_name(name: str) -> str | None:
    """A member name as a safe relative path, or None for names that could point outside the tree."""
    name = name.replace("\\", "/")
    while name.startswith("./"):
        name = name[2:]
    if not name or name.startswith("/") or name.endswith("/"):
        return None
    parts = name.split("/")
    if any(p in ("", ".", "..") for p in parts):
        return None
    return posixpath.join(*parts)


def _root_prefix(paths: Iterable[str]) -> str:
    """The folders before the layout root: the shortest prefix in front of `namespaces/` or
    `cluster-scoped-resources/`, as `name/` or `a/b/`; "" when the tree starts at the root."""
    best: str | None = None
    for path in paths:
        parts = path.split("/")
        # olm-gather's own root files count too: a gather stopped before any object has only those
        found = [i for i, part in enumerate(parts[:-1]) if part in _ROOT_MARKERS][:1]
        if not found and parts[-1] in _ROOT_FILES:
            found = [len(parts) - 1]
        for i in found:
            prefix = "".join(p + "/" for p in parts[:i])
            if best is None or (len(prefix), prefix) < (len(best), best):
                best = prefix
        if best == "":
            return ""
    return best or ""


def _tail(stream: IO[bytes], limit: int) -> bytes:
    """The last `limit` bytes of a stream, read in chunks so a large log never sits whole in memory."""
    kept = b""
    while chunk := stream.read(1024 * 1024):
        kept = (kept + chunk)[-limit:]
    return kept
