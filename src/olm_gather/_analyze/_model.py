"""What analysis returns: findings with one severity enum, one summary row per operator, and the whole result.

Plain frozen data, no behaviour beyond ordering and conversion to JSON-ready dicts; rendering lives in
`_render` and `olm_gather._report`.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

from olm_gather import _must_gather

NOT_SET = "<not set>"
"""Evidence value meaning the field is absent from the file (the absence is the evidence)."""


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for the most severe, for sorting."""
        return _RANK[self]


_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclasses.dataclass(frozen=True)
class Evidence:
    """Where a finding was read: a tree path and a field in it.

    Fields are dotted paths; `[key]` picks a list entry by its identity: conditions by `type`, list-file
    items by name (`items[foo].status.phase`), steps and requirements by `Kind/name`, catalog health by
    `namespace/name`, containers by name, bundle lookups by identifier. For a log file the field is
    `log` and the value holds the lines. `value` is what the field held (NOT_SET when it is absent).
    """

    path: str
    field: str
    value: str = ""


@dataclasses.dataclass(frozen=True)
class Finding:
    severity: Severity
    rule: str  # stable id, e.g. "no-operator-group"
    title: str  # a few words for tables and headings
    package: str
    namespace: str
    subscription: str
    message: str  # one plain sentence
    evidence: tuple[Evidence, ...]
    next_step: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity.value,
            "rule": self.rule,
            "title": self.title,
            "package": self.package,
            "namespace": self.namespace,
            "subscription": self.subscription,
            "message": self.message,
            "evidence": [dataclasses.asdict(e) for e in self.evidence],
            "next_step": self.next_step,
        }


class Verdict(enum.Enum):
    HEALTHY = "healthy"
    WARNING = "warning"
    FAILING = "failing"


@dataclasses.dataclass(frozen=True)
class OperatorRow:
    """One operator (one Subscription) and the state of what OLM made for it."""

    package: str
    namespace: str
    subscription: str
    subscription_state: str
    install_plan: str
    install_plan_phase: str
    csv: str
    csv_phase: str
    ready_replicas: int
    desired_replicas: int
    verdict: Verdict
    cause: str  # title of the first finding, "" when healthy
    must_gather_image: str = ""  # the operator's own must-gather image, from its CSV's annotation

    @property
    def deployments_ready(self) -> str:
        """ "x/y" over the CSV's Deployments, "" when the CSV names none."""
        return f"{self.ready_replicas}/{self.desired_replicas}" if self.desired_replicas else ""

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["verdict"] = self.verdict.value
        out["deployments_ready"] = self.deployments_ready
        out["must_gather_command"] = self.must_gather_command
        return out

    @property
    def must_gather_command(self) -> str:
        """`oc adm must-gather --image=...` for the operator's own must-gather, "" when its CSV names none."""
        return _must_gather.command(self.must_gather_image) if self.must_gather_image else ""


@dataclasses.dataclass(frozen=True)
class Analysis:
    """The result: rows in the order of the findings, findings per operator with errors first and the most
    fundamental cause first, then findings about the tree itself (package "")."""

    operators: tuple[OperatorRow, ...]
    findings: tuple[Finding, ...]
    source: str = ""
    incomplete: str = ""
    """Why the tree is known to be incomplete ("interrupted", "deadline", "errors", "unfinished"), else ""."""

    def findings_for(self, row: OperatorRow) -> list[Finding]:
        return [
            f
            for f in self.findings
            if (f.package, f.namespace, f.subscription) == (row.package, row.namespace, row.subscription)
        ]

    @property
    def tree_findings(self) -> list[Finding]:
        return [f for f in self.findings if not f.subscription]

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)

    def to_dict(self) -> dict[str, Any]:
        return {
            "incomplete": self.incomplete,
            "operators": [r.to_dict() for r in self.operators],
            "findings": [f.to_dict() for f in self.findings],
        }
