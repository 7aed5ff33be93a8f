"""Benchmark the tables and diagnoses on the embedded database.

Run: ``.venv/bin/python benchmarks/bench_tables.py [--sessions 100000] [--flows 10000]``.
Targets (issue): tabulate 100,000 sessions in about a second; diagnose a run of 10,000 flows.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sessioning import console, make_app  # noqa: E402
from sessioning.db.connect import connect  # noqa: E402
from sessioning.gen2025.diagnosis import diagnose  # noqa: E402
from sessioning.ids import freshID  # noqa: E402
from sessioning.tables import evaluations_table, requests_table, sessions_table, trace_table, writes_table  # noqa: E402


def seed_sessions(db, n_sessions: int) -> None:
    """``n_sessions`` sessions over n/4 users; 1% orphaned, 0.5% with ObjectId ids."""
    from bson import ObjectId

    n_users = max(1, n_sessions // 4)
    users = [{"_id": freshID(), "username": f"user{i}", "passwordHash": "x"} for i in range(n_users)]
    sessions = []
    for i in range(n_sessions):
        if i % 200 == 0:
            sessions.append({"_id": ObjectId(), "user": users[i % n_users]["_id"]})
        elif i % 100 == 0:
            sessions.append({"_id": freshID(), "user": freshID()})
        else:
            sessions.append({"_id": freshID(), "user": users[i % n_users]["_id"]})
    db.unwrapped["UserAuthentication.users"].insert_many(users)
    db.unwrapped["Sessioning.sessions"].insert_many(sessions)


def timed(label: str, fn, *args, repeat: int = 3, **kwargs):
    best = float("inf")
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn(*args, **kwargs)
        best = min(best, time.perf_counter() - t0)
    print(f"{label:<48} {best:8.3f} s")
    return result


def make_run(n_flows: int):
    """An app whose run holds ``n_flows`` flows: logins, /me, logouts, and a few broken requests."""
    app = make_app(fast_hash=True, syncs="double_logout", retention=None, logging="OFF")
    with console.quiet():
        for i in range(50):
            app.request("/register", username=f"u{i}", password="pw")
        sessions = []
        while len(app.engine.run.flows) < n_flows:
            i = len(app.engine.run.flows)
            kind = i % 10
            if kind < 4:
                r = app.request("/login", username=f"u{i % 50}", password="pw")
                if r.ok and "session" in r.body:
                    sessions.append(r.body["session"])
            elif kind < 7:
                app.request("/me", session=sessions[-1] if sessions else "none")
            elif kind == 7 and sessions:
                app.request("/logout", session=sessions.pop())
            elif kind == 8:
                app.request("/api/login", username="u1", password="pw")  # F10
            else:
                app.request("/logout", session=f"bogus-{i:08d}-session")  # F12, F13
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--flows", type=int, default=10_000)
    args = parser.parse_args()

    db = connect(embedded=True)
    t0 = time.perf_counter()
    seed_sessions(db, args.sessions)
    print(f"seeded {args.sessions:,} sessions in {time.perf_counter() - t0:.1f} s")
    st = timed(f"sessions_table ({args.sessions:,} sessions)", sessions_table, db, progress=False)
    print(f"  orphaned: {int(st['orphaned'].sum())}, not strings: {int(st['id_not_string'].sum())}, "
          f"users with several sessions: {st.loc[st['several_sessions'], 'user'].nunique()}")

    t0 = time.perf_counter()
    app = make_run(args.flows)
    n_actions = sum(len(f.actions) for f in app.engine.run.flows.values())
    print(f"recorded {len(app.engine.run.flows):,} flows ({n_actions:,} actions) in {time.perf_counter() - t0:.1f} s")
    df = timed(f"diagnose (run of {args.flows:,} flows + its database)", diagnose, app, repeat=1)
    print(f"  findings: {df['code'].value_counts().to_dict()}")
    timed("diagnose (run only)", diagnose, app.engine.run, repeat=1)
    timed("trace_table", trace_table, app, repeat=1)
    timed("evaluations_table", evaluations_table, app, repeat=1)
    timed("writes_table", writes_table, app, repeat=1)
    timed("requests_table", requests_table, app.db, repeat=1)


if __name__ == "__main__":
    main()
