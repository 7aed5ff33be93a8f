"""Format values as the course server prints them.

``node_inspect`` follows ``node:util.inspect`` defaults (single quotes, depth 2, ``[Object]``,
lines broken past 80 columns with 2-space indentation), used by TRACE lines. ``deno_format``
follows Deno's ``console.log`` (double quotes, ``[Symbol(x)]:`` keys), used by VERBOSE lines.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from .plain import UNDEFINED
from .vars import Var

_IDENT = re.compile(r"^[A-Za-z_$][\w$]*$")
BREAK_LENGTH = 80


#: control characters and how each printer escapes them: Node's `meta` table (`\x0B`, upper-case
#: hex) and Deno's `replaceEscapeSequences` (`\v`, lower-case hex). Left raw, they would break or end
#: a log line (a NUL makes the log look binary; `\x0c` and `\x85` are line breaks to `splitlines`).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_NODE_ESCAPES = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
_DENO_ESCAPES = {**_NODE_ESCAPES, "\v": "\\v"}


def _escape_control(m: re.Match[str], style: str) -> str:
    c = m[0]
    if style == "node":
        return _NODE_ESCAPES.get(c) or f"\\x{ord(c):02X}"
    return _DENO_ESCAPES.get(c) or f"\\x{ord(c):02x}"


def _quote(text: str, style: str) -> str:
    esc = text.replace("\\", "\\\\")
    if _CONTROL.search(esc):
        esc = _CONTROL.sub(lambda m: _escape_control(m, style), esc)
    if style == "node":
        if "'" not in esc:
            return f"'{esc}'"
        if '"' not in esc:
            return f'"{esc}"'
        if "`" not in esc and "${" not in esc:  # Node uses backticks only if no `${` is in the text
            return f"`{esc}`"
        return "'" + esc.replace("'", "\\'") + "'"
    return '"' + esc.replace('"', '\\"') + '"'


def _number(value: float | int) -> str:
    if isinstance(value, float):
        if value != value:
            return "NaN"
        if value in (float("inf"), float("-inf")):
            return "Infinity" if value > 0 else "-Infinity"
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    return str(value)


def _key(key: Any, style: str) -> str:
    if isinstance(key, Var):
        return f"[{key!r}]"
    key = str(key)
    return key if _IDENT.match(key) else _quote(key, "node" if style == "node" else "deno")


class _Ctx:
    def __init__(self, style: str, depth: int) -> None:
        self.style = style
        self.depth = depth
        self.indent = 0
        self.current_depth = 0


def _fmt(ctx: _Ctx, value: Any, level: int) -> str:
    if value is None:
        return "null"
    if value is UNDEFINED:
        return "undefined"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _number(value)
    if isinstance(value, str):
        return _quote(value, ctx.style)
    if isinstance(value, Var):
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    if isinstance(value, Mapping):
        if level > ctx.depth:
            return "[Object]"
        if not value:
            return "{}"
        entries = _children(ctx, [(k, v) for k, v in value.items()], level, keyed=True)
        return _reduce(ctx, entries, "{", "}", level)
    if isinstance(value, (list, tuple)):
        if level > ctx.depth:
            return "[Array]"
        if not value:
            return "[]"
        entries = _children(ctx, [(None, v) for v in value], level, keyed=False)
        return _reduce(ctx, entries, "[", "]", level)
    if callable(value):
        name = getattr(value, "__name__", "anonymous")
        return f"[Function: {name}]"
    return _quote(str(value), ctx.style)


def _children(ctx: _Ctx, items: list[tuple[Any, Any]], level: int, keyed: bool) -> list[str]:
    ctx.current_depth = level
    out = []
    for key, val in items:
        ctx.indent += 2
        text = _fmt(ctx, val, level + 1)
        ctx.indent -= 2
        out.append(f"{_key(key, ctx.style)}: {text}" if keyed else text)
    return out


def _reduce(ctx: _Ctx, entries: list[str], open_: str, close: str, level: int) -> str:
    # node's reduceToSingleString with compact = 3 and breakLength = 80.
    if ctx.current_depth - level < 3:
        start = len(entries) + ctx.indent + len(open_) + 10
        total = len(entries) + start
        if total + len(entries) <= BREAK_LENGTH:
            total += sum(len(e) for e in entries)
            if total <= BREAK_LENGTH:
                joined = ", ".join(entries)
                if "\n" not in joined:
                    return f"{open_} {joined} {close}"
    pad = "\n" + " " * ctx.indent
    return f"{open_}{pad}  " + f",{pad}  ".join(entries) + f"{pad}{close}"


def node_inspect(value: Any, depth: int = 2) -> str:
    """``util.inspect(value)`` with Node's defaults."""
    return _fmt(_Ctx("node", depth), value, 0)


def deno_format(value: Any, depth: int = 4) -> str:
    """Deno ``console.log`` formatting of one value."""
    return _fmt(_Ctx("deno", depth), value, 0)
