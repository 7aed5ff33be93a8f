"""``make bench`` (benchmarks/bench_workloads.py): its two ablations do what they say. ``--retention``
reaches the engine (the record keeps that many flows), ``--collector off`` disables the garbage
collector for the timed flows only, and a retention the record cannot have is a one-line error."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPT = BENCH / "bench_workloads.py"
sys.path.insert(0, str(BENCH))

import bench_workloads  # noqa: E402 - the benchmark module itself, from its folder


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=180)


def test_retention_reaches_the_record_and_the_report_names_the_ablation():
    r = _run("--workloads", "W1", "--record", "on", "--flows", "W1=40", "--retention", "3", "--collector", "off")
    assert r.returncode == 0, r.stderr[-2000:]
    assert "ablation: retention 3, garbage collector off while the flows run" in r.stdout
    one = _run("--one", "W1", "--flows", "W1=40", "--record", "on", "--retention", "3")
    assert one.returncode == 0, one.stderr[-2000:]
    res = json.loads([ln for ln in one.stdout.splitlines() if ln.startswith("{")][-1])
    assert res["bad"] == 0 and res["flows_recorded"] == 3  # 1,000 registrations and 40 logins, 3 kept


def test_default_run_keeps_the_kits_retention_and_prints_no_ablation():
    one = _run("--one", "W1", "--flows", "W1=40", "--record", "on")
    assert one.returncode == 0, one.stderr[-2000:]
    # the setup's 1,000 registrations are flows too: the kit's default keeps the last 1,000 of all
    assert json.loads(one.stdout.splitlines()[-1])["flows_recorded"] == 1000
    r = _run("--workloads", "W1", "--record", "off", "--flows", "W1=20")
    assert r.returncode == 0, r.stderr[-2000:]
    assert "ablation" not in r.stdout


def test_collector_off_covers_the_timed_flows_only():
    seen: list[bool] = []
    assert gc.isenabled()
    bench_workloads.timed(lambda: seen.append(gc.isenabled()), False, collector=False)
    assert seen == [False] and gc.isenabled()
    bench_workloads.timed(lambda: seen.append(gc.isenabled()), False)
    assert seen == [False, True]


def test_collector_is_enabled_again_when_the_flows_fail():
    def boom() -> None:
        raise RuntimeError("a flow failed")

    try:
        bench_workloads.timed(boom, False, collector=False)
    except RuntimeError:
        pass
    assert gc.isenabled()


def test_a_retention_below_one_is_a_one_line_error():
    r = _run("--retention", "0")
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    assert "--retention 0: the record keeps at least 1 flow" in r.stderr
