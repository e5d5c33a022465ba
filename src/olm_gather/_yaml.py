"""YAML output that go-yaml (kubectl, sigs.k8s.io/yaml) reads back to the same values.

PyYAML's C emitter does the writing. Its resolver knows YAML 1.1 booleans, ints and floats, so it already
quotes `yes`, `on`, `null`, `0x1f`...; go-yaml also reads `y`, `n`, `1e3` and `.5` as non-strings, so those are
added here and get quoted too. Multi-line strings use block style, aliases are never emitted, keys keep the
order the server sent, and lines are never folded.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

_Dumper: type[yaml.CDumper] = type("_Dumper", (yaml.CDumper,), {})

# Extra implicit resolvers: only consulted when deciding whether a plain string needs quotes.
_Dumper.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:y|Y|n|N)$"), list("yYnN"))
_Dumper.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)(?:[eE][-+]?[0-9]+)$|^[-+]?\.[0-9_]+$"),
    list("-+0123456789."),
)


def _represent_str(dumper: yaml.CDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _represent_str)
_Dumper.ignore_aliases = lambda self, data: True  # type: ignore[method-assign]


def dump(obj: Any) -> bytes:
    """Serializes a decoded JSON value (dicts, lists, str, int, float, bool, None)."""
    text: str = yaml.dump(
        obj,
        Dumper=_Dumper,
        default_flow_style=False,
        sort_keys=False,
        allow_unicode=True,
        width=1 << 30,
        indent=2,
    )
    return text.encode("utf-8")
