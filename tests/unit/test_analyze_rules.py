"""Each diagnosis rule on an in-memory tree shaped as real OLM leaves it: the right first error, evidence that
points at an existing file and field, and no error for a healthy operator."""

from __future__ import annotations

import re

import pytest
import yaml

from olm_gather import _layout
from olm_gather._analyze import (
    NOT_SET,
    Analysis,
    Evidence,
    Finding,
    Severity,
    Verdict,
    _objects,
    _operator,
    _rules,
    _rules_subscription,
    _tree,
    analyze,
)
from tests.unit import analyze_trees as trees


def findings_of(analysis: Analysis, package: str = "foo-operator") -> list[Finding]:
    return [f for f in analysis.findings if f.package == package]


def errors_of(analysis: Analysis, package: str = "foo-operator") -> list[Finding]:
    return [f for f in findings_of(analysis, package) if f.severity is Severity.ERROR]


def only(findings: list[Finding], rule: str) -> Finding:
    matching = [f for f in findings if f.rule == rule]
    assert len(matching) == 1, [f.rule for f in findings]
    return matching[0]


# --- Evidence must point at an existing file and field ---------------------------------------------------------

_TOKEN = re.compile(r"((?:[^.\[\]\\]|\\.)+)|\[([^\]]*)\]")


def _matches(entry: object, key: str) -> bool:
    if not isinstance(entry, dict):
        return False
    meta = entry.get("metadata") or {}
    res = entry.get("resource") or {}
    ref = entry.get("catalogSourceRef") or {}
    identities = {
        entry.get("type"),
        entry.get("name"),
        entry.get("identifier"),
        meta.get("name"),
        f"{entry.get('kind')}/{entry.get('name')}",
        f"{res.get('kind')}/{res.get('name')}",
        f"{ref.get('namespace')}/{ref.get('name')}",
    }
    return key in identities


def resolve(files: dict[str, bytes], ev: Evidence) -> tuple[bool, object]:
    """(found, value) of an evidence field in the tree, following the field syntax of `Evidence`."""
    assert ev.path in files, f"evidence file {ev.path} is not in the tree"
    if ev.path.endswith(".log"):
        assert ev.field == "log"
        text = files[ev.path].decode()
        for line in ev.value.splitlines():
            assert line.split("…")[0] in " ".join(text.split()), line
        return True, ev.value
    node: object = yaml.safe_load(files[ev.path])
    for raw_key, selector in _TOKEN.findall(ev.field):
        if raw_key:
            key = raw_key.replace("\\.", ".")
            if not isinstance(node, dict) or key not in node:
                return False, None
            node = node[key]
        else:
            assert isinstance(node, list), f"{ev.field}: [{selector}] on a non-list"
            found = [e for e in node if _matches(e, selector)]
            assert found, f"{ev.path}: no entry [{selector}] for {ev.field}"
            node = found[0]
    return True, node


def assert_evidence_resolves(files: dict[str, bytes], analysis: Analysis) -> None:
    for finding in analysis.findings:
        for ev in finding.evidence:
            found, value = resolve(files, ev)
            if ev.value == NOT_SET:
                assert not found or value in (None, "", [], {}), f"{ev} should be absent"
            else:
                assert found, f"{finding.rule}: {ev.path}: {ev.field} does not exist"
                if isinstance(value, str | int | bool) and not ev.path.endswith(".log") and "…" not in ev.value:
                    shown = str(value).lower() if isinstance(value, bool) else str(value)
                    assert (" ".join(shown.split()) or '""') == ev.value, (ev, value)


# --- Healthy -------------------------------------------------------------------------------------------------


def test_healthy_operator_yields_no_error_and_one_healthy_info():
    files = trees.Scenario.healthy().files()
    analysis = analyze(files)
    found = findings_of(analysis)
    assert [f.rule for f in found] == ["healthy"]
    assert found[0].severity is Severity.INFO
    assert "foo-operator.v0.1.0 Succeeded" in found[0].message
    row = analysis.operators[0]
    assert (row.package, row.namespace, row.subscription_state) == ("foo-operator", "ns1", "AtLatestKnown")
    assert (row.install_plan, row.install_plan_phase) == ("install-8xk2p", "Complete")
    assert (row.csv, row.csv_phase, row.deployments_ready) == ("foo-operator.v0.1.0", "Succeeded", "1/1")
    assert row.verdict is Verdict.HEALTHY
    assert_evidence_resolves(files, analysis)


def test_healthy_operator_points_to_its_own_must_gather():
    s = trees.Scenario.healthy()
    image = "quay.io/example/foo-must-gather:v1"
    s.objects["csv"]["metadata"].setdefault("annotations", {})["operators.openshift.io/must-gather-image"] = image
    files = s.files()
    analysis = analyze(files)
    (healthy,) = findings_of(analysis)
    assert healthy.rule == "healthy"
    assert healthy.next_step.endswith(f"run oc adm must-gather --image={image}")
    assert analysis.operators[0].must_gather_command == f"oc adm must-gather --image={image}"
    assert_evidence_resolves(files, analysis)


def test_failing_operator_still_names_its_must_gather_but_the_finding_is_about_olm():
    s = trees.Scenario.healthy().drop("operatorgroup")
    s.objects["csv"]["metadata"].setdefault("annotations", {})["operators.openshift.io/must-gather-image"] = "img:1"
    analysis = analyze(s.files())
    assert analysis.operators[0].verdict is Verdict.FAILING
    assert analysis.operators[0].must_gather_image == "img:1"
    assert all("must-gather" not in f.next_step for f in findings_of(analysis))


# --- Every failure scenario: the right first error, evidence that resolves -----------------------------------


@pytest.mark.parametrize("name", sorted(trees.SCENARIOS))
def test_failure_scenario_first_error(name: str):
    build, rule = trees.SCENARIOS[name]
    files = build().files()
    analysis = analyze(files)
    errors = errors_of(analysis)
    assert errors, f"{name}: no error at all"
    assert errors[0].rule == rule, [f.rule for f in errors]
    assert errors[0].evidence, "the first error must carry evidence"
    assert analysis.operators[0].verdict is Verdict.FAILING
    assert analysis.operators[0].cause == errors[0].title
    assert_evidence_resolves(files, analysis)


@pytest.mark.parametrize("name", sorted(trees.SCENARIOS))
def test_failure_scenario_same_findings_from_list_files(name: str):
    """`oc adm inspect` of a namespace writes `<plural>.yaml` list files instead of per-object files."""
    build, _ = trees.SCENARIOS[name]
    per_object = analyze(build().files())
    scenario = build()
    scenario.list_files = True
    files = scenario.files()
    assert any(p.endswith("operators.coreos.com/subscriptions.yaml") for p in files)
    from_lists = analyze(files)
    assert [(f.rule, f.message) for f in from_lists.findings] == [(f.rule, f.message) for f in per_object.findings]
    assert_evidence_resolves(files, from_lists)


def test_findings_are_ordered_errors_first_most_fundamental_first():
    analysis = analyze(trees.no_operator_group().files())
    assert [f.rule for f in findings_of(analysis)] == ["no-operator-group", "no-install-plan"]
    analysis = analyze(trees.crashloop().files())
    assert [f.rule for f in findings_of(analysis)] == ["deployment-unavailable", "csv-failed"]


# --- OperatorGroup and install modes ---------------------------------------------------------------------------


def test_no_operator_group_cites_the_catalog_operator_log():
    files = trees.no_operator_group().files()
    finding = errors_of(analyze(files))[0]
    assert "Namespace ns1 has no OperatorGroup" in finding.message
    logs = [ev for ev in finding.evidence if ev.path.endswith("current.log")]
    assert logs
    assert "found 0 operatorGroups, expected 1" in logs[0].value
    assert logs[0].path == _layout.log_path(
        namespace="olm", pod="catalog-operator-7c9f8d6b5-abcde", container="catalog-operator"
    )


def test_two_operator_groups_names_both_and_their_condition():
    finding = errors_of(analyze(trees.two_operator_groups().files()))[0]
    assert "has 2 OperatorGroups (ns1-og, second-og)" in finding.message
    fields = {(ev.path.rsplit("/", 1)[-1], ev.field) for ev in finding.evidence}
    assert ("ns1-og.yaml", "status.conditions[MultipleOperatorGroup].message") in fields
    assert finding.next_step == "Delete all but one OperatorGroup in ns1."


def test_csv_too_many_operator_groups_carries_the_csv_reason():
    finding = errors_of(analyze(trees.csv_too_many_operator_groups().files()))[0]
    assert any(ev.field == "status.reason" and ev.value == "TooManyOperatorGroups" for ev in finding.evidence)


def test_unsupported_install_mode_from_csv_reason():
    finding = errors_of(analyze(trees.unsupported_install_mode().files()))[0]
    assert "targets all namespaces" in finding.message
    assert "AllNamespaces InstallModeType not supported" in finding.message
    assert "(OwnNamespace, SingleNamespace)" in finding.next_step


def test_unsupported_install_mode_found_before_olm_says_so():
    """The CSV's installModes against the OperatorGroup's namespaces, as OLM's InstallModeSet.Supports does."""
    s = trees.Scenario.healthy()
    s.objects["operatorgroup"]["status"]["namespaces"] = ["ns1", "ns2"]
    del s.csv["metadata"]["annotations"]["olm.targetNamespaces"]
    finding = errors_of(analyze(s.files()))[0]
    assert finding.rule == "unsupported-install-mode"
    assert "MultiNamespace InstallModeType not supported, cannot watch 2 namespaces" in finding.message


@pytest.mark.parametrize(
    ("targets", "supported", "expected"),
    [
        (["ns1"], {"OwnNamespace"}, ""),
        (["ns1"], {"AllNamespaces"}, "OwnNamespace InstallModeType not supported"),
        ([""], {"AllNamespaces"}, ""),
        ([""], {"OwnNamespace", "SingleNamespace"}, "AllNamespaces InstallModeType not supported"),
        (["other"], {"SingleNamespace"}, ""),
        (["other"], {"OwnNamespace"}, "SingleNamespace InstallModeType not supported"),
        (["a", "b"], {"MultiNamespace"}, ""),
        (["ns1", "b"], {"MultiNamespace"}, "OwnNamespace InstallModeType not supported"),
        ([], {"AllNamespaces"}, "the OperatorGroup selects no namespace"),
    ],
)
def test_install_mode_support_matches_olm(targets: list[str], supported: set[str], expected: str):
    modes = {m: m in supported for m in ("OwnNamespace", "SingleNamespace", "MultiNamespace", "AllNamespaces")}
    assert _rules_subscription._unsupported(modes, "ns1", targets).startswith(expected)
    assert bool(_rules_subscription._unsupported(modes, "ns1", targets)) == bool(expected)


# --- Catalog, resolution, unpacking ----------------------------------------------------------------------------


def test_catalog_unhealthy_names_state_and_pod_cause():
    finding = errors_of(analyze(trees.catalog_unhealthy().files()))[0]
    assert "CatalogSource olm/test-catalog is unhealthy (connection state TRANSIENT_FAILURE)" in finding.message
    assert "ImagePullBackOff" in finding.message
    fields = [ev.field for ev in finding.evidence]
    assert "status.catalogHealth[olm/test-catalog].healthy" in fields
    assert "status.connectionState.lastObservedState" in fields


def test_catalog_unhealthy_is_a_warning_once_installed():
    s = trees.Scenario.healthy()
    s.sub["status"]["catalogHealth"][0]["healthy"] = False
    s.sub["status"]["conditions"][0].update(
        status="True", reason="UnhealthyCatalogSourceFound", message="targeted catalogsource olm/test-catalog unhealthy"
    )
    analysis = analyze(s.files())
    assert not errors_of(analysis)
    assert only(findings_of(analysis), "catalog-unhealthy").severity is Severity.WARNING


def test_catalog_missing():
    finding = errors_of(analyze(trees.catalog_missing().files()))[0]
    assert "CatalogSource olm/missing-catalog" in finding.message
    assert "does not exist" in finding.message


def test_resolution_failed_quotes_the_condition_and_namespace_event():
    files = trees.resolution_failed().files()
    finding = errors_of(analyze(files))[0]
    assert "no operators found in channel nope of package foo-operator" in finding.message
    assert finding.next_step.startswith("Channel nope does not exist for package foo-operator")
    event_ev = [ev for ev in finding.evidence if ev.path == _layout.events_path("default")]
    assert event_ev
    assert event_ev[0].field.startswith("items[ns1.")
    assert event_ev[0].field.endswith("].message")


@pytest.mark.parametrize(
    ("message", "advice"),
    [
        (
            "no operators found in package nope in the catalog referenced by subscription foo-operator",
            "Package nope is not in the catalog",
        ),
        (
            "no operators found with name foo-operator.v9 in channel stable of package foo-operator in the catalog",
            "spec.startingCSV foo-operator.v9 is not in channel stable",
        ),
        (
            "no operators found from catalog test-catalog in namespace olm referenced by subscription foo-operator",
            "Catalog olm/test-catalog offers nothing",
        ),
    ],
)
def test_resolution_failed_next_step_follows_the_message(message: str, advice: str):
    s = trees.resolution_failed()
    s.sub["status"]["conditions"][-1]["message"] = "constraints not satisfiable: " + message
    finding = errors_of(analyze(s.files()))[0]
    assert finding.next_step.startswith(advice)


def test_resolution_failed_caused_by_a_neighbour_is_only_a_warning_for_a_healthy_operator():
    analysis = analyze(trees.two_operators_one_failing().files())
    assert not errors_of(analysis, "foo-operator")
    warning = only(findings_of(analysis, "foo-operator"), "resolution-failed")
    assert warning.severity is Severity.WARNING
    assert "another Subscription" in warning.message
    assert errors_of(analysis, "bar-operator")[0].rule == "resolution-failed"


def test_bundle_unpack_failed_message():
    finding = errors_of(analyze(trees.bundle_unpack_failed().files()))[0]
    assert "DeadlineExceeded" in finding.message


def test_bundle_unpacking_is_a_warning_until_the_unpack_timeout():
    s = trees.bundle_unpacking_stuck()
    finding = errors_of(analyze(s.files()))[0]
    assert finding.title == "Bundle unpack stuck"
    assert "for 20 minutes" in finding.message
    s.events = [e for e in s.events if e["reason"] != "Unpacking"]
    recent = only(findings_of(analyze(s.files())), "bundle-unpacking")
    assert recent.severity is Severity.WARNING


def test_bundle_lookup_failure_on_the_install_plan():
    s = trees.Scenario.healthy().drop("csv", "deployment", "replicaset", "pod")
    s.sub["status"].pop("installedCSV")
    s.plan["status"]["phase"] = "Installing"
    s.plan["status"]["bundleLookups"] = [
        {
            "catalogSourceRef": {"name": "test-catalog", "namespace": "olm"},
            "identifier": "foo-operator.v0.1.0",
            "path": "quay.example.com/foo-operator-bundle:v0.1.0",
            "replaces": "",
            "conditions": [
                {
                    "type": "BundleLookupFailed",
                    "status": "True",
                    "reason": "JobFailed",
                    "message": "Job has reached the specified backoff limit",
                }
            ],
        }
    ]
    files = s.files()
    analysis = analyze(files)
    finding = errors_of(analysis)[0]
    assert finding.rule == "bundle-unpack-failed"
    assert "backoff limit" in finding.message
    assert_evidence_resolves(files, analysis)


# --- InstallPlan -----------------------------------------------------------------------------------------------


def test_requires_approval_is_a_warning_with_the_command():
    files = trees.requires_approval().files()
    analysis = analyze(files)
    assert not errors_of(analysis)
    finding = findings_of(analysis)[0]
    assert finding.rule == "install-plan-requires-approval"
    assert finding.severity is Severity.WARNING
    assert "kubectl -n ns1 patch installplan install-8xk2p" in finding.next_step
    assert analysis.operators[0].verdict is Verdict.WARNING
    assert_evidence_resolves(files, analysis)


def test_requires_approval_names_the_manual_neighbour():
    s = trees.requires_approval()
    s.sub["spec"]["installPlanApproval"] = "Automatic"
    other = trees.Scenario.healthy(package="bar-operator").sub
    other["spec"]["installPlanApproval"] = "Manual"
    s.objects["subscription2"] = other
    finding = only(findings_of(analyze(s.files())), "install-plan-requires-approval")
    assert "Subscription bar-operator in the namespace asks for Manual approval" in finding.message


def test_install_plan_failed_lists_the_steps_not_done():
    finding = errors_of(analyze(trees.install_plan_failed().files()))[0]
    assert "error validating existing CRs against new CRD's schema" in finding.message
    assert "CustomResourceDefinition/foos.example.com (Unknown)" in finding.message
    assert "status.plan[CustomResourceDefinition/foos.example.com].status" in [ev.field for ev in finding.evidence]


def test_install_plan_missing():
    finding = errors_of(analyze(trees.install_plan_missing().files()))[0]
    assert "InstallPlan install-8xk2p" in finding.message
    assert "no longer exists" in finding.message


def test_install_plan_found_by_owner_reference_without_install_plan_ref():
    s = trees.Scenario.healthy()
    s.sub["status"].pop("installPlanRef")
    s.sub["status"].pop("installplan")
    analysis = analyze(s.files())
    assert analysis.operators[0].install_plan == "install-8xk2p"
    assert not errors_of(analysis)


# --- CSV -------------------------------------------------------------------------------------------------------


def test_requirements_not_met_lists_each_unmet_entry():
    finding = errors_of(analyze(trees.requirements_not_met().files()))[0]
    assert "CustomResourceDefinition bars.example.com (NotPresent: CRD is not present)" in finding.message
    assert "ServiceAccount foo-operator-controller-manager (PresentNotSatisfied" in finding.message
    assert "foos.example.com" not in finding.message  # Present entries are not listed


def test_csv_installing_becomes_stuck_after_the_install_timeout():
    s = trees.image_pull()
    assert only(findings_of(analyze(s.files())), "csv-installing").severity is Severity.WARNING
    s.event(namespace="ns1", kind="Pod", name=s.pod_name, reason="BackOff", message="Back-off", when=trees.T_LATE)
    stuck = only(findings_of(analyze(s.files())), "csv-installing")
    assert stuck.severity is Severity.ERROR
    assert stuck.title == "CSV stuck installing"


def test_component_unhealthy():
    s = trees.Scenario.healthy()
    s.csv["status"].update(phase="Failed", reason="ComponentUnhealthy", message="installing: deployment changed")
    finding = errors_of(analyze(s.files()))[0]
    assert finding.title == "CSV component unhealthy"


def test_upgrade_available_not_applied():
    analysis = analyze(trees.upgrade_pending_approval().files())
    rules = [f.rule for f in findings_of(analysis)]
    assert rules == ["install-plan-requires-approval", "upgrade-available"]
    upgrade = findings_of(analysis)[-1]
    assert upgrade.severity is Severity.INFO
    assert "foo-operator.v0.1.0 installed; foo-operator.v0.2.0 is available" in upgrade.message
    assert "as an upgrade" in findings_of(analysis)[0].message


def test_subscription_without_status():
    finding = errors_of(analyze(trees.no_status().files()))[0]
    assert "has no status" in finding.message


# --- Deployment and pods ---------------------------------------------------------------------------------------


def test_crashloop_gives_restart_count_exit_code_and_last_log_lines():
    finding = errors_of(analyze(trees.crashloop().files()))[0]
    assert "0/1 ready replicas" in finding.message
    assert "CrashLoopBackOff after 5 restarts (last exit code 1, Error)" in finding.message
    assert "configmaps is forbidden" in finding.message
    log = next(ev for ev in finding.evidence if ev.field == "log")
    assert log.path.endswith("/manager/manager/logs/previous.log")
    assert log.value.splitlines()[-1].endswith('cannot list resource \\"configmaps\\""}')


def test_image_pull_backoff():
    finding = errors_of(analyze(trees.image_pull().files()))[0]
    assert "cannot pull image quay.example.com/foo-operator:v0.1.0 (ImagePullBackOff)" in finding.message
    assert any("manifest unknown" in ev.value for ev in finding.evidence)


def test_unschedulable():
    finding = errors_of(analyze(trees.unschedulable().files()))[0]
    assert "cannot be scheduled (Unschedulable: 0/1 nodes are available: 1 Insufficient cpu" in finding.message


def test_not_ready_quotes_the_probe_event():
    finding = errors_of(analyze(trees.not_ready().files()))[0]
    assert "runs but is not ready: Readiness probe failed: HTTP probe failed with statuscode: 500" in finding.message


def test_pods_found_by_selector_when_no_replica_set_was_gathered():
    s = trees.crashloop().drop("replicaset")
    del s.pod["metadata"]["ownerReferences"]
    finding = errors_of(analyze(s.files()))[0]
    assert "CrashLoopBackOff" in finding.message


def test_replica_failure_without_pods():
    s = trees.crashloop().drop("pod")
    s.objects["replicaset"]["status"] = {
        "replicas": 0,
        "conditions": [
            {
                "type": "ReplicaFailure",
                "status": "True",
                "reason": "FailedCreate",
                "message": 'pods "foo-operator-controller-manager-6d5f7c8b9-" is forbidden: error looking up service '
                'account ns1/foo-operator-controller-manager: serviceaccount "foo-operator-controller-manager" '
                "not found",
            }
        ],
    }
    files = s.files()
    analysis = analyze(files)
    finding = errors_of(analysis)[0]
    assert "ReplicaFailure (FailedCreate" in finding.message
    assert "serviceaccount" in finding.message
    assert_evidence_resolves(files, analysis)


def test_available_deployment_with_restarts_is_a_warning():
    s = trees.Scenario.healthy()
    s.pod["status"]["containerStatuses"][0]["restartCount"] = 4
    analysis = analyze(s.files())
    assert not errors_of(analysis)
    assert only(findings_of(analysis), "pods-restarting").severity is Severity.WARNING


# --- The operator context follows OLM's references -------------------------------------------------------------


def test_operator_context_links_plan_csv_deployment_and_pods():
    index = _objects.Index(_tree.MemoryTree(trees.Scenario.healthy().files()))
    op = _operator.build(index, index.all("operators.coreos.com", "subscriptions")[0])
    assert op.install_plan is not None
    assert op.install_plan.name == "install-8xk2p"
    assert [c.name for c in op.csvs] == ["foo-operator.v0.1.0"]
    assert [(d.name, d.ready, d.desired, [p.name for p in d.pods]) for d in op.deployments] == [
        ("foo-operator-controller-manager", 1, 1, ["foo-operator-controller-manager-6d5f7c8b9-x2x4z"])
    ]
    assert op.catalog_source is not None
    assert op.catalog_source.name == "test-catalog"
    assert [g.name for g in op.operator_groups] == ["ns1-og"]


def test_rules_are_in_pipeline_order():
    names = [r.__name__ for r in _rules.RULES]
    assert names.index("operator_group") < names.index("install_plan") < names.index("csv_requirements")
    assert names.index("deployment") < names.index("csv_state")


def test_unquoted_timestamps_decoded_by_yaml_still_work():
    """Another tool may write timestamps unquoted; libyaml then hands back datetimes."""
    files = trees.image_pull().files()
    for path, data in list(files.items()):
        if path.endswith(".yaml"):
            files[path] = re.sub(rb"'(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)'", rb"\1", data)
    assert b"lastTransitionTime: 2025-01-10T10:00:30Z" in b"".join(files.values())
    analysis = analyze(files)
    installing = only(findings_of(analysis), "csv-installing")
    assert "for 1 minute" in installing.message
