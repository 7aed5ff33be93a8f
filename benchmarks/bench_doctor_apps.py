"""Rerun ``sessioning doctor`` over a folder of apps (each subfolder one app) and count what it says.

Run: ``PYTHONPATH=$PWD .venv/bin/python benchmarks/bench_doctor_apps.py /work/realapps [--json out.json]``

For each app it runs the doctor in this process exactly as a student would run it on their
app directory (``sessioning doctor APP --json``), then prints: findings per check (code and
severity), findings per app, the time per app (wall clock and CPU; total, mean, worst), the coverage notes the
doctor printed, and the crashes. A crash is an exception out of the doctor, or a problem line
that names an internal error (``could not read … TypeError``): both must be zero. The JSON file
holds every finding with its app, for judging against the app's source.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sessioning import cli  # noqa: E402

#: A problem line that says the doctor itself failed, not the input.
_INTERNAL = ("could not read", "Error:", "Traceback")


def run_one(app: Path) -> dict[str, Any]:
    """Run the doctor on one app; returns its findings, problems, notes, exit status and time."""
    out, err = io.StringIO(), io.StringIO()
    t0, c0 = time.perf_counter(), time.process_time()
    crash = None
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = cli.main(["doctor", str(app), "--json", "--no-progress"])
    except BaseException as e:  # noqa: BLE001 - a crash is what we count
        status, crash = -1, f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=4)}"
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    try:
        doc = json.loads(out.getvalue() or "{}")
    except json.JSONDecodeError:
        doc = {}
    problems = list(doc.get("problems", [])) or [ln for ln in err.getvalue().splitlines() if "error:" in ln]
    if crash is None:
        bad = [p for p in problems if any(s in p for s in _INTERNAL) and "no sync files" not in p]
        crash = "; ".join(bad) or None
    return {"app": app.name, "status": status, "seconds": seconds, "cpu": cpu, "findings": doc.get("findings", []),
            "sources": doc.get("sources", []), "problems": problems, "notes": doc.get("notes", []),
            "stderr": err.getvalue()[-2000:], "crash": crash}


def _print_report(results: list[dict[str, Any]]) -> None:
    by_check: Counter[tuple[str, str]] = Counter()
    for r in results:
        for f in r["findings"]:
            by_check[(f["code"], f["severity"])] += 1
    print("findings per check")
    for (code, sev), n in sorted(by_check.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {code:<14} {sev:<8} {n:5d}")
    print(f"  {'total':<23} {sum(by_check.values()):5d}\n")
    print("findings per app")
    for r in results:
        codes = Counter(f["code"] for f in r["findings"])
        syncs = sum(s.get("syncs", 0) for s in r["sources"] if s.get("kind") == "syncs")
        top = ", ".join(f"{c} {n}" for c, n in codes.most_common())
        print(f"  {r['app']:<46} {syncs:4d} syncs {len(r['findings']):4d} findings {r['seconds']:6.3f}s "
              f"(cpu {r['cpu']:.3f}s)  {top}")
        for line in r["notes"] + [s["coverage"] for s in r["sources"] if s.get("coverage")]:
            print(f"      note: {line}")
    times, cpus = [r["seconds"] for r in results], [r["cpu"] for r in results]
    crashes = [r for r in results if r["crash"]]
    print(f"\n{len(results)} apps, total {sum(times):.2f}s, mean {sum(times) / max(1, len(times)):.3f}s, "
          f"worst {max(times, default=0):.3f}s (wall clock)")
    print(f"cpu: total {sum(cpus):.2f}s, mean {sum(cpus) / max(1, len(cpus)):.3f}s, worst {max(cpus, default=0):.3f}s "
          "(this process's CPU time: what a loaded machine does not inflate)")
    print(f"crashes: {len(crashes)}")
    for r in crashes:
        print(f"  {r['app']}: {r['crash']}")


def main(argv: list[str] | None = None) -> int:
    """Run the doctor over every subfolder of the given folder; returns 1 if anything crashed."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", help="folder whose subfolders are apps")
    ap.add_argument("--json", metavar="FILE", help="write every finding (with its app) to FILE")
    args = ap.parse_args(argv)
    apps = sorted(p for p in Path(args.folder).iterdir() if p.is_dir())
    results = [run_one(app) for app in apps]
    _print_report(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
        print(f"wrote {args.json}")
    return 1 if any(r["crash"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
