"""Tables: the collections, the flow and the writes of an app, as pandas DataFrames.

* :func:`sessions_table` — sessions joined to their users, creation time decoded from each UUIDv7
  id, flags for orphaned sessions, users with several sessions, and ids that are not strings;
* :func:`requests_table` — ``Requesting.requests``: path, input keys, response, time;
* :func:`trace_table` — one row per action of a recorded run (the causal tree, flattened);
* :func:`evaluations_table` — one row per (action, candidate sync): matched or not, and why;
* :func:`writes_table` / :func:`step_diff` — what each step inserted, updated or deleted.

Session ids, passwords and tokens are masked by default (a stable short form, so equal ids still
look equal); ``reveal=True`` (or :func:`sessioning.reveal_secrets`) shows them in full.
Collection and field names are parameters, because real apps rename them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

# The sessions and requests tables live at the database layer (the database checks read them too);
# shown here with the other tables, under the same names.
from sessioning.db.frames import requests_table, revealed, sessions_table

from .masking import mask_id, mask_secrets, mask_text
from .record import FlowLog, Run
from .record.show import is_session_collection, mask_doc

_ABSENT = object()

TRACE_COLUMNS = [
    "flow", "request", "path", "order", "seq", "depth", "action", "input", "output", "status",
    "exception", "error_type", "sync", "trigger", "called_from", "duration_ms", "started", "writes",
]
EVALUATIONS_COLUMNS = [
    "flow", "request", "seq", "trigger", "trigger_action", "sync", "matched", "failed_pattern",
    "failed_action", "failed_side", "failed_key", "reason", "why", "frames_when", "where_steps",
    "frames_steps", "emptied_by", "frames_where", "fired", "then", "error", "error_type",
]
WRITES_COLUMNS = [
    "flow", "request", "seq", "order", "action", "sync", "op", "collection", "_id", "before", "after", "changed",
]
DIFF_COLUMNS = ["seq", "action", "op", "collection", "_id", "field", "before", "after"]


def _masked_text(text: Any, reveal: bool) -> Any:
    """An exception message as a table shows it: remembered secrets and URI passwords masked (as
    requests_table's ``error``) unless revealed."""
    return text if reveal or not isinstance(text, str) else mask_text(text, False)


# -- runs ---------------------------------------------------------------------------------------------
def _flows(run: Run, flows: Iterable[str] | None = None) -> list[FlowLog]:
    logs = list(run.flows.values())
    if flows is not None:
        wanted = {flows} if isinstance(flows, str) else set(flows)
        logs = [f for f in logs if f.flow in wanted or f.request in wanted]
    return logs


def trace_table(run: Any, reveal: bool | None = None, *, flows: Iterable[str] | None = None) -> pd.DataFrame:
    """One row per action of a recorded run, in the order they started (a pre-order walk of each
    flow's causal tree).

    Columns: ``flow``, ``request``, ``path``, ``order`` (position in its flow), ``seq`` (global),
    ``depth`` (0 = the outside call), ``action`` (``Concept.action``), ``input``, ``output`` (masked),
    ``status`` (``ok`` / ``error`` / ``exception`` / ``running``), ``exception`` (the message of an
    action that threw), ``error_type``, ``sync`` (the sync whose ``then`` invoked it), ``trigger``
    (the action that triggered that sync), ``called_from`` (a ``where`` that called it: F14),
    ``duration_ms``, ``started`` (UTC), ``writes`` (how many documents it wrote).
    ``run`` may be a Run, an Engine or an App; ``flows`` keeps only those flows (or request ids).
    """
    run = Run.of(run)
    reveal = revealed(reveal)
    rows = []
    for log in _flows(run, flows):
        request, path = log.request_id, log.path
        labels = {a.id: a.label for a in log.actions}
        for order, a in enumerate(log.actions):
            rows.append({
                "flow": log.flow, "request": request, "path": path, "order": order, "seq": a.seq,
                "depth": a.depth, "action": a.label,
                "input": mask_secrets(a.input, reveal),
                "output": mask_secrets(a.output, reveal),
                "status": a.status,
                "exception": _masked_text(a.error, reveal) if a.status == "exception" else None,
                "error_type": a.error_type,
                "sync": a.sync, "trigger": labels.get(a.trigger, a.trigger),
                "called_from": a.called_from,
                "duration_ms": a.duration_ms, "started": a.started,
                "writes": len(a.writes or ()),
            })
    df = pd.DataFrame(rows, columns=TRACE_COLUMNS)
    df["order"] = df["order"].astype("int64")
    df["seq"] = df["seq"].astype("int64")
    df["depth"] = df["depth"].astype("int64")
    df["writes"] = df["writes"].astype("int64")
    df["duration_ms"] = pd.to_numeric(df["duration_ms"], errors="coerce").astype("float64")
    df["started"] = pd.to_datetime(pd.to_numeric(df["started"], errors="coerce"), unit="s", utc=True)
    return df


def _step_text(step: dict) -> str:
    text = f"{step.get('step')} {step.get('name')}: {step.get('frames_in')}→{step.get('frames_out')}"
    unbound = {k: v for k, v in (step.get("unbound") or {}).items() if v}
    if unbound:
        text += " (unbound: " + ", ".join(f"{k}×{v}" for k, v in unbound.items()) + ")"
    return text


def evaluations_table(run: Any, reveal: bool | None = None, *, flows: Iterable[str] | None = None,
                      matched: bool | None = None) -> pd.DataFrame:
    """One row per (completed action, candidate sync) of a recorded run.

    Columns: ``flow``, ``request``, ``seq``, ``trigger`` (its action's position in the flow),
    ``trigger_action``, ``sync``, ``matched`` (``when`` gave ≥1 frame), the first failing
    ``when`` pattern — ``failed_pattern`` (index), ``failed_action``, ``failed_side`` (input/output),
    ``failed_key``, ``reason`` (``absent``, ``literal_mismatch``, ``output_absent``,
    ``bound_mismatch``, ``no_record`` — nothing of that action in this flow, ``synced`` …) and ``why``
    (a sentence); ``frames_when``, ``where_steps`` (one text per step: ``query X: 1→0``),
    ``frames_steps`` (frames after ``when`` and after each ``where`` step), ``emptied_by`` (the step
    that left no frames), ``frames_where``, ``fired`` (how many times ``then`` ran), ``then``
    (the actions it called), ``error``/``error_type`` (an exception raised there).
    ``matched=False`` keeps only the syncs that did not match.
    """
    run = Run.of(run)
    reveal = revealed(reveal)
    rows = []
    masked_texts: dict[str, str] = {}  # the same sentence recurs across flows: mask it once
    for log in _flows(run, flows):
        request = log.request_id
        order = {a.id: i for i, a in enumerate(log.actions)}
        for ev in log.evaluations:
            fail = ev.first_failure() or {}
            when_frames = ev.n_frames("when") or 0
            where_frames = ev.n_frames("where")
            steps = ev.where or []
            empt = ev.emptied_by()
            why = fail.get("text")
            if why is not None and not reveal:
                masked = masked_texts.get(why)
                if masked is None:
                    masked = masked_texts[why] = mask_text(why, False)
                why = masked
            rows.append({
                "flow": log.flow, "request": request, "seq": ev.seq, "trigger": order.get(ev.trigger),
                "trigger_action": ev.trigger_action, "sync": ev.sync, "matched": when_frames > 0,
                "failed_pattern": fail.get("pattern"), "failed_action": fail.get("action"),
                "failed_side": fail.get("side"), "failed_key": fail.get("key"), "reason": fail.get("reason"),
                "why": why, "frames_when": when_frames,
                "where_steps": [_step_text(s) for s in steps] if ev.where is not None else None,
                "frames_steps": [when_frames] + [s.get("frames_out") for s in steps],
                "emptied_by": f"{empt.get('step')} {empt.get('name')}" if empt else None,
                "frames_where": where_frames,
                "fired": ev.fired or 0, "then": [t.get("action") for t in ev.then or ()],
                "error": _masked_text(ev.error, reveal), "error_type": ev.error_type,
            })
    df = pd.DataFrame(rows, columns=EVALUATIONS_COLUMNS)
    df["matched"] = df["matched"].astype("bool")
    for col in ("failed_pattern", "trigger", "frames_where"):
        df[col] = df[col].astype("Int64")
    df["frames_when"] = df["frames_when"].astype("int64")
    df["fired"] = df["fired"].astype("int64")
    if matched is not None:
        df = df[df["matched"] == matched].reset_index(drop=True)
    return df


def _changed(before: Any, after: Any) -> list[str]:
    b = before if isinstance(before, dict) else {}
    a = after if isinstance(after, dict) else {}
    return [k for k in dict.fromkeys([*b, *a]) if b.get(k, _ABSENT) != a.get(k, _ABSENT)]



def writes_table(run: Any, reveal: bool | None = None, *, flows: Iterable[str] | None = None,
                 collection: str | None = None) -> pd.DataFrame:
    """One row per document written by a recorded run.

    Columns: ``flow``, ``request``, ``seq`` and ``order`` of the action that wrote, ``action``,
    ``sync`` (that invoked the action), ``op`` (insert/update/delete), ``collection``, ``_id``,
    ``before`` / ``after`` (the whole document, masked; ``None`` for an insert's before and a
    delete's after), ``changed`` (the fields that differ).
    """
    run = Run.of(run)
    reveal = revealed(reveal)
    rows = []
    for log in _flows(run, flows):
        request = log.request_id
        for order, a in enumerate(log.actions):
            for w in a.writes or ():
                coll = w.get("collection")
                if collection is not None and coll != collection:
                    continue
                _id = w.get("_id")
                rows.append({
                    "flow": log.flow, "request": request, "seq": a.seq, "order": order,
                    "action": a.label, "sync": a.sync, "op": w.get("op"),
                    "collection": coll,
                    "_id": mask_id(_id, reveal) if is_session_collection(coll) else _id,
                    "before": mask_doc(w.get("before"), coll, reveal), "after": mask_doc(w.get("after"), coll, reveal),
                    "changed": _changed(w.get("before"), w.get("after")),
                })
    df = pd.DataFrame(rows, columns=WRITES_COLUMNS)
    df["seq"] = df["seq"].astype("int64")
    df["order"] = df["order"].astype("int64")
    return df


def step_diff(run: Any, step: int | str, reveal: bool | None = None) -> pd.DataFrame:
    """Before/after of every field one step (an action, by ``seq`` or id) wrote: one row per field.

    Columns: ``seq``, ``action``, ``op``, ``collection``, ``_id``, ``field``, ``before``, ``after``.
    Unchanged fields of an updated document are left out; an insert has ``before`` None, a delete
    ``after`` None.
    """
    run = Run.of(run)
    reveal = revealed(reveal)
    action = run.find_action(step)
    if action is None:
        raise KeyError(f"no action with {'id' if isinstance(step, str) else 'seq'} {step!r} in this run")
    rows = []
    label = action.label
    for w in action.writes or ():
        coll = w.get("collection")
        before = mask_doc(w.get("before"), coll, reveal)
        after = mask_doc(w.get("after"), coll, reveal)
        _id = w.get("_id")
        raw_b, raw_a = w.get("before"), w.get("after")
        for field in _changed(raw_b, raw_a):
            rows.append({
                "seq": action.seq, "action": label, "op": w.get("op"), "collection": coll,
                "_id": mask_id(_id, reveal) if is_session_collection(coll) else _id, "field": field,
                "before": before.get(field) if isinstance(before, dict) else None,
                "after": after.get(field) if isinstance(after, dict) else None,
            })
    return pd.DataFrame(rows, columns=DIFF_COLUMNS)


__all__ = [
    "sessions_table", "requests_table", "trace_table", "evaluations_table", "writes_table", "step_diff",
]
