"""F10–F13 and F17: what a flow shows about its syncs — nothing matched, nothing answered, two
answers, an auth check that checks nothing, a login that inserted no session.

Each public function is one check over one flow (see ``CHECKS`` in :mod:`sessioning.gen2025.diagnosis`).
"""

from __future__ import annotations

import difflib
from typing import Any

from sessioning import failure_modes
from sessioning.record import ActionEntry, Evaluation

from .context import REQUEST, FlowFacts, RunContext, entry_text, injected, pattern_keys, where_summary
from .engine_errors import binding_error

__all__ = ["double_respond", "empty_checks", "missing_insert", "response_not_matched", "timed_out", "where_emptied"]


def timed_out(ctx: RunContext, flow: FlowFacts) -> None:
    """F10/F11: a request nobody answered — no request sync matched, a `where` emptied, or no response."""
    if flow.log.outcome != "timed out":
        return
    root = flow.log.root if flow.log.root is not None and flow.log.root.is_request else None
    on_request = [ev for ev in flow.log.evaluations if root is not None and ev.trigger == root.id]
    fired_on_request = [ev for ev in on_request if ev.fired]
    ran = [a for a in flow.log.actions if a is not root]
    if not fired_on_request and not ran:
        emptied = [ev for ev in on_request if ev.matched and ev.emptied_by() is not None]
        if emptied:
            where_emptied(ctx, flow, emptied[0], emptied[1:])
        else:
            request_not_matched(ctx, flow, root, on_request)
        return
    response_not_matched(ctx, flow)

def _request_score(ev: Evaluation) -> float:
    """How close a request sync came to matching (the request pattern's failure; a similar path scores high)."""
    f = ev.first_failure() or {}
    if f.get("pattern", 0) != 0:
        return 0.5  # the request pattern matched; a later pattern (a response sync) did not
    if f.get("reason") == "absent":
        return 3.0
    if f.get("reason") == "literal_mismatch" and f.get("key") == "path":
        exp, act = str(f.get("expected")), str(f.get("actual"))
        return 1.0 + difflib.SequenceMatcher(None, exp.lower().strip("/"), act.lower().strip("/")).ratio()
    return 1.5


def request_not_matched(ctx: RunContext, flow: FlowFacts, root: ActionEntry | None, evs: list) -> None:
    """F10: no request sync matched; name the closest one and the key that differs."""
    path = flow.path
    body = dict(root.input or {}) if root is not None else {}
    keys = ", ".join(k for k in body if k != "path") or "nothing"
    if not evs:
        why, fix = failure_modes.explain("F10", "run-no-request-sync", path=path)
        ctx.add("F10", "error", why, fix, request=flow.request, evidence=f"path {path!r}, body keys: {keys}",
                flow=flow.flow)
        return
    request_syncs = [ev for ev in evs if not ctx.is_response_sync(ev.sync)] or evs
    best = max(request_syncs, key=_request_score)
    f = best.first_failure() or {}
    others = [f"{ev.sync}: {(ev.first_failure() or {}).get('text')}" for ev in request_syncs if ev is not best][:6]
    closest = failure_modes.phrase("F10.closest", sync=best.sync,
                                   text=f.get("text") or failure_modes.phrase("F10.no-text"))
    facts: dict[str, Any] = {"path": path, "sync": best.sync}
    if f.get("reason") == "absent":
        variant, facts = "run-absent-key", {**facts, "key": f.get("key"), "keys": keys}
    else:
        variant = "run-path" if f.get("key") == "path" else "run-body"
    if _request_score(best) < 1.6 and f.get("key") == "path":  # nothing resembles this path
        known = sorted({str((ev.first_failure() or {}).get("expected")) for ev in evs
                        if (ev.first_failure() or {}).get("key") == "path"})
        closest = failure_modes.phrase("F10.no-path-sync", known=", ".join(map(repr, known)), closest=closest)
        variant, facts = "run-unknown-path", {"path": path}
    why, fix = failure_modes.explain("F10", variant, closest=closest, **facts)
    ctx.add("F10", "error", why, fix, sync=best.sync, request=flow.request, evidence="; ".join(others) or None,
            flow=flow.flow, key=f.get("key"), reason=f.get("reason"), expected=f.get("expected"),
            actual=f.get("actual"))


def where_emptied(ctx: RunContext, flow: FlowFacts, ev: Evaluation, others: list | None = None) -> None:
    """F11: a sync matched but its `where` removed every frame, so nothing answered."""
    step = ev.emptied_by() or {}
    steps = ev.where or []
    i = steps.index(step) if step in steps else -1
    prev = steps[i - 1] if i > 0 else None
    label = f"{step.get('step')} {step.get('name')}"
    detail = failure_modes.phrase("F11.emptied", step=label, frames_in=step.get("frames_in"))
    if step.get("step") == "query":
        rows = step.get("rows_sample") or []
        detail += failure_modes.phrase("F11.no-rows", rows=f": {ctx.show(rows)}" if rows else "")
    elif prev is not None and prev.get("step") == "query" and any((prev.get("unbound") or {}).values()):
        rows = prev.get("rows_sample") or []
        unbound = ", ".join(k for k, v in (prev.get("unbound") or {}).items() if v)
        returned = failure_modes.phrase("F11.it-returned", rows=ctx.show(rows)) if rows else ""
        detail += failure_modes.phrase("F11.after-unbound", step=prev["name"], unbound=unbound, returned=returned)
    why, fix = failure_modes.explain("F11", "run-where-emptied", sync=ev.sync, detail=detail, step=step.get("name"))
    ctx.add("F11", "error", why, fix, sync=ev.sync, request=flow.request, flow=flow.flow, step=label,
            evidence="; ".join(where_summary(e) for e in [ev, *(others or [])]))


def _response_candidates(ctx: RunContext, flow: FlowFacts) -> list[Evaluation]:
    """Response syncs tried in the flow that did not fire (and whose request path, if literal, fits)."""
    out = []
    for ev in flow.log.evaluations:
        if ev.fired or ev.error or not ctx.is_response_sync(ev.sync):
            continue
        first = (ev.when or [{}])[0]
        want_path = (first.get("input") or {}).get("path")
        if first.get("action") == REQUEST and isinstance(want_path, str) and not want_path.startswith("Symbol(") \
                and want_path != flow.path:
            continue
        out.append(ev)
    return out


def _closeness(ev: Evaluation, ran: dict[str, ActionEntry]) -> int:
    """How likely this response sync was the one meant to answer (its `when` failed on what ran)."""
    f = ev.first_failure() or {}
    pat = next((w for w in ev.when or [] if w.get("pattern") == f.get("pattern")), {})
    if f.get("reason") == "synced":
        return 0
    if f.get("reason") == "output_absent" and f.get("key") == "error" and set(pat.get("output") or {}) == {"error"}:
        return 0  # an error sync not matching a success: as it should be
    if f.get("reason") in ("output_absent", "bound_mismatch", "literal_mismatch", "absent") and f.get("action") in ran:
        return 3
    return 2 if f.get("reason") == "no_record" else 1


def _response_note(ctx: RunContext, flow: FlowFacts, f: dict, out: dict) -> str:
    if f.get("reason") == "output_absent" and "error" in out and len(out) > 1:
        return failure_modes.phrase("F11.note-both")
    if f.get("reason") == "no_record":
        elsewhere = [a for fl in ctx.run.flows.values() if fl is not flow.log for a in fl.actions
                     if a.label == f.get("action") and a.called_from]
        return failure_modes.phrase("F11.note-other-flow" if elsewhere else "F11.note-never-ran", action=f.get("action"))
    return ""


def _response_variant(f: dict, out: dict, both_keys: bool, ran: dict[str, ActionEntry]) -> tuple[str, dict]:
    """Which fix fits: split an ``{x, error}`` pattern, answer an ``{error}``, make the action run, or name a key."""
    failed = ran.get(f.get("action"))
    failed_output = failed.output if failed is not None else None
    if both_keys:
        return "run-both-keys", {"keys": ", ".join(k for k in out if k != "error")}
    if f.get("reason") == "output_absent" and isinstance(failed_output, dict) and "error" in failed_output:
        return "run-error-unanswered", {"action": f.get("action")}
    if f.get("reason") == "no_record":
        return "run-no-record", {"action": f.get("action")}
    return "run-output", {"action": f.get("action")}


def response_not_matched(ctx: RunContext, flow: FlowFacts) -> None:
    """F11: an action ran, but no response sync matched after it."""
    ran = {a.label: a for a in flow.log.actions}
    last = next((a for a in reversed(flow.log.actions) if not a.is_request), None)
    candidates = _response_candidates(ctx, flow)
    emptied = [ev for ev in candidates if ev.matched and ev.emptied_by() is not None]
    if emptied:
        where_emptied(ctx, flow, emptied[0], emptied[1:])
        return
    did = (failure_modes.phrase("F11.did", action=last.label, output=ctx.show(last.output)) if last
           else failure_modes.phrase("F11.did-request"))
    if not candidates:
        why, fix = failure_modes.explain("F11", "run-no-response-sync", did=did, path=flow.path)
        ctx.add("F11", "error", why, fix, request=flow.request, flow=flow.flow)
        return
    best = max(candidates, key=lambda ev: _closeness(ev, ran))
    f = best.first_failure() or {}
    pat = next((w for w in best.when or [] if w.get("pattern") == f.get("pattern")), {})
    out = pat.get("output") or {}
    note = _response_note(ctx, flow, f, out)
    variant, facts = _response_variant(f, out, note == failure_modes.phrase("F11.note-both"), ran)
    if variant == "run-error-unanswered":
        facts["path"] = flow.path
    why, fix = failure_modes.explain("F11", variant, did=did, sync=best.sync, entry=f.get("pattern"),
                                     pattern=entry_text(pat), text=f.get("text") or f.get("reason"), note=note,
                                     **facts)
    others = "; ".join(f"{ev.sync}: {(ev.first_failure() or {}).get('text')}" for ev in candidates if ev is not best)
    ctx.add("F11", "error", why, fix, sync=best.sync, request=flow.request, flow=flow.flow, key=f.get("key"),
            reason=f.get("reason"), evidence=others[:600] or None)


# -- F12 ---------------------------------------------------------------------------------------
def _first_empty_output(flow: FlowFacts, syncs: list[str | None]) -> tuple[str, dict] | None:
    """The first responding sync that fired on a ``{}`` output pattern (not the request's), and that entry."""
    for ev in flow.log.evaluations:
        if ev.sync in syncs and ev.fired:
            for w in ev.when or []:
                if w.get("output") == {} and w.get("action") != REQUEST:
                    return ev.sync, w
    return None


def double_respond(ctx: RunContext, flow: FlowFacts) -> None:
    """F12: one request answered more than once."""
    by_request: dict[Any, list[ActionEntry]] = {}
    for a in flow.log.actions:
        if a.is_respond and a.status != "exception":
            by_request.setdefault((a.input or {}).get("request"), []).append(a)
    for req, responds in by_request.items():
        if len(responds) < 2:
            continue
        syncs = [r.sync for r in responds]
        bodies = [{k: v for k, v in (r.input or {}).items() if k != "request"} for r in responds]
        got = ", ".join(f"`{s}` → {ctx.show(b)}" for s, b in zip(syncs, bodies))
        facts: dict[str, Any] = {"request": req, "n": len(responds), "got": got}
        empty = _first_empty_output(flow, syncs)
        if empty:
            trig = next((a for a in flow.log.actions if a.label == empty[1]["action"]), None)
            output = ctx.show(trig.output) if trig else failure_modes.phrase("F12.an-error")
            why, fix = failure_modes.explain("F12", "run-empty-output", sync=empty[0], entry=entry_text(empty[1]),
                                             output=output, action=empty[1]["action"], **facts)
        elif len(set(syncs)) == 1:
            why, fix = failure_modes.explain("F12", "run-frames", sync=syncs[0], **facts)
        else:
            why, fix = failure_modes.explain("F12", "run-overlap", **facts)
        ctx.add("F12", "error", why, fix, sync=empty[0] if empty else syncs[0], request=req, flow=flow.flow,
                syncs=syncs)


# -- F13 ---------------------------------------------------------------------------------------
def _check_that_checks_nothing(ctx: RunContext, flow: FlowFacts, ev: Evaluation, step: dict) -> bool:
    """F13 for one query step of one evaluation; ``True`` once the sync is reported."""
    rows = step.get("rows_sample") or []
    err = next((r.get("error") for r in rows if isinstance(r, dict) and "error" in r), None)
    if step.get("output") == {}:
        fired = ev.fired and err is not None
        tail = (failure_modes.phrase("F13.still-fired", step=step["name"], error=ctx.show(err, "error"))
                if fired else ".")
        why, fix = failure_modes.explain("F13", "run-empty-output", step=step["name"],
                                         input=pattern_keys(step.get("input")), sync=ev.sync, tail=tail)
        ctx.add("F13", "error" if fired else "warning", why, fix, sync=ev.sync, request=flow.request,
                flow=flow.flow, step=step["name"])
        return True
    unbound = [k for k, v in (step.get("unbound") or {}).items() if v]
    if ev.fired and not ev.error and err is not None and unbound and ev.where is not None:
        if any(any(k not in f for k in unbound) for f in ev.frames_where or []):  # a frame survived unbound
            why, fix = failure_modes.explain("F13", "run-unused", sync=ev.sync, step=step["name"],
                                             error=ctx.show(err, "error"), name=unbound[0])
            ctx.add("F13", "error", why, fix, sync=ev.sync, request=flow.request, flow=flow.flow,
                    step=step["name"], variable=unbound[0])
            return True
    return False


def empty_checks(ctx: RunContext, flow: FlowFacts) -> None:
    """F13: an auth check in `where` that lets an invalid session through (once per sync)."""
    for ev in flow.log.evaluations:
        if ev.sync in ctx.f13_syncs or not ev.where:
            continue
        for step in ev.where:
            if step.get("step") == "query" and _check_that_checks_nothing(ctx, flow, ev, step):
                ctx.f13_syncs.add(ev.sync)
                break


# -- F17 ---------------------------------------------------------------------------------------
Cause = tuple[str, dict[str, Any], "str | None"]  # catalogue variant, its facts, the sync at fault


def _create_ran(ctx: RunContext, c: ActionEntry, sync: str | None) -> Cause:
    """The session's create action ran but inserted nothing into the inspected collection."""
    sync = c.sync or sync
    other = [w for w in c.writes or () if w.get("op") == "insert"]
    if c.status == "exception":
        return "run-threw", {"error": c.error}, sync
    if c.status == "error":
        err = (c.output or {}).get("error")
        note = failure_modes.phrase("F17.injected") if injected(ctx.db, str(err)) else ""
        return "run-error", {"error": ctx.show(err, "error"), "injected": note}, sync
    if other:
        into = ", ".join(sorted({w.get("collection") for w in other}))
        return "run-other-collection", {"into": into, "first": other[0].get("collection")}, sync
    return "run-no-insert", {"output": ctx.show(c.output)}, sync


def _create_stopped(ctx: RunContext, root_ev: Evaluation) -> Cause:
    """An engine error stopped the cascade before the create action."""
    facts = {"sync": root_ev.sync, "error": root_ev.error}
    if not binding_error(root_ev):
        return "run-cascade-stopped", facts, root_ev.sync
    calls_create = ctx.session_create in ctx.then_labels(root_ev.sync)
    before = failure_modes.phrase("F17.before-create", create=ctx.session_create) if calls_create else ""
    return ("run-binding-same-then" if calls_create else "run-binding"), {**facts, "before": before}, root_ev.sync


def _create_not_reached(flow: FlowFacts, creators: list[str]) -> Cause:
    """No error, and the create action never ran: which sync should have called it, and why it did not."""
    if not creators:
        return "run-no-creator", {}, None
    evs = [ev for ev in flow.log.evaluations if ev.sync in creators]
    if not evs:
        return "run-never-tried", {"sync": creators[0]}, creators[0]
    ev = next((e for e in evs if not e.matched), evs[0])
    if not ev.matched:
        f = ev.first_failure() or {}
        return "run-not-matched", {"sync": ev.sync, "text": f.get("text") or f.get("reason")}, ev.sync
    step = ev.emptied_by()
    if step is not None:
        return "run-emptied", {"sync": ev.sync, "step": f"{step['step']} {step['name']}"}, ev.sync
    return "run-matched", {"sync": ev.sync}, ev.sync


def missing_insert(ctx: RunContext, flow: FlowFacts) -> None:
    """F17: a login succeeded in this flow but no session document was inserted."""
    logged_in = [a for a in flow.log.actions if a.action in ctx.login_actions and a.status == "ok"
                 and isinstance(a.output, dict) and "user" in a.output]
    if not logged_in:
        return
    coll, create = ctx.sessions_collection, ctx.session_create
    if any(w.get("op") == "insert" and w.get("collection") == coll for a in flow.log.actions for w in a.writes or ()):
        return
    creates = [a for a in flow.log.actions if a.label == create]
    creators = [s for s in (ctx.defs or ctx.seen_then) if create in ctx.then_labels(s)]
    if creates:
        variant, facts, sync = _create_ran(ctx, creates[0], creators[0] if creators else None)
    elif flow.error_root is not None:
        variant, facts, sync = _create_stopped(ctx, flow.error_root)
    else:
        variant, facts, sync = _create_not_reached(flow, creators)
    why, fix = failure_modes.explain("F17", variant, login=logged_in[0].label, collection=coll, create=create,
                                     **facts)
    ctx.add("F17", "error", why, fix, sync=sync, request=flow.request, flow=flow.flow, collection=coll)
