"""Shared by every test: the session-wide OLM scenarios, and the fidelity table in pytest's summary."""

from __future__ import annotations

import pytest

pytest_plugins = ["tests.e2e.olm_fixtures"]

FIDELITY_ROWS: list[tuple[str, str, int, int, int, int]] = []
"""(scenario, package, expected, gathered, missing, extra), appended by tests/e2e/test_fidelity.py."""


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not FIDELITY_ROWS:
        return
    terminalreporter.section("fidelity: objects of each filtered gather against the ground truth")
    terminalreporter.write_line(
        f"{'scenario':<20} {'package':<16} {'expected':>8} {'gathered':>8} {'missing':>7} {'extra':>5}"
    )
    for s, p, e, g, m, x in FIDELITY_ROWS:
        terminalreporter.write_line(f"{s:<20} {p:<16} {e:>8} {g:>8} {m:>7} {x:>5}")
