"""The only caller of a `Writer`. Objects reach it as `Redacted` values only and logs as `FilteredLog` values
only, so nothing unredacted can be written; it turns objects into YAML at their `_layout` path, streams logs, and
keeps a small in-memory copy of the object files for the analysis that ends every gather."""

from __future__ import annotations

import contextlib
import errno
from collections.abc import Iterator

from olm_gather import _errors, _layout, _redact, _sink, _yaml

# Bytes of each log kept for the analysis: the same tail `analyze` reads from a tree on disk.
_TAIL = _layout.LOG_TAIL_BYTES


class Output:
    def __init__(self, writer: _sink.Writer) -> None:
        self._writer = writer
        self.files: dict[str, bytes] = {}
        """Object files and log tails as written: what `analyze` reads at the end of a gather."""
        self.bytes_written = 0

    @property
    def location(self) -> str:
        return self._writer.location

    def put_object(self, path: str, redacted: _redact.Redacted) -> None:
        if not isinstance(redacted, _redact.Redacted):
            raise TypeError("only redacted objects can be written")
        data = _yaml.dump(redacted.obj)
        with self._writing(path):
            self._writer.write(path, data)
        self.files[path] = data
        self.bytes_written += len(data)

    def put_log(self, path: str, log: _redact.FilteredLog) -> None:
        if not isinstance(log, _redact.FilteredLog):
            raise TypeError("only filtered logs can be written")
        with log:
            with self._writing(path):
                self._writer.write_stream(path, log.file, log.size)
            log.file.seek(max(0, log.size - _TAIL))
            self.files[path] = log.file.read()
        self.bytes_written += log.size

    def put_text(self, path: str, data: bytes) -> None:
        """Files olm-gather writes itself (version, timestamp, gather.json, report.html): no cluster object."""
        with self._writing(path):
            self._writer.write(path, data)
        self.bytes_written += len(data)

    def close(self) -> None:
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
