"""The one gate every object passes before it can be written: no Secret value, no environment variable value.

`redact()` is the only way to make a `Redacted`, and the output stage (`_output`) serializes nothing else,
so no code path can write an object that skipped this module. Rules are structural and fail closed:

- Secrets (any object with `kind: Secret`, and InstallPlan step manifests of kind Secret/BundleSecret): every
  value of `data` and `stringData` becomes `<redacted: N bytes>`; keys stay.
- Environment variables, anywhere in any object (pods, pod templates of every workload, the CSV install spec,
  Subscription `spec.config.env`, custom resources): in every list under a key `env` whose items have a
  `name`, `value` is replaced; `valueFrom` references stay.
- The `kubectl.kubernetes.io/last-applied-configuration` annotation on any object (it copies the object's
  secret data and env values) is replaced.
- Strings that hold a whole object (InstallPlan `status.plan[].resource.manifest`) are parsed and redacted with
  the same rules; one that cannot be parsed is replaced whole.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Final

import orjson

LAST_APPLIED: Final = "kubectl.kubernetes.io/last-applied-configuration"
_SECRET_KINDS: Final = frozenset({"Secret", "BundleSecret"})
_TOKEN: Final = object()
_MARKER: Final = re.compile(r"<redacted: \d+ bytes>")


def marker(value: object) -> str:
    """What replaces a secret value: its size, never its content. Idempotent."""
    if isinstance(value, str) and _MARKER.fullmatch(value):
        return value
    size = len(value.encode("utf-8")) if isinstance(value, str) else len(orjson.dumps(value))
    return f"<redacted: {size} bytes>"


class Redacted:
    """An object that went through `redact()`. Only this module constructs it."""

    __slots__ = ("obj",)

    def __init__(self, obj: dict[str, Any], token: object) -> None:
        if token is not _TOKEN:
            raise TypeError("Redacted is made by olm_gather._redact.redact() only")
        self.obj = obj


def redact(obj: dict[str, Any]) -> Redacted:
    """A redacted deep copy of a Kubernetes object; the input is left untouched."""
    out = copy.deepcopy(obj)
    _redact_object(out)
    return Redacted(out, _TOKEN)


def _redact_object(obj: dict[str, Any]) -> None:
    kind = str(obj.get("kind", ""))
    if kind.endswith("List") and isinstance(obj.get("items"), list):
        # Items are objects in their own right: a SecretList's items are Secrets.
        for item in obj["items"]:
            if isinstance(item, dict):
                _redact_object(item)
    if kind in _SECRET_KINDS:
        for field in ("data", "stringData"):
            values = obj.get(field)
            if isinstance(values, dict):
                obj[field] = {k: marker(v) for k, v in values.items()}
            elif values is not None:
                obj[field] = marker(values)
    _walk(obj)


def _walk(node: Any) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "env" and isinstance(value, list):
                _redact_env(value)
            elif key == "annotations" and isinstance(value, dict) and LAST_APPLIED in value:
                value[LAST_APPLIED] = marker(value[LAST_APPLIED])
            elif key == "manifest" and isinstance(value, str):
                node[key] = _redact_manifest(value)
                continue
            _walk(value)
    elif isinstance(node, list):
        for item in node:
            _walk(item)


def _redact_env(env: list[Any]) -> None:
    for var in env:
        if isinstance(var, dict) and "value" in var:
            var["value"] = marker(var["value"])


def _redact_manifest(text: str) -> str:
    """A step manifest is the JSON of the object the step creates (or a reference to a ConfigMap holding it)."""
    try:
        embedded = orjson.loads(text)
    except orjson.JSONDecodeError:
        return marker(text)
    if isinstance(embedded, dict):
        _redact_object(embedded)
    else:
        _walk(embedded)
    return orjson.dumps(embedded).decode("utf-8")
