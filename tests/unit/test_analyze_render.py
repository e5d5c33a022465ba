"""The terminal table, the JSON output and the package's small surface."""

from __future__ import annotations

import json

import rich.console

from olm_gather import _analyze
from olm_gather._analyze import analyze, render_terminal, to_json
from tests.unit import analyze_trees as trees


def test_all_is_pinned():
    assert sorted(_analyze.__all__) == sorted(
        [
            "NOT_SET",
            "Analysis",
            "DirTree",
            "Evidence",
            "Finding",
            "MemoryTree",
            "OperatorRow",
            "Severity",
            "Tree",
            "UnreadableTreeError",
            "Verdict",
            "analyze",
            "open_tree",
            "read_archive",
            "render_terminal",
            "to_json",
        ]
    )


def test_terminal_has_one_row_per_operator_then_findings():
    console = rich.console.Console(record=True, width=220, color_system=None)
    render_terminal(analyze(trees.sample_tree()), console)
    text = console.export_text()
    for package in ("etcd-operator", "cache-operator", "db-operator", "queue-operator", "search-operator"):
        assert package in text
    assert "failing: Deployment not available" in text
    assert "healthy" in text
    assert "ERROR   cache-operator/team-b Deployment cache-operator-controller-manager" in text
    assert (
        "next: Review the plan, then approve it: kubectl -n team-e patch installplan install-8xk2p --type merge -p "
        '\'{"spec":{"approved":true}}\'' in text
    )
    assert text.rstrip().endswith("5 operator(s), 6 error(s), 1 warning(s)")
    assert text.index("Operators") < text.index("ERROR")


def test_terminal_prints_cluster_text_literally():
    s = trees.resolution_failed()
    s.sub["status"]["conditions"][-1]["message"] = "[bold red]not markup[/] [link=http://x]y[/link]"
    console = rich.console.Console(record=True, width=220, color_system=None)
    render_terminal(analyze(s.files()), console)
    assert "[bold red]not markup[/] [link=http://x]y[/link]" in console.export_text()


def test_json_holds_operators_and_findings():
    data = json.loads(to_json(analyze(trees.crashloop().files())))
    assert data["operators"][0]["verdict"] == "failing"
    assert data["operators"][0]["deployments_ready"] == "0/1"
    first = data["findings"][0]
    assert first["severity"] == "error"
    assert first["rule"] == "deployment-unavailable"
    assert first["package"] == "foo-operator"
    assert first["namespace"] == "ns1"
    assert {"path", "field", "value"} <= set(first["evidence"][0])
    assert first["next_step"]
