"""Rules for the operator's workload: the CSV's Deployments, their ReplicaSets and pods, down to the
container state, its events and the last lines of its previous log.
"""

from __future__ import annotations

from olm_gather._analyze import _doc, _model, _objects, _operator
from olm_gather._analyze._findings import (
    CONFIG_REASONS,
    ERROR,
    IMAGE_PULL_REASONS,
    INSTALL_MODE_REASONS,
    LOG_LINES,
    NOT_SET,
    OPERATOR_GROUP_REASONS,
    WARNING,
    E,
    cond_ev,
    csv_phase,
    csv_reason,
    ev,
    finding,
)

# --- 8. Deployments and pods ----------------------------------------------------------------------------------


class PodCause:
    """Why one pod is not serving: a sentence fragment, its evidence and what to do."""

    def __init__(self, sentence: str, evidence: list[_model.Evidence], next_step: str) -> None:
        self.sentence = sentence
        self.evidence = evidence
        self.next_step = next_step


def pod_cause(pod: _objects.Obj, index: _objects.Index) -> PodCause | None:
    """The most specific reason a pod is not ready, or None when it is ready."""
    status = pod.get("status")
    phase = _doc.text(_doc.dig(status, "phase"))
    events = index.events_about(kind="Pod", name=pod.name, namespace=pod.namespace)
    scheduled = _doc.condition(pod.body, "PodScheduled")
    if scheduled is not None and _doc.text(scheduled.get("status")) == "False":
        msg = _doc.text(scheduled.get("message"))
        evidence = [cond_ev(pod, "PodScheduled", "reason"), cond_ev(pod, "PodScheduled")]
        evidence += _last_event(events, "FailedScheduling")
        reason = _doc.text(scheduled.get("reason")) or "not scheduled"
        return PodCause(
            f"pod {pod.name} cannot be scheduled ({reason}: {_doc.shorten(msg, 300)})",
            evidence,
            "Give the pod a node: add capacity, or fix its nodeSelector, tolerations or affinity (set them through "
            "the Subscription's spec.config).",
        )
    for key in ("initContainerStatuses", "containerStatuses"):
        for cs in _doc.items(_doc.dig(status, key)):
            cause = _container_cause(pod, key, cs, index, events)
            if cause is not None:
                return cause
    if phase == "Failed":
        reason = _doc.text(_doc.dig(status, "reason")) or "Failed"
        return PodCause(
            f"pod {pod.name} failed ({reason}: {_doc.shorten(_doc.text(_doc.dig(status, 'message')), 300)})",
            [ev(pod, "status.phase"), ev(pod, "status.reason", reason)],
            "Read the pod's events and status message; delete the pod so its ReplicaSet creates a new one.",
        )
    for cs in _doc.items(_doc.dig(status, "containerStatuses")):
        if cs.get("ready") is True:
            continue
        name = _doc.text(cs.get("name"))
        if _doc.dig(cs, "state", "running") is not None:
            evidence = [ev(pod, f"status.containerStatuses[{name}].ready", False)]
            evidence += _last_event(events, "Unhealthy")
            log_path, _ = index.log_tail(namespace=pod.namespace, pod=pod.name, container=name, previous=False, lines=1)
            probe = (
                f": {_objects.event_message(_events(events, 'Unhealthy')[-1])}" if _events(events, "Unhealthy") else ""
            )
            return PodCause(
                f"container {name} of pod {pod.name} runs but is not ready{_doc.shorten(probe, 300)}",
                evidence,
                f"Check the container's readiness probe and its log{' (' + log_path + ')' if log_path else ''}.",
            )
    ready = _doc.condition(pod.body, "Ready")
    if phase == "Pending" or (ready is not None and _doc.text(ready.get("status")) == "False"):
        evidence = [ev(pod, "status.phase", phase or NOT_SET)]
        if ready is not None:
            evidence.append(cond_ev(pod, "Ready", "reason"))
        evidence += _last_event(events, None)
        return PodCause(
            f"pod {pod.name} is {phase or 'not ready'}",
            evidence,
            "Read the pod's events for what it waits on.",
        )
    return None


def _container_cause(
    pod: _objects.Obj, key: str, cs: _doc.Doc, index: _objects.Index, events: list[_objects.Obj]
) -> PodCause | None:
    name = _doc.text(cs.get("name"))
    init = key == "initContainerStatuses"
    what = f"{'init container' if init else 'container'} {name} of pod {pod.name}"
    field = f"status.{key}[{name}]"
    waiting = _doc.mapping(_doc.dig(cs, "state", "waiting"))
    reason = _doc.text(waiting.get("reason"))
    restarts = _doc.integer(cs.get("restartCount"))
    last = _doc.mapping(_doc.dig(cs, "lastState", "terminated"))
    if reason == "CrashLoopBackOff" or (restarts > 0 and last and cs.get("ready") is not True):
        exit_code = _doc.text(last.get("exitCode")) or "?"
        term_reason = _doc.text(last.get("reason"))
        evidence = [
            ev(pod, f"{field}.state.waiting.reason", reason or NOT_SET),
            ev(pod, f"{field}.restartCount", restarts),
        ]
        if last:
            evidence.append(ev(pod, f"{field}.lastState.terminated.exitCode", exit_code))
        log_path, lines = index.log_tail(
            namespace=pod.namespace, pod=pod.name, container=name, previous=True, lines=LOG_LINES
        )
        if not lines:
            log_path, lines = index.log_tail(
                namespace=pod.namespace, pod=pod.name, container=name, previous=False, lines=LOG_LINES
            )
        if lines:
            evidence.append(E(log_path, "log", "\n".join(lines)))
        ends = f"; its log ends with: {_doc.shorten(lines[-1], 200)}" if lines else ""
        state = "in CrashLoopBackOff" if reason == "CrashLoopBackOff" else "restarting"
        return PodCause(
            f"{what} is {state} after {restarts} restart{'s' if restarts != 1 else ''} (last exit code {exit_code}"
            f"{', ' + term_reason if term_reason else ''}){ends}",
            evidence,
            f"Read {log_path or 'the previous log of the container'}: the operator exits at start-up; fix what it "
            "reports (often missing RBAC, a missing CRD or bad configuration) and the Deployment recovers.",
        )
    if reason in IMAGE_PULL_REASONS:
        image = _doc.text(cs.get("image"))
        evidence = [ev(pod, f"{field}.state.waiting.reason", reason), ev(pod, f"{field}.image", image)]
        if waiting.get("message"):
            evidence.append(ev(pod, f"{field}.state.waiting.message", _doc.text(waiting.get("message"))))
        evidence += _last_event(events, "Failed")
        return PodCause(
            f"{what} cannot pull image {image} ({reason})",
            evidence,
            f"Check that image {image} exists and that the node can pull it (registry access, pull secret, a mirror "
            "in a disconnected cluster); the image comes from the CSV's Deployment spec.",
        )
    if reason in CONFIG_REASONS:
        message = _doc.text(waiting.get("message"))
        evidence = [
            ev(pod, f"{field}.state.waiting.reason", reason),
            ev(pod, f"{field}.state.waiting.message", message),
        ]
        return PodCause(
            f"{what} cannot start ({reason}: {_doc.shorten(message, 300)})",
            evidence,
            "Create the Secret or ConfigMap the container references, or fix the reference in the CSV or the "
            "Subscription's spec.config.",
        )
    terminated = _doc.mapping(_doc.dig(cs, "state", "terminated"))
    if init and terminated and _doc.integer(terminated.get("exitCode")) != 0:
        return PodCause(
            f"{what} failed with exit code {_doc.text(terminated.get('exitCode'))}",
            [ev(pod, f"{field}.state.terminated.exitCode", terminated.get("exitCode"))],
            "Read the init container's log.",
        )
    return None


def _events(events: list[_objects.Obj], reason: str | None) -> list[_objects.Obj]:
    return [e for e in events if reason is None or _doc.text(e.get("reason")) == reason]


def _last_event(events: list[_objects.Obj], reason: str | None) -> list[_model.Evidence]:
    matching = _events(events, reason)
    if not matching:
        return []
    last = matching[-1]
    return [ev(last, "message", _objects.event_message(last))]


def deployment(op: _operator.Operator, index: _objects.Index) -> list[_model.Finding]:
    out: list[_model.Finding] = []
    for dep in op.deployments:
        phase = csv_phase(dep.csv)
        if dep.deployment is None:
            if phase in ("Installing", "Succeeded", "Failed") and csv_reason(dep.csv) not in (
                *OPERATOR_GROUP_REASONS,
                *INSTALL_MODE_REASONS,
            ):
                out.append(
                    finding(
                        op,
                        WARNING,
                        rule="deployment-not-gathered",
                        title="Deployment not in tree",
                        message=f"Deployment {dep.name}, named by CSV {dep.csv.name} ({phase}), is not in the "
                        "gathered tree.",
                        evidence=[ev(dep.csv, f"spec.install.spec.deployments[{dep.name}].name", dep.name)],
                        next_step="Gather again with olm-gather (it collects the CSV's Deployments), or check "
                        "whether the Deployment was deleted.",
                    )
                )
            continue
        obj = dep.deployment
        if dep.available:
            restarting = _restarting_pods(dep)
            if restarting:
                pod, container, restarts = restarting[0]
                out.append(
                    finding(
                        op,
                        WARNING,
                        rule="pods-restarting",
                        title="Pods restarting",
                        message=f"Deployment {dep.name} is available, but container {container} of pod {pod.name} "
                        f"has restarted {restarts} times.",
                        evidence=[
                            ev(pod, f"status.containerStatuses[{container}].restartCount", restarts),
                            *[E(p, "log") for p in index.logs_of(pod) if p.endswith("previous.log")][:1],
                        ],
                        next_step="Read the container's previous log for why it exited.",
                    )
                )
            continue
        evidence = [ev(obj, "status.readyReplicas"), ev(obj, "spec.replicas")]
        available = _doc.condition(obj.body, "Available")
        if available is not None:
            evidence.append(cond_ev(obj, "Available"))
        cause: PodCause | None = None
        for pod in dep.pods:
            cause = pod_cause(pod, index)
            if cause is not None:
                break
        if cause is None:
            cause = _no_pod_cause(dep)
        evidence += cause.evidence
        out.append(
            finding(
                op,
                ERROR,
                rule="deployment-unavailable",
                title="Deployment not available",
                message=f"Deployment {dep.name} of CSV {dep.csv.name} has {dep.ready}/{dep.desired} ready replicas: "
                f"{cause.sentence}",
                evidence=evidence,
                next_step=cause.next_step,
            )
        )
    return out


def _no_pod_cause(dep: _operator.OperatorDeployment) -> PodCause:
    """Why a Deployment has no usable pod when no pod says so: ReplicaSet or Deployment conditions."""
    candidates = [(rs, "ReplicaFailure") for rs in dep.replica_sets]
    if dep.deployment is not None:
        candidates += [(dep.deployment, "ReplicaFailure"), (dep.deployment, "Progressing")]
    for obj, ctype in candidates:
        cond = _doc.condition(obj.body, ctype)
        if cond is None:
            continue
        failing = ctype == "ReplicaFailure" and _doc.text(cond.get("status")) == "True"
        stalled = ctype == "Progressing" and _doc.text(cond.get("reason")) == "ProgressDeadlineExceeded"
        if failing or stalled:
            msg = _doc.text(cond.get("message"))
            return PodCause(
                f"{ctype} ({_doc.text(cond.get('reason'))}: {_doc.shorten(msg, 300)})",
                [cond_ev(obj, ctype)],
                "Fix what the message names (often a missing ServiceAccount, a quota or an admission policy).",
            )
    if not dep.pods:
        return PodCause(
            "the tree holds none of its pods",
            [],
            "Gather again with olm-gather to collect the pods and their logs, or read the Deployment's events.",
        )
    return PodCause(
        "its pods report no specific cause",
        [],
        "Read the pods' events and logs.",
    )


def _restarting_pods(dep: _operator.OperatorDeployment) -> list[tuple[_objects.Obj, str, int]]:
    out = []
    for pod in dep.pods:
        for cs in _doc.items(pod.get("status", "containerStatuses")):
            restarts = _doc.integer(cs.get("restartCount"))
            if restarts >= 3:
                out.append((pod, _doc.text(cs.get("name")), restarts))
    return out
