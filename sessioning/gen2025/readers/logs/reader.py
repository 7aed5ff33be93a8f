"""The streaming reader: one pass over a log, line by line, in bytes, into a :class:`LogStore`.

A line is first stripped of a Render timestamp. If a multi-line entry is open, the line either
continues it (indented, a closing bracket, a ``key: value``) or the entry is flushed as cut. Else
the line's head picks its handler from a table: literal ``[Tag]`` prefixes (:class:`~.tagged.TaggedLines`),
then the heads that open an entry (:attr:`_Reader.entry_heads`: TRACE, VERBOSE, ``Matched``, ``After
processing``, ``THEN``), then startup and error lines (:class:`~.startup.StartupLines`), else the line is
known noise or counted as unknown. Nothing is decoded unless it is kept.
"""

from __future__ import annotations

import gc
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from sessioning.gen2025.readers.inspect_parse import UNDEFINED, JSFunction, parse_inspect
from sessioning.gen2025.readers.logs.attribution import RequestTracker
from sessioning.gen2025.readers.logs.backing import Backing, HeldFile, InMemory
from sessioning.gen2025.readers.logs.lines import (
    AFTER_WHERE,
    APP_TAG,
    CONCEPT_CLASS,
    CONTINUATION,
    ERROR_OUTPUT,
    ERRORISH,
    FLOW,
    MATCHED,
    PATH,
    QUOTED_TOKEN,
    REQUEST_ID,
    STRINGS,
    SYNC_ACTION,
    THEN,
    TIMESTAMP,
    TRACE_HEAD,
    scan,
)
from sessioning.gen2025.readers.logs.serverlog import ServerLog
from sessioning.gen2025.readers.logs.source import LogReadError, open_source
from sessioning.gen2025.readers.logs.startup import StartupLines
from sessioning.gen2025.readers.logs.store import (
    ATTR_FLOW,
    ATTR_ID,
    ATTR_NONE,
    FORMAT_TRACE,
    FORMAT_VERBOSE,
    KIND_ARRAY,
    KIND_ERROR,
    KIND_OK,
    KIND_OTHER,
    KIND_UNDEFINED,
    NO_TOKENS,
    ErrorRow,
    LogStore,
)
from sessioning.gen2025.readers.logs.tagged import TaggedLines

__all__ = ["LogReadError", "read_log"]

_MAX_ENTRY_LINES = 5000  # an entry longer than this is cut (a truncated or garbled log)
_CONTINUES = (b" ", b"\t", b"}", b"]", b")")  # first bytes of a line inside an open entry
_DUMP_CONTINUES = (b" ", b"\t", b"}", b"]")  # ... inside an error dump (stack lines, an error object)

Handler = Callable[..., None]


@dataclass
class _Pending:
    """A multi-line entry being read."""

    kind: str  # trace | verbose | matched | after | then
    line: int
    ts: bytes | None
    start: int
    parts: list[bytes]
    depth: int
    sep: int  # trace: index in parts of the line holding the separator (-1: not yet)
    sep_pos: int
    head: tuple[Any, ...] = ()


def _value_kind(out: Any) -> int:
    """KIND_* of a parsed VERBOSE output."""
    if isinstance(out, dict):
        return KIND_ERROR if "error" in out else KIND_OK
    return KIND_ARRAY if isinstance(out, list) else KIND_UNDEFINED if out is UNDEFINED else KIND_OTHER


class _Reader:
    """Streaming state machine: feed it lines (bytes, without newline) with their offsets."""

    def __init__(self, store: LogStore) -> None:
        self.store = store
        self.requests = RequestTracker(store)
        self.pending: _Pending | None = None
        self.bnames: dict[tuple[bytes, bytes], int] = {}
        self.append_action = store.append_action
        self.last_error: ErrorRow | None = None
        self.in_error_dump = False
        self.saw_trace = self.saw_verbose = False
        self.last_matched: dict[str | None, str] = {}
        #: lines starting with "[": (literal prefix, handler(line, lineno, ts, start, end)), first match wins
        self.tagged = TaggedLines(store, self.requests, self)
        self.tagged_prefixes = self.tagged.prefixes
        #: lines that open an entry, by their first byte: (pattern, handler(m, line, lineno, ts, start, end)),
        #: tried in order. TRACE heads can start with any letter and come first; THEN heads last.
        trace, then = (TRACE_HEAD, self._trace_start), (THEN, self._frames_start("then"))
        self.entry_heads: dict[bytes, tuple[tuple[re.Pattern[bytes], Handler], ...]] = {
            b"S": (trace, (re.compile(re.escape(SYNC_ACTION)), self._verbose_start), then),
            b"M": (trace, (MATCHED, self._frames_start("matched")), then),
            b"A": (trace, (AFTER_WHERE, self._frames_start("after")), then),
        }
        self.any_entry_heads = (trace, then)
        self.startup = StartupLines(store, self)

    # -- dispatch --------------------------------------------------------------------------

    def feed(self, raw: bytes, lineno: int, start: int, end: int) -> None:
        ts = None
        line = raw
        if 48 <= line[0] <= 57 and len(line) > 19 and line[4] == 45:  # a digit, then "-" at 4: a timestamp?
            m = TIMESTAMP.match(line)
            if m:
                ts = m.group(1)  # kept as bytes: decoded only if a table shows it
                line = line[m.end():]
                self.store.timestamps = True
        p = self.pending
        if p is not None:
            if not line or line.isspace():
                return
            c0 = line[:1]
            if (c0 in _CONTINUES or CONTINUATION.match(line)
                    or (c0 in (b"{", b"[") and not APP_TAG.match(line))):
                self._continue(p, line, end)  # indented, or a `key: value` line whose indent was trimmed
                return
            self._flush_truncated(p)
        if not line or line.isspace():
            return
        if self.in_error_dump and self._error_dump(line):
            return
        if line[:1] == b"[":
            for prefix, handler in self.tagged_prefixes:
                if line.startswith(prefix):
                    handler(line, lineno, ts, start, end)
                    return
            if APP_TAG.match(line):  # an app's own "[Concept.action] …" log line: counted, not unknown
                self.store.app_lines += 1
                return
        for head, start_entry in self.entry_heads.get(line[:1], self.any_entry_heads):
            m = head.match(line)
            if m:
                start_entry(m, line, lineno, ts, start, end)
                return
        self.startup.feed(line, lineno, ts, start, end)

    def _error_dump(self, line: bytes) -> bool:
        """Stack lines and an error object after an error attach to it; True if ``line`` was one."""
        if line[:1] in _DUMP_CONTINUES or ERRORISH.match(line) or line.startswith(b"Caused by"):
            if self.last_error is not None and len(self.last_error.stack) < 50:
                self.last_error.stack.append(line.decode("utf-8", "replace").rstrip())
            return True
        self.in_error_dump = False
        return False

    def add_error(self, lineno: int, ts: bytes | None, rix: int | None, kind: str, msg: str,
                  dump: bool = False) -> None:
        """Record an error; ``dump``: the lines that follow may be its stack."""
        self.last_error = self.store.add_error(lineno, ts, rix, kind, msg)
        if dump:
            self.in_error_dump = True

    # -- multi-line entries ----------------------------------------------------------------

    def _begin(self, kind: str, line: bytes, lineno: int, ts: bytes | None, start: int, end: int,
               head: tuple[Any, ...] = ()) -> None:
        p = _Pending(kind, lineno, ts, start, [line], 0, -1, -1, head)
        p.depth, _ = scan(line, 0, False)
        if p.depth <= 0:
            self._complete(p, end)
        else:
            self.pending = p

    def _verbose_start(self, m: re.Match[bytes], line: bytes, lineno: int, ts: bytes | None, start: int,
                       end: int) -> None:
        self.saw_verbose = True
        self._begin("verbose", line, lineno, ts, start, end)

    def _frames_start(self, kind: str) -> Handler:
        def begin(m: re.Match[bytes], line: bytes, lineno: int, ts: bytes | None, start: int, end: int) -> None:
            self.saw_verbose = True
            self._begin(kind, line, lineno, ts, start, end, tuple(m.groups()))

        return begin

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
        depth, pos = scan(rest, 0, True)
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
            depth, pos = scan(line, p.depth, want)  # the separator line: find it exactly
        else:  # a plain continuation line: count brackets outside strings
            s = STRINGS.sub(b"", line) if (b"'" in line or b'"' in line or b"`" in line) else line
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
        self.store.truncated_entries += 1
        if p.kind == "trace" and p.sep >= 0:  # keep what we have: the input is complete
            self._complete(p, p.start + sum(len(x) + 1 for x in p.parts))

    def _complete(self, p: _Pending, end: int) -> None:
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

    def _store(self, name: int, rix: int, kind: int, attr: int, lineno: int, start: int, end: int, fmt: int) -> None:
        self.append_action(name, rix, kind, attr, lineno, start, end, fmt)
        if rix >= 0:
            self.requests.active = rix

    def _respond(self, rid: str, lineno: int, ts: bytes | None) -> int:
        """A ``Requesting.respond`` for request id ``rid`` (the action about to be stored)."""
        rix = self.requests.by_request_id(rid, lineno, ts)
        self.store.requests[rix].responded(len(self.store.actions), lineno, ts)
        self.requests.close(rix)
        return rix

    def _action(self, concept: bytes, action: bytes, inp: bytes, out: bytes, lineno: int, ts: bytes | None,
                start: int, end: int) -> None:
        o = out.lstrip() if out[:1] in (b" ", b"\t") else out
        key = (concept, action)
        name_ix = self.bnames.get(key)
        if name_ix is None:
            name_ix = self.bnames[key] = self.store.intern(f"{concept.decode()}.{action.decode()}")
        rix, attr = -1, ATTR_NONE
        tracker = self.requests
        if concept == b"Requesting" and action == b"request":
            mid = REQUEST_ID.search(o)
            pm = PATH.search(inp)
            rix = tracker.new_request(mid.group(1).decode() if mid else None,
                                      pm.group(1).decode("utf-8", "replace") if pm else None, lineno, ts)
            self.store.requests[rix].input_ix = len(self.store.actions)
            attr = ATTR_ID
        elif concept == b"Requesting" and action == b"respond":
            mid = REQUEST_ID.search(inp)
            if mid:
                rix, attr = self._respond(mid.group(1).decode(), lineno, ts), ATTR_ID
        # the quoted input values attribute this action; input and output values, once registered,
        # attribute later actions that reuse them (authenticate's user id → Sessioning.create)
        toks = QUOTED_TOKEN.findall(inp) if rix < 0 or (attr == ATTR_ID and action == b"request") else NO_TOKENS
        if rix < 0:
            rix, attr = tracker.attribute(toks)
        # Remember the values later actions may reuse: the request's body and every action's output
        # (an action's other inputs came from those already); a respond closes its request anyway.
        if rix >= 0 and attr != ATTR_ID:
            tracker.register_tokens(rix, QUOTED_TOKEN.findall(out))
        elif attr == ATTR_ID and action == b"request":
            tracker.register_tokens(rix, toks)
        # KIND_* from the output's first bytes (inline: once per action)
        c = o[:1]
        kind = ((KIND_ERROR if ERROR_OUTPUT.match(o) else KIND_OK) if c == b"{" else KIND_ARRAY if c == b"["
                else KIND_UNDEFINED if o.startswith(b"undefined") else KIND_OTHER)
        self.append_action(name_ix, rix, kind, attr, lineno, start, end, FORMAT_TRACE)
        if rix >= 0:
            tracker.active = rix

    def _verbose_action(self, p: _Pending, end: int) -> None:
        text = b"\n".join(p.parts).decode("utf-8", "replace")
        rec = parse_inspect(text.split(":", 1)[1])
        if not isinstance(rec, dict):
            self.store.truncated_entries += 1
            return
        concept = rec.get("concept")
        if not isinstance(concept, str):  # printed as an instance (`SessioningConcept { … }`): take the class
            m = CONCEPT_CLASS.search(text)
            concept = m.group(1) if m else "?"
        concept = concept[:-7] if concept.endswith("Concept") and len(concept) > 7 else concept
        fn = rec.get("action")
        action = fn.name if isinstance(fn, JSFunction) else str(fn)
        flow = rec.get("flow") if isinstance(rec.get("flow"), str) else None
        inp, out = rec.get("input"), rec.get("output", UNDEFINED)
        rix, attr = -1, ATTR_NONE
        if concept == "Requesting" and action == "request":
            rid = out.get("request") if isinstance(out, dict) else None
            path = inp.get("path") if isinstance(inp, dict) else None
            rix, attr = self.requests.new_request(rid, path, p.line, p.ts), ATTR_ID
            r = self.store.requests[rix]
            r.input_ix = len(self.store.actions)
            if flow:
                self.requests.by_flow[flow] = rix
                r.flow = flow
        elif concept == "Requesting" and action == "respond" and isinstance(inp, dict) and inp.get("request"):
            rix, attr = self._respond(str(inp["request"]), p.line, p.ts), ATTR_ID
        elif flow and flow in self.requests.by_flow:
            rix, attr = self.requests.by_flow[flow], ATTR_FLOW
        self._store(self.store.intern(f"{concept}.{action}"), rix, _value_kind(out), attr, p.line, p.start, end,
                    FORMAT_VERBOSE)

    def _sync_event(self, p: _Pending) -> None:
        fm = FLOW.search(b"\n".join(p.parts))
        flow = fm.group(1).decode() if fm else None
        rix = self.requests.by_flow.get(flow) if flow else None
        r = self.store.requests[rix] if rix is not None else None
        if p.kind == "then":
            sync = p.head[0].decode()
            if r is not None:
                r.then_syncs = (r.then_syncs or []) + [sync]
            self.store.sync_events.append((p.line, f"then {JSFunction(p.head[1].decode()).name}", sync, flow, None,
                                           rix))
            return
        if p.kind == "matched":
            sync = p.head[0].decode()
            n = int(p.head[1]) if p.head[1] else None
            self.last_matched[flow] = sync
            if r is not None:
                r.matched = (r.matched or []) + [sync]
        else:  # after
            sync = self.last_matched.get(flow, "?")
            n = int(p.head[0]) if p.head[0] else None
            if r is not None:
                r.after = (r.after or []) + [sync]
        self.store.sync_events.append((p.line, p.kind, sync, flow, n, rix))

    def finish(self) -> None:
        if self.pending is not None:
            self._flush_truncated(self.pending)
        store = self.store
        store.log_level = ("VERBOSE" if self.saw_verbose else "TRACE" if self.saw_trace
                           else "OFF" if self.tagged.saw_requesting else None)
        if self.startup.saw_v1 or store.registered_syncs:
            store.engine_version = "v1"
        elif self.startup.saw_startup:
            store.engine_version = "v2"


#: a log this big (bytes) gets a progress bar when nobody asked (``progress=None``) and someone watches
PROGRESS_MIN_BYTES = 20_000_000


def _watched() -> bool:
    """Is stderr a terminal, or are we in a notebook? (Not when tests or a pipe capture stderr.)"""
    try:
        if sys.stderr.isatty():
            return True
    except (AttributeError, ValueError):  # a replaced or closed stderr
        return False
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"  # a Jupyter kernel


def _progress_bar(name: str, size: int, progress: bool | None) -> Any:
    """A tqdm bar on stderr, or None. ``progress=None``: for a big log that someone watches."""
    if not (progress if progress is not None else size > PROGRESS_MIN_BYTES and _watched()):
        return None
    from tqdm.auto import tqdm

    return tqdm(total=size, unit="B", unit_scale=True, desc=os.path.basename(name), file=sys.stderr)


def _feed_all(reader: _Reader, fh: IO[bytes], bar: Any, offset: int) -> tuple[int, int]:
    """Feed every line of ``fh`` (from byte ``offset`` on) to ``reader``; (lines, bytes up to the end)."""
    lineno = pending_bytes = 0
    feed = reader.feed
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
    if bar is not None:
        bar.update(pending_bytes)
    reader.finish()
    return lineno, offset


def read_log(source: str | os.PathLike[str] | bytes | IO[Any], progress: bool | None = None) -> ServerLog:
    """Read a course-engine server log: a path, pasted text, bytes or an open stream.

    UTF-8 (with or without a BOM), UTF-16 and UTF-32 are read. ``progress``: show a tqdm bar
    (``None`` = for logs over 20 MB, when stderr is a terminal or in a notebook). Raises
    ``FileNotFoundError`` (a :class:`~.source.LogNotFound`) for a missing path, :class:`LogReadError`
    for a directory or binary data, :class:`~sessioning.files.FileRefused` for a FIFO or a device;
    anything inside the log that it does not understand is kept and counted, never fatal.
    """
    src = open_source(source)
    store = LogStore()
    reader = _Reader(store)
    bar = _progress_bar(src.name, src.size - src.start, progress)
    # Millions of small objects and no cycles: the cyclic GC would re-scan them all, repeatedly.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        store.lines, store.bytes = _feed_all(reader, src.stream, bar, src.start)
        # A file stays open: the tables re-read entries from it, checking it did not change.
        backing: Backing = InMemory(src.data) if src.data is not None else HeldFile(src.stream, src.name, store.bytes)
    except BaseException:
        src.stream.close()
        raise
    finally:
        if gc_was_enabled:
            gc.enable()
        if bar is not None:
            bar.close()
    return ServerLog(src.name, store, backing)
