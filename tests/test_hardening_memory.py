"""Hardening — memory: with trace retention, memory stays bounded however many flows run.

The full measurement (100,000 flows, default retention, bytes per retained flow) is
``benchmarks/bench_memory.py``; these tests run a few hundred flows with a small retention.
"""

from __future__ import annotations

import importlib.util
import tracemalloc
from pathlib import Path

import pytest

from sessioning import make_app, masking


def _load_bench():
    # The same flow mix and heap reading as the benchmark, so the two can never drift apart.
    spec = importlib.util.spec_from_file_location("bench_memory", Path(__file__).resolve().parents[1] / "benchmarks" / "bench_memory.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_bench = _load_bench()
_cycle, _heap = _bench.run_flows, _bench._heap


def _measure(retention: int, warm: int, more: int):
    app = make_app(fast_hash=True, logging="OFF", retention=retention)
    app.request("/register", username="alice", password="alice-pw-123")
    tracemalloc.start()
    try:
        _cycle(app, warm)
        app.db["Requesting.requests"].delete_many({})  # the app's own data, not the kit's
        before = _heap()
        _cycle(app, more, warm)
        app.db["Requesting.requests"].delete_many({})
        after = _heap()
        run = app.engine.run
        kept, dropped = len(run.flows), run.dropped_flows
        full = _heap()
        run.clear()
        per_flow = (full - _heap()) / kept
    finally:
        tracemalloc.stop()
    return app, kept, dropped, after - before, per_flow


def test_retention_caps_flows_kept_and_memory_stays_flat(quiet_console):
    retention, warm, more = 40, 120, 400
    app, kept, dropped, growth, per_flow = _measure(retention, warm, more)
    assert kept == retention
    assert dropped == 1 + warm + more - retention  # the register flow + every later one beyond the cap
    assert app.engine._flows == {} and app.engine._by_id == {}  # finished flows are freed at once
    assert app.Requesting.concept.pending == {}
    assert per_flow > 1000  # the trace does keep something per flow …
    # … but once retention is full, 400 more flows add (almost) nothing
    assert growth < 0.05 * per_flow * more, f"{growth} B for {more} flows ({growth / more:.0f} B/flow; kept flow {per_flow:.0f} B)"
    assert growth < 100_000
    print(f"\nretained per kept flow: {per_flow:,.0f} B; growth after the cap: {growth / more:+.1f} B/flow")


def test_default_retention_is_bounded(quiet_console):
    app = make_app(fast_hash=True, logging="OFF")
    run = app.engine.run
    assert run.retention == 1000
    for i in range(1100):
        app.request("/me", session=f"019a0000-0000-7000-8000-{i:012d}")
    assert len(run.flows) == 1000 and run.dropped_flows == 100
    assert len(list(run.actions())) <= 1000 * 3


def test_masking_memory_of_seen_secrets_is_bounded():
    saved = dict(masking._seen_secrets)
    try:
        for i in range(masking._SEEN_MAX + 500):
            masking.remember_secret(f"secret-token-{i:08d}")
        assert len(masking._seen_secrets) <= masking._SEEN_MAX
    finally:  # other tests' remembered secrets come back
        masking._seen_secrets.clear()
        masking._seen_secrets.update(saved)


def test_record_false_keeps_nothing(quiet_console):
    from sessioning import Engine

    assert Engine("OFF", record=False).recording is False
    app = make_app(fast_hash=True, logging="OFF")
    app.engine.recording = False
    for i in range(50):
        app.request("/me", session=f"019a0000-0000-7000-8000-{i:012d}")
    assert len(app.engine.run.flows) == 0


@pytest.mark.heavy
def test_memory_100k_flows_default_retention(quiet_console):
    """The benchmark's measurement as a test: 100,000 flows, default retention, flat heap."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_memory.py"
    spec = importlib.util.spec_from_file_location("bench_memory", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    r = bench.measure(100_000, verbose=False)
    assert r["kept"] == 1000 and r["pending"] == 0 and r["engine_flows"] == 0
    assert r["growth_bytes"] < 0.05 * r["retained_per_flow"] * (r["flows"] - 2000)
    assert r["growth_bytes"] < 2_000_000
