"""The diagnosis rules, in pipeline order: small functions from one operator (and the tree's index) to findings.

Each rule looks at one stage of what OLM does for a Subscription and knows that stage's conditions, reasons
and fields. `RULES` lists them with the most fundamental cause first: a namespace without an OperatorGroup
explains a missing InstallPlan, a crashing pod explains a CSV's InstallCheckFailed. Findings of equal
severity keep this order. Rules never read files directly and never print.
"""

from __future__ import annotations

from collections.abc import Callable

from olm_gather._analyze import _model, _objects, _operator, _rules_csv, _rules_subscription, _rules_workload

Rule = Callable[[_operator.Operator, _objects.Index], list[_model.Finding]]

RULES: tuple[Rule, ...] = (
    _rules_subscription.subscription_not_processed,
    _rules_subscription.operator_group,
    _rules_subscription.install_mode,
    _rules_subscription.catalog,
    _rules_subscription.resolution,
    _rules_subscription.bundle_unpack,
    _rules_subscription.install_plan,
    _rules_csv.csv_requirements,
    _rules_workload.deployment,
    _rules_csv.csv_state,
    _rules_csv.upgrade,
)
"""Every rule, most fundamental first."""

healthy = _rules_csv.healthy
pod_cause = _rules_workload.pod_cause
