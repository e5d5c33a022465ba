"""Rules for the CSV and what follows: unmet requirements, failed or stuck phases, upgrades, and the summary
finding for an operator with nothing wrong (OLM's olm-operator: `olm/operator.go`, CSV reasons in api
`clusterserviceversion_types.go`).
"""

from __future__ import annotations

from collections.abc import Sequence

from olm_gather import _must_gather
from olm_gather._analyze import _doc, _model, _objects, _operator
from olm_gather._analyze._findings import (
    ERROR,
    INFO,
    INSTALL_MODE_REASONS,
    INSTALL_TIMEOUT,
    NOT_SET,
    OPERATOR_GROUP_REASONS,
    WARNING,
    age,
    csv_phase,
    csv_reason,
    ev,
    finding,
    minutes,
)

# --- 7. CSV requirements --------------------------------------------------------------------------------------


def csv_requirements(op: _operator.Operator, index: _objects.Index) -> list[_model.Finding]:
    out: list[_model.Finding] = []
    for csv in op.csvs:
        if csv_phase(csv) != "Pending" and csv_reason(csv) != "RequirementsNotMet":
            continue
        unmet: list[str] = []
        evidence = [ev(csv, "status.phase"), ev(csv, "status.reason")]
        for req in _doc.items(csv.get("status", "requirementStatus")):
            status = _doc.text(req.get("status"))
            if status not in ("NotPresent", "PresentNotSatisfied"):
                continue
            kind, name = _doc.text(req.get("kind")), _doc.text(req.get("name"))
            key = f"{kind}/{name}"
            detail = _doc.text(req.get("message"))
            for dep in _doc.items(req.get("dependents")):
                if _doc.text(dep.get("status")) != "Satisfied":
                    detail = _doc.text(dep.get("message")) or detail
                    break
            unmet.append(f"{kind} {name} ({status}{': ' + detail if detail else ''})")
            evidence.append(ev(csv, f"status.requirementStatus[{key}].status", status))
        if not unmet:
            continue
        shown = "; ".join(unmet[:5]) + (f"; and {len(unmet) - 5} more" if len(unmet) > 5 else "")
        out.append(
            finding(
                op,
                ERROR,
                rule="csv-requirements-not-met",
                title="Requirements not met",
                message=f"CSV {csv.name} is Pending because requirements are not met: {_doc.shorten(shown, 600)}.",
                evidence=evidence,
                next_step="Provide what is missing: required CRDs and APIs come from other operators (install them); "
                "ServiceAccounts and RBAC come from the InstallPlan's steps (check that plan); PresentNotSatisfied "
                "means the object exists but lacks the permissions the CSV asks for.",
            )
        )
    return out


# --- 9. CSV state ---------------------------------------------------------------------------------------------


def csv_state(op: _operator.Operator, index: _objects.Index) -> list[_model.Finding]:
    out: list[_model.Finding] = []
    for csv in op.csvs:
        phase, reason = csv_phase(csv), csv_reason(csv)
        message = _doc.shorten(_doc.text(csv.get("status", "message")))
        evidence = [ev(csv, "status.phase"), ev(csv, "status.reason"), ev(csv, "status.message")]
        if reason in OPERATOR_GROUP_REASONS or reason in INSTALL_MODE_REASONS or phase == "Pending":
            continue  # the OperatorGroup, install-mode and requirements rules say it better
        if phase == "Failed":
            if reason == "InstallCheckFailed":
                title, sentence = "CSV install check failed", f"CSV {csv.name} failed its install check: {message}"
                step = (
                    "The CSV's Deployments did not become available in time: see the Deployment finding for the "
                    "pod-level cause; OLM retries the install once it is fixed."
                )
            elif reason == "ComponentUnhealthy":
                title, sentence = "CSV component unhealthy", f"CSV {csv.name} became unhealthy after install: {message}"
                step = (
                    "Something OLM installed is no longer healthy or was changed (Deployment, RBAC, APIService, "
                    "webhook): compare it with the CSV and read recent events; OLM reinstalls when it can."
                )
            else:
                title, sentence = "CSV failed", f"CSV {csv.name} failed with reason {reason or 'none'}: {message}"
                step = "Fix the cause the message names; OLM retries the CSV on its next sync."
            out.append(
                finding(
                    op,
                    ERROR,
                    rule="csv-failed",
                    title=title,
                    message=sentence.rstrip(".") + ".",
                    evidence=evidence,
                    next_step=step,
                )
            )
        elif phase in ("Installing", "InstallReady"):
            elapsed = age(index, csv.get("status", "lastTransitionTime"))
            stuck = elapsed is not None and elapsed >= INSTALL_TIMEOUT
            duration = f" for {minutes(elapsed)}" if elapsed is not None else ""
            evidence.append(ev(csv, "status.lastTransitionTime"))
            out.append(
                finding(
                    op,
                    ERROR if stuck else WARNING,
                    rule="csv-installing",
                    title="CSV stuck installing" if stuck else "CSV installing",
                    message=f"CSV {csv.name} has been {phase}{duration}: {message}".rstrip(": ") + ".",
                    evidence=evidence,
                    next_step="Check the CSV's Deployments and their pods (see any Deployment finding); OLM fails "
                    "the install after its install timeout.",
                )
            )
        elif phase in ("Replacing", "Deleting"):
            out.append(
                finding(
                    op,
                    INFO,
                    rule="csv-replacing",
                    title=f"CSV {phase.lower()}",
                    message=f"CSV {csv.name} is {phase}: {message}".rstrip(": ") + ".",
                    evidence=evidence[:2],
                    next_step="Nothing to do while an upgrade is in progress; check the newer CSV if this lasts.",
                )
            )
    # The installed CSV must exist; a newer current CSV only once its InstallPlan is Complete.
    expected = [("status.installedCSV", op.installed_csv)]
    if op.current_csv != op.installed_csv and op.install_plan_phase == "Complete":
        expected.append(("status.currentCSV", op.current_csv))
    for field, name in expected:
        if name and op.csv_named(name) is None:
            out.append(
                finding(
                    op,
                    WARNING,
                    rule="csv-not-gathered",
                    title="CSV not in tree",
                    message=f"CSV {name}, named by Subscription {op.name}, is not in the gathered tree.",
                    evidence=[ev(op.subscription, field, name)],
                    next_step="Gather again with olm-gather, or check whether the CSV was deleted (then delete and "
                    "recreate the Subscription).",
                )
            )
    return out


# --- 10. Upgrades ---------------------------------------------------------------------------------------------


def upgrade(op: _operator.Operator, index: _objects.Index) -> list[_model.Finding]:
    current, installed = op.current_csv, op.installed_csv
    sub = op.subscription
    if op.state == "UpgradeFailed":
        return [
            finding(
                op,
                ERROR,
                rule="upgrade-failed",
                title="Upgrade failed",
                message=f"The upgrade of Subscription {op.name} to {current or 'a newer CSV'} failed.",
                evidence=[ev(sub, "status.state"), ev(sub, "status.currentCSV", current or NOT_SET)],
                next_step="See the InstallPlan and CSV findings for the cause.",
            )
        ]
    if not (installed and current and current != installed):
        return []
    return [
        finding(
            op,
            INFO,
            rule="upgrade-available",
            title="Upgrade available",
            message=f"Subscription {op.name} has {installed} installed; {current} is available but not yet applied"
            f"{' (state ' + op.state + ')' if op.state else ''}.",
            evidence=[
                ev(sub, "status.installedCSV"),
                ev(sub, "status.currentCSV"),
                ev(sub, "status.state", op.state or NOT_SET),
            ],
            next_step="Approve the pending InstallPlan if the Subscription is Manual; otherwise OLM applies it on "
            "its own.",
        )
    ]


# --- The summary finding --------------------------------------------------------------------------------------


def healthy(op: _operator.Operator, findings: Sequence[_model.Finding]) -> list[_model.Finding]:
    """An info finding for an operator with no error or warning, so the report covers every operator; a warning
    when nothing failed but the install is not complete either."""
    if any(f.severity is not INFO for f in findings):
        return []
    csv = op.csv_named(op.installed_csv) or op.csv
    if csv is not None and csv_phase(csv) == "Succeeded" and all(d.available for d in op.deployments if d.csv is csv):
        ready = ", ".join(f"{d.name} {d.ready}/{d.desired}" for d in op.deployments if d.csv is csv)
        image = _must_gather.image(csv.annotations)
        return [
            finding(
                op,
                INFO,
                rule="healthy",
                title="Healthy",
                message=f"Package {op.package} is installed and healthy: CSV {csv.name} Succeeded"
                f"{', Deployment ' + ready + ' ready' if ready else ''}.",
                evidence=[ev(csv, "status.phase")]
                + (
                    [ev(csv, "metadata.annotations." + _must_gather.ANNOTATION.replace(".", "\\."), image)]
                    if image
                    else []
                ),
                # OLM did its part: a problem left is inside the operator, which its own must-gather collects.
                next_step=f"Nothing to do for OLM; for the operator's own data run {_must_gather.command(image)}"
                if image
                else "Nothing to do.",
            )
        ]
    shown = f"CSV {csv.name} is in phase {csv_phase(csv) or 'none'}" if csv else "the tree holds no CSV for it"
    return [
        finding(
            op,
            WARNING,
            rule="state-unclear",
            title="Install incomplete",
            message=f"No rule found an error for Subscription {op.name}, but {shown}.",
            evidence=[ev(op.subscription, "status.state", op.state or NOT_SET)]
            + ([ev(csv, "status.phase")] if csv else []),
            next_step="Gather again in a minute: OLM may still be working; otherwise read the olm-operator and "
            "catalog-operator logs.",
        )
    ]
