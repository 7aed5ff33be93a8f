"""Which syncs to try for a completed action, and which to skip because they cannot match it.

The course engine tries every sync whose ``when`` names the action. With many syncs on
``Requesting.request`` (one per route), almost all of them fail at once on their literal ``path``.
A sync is skipped, and reported as skipped (``EngineObserver.syncs_skipped``), when its first
``when`` pattern names the record's action with a literal string on some input key (``path``
preferred), the record's value for that key differs (or is absent), and the record is the only
record of that action in its flow. Then trying it could only have failed on that first pattern
against this record, with nothing else happening: no frame, no ``where`` (engine version 2, or a
sync without ``where``), no error (its input fails before the missing-output check), no log line.
The recorder turns a skipped sync into the very evaluation trying it would have given.

Plans are cached per action and per value of the keys the syncs test, so a request costs one
tuple and one dictionary look-up, whatever the number of syncs.
"""

from __future__ import annotations

from typing import Any

from sessioning.record import Evaluation

from .actions import ActionRecord
from .define import Sync
from .matching import Report, match_facts
from .vars import FLOW

_ABSENT = object()
#: Plans kept at most (one per action and distinct tested value, e.g. per request path).
MAX_PLANS = 4096


def gate_of(sync: Sync, action: Any, version: int) -> tuple[str, str] | None:
    """``(key, literal)`` on which ``sync`` can be skipped for records of ``action``, or ``None``."""
    if version != 2 and sync.where is not None:
        return None  # version 1 runs `where` even on no frames
    first = sync.when[0]
    if first.action is not action:
        return None
    literals = [(k, v) for k, v in first.input.items() if type(v) is str]
    if not literals:
        return None
    return next(((k, v) for k, v in literals if k == "path"), literals[0])


class SkippedGroup(tuple):
    """Consecutive syncs a plan skips (a tuple of :class:`Sync`), made once per plan and shared by
    every record it is used for; it can say what trying each would have recorded."""

    __slots__ = ()

    def expand(self, first_seq: int, subject: Any) -> list[Evaluation]:
        """The evaluations trying these syncs for ``subject`` would have recorded (numbered from
        ``first_seq``): ``subject`` is the record, or its recorded entry (same input and output).

        Trying one would have matched its first ``when`` pattern against the one record of that
        action in the flow, this one, from the flow's first frame, and failed on its input (which
        does not change), so that is what is reported; the later patterns are not reached."""
        return expand_skipped(self, first_seq, subject)


def expand_skipped(syncs: tuple[Sync, ...], first_seq: int, subject: Any) -> list[Evaluation]:
    """:meth:`SkippedGroup.expand` for any tuple of syncs."""
    label = subject.label if hasattr(subject, "label") else subject.action.label
    out = []
    for k, sync in enumerate(syncs):
        ev = Evaluation(first_seq + k, subject.flow, subject.id, label, sync.name)
        _frame, _progress, facts = match_facts(sync.when[0], subject, {FLOW: subject.flow})
        ev.add_reports([Report(0, sync.when[0], 0, facts)]
                       + [Report(j, sync.when[j], 0, None) for j in range(1, len(sync.when))])
        ev.frames_when = []
        out.append(ev)
    return out


class SyncIndex:
    """The engine's plans: per action and per tested input values, the syncs to try, in registration
    order, with runs of skipped syncs as :class:`SkippedGroup` tuples in their places."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.clear()

    def clear(self) -> None:
        """Forget every plan (syncs were registered)."""
        self.gates: dict[Any, tuple[tuple[str, ...], list[tuple[Sync, tuple[str, str] | None]], list[Sync]]] = {}
        self.plans: dict[tuple, list] = {}

    def _gates(self, action: Any) -> tuple[tuple[str, ...], list[tuple[Sync, tuple[str, str] | None]], list[Sync]]:
        found = self.gates.get(action)
        if found is None:
            syncs = self.engine.syncs_by_action.get(action, ())
            gated = [(sync, gate_of(sync, action, self.engine.version)) for sync in syncs]
            keys = tuple(dict.fromkeys(gate[0] for _sync, gate in gated if gate is not None))
            found = self.gates[action] = (keys, gated, [sync for sync, _gate in gated])
        return found

    def plan(self, record: ActionRecord) -> list:
        """The syncs to try for ``record`` in order; a :class:`SkippedGroup` stands for consecutive syncs skipped."""
        action = record.action
        found = self.gates.get(action)
        keys, gated, every = found if found is not None else self._gates(action)
        if not keys:
            return every  # shared: the engine only iterates it
        given = record.input
        if not isinstance(given, dict):
            return every
        if len(keys) == 1:  # the usual case (a path): no list built, no loop
            v = given.get(keys[0], _ABSENT)
            if v is not _ABSENT and type(v) is not str:  # only text values pick a plan
                return every
            values: tuple = (v,)
        else:
            values = tuple([given.get(k, _ABSENT) for k in keys])
            for v in values:
                if v is not _ABSENT and type(v) is not str:
                    return every
        # Whether ``record`` is the only record of its action in its flow (so far): written out
        # here, as every request asks it.
        for other in self.engine.actions.flows.get(record.flow, ()):
            if other.action is action and other is not record:
                return every
        plan = self.plans.get((action, values))
        if plan is None:
            if len(self.plans) >= MAX_PLANS:  # a replay of many distinct paths: start afresh
                self.plans = {}
            plan = self.plans[(action, values)] = self._build(keys, values, gated)
        return plan

    @staticmethod
    def _build(keys: tuple[str, ...], values: tuple, gated: list[tuple[Sync, tuple[str, str] | None]]) -> list:
        have = dict(zip(keys, values))
        plan: list = []
        skipped: list[Sync] = []
        for sync, gate in gated:
            if gate is not None and have[gate[0]] != gate[1]:  # absent, or another string
                skipped.append(sync)
                continue
            if skipped:
                plan.append(SkippedGroup(skipped))
                skipped = []
            plan.append(sync)
        if skipped:
            plan.append(SkippedGroup(skipped))
        return plan


__all__ = ["SkippedGroup", "SyncIndex", "expand_skipped", "gate_of"]
