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
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from sessioning.record import ActionEntry, Evaluation, Run, concept_name, plain

from .actions import ActionRecord
from .define import Sync
from .errors import error_facts
from .frames import current_where
from .matching import Report, match_facts
from .observer import Cause, EngineObserver
from .vars import FLOW

#: ``capture(sink)``: a context in which every database write is passed to ``sink`` (one dict each).
WriteCapture = Callable[[Callable[[dict[str, Any]], None]], AbstractContextManager]


class _Recording:
    """The recorder's handle for one action: its entry, the ``where`` that called it, the open capture."""

    __slots__ = ("entry", "where", "capture")

    def __init__(self, entry: ActionEntry, where: Any) -> None:
        self.entry = entry
        self.where = where
        self.capture: AbstractContextManager | None = None

    def stop_capture(self) -> None:
        if self.capture is not None:
            capture, self.capture = self.capture, None
            capture.__exit__(None, None, None)


class Recorder(EngineObserver):
    """Records every action and every sync tried into ``run``; ``capture_writes`` (plugged in by the
    app wiring, e.g. :func:`sessioning.db.watch.recording_writes`) adds each action's writes."""

    wants_reports = True

    def __init__(self, run: Run, capture_writes: WriteCapture | None = None) -> None:
        self.run = run
        self.capture_writes = capture_writes
        self._last: tuple[str | None, Any] = (None, None)  # the flow last written to, and its log

    def _log(self, flow: str) -> Any:
        # A flow's actions and trials come one after another: one look-up per flow, not per step.
        last = self._last
        if last[0] == flow:
            return last[1]
        log = self.run.flow(flow)
        self._last = (flow, log)
        return log

    # -- actions -----------------------------------------------------------------------------------
    def action_started(self, record: ActionRecord, cause: Cause) -> _Recording:
        log = self._log(record.flow)
        entry = ActionEntry(
            self.run.next_seq(), record.id, record.flow, record.action.concept_name, record.action.name,
            dict(record.input), sync=cause.sync, trigger=cause.trigger, depth=cause.depth, started=time.time(),
        )
        log.actions.append(entry)
        return _Recording(entry, current_where.get())

    def before_call(self, record: ActionRecord, handle: _Recording) -> None:
        if self.capture_writes is not None:
            handle.capture = self.capture_writes(handle.entry.writes.append)
            handle.capture.__enter__()

    def action_returned(self, record: ActionRecord, handle: _Recording, seconds: float) -> None:
        handle.stop_capture()
        entry = handle.entry
        entry.duration_ms = round(seconds * 1000, 3)
        if handle.where is not None:
            entry.called_from = handle.where.sync
        output = entry.output = record.output
        entry.status = "error" if isinstance(output, dict) and "error" in output else "ok"

    def action_failed(self, record: ActionRecord, handle: _Recording, error: BaseException) -> None:
        handle.stop_capture()
        entry = handle.entry
        if entry.status == "running":  # the action itself threw (not something in its cascade)
            entry.status = "exception"
            entry.error = getattr(error, "original", None) or str(error)
            entry.error_type = type(error).__name__
            details = getattr(error, "details", None)  # pymongo's keyPattern / keyValue for E11000
            if isinstance(details, dict):
                entry.error_details = plain(details)

    # -- syncs tried ---------------------------------------------------------------------------------
    def sync_tried(self, record: ActionRecord, sync: Sync) -> Evaluation:
        ev = Evaluation(self.run.next_seq(), record.flow, record.id, record.action.label, sync.name)
        self._log(record.flow).add_evaluation(ev)
        return ev

    def when_matched(self, trial: Evaluation, frames: list | None, reports: list[Any] | None) -> None:
        if reports:
            trial.add_reports(reports)  # facts now, sentences when read
        trial.frames_when = frames

    def syncs_skipped(self, record: ActionRecord, syncs: tuple[Sync, ...]) -> None:
        first = self.run.reserve_seqs(len(syncs))
        self._log(record.flow).add_skipped(SkippedSyncs(first, record, syncs))

    def where_started(self, trial: Evaluation) -> Evaluation:
        return trial  # Frames reports each step of `where` to the evaluation

    def where_returned(self, trial: Evaluation, frames: list) -> None:
        trial.frames_where = frames

    def then_resolved(self, trial: Evaluation, calls: list[tuple]) -> None:
        trial.add_then([ThenCall(action.label, given) for action, given, _flow, _id in calls])

    def sync_fired(self, trial: Evaluation, n_frames: int) -> None:
        trial.fired = n_frames

    def sync_failed(self, trial: Evaluation, error: BaseException) -> None:
        if trial.error is None:  # the innermost evaluation keeps the first word
            trial.error = getattr(error, "original", None) or str(error)
            trial.error_type = type(error).__name__
            trial.error_facts = error_facts(error)


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
    """Syncs the engine did not try for one record (see ``EngineObserver.syncs_skipped``): each
    becomes, when the flow's evaluations are read, the evaluation trying it would have recorded.

    Trying one would have matched its first ``when`` pattern against the one record of that action
    in the flow, this one, from the flow's first frame, and failed on its input (which does not
    change), so that is what :meth:`expand` reports; the later patterns are not reached."""

    __slots__ = ("first_seq", "record", "syncs")

    def __init__(self, first_seq: int, record: ActionRecord, syncs: tuple[Sync, ...]) -> None:
        self.first_seq, self.record, self.syncs = first_seq, record, syncs

    def expand(self) -> list[Evaluation]:
        record, out = self.record, []
        for k, sync in enumerate(self.syncs):
            ev = Evaluation(self.first_seq + k, record.flow, record.id, record.action.label, sync.name)
            _frame, _progress, facts = match_facts(sync.when[0], record, {FLOW: record.flow})
            ev.add_reports([Report(0, sync.when[0], 0, facts)]
                           + [Report(j, sync.when[j], 0, None) for j in range(1, len(sync.when))])
            ev.frames_when = []
            out.append(ev)
        return out


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
