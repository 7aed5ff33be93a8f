"""F1–F9: the engine error that stopped a flow, explained from what the engine recorded.

The engine stores, with the error, its type (``Evaluation.error_type``) and its facts
(``Evaluation.error_facts``: code, explanation, fix, variable, the `then` entry …). The check
looks the handler up by type in :data:`ENGINE_ERRORS` and reads the facts; only a run exported
before those fields existed falls back to the message and the recorded frames.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sessioning import failure_modes
from sessioning.gen2025.engine.actions import MISSING
from sessioning.record import Evaluation

from .context import FlowFacts, RunContext

__all__ = ["ENGINE_ERRORS", "binding_error", "engine_error"]

_MISSING_BINDING = re.compile(r"Missing binding: Symbol\((?P<name>[^)]*)\)")
_BINDING_NOT_FOUND = re.compile(r"Binding: Symbol\((?P<name>[^)]*)\) not found")


def _variable(ev: Evaluation, pattern: re.Pattern[str]) -> str:
    """The unbound variable: recorded by the engine, else (an old export) read from the message."""
    facts = ev.error_facts or {}
    if facts.get("variable"):
        return str(facts["variable"])
    m = pattern.search(ev.error or "")
    return m["name"] if m else "?"


def _snapshot(ev: Evaluation) -> list[dict]:
    where = ev.frames_where
    return list(where if where is not None else (ev.frames_when or []))


def _rows_had(ctx: RunContext, step: dict) -> str:
    """`` (they had error: '…')``: the keys the query's sample rows had, and their error."""
    rows = step.get("rows_sample") or []
    keys = sorted({k for r in rows if isinstance(r, dict) for k in r})
    err = next((r.get("error") for r in rows if isinstance(r, dict) and "error" in r), None)
    if not keys:
        return ""
    error = failure_modes.phrase("rows.error", error=ctx.show(err, "error")) if err else ""
    return failure_modes.phrase("rows.had", keys=", ".join(keys), error=error)


Wording = tuple[str, str, dict[str, Any]]  # code, catalogue variant, facts


def _from_record(ctx: RunContext, ev: Evaluation, name: str) -> Wording:
    """Without the engine's facts (a run exported before they were recorded): what the record shows."""
    sym = f"Symbol({name})"
    if any(f"'{name}' (string key)" in f for f in _snapshot(ev)):
        return "F6", "run", {"name": name}
    for step in ev.where or ():
        if step.get("step") == "query" and sym in (step.get("output") or {}).values():
            out_key = next(k for k, v in step["output"].items() if v == sym)
            if name == "error":
                return "F3", "run", {"step": step["name"], "had": _rows_had(ctx, step)}
            return "F2", "run", {"step": step["name"], "out_key": out_key, "had": _rows_had(ctx, step), "name": name}
    if name == "error":
        return "F3", "run-nowhere", {}
    if any(sym in (w.get("input") or {}).values() or sym in (w.get("output") or {}).values() for w in ev.when or ()):
        return "F2", "run-in-when", {"name": name}
    return "F1", "run", {"name": name}


def missing_binding(ctx: RunContext, flow: FlowFacts, ev: Evaluation) -> None:
    """F1/F2/F3/F6/UNBOUND: a `then` input variable was unbound."""
    name = _variable(ev, _MISSING_BINDING)
    facts = ev.error_facts or {}
    if facts.get("code") and facts.get("explanation"):  # what the engine knew (and said) when it threw
        code, why, fix = facts["code"], facts["explanation"], facts.get("fix") or ""
        sources, then_action = facts.get("sources"), facts.get("action")
    else:
        code, variant, known = _from_record(ctx, ev, name)
        why, fix = failure_modes.explain(code, variant, **known)
        sources, then_action = None, None
    code = code if code in ("F1", "F2", "F3", "F6", "UNBOUND") else "F2"
    resolving = failure_modes.phrase("run.while-resolving", action=then_action) if then_action else ""
    ctx.add(
        code, "error",
        failure_modes.phrase("run.missing-binding", sync=ev.sync, name=name, resolving=resolving, why=why),
        fix, sync=ev.sync, request=flow.request, evidence=ev.error,
        flow=flow.flow, variable=name, then_action=then_action, sources=sources,
    )


def binding_not_found(ctx: RunContext, flow: FlowFacts, ev: Evaluation) -> None:
    """F4: a `where` query needed a variable an earlier step left unbound."""
    name = _variable(ev, _BINDING_NOT_FOUND)
    sym = f"Symbol({name})"
    cause = failure_modes.phrase("F4.cause-none", name=name)
    step_name = None
    for step in reversed(ev.where or []):
        if step.get("step") == "query" and sym in (step.get("output") or {}).values():
            rows = step.get("rows_sample") or []
            err = next((r.get("error") for r in rows if isinstance(r, dict) and "error" in r), None)
            step_name = step["name"]
            error = failure_modes.phrase("F4.error", error=ctx.show(err, "error")) if err else ""
            cause = failure_modes.phrase("F4.cause-rows", step=step_name, name=name, error=error)
            break
    why, fix = failure_modes.explain("F4", "run", sync=ev.sync, name=name, cause=cause)
    ctx.add("F4", "error", why, fix, sync=ev.sync, request=flow.request, evidence=ev.error, flow=flow.flow,
            variable=name, step=step_name)


def missing_action_id(ctx: RunContext, flow: FlowFacts, ev: Evaluation) -> None:
    """F5: `where` returned frames without the hidden action ids of `when`."""
    frames = ev.frames_where or []
    keys = sorted({k for f in frames for k in f if not k.startswith("action_") and k != "flow"})
    holding = failure_modes.phrase("F5.holding", keys=", ".join(keys)) if keys else ""
    why, fix = failure_modes.explain("F5", "run", sync=ev.sync, n=len(ev.when or []), holding=holding)
    ctx.add("F5", "error", why, fix, sync=ev.sync, request=flow.request, evidence=ev.error, flow=flow.flow)


def _missing_output_entry(ctx: RunContext, ev: Evaluation) -> tuple[int, str | None]:
    """Which `when` entry has no output pattern: from the sync's definition, else from the record."""
    index = len(ev.when or [])
    label = None
    d = ctx.defs.get(ev.sync)
    if d is not None:
        missing = [i for i, p in enumerate(d.when) if p.output is MISSING]
        if missing:
            index = missing[0] if index not in missing else index
            label = d.when[index].label
    if label is None and index < len(ctx.recorded_when.get(ev.sync, ())):
        label = ctx.recorded_when[ev.sync][index].get("action")  # recorded by another evaluation of this sync
    if label is None:
        label = (ev.error_facts or {}).get("action")
    return index, label


def when_missing_output(ctx: RunContext, flow: FlowFacts, ev: Evaluation) -> None:
    """F8: a `when` entry without an output pattern, noticed when a matching record appears."""
    index, label = _missing_output_entry(ctx, ev)
    entry = (failure_modes.phrase("F8.entry-label", index=index, label=label) if label
             else failure_modes.phrase("F8.entry", index=index))
    why, fix = failure_modes.explain("F8", "run", entry=entry, sync=ev.sync, trigger=ev.trigger_action,
                                     action=label or "Action")
    ctx.add("F8", "error", why, fix, sync=ev.sync, request=flow.request, evidence=ev.error, flow=flow.flow,
            pattern=index, action=label)


def not_iterable(ctx: RunContext, flow: FlowFacts, ev: Evaluation) -> None:
    """F9: a query or `where` returned something that is not a list."""
    message = ev.error or ""
    variant = "run-query" if message.startswith("functionOutputArray") else "run-where"
    why, fix = failure_modes.explain("F9", variant, sync=ev.sync, message=message)
    ctx.add("F9", "error", why, fix, sync=ev.sync, request=flow.request, evidence=message, flow=flow.flow)


def _cycle(flow: FlowFacts) -> tuple[list[str], list[str]]:
    """The syncs (and actions) that keep calling each other: the shortest period of the recorded tail."""
    calls = [(a.sync, a.label) for a in flow.log.actions if a.sync][-60:]
    for period in range(1, 11):
        if len(calls) >= 2 * period and calls[-period:] == calls[-2 * period:-period]:
            tail = calls[-period:]
            first = {c: i for i, c in reversed(list(enumerate(a.sync for a in flow.log.actions)))}
            start = min(range(period), key=lambda i: first.get(tail[i][0], 0))  # as the cascade began
            tail = tail[start:] + tail[:start]
            return [s for s, _ in tail], [label for _, label in tail]
    return [s for s, _ in calls[-4:]], [label for _, label in calls[-4:]]


def cascade_loop(ctx: RunContext, flow: FlowFacts, ev: Evaluation) -> None:
    """CASCADE-LOOP: syncs firing each other until Python's recursion limit (the engine recurses per action)."""
    syncs, labels = _cycle(flow)
    cycle = " → ".join(f"`{s}`" for s in [*syncs, syncs[0]]) if syncs else f"`{ev.sync}`"
    why, fix = failure_modes.explain("CASCADE-LOOP", "run", cycle=cycle, actions=", ".join(f"`{x}`" for x in labels),
                                     n=len(flow.log.actions), message=ev.error or "RecursionError")
    ctx.add("CASCADE-LOOP", "error", why, fix, sync=ev.sync, request=flow.request, evidence=ev.error, flow=flow.flow)


def where_threw(ctx: RunContext, flow: FlowFacts, ev: Evaluation) -> None:
    """WHERE-THREW: an exception of the app's own code in `where` (a KeyError, one with no message…)."""
    if any(a.status == "exception" for a in flow.log.actions) or ev.then:
        return  # an action threw (F16 and the action checks say why), or `then` had begun: not `where`
    error = ev.error_type or "an exception"
    message = ev.error or ""
    shown = (failure_modes.phrase("WHERE-THREW.message", message=message) if message.strip()
             else failure_modes.phrase("WHERE-THREW.no-message"))
    hint = failure_modes.phrase("WHERE-THREW.KeyError" if error == "KeyError" else "WHERE-THREW.other")
    why, fix = failure_modes.explain("WHERE-THREW", "run", sync=ev.sync, error=f"`{error}`", shown=shown,
                                     trigger=ev.trigger_action or "?", hint=hint)
    ctx.add("WHERE-THREW", "error", why, fix, sync=ev.sync, request=flow.request,
            evidence=f"{error}: {message}" if message else error, flow=flow.flow)


Handler = Callable[[RunContext, FlowFacts, Evaluation], None]

#: ``Evaluation.error_type`` (the engine error's class name) → its explanation.
ENGINE_ERRORS: dict[str, Handler] = {
    "MissingBinding": missing_binding,
    "BindingNotFound": binding_not_found,
    "MissingActionId": missing_action_id,
    "ActionMissing": missing_action_id,
    "WhenMissingOutput": when_missing_output,
    "NotIterable": not_iterable,
    "RecursionError": cascade_loop,
}


def _type_from_message(message: str) -> str | None:
    """The error type of a run exported before ``error_type`` was recorded, from the course's message."""
    if _MISSING_BINDING.search(message):
        return "MissingBinding"
    if _BINDING_NOT_FOUND.search(message):
        return "BindingNotFound"
    if message.startswith("Missing actionId"):
        return "MissingActionId"
    if "is missing output pattern" in message:
        return "WhenMissingOutput"
    return "NotIterable" if "not iterable" in message else None


def engine_error(ctx: RunContext, flow: FlowFacts) -> None:
    """The engine error that stopped the flow (F1–F9), if any."""
    ev = flow.error_root
    if ev is None:
        return
    kind = ev.error_type if ev.error_type is not None else _type_from_message(ev.error or "")
    handler = ENGINE_ERRORS.get(kind or "")
    if handler is not None:
        handler(ctx, flow, ev)
    elif ev.error_type is not None:
        where_threw(ctx, flow, ev)  # not an engine error: the app's own code threw


def binding_error(ev: Evaluation) -> bool:
    """Whether ``ev`` threw while binding variables (`then` inputs, `where` inputs, action ids): every
    `then` input is resolved before any action runs, so none of that `then` ran."""
    kind = ev.error_type if ev.error_type is not None else _type_from_message(ev.error or "")
    return kind in ("MissingBinding", "BindingNotFound", "MissingActionId")
