"""Building findings and evidence: the small vocabulary every rule module shares.

Rule modules import these names directly (`ev`, `finding`, `ERROR`, ...): they are the rules' grammar.
It reads objects only through `_objects.Obj` and never decides anything.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from olm_gather._analyze import _doc, _model, _objects, _operator

E = _model.Evidence
ERROR = _model.Severity.ERROR
WARNING = _model.Severity.WARNING
INFO = _model.Severity.INFO
NOT_SET = _model.NOT_SET

OPERATOR_GROUP_REASONS = ("NoOperatorGroup", "TooManyOperatorGroups")
INSTALL_MODE_REASONS = ("UnsupportedOperatorGroup", "NoTargetNamespaces", "InvalidInstallModes")
DONE_STEP_STATUSES = ("Created", "Present")
IMAGE_PULL_REASONS = ("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull")
CONFIG_REASONS = ("CreateContainerConfigError", "CreateContainerError", "RunContainerError")
INSTALL_TIMEOUT = datetime.timedelta(minutes=5)  # OLM's default install timeout
UNPACK_TIMEOUT = datetime.timedelta(minutes=10)  # OLM's default bundle unpack timeout
LOG_LINES = 10


def finding(
    op: _operator.Operator,
    severity: _model.Severity,
    *,
    rule: str,
    title: str,
    message: str,
    evidence: Sequence[_model.Evidence],
    next_step: str,
) -> _model.Finding:
    return _model.Finding(
        severity=severity,
        rule=rule,
        title=title,
        package=op.package,
        namespace=op.namespace,
        subscription=op.name,
        message=sentence(message),
        evidence=tuple(evidence),
        next_step=next_step,
    )


def sentence(text: str) -> str:
    """One sentence ending in one full stop, also when it ends with a message quoted from the cluster."""
    text = text.rstrip().rstrip(":;,").rstrip()
    while text.endswith(".."):
        text = text[:-1]
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def ev(obj: _objects.Obj, field: str, value: object = None) -> _model.Evidence:
    """Evidence for a field of an object. Without `value`, the value is read from the object (a plain dotted
    field only); an absent field shows as NOT_SET, an empty string as `""`."""
    if value is None:
        value = obj.get(*field.split(".")) if "[" not in field and "\\" not in field else None
        if value is None:
            value = _model.NOT_SET
    shown = _doc.text(value)
    return E(obj.path, obj.field(field), _doc.shorten(shown, 600) if shown else '""')


def cond_ev(obj: _objects.Obj, cond_type: str, key: str = "message") -> _model.Evidence:
    value = (_doc.condition(obj.body, cond_type) or {}).get(key)
    return ev(obj, f"status.conditions[{cond_type}].{key}", NOT_SET if value is None else _doc.text(value))


def csv_reason(csv: _objects.Obj) -> str:
    return _doc.text(csv.get("status", "reason"))


def csv_phase(csv: _objects.Obj) -> str:
    return _doc.text(csv.get("status", "phase"))


def age(index: _objects.Index, since: object) -> datetime.timedelta | None:
    start = _doc.time(since)
    now = index.latest_time
    if start is None or now is None or now < start:
        return None
    return now - start


def minutes(delta: datetime.timedelta) -> str:
    count = int(delta.total_seconds() // 60)
    return f"{count} minute{'s' if count != 1 else ''}"
