"""``sessioning doctor``: check an app's server log, sync files and database from the command line.

    python -m sessioning doctor [APP_DIR] [--log FILE]... [--syncs DIR] [--env FILE | --uri URI] [--json]
        2026 apps also: [--journal FILE] [--requests FILE] [--check FILE] [--manifest FILE] [--collections DIR]
    sessioning-doctor ...            (the same, as a console script)

The app's engine generation (the 2025 Deno template or a 2026 ``@mit-sdg/sync-engine`` app) is
detected from APP_DIR (:mod:`sessioning.generations`) and that generation's checks run. Prints the
findings as a readable table (``--json`` for machines) and exits 0 when there is no error, 1 when
a finding has severity ``error``, 2 on a usage or input problem (missing or unreadable file, a
directory without syncs) — so it can run in a student's CI. Secrets are masked unless
``--show-secrets`` is given.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import textwrap
from collections.abc import Sequence
from typing import Any, TextIO

from sessioning.doctor_report import DoctorOptions, DoctorReport
from sessioning.errors import EXIT_ERRORS, EXIT_OK, EXIT_USAGE, KitError
from sessioning.findings import SEVERITIES, Finding, sort_findings
from sessioning.generations import GENERATIONS, choose_generation, load_doctor
from sessioning.masking import reveal_secrets

__all__ = ["EPILOG", "EXIT_ERRORS", "EXIT_OK", "EXIT_USAGE", "build_parser", "main", "print_table"]

PROG = "sessioning doctor"


EPILOG = """\
examples:
  2025 app (Deno template), from its folder, its server log and its database:
    python -m sessioning doctor path/to/app --log server.log --env path/to/app/.env
  only the sync files, or only a log read from standard input:
    python -m sessioning doctor --syncs path/to/app/src/syncs
    deno task start 2>&1 | python -m sessioning doctor --log -
  2026 app (@mit-sdg/sync-engine), with its journal and its static check:
    python -m sessioning doctor path/to/app --journal logs/journal.jsonl --check check.json
  machine-readable, errors only:
    python -m sessioning doctor path/to/app --log server.log --json --min-severity error

exit status: 0 no errors, 1 errors found, 2 usage or input problem."""


def build_parser() -> argparse.ArgumentParser:
    """The doctor's options (``python -m sessioning doctor --help`` prints them with examples)."""
    p = argparse.ArgumentParser(
        prog=PROG,
        description=("Diagnose a concept-design backend from what you have: the server's console output,\n"
                     "its sync files and its MongoDB database. The app's engine generation (2025 Deno\n"
                     "template or 2026 @mit-sdg/sync-engine) is detected from APP_DIR; give only the\n"
                     "options you have. Findings print as a table: code, severity, why and how to fix."),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,  # keep the examples' lines as written
    )
    p.add_argument("app", nargs="?", metavar="APP_DIR",
                   help="app folder (its generation is detected; a 2025 app's src/syncs is checked)")
    p.add_argument("--log", action="append", metavar="FILE", default=[],
                   help="server log (console output) to read; '-' reads standard input; may be repeated")
    p.add_argument("--syncs", metavar="DIR", help="folder of *.sync.ts files, or one such file (default: APP_DIR/src/syncs)")
    db = p.add_mutually_exclusive_group()
    db.add_argument("--env", metavar="FILE", help=".env file with MONGODB_URL and DB_NAME (database checks)")
    db.add_argument("--uri", metavar="URI", help="MongoDB connection string (database checks)")
    p.add_argument("--db-name", metavar="NAME", help="database name (default: DB_NAME from --env)")
    g26 = p.add_argument_group("2026 apps (@mit-sdg/sync-engine)")
    g26.add_argument("--journal", metavar="FILE", help="the engine's JSONL journal (FileLogSink)")
    g26.add_argument("--requests", metavar="FILE", help="JSON list of recorded HTTP exchanges")
    g26.add_argument("--check", metavar="FILE", help="output of `sync-engine check --format json`")
    g26.add_argument("--manifest", metavar="FILE", help="output of `sync-engine artifacts manifest`")
    g26.add_argument("--collections", metavar="DIR", help="folder of collections exported as JSON arrays")
    p.add_argument("--generation", choices=[g.name for g in GENERATIONS],
                   help="run this engine generation's checks instead of detecting it from APP_DIR")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--show-secrets", action="store_true",
                   help="show passwords, session ids and tokens in full (masked by default)")
    p.add_argument("--min-severity", choices=SEVERITIES, default="info",
                   help="hide findings below this severity (default: show all)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar for large logs")
    return p


# ---------------------------------------------------------------- output


def _where(f: Finding) -> str:
    if f.file:
        return f"{f.file}:{f.line}" if f.line else f.file
    if f.line and f.source == "log":
        return f"log line {f.line}"
    return f.source


def _source_line(s: dict[str, Any]) -> str:
    if s.get("text"):  # a generation that renders its own summary (a 2026 source)
        return f"{s['kind']:<6} {s.get('source') or ''}: {s['text']}"
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
        cov = f"\n       {s['coverage']}" if s.get("coverage") else ""
        return f"syncs  {s['source']}: {s['files']} files, {s['syncs']} syncs{ver}{cov}"
    if s["kind"] == "db":
        return f"db     {s['source']}: {s['findings']} findings"
    rest = ", ".join(f"{k} {v}" for k, v in s.items() if k not in ("kind", "source"))
    return f"{s['kind']:<6} {s.get('source') or ''}: {rest}"


def _cell(text: str | None, n: int) -> str:
    text = text or ""
    return text if len(text) <= n else text[: n - 1] + "…"


def print_table(report: DoctorReport, findings: list[Finding], out: TextIO) -> None:
    """Sources, then a one-line-per-finding table, then each finding's explanation and fix."""
    width = max(80, min(shutil.get_terminal_size((120, 24)).columns, 140))
    for s in report.sources:
        print(_source_line(s), file=out)
    if report.sources:
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


def _to_json(report: DoctorReport, findings: list[Finding]) -> str:
    def clean(v: Any) -> Any:
        if isinstance(v, dict):
            return {str(k): clean(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [clean(x) for x in v]
        return v if v is None or isinstance(v, (str, int, float, bool)) else str(v)

    counts = {s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES}
    return json.dumps({
        "findings": [clean(f.to_dict()) for f in findings],
        "summary": counts, "sources": clean(report.sources), "problems": [p.line() for p in report.problems], "notes": report.notes,
    }, indent=2, ensure_ascii=False)


# ---------------------------------------------------------------- entry point


def _options(args: argparse.Namespace) -> DoctorOptions:
    if args.app and not os.path.isdir(args.app):
        if args.app.endswith(".sync.ts") and os.path.isfile(args.app):  # a likely slip: one sync file given as the app
            raise KitError(f"this is a sync file, not an app folder: use --syncs {args.app} (or give the app folder)")
        raise KitError(f"not a directory: {args.app}")
    return DoctorOptions(
        app=args.app, logs=list(args.log), syncs=args.syncs, env=args.env, uri=args.uri, db_name=args.db_name,
        journal=args.journal, requests=args.requests, check=args.check, manifest=args.manifest,
        collections=args.collections, progress=False if args.no_progress or args.json else None)


def _nothing_to_check(o: DoctorOptions) -> bool:
    return not (o.app or o.logs or o.syncs or o.env or o.uri or o.given_2026_only())


def _tolerant_streams() -> None:
    for stream in (sys.stdout, sys.stderr):  # a cp1252/ASCII console must not crash on "…" or "•"
        if hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors="replace")
            except (ValueError, OSError):
                pass


def _print_report(report: DoctorReport, shown: list[Finding], as_json: bool) -> KitError | None:
    """Print the report; a closed pipe stops quietly, a full disk or dead terminal is an error."""
    out = sys.stdout
    if out is None:  # stdout closed (`… >&-`): nothing to print to
        return None
    try:
        if as_json:
            print(_to_json(report, shown), file=out)
        elif report.sources or not report.problems:  # nothing was read: the error lines say it all
            print_table(report, shown, out)
        out.flush()
    except BrokenPipeError:  # `sessioning doctor … | head`: stop quietly
        _silence_stdout()
    except OSError as e:  # ENOSPC (`> /dev/full`, a full disk), EIO: the report is incomplete, say so
        _silence_stdout()
        return KitError(f"cannot write the report to standard output: {e.strerror or e}",
                        hint="free some disk space, or write the report elsewhere")
    return None


def _silence_stdout() -> None:
    try:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - the interpreter's final flush would fail again
    except OSError:
        pass


def _to_stderr(lines: list[tuple[KitError | str, str]]) -> None:
    """Notes and errors on stderr; a closed or full stderr leaves nothing else to tell."""
    try:
        for item, prefix in lines:
            if isinstance(item, KitError):
                item.show(sys.stderr, prefix=prefix)
            elif sys.stderr is not None:
                print(f"{prefix}{item}", file=sys.stderr)
    except OSError:
        pass


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
    try:
        options = _options(args)
        if _nothing_to_check(options):
            parser.print_usage(sys.stderr)
            raise KitError("nothing to check: give --log FILE, --syncs DIR, an app directory, --env FILE or --uri URI")
        doctor = load_doctor(*choose_generation(options, args.generation))
    except KitError as e:
        _to_stderr([(e, f"{PROG}: error: ")])
        return e.exit_code
    _tolerant_streams()
    report = DoctorReport()
    with reveal_secrets(args.show_secrets):
        doctor(options, report)
        min_rank = SEVERITIES.index(args.min_severity)
        shown = [f for f in sort_findings(report.findings) if SEVERITIES.index(f.severity) <= min_rank]
        write_error = _print_report(report, shown, args.json)
    _to_stderr([(note, f"{PROG}: note: ") for note in report.notes]
               + [(prob.error, f"{PROG}: error: {prob.part}: ") for prob in report.problems]
               + ([(write_error, f"{PROG}: error: ")] if write_error else []))
    return max(report.exit_code(), write_error.exit_code) if write_error else report.exit_code()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
