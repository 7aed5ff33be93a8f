"""Read a course-engine server log (a file or pasted text) into tables and findings.

The console output of a course-template backend (``course-engine.md`` §13) is line-based:
TRACE entries (one per completed action, possibly multi-line), VERBOSE entries, Requesting
lines, startup lines, app lines such as ``[Sessioning.create] …``, optional Render
timestamp prefixes, and anything else the app prints. :func:`read_log` streams it once,
line by line, in bytes (no decode on the hot path), keeping only compact per-action columns
(offsets into the source, small ints) and one small record per request. Input/output values
are parsed lazily when a table is asked for.

TRACE lines carry no flow id, so an action's request is reconstructed: by request id
(``Requesting.request … => { request }`` / ``Requesting.respond { request }``), by values it
shares with an earlier action of a request (the user id ``authenticate`` returned, which
``Sessioning.create`` takes), and otherwise by the pre-order walk (the request with the most
recent activity). VERBOSE entries carry the flow token, which is exact.
"""

from __future__ import annotations

import gc
import io
import os
import re
import sys
from array import array
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

import pandas as pd

from sessioning.errors import KitError
from sessioning.findings import Finding, findings_frame
from sessioning.gen2025.readers.inspect_parse import UNDEFINED, JSFunction, parse_inspect
from sessioning.masking import (
    is_password_key,
    is_secret_key,
    mask_id,
    mask_text,
    mask_text_uris,
    mask_value,
    remember_secret,
    secrets_revealed,
)

__all__ = ["LogReadError", "ServerLog", "read_log", "mask_inline", "classify_error"]


class LogReadError(KitError, ValueError):
    """The input is not a readable text log (binary data, a directory, …)."""


# ---------------------------------------------------------------- line recognition (bytes)

_TS = re.compile(rb"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?) ?")
_TRACE = re.compile(rb"([A-Za-z_$][\w$]*)\.([A-Za-z_$][\w$]*) (?=[{\['\"\d-]|undefined|null|true|false)")
_STRS = re.compile(rb"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`(?:[^`\\]|\\.)*`")
_STRUCT = re.compile(rb"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`(?:[^`\\]|\\.)*`| => |[{}\[\]]")
_REQ_ID = re.compile(rb"\brequest: ['\"]([^'\"]+)['\"]")
_PATH = re.compile(rb"\bpath: ['\"]([^'\"]*)['\"]")
_TOKEN1 = re.compile(rb"['\"]([^'\"\\\n]{3,120})['\"]")
_IS_ERROR_OUT = re.compile(rb"^\{\s*error:")
_UUID = re.compile(rb"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

_RECEIVED = b"[Requesting] Received request for path: "
_REQ_ERROR = b"[Requesting] Error processing request: "
_SYNC_ACTION = b"Synchronizing action:"
_MATCHED = re.compile(rb"Matched `sync`: (\S+) with `when`: (?:Frames\((\d+)\))?")
_AFTER = re.compile(rb"After processing `where`: (?:Frames\((\d+)\))?")
_THEN = re.compile(rb"([\w$.]+): THEN (\[[^\]]*\])(?: AsyncFunction| Function)? ?")
_SESS_TRY = re.compile(rb"\[Sessioning\.create\] Attempting to insert session for user: (\S+) with ID: (\S+)")
_SESS_OK = re.compile(rb"\[Sessioning\.create\] Successfully created session: (\S+)")
_SESS_ERR = re.compile(rb"\[Sessioning\.create\] Error creating session for user (\S+?):?\s*(.*)")
_CONT = re.compile(rb"(?:[A-Za-z_$][\w$]*|'[^']*'|\"[^\"]*\"|\[Symbol\([^)]*\)\]): "
                   rb"(?:['\"`\[{\d-]|undefined|null|true|false|Map\(|Set\(|Frames\(|new |ObjectId|[A-Z]\w* \{)")
_APP_TAG = re.compile(rb"\[[\w$]+(?:\.[\w$]+)?\] ")
_FLOW = re.compile(rb"\[Symbol\(flow\)\]: ['\"]([^'\"]+)['\"]")
_CHECKING = re.compile(rb"Checking sync: (\S+)")
_CONCEPT_CLASS = re.compile(r"\bconcept: (?:\[class )?([A-Za-z_$][\w$]*)")
_TIMEOUT_MSG = re.compile(r"Request (\S+) timed out after (\d+)ms")
_INIT = re.compile(rb"Requesting concept initialized with a timeout of (\d+)ms")
_UNVERIFIED = re.compile(rb"WARNING - UNVERIFIED ROUTE: (\S+)")
_ARROW_LINE = re.compile(rb" {1,4}-> (.*)")
_UNCAUGHT = re.compile(rb"error: Uncaught(?: \(in promise\))? (.*)")
_STACK = re.compile(rb"\s+at (?:(?:async )?(\S+) \()?(?:file://)?(\S+?):(\d+):\d+\)?\s*$")
_PASSTHROUGH_ERR = re.compile(rb"Error in ([\w$]+)\.([\w$]+):\s*(.*)")
_ERRORISH = re.compile(rb"(?:[A-Z]\w*)?(?:Error|Exception)\b")

#: Lines the kit knows (startup, build, Deno, Render, patched engines); matched by prefix.
_KNOWN_PREFIXES = (
    b"Task ", b"Registering concept passthrough routes", b"FIX: Please verify routes",
    b"\xf0\x9f\x9a\x80 Requesting server listening", b"Listening on http", b"Server listening on",
    b"Registering synchronizations from", b"Completed registering synchronizations",
    b"Scanning for concepts", b"Scanning for syncs", b"\xe2\x9c\x85 Generated", b"- Registering concept:",
    b"Download ", b"Check file:", b"Watcher ", b"==> ", b"[SyncEngine]", b"[Requesting]",
    b"Connected to MongoDB", b"Warning ", b"warning: ",
)

_KIND_OK, _KIND_ERROR, _KIND_UNDEF, _KIND_ARRAY, _KIND_OTHER = range(5)
_KIND_NAMES = ("ok", "error", "undefined", "array", "other")
_ATTR_NAMES = (None, "id", "value", "order", "flow")
_ATTR_NONE, _ATTR_ID, _ATTR_VALUE, _ATTR_ORDER, _ATTR_FLOW = range(5)
_MAX_ENTRY_LINES = 5000  # an entry longer than this is cut (a truncated or garbled log)
_TOKEN_KEEP = 256  # closed requests whose values still attribute late actions
_TOKEN_MAP_MAX = 200_000  # values remembered before the map is rebuilt from recent requests only
_NO_TOKENS: list[bytes] = []  # shared, never appended to (a request's list is replaced, not mutated)


def _balanced(b: bytes) -> bool:
    return b.count(b"{") + b.count(b"[") == b.count(b"}") + b.count(b"]")


def _scan(buf: bytes, depth: int, want_sep: bool) -> tuple[int, int]:
    """Bracket depth after ``buf`` (quote-aware) and the offset of the first depth-0 ` => ` or -1."""
    pos = -1
    for m in _STRUCT.finditer(buf):
        c = m.group()[0]
        if c == 123 or c == 91:
            depth += 1
        elif c == 125 or c == 93:
            depth -= 1
        elif c == 32 and want_sep and depth == 0 and pos < 0:
            pos = m.start()
    return depth, pos


def split_trace(text: str) -> tuple[str, str]:
    """Split ``"{ … } => { … }"`` (an entry without its ``Concept.action`` prefix) at the depth-0 ``=>``."""
    if text.count(" => ") == 1:  # the usual case: the only arrow, if brackets balance on its left
        j = text.index(" => ")
        left = text[:j]
        if left.count("{") + left.count("[") == left.count("}") + left.count("]"):
            return left, text[j + 4:]
    raw = text.encode("utf-8", "surrogatepass")
    _, pos = _scan(raw, 0, True)
    if pos < 0:
        return text, ""
    return raw[:pos].decode("utf-8", "replace"), raw[pos + 4:].decode("utf-8", "replace")


# ---------------------------------------------------------------- masking of free text

# `name: value` / `"name"=value` with the name starting at the first [A-Za-z_] of a word. A try from
# inside a word is refused by the look-behind (it could only end where the word's first try ended),
# so a long word is scanned once, not once per character: linear time. `lead` is the opening quote,
# or the digits / `-` / non-ASCII letters that begin the word before the name (`--password=…`).
_INLINE_SECRET = re.compile(
    r"""(?P<lead>["'](?=[A-Za-z_])|(?<![\w-])(?:[^\W_A-Za-z]|-)*+)"""
    r"""(?P<name>[A-Za-z_][\w-]*+)(?P<sep>["']?\s*+[:=]\s*+)(?P<q>['"]?)(?P<val>[^'",\s}\]]+)(?P=q)"""
)
_SESSION_TEXT = re.compile(
    r"(?P<pre>(?:[Ss]ession(?: with id| id)?:? |with ID: |created session: ))(?P<val>[0-9a-zA-Z_-]{6,})"
)


def mask_inline(text: str, reveal: bool | None = None) -> str:
    """Mask secrets inside free text: ``password: '…'``, ``session: '…'``, URI credentials."""
    if text is None:
        return text
    if reveal if reveal is not None else secrets_revealed():
        return text
    if "://" in text:
        text = mask_text_uris(text, reveal=False)

    def repl(m: re.Match[str]) -> str:
        name = m["name"]
        if not (is_password_key(name) or is_secret_key(name)):
            return m[0]
        lead = m["lead"]
        pre, key = ("", lead + name) if lead[:1] in ("'", '"') else (lead, name)
        val = "••••••" if is_password_key(name) else mask_id(m["val"], False)
        return f"{pre}{key}{m['sep']}{m['q']}{val}{m['q']}"

    text = _INLINE_SECRET.sub(repl, text)
    return _SESSION_TEXT.sub(_session_repl, text) if "ession" in text or "ID: " in text else text


def _session_repl(m: re.Match[str]) -> str:
    val = m["val"]
    if any(c.isdigit() for c in val):  # an id, not a word ("Session expired"): mask it in other text too
        remember_secret(val)
    return m["pre"] + mask_id(val, False)


# ---------------------------------------------------------------- error classification

def _symbol(prefix: str, then: str = "") -> Callable[[str], str | None]:
    r"""A matcher for ``prefix([^)]*)\)then`` (``prefix`` ends with ``Symbol(``): the symbol's description.

    Linear, unlike ``re.search``, which rescans to the end of the text from every ``prefix`` when
    no ``)`` follows (``"Missing binding: Symbol(" * 2000`` took 0.3 s, 1 MB hung). Every ``prefix``
    that starts before a ``)`` reaches that same ``)``, so after a miss the search resumes past it.
    """

    def match(message: str) -> str | None:
        i = message.find(prefix)
        while i >= 0:
            j = message.find(")", i + len(prefix))
            if j < 0:
                return None
            if message.startswith(then, j + 1):
                return message[i + len(prefix):j]
            i = message.find(prefix, j + 1)
        return None

    return match


def _on_a_line(prefix: str, *suffixes: str, gap: int = 0) -> Callable[[str], str | None]:
    """A matcher for ``prefix.{gap,}(?:suffix|…)`` (``.``: not a newline), in linear time."""

    def match(message: str) -> str | None:
        if not any(x in message for x in suffixes):  # the usual case: one pass, no split
            return None
        for line in message.split("\n") if "\n" in message else (message,):
            i = line.find(prefix)
            if i >= 0 and any(line.find(x, i + len(prefix) + gap) >= 0 for x in suffixes):
                return ""
        return None

    return match


def _regex(pattern: str) -> Callable[[str], str | None]:
    """A matcher for a regex without backtracking traps (literals, alternations, ``\\S+``/``\\d+`` runs)."""
    rx = re.compile(pattern)

    def match(message: str) -> str | None:
        m = rx.search(message)
        return None if m is None else ""

    return match


#: (matcher, failure mode, kind), first match wins. A matcher returns None (no match), or the
#: variable named for F2/F4, else "". All run in linear time: error lines can be megabytes long.
_ERR_RULES: list[tuple[Callable[[str], str | None], str, str]] = [
    (_symbol("Missing binding: Symbol("), "F2", "binding"),
    (_symbol("Binding: Symbol(", " not found"), "F4", "binding"),
    (_regex(r"Missing actionId in `then` clause"), "F5", "engine"),
    (_on_a_line("Action ", " missing or missing synced Map"), "F5", "engine"),
    (_on_a_line("When pattern: ", " is missing output pattern"), "F8", "engine"),
    (_on_a_line("Action ", " is not instrumented.", gap=1), "F7", "startup"),
    (_regex(r"functionOutputArray is not iterable|frames is not iterable"
            r"|Cannot read properties of undefined \(reading 'length'\)|\.filter is not a function"
            r"|is not iterable|\.query is not a function|is not a function"), "F9", "engine"),
    (_regex(r"Request \S+ timed out after \d+ms"), "F10", "timeout"),
    (_regex(r"Request \S+ is not pending or does not exist"), "F10", "timeout"),
    (_regex(r"E11000 duplicate key error"), "F16", "db"),
    (_regex(r"BSONError|input must be a 24 character hex string|ObjectId"), "F17", "db"),
    (_regex(r"Could not find environment variable|MongoDB connection failed|bad auth"
            r"|Server selection timed out|MongoServerSelectionError|ECONNREFUSED|querySrv"), "F18", "environment"),
    (_regex(r"Leaks detected"), "F20", "test"),
    (_regex(r"Failed to load syncs"), "F21", "startup"),
    (_on_a_line("Module not found ", "concepts.ts", "syncs.ts"), "F21", "startup"),
    (_regex(r"Flow token not string|synced must be a Map|actionId not string"), "F14", "engine"),
]


def classify_error(message: str) -> tuple[str, str | None]:
    """The failure-mode code for an error message and the variable it names (if any).

    Context-free: ``Missing binding`` is refined to F1/F3 by :class:`ServerLog` using the
    request's actions. Anything unrecognised is an action (or ``where``) that threw: F16.
    Linear in the message's length.
    """
    for match, code, _kind in _ERR_RULES:
        var = match(message)
        if var is not None:
            if code not in ("F2", "F4"):
                return code, None
            if code == "F2" and var == "error":
                return "F3", var
            return code, var
    return "F16", None


# ---------------------------------------------------------------- compact state


class _Req:
    """One HTTP request through the Requesting catch-all (compact: __slots__)."""

    __slots__ = ("rid", "path", "line", "ts", "end_line", "end_ts", "input_ix", "n_actions",
                 "responses", "first_ix", "last_ix", "resp_error", "error", "error_line",
                 "last_action", "last_kind", "last_action_ix", "session_logged", "tokens", "last_seen",
                 "flow", "matched", "after", "then_syncs")

    def __init__(self, path: str | None, line: int, ts: bytes | None) -> None:
        self.rid: str | None = None
        self.path = path
        self.line = line
        self.ts = ts
        self.end_line: int | None = None
        self.end_ts: bytes | None = None
        self.input_ix = -1  # action indexes: the request, first/last respond, last action
        self.n_actions = 0
        self.responses = 0
        self.first_ix = -1
        self.last_ix = -1
        self.resp_error = False
        self.error: str | None = None
        self.error_line: int | None = None
        self.last_action: str | None = None
        self.last_kind = _KIND_OK
        self.last_action_ix = -1
        self.session_logged = False
        self.tokens: list[bytes] = _NO_TOKENS
        self.last_seen = line
        self.flow: str | None = None
        self.matched: list[str] | None = None
        self.after: list[str] | None = None
        self.then_syncs: list[str] | None = None

    @property
    def open(self) -> bool:
        return self.responses == 0 and self.error is None


@dataclass
class _ErrorRow:
    line: int
    ts: bytes | None
    req: int | None
    kind: str
    message: str
    stack: list[str] = field(default_factory=list)


@dataclass
class _Pending:
    kind: str  # trace | verbose | matched | after | then
    line: int
    ts: bytes | None
    start: int
    parts: list[bytes]
    depth: int
    sep: int  # trace: index in parts of the line holding the separator (-1: not yet)
    sep_pos: int
    head: tuple[Any, ...] = ()


# ---------------------------------------------------------------- the result


class ServerLog:
    """A parsed server log. Tables are DataFrames built on demand; secrets are masked by default."""

    def __init__(self, source_name: str, data: bytes | None, path: str | None) -> None:
        self.source = source_name
        self._data = data
        self._path = path
        self.lines = 0
        self.bytes = 0
        self.engine_version: str | None = None
        self.log_level: str | None = None
        self.patched_engine = False
        self.timestamps = False
        self.startups = 0
        self.timeout_ms: int | None = None
        self.unverified_routes: list[str] = []
        self.verified_routes: list[str] = []
        self.registered_syncs: list[str] = []
        self.sync_load_errors: list[tuple[int, str]] = []
        self.unknown_count = 0
        self.app_lines = 0
        self.unknown_sample: list[tuple[int, str]] = []
        self._u_line = array("q")
        self._u_start = array("q")
        self._u_end = array("q")
        self.truncated_entries = 0
        # `[Sessioning.create]` lines: line, kind (0 attempt, 1 created, 2 error), request, offsets
        self._s_line = array("q")
        self._s_kind = array("b")
        self._s_req = array("l")
        self._s_start = array("q")
        self._s_end = array("q")
        self.sync_events: list[tuple[int, str, str | None, str | None, int | None, int | None]] = []
        # columnar action store: offsets into the source, small ints, interned names
        self._a_line = array("q")
        self._a_start = array("q")
        self._a_end = array("q")
        self._a_name = array("l")
        self._a_req = array("l")
        self._a_kind = array("b")
        self._a_attr = array("b")
        self._a_fmt = array("b")  # 0 TRACE, 1 VERBOSE
        self._names: list[str] = []
        self._reqs: list[_Req] = []
        self._errors: list[_ErrorRow] = []

    # -- raw access ------------------------------------------------------------------------

    def _raw(self, start: int, end: int) -> bytes:
        if self._data is None:
            # Map the file instead of holding it: the OS pages in only what a table needs.
            import mmap

            with open(self._path, "rb") as fh:  # type: ignore[arg-type]
                try:
                    self._data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)  # type: ignore[assignment]
                except ValueError:  # an empty file cannot be mapped
                    self._data = b""
        return self._data[start:end]  # type: ignore[index]

    def _slice(self, start: int, end: int) -> str:
        raw = self._raw(start, end)
        if self.timestamps:
            raw = b"\n".join(ln[m.end():] if (m := _TS.match(ln)) else ln for ln in raw.splitlines())
        text = raw.decode("utf-8", "replace")
        return "\n".join(x for x in text.splitlines() if x.strip()) if "\n" in text else text.rstrip("\r")

    def _entry_values(self, i: int, output: bool = True) -> tuple[str, str, Any, Any, str | None]:
        text = self._slice(self._a_start[i], self._a_end[i])
        if self._a_fmt[i] == 1:
            rec = parse_inspect(text.split(":", 1)[1] if ":" in text else text)
            rec = rec if isinstance(rec, dict) else {}
            flow = rec.get("flow")
            return text, "", rec.get("input", UNDEFINED), rec.get("output", UNDEFINED), flow
        body = text.split(" ", 1)[1] if " " in text else ""
        inp, out = split_trace(body)
        return text, out, parse_inspect(inp), parse_inspect(out) if out and output else UNDEFINED, None

    def entry_text(self, i: int, reveal: bool | None = None) -> str:
        """The i-th action's log text (timestamps stripped), masked unless revealed."""
        return mask_inline(self._slice(self._a_start[i], self._a_end[i]), reveal)

    def _req_id(self, ix: int) -> str | None:
        return None if ix < 0 else self._reqs[ix].rid

    # -- tables ----------------------------------------------------------------------------

    @property
    def n_actions(self) -> int:
        return len(self._a_line)

    @property
    def actions(self) -> pd.DataFrame:
        return self.actions_frame()

    def actions_frame(self, reveal: bool | None = None, request: str | None = None,
                      limit: int | None = None) -> pd.DataFrame:
        """One row per completed action (TRACE entry or VERBOSE ``Synchronizing action``).

        Columns: request, path, order (position in its request), seq (global), line, time (when it was
        logged, if the log has timestamps), concept, action (the method name), input, output (masked),
        outcome (ok / error / undefined / array), error (the output's ``error``), flow (VERBOSE only),
        attributed_by (how the request was found: id / value / order / flow).
        Values are parsed here, lazily: pass ``request=`` or ``limit=`` for a quick look at a big log.
        """
        reveal = secrets_revealed() if reveal is None else reveal
        rows = []
        times = []
        for i in range(len(self._a_line)):
            rix = self._a_req[i]
            rid = self._req_id(rix)
            if request is not None and rid != request:
                continue
            if limit is not None and len(rows) >= limit:
                break
            _text, _out, inp, out, flow = self._entry_values(i)
            concept, action = self._names[self._a_name[i]].split(".", 1)
            err = out.get("error") if isinstance(out, dict) and "error" in out else None
            times.append(self._ts_text(self._a_start[i]))
            rows.append({
                "request": rid, "path": self._reqs[rix].path if rix >= 0 else None, "order": 0,
                "seq": i, "line": self._a_line[i], "time": None,
                "concept": concept, "action": action,
                "input": _display(inp, reveal), "output": _display(out, reveal),
                "outcome": _KIND_NAMES[self._a_kind[i]],
                "error": None if err is None else mask_inline(str(err), reveal),
                "flow": flow, "attributed_by": _ATTR_NAMES[self._a_attr[i]],
            })
        cols = ["request", "path", "order", "seq", "line", "time", "concept", "action", "input", "output",
                "outcome", "error", "flow", "attributed_by"]
        df = pd.DataFrame(rows, columns=cols)
        if len(df):
            df["order"] = df.groupby(df["request"].fillna("").astype(str)).cumcount()
        if self.timestamps and len(df):
            df["time"] = pd.to_datetime(pd.Series(times, dtype=object).str.replace(",", ".", regex=False),
                                        errors="coerce", utc=True, format="ISO8601")
        return df

    def _ts_text(self, start: int) -> str | None:
        if not self.timestamps:
            return None
        m = _TS.match(self._raw(start, start + 40))
        return m.group(1).decode() if m else None

    @property
    def requests(self) -> pd.DataFrame:
        return self.requests_frame()

    def requests_frame(self, reveal: bool | None = None) -> pd.DataFrame:
        """One row per request: request, path, input_keys, outcome (responded / error 500 / timed out /
        responded twice / no response), status (HTTP: 200 / 500 / 504), message (the server's error
        line), responses (how many ``respond`` calls), has_response, response (the first, which the
        client got; masked), error (its ``error``), input (masked), actions, line, end_line, time,
        end_time, duration_ms. Names follow the kit's ``requests_table`` where they mean the same."""
        reveal = secrets_revealed() if reveal is None else reveal
        rows = []
        for r in self._reqs:
            outcome, status = _outcome(r)
            inp = self.action_input(r.input_ix)
            resp = self.action_input(r.first_ix)
            if isinstance(resp, dict):
                resp = {k: v for k, v in resp.items() if k != "request"}
            rows.append({
                "request": r.rid, "path": r.path,
                "input_keys": ", ".join(str(k) for k in inp if k != "path") if isinstance(inp, dict) else None,
                "outcome": outcome, "status": status,
                "message": mask_inline(r.error, reveal) if r.error else None,
                "responses": r.responses, "has_response": r.responses > 0, "response": _display(resp, reveal),
                "error": mask_inline(str(resp["error"]), reveal) if isinstance(resp, dict) and "error" in resp
                else None,
                "input": _display(inp, reveal), "actions": r.n_actions,
                "line": r.line, "end_line": r.end_line, "time": _dec(r.ts), "end_time": _dec(r.end_ts),
                "duration_ms": None,
            })
        cols = ["request", "path", "input_keys", "outcome", "status", "message", "responses", "has_response",
                "response", "error", "input", "actions", "line", "end_line", "time", "end_time", "duration_ms"]
        df = pd.DataFrame(rows, columns=cols)
        if self.timestamps and len(df):  # one vectorised conversion, not a Timestamp per row
            for c in ("time", "end_time"):
                df[c] = pd.to_datetime(df[c].astype(object).str.replace(",", ".", regex=False), errors="coerce",
                                       utc=True, format="ISO8601")
            df["duration_ms"] = (df["end_time"] - df["time"]).dt.total_seconds() * 1000
        return df

    def action_input(self, i: int) -> Any:
        """The parsed input of action ``i`` (unmasked; ``None`` for -1)."""
        if i < 0:
            return None
        v = self._entry_values(i, output=False)[2]
        return None if v is UNDEFINED else v

    @property
    def errors(self) -> pd.DataFrame:
        return self.errors_frame()

    def errors_frame(self, reveal: bool | None = None) -> pd.DataFrame:
        """One row per error line: line, time, request, path, kind, code, variable, message,
        sync and sync_file (from a stack trace, for startup crashes)."""
        rows = []
        for e in self._errors:
            code, var = self._classify(e)
            sync, sfile = _stack_sync(e.stack)
            r = self._reqs[e.req] if e.req is not None else None
            rows.append({
                "line": e.line, "time": _to_ts(_dec(e.ts)), "request": r.rid if r else None,
                "path": r.path if r else None, "kind": e.kind, "code": code, "variable": var,
                "message": mask_inline(e.message, reveal), "sync": sync, "sync_file": sfile,
            })
        cols = ["line", "time", "request", "path", "kind", "code", "variable", "message", "sync", "sync_file"]
        return pd.DataFrame(rows, columns=cols)

    @property
    def unknown_lines(self) -> dict[str, Any]:
        """Lines the reader did not recognise: ``{"count": n, "sample": [(line, text), …]}`` (masked)."""
        return {"count": self.unknown_count,
                "sample": [(n, mask_inline(t)) for n, t in self.unknown_sample]}

    def unknown_frame(self, limit: int | None = None, reveal: bool | None = None) -> pd.DataFrame:
        """Every unrecognised line (line, text), re-read from the source; masked unless revealed."""
        n = len(self._u_line) if limit is None else min(limit, len(self._u_line))
        rows = [{"line": self._u_line[i], "text": mask_inline(self._slice(self._u_start[i], self._u_end[i]), reveal)}
                for i in range(n) if self._u_start[i] >= 0]
        return pd.DataFrame(rows, columns=["line", "text"])

    @property
    def sessions(self) -> pd.DataFrame:
        """The seed's ``[Sessioning.create]`` lines: line, event (attempt / created / error), request,
        user, session (masked unless revealed)."""
        reveal = secrets_revealed()
        rows = []
        for i in range(len(self._s_line)):
            text = self._slice(self._s_start[i], self._s_end[i]).encode()
            user = sess = None
            if (m := _SESS_TRY.match(text)):
                user, sess = m.group(1).decode(), m.group(2).decode()
            elif (m := _SESS_OK.match(text)):
                sess = m.group(1).decode()
            elif (m := _SESS_ERR.match(text)):
                user = m.group(1).decode()
            rix = self._s_req[i]
            rows.append({"line": self._s_line[i], "event": ("attempt", "created", "error")[self._s_kind[i]],
                         "request": self._req_id(rix), "user": user,
                         "session": sess if reveal or sess is None else mask_id(sess, False)})
        return pd.DataFrame(rows, columns=["line", "event", "request", "user", "session"])

    @property
    def sync_activity(self) -> pd.DataFrame:
        """VERBOSE only: Matched / After processing / THEN events with sync, flow and frame counts."""
        cols = ["line", "event", "sync", "flow", "frames", "request"]
        rows = [{"line": ln, "event": ev, "sync": s, "flow": fl, "frames": n,
                 "request": self._req_id(rix if rix is not None else -1)}
                for ln, ev, s, fl, n, rix in self.sync_events]
        return pd.DataFrame(rows, columns=cols)

    def summary(self) -> dict[str, Any]:
        """Counts and detected settings, for a header above the tables."""
        outcomes: dict[str, int] = {}
        for r in self._reqs:
            o = _outcome(r)[0]
            outcomes[o] = outcomes.get(o, 0) + 1
        return {
            "source": self.source, "lines": self.lines, "bytes": self.bytes,
            "engine_version": self.engine_version, "log_level": self.log_level,
            "patched_engine": self.patched_engine, "timestamps": self.timestamps,
            "startups": self.startups, "timeout_ms": self.timeout_ms,
            "actions": self.n_actions, "requests": len(self._reqs), "outcomes": outcomes,
            "errors": len(self._errors), "unknown_lines": self.unknown_count, "app_lines": self.app_lines,
            "truncated_entries": self.truncated_entries,
        }

    def __repr__(self) -> str:
        s = self.summary()
        return (f"<ServerLog {s['source']}: {s['lines']} lines, {s['actions']} actions, "
                f"{s['requests']} requests, {s['errors']} errors, {s['unknown_lines']} unknown lines>")

    # -- findings --------------------------------------------------------------------------

    def _classify(self, e: _ErrorRow) -> tuple[str, str | None]:
        code, var = classify_error(e.message)
        r = self._reqs[e.req] if e.req is not None else None
        if code == "F2" and r is not None:
            after_action = r.last_kind == _KIND_OK and r.last_action not in (None, "Requesting.request")
            if after_action and ((var == "session" and not r.session_logged) or var not in ("user", "session")):
                # right after a successful action, the value must come from a `then` action
                return "F1", var
        if code == "F10" and r is not None and (r.n_actions > 1 or _emptied(r)):
            return "F11", var
        return code, var

    def findings(self) -> list[Finding]:
        """Every problem the log shows, one finding per distinct cause (counts in the text)."""
        return build_log_findings(self)

    def findings_frame(self) -> pd.DataFrame:
        return findings_frame(self.findings())


@lru_cache(maxsize=4096)
def _secret_name(key: str) -> bool:
    return is_secret_key(key) or is_password_key(key)


def _display(value: Any, reveal: bool) -> Any:
    """A parsed input/output value as a table shows it: masked unless revealed."""
    if value is UNDEFINED:
        return None
    return value if reveal else _masked(value)


def _masked(value: Any) -> Any:
    """``value`` with secrets masked: secret-named keys (:func:`~sessioning.masking.mask_value`, which
    remembers the ids it masks) and, in every string, ``Session with id …`` / ``password: …`` text
    (:func:`mask_inline`) and remembered secrets (:func:`~sessioning.masking.mask_text`). Copies
    only what changes."""
    if isinstance(value, str):
        return _masked_text(value)
    if isinstance(value, dict):
        out = None
        for k, v in value.items():
            if isinstance(k, str) and _secret_name(k) and (is_password_key(k) or not isinstance(v, (dict, list, tuple))):
                m = mask_value(k, v, False)
            else:
                m = _masked(v)
            if m is not v:
                if out is None:
                    out = dict(value)
                out[k] = m
        return value if out is None else out
    if isinstance(value, (list, tuple)):
        items = [_masked(v) for v in value]
        if all(a is b for a, b in zip(items, value)):
            return value
        return items if isinstance(value, list) else tuple(items)
    return value


def _masked_text(text: str) -> str:
    if ":" in text or "=" in text or "ession" in text:  # what mask_inline's patterns need
        text = mask_inline(text, False)
    return mask_text(text, False)


def _dec(b: bytes | None) -> str | None:
    return None if b is None else b.decode("ascii", "replace")


def _to_ts(text: str | None) -> pd.Timestamp | None:
    if not text:
        return None
    try:
        return pd.Timestamp(text.replace(",", "."))
    except (ValueError, TypeError):
        return None


def _emptied(r: _Req) -> list[str]:
    """Syncs that matched for this request but never got past `where` (VERBOSE or a patched engine)."""
    return [s for s in (r.matched or []) if s not in (r.after or []) and s not in (r.then_syncs or [])]


def _outcome(r: _Req) -> tuple[str, int | None]:
    if r.error is not None:
        if _TIMEOUT_MSG.search(r.error):
            return "timed out", 504
        return "error 500", 500
    if r.responses > 1:
        return "responded twice", 200
    if r.responses == 1:
        return "responded", 200
    return "no response", None


def _stack_sync(stack: list[str]) -> tuple[str | None, str | None]:
    """The sync function and file:line named by a startup stack (a frame inside src/syncs)."""
    for ln in stack:
        m = _STACK.match(ln.encode())
        if m and b"/syncs/" in m.group(2):
            name = m.group(1).decode() if m.group(1) else None
            path = m.group(2).decode()
            return name, f"{path.split('/syncs/', 1)[1]}:{m.group(3).decode()}"
    return None, None


# ---------------------------------------------------------------- the reader


class _Reader:
    """Streaming state machine: feed it lines (bytes, without newline) with their offsets."""

    def __init__(self, log: ServerLog) -> None:
        self.log = log
        self.pending: _Pending | None = None
        self.names: dict[str, int] = {}
        self.bnames: dict[tuple[bytes, bytes], int] = {}
        self.by_id: dict[str, int] = {}
        self.by_flow: dict[str, int] = {}
        self.received: dict[str, deque[int]] = {}
        self.paths: dict[str, str] = {}
        self.token_owner: dict[bytes, int] = {}
        self.closed: deque[int] = deque()
        self.open_reqs: dict[int, None] = {}  # requests without respond/error yet, in opening order
        self.active: int | None = None  # request with the most recent activity
        self.last_error: _ErrorRow | None = None
        self.in_error_dump = False
        self.saw_trace = self.saw_verbose = self.saw_requesting = False
        self.saw_v1 = self.saw_startup = False
        self.last_matched: dict[str | None, str] = {}
        self.checking: str | None = None  # patched engines: the sync named by "Checking sync: X"
        self._appends = (log._a_line.append, log._a_start.append, log._a_end.append, log._a_name.append,
                         log._a_req.append, log._a_kind.append, log._a_attr.append, log._a_fmt.append)

    # -- dispatch --------------------------------------------------------------------------

    def feed(self, raw: bytes, lineno: int, start: int, end: int) -> None:
        ts = None
        line = raw
        if 48 <= line[0] <= 57 and len(line) > 19 and line[4] == 45:  # a digit, then "-" at 4: a timestamp?
            m = _TS.match(line)
            if m:
                ts = m.group(1)  # kept as bytes: decoded only if a table shows it
                line = line[m.end():]
                self.log.timestamps = True
        p = self.pending
        if p is not None:
            if not line or line.isspace():
                return
            c0 = line[:1]
            if (c0 in (b" ", b"\t", b"}", b"]", b")") or _CONT.match(line)
                    or (c0 in (b"{", b"[") and not _APP_TAG.match(line))):
                self._continue(p, line, end)  # indented, or a `key: value` line whose indent was trimmed
                return
            self._flush_truncated(p)
        if not line or line.isspace():
            return
        # error dumps (stack lines, an error object) attach to the last error
        if self.in_error_dump:
            if line[:1] in (b" ", b"\t", b"}", b"]") or _ERRORISH.match(line) or line.startswith(b"Caused by"):
                if self.last_error is not None and len(self.last_error.stack) < 50:
                    self.last_error.stack.append(line.decode("utf-8", "replace").rstrip())
                return
            self.in_error_dump = False
        c = line[:1]
        if c == b"[":
            if line.startswith(_RECEIVED):
                self._received(line[len(_RECEIVED):].strip().decode("utf-8", "replace"), lineno, ts)
                return
            if line.startswith(_REQ_ERROR):
                self._req_error(line[len(_REQ_ERROR):].strip().decode("utf-8", "replace"), lineno, ts)
                return
            if line.startswith(b"[Sessioning.create]"):
                self._session_line(line, lineno, start, end)
                return
            if line.startswith(b"[SyncEngine]"):
                self.log.patched_engine = True
                self._sync_engine_line(line)
                return
            if line.startswith(b"[Requesting]"):
                self.saw_requesting = True
                return
            if _APP_TAG.match(line):  # an app's own "[Concept.action] …" log line: counted, not unknown
                self.log.app_lines += 1
                return
        m = _TRACE.match(line)
        if m:
            self._trace_start(m, line, lineno, ts, start, end)
            return
        if c == b"S" and line.startswith(_SYNC_ACTION):
            self.saw_verbose = True
            self._begin("verbose", line, lineno, ts, start, end)
            return
        if c == b"M":
            mm = _MATCHED.match(line)
            if mm:
                self.saw_verbose = True
                self._begin_frames("matched", mm, line, lineno, ts, start, end)
                return
        if c == b"A":
            ma = _AFTER.match(line)
            if ma:
                self.saw_verbose = True
                self._begin_frames("after", ma, line, lineno, ts, start, end)
                return
        mt = _THEN.match(line)
        if mt:
            self.saw_verbose = True
            self._begin_frames("then", mt, line, lineno, ts, start, end)
            return
        self._other(line, lineno, ts, start, end)

    # -- multi-line entries ----------------------------------------------------------------

    def _begin(self, kind: str, line: bytes, lineno: int, ts: bytes | None, start: int, end: int,
               head: tuple[Any, ...] = ()) -> None:
        p = _Pending(kind, lineno, ts, start, [line], 0, -1, -1, head)
        p.depth, _ = _scan(line, 0, False)
        if p.depth <= 0:
            self._complete(p, end)
        else:
            self.pending = p

    def _begin_frames(self, kind: str, m: re.Match[bytes], line: bytes, lineno: int, ts: bytes | None,
                      start: int, end: int) -> None:
        self._begin(kind, line, lineno, ts, start, end, tuple(m.groups()))

    def _trace_start(self, m: re.Match[bytes], line: bytes, lineno: int, ts: bytes | None, start: int,
                     end: int) -> None:
        self.saw_trace = True
        rest = line[m.end():]
        if rest.count(b" => ") == 1:
            # The common single-line entry. With exactly one ` => ` it must be the separator; brackets
            # inside strings would only unbalance the counts, which sends us to the careful path.
            j = rest.index(b" => ")
            left = rest[:j]
            if (left.count(b"{") + left.count(b"[") == left.count(b"}") + left.count(b"]")
                    and rest.count(b"{") + rest.count(b"[") == rest.count(b"}") + rest.count(b"]")):
                self._action(m.group(1), m.group(2), left, rest[j + 4:], lineno, ts, start, end)
                return
        p = _Pending("trace", lineno, ts, start, [line], 0, -1, -1, (m.group(1), m.group(2), m.end()))
        depth, pos = _scan(rest, 0, True)
        p.depth = depth
        if pos >= 0:
            p.sep, p.sep_pos = 0, m.end() + pos
        if p.sep >= 0 and depth <= 0:
            self._complete(p, end)
        else:
            self.pending = p

    def _continue(self, p: _Pending, line: bytes, end: int) -> None:
        p.parts.append(line)
        want = p.kind == "trace" and p.sep < 0
        if want and b" => " in line:
            depth, pos = _scan(line, p.depth, want)  # the separator line: find it exactly
        else:  # a plain continuation line: count brackets outside strings
            s = _STRS.sub(b"", line) if (b"'" in line or b'"' in line or b"`" in line) else line
            depth, pos = p.depth + s.count(b"{") + s.count(b"[") - s.count(b"}") - s.count(b"]"), -1
        p.depth = depth
        if want and pos >= 0:
            p.sep, p.sep_pos = len(p.parts) - 1, pos
        done = depth <= 0 and (p.kind != "trace" or p.sep >= 0)
        if done:
            self._complete(p, end)
        elif len(p.parts) > _MAX_ENTRY_LINES:
            self._flush_truncated(p)

    def _flush_truncated(self, p: _Pending) -> None:
        self.pending = None
        self.log.truncated_entries += 1
        if p.kind == "trace" and p.sep >= 0:  # keep what we have: the input is complete
            self._complete(p, p.start + sum(len(x) + 1 for x in p.parts), truncated=True)

    def _complete(self, p: _Pending, end: int, truncated: bool = False) -> None:
        self.pending = None
        if p.kind == "trace":
            concept, action, off = p.head
            text = b"\n".join(p.parts)
            # separator offset within the joined text
            sep_abs = sum(len(x) + 1 for x in p.parts[:p.sep]) + p.sep_pos
            inp, out = text[off:sep_abs], text[sep_abs + 4:]
            self._action(concept, action, inp, out, p.line, p.ts, p.start, end)
        elif p.kind == "verbose":
            self._verbose_action(p, end)
        else:
            self._sync_event(p)

    # -- actions ---------------------------------------------------------------------------

    def _intern(self, name: str) -> int:
        ix = self.names.get(name)
        if ix is None:
            ix = self.names[name] = len(self.log._names)
            self.log._names.append(name)
        return ix

    def _store(self, name_ix: int, rix: int, kind: int, attr: int, lineno: int, start: int, end: int,
               fmt: int) -> None:
        ap = self._appends  # bound `array.append`s: no attribute lookups per action
        ap[0](lineno)
        ap[1](start)
        ap[2](end)
        ap[3](name_ix)
        ap[4](rix)
        ap[5](kind)
        ap[6](attr)
        ap[7](fmt)
        if rix >= 0:
            log = self.log
            r = log._reqs[rix]
            r.n_actions += 1
            r.last_action = log._names[name_ix]
            r.last_kind = kind
            r.last_action_ix = len(log._a_line) - 1
            r.last_seen = lineno
            self.active = rix

    def _action(self, concept: bytes, action: bytes, inp: bytes, out: bytes, lineno: int, ts: bytes | None,
                start: int, end: int) -> None:
        o = out.lstrip() if out[:1] in (b" ", b"\t") else out
        kind = (_KIND_ERROR if _IS_ERROR_OUT.match(o) else _KIND_OK) if o[:1] == b"{" else (
            _KIND_ARRAY if o[:1] == b"[" else _KIND_UNDEF if o.startswith(b"undefined") else _KIND_OTHER)
        key = (concept, action)
        name_ix = self.bnames.get(key)
        if name_ix is None:
            name_ix = self.bnames[key] = self._intern(f"{concept.decode()}.{action.decode()}")
        rix, attr = -1, _ATTR_NONE
        if concept == b"Requesting" and action == b"request":
            mid = _REQ_ID.search(o)
            pm = _PATH.search(inp)
            rix = self._new_request(mid.group(1).decode() if mid else None,
                                    pm.group(1).decode("utf-8", "replace") if pm else None, lineno, ts)
            self.log._reqs[rix].input_ix = len(self.log._a_line)
            attr = _ATTR_ID
        elif concept == b"Requesting" and action == b"respond":
            mid = _REQ_ID.search(inp)
            if mid:
                rix = self._by_request_id(mid.group(1).decode(), lineno, ts)
                attr = _ATTR_ID
                r = self.log._reqs[rix]
                r.responses += 1
                if r.first_ix < 0:
                    r.first_ix = len(self.log._a_line)
                    r.resp_error = bool(re.search(rb"[{,]\s*error:", inp))
                r.last_ix = len(self.log._a_line)
                r.end_line, r.end_ts = lineno, ts
                self._close(rix)
        # the quoted input values attribute this action; input and output values, once registered,
        # attribute later actions that reuse them (authenticate's user id → Sessioning.create)
        toks = _TOKEN1.findall(inp) if rix < 0 or (attr == _ATTR_ID and action == b"request") else _NO_TOKENS
        if rix < 0:
            rix, attr = self._attribute(toks)
        # Remember the values later actions may reuse: the request's body and every action's output
        # (an action's other inputs came from those already); a respond closes its request anyway.
        if rix >= 0 and attr != _ATTR_ID:
            self._register_tokens(rix, _TOKEN1.findall(out))
        elif attr == _ATTR_ID and action == b"request":
            self._register_tokens(rix, toks)
        self._store(name_ix, rix, kind, attr, lineno, start, end, 0)

    def _verbose_action(self, p: _Pending, end: int) -> None:
        text = b"\n".join(p.parts).decode("utf-8", "replace")
        rec = parse_inspect(text.split(":", 1)[1])
        if not isinstance(rec, dict):
            self.log.truncated_entries += 1
            return
        concept = rec.get("concept")
        if not isinstance(concept, str):  # printed as an instance (`SessioningConcept { … }`): take the class
            m = _CONCEPT_CLASS.search(text)
            concept = m.group(1) if m else "?"
        concept = concept[:-7] if concept.endswith("Concept") and len(concept) > 7 else concept
        fn = rec.get("action")
        action = fn.name if isinstance(fn, JSFunction) else str(fn)
        flow = rec.get("flow") if isinstance(rec.get("flow"), str) else None
        inp, out = rec.get("input"), rec.get("output", UNDEFINED)
        kind = (_KIND_ERROR if "error" in out else _KIND_OK) if isinstance(out, dict) else (
            _KIND_ARRAY if isinstance(out, list) else _KIND_UNDEF if out is UNDEFINED else _KIND_OTHER)
        rix, attr = -1, _ATTR_NONE
        if concept == "Requesting" and action == "request":
            rid = out.get("request") if isinstance(out, dict) else None
            path = inp.get("path") if isinstance(inp, dict) else None
            rix = self._new_request(rid, path, p.line, p.ts)
            self.log._reqs[rix].input_ix = len(self.log._a_line)
            attr = _ATTR_ID
            if flow:
                self.by_flow[flow] = rix
                self.log._reqs[rix].flow = flow
        elif concept == "Requesting" and action == "respond" and isinstance(inp, dict) and inp.get("request"):
            rix = self._by_request_id(str(inp["request"]), p.line, p.ts)
            attr = _ATTR_ID
            r = self.log._reqs[rix]
            r.responses += 1
            r.resp_error = r.resp_error or (r.responses == 1 and "error" in inp)
            if r.first_ix < 0:
                r.first_ix = len(self.log._a_line)
            r.last_ix = len(self.log._a_line)
            r.end_line, r.end_ts = p.line, p.ts
            self._close(rix)
        elif flow and flow in self.by_flow:
            rix, attr = self.by_flow[flow], _ATTR_FLOW
        self._store(self._intern(f"{concept}.{action}"), rix, kind, attr, p.line, p.start, end, 1)

    def _sync_event(self, p: _Pending) -> None:
        text = b"\n".join(p.parts)
        fm = _FLOW.search(text)
        flow = fm.group(1).decode() if fm else None
        rix = self.by_flow.get(flow) if flow else None
        n = None
        if p.kind == "matched":
            sync = p.head[0].decode()
            n = int(p.head[1]) if p.head[1] else None
            self.last_matched[flow] = sync
            if rix is not None:
                r = self.log._reqs[rix]
                r.matched = (r.matched or []) + [sync]
        elif p.kind == "after":
            sync = self.last_matched.get(flow, "?")
            n = int(p.head[0]) if p.head[0] else None
            if rix is not None:
                r = self.log._reqs[rix]
                r.after = (r.after or []) + [sync]
        else:
            sync = p.head[0].decode()
            fn = JSFunction(p.head[1].decode())
            if rix is not None:
                r = self.log._reqs[rix]
                r.then_syncs = (r.then_syncs or []) + [sync]
            self.log.sync_events.append((p.line, f"then {fn.name}", sync, flow, None, rix))
            return
        self.log.sync_events.append((p.line, p.kind, sync, flow, n, rix))

    # -- requests and attribution ----------------------------------------------------------

    def _new_request(self, rid: str | None, path: str | None, lineno: int, ts: bytes | None) -> int:
        reqs = self.log._reqs
        q = self.received.get(path) if path is not None else None
        rix = None
        while q:
            cand = q.popleft()
            if reqs[cand].rid is None:
                rix = cand
                break
        if rix is None:
            if rid is not None and rid in self.by_id:
                return self.by_id[rid]
            reqs.append(_Req(path, lineno, ts))
            rix = len(reqs) - 1
            self.open_reqs[rix] = None
        r = reqs[rix]
        r.rid = rid
        r.path = self.paths.setdefault(path, path) if path is not None else r.path
        r.last_seen = lineno
        if rid is not None:
            self.by_id[rid] = rix
        self.active = rix
        return rix

    def _by_request_id(self, rid: str, lineno: int, ts: bytes | None) -> int:
        rix = self.by_id.get(rid)
        if rix is None:  # the log starts after this request began
            self.log._reqs.append(_Req(None, lineno, ts))
            rix = len(self.log._reqs) - 1
            self.open_reqs[rix] = None
            self.log._reqs[rix].rid = rid
            self.by_id[rid] = rix
        return rix

    def _attribute(self, toks: list[bytes]) -> tuple[int, int]:
        """The request an action belongs to: one still open that owns one of its input values (an id
        decides), else the open request whose cascade is running, else a closed owner (an action after
        the respond), else none (a passthrough call)."""
        reqs = self.log._reqs
        get = self.token_owner.get
        best = closed = -1
        for tok in toks:
            owner = get(tok)
            if owner is None or tok[:1] == b"/":
                continue
            if reqs[owner].open:
                if len(tok) == 36 and _UUID.match(tok):
                    return owner, _ATTR_VALUE
                if best < 0:
                    best = owner
            elif closed < 0:
                closed = owner
        if best >= 0:
            return best, _ATTR_VALUE
        cur = self._current_open()
        if cur is not None:
            return cur, _ATTR_ORDER
        return (closed, _ATTR_VALUE) if closed >= 0 else (-1, _ATTR_NONE)

    def _register_tokens(self, rix: int, toks: list[bytes]) -> None:
        r = self.log._reqs[rix]
        room = 64 - len(r.tokens)
        if room <= 0:
            return
        toks = toks[:room]
        if toks:  # dict.update with fromkeys: one C call instead of a Python loop
            self.token_owner.update(dict.fromkeys(toks, rix))
            r.tokens = r.tokens + toks if r.tokens else toks
            if len(self.token_owner) > _TOKEN_MAP_MAX:
                self._rebuild_tokens()

    def _close(self, rix: int) -> None:
        self.open_reqs.pop(rix, None)
        self.closed.append(rix)
        while len(self.closed) > _TOKEN_KEEP:  # old requests forget their values...
            self.log._reqs[self.closed.popleft()].tokens = _NO_TOKENS

    def _rebuild_tokens(self) -> None:
        """...and the value → request map is rebuilt from the remembered ones when it grows too big
        (amortised: far cheaper than deleting each value as its request closes)."""
        reqs = self.log._reqs
        keep = sorted(set(self.closed) | set(list(self.open_reqs)[-1000:]))
        owner: dict[bytes, int] = {}
        for rix in keep:  # oldest first, so the most recent owner of a value wins
            if reqs[rix].tokens:
                owner.update(dict.fromkeys(reqs[rix].tokens, rix))
        self.token_owner = owner

    def _received(self, path: str, lineno: int, ts: bytes | None) -> None:
        self.saw_requesting = True
        path = self.paths.setdefault(path, path)  # one string per distinct path
        reqs = self.log._reqs
        reqs.append(_Req(path, lineno, ts))
        rix = len(reqs) - 1
        self.open_reqs[rix] = None
        self.received.setdefault(path, deque()).append(rix)
        self.active = rix

    def _current_open(self) -> int | None:
        """The open request with the latest activity (looking at the 64 most recently opened)."""
        reqs = self.log._reqs
        if self.active is not None and reqs[self.active].open:
            return self.active
        best = None
        for n, rix in enumerate(reversed(self.open_reqs)):
            if n >= 64:
                break
            if best is None or reqs[rix].last_seen > reqs[best].last_seen:
                best = rix
        return best

    def _req_error(self, msg: str, lineno: int, ts: bytes | None) -> None:
        self.saw_requesting = True
        m = _TIMEOUT_MSG.search(msg) or re.search(r"Request (\S+) is not pending", msg)
        rix = self._by_request_id(m.group(1), lineno, ts) if m else self._current_open()
        if rix is not None:
            r = self.log._reqs[rix]
            if r.error is None:
                r.error, r.error_line = msg, lineno
            r.end_line, r.end_ts = lineno, ts
            self._close(rix)
        if m and m.re is _TIMEOUT_MSG and self.log.timeout_ms is None:
            self.log.timeout_ms = int(m.group(2))
        self._add_error(lineno, ts, rix, "request", msg)

    def _add_error(self, lineno: int, ts: bytes | None, rix: int | None, kind: str, msg: str) -> None:
        e = _ErrorRow(lineno, ts, rix, kind, msg)
        self.log._errors.append(e)
        self.last_error = e

    def _session_event(self, lineno: int, kind: int, rix: int | None, start: int, end: int) -> None:
        log = self.log
        log._s_line.append(lineno)
        log._s_kind.append(kind)
        log._s_req.append(-1 if rix is None else rix)
        log._s_start.append(start)
        log._s_end.append(end)

    def _session_line(self, line: bytes, lineno: int, start: int, end: int) -> None:
        m = _SESS_TRY.match(line)
        if m:
            owner = self.token_owner.get(m.group(1))
            rix = owner if owner is not None else self.active
            if rix is not None:
                self.log._reqs[rix].session_logged = True
                tok = m.group(2)
                self.token_owner[tok] = rix
            self._session_event(lineno, 0, rix, start, end)
            return
        m = _SESS_OK.match(line)
        if m:
            rix = self.token_owner.get(m.group(1))
            self._session_event(lineno, 1, rix, start, end)
            return
        m = _SESS_ERR.match(line)
        if m:
            owner = self.token_owner.get(m.group(1))
            rix = owner if owner is not None else self.active
            msg = m.group(2).decode("utf-8", "replace")
            self._session_event(lineno, 2, rix, start, end)
            self._add_error(lineno, None, rix, "session", f"Error creating session: {msg}".strip())
            self.in_error_dump = True
            return

    def _sync_engine_line(self, line: bytes) -> None:
        """Patched engines' own lines: a sync whose `where` returned 0 frames is worth remembering."""
        m = _CHECKING.search(line)
        if m:
            self.checking = m.group(1).decode("utf-8", "replace")
        elif b"returned 0 frames" in line and self.checking and self.active is not None:
            r = self.log._reqs[self.active]
            r.matched = (r.matched or []) + [self.checking]

    # -- startup and everything else -------------------------------------------------------

    def _other(self, line: bytes, lineno: int, ts: bytes | None, start: int = -1, end: int = -1) -> None:
        log = self.log
        m = _UNCAUGHT.match(line)
        if m:
            msg = m.group(1).decode("utf-8", "replace")
            self._add_error(lineno, ts, None, "startup", msg[7:] if msg.startswith("Error: ") else msg)
            self.in_error_dump = True
            return
        m = _PASSTHROUGH_ERR.match(line)
        if m:
            msg = m.group(3).decode("utf-8", "replace")
            self._add_error(lineno, ts, None, "passthrough",
                            f"{m.group(1).decode()}.{m.group(2).decode()}: {msg}".rstrip(": "))
            self.in_error_dump = True
            return
        m = _UNVERIFIED.match(line)
        if m:
            log.unverified_routes.append(m.group(1).decode())
            return
        m = _INIT.match(line)
        if m:
            log.timeout_ms = int(m.group(1))
            self.saw_startup = True
            return
        m = _ARROW_LINE.match(line)
        if m:
            val = m.group(1).strip().decode("utf-8", "replace")
            if val.startswith("/"):
                log.verified_routes.append(val)
            elif val.startswith("ERROR: Failed to load syncs"):
                log.sync_load_errors.append((lineno, val))
                self._add_error(lineno, ts, None, "startup", val)
                self.in_error_dump = True
            elif not val.startswith(("Found ", "ERROR")):
                log.registered_syncs.append(val)
            return
        if line.startswith(b"Registering synchronizations from"):
            self.saw_v1 = True
            return
        if line.startswith((b"Listening on http", b"Server listening on")):
            log.startups += 1
            self.saw_startup = True
            return
        if line.startswith(b"Registering concept passthrough"):
            self.saw_startup = True
            return
        if line.startswith(_KNOWN_PREFIXES) or line.lstrip().startswith(b"- Endpoint:"):
            return
        text = line.decode("utf-8", "replace")
        for prefix, kind in (("error: Leaks detected", "test"), ("Could not find environment variable", "environment"),
                             ("MongoDB connection failed", "environment"), ("error: ", "other")):
            if text.startswith(prefix):
                self._add_error(lineno, ts, None, kind, text[7:] if prefix == "error: " else text)
                self.in_error_dump = True
                return
        if line[:1] in (b" ", b"\t") and self.last_error is not None and _STACK.match(line):
            self.last_error.stack.append(text.rstrip())
            return
        log.unknown_count += 1
        log._u_line.append(lineno)  # kept: line number and offsets, re-read on demand
        log._u_start.append(start)
        log._u_end.append(end)
        if len(log.unknown_sample) < 20:
            log.unknown_sample.append((lineno, text[:300]))

    def finish(self) -> None:
        if self.pending is not None:
            self._flush_truncated(self.pending)
        log = self.log
        log.log_level = ("VERBOSE" if self.saw_verbose else "TRACE" if self.saw_trace
                         else "OFF" if self.saw_requesting else None)
        if self.saw_v1 or log.registered_syncs:
            log.engine_version = "v1"
        elif self.saw_startup:
            log.engine_version = "v2"


# ---------------------------------------------------------------- entry point


def _open_source(source: Any) -> tuple[str, bytes | None, str | None, IO[bytes], int]:
    """(display name, in-memory data, path, binary stream, size) for a path, text, bytes or stream."""
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source and len(source) < 4096
                                    and (os.path.exists(source) or _looks_like_path(source))):
        path = str(source)
        if os.path.isdir(path):
            raise LogReadError(f"{path} is a directory, not a log file")
        if not os.path.exists(path):
            raise FileNotFoundError(f"log file not found: {path}")
        size = os.path.getsize(path)
        fh = open(path, "rb")  # noqa: SIM115 - closed by read_log
        head = fh.read(8192)
        fh.seek(0)
        if b"\x00" in head:
            fh.close()
            raise LogReadError(f"{path} looks like a binary file, not a text server log")
        return path, None, path, fh, size
    if isinstance(source, str):
        data = source.encode("utf-8", "surrogatepass")
    elif isinstance(source, (bytes, bytearray)):
        data = bytes(source)
        if b"\x00" in data[:8192]:
            raise LogReadError("input looks like binary data, not a text server log")
    elif hasattr(source, "read"):
        raw = source.read()
        data = raw.encode("utf-8", "replace") if isinstance(raw, str) else bytes(raw)
        if b"\x00" in data[:8192]:
            raise LogReadError("input looks like binary data, not a text server log")
    else:
        raise TypeError(f"read_log() takes a path, text, bytes or a stream, not {type(source).__name__}")
    return "<text>", data, None, io.BytesIO(data), len(data)


def _looks_like_path(s: str) -> bool:
    return bool(s) and " " not in s.strip() and (s.endswith((".log", ".txt")) or os.sep in s)


def read_log(source: str | os.PathLike[str] | bytes | IO[Any], progress: bool | None = None) -> ServerLog:
    """Read a course-engine server log: a path, pasted text, bytes or an open stream.

    ``progress``: show a tqdm bar (``None`` = only for files over 20 MB). Raises
    ``FileNotFoundError`` or :class:`LogReadError` for a missing or binary input; anything
    inside the log that it does not understand is kept and counted, never fatal.
    """
    name, data, path, fh, size = _open_source(source)
    log = ServerLog(name, data, path)
    reader = _Reader(log)
    show = progress if progress is not None else size > 20_000_000
    bar = None
    if show:
        from tqdm.auto import tqdm

        bar = tqdm(total=size, unit="B", unit_scale=True, desc=os.path.basename(name), file=sys.stderr)
    offset = 0
    lineno = 0
    pending_bytes = 0
    feed = reader.feed
    # Millions of small objects and no cycles: the cyclic GC would re-scan them all, repeatedly.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for raw in fh:
            lineno += 1
            n = len(raw)
            line = raw.rstrip(b"\r\n")
            if line:
                feed(line, lineno, offset, offset + len(line))
            offset += n
            if bar is not None:
                pending_bytes += n
                if pending_bytes > 4_000_000:
                    bar.update(pending_bytes)
                    pending_bytes = 0
        reader.finish()
    finally:
        if gc_was_enabled:
            gc.enable()
        if path is not None:
            fh.close()
        if bar is not None:
            bar.update(pending_bytes)
            bar.close()
    log.lines = lineno
    log.bytes = offset
    return log


# ---------------------------------------------------------------- findings

_SPLIT_FIX = ("Split it: one sync creates the session when login succeeds; a second sync, whose `when` "
              "includes `[Sessioning.create, {}, {session}]`, responds.")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _q(path: str | None) -> str:
    return f"`{path}`" if path else "(unknown path)"


def _times(n: int) -> str:
    return "" if n <= 1 else f" ({n} times)"


def _error_finding(log: ServerLog, e: _ErrorRow, code: str, var: str | None, n: int, reqs: list[str]) -> Finding:
    r = log._reqs[e.req] if e.req is not None else None
    path = r.path if r else None
    last = r.last_action if r else None
    msg = mask_inline(e.message)
    ev = f"line {e.line}: {msg}"
    if r is not None and r.last_action_ix >= 0:
        ev = f"last action: {_one_line(log.entry_text(r.last_action_ix))[:300]}\n{ev}"
    sev = "error"
    req = r.rid if r else None
    sync, sfile = _stack_sync(e.stack)
    file, line_no = (sfile.rsplit(":", 1)[0], int(sfile.rsplit(":", 1)[1])) if sfile else (None, None)
    extra = {"requests": reqs[:20], "count": n, "path": path}
    where = f"Request {_q(path)}{_times(n)}"
    if code == "F1" and var == "session":
        expl = (f"{where}: `{last}` succeeded, then `Missing binding: Symbol(session)` was thrown and no "
                "`[Sessioning.create]` line was printed: the sync puts `Sessioning.create` and "
                "`Requesting.respond` in one `then`. A `then` output pattern binds nothing and every `then` "
                "input is resolved before any action runs, so Sessioning.create never ran and no session was "
                "inserted. Restarting the server does not help.")
        fix = _SPLIT_FIX
    elif code == "F1":
        expl = (f"{where}: `{last}` succeeded, then `Missing binding: Symbol({var})`: `{var}` is most likely "
                f"the output of an action in the same `then`. A `then` output pattern binds nothing, and every "
                "`then` input is resolved before any action runs, so nothing in that `then` ran.")
        fix = (f"Move the action that produces `{var}` into its own sync, and respond from a second sync "
               f"whose `when` includes that action with output pattern `{{ {var} }}`.")
    elif code == "F2":
        if var == "user":
            expl = (f"{where}: `Missing binding: Symbol(user)`: a `where` query (usually `Sessioning._getUser`) "
                    "returned a row without `user` — the seed returns `[{error}]` for an unknown session — so the "
                    "frame kept `user` unbound and the `then` threw; the client got 500.")
            fix = ("Answer invalid sessions explicitly: an error sync whose query output pattern is `{ error }`, "
                   "and in the success sync keep only frames with a user: "
                   "`frames.filter(($) => $[user] !== undefined)`.")
        else:
            expl = (f"{where}: `Missing binding: Symbol({var})`: a `where` query returned rows without the key "
                    f"bound to `{var}` (`frames.query` binds a variable only for rows that have the key), so the "
                    "frame reached `then` with it unbound.")
            fix = (f"Make the query return `{{ {var}: … }}` rows (or rename the output pattern key to what it "
                   f"returns), and filter out frames where `{var}` is unbound before `then`.")
    elif code == "F3":
        expl = (f"{where}: `Missing binding: Symbol(error)`: a `then` passes `error`, but `error` is only bound "
                "when something failed; on the success path it is unbound and the whole sync throws "
                "(`error: undefined` counts as missing too).")
        fix = ("Use two syncs: a success sync that responds with the result, and an error sync whose `when` "
               "output pattern is `{ error }` that responds with `error`.")
    elif code == "F4":
        expl = (f"{where}: `Binding: Symbol({var}) not found`: a `frames.query` takes `{var}` as input but an "
                f"earlier step left it unbound — usually `_getUser` returned `[{{error}}]` for an invalid or "
                "missing session.")
        fix = (f"Drop or answer the frames where `{var}` is unbound before the next query, e.g. "
               f"`frames.filter(($) => $[{var}] !== undefined)`, with a separate error-response sync.")
    elif code == "F5":
        expl = (f"{where}: `{msg}`: `where` returned frames built from scratch (`new Frames({{...}})` "
                "without spreading an original frame), so they lack the hidden action ids the engine needs.")
        fix = "Derive new frames from the old ones: `frames.map(($) => ({ ...$, [x]: value }))`."
    elif code == "F7":
        what = msg.split("Action ", 1)[-1].split(" is not instrumented")[0]
        if "bound instrumented" in what:
            cause = "an instrumented action was re-bound with `.bind(...)`, which hides its instrumentation"
            fix = "Pass the action itself (`Concept.action`), never `Concept.action.bind(...)`."
        elif what.startswith("bound _"):
            cause = (f"the query `{what[6:]}` is used in a `when` or `then`; queries (names starting with `_`) "
                     "are not instrumented")
            fix = f"Move `{what[6:]}` into `where`: `frames.query(Concept.{what[6:]}, {{…}}, {{…}})`."
        else:
            cause = (f"`{what}` belongs to a concept that is not instrumented (imported from its class "
                     "file instead of `@concepts`)")
            fix = "Import concepts from `@concepts` (run `deno run build` to regenerate the barrel)."
        loc = f" in sync `{sync}` ({sfile})" if sync else ""
        expl = f"The server crashed at startup{loc}: `{msg}` — {cause}."
    elif code == "F8":
        expl = (f"{where}: `When pattern: [object Object] is missing output pattern.`: a `when` entry is "
                "written `[Concept.action, {…}]` without its output pattern; it throws when a matching action "
                "is first met, not at startup.")
        fix = "Add the third element to every `when` entry — `{}` if you need no output."
    elif code == "F9":
        expl = (f"{where}: `{msg}`: a query returned something that is not an array (an object, `null`), or "
                "a `where` forgot to `return` its frames / chained on an un-awaited query.")
        fix = ("Queries must return an array of objects (`[]` for none); `where` must be `async` and "
               "`return` the frames.")
    elif code in ("F10", "F11"):
        return _timeout_finding(log, e, code, n, reqs, ev)
    elif code == "F16":
        if "E11000" in msg:
            expl = (f"{where}: an action threw `E11000 duplicate key error` instead of returning `{{error}}`. "
                    "The exception aborted the cascade: later syncs, including any error-response sync, never "
                    "ran and the client got 500.")
            fix = ("Catch the error in the action and return `{ error: \"…\" }` (check for an existing document "
                   "first, or use an upsert when the `_id` is deterministic); await `createIndex` before inserting.")
        elif e.kind == "passthrough":
            expl = (f"The passthrough route for `{msg.split(':', 1)[0]}` threw `{msg.split(':', 1)[-1].strip()}`; "
                    "the client got 500.")
            fix = "Return `{ error: \"…\" }` from the action instead of throwing."
        elif e.kind == "session":
            sev = "warning"
            expl = f"`Sessioning.create` failed and returned `{{error}}`: {msg}."
            fix = "Check the database connection and the `Sessioning.sessions` collection (unique indexes, ids)."
        else:
            after = f" after `{last}`" if last else ""
            expl = (f"{where}: something threw `{msg}`{after} — an action (or a `where`) threw instead of "
                    "returning `{error}`, so the cascade aborted, no error-response sync ran and the client got 500.")
            fix = "Catch the error in the action and return `{ error: \"…\" }`; respond to it with an error sync."
    elif code == "F17":
        expl = (f"{where}: `{msg}`: ids in this app are UUID strings, not ObjectIds; `new ObjectId(id)` throws "
                "and ObjectId `_id`s never equal the string ids in frames.")
        fix = "Use the string ids as they are (`{ _id: id }`); never wrap them in `new ObjectId(...)`."
    elif code == "F18":
        expl = f"The server could not reach its database: `{msg}`."
        fix = ("Set `MONGODB_URL` and `DB_NAME` in `.env`; for Atlas, check the user's password and allow your IP "
               "in Network Access.")
    elif code == "F20":
        sev = "warning"
        expl = "Deno tests reported leaks: a MongoClient was not closed or a promise (e.g. `createIndex`) was not awaited."
        fix = "Close the client at the end of each test (`await client.close()`) and await index creation."
    elif code == "F21":
        expl = (f"The server could not load its generated barrels: `{msg}`. `src/concepts/concepts.ts` and "
                "`src/syncs/syncs.ts` are generated by `deno run build` and git-ignored, so a fresh clone or a "
                "deploy without the build step does not have them (and a new sync file stays invisible until "
                "the next build).")
        fix = ("Run `deno run build` before `deno task start` (on Render, add it to the build command), and name "
               "sync files `*.sync.ts`.")
    elif code == "F14":
        expl = f"`{msg}`: an action was called with hidden engine keys of the wrong type."
        fix = "Call actions only with plain input objects."
    else:
        expl = f"{where}: `{msg}`."
        fix = "See the error message."
    return Finding(code=code, severity=sev, explanation=expl, fix=fix, sync=sync, request=req, source="log",
                   file=file, line=line_no if line_no is not None else e.line, evidence=ev, extra=extra)


def _timeout_finding(log: ServerLog, e: _ErrorRow, code: str, n: int, reqs: list[str], ev: str) -> Finding:
    r = log._reqs[e.req] if e.req is not None else None
    path = r.path if r else None
    where = f"Request {_q(path)}{_times(n)}"
    no_raise = " Raising REQUESTING_TIMEOUT does not help: the timeout only fires when nothing responded."
    sync = None
    body_keys: list[str] | None = None
    if r is not None and r.input_ix >= 0:
        v = log.action_input(r.input_ix)
        if isinstance(v, dict):
            body_keys = [str(k) for k in v if k != "path"]
    if code == "F10":
        keys = ("" if body_keys is None else " (empty body)" if not body_keys
                else " (body keys: " + ", ".join(body_keys) + ")")
        if path and path.startswith("/api/"):
            keys += (f". The path received was `{path}`: the client called `/api{path}`, so the `/api` base is "
                     "in the URL twice")
        if r is not None and r.flow and not r.matched:
            seen = " VERBOSE shows no ``Matched `sync` `` line for its flow."
        elif log.n_actions == 0:
            seen = (" (This log has no TRACE lines, so it cannot show whether a later response sync failed "
                    "instead, F11.)")
        else:
            seen = " After `Requesting.request` nothing ran."
        expl = (f"{where} timed out: no request sync fired for it{keys}.{seen} Either none matched — the path "
                "literal must match exactly (case, no trailing slash, no `/api` prefix), every key in the `when` "
                "input pattern must be in the request body, and a sync file not named `*.sync.ts` or a stale "
                "barrel is invisible — or a matching sync's `where` removed every frame (e.g. `_getUser` found no "
                f"user for the session).{no_raise}")
        fix = (f"Make a sync's `when` match `[Requesting.request, {{ path: \"{path or '/…'}\", … }}, {{ request }}]` "
               "exactly; run `deno run build` after adding sync files.")
    else:
        last = r.last_action if r else None
        emptied = _emptied(r) if r is not None else []
        sync = emptied[-1] if emptied else None
        if sync:
            expl = (f"{where} timed out: `{sync}` matched but its `where` removed every frame (the engine "
                    f"logged no frames after `where`), so nothing responded.{no_raise}")
            fix = ("Check the `where` of that sync: a query returning `[]`, a `collectAs` on nothing, or a filter "
                   "that drops every frame; respond explicitly for the empty case.")
        elif r is not None and r.last_kind == _KIND_ERROR:
            expl = (f"{where} timed out: `{last}` returned `{{error}}` but no sync responded to it — the error "
                    "response sync is missing or its output pattern never matches (e.g. `{ x, error }`)."
                    f"{no_raise}")
            fix = (f"Add a sync: when `Requesting.request` (path `{path}`) and `{last}` with output `{{ error }}`, "
                   "then `Requesting.respond({ request, error })`.")
        else:
            expl = (f"{where} timed out: `{last}` ran but no response sync matched its output — an output pattern "
                    "with a key the action does not return (or both a key and `error`), or a `when` needing an "
                    f"action that ran in another flow.{no_raise}")
            fix = (f"Compare the response sync's `when` output pattern for `{last}` with what it returned "
                   "(see the actions table) and make them agree.")
    return Finding(code=code, severity="error", explanation=expl, fix=fix, sync=sync,
                   request=r.rid if r else None, source="log", line=e.line, evidence=ev,
                   extra={"requests": reqs[:20], "count": n, "path": path, "body_keys": body_keys,
                          "last_action": r.last_action if r else None})


def build_log_findings(log: ServerLog) -> list[Finding]:
    """Findings for a :class:`ServerLog`: errors grouped by cause, double responses, array outputs,
    unverified routes, requests left without an answer."""
    out: list[Finding] = []
    groups: dict[tuple[Any, ...], list[tuple[_ErrorRow, str, str | None]]] = {}
    for e in log._errors:
        code, var = log._classify(e)
        r = log._reqs[e.req] if e.req is not None else None
        norm = _TIMEOUT_MSG.sub("timeout", e.message) if code in ("F10", "F11") else e.message
        key = (code, var, r.path if r else None, norm, e.kind, r.last_action if r else None)
        groups.setdefault(key, []).append((e, code, var))
    for items in groups.values():
        e, code, var = items[0]
        reqs = [log._reqs[x.req].rid for x, _, _ in items if x.req is not None and log._reqs[x.req].rid]
        out.append(_error_finding(log, e, code, var, len(items), reqs))
    # F12: two responds for one request
    twice: dict[str | None, list[_Req]] = {}
    for r in log._reqs:
        if r.responses > 1:
            twice.setdefault(r.path, []).append(r)
    for path, rs in twice.items():
        r = rs[0]
        first = _one_line(log.entry_text(r.first_ix)) if r.first_ix >= 0 else ""
        last = _one_line(log.entry_text(r.last_ix)) if r.last_ix >= 0 else ""
        both = " One response carries `error`: a `{}` output pattern also matches `{error}`." if (
            "error:" in first) != ("error:" in last) else ""
        out.append(Finding(
            code="F12", severity="warning", request=r.rid, source="log", line=r.end_line,
            explanation=(f"Request {_q(path)}{_times(len(rs))} was answered twice ({r.responses} "
                         f"`Requesting.respond` calls): two response syncs matched the same request.{both} The "
                         "client got the first answer; `Requesting.requests` stores the last."),
            fix=("Give the success sync's `when` a success output key (e.g. `{ user }` instead of `{}`) so "
                 "exactly one response sync matches each outcome."),
            evidence=f"first: {first[:300]}\nlast: {last[:300]}",
            extra={"requests": [x.rid for x in rs[:20]], "count": len(rs), "path": path}))
    # F14: actions returning arrays
    arrays: dict[int, list[int]] = {}
    for i, k in enumerate(log._a_kind):
        if k == _KIND_ARRAY:
            arrays.setdefault(log._a_name[i], []).append(i)
    for name_ix, idxs in arrays.items():
        name = log._names[name_ix]
        i = idxs[0]
        out.append(Finding(
            code="F14", severity="warning", request=log._req_id(log._a_req[i]) if log._a_fmt[i] == 0 else None,
            source="log", line=log._a_line[i],
            explanation=(f"`{name}` is an action (no `_` prefix) but returned an array{_times(len(idxs))}: it was "
                         "used as a query (`frames.query` or awaited inside `where`), so it ran as an action in a "
                         "new flow — its syncs and effects never join the request's flow."),
            fix=(f"Rename it `_{name.split('.', 1)[1]}` so it is a query, or call it from a `then` if it really "
                 "is an action."),
            evidence=log.entry_text(i)[:300], extra={"count": len(idxs)}))
    if log.unverified_routes:
        routes = sorted(set(log.unverified_routes))
        out.append(Finding(
            code="F15", severity="warning", source="log",
            explanation=(f"{len(routes)} passthrough route(s) are registered but unverified (e.g. `{routes[0]}`). "
                         "Passthrough routes win over the Requesting catch-all, so a request to one of them runs "
                         "the concept method directly — no `Requesting.request`, no syncs, no session checks."),
            fix=("List each route in `src/concepts/Requesting/passthrough.ts`: in `inclusions` if it is meant to be "
                 "public, in `exclusions` to send it through Requesting and your syncs."),
            evidence="\n".join(f"WARNING - UNVERIFIED ROUTE: {x}" for x in routes[:10]),
            extra={"routes": routes}))
    unanswered = [r for r in log._reqs if r.open and (r.rid or r.path)]
    if unanswered:
        r = unanswered[0]
        out.append(Finding(
            code="INFO", severity="info", request=r.rid, source="log", line=r.line,
            explanation=(f"{len(unanswered)} request(s) have no response and no error in the log (e.g. "
                         f"{_q(r.path)}); the log may end before their timeout."),
            fix="If they never answered, look for `timed out` lines later on, or read the database's `Requesting.requests`.",
            extra={"requests": [x.rid for x in unanswered[:20]], "count": len(unanswered)}))
    if log.lines and not (log.n_actions or log._reqs or log._errors or log.startups or log.unverified_routes
                          or log.verified_routes or log.registered_syncs):
        out.append(Finding(
            code="INFO", severity="warning", source="log",
            explanation=(f"Nothing in this input looks like a course-engine server log ({log.unknown_count} "
                         "unrecognised lines)."),
            fix="Paste the server's console output (stdout and stderr), e.g. from `deno task start` or Render's Logs tab.",
            evidence="\n".join(mask_inline(t) for _, t in log.unknown_sample[:3])))
    return out
