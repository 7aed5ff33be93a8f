"""Parse the text of Node's ``util.inspect`` / Deno's ``console.log`` back into Python values.

The course engine prints action inputs and outputs with ``inspect`` (TRACE: single-quoted
strings, ``[Object]`` past depth 2, bare Dates) and, in VERBOSE, with Deno's formatter
(double-quoted strings, ``Map(0) {}``, ``Frames(n) [...]``, ``[Symbol(x)]: ...`` keys,
``[Function: bound create] AsyncFunction``). This module turns that text into dicts, lists,
strings and numbers so the kit can mask and tabulate it.

It never raises: whatever it cannot read comes back as :class:`Unparsed`. Tokenising is a
single compiled regex (C speed); the Python part only assembles tokens, so a typical action
line costs a few microseconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = [
    "UNDEFINED", "JSFunction", "JSSymbol", "Tagged", "Truncated", "Unparsed",
    "parse_inspect", "to_jsonable",
]


# JavaScript `undefined` (distinct from `null` → None): the same marker the engine uses.
from sessioning.gen2025.engine.plain import UNDEFINED  # noqa: E402


@dataclass(frozen=True)
class JSSymbol:
    """A symbol, e.g. the frame key ``[Symbol(flow)]``. Hashable, so usable as a dict key."""

    name: str

    def __str__(self) -> str:
        return f"Symbol({self.name})"

    __repr__ = __str__


@dataclass(frozen=True)
class JSFunction:
    """A printed function such as ``[Function: bound create] AsyncFunction``."""

    text: str

    @property
    def name(self) -> str:
        m = re.match(r"\[(?:Async)?(?:Function|class)(?: \(anonymous\))?:? ?([^\]]*)\]", self.text)
        name = m.group(1).strip() if m else ""
        return name[6:] if name.startswith("bound ") else name

    def __repr__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Truncated:
    """``[Object]`` / ``[Array]`` (inspect's depth limit) or ``[Circular *1]``, ``[Getter]``."""

    kind: str

    def __repr__(self) -> str:
        return f"[{self.kind}]"


@dataclass(frozen=True)
class Tagged:
    """A value printed with a constructor name we keep, e.g. ``ObjectId('…')``, ``Set(1) {…}``."""

    tag: str
    value: Any

    def __repr__(self) -> str:
        return f"{self.tag}({self.value!r})"


@dataclass(frozen=True)
class Unparsed:
    """Text the parser could not read (kept verbatim so nothing is lost)."""

    text: str

    def __repr__(self) -> str:
        return f"Unparsed({self.text!r})"


# Order matters for speed: the common tokens (strings, words, punctuation) are tried first, and
# leading whitespace is eaten by the same match. Strings use the unrolled-loop form.
_TOKEN = re.compile(
    r"""\s*(?:
    (?P<str>'[^'\\]*(?:\\.[^'\\]*)*'|"[^"\\]*(?:\\.[^"\\]*)*"|`[^`\\]*(?:\\.[^`\\]*)*`)
  | (?P<sym>Symbol\((?P<sn>[^)]*)\))
  | (?P<ident>[A-Za-z_$][\w$]*(?:\(\d+\))?)
  | (?P<symkey>\[Symbol\((?P<skn>[^)]*)\)\])
  | (?P<func>\[(?:Async|Generator|AsyncGenerator)?(?:Function|class)\b[^\]]*\](?:[ ](?:AsyncGeneratorFunction|AsyncFunction|GeneratorFunction|Function)\b)?)
  | (?P<trunc>\[(?:Object|Array|Getter/Setter|Getter|Setter|Circular[ ]\*\d+|[A-Z]\w*)\])
  | (?P<punct>[{}\[\]:,()])
  | (?P<date>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)
  | (?P<num>-?(?:\d+\.?\d*(?:e[+-]?\d+)?n?|\.\d+)(?![\w$]))
  | (?P<neg>-Infinity)
  | (?P<arrow>=>)
  | (?P<more>\.\.\.[ ]?\d+[ ]more[ ]items?)
  | (?P<ref><ref[ ]\*\d+>)
  | (?P<other>\S)
    )""",
    re.X | re.S,
)
_ESCAPES = re.compile(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)", re.S)
_SIMPLE_ESC = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
_SIZED = re.compile(r"^([A-Za-z_$][\w$]*)\((\d+)\)$")
_CONST = {"undefined": UNDEFINED, "null": None, "true": True, "false": False,
          "NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


def _unescape_one(m: re.Match[str]) -> str:
    e = m.group(1)
    if e[0] == "u":
        return chr(int(e[2:-1] if e[1] == "{" else e[1:], 16))
    if e[0] == "x" and len(e) == 3:
        return chr(int(e[1:], 16))
    return _SIMPLE_ESC.get(e, e)


def _string(tok: str) -> str:
    body = tok[1:-1]
    return _ESCAPES.sub(_unescape_one, body) if "\\" in body else body


def _number(tok: str) -> int | float:
    if tok.endswith("n"):
        return int(tok[:-1])
    try:
        return int(tok)
    except ValueError:
        return float(tok)


def _date(tok: str) -> datetime | str:
    try:
        return datetime.fromisoformat(tok.replace("Z", "+00:00"))
    except ValueError:
        return tok


class _Parser:
    __slots__ = ("toks", "i", "n")

    def __init__(self, text: str) -> None:
        # (kind, text) pairs, whitespace dropped; one C-level scan of the text.
        self.toks = [(m.lastgroup, m.group(m.lastindex)) for m in _TOKEN.finditer(text) if m.lastindex]
        self.i = 0
        self.n = len(self.toks)

    def peek(self) -> tuple[str | None, str]:
        return self.toks[self.i] if self.i < self.n else (None, "")

    def value(self) -> Any:
        while self.i < self.n:
            kind, tok = self.toks[self.i]
            self.i += 1
            if kind == "str":
                return _string(tok)
            if kind == "num":
                return _number(tok)
            if kind == "punct":
                if tok == "{":
                    return self.obj()
                if tok == "[":
                    return self.arr()
                if tok == "(":
                    return self.paren()
                self.i -= 1  # a closer or separator: no value here
                return UNDEFINED
            if kind == "ident":
                return self.ident(tok)
            if kind == "neg":
                return float("-inf")
            if kind == "trunc":
                return Truncated(tok[1:-1])
            if kind == "func":
                return JSFunction(tok)
            if kind == "sym":
                return JSSymbol(tok[7:-1])
            if kind == "symkey":  # a symbol key used as a value: keep it
                return JSSymbol(tok[8:-2])
            if kind == "date":
                return _date(tok)
            # ref markers, "... more items", stray characters: skip and keep looking
        return UNDEFINED

    def ident(self, tok: str) -> Any:
        if tok in _CONST:
            return _CONST[tok]
        if tok == "new":
            return self.value()
        kind, nxt = self.peek()
        sized = _SIZED.match(tok)
        name = sized.group(1) if sized else tok
        if nxt in ("{", "["):  # ClassName { … }, Map(1) { … }, Frames(2) [ … ]
            self.i += 1
            inner = self.obj(map_ok=True) if nxt == "{" else self.arr()
            if name == "Set" and isinstance(inner, dict):
                return Tagged("Set", list(inner.values()))
            return inner
        if nxt == "(":  # ObjectId('…'), Date(…) and the like
            self.i += 1
            return Tagged(name, self.paren())
        return tok  # a bare word; keep it as text

    def paren(self) -> Any:
        vals = []
        while self.i < self.n:
            kind, tok = self.toks[self.i]
            if tok == ")" and kind == "punct":
                self.i += 1
                break
            if tok == "," and kind == "punct":
                self.i += 1
                continue
            start = self.i
            vals.append(self.value())
            if self.i == start:
                self.i += 1
        return vals[0] if len(vals) == 1 else vals

    def key(self) -> Any:
        kind, tok = self.toks[self.i]
        self.i += 1
        if kind == "str":
            return _string(tok)
        if kind == "symkey":
            return JSSymbol(tok[8:-2])
        if kind in ("ident", "num", "date"):
            return tok
        if kind == "punct" and tok == "[":  # a computed key printed as [key]
            k = self.value()
            if self.peek()[1] == "]":
                self.i += 1
            return k if isinstance(k, (str, int, float, JSSymbol)) else repr(k)
        self.i -= 1
        k = self.value()
        try:
            hash(k)
        except TypeError:
            k = repr(k)
        return k

    def obj(self, map_ok: bool = False) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        while self.i < self.n:
            kind, tok = self.toks[self.i]
            if kind == "punct" and tok == "}":
                self.i += 1
                return out
            if kind == "punct" and tok in (",", ":"):
                self.i += 1
                continue
            if kind in ("more", "ref", "other") or (kind == "punct" and tok in ")]"):
                self.i += 1
                continue
            start = self.i
            key = self.key()
            kind2, tok2 = self.peek()
            if tok2 == ":" and kind2 == "punct":
                self.i += 1
                out[key] = self.value()
            elif kind2 == "arrow":  # Map entry: key => value
                self.i += 1
                out[key] = self.value()
            else:  # a Set member (`Set(1) { 'a' }`) or a stray word
                out[key] = key if isinstance(key, str) else UNDEFINED
            if self.i == start:
                self.i += 1
        return out

    def arr(self) -> list[Any]:
        out: list[Any] = []
        while self.i < self.n:
            kind, tok = self.toks[self.i]
            if kind == "punct" and tok == "]":
                self.i += 1
                return out
            if kind == "punct" and tok == ",":
                self.i += 1
                continue
            if kind in ("more", "ref", "other") or (kind == "punct" and tok in ")}:"):
                self.i += 1
                continue
            start = self.i
            v = self.value()
            if self.peek()[1] == ":":  # extra named property on an array: `[ 1, foo: 2 ]`
                self.i += 1
                self.value()
            else:
                out.append(v)
            if self.i == start:
                self.i += 1
        return out


def parse_inspect(text: str) -> Any:
    """Parse one inspected value. Never raises; unreadable text comes back as :class:`Unparsed`."""
    if not isinstance(text, str):
        return Unparsed(repr(text))
    stripped = text.strip()
    if not stripped:
        return Unparsed(text)
    try:
        p = _Parser(stripped)
        if not p.toks or p.toks[0][0] == "other":
            return Unparsed(text)
        if p.toks[0][0] == "ref":
            p.i = 1
        value = p.value()
        if p.i < p.n and any(k not in ("ref", "more") for k, _ in p.toks[p.i:]):
            # Something followed the value: only a problem if the value itself is a bare word.
            if isinstance(value, str) and p.toks[0][0] == "ident":
                return Unparsed(text)
        return value
    except (RecursionError, ValueError, IndexError, OverflowError):
        return Unparsed(text)


def to_jsonable(value: Any) -> Any:
    """A JSON-friendly copy: symbols, functions and markers become their printed text."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, float) and value != value:
        return None
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, Unparsed):
        return value.text
    if isinstance(value, Tagged):
        return {"$" + value.tag: to_jsonable(value.value)}
    return repr(value)
