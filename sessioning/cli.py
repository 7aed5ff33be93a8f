"""``sessioning doctor``: check an app's server log, sync files and database from the command line.

    python -m sessioning doctor [APP_DIR] [--log FILE]... [--syncs DIR] [--env FILE | --uri URI]
    sessioning-doctor ...            (the same, as a console script)

Prints the findings as a readable table (``--json`` for machines) and exits 0 when there is
no error, 1 when a finding has severity ``error``, 2 on a usage or input problem (missing or
unreadable file, a directory without syncs) — so it can run in a student's CI. Secrets are
masked unless ``--show-secrets`` is given.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from sessioning.findings import SEVERITIES, Finding
from sessioning.masking import mask_text_uris, reveal_secrets

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sessioning doctor",
        description=("Diagnose a concept-design backend from what you have: the server's console output, "
                     "its src/syncs/*.sync.ts files and its MongoDB database."),
        epilog="Exit status: 0 no errors, 1 errors found, 2 usage or input problem.",
    )
    p.add_argument("app", nargs="?", help="app directory: its src/syncs is checked (use --env for its database)")
    p.add_argument("--log", action="append", metavar="FILE", default=[],
                   help="server log (console output) to read; '-' reads standard input; may be repeated")
    p.add_argument("--syncs", metavar="DIR", help="directory (or one file) of *.sync.ts files")
    db = p.add_mutually_exclusive_group()
    db.add_argument("--env", metavar="FILE", help=".env file with MONGODB_URL and DB_NAME (database checks)")
    db.add_argument("--uri", metavar="URI", help="MongoDB connection string (database checks)")
    p.add_argument("--db-name", metavar="NAME", help="database name (default: DB_NAME from --env)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--show-secrets", action="store_true",
                   help="show passwords, session ids and tokens in full (masked by default)")
    p.add_argument("--min-severity", choices=SEVERITIES, default="info",
                   help="hide findings below this severity (default: show all)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar for large logs")
    return p


class _Run:
    """Collects findings, per-source summaries and input problems."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.sources: list[dict[str, Any]] = []
        self.problems: list[str] = []
        self.notes: list[str] = []
        self.sync_files: Any = None


def _check_log(run: _Run, path: str, progress: bool | None) -> None:
    from sessioning.gen2025.readers.logs import LogReadError, read_log

    try:
        if path == "-":
            log = read_log(sys.stdin.buffer if hasattr(sys.stdin, "buffer") else sys.stdin, progress=False)
        else:
            if not os.path.exists(path):
                raise FileNotFoundError(f"log file not found: {path}")
            log = read_log(Path(path), progress=progress)
    except (FileNotFoundError, LogReadError, PermissionError, IsADirectoryError, UnicodeError) as e:
        run.problems.append(f"log: {e}")
        return
    except OSError as e:
        run.problems.append(f"log: cannot read {path}: {e.strerror or e}")
        return
    except Exception as e:  # noqa: BLE001 - a reader bug must still be one line, not a traceback
        run.problems.append(f"log: could not read {path}: {type(e).__name__}: {mask_text_uris(str(e))[:200]}")
        return
    run.sources.append({"kind": "log", **log.summary()})
    run.findings.extend(log.findings())


def _check_syncs(run: _Run, path: str) -> None:
    from sessioning.gen2025.readers.syncfiles import SyncReadError, read_syncs

    try:
        sf = read_syncs(path)
    except (SyncReadError, OSError) as e:
        run.problems.append(f"syncs: {e}")
        return
    except Exception as e:  # noqa: BLE001 - a reader bug must still be one line, not a traceback
        run.problems.append(f"syncs: could not read {path}: {type(e).__name__}: {str(e)[:200]}")
        return
    run.sources.append({"kind": "syncs", "source": sf.root, "files": len(sf.files), "syncs": len(sf.defs),
                        "engine_version": sf.engine_version})
    run.findings.extend(sf.findings())
    run.sync_files = sf


def _check_db(run: _Run, uri: str | None, env_file: str | None, db_name: str | None) -> None:
    if env_file is not None and not os.path.isfile(env_file):
        run.problems.append(f"database: env file not found: {env_file}")
        return
    try:
        from sessioning.gen2025.readers.database import diagnose_database
    except ImportError as e:
        run.notes.append(f"database checks are not available in this version ({e}); skipped")
        return
    try:
        found = diagnose_database(uri=uri, db_name=db_name, env_file=env_file)
    except Exception as e:  # noqa: BLE001 - someone else's module: report, never a traceback
        msg = mask_text_uris(" ".join(str(e).split()) or type(e).__name__)
        if "connection" in type(e).__name__.lower() or "connection failed" in msg.lower() or \
                "environment variable" in msg.lower():
            # the database is unreachable or unconfigured: that is a finding (F18), not a usage error
            run.findings.append(Finding(
                code="F18", severity="error", source="db", evidence=msg[:500],
                explanation=f"The database could not be reached: {msg.split('. ')[0]}.",
                fix=("Check MONGODB_URL and DB_NAME (in .env or --uri/--db-name), that the server is running, "
                     "and for Atlas the user's password and the IP access list.")))
            run.sources.append({"kind": "db", "source": mask_text_uris(uri) if uri else env_file, "findings": 1})
            return
        run.problems.append(f"database: {type(e).__name__}: {msg}")
        return
    target = mask_text_uris(uri) if uri else env_file
    run.sources.append({"kind": "db", "source": target, "findings": len(found)})
    run.findings.extend(found)


# ---------------------------------------------------------------- output


def _where(f: Finding) -> str:
    if f.file:
        return f"{f.file}:{f.line}" if f.line else f.file
    if f.line and f.source == "log":
        return f"log line {f.line}"
    return f.source


def _source_line(s: dict[str, Any]) -> str:
    if s["kind"] == "log":
        outcomes = ", ".join(f"{n} {o}" for o, n in sorted(s["outcomes"].items())) or "none"
        bits = [f"{s['lines']} lines", f"{s['requests']} requests ({outcomes})", f"{s['actions']} actions",
                f"{s['errors']} error lines"]
        if s.get("log_level"):
            bits.append(s["log_level"])
        if s.get("engine_version"):
            bits.append(f"engine {s['engine_version']}")
        if s.get("unknown_lines"):
            bits.append(f"{s['unknown_lines']} unrecognised lines kept")
        return f"log    {s['source']}: " + ", ".join(bits)
    if s["kind"] == "syncs":
        ver = f", engine {s['engine_version']}" if s.get("engine_version") else ""
        return f"syncs  {s['source']}: {s['files']} files, {s['syncs']} syncs{ver}"
    return f"db     {s['source']}: {s['findings']} findings"


def _cell(text: str | None, n: int) -> str:
    text = text or ""
    return text if len(text) <= n else text[: n - 1] + "…"


def print_table(run: _Run, findings: list[Finding], out: TextIO) -> None:
    """Sources, then a one-line-per-finding table, then each finding's explanation and fix."""
    width = max(80, min(shutil.get_terminal_size((120, 24)).columns, 140))
    for s in run.sources:
        print(_source_line(s), file=out)
    if run.sources:
        print(file=out)
    if not findings:
        print("No findings.", file=out)
    else:
        rows = [(str(i), f.severity, f.code, _where(f), f.sync or (f.request or ""), f.title)
                for i, f in enumerate(findings, 1)]
        heads = ("#", "severity", "code", "where", "sync / request", "problem")
        caps = (4, 8, 10, 24, 24, max(24, width - 82))
        widths = [min(cap, max(len(h), *(len(r[i]) for r in rows))) for i, (h, cap) in enumerate(zip(heads, caps))]
        print("  ".join(h.ljust(w) for h, w in zip(heads, widths)).rstrip(), file=out)
        print("  ".join("-" * w for w in widths), file=out)
        for r in rows:
            print("  ".join(_cell(c, w).ljust(w) for c, w in zip(r, widths)).rstrip(), file=out)
        print(file=out)
    wrap = textwrap.TextWrapper(width=width, initial_indent="    ", subsequent_indent="    ")
    for i, f in enumerate(findings, 1):
        head = f"[{i}] {f.severity.upper()} {f.code}  {_where(f)}"
        if f.sync:
            head += f"  sync {f.sync}"
        if f.request:
            head += f"  request {f.request}"
        print(head, file=out)
        print(wrap.fill(f.explanation), file=out)
        print(wrap.fill("fix: " + f.fix), file=out)
        if f.evidence:
            for ln in f.evidence.splitlines()[:4]:
                print("    | " + _cell(ln, width - 6), file=out)
        print(file=out)
    counts = {s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES}
    print(f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} info.", file=out)


def _to_json(run: _Run, findings: list[Finding]) -> str:
    def clean(v: Any) -> Any:
        if isinstance(v, dict):
            return {str(k): clean(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [clean(x) for x in v]
        return v if v is None or isinstance(v, (str, int, float, bool)) else str(v)

    counts = {s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES}
    return json.dumps({
        "findings": [clean(f.to_dict()) for f in findings],
        "summary": counts, "sources": clean(run.sources), "problems": run.problems, "notes": run.notes,
    }, indent=2, ensure_ascii=False)


def _sort(findings: list[Finding]) -> list[Finding]:
    order = {s: i for i, s in enumerate(SEVERITIES)}

    def key(f: Finding) -> tuple[Any, ...]:
        c = f.code
        n = int(c[1:]) if c[:1] == "F" and c[1:].isdigit() else 999
        return (order[f.severity], n, c, f.file or "", f.line or 0)

    seen, out = set(), []
    for f in sorted(findings, key=key):
        k = (f.code, f.sync, f.request, f.file, f.line, f.explanation)
        if k not in seen:
            seen.add(k)
            out.append(f)
    return out


# ---------------------------------------------------------------- entry point


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``doctor``; returns the exit status (0 ok, 1 errors found, 2 usage/input problem)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["doctor"]:
        args_list = args_list[1:]
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as e:  # argparse: --help (0) or a usage error (2, message already printed)
        return int(e.code or 0)
    syncs = args.syncs
    if args.app:
        if not os.path.isdir(args.app):
            print(f"sessioning doctor: error: not a directory: {args.app}", file=sys.stderr)
            return EXIT_USAGE
        syncs = syncs or args.app
    if not (args.log or syncs or args.env or args.uri):
        parser.print_usage(sys.stderr)
        print("sessioning doctor: error: nothing to check: give --log FILE, --syncs DIR, an app directory, "
              "--env FILE or --uri URI", file=sys.stderr)
        return EXIT_USAGE
    for stream in (sys.stdout, sys.stderr):  # a cp1252/ASCII console must not crash on "…" or "•"
        if hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors="replace")
            except (ValueError, OSError):
                pass
    run = _Run()
    progress = False if args.no_progress or args.json else None
    with reveal_secrets(args.show_secrets):
        for path in args.log:
            _check_log(run, path, progress)
        if syncs:
            _check_syncs(run, syncs)
        if run.sync_files is not None and args.log:  # name the syncs behind what the log shows
            from sessioning.gen2025.readers.syncfiles import correlate

            run.findings = correlate(run.findings, run.sync_files)
        if args.env or args.uri:
            _check_db(run, args.uri, args.env, args.db_name)
        min_rank = SEVERITIES.index(args.min_severity)
        shown = [f for f in _sort(run.findings) if SEVERITIES.index(f.severity) <= min_rank]
        try:
            if args.json:
                print(_to_json(run, shown))
            elif run.sources or not run.problems:  # nothing was read: the error lines say it all
                print_table(run, shown, sys.stdout)
            sys.stdout.flush()
        except BrokenPipeError:  # `sessioning doctor … | head`: stop quietly
            try:
                sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the interpreter's final flush
            except OSError:
                pass
    for note in run.notes:
        print(f"sessioning doctor: note: {note}", file=sys.stderr)
    for prob in run.problems:
        print(f"sessioning doctor: error: {prob}", file=sys.stderr)
    if run.problems:
        return EXIT_USAGE
    return EXIT_ERRORS if any(f.severity == "error" for f in run.findings) else EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
