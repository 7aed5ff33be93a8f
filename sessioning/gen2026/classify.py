"""Name the cause of every failing request of a 2026 app, with the catalogue's why and fix.

For each HTTP exchange the classifier reads its status and latency, the engine lines printed
while it was in flight, its flow (journal or TRACE) when there is one, the app's static model
and the collections, and gives one :class:`~sessioning.findings.Finding` whose ``code`` is the
cause (``refusal-unmapped``, ``uncovered-case-timeout``, …; see issue 13) and whose ``extra``
names the ``endpoint``, ``reaction``, ``stage`` and the evidence ``basis`` (``default`` when only
status, latency, default logs and source were used; ``trace`` when a journal or TRACE lines
decided). Startup failures are classified once, from the console or the check report.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from sessioning import failure_modes
from sessioning.findings import Finding
from sessioning.gen2026.console import StartupFailure, startup_failure
from sessioning.gen2026.evidence import TIMEOUT_MS, Evidence
from sessioning.gen2026.flows import Flow
from sessioning.gen2026.records import Exchange
from sessioning.masking import mask_text

__all__ = ["classify", "classify_exchange", "requests_frame", "startup_findings"]

_FAULT = ("Consequence action faulted", "Consequence action failed")
_WHERE = ("where condition evaluation failed",)


def _finding(cause: str, severity: str, facts: dict[str, Any], *, endpoint: str | None = None,
             reaction: str | None = None, stage: str | None = None, basis: str = "default",
             evidence: str | None = None, ex: Exchange | None = None, file: str | None = None,
             line: int | None = None, variant: str = "default") -> Finding:
    why, fix = failure_modes.explain(cause, variant, **facts)
    request = _request_text(ex) if ex else None
    return Finding(code=cause, severity=severity, explanation=why, fix=fix, sync=reaction, request=request,
                   source="run" if ex else "log", file=file, line=line,
                   evidence=mask_text(evidence) if evidence else None,  # a thrown message may quote a secret
                   extra={"cause": cause, "endpoint": endpoint, "reaction": reaction, "stage": stage, "basis": basis})


def _request_text(ex: Exchange) -> str:
    latency = f" in {ex.latency_ms:.0f} ms" if ex.latency_ms is not None else ""
    return f"{ex.method} {ex.path} → {ex.status}{latency} (#{ex.index + 1})"


def startup_findings(ev: Evidence) -> list[Finding]:
    """``startup-unbound`` / ``startup-unordered`` from the console or the check report, once each."""
    seen: dict[str, StartupFailure] = {s.message: s for s in ev.console.startup}
    for d in ev.check.diagnostics if ev.check else []:
        found = startup_failure(str(d.get("message", "")))
        if found is not None:
            seen.setdefault(found.message, found)
    out = []
    for s in seen.values():
        if s.kind not in ("unbound", "unordered"):
            continue
        names = ", ".join(f"`{n}`" for n in s.names)
        cause = f"startup-{s.kind}"
        out.append(_finding(cause, "error", {"message": s.message, "names": names}, reaction=s.reaction,
                            stage="registration", evidence=s.message))
    return out


def _endpoint_name(ev: Evidence, ex: Exchange) -> tuple[str, Any]:
    bare = ev.bare_path(ex.path)
    chain = ev.model.endpoint(ex.path) if ev.model else None
    return bare, chain


def _client_side(ev: Evidence, ex: Exchange) -> Finding | None:
    """400, 403 and 404: refused before the engine recorded anything."""
    bare, chain = _endpoint_name(ev, ex)
    name = chain.full_name if chain else None
    if ex.status == 404:
        return _finding("unknown-path", "error", {"path": ex.path}, endpoint=bare, ex=ex, stage="routing")
    if ex.status == 403:
        public = (ev.model.env_keys.get("PUBLIC_ORIGIN") if ev.model else None) or "the configured publicOrigin"
        origin = "another address" if ex.origin in (None, "other") else ex.origin
        return _finding("forbidden-origin", "error", {"path": ex.path, "origin": origin, "public_origin": public},
                        endpoint=bare, reaction=name, ex=ex, stage="origin check")
    contract = (ev.manifest or {}).get("inputContracts", {}).get(bare, {})
    # the manifest's input contract is the engine's own word; else the keys `receive({…})` names
    required = list(contract.get("required", [])) or (list(chain.receive_keys) if chain else [])
    given = set(ex.body) if isinstance(ex.body, dict) else set()
    missing = [k for k in required if k not in given and not (k == "session" and ev.model and ev.model.http
                                                             and ev.model.http.cookie_input == "session")]
    text = ", ".join(f"`{k}`" for k in missing) or "a required key (or the body is not a JSON object)"
    return _finding("invalid-input", "error", {"endpoint": bare, "missing": text}, endpoint=bare, reaction=name,
                    ex=ex, stage="input contract")


def _refusal_of(flow: Flow | None) -> tuple[str | None, str | None]:
    """(action label, code) of the flow's refused action."""
    failed = flow.first_failure() if flow else None
    if failed is not None and failed.posture == "refused":
        out = failed.output
        code = out.get("error") if isinstance(out, dict) else None
        return failed.label, code
    return None, None


def _static_refusals(ev: Evidence, chain: Any, mapped: bool) -> list[tuple[str, str]]:
    """(action, code) the chain's actions can refuse, mapped or not in ``publicErrors``."""
    if ev.model is None or chain is None:
        return []
    public = ev.model.http.public_errors if ev.model.http else {}
    out = []
    for label in ev.model.actions_of(chain):
        concept, action = label.split(".")
        info = ev.model.concepts[concept]
        for code in info.spec_refusals.get(action, list(info.refusals)):
            if (code in public) == mapped:
                out.append((label, code))
    return out


def _branch_answer(ev: Evidence, ex: Exchange, flow: Flow | None) -> tuple[str, str] | None:
    """(reaction, code) when a branch answered an error itself (``respond({ error: "UNAUTHORIZED" })``)."""
    answer = flow.answer if flow else None
    if answer is not None and isinstance(answer.input.get("error"), str) and flow and flow.first_failure() is None:
        return answer.by or "a branch", answer.input["error"]
    if flow is not None or ev.model is None:
        return None
    public = ev.model.http.public_errors if ev.model.http else {}
    endpoint = ev.model.endpoint(ex.path)
    # the keys the request carried: its body, plus what the endpoint receives (the session comes from the cookie)
    carried = (set(ex.body) if isinstance(ex.body, dict) else set()) | set(endpoint.receive_keys if endpoint else ())
    for c in ev.model.chains:
        if c.kind == "reaction" and c.registered and c.receive_keys and set(c.receive_keys) <= carried:
            for code in c.answers_errors:
                if public.get(code, code) == ex.error:
                    return c.full_name, code
    return None


def _refusal(ev: Evidence, ex: Exchange, flow: Flow | None, mapped: bool) -> Finding:
    bare, chain = _endpoint_name(ev, ex)
    branch = _branch_answer(ev, ex, flow) if mapped else None
    if branch is not None:
        facts = {"endpoint": bare, "refusal": branch[1], "status": ex.status, "category": ex.error or "?",
                 "reaction": branch[0]}
        return _finding("refusal-mapped", "info", facts, endpoint=bare, reaction=branch[0], ex=ex, variant="branch",
                        basis="trace" if flow else "default", stage="answer")
    action, code = _refusal_of(flow)
    basis = "trace" if code else "default"
    if code is None:
        category = ex.error or ""
        candidates = _static_refusals(ev, chain, mapped)
        if mapped and ev.model and ev.model.http:
            candidates = [c for c in candidates if ev.model.http.public_errors.get(c[1]) == category] or candidates
        action, code = candidates[0] if candidates else ("an action", "a refusal code")
    name = chain.full_name if chain else None
    if mapped:
        category = ex.error or "?"
        facts = {"endpoint": bare, "refusal": code, "status": ex.status, "category": category}
        return _finding("refusal-mapped", "info", facts, endpoint=bare, reaction=name, ex=ex, basis=basis,
                        stage=action)
    return _finding("refusal-unmapped", "error", {"endpoint": bare, "action": action, "refusal": code},
                    endpoint=bare, reaction=name, ex=ex, basis=basis, stage=action)


def _fault(ev: Evidence, ex: Exchange, flow: Flow | None, error_class: str | None, action: str,
           message: str) -> Finding:
    bare, chain = _endpoint_name(ev, ex)
    error_class = error_class or "Error"
    block = ev.block_for(error_class)
    evidence = message + (f"; {block.error_class}: {block.message} at {block.where}" if block else "")
    failed = flow.first_failure() if flow else None
    committed = [a.label for a in flow.committed_before(failed)] if flow and failed else None
    basis = "trace" if committed is not None else "default"
    labels = ev.model.actions_of(chain) if ev.model and chain else []
    label = failed.label if failed else next((x for x in labels if x.endswith("." + action)), action)
    if committed is None:  # no flow: every stage before the faulted one returned (a chain stops at a failure)
        committed = labels[:labels.index(label)] if label in labels else []
    name = chain.full_name if chain else None
    if committed:
        facts = {"endpoint": bare, "committed": ", ".join(f"`{c}`" for c in committed), "failed": label,
                 "outcome": f"faulted ({error_class})"}
        return _finding("partial-commit", "error", facts, endpoint=bare, reaction=name, stage=label, ex=ex,
                        basis=basis, evidence=evidence)
    return _finding("action-fault", "error", {"endpoint": bare, "action": label, "error_class": error_class},
                    endpoint=bare, reaction=name, stage=label, ex=ex, basis=basis, evidence=evidence)


def _where_failure(ev: Evidence, ex: Exchange, reaction: str | None, error_class: str | None,
                   message: str, basis: str = "default") -> Finding:
    bare, chain = _endpoint_name(ev, ex)
    reaction = reaction or (chain.full_name if chain else "?")
    error_class = error_class or "Error"
    if error_class == "QueryAnswerFault":
        block = ev.block_for("QueryAnswerFault")
        query, promise, rows = "a query", "?", "more"
        if block is not None and " promises " in block.message:
            query = block.message.split("Query ", 1)[-1].split(" promises", 1)[0]
            promise = block.message.split('promises "', 1)[-1].split('"', 1)[0]
            rows = block.message.split("answered ", 1)[-1].split(" ", 1)[0]
        facts = {"reaction": reaction, "query": query, "promise": promise, "rows": rows}
        return _finding("query-cardinality", "error", facts, endpoint=bare, reaction=reaction, stage="where", ex=ex,
                        basis=basis, evidence=message + (f"; {block.message}" if block else ""))
    block = ev.block_for(error_class)
    return _finding("query-throws", "error", {"reaction": reaction, "error_class": error_class}, endpoint=bare,
                    reaction=reaction, stage="where", ex=ex, basis=basis,
                    evidence=message + (f"; {block.error_class}: {block.message} at {block.where}" if block else ""))


def _timeout(ev: Evidence, ex: Exchange, flow: Flow | None) -> Finding:
    bare, chain = _endpoint_name(ev, ex)
    name = chain.full_name if chain else "?"
    returned_error = next((a for a in flow.work() if a.posture == "returned" and isinstance(a.output, dict)
                           and "error" in a.output), None) if flow else None
    static = []
    if ev.model and chain:
        labels = ev.model.actions_of(chain)
        static = [f"{c}.{a}" for c, a, _f, _ln in ev.model.error_returners() if f"{c}.{a}" in labels]
    if returned_error is not None or static:
        action = returned_error.label if returned_error else static[0]
        return _finding("error-returned-not-thrown", "error", {"action": action, "endpoint": bare}, endpoint=bare,
                        reaction=name, stage=action, ex=ex, basis="trace" if returned_error else "default")
    plain = [w for w in chain.where if w.kind == "plain"] if chain else []
    line_text = plain[0].text if plain else (chain.stages[-1] if chain and chain.stages else "a read line")
    basis = "default"
    if flow is not None:
        basis = "trace"
        last = [a for a in flow.work() if a.posture == "returned"]
        if last and not plain:
            line_text = f"the stage after `{last[-1].label}`"
    if chain is not None and plain and chain.full_name in ev.console.verbose_unprocessed():
        basis = "trace"  # VERBOSE: the reaction matched and its `where` produced nothing
    facts = {"endpoint": bare, "reaction": name, "line": line_text}
    return _finding("uncovered-case-timeout", "error", facts, endpoint=bare, reaction=name, stage="where", ex=ex,
                    basis=basis, file=chain.file if chain else None, line=plain[0].line if plain else None)


def _server_error(ev: Evidence, ex: Exchange, flow: Flow | None) -> Finding:
    slow = ex.latency_ms is not None and ex.latency_ms >= TIMEOUT_MS
    unanswered = flow is not None and not flow.answered and not flow.failures and flow.first_failure() is None
    if slow or unanswered:
        return _timeout(ev, ex, flow)
    fault = ev.lines_for(ex, _FAULT)
    if fault:
        return _fault(ev, ex, flow, fault[0].error_class, str(fault[0].meta.get("action") or "?"), fault[0].message)
    failed = flow.first_failure() if flow else None
    if failed is not None and failed.posture == "fault":  # a journal without the console
        return _fault(ev, ex, flow, None, failed.action, f"fault recorded for {failed.label}: {failed.output}")
    where = ev.lines_for(ex, _WHERE)
    if where:
        _bare, chain = _endpoint_name(ev, ex)
        own = [ln for ln in where if chain and (ln.reaction or "").split("#")[0] == chain.full_name]
        line = (own or where)[0]  # the endpoint's own reaction first; a global branch may fail on the same read
        corroborated = flow is not None and bool(flow.failures)  # the journal's reaction-failure agrees
        return _where_failure(ev, ex, line.reaction, line.error_class, line.message,
                              basis="trace" if corroborated else "default")
    if flow is not None and flow.failures:  # the journal's reaction-failure, when no console was given
        f = flow.failures[0]
        return _where_failure(ev, ex, f.get("reaction"), f.get("errorClass"),
                              f"reaction-failure in {f.get('reaction')} at stage {f.get('stage')}", basis="trace")
    return _refusal(ev, ex, flow, mapped=False)


def classify_exchange(ev: Evidence, ex: Exchange) -> Finding | None:
    """The finding for one exchange, or None for a plain success."""
    flow = ev.flow_for(ex)
    if ex.status is None:
        return None
    if ex.status < 400:
        late = [ln for ln in ev.lines_for(ex, ("after it stopped pending",))]
        if late:
            reaction = late[0].reaction or "?"
            return _finding("double-answer", "warning", {"reaction": reaction, "path": ev.bare_path(ex.path)},
                            endpoint=ev.bare_path(ex.path), reaction=reaction, ex=ex, evidence=late[0].message)
        return None
    if ex.status in (400, 403, 404):
        return _client_side(ev, ex)
    if ex.status >= 500:
        return _server_error(ev, ex, flow)
    return _refusal(ev, ex, flow, mapped=True)


def classify(ev: Evidence) -> list[Finding]:
    """Startup findings, then one finding per failing (or doubly answered) exchange, in request order."""
    out = startup_findings(ev)
    for ex in ev.exchanges:
        found = classify_exchange(ev, ex)
        if found is not None:
            out.append(found)
    return out


def requests_frame(ev: Evidence) -> pd.DataFrame:
    """Per request: method, path, status, latency, its flow's actions and first failure, answered?, the cause."""
    rows = []
    for ex in ev.exchanges:
        flow = ev.flow_for(ex)
        failed = flow.first_failure() if flow else None
        rows.append({"method": ex.method, "path": ex.path, "status": ex.status, "latency_ms": ex.latency_ms,
                     "actions": " → ".join(a.label for a in flow.work()) if flow else None,
                     "failed": f"{failed.label} {failed.posture}" if failed else None,
                     "answered": flow.answered if flow else None})
    frame = pd.DataFrame(rows, columns=["method", "path", "status", "latency_ms", "actions", "failed", "answered"])
    fresh = Evidence(ev.model, ev.console, ev.exchanges, ev.journal)  # classifying marks lines as used
    causes = {f.request: f.code for f in classify(fresh)}
    frame["cause"] = [causes.get(_request_text(ex)) for ex in ev.exchanges]
    return frame
