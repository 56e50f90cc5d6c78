"""saihan.limits: every bound refuses with a ValidationError and a path, and honest data passes."""

from __future__ import annotations

import contextlib
import io
import json
import time
import zipfile
from typing import Any

import attrs
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from saihan.errors import ValidationError
from saihan.limits import (
    DEFAULT_LIMITS,
    Limits,
    _check_tree,
    _rust_within,
    _within,
    check_text,
    check_tree,
    parse_json,
    parse_yaml,
    read_zip,
)

SMALL = Limits(
    max_document_bytes=10_000,
    max_depth=4,
    max_string_length=10,
    max_collection_size=5,
    max_int_digits=3,
    max_yaml_aliases=2,
    max_zip_members=3,
    max_zip_member_bytes=1_000,
    max_zip_total_bytes=1_500,
    max_errors=3,
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**15), max_value=10**15)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=30,
)


@given(json_values)
def test_parse_json_reads_honest_documents_as_json_loads_does(value: Any) -> None:
    text = json.dumps(value, ensure_ascii=False)
    assert parse_json(text) == json.loads(text)
    assert parse_json(text.encode("utf-8")) == json.loads(text)


def _no_floats(value: Any) -> bool:
    if isinstance(value, float):
        return False
    if isinstance(value, dict):
        return all(_no_floats(item) for item in value.values())
    if isinstance(value, list):
        return all(_no_floats(item) for item in value)
    return True


# YAML 1.1 (PyYAML) reads a float without a dot, such as JSON's 5e-324, as a string.
@given(json_values.filter(_no_floats))
def test_parse_yaml_reads_json_documents_as_json_loads_does(value: Any) -> None:
    # ensure_ascii escapes characters beyond the BMP as surrogate pairs, which PyYAML
    # alone reads as two lone surrogates; parse_yaml joins them.
    text = json.dumps(value, ensure_ascii=True)
    assert parse_yaml(text) == json.loads(text)


def test_a_lone_surrogate_escape_in_yaml_is_refused() -> None:
    assert yaml.safe_load('a: "\\ud800"') == {"a": "\ud800"}
    # libyaml refuses the escape itself; PyYAML's pure-Python parser reads it and
    # check_tree refuses the lone surrogate: either way, a ValidationError.
    with pytest.raises(ValidationError, match=r"lone surrogate|invalid Unicode character escape"):
        parse_yaml('a: "\\ud800"')


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(item) for item in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(item) for item in value), default=0)
    return 0


@given(json_values)
def test_check_tree_refuses_exactly_the_documents_over_the_depth(value: Any) -> None:
    limits = attrs.evolve(DEFAULT_LIMITS, max_depth=2)
    if _depth(value) > 2:
        with pytest.raises(ValidationError, match="nested more than 2 levels"):
            check_tree(value, limits=limits)
    else:
        check_tree(value, limits=limits)


@pytest.mark.parametrize(
    ("data", "path", "words"),
    [
        ({"a": {"b": {"c": {"d": {"e": 1}}}}}, "a.b.c.d", "nested more than 4"),
        ({"name": "x" * 11}, "name", "string of 11 characters"),
        ({"items": [1, 2, 3, 4, 5, 6]}, "items", "6 items"),
        ({"n": [1, 12345]}, "n[1]", "more than 3 digits"),
        ({"text": "ok\ud800"}, "text", "lone surrogate"),
        ({"k" * 11: 1}, "", "a key is a string of 11"),
    ],
)
def test_each_bound_names_the_path(data: Any, path: str, words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        check_tree(data, limits=SMALL)
    assert caught.value.paths == [path]
    assert words in str(caught.value)


def test_errors_are_capped_and_counted() -> None:
    data = ["x" * 11 for _ in range(5)]
    with pytest.raises(ValidationError) as caught:
        check_tree(data, limits=SMALL)
    assert len(caught.value.errors) == 4  # three problems, then how many more
    assert "and 2 more problems" in str(caught.value.errors[-1])


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("9" * 5000, "more than 20 digits"),
        ("[" * 100_000, "nested more than 64"),
        ('{"a": "\\ud800"}', "lone surrogate"),
        ("NaN", "NaN is not a JSON value"),
        ("[1, 2", "not valid JSON"),
        ("1e999999", None),  # a float: infinity is a value json accepts; it is no error here
    ],
)
def test_parse_json_refuses_what_broke_loaders(text: str, words: str | None) -> None:
    if words is None:
        assert parse_json(text) == float("inf")
        return
    with pytest.raises(ValidationError, match=words):
        parse_json(text)


def test_documents_over_the_size_are_refused_before_parsing() -> None:
    with pytest.raises(ValidationError, match="size in bytes is 10,001"):
        parse_json(b" " * 10_001, limits=SMALL)
    with pytest.raises(ValidationError, match="length is 10,001"):
        parse_json(" " * 10_001, limits=SMALL)


def test_text_that_is_not_unicode_is_refused() -> None:
    with pytest.raises(ValidationError, match="not UTF-8 text"):
        check_text(b"\xff\xfe{}")
    with pytest.raises(ValidationError, match="lone surrogate at character 1"):
        check_text("a\udc80")
    assert check_text("\ufeff{}".encode()) == "{}"


def _billion_laughs(levels: int) -> str:
    lines = ["a0: &a0 [x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]" for i in range(1, levels)]
    return "\n".join(lines)


def test_yaml_aliases_are_bounded_in_number_and_expansion() -> None:
    start = time.perf_counter()
    with pytest.raises(ValidationError, match="more than 100,000 values"):
        parse_yaml(_billion_laughs(40))
    assert time.perf_counter() - start < 2
    with pytest.raises(ValidationError, match="more than 100 YAML aliases"):
        parse_yaml("a: &a 1\nb: [" + ", ".join(["*a"] * 101) + "]")
    assert parse_yaml(_billion_laughs(3), limits=attrs.evolve(DEFAULT_LIMITS, max_depth=8)) == {
        "a0": ["x", "x"],
        "a1": [["x", "x"], ["x", "x"]],
        "a2": [[["x", "x"], ["x", "x"]], [["x", "x"], ["x", "x"]]],
    }


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a: 2024-02-30", "day is out of range"),
        ("a: " + "1" * 5000, "more than 20 digits"),
        ("- " * 5000 + "x", "nested more than 64"),
        ("[" * 5000, "nested more than 64"),
        ("? [1]\n: 2", "unhashable"),
        ("a: [1", "not valid YAML"),
        ("a: !!python/object:os.system x", "not valid YAML"),
    ],
)
def test_parse_yaml_refuses_what_broke_loaders(text: str, words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        parse_yaml(text)


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_read_zip_gives_every_member() -> None:
    members = {"a.csv": b"1,2\n", "b/c.csv": b"3,4\n"}
    assert dict(read_zip(_zip(members))) == members


@pytest.mark.parametrize(
    ("members", "path", "words"),
    [
        ({"big.csv": b"0" * 1_001}, "big.csv", "member's uncompressed size"),
        ({"a": b"0" * 800, "b": b"0" * 800}, "b", "archive's uncompressed size"),
        ({"a": b"", "b": b"", "c": b"", "d": b""}, "", "member count is 4"),
    ],
)
def test_read_zip_bounds(members: dict[str, bytes], path: str, words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        list(read_zip(_zip(members), limits=SMALL))
    assert caught.value.paths == [path]
    assert words in str(caught.value)


def test_a_zip_bomb_is_refused_by_what_it_inflates_to_not_its_header() -> None:
    bomb = _zip({"bomb.csv": b"0" * (80 * 1024 * 1024)})
    assert len(bomb) < 200_000
    with pytest.raises(ValidationError, match="member's uncompressed size"):
        list(read_zip(bomb))


def test_a_corrupt_member_is_named() -> None:
    data = bytearray(_zip({"good.csv": b"a,b\n" * 100}))
    start = data.index(b"good.csv") + len(b"good.csv")
    data[start + 5] ^= 0xFF  # inside the compressed bytes of the member
    with pytest.raises(ValidationError) as caught:
        list(read_zip(bytes(data)))
    assert caught.value.paths == ["good.csv"]
    with pytest.raises(ValidationError, match="not a ZIP archive"):
        list(read_zip(b"PK\x03\x04 garbage"))


@settings(max_examples=50)
@given(st.binary(max_size=200))
def test_read_zip_raises_only_validation_errors(data: bytes) -> None:
    with contextlib.suppress(ValidationError):
        list(read_zip(b"PK\x03\x04" + data))


# Values around SMALL's bounds: strings of 8-12 characters, 2-5 digit numbers, 3-7 items,
# nesting around 4 deep.  No lone surrogates: jsonschema-rs takes them for text, so
# parse_json sends only text without a surrogate escape to it (the test after this one).
near_the_bounds = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**4), max_value=10**4)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(min_size=8, max_size=12),
    lambda children: (
        st.lists(children, min_size=3, max_size=7)
        | st.dictionaries(st.text(max_size=12), children, max_size=7)
    ),
    max_leaves=40,
)


def _outcome(data: Any, *, large: bool) -> list[tuple[str, str]] | None:
    try:
        _check_tree(data, SMALL, "", large=large)
    except ValidationError as error:
        return [(item.path, item.message) for item in error.errors]
    return None


@given(near_the_bounds)
def test_the_rust_pass_never_accepts_what_the_python_walk_refuses(value: Any) -> None:
    # Large documents are judged by jsonschema-rs first; it may send a value to the walk
    # (None, or False when too strict) but whatever it accepts the walk accepts.
    judged = _rust_within(value, SMALL)
    if judged:
        assert _within(value, SMALL)
    assert _outcome(value, large=True) == _outcome(value, large=False)


def test_the_rust_pass_refuses_each_bound() -> None:
    assert _rust_within(["a" * 10, 999, [[[]]]], SMALL) is True
    assert _rust_within("a" * 11, SMALL) is False
    assert _rust_within({"a" * 11: 1}, SMALL) is False
    assert _rust_within([1] * 6, SMALL) is False
    assert _rust_within(1000, SMALL) is False
    assert _rust_within([[[[[]]]]], SMALL) is False


@pytest.mark.parametrize("escape", ["\\ud800", "\\uDFFF", "\\ud83d"])
def test_a_lone_surrogate_in_a_large_document_is_refused(escape: str) -> None:
    text = json.dumps({"items": ["x" * 1000] * 100, "name": "?"}).replace("?", escape)
    assert len(text) > 64 * 1024  # judged by jsonschema-rs were it not for the escape
    with pytest.raises(ValidationError, match="surrogate") as raised:
        parse_json(text)
    assert raised.value.paths == ["name"]


def test_a_large_document_with_an_emoji_escape_is_read() -> None:
    text = json.dumps({"items": ["x" * 1000] * 100, "name": "\U0001f600"}, ensure_ascii=True)
    assert parse_json(text)["name"] == "\U0001f600"
