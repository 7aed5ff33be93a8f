"""The Requesting concept of the course template: an HTTP request as an action, answered by ``respond``."""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections import OrderedDict
from typing import Any

from sessioning.ids import bad_id_error, freshID

PREFIX = "Requesting" + "."
DEFAULT_TIMEOUT_MS = 10000
#: Requests awaiting a response that are kept at most (the oldest are forgotten first), as many as the
#: engine's default retention: a request whose cascade threw is never awaited, so without a bound
#: every 500 would stay pending for the life of the kernel.
DEFAULT_MAX_PENDING = 1000
_now = dt.datetime.now
_UTC = dt.UTC


class RequestTimeout(Exception):
    """``Request <id> timed out after <ms>ms`` — the template's message, word for word."""


class _Pending:
    # The event is made only for a handler that waits (wait=True), under the concept's lock, so a
    # request that is answered during its cascade (nearly all) costs no Event.
    __slots__ = ("event", "response", "responded")

    def __init__(self) -> None:
        self.event: threading.Event | None = None
        self.response: dict[str, Any] | None = None
        self.responded = 0


class RequestingConcept:
    """
    concept Requesting [Request]

    purpose: turn an HTTP request into an action that synchronizations can react to, and carry
    their answer back to the client.

    principle: after a request is made, the syncs it triggers run; when one of them responds, the
    client receives the response; if none responds within the timeout, the client gets 504.

    state:
        a set of `Request`s with
          an `input` Object (the whole body plus `path` — including any plaintext password)
          a `createdAt` Date
          an optional `response` Object
        (collection ``Requesting.requests``; plus, in memory, the requests still awaiting a response)

    actions:
        request (path: String, ...inputs): (request: Request)
            requires: true.
            effects: stores a new request with these inputs and marks it pending; returns it.

        respond (request: Request, ...response): (request: Request)
            requires: true.
            effects: the first respond for a pending request is what the client gets; every respond
            stores its response, so the last one is what the database keeps.

    queries:
        _awaitResponse (request: Request): (response: Object)
            requires: the request is pending, else throws
            ``Request <id> is not pending or does not exist: it may have timed-out.``
            effects: waits for the response; after ``timeout`` ms throws
            ``Request <id> timed out after <ms>ms``. The kit does not sit out the wait unless asked
            (``wait=True``): the cascade is over before this query runs, so nothing can respond later.

    Environment, as in the template: ``REQUESTING_TIMEOUT`` (ms, default 10000) and
    ``REQUESTING_SAVE_RESPONSES`` (a string, so even ``"false"`` is truthy).

    Memory: at most ``max_pending`` requests are held awaiting a response; beyond that the oldest
    is forgotten (awaiting it then says it "may have timed-out", the template's words). The HTTP
    front calls :meth:`release` when it answers without awaiting (a 500).
    """

    def __init__(self, db: Any, timeout: int | None = None, save_responses: bool | None = None,
                 max_pending: int = DEFAULT_MAX_PENDING) -> None:
        self.db = db
        self.requests = self.db.collection(PREFIX + "requests")
        env_timeout = os.environ.get("REQUESTING_TIMEOUT")
        self.timeout = int(timeout if timeout is not None else (env_timeout or DEFAULT_TIMEOUT_MS))
        env_save = os.environ.get("REQUESTING_SAVE_RESPONSES")
        self.save_responses = bool(save_responses if save_responses is not None else (env_save if env_save is not None else True))
        if isinstance(max_pending, bool) or not isinstance(max_pending, int) or max_pending < 1:
            raise ValueError("max_pending must be a positive number of requests")
        self.max_pending = max_pending
        self.pending: OrderedDict[str, _Pending] = OrderedDict()
        self._lock = threading.Lock()

    def request(self, **inputs: Any) -> dict[str, Any]:
        request = freshID()
        # ``inputs`` is this call's own dict (Python builds a new one for ``**inputs``): no copy needed.
        self.requests.insert_one({"_id": request, "input": inputs, "createdAt": _now(_UTC)})
        pending = self.pending
        pending[request] = _Pending()  # one dictionary write, atomic: no lock needed for it
        if len(pending) > self.max_pending:
            # Evicting is check-then-pop: under the lock, as every other removal is, so two requests
            # never evict more than their share. Only here is the lock taken: a lock's `with` is a
            # measurable part of a request.
            with self._lock:
                while len(pending) > self.max_pending:
                    pending.popitem(last=False)  # the oldest: its handler has long given up on it
        return {"request": request}

    def release(self, request: str) -> None:
        """Forget a pending request that will never be awaited (its handler answered 500)."""
        with self._lock:
            self.pending.pop(request, None)

    def respond(self, request: str, **response: Any) -> dict[str, Any]:
        if (problem := bad_id_error("request", request)) is not None:
            return {"error": problem}
        pending = self.pending.get(request)
        if pending is not None:
            lock = self._lock
            lock.acquire()  # the lock's own calls, not `with`: a third of the cost, once per request
            try:
                pending.responded += 1
                if pending.response is None:
                    pending.response = response  # this call's own dict; the database gets a copy below
                    if pending.event is not None:
                        pending.event.set()
            finally:
                lock.release()
        if self.save_responses:
            self.requests.update_one({"_id": request}, {"$set": {"response": dict(response)}})
        return {"request": request}

    def _awaitResponse(self, request: str, wait: bool = False) -> list[dict[str, Any]]:  # noqa: N802
        pending = self.pending.get(request) if isinstance(request, str) else None
        if pending is None:
            raise RuntimeError(f"Request {request} is not pending or does not exist: it may have timed-out.")
        try:
            if pending.response is None and wait:
                with self._lock:
                    if pending.event is None:
                        pending.event = threading.Event()
                    answered = pending.response is not None
                if not answered:
                    pending.event.wait(self.timeout / 1000)
            if pending.response is None:
                raise RequestTimeout(f"Request {request} timed out after {self.timeout}ms")
            return [{"response": pending.response}]
        finally:
            lock = self._lock
            lock.acquire()  # as in `respond`
            try:
                self.pending.pop(request, None)
            finally:
                lock.release()
