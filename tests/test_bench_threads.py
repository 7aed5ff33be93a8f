"""``make bench-threads`` (benchmarks/thread_floor.py): a tiny run prints its rows, and ``--pin``
either pins every thread to one CPU or says why it cannot, without a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "thread_floor.py"


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), "--threads", "20", "--rounds", "1", "--units", "1", *args],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="CPU affinity is Linux-only")
def test_pinned_run_prints_every_row_and_says_it_is_pinned():
    cpu = min(os.sched_getaffinity(0))
    r = _run("--pin", str(cpu), "--course-us", "300")
    assert r.returncode == 0, r.stderr
    assert f"all on CPU {cpu}" in r.stdout
    for row in ("empty", "plain Python job, 1 unit", "kit login (recording on)"):
        assert row in r.stdout
    assert "the course runs W4 at 300 µs per flow" in r.stdout


def _phases(stdout: str) -> dict[str, tuple[float, float, float]]:
    """Each row's three phases (start -> job, job, job -> next), from the columns after the bar."""
    rows = {}
    for line in stdout.splitlines():
        if "|" in line and not line.strip().startswith("job "):
            rows[line[:30].strip()] = tuple(float(x) for x in line.split("|")[1].split())
    return rows


def test_each_row_splits_a_flow_into_its_phases_with_the_job_timed_inside_its_thread():
    r = _run()
    assert r.returncode == 0, r.stderr
    assert "start -> job" in r.stdout and "job -> next" in r.stdout
    phases = _phases(r.stdout)
    assert set(phases) == {"empty", "plain Python job, 1 unit", "kit login (recording on)"}
    # The job column is the job alone: an empty target takes next to nothing, a login far more.
    assert phases["empty"][1] < 20 < phases["kit login (recording on)"][1]
    for start_to_job, job, job_to_next in phases.values():
        assert start_to_job > 0 and job >= 0 and job_to_next > 0


def test_fewer_than_two_threads_is_a_one_line_error():
    r = subprocess.run([sys.executable, str(SCRIPT), "--threads", "1"], capture_output=True, text=True, timeout=120)
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    assert "--threads must be at least 2" in r.stderr


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="CPU affinity is Linux-only")
def test_pin_to_a_cpu_the_machine_lacks_is_a_one_line_error():
    r = _run("--pin", "100000")
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    assert "--pin 100000: cannot run on that CPU" in r.stderr
    assert str(sorted(os.sched_getaffinity(0))) in r.stderr
