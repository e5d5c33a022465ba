import yaml

from olm_gather import _yaml

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
