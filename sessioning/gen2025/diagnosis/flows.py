"""F10–F13 and F17: what a flow shows about its syncs — nothing matched, nothing answered, two
answers, an auth check that checks nothing, a login that inserted no session.

Each public function is one check over one flow (see ``CHECKS`` in :mod:`sessioning.gen2025.diagnosis`).
"""

from __future__ import annotations

import difflib
from typing import Any

from sessioning.record import ActionEntry, Evaluation

from .context import REQUEST, FlowFacts, RunContext, entry_text, injected, pattern_keys, show, where_summary
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

def request_not_matched(ctx: RunContext, flow: FlowFacts, root: ActionEntry | None, evs: list) -> None:
    """F10: no request sync matched; name the closest one and the key that differs."""
    path = flow.path
    body = dict(root.input or {}) if root is not None else {}
    keys = ", ".join(k for k in body if k != "path") or "nothing"
    if not evs:
        ctx.add(
            "F10", "error",
            f"No sync has `Requesting.request` in its `when`, so nothing handled '{path}' and nothing responded "
            "(504 after the timeout).",
            "Register the sync file (only files named `*.sync.ts` are picked up; re-run `deno run build`), or "
            "write a sync for this path. Raising REQUESTING_TIMEOUT will not help.",
            request=flow.request, evidence=f"path {path!r}, body keys: {keys}", flow=flow.flow,
        )
        return

    def score(ev: Any) -> float:
        f = ev.first_failure() or {}
        if f.get("pattern", 0) != 0:
            return 0.5  # the request pattern matched; a later pattern (a response sync) did not
        if f.get("reason") == "absent":
            return 3.0
        if f.get("reason") == "literal_mismatch" and f.get("key") == "path":
            exp, act = str(f.get("expected")), str(f.get("actual"))
            return 1.0 + difflib.SequenceMatcher(None, exp.lower().strip("/"), act.lower().strip("/")).ratio()
        return 1.5

    request_syncs = [ev for ev in evs if not ctx.is_response_sync(ev.sync)] or evs
    best = max(request_syncs, key=score)
    f = best.first_failure() or {}
    others = [f"{ev.sync}: {(ev.first_failure() or {}).get('text')}" for ev in request_syncs if ev is not best][:6]
    if f.get("reason") == "absent":
        fix = (f"Send `{f.get('key')}` from the client (the body has: {keys}), or drop `{f.get('key')}` from the "
               f"`when` pattern of `{best.sync}` if it is optional: a missing key means no match, not an error. "
               "Raising REQUESTING_TIMEOUT will not help.")
    elif f.get("key") == "path":
        fix = (f"Make the path literal in `{best.sync}` exactly what the engine sees ({path!r} here): same case, no "
               "trailing slash, never the `/api` prefix. Raising REQUESTING_TIMEOUT will not help.")
    else:
        fix = f"Make the `when` pattern of `{best.sync}` agree with the request body. Raising REQUESTING_TIMEOUT will not help."
    closest = f"Closest: `{best.sync}` — {f.get('text') or 'its pattern did not match'}."
    if score(best) < 1.6 and f.get("key") == "path":  # nothing resembles this path
        known = sorted({str((ev.first_failure() or {}).get("expected")) for ev in evs
                        if (ev.first_failure() or {}).get("key") == "path"})
        closest = (f"No sync handles this path at all (the syncs expect {', '.join(map(repr, known))}); a passthrough "
                   f"route or an unregistered sync file (F21) are the usual reasons. {closest}")
        fix = (f"Write a request sync for {path!r}, or register the sync file that has it (only `*.sync.ts` files "
               "are picked up; re-run `deno run build`). Raising REQUESTING_TIMEOUT will not help.")
    ctx.add(
        "F10", "error",
        f"No request sync matched '{path}', so nothing ran and nothing responded (504 after the timeout). "
        f"{closest}",
        fix, sync=best.sync, request=flow.request, evidence="; ".join(others) or None, flow=flow.flow,
        key=f.get("key"), reason=f.get("reason"), expected=f.get("expected"), actual=f.get("actual"),
    )

def where_emptied(ctx: RunContext, flow: FlowFacts, ev: Evaluation, others: list | None = None) -> None:
    """F11: a sync matched but its `where` removed every frame, so nothing answered."""
    step = ev.emptied_by() or {}
    steps = ev.where or []
    i = steps.index(step) if step in steps else -1
    prev = steps[i - 1] if i > 0 else None
    detail = f"`{step.get('step')} {step.get('name')}` took the frames from {step.get('frames_in')} to 0"
    if step.get("step") == "query":
        rows = step.get("rows_sample") or []
        detail += " (the query returned no rows" + (f": {show(rows, reveal=ctx.reveal)}" if rows else "") + ")"
    elif prev is not None and prev.get("step") == "query" and any((prev.get("unbound") or {}).values()):
        rows = prev.get("rows_sample") or []
        unbound = ", ".join(k for k, v in (prev.get("unbound") or {}).items() if v)
        detail += (f", after `{prev['name']}` left `{unbound}` unbound"
                   + (f" (it returned {show(rows, reveal=ctx.reveal)})" if rows else ""))
    ctx.add(
        "F11", "error",
        f"`{ev.sync}` matched its `when`, but its `where` emptied the frames: {detail}. With no frame left it "
        "does not fire, nothing responded, and the request timed out (504).",
        f"Answer the case `where` filters out: add a sync for it (e.g. an error response when `{step.get('name')}` "
        "finds nothing), or fix the query/filter so the expected frames survive.",
        sync=ev.sync, request=flow.request, flow=flow.flow, step=f"{step.get('step')} {step.get('name')}",
        evidence="; ".join(where_summary(e) for e in [ev, *(others or [])]),
    )

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
        return (" An output pattern with both a success key and `error` never matches: actions return one or "
                "the other.")
    if f.get("reason") == "no_record":
        elsewhere = [a for fl in ctx.run.flows.values() if fl is not flow.log for a in fl.actions
                     if a.label == f.get("action") and a.called_from]
        if elsewhere:
            return f" `{f.get('action')}` ran in another flow (called from a `where`: F14), so this flow never sees it."
        return (f" `{f.get('action')}` never ran in this flow: the sync that should call it did not fire"
                " (see the other findings for this request).")
    return ""


def _response_fix(flow: FlowFacts, best: Evaluation, f: dict, out: dict, both_keys: bool,
                  ran: dict[str, ActionEntry]) -> str:
    failed = ran.get(f.get("action"))
    failed_output = failed.output if failed is not None else None
    if both_keys:
        return (f"Split `{best.sync}` into a success sync `{{{', '.join(k for k in out if k != 'error')}}}` and an "
                "error sync `{error}`.")
    if f.get("reason") == "output_absent" and isinstance(failed_output, dict) and "error" in failed_output:
        return (f"`{f.get('action')}` returned `{{error}}` and no sync answers that: add one — when "
                f"`[Requesting.request, {{path: '{flow.path}'}}, {{request}}]` and `[{f.get('action')}, {{}}, {{error}}]`, "
                "then `Requesting.respond {request, error}`.")
    if f.get("reason") == "no_record":
        return (f"Make `{f.get('action')}` run in this flow: fix the sync whose `then` calls it (it must be "
                f"triggered by an action of this request's flow), or drop it from the `when` of `{best.sync}`.")
    return (f"Make the output pattern of `{f.get('action')}` in `{best.sync}` name a key that action really "
            "returns (or `{}` if it returns nothing).")


def response_not_matched(ctx: RunContext, flow: FlowFacts) -> None:
    """F11: an action ran, but no response sync matched after it."""
    ran = {a.label: a for a in flow.log.actions}
    last = next((a for a in reversed(flow.log.actions) if not a.is_request), None)
    candidates = _response_candidates(ctx, flow)
    emptied = [ev for ev in candidates if ev.matched and ev.emptied_by() is not None]
    if emptied:
        where_emptied(ctx, flow, emptied[0], emptied[1:])
        return
    did = (f"`{last.label}` ran (it returned {show(last.output, reveal=ctx.reveal)})"
           if last else "the request ran")
    if not candidates:
        ctx.add(
            "F11", "error",
            f"{did}, but no sync responds to '{flow.path}' after it, so the request timed out (504).",
            f"Add a response sync: when `[Requesting.request, {{path: '{flow.path}'}}, {{request}}]` and the action's "
            "output, then `Requesting.respond`.",
            request=flow.request, flow=flow.flow,
        )
        return
    best = max(candidates, key=lambda ev: _closeness(ev, ran))
    f = best.first_failure() or {}
    pat = next((w for w in best.when or [] if w.get("pattern") == f.get("pattern")), {})
    out = pat.get("output") or {}
    note = _response_note(ctx, flow, f, out)
    fix = _response_fix(flow, best, f, out, note.startswith(" An output pattern"), ran)
    others = "; ".join(f"{ev.sync}: {(ev.first_failure() or {}).get('text')}" for ev in candidates if ev is not best)
    ctx.add(
        "F11", "error",
        f"{did}, but the response sync `{best.sync}` never matched: its `when` entry {f.get('pattern')} "
        f"`{entry_text(pat)}` failed — {f.get('text') or f.get('reason')}.{note} Nothing responded, so the "
        "request timed out (504).",
        fix,
        sync=best.sync, request=flow.request, flow=flow.flow, key=f.get("key"), reason=f.get("reason"),
        evidence=others[:600] or None,
    )


# -- F12 ---------------------------------------------------------------------------------------
def double_respond(ctx: RunContext, flow: FlowFacts) -> None:
    """F12: one request answered more than once."""
    by_request: dict[Any, list[ActionEntry]] = {}
    for a in flow.log.actions:
        if a.is_respond and a.status != "exception":
            req = (a.input or {}).get("request")
            by_request.setdefault(req, []).append(a)
    for req, responds in by_request.items():
        if len(responds) < 2:
            continue
        syncs = [r.sync for r in responds]
        bodies = [{k: v for k, v in (r.input or {}).items() if k != "request"} for r in responds]
        empty = None
        for ev in flow.log.evaluations:
            if ev.sync in syncs and ev.fired:
                for w in ev.when or []:
                    if w.get("output") == {} and w.get("action") != REQUEST:
                        empty = (ev.sync, w)
                        break
            if empty:
                break
        got = ", ".join(f"`{s}` → {show(b, reveal=ctx.reveal)}" for s, b in zip(syncs, bodies))
        if empty:
            trig = next((a for a in flow.log.actions if a.label == empty[1]["action"]), None)
            out = show(trig.output, reveal=ctx.reveal) if trig else "an error"
            cause = (f"`{empty[0]}` waits for `{entry_text(empty[1])}`: an empty output pattern matches every "
                     f"completion, including {out}, so it answered beside the error sync.")
            fix = (f"Match success in `{empty[0]}` on a key only the success returns (make "
                   f"`{empty[1]['action']}` return e.g. the deleted id), or drop error frames in its `where`; "
                   "exactly one sync should respond per outcome.")
        elif len(set(syncs)) == 1:
            cause = f"`{syncs[0]}` fired once per frame, and its `where` left {len(responds)} frames."
            fix = f"Make the `where` of `{syncs[0]}` leave one frame per request (collect rows with `collectAs`)."
        else:
            cause = "two syncs whose patterns overlap both matched the same outcome."
            fix = "Make the response syncs' patterns exclusive (one for success, one for `{error}`)."
        ctx.add(
            "F12", "error",
            f"Request {req} was answered {len(responds)} times ({got}). {cause} The client gets the first answer, "
            "the database keeps the last.",
            fix, sync=empty[0] if empty else syncs[0], request=req, flow=flow.flow, syncs=syncs,
        )


# -- F13 ---------------------------------------------------------------------------------------
def empty_checks(ctx: RunContext, flow: FlowFacts) -> None:
    """F13: an auth check in `where` that lets an invalid session through (once per sync)."""
    for ev in flow.log.evaluations:
        if ev.sync in ctx.f13_syncs or not ev.where:
            continue
        for step in ev.where:
            if step.get("step") != "query":
                continue
            rows = step.get("rows_sample") or []
            err = next((r.get("error") for r in rows if isinstance(r, dict) and "error" in r), None)
            if step.get("output") == {}:
                ctx.f13_syncs.add(ev.sync)
                fired = ev.fired and err is not None
                ctx.add(
                    "F13", "error" if fired else "warning",
                    f"The auth check `frames.query({step['name']}, {pattern_keys(step.get('input'))}, {{}})` in "
                    f"`{ev.sync}` has an empty output pattern: it keeps one frame per row, including an error row, "
                    "so it checks nothing"
                    + (f" — here {step['name']} returned {{error: {show(err, 'error', ctx.reveal)}}} and the sync "
                       "still fired." if fired else "."),
                    "Bind the result (`{user}`) and drop frames without it (`.filter(lambda f: user in f)`), with "
                    "a separate sync answering `{error}`.",
                    sync=ev.sync, request=flow.request, flow=flow.flow, step=step["name"],
                )
                break
            unbound = [k for k, v in (step.get("unbound") or {}).items() if v]
            if ev.fired and not ev.error and err is not None and unbound and ev.where is not None:
                survivors = [f for f in ev.frames_where or [] if any(k not in f for k in unbound)]
                if survivors:
                    ctx.f13_syncs.add(ev.sync)
                    var = unbound[0]
                    ctx.add(
                        "F13", "error",
                        f"`{ev.sync}` fired although `{step['name']}` returned {{error: {show(err, 'error', ctx.reveal)}}}: "
                        f"`{var}` stayed unbound and nothing after it requires `{var}`, so the check filters nothing "
                        "(an invalid session still gets through).",
                        f"Drop the failed rows right after the query: `.filter(lambda f: {var} in f)`, and answer them "
                        "from an error sync.",
                        sync=ev.sync, request=flow.request, flow=flow.flow, step=step["name"], variable=var,
                    )
                    break


# -- F17 ---------------------------------------------------------------------------------------
Cause = tuple[str, str, "str | None"]  # why, fix, the sync at fault


def _create_ran(ctx: RunContext, c: ActionEntry, sync: str | None) -> Cause:
    """The session's create action ran but inserted nothing into the inspected collection."""
    create, coll = ctx.session_create, ctx.sessions_collection
    sync = c.sync or sync
    other = [w for w in c.writes or () if w.get("op") == "insert"]
    if c.status == "exception":
        return (f"`{create}` ran but threw `{c.error}` (see F16).",
                f"Catch the error in `{create}` and return `{{error}}`; fix the cause of the exception.", sync)
    if c.status == "error":
        err = (c.output or {}).get("error")
        why = (f"`{create}` ran but returned {{error: {show(err, 'error', ctx.reveal)}}}, so no document was "
               "written." + (" (This failure was injected with `db.faults`.)" if injected(ctx.db, str(err)) else ""))
        return why, f"Fix what made `{create}` fail (the error above), and answer the client from an error sync.", sync
    if other:
        where = ", ".join(sorted({w.get("collection") for w in other}))
        return (f"`{create}` inserted into `{where}` instead — a different collection name from the one inspected.",
                f"Read `{where}` (pass `collection='{other[0].get('collection')}'`), or make the concept use `{coll}`.",
                sync)
    return (f"`{create}` ran and returned {show(c.output, reveal=ctx.reveal)} without inserting anything.",
            f"Make `{create}` insert the session document before it returns the id.", sync)


def _create_stopped(ctx: RunContext, root_ev: Evaluation) -> Cause:
    """An engine error stopped the cascade before the create action."""
    create = ctx.session_create
    if not binding_error(root_ev):
        return (f"`{create}` never ran: the cascade stopped when `{root_ev.sync}` threw `{root_ev.error}`.",
                f"Fix the error in `{root_ev.sync}` (see its finding).", root_ev.sync)
    calls_create = create in ctx.then_labels(root_ev.sync)
    why = (f"`{create}` never ran: `{root_ev.sync}` threw `{root_ev.error}` while resolving its `then` inputs"
           + (f", before `{create}` (in the same `then`) could run" if calls_create else "")
           + " — every `then` input is resolved before any action runs. Restarting the server will not help.")
    fix = (f"Split `{root_ev.sync}`: one sync calls `{create}`, a second sync whose `when` includes "
           f"`[{create}, {{}}, {{session}}]` responds." if calls_create else
           f"Fix the error in `{root_ev.sync}` (see its finding).")
    return why, fix, root_ev.sync


def _create_not_reached(flow: FlowFacts, creators: list[str], create: str, login_label: str) -> Cause:
    """No error, and the create action never ran: which sync should have called it, and why it did not."""
    if not creators:
        return (f"`{create}` never ran: no registered sync has `{create}` in its `then`.",
                f"Add a sync: when `[{login_label}, {{}}, {{user}}]` then `[{create}, {{user}}]` (and check the sync "
                "file is registered).", None)
    evs = [ev for ev in flow.log.evaluations if ev.sync in creators]
    if not evs:
        return (f"`{create}` never ran: `{creators[0]}` (which calls it) was never tried in this flow — its `when` "
                f"does not include `{login_label}`.",
                f"Put `[{login_label}, {{}}, {{user}}]` in the `when` of `{creators[0]}`.", creators[0])
    ev = next((e for e in evs if not e.matched), evs[0])
    if not ev.matched:
        f = ev.first_failure() or {}
        return (f"`{create}` never ran: `{ev.sync}` did not match — {f.get('text') or f.get('reason')}.",
                f"Make the `when` of `{ev.sync}` match what `{login_label}` returns (e.g. `{{user}}`).", ev.sync)
    step = ev.emptied_by()
    if step is not None:
        return (f"`{create}` never ran: the `where` of `{ev.sync}` emptied the frames at "
                f"`{step['step']} {step['name']}`.",
                f"Fix the `where` of `{ev.sync}` so the logged-in user's frame survives.", ev.sync)
    return f"`{create}` never ran although `{ev.sync}` matched.", f"Check the `then` of `{ev.sync}`.", ev.sync


def missing_insert(ctx: RunContext, flow: FlowFacts) -> None:
    """F17: a login succeeded in this flow but no session document was inserted."""
    logged_in = [a for a in flow.log.actions if a.action in ctx.login_actions and a.status == "ok"
                 and isinstance(a.output, dict) and "user" in a.output]
    if not logged_in:
        return
    coll, create = ctx.sessions_collection, ctx.session_create
    if any(w.get("op") == "insert" and w.get("collection") == coll for a in flow.log.actions for w in a.writes or ()):
        return
    login_label = logged_in[0].label
    creates = [a for a in flow.log.actions if a.label == create]
    creators = [s for s in (ctx.defs or ctx.seen_then) if create in ctx.then_labels(s)]
    if creates:
        why, fix, sync = _create_ran(ctx, creates[0], creators[0] if creators else None)
    elif flow.error_root is not None:
        why, fix, sync = _create_stopped(ctx, flow.error_root)
    else:
        why, fix, sync = _create_not_reached(flow, creators, create, login_label)
    head = f"`{login_label}` succeeded but nothing was inserted into `{coll}`: "
    ctx.add("F17", "error", head + why, fix, sync=sync, request=flow.request, flow=flow.flow, collection=coll)
