"""What the reader keeps of a log: compact columns and one small record per request.

The reader appends here; :class:`~.serverlog.ServerLog` and the findings read it. Every field is
public: this is the one place the facts of a log live. Actions are stored column by column
(``array`` of small ints and offsets into the source, names interned), never as one object per
action, because a 100 MB log has hundreds of thousands of them; their values are re-read from
the source and parsed only when a table asks.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field

from sessioning.gen2025.readers.logs.lines import TIMEOUT_MESSAGE

__all__ = [
    "KIND_OK", "KIND_ERROR", "KIND_UNDEFINED", "KIND_ARRAY", "KIND_OTHER", "KIND_NAMES",
    "ATTR_NONE", "ATTR_ID", "ATTR_VALUE", "ATTR_ORDER", "ATTR_FLOW", "ATTR_NAMES",
    "SESSION_ATTEMPT", "SESSION_CREATED", "SESSION_ERROR", "SESSION_EVENTS", "FORMAT_TRACE", "FORMAT_VERBOSE",
    "NO_TOKENS", "Request", "ErrorRow", "ActionColumns", "LogStore",
]

#: what an action returned: its output's first character decides (`{error: …}`, `[…]`, `undefined`)
KIND_OK, KIND_ERROR, KIND_UNDEFINED, KIND_ARRAY, KIND_OTHER = range(5)
KIND_NAMES = ("ok", "error", "undefined", "array", "other")
#: how an action's request was found (``attributed_by`` in the actions table)
ATTR_NONE, ATTR_ID, ATTR_VALUE, ATTR_ORDER, ATTR_FLOW = range(5)
ATTR_NAMES = (None, "id", "value", "order", "flow")
#: the seed's `[Sessioning.create]` lines
SESSION_ATTEMPT, SESSION_CREATED, SESSION_ERROR = range(3)
SESSION_EVENTS = ("attempt", "created", "error")
FORMAT_TRACE, FORMAT_VERBOSE = 0, 1
NO_TOKENS: list[bytes] = []  # shared, never appended to (a request's list is replaced, not mutated)


class Request:
    """One HTTP request through the Requesting catch-all (compact: ``__slots__``).

    Action indexes (``input_ix``: its ``Requesting.request``; ``first_ix``/``last_ix``: the first and
    last ``respond``; ``last_action_ix``) point into :class:`ActionColumns`; -1 means none.
    """

    __slots__ = ("rid", "path", "line", "ts", "end_line", "end_ts", "input_ix", "n_actions",
                 "responses", "first_ix", "last_ix", "error", "error_line",
                 "last_action", "last_kind", "last_action_ix", "session_logged", "tokens", "last_seen",
                 "flow", "matched", "after", "then_syncs")

    def __init__(self, path: str | None, line: int, ts: bytes | None) -> None:
        self.rid: str | None = None
        self.path = path
        self.line = line
        self.ts = ts
        self.end_line: int | None = None
        self.end_ts: bytes | None = None
        self.input_ix = -1
        self.n_actions = 0
        self.responses = 0
        self.first_ix = -1
        self.last_ix = -1
        self.error: str | None = None
        self.error_line: int | None = None
        self.last_action: str | None = None
        self.last_kind = KIND_OK
        self.last_action_ix = -1
        self.session_logged = False  # a `[Sessioning.create] Attempting …` line was printed for it
        self.tokens: list[bytes] = NO_TOKENS  # the values that attribute later actions to it
        self.last_seen = line
        self.flow: str | None = None  # VERBOSE: its flow token
        self.matched: list[str] | None = None  # VERBOSE / patched engines: syncs seen per stage
        self.after: list[str] | None = None
        self.then_syncs: list[str] | None = None

    @property
    def open(self) -> bool:
        """No respond and no error yet."""
        return self.responses == 0 and self.error is None

    def responded(self, ix: int, line: int, ts: bytes | None) -> None:
        """Action ``ix`` is a ``Requesting.respond`` for this request."""
        self.responses += 1
        if self.first_ix < 0:
            self.first_ix = ix
        self.last_ix = ix
        self.end_line, self.end_ts = line, ts

    def emptied(self) -> list[str]:
        """Syncs that matched for this request but never got past `where` (VERBOSE or a patched engine)."""
        return [s for s in (self.matched or []) if s not in (self.after or []) and s not in (self.then_syncs or [])]

    def outcome(self) -> tuple[str, int | None]:
        """(outcome, HTTP status) as the requests table shows them."""
        if self.error is not None:
            if TIMEOUT_MESSAGE.search(self.error):
                return "timed out", 504
            return "error 500", 500
        if self.responses > 1:
            return "responded twice", 200
        if self.responses == 1:
            return "responded", 200
        return "no response", None


@dataclass
class ErrorRow:
    """One error line (``[Requesting] Error processing request``, a startup crash, …) and its stack."""

    line: int
    ts: bytes | None
    req: int | None
    kind: str
    message: str
    stack: list[str] = field(default_factory=list)


class ActionColumns:
    """One row per completed action, column by column.

    ``line``: its first line; ``start``/``end``: byte offsets of its text in the source; ``name``: an
    index into :attr:`LogStore.names`; ``request``: an index into :attr:`LogStore.requests` (-1:
    none); ``kind``: ``KIND_*``; ``attribution``: ``ATTR_*``; ``format``: ``FORMAT_*``.
    """

    __slots__ = ("line", "start", "end", "name", "request", "kind", "attribution", "format", "appends")

    def __init__(self) -> None:
        self.line = array("q")
        self.start = array("q")
        self.end = array("q")
        self.name = array("l")
        self.request = array("l")
        self.kind = array("b")
        self.attribution = array("b")
        self.format = array("b")
        #: bound `array.append`s, in column order: no attribute lookups per action on the hot path
        self.appends = (self.line.append, self.start.append, self.end.append, self.name.append,
                         self.request.append, self.kind.append, self.attribution.append, self.format.append)

    def __len__(self) -> int:
        return len(self.line)

    def append(self, line: int, start: int, end: int, name: int, request: int, kind: int, attribution: int,
               fmt: int) -> int:
        """Add one action; its index."""
        ap = self.appends
        ap[0](line)
        ap[1](start)
        ap[2](end)
        ap[3](name)
        ap[4](request)
        ap[5](kind)
        ap[6](attribution)
        ap[7](fmt)
        return len(self.line) - 1


class LogStore:
    """Everything read from one log: settings detected, counts, and the columns the tables read."""

    def __init__(self) -> None:
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
        self.app_lines = 0
        self.truncated_entries = 0
        # unrecognised lines: counted, a sample kept, and their offsets to re-read them on demand
        self.unknown_count = 0
        self.unknown_sample: list[tuple[int, str]] = []
        self.unknown_line = array("q")
        self.unknown_start = array("q")
        self.unknown_end = array("q")
        # `[Sessioning.create]` lines: line, SESSION_*, request (-1: none), offsets
        self.session_line = array("q")
        self.session_kind = array("b")
        self.session_request = array("l")
        self.session_start = array("q")
        self.session_end = array("q")
        #: VERBOSE sync events: (line, event, sync, flow, frames, request index or None)
        self.sync_events: list[tuple[int, str, str | None, str | None, int | None, int | None]] = []
        self.actions = ActionColumns()
        self.names: list[str] = []  # interned `Concept.action` names
        self.requests: list[Request] = []
        self.errors: list[ErrorRow] = []
        self._name_ix: dict[str, int] = {}
        self._action_appends = self.actions.appends

    def intern(self, name: str) -> int:
        """The index of ``Concept.action`` in :attr:`names` (added on first use)."""
        ix = self._name_ix.get(name)
        if ix is None:
            ix = self._name_ix[name] = len(self.names)
            self.names.append(name)
        return ix

    def append_action(self, name: int, rix: int, kind: int, attribution: int, line: int, start: int, end: int,
                      fmt: int) -> int:
        """Add one action (and count it in its request); its index."""
        ap = self._action_appends  # ActionColumns.append inlined: this runs once per action
        ap[0](line)
        ap[1](start)
        ap[2](end)
        ap[3](name)
        ap[4](rix)
        ap[5](kind)
        ap[6](attribution)
        ap[7](fmt)
        ix = len(self.actions.line) - 1
        if rix >= 0:
            r = self.requests[rix]
            r.n_actions += 1
            r.last_action = self.names[name]
            r.last_kind = kind
            r.last_action_ix = ix
            r.last_seen = line
        return ix

    def add_request(self, path: str | None, line: int, ts: bytes | None) -> int:
        """A new request record; its index."""
        self.requests.append(Request(path, line, ts))
        return len(self.requests) - 1

    def add_error(self, line: int, ts: bytes | None, rix: int | None, kind: str, message: str) -> ErrorRow:
        e = ErrorRow(line, ts, rix, kind, message)
        self.errors.append(e)
        return e

    def add_session_event(self, line: int, kind: int, rix: int | None, start: int, end: int) -> None:
        self.session_line.append(line)
        self.session_kind.append(kind)
        self.session_request.append(-1 if rix is None else rix)
        self.session_start.append(start)
        self.session_end.append(end)

    def add_unknown(self, line: int, start: int, end: int, raw: bytes) -> None:
        """An unrecognised line: counted, its offsets kept (re-read on demand), the first 20 sampled."""
        self.unknown_count += 1
        self.unknown_line.append(line)
        self.unknown_start.append(start)
        self.unknown_end.append(end)
        if len(self.unknown_sample) < 20:  # decoded only here: most unknown lines are never shown
            self.unknown_sample.append((line, raw.decode("utf-8", "replace")[:300]))

    def request_id(self, rix: int) -> str | None:
        """The request id of request index ``rix`` (None for -1 or an id never logged)."""
        return None if rix < 0 else self.requests[rix].rid
