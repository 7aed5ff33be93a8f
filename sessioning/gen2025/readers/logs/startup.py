"""Lines outside requests: startup, build and crash lines, known noise, and what is left (unknown).

Tried after the reader's request and entry heads. Each pattern of :attr:`StartupLines.heads` has
its handler; then literal prefixes of known lines; then error prefixes; then a stack frame of the
last error; anything else is counted as unknown (its offsets kept, never fatal).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Protocol

from sessioning.gen2025.readers.logs.lines import (
    ARROW_LINE,
    ERROR_PREFIXES,
    HEAD_PREFIXES,
    INIT,
    KNOWN_PREFIXES,
    PASSTHROUGH_ERROR,
    STACK_FRAME,
    UNCAUGHT,
    UNVERIFIED,
)
from sessioning.gen2025.readers.logs.store import ErrorRow, LogStore

__all__ = ["ErrorSink", "StartupLines"]

#: the literal starts of the lines ERROR_PREFIXES name (bytes: tested before any decoding)
_ERROR_STARTS = tuple(prefix.encode() for prefix, _kind in ERROR_PREFIXES)
_SPACE_OR_DASH = (b" ", b"\t", b"\r", b"\x0b", b"\x0c", b"-")  # what `- Endpoint:` lines start with


class ErrorSink(Protocol):
    """Where errors go (the reader: it attaches the following stack lines to the last one)."""

    last_error: ErrorRow | None

    def add_error(self, lineno: int, ts: bytes | None, rix: int | None, kind: str, msg: str,
                  dump: bool = False) -> None: ...


class StartupLines:
    """Reads the lines no request or entry head claimed, into the store's startup facts."""

    def __init__(self, store: LogStore, errors: ErrorSink) -> None:
        self.store = store
        self.errors = errors
        self.saw_v1 = False  # v1 engines log the syncs they register
        self.saw_startup = False
        #: (pattern, handler(match, lineno, ts)), first match wins
        self.heads: tuple[tuple[re.Pattern[bytes], Callable[[re.Match[bytes], int, bytes | None], None]], ...] = (
            (UNCAUGHT, self._uncaught), (PASSTHROUGH_ERROR, self._passthrough_error),
            (UNVERIFIED, self._unverified), (INIT, self._init), (ARROW_LINE, self._arrow_line),
        )

    def feed(self, line: bytes, lineno: int, ts: bytes | None, start: int, end: int) -> None:
        if line.startswith(HEAD_PREFIXES):  # one C call rules out the heads for almost every line
            for head, handler in self.heads:
                m = head.match(line)
                if m:
                    handler(m, lineno, ts)
                    return
        if line.startswith(KNOWN_PREFIXES) and self._known(line):
            return
        if line.startswith(_ERROR_STARTS):
            text = line.decode("utf-8", "replace")
            for prefix, kind in ERROR_PREFIXES:
                if text.startswith(prefix):
                    self.errors.add_error(lineno, ts, None, kind, text[7:] if prefix == "error: " else text,
                                          dump=True)
                    return
        c0 = line[:1]
        if c0 in _SPACE_OR_DASH:
            if line.lstrip().startswith(b"- Endpoint:"):  # the stand-alone concept server's route list
                return
            last = self.errors.last_error
            if c0 in (b" ", b"\t") and last is not None and STACK_FRAME.match(line):
                last.stack.append(line.decode("utf-8", "replace").rstrip())
                return
        self.store.add_unknown(lineno, start, end, line)

    def _known(self, line: bytes) -> bool:
        """Startup and tool lines the kit knows (``line`` starts with one); some tell the engine version."""
        if line.startswith(b"Registering synchronizations from"):
            self.saw_v1 = True
        elif line.startswith((b"Listening on http", b"Server listening on")):
            self.store.startups += 1
            self.saw_startup = True
        elif line.startswith(b"Registering concept passthrough"):
            self.saw_startup = True
        return True

    def _uncaught(self, m: re.Match[bytes], lineno: int, ts: bytes | None) -> None:
        msg = m.group(1).decode("utf-8", "replace")
        self.errors.add_error(lineno, ts, None, "startup", msg[7:] if msg.startswith("Error: ") else msg, dump=True)

    def _passthrough_error(self, m: re.Match[bytes], lineno: int, ts: bytes | None) -> None:
        msg = m.group(3).decode("utf-8", "replace")
        self.errors.add_error(lineno, ts, None, "passthrough",
                              f"{m.group(1).decode()}.{m.group(2).decode()}: {msg}".rstrip(": "), dump=True)

    def _unverified(self, m: re.Match[bytes], lineno: int, ts: bytes | None) -> None:
        self.store.unverified_routes.append(m.group(1).decode())

    def _init(self, m: re.Match[bytes], lineno: int, ts: bytes | None) -> None:
        self.store.timeout_ms = int(m.group(1))
        self.saw_startup = True

    def _arrow_line(self, m: re.Match[bytes], lineno: int, ts: bytes | None) -> None:
        """``  -> /api/X/y`` (a verified route), ``  -> file.Export`` (a v1 sync), or a v1 load error."""
        val = m.group(1).strip().decode("utf-8", "replace")
        if val.startswith("/"):
            self.store.verified_routes.append(val)
        elif val.startswith("ERROR: Failed to load syncs"):
            self.store.sync_load_errors.append((lineno, val))
            self.errors.add_error(lineno, ts, None, "startup", val, dump=True)
        elif not val.startswith(("Found ", "ERROR")):
            self.store.registered_syncs.append(val)
