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

from dataclasses import dataclass
from typing import Any

from .actions import ActionRecord
from .define import Sync


@dataclass(frozen=True, slots=True)
class Cause:
    """Why an action runs: the sync whose ``then`` called it, the id of the action that triggered
    that sync, and how deep in the causal tree (0 = an outside call, which starts a new flow)."""

    sync: str | None = None
    trigger: str | None = None
    depth: int = 0


OUTSIDE = Cause()


class EngineObserver:
    """The hooks, in the order the engine calls them. Every one is a no-op here."""

    #: Ask the matcher why each ``when`` pattern missed (it costs time; the recorder wants it).
    wants_reports = False

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

    def when_matched(self, trial: Any, frames: list | None, reports: list[dict[str, Any]] | None) -> None:
        """``when`` gave ``frames`` (``None``: it threw); ``reports`` (if :attr:`wants_reports`) say how
        each pattern fared."""

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


class FanOut(EngineObserver):
    """Several observers as one: each hook goes to every observer, in the order they were added,
    each with its own handle."""

    def __init__(self, observers: list[EngineObserver]) -> None:
        self.observers = tuple(observers)
        self.wants_reports = any(o.wants_reports for o in observers)

    def action_started(self, record: ActionRecord, cause: Cause) -> tuple:
        return tuple(o.action_started(record, cause) for o in self.observers)

    def before_call(self, record: ActionRecord, handle: tuple) -> None:
        for o, h in zip(self.observers, handle):
            o.before_call(record, h)

    def action_returned(self, record: ActionRecord, handle: tuple, seconds: float) -> None:
        for o, h in zip(self.observers, handle):
            o.action_returned(record, h, seconds)

    def action_failed(self, record: ActionRecord, handle: tuple, error: BaseException) -> None:
        for o, h in zip(self.observers, handle):
            o.action_failed(record, h, error)

    def sync_tried(self, record: ActionRecord, sync: Sync) -> tuple:
        return tuple(o.sync_tried(record, sync) for o in self.observers)

    def when_matched(self, trial: tuple, frames: list | None, reports: list[dict[str, Any]] | None) -> None:
        for o, t in zip(self.observers, trial):
            o.when_matched(t, frames, reports)

    def where_started(self, trial: tuple) -> Any:
        steps = [o.where_started(t) for o, t in zip(self.observers, trial)]
        return next((s for s in steps if s is not None), None)  # Frames reports to one listener

    def where_returned(self, trial: tuple, frames: list) -> None:
        for o, t in zip(self.observers, trial):
            o.where_returned(t, frames)

    def then_resolved(self, trial: tuple, calls: list[tuple]) -> None:
        for o, t in zip(self.observers, trial):
            o.then_resolved(t, calls)

    def sync_fired(self, trial: tuple, n_frames: int) -> None:
        for o, t in zip(self.observers, trial):
            o.sync_fired(t, n_frames)

    def sync_failed(self, trial: tuple, error: BaseException) -> None:
        for o, t in zip(self.observers, trial):
            o.sync_failed(t, error)


def combine(observers: list[EngineObserver]) -> EngineObserver:
    """The one observer the engine calls: a no-op, the only one, or a fan-out."""
    if not observers:
        return EngineObserver()
    return observers[0] if len(observers) == 1 else FanOut(observers)


__all__ = ["OUTSIDE", "Cause", "EngineObserver", "FanOut", "combine"]
