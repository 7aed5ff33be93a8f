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
    rows = step.get("rows_sample") or []
    keys = sorted({k for r in rows if isinstance(r, dict) for k in r})
    err = next((r.get("error") for r in rows if isinstance(r, dict) and "error" in r), None)
    if not keys:
        return ""
    return f" (they had {', '.join(keys)}" + (f": {ctx.show(err, 'error')}" if err else "") + ")"


def _from_record(ctx: RunContext, ev: Evaluation, name: str) -> dict[str, Any]:
    """Without the engine's facts (a run exported before they were recorded): what the record shows."""
    sym = f"Symbol({name})"
    if any(f"'{name}' (string key)" in f for f in _snapshot(ev)):
        return {
            "code": "F6",
            "explanation": f"the frames `where` returned carry `'{name}'` as a string key, but the engine reads only "
                           f"variable (symbol) keys, so `{name}` is unbound.",
            "fix": f"Use the variable as the key: `{{**frame, {name}: value}}` with `{name}` the sync's parameter "
                   f"(in TypeScript `[{name}]: value`).",
        }
    for step in ev.where or ():
        if step.get("step") == "query" and sym in (step.get("output") or {}).values():
            return _unbound_by_query(ctx, step, name, sym)
    return _unbound_elsewhere(ev, name, sym)


def _unbound_by_query(ctx: RunContext, step: dict, name: str, sym: str) -> dict[str, Any]:
    out_key = next(k for k, v in step["output"].items() if v == sym)
    had = _rows_had(ctx, step)
    if name == "error":
        return {
            "code": "F3",
            "explanation": f"`error` is bound only on the failure path: on success `{step['name']}` returned rows "
                           f"without `error`{had}, so passing `error` to the response fails.",
            "fix": "Use two syncs: one responds with the result on success, one with `error` on failure.",
        }
    return {
        "code": "F2",
        "explanation": f"`{step['name']}` returned rows without `{out_key}`{had}, and `frames.query` binds "
                       f"`{name}` only for rows that have the key, so the frame was kept with `{name}` unbound.",
        "fix": f"Drop frames without `{name}` before `then` (`.filter(lambda f: {name} in f)`), add an "
               f"error-response sync, or make `{step['name']}` return `{out_key}`.",
    }


def _unbound_elsewhere(ev: Evaluation, name: str, sym: str) -> dict[str, Any]:
    if name == "error":
        return {
            "code": "F3",
            "explanation": "`error` is bound on one path only (or nowhere in this sync), so passing it fails whenever "
                           "that path was not taken.",
            "fix": "Respond with `error` from a separate sync whose `when` output pattern is `{error}`.",
        }
    if any(sym in (w.get("input") or {}).values() or sym in (w.get("output") or {}).values() for w in ev.when or ()):
        return {
            "code": "F2",
            "explanation": f"`{name}` is bound in `when`, but this frame does not have it: `where` rebuilt or "
                           "filtered the frames without keeping it.",
            "fix": f"Keep `{name}` in the frames `where` returns (extend the frames it was given).",
        }
    return {
        "code": "F1",
        "explanation": f"nothing in `when` or `where` binds `{name}`; most likely it is the output of an earlier "
                       "`then` entry. A `then` output pattern binds nothing and every `then` input is resolved "
                       "before any action runs, so no action of this `then` ran (nothing was inserted).",
        "fix": f"Split the sync: one sync runs the action that makes `{name}`; a second sync whose `when` includes "
               f"that action with output `{{{name}}}` uses it.",
    }


def missing_binding(ctx: RunContext, flow: FlowFacts, ev: Evaluation) -> None:
    """F1/F2/F3/F6/UNBOUND: a `then` input variable was unbound."""
    name = _variable(ev, _MISSING_BINDING)
    facts = ev.error_facts or {}
    if facts.get("code") and facts.get("explanation"):  # what the engine knew when it threw
        info = {"code": facts["code"], "explanation": facts["explanation"], "fix": facts.get("fix") or "",
                "sources": facts.get("sources"), "then_action": facts.get("action")}
    else:
        info = _from_record(ctx, ev, name)
    code = info["code"] if info["code"] in ("F1", "F2", "F3", "F6", "UNBOUND") else "F2"
    then_action = info.get("then_action")
    where = f" while resolving `{then_action}`" if then_action else ""
    ctx.add(
        code, "error",
        f"`{ev.sync}` threw `Missing binding: Symbol({name})`{where} (the client got 500): {info['explanation']}",
        info["fix"], sync=ev.sync, request=flow.request, evidence=ev.error,
        flow=flow.flow, variable=name, then_action=then_action, sources=info.get("sources"),
    )


def binding_not_found(ctx: RunContext, flow: FlowFacts, ev: Evaluation) -> None:
    """F4: a `where` query needed a variable an earlier step left unbound."""
    name = _variable(ev, _BINDING_NOT_FOUND)
    sym = f"Symbol({name})"
    cause = f"no earlier step bound `{name}`"
    step_name = None
    for step in reversed(ev.where or []):
        if step.get("step") == "query" and sym in (step.get("output") or {}).values():
            rows = step.get("rows_sample") or []
            err = next((r.get("error") for r in rows if isinstance(r, dict) and "error" in r), None)
            step_name = step["name"]
            cause = (f"`{step_name}` returned rows without `{name}`"
                     + (f" ({{error: {ctx.show(err, 'error')}}})" if err else "")
                     + f", so the frame was kept with `{name}` unbound")
            break
    ctx.add(
        "F4", "error",
        f"In the `where` of `{ev.sync}`, a `frames.query` needs `{name}` as input, but {cause}; the next query "
        f"threw `Binding: Symbol({name}) not found` (the client got 500).",
        f"Drop the frames without `{name}` before that query (`.filter(lambda f: {name} in f)`) and answer them "
        f"from an error sync that queries `{{error}}`.",
        sync=ev.sync, request=flow.request, evidence=ev.error, flow=flow.flow, variable=name, step=step_name,
    )


def missing_action_id(ctx: RunContext, flow: FlowFacts, ev: Evaluation) -> None:
    """F5: `where` returned frames without the hidden action ids of `when`."""
    frames = ev.frames_where or []
    keys = sorted({k for f in frames for k in f if not k.startswith("action_") and k != "flow"})
    n = len(ev.when or [])
    ctx.add(
        "F5", "error",
        f"`where` of `{ev.sync}` returned frames without the hidden action ids of its {n} `when` record(s)"
        + (f" (they hold only {', '.join(keys)})" if keys else "")
        + ": frames built from scratch instead of extended from the frames it was given, so `then` threw "
          "`Missing actionId in `then` clause.`",
        "Build each returned frame from an original one: `{**frame, x: value}` (TypeScript `{...frame, [x]: value}`).",
        sync=ev.sync, request=flow.request, evidence=ev.error, flow=flow.flow,
    )


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
    what = f"`when` entry {index}" + (f" (`{label}`)" if label else "")
    ctx.add(
        "F8", "error",
        f"{what} of `{ev.sync}` has no output pattern. The engine notices only at run time, when a matching "
        f"record appears (here after `{ev.trigger_action}` completed), and throws "
        "`When pattern: [object Object] is missing output pattern.`",
        f"Write it as `[{label or 'Action'}, {{...}}, {{}}]` (an empty output matches every completion) or name the "
        "output keys you need.",
        sync=ev.sync, request=flow.request, evidence=ev.error, flow=flow.flow, pattern=index, action=label,
    )


def not_iterable(ctx: RunContext, flow: FlowFacts, ev: Evaluation) -> None:
    """F9: a query or `where` returned something that is not a list."""
    message = ev.error or ""
    if message.startswith("functionOutputArray"):
        why = "a query in its `where` returned a single object or null, not a list of rows"
        fix = "Return a list from the query: `[{...}]` for one row, `[]` for none."
    else:
        why = "its `where` returned nothing (a forgotten `return`) or not a list of frames"
        fix = "End `where` with `return frames`."
    ctx.add("F9", "error", f"`{ev.sync}` threw `{message}`: {why}.", fix, sync=ev.sync,
            request=flow.request, evidence=message, flow=flow.flow)


Handler = Callable[[RunContext, FlowFacts, Evaluation], None]

#: ``Evaluation.error_type`` (the engine error's class name) → its explanation.
ENGINE_ERRORS: dict[str, Handler] = {
    "MissingBinding": missing_binding,
    "BindingNotFound": binding_not_found,
    "MissingActionId": missing_action_id,
    "ActionMissing": missing_action_id,
    "WhenMissingOutput": when_missing_output,
    "NotIterable": not_iterable,
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


def binding_error(ev: Evaluation) -> bool:
    """Whether ``ev`` threw while binding variables (`then` inputs, `where` inputs, action ids): every
    `then` input is resolved before any action runs, so none of that `then` ran."""
    kind = ev.error_type if ev.error_type is not None else _type_from_message(ev.error or "")
    return kind in ("MissingBinding", "BindingNotFound", "MissingActionId")
