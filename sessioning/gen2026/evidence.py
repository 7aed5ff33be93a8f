"""All the evidence about one 2026 app, and how its pieces line up with each HTTP exchange.

:class:`Evidence` holds what was given (any part may be missing). :meth:`Evidence.lines_for`
picks the console lines printed while an exchange was in flight (by timestamp when both sides
have one; else the next unused lines in order), and :meth:`Evidence.flow_for` the journal or
TRACE flow of an exchange (the n-th request on a path is the n-th flow on that path; requests
refused before admission — 400, 403, 404 — have no flow).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sessioning.gen2026.console import BunErrorBlock, ConsoleLine, ConsoleLog
from sessioning.gen2026.flows import Flow, flows_from_journal, flows_from_trace
from sessioning.gen2026.model import AppModel
from sessioning.gen2026.records import CheckReport, Exchange, Journal

__all__ = ["CATEGORY_STATUS", "Evidence", "TIMEOUT_MS"]

#: An answer this late is the engine's request timeout (30 000 ms by default), not work.
TIMEOUT_MS = 25_000.0
_UNADMITTED = (400, 403, 404)
#: HTTP status of each public error category (``packages/http`` public-errors).
CATEGORY_STATUS = {"INVALID_REQUEST": 400, "UNAUTHORIZED": 401, "FORBIDDEN": 403, "NOT_FOUND": 404,
                   "CONFLICT": 409, "INTERNAL_ERROR": 500}


def _ts(line: ConsoleLine) -> dt.datetime | None:
    if not line.timestamp:
        return None
    try:
        return dt.datetime.fromisoformat(line.timestamp.replace("Z", "+00:00"))
    except ValueError:
        return None


@dataclass
class Evidence:
    """What a student (or the live driver) has about a run; every part is optional."""

    model: AppModel | None = None
    console: ConsoleLog = field(default_factory=ConsoleLog)
    exchanges: list[Exchange] = field(default_factory=list)
    journal: Journal | None = None
    observer: list[dict[str, Any]] = field(default_factory=list)
    check: CheckReport | None = None
    manifest: dict[str, Any] | None = None
    collections: dict[str, list[dict[str, Any]]] | None = None
    _used: set[int] = field(default_factory=set, repr=False)
    _flows: list[Flow] | None = field(default=None, repr=False)

    @property
    def flows(self) -> list[Flow]:
        """Flows from the journal if given, else from TRACE lines (possibly none)."""
        if self._flows is None:
            self._flows = flows_from_journal(self.journal) if self.journal else flows_from_trace(self.console)
        return self._flows

    def has_trace(self) -> bool:
        return bool(self.journal) or bool(self.console.of_kind("trace"))

    def bare_path(self, path: str) -> str:
        base = self.model.http.base_path if self.model and self.model.http else ""
        bare = path.split("?", 1)[0]
        return bare[len(base):] or "/" if base and bare.startswith(base) else bare

    def flow_for(self, ex: Exchange) -> Flow | None:
        """The flow of an admitted exchange: the n-th flow on its path for the n-th such exchange."""
        if ex.status in _UNADMITTED:
            return None
        path = self.bare_path(ex.path)
        nth = sum(1 for e in self.exchanges if e.index < ex.index and e.status not in _UNADMITTED
                  and self.bare_path(e.path) == path)
        same = [f for f in self.flows if f.path == path]
        return same[nth] if nth < len(same) else None

    def lines_for(self, ex: Exchange, wanted: tuple[str, ...]) -> list[ConsoleLine]:
        """Unused engine warn/error lines whose message contains one of ``wanted``, printed during ``ex``."""
        candidates = [ln for ln in self.console.errors() if id(ln) not in self._used
                      and any(w in ln.message for w in wanted)]
        timed = ex.ended_at is not None and all(_ts(ln) for ln in candidates)
        if timed and candidates:
            picked = [ln for ln in candidates if self._owner(_ts(ln)) is ex]  # type: ignore[arg-type]
        else:
            picked = candidates[:1]
        self._used.update(id(ln) for ln in picked)
        return picked

    def _owner(self, when: dt.datetime) -> Exchange | None:
        """The exchange in flight at ``when``; else the one that ended last before it (within 2 s:
        a warning about a late second answer trails the first)."""
        timed = [e for e in self.exchanges if e.started_at is not None and e.ended_at is not None]
        inside = [e for e in timed if e.started_at <= when <= e.ended_at]  # type: ignore[operator]
        if inside:
            return max(inside, key=lambda e: e.started_at)  # type: ignore[arg-type,return-value]
        before = [e for e in timed if e.ended_at <= when <= e.ended_at + dt.timedelta(seconds=2)]  # type: ignore
        return max(before, key=lambda e: e.ended_at) if before else None  # type: ignore[arg-type,return-value]

    def block_for(self, error_class: str | None, text: str | None = None) -> BunErrorBlock | None:
        """The first unused Bun error block of that class (the ``rawFaultReporter`` printout)."""
        for b in self.console.blocks:
            if id(b) in self._used:
                continue
            if (error_class is None or b.error_class == error_class) and (text is None or text in b.message):
                self._used.add(id(b))
                return b
        return None

    def exchanges_from_flows(self) -> list[Exchange]:
        """Without a record of the HTTP exchanges, one exchange per request flow, its status inferred:
        200 for an answer, the ``publicErrors`` category's status for a mapped error, 500 for an
        unmapped refusal, a fault or a ``where`` failure, and 500 after 30 s for an unanswered flow."""
        public = self.model.http.public_errors if self.model and self.model.http else {}
        base = self.model.http.base_path if self.model and self.model.http else ""
        out = []
        for f in self.flows:
            if f.path is None:
                continue
            answer, failed = f.answer, f.first_failure()
            code = answer.input.get("error") if answer is not None else None
            if failed is not None and failed.posture == "refused" and isinstance(failed.output, dict):
                code = failed.output.get("error")
            if answer is None and failed is None and not f.failures:
                status, latency, body = 500, 30_000.0, {"error": "INTERNAL_ERROR"}
            elif (failed is not None and failed.posture == "fault") or f.failures or (code and code not in public):
                status, latency, body = 500, None, {"error": "INTERNAL_ERROR"}
            elif code:
                status, latency, body = CATEGORY_STATUS.get(public[code], 500), None, {"error": public[code]}
            else:
                status, latency, body = 200, None, None
            out.append(Exchange(len(out), "POST", base + f.path, None, status, body, latency, None))
        return out

    def late_answer_lines(self) -> list[ConsoleLine]:
        return [ln for ln in self.console.errors() if "after it stopped pending" in ln.message]
