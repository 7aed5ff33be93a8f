"""What every run check shares: the run, the engine's sync definitions, and ``add()``.

:class:`RunContext` is built once per diagnosis: it holds the recorded run, the engine (when the
run is live, so the syncs' definitions are known), the database (for look-ups such as the
document behind an E11000), the options, and the findings so far. :class:`FlowFacts` is what a
check gets for one flow: its request, path and the evaluation where an engine error was raised.
The small formatting helpers here show values the way a student reads them, secrets masked.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sessioning.findings import Finding
from sessioning.masking import mask_secrets, mask_text, mask_value
from sessioning.record import Evaluation, FlowLog, Run

__all__ = ["REQUEST", "RESPOND", "FlowFacts", "RunContext", "entry_text", "injected", "pattern_keys", "show",
           "strip_full_error", "where_summary"]

RESPOND = "Requesting.respond"
REQUEST = "Requesting.request"


def strip_full_error(text: str) -> str:
    """Drop the ``, full error: {...}`` pymongo appends to its messages (a balanced ``{}`` block)."""
    marker = ", full error: {"
    out = []
    i = 0
    while True:
        j = text.find(marker, i)
        if j < 0:
            out.append(text[i:])
            return "".join(out)
        out.append(text[i:j])
        k, depth = j + len(marker) - 1, 0
        while k < len(text):
            if text[k] == "{":
                depth += 1
            elif text[k] == "}":
                depth -= 1
                if depth == 0:
                    k += 1
                    break
            k += 1
        i = k


def show(value: Any, key: str | None = None, reveal: bool = False) -> str:
    """A value as a student reads it, secrets masked (by ``key`` when the value is a field's)."""
    if key is not None:
        value = mask_value(key, value, reveal)
    elif not reveal:
        value = mask_secrets(value, False)
    if isinstance(value, str):
        return repr(mask_text(value, reveal))
    return json.dumps(value, default=str, ensure_ascii=False) if isinstance(value, (dict, list)) else repr(value)


def pattern_keys(pattern: dict | None) -> str:
    """A recorded pattern (``{"user": "Symbol(user)"}``) as the sync wrote it: ``{user}``."""
    if not pattern:
        return "{}"
    parts = []
    for k, v in pattern.items():
        if isinstance(v, str) and v == f"Symbol({k})":
            parts.append(k)
        elif isinstance(v, str) and v.startswith("Symbol("):
            parts.append(f"{k}: {v[7:-1]}")
        else:
            parts.append(f"{k}: {v!r}")
    return "{" + ", ".join(parts) + "}"


def entry_text(w: dict) -> str:
    """A recorded `when` entry as ``[Action, {in}, {out}]``."""
    out = w.get("output")
    if out is None:
        return f"[{w.get('action')}, {pattern_keys(w.get('input'))}]"
    return f"[{w.get('action')}, {pattern_keys(w.get('input'))}, {pattern_keys(out)}]"


def where_summary(ev: Evaluation) -> str:
    """``Sync: query _getUser 1→0 → filter … `` — each `where` step with its frame counts."""
    steps = " → ".join(f"{s.get('step')} {s.get('name')} {s.get('frames_in')}→{s.get('frames_out')}"
                       for s in ev.where or [])
    return f"{ev.sync}: {steps}"


def injected(db: Any, message: str) -> bool:
    """Whether ``message`` is a failure injected on purpose with ``db.faults``."""
    faults = getattr(db, "faults", None) if db is not None else None
    rules = faults.rules() if faults is not None and hasattr(faults, "rules") else ()
    message = message or ""
    return ("(injected fault)" in message or "'injected': True" in message
            or any(logged and logged in message for rule in rules for logged in rule.log))


@dataclass(frozen=True)
class FlowFacts:
    """One flow as the checks see it: the log, its request id and path, and the evaluation where an
    engine error was first raised (the deepest, i.e. the latest), if any."""

    log: FlowLog
    flow: str
    request: str | None
    path: str | None
    error_root: Evaluation | None

    @classmethod
    def of(cls, log: FlowLog) -> FlowFacts:
        errs = [ev for ev in log.evaluations if ev.error or ev.error_type]  # an exception may have no message
        root = max(errs, key=lambda ev: ev.seq) if errs else None
        return cls(log, log.flow, log.request_id, log.path, root)


class RunContext:
    """The run being diagnosed, what is known of its syncs, the options, and the findings so far."""

    def __init__(self, run: Run, engine: Any, db: Any, *, sessions_collection: str, session_create: str,
                 login_actions: Iterable[str], reveal: bool) -> None:
        self.run = run
        self.engine = engine
        self.db = db
        self.sessions_collection = sessions_collection
        self.session_create = session_create
        self.login_actions = tuple(login_actions)
        self.reveal = reveal
        self.defs = dict(getattr(engine, "syncs", {}) or {})
        self.findings: list[Finding] = []
        self.seen_then: dict[str, set[str]] = {}
        self.recorded_when: dict[str, list[dict]] = {}  # the fullest `when` recorded per sync
        for ev in run.evaluations():
            if ev.then:
                self.seen_then.setdefault(ev.sync, set()).update(t.get("action") for t in ev.then)
            if ev.when and len(ev.when) >= len(self.recorded_when.get(ev.sync, ())):
                self.recorded_when[ev.sync] = ev.when
        self.f13_syncs: set[str] = set()  # syncs already reported for F13 (once per sync)

    # -- what a sync does (its definition when live, else what the record shows) ------------------
    def then_labels(self, sync: str) -> set[str]:
        d = self.defs.get(sync)
        if d is not None:
            return {p.label for p in d.then}
        return set(self.seen_then.get(sync, ()))

    def when_labels(self, sync: str) -> list[str]:
        d = self.defs.get(sync)
        if d is not None:
            return [p.label for p in d.when]
        return [w.get("action") for w in self.recorded_when.get(sync, ())]

    def is_response_sync(self, sync: str) -> bool:
        labels = self.then_labels(sync)
        if labels:
            return RESPOND in labels
        when = self.when_labels(sync)
        return len(when) > 1 and REQUEST in when

    def calling_evaluation(self, sync: str, seq: int) -> Evaluation | None:
        """The latest evaluation of ``sync`` before ``seq`` (the `where` that called an action)."""
        best = None
        for ev in self.run.evaluations():
            if ev.sync == sync and ev.seq < seq and (best is None or ev.seq > best.seq):
                best = ev
        return best

    def show(self, value: Any, key: str | None = None) -> str:
        return show(value, key, self.reveal)

    # -- the one way a check reports ------------------------------------------------------------------
    def add(self, code: str, severity: str, explanation: str, fix: str, *, sync: str | None = None,
            request: str | None = None, evidence: str | None = None, **extra: Any) -> None:
        """Record a finding; its texts are masked here (once) unless secrets are revealed."""
        explanation = strip_full_error(explanation)
        if not self.reveal:
            explanation, fix = mask_text(explanation, False), mask_text(fix, False)
            evidence = mask_text(evidence, False) if evidence else evidence
        self.findings.append(Finding(code, severity, explanation, fix, sync=sync, request=request, source="run",
                                     evidence=evidence, extra=extra))
