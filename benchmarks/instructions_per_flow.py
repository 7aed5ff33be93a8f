"""Instructions per flow (valgrind's callgrind): a speed figure that machine load does not move.

    .venv/bin/python benchmarks/instructions_per_flow.py [--workloads W1,W3] [--record on|off]

Wall-clock figures on a shared machine move by 20% from one minute to the next; an instruction
count moves by about 1%. Each workload of ``bench_workloads.py`` runs in a fresh process under
``valgrind --tool=callgrind`` at two flow counts, and the difference of the two totals divided by
the difference of the counts is the cost of one flow (start-up and setup cancel out). One run
without valgrind comes first, so that both counted runs find the ``.pyc`` files compiled.
Needs valgrind (``apt install valgrind``); says so and stops if it is missing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCH = HERE / "bench_workloads.py"
SIZES = {"W1": (300, 1300), "W2": (300, 1300), "W3": (300, 1300), "W4": (200, 1000), "W5": (300, 1300)}


def run(workload: str, flows: int, record: str, valgrind: bool) -> int:
    """Instructions of one run (0 without valgrind); stops on a failed run or a bad response."""
    cmd = [sys.executable, str(BENCH), "--one", workload, "--flows", f"{workload}={flows}", "--record", record]
    if valgrind:
        cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd]
    r = subprocess.run(cmd, capture_output=True, text=True)
    results = [json.loads(ln) for ln in r.stdout.splitlines() if ln.startswith("{")]
    if r.returncode != 0 or not results:
        raise SystemExit(f"{workload} ({flows} flows) failed:\n{r.stderr[-2000:]}")
    if results[-1].get("bad"):
        raise SystemExit(f"{workload}: {results[-1]['bad']} bad responses")
    counted = [ln for ln in r.stderr.splitlines() if "Collected :" in ln]
    return int(counted[-1].split(":")[-1].strip().replace(",", "")) if counted else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workloads", default="W1,W3")
    ap.add_argument("--record", choices=("on", "off"), default="on")
    a = ap.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed: `apt install valgrind`, or use `make bench` (wall time).")
    for wl in (w.strip().upper() for w in a.workloads.split(",") if w.strip()):
        small, large = SIZES[wl]
        run(wl, small, a.record, valgrind=False)  # compiles what the counted runs import
        per_flow = (run(wl, large, a.record, True) - run(wl, small, a.record, True)) / (large - small)
        print(f"{wl} recording {a.record}: {per_flow / 1e6:.3f} M instructions per flow", flush=True)


if __name__ == "__main__":
    main()
