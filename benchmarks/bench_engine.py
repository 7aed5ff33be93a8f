"""Engine benchmarks (issues 2 and 3). Run: .venv/bin/python benchmarks/bench_engine.py [--quick]

Reports, on the embedded database:
* login flows/s: the four login syncs of the reference, 1,000 registered users, 10,000 sequential
  logins, logging off (the course engine: 2,976/s);
* the same with 100 extra never-matching syncs on Requesting.request (course engine: 1,618/s);
* /me auth checks/s against 10,000 sessions (course engine: 9,114/s);
* _getUser look-ups/s at 10,000 and 100,000 sessions (should be flat);
* 100,000 sessions created, and tabulated into a DataFrame (target ≤ 1 s).

--no-record runs the flows with the engine's record switched off (Engine(record=False)).
"""

from __future__ import annotations

import sys
import time

import pandas as pd

from sessioning import actions, connect, make_app
from sessioning.console import set_quiet
from sessioning.db.embedded import all_documents
from sessioning.ids import freshID

QUICK = "--quick" in sys.argv
RECORD = "--no-record" not in sys.argv  # --no-record: the engine keeps no trace (Engine(record=False))
N_USERS, N_LOGINS, N_SESSIONS = (100, 1000, 1000) if QUICK else (1000, 10_000, 10_000)


def login_syncs_only(app):
    from sessioning.gen2025.auth_syncs import auth_syncs

    syncs = auth_syncs(app, "correct")
    keep = ("auth.LoginRequest", "auth.LoginSuccessCreatesSession", "auth.LoginResponseSuccess", "auth.LoginResponseError")
    return {k: syncs[k] for k in keep}


def setup(extra_syncs: int = 0):
    app = make_app(syncs=None, fast_hash=True, logging="OFF")
    app.engine.recording = RECORD
    app.engine.register(login_syncs_only(app))
    for i in range(extra_syncs):
        def never(request, x, _i=i):
            return {"when": actions([app.Requesting.request, {"path": f"/never/{_i}", "x": x}, {"request": request}]),
                    "then": actions([app.Requesting.respond, {"request": request}])}
        app.engine.register({f"extra.Never{i}": never})
    for i in range(N_USERS):
        app.UserAuthentication.concept.register(username=f"user{i}", password="pw")
    return app


def bench_logins(extra: int) -> float:
    app = setup(extra)
    t = time.perf_counter()
    for i in range(N_LOGINS):
        r = app.request("/login", username=f"user{i % N_USERS}", password="pw")
        assert r.status == 200 and "session" in r.body, r
    return N_LOGINS / (time.perf_counter() - t)


def bench_me() -> float:
    from sessioning.gen2025.auth_syncs import auth_syncs

    app = make_app(syncs=None, fast_hash=True, logging="OFF")
    app.engine.recording = RECORD
    syncs = auth_syncs(app, "correct")
    app.engine.register({k: syncs[k] for k in ("auth.MeRequest", "auth.MeInvalidSession")})
    users = [app.UserAuthentication.concept.register(username=f"u{i}", password="pw")["user"] for i in range(N_USERS)]
    sessions = [app.Sessioning.concept.create(user=users[i % N_USERS])["session"] for i in range(N_SESSIONS)]
    n = N_LOGINS
    t = time.perf_counter()
    for i in range(n):
        r = app.request("/me", session=sessions[i % len(sessions)])
        assert r.status == 200 and "user" in r.body, r
    return n / (time.perf_counter() - t)


def bench_get_user(n_sessions: int) -> float:
    from sessioning import SessioningConcept

    db = connect(embedded=True)
    s = SessioningConcept(db)
    ids = [freshID() for _ in range(n_sessions)]
    db["Sessioning.sessions"].insert_many([{"_id": x, "user": "u"} for x in ids])
    n = 20_000
    t = time.perf_counter()
    for i in range(n):
        s._getUser(session=ids[(i * 7919) % n_sessions])
    return n / (time.perf_counter() - t)


def bench_sessions_table() -> tuple[float, float]:
    from sessioning import SessioningConcept

    db = connect(embedded=True)
    s = SessioningConcept(db)
    n = 10_000 if QUICK else 100_000
    t = time.perf_counter()
    for i in range(n):
        s.create(user=f"u{i % 1000}")
    created = time.perf_counter() - t
    t = time.perf_counter()
    df = pd.DataFrame(all_documents(db["Sessioning.sessions"]))
    assert len(df) == n
    return created, time.perf_counter() - t


def main() -> None:
    set_quiet(True)
    print(f"recording {'on (default)' if RECORD else 'off (--no-record)'}")
    rows = []
    rows.append((f"login flows/s (4 login syncs, {N_USERS} users, {N_LOGINS} logins, logging off)", bench_logins(0), "2,976"))
    rows.append(("login flows/s with 100 never-matching syncs", bench_logins(100), "1,618"))
    rows.append((f"/me auth checks/s against {N_SESSIONS} sessions", bench_me(), "9,114"))
    rows.append(("_getUser look-ups/s at 10,000 sessions", bench_get_user(10_000), "-"))
    if not QUICK:
        rows.append(("_getUser look-ups/s at 100,000 sessions", bench_get_user(100_000), "-"))
    created, tab = bench_sessions_table()
    n = "10,000" if QUICK else "100,000"
    rows.append((f"{n} sessions created via Sessioning.create (s)", created, "-"))
    rows.append((f"{n} sessions tabulated into a DataFrame (s)", tab, "≤ 1 s"))
    width = max(len(r[0]) for r in rows)
    for name, value, ref in rows:
        print(f"{name:<{width}}  {value:>12,.3f}   (course engine / target: {ref})")


if __name__ == "__main__":
    main()
