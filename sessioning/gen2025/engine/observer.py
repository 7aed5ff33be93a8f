"""What the engine reports as it runs, for whoever listens: the recorder, fault injection, …

The engine calls its observer at each step (``engine.add_observer(o)``); it never records or
injects anything itself. :class:`EngineObserver` is the protocol with every hook a no-op: override
the ones you need. Hooks about one action or one sync tried get back the *handle* the observer
returned when that action started (:meth:`~EngineObserver.action_started`) or that sync was tried
(:meth:`~EngineObserver.sync_tried`), so an observer keeps its own state without the engine
knowing what it is. A hook that raises (fault injection in :meth:`~EngineObserver.before_call`)
raises in the engine, exactly as the action itself would have.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .actions import ActionRecord
from .define import Sync


@dataclass(slots=True)
class Cause:
    """Why an action runs: the sync whose ``then`` called it, the id of the action that triggered
    that sync, and how deep in the causal tree (0 = an outside call, which starts a new flow)."""

    sync: str | None = None
    trigger: str | None = None
    depth: int = 0
    # Not frozen: one is made per firing, and a frozen dataclass is slower to build (never changed).


OUTSIDE = Cause()


class EngineObserver:
    """The hooks, in the order the engine calls them. Every one is a no-op here."""

    #: Ask the matcher why each ``when`` pattern missed (it costs time; the recorder wants it).
    wants_reports = False
    #: This observer's hooks never read the handle they are given (it returns none), so the engine
    #: may hand them another observer's handle instead of ``None``: no layer in between.
    ignores_handles = False

    # -- one action ----------------------------------------------------------------------------
    def action_started(self, record: ActionRecord, cause: Cause) -> Any:
        """A new record (not yet run); returns this observer's handle for the action."""
        return None

    def before_call(self, record: ActionRecord, handle: Any) -> None:
        """Just before the concept's method runs. Raising here fails the action."""

    def action_returned(self, record: ActionRecord, handle: Any, seconds: float) -> None:
        """The method returned ``record.output`` after ``seconds`` (before the TRACE line and the syncs)."""

    def action_failed(self, record: ActionRecord, handle: Any, error: BaseException) -> None:
        """The method, or something in its cascade, raised ``error`` (it goes on up)."""

    # -- one sync tried for one completed action --------------------------------------------------
    def sync_tried(self, record: ActionRecord, sync: Sync) -> Any:
        """``sync`` is about to be matched against ``record``'s flow; returns a handle for this trial."""
        return None

    def when_matched(self, trial: Any, frames: list | None, reports: Sequence[Any] | None) -> None:
        """``when`` gave ``frames`` (``None``: it threw); ``reports`` (if :attr:`wants_reports`) say how
        each pattern fared: a list, or a tuple shared by every flow whose reports are the same (read
        them, never change them)."""

    def where_started(self, trial: Any) -> Any:
        """``where`` is about to run: what ``Frames`` should report each step to (or ``None``)."""
        return None

    def where_returned(self, trial: Any, frames: list) -> None:
        """``where`` returned ``frames``."""

    def then_resolved(self, trial: Any, calls: list[tuple]) -> None:
        """The ``then`` calls of one frame were resolved: ``(action, input, flow, action_id)`` each."""

    def sync_fired(self, trial: Any, n_frames: int) -> None:
        """Every frame was resolved: ``then`` runs ``n_frames`` times."""

    def sync_failed(self, trial: Any, error: BaseException) -> None:
        """Something raised while this sync was tried or its ``then`` ran."""

    def syncs_skipped(self, record: ActionRecord, syncs: tuple[Sync, ...]) -> None:
        """``syncs`` (consecutive in registration order) were not tried for ``record``: their first
        ``when`` pattern names ``record``'s action with a literal input that ``record`` does not
        have, and ``record`` is the only record of that action in its flow, so they could give no
        frame (see :mod:`.skipping`). Each counts as tried, that first pattern being the one that failed."""


ACTION_HOOKS = ("action_started", "before_call", "action_returned", "action_failed")
TRIAL_HOOKS = ("sync_tried", "when_matched", "where_started", "where_returned", "then_resolved", "sync_fired",
               "sync_failed", "syncs_skipped")


def overrides(observer: EngineObserver, hooks: tuple[str, ...]) -> bool:
    """Whether ``observer`` does something on any of ``hooks`` (else it need not be called for them)."""
    return any(getattr(type(observer), h) is not getattr(EngineObserver, h) for h in hooks)


class FanOut(EngineObserver):
    """Several observers as one: each hook goes, in the order the observers were added, to those that
    override it (each with its own handle); the others are not called at all."""

    def __init__(self, observers: list[EngineObserver]) -> None:
        self.observers = tuple(observers)
        self.wants_reports = any(o.wants_reports for o in observers)
        self._n = len(observers)
        hooks = {h: [(i, getattr(o, h)) for i, o in enumerate(observers) if overrides(o, (h,))]
                 for h in ACTION_HOOKS + TRIAL_HOOKS}
        self._started, self._before = hooks["action_started"], hooks["before_call"]
        self._returned, self._failed = hooks["action_returned"], hooks["action_failed"]
        self._tried, self._matched = hooks["sync_tried"], hooks["when_matched"]
        self._where, self._where_returned = hooks["where_started"], hooks["where_returned"]
        self._then, self._fired, self._sync_failed = hooks["then_resolved"], hooks["sync_fired"], hooks["sync_failed"]
        self._skipped = hooks["syncs_skipped"]
        _dispatch_directly(self, self.observers)

    def action_started(self, record: ActionRecord, cause: Cause) -> list:
        handles = [None] * self._n
        for i, hook in self._started:
            handles[i] = hook(record, cause)
        return handles

    def before_call(self, record: ActionRecord, handle: list) -> None:
        for i, hook in self._before:
            hook(record, handle[i])

    def action_returned(self, record: ActionRecord, handle: list, seconds: float) -> None:
        for i, hook in self._returned:
            hook(record, handle[i], seconds)

    def action_failed(self, record: ActionRecord, handle: list, error: BaseException) -> None:
        for i, hook in self._failed:
            hook(record, handle[i], error)

    def sync_tried(self, record: ActionRecord, sync: Sync) -> list:
        trials = [None] * self._n
        for i, hook in self._tried:
            trials[i] = hook(record, sync)
        return trials

    def when_matched(self, trial: list, frames: list | None, reports: Sequence[Any] | None) -> None:
        for i, hook in self._matched:
            hook(trial[i], frames, reports)

    def where_started(self, trial: list) -> Any:
        steps = [hook(trial[i]) for i, hook in self._where]
        return next((s for s in steps if s is not None), None)  # Frames reports to one listener

    def where_returned(self, trial: list, frames: list) -> None:
        for i, hook in self._where_returned:
            hook(trial[i], frames)

    def then_resolved(self, trial: list, calls: list[tuple]) -> None:
        for i, hook in self._then:
            hook(trial[i], calls)

    def sync_fired(self, trial: list, n_frames: int) -> None:
        for i, hook in self._fired:
            hook(trial[i], n_frames)

    def sync_failed(self, trial: list, error: BaseException) -> None:
        for i, hook in self._sync_failed:
            hook(trial[i], error)

    def syncs_skipped(self, record: ActionRecord, syncs: tuple[Sync, ...]) -> None:
        for _i, hook in self._skipped:
            hook(record, syncs)


def _no_handle(*_args: Any) -> None:
    return None


def _call_each(hook: str, listeners: list[EngineObserver], owner: EngineObserver | None, at: int) -> Any:
    """``hook`` of every listener in order, the handle (argument ``at``) given to its ``owner`` only."""
    calls = tuple((getattr(o, hook), o is owner) for o in listeners)
    if len(calls) == 1 and calls[0][1]:
        return calls[0][0]  # the owner alone: its own method, no layer in between
    if len(calls) == 1 and hook != "where_started":  # one listener without handles (fault injection)
        fn = calls[0][0]
        if listeners[0].ignores_handles:
            return fn
        if at == 0:
            return lambda trial, *args: fn(None, *args)
        return lambda record, handle, *args: fn(record, None, *args)
    if hook == "where_started":
        def where_started(trial: Any) -> Any:
            steps = [fn(trial if own else None) for fn, own in calls]
            return next((s for s in steps if s is not None), None)  # Frames reports to one listener
        return where_started

    def each(*args: Any) -> None:
        for fn, own in calls:
            if own:
                fn(*args)
            else:  # it returned no handle: None, as the list of handles would give it
                fn(*args[:at], None, *args[at + 1:])
    return each


def _dispatch_directly(fan: FanOut, observers: tuple[EngineObserver, ...]) -> None:
    """Where at most one observer returns handles in a scope (``action_started``, ``sync_tried``),
    the handle is that observer's own, and each hook of the scope calls its listeners directly: no
    list of handles per action or sync tried, no loop for a hook only the owner listens to.
    Observers that return no handle get ``None``, as before. Several owners keep the lists."""
    for start, rest, at in (("action_started", ACTION_HOOKS[1:], 1), ("sync_tried", TRIAL_HOOKS[1:-1], 0)):
        owners = [o for o in observers if overrides(o, (start,))]
        if len(owners) > 1:
            continue
        owner = owners[0] if owners else None
        setattr(fan, start, getattr(owner, start) if owner is not None else _no_handle)
        for hook in rest:
            listeners = [o for o in observers if overrides(o, (hook,))]
            setattr(fan, hook, _call_each(hook, listeners, owner, at) if listeners else _no_handle)
    skipped = [o for o in observers if overrides(o, ("syncs_skipped",))]
    if len(skipped) == 1:
        fan.syncs_skipped = skipped[0].syncs_skipped


def combine(observers: list[EngineObserver], hooks: tuple[str, ...] = ACTION_HOOKS + TRIAL_HOOKS) -> EngineObserver:
    """The one observer the engine calls for ``hooks``: a no-op, the only one that listens, or a fan-out.

    The engine combines its observers once per scope (actions, syncs tried), so an observer that only
    injects faults before a call costs nothing while a hundred syncs are tried."""
    listening = [o for o in observers if overrides(o, hooks)]
    if not listening:
        return EngineObserver()
    return listening[0] if len(listening) == 1 else FanOut(listening)


__all__ = ["ACTION_HOOKS", "OUTSIDE", "TRIAL_HOOKS", "Cause", "EngineObserver", "FanOut", "combine", "overrides"]
