"""Runs every rule on every operator of a tree and orders the result.

One operator is one Subscription. Its findings come errors first, then warnings, then infos; within a
severity, in the pipeline order of `_rules.RULES` (the most fundamental cause first). It reads only the
must-gather files: `gather.json` is never needed, so trees written by other tools analyze the same way. It is
read for one fact only: whether olm-gather marked the tree incomplete (interrupted, out of time, refused).
In an incomplete tree an absent object proves nothing, so findings that rest on an absence are left out and
one finding says why, first.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import orjson

from olm_gather import _layout, _must_gather
from olm_gather._analyze import _doc, _model, _objects, _operator, _rules, _tree

# Rules whose finding rests on something being absent from the tree: in an incomplete tree, it may just not
# have been fetched.
_FROM_ABSENCE = frozenset(
    {
        "no-subscription",
        "no-operator-group",
        "catalog-missing",
        "no-install-plan",
        "csv-not-gathered",
        "deployment-not-gathered",
        "state-unclear",
    }
)


def analyze(tree: _tree.Tree | Mapping[str, bytes] | str | os.PathLike[str]) -> _model.Analysis:
    """Diagnoses every operator of a gathered tree (a Tree, a map of path to bytes, a directory or an archive)."""
    tree = _tree.open_tree(tree)
    index = _objects.Index.of(tree)
    incomplete = incompleteness(tree)
    rows: list[_model.OperatorRow] = []
    findings: list[_model.Finding] = []
    for sub in index.all(_objects.OLM, "subscriptions"):
        op = _operator.build(index, sub)
        found = operator_findings(op, index)
        if incomplete and any(_from_absence(f) for f in found):
            undecided = [f for f in found if _from_absence(f)]
            found = [f for f in found if not _from_absence(f)] + [_undecided(op, undecided)]
        findings += found
        rows.append(_row(op, found))
    tree_findings = _tree_findings(index, bool(rows))
    if incomplete:
        tree_findings = [f for f in tree_findings if not _from_absence(f)]
        findings.insert(0, _incomplete_finding(incomplete))  # what a reader must know before any other finding
    findings += tree_findings
    return _model.Analysis(operators=tuple(rows), findings=tuple(findings), source=tree.source, incomplete=incomplete)


def incompleteness(tree: _tree.Tree) -> str:
    """Why olm-gather marked the tree incomplete (gather.json's reason), "unfinished" for an olm-gather tree
    without gather.json (the gather was killed before it could finish), "" otherwise (other tools' trees too)."""
    record = tree.read(_layout.GATHER_JSON)
    if record is None:
        version = tree.read(_layout.VERSION) or b""
        return "unfinished" if version.startswith(b"olm-gather\n") else ""
    try:
        doc = orjson.loads(record)
    except orjson.JSONDecodeError:
        return "unfinished"
    if not isinstance(doc, dict) or not doc.get("incomplete"):
        return ""
    return str(doc.get("incompleteReason") or "errors")


def _from_absence(f: _model.Finding) -> bool:
    # install-plan-missing is an error when OLM itself says the plan is gone, a warning when it is only not here.
    return f.rule in _FROM_ABSENCE or (f.rule == "install-plan-missing" and f.severity is not _model.Severity.ERROR)


def _undecided(op: _operator.Operator, left_out: list[_model.Finding]) -> _model.Finding:
    titles = ", ".join(f.title for f in left_out)
    return _model.Finding(
        severity=_model.Severity.WARNING,
        rule="incomplete-gather",
        title="Incomplete gather",
        package=op.package,
        namespace=op.namespace,
        subscription=op.name,
        message=f"The tree is incomplete, so what it lacks for this operator ({titles}) may just not have been "
        "gathered; those findings are left out.",
        evidence=(_model.Evidence(_layout.GATHER_JSON, "incomplete", "true"),),
        next_step="Gather this package again (olm-gather -p " + op.package + ") before acting on its absence.",
    )


def _incomplete_finding(reason: str) -> _model.Finding:
    why = {
        "interrupted": "the gather was interrupted (Ctrl-C or SIGTERM)",
        "deadline": "the gather reached its --timeout",
        "unfinished": "the gather did not finish (gather.json is missing: it was killed)",
    }.get(reason, "some requests were refused or failed (gather.json lists them under problems)")
    return _model.Finding(
        severity=_model.Severity.WARNING,
        rule="incomplete-gather",
        title="Incomplete gather",
        package="",
        namespace="",
        subscription="",
        message=f"This tree is incomplete: {why}. Findings that would rest on an object being absent are left out.",
        evidence=(
            (_model.Evidence(_layout.VERSION, ""),)
            if reason == "unfinished"
            else (_model.Evidence(_layout.GATHER_JSON, "incompleteReason", reason),)
        ),
        next_step="Gather again (with a longer --timeout, or with the permissions gather.json's problems name).",
    )


def operator_findings(op: _operator.Operator, index: _objects.Index) -> list[_model.Finding]:
    found: list[_model.Finding] = []
    for rule in _rules.RULES:
        found += rule(op, index)
    found += _rules.healthy(op, found)
    # sorted() is stable: within a severity the rules' pipeline order stays.
    return sorted(found, key=lambda f: f.severity.rank)


def _row(op: _operator.Operator, found: list[_model.Finding]) -> _model.OperatorRow:
    severities = {f.severity for f in found}
    if _model.Severity.ERROR in severities:
        verdict = _model.Verdict.FAILING
    elif _model.Severity.WARNING in severities:
        verdict = _model.Verdict.WARNING
    else:
        verdict = _model.Verdict.HEALTHY
    csv = op.csv
    first = found[0] if found and verdict is not _model.Verdict.HEALTHY else None
    return _model.OperatorRow(
        package=op.package,
        namespace=op.namespace,
        subscription=op.name,
        subscription_state=op.state,
        install_plan=op.install_plan.name if op.install_plan else op.install_plan_ref,
        install_plan_phase=op.install_plan_phase,
        csv=csv.name if csv else (op.current_csv or op.installed_csv),
        csv_phase=_doc.text(csv.get("status", "phase")) if csv else "",
        ready_replicas=sum(d.ready for d in op.deployments if d.csv is csv),
        desired_replicas=sum(d.desired for d in op.deployments if d.csv is csv),
        verdict=verdict,
        cause=first.title if first else "",
        must_gather_image=_must_gather.image(csv.annotations) if csv else "",
    )


def _tree_findings(index: _objects.Index, has_operators: bool) -> list[_model.Finding]:
    """Findings about the tree itself rather than one operator (package, namespace and subscription "")."""
    out: list[_model.Finding] = []

    def add(
        severity: _model.Severity, *, rule: str, title: str, message: str, evidence: list[_model.Evidence], step: str
    ) -> None:
        out.append(
            _model.Finding(
                severity=severity,
                rule=rule,
                title=title,
                package="",
                namespace="",
                subscription="",
                message=message,
                evidence=tuple(evidence),
                next_step=step,
            )
        )

    for app in ("olm-operator", "catalog-operator"):
        for pod in index.with_labels(_objects.CORE, "pods", {"app": app}):
            cause = _rules.pod_cause(pod, index)
            if cause is not None:
                add(
                    _model.Severity.WARNING,
                    rule="olm-controller-unhealthy",
                    title="OLM controller unhealthy",
                    message=f"OLM's {app} is not healthy: {cause.sentence}; OLM cannot act on Subscriptions until it "
                    "is.",
                    evidence=cause.evidence,
                    step=cause.next_step,
                )
    if not has_operators:
        add(
            _model.Severity.INFO,
            rule="no-subscription",
            title="No Subscription",
            message="The tree holds no Subscription, so there is no operator install to diagnose.",
            evidence=[],
            step="Check that the gather selected the right package and namespace.",
        )
    for path, reason in index.unreadable:
        add(
            _model.Severity.WARNING,
            rule="unreadable-file",
            title="Unreadable file",
            message=f"File {path} could not be read ({reason}); findings may miss what it holds.",
            evidence=[_model.Evidence(path, "")],
            step="Check how the file was written; gather again if it is truncated.",
        )
    return out
