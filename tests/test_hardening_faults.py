"""Hardening — faults: for every fault the fault-injection API offers, a run of flows where a share
of the writes fail. Each failure comes back as the seed's ``{error}`` or is recorded as an exception
in the trace, and is classified (F16); no partial or orphan document remains; the next run is clean.
"""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout

import pytest

from sessioning import connect, make_app
from sessioning.db.embedded import all_documents
from sessioning.db.faults import ERROR_KINDS, Faults
from sessioning.gen2025.readers.logs import classify_error, read_log

KINDS = list(ERROR_KINDS) + ["custom"]
N_FLOWS = 30
SHARE = 3  # one flow in three gets a fault


def _kind(kind: str):
    return RuntimeError("disk quota exceeded (custom injected fault)") if kind == "custom" else kind


def _new_app(**kw):
    app = make_app(fast_hash=True, syncs="correct", logging="OFF", retention=None, **kw)
    assert app.request("/register", username="alice", password="pw-alice-123").status == 200
    return app


def _failed_entries(app, flow: str) -> list[dict]:
    return [a for a in app.engine.run.flows[flow].actions if a["status"] in ("error", "exception")]


def _entry_message(entry: dict) -> str:
    if entry["status"] == "exception":
        return entry["error"] or ""
    out = entry["output"]
    return str(out.get("error")) if isinstance(out, dict) else ""


def _assert_next_run_clean(app, n: int = 10) -> None:
    assert not app.db.faults.active, app.db.faults
    for _ in range(n):
        r = app.request("/login", username="alice", password="pw-alice-123")
        assert r.status == 200 and "session" in r.body, r
        assert not _failed_entries(app, r.flow)
    # and a fresh connection never inherits faults
    assert not connect(embedded=True).faults.active


def _assert_no_partial_documents(app, good_sessions: set[str]) -> None:
    sessions = all_documents(app.db["Sessioning.sessions"])
    assert all(set(d) == {"_id", "user"} and isinstance(d["user"], str) for d in sessions), sessions[:3]
    assert {d["_id"] for d in sessions} == good_sessions, "a session exists that no client received (or one is lost)"
    users = all_documents(app.db["UserAuthentication.users"])
    assert all(set(d) == {"_id", "username", "passwordHash"} for d in users)
    for d in all_documents(app.db["Requesting.requests"]):
        assert set(d) >= {"_id", "input", "createdAt"}


def _run_logins(app, arm) -> tuple[list, set[str], list]:
    """``N_FLOWS`` logins; before every third, ``arm()`` one fault. Returns (faulty, good sessions, all)."""
    faulty, good, responses = [], set(), []
    rule = None
    for i in range(N_FLOWS):
        if i % SHARE == 0:
            rule = arm()
        before = rule.fired if rule else 0
        r = app.request("/login", username="alice", password="pw-alice-123")
        responses.append(r)
        if rule is not None and rule.fired > before:
            faulty.append((r, rule.log[-1]))
        else:
            assert r.status == 200 and "session" in r.body, r
            good.add(r.body["session"])
    return faulty, good, responses


def _assert_failure_visible(app, r, fault_message: str, *, expect: str) -> None:
    """The failure is the client's {error} or 500/504, and the trace holds it as {error} or exception."""
    assert r.status in (500, 504) or "error" in r.body, r
    entries = _failed_entries(app, r.flow)
    assert entries, f"no failed action recorded in flow {r.flow}"
    entry = entries[0]
    assert entry["status"] == expect, entry
    message = _entry_message(entry)
    assert fault_message in message, (fault_message, message)
    assert classify_error(message)[0] == "F16"
    if expect == "exception":
        # the engine recorded the response with the exception, and the client got no stack trace
        assert r.error is not None and r.body in ({"error": "An internal server error occurred."}, {"error": "Request timed out."})


def _assert_diagnosed(app, faulty_flows: list[str], codes: set[str]) -> None:
    """diagnose() names every failed flow, with one of ``codes``."""
    from sessioning.gen2025.diagnosis import diagnose_findings

    by_flow: dict[str, set[str]] = {}
    for f in diagnose_findings(app):
        flow = (f.extra or {}).get("flow")
        if flow:
            by_flow.setdefault(flow, set()).add(f.code)
    for flow in faulty_flows:
        assert by_flow.get(flow, set()) & codes, (flow, by_flow.get(flow), codes)


@pytest.mark.parametrize("kind", KINDS)
def test_session_insert_faults_return_seed_error(kind, quiet_console):
    app = _new_app()
    faulty, good, _ = _run_logins(app, lambda: app.db.faults.fail_inserts("Sessioning.sessions", _kind(kind), times=1))
    assert len(faulty) == N_FLOWS // SHARE
    for r, msg in faulty:
        # the seed catches the insert error and returns {error: "Failed to create session: …"}
        _assert_failure_visible(app, r, msg, expect="error")
        create = _failed_entries(app, r.flow)[0]
        assert (create["concept"], create["action"]) == ("Sessioning", "create")
        assert create["output"]["error"].startswith("Failed to create session: ")
        # no sync answers a failed create in the reference app: the request times out (F11)
        assert r.status == 504
    _assert_diagnosed(app, [r.flow for r, _ in faulty], {"F11", "F16", "F17"})
    _assert_no_partial_documents(app, good)
    _assert_next_run_clean(app)


@pytest.mark.parametrize("kind", KINDS)
def test_request_insert_faults_are_recorded_exceptions(kind, quiet_console):
    app = _new_app()
    faulty, good, _ = _run_logins(app, lambda: app.db.faults.fail_inserts("Requesting.requests", _kind(kind), times=1))
    assert len(faulty) == N_FLOWS // SHARE
    for r, msg in faulty:
        _assert_failure_visible(app, r, msg, expect="exception")
        assert r.request is None  # the request was never stored
        assert len(app.engine.run.flows[r.flow].actions) == 1
    _assert_diagnosed(app, [r.flow for r, _ in faulty], {"F16"})
    _assert_no_partial_documents(app, good)
    ids = {d["_id"] for d in all_documents(app.db["Requesting.requests"])}
    assert len(ids) == 1 + N_FLOWS - len(faulty)  # the register request + the stored logins
    _assert_next_run_clean(app)


@pytest.mark.parametrize("kind", KINDS)
def test_user_insert_faults_on_register(kind, quiet_console):
    app = _new_app()
    outcomes = []
    for i in range(N_FLOWS):
        rule = app.db.faults.fail_inserts("UserAuthentication.users", _kind(kind), times=1) if i % SHARE == 0 else None
        r = app.request("/register", username=f"user{i}", password="pw-123456")
        outcomes.append((i, r, rule))
    names = {d["username"] for d in all_documents(app.db["UserAuthentication.users"])}
    for i, r, rule in outcomes:
        if rule is None:
            assert r.status == 200 and "user" in r.body
            assert f"user{i}" in names
            continue
        assert rule.fired == 1 and f"user{i}" not in names  # nothing half-written
        entry = _failed_entries(app, r.flow)[0]
        if kind == "duplicate_key":
            # the concept turns an E11000 into its own {error}; the error sync answers it
            assert entry["status"] == "error" and r.body == {"error": "Username already exists"}
        else:
            _assert_failure_visible(app, r, rule.log[-1], expect="exception")
            _assert_diagnosed(app, [r.flow], {"F16"})
    _assert_no_partial_documents(app, set())
    _assert_next_run_clean(app)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("action", ["Requesting.request", "UserAuthentication.authenticate", "Sessioning.create",
                                    "Requesting.respond"])
def test_action_faults_are_recorded_exceptions(action, kind, quiet_console):
    app = _new_app()
    faulty, good, _ = _run_logins(app, lambda: app.db.faults.fail_action(action, _kind(kind), times=1))
    assert len(faulty) == N_FLOWS // SHARE
    for r, msg in faulty:
        _assert_failure_visible(app, r, msg, expect="exception")
        entry = _failed_entries(app, r.flow)[0]
        assert f"{entry['concept']}.{entry['action']}" == action
        assert entry["error_type"] in {"DuplicateKeyError", "AutoReconnect", "NetworkTimeout", "WriteError", "RuntimeError"}
    _assert_diagnosed(app, [r.flow for r, _ in faulty], {"F16"})
    stored = {d["_id"] for d in all_documents(app.db["Sessioning.sessions"])}
    if action == "Requesting.respond":
        # the session was created before respond failed: the client never saw it (no transactions)
        orphans = stored - good
        assert len(orphans) == len(faulty)
    else:
        _assert_no_partial_documents(app, good)
    _assert_next_run_clean(app)


@pytest.mark.parametrize("kind", KINDS)
def test_update_faults_on_respond_save(kind, quiet_console):
    app = _new_app()
    faulty, good, _ = _run_logins(app, lambda: app.db.faults.fail_updates("Requesting.requests", _kind(kind), times=1))
    assert len(faulty) == N_FLOWS // SHARE
    for r, msg in faulty:
        _assert_failure_visible(app, r, msg, expect="exception")
        doc = app.db["Requesting.requests"].find_one({"_id": r.request})
        assert doc is not None and "response" not in doc  # the update did not half-happen
    _assert_diagnosed(app, [r.flow for r, _ in faulty], {"F16"})
    _assert_next_run_clean(app)


@pytest.mark.parametrize("kind", KINDS)
def test_delete_faults_on_logout(kind, quiet_console):
    app = _new_app()
    results = []
    for i in range(N_FLOWS):
        session = app.request("/login", username="alice", password="pw-alice-123").body["session"]
        rule = app.db.faults.fail_deletes("Sessioning.sessions", _kind(kind), times=1) if i % SHARE == 0 else None
        r = app.request("/logout", session=session)
        results.append((session, r, rule))
    for session, r, rule in results:
        still = app.db["Sessioning.sessions"].find_one({"_id": session})
        if rule is None:
            assert r.body == {"status": "logged_out"} and still is None
        else:
            _assert_failure_visible(app, r, rule.log[-1], expect="exception")
            assert still == {"_id": session, "user": still["user"]}  # untouched, not half-deleted
            _assert_diagnosed(app, [r.flow], {"F16"})
    _assert_next_run_clean(app)


def test_faults_show_in_the_server_log_and_are_classified(capsys):
    """The same failures, read back from the TRACE output by the log reader: F16 for each."""
    app = make_app(fast_hash=True, syncs="correct", logging="TRACE")
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        app.request("/register", username="bob", password="pw-bob-12345")
        app.db.faults.fail_action("UserAuthentication.authenticate", "write_error", times=2)
        for _ in range(3):
            app.request("/login", username="bob", password="pw-bob-12345")
    log = read_log(out.getvalue() + err.getvalue())
    errors = log.errors_frame()
    assert len(errors) == 2
    assert set(errors["code"]) == {"F16"}
    assert all("injected fault" in m for m in errors["message"])
    assert "pw-bob-12345" not in (out.getvalue() + err.getvalue())


def test_fault_api_refuses_nonsense():
    f = Faults()
    with pytest.raises(ValueError, match="unknown fault kind"):
        f.fail_inserts("x", "meteor")
    with pytest.raises(ValueError, match="times"):
        f.fail_inserts("x", "timeout", times=0)
    with pytest.raises(ValueError, match="op must be"):
        with f.inject("upsert", "x"):
            pass
    assert not f


def test_diagnose_classifies_injected_failures(quiet_console):
    from sessioning.gen2025.diagnosis import diagnose

    app = _new_app()
    app.db.faults.fail_inserts("Sessioning.sessions", "duplicate_key", times=1)
    r1 = app.request("/login", username="alice", password="pw-alice-123")
    app.db.faults.fail_action("UserAuthentication.authenticate", "write_error", times=1)
    r2 = app.request("/login", username="alice", password="pw-alice-123")
    df = diagnose(app)
    flows = {d.get("flow"): c for d, c in zip(df["details"], df["code"]) if isinstance(d, dict)}
    assert flows.get(r2.flow) == "F16"
    assert r1.flow in flows and flows[r1.flow] in ("F11", "F16", "F17")
    assert "pw-alice-123" not in df.to_string()
