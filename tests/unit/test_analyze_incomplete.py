"""An incomplete tree (gather.json says so, or an olm-gather tree without gather.json) says so first and leaves
out the findings that rest on an absence: what is absent may only not have been gathered."""

from __future__ import annotations

import orjson

from olm_gather import _layout
from olm_gather._analyze import analyze
from tests.unit import analyze_trees as trees


def _marked(files: dict[str, bytes], reason: str) -> dict[str, bytes]:
    record = {"layoutVersion": "1", "incomplete": True, "incompleteReason": reason}
    return {**files, _layout.GATHER_JSON: orjson.dumps(record)}


def test_interrupted_tree_reports_no_absent_operator_group() -> None:
    files = trees.no_operator_group().files()
    assert "no-operator-group" in [f.rule for f in analyze(files).findings]  # the complete tree's verdict
    analysis = analyze(_marked(files, "interrupted"))
    rules = [f.rule for f in analysis.findings]
    assert analysis.incomplete == "interrupted"
    assert "no-operator-group" not in rules and "no-install-plan" not in rules
    assert rules.count("incomplete-gather") == 2  # one for the tree, one for the operator it could not decide
    assert analysis.to_dict()["incomplete"] == "interrupted"
    assert next(iter(analysis.to_dict())) == "incomplete"  # machines read it first too


def test_killed_gather_without_gather_json_is_unfinished() -> None:
    files = {k: v for k, v in trees.no_operator_group().files().items() if k != _layout.GATHER_JSON}
    analysis = analyze(files)
    assert analysis.incomplete == "unfinished"
    assert "no-operator-group" not in [f.rule for f in analysis.findings]


def test_findings_resting_on_what_is_present_stay() -> None:
    files = trees.crashloop().files()
    complete = [f.rule for f in analyze(files).findings]
    deadline = [f.rule for f in analyze(_marked(files, "deadline")).findings]
    assert "deployment-unavailable" in complete
    assert [r for r in deadline if r != "incomplete-gather"] == complete


def test_other_tools_trees_are_not_incomplete() -> None:
    files = {
        k: v for k, v in trees.no_operator_group().files().items() if k not in (_layout.GATHER_JSON, _layout.VERSION)
    }
    analysis = analyze(files)
    assert analysis.incomplete == ""
    assert "no-operator-group" in [f.rule for f in analysis.findings]
