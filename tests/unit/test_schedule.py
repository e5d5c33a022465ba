"""`Kube.schedule`, the runner of the traversal's fetch graph, without a cluster: the fetches are plain functions
that sleep or fail. The expectations are the scheduler's contract (a bound on what runs at once, follow-ups
started as soon as their input exists, `idle` only when nothing runs, errors handed to `then`, a stop raised)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from olm_gather import _errors
from olm_gather._kube import Fetch, Kube, _connect


@pytest.fixture
def kube() -> Iterator[Kube]:
    connection = _connect.Connection(host="http://127.0.0.1:1", pool=None, auth_headers=dict, source="test")  # type: ignore[arg-type]
    k = Kube(connection, concurrency=4)
    yield k
    k.close()


class Clock:
    """Records when each named call starts and ends, and how many run at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.started: dict[str, float] = {}
        self.ended: dict[str, float] = {}

    def call(self, name: str, seconds: float, result: Any = None) -> Callable[[], Any]:
        def run() -> Any:
            with self.lock:
                self.running += 1
                self.most = max(self.most, self.running)
                self.started[name] = time.monotonic()
            time.sleep(seconds)
            with self.lock:
                self.running -= 1
                self.ended[name] = time.monotonic()
            if isinstance(result, BaseException):
                raise result
            return result if result is not None else name

        return run


def passthrough(result: Any) -> Iterator[object]:
    yield result


def test_every_fetch_runs_once_and_at_most_concurrency_at_once(kube: Kube) -> None:
    clock = Clock()
    start = [Fetch(clock.call(f"f{i}", 0.05), passthrough) for i in range(20)]
    out = list(kube.schedule(start, lambda: ()))
    assert sorted(out) == sorted(f"f{i}" for i in range(20))  # type: ignore[type-var]
    assert clock.most == 4 and kube.peak_in_flight == 4


def test_a_follow_up_starts_as_soon_as_its_input_exists_not_after_a_phase(kube: Kube) -> None:
    clock = Clock()

    def then_fast(result: Any) -> Iterator[object]:
        yield result
        yield Fetch(clock.call("follow-up", 0.01), passthrough)

    start = [Fetch(clock.call("fast", 0.01), then_fast), Fetch(clock.call("slow", 0.5), passthrough)]
    out = list(kube.schedule(start, lambda: ()))
    assert set(out) == {"fast", "slow", "follow-up"}
    assert clock.ended["follow-up"] < clock.ended["slow"]  # it did not wait for the slow sibling


def test_leaves_wait_for_every_other_ready_fetch(kube: Kube) -> None:
    clock = Clock()
    leaves = [Fetch(clock.call(f"leaf{i}", 0.05), passthrough, leaf=True) for i in range(4)]
    chains = [Fetch(clock.call(f"chain{i}", 0.05), passthrough) for i in range(4)]
    out = list(kube.schedule([*leaves, *chains], lambda: ()))  # the leaves were made first
    assert len(out) == 8
    assert max(clock.started[f"chain{i}"] for i in range(4)) < min(clock.started[f"leaf{i}"] for i in range(4))


def test_idle_is_called_only_when_nothing_runs_and_may_add_more(kube: Kube) -> None:
    clock = Clock()
    rounds: list[int] = []

    def idle() -> Iterator[object]:
        rounds.append(clock.running)
        if len(rounds) == 1:
            yield "idle item"
            yield Fetch(clock.call("late", 0.01), passthrough)

    out = list(kube.schedule([Fetch(clock.call("a", 0.05), passthrough)], idle))
    assert out == ["a", "idle item", "late"]
    assert rounds == [0, 0]  # twice: once adding a fetch, once adding none (the end)


def test_a_failed_fetch_hands_its_exception_to_then(kube: Kube) -> None:
    error = _errors.NotFoundError("gone", status=404)
    out = list(kube.schedule([Fetch(Clock().call("x", 0, error), passthrough)], lambda: ()))
    assert out == [error]


def test_cancel_raises_while_fetches_run(kube: Kube) -> None:
    clock = Clock()
    start = [Fetch(clock.call(f"f{i}", 5), passthrough) for i in range(3)]
    threading.Timer(0.2, kube.cancel).start()
    began = time.monotonic()
    with pytest.raises(_errors.CancelledError):
        list(kube.schedule(start, lambda: ()))
    assert time.monotonic() - began < 2


def test_together_runs_calls_at_once_and_returns_each_outcome_in_order(kube: Kube) -> None:
    clock = Clock()
    error = _errors.ForbiddenError("no", status=403)
    began = time.monotonic()
    out = kube.together(clock.call("a", 0.3), clock.call("b", 0.3, error), clock.call("c", 0.3))
    assert out == ["a", error, "c"]
    assert clock.most == 3 and time.monotonic() - began < 0.6  # at once, not one after another


def test_leaves_keep_a_worker_free_for_fetches_made_after_an_item(kube: Kube) -> None:
    """A `then` that yields items and leaves, then the fetch a chain needs: the items are handed on before that
    fetch is made, and the leaves made meanwhile must not take every worker (4 here)."""
    clock = Clock()

    def start() -> Iterator[object]:
        for i in range(6):
            yield f"item{i}"
            yield Fetch(clock.call(f"leaf{i}", 0.2), passthrough, leaf=True)
        yield Fetch(clock.call("chain", 0.05), passthrough)

    out = list(kube.schedule(start(), lambda: ()))
    assert len(out) == 13
    assert clock.started["chain"] < min(clock.ended[f"leaf{i}"] for i in range(6))  # it did not wait for one
    assert clock.most == 4


def test_a_long_then_does_not_hold_the_places_of_fetches_already_done() -> None:
    """While one `then` takes long (a list of many objects is written), fetches that ended meanwhile wait for their
    own `then` but no longer count as in flight: the next ready fetch starts at once."""
    connection = _connect.Connection(host="http://127.0.0.1:1", pool=None, auth_headers=dict, source="test")  # type: ignore[arg-type]
    kube = Kube(connection, concurrency=2)
    clock = Clock()

    def slow_then(result: Any) -> Iterator[object]:
        for i in range(3):
            yield f"{result}-{i}"
            time.sleep(0.1)  # writing an object

    start = [
        Fetch(clock.call("a", 0.01), slow_then),
        Fetch(clock.call("b", 0.01), passthrough),
        Fetch(clock.call("c", 0.01), passthrough),
    ]
    try:
        began = time.monotonic()
        out = list(kube.schedule(start, lambda: ()))
    finally:
        kube.close()
    assert sorted(out) == ["a-0", "a-1", "a-2", "b", "c"]  # type: ignore[type-var]
    assert clock.started["c"] - began < 0.15  # not after a's then (0.3 s)
    assert kube.peak_in_flight == 2


def test_waiting_fetches_start_while_a_then_computes_without_yielding(kube: Kube) -> None:
    """A place freed while the calling thread is busy in a `then` that yields nothing for long (sorting a large
    list) goes to the next waiting fetch at once, not when that `then` returns (4 workers, 8 fetches)."""
    clock = Clock()
    then_ended: list[float] = []

    def busy_then(result: Any) -> Iterator[object]:
        if not then_ended:
            time.sleep(0.4)
            then_ended.append(time.monotonic())
        yield result

    start = [Fetch(clock.call(f"f{i}", 0.05), busy_then) for i in range(8)]
    out = list(kube.schedule(start, lambda: ()))
    assert sorted(out) == [f"f{i}" for i in range(8)]  # type: ignore[type-var]
    assert max(clock.started.values()) < then_ended[0]  # all eight began during the first `then`
    assert clock.most == 4
