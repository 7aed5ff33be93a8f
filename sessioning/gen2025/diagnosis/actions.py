"""F14 and F16: what the actions of a flow did wrong — one run from a `where`, one threw.

F16 explains an E11000 duplicate-key error fully: the unique index, the colliding value, and the
document already holding it (looked up read-only in the database, masked).
"""

from __future__ import annotations

import json
import re
from typing import Any

from sessioning.masking import mask_value
from sessioning.record import ActionEntry
from sessioning.tables import mask_doc

from .context import FlowFacts, RunContext, injected

__all__ = ["action_checks", "collection_of", "explain_duplicate_key", "parse_dup_key"]

_E11000 = re.compile(
    r"E11000 duplicate key error collection: (?P<ns>\S+) index: (?P<index>\S+)(?: dup key: (?P<dup>\{[^{}]*\}))?",
)


def parse_dup_key(text: str | None) -> dict[str, Any]:
    """``{ email: "a@x" }`` (the server's ``dup key`` text) → ``{"email": "a@x"}``."""
    if not text:
        return {}
    body = text.strip()[1:-1].strip()
    out: dict[str, Any] = {}
    for m in re.finditer(r'(?P<k>[\w.$]+)\s*:\s*(?P<v>"(?:[^"\\]|\\.)*"|[^,}]+)', body):
        raw = m["v"].strip()
        try:
            value = json.loads(raw)
        except ValueError:
            oid = re.fullmatch(r"ObjectId\('([0-9a-f]{24})'\)", raw)
            if oid:
                from bson import ObjectId

                value = ObjectId(oid[1])
            else:
                value = raw
        out[m["k"]] = value
    return out


def explain_duplicate_key(message: str, db: Any = None, reveal: bool = False) -> dict[str, Any] | None:
    """Index, collection, colliding value and the document already holding it, for an E11000 message."""
    m = _E11000.search(message or "")
    if not m:
        return None
    ns = m["ns"]
    collection = collection_of(ns, db)
    key = parse_dup_key(m["dup"])
    info: dict[str, Any] = {"namespace": ns, "collection": collection, "index": m["index"], "key": key, "existing": None}
    if db is not None and key:
        try:
            existing = db[collection].find_one(key)
        except Exception:  # noqa: BLE001 - a lookup must never break a diagnosis
            existing = None
        if existing is not None:
            info["existing"] = mask_doc(dict(existing), collection, reveal)
    return info


def collection_of(namespace: str, db: Any = None) -> str:
    """``<db>.<Concept>.<coll>`` → ``<Concept>.<coll>`` (an injected fault's message has no db part)."""
    if db is not None:
        name = getattr(db, "name", None)
        if name and namespace.startswith(name + "."):
            return namespace[len(name) + 1:]
        try:
            if namespace in db.list_collection_names():
                return namespace
        except Exception:  # noqa: BLE001
            pass
    if namespace.count(".") == 1 and namespace[:1].isupper():
        return namespace
    return namespace.split(".", 1)[1] if "." in namespace else namespace


def _duplicate_text(ctx: RunContext, label: str, dup: dict[str, Any], by: str, tail: str) -> tuple[str, str]:
    key_text = ", ".join(f"{k}: {json.dumps(mask_value(k, v, ctx.reveal), default=str, ensure_ascii=False)}"
                         for k, v in dup["key"].items()) or "?"
    holder = (f" It is already held by {json.dumps(dup['existing'], default=str)}."
              if dup["existing"] is not None else " (The document holding it is no longer there.)")
    explanation = (f"`{label}`{by} threw E11000: the unique index `{dup['index']}` of `{dup['collection']}` "
                   f"already has {{ {key_text} }}.{holder}{tail}")
    if dup["index"] == "_id_":
        fix = (f"`{label}` inserts with an `_id` that already exists: use a fresh id (`freshID()`), or an "
               "upsert (`update_one(..., upsert=True)`) if updating was meant; catch `DuplicateKeyError` and "
               "return `{error: ...}` like the seed's `Sessioning.create`.")
    else:
        fields = ", ".join(dup["key"]) or "the key"
        fix = (f"Check for an existing document with the same {fields} before inserting and return "
               f"`{{error: ...}}`, and catch `DuplicateKeyError` in `{label}` (two requests can still race).")
    return explanation, fix


def action_exception(ctx: RunContext, flow: FlowFacts, a: ActionEntry) -> None:
    """F16: an action threw instead of returning ``{error}`` (E11000 explained)."""
    label = a.label
    message = a.error or ""
    by = f" (run by `{a.sync}`)" if a.sync else ""
    tail = (" An exception aborts the cascade: later syncs for the same action, including an error "
            "response, never run" + (", and the client got 500." if flow.request else "."))
    note = " (This failure was injected on purpose with `db.faults`.)" if injected(ctx.db, message) else ""
    dup = explain_duplicate_key(message, ctx.db, ctx.reveal)
    extra: dict[str, Any] = {"flow": flow.flow, "action": label, "seq": a.seq}
    if dup:
        explanation, fix = _duplicate_text(ctx, label, dup, by, tail)
        explanation += note
        extra.update(index=dup["index"], collection=dup["collection"], key=dup["key"], existing=dup["existing"])
    else:
        explanation = (f"`{label}`{by} threw `{a.error_type or 'an exception'}: {message}` instead of returning "
                       f"`{{error}}`.{tail}{note}")
        fix = (f"Catch the exception inside `{label}` and return `{{error: \"...\"}}`, so an error sync can answer "
               "the client.")
    ctx.add("F16", "error", explanation, fix, sync=a.sync, request=flow.request, evidence=message, **extra)


def action_as_query(ctx: RunContext, flow: FlowFacts, a: ActionEntry) -> None:
    """F14: an action called from a `where` (or returning a list) runs in a new flow."""
    label = a.label
    where_sync = a.called_from
    request = flow.request
    if where_sync:
        origin = ctx.calling_evaluation(where_sync, a.seq or 0)
        if origin is not None:
            request = ctx.run.flows[origin.flow].request_id if origin.flow in ctx.run.flows else request
        how = f"was called from the `where` of `{where_sync}`"
    else:
        how = "returned a list (it was used as a query)"
    ctx.add(
        "F14", "warning",
        f"The action `{label}` {how}. An action (a method without `_`) is instrumented: called there it runs in a "
        "new flow, so its effects and the syncs it triggers never join the request's flow"
        + (f" (its output: {ctx.show(a.output)})" if isinstance(a.output, list) else "")
        + ".",
        f"Make it a query (`_{a.action}` returning a list) and call it with `frames.query`, or call `{label}` "
        "from a `then` instead of from `where`.",
        sync=where_sync or a.sync, request=request, flow=flow.flow, action=label,
    )


def action_checks(ctx: RunContext, flow: FlowFacts) -> None:
    """Each action of the flow in order: F16 if it threw, F14 if it ran as a query."""
    for a in flow.log.actions:
        if a.status == "exception":
            action_exception(ctx, flow, a)
        if a.called_from or isinstance(a.output, list):
            action_as_query(ctx, flow, a)
