"""Shared by every test: the session-wide OLM scenarios, and the fidelity and fault tables in pytest's summary."""

from __future__ import annotations

from collections import defaultdict

import pytest

pytest_plugins = ["tests.e2e.olm_fixtures"]

FIDELITY_ROWS: list[tuple[str, str, int, int, int, int, int]] = []
"""(scenario, package, OLM made, expected, gathered, missing, extra), appended by tests/e2e/test_fidelity.py."""
FIDELITY_NOTES: list[tuple[str, str, str]] = []
"""("excluded" or "context", reason, object): what the diff showed that is not the install's, and what the gather
carries besides the diff, appended by tests/e2e/test_fidelity.py."""


FAULT_ROWS: list[tuple[str, int, int, int, int, float, dict[str, int]]] = []
"""(scenario, seed or run, requests (or the request SIGTERM came at), faults injected, retries, seconds, faults by
kind), appended by tests/e2e/test_faults.py."""


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FAULT_ROWS:
        terminalreporter.section("faults: gathers through the fault proxy (10 % of requests) and SIGTERM runs")
        terminalreporter.write_line(
            f"{'scenario':<13} {'seed':>4} {'requests':>8} {'faults':>6} {'retries':>7} {'seconds':>7}  by kind"
        )
        for s, seed, n, faults, retries, seconds, kinds in FAULT_ROWS:
            shown = " ".join(f"{k}={v}" for k, v in sorted(kinds.items()))
            terminalreporter.write_line(f"{s:<13} {seed:>4} {n:>8} {faults:>6} {retries:>7} {seconds:>7.1f}  {shown}")
    if not FIDELITY_ROWS:
        return
    write = terminalreporter.write_line
    terminalreporter.section("fidelity: the written files of each gather against the before/after diff")
    write(
        f"{'scenario':<20} {'package':<14} {'OLM made':>8} {'expected':>8} {'gathered':>8} {'missed':>6} {'extra':>5}"
    )
    for s, p, m, e, g, x, y in FIDELITY_ROWS:
        write(f"{s:<20} {p:<14} {m:>8} {e:>8} {g:>8} {x:>6} {y:>5}")
    for which, title in (
        ("excluded", "the diff showed, not the operator's (left out of the truth)"),
        ("context", "the gather carries besides the diff (its context)"),
    ):
        by_reason: dict[str, set[str]] = defaultdict(set)
        for w, reason, obj in FIDELITY_NOTES:
            if w == which:
                by_reason[reason].add(obj)
        write(f"\n{title}:")
        for reason, objects in sorted(by_reason.items()):
            shown = ", ".join(sorted(objects)[:4]) + (", ..." if len(objects) > 4 else "")
            write(f"  {len(objects):>4}  {reason}: {shown}")
