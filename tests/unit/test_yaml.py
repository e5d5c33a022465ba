import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from olm_gather import _yaml
from tests.unit import k8s_objects

QUOTED = [
    "y",
    "Y",
    "n",
    "N",
    "yes",
    "on",
    "off",
    "true",
    "null",
    "~",
    "1e3",
    "1E-3",
    ".5",
    "0x1f",
    "012",
    "1_000",
    "12:30",
]


def test_strings_that_go_yaml_would_retype_are_quoted() -> None:
    for value in QUOTED:
        line = _yaml.dump({"k": value}).decode()
        assert line.strip() != f"k: {value}", value
        assert yaml.safe_load(line) == {"k": value}


def test_plain_strings_stay_plain() -> None:
    assert _yaml.dump({"k": "hello", "num": 3, "b": True, "z": None}).decode() == "k: hello\nnum: 3\nb: true\nz: null\n"


def test_multiline_block_and_no_aliases() -> None:
    shared = {"a": 1}
    text = _yaml.dump({"script": "line1\nline2\n", "x": shared, "y": shared}).decode()
    assert "script: |\n  line1\n  line2\n" in text
    assert "&" not in text and "*" not in text


def test_key_order_and_long_lines_kept() -> None:
    long = "x" * 5000
    text = _yaml.dump({"z": 1, "a": long}).decode()
    assert text.index("z:") < text.index("a:")
    assert f"a: {long}\n" in text


# --- the layout written here against PyYAML's own emitter, on generated documents --------------------------------
# The expectation is PyYAML's whole-document output (`_yaml._pyyaml`), which this module's structure layout must
# reproduce byte for byte: any text, keys of any length, nested and empty collections, numbers, booleans, null.

_scalars = st.one_of(
    st.text(),
    st.sampled_from(
        [*QUOTED, "", " ", "a: b", "- x", "#c", "x\n", "\n", "a\n\nb\n\n", "  lead\n", "\u2028", "\x85", "...\n", "---"]
    ),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
)
_keys = st.one_of(st.text(max_size=140), st.sampled_from([*QUOTED, "", "f:metadata", 'k:{"type":"Ready"}', "x" * 130]))
_documents = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_keys, inner, max_size=4)),
    max_leaves=30,
)


@settings(max_examples=1500, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_keys, _documents, min_size=1, max_size=6))
def test_the_layout_is_pyyamls_byte_for_byte(document: dict[str, object]) -> None:
    assert _yaml.dump(document) == _yaml._pyyaml(document).encode("utf-8")


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(k8s_objects.gathered())
def test_gathered_objects_as_pyyaml_writes_them(sample: k8s_objects.Sample) -> None:
    assert _yaml.dump(sample.obj) == _yaml._pyyaml(sample.obj).encode("utf-8")


# The shapes `_yaml` writes without asking PyYAML (names, uids, image references, label keys, timestamps), near and
# over the edges of that rule: every YAML 1.1 word, numbers and times in every YAML 1.1 form, `:` and `-` anywhere.
# The expectation is PyYAML's output.
_word_like = st.one_of(
    st.text(alphabet="abcdefgnoxNOYyelsuLTRUEFZ0123456789._/:-+ ", max_size=14),
    st.sampled_from(
        [
            *["Yes", "yES", "NULL", "Null", "nULL", "off", "OFF", "On", "False", "a:", "a:b", "a::", "x-", "x/"],
            *["12345", "0x1f", "1e3", "1_000", "12:30", "0.5", "1.", "2026-12-02T21:41:13Z", "2026-12-02", "10.96.0.1"],
            *["4654ea63-9797-4ae0-b4b3-97114e80c3f1", "1e100000-aaaa", "0", "00", "1:20:30", "sha256:0a1b"],
        ]
    ),
    st.from_regex(r"[0-9][0-9eE.:_-]{0,10}", fullmatch=True),
)


@settings(max_examples=3000, deadline=None, database=None)
@given(_word_like)
def test_plain_looking_strings_are_written_as_pyyaml_writes_them(value: str) -> None:
    assert _yaml.dump({"k": value, "l": [value]}) == _yaml._pyyaml({"k": value, "l": [value]}).encode("utf-8")


# One line of printable ASCII, written without PyYAML when its analysis would allow it: strings made mostly of
# what YAML treats specially (indicators, spaces, quotes, document markers), everywhere in the string.
_one_line = st.one_of(
    st.text(alphabet=" -?:#,[]{}&*!|>'\"%@`.~=a0yY", min_size=1, max_size=12),
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=40),
    st.sampled_from(["--- x", "...", "a: b", "a #b", "a#b", "? x", "?x", "- x", "-x", ":x", "x:", " x", "x ", "'q'"]),
)


@settings(max_examples=4000, deadline=None, database=None)
@given(_one_line)
def test_one_line_ascii_strings_are_written_as_pyyaml_writes_them(value: str) -> None:
    document = {"k": value, "l": [value], value: {value: 1}}
    assert _yaml.dump(document) == _yaml._pyyaml(document).encode("utf-8")


# Lines of printable ASCII, written as a literal block without PyYAML when libyaml's analysis would allow one: strings
# made mostly of line breaks, spaces and indicators, so that every rule of `_literal` meets its edge.
_lines = st.one_of(
    st.text(alphabet=" \n\n-#:|>'\"a.", min_size=2, max_size=16).filter(lambda v: "\n" in v),
    st.lists(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30), min_size=2).map(
        "\n".join
    ),
    st.sampled_from(["a\n", "a\nb", "a\n\nb\n", "a\n\n", "\na", " a\nb", "a \nb", "a\n b ", "a\n b", "---\n...\n"]),
)


@settings(max_examples=4000, deadline=None, database=None)
@given(_lines)
def test_ascii_lines_are_written_as_pyyaml_writes_them(value: str) -> None:
    document = {"k": value, "l": [value, {"m": value}], "n": {"o": [[value]]}}
    assert _yaml.dump(document) == _yaml._pyyaml(document).encode("utf-8")
