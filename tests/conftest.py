"""Shared by every test: the session-wide OLM scenarios, and the fidelity and fault tables in pytest's summary."""

from __future__ import annotations

import pytest

pytest_plugins = ["tests.e2e.olm_fixtures"]

FIDELITY_ROWS: list[tuple[str, str, int, int, int, int]] = []
"""(scenario, package, expected, gathered, missing, extra), appended by tests/e2e/test_fidelity.py."""


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
    terminalreporter.section("fidelity: objects of each filtered gather against the ground truth")
    terminalreporter.write_line(
        f"{'scenario':<20} {'package':<16} {'expected':>8} {'gathered':>8} {'missing':>7} {'extra':>5}"
    )
    for s, p, e, g, m, x in FIDELITY_ROWS:
        terminalreporter.write_line(f"{s:<20} {p:<16} {e:>8} {g:>8} {m:>7} {x:>5}")
