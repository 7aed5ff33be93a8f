"""F14 and F16: what the actions of a flow did wrong — one run from a `where`, one threw.

F16 explains an E11000 duplicate-key error fully: the unique index, the colliding value, and the
document already holding it (looked up read-only in the database, masked).
"""

from __future__ import annotations

import json
import re
from typing import Any

from sessioning import failure_modes
from sessioning.masking import mask_value
from sessioning.record import ActionEntry
from sessioning.record.show import mask_doc

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


def _duplicate_facts(ctx: RunContext, dup: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The catalogue variant and facts of an E11000: the index, the colliding key and who holds it."""
    key = ", ".join(f"{k}: {json.dumps(mask_value(k, v, ctx.reveal), default=str, ensure_ascii=False)}"
                    for k, v in dup["key"].items()) or "?"
    holder = (failure_modes.phrase("F16.held-by", existing=json.dumps(dup["existing"], default=str))
              if dup["existing"] is not None else failure_modes.phrase("F16.holder-gone"))
    facts = {"index": dup["index"], "collection": dup["collection"], "key": key, "holder": holder}
    if dup["index"] == "_id_":
        return "run-duplicate-id", facts
    return "run-duplicate", {**facts, "fields": ", ".join(dup["key"]) or "the key"}


def action_exception(ctx: RunContext, flow: FlowFacts, a: ActionEntry) -> None:
    """F16: an action threw instead of returning ``{error}`` (E11000 explained)."""
    message = a.error or ""
    common = {
        "action": a.label,
        "by": failure_modes.phrase("F16.by", sync=a.sync) if a.sync else "",
        "tail": failure_modes.phrase("F16.tail-500" if flow.request else "F16.tail"),
        "injected": failure_modes.phrase("F16.injected") if injected(ctx.db, message) else "",
    }
    dup = explain_duplicate_key(message, ctx.db, ctx.reveal)
    extra: dict[str, Any] = {"flow": flow.flow, "action": a.label, "seq": a.seq}
    if dup:
        variant, facts = _duplicate_facts(ctx, dup)
        extra.update(index=dup["index"], collection=dup["collection"], key=dup["key"], existing=dup["existing"])
    else:
        variant = "run"
        facts = {"error_type": a.error_type or failure_modes.phrase("F16.an-exception"), "message": message}
    why, fix = failure_modes.explain("F16", variant, **common, **facts)
    ctx.add("F16", "error", why, fix, sync=a.sync, request=flow.request, evidence=message, **extra)


def action_as_query(ctx: RunContext, flow: FlowFacts, a: ActionEntry) -> None:
    """F14: an action called from a `where` (or returning a list) runs in a new flow."""
    where_sync = a.called_from
    request = flow.request
    if where_sync:
        origin = ctx.calling_evaluation(where_sync, a.seq or 0)
        if origin is not None:
            request = ctx.run.flows[origin.flow].request_id if origin.flow in ctx.run.flows else request
        how = failure_modes.phrase("F14.how-where", sync=where_sync)
    else:
        how = failure_modes.phrase("F14.how-list")
    output = failure_modes.phrase("F14.its-output", output=ctx.show(a.output)) if isinstance(a.output, list) else ""
    why, fix = failure_modes.explain("F14", "run", action=a.label, how=how, output=output, method=a.action)
    ctx.add("F14", "warning", why, fix, sync=where_sync or a.sync, request=request, flow=flow.flow, action=a.label)


def action_checks(ctx: RunContext, flow: FlowFacts) -> None:
    """Each action of the flow in order: F16 if it threw, F14 if it ran as a query."""
    for a in flow.log.actions:
        if a.status == "exception":
            action_exception(ctx, flow, a)
        if a.called_from or isinstance(a.output, list):
            action_as_query(ctx, flow, a)
