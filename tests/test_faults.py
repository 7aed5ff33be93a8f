"""Fault injection: chosen operations fail on purpose, and nothing is lost when they do."""

from __future__ import annotations

import datetime as dt

import pytest
from pymongo import errors as pymongo_errors

from sessioning import connect, console, make_app
from sessioning.db.faults import ERROR_KINDS, Faults, make_error
from sessioning.gen2025.diagnosis import diagnose
from sessioning.tables import trace_table, writes_table

COLLECTIONS = ("Requesting.requests", "UserAuthentication.users", "Sessioning.sessions")
WRITERS = {"Requesting.requests": "Requesting.request", "UserAuthentication.users": "UserAuthentication.register",
           "Sessioning.sessions": "Sessioning.create"}


@pytest.fixture(autouse=True)
def _quiet():
    with console.quiet():
        yield


# -- the API ------------------------------------------------------------------------------------------
def test_fail_inserts_fires_the_given_number_of_times_then_stops():
    db = connect(embedded=True)
    rule = db.faults.fail_inserts("things", times=2)
    for i in range(2):
        with pytest.raises(pymongo_errors.DuplicateKeyError):
            db["things"].insert_one({"_id": f"t{i}"})
    db["things"].insert_one({"_id": "t9"})
    assert rule.fired == 2 and rule.exhausted
    assert [d["_id"] for d in db["things"].find()] == ["t9"]
    assert not db.faults and db.faults.active == []


def test_fail_inserts_every_time_and_other_collections_untouched():
    db = connect(embedded=True)
    db.faults.fail_inserts("things", "timeout", times=None)
    for _ in range(3):
        with pytest.raises(pymongo_errors.NetworkTimeout):
            db["things"].insert_one({"x": 1})
    db["others"].insert_one({"x": 1})
    assert db["things"].count_documents({}) == 0 and db["others"].count_documents({}) == 1


@pytest.mark.parametrize("kind, exc", [
    ("duplicate_key", pymongo_errors.DuplicateKeyError),
    ("auto_reconnect", pymongo_errors.AutoReconnect),
    ("connection_reset", pymongo_errors.AutoReconnect),
    ("timeout", pymongo_errors.NetworkTimeout),
    ("write_error", pymongo_errors.WriteError),
])
def test_each_kind_raises_the_driver_exception(kind, exc):
    assert kind in ERROR_KINDS
    err = make_error(kind, "db.Things.things", {"_id": "a"})
    assert isinstance(err, exc)


def test_duplicate_key_message_is_server_like_with_details():
    err = make_error("duplicate_key", "Users.users", {"_id": "u1", "email": "a@x"}, key="email")
    assert str(err).startswith('E11000 duplicate key error collection: Users.users index: email_1 dup key: { email: "a@x" }')
    assert err.code == 11000
    assert err.details["keyValue"] == {"email": "a@x"} and err.details["keyPattern"] == {"email": 1}
    assert err.details["injected"] is True
    no_id = make_error("duplicate_key", "c", {})
    assert "dup key: { _id: null }" in str(no_id)


def test_given_exception_is_raised_fresh_each_time():
    db = connect(embedded=True)
    boom = RuntimeError("disk full")
    db.faults.fail_updates("things", boom, times=None)
    db["things"].insert_one({"_id": 1, "n": 0})
    seen = []
    for _ in range(2):
        with pytest.raises(RuntimeError, match="disk full") as info:
            db["things"].update_one({"_id": 1}, {"$set": {"n": 1}})
        seen.append(info.value)
    assert seen[0] is not seen[1]
    assert db["things"].find_one({"_id": 1})["n"] == 0


def test_fail_deletes():
    db = connect(embedded=True)
    db["things"].insert_one({"_id": 1})
    db.faults.fail_deletes("things")
    with pytest.raises(pymongo_errors.WriteError):
        db["things"].delete_one({"_id": 1})
    assert db["things"].count_documents({}) == 1
    db["things"].delete_one({"_id": 1})
    assert db["things"].count_documents({}) == 0


def test_inject_scopes_a_fault_to_a_block():
    db = connect(embedded=True)
    with db.faults.inject("insert", "things", "write_error") as rule:
        assert db.faults
        for _ in range(2):  # every time inside the block
            with pytest.raises(pymongo_errors.WriteError):
                db["things"].insert_one({"x": 1})
    assert rule.fired == 2
    assert not db.faults
    db["things"].insert_one({"x": 1})
    assert db["things"].count_documents({}) == 1


def test_inject_removes_the_fault_even_when_the_block_raises():
    db = connect(embedded=True)
    with pytest.raises(KeyError), db.faults.inject("insert", "things"):
        raise KeyError("x")
    assert db.faults.active == []


def test_bad_arguments_are_refused():
    faults = Faults()
    with pytest.raises(ValueError, match="unknown fault kind"):
        faults.fail_inserts("c", "explode")
    with pytest.raises(ValueError, match="times"):
        faults.fail_inserts("c", times=0)
    with pytest.raises(ValueError, match="times"):
        faults.fail_inserts("c", times=True)
    with pytest.raises(TypeError):
        faults.fail_inserts("c", 42)
    with pytest.raises(ValueError, match="op must be"):
        with faults.inject("upsert", "c"):
            pass
    with pytest.raises(ValueError):
        faults.fail_inserts("")


def test_clear_remove_and_repr():
    faults = Faults()
    a = faults.fail_inserts("c", times=None)
    b = faults.fail_action("Sessioning.create", "disk on fire")
    assert isinstance(b.error, RuntimeError)
    assert "insert c" in repr(faults) and "every time" in repr(faults)
    faults.remove(a)
    assert faults.active == [b]
    faults.clear()
    assert repr(faults) == "Faults(none)"


def test_faults_belong_to_one_database_handle():
    a, b = connect(embedded=True), connect(embedded=True)
    a.faults.fail_inserts("things", times=None)
    b["things"].insert_one({"x": 1})
    with pytest.raises(pymongo_errors.DuplicateKeyError):
        a["things"].insert_one({"x": 1})


def test_insert_many_is_refused_whole():
    db = connect(embedded=True)
    db.faults.fail_inserts("things", "write_error")
    with pytest.raises(pymongo_errors.WriteError):
        db["things"].insert_many([{"_id": 1}, {"_id": 2}, {"_id": 3}])
    assert db["things"].count_documents({}) == 0


# -- in an app ----------------------------------------------------------------------------------------
def test_fail_action_makes_an_action_throw_and_the_trace_records_it():
    app = make_app(fast_hash=True)
    app.request("/register", username="a", password="p")
    app.db.faults.fail_action("Sessioning.create", RuntimeError("disk full"))
    r = app.request("/login", username="a", password="p")
    assert r.status == 500 and "disk full" in r.message
    t = trace_table(app)
    row = t[t["action"] == "Sessioning.create"].iloc[0]
    assert row["status"] == "exception" and row["exception"] == "disk full" and row["error_type"] == "RuntimeError"
    assert app.db["Sessioning.sessions"].count_documents({}) == 0
    # once only: the next login works
    assert app.request("/login", username="a", password="p").status == 200


def test_an_insert_fault_inside_a_concept_that_catches_is_returned_as_error():
    app = make_app(fast_hash=True)
    app.request("/register", username="a", password="p")
    app.db.faults.fail_inserts("Sessioning.sessions", "duplicate_key")
    app.request("/login", username="a", password="p")
    t = trace_table(app)
    row = t[t["action"] == "Sessioning.create"].iloc[0]
    assert row["status"] == "error"
    assert row["output"]["error"].startswith("Failed to create session: E11000 duplicate key error")
    assert app.db["Sessioning.sessions"].count_documents({}) == 0
    assert "F17" in set(diagnose(app)["code"])


def _login_script(app):
    app.request("/register", username="a", password="p")
    first = app.request("/login", username="a", password="p")
    app.request("/register", username="b", password="q")
    app.request("/login", username="b", password="q")
    if first.ok and "session" in first.body:
        app.request("/logout", session=first.body["session"])


def _db_matches_recorded_writes(app):
    """Replaying the recorded writes gives exactly the database: no partial or unrecorded document."""
    expected: dict[str, dict] = {c: {} for c in COLLECTIONS}
    for w in writes_table(app, reveal=True).itertuples():
        docs = expected.setdefault(w.collection, {})
        if w.op == "delete":
            docs.pop(w.before["_id"], None)
        else:
            docs[w.after["_id"]] = w.after
    for coll, docs in expected.items():
        actual = {d["_id"]: d for d in app.db[coll].find()}
        assert set(actual) == set(docs), coll
        for _id, doc in actual.items():
            assert _bson(doc) == _bson(docs[_id]), (coll, _id)


def _bson(value):
    """What the database keeps: datetimes at millisecond precision, without a time zone."""
    if isinstance(value, dict):
        return {k: _bson(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_bson(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None, microsecond=value.microsecond // 1000 * 1000)
    return value


@pytest.mark.parametrize("collection", COLLECTIONS)
@pytest.mark.parametrize("kind", ["duplicate_key", "write_error", "auto_reconnect"])
@pytest.mark.parametrize("nth", [1, 2, 3])
def test_nothing_is_lost_under_injected_insert_faults(collection, kind, nth):
    app = make_app(fast_hash=True)
    with app.db.faults.inject("insert", collection, kind, times=None) as rule:
        # let the first nth-1 inserts through, then fail every later one
        original = app.db.faults.check
        calls = {"n": 0}

        def check(op, target, doc=None):
            if op == "insert" and target == collection:
                calls["n"] += 1
                if calls["n"] < nth:
                    return None
            return original(op, target, doc)

        app.db.faults.check = check
        _login_script(app)
    failures = rule.log
    writer = WRITERS[collection]
    t = trace_table(app, reveal=True)
    mine = t[t["action"] == writer]
    surfaced = mine[(mine["status"] == "exception") | (mine["status"] == "error")]
    # every failed insert surfaces in the trace: as an exception, or as the action's {error}
    assert len(surfaced) >= len(failures)
    for message in failures:
        thrown = (surfaced["exception"] == message).any()
        returned = surfaced["output"].map(lambda o: isinstance(o, dict) and "error" in o).any()
        assert thrown or returned, message
    _db_matches_recorded_writes(app)


def test_nothing_is_lost_under_update_faults_on_respond():
    app = make_app(fast_hash=True)
    app.db.faults.fail_updates("Requesting.requests", "write_error", times=None)
    r = app.request("/register", username="a", password="p")
    assert r.status == 500
    t = trace_table(app)
    assert (t[t["action"] == "Requesting.respond"]["status"] == "exception").all()
    stored = app.db["Requesting.requests"].find_one({"_id": r.request})
    assert "response" not in stored
    _db_matches_recorded_writes(app)
    assert "F16" in set(diagnose(app)["code"])


def test_check_names_the_full_namespace_when_given():
    faults = Faults()
    faults.fail_inserts("Sessioning.sessions")
    with pytest.raises(pymongo_errors.DuplicateKeyError) as info:
        faults.check("insert", "Sessioning.sessions", {"_id": "s1"}, namespace="app.Sessioning.sessions")
    assert "collection: app.Sessioning.sessions index: _id_ dup key: { _id: \"s1\" }" in str(info.value)
    faults.check("insert", "Sessioning.sessions", {"_id": "s2"})  # exhausted: nothing raised


# -- property: any mix of faults, any script ------------------------------------------------------------
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_fault = st.tuples(st.sampled_from(COLLECTIONS), st.sampled_from(["duplicate_key", "write_error", "timeout"]),
                   st.one_of(st.none(), st.integers(1, 3)))
_step = st.tuples(st.sampled_from(["register", "login", "logout", "me"]), st.sampled_from(["a", "b", "c"]))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(faults=st.lists(_fault, max_size=3), script=st.lists(_step, min_size=1, max_size=8))
def test_property_no_failed_insert_is_lost(faults, script):
    app = make_app(fast_hash=True)
    rules = [app.db.faults.fail_inserts(c, kind, times) for c, kind, times in faults]
    sessions: dict[str, str] = {}
    for op, user in script:
        if op == "register":
            app.request("/register", username=user, password="pw")
        elif op == "login":
            r = app.request("/login", username=user, password="pw")
            if r.ok and "session" in r.body:
                sessions[user] = r.body["session"]
        else:
            app.request(f"/{op}", session=sessions.get(user, "no-such-session-0000"))
    t = trace_table(app, reveal=True)
    for coll, writer in WRITERS.items():
        fired = sum(r.fired for r in rules if r.target == coll)
        mine = t[t["action"] == writer]
        surfaced = mine[mine["status"].isin(["exception", "error"])]
        assert len(surfaced) >= fired, (coll, fired, len(surfaced))
        thrown = set(mine["exception"].dropna())
        returned = (mine["status"] == "error").any()
        for message in [m for r in rules if r.target == coll for m in r.log]:
            assert message in thrown or returned, message  # thrown word for word, or returned as {error}
    _db_matches_recorded_writes(app)
    df = diagnose(app)  # never crashes, and names the exceptions (identical ones are shown once)
    if (t["status"] == "exception").any():
        assert "F16" in set(df["code"])
