"""The schema of an exported run (``sessioning-run/1``), checked before a file becomes a :class:`Run`.

An exported run is untrusted input: it may have been edited, truncated or made up. Without a check,
a tampered file loads and the tables, the diagnosis or a replay then fail far from the cause, with
a raw ``KeyError`` (a missing key), ``OverflowError`` (``1e400`` as a time), ``RecursionError`` (an
input nested 900 deep) or ``TypeError``. :func:`check_run` walks the parsed JSON once and raises
one :class:`RunFormatError` that names the first wrong place (``flows[3].actions[0].seq``), what
was expected and what is there.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

__all__ = ["MAX_DEPTH", "RunFormatError", "check_run"]

#: Deepest nesting accepted anywhere in a run (recorded values are far shallower; readers recurse).
MAX_DEPTH = 64
#: Largest integer accepted (ids, counters, sequence numbers): JavaScript's safe integers.
MAX_INT = 2**53


class RunFormatError(ValueError):
    """The file is not a well-formed exported run; ``str()`` names the place and the problem."""


Check = Callable[[Any], bool]


def _int(lo: int = 0) -> Check:
    return lambda v: type(v) is int and lo <= v <= MAX_INT


def _num(v: Any) -> bool:
    return type(v) in (int, float) and math.isfinite(v) and abs(v) <= 1e15


def _opt(check: Check) -> Check:
    return lambda v: v is None or check(v)


def _str(v: Any) -> bool:
    return type(v) is str


def _list(v: Any) -> bool:
    return type(v) is list


def _dict(v: Any) -> bool:
    return type(v) is dict


_ANY: Check = lambda v: True  # noqa: E731 - any JSON value (depth and numbers are checked for all)

# key → (check, what it must be, required)
_RUN = {
    "format": (_str, "the format name", True),
    "retention": (_opt(_int(1)), "a positive whole number or null", False),
    "dropped_flows": (_int(), "a whole number", False),
    "syncs": (_list, "a list of sync names", False),
    "sync_defs": (_dict, "an object", False),
    "flows": (_list, "a list of flows", False),
}
_FLOW = {
    "flow": (_str, "the flow id (a string)", True),
    "request": (_opt(_str), "a string or null", False),
    "path": (_opt(_str), "a string or null", False),
    "started": (_opt(_str), "an ISO time string or null", False),
    "response": (_opt(_dict), "an object or null", False),
    "outcome": (_opt(_str), "a string or null", False),
    "actions": (_list, "a list of actions", False),
    "evaluations": (_list, "a list of evaluations", False),
}
_ACTION = {
    "seq": (_int(), "a whole number", True),
    "id": (_opt(_str), "a string", False),
    "flow": (_opt(_str), "a string", False),
    "concept": (_str, "a concept name (a string)", True),
    "action": (_str, "an action name (a string)", True),
    "input": (_opt(_dict), "an object", False),
    "output": (_ANY, "a value", False),
    "status": (_opt(_str), "a string", False),
    "error": (_opt(_str), "a string or null", False),
    "error_type": (_opt(_str), "a string or null", False),
    "sync": (_opt(_str), "a string or null", False),
    "trigger": (_opt(_str), "a string or null", False),
    "depth": (_opt(_int()), "a whole number", False),
    "started": (_opt(_num), "a finite number or null", False),
    "duration_ms": (_opt(_num), "a finite number or null", False),
    "writes": (_opt(_list), "a list of writes", False),
    "called_from": (_opt(_str), "a string or null", False),
    "error_details": (_opt(_dict), "an object or null", False),
}
_EVALUATION = {
    "seq": (_int(), "a whole number", True),
    "flow": (_str, "a string", True),
    "trigger": (_opt(_str), "a string or null", True),
    "trigger_action": (_opt(_str), "a string or null", True),
    "sync": (_str, "a sync name (a string)", True),
    "when": (_opt(_list), "a list", False),
    "frames_when": (_opt(_list), "a list or null", False),
    "where": (_opt(_list), "a list or null", False),
    "frames_where": (_opt(_list), "a list or null", False),
    "fired": (_opt(_int()), "a whole number", False),
    "then": (_opt(_list), "a list", False),
    "error": (_opt(_str), "a string or null", False),
    "error_type": (_opt(_str), "a string or null", False),
    "error_facts": (_opt(_dict), "an object or null", False),
    "matched": (_ANY, "a value", False),
}
_WRITE = {
    "op": (_str, "insert, update or delete", True),
    "collection": (_str, "a collection name", True),
    "before": (_opt(_dict), "a document or null", False),
    "after": (_opt(_dict), "a document or null", False),
}


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


def _fail(where: str, expected: str, value: Any) -> RunFormatError:
    return RunFormatError(f"not a recorded run: {where} should be {expected}, not {_shown(value)}; "
                          "the file was edited or damaged — export it again with run.to_json(path)")


def _object(obj: Any, schema: dict[str, tuple[Check, str, bool]], where: str) -> None:
    if not _dict(obj):
        raise _fail(where, "an object", obj)
    for key, (check, expected, required) in schema.items():
        if key not in obj:
            if required:
                raise RunFormatError(f"not a recorded run: {where} has no {key!r}; "
                                     "the file was edited or damaged — export it again with run.to_json(path)")
            continue
        if not check(obj[key]):
            raise _fail(f"{where}.{key}", expected, obj[key])


def _values(value: Any, where: str) -> None:
    """Every value at any depth: nesting within :data:`MAX_DEPTH`, numbers finite and in range,
    object keys strings (iteratively: the check itself must not overflow the stack)."""
    stack = [(value, where, 0)]
    while stack:
        v, at, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise RunFormatError(f"not a recorded run: {at} is nested more than {MAX_DEPTH} levels deep; "
                                 "a recorded value never is — the file was edited or damaged")
        if type(v) is float and not math.isfinite(v) or type(v) is int and abs(v) > MAX_INT:
            raise _fail(at, "a finite number within ±2**53", v)
        if type(v) is dict:
            stack.extend((x, f"{at}.{k}", depth + 1) for k, x in v.items())
        elif type(v) is list:
            stack.extend((x, f"{at}[{i}]", depth + 1) for i, x in enumerate(v))


def check_run(data: Any, expected_format: str) -> None:
    """Raise :class:`RunFormatError` unless ``data`` (parsed JSON) is a well-formed exported run."""
    if not _dict(data) or data.get("format") != expected_format:
        raise RunFormatError(f"not a recorded run (expected format {expected_format!r})")
    _values(data, "run")
    _object(data, _RUN, "run")
    if not all(_str(s) for s in data.get("syncs") or ()):
        raise _fail("run.syncs", "a list of sync names", data["syncs"])
    for i, flow in enumerate(data.get("flows") or ()):
        where = f"flows[{i}]"
        _object(flow, _FLOW, where)
        for j, action in enumerate(flow.get("actions") or ()):
            _object(action, _ACTION, f"{where}.actions[{j}]")
            for k, write in enumerate(action.get("writes") or ()):
                _object(write, _WRITE, f"{where}.actions[{j}].writes[{k}]")
        for j, ev in enumerate(flow.get("evaluations") or ()):
            _object(ev, _EVALUATION, f"{where}.evaluations[{j}]")
