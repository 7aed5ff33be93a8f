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
    for row in ("empty", "plain Python job, 1 unit", "kit login (recording on)", "timed inside its thread"):
        assert row in r.stdout
    assert "the course runs W4 at 300 µs per flow" in r.stdout


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="CPU affinity is Linux-only")
def test_pin_to_a_cpu_the_machine_lacks_is_a_one_line_error():
    r = _run("--pin", "100000")
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    assert "--pin 100000: cannot run on that CPU" in r.stderr
    assert str(sorted(os.sched_getaffinity(0))) in r.stderr
