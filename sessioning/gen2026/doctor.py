"""``sessioning doctor`` for a 2026 (``@mit-sdg/sync-engine``) app.

Two entry points:

* :func:`run` — ``run(app_dir, logs, journal, requests, check, manifest, collections, env, uri)``
  returns the findings (for notebooks and scripts);
* :func:`run_doctor` — the hook :mod:`sessioning.generations` calls with the command line's
  :class:`~sessioning.doctor_report.DoctorOptions`; it also records a summary per source, the
  input problems and notes (what was run, what to switch on to see more).

Without ``--check``/``--manifest`` the doctor runs ``bunx sync-engine check --format json
--show-advisories`` in the app when ``bunx`` and the installed engine are there (at most
:data:`CLI_TIMEOUT_S` seconds), and says so when it cannot.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sessioning.db.connect import connect, load_config
from sessioning.doctor_report import DoctorOptions, DoctorReport
from sessioning.files import read_text
from sessioning.findings import Finding
from sessioning.gen2026.classify import classify
from sessioning.gen2026.console import ConsoleLog, read_console
from sessioning.gen2026.evidence import Evidence
from sessioning.gen2026.model import AppModel, read_app, read_package
from sessioning.gen2026.records import (
    EvidenceError,
    read_check,
    read_collections,
    read_journal,
    read_manifest,
    read_requests,
)
from sessioning.gen2026.sessions import find_sessions, sessions_table
from sessioning.gen2026.static import static_findings, visibility_note

__all__ = ["CLI_TIMEOUT_S", "EvidenceError", "looks_like_2026", "run", "run_doctor"]

#: The longest the doctor waits for ``bunx sync-engine …`` (assembling an app takes a few seconds).
CLI_TIMEOUT_S = 45.0
_MAX_DOCS = 5000


def looks_like_2026(app_dir: str | Path) -> bool:
    """True when the folder is a 2026 sync-engine app: at least two of the ``@mit-sdg/sync-engine``
    dependency, ``src/compositions/`` and ``src/assembly.ts`` (the same markers as the CLI's registry)."""
    app = Path(app_dir)
    model = AppModel(app)
    read_package(model)
    marks = [model.engine_version is not None, (app / "src" / "compositions").is_dir(),
             (app / "src" / "assembly.ts").is_file()]
    return sum(marks) >= 2


def _stream_of(path: str) -> str:
    """``stderr`` for a file named like the Errors pane, ``stdout`` for the Output pane, else unknown."""
    name = Path(path).name.lower()
    return "stderr" if "err" in name else ("stdout" if "out" in name else "?")


def _bunx_json(app: Path, args: list[str], notes: list[str]) -> str | None:
    """Run ``bunx sync-engine <args>`` in the app, or say why not; never waits longer than CLI_TIMEOUT_S."""
    bunx = shutil.which("bunx")
    command = "bunx sync-engine " + " ".join(args)
    if bunx is None:
        notes.append(f"`{command}` not run: bunx is not on PATH — run it in the app and pass its output")
        return None
    if not (app / "node_modules" / "@mit-sdg" / "sync-engine").exists():
        notes.append(f"`{command}` not run: the engine is not installed in {app} (run `bun install` first)")
        return None
    try:
        done = subprocess.run([bunx, "sync-engine", *args], cwd=app, capture_output=True, text=True,
                              timeout=CLI_TIMEOUT_S, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        notes.append(f"`{command}` did not finish within {CLI_TIMEOUT_S:.0f} s (a concept constructor that "
                     "connects to MongoDB keeps it from exiting); skipped")
        return None
    notes.append(f"ran `{command}` (exit {done.returncode})")
    return done.stdout or None


def _db_collections(uri: str | None, env: str | None) -> dict[str, list[dict[str, Any]]]:
    """Every collection of the database named in the URL path (``client.db()`` in the guide)."""
    if uri is None:
        uri = load_config(env).get("MONGODB_URL") or load_config(env).get("MONGODB_URI")
    name = urlsplit(uri or "").path.lstrip("/") or None
    db = connect(uri, name or "test", readonly=True)
    return {c: list(db[c].find({}).limit(_MAX_DOCS)) for c in db.list_collection_names()}


def _console(report: DoctorReport | None, logs: list[str]) -> ConsoleLog:
    log = ConsoleLog()
    for path in logs:
        text = read_text(path, "server log", errors="replace")  # regular files only: a FIFO is refused at once
        part = read_console(text, _stream_of(path))
        log.extend(part)
        if report is not None:
            kinds = {k: len(part.of_kind(k)) for k in ("engine", "trace", "verbose", "readback")}
            report.sources.append({"kind": "log-2026", "source": path, **kinds, "bun_errors": len(part.blocks),
                                   "problems": len(part.problems)})
    return log


def _gather(options: DoctorOptions, report: DoctorReport | None = None) -> Evidence:
    ev = Evidence()
    notes = report.notes if report is not None else []

    def step(part: str, source: str | None, fn: Any) -> None:
        if report is None:
            fn()
            return
        with report.reading(part, source):
            fn()

    if options.app:
        step("app", options.app, lambda: setattr(ev, "model", read_app(options.app or ".")))
    step("log", ", ".join(options.logs), lambda: setattr(ev, "console", _console(report, options.logs)))
    if options.requests:
        step("requests", options.requests, lambda: setattr(ev, "exchanges", read_requests(Path(options.requests or ""))))
    if options.journal:
        step("journal", options.journal, lambda: setattr(ev, "journal", read_journal(Path(options.journal or ""))))
    check_text = None if options.check else (_bunx_json(Path(options.app), ["check", "--format", "json",
                                                                             "--show-advisories"], notes)
                                             if options.app else None)
    if options.check or check_text:
        step("check", options.check, lambda: setattr(ev, "check", read_check(Path(options.check) if options.check
                                                                            else check_text or "")))
    manifest_text = None if options.manifest or not options.app else _bunx_json(Path(options.app),
                                                                                ["artifacts", "manifest"], notes)
    if options.manifest or manifest_text:
        step("manifest", options.manifest, lambda: setattr(ev, "manifest", read_manifest(
            Path(options.manifest) if options.manifest else manifest_text or "")))
    if options.collections:
        step("collections", options.collections,
             lambda: setattr(ev, "collections", read_collections(options.collections or "")[0]))
    elif options.env or options.uri:
        step("database", options.uri or options.env, lambda: setattr(ev, "collections",
                                                                    _db_collections(options.uri, options.env)))
    return ev


def _findings(ev: Evidence) -> list[Finding]:
    if not ev.exchanges and ev.journal is not None:
        ev.exchanges = ev.exchanges_from_flows()  # the journal alone: statuses inferred from each flow
    found = classify(ev)
    if ev.model is not None:
        found += static_findings(ev.model, ev.check, found)
    return found


def run(app_dir: str | None = None, logs: list[str] | None = None, journal: str | None = None,
        requests: str | None = None, check: str | None = None, manifest: str | None = None,
        collections: str | None = None, env: str | None = None, uri: str | None = None) -> list[Finding]:
    """The findings for a 2026 app from whatever evidence is given (files are read, the app is never run).

    Raises :class:`~sessioning.gen2026.records.EvidenceError` for a file that is not what it was given as.
    """
    options = DoctorOptions(app=app_dir, logs=list(logs or []), journal=journal, requests=requests, check=check,
                            manifest=manifest, collections=collections, env=env, uri=uri)
    return _findings(_gather(options))


def run_doctor(options: DoctorOptions, report: DoctorReport) -> None:
    """The generation hook: read every source ``options`` names into ``report``."""
    if options.syncs:
        report.notes.append("--syncs: a 2026 app has no sync files; its compositions are read from APP_DIR")
    ev = _gather(options, report)
    found = _findings(ev)
    report.findings.extend(found)
    report.sources.append({"kind": "app-2026", "source": options.app, "text": _summary(ev)})
    if ev.model is not None:
        note = visibility_note(ev.model, ev)
        if note:
            report.notes.append(note)


def _summary(ev: Evidence) -> str:
    m: AppModel | None = ev.model
    parts = [f"engine {m.engine_version}" if m and m.engine_version else "engine version unknown"]
    if m:
        parts.append(f"{sum(1 for c in m.chains if c.kind == 'endpoint')} endpoints, "
                     f"{sum(1 for c in m.chains if c.kind == 'reaction')} reactions, {len(m.concepts)} concepts")
    parts.append(f"{len(ev.exchanges)} requests, {len(ev.flows)} flows")
    if ev.collections is not None:
        name, docs = find_sessions(ev.collections)
        table = sessions_table(ev.collections)
        states = table["state"].value_counts().to_dict() if len(table) else {}
        gone = int((table["user_exists"] == False).sum()) if len(table) else 0  # noqa: E712 - None means unknown
        parts.append(f"{name or 'no sessions collection'}: {len(docs)} sessions "
                     f"({', '.join(f'{n} {s}' for s, n in states.items()) or 'none'}; {gone} whose user is gone)")
    return "2026 app: " + "; ".join(parts)

