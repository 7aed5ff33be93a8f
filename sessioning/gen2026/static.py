"""What a 2026 app's source says before anything fails: warnings from its static model.

* refusals registered but missing from ``publicErrors`` (→ ``refusal-unmapped`` when refused);
* actions that return ``{ error }`` instead of throwing a registered refusal;
* endpoints under a session whose plain ``where`` line can drop an unknown session, with no
  branch answering ``UNAUTHORIZED`` (``check --show-advisories`` says ``MISSING_ENDPOINT_FALLBACK``);
* what to switch on to see more (TRACE and a journal).

A static warning is left out when a request already showed the same cause at the same place.
"""

from __future__ import annotations

from sessioning import failure_modes
from sessioning.findings import Finding
from sessioning.gen2026.evidence import Evidence
from sessioning.gen2026.model import AppModel
from sessioning.gen2026.records import CheckReport

__all__ = ["SEE_MORE", "static_findings", "visibility_note"]

#: Exactly what to add to see each action, its outcome, and a journal of every flow.
SEE_MORE = ("run the server with `LOG_LEVEL=debug` AND add to `assemble({…})` in src/assembly.ts: "
            "`logging: Logging.TRACE, logSink: new FileLogSink(\"occurrences.jsonl\")` "
            "(import both from \"@mit-sdg/sync-engine/assembly\"); then pass --log for both panes and "
            "--journal occurrences.jsonl")


def _static(cause: str, facts: dict[str, str], *, endpoint: str | None, reaction: str | None, stage: str | None,
            file: str | None, line: int | None, evidence: str) -> Finding:
    why, fix = failure_modes.explain(cause, **facts)
    return Finding(code=cause, severity="warning", explanation="Not seen failing yet, but the source says: " + why,
                   fix=fix, sync=reaction, source="syncs", file=file, line=line, evidence=evidence,
                   extra={"cause": cause, "endpoint": endpoint, "reaction": reaction, "stage": stage,
                          "basis": "static"})


def _seen(found: list[Finding], cause: str, stage: str | None = None, endpoint: str | None = None) -> bool:
    return any(f.code == cause and (stage is None or f.extra.get("stage") == stage)
               and (endpoint is None or f.extra.get("endpoint") == endpoint) for f in found)


def _unmapped(model: AppModel, found: list[Finding]) -> list[Finding]:
    out = []
    http = model.http
    for concept, code in model.unmapped_refusals():
        actions = [a for a, codes in model.concepts[concept].spec_refusals.items() if code in codes]
        label = f"{concept}.{actions[0]}" if actions else concept
        if any(f.code == "refusal-unmapped" and f.extra.get("stage") == label for f in found):
            continue
        users = [c.path for c in model.chains if c.kind == "endpoint" and label in model.actions_of(c)]
        endpoint = users[0] if users else "any endpoint that calls it"
        out.append(_static("refusal-unmapped", {"endpoint": endpoint, "action": label, "refusal": code},
                           endpoint=endpoint, reaction=None, stage=label, file=http.file if http else None,
                           line=http.line if http else None,
                           evidence=f"refusals: {{ {code}: … }} registered; publicErrors maps "
                                    f"{', '.join(http.public_errors) if http else 'nothing'}"))
    return out


def _returners(model: AppModel, found: list[Finding]) -> list[Finding]:
    out = []
    for concept, action, file, line in model.error_returners():
        label = f"{concept}.{action}"
        if _seen(found, "error-returned-not-thrown", label):
            continue
        users = [c.path for c in model.chains if c.kind == "endpoint" and label in model.actions_of(c)]
        endpoint = users[0] if users else "its endpoints"
        out.append(_static("error-returned-not-thrown", {"action": label, "endpoint": endpoint}, endpoint=endpoint,
                           reaction=None, stage=label, file=file, line=line,
                           evidence=f"{file}:{line}: `return {{ error: … }}` in {label}"))
    return out


def _uncovered(model: AppModel, found: list[Finding]) -> list[Finding]:
    out = []
    for chain in model.session_endpoints_uncovered():
        if _seen(found, "uncovered-case-timeout", endpoint=chain.path):
            continue
        plain = next(w for w in chain.where if w.kind == "plain")
        facts = {"endpoint": chain.path or "?", "reaction": chain.full_name, "line": plain.text}
        out.append(_static("uncovered-case-timeout", facts, endpoint=chain.path, reaction=chain.full_name,
                           stage="where", file=chain.file, line=plain.line,
                           evidence=f"receive({{ session, … }}) with `{plain.text}` and no reaction answering "
                                    "UNAUTHORIZED for an unknown session"))
    return out


def static_findings(model: AppModel, check: CheckReport | None, found: list[Finding]) -> list[Finding]:
    """Warnings the app's source (and check report) support, minus causes already seen at the same place."""
    return _unmapped(model, found) + _returners(model, found) + _uncovered(model, found)


def visibility_note(model: AppModel, ev: Evidence | None = None) -> str | None:
    """What to switch on to see more, or None when TRACE and a journal are already on."""
    missing = []
    if not model.trace_on():
        missing.append("no TRACE (`logging` is OFF in assemble)")
    if not model.journal_on():
        missing.append("no journal (no `logSink`)")
    if ev is not None and model.trace_on() and not ev.console.of_kind("trace"):
        missing.append("TRACE is on but no TRACE line was given (is LOG_LEVEL=debug set?)")
    if not missing:
        return None
    return "To see more: " + "; ".join(missing) + " — " + SEE_MORE
