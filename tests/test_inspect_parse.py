"""parse_inspect: Node util.inspect / Deno console.log text → Python values, never raising."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from sessioning.gen2025.readers.inspect_parse import (
    UNDEFINED,
    JSFunction,
    JSSymbol,
    Tagged,
    Truncated,
    Unparsed,
    parse_inspect,
    to_jsonable,
)


def test_trace_input_single_quoted():
    assert parse_inspect("{ username: 'bob', password: '1234567890', path: '/auth/login' }") == {
        "username": "bob", "password": "1234567890", "path": "/auth/login"}


def test_multiline_object_with_nested_array():
    text = """{
  request: '019a769a-e05e-7ad2-aff3-4d0fccac26c4',
  results: [ { signedIn: true } ]
}"""
    assert parse_inspect(text) == {"request": "019a769a-e05e-7ad2-aff3-4d0fccac26c4",
                                   "results": [{"signedIn": True}]}


def test_depth_markers_dates_numbers():
    v = parse_inspect("{ a: [Object], b: [Array], c: 2025-09-29T00:00:00.000Z, d: -1.5, e: 12n, f: 3 }")
    assert v["a"] == Truncated("Object") and v["b"] == Truncated("Array")
    assert v["c"] == datetime(2025, 9, 29, tzinfo=timezone.utc)  # noqa: UP017
    assert (v["d"], v["e"], v["f"]) == (-1.5, 12, 3)


@pytest.mark.parametrize("text, expected", [
    ("undefined", UNDEFINED), ("null", None), ("true", True), ("false", False), ("{}", {}), ("[]", []),
    ("42", 42),
])
def test_scalars(text, expected):
    assert parse_inspect(text) is expected or parse_inspect(text) == expected


def test_undefined_is_not_null():
    v = parse_inspect("{ a: undefined, b: null }")
    assert v["a"] is UNDEFINED and v["b"] is None


def test_deno_verbose_record():
    text = ('{ concept: "SessioningConcept", action: [Function: bound create] AsyncFunction, '
            'synced: Map(0) {}, input: { user: "u1" }, [Symbol(flow)]: "f1" }')
    v = parse_inspect(text)
    assert v["concept"] == "SessioningConcept"
    assert isinstance(v["action"], JSFunction) and v["action"].name == "create"
    assert v["synced"] == {} and v["input"] == {"user": "u1"}
    assert v[JSSymbol("flow")] == "f1"


def test_frames_and_maps():
    v = parse_inspect('Frames(1) [ { [Symbol(flow)]: "f", [Symbol(request)]: "r" } ]')
    assert v == [{JSSymbol("flow"): "f", JSSymbol("request"): "r"}]
    assert parse_inspect("Map(1) { 'auth.Login' => 'x' }") == {"auth.Login": "x"}
    assert parse_inspect("Set(2) { 'a', 'b' }") == Tagged("Set", ["a", "b"])


def test_escapes_and_quotes():
    v = parse_inspect("""{ 'a b': 'it\\'s', c: "x\\ny", d: `back` }""")
    assert v == {"a b": "it's", "c": "x\ny", "d": "back"}


def test_object_ids_refs_and_more_items():
    assert parse_inspect("{ _id: new ObjectId('65a1') }") == {"_id": Tagged("ObjectId", "65a1")}
    assert parse_inspect("<ref *1> { a: [Circular *1] }") == {"a": Truncated("Circular *1")}
    assert parse_inspect("[ 1, 2, ... 98 more items ]") == [1, 2]


def test_error_string_with_braces_inside():
    text = "{ error: 'E11000 duplicate key error dup key: { _id: \"x\" }' }"
    assert parse_inspect(text) == {"error": 'E11000 duplicate key error dup key: { _id: "x" }'}


@pytest.mark.parametrize("garbage", ["", "   ", "garbage ))) {{", "'unterminated", "\x00\x01", "}}}}", "]" * 50,
                                     "[" * 5000, "{ a: 1", "=> => =>"])
def test_never_raises(garbage):
    v = parse_inspect(garbage)
    assert v is not None or garbage.strip() == ""  # something, never an exception


def test_garbage_is_unparsed_and_kept():
    v = parse_inspect("garbage ))) {{")
    assert isinstance(v, Unparsed) and v.text == "garbage ))) {{"


def test_truncated_object_keeps_what_it_has():
    assert parse_inspect("{ a: 1, b: 'two'") == {"a": 1, "b": "two"}


def test_to_jsonable():
    v = parse_inspect('{ [Symbol(flow)]: "f", d: 2025-09-29T00:00:00.000Z, f: [Function: x], u: undefined }')
    j = to_jsonable(v)
    assert j["Symbol(flow)"] == "f" and j["d"] == "2025-09-29T00:00:00Z" and j["u"] == "undefined"


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_ALPHABET = st.sampled_from(list("{}[]()'\"`:,=> \n\\abcXYZ019-._$*<>") + ["Symbol(", "[Object]", "Map(1)", "=>"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_ALPHABET, max_size=60).map("".join))
def test_property_never_raises_on_inspect_like_noise(text):
    parse_inspect(text)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_property_never_raises_on_any_text(text):
    parse_inspect(text)
