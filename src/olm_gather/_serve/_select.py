"""labelSelector, fieldSelector and limit/continue, with the API server's syntax and meaning.

Label selectors: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, comma-separated (all must
match). Field selectors: `path=v`, `path==v`, `path!=v` on a dotted path of the object (`metadata.name`,
`metadata.namespace`, `involvedObject.uid`, `status.phase`...), a missing field reading as "".
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import re
from collections.abc import Callable
from typing import Any

import orjson

Obj = dict[str, Any]
Match = Callable[[Obj], bool]


class SelectorError(ValueError):
    """A selector or continue token the API server would refuse (400 BadRequest)."""


# Keys are `[prefix/]name`, values at most alphanumerics, `-`, `_` and `.`: anything else is refused, as the API
# server refuses it.
_SET_REQUIREMENT = re.compile(
    r"^\s*(!?)\s*([A-Za-z0-9_.\-/]+)\s*(?:(in|notin)\s*\(([A-Za-z0-9_.\-,\s]*)\)|(==|=|!=)\s*([A-Za-z0-9_.\-]*))?\s*$"
)


def _split(selector: str) -> list[str]:
    """Splits on the commas that are not inside `( )`."""
    parts, depth, current = [], 0, ""
    for char in selector:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p for p in parts if p.strip()]


def label_selector(selector: str) -> Match:
    requirements: list[Match] = []
    for part in _split(selector):
        m = _SET_REQUIREMENT.match(part)
        if m is None:
            raise SelectorError(f"unable to parse requirement: {part.strip()!r}")
        negated, key, set_op, values, op, value = m.groups()
        if negated and (set_op or op):
            raise SelectorError(f"unable to parse requirement: {part.strip()!r}")
        requirements.append(_label_requirement(key, negated == "!", set_op or op, values, value))
    return lambda obj: all(r(_labels(obj)) for r in requirements)


def _label_requirement(key: str, negated: bool, op: str | None, values: str | None, value: str | None) -> Match:
    if op is None:
        return (lambda labels: key not in labels) if negated else (lambda labels: key in labels)
    if op in ("in", "notin"):
        allowed = {v.strip() for v in (values or "").split(",") if v.strip()}
        if op == "in":
            return lambda labels: labels.get(key) in allowed
        return lambda labels: labels.get(key) not in allowed
    if op == "!=":
        return lambda labels: labels.get(key) != value
    return lambda labels: labels.get(key) == value


def _labels(obj: Obj) -> dict[str, str]:
    labels = (obj.get("metadata") or {}).get("labels")
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}


_FIELD_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(==|=|!=)\s*(.*?)\s*$")


def field_selector(selector: str) -> Match:
    requirements: list[tuple[list[str], bool, str]] = []
    for part in _split(selector):
        m = _FIELD_REQUIREMENT.match(part)
        if m is None:
            raise SelectorError(f"invalid selector: {part.strip()!r}; can't understand")
        path, op, value = m.groups()
        requirements.append((path.split("."), op == "!=", value))
    return lambda obj: all((field_value(obj, path) == value) != negated for path, negated, value in requirements)


def field_value(obj: Obj, path: list[str]) -> str:
    node: Any = obj
    for key in path:
        if not isinstance(node, dict):
            return ""
        node = node.get(key)
    if node is None:
        return ""
    if isinstance(node, bool):
        return "true" if node else "false"
    return str(node)


@dataclasses.dataclass(frozen=True)
class Page:
    items: list[Obj]
    continue_token: str
    remaining: int | None


def page(items: list[Obj], *, limit: int, token: str) -> Page:
    """One page of items from the offset a continue token carries; limit 0 means all."""
    start = _offset(token) if token else 0
    if limit <= 0 or start + limit >= len(items):
        return Page(items[start:], "", None)
    end = start + limit
    return Page(items[start:end], _token(end), len(items) - end)


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"offset": offset})).decode()


def _offset(token: str) -> int:
    try:
        offset = orjson.loads(base64.urlsafe_b64decode(token.encode()))["offset"]
    except (binascii.Error, orjson.JSONDecodeError, KeyError, TypeError, ValueError) as err:
        raise SelectorError("continue key is not valid") from err
    if not isinstance(offset, int) or offset < 0:
        raise SelectorError("continue key is not valid")
    return offset
