"""Typed, forgiving access to decoded Kubernetes objects (plain dicts from YAML).

The tree is untrusted input written by any tool: every accessor returns an empty value of the expected type
instead of raising when a field is missing or has the wrong type. It never parses files.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

Doc = Mapping[str, Any]

_EMPTY: Doc = {}


def dig(doc: object, *keys: str) -> object:
    """The value at `keys` under `doc`, or None when any step is missing or not a mapping."""
    value = doc
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def mapping(value: object) -> Doc:
    return value if isinstance(value, Mapping) else _EMPTY


def items(value: object) -> list[Doc]:
    """The mappings of a list, dropping anything else."""
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, Mapping)]


def text(value: object) -> str:
    """A scalar as text; timestamps that YAML decoded into datetimes come back as RFC 3339."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.UTC)
        return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return ""


def strings(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    return [text(v) for v in value if isinstance(v, str)]


def integer(value: object, default: int = 0) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return default


def time(value: object) -> datetime.datetime | None:
    """A Kubernetes timestamp (string or YAML-decoded datetime) as an aware datetime, or None."""
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def condition(doc: object, condition_type: str) -> Doc | None:
    """The entry of `status.conditions` with this type, or None."""
    for cond in items(dig(doc, "status", "conditions")):
        if cond.get("type") == condition_type:
            return cond
    return None


def condition_true(doc: object, condition_type: str) -> Doc | None:
    cond = condition(doc, condition_type)
    if cond is not None and text(cond.get("status")) == "True":
        return cond
    return None


def shorten(value: str, limit: int = 400) -> str:
    """One line, at most `limit` characters: cluster messages can be long and multi-line."""
    flat = " ".join(value.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
