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

import datetime as dt
from collections.abc import Iterable
from typing import Any

import pandas as pd

from sessioning.db.read import (
    CHUNK,
    arrow_records,
    chunks,
    id_kind,
    progress_bar,
    read_collection,
    read_usernames,
    uuid7_ms,
)
from sessioning.ids import UUID7_RE

from .masking import is_secret_key, mask_id, mask_secrets, mask_text, secrets_revealed
from .record import FlowLog, Run
from .record.show import is_session_collection, mask_doc

_ABSENT = object()

SESSIONS_COLUMNS = [
    "session", "user", "username", "created", "id_type", "user_id_type", "user_exists", "orphaned",
    "user_sessions", "several_sessions", "id_not_string",
]
REQUESTS_COLUMNS = [
    "request", "path", "input_keys", "input", "has_response", "response", "error", "created", "id_type",
]
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


# -- helpers ------------------------------------------------------------------------------------------
def _reveal(reveal: bool | None) -> bool:
    return secrets_revealed() if reveal is None else bool(reveal)


def _ms_to_utc(ms: list[float]) -> pd.Series:
    return pd.to_datetime(pd.Series(ms, dtype="float64"), unit="ms", utc=True)


# -- sessions -----------------------------------------------------------------------------------------
def sessions_table(db: Any, collection: str = "Sessioning.sessions", user_field: str = "user",
                   users_collection: str | None = "UserAuthentication.users", reveal: bool | None = None,
                   progress: bool | None = None, *, username_field: str = "username",
                   arrow: bool | None = None) -> pd.DataFrame:
    """One row per session, joined to its user.

    Columns: ``session`` (masked unless ``reveal``), ``user``, ``username``, ``created`` (UTC, from the
    UUIDv7 id; NaT for other ids), ``id_type`` / ``user_id_type`` (``uuid7``, ``string``, ``ObjectId``…),
    ``user_exists``, ``orphaned`` (the user is not in ``users_collection``), ``user_sessions`` (how many
    sessions the user holds), ``several_sessions``, ``id_not_string`` (the session id or user id is
    not a string — an ObjectId never equals the string ids in frames), then any other fields.
    ``users_collection=None`` skips the join (``user_exists`` is then NA).

    On the embedded database the store is read directly (100,000 sessions in well under a second).
    On a real server, ``arrow=None`` uses pymongoarrow for collections of 50,000 documents or more
    when it is installed (``True``: always, ``False``: never), else pymongo batches with a progress bar.
    """
    reveal = _reveal(reveal)
    docs = None
    if arrow is not False:
        docs = arrow_records(db, collection, ["_id", user_field], 0 if arrow else 50_000)
    if docs is None:
        docs = read_collection(db, collection, progress=progress, desc=f"reading {collection}")
    users = read_usernames(db, users_collection, username_field, progress) if users_collection else None
    n = len(docs)
    ids, user_ids, extra = _session_columns(docs, user_field, f"tabulating {collection}", progress)
    id_types, created_ms, shown = _id_columns(ids, reveal)
    user_types, user_counts = _user_id_columns(user_ids)
    if users is not None:
        exists, names = _user_join(user_ids, users)
        exists_s = pd.Series(exists, dtype="boolean")
    else:
        names = [None] * n
        exists_s = pd.Series([pd.NA] * n, dtype="boolean")
    df = pd.DataFrame({
        "session": pd.Series(shown, dtype="object"),
        "user": pd.Series([u if type(u) is str or u is None else str(u) for u in user_ids], dtype="object"),
        "username": pd.Series(names, dtype="object"),
        "created": _ms_to_utc(created_ms),
        "id_type": pd.Series(id_types, dtype="category" if n else "object"),
        "user_id_type": pd.Series(user_types, dtype="category" if n else "object"),
        "user_exists": exists_s,
        "orphaned": (~exists_s) if users is not None else pd.Series([pd.NA] * n, dtype="boolean"),
        "user_sessions": pd.Series(user_counts, dtype="int64"),
        "several_sessions": pd.Series(user_counts, dtype="int64") > 1,
        "id_not_string": pd.Series([type(x) is not str or type(u) is not str for x, u in zip(ids, user_ids)], dtype="bool"),
    }, columns=SESSIONS_COLUMNS)
    for k, col in extra.items():
        if k in df.columns:
            continue
        # A secret-named field, or documents/lists that may hold one deeper down: masked recursively.
        nested = any(isinstance(v, (dict, list, tuple)) for v in col)
        df[k] = [mask_secrets({k: v}, reveal)[k] for v in col] if is_secret_key(k) or nested else col
    if n and "created" in df:
        df = df.sort_values("created", kind="stable", na_position="last").reset_index(drop=True)
    df.attrs.update({"collection": collection, "users_collection": users_collection, "user_field": user_field})
    return df


# One pass per column, plain Python on lists: pandas' string methods are no faster without pyarrow.
def _session_columns(docs: list[dict], user_field: str, desc: str,
                     progress: bool | None) -> tuple[list[Any], list[Any], dict[str, list[Any]]]:
    """The session ids, their users, and every other field (one list per field)."""
    n = len(docs)
    ids: list[Any] = []
    user_ids: list[Any] = []
    extra_keys: dict[str, None] = {}
    with progress_bar(n, desc, progress if n > CHUNK else False) as bar:
        for chunk in chunks(docs):
            ids.extend(d.get("_id") for d in chunk)
            user_ids.extend(d.get(user_field) for d in chunk)
            for d in chunk:
                if len(d) > 2 or user_field not in d:
                    extra_keys.update(dict.fromkeys(d))
            bar.update(len(chunk))
    extra_keys.pop("_id", None)
    extra_keys.pop(user_field, None)
    return ids, user_ids, {k: [d.get(k) for d in docs] for k in extra_keys}


def _id_columns(ids: list[Any], reveal: bool) -> tuple[list[str], list[float], list[Any]]:
    """Per session id: its kind, its UUIDv7 time in ms (NaN for other ids), and how it is shown."""
    match = UUID7_RE.match
    id_types: list[str] = []
    created_ms: list[float] = []
    shown: list[Any] = []
    nan = float("nan")
    for x in ids:
        if type(x) is str:
            if len(x) == 36 and match(x):
                id_types.append("uuid7")
                created_ms.append(float(int(x[:8] + x[9:13], 16)))
            else:
                id_types.append(id_kind(x))
                created_ms.append(nan)
            shown.append(x if reveal else (f"{x[:8]}…{x[-4:]}" if len(x) > 8 else mask_id(x, False)))
        else:
            id_types.append(id_kind(x))
            created_ms.append(nan)
            shown.append(None if x is None else mask_id(str(x), reveal))
    return id_types, created_ms, shown


def _user_id_columns(user_ids: list[Any]) -> tuple[list[str], list[int]]:
    """Per session: the kind of its user id, and how many sessions that user holds."""
    kinds: dict[Any, str] = {}
    counts: dict[Any, int] = {}
    user_types: list[str] = []
    for u in user_ids:
        try:
            counts[u] = counts.get(u, 0) + 1
            kind = kinds.get(u)
            if kind is None:
                kind = kinds[u] = "missing" if u is None else id_kind(u)
        except TypeError:  # an unhashable user value (a sub-document)
            kind = id_kind(u)
        user_types.append(kind)
    user_counts: list[int] = []
    for u in user_ids:
        try:
            user_counts.append(counts[u])
        except (TypeError, KeyError):
            user_counts.append(1)
    return user_types, user_counts


def _user_join(user_ids: list[Any], users: dict[Any, Any]) -> tuple[list[bool], list[Any]]:
    """Per session: whether its user exists, and the user's name."""
    exists = []
    names = []
    for u in user_ids:
        try:
            name = users.get(u, _ABSENT)
        except TypeError:
            name = _ABSENT
        exists.append(name is not _ABSENT)
        names.append(None if name is _ABSENT else name)
    return exists, names


# -- requests -----------------------------------------------------------------------------------------
def _created(doc: dict, time_field: str) -> Any:
    value = doc.get(time_field)
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, str):
        try:
            return pd.Timestamp(value)
        except ValueError:
            pass
    ms = uuid7_ms(doc.get("_id"))
    return pd.Timestamp(ms, unit="ms", tz="UTC") if ms == ms else pd.NaT


def requests_table(db: Any, collection: str = "Requesting.requests", reveal: bool | None = None,
                   progress: bool | None = None, *, time_field: str = "createdAt") -> pd.DataFrame:
    """One row per stored request, oldest first.

    Columns: ``request``, ``path``, ``input_keys`` (the body's keys, ``path`` left out), ``input``
    (passwords and session ids masked), ``has_response``, ``response`` (masked), ``error`` (the
    response's ``error`` if any), ``created`` (UTC: ``createdAt``, or the UUIDv7 time), ``id_type``.
    """
    reveal = _reveal(reveal)
    docs = read_collection(db, collection, progress=progress, desc=f"reading {collection}")
    rows = []
    for d in docs:
        inp = d.get("input") if isinstance(d.get("input"), dict) else {}
        resp = d.get("response")
        rows.append({
            "request": d.get("_id") if isinstance(d.get("_id"), str) else str(d.get("_id")),
            "path": inp.get("path"),
            "input_keys": ", ".join(k for k in inp if k != "path"),
            "input": mask_secrets(inp, reveal),
            "has_response": "response" in d,
            "response": mask_secrets(resp, reveal) if resp is not None else None,
            "error": (resp.get("error") if reveal or not isinstance(resp.get("error"), str)
                      else mask_text(resp["error"], False)) if isinstance(resp, dict) else None,
            "created": _created(d, time_field),
            "id_type": id_kind(d.get("_id")),
        })
    df = pd.DataFrame(rows, columns=REQUESTS_COLUMNS)
    df["has_response"] = df["has_response"].astype("bool")
    df["created"] = pd.to_datetime(df["created"], utc=True)
    if len(df):
        df = df.sort_values("created", kind="stable", na_position="last").reset_index(drop=True)
    df.attrs["collection"] = collection
    return df


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
    reveal = _reveal(reveal)
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
    reveal = _reveal(reveal)
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
    reveal = _reveal(reveal)
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
    reveal = _reveal(reveal)
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
