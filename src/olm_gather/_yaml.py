"""YAML output that go-yaml (kubectl, sigs.k8s.io/yaml) reads back to the same values.

PyYAML's C emitter decides how each scalar is written. Its resolver knows YAML 1.1 booleans, ints and floats, so
it already quotes `yes`, `on`, `null`, `0x1f`...; go-yaml also reads `y`, `n`, `1e3` and `.5` as non-strings, so
those are added here and get quoted too. Multi-line strings use block style, aliases are never emitted, keys keep
the order the server sent, and lines are never folded.

PyYAML's representer is Python and visits every node: it took most of a gather's CPU. So the structure (block
mappings and sequences, two spaces, sequences not indented under their key, as PyYAML writes them) is laid out
here, and only each distinct scalar is written by PyYAML, once, in the same context (a value or a key of a
mapping, an item of a sequence), then remembered. The bytes are PyYAML's own (tests/unit/test_yaml.py compares
both on generated documents); a document with what this layout does not cover (a key PyYAML would write as a
complex `?` key, a non-string key) is written by PyYAML whole.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, cast

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

_SIMPLE_KEY_LIMIT = 128  # PyYAML writes a longer key (or a multi-line one) as a complex `? key` key


def _pyyaml(obj: Any) -> str:
    text: str = yaml.dump(
        obj,
        Dumper=_Dumper,
        default_flow_style=False,
        sort_keys=False,
        allow_unicode=True,
        width=1 << 30,
        indent=2,
    )
    return text


# The document end marker PyYAML adds once it wrote a block scalar that keeps trailing lines (`|+`). A block
# scalar's own lines are indented, so a `...` line of its own is the marker.
_OPEN_ENDED = "\n...\n"


_OTHER_BREAKS = re.compile("[\r\x85\u2028\u2029]")  # line breaks to YAML too: PyYAML indents the line after

# What was decided for the short strings that repeat (names, labels, field paths, keys), not for the long ones (an
# `alm-examples` annotation) that would fill memory. Plain dicts, emptied when full: a lookup is most of what the
# layout does per value, and functools.lru_cache's call and bookkeeping cost more than deciding cached values did.
_CACHED_LENGTH = 256
_CACHE_ENTRIES = 1 << 14
_values: dict[str, str | None] = {}  # as `_written`
_keys: dict[str, str] = {}  # as `_key`, for keys that are no complex key


def _remember(cache: dict[str, Any], value: str, text: Any) -> None:
    if len(value) <= _CACHED_LENGTH:
        if len(cache) >= _CACHE_ENTRIES:
            cache.clear()
        cache[value] = text


def _value(value: str) -> str | None:
    """`_written`, remembered for short strings."""
    try:
        return _values[value]
    except KeyError:
        text = _written(value)
        _remember(_values, value, text)
        return text


class _Lines(dict[str, str]):
    """value -> the text written after its key on the key's line (`key: text`, newline included), or "" when it
    takes more lines (a block scalar) or is not covered here; a miss is decided (and remembered) by `__missing__`,
    so a hit is one lookup in C."""

    def __missing__(self, value: str) -> str:
        text = _value(value)
        line = text if text is not None and text[0] not in "|>" and text.count("\n") == 1 else ""
        _remember(self, value, line)
        return line


_lines = _Lines()


# Strings of letters, digits and `._/:-` that start with a letter or digit and do not end in `:` (names, uids,
# image references, label keys, timestamps): PyYAML writes them plain, or in single quotes when one of its implicit
# resolvers (the table this module's dumper uses, extra ones included) would read them as another type. Decided
# here from that table, without the rest of PyYAML.
_SIMPLE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._/:-]*[A-Za-z0-9._/-])?")
_STR_TAG = "tag:yaml.org,2002:str"


def _retyped(value: str) -> bool:
    """Whether PyYAML's resolver (as BaseResolver.resolve asks it for a plain scalar) reads `value` as no string."""
    table = _Dumper.yaml_implicit_resolvers
    return any(
        tag != _STR_TAG and regexp.match(value) for tag, regexp in (*table.get(value[0], ()), *table.get(None, ()))
    )


def _written(value: str) -> str | None:
    """A scalar as PyYAML writes it as a mapping's value: the text after `k: `, with its own newline (a block
    scalar's lines are indented by two, to be indented further by the caller), and `...` when it ends open.
    None for a string with a line break other than `\\n`, whose lines this layout would not indent."""
    if _SIMPLE.fullmatch(value):
        return f"'{value}'\n" if _retyped(value) else value + "\n"
    if _ONE_LINE_ASCII.fullmatch(value):
        return value + "\n" if _plain_allowed(value) and not _retyped(value) else _single_quoted(value)
    if _LINES_ASCII.fullmatch(value) and (literal := _literal(value)) is not None:
        return literal
    return None if _OTHER_BREAKS.search(value) else _pyyaml({"k": value})[3:]


# One line of printable ASCII (messages, descriptions, selectors, JSON in annotations): libyaml's emitter writes it
# plain when its analysis allows a plain scalar in block context (yaml_emitter_analyze_scalar) and the resolver
# reads it back as a string, else in single quotes (always allowed without line breaks or special characters).
_ONE_LINE_ASCII = re.compile(r"[\x20-\x7e]+")
_FIRST_INDICATORS = frozenset("#,[]{}&*!|>'\"%@`")


def _plain_allowed(value: str) -> bool:
    """libyaml's `block_plain_allowed` for one line of printable ASCII."""
    first = value[0]
    if first == " " or value[-1] == " " or first in _FIRST_INDICATORS or value.startswith(("---", "...")):
        return False
    if first in "?:-" and (len(value) == 1 or value[1] == " "):  # an indicator followed by whitespace
        return False
    return ": " not in value and " #" not in value and not value.endswith(":")


# Lines of printable ASCII (descriptions, scripts, JSON in annotations), which PyYAML is asked to write as a literal
# block (`|`): libyaml does when its analysis allows a block scalar and needs no indentation indicator, i.e. no
# space before a line break or at the end (space_break, trailing_space) and no leading space or line break. Its
# chomping indicator is `-` without a final line break, none with exactly one; more (`|+`, and the `...` after it)
# is left to PyYAML.
_LINES_ASCII = re.compile(r"[\x20-\x7e\n]+")


def _literal(value: str) -> str | None:
    if value[0] in " \n" or value[-1] == " " or " \n" in value or value.endswith("\n\n"):
        return None
    head, body = ("|", value[:-1]) if value[-1] == "\n" else ("|-", value)
    return head + "\n" + "".join(f"  {line}\n" if line else "\n" for line in body.split("\n"))


def _single_quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'\n"


def _key_text(key: object) -> str:
    """A mapping's key as PyYAML writes it; _ComplexError when PyYAML would write a complex key (or it is no
    string)."""
    text = _key(key) if type(key) is str else None
    if text is None:
        raise _ComplexError
    _remember(_keys, key, text)  # type: ignore[arg-type]
    return text


def _key(key: str) -> str | None:
    """A key as PyYAML writes it, or None when it would be a complex key."""
    if len(key) >= _SIMPLE_KEY_LIMIT or "\n" in key or _OTHER_BREAKS.search(key):
        return None
    if _ONE_LINE_ASCII.fullmatch(key):  # written as that value would be (managedFields' `f:` keys, label keys)
        return cast(str, _written(key))[:-1]
    text = _pyyaml({key: 0})
    return text[: -len(": 0\n")] if text.endswith(": 0\n") and "\n" not in text[:-1] else None


class _ComplexError(Exception):
    """A document this layout does not cover: PyYAML writes it whole."""


class _Layout:
    """One document's lines, as PyYAML lays out block collections."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.open_ended = False

    def text(self) -> str:
        return "".join(self.out) + (_OPEN_ENDED[1:] if self.open_ended else "")

    def mapping(self, obj: dict[Any, Any], pad: str) -> None:
        out, keys, lines = self.out, _keys, _lines
        for k, v in obj.items():
            key = keys.get(k) if type(k) is str else None
            if key is None:
                key = _key_text(k)
            kind = type(v)
            if kind is str:  # most values: one line, written with its key at once
                line = lines[v]
                if line:
                    out.append(f"{pad}{key}: {line}")
                    continue
            elif kind is dict and v:  # a mapping under a key is indented below it
                out.append(f"{pad}{key}:\n")
                self.mapping(v, pad + "  ")
                continue
            out.append(f"{pad}{key}:")
            self.node(v, pad, in_mapping=True)

    def sequence(self, items: list[Any], pad: str) -> None:
        out, lines = self.out, _lines
        for v in items:
            if type(v) is str:
                line = lines[v]
                if line:
                    out.append(f"{pad}- {line}")
                    continue
            out.append(f"{pad}-")
            self.node(v, pad, in_mapping=False)

    def node(self, v: Any, pad: str, *, in_mapping: bool) -> None:
        """A mapping's value or a sequence's item, after its `key:` or `-`. A sequence under a key is not
        indented; a mapping is; a collection in a sequence starts on the dash's line."""
        if type(v) is dict and v:
            if in_mapping:
                self.out.append("\n")
                self.mapping(v, pad + "  ")
            else:
                self.inline(lambda: self.mapping(v, pad + "  "), pad)
        elif type(v) is list and v:
            if in_mapping:
                self.out.append("\n")
                self.sequence(v, pad)
            else:
                self.inline(lambda: self.sequence(v, pad + "  "), pad)
        elif type(v) is dict:
            self.out.append(" {}\n")
        elif type(v) is list:
            self.out.append(" []\n")
        else:
            self.scalar(v, pad)

    def inline(self, write: Callable[[], None], pad: str) -> None:
        """A collection as an item of a sequence: its first line goes on the dash's line."""
        first = len(self.out)
        write()
        self.out[first] = " " + self.out[first][len(pad) + 2 :]

    def scalar(self, value: Any, pad: str) -> None:
        """The rest of a line that has its key or dash, and its newline."""
        if type(value) is bool:
            self.out.append(" true\n" if value else " false\n")
        elif value is None:
            self.out.append(" null\n")
        elif type(value) is int:
            self.out.append(f" {value}\n")
        elif type(value) is str or type(value) is float:
            text = _value(value) if type(value) is str else _pyyaml({"k": value})[3:]  # -0.0 == 0.0: not cached
            if text is None:
                raise _ComplexError
            if text.startswith(("|", ">")):  # libyaml ends a document with `...` if its last block scalar kept
                self.open_ended = text.endswith(_OPEN_ENDED)  # trailing line breaks (`|+`), whatever follows it
                text = text.removesuffix(_OPEN_ENDED[1:]) if self.open_ended else text
            if text.count("\n") > 1:  # a block scalar: its lines follow, indented under the key or dash
                head, _, body = text.partition("\n")
                self.out.append(f" {head}\n")
                self.out.extend(f"{pad}{line}\n" if line else "\n" for line in body[:-1].split("\n"))
            else:
                self.out.append(f" {text}")
        else:
            raise _ComplexError


def dump(obj: Any) -> bytes:
    """Serializes a decoded JSON value (dicts, lists, str, int, float, bool, None)."""
    if type(obj) is not dict or not obj:
        return _pyyaml(obj).encode("utf-8")
    layout = _Layout()
    try:
        layout.mapping(obj, "")
    except _ComplexError:
        return _pyyaml(obj).encode("utf-8")
    return layout.text().encode("utf-8")
