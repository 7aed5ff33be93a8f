"""Findings of a server log: errors grouped by cause, double responses, array outputs, unverified
routes, requests left without an answer.

Each producer only gathers the facts of what the log shows (the request's path, its last action,
the message, the sync a stack names) and asks :mod:`sessioning.failure_modes`, the one home of
every failure mode's text, for the why and fix in the log reader's wording (``log…`` variants).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from sessioning import failure_modes
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


Facts = dict[str, Any]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _q(path: str | None) -> str:
    return f"`{path}`" if path else failure_modes.phrase("log.unknown-path")


def _times(n: int) -> str:
    return "" if n <= 1 else failure_modes.phrase("log.times", n=n)


def _text(code: str, variant: str, facts: Facts) -> failure_modes.Explanation:
    """The catalogue's why/fix of ``code`` in the log reader's ``variant``, given the facts it asks for.

    The producers below gather every fact they know; each wording takes the ones it names.
    """
    needed = failure_modes.mode(code).variant(variant).facts
    return failure_modes.explain(code, variant, **{k: v for k, v in facts.items() if k in needed})


def _f7_variant(facts: Facts) -> str:
    """F7: re-bound action, query in `when`/`then`, or a concept that is not instrumented."""
    what = facts["name"]
    if "bound instrumented" in what:
        return "log-rebound"
    return "log-query" if what.startswith("bound _") else "log"


def _f16_variant(facts: Facts) -> str:
    """F16: a duplicate key, a passthrough route that threw, the seed's session create, or any throw."""
    if "E11000" in facts["msg"]:
        return "log-e11000"
    return {"passthrough": "log-passthrough", "session": "log-session"}.get(facts["kind"], "log")


#: code → the catalogue wording the log reader uses for an error line of that mode (by its facts)
_VARIANTS: dict[str, Callable[[Facts], str]] = {
    "F1": lambda f: "log-session" if f["name"] == "session" else "log",
    "F2": lambda f: "log-user" if f["name"] == "user" else "log",
    "F7": _f7_variant,
    "F16": _f16_variant,
    "F17": lambda f: "log-objectid",
    **{code: (lambda f: "log") for code in ("F3", "F4", "F5", "F8", "F9", "F14", "F18", "F20", "F21")},
}


def _error_facts(e: ErrorRow, r: Request | None, var: str | None, n: int, msg: str) -> Facts:
    """What an error line and its request show, under the catalogue's fact names."""
    sync, sfile = sync_of_stack(e.stack)
    last = r.last_action if r else None
    what = msg.split("Action ", 1)[-1].split(" is not instrumented")[0]
    return {
        "where": f"Request {_q(r.path if r else None)}{_times(n)}", "last": last, "msg": msg, "kind": e.kind,
        "name": what if var is None else var, "query": what[6:],
        "loc": failure_modes.phrase("F7.loc", sync=sync, file=sfile) if sync else "",
        "route": msg.split(":", 1)[0], "message": msg.split(":", 1)[-1].strip(),
        "after": failure_modes.phrase("F16.after", last=last) if last else "",
        "sync": sync, "sync_file": sfile,
    }


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
    facts = _error_facts(e, r, var, n, msg)
    variant = _VARIANTS.get(code, lambda f: "log-other")(facts)
    expl, fix = _text(code, variant, facts)
    # a session create that returned `{error}`, and leaks in Deno tests, are warnings: the request went on
    sev = "warning" if code == "F20" or (code == "F16" and variant == "log-session") else "error"
    sfile = facts["sync_file"]
    file, line_no = (sfile.rsplit(":", 1)[0], int(sfile.rsplit(":", 1)[1])) if sfile else (None, None)
    return Finding(code=code, severity=sev, explanation=expl, fix=fix, sync=facts["sync"],
                   request=r.rid if r else None, source="log", file=file,
                   line=line_no if line_no is not None else e.line, evidence=ev,
                   extra={"requests": reqs[:20], "count": n, "path": path})


def _body_keys(log: LogView, r: Request | None) -> list[str] | None:
    if r is not None and r.input_ix >= 0:
        v = log.action_input(r.input_ix)
        if isinstance(v, dict):
            return [str(k) for k in v if k != "path"]
    return None


def _f10_text(log: LogView, r: Request | None, where: str, body_keys: list[str] | None) -> failure_modes.Explanation:
    path = r.path if r else None
    keys = ("" if body_keys is None else failure_modes.phrase("F10.log-empty-body") if not body_keys
            else failure_modes.phrase("F10.log-body-keys", keys=", ".join(body_keys)))
    if path and path.startswith("/api/"):
        keys += failure_modes.phrase("F10.log-api-twice", path=path)
    if r is not None and r.flow and not r.matched:
        seen = failure_modes.phrase("F10.log-unmatched")
    elif log.n_actions == 0:
        seen = failure_modes.phrase("F10.log-no-trace")
    else:
        seen = failure_modes.phrase("F10.log-nothing-ran")
    return failure_modes.explain("F10", "log", where=where, keys=keys, seen=seen, path=path or "/…")


def _f11_text(r: Request | None, where: str, sync: str | None) -> failure_modes.Explanation:
    last = r.last_action if r else None
    if sync:
        return failure_modes.explain("F11", "log-emptied", where=where, sync=sync)
    if r is not None and r.last_kind == KIND_ERROR:
        return failure_modes.explain("F11", "log-error-unanswered", where=where, last=last, path=r.path)
    return failure_modes.explain("F11", "log", where=where, last=last)


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
        both = failure_modes.phrase("F12.log-one-carries-error") if ("error:" in first) != ("error:" in last) else ""
        expl, fix = failure_modes.explain("F12", "log", path=_q(path), times=_times(len(rs)), n=r.responses,
                                          both=both)
        out.append(Finding(
            code="F12", severity="warning", request=r.rid, source="log", line=r.end_line,
            explanation=expl, fix=fix, evidence=f"first: {first[:300]}\nlast: {last[:300]}",
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
        expl, fix = failure_modes.explain("F14", "log-array", action=name, times=_times(len(idxs)),
                                          method=name.split(".", 1)[1])
        out.append(Finding(
            code="F14", severity="warning", source="log", line=a.line[i],
            request=log.store.request_id(a.request[i]) if a.format[i] == FORMAT_TRACE else None,
            explanation=expl, fix=fix, evidence=log.entry_text(i)[:300], extra={"count": len(idxs)}))
    return out


def _unverified_routes(log: LogView) -> list[Finding]:
    """F15: passthrough routes the startup logged as unverified."""
    if not log.store.unverified_routes:
        return []
    routes = sorted(set(log.store.unverified_routes))
    expl, fix = failure_modes.explain("F15", "log", n=len(routes), route=routes[0])
    return [Finding(
        code="F15", severity="warning", source="log", explanation=expl, fix=fix,
        evidence="\n".join(f"WARNING - UNVERIFIED ROUTE: {x}" for x in routes[:10]),
        extra={"routes": routes})]


def _notes(log: LogView) -> list[Finding]:
    """Requests left without an answer; an input that is not a server log at all."""
    s = log.store
    out = []
    unanswered = [r for r in s.requests if r.open and (r.rid or r.path)]
    if unanswered:
        r = unanswered[0]
        expl, fix = failure_modes.explain("INFO", "log-unanswered", n=len(unanswered), path=_q(r.path))
        out.append(Finding(
            code="INFO", severity="info", request=r.rid, source="log", line=r.line, explanation=expl, fix=fix,
            extra={"requests": [x.rid for x in unanswered[:20]], "count": len(unanswered)}))
    if s.lines and not (log.n_actions or s.requests or s.errors or s.startups or s.unverified_routes
                        or s.verified_routes or s.registered_syncs):
        expl, fix = failure_modes.explain("INFO", "log-not-a-log", n=s.unknown_count)
        out.append(Finding(
            code="INFO", severity="warning", source="log", explanation=expl, fix=fix,
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
