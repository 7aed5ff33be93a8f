"""Why a variable is unbound: the explanation the course engine's ``Missing binding`` cannot give.

This module gathers the facts (where the sync could have bound the variable, what the ``where``
queries returned) and decides the failure mode; the words come from the catalogue
(:mod:`sessioning.failure_modes`, the ``engine`` wordings).
"""

from __future__ import annotations

from typing import Any

from sessioning import failure_modes

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


def _then_outputs(sync: Any, var: Any) -> list[tuple[int, str, str]]:
    """The ``then`` entries whose output pattern names this variable (which binds nothing)."""
    found = []
    for j, pattern in enumerate(sync.then):
        if pattern.output is MISSING:
            continue
        for key, value in pattern.output.items():
            if value is var:
                found.append((j, pattern.label, key))
    return found


def _where_steps(steps: Any, var: Any) -> list[dict]:
    """The ``where`` queries whose output pattern names this variable (from the recorded steps)."""
    if steps is None or not steps.where:
        return []
    name = repr(var)
    return [step for step in steps.where if step.get("step") == "query" and name in (step.get("output") or {}).values()]


def _explained(variant: str, sources: list[str], *, code: str, **facts: Any) -> dict[str, Any]:
    why, fix = failure_modes.explain(code, variant, **facts)
    return {"code": code, "sources": sources, "explanation": why, "fix": fix}


def _from_query(step: dict, name: str, var: Any, action: str, sources: list[str]) -> dict[str, Any]:
    """F2 (or F3 for ``error``): a ``where`` query returned rows without the variable's key."""
    out_key = next((k for k, v in (step.get("output") or {}).items() if v == repr(var)), name)
    rows = step.get("rows_sample") or []
    row_keys = sorted({k for r in rows if isinstance(r, dict) for k in r})
    sample_error = next((r.get("error") for r in rows if isinstance(r, dict) and "error" in r), None)
    error = failure_modes.phrase("rows.error", error=repr(str(sample_error)[:80])) if sample_error else ""
    had = failure_modes.phrase("rows.had", keys=", ".join(row_keys), error=error) if row_keys else ""
    facts = {"name": name, "step": step["name"], "out_key": out_key, "had": had}
    if name == "error":
        return _explained("engine", code="F3", sources=sources, action=action, **facts)
    return _explained("engine", code="F2", sources=sources, **facts)


def explain_missing_binding(sync: Any, index: int, pattern: Any, key: str, var: Any, frame: dict,
                            steps: Any = None) -> dict[str, Any]:
    """``code``, ``sources``, ``explanation`` and ``fix`` for an unbound ``then`` input.

    ``steps`` is what the sync's ``where`` reported its steps to (the recorded evaluation), if any."""
    name = var.name
    sources = _binders(sync, var)
    then_outs = _then_outputs(sync, var)
    queries = _where_steps(steps, var)
    for step in queries:
        sources.append(f"`where` query {step['name']} output")
    for j, label, k in then_outs:
        sources.append(f"`then` entry {j} ({label}) output key `{k}` — which binds nothing")

    if then_outs and not queries and not _binders(sync, var):
        j, label, k = then_outs[0]
        return _explained("engine", code="F1", sources=sources, name=name, entry=j, label=label, out_key=k,
                          action=pattern.label)
    if name in frame:  # a hand-built frame with a string key (F6)
        return _explained("engine", code="F6", sources=sources, name=name)
    if queries:
        return _from_query(queries[0], name, var, pattern.label, sources)
    if name == "error":
        return _explained("engine-nowhere", code="F3", sources=sources, action=pattern.label)
    if sources:
        return _explained("engine-rebuilt", code="F2", sources=sources, name=name, source=sources[0])
    return _explained("engine", code="UNBOUND", sources=[], name=name)
