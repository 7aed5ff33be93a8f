"""2026 flows as tables: what happened per request, from the journal or from TRACE lines.

From a ``FileLogSink`` journal a flow is every record carrying one ``flow`` token (the root
request's id). Each action gets its posture: ``returned``, ``refused`` (an outcome with
``error``), ``fault``, or ``pending`` (asked, no outcome: the flow never settled it). Firings
join ``produced`` action ids to the reaction that asked them (``by``).

Without a journal, TRACE console lines give the same actions in order (an ask ``=> {}`` then
its outcome), grouped per request by the ``requestId`` of ``RequestBoundary.request``; they
carry no flow token and no reaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sessioning.gen2026.console import ConsoleLog
from sessioning.gen2026.inspect_text import parse_inspect
from sessioning.gen2026.records import Journal
from sessioning.masking import mask_secrets

__all__ = ["Action", "Flow", "actions_frame", "firings_frame", "flows_frame", "flows_from_journal",
           "flows_from_trace"]

BOUNDARY = "RequestBoundary"


@dataclass
class Action:
    """One action of a flow: who asked it, with what, and how it ended."""

    concept: str
    action: str
    input: dict[str, Any]
    posture: str = "pending"  # returned | refused | fault | pending
    output: Any = None
    by: str | None = None
    id: str | None = None

    @property
    def label(self) -> str:
        return f"{self.concept}.{self.action}"


@dataclass
class Flow:
    """A request's flow: its path, actions in order, firings and failures recorded for it."""

    flow: str | None
    path: str | None
    actions: list[Action] = field(default_factory=list)
    firings: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def answered(self) -> bool:
        return any(a.concept == BOUNDARY and a.action.startswith("respond") for a in self.actions)

    @property
    def answer(self) -> Action | None:
        return next((a for a in self.actions if a.concept == BOUNDARY and a.action.startswith("respond")), None)

    def work(self) -> list[Action]:
        """The concept actions (the boundary's request/respond left out)."""
        return [a for a in self.actions if a.concept != BOUNDARY]

    def first_failure(self) -> Action | None:
        return next((a for a in self.work() if a.posture in ("refused", "fault")), None)

    def committed_before(self, failed: Action) -> list[Action]:
        """Actions that returned before ``failed`` (their effects stay: there is no rollback)."""
        out = []
        for a in self.work():
            if a is failed:
                return out
            if a.posture == "returned":
                out.append(a)
        return out


def _posture(outcome: dict[str, Any]) -> tuple[str, Any]:
    if outcome.get("kind") == "error":
        return "refused", outcome.get("error")
    return "returned", outcome.get("value")


def flows_from_journal(journal: Journal) -> list[Flow]:
    """Group a journal's records into flows, in order of first appearance."""
    flows: dict[str, Flow] = {}
    by_id: dict[str, Action] = {}
    for r in journal.records:
        kind = r.get("kind")
        if kind == "invocation" and isinstance(r.get("flow"), str):
            flow = flows.setdefault(r["flow"], Flow(r["flow"], None))
            act = Action(str(r.get("concept")), str(r.get("action")), r.get("input") or {}, id=r.get("id"))
            if act.concept == BOUNDARY and act.action == "request":
                flow.path = act.input.get("path")
            flow.actions.append(act)
            by_id[str(r.get("id"))] = act
        elif kind == "outcome" and str(r.get("id")) in by_id:
            act = by_id[str(r["id"])]
            act.posture, act.output = _posture(r.get("outcome") or {})
        elif kind == "fault" and str(r.get("id")) in by_id:
            act = by_id[str(r["id"])]
            act.posture, act.output = "fault", r.get("fault")
        elif kind == "firing":
            firing = r.get("firing") or {}
            flow = flows.setdefault(str(firing.get("flow")), Flow(firing.get("flow"), None))
            flow.firings.append(firing)
            for pid in firing.get("produced") or []:
                if pid in by_id:
                    by_id[pid].by = firing.get("reaction")
        elif kind in ("reaction-failure", "integrity-failure"):
            failure = r.get("failure") or {}
            flows.setdefault(str(failure.get("flow")), Flow(failure.get("flow"), None)).failures.append(
                dict(failure, kind=kind))
    return list(flows.values())


def flows_from_trace(log: ConsoleLog) -> list[Flow]:
    """Flows rebuilt from TRACE lines (ask then outcome per action), one per ``RequestBoundary.request``."""
    flows: list[Flow] = []
    open_asks: dict[str, Action] = {}
    for line in log.of_kind("trace"):
        name, inp, out = line.trace or ("", "", "")
        concept, _, action = name.partition(".")
        value, result = parse_inspect(inp), parse_inspect(out)
        key = f"{name} {inp}"
        if result == {} and key not in open_asks:
            if concept == BOUNDARY and action == "request":
                flows.append(Flow(value.get("requestId") if isinstance(value, dict) else None,
                                  value.get("path") if isinstance(value, dict) else None))
            if not flows:
                flows.append(Flow(None, None))
            act = Action(concept, action, value if isinstance(value, dict) else {"input": value})
            flows[-1].actions.append(act)
            open_asks[key] = act
            continue
        act = open_asks.pop(key, None)
        if act is None:
            continue
        refused = isinstance(result, dict) and isinstance(result.get("error"), str) and "detail" in result
        act.posture, act.output = ("refused" if refused else "returned"), result
    return flows


def _mask(value: Any) -> Any:
    """Masked for display; the engine's own ``[redacted]`` markers are kept as they are."""
    if isinstance(value, dict):
        return {k: v if v == "[redacted]" else mask_secrets({k: v})[k] for k, v in value.items()}
    return mask_secrets(value)


def actions_frame(flows: list[Flow]) -> pd.DataFrame:
    """One row per action: flow, path, step, action, by, posture, input, output (secrets masked)."""
    rows = []
    for f in flows:
        for step, a in enumerate(f.actions, start=1):
            rows.append({"flow": (f.flow or "")[:8], "path": f.path, "step": step, "action": a.label, "by": a.by,
                         "posture": a.posture, "input": _mask(a.input), "output": _mask(a.output)})
    return pd.DataFrame(rows, columns=["flow", "path", "step", "action", "by", "posture", "input", "output"])


def flows_frame(flows: list[Flow]) -> pd.DataFrame:
    """One row per flow: path, actions, firings, first failure, answered?, the answer."""
    rows = []
    for f in flows:
        failed = f.first_failure()
        answer = f.answer
        rows.append({"flow": (f.flow or "")[:8], "path": f.path, "actions": len(f.work()),
                     "firings": len(f.firings),
                     "failed": f"{failed.label} {failed.posture}" if failed else None,
                     "reaction_failures": ", ".join(str(x.get("reaction", x.get("kind"))) for x in f.failures) or None,
                     "answered": f.answered,
                     "answer": _mask(answer.input) if answer else None})
    return pd.DataFrame(rows, columns=["flow", "path", "actions", "firings", "failed", "reaction_failures",
                                       "answered", "answer"])


def firings_frame(flows: list[Flow]) -> pd.DataFrame:
    """One row per reaction firing (journal only): flow, path, reaction, its bindings (masked), what it asked."""
    labels = {a.id: a.label for f in flows for a in f.actions if a.id}
    rows = []
    for f in flows:
        for firing in f.firings:
            rows.append({"flow": (f.flow or "")[:8], "path": f.path, "reaction": firing.get("reaction"),
                         "bindings": _mask(firing.get("bindings") or {}),
                         "consumed": [labels.get(i, i) for i in firing.get("consumed") or []],
                         "produced": [labels.get(i, i) for i in firing.get("produced") or []]})
    return pd.DataFrame(rows, columns=["flow", "path", "reaction", "bindings", "consumed", "produced"])
