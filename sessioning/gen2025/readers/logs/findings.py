"""Findings of a server log: errors grouped by cause, double responses, array outputs, unverified
routes, requests left without an answer.

Each producer gathers the facts of what the log shows (the request's path, its last action, the
message, the sync a stack names) and turns them into text with the ``_TEXTS`` table, one entry
per failure mode.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from sessioning.findings import Finding
from sessioning.gen2025.readers.logs.classify import sync_of_stack
from sessioning.gen2025.readers.logs.lines import TIMEOUT_MESSAGE
from sessioning.gen2025.readers.logs.store import (
    FORMAT_TRACE,
    KIND_ARRAY,
    KIND_ERROR,
    ErrorRow,
    LogStore,
    Request,
)
from sessioning.masking import mask_inline

__all__ = ["LogView", "build_log_findings"]


class LogView(Protocol):
    """What the findings read of a :class:`~.serverlog.ServerLog`."""

    store: LogStore

    @property
    def n_actions(self) -> int: ...

    def entry_text(self, i: int, reveal: bool | None = None) -> str: ...

    def action_input(self, i: int) -> Any: ...

    def classify(self, e: ErrorRow) -> tuple[str, str | None]: ...


_SPLIT_FIX = ("Split it: one sync creates the session when login succeeds; a second sync, whose `when` "
              "includes `[Sessioning.create, {}, {session}]`, responds.")
_NO_RAISE = " Raising REQUESTING_TIMEOUT does not help: the timeout only fires when nothing responded."

Facts = dict[str, Any]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _q(path: str | None) -> str:
    return f"`{path}`" if path else "(unknown path)"


def _times(n: int) -> str:
    return "" if n <= 1 else f" ({n} times)"


# ---------------------------------------------------------------- texts, one per failure mode

def _f1(f: Facts) -> tuple[str, str]:
    where, last, var = f["where"], f["last"], f["variable"]
    if var == "session":
        return (f"{where}: `{last}` succeeded, then `Missing binding: Symbol(session)` was thrown and no "
                "`[Sessioning.create]` line was printed: the sync puts `Sessioning.create` and "
                "`Requesting.respond` in one `then`. A `then` output pattern binds nothing and every `then` "
                "input is resolved before any action runs, so Sessioning.create never ran and no session was "
                "inserted. Restarting the server does not help.", _SPLIT_FIX)
    return (f"{where}: `{last}` succeeded, then `Missing binding: Symbol({var})`: `{var}` is most likely "
            f"the output of an action in the same `then`. A `then` output pattern binds nothing, and every "
            "`then` input is resolved before any action runs, so nothing in that `then` ran.",
            f"Move the action that produces `{var}` into its own sync, and respond from a second sync "
            f"whose `when` includes that action with output pattern `{{ {var} }}`.")


def _f2(f: Facts) -> tuple[str, str]:
    where, var = f["where"], f["variable"]
    if var == "user":
        return (f"{where}: `Missing binding: Symbol(user)`: a `where` query (usually `Sessioning._getUser`) "
                "returned a row without `user` — the seed returns `[{error}]` for an unknown session — so the "
                "frame kept `user` unbound and the `then` threw; the client got 500.",
                "Answer invalid sessions explicitly: an error sync whose query output pattern is `{ error }`, "
                "and in the success sync keep only frames with a user: "
                "`frames.filter(($) => $[user] !== undefined)`.")
    return (f"{where}: `Missing binding: Symbol({var})`: a `where` query returned rows without the key "
            f"bound to `{var}` (`frames.query` binds a variable only for rows that have the key), so the "
            "frame reached `then` with it unbound.",
            f"Make the query return `{{ {var}: … }}` rows (or rename the output pattern key to what it "
            f"returns), and filter out frames where `{var}` is unbound before `then`.")


def _f7(f: Facts) -> tuple[str, str]:
    msg, sync = f["message"], f["sync"]
    what = msg.split("Action ", 1)[-1].split(" is not instrumented")[0]
    if "bound instrumented" in what:
        cause = "an instrumented action was re-bound with `.bind(...)`, which hides its instrumentation"
        fix = "Pass the action itself (`Concept.action`), never `Concept.action.bind(...)`."
    elif what.startswith("bound _"):
        cause = (f"the query `{what[6:]}` is used in a `when` or `then`; queries (names starting with `_`) "
                 "are not instrumented")
        fix = f"Move `{what[6:]}` into `where`: `frames.query(Concept.{what[6:]}, {{…}}, {{…}})`."
    else:
        cause = (f"`{what}` belongs to a concept that is not instrumented (imported from its class "
                 "file instead of `@concepts`)")
        fix = "Import concepts from `@concepts` (run `deno run build` to regenerate the barrel)."
    loc = f" in sync `{sync}` ({f['sync_file']})" if sync else ""
    return f"The server crashed at startup{loc}: `{msg}` — {cause}.", fix


def _f16(f: Facts) -> tuple[str, str]:
    where, msg, last = f["where"], f["message"], f["last"]
    if "E11000" in msg:
        return (f"{where}: an action threw `E11000 duplicate key error` instead of returning `{{error}}`. "
                "The exception aborted the cascade: later syncs, including any error-response sync, never "
                "ran and the client got 500.",
                "Catch the error in the action and return `{ error: \"…\" }` (check for an existing document "
                "first, or use an upsert when the `_id` is deterministic); await `createIndex` before inserting.")
    if f["kind"] == "passthrough":
        return (f"The passthrough route for `{msg.split(':', 1)[0]}` threw `{msg.split(':', 1)[-1].strip()}`; "
                "the client got 500.", "Return `{ error: \"…\" }` from the action instead of throwing.")
    if f["kind"] == "session":
        return (f"`Sessioning.create` failed and returned `{{error}}`: {msg}.",
                "Check the database connection and the `Sessioning.sessions` collection (unique indexes, ids).")
    after = f" after `{last}`" if last else ""
    return (f"{where}: something threw `{msg}`{after} — an action (or a `where`) threw instead of "
            "returning `{error}`, so the cascade aborted, no error-response sync ran and the client got 500.",
            "Catch the error in the action and return `{ error: \"…\" }`; respond to it with an error sync.")


_TEXTS: dict[str, Callable[[Facts], tuple[str, str]]] = {
    "F1": _f1,
    "F2": _f2,
    "F3": lambda f: (
        f"{f['where']}: `Missing binding: Symbol(error)`: a `then` passes `error`, but `error` is only bound "
        "when something failed; on the success path it is unbound and the whole sync throws "
        "(`error: undefined` counts as missing too).",
        "Use two syncs: a success sync that responds with the result, and an error sync whose `when` "
        "output pattern is `{ error }` that responds with `error`."),
    "F4": lambda f: (
        f"{f['where']}: `Binding: Symbol({f['variable']}) not found`: a `frames.query` takes `{f['variable']}` as "
        f"input but an earlier step left it unbound — usually `_getUser` returned `[{{error}}]` for an invalid or "
        "missing session.",
        f"Drop or answer the frames where `{f['variable']}` is unbound before the next query, e.g. "
        f"`frames.filter(($) => $[{f['variable']}] !== undefined)`, with a separate error-response sync."),
    "F5": lambda f: (
        f"{f['where']}: `{f['message']}`: `where` returned frames built from scratch (`new Frames({{...}})` "
        "without spreading an original frame), so they lack the hidden action ids the engine needs.",
        "Derive new frames from the old ones: `frames.map(($) => ({ ...$, [x]: value }))`."),
    "F7": _f7,
    "F8": lambda f: (
        f"{f['where']}: `When pattern: [object Object] is missing output pattern.`: a `when` entry is "
        "written `[Concept.action, {…}]` without its output pattern; it throws when a matching action "
        "is first met, not at startup.",
        "Add the third element to every `when` entry — `{}` if you need no output."),
    "F9": lambda f: (
        f"{f['where']}: `{f['message']}`: a query returned something that is not an array (an object, `null`), or "
        "a `where` forgot to `return` its frames / chained on an un-awaited query.",
        "Queries must return an array of objects (`[]` for none); `where` must be `async` and "
        "`return` the frames."),
    "F14": lambda f: (
        f"`{f['message']}`: an action was called with hidden engine keys of the wrong type.",
        "Call actions only with plain input objects."),
    "F16": _f16,
    "F17": lambda f: (
        f"{f['where']}: `{f['message']}`: ids in this app are UUID strings, not ObjectIds; `new ObjectId(id)` "
        "throws and ObjectId `_id`s never equal the string ids in frames.",
        "Use the string ids as they are (`{ _id: id }`); never wrap them in `new ObjectId(...)`."),
    "F18": lambda f: (
        f"The server could not reach its database: `{f['message']}`.",
        "Set `MONGODB_URL` and `DB_NAME` in `.env`; for Atlas, check the user's password and allow your IP "
        "in Network Access."),
    "F20": lambda f: (
        "Deno tests reported leaks: a MongoClient was not closed or a promise (e.g. `createIndex`) was not "
        "awaited.",
        "Close the client at the end of each test (`await client.close()`) and await index creation."),
    "F21": lambda f: (
        f"The server could not load its generated barrels: `{f['message']}`. `src/concepts/concepts.ts` and "
        "`src/syncs/syncs.ts` are generated by `deno run build` and git-ignored, so a fresh clone or a "
        "deploy without the build step does not have them (and a new sync file stays invisible until "
        "the next build).",
        "Run `deno run build` before `deno task start` (on Render, add it to the build command), and name "
        "sync files `*.sync.ts`."),
}


def _other_text(f: Facts) -> tuple[str, str]:
    return f"{f['where']}: `{f['message']}`.", "See the error message."


# ---------------------------------------------------------------- errors


def _request_of(log: LogView, e: ErrorRow) -> Request | None:
    return log.store.requests[e.req] if e.req is not None else None


def _error_finding(log: LogView, e: ErrorRow, code: str, var: str | None, n: int, reqs: list[str]) -> Finding:
    r = _request_of(log, e)
    path = r.path if r else None
    msg = mask_inline(e.message)
    ev = f"line {e.line}: {msg}"
    if r is not None and r.last_action_ix >= 0:
        ev = f"last action: {_one_line(log.entry_text(r.last_action_ix))[:300]}\n{ev}"
    if code in ("F10", "F11"):
        return _timeout_finding(log, e, code, n, reqs, ev)
    sync, sfile = sync_of_stack(e.stack)
    facts = {"where": f"Request {_q(path)}{_times(n)}", "last": r.last_action if r else None, "variable": var,
             "message": msg, "kind": e.kind, "sync": sync, "sync_file": sfile}
    expl, fix = _TEXTS.get(code, _other_text)(facts)
    # a session create that returned `{error}`, and leaks in Deno tests, are warnings: the request went on
    sev = "warning" if code == "F20" or (code == "F16" and e.kind == "session" and "E11000" not in msg) else "error"
    file, line_no = (sfile.rsplit(":", 1)[0], int(sfile.rsplit(":", 1)[1])) if sfile else (None, None)
    return Finding(code=code, severity=sev, explanation=expl, fix=fix, sync=sync, request=r.rid if r else None,
                   source="log", file=file, line=line_no if line_no is not None else e.line, evidence=ev,
                   extra={"requests": reqs[:20], "count": n, "path": path})


def _body_keys(log: LogView, r: Request | None) -> list[str] | None:
    if r is not None and r.input_ix >= 0:
        v = log.action_input(r.input_ix)
        if isinstance(v, dict):
            return [str(k) for k in v if k != "path"]
    return None


def _f10_text(log: LogView, r: Request | None, where: str, body_keys: list[str] | None) -> tuple[str, str]:
    path = r.path if r else None
    keys = ("" if body_keys is None else " (empty body)" if not body_keys
            else " (body keys: " + ", ".join(body_keys) + ")")
    if path and path.startswith("/api/"):
        keys += (f". The path received was `{path}`: the client called `/api{path}`, so the `/api` base is "
                 "in the URL twice")
    if r is not None and r.flow and not r.matched:
        seen = " VERBOSE shows no ``Matched `sync` `` line for its flow."
    elif log.n_actions == 0:
        seen = (" (This log has no TRACE lines, so it cannot show whether a later response sync failed "
                "instead, F11.)")
    else:
        seen = " After `Requesting.request` nothing ran."
    return (f"{where} timed out: no request sync fired for it{keys}.{seen} Either none matched — the path "
            "literal must match exactly (case, no trailing slash, no `/api` prefix), every key in the `when` "
            "input pattern must be in the request body, and a sync file not named `*.sync.ts` or a stale "
            "barrel is invisible — or a matching sync's `where` removed every frame (e.g. `_getUser` found no "
            f"user for the session).{_NO_RAISE}",
            f"Make a sync's `when` match `[Requesting.request, {{ path: \"{path or '/…'}\", … }}, {{ request }}]` "
            "exactly; run `deno run build` after adding sync files.")


def _f11_text(r: Request | None, where: str, sync: str | None) -> tuple[str, str]:
    last = r.last_action if r else None
    if sync:
        return (f"{where} timed out: `{sync}` matched but its `where` removed every frame (the engine "
                f"logged no frames after `where`), so nothing responded.{_NO_RAISE}",
                "Check the `where` of that sync: a query returning `[]`, a `collectAs` on nothing, or a filter "
                "that drops every frame; respond explicitly for the empty case.")
    if r is not None and r.last_kind == KIND_ERROR:
        return (f"{where} timed out: `{last}` returned `{{error}}` but no sync responded to it — the error "
                f"response sync is missing or its output pattern never matches (e.g. `{{ x, error }}`).{_NO_RAISE}",
                f"Add a sync: when `Requesting.request` (path `{r.path}`) and `{last}` with output `{{ error }}`, "
                "then `Requesting.respond({ request, error })`.")
    return (f"{where} timed out: `{last}` ran but no response sync matched its output — an output pattern "
            "with a key the action does not return (or both a key and `error`), or a `when` needing an "
            f"action that ran in another flow.{_NO_RAISE}",
            f"Compare the response sync's `when` output pattern for `{last}` with what it returned "
            "(see the actions table) and make them agree.")


def _timeout_finding(log: LogView, e: ErrorRow, code: str, n: int, reqs: list[str], ev: str) -> Finding:
    r = _request_of(log, e)
    path = r.path if r else None
    where = f"Request {_q(path)}{_times(n)}"
    body_keys = _body_keys(log, r)
    sync = None
    if code == "F10":
        expl, fix = _f10_text(log, r, where, body_keys)
    else:
        emptied = r.emptied() if r is not None else []
        sync = emptied[-1] if emptied else None
        expl, fix = _f11_text(r, where, sync)
    return Finding(code=code, severity="error", explanation=expl, fix=fix, sync=sync,
                   request=r.rid if r else None, source="log", line=e.line, evidence=ev,
                   extra={"requests": reqs[:20], "count": n, "path": path, "body_keys": body_keys,
                          "last_action": r.last_action if r else None})


def _error_findings(log: LogView) -> list[Finding]:
    """One finding per distinct cause: errors grouped by code, variable, path, message and last action."""
    store = log.store
    groups: dict[tuple[Any, ...], list[tuple[ErrorRow, str, str | None]]] = {}
    for e in store.errors:
        code, var = log.classify(e)
        r = _request_of(log, e)
        norm = TIMEOUT_MESSAGE.sub("timeout", e.message) if code in ("F10", "F11") else e.message
        key = (code, var, r.path if r else None, norm, e.kind, r.last_action if r else None)
        groups.setdefault(key, []).append((e, code, var))
    out = []
    for items in groups.values():
        e, code, var = items[0]
        reqs = [store.requests[x.req].rid for x, _, _ in items if x.req is not None and store.requests[x.req].rid]
        out.append(_error_finding(log, e, code, var, len(items), reqs))
    return out


# ---------------------------------------------------------------- what no error line says


def _double_responds(log: LogView) -> list[Finding]:
    """F12: two responds for one request."""
    twice: dict[str | None, list[Request]] = {}
    for r in log.store.requests:
        if r.responses > 1:
            twice.setdefault(r.path, []).append(r)
    out = []
    for path, rs in twice.items():
        r = rs[0]
        first = _one_line(log.entry_text(r.first_ix)) if r.first_ix >= 0 else ""
        last = _one_line(log.entry_text(r.last_ix)) if r.last_ix >= 0 else ""
        both = " One response carries `error`: a `{}` output pattern also matches `{error}`." if (
            "error:" in first) != ("error:" in last) else ""
        out.append(Finding(
            code="F12", severity="warning", request=r.rid, source="log", line=r.end_line,
            explanation=(f"Request {_q(path)}{_times(len(rs))} was answered twice ({r.responses} "
                         f"`Requesting.respond` calls): two response syncs matched the same request.{both} The "
                         "client got the first answer; `Requesting.requests` stores the last."),
            fix=("Give the success sync's `when` a success output key (e.g. `{ user }` instead of `{}`) so "
                 "exactly one response sync matches each outcome."),
            evidence=f"first: {first[:300]}\nlast: {last[:300]}",
            extra={"requests": [x.rid for x in rs[:20]], "count": len(rs), "path": path}))
    return out


def _array_outputs(log: LogView) -> list[Finding]:
    """F14: actions that returned arrays (used as queries)."""
    a = log.store.actions
    arrays: dict[int, list[int]] = {}
    for i, k in enumerate(a.kind):
        if k == KIND_ARRAY:
            arrays.setdefault(a.name[i], []).append(i)
    out = []
    for name_ix, idxs in arrays.items():
        name = log.store.names[name_ix]
        i = idxs[0]
        out.append(Finding(
            code="F14", severity="warning", source="log", line=a.line[i],
            request=log.store.request_id(a.request[i]) if a.format[i] == FORMAT_TRACE else None,
            explanation=(f"`{name}` is an action (no `_` prefix) but returned an array{_times(len(idxs))}: it was "
                         "used as a query (`frames.query` or awaited inside `where`), so it ran as an action in a "
                         "new flow — its syncs and effects never join the request's flow."),
            fix=(f"Rename it `_{name.split('.', 1)[1]}` so it is a query, or call it from a `then` if it really "
                 "is an action."),
            evidence=log.entry_text(i)[:300], extra={"count": len(idxs)}))
    return out


def _unverified_routes(log: LogView) -> list[Finding]:
    """F15: passthrough routes the startup logged as unverified."""
    if not log.store.unverified_routes:
        return []
    routes = sorted(set(log.store.unverified_routes))
    return [Finding(
        code="F15", severity="warning", source="log",
        explanation=(f"{len(routes)} passthrough route(s) are registered but unverified (e.g. `{routes[0]}`). "
                     "Passthrough routes win over the Requesting catch-all, so a request to one of them runs "
                     "the concept method directly — no `Requesting.request`, no syncs, no session checks."),
        fix=("List each route in `src/concepts/Requesting/passthrough.ts`: in `inclusions` if it is meant to be "
             "public, in `exclusions` to send it through Requesting and your syncs."),
        evidence="\n".join(f"WARNING - UNVERIFIED ROUTE: {x}" for x in routes[:10]),
        extra={"routes": routes})]


def _notes(log: LogView) -> list[Finding]:
    """Requests left without an answer; an input that is not a server log at all."""
    s = log.store
    out = []
    unanswered = [r for r in s.requests if r.open and (r.rid or r.path)]
    if unanswered:
        r = unanswered[0]
        out.append(Finding(
            code="INFO", severity="info", request=r.rid, source="log", line=r.line,
            explanation=(f"{len(unanswered)} request(s) have no response and no error in the log (e.g. "
                         f"{_q(r.path)}); the log may end before their timeout."),
            fix="If they never answered, look for `timed out` lines later on, or read the database's `Requesting.requests`.",
            extra={"requests": [x.rid for x in unanswered[:20]], "count": len(unanswered)}))
    if s.lines and not (log.n_actions or s.requests or s.errors or s.startups or s.unverified_routes
                        or s.verified_routes or s.registered_syncs):
        out.append(Finding(
            code="INFO", severity="warning", source="log",
            explanation=(f"Nothing in this input looks like a course-engine server log ({s.unknown_count} "
                         "unrecognised lines)."),
            fix="Paste the server's console output (stdout and stderr), e.g. from `deno task start` or Render's Logs tab.",
            evidence="\n".join(mask_inline(t) for _, t in s.unknown_sample[:3])))
    return out


#: every producer of log findings, in the order their findings are listed
PRODUCERS: tuple[Callable[[LogView], list[Finding]], ...] = (
    _error_findings, _double_responds, _array_outputs, _unverified_routes, _notes,
)


def build_log_findings(log: LogView) -> list[Finding]:
    """Findings for a :class:`~.serverlog.ServerLog`: errors grouped by cause, double responses, array
    outputs, unverified routes, requests left without an answer."""
    return [f for produce in PRODUCERS for f in produce(log)]
