"""Keeps the newest bytes of a container log within a cap without transferring the whole log. Pure logic over a
`fetch(query)` callable; it never talks HTTP itself.

The pod log API cuts a log only at its start by whole lines (`tailLines`, counted from the end) and at its end by
bytes (`limitBytes`, counted from the start of what it sends). So:

1. ask for the last `cap // MIN_LINE` lines (no timestamped line is shorter, so a log within the cap comes back
   whole), with `limitBytes` at `BUDGET * cap` to bound the transfer;
2. ask again with a better line count when the answer was cut at its end (the lines were longer than
   assumed: the count is what fills 1.5 x cap at the longest line received, so that newer, longer lines still
   fit the bound; newer lines can be longer again, a stack trace at the end of a log), or came back short of
   the cap (the count grows in proportion, below the fewest lines an answer was cut at the end with), up to
   `MAX_REQUESTS` requests;
3. keep the newest `cap` bytes of the best answer, from the start of a line: the largest that reaches the end
   of the log, else the last one.

Each request transfers at most `BUDGET * cap` bytes, a log at most `MAX_REQUESTS` times that.
"""

from __future__ import annotations

import dataclasses
import math
import tempfile
from collections.abc import Callable, Iterable
from typing import IO

BUDGET = 2
"""Each request asks for at most this many times the cap (`limitBytes`)."""
MAX_REQUESTS = 4
"""Requests for one log at most."""
MIN_LINE = 32
"""The shortest line with timestamps=true: an RFC 3339 time with nanoseconds (30), a space and a newline."""
CUT_START = "start"
"""The oldest lines were left out: the file holds the newest lines of the log."""
CUT_END = "end"
"""The newest lines were too long for the transfer bound: the file ends before the log does."""

_CHUNK = 64 * 1024

Fetch = Callable[[dict[str, str]], Iterable[bytes]]


@dataclasses.dataclass(frozen=True)
class Tail:
    """What is kept of one log: `file` (at position 0) holds `size` bytes."""

    file: IO[bytes]
    size: int
    cut: str  # "", CUT_START or CUT_END
    first_time: str  # the timestamp that starts the first kept line, when the start was cut
    transferred: int  # bytes received over all requests
    requests: int


@dataclasses.dataclass
class _Answer:
    file: IO[bytes]
    size: int
    newlines: int
    longest: int  # the longest line received, the one cut at the end included
    lines_asked: int
    limit: int

    @property
    def cut_at_end(self) -> bool:
        return self.size >= self.limit

    @property
    def whole(self) -> bool:
        """Fewer lines came than were asked for, and nothing was cut at the end: this is the whole log."""
        return not self.cut_at_end and self.newlines < self.lines_asked


def newest(fetch: Fetch, query: dict[str, str], cap: int) -> Tail:
    """The newest bytes of the log `fetch` streams, at most `cap`; `query` holds the other log options."""
    limit = BUDGET * cap
    answers = [_ask(fetch, query, max(1, cap // MIN_LINE), limit)]
    try:
        while len(answers) < MAX_REQUESTS:
            last = answers[-1]
            too_many = [a.lines_asked for a in answers if a.cut_at_end]
            lines = refined_lines(
                cap,
                lines_asked=last.lines_asked,
                size=last.size,
                newlines=last.newlines,
                longest=last.longest,
                ceiling=min(too_many, default=None),
            )
            if lines is None:
                break
            answers.append(_ask(fetch, query, lines, limit))
        answer = max(enumerate(answers), key=lambda a: _rank(a[0], a[1], cap))[1]
        file, size, first_time = _keep_newest(answer.file, answer.size, cap)
    finally:
        for a in answers:
            a.file.close()
    if answer.cut_at_end:
        cut = CUT_END
    elif answer.whole and answer.size <= cap:
        cut = ""
    else:
        cut = CUT_START
    return Tail(
        file=file,
        size=size,
        cut=cut,
        first_time=first_time if cut else "",
        transferred=sum(a.size for a in answers),
        requests=len(answers),
    )


def _rank(index: int, answer: _Answer, cap: int) -> tuple[int, int, int]:
    """Answers that reach the end of the log first, the fuller of them first; then the later (newer) answer."""
    if answer.cut_at_end:
        return (0, 0, index)
    return (1, min(answer.size, cap), index)


def refined_lines(
    cap: int, *, lines_asked: int, size: int, newlines: int, longest: int, ceiling: int | None = None
) -> int | None:
    """The line count to ask for next, or None when the answer will do: it was the whole log, it reached the cap
    without being cut at its end, it was one line cut at its end (no fewer to ask for), or it was short and
    `ceiling` (the fewest lines an answer was cut at the end with) leaves no more lines to ask for."""
    if size >= BUDGET * cap:  # cut at the end: the newest lines are missing
        return max(1, min(lines_asked - 1, math.floor(1.5 * cap / max(longest, 1)))) if lines_asked > 1 else None
    if newlines < lines_asked or size >= cap:
        return None
    # Short: all the lines asked for came and fill less than the cap; more, but fewer than were too many.
    grown = math.ceil(lines_asked * cap / max(size, 1))
    if ceiling is not None:
        grown = min(grown, ceiling - 1)
    return grown if grown > lines_asked else None


def _ask(fetch: Fetch, query: dict[str, str], lines: int, limit: int) -> _Answer:
    spool = tempfile.SpooledTemporaryFile(max_size=1 << 20)  # noqa: SIM115 - returned to the caller
    size = newlines = longest = line = 0  # `line`: bytes of the line not yet ended
    try:
        for chunk in fetch({**query, "tailLines": str(lines), "limitBytes": str(limit)}):
            keep = chunk[: limit - size]  # a server that ignores limitBytes is cut here
            spool.write(keep)
            size += len(keep)
            start = 0
            while (end := keep.find(b"\n", start)) >= 0:
                longest = max(longest, line + end + 1 - start)
                newlines, line, start = newlines + 1, 0, end + 1
            line += len(keep) - start
            if size >= limit:
                break
    except BaseException:
        spool.close()
        raise
    longest = max(longest, line)
    return _Answer(file=spool, size=size, newlines=newlines, longest=longest, lines_asked=lines, limit=limit)


def _keep_newest(source: IO[bytes], size: int, cap: int) -> tuple[IO[bytes], int, str]:
    """A new file with the last `cap` bytes of `source`, from the first line start among them (the raw last
    `cap` bytes when one line is longer); and the timestamp that starts that line."""
    offset = max(0, size - cap)
    if offset:
        # The byte before the kept ones ends a line: the kept ones start with a whole line.
        source.seek(offset - 1)
        if source.read(1) != b"\n":
            start = _next_line_start(source, offset, size)
            offset = start if start < size else offset
    out = tempfile.SpooledTemporaryFile(max_size=1 << 20)  # noqa: SIM115 - returned to the caller
    source.seek(offset)
    while chunk := source.read(_CHUNK):
        out.write(chunk)
    out.seek(0)
    first_time = out.read(64).split(b" ", 1)[0].decode("ascii", "replace")
    out.seek(0)
    return out, size - offset, first_time if first_time[:1].isdigit() else ""


def _next_line_start(source: IO[bytes], offset: int, size: int) -> int:
    source.seek(offset)
    position = offset
    while position < size:
        chunk = source.read(_CHUNK)
        if not chunk:
            break
        found = chunk.find(b"\n")
        if found >= 0:
            return position + found + 1
        position += len(chunk)
    return size
