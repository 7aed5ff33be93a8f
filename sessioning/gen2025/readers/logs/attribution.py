"""Which request an action belongs to, when the log does not say (TRACE lines carry no flow id).

In order of trust: the request id (``Requesting.request … => { request }`` and
``Requesting.respond { request }``); a value the action shares with what an open request
already showed (the user id ``authenticate`` returned, which ``Sessioning.create`` takes); the
VERBOSE flow token; and otherwise the pre-order walk (the open request with the latest activity).
"""

from __future__ import annotations

from collections import deque

from sessioning.gen2025.readers.logs.lines import UUID
from sessioning.gen2025.readers.logs.store import ATTR_NONE, ATTR_ORDER, ATTR_VALUE, NO_TOKENS, LogStore

__all__ = ["RequestTracker"]

_TOKEN_KEEP = 256  # closed requests whose values still attribute late actions
_TOKEN_MAP_MAX = 200_000  # values remembered before the map is rebuilt from recent requests only
_TOKENS_PER_REQUEST = 64


class RequestTracker:
    """The open requests of a log being read, and the values that attribute actions to them."""

    def __init__(self, store: LogStore) -> None:
        self.store = store
        self.by_id: dict[str, int] = {}
        self.by_flow: dict[str, int] = {}
        self.received: dict[str, deque[int]] = {}  # path → `Received request` records not yet given an id
        self.paths: dict[str, str] = {}  # one string per distinct path
        self.token_owner: dict[bytes, int] = {}
        self.closed: deque[int] = deque()
        self.open_reqs: dict[int, None] = {}  # requests without respond/error yet, in opening order
        self.active: int | None = None  # request with the most recent activity

    def _open(self, path: str | None, line: int, ts: bytes | None) -> int:
        rix = self.store.add_request(path, line, ts)
        self.open_reqs[rix] = None
        return rix

    def received_line(self, path: str, line: int, ts: bytes | None) -> None:
        """``[Requesting] Received request for path: …``: a request whose id comes with its action."""
        path = self.paths.setdefault(path, path)
        rix = self._open(path, line, ts)
        self.received.setdefault(path, deque()).append(rix)
        self.active = rix

    def new_request(self, rid: str | None, path: str | None, line: int, ts: bytes | None) -> int:
        """A ``Requesting.request`` action: the `Received` record for its path, or a new one."""
        reqs = self.store.requests
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
            rix = self._open(path, line, ts)
        r = reqs[rix]
        r.rid = rid
        r.path = self.paths.setdefault(path, path) if path is not None else r.path
        r.last_seen = line
        if rid is not None:
            self.by_id[rid] = rix
        self.active = rix
        return rix

    def by_request_id(self, rid: str, line: int, ts: bytes | None) -> int:
        """The request with id ``rid``; a new record if the log starts after it began."""
        rix = self.by_id.get(rid)
        if rix is None:
            rix = self._open(None, line, ts)
            self.store.requests[rix].rid = rid
            self.by_id[rid] = rix
        return rix

    def attribute(self, toks: list[bytes]) -> tuple[int, int]:
        """The request an action belongs to: one still open that owns one of its input values (an id
        decides), else the open request whose cascade is running, else a closed owner (an action after
        the respond), else none (a passthrough call)."""
        reqs = self.store.requests
        get = self.token_owner.get
        best = closed = -1
        for tok in toks:
            owner = get(tok)
            if owner is None or tok[:1] == b"/":
                continue
            if reqs[owner].open:
                if len(tok) == 36 and UUID.match(tok):
                    return owner, ATTR_VALUE
                if best < 0:
                    best = owner
            elif closed < 0:
                closed = owner
        if best >= 0:
            return best, ATTR_VALUE
        cur = self.current_open()
        if cur is not None:
            return cur, ATTR_ORDER
        return (closed, ATTR_VALUE) if closed >= 0 else (-1, ATTR_NONE)

    def register_tokens(self, rix: int, toks: list[bytes]) -> None:
        """Values of request ``rix`` that later actions may reuse (at most 64 per request)."""
        r = self.store.requests[rix]
        room = _TOKENS_PER_REQUEST - len(r.tokens)
        if room <= 0:
            return
        toks = toks[:room]
        if toks:  # dict.update with fromkeys: one C call instead of a Python loop
            self.token_owner.update(dict.fromkeys(toks, rix))
            r.tokens = r.tokens + toks if r.tokens else toks
            if len(self.token_owner) > _TOKEN_MAP_MAX:
                self._rebuild_tokens()

    def own_token(self, tok: bytes, rix: int) -> None:
        """``tok`` (a session id the seed logged) belongs to request ``rix``."""
        self.token_owner[tok] = rix

    def close(self, rix: int) -> None:
        """Request ``rix`` got its respond or error."""
        self.open_reqs.pop(rix, None)
        self.closed.append(rix)
        while len(self.closed) > _TOKEN_KEEP:  # old requests forget their values...
            self.store.requests[self.closed.popleft()].tokens = NO_TOKENS

    def _rebuild_tokens(self) -> None:
        """...and the value → request map is rebuilt from the remembered ones when it grows too big
        (amortised: far cheaper than deleting each value as its request closes)."""
        reqs = self.store.requests
        keep = sorted(set(self.closed) | set(list(self.open_reqs)[-1000:]))
        owner: dict[bytes, int] = {}
        for rix in keep:  # oldest first, so the most recent owner of a value wins
            if reqs[rix].tokens:
                owner.update(dict.fromkeys(reqs[rix].tokens, rix))
        self.token_owner = owner

    def current_open(self) -> int | None:
        """The open request with the latest activity (looking at the 64 most recently opened)."""
        reqs = self.store.requests
        if self.active is not None and reqs[self.active].open:
            return self.active
        best = None
        for n, rix in enumerate(reversed(self.open_reqs)):
            if n >= 64:
                break
            if best is None or reqs[rix].last_seen > reqs[best].last_seen:
                best = rix
        return best
