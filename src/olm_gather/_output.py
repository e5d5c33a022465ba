"""The only caller of a `Writer`. Objects reach it as `Redacted` values only and logs as `FilteredLog` values
only, so nothing unredacted can be written; it turns objects into YAML at their `_layout` path, streams logs, and
keeps a copy of the object files and log tails for the analysis that ends a gather (the output may be a stream):
one after another in one unnamed temporary file, found by offset, so memory stays flat however much is gathered
and nothing is left behind even if the process is killed."""

from __future__ import annotations

import contextlib
import errno
import tempfile
from collections.abc import Iterator, Mapping
from typing import IO

import orjson

from olm_gather import _errors, _layout, _redact, _sink, _yaml

# Bytes of each log kept for the analysis: the same tail `analyze` reads from a tree on disk.
_TAIL = _layout.LOG_TAIL_BYTES


class Output:
    def __init__(self, writer: _sink.Writer, *, copy_for_analysis: bool = False) -> None:
        self._writer = writer
        # One file and an index rather than a folder of files: a file and a folder per object were a quarter of
        # the time a gather spent writing.
        self._copy: IO[bytes] | None = tempfile.TemporaryFile(prefix="olm-gather-") if copy_for_analysis else None  # noqa: SIM115 - closed by close()
        self._index: dict[str, tuple[int, int]] = {}  # path in the copy: (offset, size)
        self._end = 0
        self.bytes_written = 0

    def analysis_copy(self) -> tuple[int, Mapping[str, tuple[int, int]]]:
        """The copy, for the analysis: a file descriptor to read with `os.pread`, and each path's (offset, size).
        The object files (as JSON), log tails and olm-gather's own files, as written; valid until `close`."""
        if self._copy is None:
            raise RuntimeError("this output keeps no copy for the analysis")
        with self._writing("(analysis copy)"):
            self._copy.flush()
        return self._copy.fileno(), self._index

    def _keep(self, path: str, data: bytes) -> None:
        """Puts a file in the analysis copy only (what was written, or its JSON form, or a log's tail)."""
        if self._copy is None:
            return
        with self._writing(f"{path} (analysis copy)"):
            self._copy.write(data)
        self._index[path] = (self._end, len(data))
        self._end += len(data)

    @property
    def location(self) -> str:
        return self._writer.location

    def put_object(self, path: str, redacted: _redact.Redacted) -> None:
        if not isinstance(redacted, _redact.Redacted):
            raise TypeError("only redacted objects can be written")
        data = _yaml.dump(redacted.obj)
        with self._writing(path):
            self._writer.write(path, data)
        if self._copy is not None:
            # The same object as JSON, which is YAML too: the analysis parses it 20x faster than the YAML.
            self._keep(path, orjson.dumps(redacted.obj))
        self.bytes_written += len(data)

    def put_log(self, path: str, log: _redact.FilteredLog) -> None:
        if not isinstance(log, _redact.FilteredLog):
            raise TypeError("only filtered logs can be written")
        with log:
            with self._writing(path):
                self._writer.write_stream(path, log.file, log.size)
            if self._copy is not None:
                log.file.seek(max(0, log.size - _TAIL))
                self._keep(path, log.file.read())
        self.bytes_written += log.size

    def put_text(self, path: str, data: bytes) -> None:
        """Files olm-gather writes itself (version, timestamp, gather.json, report.html): no cluster object. The
        analysis reads them too (when the tree was gathered, whether it is incomplete)."""
        with self._writing(path):
            self._writer.write(path, data)
        self._keep(path, data)
        self.bytes_written += len(data)

    def close(self) -> None:
        if self._copy is not None:
            self._copy.close()
        with self._writing(""):
            self._writer.close()

    @contextlib.contextmanager
    def _writing(self, path: str) -> Iterator[None]:
        """Turns a writer's OSError (no room, a closed pipe, a path that cannot be made) into one line."""
        try:
            yield
        except OSError as e:
            where = f"{path} in {self.location}" if path else self.location
            if e.errno == errno.EPIPE:
                raise _errors.OutputClosedError(f"the reader of {self.location} went away") from None
            raise _errors.OutputError(f"writing {where} failed: {e.strerror or e}") from None
