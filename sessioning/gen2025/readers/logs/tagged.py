"""Lines that start with a ``[Tag]`` the kit knows: the Requesting concept's, the seed's
``[Sessioning.create]`` and patched engines' ``[SyncEngine]`` lines.

:attr:`TaggedLines.prefixes` is the reader's table for them: a literal prefix and its handler,
first match wins.
"""

from __future__ import annotations

from collections.abc import Callable

from sessioning.gen2025.readers.logs.attribution import RequestTracker
from sessioning.gen2025.readers.logs.lines import (
    CHECKING_SYNC,
    NOT_PENDING_MESSAGE,
    RECEIVED,
    REQUEST_ERROR,
    REQUESTING_TAG,
    SESSION_FAILED,
    SESSION_OK,
    SESSION_TAG,
    SESSION_TRY,
    SYNC_ENGINE_TAG,
    TIMEOUT_MESSAGE,
)
from sessioning.gen2025.readers.logs.startup import ErrorSink
from sessioning.gen2025.readers.logs.store import SESSION_ATTEMPT, SESSION_CREATED, SESSION_ERROR, LogStore

__all__ = ["TaggedLines"]

Handler = Callable[[bytes, int, "bytes | None", int, int], None]


class TaggedLines:
    """Handlers for ``[Tag] …`` lines; each takes (line, lineno, ts, start, end)."""

    def __init__(self, store: LogStore, requests: RequestTracker, errors: ErrorSink) -> None:
        self.store = store
        self.requests = requests
        self.errors = errors
        self.saw_requesting = False  # Requesting lines without TRACE: Logging.OFF
        self.checking: str | None = None  # patched engines: the sync named by "Checking sync: X"
        #: (literal prefix, handler), first match wins
        self.prefixes: tuple[tuple[bytes, Handler], ...] = (
            (RECEIVED, self._received), (REQUEST_ERROR, self._request_error), (SESSION_TAG, self._session_line),
            (SYNC_ENGINE_TAG, self._sync_engine_line), (REQUESTING_TAG, self._requesting_line),
        )

    def _received(self, line: bytes, lineno: int, ts: bytes | None, start: int, end: int) -> None:
        self.saw_requesting = True
        self.requests.received_line(line[len(RECEIVED):].strip().decode("utf-8", "replace"), lineno, ts)

    def _request_error(self, line: bytes, lineno: int, ts: bytes | None, start: int, end: int) -> None:
        self.saw_requesting = True
        msg = line[len(REQUEST_ERROR):].strip().decode("utf-8", "replace")
        m = TIMEOUT_MESSAGE.search(msg) or NOT_PENDING_MESSAGE.search(msg)
        rix = self.requests.by_request_id(m.group(1), lineno, ts) if m else self.requests.current_open()
        if rix is not None:
            r = self.store.requests[rix]
            if r.error is None:
                r.error, r.error_line = msg, lineno
            r.end_line, r.end_ts = lineno, ts
            self.requests.close(rix)
        if m and m.re is TIMEOUT_MESSAGE and self.store.timeout_ms is None:
            self.store.timeout_ms = int(m.group(2))
        self.errors.add_error(lineno, ts, rix, "request", msg)

    def _requesting_line(self, line: bytes, lineno: int, ts: bytes | None, start: int, end: int) -> None:
        self.saw_requesting = True

    def _session_line(self, line: bytes, lineno: int, ts: bytes | None, start: int, end: int) -> None:
        tracker = self.requests
        if (m := SESSION_TRY.match(line)):
            owner = tracker.token_owner.get(m.group(1))
            rix = owner if owner is not None else tracker.active
            if rix is not None:
                self.store.requests[rix].session_logged = True
                tracker.own_token(m.group(2), rix)
            self.store.add_session_event(lineno, SESSION_ATTEMPT, rix, start, end)
        elif (m := SESSION_OK.match(line)):
            self.store.add_session_event(lineno, SESSION_CREATED, tracker.token_owner.get(m.group(1)), start, end)
        elif (m := SESSION_FAILED.match(line)):
            owner = tracker.token_owner.get(m.group(1))
            rix = owner if owner is not None else tracker.active
            msg = m.group(2).decode("utf-8", "replace")
            self.store.add_session_event(lineno, SESSION_ERROR, rix, start, end)
            self.errors.add_error(lineno, None, rix, "session", f"Error creating session: {msg}".strip(), dump=True)

    def _sync_engine_line(self, line: bytes, lineno: int, ts: bytes | None, start: int, end: int) -> None:
        """Patched engines' own lines: a sync whose `where` returned 0 frames is worth remembering."""
        self.store.patched_engine = True
        m = CHECKING_SYNC.search(line)
        if m:
            self.checking = m.group(1).decode("utf-8", "replace")
        elif b"returned 0 frames" in line and self.checking and self.requests.active is not None:
            r = self.store.requests[self.requests.active]
            r.matched = (r.matched or []) + [self.checking]
