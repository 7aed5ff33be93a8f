"""The recorder: the observer that writes what the engine does into a :class:`~sessioning.record.Run`,
and :func:`replay`, which sends a recorded run's outside calls through an engine again.

Per action it keeps an :class:`~sessioning.record.ActionEntry` (with the database writes the action
made, when a write capture is plugged in); per sync tried, an :class:`~sessioning.record.Evaluation`.
Values are stored as they are; they become plain JSON data only when read or exported.
"""

from __future__ import annotations

import inspect
import re
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from contextvars import ContextVar, Token
from typing import Any

from sessioning.record import ActionEntry, Evaluation, Run, concept_name, plain

from .actions import ActionRecord
from .define import Sync
from .errors import error_facts
from .frames import current_where
from .observer import Cause, EngineObserver
from .skipping import SkippedGroup, expand_skipped

_new_entry = object.__new__

#: ``capture(sink)``: a context in which every database write is passed to ``sink`` (one dict each).
WriteCapture = Callable[[Callable[[dict[str, Any]], None]], AbstractContextManager]


class Recorder(EngineObserver):
    """Records every action and every sync tried into ``run``; ``capture_writes`` (plugged in by the
    app wiring, e.g. :func:`sessioning.db.watch.recording_writes`) adds each action's writes.

    An action's handle is ``(entry, where, capture)``: its :class:`ActionEntry`, the ``where`` that
    called it and the open write capture. A sync tried's handle is its :class:`Evaluation`."""

    wants_reports = True

    def __init__(self, run: Run, capture_writes: WriteCapture | None = None) -> None:
        self.run = run
        self.capture_writes = capture_writes
        self._last: tuple[str | None, Any] = (None, None)  # the flow last written to, and its log
        # The trial hooks whose whole work is one method of the evaluation (the trial comes first
        # in both): the engine calls that method straight away, one Python call less per sync tried.
        # The methods below say the same and keep `overrides` (which reads the class) true.
        self.when_matched = Evaluation.when_done
        self.where_returned = Evaluation.where_done
        self.then_resolved = Evaluation.keep_then
        self.sync_fired = Evaluation.fired.__set__  # the slot's own setter: (trial, n_frames), in C

    @property
    def capture_writes(self) -> WriteCapture | None:
        return self._capture

    @capture_writes.setter
    def capture_writes(self, capture: WriteCapture | None) -> None:
        self._capture = capture
        # A capture that says which context variable holds its sink (``recording_writes.var``) is
        # opened and closed by setting that variable: two calls in C per action, no Python frame.
        var = getattr(capture, "var", None)
        self._sink_var = var if isinstance(var, ContextVar) else None

    def _log(self, flow: str) -> Any:
        # A flow's actions and trials come one after another: one look-up per flow, not per step.
        last = self._last
        if last[0] == flow:
            return last[1]
        log = self.run.flow(flow)
        self._last = (flow, log)
        return log

    # -- actions -----------------------------------------------------------------------------------
    def action_started(self, record: ActionRecord, cause: Cause) -> tuple:
        last = self._last
        log = last[1] if last[0] == record.flow else self._log(record.flow)
        action = record.action
        # The entry's fields are set here without ``__init__`` (one Python call less per action, and
        # only the fields known now): the others read as their defaults until the action ends.
        entry = _new_entry(ActionEntry)
        entry.seq = self.run.next_seq()
        entry.id = record.id
        entry.flow = record.flow
        entry.concept = action.concept_name
        entry.action = action.name
        # An outside call's input is the caller's dict, copied; a `then` call's input is a dict the
        # engine built for this call alone, which nothing changes afterwards: it is kept as it is.
        entry.input = record.input if cause.sync is not None else dict(record.input)
        entry.sync = cause.sync
        entry.trigger = cause.trigger
        entry.depth = cause.depth
        entry.started = time.time()
        entry.writes = []
        entry._skipped = None  # read when syncs are skipped for it (an unset slot costs a __getattr__)
        log.actions.append(entry)
        # The write capture opens here rather than in `before_call`: nothing runs in between, and
        # with no `before_call` of its own the recorder is not called there at all.
        capture: Any = None
        if self._sink_var is not None:
            capture = self._sink_var.set(entry.writes.append)  # a Token
        elif self._capture is not None:
            capture = self._capture(entry.writes.append)
            capture.__enter__()
        return entry, current_where.get(), capture

    def action_returned(self, record: ActionRecord, handle: tuple, seconds: float) -> None:
        entry, where, capture = handle
        if type(capture) is Token:  # the usual capture, closed without a call
            capture.var.reset(capture)
        elif capture is not None:
            _close(capture)
        entry._seconds = seconds  # `duration_ms`, rounded, when read
        writes = entry.writes
        if len(writes) < 2:  # no write or one, the usual case: kept without the list (see ActionEntry)
            del entry.writes
            if writes:
                entry._write = writes[0]
        if where is not None:
            entry.called_from = where.sync
        output = entry.output = record.output
        entry.status = "error" if isinstance(output, dict) and "error" in output else "ok"

    def action_failed(self, record: ActionRecord, handle: tuple, error: BaseException) -> None:
        entry, _where, capture = handle
        if entry.status == "running":  # the action itself threw (not something in its cascade)
            if capture is not None:  # still open: `action_returned` closes it otherwise
                _close(capture)
            entry.status = "exception"
            entry.error = getattr(error, "original", None) or str(error)
            entry.error_type = type(error).__name__
            details = getattr(error, "details", None)  # pymongo's keyPattern / keyValue for E11000
            if isinstance(details, dict):
                entry.error_details = plain(details)

    # -- syncs tried ---------------------------------------------------------------------------------
    def sync_tried(self, record: ActionRecord, sync: Sync) -> Evaluation:
        flow = record.flow
        last = self._last
        log = last[1] if last[0] == flow else self._log(flow)
        # Built without ``__init__`` (one Python call less per sync tried), as ``Evaluation.__init__`` would.
        ev = _new_entry(Evaluation)
        ev.seq = self.run.next_seq()
        ev.flow = flow
        ev.trigger = record.id
        ev.trigger_action = record.action.label
        ev.sync = sync.name
        ev._when = ev._where = ev._then = None
        log._evaluations.append(ev)
        return ev

    def when_matched(self, trial: Evaluation, frames: list | None, reports: Sequence[Any] | None) -> None:
        trial.when_done(frames, reports)  # facts now, sentences when read

    def syncs_skipped(self, record: ActionRecord, syncs: tuple[Sync, ...]) -> None:
        first = self.run.reserve_seqs(len(syncs))
        last = self._last
        log = last[1] if last[0] == record.flow else self._log(record.flow)
        entry = _entry_of(log, record)
        if entry is not None and entry._skipped is None and type(syncs) is SkippedGroup:
            # The usual case, the record's first group: kept in its entry (no object of its own).
            entry._skip_first = first
            entry._skipped = syncs
            log.add_skipped(entry)
        else:
            log.add_skipped(SkippedSyncs(first, record if entry is None else entry, syncs))

    def where_started(self, trial: Evaluation) -> Evaluation:
        return trial  # Frames reports each step of `where` to the evaluation

    def where_returned(self, trial: Evaluation, frames: list) -> None:
        trial.where_done(frames)

    def then_resolved(self, trial: Evaluation, calls: list[tuple]) -> None:
        trial.keep_then(calls)  # the engine's (action, input, flow, id) tuples, written out when read

    def sync_fired(self, trial: Evaluation, n_frames: int) -> None:
        trial.fired = n_frames

    def sync_failed(self, trial: Evaluation, error: BaseException) -> None:
        if trial.error is None:  # the innermost evaluation keeps the first word
            trial.error = getattr(error, "original", None) or str(error)
            trial.error_type = type(error).__name__
            trial.error_facts = error_facts(error)


def _entry_of(log: Any, record: ActionRecord) -> ActionEntry | None:
    """The entry of ``record`` in ``log``: the last one, as syncs are tried for a record right after
    it returned, unless a sync tried before them ran actions (``None`` if it was not recorded)."""
    actions = log.actions
    if actions and actions[-1].id == record.id:
        return actions[-1]
    for entry in reversed(actions):
        if entry.id == record.id:
            return entry
    return None


def _close(capture: Any) -> None:
    """Close an action's write capture: reset its context variable, or leave its context."""
    if type(capture) is Token:
        capture.var.reset(capture)
    else:
        capture.__exit__(None, None, None)


_NAME = re.compile(r"_?[A-Za-z][A-Za-z0-9_]*")


def _replayable(concept: Any, name: Any) -> bool:
    """An action (``create``) or query (``_getUser``) of the concept's class: a plain function the
    class defines, never a dunder (``__setattr__``, ``__init__``), an attribute (``db``) or a property."""
    if not isinstance(name, str) or not _NAME.fullmatch(name) or name.startswith("__"):
        return False
    for klass in type(concept).__mro__[:-1]:  # not object's
        if name in vars(klass):
            return inspect.isfunction(vars(klass)[name])
    return False


class ThenCall:
    """One resolved ``then`` call as recorded: its plain form is written when read."""

    __slots__ = ("label", "given")

    def __init__(self, label: str, given: dict[str, Any]) -> None:
        self.label, self.given = label, given

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.label, "input": plain(self.given)}


class SkippedSyncs:
    """Syncs the engine did not try for one record (see ``EngineObserver.syncs_skipped``), when its
    entry cannot hold them (a second group for the same record, or a record not recorded): each
    becomes, when the flow's evaluations are read, the evaluation trying it would have recorded
    (:func:`~.skipping.expand_skipped`). ``record`` is the record or its entry."""

    __slots__ = ("first_seq", "record", "syncs")

    def __init__(self, first_seq: int, record: Any, syncs: tuple[Sync, ...]) -> None:
        self.first_seq, self.record, self.syncs = first_seq, record, syncs

    def expand(self) -> list[Evaluation]:
        return expand_skipped(self.syncs, self.first_seq, self.record)


def replay(run: Run, engine: Any, *, on_flow: Callable[[ActionEntry, Any], None] | None = None) -> list[Any]:
    """Re-issue each recorded outside call of ``run`` through ``engine`` (a fresh one, usually).

    Requests (root ``Requesting.request`` actions) go through ``engine.request`` with the recorded
    input; other root actions are called on the engine's instrumented concept of that name.
    Masked values in an exported run replay as the masked text. Returns the new responses/outputs.
    """
    results = []
    concepts = {concept_name(c.concept): c for c in engine.concepts}
    for log in list(run.flows.values()):
        roots = [a for a in log.actions if not a.depth and not a.called_from]
        for root in roots[:1]:
            if root.is_request:
                body = dict(root.input or {})
                path = body.pop("path", "/")
                result = engine.request(path, body)
            else:
                concept = concepts.get(root.concept)
                if concept is None:
                    raise ValueError(f"cannot replay {root.label}: that concept is not instrumented in this engine")
                if not _replayable(concept.concept, root.action):
                    raise ValueError(f"cannot replay {root.label!r}: not an action or query of {root.concept} "
                                     "(an exported run names only those; this one was edited)")
                result = getattr(concept, root.action)(**(root.input if isinstance(root.input, dict) else {}))
            results.append(result)
            if on_flow is not None:
                on_flow(root, result)
    return results


__all__ = ["Recorder", "SkippedSyncs", "ThenCall", "WriteCapture", "replay"]
