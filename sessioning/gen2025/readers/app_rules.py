"""Sync rules that need the whole app: concepts, the app's engine, its routes.

Each rule is ``rule(sync, app) -> Iterable[Finding]`` like the rules of the sync-file checks;
``app.extra["model"]`` holds the :class:`~.app_model.AppModel` (when the syncs were read from
an app directory). Without a model these rules say nothing. The ``model_*`` helpers are what
the older rules ask before accusing a sync: what a method really returns, how the app's
engine really matches.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sessioning.failure_modes import explain
from sessioning.findings import Finding
from sessioning.gen2025.readers.app_model import AppModel
from sessioning.gen2025.readers.concepts import EMPTY_LIST, LIST, OBJECT, RAW_DOCS, Method
from sessioning.gen2025.readers.routes import PathAnswers, answers_by_path, request_path

__all__ = ["APP_RULES", "model_of", "method_of", "empty_output_matches_all", "queries_instrumented",
           "session_check_verdict", "can_fail", "returns_together"]


def _finding(sd: Any, code: str, severity: str, line: int, variant: str, evidence: str | None = None,
             **facts: Any) -> Finding:
    """A finding worded by the failure-mode catalogue (``code``/``variant`` filled with ``facts``)."""
    why, fix = explain(code, variant, **facts)
    return Finding(code=code, severity=severity, explanation=why, fix=fix, sync=sd.name, source="syncs",
                   file=sd.file, line=line, evidence=evidence, extra={"qualified": sd.qualified})


# ---------------------------------------------------------------- what the model says


def model_of(app: Any) -> AppModel | None:
    """The app model the syncs were read with, if any."""
    extra = getattr(app, "extra", None) or {}
    m = extra.get("model")
    return m if isinstance(m, AppModel) else None


def method_of(app: Any, action: str) -> Method | None:
    """The concept method behind ``Concept.method`` (None when unknown)."""
    m = model_of(app)
    if m is None or "." not in action:
        return None
    concept, name = action.split(".", 1)
    return m.concepts.get(concept, name)


def empty_output_matches_all(app: Any) -> bool:
    """Does `{}` match every completion (the template), or did the app patch it to empty outputs only?"""
    m = model_of(app)
    return True if m is None else bool(m.engine["empty_output_matches_all"])


def queries_instrumented(app: Any) -> bool:
    """Did the app's engine patch ``instrumentConcept`` to instrument ``_`` methods too?"""
    m = model_of(app)
    return False if m is None else bool(m.engine["queries_instrumented"])


def session_check_verdict(app: Any, action: str) -> str:
    """How a session query answers an unknown session: ``keeps`` (``[{error}]``: the frame survives),
    ``drops`` (``[]``, or it throws: the check works), ``unknown``."""
    meth = method_of(app, action)
    if meth is None or not meth.known:
        return "unknown"
    styles = meth.error_styles()
    if "list_error" in styles or "object_error" in styles:
        return "keeps"
    return "drops" if styles & {"empty", "throws"} else "unknown"


def answers_with_error_rows(app: Any, action: str) -> bool:
    """Does the query answer a failure with ``[{ error }]`` rows (a frame that survives unbound)?"""
    meth = method_of(app, action)
    return meth is not None and "list_error" in meth.error_styles()


def can_fail(app: Any, action: str) -> bool | None:
    """Can the action complete with ``{error}``? None when its code could not be read."""
    meth = method_of(app, action)
    if meth is None:
        return None
    if meth.has_error_return():
        return True
    return False if meth.known else None


def returns_together(app: Any, action: str, keys: set[str]) -> bool:
    """Does one return of the action carry all of ``keys`` (e.g. ``{ error, statusCode }``)?"""
    meth = method_of(app, action)
    return meth is not None and any(s.keys is not None and keys <= s.keys for s in meth.shapes)


# ---------------------------------------------------------------- paths


def _paths(app: Any) -> tuple[dict[str, PathAnswers], tuple[Any, ...]]:
    cached = app.extra.get("_paths") if hasattr(app, "extra") else None
    if cached is None:
        cached = answers_by_path([d for d in app.syncs if d.registered])
        app.extra["_paths"] = cached
    return cached


def path_without_slash(sd: Any, app: Any) -> Iterator[Finding]:
    """PATH-SLASH: Requesting's path always starts with ``/``, so ``"auth/login"`` never matches."""
    path, _ = request_path(sd)
    if path and not path.startswith("/"):
        line = next(p.line for p in sd.when if p.action == "Requesting.request")
        yield _finding(sd, "PATH-SLASH", "error", line, "syncs", sync=sd.name, path=path)


def route_shadowed(sd: Any, app: Any) -> Iterator[Finding]:
    """F15: a passthrough route is registered before the Requesting catch-all, so it wins."""
    model = model_of(app)
    path, _ = request_path(sd)
    if model is None or not path or not sd.registered:
        return
    route = model.routes.shadowing(path)
    if route is None:
        return
    listed = "listed in `inclusions`" if route in model.routes.inclusions else "not listed in `exclusions`"
    line = next(p.line for p in sd.when if p.action == "Requesting.request")
    yield _finding(sd, "F15", "error", line, "syncs-shadowed", sync=sd.name, path=path, route=route, listed=listed,
                   file=model.routes.passthrough_file or "passthrough.ts")


def _generic_answers(generic: tuple[Any, ...], actions: set[str]) -> bool:
    """A responder without a literal path may answer: it waits for nothing else, or for one of ``actions``."""
    for g in generic:
        others = {p.action for p in g.when if p.action != "Requesting.request"}
        if not others or others & actions:
            return True
    return False


def path_without_responder(sd: Any, app: Any) -> Iterator[Finding]:
    """NO-RESPONDER: a path some sync listens on but no sync answers: every request to it times out."""
    path, _ = request_path(sd)
    m = model_of(app)
    if not path or not sd.registered or m is None or not m.concepts.files:
        return  # without the concepts we have not read the whole app
    paths, generic = _paths(app)
    pa = paths.get(path)
    if pa is None or pa.responders or pa.listeners[0] is not sd:
        return
    called = {p.action for d in pa.listeners for p in d.then}
    if _generic_answers(generic, called) or any(
            c == "F14-await" and info.get("action") == "Requesting.respond" for d in pa.listeners
            for c, _, info in d.issues):
        return  # a generic responder, or the `where` itself awaits `Requesting.respond`
    gaps = app.extra.get("coverage_gaps")
    unsure = (f" (Not verified: {gaps}; one of those may answer it.)" if gaps else "")
    line = next(p.line for p in sd.when if p.action == "Requesting.request")
    names = ", ".join(f"`{d.name}`" for d in pa.listeners[:3])
    yield _finding(sd, "NO-RESPONDER", "info" if gaps else "error", line, "syncs", path=path, names=names,
                   unsure=unsure)


def _error_answered(pa: PathAnswers, action: str) -> bool:
    return any(r.kind == "error" and r.waits_for(action) for r in pa.responders)


def _silent_action(app: Any, pa: PathAnswers, r: Any, generic: tuple[Any, ...]) -> str | None:
    """The action a ``{}``-only responder answers, if it can fail with nobody answering its error.
    Only the last action it waits for counts: an earlier one (a session check) that fails usually
    stops the later one from running, and then this responder does not fire at all."""
    if not r.waits:
        return None
    action, output = r.waits[-1]
    if output is None:
        return None  # no output pattern: F8, it throws before answering anything
    if can_fail(app, action) is True and not _error_answered(pa, action) and not _generic_answers(
            generic, {action}):
        return action
    return None


def error_answered_as_success(sd: Any, app: Any) -> Iterator[Finding]:
    """SILENT-ERROR: a ``{}`` responder with no ``{error}`` twin answers a failure as a success."""
    path, _ = request_path(sd)
    if not path or not sd.registered or model_of(app) is None or not empty_output_matches_all(app):
        return
    paths, generic = _paths(app)
    pa = paths.get(path)
    if pa is None or any("error" in (p.input or {}) for p in sd.then if p.action == "Requesting.respond"):
        return  # it passes the error on itself
    for r in pa.responders:
        if r.sync is not sd or r.kind != "any":
            continue
        action = _silent_action(app, pa, r, generic)
        if action is None:
            continue
        line = next(p.line for p in sd.when if p.action == action)
        yield _finding(sd, "SILENT-ERROR", "warning", line, "syncs", sync=sd.name, path=path, action=action)


# ---------------------------------------------------------------- concept shapes


def action_returning_list(sd: Any, app: Any) -> Iterator[Finding]:
    """ACTION-ARRAY: an action returning an array has no output keys, so a `when` asking for one never matches."""
    for p in sd.when:
        meth = method_of(app, p.action)
        if meth is None or meth.is_query or not p.output or meth.returns_list() is not True:
            continue
        yield _finding(sd, "ACTION-ARRAY", "error", p.line, "syncs", sync=sd.name, action=p.action,
                       keys=", ".join(p.output), method=meth.name, loc=f"{meth.file}:{meth.line}",
                       first=next(iter(p.output)))


def _query_keys_problem(meth: Method, out_keys: list[str]) -> tuple[str, list[str]] | None:
    kinds = {s.kind for s in meth.shapes}
    if kinds and kinds <= {OBJECT} and not any(s.error for s in meth.shapes):
        return "object", out_keys
    succ = meth.success_keys()
    if succ is not None and meth.known:
        missing = [k for k in out_keys if k not in succ and k != "error"]
        if missing and any(s.kind == LIST for s in meth.shapes):
            return "keys", missing
    if kinds == {RAW_DOCS} or kinds == {RAW_DOCS, EMPTY_LIST}:
        declared = meth.declared_row_keys
        if declared is None:
            return "raw", out_keys
        missing = [k for k in out_keys if k not in declared and k != "error"]
        return ("doc-keys", missing) if missing else None
    return None


def query_output_mismatch(sd: Any, app: Any) -> Iterator[Finding]:
    """F2 / F9: a query's output pattern asks for keys its rows never have, or the query is not a list."""
    for q in sd.where_queries:
        meth = method_of(app, q.action)
        if meth is None or not meth.is_query or q.output is None:
            continue
        keys = [k for k in q.output if k != "..."]
        problem = _query_keys_problem(meth, keys) if keys else None
        if problem is None:
            continue
        kind, missing = problem
        has = sorted(meth.success_keys() or [])
        facts = {"sync": sd.name, "action": q.action, "method": meth.name, "loc": f"{meth.file}:{meth.line}"}
        if kind == "object":
            yield _finding(sd, "F9", "error", q.line, "syncs-object", q.text, via=q.via, **facts)
        elif kind == "doc-keys":
            yield _finding(sd, "F2", "error", q.line, "syncs-doc-keys", q.text, missing=", ".join(missing),
                           fields=", ".join(sorted(meth.declared_row_keys or [])), first=missing[0], **facts)
        elif kind == "keys":
            yield _finding(sd, "F2", "error", q.line, "syncs-keys", q.text, missing=", ".join(missing),
                           has=", ".join(has) or "nothing", first=(has or ["…"])[0], **facts)
        else:
            yield _finding(sd, "F2", "info", q.line, "syncs-raw", q.text, missing=", ".join(missing),
                           first=missing[0], **facts)


def _vars(p: dict[str, Any] | None) -> set[str]:
    return {v[1] for v in (p or {}).values() if v[0] == "var"}


_SESSION_KEYS = {"session", "sessionid", "sessiontoken", "token", "accesstoken"}


def error_rows_reach_later_steps(sd: Any, app: Any) -> Iterator[Finding]:
    """F4: a session query answering ``[{ error }]`` keeps the frame with ``user`` unbound; a later
    query (``Binding: … not found``) or the `then` (``Missing binding``) then throws: 500, not an answer."""
    for q in sd.where_queries:
        if not any(k.lower() in _SESSION_KEYS for k in q.input) or not answers_with_error_rows(app, q.action):
            continue
        bound = _vars(q.output) - {"error"}
        filters = [ln for c, ln, _ in sd.issues if c == "FILTER" and ln >= q.line]
        later = next((q2 for q2 in sd.where_queries if q2.line > q.line and _vars(q2.input) & bound
                      and not any(ln <= q2.line for ln in filters)), None)
        used = next((p for p in sd.then if _vars(p.input) & bound), None)
        if later is not None:
            var = sorted(_vars(later.input) & bound)[0]
            step, where = f"frames.{later.via}({later.action}, …)", later.line
            error = f"`Binding: Symbol({var}) not found in frame`"
        elif used is not None and not filters and not any(c == "EMPTY-TEST" for c, _, _ in sd.issues):
            var = sorted(_vars(used.input) & bound)[0]
            step, where = f"`{used.action}` in `then`", used.line
            error = f"`Missing binding: Symbol({var})`"
        else:
            continue
        yield _finding(sd, "F4", "warning", where, "syncs-error-rows", q.text, sync=sd.name, name=var,
                       action=q.action, step=step, error=error)
        return


def _then_inputs_bound(sd: Any) -> bool:
    """Every `then` input variable is bound before the `then` runs (else it throws and answers nothing)."""
    bound = {v for p in sd.when for v in _vars(p.input) | _vars(p.output)} | set(sd.where_bound)
    bound |= {v for q in sd.where_queries for v in _vars(q.output)}
    return all(_vars(p.input) <= bound for p in sd.then)


def respond_beside_failing_action(sd: Any, app: Any) -> Iterator[Finding]:
    """SILENT-ERROR: ``then: [A, …], [Requesting.respond, …]`` answers before looking at A's result, so
    a failed A (``{ error }``) is answered as a success."""
    actions_ = [p.action for p in sd.then]
    if "Requesting.respond" not in actions_ or not empty_output_matches_all(app):
        return
    if any(p.action != "Requesting.request" for p in sd.when) or not _then_inputs_bound(sd):
        return  # the answer reports an action the `when` saw succeed, or the `then` throws first (F1/UNBOUND)
    at = actions_.index("Requesting.respond")
    if "error" in (sd.then[at].input or {}):
        return
    for p in sd.then[:at]:  # an action after the answer is a follow-up job, not what the answer reports
        if can_fail(app, p.action) is True:
            path, _ = request_path(sd)
            yield _finding(sd, "SILENT-ERROR", "warning", p.line, "syncs-same-then", p.text, sync=sd.name,
                           path=path or "this request", action=p.action)
            return


def error_never_answered(sd: Any, app: Any) -> Iterator[Finding]:
    """ERROR-UNANSWERED: the action a path runs can return ``{ error }`` but only success responders
    wait for it: a failure is never answered and the request times out."""
    path, _ = request_path(sd)
    m = model_of(app)
    if not path or not sd.registered or m is None or not m.concepts.files:
        return
    paths, generic = _paths(app)
    pa = paths.get(path)
    if pa is None or pa.listeners[0] is not sd or app.extra.get("coverage_gaps"):
        return
    if any(c == "F14-await" and info.get("action") == "Requesting.respond" for d in pa.listeners
           for c, _, info in d.issues):
        return
    called = [p for d in pa.listeners for p in d.then if p.action != "Requesting.respond"]
    for p in called:
        waiting = [r for r in pa.responders if r.waits_for(p.action)]
        if not waiting or any(r.kind != "success" for r in waiting) or can_fail(app, p.action) is not True:
            continue
        if _generic_answers(generic, {p.action}):
            continue
        names = ", ".join(f"`{r.sync.name}`" for r in waiting[:2])
        yield _finding(sd, "ERROR-UNANSWERED", "warning", p.line, "syncs", p.text, path=path, action=p.action,
                       names=names)
        return


def bound_on_one_branch(sd: Any, app: Any) -> Iterator[Finding]:
    """UNBOUND: a `where` that binds ``x`` on one branch and passes the frame unchanged on another,
    with ``x`` needed by `then` and no filter after: on that branch `then` throws ``Missing binding``."""
    used = {v for p in sd.then for v in _vars(p.input)}
    for c, line, info in sd.issues:
        if c != "ONE-BRANCH":
            continue
        if any(c2 == "FILTER" and ln > line for c2, ln, _ in sd.issues):
            continue  # the frames without it are dropped afterwards
        missing = [v for v in info["vars"] if v in used]
        if missing:
            action = next(p.action for p in sd.then if missing[0] in _vars(p.input))
            yield _finding(sd, "UNBOUND", "error", line, "syncs-one-branch", sync=sd.name, name=missing[0],
                           action=action)
            return


def query_input_never_bound(sd: Any, app: Any) -> Iterator[Finding]:
    """F4: a `where` query's input variable that no `when` pattern and no earlier step binds: the
    query throws ``Binding: Symbol(x) not found in frame`` on every request (500)."""
    bound = {v for p in sd.when for v in _vars(p.input) | _vars(p.output)} | set(sd.where_bound)
    for q in sorted(sd.where_queries, key=lambda w: w.line):
        missing = sorted(_vars(q.input) - bound)
        if missing and not any(c == "FILTER" and ln < q.line for c, ln, _ in sd.issues):
            yield _finding(sd, "F4", "error", q.line, "syncs-never-bound", q.text, sync=sd.name, name=missing[0],
                           action=q.action, via=q.via)
            return
        bound |= _vars(q.output)


def _query_may_drop(sd: Any, app: Any) -> bool:
    """A query that may answer ``[]`` whose frames the `where` goes on with."""
    kept = {ln for c, ln, info in sd.issues if c == "QUERY-KEPT" and info.get("kept")}
    for q in sd.where_queries:
        meth = method_of(app, q.action)
        if q.line in kept and meth is not None and any(s.kind == EMPTY_LIST for s in meth.shapes):
            return True
    return False


def _can_drop(sd: Any, app: Any) -> bool:
    """Can this sync's `where` leave no frame for a request (a filter, a length test, a query that may
    answer ``[]``)? Not when a bad session already makes it throw (F4) and nothing else can drop."""
    codes = {c for c, _, _ in sd.issues}
    if "HELPER" in codes or any(c == "EMPTY-TEST" and "frame" in info.get("of", "").lower()
                                for c, _, info in sd.issues):
        return False  # the app handles "no frames left" itself, or a helper we cannot see may answer
    if _query_may_drop(sd, app):
        return True
    if next(error_rows_reach_later_steps(sd, app), None) is not None:
        return False  # its filters only drop frames that have already thrown
    return "FILTER" in codes or "EMPTY-FRAMES" in codes


def dropped_request_unanswered(sd: Any, app: Any) -> Iterator[Finding]:
    """DROPPED-UNANSWERED: a request sync whose `where` can drop the request, with no sync answering
    that case (a responder waiting only for the request): the client waits until the timeout."""
    path, _ = request_path(sd)
    m = model_of(app)
    if not path or not sd.registered or m is None or not m.concepts.files or not sd.has_where:
        return
    if any(p.action == "Requesting.respond" for p in sd.then) or not _can_drop(sd, app):
        return
    paths, generic = _paths(app)
    pa = paths.get(path)
    if pa is None or app.extra.get("coverage_gaps") or generic:
        return
    if any(not r.waits for r in pa.responders) or any(
            c == "F14-await" and info.get("action") == "Requesting.respond" for d in pa.listeners
            for c, _, info in d.issues):
        return  # a sync answers at request level (an error sync), or a `where` answers itself
    yield _finding(sd, "DROPPED-UNANSWERED", "warning", sd.where_queries[0].line if sd.where_queries else sd.line,
                   "syncs", sync=sd.name, path=path)


def success_pattern_matches_error(sd: Any, app: Any) -> Iterator[Finding]:
    """F12: a success responder waits for keys the action also returns beside ``error``, so it fires on
    that failure too (next to the error responder, or alone: the failure answered as a success)."""
    path, _ = request_path(sd)
    if not path or not sd.registered or not any(p.action == "Requesting.respond" for p in sd.then):
        return
    for p in sd.when:
        keys = set(p.output or {}) - {"..."}
        if p.action == "Requesting.request" or not keys or "error" in keys:
            continue
        meth = method_of(app, p.action)
        if meth is not None and any(s.error and s.keys is not None and keys <= s.keys for s in meth.shapes):
            yield _finding(sd, "F12", "warning", p.line, "syncs-key-in-error", p.text, sync=sd.name, path=path,
                           action=p.action, keys=", ".join(sorted(keys)))
            return


def session_query_throws(sd: Any, app: Any) -> Iterator[Finding]:
    """F16: a session query that throws for an unknown session: every request with a bad session gets a
    500 (reported once per query, at the first sync that uses it)."""
    seen = app.extra.setdefault("_throwing_queries", set())
    for q in sd.where_queries:
        meth = method_of(app, q.action)
        if meth is None or not meth.is_query or not meth.throws or q.action in seen:
            continue
        if not any(k.lower() in _SESSION_KEYS for k in q.input) or meth.error_styles() != {"throws"}:
            continue
        seen.add(q.action)
        yield _finding(sd, "F16", "warning", q.line, "syncs-query-throws", q.text, sync=sd.name,
                       action=q.action, loc=f"{meth.file}:{meth.line}")


def action_throws_on_request(sd: Any, app: Any) -> Iterator[Finding]:
    """ACTION-THROWS: a request's `then` runs an action that fails only by throwing (never ``{ error }``):
    the exception reaches the request handler, which answers a bare 500, and no sync can answer it."""
    path, _ = request_path(sd)
    if not path or not sd.registered or model_of(app) is None:
        return
    for p in sd.then:
        meth = method_of(app, p.action)
        # a method that also returns `{error}` somewhere chose that style: its throws are rarer guards
        if meth is None or meth.is_query or not meth.throws or meth.has_error_return() or meth.concept == "Requesting":
            continue
        yield _finding(sd, "ACTION-THROWS", "warning", p.line, "syncs", p.text, sync=sd.name, path=path,
                       action=p.action, loc=f"{meth.file}:{meth.line}")


#: The rules that need the app model, in the order their findings are produced.
APP_RULES = [path_without_slash, route_shadowed, path_without_responder, error_answered_as_success,
             respond_beside_failing_action, error_never_answered, dropped_request_unanswered, action_returning_list, query_output_mismatch,
             query_input_never_bound, error_rows_reach_later_steps, bound_on_one_branch,
             success_pattern_matches_error, session_query_throws, action_throws_on_request]
