"""What W4's one-thread-per-flow costs before any flow runs: ``make bench-threads``.

    .venv/bin/python benchmarks/thread_floor.py [--threads 1000] [--rounds 5] [--course-us 180]

W4 (issue 11) starts 1,000 threads, one login each, then joins them; the course engine runs its
1,000 logins as promises in one thread. So the kit's W4 time per flow is the price of a Python
thread on this machine plus the flow run in a fresh thread. This measures the two apart, in one
fresh process, as the W4 harness does it (all threads built, then started, then joined):

* ``empty``: threads whose target does nothing: the floor no engine can go under;
* ``flow in a thread``: the kit's recorded login in each thread, timed inside the thread (median);
* ``flow in the main thread``: the same logins one after another, as W1 runs them.

With ``--course-us`` (the course engine's W4 µs per flow from ``../shared/bench/run.sh``), it also
prints what a flow in a thread would have to cost for the kit to match it. Best of ``--rounds``.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_workloads import N_USERS, build  # noqa: E402 - the same world as make bench


def threads_per_flow(target, n: int) -> tuple[float, float]:
    """Wall and CPU µs per thread of ``n`` threads running ``target(k)``, started then joined."""
    threads = [threading.Thread(target=target, args=(k,)) for k in range(n)]
    gc.collect()
    t0, c0 = time.perf_counter(), time.process_time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return (time.perf_counter() - t0) * 1e6 / n, (time.process_time() - c0) * 1e6 / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--course-us", type=float, help="the course engine's W4 µs per flow, to print the budget")
    a = ap.parse_args()

    import sessioning as ss

    ss.console.set_quiet(True)
    _db, engine, _requesting, auth, _sessioning = build("W4", True)
    for i in range(N_USERS):
        auth.register(username=f"u{i}", password=f"p{i}")
    n = a.threads
    inside = [0.0] * n

    def login(k: int) -> None:
        t = time.perf_counter()
        body = engine.request("/login", username=f"u{k % N_USERS}", password=f"p{k % N_USERS}").body
        inside[k] = time.perf_counter() - t
        if "session" not in body:
            raise SystemExit(f"login {k} failed: {body}")

    for k in range(n):  # warm: every code path compiled and specialised before anything is timed
        login(k)
    empty, threaded, main_thread = [], [], []
    for _ in range(a.rounds):
        empty.append(threads_per_flow(lambda k: None, n))
        threaded.append((*threads_per_flow(login, n), statistics.median(inside) * 1e6))
        gc.collect()
        t0 = time.perf_counter()
        for k in range(n):
            login(k)
        main_thread.append((time.perf_counter() - t0) * 1e6 / n)
    floor = min(e[0] for e in empty)
    best = min(threaded)
    print(f"{n:,} threads, best of {a.rounds} rounds, recording on (µs per flow)")
    print(f"  empty threads (the floor):        {floor:7.1f} wall, {min(e[1] for e in empty):7.1f} CPU")
    print(f"  W4 as the harness runs it:        {best[0]:7.1f} wall, {best[1]:7.1f} CPU")
    print(f"    of which the flow, in a thread: {best[2]:7.1f} (median, timed inside the thread)")
    print(f"  the same flows in the main thread:{min(main_thread):7.1f}")
    if a.course_us:
        print(f"  to match the course's {a.course_us:.0f} µs, a flow in a fresh thread may cost "
              f"{a.course_us - floor:.0f} µs (the floor takes {floor / a.course_us:.0%} of it)")


if __name__ == "__main__":
    main()
