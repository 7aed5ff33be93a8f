"""Findings: one diagnosed problem each, from a run, a server log, a database or sync files.

Every diagnosis in the kit produces :class:`Finding` objects and shows them as one DataFrame
(:func:`findings_frame`). Codes are the ids of ``failure-modes.md`` (F1 … F21); a few checks
that have no id there use a short name (``UNBOUND``, ``API-PREFIX``, ``PARSE``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

#: code → (short title, tag). Titles follow failure-modes.md.
FAILURE_MODES: dict[str, tuple[str, str]] = {
    "F1": ("value made in a `then` used later in the same `then`", "BINDING"),
    "F2": ("query rows lack the output key, variable left unbound", "BINDING"),
    "F3": ("`error` bound on one path only", "BINDING"),
    "F4": ("query input variable unbound (`Binding: … not found`)", "BINDING"),
    "F5": ("`where` returns frames built from scratch (`Missing actionId`)", "BINDING"),
    "F6": ("hand-built frames with string keys", "BINDING"),
    "F7": ("query used in `when`/`then` (`… is not instrumented.`)", "ENGINE"),
    "F8": ("`when` entry without an output pattern", "MATCH"),
    "F9": ("query or `where` not returning an array/Frames", "ENGINE"),
    "F10": ("request sync never matches → timeout (504)", "MATCH"),
    "F11": ("response sync never matches → timeout (504)", "MATCH"),
    "F12": ("`{}` success sync and `{error}` sync both fire", "MATCH"),
    "F13": ("auth check that checks nothing", "MATCH"),
    "F14": ("action used as a query or awaited in `where` → runs in a new flow", "ENGINE"),
    "F15": ("passthrough route shadows Requesting", "MATCH"),
    "F16": ("action throws instead of returning `{error}` (incl. E11000)", "DB"),
    "F17": ("the insert never happened", "DB"),
    "F18": ("environment / connection (`MONGODB_URL`, Atlas)", "DB"),
    "F19": ("test database in use or wiped (`test-<DB_NAME>`)", "DB"),
    "F20": ("Deno tests report leaks", "DB"),
    "F21": ("stale generated barrel, or a sync file not named `*.sync.ts`", "BUILD"),
    # Kit checks with no id in failure-modes.md
    "UNBOUND": ("a `then` variable that nothing binds", "BINDING"),
    "API-PREFIX": ("path literal with the `/api` prefix", "MATCH"),
    "PARSE": ("file could not be parsed", "BUILD"),
    "INFO": ("information", "INFO"),
}

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
        if self.code not in FAILURE_MODES:
            raise ValueError(f"unknown finding code {self.code!r}")

    @property
    def title(self) -> str:
        return FAILURE_MODES[self.code][0]

    @property
    def tag(self) -> str:
        return FAILURE_MODES[self.code][1]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["title"] = self.title
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
