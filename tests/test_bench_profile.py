"""``make bench-profile`` (benchmarks/profile_workloads.py): the layers add up to the flow, the
collector's pauses come by generation, and the objects a flow leaves for the collector are counted
(the record's among them: recording off leaves fewer)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "profile_workloads.py"


def _one(record: str) -> dict:
    r = subprocess.run([sys.executable, str(SCRIPT), "--one", "W1", "--flows", "300", "--record", record],
                       capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads([ln for ln in r.stdout.splitlines() if ln.startswith("{")][-1])


def test_profile_counts_the_objects_a_flow_leaves_and_splits_the_pauses_by_generation():
    on, off = _one("on"), _one("off")
    for res in (on, off):
        assert len(res["gc_by_generation"]) == 3 and all(us >= 0 for us in res["gc_by_generation"])
        # the collector's row is the sum of its generations, and the rows add up to the flow
        assert abs(sum(res["gc_by_generation"]) - res["layers"]["garbage collector pauses"]) < 1e-6
        assert abs(sum(res["layers"].values()) - res["us_per_flow"]) < 0.02 * res["us_per_flow"]
        assert res["kept_types"] and sum(res["kept_types"].values()) <= res["kept_per_flow"] + 1e-9
    # A recorded login keeps its actions and the syncs tried; unrecorded, only the database's part.
    assert on["kept_types"].get("ActionEntry") == 4.0 and "ActionEntry" not in off["kept_types"]
    assert on["kept_per_flow"] >= off["kept_per_flow"] + 20


def test_the_printed_table_names_the_generations_and_the_objects_kept():
    r = subprocess.run([sys.executable, str(SCRIPT), "--workloads", "W1", "--flows", "200"],
                       capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "garbage collector pauses" in r.stdout and "by generation: 0 " in r.stdout
    assert "objects for the collector to traverse (" in r.stdout
