"""Read an app's ``src/syncs/**/*.sync.ts`` with tree-sitter and find the known sync bugs.

The route of a sync file to a finding: :func:`read_syncs` finds the files;
:mod:`.parse` turns each into :class:`SyncDef` values (``when`` patterns, ``where`` queries,
``then`` calls, every value resolved to a sync variable or a literal); :mod:`.checks` runs each
rule of its ``RULES`` table over each sync, with the whole app (:class:`~.checks.AppContext`)
at hand. :func:`correlate` then names the syncs behind what a server log shows.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pandas as pd

from sessioning import failure_modes
from sessioning.errors import KitError
from sessioning.files import is_regular_file, read_text
from sessioning.findings import Finding, findings_frame
from sessioning.gen2025.readers.app_model import AppModel, Coverage, app_dir_of, coverage, read_app

from .checks import RULES, AppContext, check_app
from .model import Pattern, SyncDef, WhereQuery
from .parse import MAX_SYNC_FILE_BYTES, SyncFileParser

__all__ = ["RULES", "AppContext", "Pattern", "SyncDef", "SyncFiles", "SyncReadError", "WhereQuery", "correlate",
           "read_syncs"]


class SyncReadError(KitError, ValueError):
    """The path holds no sync files (or does not exist)."""


class SyncFiles:
    """Syncs read from an app's sync files, with findings."""

    def __init__(self, root: str, files: list[str], defs: list[SyncDef], file_findings: list[Finding],
                 engine_version: str | None = None, model: AppModel | None = None,
                 coverage: Coverage | None = None) -> None:
        self.root = root
        self.files = files
        self.defs = defs
        self._file_findings = file_findings
        self.engine_version = engine_version
        #: the whole app (concepts, engine, routes) when the syncs sit in an app's ``src/syncs``
        self.model = model
        #: how many syncs were followed, and which exports may hold syncs that were not
        self.coverage = coverage
        self._findings: list[Finding] | None = None

    @property
    def syncs(self) -> pd.DataFrame:
        """One row per sync: file, line, name, qualified, registered, vars, when, where_queries, then."""
        rows = [{
            "file": d.file, "line": d.line, "name": d.name, "qualified": d.qualified, "registered": d.registered,
            "vars": sorted(set(d.vars.values())), "when": [p.text for p in d.when],
            "where_queries": [q.text for q in d.where_queries], "then": [p.text for p in d.then],
        } for d in self.defs]
        cols = ["file", "line", "name", "qualified", "registered", "vars", "when", "where_queries", "then"]
        return pd.DataFrame(rows, columns=cols)

    def sync(self, name: str) -> SyncDef:
        """The sync named ``name`` (export name or qualified name)."""
        for d in self.defs:
            if name in (d.name, d.qualified):
                return d
        raise KeyError(name)

    def findings(self) -> list[Finding]:
        """File-level findings (PARSE, F21), then every rule of ``RULES`` over every sync."""
        if self._findings is None:
            extra = {"model": self.model, "coverage_gaps": self.coverage.line() if self.coverage else None}
            self._findings = list(self._file_findings) + check_app(AppContext(self.defs, extra=extra))
        return list(self._findings)

    def findings_frame(self) -> pd.DataFrame:
        return findings_frame(self.findings())

    def __repr__(self) -> str:
        return f"<SyncFiles {self.root}: {len(self.files)} files, {len(self.defs)} syncs>"


def _syncs_dir(path: Path) -> Path:
    for cand in (path / "src" / "syncs", path / "syncs"):
        if cand.is_dir():
            return cand
    return path


def _engine_version(syncs_dir: Path) -> str | None:
    """v2 if the app's engine has ``collectAs`` (plain text search; no TS structure involved)."""
    engine = syncs_dir.parent / "engine"
    if not engine.is_dir():
        return None
    try:
        # only regular files, bounded: a FIFO named x.ts would block, /dev/zero would never end
        text = "".join(read_text(p, "engine file", limit=MAX_SYNC_FILE_BYTES, errors="replace")
                       for p in sorted(engine.glob("*.ts")) if is_regular_file(p))
    except OSError:
        return None
    return "v2" if "collectAs" in text else "v1"


def _unregistered_file(rel: str, path: Path, syncs: list[SyncDef]) -> Finding:
    """F21: the generated barrel loads only ``*.sync.ts``; syncs elsewhere are never registered."""
    why, fix = failure_modes.explain("F21", "syncs", file=rel, names=", ".join(d.name for d in syncs[:5]),
                                     base=path.name.split(".", 1)[0])
    return Finding(code="F21", severity="error", source="syncs", file=rel, line=1, explanation=why, fix=fix,
                   extra={"syncs": [d.name for d in syncs]})


def _imported_elsewhere(path: Path, files: list[Path]) -> bool:
    """Another file of the syncs folder imports this one: the app registers its syncs itself
    (some apps keep their own registry instead of the generated barrel)."""
    stem = path.name[:-3] if path.name.endswith(".ts") else path.name
    needles = (f"/{path.name}\"", f"/{path.name}'", f"/{stem}\"", f"/{stem}'")
    for other in files:
        if other == path:
            continue
        try:
            text = other.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if "import" in text and any(n in text for n in needles):
            return True
    return False


def read_syncs(path: str | os.PathLike[str]) -> SyncFiles:
    """Read sync files from an app directory (``src/syncs`` is found), a syncs directory or one file.

    Raises :class:`SyncReadError` when the path does not exist or holds no ``.ts`` files.
    """
    p = Path(path)
    if not p.exists():
        raise SyncReadError(f"no such file or directory: {p}")
    if p.is_file():
        root, files = p.parent, [p]
    else:
        root = _syncs_dir(p)
        files = sorted(f for f in root.rglob("*.ts") if f.is_file() and not f.name.endswith(".d.ts")
                       and not (f.name == "syncs.ts" and f.parent == root)
                       and "node_modules" not in f.parts)
        if not files:
            raise SyncReadError(f"no sync files (*.sync.ts) under {root}")
    defs: list[SyncDef] = []
    file_findings: list[Finding] = []
    for f in files:
        parsed = SyncFileParser(root, f)
        parsed.read()
        file_findings.extend(parsed.findings)
        defs.extend(parsed.syncs)
        if not parsed.registered and parsed.syncs and not _imported_elsewhere(f, files):
            file_findings.append(_unregistered_file(parsed.rel, f, parsed.syncs))
    app = app_dir_of(root)
    model = read_app(app) if app is not None else None
    return SyncFiles(str(root), [str(f) for f in files], defs, file_findings, _engine_version(root), model,
                     coverage(root, defs) if p.is_dir() else None)


# ---------------------------------------------------------------- log ↔ sync files


def _near(a: str, b: str) -> bool:
    return a != b and a.lower().rstrip("/") == b.lower().rstrip("/")


def _missing_keys_note(f: Finding, reg: list[SyncDef]) -> tuple[str | None, str | None]:
    """A registered sync for the path needs a body key the request did not send; else its `where` emptied it."""
    body = f.extra.get("body_keys")
    for d in reg:
        req = next(p for p in d.when if p.action == "Requesting.request")
        missing = [k for k in (req.input or {}) if k not in ("path", "...") and body is not None and k not in body]
        if missing:
            return failure_modes.phrase("F10.correlate-missing-keys", sync=d.name, file=d.file, line=d.line,
                                        keys=", ".join(f"`{k}`" for k in missing)), d.name
    with_where = [d for d in reg if d.has_where]
    if with_where:
        d = with_where[0]
        return failure_modes.phrase("F10.correlate-where", sync=d.name, file=d.file, line=d.line), d.name
    return None, None


def _timeout_note(f: Finding, path: str, by_path: dict[str, list[SyncDef]]) -> tuple[str | None, str | None]:
    """F10: why no sync answered ``path``: none for it, an `/api` prefix, case or slash, an
    unregistered file, a missing body key, or a `where` that emptied the frames."""
    cands = by_path.get(path, [])
    reg = [d for d in cands if d.registered]
    prefixed = by_path.get("/api" + path, [])
    near = [(p, ds) for p, ds in by_path.items() if _near(p, path)]
    if not cands and prefixed:
        d = prefixed[0]
        return failure_modes.phrase("F10.correlate-api", sync=d.name, file=d.file, line=d.line, path=path), d.name
    if not cands and near:
        p, ds = near[0]
        d = ds[0]
        return failure_modes.phrase("F10.correlate-near", sync=d.name, file=d.file, line=d.line, near=p), d.name
    if cands and not reg:
        d = cands[0]
        return failure_modes.phrase("F10.correlate-unregistered", sync=d.name, file=d.file), d.name
    if not cands:
        return failure_modes.phrase("F10.correlate-none", path=path), None
    return _missing_keys_note(f, reg)


def _note(f: Finding, path: str, by_path: dict[str, list[SyncDef]],
          located: dict[tuple[str, str], Finding]) -> tuple[str | None, str | None]:
    """What the sync files add to one log finding about ``path``: a note and the sync it names."""
    cands = by_path.get(path, [])
    reg = [d for d in cands if d.registered]
    if f.code in ("F1", "F3"):
        d = next((d for d in cands if (d.name, f.code) in located), None)
        if d is not None:
            sf = located[(d.name, f.code)]
            return failure_modes.phrase("correlate.located", sync=d.name, file=sf.file, line=sf.line), d.name
        return None, None
    if f.code == "F10":
        return _timeout_note(f, path, by_path)
    if f.code in ("F11", "F12", "F2", "F4", "F16") and reg:
        syncs = ", ".join(f"`{d.name}` ({d.file}:{d.line})" for d in reg[:6])
        return failure_modes.phrase("correlate.syncs", path=path, syncs=syncs), None
    return None, None


def correlate(log_findings: list[Finding], sync_files: SyncFiles) -> list[Finding]:
    """Log findings with the app's sync files in mind: name the sync behind an error and say
    why a request timed out (no sync for the path, a `/api` prefix, a missing key, an
    unregistered file, or a `where` that emptied the frames). Other findings pass through."""
    by_path: dict[str, list[SyncDef]] = {}
    for d in sync_files.defs:
        p = d.request_path
        if p is not None:
            by_path.setdefault(p, []).append(d)
    located = {(f.sync, f.code): f for f in sync_files.findings() if f.sync}
    out = []
    for f in log_findings:
        path = f.extra.get("path") if f.source == "log" else None
        note, sync = _note(f, path, by_path, located) if path else (None, None)
        if note:
            f = dataclasses.replace(f, explanation=f"{f.explanation} {note}", sync=f.sync or sync,
                                    extra={**f.extra, "correlated": True})
        out.append(f)
    return out
