"""Step through a 2026 flow: the shared record model for the shared FlowStepper, and the chain table.

:func:`to_run` turns journal flows into a :class:`sessioning.record.Run` (one ``FlowLog`` per flow,
one typed ``ActionEntry`` per action: ``status`` ``ok`` when it returned, ``error`` when it
refused — ``error`` holds the refusal code — and ``exception`` when it faulted; ``sync`` is the
reaction that asked it, ``depth`` its place in the chain), so ``FlowStepper(to_run(flows))``
steps through a 2026 flow with the same widget as a 2025 one. 2026 flows have no sync
evaluations: the engine records firings, not the frames of reactions that did not fire.

:func:`chain_table` lays an endpoint's lowered chain (``Name``, ``Name#2``, …) beside a flow: each
stage's ``then`` action and its posture (``returned``, ``refused``, ``fault``, ``dropped``, ``not
reached``); for a dropped stage, the read line that dropped the case, from the read-back.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sessioning.gen2026.flows import BOUNDARY, Flow
from sessioning.record import ActionEntry, Run

__all__ = ["ReadbackStage", "chain_table", "readback_stages", "to_run"]

_STATUS = {"returned": "ok", "refused": "error", "fault": "exception", "pending": "running"}


def to_run(flows: list[Flow]) -> Run:
    """A shared-model :class:`Run` of 2026 flows (for ``FlowStepper`` and the tables)."""
    run = Run(retention=None)
    for f in flows:
        log = run.flow(f.flow or f"flow-{len(run.flows) + 1}")
        log.path = f.path
        depth_of: dict[str | None, int] = {}
        for a in f.actions:
            depth = 0 if a.concept == BOUNDARY and a.action == "request" else depth_of.get(a.by, len(depth_of) + 1)
            depth_of.setdefault(a.by, depth)
            refused = a.posture == "refused" and isinstance(a.output, dict)
            log.actions.append(ActionEntry(
                seq=run.next_seq(), id=a.id or "", flow=log.flow, concept=a.concept, action=a.action,
                input=dict(a.input), output=a.output, status=_STATUS.get(a.posture, "running"),
                error=str(a.output.get("error")) if refused else None,
                error_type="fault" if a.posture == "fault" else None, sync=a.by, depth=depth))
        answer = f.answer
        if answer is not None:
            body = {k: v for k, v in answer.input.items() if k != "requestId"}
            # the HTTP status depends on publicErrors; without the exchange, say only whether it is an error
            log.response = {"status": "an error" if "error" in body else 200, "body": body}
    return run


@dataclass(frozen=True)
class ReadbackStage:
    """One lowered stage: its reaction name, ``then`` action, and its drop points (read lines)."""

    reaction: str
    then: str
    drops: tuple[str, ...]


def _stage_from_lines(name: str, lines: list[str]) -> ReadbackStage:
    then = ""
    for i, ln in enumerate(lines):
        if ln.strip().startswith("then"):  # console: `then X.y (…)`; generated md: `then` then the action below
            then = ln.strip()[4:].strip() or (lines[i + 1].strip() if i + 1 < len(lines) else "")
            break
    drops = tuple(ln.strip() for ln in lines if "drop" in ln or (ln.startswith("  ") and " has (" in ln))
    return ReadbackStage(name, then.split(" (", 1)[0], drops)


def readback_stages(readbacks: dict[str, str] | None = None, markdown: str = "") -> dict[str, ReadbackStage]:
    """Stages from console read-backs (``{name: text}``) or from ``generated/<app>.md`` reaction blocks."""
    out: dict[str, ReadbackStage] = {}
    for name, text in (readbacks or {}).items():
        out[name] = _stage_from_lines(name, text.splitlines()[1:])
    current, block, inside = "", [], False
    for line in markdown.splitlines():
        if line.startswith("### "):
            current = line[4:].strip()
        elif line.strip() == "```reaction":
            inside, block = True, []
        elif inside and line.strip() == "```":
            inside = False
            out.setdefault(current, _stage_from_lines(current, block))
        elif inside:
            block.append(line)
    return out


def _posture(flow: Flow, stage: ReadbackStage, previous: str) -> tuple[str, str | None]:
    acts = [a for a in flow.actions if a.label == stage.then and (a.by in (None, stage.reaction))]
    if acts:
        return acts[0].posture, None
    if previous in ("returned", "request"):
        return "dropped", (stage.drops[0] if stage.drops else "a later stage's trigger did not match")
    return "not reached", None


def chain_table(flow: Flow, endpoint: str, stages: dict[str, ReadbackStage]) -> pd.DataFrame:
    """One row per stage of ``endpoint``'s chain (``endpoint``, ``endpoint#2``, …) with its posture in ``flow``."""
    names = [endpoint] + sorted((n for n in stages if n.startswith(endpoint + "#")),
                                key=lambda n: int(n.rsplit("#", 1)[1]))
    rows, previous = [{"stage": 0, "reaction": "(receive)", "action": "RequestBoundary.request",
                       "posture": "returned" if flow.actions else "not reached", "dropped_at": None}], "request"
    for i, name in enumerate(names, start=1):
        stage = stages.get(name)
        if stage is None:
            continue
        posture, drop = _posture(flow, stage, previous)
        rows.append({"stage": i, "reaction": name, "action": stage.then, "posture": posture, "dropped_at": drop})
        previous = posture
    return pd.DataFrame(rows, columns=["stage", "reaction", "action", "posture", "dropped_at"])
