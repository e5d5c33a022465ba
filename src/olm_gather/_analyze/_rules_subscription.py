"""Rules for the stages before a CSV exists: the Subscription, its OperatorGroup and install modes, the
catalog, resolution, bundle unpacking and the InstallPlan (OLM's catalog-operator: `catalog/operator.go`,
`catalog/subscription/state.go`; install modes: `olm/operator.go` and api `InstallModeSet.Supports`).
"""

from __future__ import annotations

import re

from olm_gather._analyze import _doc, _model, _objects, _operator, _rules_workload
from olm_gather._analyze._findings import (
    DONE_STEP_STATUSES,
    ERROR,
    INFO,
    INSTALL_MODE_REASONS,
    NOT_SET,
    OPERATOR_GROUP_REASONS,
    UNPACK_TIMEOUT,
    WARNING,
    E,
    age,
    cond_ev,
    csv_phase,
    csv_reason,
    ev,
    finding,
    minutes,
)

# --- 0. OLM has not seen the Subscription --------------------------------------------------------------------


def subscription_not_processed(op: _operator.Operator, index: _objects.Index) -> list[_model.Finding]:
    if _doc.mapping(op.subscription.get("status")):
        return []
    evidence = [ev(op.subscription, "status", NOT_SET)]
    evidence += _olm_pod_evidence(index, "catalog-operator")
    return [
        finding(
            op,
            ERROR,
            rule="subscription-not-processed",
            title="Not processed by OLM",
            message=f"Subscription {op.name} has no status, so OLM's catalog-operator has not processed it.",
            evidence=evidence,
            next_step="Check that OLM's catalog-operator is running (pods labelled app=catalog-operator) and read "
            f"its log for namespace {op.namespace}.",
        )
    ]


def _olm_pod_evidence(index: _objects.Index, app: str) -> list[_model.Evidence]:
    out: list[_model.Evidence] = []
    for pod in index.with_labels(_objects.CORE, "pods", {"app": app}):
        out.append(ev(pod, "status.phase"))
    return out


# --- 1. OperatorGroup -----------------------------------------------------------------------------------------


def operator_group(op: _operator.Operator, index: _objects.Index) -> list[_model.Finding]:
    groups = op.operator_groups
    csv_evidence = [ev(c, "status.reason") for c in op.csvs if csv_reason(c) in OPERATOR_GROUP_REASONS] + [
        ev(c, "status.message") for c in op.csvs if csv_reason(c) in OPERATOR_GROUP_REASONS
    ]
    log_evidence = _catalog_operator_log(index, op.namespace)
    no_plan = [] if op.install_plan_ref else [ev(op.subscription, "status.installPlanRef", NOT_SET)]
    if not groups:
        return [
            finding(
                op,
                ERROR,
                rule="no-operator-group",
                title="No OperatorGroup",
                message=f"Namespace {op.namespace} has no OperatorGroup, so OLM neither resolves the Subscription "
                "nor installs a CSV there.",
                evidence=no_plan + csv_evidence + log_evidence,
                next_step=f"Create exactly one OperatorGroup in {op.namespace} whose target namespaces suit the "
                f"operator's install modes (spec.targetNamespaces: [{op.namespace}] for OwnNamespace, none for "
                "AllNamespaces).",
            )
        ]
    if len(groups) > 1:
        names = ", ".join(g.name for g in groups)
        group_evidence = []
        for g in groups:
            if _doc.condition(g.body, "MultipleOperatorGroup") is not None:
                group_evidence.append(cond_ev(g, "MultipleOperatorGroup"))
            else:
                group_evidence.append(ev(g, "metadata.name"))
        return [
            finding(
                op,
                ERROR,
                rule="too-many-operator-groups",
                title="Several OperatorGroups",
                message=f"Namespace {op.namespace} has {len(groups)} OperatorGroups ({names}); OLM needs exactly "
                "one, so it resolves and installs nothing there.",
                evidence=group_evidence + csv_evidence + no_plan + log_evidence,
                next_step=f"Delete all but one OperatorGroup in {op.namespace}.",
            )
        ]
    if csv_evidence:
        csv = next(c for c in op.csvs if csv_reason(c) in OPERATOR_GROUP_REASONS)
        return [
            finding(
                op,
                ERROR,
                rule="operator-group-not-associated",
                title="CSV not in an OperatorGroup",
                message=f"CSV {csv.name} failed with reason {csv_reason(csv)}: "
                f"{_doc.shorten(_doc.text(csv.get('status', 'message')))}.",
                evidence=[*csv_evidence, ev(groups[0], "metadata.name")],
                next_step=f"Make sure {op.namespace} has exactly one OperatorGroup ({groups[0].name} now); OLM "
                "retries the CSV once it has.",
            )
        ]
    return []


def _catalog_operator_log(index: _objects.Index, namespace: str) -> list[_model.Evidence]:
    """The catalog-operator's last log line saying it found no or several OperatorGroups in the namespace, as
    klog writes it: `err="sync \\"/<ns>\\" failed: found 0 operatorGroups, expected 1"`."""
    sync_failed = re.compile(
        r'sync \\?"/?' + re.escape(namespace) + r'\\?" failed: found \d+ operatorGroups, expected 1'
    )
    for pod in index.with_labels(_objects.CORE, "pods", {"app": "catalog-operator"}):
        for path in index.logs_of(pod):
            data = index.tree.read(path) or b""
            for line in reversed(data.decode("utf-8", errors="replace").splitlines()):
                if sync_failed.search(line):
                    return [E(path, "log", _doc.shorten(line, 300))]
    return []


# --- 2. Install modes -----------------------------------------------------------------------------------------


def install_mode(op: _operator.Operator, index: _objects.Index) -> list[_model.Finding]:
    if len(op.operator_groups) != 1:
        return []
    group = op.operator_groups[0]
    out: list[_model.Finding] = []
    for csv in op.csvs:
        reason = csv_reason(csv)
        modes = _supported_modes(csv)
        targets, target_field = _targets(csv, group)
        problem = _unsupported(modes, op.namespace, targets) if targets is not None and modes is not None else ""
        if reason not in INSTALL_MODE_REASONS and not problem:
            continue
        detail = _doc.shorten(_doc.text(csv.get("status", "message"))) if reason in INSTALL_MODE_REASONS else problem
        shown_targets = "all namespaces" if targets == [""] else ", ".join(targets or []) or "no namespace"
        evidence = []
        if reason in INSTALL_MODE_REASONS:
            evidence += [ev(csv, "status.reason"), ev(csv, "status.message")]
        evidence.append(ev(csv, "spec.installModes", ", ".join(f"{m}={v}" for m, v in (modes or {}).items())))
        evidence.append(target_field)
        supported = ", ".join(m for m, v in (modes or {}).items() if v) or "none"
        out.append(
            finding(
                op,
                ERROR,
                rule="unsupported-install-mode",
                title="Install mode not supported",
                message=f"OperatorGroup {group.name} targets {shown_targets}, which CSV {csv.name} does not support "
                f"({reason or 'install modes'}: {detail}).",
                evidence=evidence,
                next_step=f"Change OperatorGroup {group.name} to a mode the CSV supports ({supported}), or install "
                "the operator in a namespace whose OperatorGroup fits (AllNamespaces operators usually go to "
                "`operators` or `openshift-operators`).",
            )
        )
    return out


def _supported_modes(csv: _objects.Obj) -> dict[str, bool] | None:
    modes = _doc.items(csv.get("spec", "installModes"))
    if not modes:
        return None
    return {_doc.text(m.get("type")): m.get("supported") is True for m in modes}


def _targets(csv: _objects.Obj, group: _objects.Obj) -> tuple[list[str] | None, _model.Evidence]:
    """The namespaces the operator is asked to watch, as OLM reads them: the CSV's olm.targetNamespaces
    annotation, else the OperatorGroup's status.namespaces, else its spec.targetNamespaces."""
    annotation = csv.annotations.get("olm.targetNamespaces")
    if isinstance(annotation, str):
        return annotation.split(","), ev(csv, "metadata.annotations.olm\\.targetNamespaces", annotation or '""')
    status_ns = group.get("status", "namespaces")
    if isinstance(status_ns, list):
        names = [_doc.text(n) for n in status_ns]
        return names, ev(group, "status.namespaces", ", ".join(n or '""' for n in names))
    spec_ns = _doc.strings(group.get("spec", "targetNamespaces"))
    if spec_ns:
        return spec_ns, ev(group, "spec.targetNamespaces", ", ".join(spec_ns))
    if group.get("spec", "selector") is not None:
        return None, ev(group, "spec.selector", "a label selector")
    return [""], ev(group, "spec.targetNamespaces", NOT_SET)


def _unsupported(modes: dict[str, bool], operator_namespace: str, namespaces: list[str]) -> str:
    """Why the install modes do not support these target namespaces, "" if they do (OLM's
    `InstallModeSet.Supports`)."""
    if not namespaces:
        return "the OperatorGroup selects no namespace"
    if len(namespaces) == 1:
        target = namespaces[0]
        if target == operator_namespace and not modes.get("OwnNamespace"):
            return "OwnNamespace InstallModeType not supported"
        if target == "" and not modes.get("AllNamespaces"):
            return "AllNamespaces InstallModeType not supported"
        if target not in ("", operator_namespace) and not modes.get("SingleNamespace"):
            return "SingleNamespace InstallModeType not supported"
        return ""
    if not modes.get("MultiNamespace"):
        return f"MultiNamespace InstallModeType not supported, cannot watch {len(namespaces)} namespaces"
    if operator_namespace in namespaces and not modes.get("OwnNamespace"):
        return "OwnNamespace InstallModeType not supported"
    return ""


# --- 3. Catalog -----------------------------------------------------------------------------------------------


def catalog(op: _operator.Operator, index: _objects.Index) -> list[_model.Finding]:
    sub = op.subscription
    target = f"{op.catalog_namespace}/{op.catalog_name}"
    cond = _doc.condition_true(sub.body, "CatalogSourcesUnhealthy")
    health = _doc.items(sub.get("status", "catalogHealth"))
    installed = any(csv_phase(c) == "Succeeded" for c in op.csvs)
    out: list[_model.Finding] = []

    target_health = None
    unhealthy_others: list[str] = []
    for entry in health:
        ref = _doc.mapping(entry.get("catalogSourceRef"))
        key = f"{_doc.text(ref.get('namespace'))}/{_doc.text(ref.get('name'))}"
        if key == target:
            target_health = entry
        elif entry.get("healthy") is False:
            unhealthy_others.append(key)

    catsrc = op.catalog_source
    state = _doc.text(catsrc.get("status", "connectionState", "lastObservedState")) if catsrc else ""
    message = _doc.text(cond.get("message")) if cond else ""
    missing = "missing" in message and target in message
    unhealthy = (
        (target_health is not None and target_health.get("healthy") is False)
        or (bool(message) and target in message and not missing)
        or (state not in ("", "READY"))
    )
    severity = WARNING if installed else ERROR
    cond_evidence = [cond_ev(sub, "CatalogSourcesUnhealthy")] if cond else []

    if missing or (catsrc is None and cond is not None and target_health is None):
        out.append(
            finding(
                op,
                severity,
                rule="catalog-missing",
                title="Catalog missing",
                message=f"CatalogSource {target}, which Subscription {op.name} installs from, does not exist, so OLM "
                f"cannot resolve package {op.package}.",
                evidence=[*cond_evidence, ev(sub, "spec.source"), ev(sub, "spec.sourceNamespace")],
                next_step="Create the CatalogSource, or point the Subscription's spec.source and "
                "spec.sourceNamespace at an existing one.",
            )
        )
    elif unhealthy:
        evidence = list(cond_evidence)
        if target_health is not None:
            evidence.append(ev(sub, f"status.catalogHealth[{target}].healthy", target_health.get("healthy")))
        pod_detail = ""
        if catsrc is not None:
            evidence.append(ev(catsrc, "status.connectionState.lastObservedState", state or NOT_SET))
            for key in ("reason", "message"):
                if catsrc.get("status", key):
                    evidence.append(ev(catsrc, f"status.{key}"))
        for pod in op.catalog_pods:
            cause = _rules_workload.pod_cause(pod, index)
            if cause is not None:
                pod_detail = f"; its pod {cause.sentence}"
                evidence += cause.evidence
                break
        shown_state = f" (connection state {state})" if state else ""
        out.append(
            finding(
                op,
                severity,
                rule="catalog-unhealthy",
                title="Catalog unhealthy",
                message=f"CatalogSource {target} is unhealthy{shown_state}{pod_detail}, so OLM cannot resolve "
                f"{'upgrades of ' if installed else ''}package {op.package} from it.",
                evidence=evidence,
                next_step=f"Check CatalogSource {target}: its spec.image or spec.address, its registry pod (label "
                f"olm.catalogSource={op.catalog_name}) and that pod's log.",
            )
        )
    if unhealthy_others:
        evidence = [ev(sub, f"status.catalogHealth[{key}].healthy", False) for key in unhealthy_others]
        out.append(
            finding(
                op,
                INFO,
                rule="other-catalog-unhealthy",
                title="Another catalog unhealthy",
                message=f"Catalog {', '.join(unhealthy_others)} is unhealthy too; dependencies resolved from it may "
                "fail.",
                evidence=evidence,
                next_step="Fix or remove the unhealthy CatalogSource if nothing should come from it.",
            )
        )
    return out


# --- 4. Resolution --------------------------------------------------------------------------------------------


# The resolver's messages for a Subscription that matches nothing (OLM resolver/resolver.go), most specific first.
_NOTHING_FOUND: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"no operators found with name (\S+) in channel (\S+) of package (\S+)"),
        "spec.startingCSV {0} is not in channel {1} of package {2}: fix spec.startingCSV, or remove it to start "
        "from the channel head.",
    ),
    (
        re.compile(r"no operators found in channel (\S+) of package (\S+)"),
        "Channel {0} does not exist for package {1} in the catalog: set spec.channel to one of the package's "
        "channels (see the catalog's package manifest).",
    ),
    (
        re.compile(r"no operators found in package (\S+)"),
        "Package {0} is not in the catalog the Subscription names: fix spec.name, or spec.source and "
        "spec.sourceNamespace.",
    ),
    (
        re.compile(r"no operators found from catalog (\S+) in namespace (\S+)"),
        "Catalog {1}/{0} offers nothing: check that the CatalogSource exists, is healthy and serves the package.",
    ),
)


def resolution(op: _operator.Operator, index: _objects.Index) -> list[_model.Finding]:
    sub = op.subscription
    cond = _doc.condition_true(sub.body, "ResolutionFailed")
    ns_events = [
        event
        for event in index.events_about(kind="Namespace", name=op.namespace)
        if _doc.text(event.get("reason")) == "ResolutionFailed"
    ]
    if cond is None:
        # Without the condition a past namespace event alone is not proof of a current failure.
        return []
    message = _doc.text(cond.get("message"))
    reason = _doc.text(cond.get("reason"))
    evidence = [cond_ev(sub, "ResolutionFailed"), cond_ev(sub, "ResolutionFailed", "reason")]
    if ns_events:
        latest = ns_events[-1]
        evidence.append(ev(latest, "message", _objects.event_message(latest)))
    installed = any(csv_phase(c) == "Succeeded" for c in op.csvs)
    about_this = op.name in message or op.package in message
    severity = WARNING if installed and not about_this else ERROR
    next_step = ""
    for pattern, template in _NOTHING_FOUND:
        found = pattern.search(message)
        if found:
            next_step = template.format(*(g.rstrip(",") for g in found.groups()))
            break
    if not next_step and reason == "ErrorPreventedResolution":
        next_step = (
            "An error, not a constraint, stopped resolution: check the catalogs' health and the catalog-operator "
            "log for this namespace."
        )
    elif not next_step:
        next_step = (
            "Check that the package, channel and spec.startingCSV exist in the catalog and that every dependency "
            "can be met; the message names the constraint that failed. Resolution runs for the whole namespace, so "
            "another Subscription there can be the cause."
        )
    subject = f"Subscription {op.name}" if about_this else f"the namespace {op.namespace} (another Subscription)"
    return [
        finding(
            op,
            severity,
            rule="resolution-failed",
            title="Resolution failed",
            message=f"OLM could not resolve {subject}: {_doc.shorten(message)}",
            evidence=evidence,
            next_step=next_step,
        )
    ]


# --- 5. Bundle unpacking --------------------------------------------------------------------------------------


def bundle_unpack(op: _operator.Operator, index: _objects.Index) -> list[_model.Finding]:
    sub = op.subscription
    failed = _doc.condition_true(sub.body, "BundleUnpackFailed")
    unpacking = _doc.condition_true(sub.body, "BundleUnpacking")
    plan = op.install_plan
    lookup_evidence: list[_model.Evidence] = []
    lookup_failed = False
    lookup_pending_since: object = None
    for lookup in _doc.items(plan.get("status", "bundleLookups")) if plan else []:
        ident = _doc.text(lookup.get("identifier")) or _doc.text(lookup.get("path"))
        for cond in _doc.items(lookup.get("conditions")):
            ctype = _doc.text(cond.get("type"))
            if ctype in ("BundleLookupFailed", "BundleLookupPending") and _doc.text(cond.get("status")) == "True":
                assert plan is not None
                lookup_evidence.append(
                    ev(
                        plan,
                        f"status.bundleLookups[{ident}].conditions[{ctype}].message",
                        _doc.text(cond.get("message")) or _doc.text(cond.get("reason")),
                    )
                )
                lookup_failed = lookup_failed or ctype == "BundleLookupFailed"
                if ctype == "BundleLookupPending":
                    lookup_pending_since = cond.get("lastTransitionTime")
    next_step = (
        f"Check the bundle unpack Job and its pod in {op.catalog_namespace} (label "
        "operatorframework.io/bundle-unpack-ref) and that the bundle image can be pulled; after fixing, delete "
        "the failed Job and InstallPlan so OLM retries."
    )
    if failed is not None or lookup_failed:
        evidence = ([cond_ev(sub, "BundleUnpackFailed")] if failed else []) + lookup_evidence
        detail = _doc.text(failed.get("message")) if failed else (lookup_evidence[0].value if lookup_evidence else "")
        return [
            finding(
                op,
                ERROR,
                rule="bundle-unpack-failed",
                title="Bundle unpack failed",
                message=f"OLM failed to unpack the bundle for Subscription {op.name}: {_doc.shorten(detail)}",
                evidence=evidence,
                next_step=next_step,
            )
        ]
    if unpacking is not None or lookup_evidence:
        since = unpacking.get("lastTransitionTime") if unpacking else lookup_pending_since
        elapsed = age(index, since)
        stuck = elapsed is not None and elapsed >= UNPACK_TIMEOUT
        evidence = ([cond_ev(sub, "BundleUnpacking", "reason")] if unpacking else []) + lookup_evidence
        duration = f" for {minutes(elapsed)}" if elapsed is not None else ""
        return [
            finding(
                op,
                ERROR if stuck else WARNING,
                rule="bundle-unpacking",
                title="Bundle unpack stuck" if stuck else "Bundle unpacking",
                message=f"OLM has been unpacking the bundle for Subscription {op.name}{duration} and has not finished.",
                evidence=evidence,
                next_step=next_step,
            )
        ]
    return []


# --- 6. InstallPlan -------------------------------------------------------------------------------------------


def install_plan(op: _operator.Operator, index: _objects.Index) -> list[_model.Finding]:
    sub = op.subscription
    plan = op.install_plan
    if plan is None:
        if op.install_plan_ref:
            missing = _doc.condition_true(sub.body, "InstallPlanMissing")
            evidence = [ev(sub, "status.installPlanRef.name", op.install_plan_ref)]
            if missing:
                evidence.insert(0, cond_ev(sub, "InstallPlanMissing", "reason"))
            return [
                finding(
                    op,
                    ERROR if missing else WARNING,
                    rule="install-plan-missing",
                    title="InstallPlan missing",
                    message=f"InstallPlan {op.install_plan_ref}, referenced by Subscription {op.name}, "
                    + ("no longer exists." if missing else "is not in the gathered tree."),
                    evidence=evidence,
                    next_step="If the plan was deleted, delete the Subscription's CSV (if any) and recreate the "
                    "Subscription so OLM resolves it again.",
                )
            ]
        if op.csvs or not _doc.mapping(sub.get("status")):
            return []
        return [
            finding(
                op,
                ERROR,
                rule="no-install-plan",
                title="No InstallPlan",
                message=f"OLM has created no InstallPlan for Subscription {op.name}, so nothing is installed.",
                evidence=[
                    ev(sub, "status.installPlanRef", NOT_SET),
                    ev(sub, "status.state", _doc.text(op.state) or NOT_SET),
                ],
                next_step="Fix the errors listed before this one; if there are none, read the catalog-operator log "
                f"for namespace {op.namespace}.",
            )
        ]
    phase = op.install_plan_phase
    if phase == "RequiresApproval":
        evidence = [ev(plan, "status.phase"), ev(plan, "spec.approval"), ev(plan, "spec.approved")]
        csvs = ", ".join(_doc.strings(plan.get("spec", "clusterServiceVersionNames")))
        why = ""
        if _doc.text(sub.get("spec", "installPlanApproval")) != "Manual":
            manual = [s.name for s in op.other_subscriptions if s.get("spec", "installPlanApproval") == "Manual"]
            if manual:
                why = (
                    f" (Subscription {', '.join(manual)} in the namespace asks for Manual approval, which applies to "
                    "every plan there)"
                )
                evidence.append(
                    ev(sub, "spec.installPlanApproval", _doc.text(sub.get("spec", "installPlanApproval")) or NOT_SET)
                )
        upgrade = bool(op.installed_csv)
        return [
            finding(
                op,
                WARNING,
                rule="install-plan-requires-approval",
                title="InstallPlan needs approval",
                message=f"InstallPlan {plan.name} waits for manual approval before it installs {csvs or 'the CSV'}"
                f"{' as an upgrade' if upgrade else ''}{why}.",
                evidence=evidence,
                next_step=f"Review the plan, then approve it: kubectl -n {op.namespace} patch installplan "
                f'{plan.name} --type merge -p \'{{"spec":{{"approved":true}}}}\'',
            )
        ]
    if phase == "Failed":
        installed = _doc.condition(plan.body, "Installed")
        detail = _doc.text(installed.get("message")) if installed else ""
        detail = detail or _doc.text(plan.get("status", "message"))
        evidence = [ev(plan, "status.phase")]
        if installed is not None:
            evidence += [cond_ev(plan, "Installed", "reason"), cond_ev(plan, "Installed")]
        elif plan.get("status", "message"):
            evidence.append(ev(plan, "status.message"))
        failed_steps = []
        for step in _doc.items(plan.get("status", "plan")):
            status = _doc.text(step.get("status"))
            if status in DONE_STEP_STATUSES:
                continue
            res = _doc.mapping(step.get("resource"))
            key = f"{_doc.text(res.get('kind'))}/{_doc.text(res.get('name'))}"
            failed_steps.append(f"{key} ({status or 'no status'})")
            evidence.append(ev(plan, f"status.plan[{key}].status", status or NOT_SET))
        steps = f"; steps not done: {', '.join(failed_steps[:5])}" if failed_steps else ""
        more = f" and {len(failed_steps) - 5} more" if len(failed_steps) > 5 else ""
        return [
            finding(
                op,
                ERROR,
                rule="install-plan-failed",
                title="InstallPlan failed",
                message=f"InstallPlan {plan.name} failed: {_doc.shorten(detail) or 'no message'}{steps}{more}.",
                evidence=evidence,
                next_step="Fix the cause named in the message (often a conflicting CRD, an existing object OLM may not "
                "adopt, or missing permissions); OLM does not retry a failed plan, so then delete the Subscription "
                "and its CSV and create the Subscription again.",
            )
        ]
    if phase in ("", "Planning", "Installing") and not any(csv_phase(c) == "Succeeded" for c in op.csvs):
        return [
            finding(
                op,
                WARNING,
                rule="install-plan-in-progress",
                title="InstallPlan in progress",
                message=f"InstallPlan {plan.name} is still in phase {phase or 'none (not yet reconciled)'}.",
                evidence=[ev(plan, "status.phase", phase or NOT_SET)],
                next_step="Wait briefly and gather again; if the phase does not move, read the catalog-operator log.",
            )
        ]
    return []
