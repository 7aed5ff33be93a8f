"""The kit's side of the side-by-side workloads W1-W5 (issue 11), without Deno: ``make bench``.

    .venv/bin/python benchmarks/bench_workloads.py [--quick] [--workloads W1,W3] [--record on,off]
                                                   [--rounds N] [--flows W1=3000,...] [--json FILE]
                                                   [--retention N] [--collector on|off]

The same work as the course-engine comparison in ``../shared/bench`` (its README describes it),
written for this repository so that a regression shows up without the course engine:

* the world: the embedded database, ``Engine(Logging.OFF, record=…)`` with the default retention,
  the kit's Requesting, UserAuthentication (unsalted SHA-256 hex, the reference app's scheme, so
  Argon2 does not swamp the engine) and Sessioning, all instrumented; console lines silenced;
* setup, not timed: 1,000 users through the instrumented ``register``; W3 also 10,000 sessions
  through the instrumented ``Sessioning.create``, round-robin over the users;
* W1: 10,000 sequential logins through 4 syncs (request → authenticate → create session →
  respond, and the error response); W2: W1 plus 100 syncs on ``Requesting.request`` whose
  ``path`` never matches; W3: 10,000 ``/me`` checks (a ``where`` querying ``Sessioning._getUser``),
  session ``(k·7919) mod 10,000``; W4: 1,000 logins, one thread each, all started then joined;
  W5: 100,000 sequential logins, plus the memory the process keeps per flow;
* every response is checked during the loop; W1, W2 and W4 also check after the clock that each
  session belongs to the user who logged in; a run with a bad response fails the benchmark.

Each run is a fresh process (``--one``). Reported: flows/s of wall time, and flows per CPU-second
of the thread running the flows (the whole process for W4), which varies less on a shared machine;
the best of ``--rounds`` rounds. For W5 also the RSS kept after ``gc.collect()`` per flow, and with
``--w5-traced`` the Python heap (tracemalloc) the kit keeps per flow beyond the database's own
documents (measured by dropping the two growing collections).

Two ablations say what keeping flows costs, apart from recording them: ``--retention N`` keeps N
flows instead of the kit's default 1,000 (1: each flow is dropped when the next starts), and
``--collector off`` disables Python's garbage collector while the flows run (it traverses every
object a kept flow holds). Neither is a setting to run the kit with: the first keeps less for the
tables and the diagnosis to show, the second changes the whole process.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

FLOWS = {"W1": 10_000, "W2": 10_000, "W3": 10_000, "W4": 1_000, "W5": 100_000}
QUICK_FLOWS = {"W1": 2_000, "W2": 2_000, "W3": 3_000, "W4": 300, "W5": 20_000}
N_USERS, N_SESSIONS, N_NEVER = 1_000, 10_000, 100


class Sha256:
    """Unsalted SHA-256 hex behind argon2's ``PasswordHasher`` interface (hash / verify)."""

    def hash(self, password: str) -> str:
        return hashlib.sha256(password.encode()).hexdigest()

    def verify(self, hashed: str, password: str) -> bool:
        from argon2.exceptions import VerifyMismatchError

        if hashlib.sha256(password.encode()).hexdigest() != hashed:
            raise VerifyMismatchError("wrong password")
        return True


def cpu_seconds(whole_process: bool) -> float:
    """User + system CPU of this thread (or of the whole process)."""
    return time.process_time() if whole_process else time.thread_time()


def rss_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def build(workload: str, record: bool, retention: int | None = None):
    """The engine (the kit's default retention unless ``retention``), the three instrumented
    concepts and the workload's syncs."""
    import sessioning as ss

    db = ss.connect(embedded=True)
    engine = ss.Engine(ss.Logging.OFF, record=record, **({} if retention is None else {"retention": retention}))
    req = engine.instrument(ss.RequestingConcept(db))
    auth = engine.instrument(ss.UserAuthenticationConcept(db, hasher=Sha256()))
    sess = engine.instrument(ss.SessioningConcept(db))
    act = ss.actions

    def on_login(request):
        return [req.request, {"path": "/login"}, {"request": request}]

    syncs = {
        "LoginRequest": lambda request, username, password: {
            "when": act([req.request, {"path": "/login", "username": username, "password": password}, {"request": request}]),
            "then": act([auth.authenticate, {"username": username, "password": password}])},
        "CreateSessionOnAuth": lambda request, user: {
            "when": act(on_login(request), [auth.authenticate, {}, {"user": user}]),
            "then": act([sess.create, {"user": user}])},
        "LoginResponse": lambda request, user, session: {
            "when": act(on_login(request), [auth.authenticate, {}, {"user": user}], [sess.create, {"user": user}, {"session": session}]),
            "then": act([req.respond, {"request": request, "session": session}])},
        "LoginErrorResponse": lambda request, error: {
            "when": act(on_login(request), [auth.authenticate, {}, {"error": error}]),
            "then": act([req.respond, {"request": request, "error": error}])},
    }
    if workload == "W3":
        syncs["MeRequest"] = lambda request, session, user: {
            "when": act([req.request, {"path": "/me", "session": session}, {"request": request}]),
            "where": lambda frames: frames.query(sess._getUser, {"session": session}, {"user": user}),
            "then": act([req.respond, {"request": request, "user": user}])}
    for i in range(N_NEVER if workload == "W2" else 0):
        syncs[f"Other{i}"] = never_matching(act, req, f"/other{i}")
    engine.register(syncs)
    return db, engine, req, auth, sess


def never_matching(act, req, path: str):
    """``when Requesting.request(path: <path>): (request) then respond(request)``; no request has that path."""

    def Other(request):  # noqa: N802 - a sync's name
        return {"when": act([req.request, {"path": path}, {"request": request}]),
                "then": act([req.respond, {"request": request}])}

    return Other


def timed(fn, whole_process: bool, collector: bool = True) -> tuple[float, float]:
    gc.collect()
    if not collector:
        gc.disable()
    try:
        c0, t0 = cpu_seconds(whole_process), time.perf_counter()
        fn()
        return time.perf_counter() - t0, cpu_seconds(whole_process) - c0
    finally:
        gc.enable()


def login_loop(engine, flows: int, keep: bool, out: dict) -> None:
    sessions, bad = [], 0
    for k in range(flows):
        u = k % N_USERS
        body = engine.request("/login", username=f"u{u}", password=f"p{u}").body
        if not isinstance(body.get("session"), str) or "error" in body:
            bad += 1
        if keep:
            sessions.append(body.get("session"))
    out.update(sessions=sessions, bad=bad)


def threaded_logins(engine, flows: int, out: dict) -> None:
    results: list = [None] * flows

    def one(k: int) -> None:
        results[k] = engine.request("/login", username=f"u{k % N_USERS}", password=f"p{k % N_USERS}")

    threads = [threading.Thread(target=one, args=(k,)) for k in range(flows)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = [r is not None and r.status == 200 and isinstance(r.body.get("session"), str) for r in results]
    out.update(sessions=[r.body.get("session") if good else None for r, good in zip(results, ok)], bad=ok.count(False))


def me_loop(engine, sessions: list, owners: list, flows: int, out: dict) -> None:
    bad = 0
    for k in range(flows):
        i = (k * 7919) % len(sessions)
        r = engine.request("/me", session=sessions[i])
        if r.status != 200 or r.body.get("user") != owners[i] or "error" in r.body:
            bad += 1
    out.update(bad=bad)


def run_one(workload: str, flows: int, record: bool, traced: bool, retention: int | None = None,
            collector: bool = True) -> dict:
    """One workload in this (fresh) process; the result as a dict."""
    import sessioning as ss

    ss.console.set_quiet(True)
    db, engine, req, auth, sess = build(workload, record, retention)
    users = [auth.register(username=f"u{i}", password=f"p{i}")["user"] for i in range(N_USERS)]
    out: dict = {}
    if workload == "W3":
        owners = [users[i % N_USERS] for i in range(N_SESSIONS)]
        sessions = [sess.create(user=o)["session"] for o in owners]
        job = lambda: me_loop(engine, sessions, owners, flows, out)  # noqa: E731
    elif workload == "W4":
        job = lambda: threaded_logins(engine, flows, out)  # noqa: E731
    else:
        job = lambda: login_loop(engine, flows, workload != "W5", out)  # noqa: E731
    if traced:
        import tracemalloc

        tracemalloc.start()
    gc.collect()
    rss0 = rss_bytes()
    traced0 = _traced() if traced else 0
    wall, cpu = timed(job, workload == "W4", collector)
    res = {"workload": workload, "record": record, "flows": flows, "flows_per_s": flows / wall,
           "flows_per_cpu_s": flows / cpu if cpu > 0 else None, "us_per_flow": wall * 1e6 / flows}
    bad = out["bad"]
    if workload in ("W1", "W2", "W4"):  # after the clock: each session belongs to who logged in
        for k, sid in enumerate(out["sessions"]):
            rows = sess._getUser(session=sid) if isinstance(sid, str) else []
            bad += not rows or rows[0].get("user") != users[k % N_USERS]
    res.update(bad=bad, pending_left=len(req.concept.pending), flows_recorded=len(engine.run.flows))
    if workload == "W5":
        out.clear()
        gc.collect()
        res["rss_kept_b_per_flow"] = (rss_bytes() - rss0) / flows
        if traced:
            with_db = _traced()
            for name in ("Requesting.requests", "Sessioning.sessions"):
                db.drop_collection(name)  # the app's own data: the course keeps it too
            res["traced_kept_b_per_flow"] = (with_db - traced0) / flows
            res["traced_beyond_db_b_per_flow"] = (_traced() - traced0) / flows
    return res


def _traced() -> int:
    import tracemalloc

    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def parse_flows(spec: str | None, quick: bool) -> dict[str, int]:
    flows = dict(QUICK_FLOWS if quick else FLOWS)
    for part in filter(None, (spec or "").split(",")):
        wl, n = part.split("=")
        flows[wl.strip().upper()] = int(n)
    return flows


def spawn(workload: str, flows: int, record: bool, traced: bool = False, ablation: tuple[str, ...] = ()) -> dict:
    """One run in a fresh Python (this file with ``--one``), so runs do not share heaps or caches;
    ``ablation``: the ``--retention``/``--collector`` arguments, passed on."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--one", workload, "--flows", f"{workload}={flows}",
           "--record", "on" if record else "off", *ablation] + (["--w5-traced"] if traced else [])
    r = subprocess.run(cmd, capture_output=True, text=True, env=os.environ)
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
    if r.returncode != 0 or not lines:
        raise SystemExit(f"{workload} (record {'on' if record else 'off'}) failed:\n{r.stderr[-3000:]}")
    return json.loads(lines[-1])


def report(results: list[dict], modes: list[bool]) -> tuple[list[str], bool]:
    lines = [f"{'workload':8} {'flows':>7}  " + "  ".join(
        f"{'rec ' + ('on' if m else 'off'):>7} flows/s {'(per CPU-s)':>12}" for m in modes)]
    failed = False
    for wl in sorted({r["workload"] for r in results}):
        mine = [r for r in results if r["workload"] == wl]
        cells = []
        for m in modes:
            runs = [r for r in mine if r["record"] == m]
            failed |= any(r["bad"] or r["pending_left"] for r in runs)
            best = max(runs, key=lambda r: r["flows_per_cpu_s"] or 0)
            cells.append(f"{max(r['flows_per_s'] for r in runs):>15,.0f} {best['flows_per_cpu_s'] or 0:>12,.0f}")
        lines.append(f"{wl:8} {mine[0]['flows']:>7,}  " + "  ".join(cells))
    by = {(r["workload"], r["record"]): r for r in results}
    for m in modes:
        w1, w2 = by.get(("W1", m)), by.get(("W2", m))
        if w1 and w2:
            ratio = max(r["flows_per_cpu_s"] for r in results if r["workload"] == "W2" and r["record"] == m) / max(
                r["flows_per_cpu_s"] for r in results if r["workload"] == "W1" and r["record"] == m)
            lines.append(f"W2/W1 (per CPU-s, record {'on' if m else 'off'}): {ratio:.2f}")
    for r in results:
        if r["workload"] == "W5" and "rss_kept_b_per_flow" in r:
            extra = (f", traced heap {r['traced_kept_b_per_flow']:,.0f} B (beyond the database's documents: "
                     f"{r['traced_beyond_db_b_per_flow']:,.0f} B)" if "traced_kept_b_per_flow" in r else "")
            lines.append(f"W5 record {'on' if r['record'] else 'off'}: RSS kept {r['rss_kept_b_per_flow']:,.0f} B/flow"
                         f"{extra}, {r['flows_recorded']:,} flows recorded")
    if failed:
        lines.append("FAILED: a run had bad responses or requests left pending")
    return lines, failed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer flows (about a minute)")
    ap.add_argument("--workloads", default="W1,W2,W3,W4,W5")
    ap.add_argument("--record", default="on,off", help="on, off or on,off")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--flows", help="e.g. W1=3000,W5=20000")
    ap.add_argument("--w5-traced", action="store_true", help="W5 under tracemalloc: heap kept beyond the database")
    ap.add_argument("--json", metavar="FILE", help="append every run as one JSON line")
    ap.add_argument("--retention", type=int, metavar="N",
                    help="an ablation: flows the record keeps (default: the kit's own, 1,000)")
    ap.add_argument("--collector", choices=("on", "off"), default="on",
                    help="an ablation: off disables the garbage collector while the flows run")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.retention is not None and a.retention < 1:
        raise SystemExit(f"--retention {a.retention}: the record keeps at least 1 flow (the kit's default is 1,000)")
    flows = parse_flows(a.flows, a.quick)
    if a.one:
        print(json.dumps(run_one(a.one, flows[a.one], a.record == "on", a.w5_traced, a.retention, a.collector == "on")))
        return
    ablation = (*(("--retention", str(a.retention)) if a.retention is not None else ()), "--collector", a.collector)
    modes = [m.strip() == "on" for m in a.record.split(",") if m.strip()]
    workloads = [w.strip().upper() for w in a.workloads.split(",") if w.strip()]
    results = []
    for _ in range(a.rounds):
        for wl in workloads:
            for m in modes:
                results.append(spawn(wl, flows[wl], m, traced=False, ablation=ablation))
    if a.w5_traced and "W5" in workloads:
        for m in modes:
            traced = spawn("W5", min(flows["W5"], 20_000), m, traced=True, ablation=ablation)
            match = next(r for r in results if r["workload"] == "W5" and r["record"] == m)
            match.update({k: v for k, v in traced.items() if k.startswith("traced_")})
    if a.json:
        with open(a.json, "a") as f:
            f.writelines(json.dumps(r) + "\n" for r in results)
    lines, failed = report(results, modes)
    if a.retention is not None or a.collector == "off":
        lines.append(f"ablation: retention {a.retention if a.retention is not None else 'the default (1,000)'}, "
                     f"garbage collector {a.collector} while the flows run")
    print("\n".join(lines))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
