"""``node_inspect``/``deno_format`` → ``parse_inspect``: what the engine prints, the reader gets back.

One case table (as h11's ``tw``/``tr`` run its readers and writers over one table): each case is a
Python value, what the parser must return for it in Node's style (TRACE lines) and in Deno's style
(VERBOSE lines) — ``SAME`` when that is the value itself. Every case runs three ways: the text
alone, the text inside a TRACE line read by ``read_log``, and a check that the printed text is
what a line of a log can carry (no raw control characters, as Node escapes them).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest

from sessioning.gen2025.engine.inspect_format import UNDEFINED, deno_format, node_inspect
from sessioning.gen2025.engine.vars import Var
from sessioning.gen2025.readers.inspect_parse import JSFunction, JSSymbol, Truncated, parse_inspect
from sessioning.gen2025.readers.logs import read_log

SAME = object()


def create(**_: Any) -> None:
    """An action as a value: printed `[Function: create]`."""


_DEEP = {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}

#: (id, value, parsed back from node_inspect, parsed back from deno_format)
CASES: list[tuple[str, Any, Any, Any]] = [
    ("word", "bob", SAME, SAME),
    ("empty-string", "", SAME, SAME),
    ("single-quote", "it's", SAME, SAME),
    ("both-quotes", 'it\'s "quoted"', SAME, SAME),
    ("all-quotes", 'it\'s "q" `b`', SAME, SAME),
    ("template-like", 'it\'s "q" ${x}', SAME, SAME),
    ("backslashes", "C:\\temp\\new \\n", SAME, SAME),
    ("newline-tab-cr", "a\nb\tc\r\nd", SAME, SAME),
    ("control-characters", "nul\x00 bell\x07 bs\x08 vt\x0b ff\x0c esc\x1b del\x7f c1\x85", SAME, SAME),
    ("unicode", "héllo — 日本 🙂", SAME, SAME),
    ("line-separators", "a\u2028b\u2029c", SAME, SAME),
    ("brackets-and-arrow", "x => { y: [z] }, 'w'", SAME, SAME),
    ("looks-like-symbol", "Symbol(user)", SAME, SAME),
    ("looks-like-date", "2025-09-29T00:00:00.000Z", SAME, SAME),
    ("looks-like-number", "42", SAME, SAME),
    ("long-string", "x" * 500 + " " + "y" * 500, SAME, SAME),
    ("int", 42, SAME, SAME),
    ("zero", 0, SAME, SAME),
    ("negative", -7, SAME, SAME),
    ("float", 1.5, SAME, SAME),
    ("negative-float", -0.25, SAME, SAME),
    ("big-int", 2**60, SAME, SAME),
    ("huge-float", 1e21, SAME, SAME),
    ("tiny-float", 1e-7, SAME, SAME),
    ("nan", math.nan, SAME, SAME),
    ("infinity", math.inf, SAME, SAME),
    ("minus-infinity", -math.inf, SAME, SAME),
    ("true", True, SAME, SAME),
    ("false", False, SAME, SAME),
    ("null", None, SAME, SAME),
    ("undefined", UNDEFINED, SAME, SAME),
    ("date", dt.datetime(2025, 9, 29, 1, 2, 3, 456000),
     dt.datetime(2025, 9, 29, 1, 2, 3, 456000, tzinfo=dt.UTC), dt.datetime(2025, 9, 29, 1, 2, 3, 456000, tzinfo=dt.UTC)),
    ("symbol-value", Var("user"), JSSymbol("user"), JSSymbol("user")),
    ("symbol-keys", {Var("flow"): "f-1", "user": "u", Var("action_0"): "a-0"},
     {JSSymbol("flow"): "f-1", "user": "u", JSSymbol("action_0"): "a-0"},
     {JSSymbol("flow"): "f-1", "user": "u", JSSymbol("action_0"): "a-0"}),
    ("odd-keys", {"a-b": 1, "": 2, "1": 3, "$ok": 4, "with space": 5, "it's": 6, 'say "hi"': 7, "_id": 8},
     SAME, SAME),
    ("function", create, JSFunction("[Function: create]"), JSFunction("[Function: create]")),
    ("empty-containers", {"o": {}, "a": [], "s": ""}, SAME, SAME),
    ("nested", {"user": {"name": "bob", "tags": ["a", "b"]}, "n": [1, [2, None]]}, SAME, SAME),
    ("array-of-objects", [{"a": 1}, {"b": "two", "c": [True, False]}], SAME, SAME),
    ("tuple", (1, "a"), [1, "a"], [1, "a"]),
    ("undefined-inside", {"error": UNDEFINED, "list": [UNDEFINED, None]}, SAME, SAME),
    ("depth-limit", _DEEP, {"a": {"b": {"c": Truncated("Object")}}},
     {"a": {"b": {"c": {"d": {"e": Truncated("Object")}}}}}),
    ("array-depth-limit", [[[[1]]]], [[[Truncated("Array")]]], SAME),
    ("long-object", {"request": "019a769a-e05e-7ad2-aff3-4d0fccac26c4",
                     "results": [{"signedIn": True, "name": "Bob the Builder", "bio": "can we fix it? yes we can"}],
                     "session": "019a6e26-4230-7c1e-9a55-2b1f0c9d8e11"}, SAME, SAME),
    ("long-array", list(range(40)), SAME, SAME),
    ("long-strings-in-lines", {"a": "x'" * 30, "b": 'y"' * 30, "c": "z\n" * 30}, SAME, SAME),
    ("line-separators-in-a-long-object", {"a": "p\u2028q", "b": "r\x85s\x0ct", "c": "u" * 80}, SAME, SAME),
]

STYLES = {"node": (node_inspect, 2), "deno": (deno_format, 3)}


def same(a: Any, b: Any) -> bool:
    """Equal, with NaN equal to NaN and `True` not equal to `1` (types must agree)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def expected(case: tuple[str, Any, Any, Any], style: str) -> Any:
    _id, value, node, deno = case
    want = node if style == "node" else deno
    return value if want is SAME else want


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_printed_value_parses_back(case, style):
    fmt, _ = STYLES[style]
    text = fmt(case[1])
    assert same(parse_inspect(text), expected(case, style)), text


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_printed_value_is_printable_text(case, style):
    """Node and Deno escape control characters; a raw one would break or end a log line."""
    fmt, _ = STYLES[style]
    text = fmt(case[1])
    raw = [c for c in text if (ord(c) < 32 and c != "\n") or 0x7F <= ord(c) <= 0x9F]
    assert not raw, f"raw control characters {raw!r} in {text!r}"


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_trace_line_reads_back(case):
    """The value as an action's input and output in a TRACE entry, read by ``read_log``: the reader
    gets what the parser gets from the text alone (the entry may span lines; the log may have CRLF)."""
    value = {"v": case[1], "n": 1}  # an action's input is an object; one level deeper than the case
    text = f"Concept.act {node_inspect(value)} => {node_inspect(value)}"
    want = parse_inspect(node_inspect(value))
    for newline in ("\n", "\r\n"):
        log = read_log(f"\n{text}\n\nRequesting.respond {{ request: 'r1' }} => {{ request: 'r1' }}\n"
                       .replace("\n", newline))
        assert log.n_actions == 2 and log.truncated_entries == 0, text
        row = log.actions_frame(reveal=True).iloc[0]
        assert same(row["input"], want) and same(row["output"], want), text


def test_quotes_and_escapes_as_node_and_deno_print_them():
    assert node_inspect('it\'s "q" `b`') == "'it\\'s \"q\" `b`'"
    assert node_inspect('it\'s "q" ${x}') == "'it\\'s \"q\" ${x}'"  # no backticks around `${`
    assert node_inspect("a\x0bb\x00\x1b\x9f") == "'a\\x0Bb\\x00\\x1B\\x9F'"
    assert deno_format("a\x0bb\x00\x1b") == '"a\\vb\\x00\\x1b"'


def test_deno_frames_and_maps_read_back():
    """VERBOSE's own shapes: `Map(n) {…}` and symbol-keyed frames inside `Frames(n) [ … ]`."""
    text = 'Frames(1) [ { [Symbol(flow)]: "f", [Symbol(request)]: "r" } ]'
    assert parse_inspect(text) == [{JSSymbol("flow"): "f", JSSymbol("request"): "r"}]
    assert parse_inspect('Map(1) { "auth.Login" => "a-1" }') == {"auth.Login": "a-1"}
