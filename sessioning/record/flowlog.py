"""One flow as recorded (:class:`FlowLog`): its actions and the syncs tried on the way, with its
answer when the HTTP front started it, and its exported form."""

from __future__ import annotations

import datetime as dt
from time import time as _time
from typing import Any

from sessioning.diagrams import Diagram, flow_diagram

from .model import ActionEntry, Evaluation
from .values import plain

_UTC = dt.UTC


class FlowLog:
    """One flow: every action that ran in it, in order, and every sync tried on the way."""

    __slots__ = ("flow", "actions", "_evaluations", "_lazy", "request", "_path", "_started", "_response", "_answer",
                 "outcome")

    def __init__(self, flow: str) -> None:
        self.flow = flow
        self.actions: list[ActionEntry] = []
        # Evaluations, and syncs skipped as a group (expanded when read). Every object a retained
        # flow keeps is traversed by the garbage collector, so nothing here is kept for speed alone
        # (the recorder appends to this list itself).
        self._evaluations: list[Any] = []
        self._lazy = False
        self.request: str | None = None  # set by the HTTP front, for flows it started
        self._path: str | None = None
        self._started: Any = _time()  # the clock's reading; the ISO text is written when first read
        self._response: Any = None  # status/body/error, for engine.request flows (see `response`)
        self._answer: Any = None  # a 200 answer as it was given, its plain form not written yet (see `answered`)
        self.outcome: str | None = None

    @property
    def evaluations(self) -> list[Evaluation]:
        """Every sync tried in this flow, in order (``seq``)."""
        if self._lazy:
            # The engine skips syncs that cannot match (their literal input differs) and records
            # them as one group; each becomes the evaluation it would have been, when first read.
            # In place, over what is there now: an evaluation recorded meanwhile is kept.
            self._lazy = False
            items = self._evaluations
            n = len(items)
            expanded: list[Evaluation] = []
            for item in items[:n]:
                if type(item) is Evaluation:
                    expanded.append(item)
                elif type(item) is ActionEntry:  # the entry of the record the syncs were skipped for
                    expanded.extend(item._skipped.expand(item._skip_first, item))
                else:
                    expanded.extend(item.expand())
            items[:n] = expanded
        return self._evaluations

    @evaluations.setter
    def evaluations(self, evaluations: list[Evaluation]) -> None:
        self._evaluations = evaluations
        self._lazy = False

    def add_skipped(self, group: Any) -> None:
        """Keep a group of syncs skipped at once: an object whose ``expand()`` gives their
        evaluations, or the :class:`ActionEntry` they were skipped for, which holds the group in
        ``_skipped`` (whose ``expand(first_seq, entry)`` gives them) and its first sequence number
        in ``_skip_first``. The entry and the group (the engine's, shared by every flow) are kept
        anyway, so the usual group costs the record no object of its own."""
        self._evaluations.append(group)
        self._lazy = True

    @property
    def started(self) -> str | None:
        """When the flow started, as ISO 8601 text (UTC)."""
        started = self._started
        if type(started) is float:
            started = self._started = dt.datetime.fromtimestamp(started, _UTC).isoformat()
        elif type(started) is dt.datetime:
            started = self._started = started.isoformat()
        return started

    @started.setter
    def started(self, value: str | None) -> None:
        self._started = value

    @property
    def response(self) -> dict[str, Any] | None:
        """What the HTTP front answered: ``{status, body, message, error_type}`` (``facts`` too for an
        error); ``None`` for a flow it did not start."""
        answer = self._answer
        if answer is not None:  # an answer kept as it was given: its plain form is written now
            body, message = answer if type(answer) is tuple else (answer, None)
            self._response = {"status": 200, "body": plain(body), "message": message, "error_type": None}
            self._answer = None
        return self._response

    @response.setter
    def response(self, value: dict[str, Any] | None) -> None:
        self._response = value
        self._answer = None

    def answered(self, request: str | None, path: str | None, body: dict[str, Any], message: str | None) -> None:
        """The HTTP front answered ``request`` (for ``path``) 200 with ``body``, a copy it made for
        the record: kept as it is, its plain form written when :attr:`response` is first read. The
        body alone when there is no message (the usual case): a tuple would be one more object for
        the garbage collector to traverse for as long as the flow is kept."""
        self.request, self._path = request, path
        self._answer = body if message is None and type(body) is dict else (body, message)
        self.outcome = "responded"

    @property
    def root(self) -> ActionEntry | None:
        """The outside call that started this flow (depth 0), or ``None`` for an empty flow."""
        first = self.actions[0] if self.actions else None
        return first if first is not None and not first.depth else None

    def _request_action(self, part: str) -> ActionEntry | None:
        for a in self.actions:
            if a.is_request and isinstance(getattr(a, part), dict):
                return a
        return None

    @property
    def request_id(self) -> str | None:
        """The request this flow answers: as the HTTP front recorded it, else the output of its
        ``Requesting.request``; ``None`` for a flow that is not a request."""
        if self.request:
            return self.request
        a = self._request_action("output")
        return a.output.get("request") if a is not None else None

    @property
    def path(self) -> str | None:
        """The request's path (after the base URL): as recorded, else the ``Requesting.request`` input."""
        if self._path:
            return self._path
        a = self._request_action("input")
        return a.input.get("path") if a is not None else None

    @path.setter
    def path(self, value: str | None) -> None:
        self._path = value

    def diagram(self, highlight: int | None = None, reveal: bool | None = None) -> Diagram:
        """This flow as a sequence diagram (Mermaid in JupyterLab, text elsewhere); ``highlight``
        shades one action (0-based)."""
        return flow_diagram(self, highlight=highlight, reveal=reveal)

    def to_dict(self) -> dict[str, Any]:
        return {
            "flow": self.flow, "request": self.request, "path": self._path, "started": self.started,
            "response": self.response, "outcome": self.outcome,
            "actions": [a.to_dict() for a in self.actions], "evaluations": [e.to_dict() for e in self.evaluations],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FlowLog:
        log = cls(data["flow"])
        log.request, log._path = data.get("request"), data.get("path")
        log.started, log.response, log.outcome = data.get("started"), data.get("response"), data.get("outcome")
        log.actions = [ActionEntry.from_dict(a) for a in data.get("actions") or ()]
        log.evaluations = [Evaluation.from_dict(e) for e in data.get("evaluations", [])]
        return log


__all__ = ["FlowLog"]
