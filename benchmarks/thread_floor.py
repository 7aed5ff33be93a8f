"""What W4's one-thread-per-flow costs apart from the flow: ``make bench-threads``.

    .venv/bin/python benchmarks/thread_floor.py [--threads 1000] [--rounds 5] [--course-us 180]
                                                [--units 1,2,4,8] [--pin CPU]

W4 (issue 11) starts 1,000 threads, one login each, then joins them; the course engine runs its
1,000 logins as promises in one thread. So the kit's W4 time per flow is the price of a Python
thread on this machine, plus the flow run in a fresh thread, plus what the two do to each other.
This measures them apart, in one fresh process, exactly as the W4 harness runs its threads (built,
started and joined inside the clock):

* ``empty``: threads whose target does nothing: the floor no engine can go under;
* ``kit login``: the kit's recorded login in each thread, beside the same logins run one after
  another in the main thread, as W1 runs them;
* ``plain Python job``: no kit code at all, a mix of dict, string, JSON and small-object work
  in ``--units`` of about 14 µs each on the machine this was written on (its main-thread time is
  measured and printed), run in the same pattern. This is what any
  engine written in Python pays for a flow of that cost here, so it tells the kit's own overhead
  apart from the price of the pattern on this machine and interpreter.

Each row also splits a flow's time into its three phases, medians over the threads (stamped
in the main thread around ``start()`` and in each thread around its job):

* ``start -> job``: from ``start()`` until the new thread's job begins (the thread's creation and
  first scheduling);
* ``job``: the job itself, timed inside its thread;
* ``job -> next``: from the job's end until the main thread starts the next thread (the thread's
  exit, and the main thread waking up to take the interpreter back).

With ``--course-us`` (the course engine's W4 µs per flow from ``../shared/bench/run.sh``), it also
prints the costliest plain job that still fits in the course's time. Best of ``--rounds``.

With ``--pin CPU`` the process and every thread it starts run on that one CPU (Linux
``sched_setaffinity``). Compare the two runs' phases: on a 2-CPU machine a
fresh thread usually starts on the CPU the previous flow did not use, so the kit's login finds
the objects it touches (refcounts written on the other CPU) out of its cache; pinned, it does
not, and each wake-up of the other CPU (the new thread's, the main thread's) is gone too. This
is a diagnosis only: a library cannot pin its callers' threads.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_workloads import N_USERS, build  # noqa: E402 - the same world as make bench

_DOC = {"user": "u1", "items": [{"a": i, "b": str(i), "c": [1.5, None, True]} for i in range(6)]}


class _Point:
    __slots__ = ("x", "y")

    def __init__(self, x: int, y: int) -> None:
        self.x, self.y = x, y


def _plain_unit(k: int) -> int:
    """One unit of engine-like Python work: JSON, f-strings, dicts, sorting, small objects.

    Nothing here releases the GIL or makes a system call, so a thread running it holds the
    interpreter the whole time, as a kit flow does.
    """
    doc = json.loads(json.dumps(_DOC))
    key = f"session-{k}-{doc['user']}"
    rows = sorted(doc["items"], key=lambda d: d["b"], reverse=True)
    index = {r["b"]: r for r in rows}
    return len(key) + sum(_Point(i, k).x for i in range(8)) + len(index)


def plain_job(units: int):
    def job(k: int) -> None:
        for _ in range(units):
            _plain_unit(k)
    return job


def threads_per_flow(target, n: int) -> tuple[float, ...]:
    """Wall and CPU µs per thread of ``n`` threads running ``target(k)``, as the W4 harness does, and
    the medians of its three phases (see the module's docstring): start -> job, job, job -> next."""
    clock = time.perf_counter
    started, began, ended = [0.0] * n, [0.0] * n, [0.0] * n

    def stamped(k: int) -> None:
        began[k] = clock()
        target(k)
        ended[k] = clock()

    gc.collect()
    t0, c0 = clock(), time.process_time()
    threads = [threading.Thread(target=stamped, args=(k,)) for k in range(n)]
    for k, t in enumerate(threads):
        started[k] = clock()
        t.start()
    for t in threads:
        t.join()
    wall, cpu = (clock() - t0) * 1e6 / n, (time.process_time() - c0) * 1e6 / n
    return (wall, cpu, statistics.median(b - s for s, b in zip(started, began)) * 1e6,
            statistics.median(e - b for b, e in zip(began, ended)) * 1e6,
            statistics.median(started[k + 1] - ended[k] for k in range(n - 1)) * 1e6)  # n >= 2 (main)


def main_thread_us(target, n: int) -> float:
    gc.collect()
    t0 = time.perf_counter()
    for k in range(n):
        target(k)
    return (time.perf_counter() - t0) * 1e6 / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--course-us", type=float, help="the course engine's W4 µs per flow, to print the budget")
    ap.add_argument("--units", default="1,2,4,8", help="plain Python jobs to run, in units of work")
    ap.add_argument("--pin", type=int, metavar="CPU", help="run the process and its threads on this one CPU")
    a = ap.parse_args()
    if a.threads < 2:
        raise SystemExit("--threads must be at least 2 (the phases are measured between threads)")
    if a.pin is not None:
        if not hasattr(os, "sched_setaffinity"):
            raise SystemExit("--pin needs os.sched_setaffinity (Linux)")
        try:
            os.sched_setaffinity(0, {a.pin})  # threads started later inherit the mask
        except (OSError, ValueError) as e:
            raise SystemExit(f"--pin {a.pin}: cannot run on that CPU ({e}); this machine has CPUs "
                             f"{sorted(os.sched_getaffinity(0))}") from None

    import sessioning as ss

    ss.console.set_quiet(True)
    _db, engine, _requesting, auth, _sessioning = build("W4", True)
    for i in range(N_USERS):
        auth.register(username=f"u{i}", password=f"p{i}")
    n = a.threads

    def login(k: int) -> None:
        body = engine.request("/login", username=f"u{k % N_USERS}", password=f"p{k % N_USERS}").body
        if "session" not in body:
            raise SystemExit(f"login {k} failed: {body}")

    main_thread_us(login, n)  # warm: every code path compiled and specialised before anything is timed
    jobs = [("empty", plain_job(0))]
    for units in (int(x) for x in a.units.split(",") if x.strip()):
        jobs.append((f"plain Python job, {units} unit{'s' * (units != 1)}", plain_job(units)))
    jobs.append(("kit login (recording on)", login))
    rows: dict[str, list[tuple[float, ...]]] = {}
    for _ in range(a.rounds):
        for name, job in jobs:
            rows.setdefault(name, []).append((*threads_per_flow(job, n), main_thread_us(job, n)))
    _print_rows(rows, a, n)


def _print_rows(rows: dict[str, list[tuple[float, ...]]], a: argparse.Namespace, n: int) -> None:
    pinned = f", all on CPU {a.pin}" if a.pin is not None else ""
    print(f"{n:,} threads, built, started and joined inside the clock as the W4 harness does{pinned}; "
          f"best of {a.rounds} rounds (µs per flow)")
    print(f"  {'job':<28}{'main thread':>12}{'W4 pattern':>11}{'CPU':>7}{'pattern cost':>13}"
          f"  |{'start -> job':>13}{'job':>7}{'job -> next':>12}")
    # Each column's best round on its own: a busy moment spoils one reading, not the row.
    best = {name: tuple(min(col) for col in zip(*r)) for name, r in rows.items()}
    for name, (wall, cpu, to_job, job, to_next, main_us) in best.items():
        print(f"  {name:<28}{main_us:>12.1f}{wall:>11.1f}{cpu:>7.1f}{wall - main_us:>13.1f}"
              f"  |{to_job:>13.1f}{job:>7.1f}{to_next:>12.1f}")
    if a.course_us:
        fits = [(best[name][-1], name) for name in best if name.startswith("plain") and best[name][0] <= a.course_us]
        floor = best["empty"][0]
        print(f"  the course runs W4 at {a.course_us:.0f} µs per flow; the empty thread alone takes {floor:.0f} "
              f"({floor / a.course_us:.0%} of it)")
        if fits:
            print(f"  the costliest plain job that fits: {max(fits)[1]} ({max(fits)[0]:.0f} µs in the main thread)")
        else:
            print("  no plain job tried fits: a flow of that cost in a fresh thread is already slower than the course")


if __name__ == "__main__":
    main()
