"""Hardening — concurrency: many logins from several threads at once, through the engine, on the
embedded database. No response carries another flow's session, no session is lost, and every
request gets exactly one answer."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest

from sessioning import make_app
from sessioning.db.embedded import all_documents

N_USERS = 20


def _setup(n_logins: int):
    app = make_app(fast_hash=True, syncs="correct", logging="OFF", retention=None)
    users = {}
    for i in range(N_USERS):
        name, pw = f"user{i:03d}", f"pw-{i:03d}-secret"
        r = app.request("/register", username=name, password=pw)
        assert r.status == 200 and "user" in r.body, r
        users[name] = (pw, r.body["user"])
    return app, users


def _login_storm(n_logins: int, n_threads: int):
    app, users = _setup(n_logins)
    names = sorted(users)
    plan = [names[i % N_USERS] for i in range(n_logins)]
    results: list[list] = [[] for _ in range(n_threads)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(n_threads)

    def worker(t: int) -> None:
        try:
            barrier.wait()
            for i in range(t, n_logins, n_threads):
                name = plan[i]
                resp = app.request("/login", username=name, password=users[name][0])
                results[t].append((name, resp))
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(n_threads)]
    started = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=300)
    elapsed = time.perf_counter() - started
    assert not any(th.is_alive() for th in threads), "a login thread hung"
    assert not errors, errors[:3]
    flat = [x for part in results for x in part]
    return app, users, flat, elapsed


def _check(app, users, flat, n_logins: int) -> None:
    # every request got exactly one answer, and it is a 200 with a session
    assert len(flat) == n_logins
    bad = [(n, r) for n, r in flat if r.status != 200 or set(r.body) != {"session"}]
    assert not bad, bad[:3]
    # one flow per request, one request per flow
    flows = [r.flow for _, r in flat]
    requests = [r.request for _, r in flat]
    assert len(set(flows)) == n_logins and len(set(requests)) == n_logins
    sessions = [r.body["session"] for _, r in flat]
    assert len(set(sessions)) == n_logins, "two responses carry the same session"

    # no session lost: every answered session is stored, for the user who logged in
    stored = {d["_id"]: d["user"] for d in all_documents(app.db["Sessioning.sessions"])}
    assert len(stored) == n_logins
    for name, r in flat:
        assert stored.get(r.body["session"]) == users[name][1], f"{name} got another user's session"

    # no response carries another flow's session: the session in the answer is the one that the
    # Sessioning.create of that same flow returned, and the one respond of that flow sent
    run = app.engine.run
    for _name, r in flat:
        log = run.flows[r.flow]
        creates = [a for a in log.actions if (a["concept"], a["action"]) == ("Sessioning", "create")]
        responds = [a for a in log.actions if (a["concept"], a["action"]) == ("Requesting", "respond")]
        assert len(creates) == 1 and creates[0]["output"] == {"session": r.body["session"]}
        assert len(responds) == 1, f"flow {r.flow} responded {len(responds)} times"
        assert responds[0]["input"]["request"] == r.request
        assert all(a["flow"] == r.flow for a in log.actions)

    # the stored request documents agree: one response each, the same session
    docs = {d["_id"]: d for d in all_documents(app.db["Requesting.requests"])}
    for _, r in flat:
        assert docs[r.request]["response"] == {"session": r.body["session"]}
    # nothing left pending, and the engine forgot every finished flow
    assert app.Requesting.concept.pending == {}
    assert app.engine._flows == {} and app.engine._by_id == {}
    per_user = Counter(n for n, _ in flat)
    assert sum(per_user.values()) == n_logins


def test_1000_concurrent_logins(quiet_console):
    n = 1000
    app, users, flat, elapsed = _login_storm(n, n_threads=8)
    _check(app, users, flat, n)
    print(f"\n1000 logins / 8 threads: {elapsed:.2f} s ({n / elapsed:.0f} logins/s)")


def test_concurrent_mixed_traffic_keeps_answers_apart(quiet_console):
    """Logins, /me with valid, unknown and hostile sessions, and logouts, interleaved in threads."""
    app, users = _setup(0)
    names = sorted(users)
    sessions = {}
    for name in names:
        r = app.request("/login", username=name, password=users[name][0])
        sessions[name] = r.body["session"]
    out: list[tuple[str, str, object]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(6)

    def worker(t: int) -> None:
        barrier.wait()
        for i in range(60):
            name = names[(t * 7 + i) % N_USERS]
            kind = ("me", "unknown", "hostile", "badpw")[i % 4]
            if kind == "me":
                r = app.request("/me", session=sessions[name])
            elif kind == "unknown":
                r = app.request("/me", session="019a0000-0000-7000-8000-000000000000")
            elif kind == "hostile":
                r = app.request("/me", session={"$ne": None})
            else:
                r = app.request("/login", username=name, password="wrong")
            with lock:
                out.append((kind, name, r))

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    assert len(out) == 360
    for kind, name, r in out:
        assert r.status == 200, (kind, r)
        if kind == "me":
            assert r.body == {"user": users[name][1], "username": name}
        elif kind == "badpw":
            assert r.body == {"error": "Invalid username or password"}
        else:
            assert set(r.body) == {"error"} and "user" not in r.body
    assert app.Requesting.concept.pending == {}


@pytest.mark.heavy
def test_10000_concurrent_logins_16_threads(quiet_console):
    n = 10_000
    app, users, flat, elapsed = _login_storm(n, n_threads=16)
    _check(app, users, flat, n)
    print(f"\n10000 logins / 16 threads: {elapsed:.2f} s ({n / elapsed:.0f} logins/s)")


def test_concurrent_logins_with_a_tiny_retention(quiet_console):
    """Flows evicted from the record while other threads are still running them: answers stay right."""
    app = make_app(fast_hash=True, syncs="correct", logging="TRACE", retention=5)
    users = {}
    for i in range(8):
        r = app.request("/register", username=f"t{i}", password=f"pw-t{i}-123")
        users[f"t{i}"] = r.body["user"]
    out = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def worker(t: int) -> None:
        barrier.wait()
        for _ in range(50):
            r = app.request("/login", username=f"t{t}", password=f"pw-t{t}-123")
            me = app.request("/me", session=r.body.get("session"))
            with lock:
                out.append((t, r, me))

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    assert len(out) == 400
    for t, r, me in out:
        assert r.status == 200 and "session" in r.body, r
        assert me.body == {"user": users[f"t{t}"], "username": f"t{t}"}, me
    run = app.engine.run
    assert len(run.flows) <= 5 and run.dropped_flows >= 800 - 5
    assert app.Requesting.concept.pending == {} and app.engine._flows == {}
