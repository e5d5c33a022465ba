"""The newest bytes of a log within the cap (olm_gather._traverse._logs), against a fake pod log endpoint that
cuts like the real one: `tailLines` whole lines from the end, then `limitBytes` from the start of the rest."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from olm_gather._traverse import _logs


class LogServer:
    def __init__(self, lines: list[bytes]) -> None:
        self.log = b"".join(lines)
        self.queries: list[dict[str, str]] = []
        self.sent = 0

    def fetch(self, query: dict[str, str]) -> Iterator[bytes]:
        self.queries.append(query)
        lines = self.log.splitlines(keepends=True)
        tail = lines[-int(query["tailLines"]) :] if "tailLines" in query else lines
        body = b"".join(tail)[: int(query.get("limitBytes", len(self.log)))]
        for i in range(0, len(body), 1000):  # several chunks, as a stream arrives
            self.sent += len(body[i : i + 1000])
            yield body[i : i + 1000]


def _lines(count: int, length: int | tuple[int, int], seed: int = 0) -> list[bytes]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        n = length if isinstance(length, int) else rng.randint(*length)
        head = f"2026-01-02T03:04:{i % 60:02d}.000000000Z line {i} "
        out.append((head + "x" * max(0, n - len(head) - 1) + "\n").encode())
    return out


def _run(server: LogServer, cap: int) -> tuple[_logs.Tail, bytes]:
    tail = _logs.newest(server.fetch, {"container": "c", "timestamps": "true"}, cap)
    with tail.file:
        data = tail.file.read()
    assert len(data) == tail.size <= cap
    assert tail.transferred == server.sent <= _logs.BUDGET * cap * tail.requests
    assert all(q["container"] == "c" for q in server.queries)
    return tail, data


def test_a_log_within_the_cap_comes_whole_in_one_request() -> None:
    server = LogServer(_lines(20, 80))
    tail, data = _run(server, 4096)
    assert data == server.log and tail.cut == "" and tail.requests == 1 and tail.first_time == ""


@pytest.mark.parametrize(
    ("count", "length"), [(5000, 200), (5000, 40), (300, (40, 900)), (2000, (32, 120)), (50, 3000)]
)
def test_a_long_log_keeps_its_newest_lines(count: int, length: int | tuple[int, int]) -> None:
    server = LogServer(_lines(count, length))
    cap = 2048
    tail, data = _run(server, cap)
    assert tail.cut == "start" and server.log.endswith(data)
    last = server.log.splitlines(keepends=True)[-1]
    if len(last) > cap:  # no line start among the newest cap bytes: they are kept raw
        assert data == server.log[-cap:]
        return
    assert data.endswith(last) and len(data) > cap // 2
    assert data.startswith(b"2026-") and tail.first_time == data.split(b" ", 1)[0].decode()
    assert server.log[: len(server.log) - len(data)].endswith(b"\n")  # the kept bytes start a line


def test_lines_longer_than_estimated_get_a_second_smaller_request() -> None:
    # Short old lines, long new ones: the first answer is cut at its end, the second asks for fewer lines.
    server = LogServer(_lines(3000, 40) + _lines(30, 300, seed=1))
    tail, data = _run(server, 2048)
    first, second = server.queries
    assert int(second["tailLines"]) < int(first["tailLines"])
    assert tail.cut == "start" and server.log.endswith(data) and len(data) > 1024


def test_newest_lines_beyond_the_bound_are_marked_cut_at_the_end() -> None:
    # The last line alone is longer than what a request may transfer.
    server = LogServer([*_lines(100, 50), b"2026-01-02T03:04:05.000000000Z " + b"y" * 10000 + b"\n"])
    tail, data = _run(server, 1024)
    assert tail.cut == "end" and tail.requests <= _logs.MAX_REQUESTS
    assert int(server.queries[-1]["tailLines"]) == 1  # down to the last line before it gave up
    assert data == b"y" * 1024  # what came of the long line, raw: no line start to begin at


def test_newer_lines_longer_again_get_a_third_smaller_request() -> None:
    # Short old lines, longer ones, then the longest at the end (a stack trace): the second answer is cut at its
    # end too, and the newest lines come with a third.
    server = LogServer(_lines(3000, 40) + _lines(30, 300, seed=1) + _lines(5, 1500, seed=2))
    tail, data = _run(server, 2048)
    asked = [int(q["tailLines"]) for q in server.queries]
    assert len(asked) == 3 and asked == sorted(asked, reverse=True)
    assert tail.cut == "start" and data == server.log.splitlines(keepends=True)[-1]


def test_a_long_line_that_made_it_ask_for_too_few_lines_is_followed_by_more() -> None:
    # One long line among short ones: the first answer is cut at its end, the count fitted to that line brings
    # two short lines, and the count grown from them fills the cap: as much as fits.
    server = LogServer(_lines(3000, 40) + _lines(1, 1500, seed=1) + _lines(30, 100, seed=2))
    tail, data = _run(server, 2048)
    assert [int(q["tailLines"]) for q in server.queries] == [64, 2, 21]
    assert tail.cut == "start" and data == b"".join(server.log.splitlines(keepends=True)[-20:])


def test_a_short_answer_is_not_grown_to_as_many_lines_as_were_cut() -> None:
    # A server that ignores timestamps=true sends lines shorter than MIN_LINE: the first answer is short, the
    # grown one is cut at its end by old long lines; later counts stay below it, and the fullest answer that
    # reaches the end of the log is kept.
    short = [b"%09d\n" % i for i in range(200)]
    server = LogServer([b"y" * 1499 + b"\n"] * 300 + short)
    tail, data = _run(server, 4096)
    asked = [int(q["tailLines"]) for q in server.queries]
    assert len(asked) == _logs.MAX_REQUESTS and asked[0] < asked[1] and max(asked[2:]) < asked[1]
    assert tail.cut == "start" and data == b"".join(short[-asked[0] :])


def test_a_short_answer_asks_once_more_for_more_lines() -> None:
    # Refine decisions as a function: all asked lines came and filled a quarter of the cap.
    assert _logs.refined_lines(4096, lines_asked=10, size=1024, newlines=10, longest=110) == 40
    assert _logs.refined_lines(4096, lines_asked=10, size=1024, newlines=9, longest=110) is None  # the whole log
    assert _logs.refined_lines(4096, lines_asked=128, size=4500, newlines=128, longest=40) is None  # filled
    # Cut at the end: as many of the longest lines seen as fill 1.5 x cap.
    assert _logs.refined_lines(4096, lines_asked=128, size=8192, newlines=16, longest=1024) == 6
    assert _logs.refined_lines(4096, lines_asked=1, size=8192, newlines=0, longest=8192) is None  # one line
    # Short again after a cut at 40 lines: grown to fewer than 40, or not at all.
    assert _logs.refined_lines(4096, lines_asked=10, size=1024, newlines=10, longest=110, ceiling=30) == 29
    assert _logs.refined_lines(4096, lines_asked=10, size=1024, newlines=10, longest=110, ceiling=11) is None
