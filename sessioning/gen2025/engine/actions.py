"""Actions: their records, the store of records (the course's ``ActionConcept``), and the
``actions(...)`` pattern helper.

:class:`ActionStore` keeps what the course engine's ``ActionConcept`` keeps: every invocation's
record, by id and by flow (``invoke``, ``_getByFlow``, ``_getById``). Unlike the course engine it
forgets a flow once its outside call has finished, since nothing can match it again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sessioning.record import pattern_text

from .errors import NotInstrumented, SyncDefinitionError
from .instrument import InstrumentedAction
from .plain import UNDEFINED

#: The output pattern of a ``when`` entry written without one (F8 is raised at match time).
MISSING = object()
#: A record's output while its action is still running.
RUNNING = object()


@dataclass
class ActionPattern:
    """One ``[action, input, output?]`` entry of a ``when`` or ``then``."""

    action: InstrumentedAction
    input: dict[str, Any]
    output: Any = MISSING  # dict, or MISSING when the entry has no third element

    def __post_init__(self) -> None:
        self.label = self.action.label

    def texts(self) -> dict[str, Any]:
        """The input and output patterns as plain data (for the record), computed once."""
        cached = self.__dict__.get("_texts")
        if cached is None:
            cached = self.__dict__["_texts"] = {
                "input": pattern_text(self.input),
                "output": pattern_text(self.output) if self.output is not MISSING else None,
            }
        return cached


def _callable_name(action: Any) -> str:
    name = getattr(action, "__name__", None)
    if name is None:
        return str(action)
    return name


def actions(*entries: Any) -> list[ActionPattern]:
    """``actions([Concept.action, {input}, {output}], ...)`` like the TypeScript helper.

    Raises ``Action <name> is not instrumented.`` for anything that is not an instrumented action
    (a ``_query``, a method of a concept that was not instrumented), as the course engine does.
    """
    out = []
    for entry in entries:
        if not isinstance(entry, (list, tuple)) or not 2 <= len(entry) <= 3:
            raise SyncDefinitionError(
                f"each entry of actions(...) is [action, input] or [action, input, output], not {entry!r}",
                fix="Write e.g. actions([Sessioning.create, {'user': user}, {'session': session}])",
            )
        action, inp = entry[0], entry[1]
        if not isinstance(action, InstrumentedAction):
            name = _callable_name(action)
            query = name.removeprefix("bound ").startswith("_") if isinstance(name, str) else False
            raise NotInstrumented(f"Action {name} is not instrumented.", action=name,
                                  label=getattr(action, "label", name) if query else None)
        if not isinstance(inp, dict):
            raise SyncDefinitionError(f"the input pattern of {action.label} must be a dict, not {type(inp).__name__}")
        output = entry[2] if len(entry) == 3 else MISSING
        if output is not MISSING and not isinstance(output, dict):
            raise SyncDefinitionError(f"the output pattern of {action.label} must be a dict, not {type(output).__name__}")
        out.append(ActionPattern(action, dict(inp), output))
    return out


@dataclass(slots=True, eq=False)
class ActionRecord:
    """What the course engine's ``ActionConcept`` keeps for one invocation:
    ``{id, action, concept, input, synced, flow}``, and ``output`` once it returned."""

    id: str
    action: InstrumentedAction
    input: dict[str, Any]
    flow: str
    synced: dict[str, str] = field(default_factory=dict)
    output: Any = RUNNING

    @property
    def concept(self) -> Any:
        return self.action.concept

    def output_value(self) -> Any:
        return UNDEFINED if self.output is RUNNING or self.output is None else self.output


class ActionStore:
    """The records of the flows still running, by flow and by id (the course's ``ActionConcept``)."""

    def __init__(self) -> None:
        #: flow → its records, oldest first; id → record. Read them, change them only through the methods.
        self.flows: dict[str, list[ActionRecord]] = {}
        self.ids: dict[str, ActionRecord] = {}
        # No lock: each change below is one dict or list operation on str keys, atomic under the
        # GIL, and a flow's records are only ever read by the thread running that flow.

    def invoke(self, record: ActionRecord) -> None:
        """Keep a new record (``ActionConcept.invoke``)."""
        flow = self.flows.get(record.flow)
        if flow is None:
            flow = self.flows.setdefault(record.flow, [])  # atomic, should two threads share a flow
        flow.append(record)
        self.ids[record.id] = record

    def by_flow(self, flow: str) -> list[ActionRecord]:
        """Every record of ``flow``, oldest first (``_getByFlow``); the list is live, do not change it."""
        return self.flows.get(flow, [])

    def by_id(self, action_id: str) -> ActionRecord | None:
        """The record with this id (``_getById``), or ``None``."""
        return self.ids.get(action_id)

    def forget_flow(self, flow: str) -> None:
        """Drop a finished flow's records: nothing can match them again."""
        ids = self.ids
        for record in self.flows.pop(flow, ()):
            ids.pop(record.id, None)

    def __len__(self) -> int:
        return len(self.ids)
