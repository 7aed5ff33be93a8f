"""Read the 2026 evidence files other than console output.

* the JSONL journal written by ``logSink: new FileLogSink(path)`` (``invocation``, ``outcome``,
  ``fault``, ``firing``, ``reaction-failure``, ``integrity-failure`` records);
* observer events (``OperationalEvent`` objects, one JSON object per line or a JSON list);
* ``sync-engine check --format json`` (``sync-engine.diagnostic-report``);
* ``sync-engine artifacts manifest`` (``sync-engine.application-manifest``);
* a record of HTTP exchanges (``--requests``): a JSON list of
  ``{method, path, body, status, response_body, latency_ms, started_at}`` (extra keys ignored);
* a folder of collections as ``mongoexport --jsonArray`` writes them (``sessioning.sessions.json``).

Every reader accepts partial input: a cut or garbled line is skipped and counted in
``problems``; a file that is not the expected thing at all raises :class:`EvidenceError` (a
:class:`~sessioning.errors.KitError`: one line and a hint, never a traceback).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sessioning.errors import KitError
from sessioning.files import is_regular_file, read_text

__all__ = ["CheckReport", "EvidenceError", "Exchange", "Journal", "read_check", "read_collections",
           "read_journal", "read_manifest", "read_observer", "read_requests"]

_MAX_BYTES = 64 << 20


class EvidenceError(KitError):
    """An evidence file that cannot be read as what it was given as."""


def _text(source: str | Path) -> str:
    """The text of a path, or ``source`` itself when it is already text (contains a newline or a brace)."""
    if isinstance(source, Path) or ("\n" not in source and not source.lstrip().startswith(("{", "["))):
        path = Path(source)
        if not path.is_file():
            raise EvidenceError(f"not a file: {path}", hint="give the path of the file you saved")
        if path.stat().st_size > _MAX_BYTES:
            raise EvidenceError(f"{path} is larger than 64 MiB", hint="give only the part around the failing request")
        return path.read_text(encoding="utf-8", errors="replace")
    return source


def _json_lines(text: str, what: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Objects of a JSONL text (or of a JSON list), and one problem per unreadable line."""
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            data = json.loads(stripped)
            return [d for d in data if isinstance(d, dict)], []
        except ValueError:
            pass
    out, problems = [], []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            problems.append(f"{what} line {n}: cut short or not JSON; skipped")
            continue
        if isinstance(obj, dict):
            out.append(obj)
    return out, problems


@dataclass
class Journal:
    """The JSONL journal: records in file order, and the problems met reading it."""

    records: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("kind") == kind]

    def flows(self) -> list[str]:
        """Flow tokens in order of first appearance."""
        seen: dict[str, None] = {}
        for r in self.records:
            flow = r.get("flow") or (r.get("firing") or r.get("failure") or {}).get("flow")
            if isinstance(flow, str):
                seen.setdefault(flow, None)
        return list(seen)


def read_journal(source: str | Path) -> Journal:
    """Read a ``FileLogSink`` journal (path or text)."""
    records, problems = _json_lines(_text(source), "journal")
    kinds = {"invocation", "outcome", "fault", "firing", "reaction-failure", "integrity-failure"}
    if records and not any(r.get("kind") in kinds for r in records):
        raise EvidenceError("this is not a sync-engine journal (no invocation/outcome/firing records)",
                            hint="the journal is the file given to FileLogSink in src/assembly.ts")
    return Journal([r for r in records if r.get("kind") in kinds], problems)


def read_observer(source: str | Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Observer events (``{"type": "action-settled" | "invocation-settled" | …}``) and problems."""
    events, problems = _json_lines(_text(source), "observer")
    return [e for e in events if isinstance(e.get("type"), str)], problems


@dataclass
class CheckReport:
    """``sync-engine check --format json``: status and diagnostics ``{code, severity, message, …}``."""

    command: str
    status: str
    diagnostics: list[dict[str, Any]]

    def codes(self, code: str) -> list[dict[str, Any]]:
        return [d for d in self.diagnostics if d.get("code") == code]


def read_check(source: str | Path) -> CheckReport:
    """Read the JSON report of ``check``, ``check-design``, ``artifacts check`` or ``verify``."""
    text = _text(source).strip()
    start = text.find('{"format"')
    try:
        data = json.loads(text[start:] if start >= 0 else text)
    except ValueError as e:
        raise EvidenceError(f"the check report is not JSON ({e.msg} at character {e.pos})",
                            hint="run `bunx sync-engine check --format json` and save its standard output") from None
    if not isinstance(data, dict) or not str(data.get("format", "")).startswith("sync-engine."):
        raise EvidenceError("this JSON is not a sync-engine report (no \"format\": \"sync-engine.…\")")
    diags = [d for d in data.get("diagnostics", []) if isinstance(d, dict)]
    return CheckReport(str(data.get("command", "?")), str(data.get("status", "?")), diags)


def read_manifest(source: str | Path) -> dict[str, Any]:
    """Read ``sync-engine artifacts manifest`` (``sync-engine.application-manifest``)."""
    try:
        data = json.loads(_text(source))
    except ValueError as e:
        raise EvidenceError(f"the manifest is not JSON ({e.msg})",
                            hint="run `bunx sync-engine artifacts manifest` and save its standard output") from None
    if not isinstance(data, dict) or data.get("format") != "sync-engine.application-manifest":
        raise EvidenceError("this JSON is not a sync-engine application manifest")
    return data


@dataclass(frozen=True)
class Exchange:
    """One HTTP exchange as the live driver or a browser's network tab records it."""

    index: int
    method: str
    path: str
    body: Any
    status: int | None
    response_body: Any
    latency_ms: float | None
    started_at: dt.datetime | None
    origin: str | None = None
    cookie_sent: str | None = None

    @property
    def error(self) -> str | None:
        rb = self.response_body
        return rb.get("error") if isinstance(rb, dict) and isinstance(rb.get("error"), str) else None

    @property
    def ended_at(self) -> dt.datetime | None:
        if self.started_at is None or self.latency_ms is None:
            return None
        return self.started_at + dt.timedelta(milliseconds=self.latency_ms)


def _when(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        t = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def read_requests(source: str | Path) -> list[Exchange]:
    """Read a JSON list of HTTP exchanges; entries without a path are skipped."""
    try:
        data = json.loads(_text(source))
    except ValueError as e:
        raise EvidenceError(f"the requests file is not JSON ({e.msg} at character {e.pos})",
                            hint='a JSON list of {"method", "path", "body", "status", "response_body", '
                                 '"latency_ms", "started_at"}') from None
    if isinstance(data, dict):
        data = data.get("requests", [data])
    if not isinstance(data, list):
        raise EvidenceError("the requests file must hold a JSON list of exchanges")
    out = []
    for i, e in enumerate(data):
        if not isinstance(e, dict) or not isinstance(e.get("path"), str):
            continue
        status = e.get("status")
        body = e.get("response_body", e.get("response"))
        if isinstance(body, str):
            try:
                body = json.loads(body)
            except ValueError:
                pass
        out.append(Exchange(i, str(e.get("method", "POST")).upper(), e["path"], e.get("body"),
                            int(status) if isinstance(status, int | float) else None, body,
                            _number(e.get("latency_ms")), _when(e.get("started_at")),
                            e.get("origin") if isinstance(e.get("origin"), str) else None,
                            e.get("cookie_sent") if isinstance(e.get("cookie_sent"), str) else None))
    return out


def _plain(value: Any) -> Any:
    """Extended JSON (``{"$date": …}``, ``{"$oid": …}``) to plain Python values."""
    if isinstance(value, dict):
        if set(value) == {"$date"}:
            inner = value["$date"]
            inner = inner.get("$numberLong") if isinstance(inner, dict) else inner
            if isinstance(inner, str) and not inner.lstrip("-").isdigit():
                return _when(inner) or inner
            return dt.datetime.fromtimestamp(int(inner) / 1000, dt.UTC)
        if set(value) == {"$oid"}:
            return value["$oid"]
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def read_collections(folder: str | Path) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    """``{collection name: documents}`` from a folder of ``<name>.json`` arrays, and problems."""
    root = Path(folder)
    if not root.is_dir():
        raise EvidenceError(f"not a folder: {root}", hint="give the folder holding e.g. sessioning.sessions.json")
    out: dict[str, list[dict[str, Any]]] = {}
    problems: list[str] = []
    for path in sorted(root.glob("*.json")):
        if not is_regular_file(path):  # a FIFO named x.json would block
            problems.append(f"{path.name}: not a regular file, skipped")
            continue
        docs, bad = _json_lines(read_text(path, "collection file", limit=_MAX_BYTES, errors="replace"), path.name)
        problems += bad
        out[path.stem] = [_plain(d) for d in docs]
    return out, problems
