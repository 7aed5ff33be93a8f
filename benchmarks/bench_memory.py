"""Memory under load (hardening issue). Run: .venv/bin/python benchmarks/bench_memory.py [--quick] [--flows N]

Runs N flows (default 100,000; --quick: 10,000) through the reference app on the embedded database
with the **default** trace retention (``make_app()`` → 1,000 flows kept), measuring with tracemalloc:

* the Python heap at checkpoints, with the embedded database's ``Requesting.requests`` documents
  removed before each measurement (they are the app's data, not the kit's: the stock template keeps
  them too), so what remains is what the kit retains — it must stay flat once retention is full;
* the bytes the retained trace costs per flow (``Run`` full vs. cleared, divided by flows kept);
* the bytes one request document costs in the embedded database (for comparison).

The flow mix repeats: login, /me with that session, /me with an unknown session, logout (4 flows).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc

from sessioning import make_app
from sessioning.console import set_quiet


def _heap() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def run_flows(app, n: int, start: int = 0) -> None:
    """``n`` flows of the login → /me → /me(unknown) → logout cycle (sessions do not accumulate)."""
    session = None
    for i in range(start, start + n):
        step = i % 4
        if step == 0:
            session = app.request("/login", username="alice", password="alice-pw-123").body.get("session")
        elif step == 1:
            app.request("/me", session=session)
        elif step == 2:
            app.request("/me", session=f"019a0000-0000-7000-8000-{i:012d}")
        else:
            app.request("/logout", session=session)


def drop_requests(app) -> int:
    return app.db["Requesting.requests"].delete_many({}).deleted_count


def measure(n_flows: int, checkpoints: int = 10, retention: int | None = 1000, verbose: bool = True) -> dict:
    set_quiet(True)
    kwargs = {} if retention == 1000 else {"retention": retention}
    app = make_app(fast_hash=True, logging="OFF", **kwargs)  # default retention unless asked
    app.request("/register", username="alice", password="alice-pw-123")
    tracemalloc.start()
    started = time.perf_counter()
    warm = min(2 * (app.engine.run.retention or 1000), n_flows // 2)
    run_flows(app, warm)
    drop_requests(app)
    base = _heap()
    done = warm
    points = [(done, base)]
    step = max(4, (n_flows - warm) // checkpoints // 4 * 4)
    while done < n_flows:
        k = min(step, n_flows - done)
        run_flows(app, k, done)
        done += k
        drop_requests(app)
        points.append((done, _heap()))
        if verbose:
            print(f"  {done:>8,} flows  heap {points[-1][1] / 1e6:8.2f} MB  "
                  f"({(points[-1][1] - base) / 1e3:+9.1f} KB since {warm:,})", flush=True)
    elapsed = time.perf_counter() - started

    run = app.engine.run
    kept, dropped = len(run.flows), run.dropped_flows
    # one request document in the embedded database, for comparison
    before_doc = _heap()
    run_flows(app, 400, done)
    n_docs = app.db["Requesting.requests"].count_documents({})
    # retention keeps the run the same size, so the difference is the 400 documents (and their trace churn)
    doc_bytes = (_heap() - before_doc) / max(n_docs, 1)
    full = _heap()
    run.clear()
    cleared = _heap()
    per_flow = (full - cleared) / max(kept, 1)
    tracemalloc.stop()
    growth = points[-1][1] - points[0][1]
    result = {
        "flows": done, "seconds": elapsed, "flows_per_s": done / elapsed, "retention": run.retention,
        "kept": kept, "dropped": dropped, "heap_start": points[0][1], "heap_end": points[-1][1],
        "growth_bytes": growth, "growth_per_flow": growth / max(done - warm, 1), "retained_per_flow": per_flow,
        "request_doc_bytes": doc_bytes, "points": points,
        "pending": len(app.Requesting.concept.pending), "engine_flows": len(app.engine._flows),
    }
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--flows", type=int, default=None)
    args = ap.parse_args()
    n = args.flows or (10_000 if args.quick else 100_000)
    print(f"{n:,} flows, default retention, tracemalloc on (slower than normal)", flush=True)
    r = measure(n)
    print(f"flows run                     {r['flows']:>12,}   ({r['flows_per_s']:,.0f}/s under tracemalloc, {r['seconds']:.0f} s)")
    print(f"flows kept / dropped          {r['kept']:>12,} / {r['dropped']:,}   (retention {r['retention']})")
    print(f"heap after warm-up            {r['heap_start'] / 1e6:>12.2f} MB")
    print(f"heap at the end               {r['heap_end'] / 1e6:>12.2f} MB")
    print(f"growth after retention filled {r['growth_bytes'] / 1e3:>12.1f} KB  ({r['growth_per_flow']:.1f} B/flow)")
    print(f"retained trace per kept flow  {r['retained_per_flow']:>12,.0f} B   (Run full vs cleared / flows kept)")
    print(f"one Requesting.requests doc   {r['request_doc_bytes']:>12,.0f} B   (embedded DB, the app's own data)")
    print(f"pending requests / live flows {r['pending']:>12} / {r['engine_flows']}")
    sys.exit(0)


if __name__ == "__main__":
    main()
