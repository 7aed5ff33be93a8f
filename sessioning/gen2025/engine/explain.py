"""Why a variable is unbound: the explanation the course engine's ``Missing binding`` cannot give."""

from __future__ import annotations

from typing import Any

from .actions import MISSING


def _binders(sync: Any, var: Any) -> list[str]:
    """Where in ``when`` this variable gets a value."""
    out = []
    for i, pattern in enumerate(sync.when):
        for side, mapping in (("input", pattern.input), ("output", pattern.output)):
            if mapping is MISSING:
                continue
            for key, value in mapping.items():
                if value is var:
                    out.append(f"`when` entry {i} ({pattern.label}) {side} key `{key}`")
    return out


def _then_outputs(sync: Any, var: Any, before: int) -> list[tuple[int, str, str]]:
    found = []
    for j, pattern in enumerate(sync.then):
        if pattern.output is MISSING:
            continue
        for key, value in pattern.output.items():
            if value is var:
                found.append((j, pattern.label, key))
    return found


def _where_steps(ev: Any, var: Any) -> list[dict]:
    if ev is None or not ev.where:
        return []
    name = repr(var)
    return [step for step in ev.where if step.get("step") == "query" and name in (step.get("output") or {}).values()]


def explain_missing_binding(sync: Any, index: int, pattern: Any, key: str, var: Any, frame: dict, ev: Any = None) -> dict[str, Any]:
    """``code``, ``explanation``, ``fix`` and ``sources`` for an unbound ``then`` input."""
    name = var.name
    sources = _binders(sync, var)
    then_outs = _then_outputs(sync, var, index)
    steps = _where_steps(ev, var)
    string_key = name in frame  # a hand-built frame with a string key (F6)
    for step in steps:
        sources.append(f"`where` query {step['name']} output")
    for j, label, k in then_outs:
        sources.append(f"`then` entry {j} ({label}) output key `{k}` — which binds nothing")

    if then_outs and not steps and not _binders(sync, var):
        j, label, k = then_outs[0]
        return {
            "code": "F1",
            "sources": sources,
            "explanation": (
                f"`{name}` only appears in the output pattern of `then` entry {j} (`{label}`). A `then` output "
                f"pattern binds nothing, and every `then` input is resolved before any action runs, so this "
                f"error is thrown first: `{label}` never ran (nothing was inserted). Restarting the server will not help."
            ),
            "fix": (
                f"Split the sync: one sync runs `{label}`; a second sync whose `when` includes "
                f"`[{label}, {{}}, {{'{k}': {name}}}]` then calls `{pattern.label}` with `{name}`."
            ),
        }
    if string_key:
        return {
            "code": "F6",
            "sources": sources,
            "explanation": (
                f"the frame has `'{name}'` as a string key, but the engine reads only variable (symbol) keys, "
                f"so `{name}` is unbound. A frame built by hand as `{{...frame, {name}: value}}` sets a string key."
            ),
            "fix": f"Use the variable as the key: `{{**frame, {name}: value}}` with `{name}` the sync's parameter "
                   f"(in TypeScript `[{name}]: value`).",
        }
    if steps:
        step = steps[0]
        out_key = next((k for k, v in (step.get("output") or {}).items() if v == repr(var)), name)
        rows = step.get("rows_sample") or []
        row_keys = sorted({k for r in rows if isinstance(r, dict) for k in r})
        sample_error = next((r.get("error") for r in rows if isinstance(r, dict) and "error" in r), None)
        code = "F3" if name == "error" else "F2"
        explanation = (
            f"`{step['name']}` returned rows without `{out_key}`"
            + (f" (they had {', '.join(row_keys)}" + (f": {str(sample_error)[:80]!r}" if sample_error else "") + ")" if row_keys else "")
            + f", and `frames.query` binds `{name}` only for rows that have the key, so the frame was kept with "
            f"`{name}` unbound."
        )
        if code == "F3":
            explanation = (f"`error` is bound only on the failure path: on success `{step['name']}` returns rows "
                           f"without `error`, so a sync that always passes `error` to `{pattern.label}` fails. " + explanation)
            fix = "Use two syncs (or two frame sets): one responds with the result when it succeeds, one with `error` when it fails."
        else:
            fix = (f"Drop frames whose rows are errors before `then` (e.g. `.filter(lambda f: {name} in f)`), add an "
                   f"error-response sync, or make `{step['name']}` return `{out_key}` as the sync expects.")
        return {"code": code, "sources": sources, "explanation": explanation, "fix": fix}
    if name == "error":
        return {
            "code": "F3",
            "sources": sources,
            "explanation": "`error` is bound on one path only (or nowhere in this sync), so passing it to "
                           f"`{pattern.label}` fails whenever that path was not taken. `error: undefined` does not help.",
            "fix": "Respond with `error` from a separate sync whose `when` output pattern is `{error}`.",
        }
    if sources:
        return {
            "code": "F2",
            "sources": sources,
            "explanation": f"`{name}` can be bound by {sources[0]}, but this frame does not have it: the frame was "
                           "rebuilt or filtered in `where` without keeping it.",
            "fix": f"Keep `{name}` in the frames `where` returns (extend the frames it was given).",
        }
    return {
        "code": "UNBOUND",
        "sources": [],
        "explanation": f"nothing in this sync binds `{name}`: it is not in any `when` pattern or `where` query output.",
        "fix": f"Bind `{name}` in `when` (an input or output key) or in `where` (a query's output pattern).",
    }
