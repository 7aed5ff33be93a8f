"""Findings: one diagnosed problem each, from a run, a server log, a database or sync files.

Every diagnosis in the kit produces :class:`Finding` objects and shows them as one DataFrame
(:func:`findings_frame`). Codes are those of :mod:`sessioning.failure_modes`: the ids of
``failure-modes.md`` (F1 … F21), a few kit checks with a short name (``UNBOUND``, ``API-PREFIX``,
``PARSE``, ``INFO``) and the 2026 causes (``refusal-unmapped`` …).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

# The catalogue of failure modes lives in sessioning.failure_modes; FAILURE_MODES (code → (title, tag)
# of the 2025 modes and the kit's checks) is re-exported here because it was public here.
from sessioning.failure_modes import FAILURE_MODES as FAILURE_MODES
from sessioning.failure_modes import MODES

SEVERITIES = ("error", "warning", "info")

COLUMNS = [
    "code", "severity", "title", "sync", "request", "explanation", "fix",
    "source", "file", "line", "evidence",
]


@dataclass
class Finding:
    """One diagnosed problem. ``explanation`` names the real cause; ``fix`` says what to change."""

    code: str
    severity: str
    explanation: str
    fix: str
    sync: str | None = None
    request: str | None = None
    source: str = "run"  # run | log | db | syncs
    file: str | None = None
    line: int | None = None
    evidence: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, not {self.severity!r}")
        if self.code not in MODES:
            raise ValueError(f"unknown finding code {self.code!r}")

    @property
    def title(self) -> str:
        return MODES[self.code].title

    @property
    def tag(self) -> str:
        return MODES[self.code].tag

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["title"] = self.title
        if "cause" in self.extra:  # 2026 findings (issue 13): cause, endpoint, reaction, stage and why at top level
            d["why"] = self.explanation
            d.update({k: self.extra.get(k) for k in ("cause", "endpoint", "reaction", "stage", "basis")})
        return d


def code_order(code: str) -> tuple[int, str]:
    """F1 < F2 < … < F21 < the named codes (``API-PREFIX``, ``PARSE``, …), alphabetically."""
    return (int(code[1:]), code) if code[:1] == "F" and code[1:].isdigit() else (999, code)


def _identity(f: Finding) -> tuple[Any, ...]:
    # two findings are the same when they name the same problem at the same place in the same words
    return (f.code, f.sync, f.request, f.file, f.line, f.explanation)


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Findings errors first, then by code, then by file and line; duplicates kept once (the first).

    The one order of the kit: the run diagnosis, the readers, :func:`findings_frame` and the
    command line all show findings in it. The sort is stable, so findings at the same place keep
    the order they were produced in.
    """
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    unique: dict[tuple[Any, ...], Finding] = {}
    for f in findings:
        unique.setdefault(_identity(f), f)
    return sorted(unique.values(),
                  key=lambda f: (rank[f.severity], code_order(f.code), f.file or "", f.line or 0))


def findings_frame(findings: Iterable[Finding]) -> pd.DataFrame:
    """Findings as a DataFrame in :func:`sort_findings` order (errors first, then by code); duplicates removed."""
    rows = []
    for f in sort_findings(findings):
        d = f.to_dict()
        rows.append({c: d.get(c) for c in COLUMNS})
    df = pd.DataFrame(rows, columns=COLUMNS)
    df["line"] = df["line"].astype("Int64")
    return df
