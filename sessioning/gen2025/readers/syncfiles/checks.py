"""The sync-file rules: one function per known bug, in the :data:`RULES` table.

A rule is ``rule(sync, app) -> Iterable[Finding]``: ``sync`` is the :class:`~.model.SyncDef`
being checked and ``app`` (:class:`AppContext`) is everything read from the app, so a rule can
compare a sync with the others (F12 does). Adding a rule is writing one function and adding it
to :data:`RULES`. The rules follow the engine's rules (``course-engine.md``) and the failure
modes F1–F21; each rule's docstring names the mode and the engine behaviour behind it. A rule
only gathers facts: the words come from the catalogue (:mod:`sessioning.failure_modes`, the
``syncs…`` wordings).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sessioning.failure_modes import explain
from sessioning.findings import Finding
from sessioning.gen2025.readers import app_rules as model
from sessioning.gen2025.readers.app_rules import APP_RULES

from .model import Pattern, SyncDef, WhereQuery, vars_in

__all__ = ["RULES", "AppContext", "Rule", "check_app", "finding"]

#: Input keys that carry a session (compared lower-case): a query taking one checks who is asking.
_SESSION_KEYS = {"session", "sessionid", "sessiontoken", "token", "accesstoken"}

@dataclass
class AppContext:
    """What the rules see of the whole app: every sync read (the registered ones are what the
    engine runs). Later readers of the app (its concepts, its routes) add their models here."""

    syncs: list[SyncDef]
    extra: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def registered(self) -> list[SyncDef]:
        return [d for d in self.syncs if d.registered]

    @cached_property
    def first_responders(self) -> dict[str, dict[tuple[str, str], SyncDef]]:
        """For F12: per ``(request path, action)``, the first registered response sync whose `when`
        waits for the action with output ``{}`` (``"empty"``) and with ``{ error }`` (``"error"``)."""
        out: dict[str, dict[tuple[str, str], SyncDef]] = {"empty": {}, "error": {}}
        for sd in self.registered:
            path = sd.request_path
            if path is None or not any(p.action == "Requesting.respond" for p in sd.then):
                continue
            for p in sd.when:
                if p.action == "Requesting.request" or p.output is None:
                    continue
                keys = set(p.output)
                if not keys:
                    out["empty"].setdefault((path, p.action), sd)
                elif keys == {"error"}:
                    out["error"].setdefault((path, p.action), sd)
        return out


Rule = Callable[[SyncDef, AppContext], Iterable[Finding]]


def finding(sd: SyncDef, code: str, severity: str, line: int, explanation: str, fix: str,
            evidence: str | None = None, **extra: Any) -> Finding:
    """A finding located at ``line`` of ``sd``'s file, naming the sync."""
    return Finding(code=code, severity=severity, explanation=explanation, fix=fix, sync=sd.name, source="syncs",
                   file=sd.file, line=line, evidence=evidence, extra={"qualified": sd.qualified, **extra})


def _found(sd: SyncDef, code: str, variant: str, severity: str, line: int, evidence: str | None = None,
           **facts: Any) -> Finding:
    """A finding worded by the catalogue's ``code``/``variant`` from ``facts`` (the sync's name added)."""
    why, fix = explain(code, variant, sync=sd.name, **facts)
    return finding(sd, code, severity, line, why, fix, evidence)


def _fmt_keys(keys: list[str]) -> str:
    return "{ " + ", ".join(keys) + " }" if keys else "{}"


def _is_user_check(q: WhereQuery) -> bool:
    """A query that takes a session: it checks who is asking (``_getUsername({ user })`` does not)."""
    return q.method.startswith("_") and any(k.lower() in _SESSION_KEYS for k in q.input)


# ---------------------------------------------------------------- when / then patterns


def query_in_when_or_then(sd: SyncDef, app: AppContext) -> Iterator[Finding]:
    """F7: queries (``_name``) are not instrumented, so using one in `when`/`then` crashes at startup
    (unless the app's engine was patched to instrument them too)."""
    if model.queries_instrumented(app):
        return
    for part, pats in (("when", sd.when), ("then", sd.then)):
        for p in pats:
            if p.method.startswith("_"):
                yield _found(sd, "F7", "syncs", "error", p.line, p.text, action=p.action, part=part, method=p.method)


def when_without_output(sd: SyncDef, app: AppContext) -> Iterator[Finding]:
    """F8: a `when` entry with no output pattern throws the first time a matching action arrives."""
    for p in sd.when:
        if p.elements < 3 or p.output is None:
            yield _found(sd, "F8", "syncs", "error", p.line, p.text, action=p.action)


def error_beside_result_in_when(sd: SyncDef, app: AppContext) -> Iterator[Finding]:
    """F11: an action returns its result or ``{ error }``, never both, so ``{ x, error }`` never matches."""
    for p in sd.when:
        if p.elements < 3 or p.output is None or "error" not in p.output:
            continue
        others = [k for k in p.output if k != "error"]
        if others and not model.returns_together(app, p.action, set(p.output)):
            yield _found(sd, "F11", "syncs-both-keys", "error", p.line, p.text, action=p.action,
                         pattern=_fmt_keys(list(p.output)), others=_fmt_keys(others))


def api_prefix_in_path(sd: SyncDef, app: AppContext) -> Iterator[Finding]:
    """API-PREFIX: Requesting strips the ``/api`` base before matching, so ``"/api/x"`` never matches
    (harmless when a twin sync listens on the bare path or a passthrough route answers it)."""
    for p in sd.when + sd.then:
        for k, v in (p.input or {}).items():
            if v[0] == "lit" and isinstance(v[1], str) and v[1].startswith("/api/") and not _prefix_handled(
                    app, v[1]):
                yield _found(sd, "API-PREFIX", "syncs", "error", p.line, p.text, key=k, path=v[1], bare=v[1][4:])


def _prefix_handled(app: AppContext, path: str) -> bool:
    bare = path[4:]
    if any(d.request_path == bare for d in app.registered):
        return True
    m = model.model_of(app)
    return m is not None and m.routes.passthrough_enabled and path in m.routes.passthrough


# ---------------------------------------------------------------- where


def action_used_as_query(sd: SyncDef, app: AppContext) -> Iterator[Finding]:
    """F14: ``frames.query`` of a method without ``_`` runs an action, in a new flow."""
    for q in sd.where_queries:
        if not q.method.startswith("_") and q.concept != "?":
            yield _found(sd, "F14", "syncs-query", "warning", q.line, q.text, action=q.action, via=q.via,
                         method=q.method)


def _session_check(app: AppContext, q: WhereQuery) -> tuple[str, str]:
    """(severity, note) for an ineffective-looking session check, or ("", "") when the app's own
    session query makes it effective: ``[]`` drops the frame and a throw fails the request."""
    verdict = model.session_check_verdict(app, q.action)
    if verdict == "drops":
        return "", ""
    m = model.model_of(app)
    if verdict == "unknown" and m is not None and m.concepts.has_concept(q.concept):
        return "info", (f" (Not verified: the kit could not tell how `{q.action}` answers an unknown session; "
                        "if it returns `[]` or throws, the check works.)")
    return "warning", ""  # `[{ error }]` (the seed's shape), or the seed assumed when the concept is not found


#: How many lines after the session query its emptiness test may sit (the test of *its* result).
_NEAR = 6


def _answers_bad_session(sd: SyncDef, q: WhereQuery, empty_tests: list[int]) -> bool:
    """An error sync that branches on the session query leaving no frames (``if (frames.length === 0)``
    after it) and responds with an ``error``: that branch is its only way to fire. A query that binds
    ``error`` itself is tested some other way. ``empty_tests``: the lines of the sync's emptiness tests."""
    return "error" not in (q.output or {}) and any(
        q.line <= ln <= q.line + _NEAR for ln in empty_tests) and any(
        p.action == "Requesting.respond" and "error" in (p.input or {}) for p in sd.then)


def _inverted_error_sync(sd: SyncDef, q: WhereQuery, note: str, severity: str) -> Finding:
    """F13, error-sync variant: "answer when the check left no frames" never fires with `[{ error }]`."""
    line = next((ln for c, ln, _ in sd.issues if c == "EMPTY-TEST" and q.line <= ln <= q.line + _NEAR), q.line)
    why, fix = explain("F13", "syncs-inverted", sync=sd.name, action=q.action, note=note)
    return finding(sd, "F13", severity, line, why, fix, q.text)


def _weak_session_checks(sd: SyncDef, app: AppContext, wanted: Callable[[WhereQuery], bool],
                         ) -> Iterator[tuple[int, WhereQuery, str, str, Finding | None]]:
    """The session checks of ``sd`` (those ``wanted``) that the app's concept model does not make
    effective, with their index, severity and note; and, when the sync answers "the check left no
    frames", the error-sync finding that replaces the rule's own (that branch never fires)."""
    empty_tests = [ln for c, ln, _ in sd.issues if c == "EMPTY-TEST"]
    for i, q in enumerate(sd.where_queries):
        if not (_is_user_check(q) and wanted(q)):
            continue
        severity, note = _session_check(app, q)
        if not severity:
            continue
        inverted = _inverted_error_sync(sd, q, note, severity) if _answers_bad_session(sd, q, empty_tests) else None
        yield i, q, severity, note, inverted


def session_check_with_empty_output(sd: SyncDef, app: AppContext) -> Iterator[Finding]:
    """F13: ``_getUser(…, {})`` keeps the frame when the query answers ``[{ error }]`` (the app's
    concept model says whether it does: ``[]`` or a throw make the check work)."""
    for _, q, severity, note, inverted in _weak_session_checks(
            sd, app, lambda q: q.output is not None and not q.output):
        if inverted is not None:
            yield inverted
            continue
        why, fix = explain("F13", "syncs-empty-output", sync=sd.name, via=q.via, action=q.action)
        yield finding(sd, "F13", severity, q.line, why + note, fix, q.text)


def session_check_result_unused(sd: SyncDef, app: AppContext) -> Iterator[Finding]:
    """F13: a variable bound by the session check but never required lets unknown sessions through."""
    used_then = {v for p in sd.then for _, v in vars_in(p.input)}
    # How many queries take each variable as input (once: asking every other query per output
    # variable was quadratic in the number of queries).
    inputs = [{v for _, v in vars_in(o.input)} for o in sd.where_queries]
    takers = Counter(v for vs in inputs for v in vs)
    for i, q, severity, note, inverted in _weak_session_checks(sd, app, lambda q: bool(q.output)):
        if inverted is not None:
            yield inverted
            continue
        q_inputs = inputs[i]
        for _, var in vars_in(q.output):
            other_q = takers[var] - (var in q_inputs) > 0
            if var not in used_then and not other_q and var != "error" and var not in sd.where_mentions:
                why, fix = explain("F13", "syncs-unused", sync=sd.name, name=var, action=q.action)
                yield finding(sd, "F13", severity, q.line, why + note, fix, q.text)


def _issues(sd: SyncDef, code: str) -> Iterator[tuple[int, dict[str, Any]]]:
    return ((line, info) for c, line, info in sd.issues if c == code)


def action_awaited_in_where(sd: SyncDef, app: AppContext) -> Iterator[Finding]:
    """F14: an action awaited inside `where` runs in a new flow, outside this request's."""
    for line, info in _issues(sd, "F14-await"):
        yield _found(sd, "F14", "syncs-await", "warning", line, action=info["action"])


def frames_from_scratch(sd: SyncDef, app: AppContext) -> Iterator[Finding]:
    """F5: ``new Frames({…})`` without an original frame lacks the hidden action ids `then` needs."""
    for line, info in _issues(sd, "F5"):
        yield _found(sd, "F5", "syncs", "error", line, info["text"])


def variable_as_string_key(sd: SyncDef, app: AppContext) -> Iterator[Finding]:
    """F6: the engine reads only symbol keys, so ``{ ...$, error: … }`` leaves ``error`` unbound."""
    bound = {v for p in sd.when for _, v in vars_in(p.input) + vars_in(p.output)} | sd.where_bound
    bound |= {v for q in sd.where_queries for _, v in vars_in(q.output)}
    for line, info in _issues(sd, "F6"):
        if sd.vars.get(info["key"], info["key"]) in bound:
            continue  # already bound as a symbol: the string key is redundant, not harmful
        yield _found(sd, "F6", "syncs", "error", line, name=info["key"])


# ---------------------------------------------------------------- then bindings


def _error_beside_success(p: Pattern) -> list[str]:
    """The success variables a ``Requesting.respond`` passes beside ``error`` (empty if none)."""
    if p.action != "Requesting.respond" or not p.input or "error" not in p.input:
        return []
    return [k for k, v in p.input.items() if k not in ("request", "error") and v[0] == "var"]


def respond_with_error_beside_success(sd: SyncDef, app: AppContext) -> Iterator[Finding]:
    """F3: ``respond({ request, x, error })``: on each path one of them is unbound."""
    for p in sd.then:
        succ = _error_beside_success(p)
        err = (p.input or {}).get("error", ("", ""))
        if err[0] == "var" and err[1] in sd.where_bound:
            continue  # `where` binds `error` (often beside the other keys): we cannot tell which paths lack it
        together = any("error" in (w.output or {}) and {v for _, v in vars_in(w.output)} & set(succ)
                       for w in sd.when)
        if succ and not together:  # both from one `when` output pattern: F11 says whether it can match
            yield _found(sd, "F3", "syncs-beside", "error", p.line, p.text, success=", ".join(succ), first=succ[0])


def _unbound_then_inputs(sd: SyncDef) -> Iterator[tuple[str, Pattern, str, Pattern | None]]:
    """Each `then` input variable nothing binds before the `then` runs, once per variable:
    ``(kind, pattern, variable, producer)``, kind ``"made-in-then"`` (bound only by an earlier
    `then` entry's output pattern, the ``producer``), ``"error"`` or ``"unbound"``."""
    bound = {v for p in sd.when for _, v in vars_in(p.input) + vars_in(p.output)} | sd.where_bound
    # reported once per variable; `error` already reported by the respond rule is not reported again
    reported = {"error"} if any(_error_beside_success(p) for p in sd.then) else set()
    then_made: dict[str, Pattern] = {}
    for p in sd.then:
        for _k, var in vars_in(p.input):
            if var in bound or var in reported:
                continue
            if var in then_made:
                reported.add(var)
                yield "made-in-then", p, var, then_made[var]
            elif var in sd.where_mentions:  # used in where in a way we cannot follow: do not accuse
                continue
            else:
                reported.add(var)
                yield ("error" if var == "error" else "unbound"), p, var, None
        for _k, var in vars_in(p.output):
            then_made.setdefault(var, p)


def value_made_in_same_then(sd: SyncDef, app: AppContext) -> Iterator[Finding]:
    """F1: a `then` output pattern binds nothing, and every `then` input is resolved first."""
    for kind, p, var, prod in _unbound_then_inputs(sd):
        if kind != "made-in-then" or prod is None:
            continue
        # the seed's own bug (create the session, then respond with it) has its own fix wording
        seed = prod.action == "Sessioning.create" and p.action == "Requesting.respond"
        yield _found(sd, "F1", "syncs-session" if seed else "syncs", "error", p.line, p.text,
                     label=prod.action, action=p.action, name=var)


def error_never_bound(sd: SyncDef, app: AppContext) -> Iterator[Finding]:
    """F3: `error` passed in `then` while nothing in `when`/`where` binds it."""
    for kind, p, _var, _prod in _unbound_then_inputs(sd):
        if kind == "error":
            yield _found(sd, "F3", "syncs-unbound", "error", p.line, p.text, action=p.action)


def variable_never_bound(sd: SyncDef, app: AppContext) -> Iterator[Finding]:
    """UNBOUND: a `then` variable no `when` pattern or `where` binds."""
    for kind, p, var, _prod in _unbound_then_inputs(sd):
        if kind == "unbound":
            yield _found(sd, "UNBOUND", "syncs", "error", p.line, p.text, name=var, action=p.action)


# ---------------------------------------------------------------- across syncs


def success_and_error_both_respond(sd: SyncDef, app: AppContext) -> Iterator[Finding]:
    """F12: a ``{}`` response sync beside an ``{ error }`` one for the same path and action: both fire."""
    if not sd.registered:
        return
    first = app.first_responders
    for key, owner in first["empty"].items():
        other = first["error"].get(key)
        if owner is not sd or other is None or other is sd:
            continue
        path, action = key
        if not model.empty_output_matches_all(app) or model.can_fail(app, action) is False:
            continue  # the app's engine matches `{}` only on `{}`, or the action never returns `{ error }`
        line = next((p.line for p in sd.when if p.action == action), sd.line)
        yield _found(sd, "F12", "syncs", "warning", line, f"{other.name} ({other.file}:{other.line})",
                     path=path, action=action, other=other.name)


#: Every rule, in the order its findings are produced for one sync.
RULES: list[Rule] = [
    query_in_when_or_then,
    when_without_output,
    error_beside_result_in_when,
    api_prefix_in_path,
    action_used_as_query,
    session_check_with_empty_output,
    session_check_result_unused,
    action_awaited_in_where,
    frames_from_scratch,
    variable_as_string_key,
    respond_with_error_beside_success,
    value_made_in_same_then,
    error_never_bound,
    variable_never_bound,
    success_and_error_both_respond,
    *APP_RULES,
]


def check_app(app: AppContext, rules: Iterable[Rule] | None = None) -> list[Finding]:
    """Every rule over every sync of ``app``."""
    table = RULES if rules is None else list(rules)
    return [f for sd in app.syncs for rule in table for f in rule(sd, app)]
