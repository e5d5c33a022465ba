"""Where the bytes go, chosen last: a directory, a .tar.gz file, a tar stream to any binary file object, or
memory. Writers receive paths (from `_layout`) and bytes that already passed redaction; they never see an
object. A `Writer` is any object with `write`, `write_stream` and `close`.
"""

from __future__ import annotations

import io
import os
import tarfile
import time
from typing import IO, Protocol, runtime_checkable

_CHUNK = 1 << 16


@runtime_checkable
class Writer(Protocol):
    """Receives the gathered tree one file at a time. Calls come from one thread; `close` is called once."""

    location: str
    """Where the output went, for messages ("./must-gather.local.1", "out.tar.gz", "<stdout>")."""

    def write(self, path: str, data: bytes) -> None:
        """Writes a whole file at `path` (relative, `/`-separated)."""

    def write_stream(self, path: str, source: IO[bytes], size: int) -> None:
        """Writes a file of `size` bytes read from `source` (a log spooled to disk), without loading it whole."""

    def close(self) -> None:
        """Finishes the output (closes the archive)."""


class DirectoryWriter:
    """Writes the tree under a directory, creating it with the first file (a run that fails to connect leaves
    nothing behind)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = os.fspath(root)
        self.location = self.root
        self._made: set[str] = set()  # folders made: a makedirs per file was a tenth of a gather's CPU

    def _target(self, path: str) -> str:
        target = os.path.join(self.root, *path.split("/"))
        folder = os.path.dirname(target)
        if folder not in self._made:
            os.makedirs(folder, exist_ok=True)
            self._made.add(folder)
        return target

    def write(self, path: str, data: bytes) -> None:
        with open(self._target(path), "wb") as f:
            f.write(data)

    def write_stream(self, path: str, source: IO[bytes], size: int) -> None:
        with open(self._target(path), "wb") as f:
            while chunk := source.read(_CHUNK):
                f.write(chunk)

    def close(self) -> None:
        pass


class TarStreamWriter:
    """Writes a gzip-compressed tar to a binary file object as it goes (stdout with `-o -`). Entries sit under
    one top folder, `prefix`, as `oc adm must-gather` archives do, so extracting gives one directory. Nothing is
    written before the first file, so a gather that fails to connect leaves no half archive behind."""

    def __init__(self, fileobj: IO[bytes], *, prefix: str = "must-gather", location: str = "<stream>") -> None:
        self.location = location
        self._fileobj = fileobj
        self._prefix = prefix.strip("/")
        self._tar_file: tarfile.TarFile | None = None
        self._dirs: set[str] = set()
        self._mtime = time.time()

    def _target(self) -> IO[bytes]:
        return self._fileobj

    @property
    def _tar(self) -> tarfile.TarFile:
        if self._tar_file is None:
            self._tar_file = tarfile.open(fileobj=self._target(), mode="w|gz", format=tarfile.PAX_FORMAT)  # noqa: SIM115
        return self._tar_file

    def _info(self, path: str, size: int) -> tarfile.TarInfo:
        name = f"{self._prefix}/{path}" if self._prefix else path
        self._add_dirs(name)
        info = tarfile.TarInfo(name)
        info.size = size
        info.mtime = int(self._mtime)
        info.mode = 0o644
        return info

    def _add_dirs(self, name: str) -> None:
        parts = name.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d not in self._dirs:
                self._dirs.add(d)
                info = tarfile.TarInfo(d)
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                info.mtime = int(self._mtime)
                self._tar.addfile(info)

    def write(self, path: str, data: bytes) -> None:
        self._tar.addfile(self._info(path, len(data)), io.BytesIO(data))

    def write_stream(self, path: str, source: IO[bytes], size: int) -> None:
        self._tar.addfile(self._info(path, size), source)

    def close(self) -> None:
        if self._tar_file is not None:
            self._tar_file.close()


class TarGzWriter(TarStreamWriter):
    """Writes a `.tar.gz` file, created with the first entry; the top folder inside is the archive's name
    without `.tar.gz`."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        base = os.path.basename(self.path)
        prefix = base[: -len(".tar.gz")] if base.endswith(".tar.gz") else base.rsplit(".", 1)[0]
        self._file: IO[bytes] | None = None
        super().__init__(io.BytesIO(), prefix=prefix, location=self.path)

    def _target(self) -> IO[bytes]:
        self._file = open(self.path, "wb")  # noqa: SIM115 - closed in close()
        return self._file

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self._file is not None:
                self._file.close()


class MemoryWriter:
    """Keeps the tree in a dict of path to bytes: for tests and for callers that post-process the output."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.location = "<memory>"
        self.closed = False

    def write(self, path: str, data: bytes) -> None:
        self.files[path] = data

    def write_stream(self, path: str, source: IO[bytes], size: int) -> None:
        self.files[path] = source.read()

    def close(self) -> None:
        self.closed = True
