"""The sync engine: the course engine's ``SyncConcept`` semantics in Python.

Rules (course-engine.md §4-§10): a new flow per outside call, inherited by ``then`` actions;
``when`` matches only records of the current flow, partially, with ``None`` present and absent
keys missing; an empty output pattern matches every completion; ``synced`` marks let a record
take part in a sync at most once; ``where`` runs only on non-empty frames (v2); every ``then``
input is resolved before any action runs; ``then`` output patterns bind nothing; execution is
depth-first and sequential; the engine catches nothing.

A request travels: :meth:`Engine.invoke` (store the record, run the method, print TRACE) →
:meth:`Engine.synchronize` (each sync whose ``when`` names the action) → :meth:`Engine.fire`
(``when`` via :mod:`.matching`, ``where``, then :meth:`Engine.resolve_then`) → ``invoke`` again
for each ``then`` call, depth-first. What happens is reported to the observer
(:mod:`.observer`): the recorder, fault injection. The HTTP front lives beside the Requesting
concept (:mod:`sessioning.gen2025.server`), not here.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from time import perf_counter
from typing import Any

from sessioning import console
from sessioning.ids import random_v4
from sessioning.record import Run

from . import trace
from .actions import ActionRecord, ActionStore
from .define import Sync, build_sync, named_syncs
from .errors import ActionMissing, EngineError, MissingActionId, MissingBinding, NotIterable
from .explain import explain_missing_binding
from .frames import Frames, current_where, frames_from
from .instrument import InstrumentedAction, InstrumentedConcept
from .matching import match_when, when_frames
from .observer import ACTION_HOOKS, OUTSIDE, TRIAL_HOOKS, Cause, EngineObserver, combine, overrides
from .recorder import Recorder
from .skipping import SkippedGroup, SyncIndex
from .trace import Logging
from .vars import FLOW, Var

# Logging levels as plain module constants: reading ``Logging.TRACE`` goes through the enum class
# each time, and the engine asks several times per action.
_TRACE = Logging.TRACE
_VERBOSE = Logging.VERBOSE
_where_get = current_where.get
# What observers are told a ``when`` that matched nothing gave, when no ``where`` will see it: one
# shared empty ``Frames`` (observers only read it; the recorder keeps one per sync tried).
_NO_FRAMES = Frames()

#: One resolved ``then`` call: the action, its input, the flow it joins and its new action id.
Call = tuple[InstrumentedAction, dict[str, Any], str, str]


class Engine:
    """Instrument concepts, register syncs, and run flows exactly as the course engine would.

    ``logging``: ``Logging.TRACE`` (default, like ``main.ts``), ``VERBOSE`` or ``OFF``.
    ``version``: 2 (``where`` only on non-empty frames) or 1 (the 2025-10-25 engine).
    ``retention``: how many flows the record keeps (``None`` = all); ``record=False`` keeps none.
    """

    def __init__(self, logging: Logging | str = Logging.TRACE, *, version: int = 2,
                 retention: int | None = 1000, record: bool = True) -> None:
        self.logging = Logging[logging.upper()] if isinstance(logging, str) else Logging(logging)
        if version not in (1, 2):
            raise ValueError("version is 1 (where runs on zero frames) or 2 (the engine most apps run)")
        self.version = version
        self.syncs: dict[str, Sync] = {}
        self.syncs_by_action: dict[InstrumentedAction, list[Sync]] = {}
        self.skipping = SyncIndex(self)
        self.concepts: list[InstrumentedConcept] = []
        self.actions = ActionStore()
        self.run = Run(retention)
        self.recorder = Recorder(self.run)
        self._observers: list[EngineObserver] = [self.recorder] if record else []
        self._combine()

    def __repr__(self) -> str:
        return f"<Engine v{self.version}, logging {self.logging.name}, {len(self.concepts)} concepts, {len(self.syncs)} syncs>"

    # The store's maps under their old names (tests check that finished flows are freed).
    @property
    def _flows(self) -> dict[str, list[ActionRecord]]:
        return self.actions.flows

    @property
    def _by_id(self) -> dict[str, ActionRecord]:
        return self.actions.ids

    def _match_when(self, sync: Sync, record: ActionRecord, _evaluation: Any = None) -> Frames:
        """The frames of ``sync``'s ``when`` for ``record`` (the old name, used by the property tests)."""
        return Frames(match_when(sync, record, self.actions.by_flow(record.flow)))

    # -- observers ----------------------------------------------------------------------------------
    def add_observer(self, observer: EngineObserver) -> None:
        """Report every step to ``observer`` too (after the ones added before it)."""
        self._observers.append(observer)
        self._combine()

    def remove_observer(self, observer: EngineObserver) -> None:
        self._observers.remove(observer)
        self._combine()

    def _combine(self) -> None:
        # One observer per scope: what listens to actions, what listens to syncs tried.
        self._on_action = combine(self._observers, ACTION_HOOKS)
        self._on_trial = combine(self._observers, TRIAL_HOOKS)
        # Which hooks do something: the others are not called at all (recording off, most are no-ops).
        self._hear_started = overrides(self._on_action, ("action_started",))
        self._hear_returned = overrides(self._on_action, ("action_returned",))
        self._hear_trials = overrides(self._on_trial, TRIAL_HOOKS)

    @property
    def recording(self) -> bool:
        """Whether the run is being recorded (``engine.recording = False`` stops it)."""
        return self.recorder in self._observers

    @recording.setter
    def recording(self, on: bool) -> None:
        if on and not self.recording:
            self._observers.insert(0, self.recorder)
        elif not on and self.recording:
            self._observers.remove(self.recorder)
        self._combine()

    # -- setting up ---------------------------------------------------------------------------------
    def instrument(self, concept: Any) -> InstrumentedConcept:
        """Wrap a concept: its actions become instrumented, its ``_queries`` stay plain."""
        if isinstance(concept, InstrumentedConcept):
            raise TypeError("this concept is already instrumented")
        wrapped = InstrumentedConcept(self.invoke, concept)
        self.concepts.append(wrapped)
        return wrapped

    def register(self, syncs: Mapping[str, Callable] | Iterable[Callable] | types.ModuleType) -> None:
        """Register syncs: ``{name: function}``, a list of functions, or a module of them.

        Each function is called once with one fresh variable per parameter; it returns
        ``{"when": actions(...), "where": optional function, "then": actions(...)}``.
        """
        for name, fn in named_syncs(syncs):
            sync = build_sync(name, fn)
            self.syncs[name] = sync
            self.run.syncs.append(name)
            self.run.sync_defs[name] = sync.definition()
            seen = set()
            for pattern in sync.when:
                if pattern.action not in seen:
                    seen.add(pattern.action)
                    self.syncs_by_action.setdefault(pattern.action, []).append(sync)
        self.skipping.clear()

    # -- running actions ----------------------------------------------------------------------------
    def invoke(self, action: InstrumentedAction, given: dict[str, Any], flow: str | None = None,
               cause: Cause = OUTSIDE, action_id: str | None = None) -> Any:
        """Run ``action`` with ``given`` and its whole cascade of syncs; its output.

        Without ``flow`` this is an outside call: a new flow, forgotten once the call returns."""
        if flow is not None and not isinstance(flow, str):
            raise EngineError("Flow token not string.")
        if not flow:
            flow = random_v4()
        record = ActionRecord(action_id or random_v4(), action, given, flow)
        self.actions.invoke(record)
        observer = self._on_action
        handle = observer.action_started(record, cause) if self._hear_started else None
        try:
            observer.before_call(record, handle)
            started = perf_counter()
            if _where_get() is None:
                output = action.call_method(given)
            else:
                token = current_where.set(None)  # an action called inside `where` is not part of it
                try:
                    output = action.call_method(given)
                finally:
                    current_where.reset(token)
            record.output = output
            if self._hear_returned:
                observer.action_returned(record, handle, perf_counter() - started)
            if self.logging == _TRACE:
                console.log(trace.trace_line(action.label, given, output))
            self.synchronize(record, cause.depth + 1)
            return output
        except BaseException as e:
            observer.action_failed(record, handle, e)
            raise
        finally:
            if cause is OUTSIDE:
                self.actions.forget_flow(flow)

    # -- synchronizing ------------------------------------------------------------------------------
    def synchronize(self, record: ActionRecord, depth: int) -> None:
        """Try every sync whose ``when`` names ``record``'s action, in registration order."""
        if self.logging == _VERBOSE:
            console.log(trace.verbose_record(record))
        if record.action not in self.syncs_by_action:
            return  # no sync names this action (a respond): no plan to ask for
        observer = self._on_trial
        heard = self._hear_trials
        for sync in self.skipping.plan(record):
            if type(sync) is SkippedGroup:  # syncs that cannot match this record: reported, not tried
                if heard:
                    observer.syncs_skipped(record, sync)
                continue
            trial = observer.sync_tried(record, sync) if heard else None
            try:
                self.fire(sync, record, depth, trial)
            except BaseException as e:
                if heard:
                    observer.sync_failed(trial, e)
                if isinstance(e, EngineError):
                    e.add_context(sync=sync.name, flow=record.flow)
                raise

    def fire(self, sync: Sync, record: ActionRecord, depth: int, trial: Any) -> None:
        """Match ``when``, run ``where``, then run every resolved ``then`` call in order."""
        observer = self._on_trial
        heard = self._hear_trials
        reports: Sequence[Any] | None = [] if heard and observer.wants_reports else None
        try:
            matched, shared = when_frames(sync, record, self.actions.flows.get(record.flow, ()), reports)
        except BaseException:
            if heard:
                observer.when_matched(trial, None, reports)  # the patterns before the one that threw
            raise
        if shared is not None:  # the same reports as in every other flow: observers get the shared tuple
            reports = shared
        if not matched and (self.version == 2 or sync.where is None):
            if heard:
                observer.when_matched(trial, _NO_FRAMES, reports)
            return
        frames = frames_from(matched)
        if heard:
            observer.when_matched(trial, frames, reports)
        if self.logging == _VERBOSE and frames:
            console.log(trace.matched_line(sync.name, frames))
        steps = None  # what `where` reported its steps to (the explanation of a missing binding reads them)
        if sync.where is not None:
            steps = observer.where_started(trial) if heard else None
            frames = self.run_where(sync, frames, trial, steps)
        if not frames:
            return
        calls = self.resolve_then(sync, frames, trial, steps)
        if heard:
            observer.sync_fired(trial, len(frames))
        cause = Cause(sync.name, record.id, depth)
        invoke = self.invoke
        for action, given, flow, action_id in calls:
            if self.logging == _VERBOSE:
                console.log(trace.then_line(sync.name, action, given, flow, action_id))
            invoke(action, given, flow, cause, action_id)

    def run_where(self, sync: Sync, frames: Frames, trial: Any, steps: Any) -> Frames:
        """Call ``where`` with the frames of ``when`` (``Frames`` report each step to ``steps``);
        the frames it returns."""
        token = current_where.set(steps)
        try:
            result = sync.where(frames)
        finally:
            current_where.reset(token)
        frames = result if type(result) is Frames else self._as_frames(sync, result)
        if self._hear_trials:
            self._on_trial.where_returned(trial, frames)
        if self.logging == _VERBOSE and len(frames):
            console.log(trace.after_where_line(frames))
        return frames

    def _as_frames(self, sync: Sync, result: Any) -> Frames:
        """What ``where`` returned, as ``Frames``; what cannot be frames throws as the engine would."""
        if result is None:
            raise NotIterable(
                "TypeError: Cannot read properties of undefined (reading 'length')"
                if self.logging == _VERBOSE else "TypeError: frames is not iterable",
                sync=sync.name,
            )
        if not isinstance(result, Iterable) or isinstance(result, (dict, str)):
            raise NotIterable("TypeError: frames is not iterable", sync=sync.name, value=result)
        return result if isinstance(result, Frames) else Frames(result)

    def resolve_then(self, sync: Sync, frames: Frames, trial: Any, steps: Any = None) -> list[Call]:
        """Every ``then`` call of every frame, resolved before any runs (one missing binding aborts
        them all); the ``when`` records of each frame are marked synced with this sync."""
        calls: list[Call] = []
        name, then = sync.name, sync.then
        then_resolved = self._on_trial.then_resolved if self._hear_trials else None
        ids = self.actions.ids
        for frame in frames:
            # The record each `when` pattern of this frame matched, by the ids in its hidden variables
            # (here rather than in a helper: one call fewer per sync that fires).
            records = []
            is_dict = isinstance(frame, dict)
            for var in sync.action_vars:
                action_id = frame.get(var) if is_dict else None
                if not isinstance(action_id, str):
                    raise MissingActionId(sync=name)
                rec = ids.get(action_id)
                if rec is None:
                    raise ActionMissing(f"Action {rec} missing or missing synced Map.", sync=name)
                records.append(rec)
            resolved = []  # a loop, not a comprehension: before Python 3.12 that is one more call
            for index, pattern in enumerate(then):
                resolved.append((pattern.action, self._then_input(sync, index, frame, steps), frame.get(FLOW),
                                 random_v4()))
            mark = resolved[0][3] if resolved else ""
            for rec in records:
                rec.synced[name] = mark
            if then_resolved is not None:
                then_resolved(trial, resolved)
            calls += resolved
        return calls

    def _then_input(self, sync: Sync, index: int, frame: dict, steps: Any) -> dict[str, Any]:
        pattern = sync.then[index]
        given = {}
        for key, value in pattern.input.items():
            if isinstance(value, Var):
                bound = frame.get(value, _UNBOUND)  # one look-up, not `in` then `[]`
                if bound is _UNBOUND:
                    info = explain_missing_binding(sync, index, pattern, key, value, frame, steps)
                    raise MissingBinding(value, frame, sync=sync.name, entry=index, action=pattern.label, key=key, **info)
                value = bound
            given[key] = value
        return given


_UNBOUND = object()


__all__ = ["Engine", "Logging"]
