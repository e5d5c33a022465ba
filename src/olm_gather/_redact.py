"""The one gate every object and every log passes before it can be written.

`redact()` is the only way to make a `Redacted`, and `filter_log()` the only way to make a `FilteredLog`; the
output stage (`_output`) writes nothing else, so no code path can write an object or a log that skipped this
module. Rules are structural and fail closed. The contract (what is replaced; everything else stays):

1. Secrets. An object is a Secret when it came from the core group's `secrets` resource (the request or the
   tree path it was read from), or when its `kind` is `Secret` or `BundleSecret`. A list (`kind: ...List`, or
   `items` without a kind) is redacted item by item: its items are of the list's resource, and an item without
   a `kind` (as the API returns list items) has the list's item kind (`SecretList` -> `Secret`).
   In a Secret every value of `data` and `stringData` becomes `<redacted: N bytes>` (keys stay), every other
   top-level field but `apiVersion`, `kind`, `metadata`, `type` and `immutable` is replaced whole, and every
   annotation value is replaced except those in `SECRET_ANNOTATIONS_KEPT`. A map nested anywhere with `kind:
   Secret` (an example CR, an embedded manifest) has its `data` and `stringData` values replaced.
2. Environment variables, in every object. A key is env-like when its last words (split at `-`, `_` and
   camelCase) are `env`, `envs`, `envvars`, `env vars`, `env variables`, `environment` or `environment
   variables` (`env`, `extraEnv`, `envVars`, `EXTRA_ENV`, `environmentVariables`...; not `envFrom`, which holds
   references only, nor `devenv`). Under an env-like key: in a list, a map item keeps `name`, `key` and
   `valueFrom` and every other field is replaced, a `K=V` string keeps `K=`, any other item is replaced; in a
   map, every value is replaced (a map value is treated as a list item); a string keeps `K=` on each line when
   every line is `K=V`, else it is replaced whole; any other value is replaced. Label maps (`labels`,
   `matchLabels`) are not env: their values are short names that selectors must match.
3. Annotations, on every object: `kubectl.kubernetes.io/last-applied-configuration` is replaced (it copies the
   object). A value that parses as a JSON or YAML object or list (`alm-examples`,
   `operatorframework.io/initialization-resource`...) is redacted by these same rules, the maps in it with a
   `kind` as objects; it is re-encoded when something was replaced and kept byte for byte otherwise. A value
   that looks like JSON (starts with `{` or `[`), or sits under a key known to hold JSON (`_JSON_ANNOTATIONS`),
   but does not parse to an object or list is replaced whole. Plain strings stay.
4. Embedded manifests: a string under a `manifest` key (InstallPlan `status.plan[].resource.manifest`) is parsed
   as JSON and redacted as an object; one that does not decode to an object is replaced whole. Any other string
   that parses as YAML documents or JSON among which an object with `apiVersion` and `kind` (a ConfigMap holding
   a bundle's manifests) is redacted the same way, and re-encoded when something was replaced.
5. Private keys: in every string value of every object, a PEM block whose label ends in `PRIVATE KEY` (from
   BEGIN to END, or to the end of the string when END is missing) becomes `<redacted: private key, N bytes>`,
   and a base64 string whose decoded text holds such a block is replaced whole. Logs get the same replacement
   while streaming, across chunk boundaries; a block with no END within 64 KiB ends there.

ConfigMaps are not Secrets (not by Kubernetes' rules either) and support needs to read them: only rules 2 to 5
apply to them. Markers say the size of what they replace and are idempotent.
"""

from __future__ import annotations

import binascii
import collections
import copy
import functools
import re
import tempfile
from collections.abc import Mapping
from typing import IO, Any, Final

import orjson
import yaml

from olm_gather import _yaml

LAST_APPLIED: Final = "kubectl.kubernetes.io/last-applied-configuration"
SECRET_ANNOTATIONS_KEPT: Final = frozenset(
    {
        "kubernetes.io/service-account.name",
        "kubernetes.io/service-account.uid",
        "kubernetes.io/description",
        "openshift.io/owning-component",
        "openshift.io/token-secret.name",
        "service.beta.openshift.io/originating-service-name",
        "service.beta.openshift.io/originating-service-uid",
        "service.beta.openshift.io/expiry",
        "auth.openshift.io/certificate-not-after",
        "auth.openshift.io/certificate-not-before",
    }
)
"""Secret annotations whose values are names, uids or dates, never credentials."""

# Rules, as counted in `Redacted.counts` and printed by `olm-gather redact`.
SECRET: Final = "secret value"  # noqa: S105 - a rule's name
SECRET_ANNOTATION: Final = "secret annotation"  # noqa: S105 - a rule's name
ENV: Final = "env value"
LAST_APPLIED_RULE: Final = "last-applied annotation"
EMBEDDED: Final = "unparseable embedded text"
PRIVATE_KEY: Final = "private key"

_SECRET_KINDS: Final = frozenset({"Secret", "BundleSecret"})
_SECRET_KEPT_FIELDS: Final = frozenset({"apiVersion", "kind", "metadata", "type", "immutable"})
_JSON_ANNOTATIONS: Final = frozenset(
    {
        "alm-examples",
        "operatorframework.io/initialization-resource",
        "operatorframework.io/suggested-namespace-template",
        "operators.operatorframework.io/internal-objects",
    }
)
_LABEL_MAPS: Final = frozenset({"labels", "matchLabels"})
_WORDS: Final = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_ENV_TAILS: Final = (
    ("env",),
    ("envs",),
    ("envvars",),
    ("env", "vars"),
    ("env", "variables"),
    ("environment",),
    ("environment", "variables"),
)
_ENV_KEPT: Final = frozenset({"name", "key"})
_ENV_LINE: Final = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_.-]*)=(.*)")
_TOKEN: Final = object()
_MARKER: Final = re.compile(r"<redacted: \d+ bytes>")
# Labels are bounded so that a match is never longer than _HOLD: the log filter relies on it.
_PEM_LABEL: Final = r"[A-Z0-9 ]{0,40}PRIVATE KEY[A-Z ]{0,10}-----"
_PEM: Final = re.compile(rf"-----BEGIN {_PEM_LABEL}.*?(?:-----END {_PEM_LABEL}|\Z)", re.DOTALL)
_BASE64_MIN: Final = 64
_BASE64: Final = re.compile(rf"[A-Za-z0-9+/\r\n]{{{_BASE64_MIN},}}={{0,2}}")
_PEM_BEGIN_BYTES: Final = re.compile(rf"-----BEGIN {_PEM_LABEL}".encode())
_PEM_END_BYTES: Final = re.compile(rf"-----END {_PEM_LABEL}".encode())
_HOLD: Final = 80
_MAX_KEY_BYTES: Final = 64 * 1024  # an RSA-16384 key is about 12 KiB of PEM
_CHUNK: Final = 1 << 16


class YamlLoader(yaml.CSafeLoader):
    """YAML as Kubernetes reads it back (timestamps stay strings): for annotations and for trees to redact."""


def _timestamp_as_str(loader: YamlLoader, node: yaml.Node) -> str:
    return str(loader.construct_scalar(node))  # type: ignore[arg-type]


YamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_str)


def marker(value: object) -> str:
    """What replaces a secret value: its size, never its content. Idempotent."""
    if isinstance(value, str) and _MARKER.fullmatch(value):
        return value
    size = len(value.encode("utf-8")) if isinstance(value, str) else len(orjson.dumps(value))
    return f"<redacted: {size} bytes>"


def _key_marker(size: int) -> str:
    return f"<redacted: private key, {size} bytes>"


class Redacted:
    """An object that went through `redact()`. Only this module constructs it."""

    __slots__ = ("counts", "obj")

    def __init__(self, obj: dict[str, Any], token: object, counts: Mapping[str, int] | None = None) -> None:
        if token is not _TOKEN:
            raise TypeError("Redacted is made by olm_gather._redact.redact() only")
        self.obj = obj
        self.counts: Mapping[str, int] = counts or {}
        """How many values each rule replaced."""


def redact(obj: dict[str, Any], *, group: str = "", plural: str = "") -> Redacted:
    """A redacted deep copy of a Kubernetes object (or list) read from resource `group`/`plural` ("" when
    unknown: then only `kind` decides); the input is left untouched."""
    out = _copy(obj)
    gate = _Gate()
    gate.object(out, secret=group == "" and plural == "secrets")
    return Redacted(out, _TOKEN, dict(gate.counts))


def _copy(value: Any) -> Any:
    """A copy of the dicts and lists of a decoded document (the gate changes only those; every other value a JSON or
    YAML document holds is immutable), several times faster than copy.deepcopy, which the gather paid per object."""
    if type(value) is dict:
        return {k: _copy(v) for k, v in value.items()}
    if type(value) is list:
        return [_copy(v) for v in value]
    if isinstance(value, dict | list):  # a subclass: keep its type
        return copy.deepcopy(value)
    return value


class _Gate:
    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()

    def replace(self, rule: str, value: Any) -> str:
        new = marker(value)
        if new != value:
            self.counts[rule] += 1
        return new

    def object(self, obj: dict[str, Any], *, secret: bool, item_kind: str = "") -> None:
        kind = obj.get("kind")
        kind = kind if isinstance(kind, str) else item_kind
        items = obj.get("items")
        if isinstance(items, list) and (kind.endswith("List") or not kind):
            # Items are objects in their own right, of the list's resource and item kind.
            each = kind.removesuffix("List") if kind != "List" else ""
            for i, item in enumerate(items):
                if isinstance(item, dict):
                    self.object(item, secret=secret, item_kind=each)
                else:
                    items[i] = self.value(item)
            rest = {k: v for k, v in obj.items() if k != "items"}
            self.walk(rest)
            obj.update(rest)
        elif secret or kind in _SECRET_KINDS:
            self.secret(obj)
        else:
            self.walk(obj)

    def secret(self, obj: dict[str, Any]) -> None:
        for field, value in obj.items():
            if field in ("data", "stringData") and isinstance(value, dict):
                obj[field] = {k: self.replace(SECRET, v) for k, v in value.items()}
            elif field == "metadata" and isinstance(value, dict):
                self.walk(value, secret_metadata=True)
            elif field not in _SECRET_KEPT_FIELDS:
                obj[field] = self.replace(SECRET, value)

    def walk(self, node: dict[str, Any], *, secret_metadata: bool = False) -> None:
        kind = node.get("kind")
        if isinstance(kind, str) and kind in _SECRET_KINDS:
            for field in ("data", "stringData"):
                if isinstance(node.get(field), dict):
                    node[field] = {k: self.replace(SECRET, v) for k, v in node[field].items()}
        roles = _roles
        for key, value in node.items():
            role = roles.get(key, _UNSEEN) if type(key) is str else _VALUE
            if role is _UNSEEN:
                role = _role(key)
            if role is _VALUE:  # `value`'s cases, without a call per node (most of an object's nodes)
                if type(value) is dict:
                    self.walk(value)
                elif type(value) is str:
                    text = self.string(value)
                    if text is not value:
                        node[key] = text
                else:
                    node[key] = self.value(value)
            elif role is _ENV:
                node[key] = self.env(value)
            elif role is _ANNOTATIONS and isinstance(value, dict):
                self.annotations(value, secret=secret_metadata)
            elif role is _LABELS and isinstance(value, dict):
                node[key] = {k: self.string(v) if isinstance(v, str) else self.value(v) for k, v in value.items()}
            elif role is _MANIFEST and isinstance(value, str):
                node[key] = self.manifest(value)
            else:
                node[key] = self.value(value)

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.string(value)
        if isinstance(value, dict):
            self.walk(value)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                value[i] = self.value(item)
        return value

    def string(self, text: str) -> str:
        """Rules 4 (manifests held in strings) and 5 on any string value."""
        if "apiVersion" in text and "kind" in text:
            redacted = self.manifests(text)
            if redacted is not text:
                return redacted
        if "PRIVATE KEY" in text:

            def key(m: re.Match[str]) -> str:
                self.counts[PRIVATE_KEY] += 1
                return _key_marker(len(m.group(0).encode("utf-8")))

            return _PEM.sub(key, text)
        if len(text) >= _BASE64_MIN and _BASE64.fullmatch(text):
            try:
                decoded = binascii.a2b_base64(text)
            except binascii.Error:
                return text
            if b"PRIVATE KEY" in decoded and _PEM_BEGIN_BYTES.search(decoded):
                self.counts[PRIVATE_KEY] += 1
                return _key_marker(len(text))
        return text

    # --- rule 2 -----------------------------------------------------------------------------------------------

    def env(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.env_item(item) for item in value]
        if isinstance(value, dict):
            return {k: self.env_item(v) if isinstance(v, dict) else self.replace(ENV, v) for k, v in value.items()}
        if isinstance(value, str):
            return self.env_string(value)
        if value is None:
            return None
        return self.replace(ENV, value)

    def env_item(self, item: Any) -> Any:
        if isinstance(item, dict):
            out: dict[str, Any] = {}
            for k, v in item.items():
                if k in _ENV_KEPT:
                    out[k] = self.value(v)
                elif k == "valueFrom":
                    out[k] = self.value(v)  # references to a Secret, ConfigMap or field: no value
                else:
                    out[k] = self.replace(ENV, v)
            return out
        if isinstance(item, str):
            return self.env_string(item)
        return self.replace(ENV, item)

    def env_string(self, text: str) -> str:
        lines = text.split("\n")
        parsed = [_ENV_LINE.fullmatch(line) for line in lines if line.strip()]
        if not parsed or not all(parsed):
            return self.replace(ENV, text)
        out = []
        for line in lines:
            m = _ENV_LINE.fullmatch(line)
            out.append(f"{line[: m.start(2)]}{self.replace(ENV, m.group(2))}" if m else line)
        return "\n".join(out)

    # --- rules 3 and 4 ----------------------------------------------------------------------------------------

    def annotations(self, annotations: dict[str, Any], *, secret: bool) -> None:
        for key, value in annotations.items():
            if key == LAST_APPLIED:
                annotations[key] = self.replace(LAST_APPLIED_RULE, value)
            elif secret and key not in SECRET_ANNOTATIONS_KEPT:
                annotations[key] = self.replace(SECRET_ANNOTATION, value)
            elif isinstance(value, str):
                annotations[key] = self.embedded(value, must_parse=key in _JSON_ANNOTATIONS)
            else:
                annotations[key] = self.value(value)

    def embedded(self, text: str, *, must_parse: bool) -> str:
        looks_json = text.lstrip()[:1] in ("{", "[")
        parsed, is_json = _parse(text)
        if not isinstance(parsed, (dict, list)):
            if must_parse or looks_json or (isinstance(parsed, str) and parsed.lstrip()[:1] in ("{", "[")):
                # Not the structure it claims to be (or JSON of a JSON string): it cannot be checked.
                return self.replace(EMBEDDED, text)
            return self.string(text)
        before = sum(self.counts.values())
        self.structure(parsed)
        if sum(self.counts.values()) == before:
            return text
        try:
            if is_json:
                indent = orjson.OPT_INDENT_2 if "\n" in text.strip() else 0
                return orjson.dumps(parsed, option=indent | orjson.OPT_NON_STR_KEYS).decode("utf-8")
            return _yaml.dump(parsed).decode("utf-8")
        except (TypeError, yaml.YAMLError):
            return self.replace(EMBEDDED, text)

    def structure(self, parsed: dict[str, Any] | list[Any]) -> None:
        """A decoded annotation: maps are objects (or lists of objects), lists hold objects or values."""
        if isinstance(parsed, dict):
            self.object(parsed, secret=False)
            return
        for i, item in enumerate(parsed):
            if isinstance(item, dict):
                self.object(item, secret=False)
            else:
                parsed[i] = self.value(item)

    def manifests(self, text: str) -> str:
        """Objects written out in a string (a ConfigMap holding a bundle's manifests), as YAML documents or JSON:
        redacted as objects and re-encoded when something was replaced; `text` itself otherwise."""
        try:
            docs = list(yaml.load_all(text, Loader=YamlLoader))  # JSON is YAML too
        except (yaml.YAMLError, ValueError, RecursionError):
            return text
        if not any(isinstance(d, dict) and "apiVersion" in d and "kind" in d for d in docs):
            return text
        before = sum(self.counts.values())
        for doc in docs:
            if isinstance(doc, (dict, list)):
                self.structure(doc)
        if sum(self.counts.values()) == before:
            return text
        try:
            if text.lstrip()[:1] == "{" and len(docs) == 1:
                return orjson.dumps(docs[0], option=orjson.OPT_NON_STR_KEYS).decode("utf-8")
            return "---\n".join(_yaml.dump(doc).decode("utf-8") for doc in docs)
        except (TypeError, yaml.YAMLError):
            return self.replace(EMBEDDED, text)

    def manifest(self, text: str) -> str:
        """A step manifest is the JSON of the object the step creates (or a reference to a ConfigMap holding it)."""
        try:
            embedded = orjson.loads(text)
        except orjson.JSONDecodeError:
            return self.replace(EMBEDDED, text)
        if not isinstance(embedded, dict):
            return self.replace(EMBEDDED, text)
        before = sum(self.counts.values())
        self.object(embedded, secret=False)
        if sum(self.counts.values()) == before:
            return text
        return orjson.dumps(embedded, option=orjson.OPT_NON_STR_KEYS).decode("utf-8")


# What a key of an object makes of its value in `_Gate.walk`, remembered per key (a dict emptied when full: a
# ConfigMap's data keys are anyone's).
_VALUE, _ENV, _ANNOTATIONS, _LABELS, _MANIFEST, _UNSEEN = "value", "env", "annotations", "labels", "manifest", ""
_ROLES_KEPT: Final = 4096
_roles: dict[str, str] = {}


def _role(key: str) -> str:
    if _env_like(key):
        role = _ENV
    elif key == "annotations":
        role = _ANNOTATIONS
    elif key in _LABEL_MAPS:
        role = _LABELS
    elif key == "manifest":
        role = _MANIFEST
    else:
        role = _VALUE
    if len(_roles) >= _ROLES_KEPT:
        _roles.clear()
    _roles[key] = role
    return role


@functools.lru_cache(maxsize=4096)
def _env_like(key: str) -> bool:
    words = tuple(w.lower() for w in _WORDS.findall(key))
    return any(words[-len(tail) :] == tail for tail in _ENV_TAILS)


def _parse(text: str) -> tuple[Any, bool]:
    """The value `text` encodes as JSON (is_json True) or YAML, or None when it is neither."""
    try:
        return orjson.loads(text), True
    except orjson.JSONDecodeError:
        pass
    if ":" not in text and "\n" not in text and text.lstrip()[:1] not in ("-", "[", "{"):
        return None, False  # a plain word or sentence: YAML would only say it is a string
    try:
        return yaml.load(text, Loader=YamlLoader), False  # noqa: S506 - a safe loader
    except (yaml.YAMLError, ValueError, RecursionError):
        return None, False


# --- logs -----------------------------------------------------------------------------------------------------------


class LogFilter:
    """Rule 5 on a byte stream: `feed` chunks as they arrive, then `finish`. A marker split across chunks is still
    found: the last `_HOLD` bytes (longer than any marker) wait for the next chunk."""

    def __init__(self) -> None:
        self._buf = b""
        self._key = -1  # bytes of the private key block being dropped, -1 outside one
        self.count = 0

    def feed(self, chunk: bytes) -> bytes:
        self._buf += chunk
        out: list[bytes] = []
        while True:
            if self._key < 0:
                m = _PEM_BEGIN_BYTES.search(self._buf)
                if m is None:
                    cut = max(0, len(self._buf) - _HOLD)
                    out.append(self._buf[:cut])
                    self._buf = self._buf[cut:]
                    break
                out.append(self._buf[: m.start()])
                self._key = m.end() - m.start()
                self._buf = self._buf[m.end() :]
                continue
            m = _PEM_END_BYTES.search(self._buf)
            if m is not None:
                out.append(self._close(m.end()))
                self._buf = self._buf[m.end() :]
                continue
            cut = max(0, len(self._buf) - _HOLD)
            if self._key + cut >= _MAX_KEY_BYTES:
                cut = _MAX_KEY_BYTES - self._key
                out.append(self._close(max(0, cut)))
                self._buf = self._buf[max(0, cut) :]
                continue
            self._key += cut
            self._buf = self._buf[cut:]
            break
        return b"".join(out)

    def finish(self) -> bytes:
        if self._key >= 0:
            self._key += len(self._buf)
            self._buf = b""
            return self._close(0)  # no END: everything after BEGIN is dropped (fail closed)
        rest, self._buf = self._buf, b""
        return rest

    def _close(self, taken: int) -> bytes:
        self.count += 1
        size, self._key = self._key + taken, -1
        return _key_marker(size).encode()


class FilteredLog:
    """A log that went through `filter_log()`, spooled: only this module constructs it."""

    __slots__ = ("count", "file", "size")

    def __init__(self, file: IO[bytes], size: int, count: int, token: object) -> None:
        if token is not _TOKEN:
            raise TypeError("FilteredLog is made by olm_gather._redact.filter_log() only")
        self.file = file
        self.size = size
        self.count = count
        """Private key blocks replaced."""

    def __enter__(self) -> FilteredLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.file.close()


def filter_log(source: IO[bytes]) -> FilteredLog:
    """Streams `source` through `LogFilter` into a spooled file (in memory up to 1 MiB), positioned at 0."""
    log_filter = LogFilter()
    spool = tempfile.SpooledTemporaryFile(max_size=1 << 20)  # noqa: SIM115 - closed by FilteredLog
    size = 0
    while chunk := source.read(_CHUNK):
        size += spool.write(log_filter.feed(chunk))
    size += spool.write(log_filter.finish())
    spool.seek(0)
    return FilteredLog(spool, size, log_filter.count, _TOKEN)
