"""Tables: sessions, requests, trace, sync evaluations, writes and step diffs as DataFrames."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from bson import ObjectId

from sessioning import connect, console, make_app, reveal_secrets
from sessioning.db.read import id_kind
from sessioning.ids import freshID
from sessioning.record import Run
from sessioning.tables import (
    evaluations_table,
    requests_table,
    sessions_table,
    step_diff,
    trace_table,
    writes_table,
)


@pytest.fixture(autouse=True)
def _quiet():
    with console.quiet():
        yield


@pytest.fixture
def app():
    app = make_app(fast_hash=True, syncs="correct")
    app.request("/register", username="alice", password="secret-pw")
    app.request("/register", username="bob", password="other-pw")
    app.s1 = app.request("/login", username="alice", password="secret-pw").body["session"]
    app.s2 = app.request("/login", username="alice", password="secret-pw").body["session"]
    app.s3 = app.request("/login", username="bob", password="other-pw").body["session"]
    app.request("/api/login", username="bob", password="other-pw")  # times out
    app.request("/logout", session=app.s3)
    return app


# -- sessions ---------------------------------------------------------------------------------------
def test_sessions_table_joins_users_and_decodes_times(app):
    df = sessions_table(app.db)
    assert list(df.columns[:11]) == [
        "session", "user", "username", "created", "id_type", "user_id_type", "user_exists", "orphaned",
        "user_sessions", "several_sessions", "id_not_string"]
    assert len(df) == 2  # bob's session was deleted
    assert set(df["username"]) == {"alice"}
    assert (df["user_sessions"] == 2).all() and df["several_sessions"].all()
    assert str(df["created"].dtype).startswith("datetime64") and str(df["created"].dt.tz) == "UTC"
    now = pd.Timestamp.now(tz="UTC")
    assert ((now - df["created"]) < pd.Timedelta(minutes=5)).all()
    assert (df["id_type"] == "uuid7").all()
    assert not df["orphaned"].any() and not df["id_not_string"].any()
    assert df["user_exists"].dtype == "boolean" and df["user_sessions"].dtype == "int64"


def test_session_ids_are_masked_stably_and_revealed_on_request(app):
    masked = sessions_table(app.db)
    assert app.s1 not in set(masked["session"])
    assert set(masked["session"]) == {f"{s[:8]}…{s[-4:]}" for s in (app.s1, app.s2)}
    assert set(sessions_table(app.db, reveal=True)["session"]) == {app.s1, app.s2}
    with reveal_secrets():
        assert set(sessions_table(app.db)["session"]) == {app.s1, app.s2}


def test_orphans_and_objectid_mixups_are_flagged():
    db = connect(embedded=True)
    user = freshID()
    db["UserAuthentication.users"].insert_one({"_id": user, "username": "u"})
    db["Sessioning.sessions"].insert_many([
        {"_id": freshID(), "user": user},
        {"_id": freshID(), "user": freshID()},  # orphan
        {"_id": ObjectId(), "user": user},  # ObjectId id
        {"_id": freshID(), "user": ObjectId()},  # ObjectId user
    ])
    df = sessions_table(db)
    assert int(df["orphaned"].sum()) == 2
    assert int(df["id_not_string"].sum()) == 2
    assert set(df["id_type"].astype(str)) == {"uuid7", "ObjectId"}
    assert "ObjectId" in set(df["user_id_type"].astype(str))
    assert df["created"].isna().sum() == 1  # an ObjectId is not a UUIDv7: no decoded time


def test_collection_and_field_names_are_parameters():
    db = connect(embedded=True)
    db["Auth.accounts"].insert_one({"_id": "acc-1", "login": "zed"})
    db["Session.sessions"].insert_one({"_id": freshID(), "userId": "acc-1", "expiresAt": dt.datetime(2030, 1, 1)})
    df = sessions_table(db, "Session.sessions", user_field="userId", users_collection="Auth.accounts",
                        username_field="login")
    assert df.loc[0, "user"] == "acc-1" and df.loc[0, "username"] == "zed"
    assert "expiresAt" in df.columns  # other fields are kept
    no_join = sessions_table(db, "Session.sessions", user_field="userId", users_collection=None)
    assert no_join["user_exists"].isna().all()


def test_empty_and_missing_collections():
    db = connect(embedded=True)
    df = sessions_table(db)
    assert df.empty and "session" in df.columns
    assert requests_table(db).empty


def test_sessions_table_is_fast_on_100k_sessions():
    import time

    db = connect(embedded=True)
    users = [{"_id": freshID(), "username": f"u{i}"} for i in range(25_000)]
    db.unwrapped["UserAuthentication.users"].insert_many(users)
    db.unwrapped["Sessioning.sessions"].insert_many(
        [{"_id": freshID(), "user": users[i % 25_000]["_id"]} for i in range(100_000)])
    t0 = time.perf_counter()
    df = sessions_table(db, progress=False)
    elapsed = time.perf_counter() - t0
    assert len(df) == 100_000 and (df["user_sessions"] == 4).all()
    assert elapsed < 5.0  # about a second here; generous for slow CI machines


def test_progress_bar_can_be_forced(capsys):
    db = connect(embedded=True)
    db.unwrapped["Sessioning.sessions"].insert_many([{"_id": freshID(), "user": "u"} for _ in range(25_000)])
    sessions_table(db, progress=True)
    assert "tabulating Sessioning.sessions" in capsys.readouterr().err
    sessions_table(db, progress=False)
    assert capsys.readouterr().err == ""


def test_id_kind():
    assert id_kind(freshID()) == "uuid7"
    assert id_kind("6f1c3c2e-1111-4222-8333-444455556666") == "uuid"
    assert id_kind("abc") == "string"
    assert id_kind(ObjectId()) == "ObjectId"
    assert id_kind(12) == "int"


# -- requests ----------------------------------------------------------------------------------------
def test_requests_table(app):
    df = requests_table(app.db)
    assert list(df.columns) == ["request", "path", "input_keys", "input", "has_response", "response", "error",
                                "created", "id_type"]
    assert list(df["path"]) == ["/register", "/register", "/login", "/login", "/login", "/api/login", "/logout"]
    assert df["has_response"].dtype == bool
    assert list(df["has_response"]) == [True] * 5 + [False, True]
    assert df.loc[0, "input_keys"] == "username, password"
    assert df["created"].is_monotonic_increasing and str(df["created"].dt.tz) == "UTC"


def test_requests_table_masks_passwords_and_sessions(app):
    df = requests_table(app.db)
    text = df.to_string() + repr(df["input"].tolist()) + repr(df["response"].tolist())
    assert "secret-pw" not in text and app.s1 not in text
    assert df.loc[0, "input"]["password"] == "••••••"
    shown = requests_table(app.db, reveal=True)
    assert shown.loc[0, "input"]["password"] == "secret-pw"
    assert app.s1 in [r.get("session") for r in shown["response"] if r]


# -- trace -------------------------------------------------------------------------------------------
def test_trace_table_one_row_per_action(app):
    df = trace_table(app)
    login = df[df["path"] == "/login"]
    first = login[login["flow"] == login["flow"].iloc[0]]
    assert list(first["action"]) == ["Requesting.request", "UserAuthentication.authenticate", "Sessioning.create",
                                     "Requesting.respond"]
    assert list(first["depth"]) == [0, 1, 2, 3]
    assert list(first["order"]) == [0, 1, 2, 3]
    assert list(first["sync"].fillna("-")) == ["-", "auth.LoginRequest", "auth.LoginSuccessCreatesSession",
                                               "auth.LoginResponseSuccess"]
    assert first["trigger"].iloc[2] == "UserAuthentication.authenticate"
    assert df["duration_ms"].dtype == "float64" and str(df["started"].dtype).startswith("datetime64")
    assert (first["writes"] == [1, 0, 1, 1]).all()
    assert "secret-pw" not in repr(df["input"].tolist())


def test_trace_table_records_exceptions(app):
    app.db.faults.fail_action("Sessioning.create", RuntimeError("boom"))
    r = app.request("/login", username="alice", password="secret-pw")
    df = trace_table(app, flows=[r.flow])
    row = df[df["action"] == "Sessioning.create"].iloc[0]
    assert row["status"] == "exception" and row["exception"] == "boom" and row["error_type"] == "RuntimeError"
    assert list(trace_table(app, flows=r.request)["flow"].unique()) == [r.flow]


def test_trace_table_from_engine_run_and_exported_file(app, tmp_path):
    n = len(trace_table(app))
    assert len(trace_table(app.engine)) == n and len(trace_table(app.engine.run)) == n
    path = tmp_path / "run.json"
    app.engine.run.to_json(path)
    loaded = trace_table(Run.load(path))
    assert len(loaded) == n
    assert len(trace_table(str(path))) == n
    with pytest.raises(TypeError):
        trace_table(42)


# -- evaluations --------------------------------------------------------------------------------------
def test_evaluations_table_explains_each_miss(app):
    df = evaluations_table(app)
    timed_out = df[df["request"] == requests_table(app.db).query("path == '/api/login'")["request"].iloc[0]]
    login = timed_out[timed_out["sync"] == "auth.LoginRequest"].iloc[0]
    assert not login["matched"]
    assert login["failed_pattern"] == 0 and login["failed_key"] == "path" and login["reason"] == "literal_mismatch"
    assert login["failed_side"] == "input" and login["failed_action"] == "Requesting.request"
    assert "'/api/login', the pattern wants '/login'" in login["why"]
    assert login["fired"] == 0
    fired = df[df["fired"] > 0]
    assert set(fired["sync"]) >= {"auth.LoginRequest", "auth.LoginSuccessCreatesSession", "auth.LoginResponseSuccess"}
    assert df["matched"].dtype == bool and df["failed_pattern"].dtype == "Int64"
    assert evaluations_table(app, matched=True)["matched"].all()


def test_evaluations_table_output_key_and_where_steps(app):
    app.request("/me", session="bogus-session-000000")
    df = evaluations_table(app)
    me = df[(df["sync"] == "auth.MeRequest") & df["matched"]].iloc[-1]
    assert me["emptied_by"].startswith("filter")
    assert me["frames_steps"][0] == 1 and me["frames_steps"][-1] == 0
    assert any("Sessioning._getUser" in s and "unbound: user×1" in s for s in me["where_steps"])
    assert me["frames_where"] == 0 and me["fired"] == 0
    err = df[(df["sync"] == "auth.LoginResponseError") & (df["failed_side"] == "output")].iloc[0]
    assert err["failed_key"] == "error" and err["reason"] == "output_absent"


# -- writes and diffs --------------------------------------------------------------------------------
def test_writes_table(app):
    df = writes_table(app)
    assert list(df.columns) == ["flow", "request", "seq", "order", "action", "sync", "op", "collection", "_id",
                                "before", "after", "changed"]
    sessions = df[df["collection"] == "Sessioning.sessions"]
    assert list(sessions["op"]) == ["insert", "insert", "insert", "delete"]
    assert app.s3 not in set(sessions["_id"])  # session ids are masked, in _id and in the documents
    assert sessions.iloc[-1]["before"]["_id"] == f"{app.s3[:8]}…{app.s3[-4:]}"
    respond = df[(df["action"] == "Requesting.respond")].iloc[0]
    assert respond["op"] == "update" and respond["changed"] == ["response"]
    assert "secret-pw" not in repr(df["after"].tolist())
    revealed = writes_table(app, reveal=True, collection="Sessioning.sessions")
    assert app.s3 in set(revealed["_id"])


def test_step_diff_shows_before_and_after_of_one_step(app):
    w = writes_table(app)
    delete = w[(w["collection"] == "Sessioning.sessions") & (w["op"] == "delete")].iloc[0]
    diff = step_diff(app, int(delete["seq"]))
    assert list(diff.columns) == ["seq", "action", "op", "collection", "_id", "field", "before", "after"]
    assert set(diff["field"]) == {"_id", "user"}
    assert diff["after"].isna().all()
    respond = w[w["action"] == "Requesting.respond"].iloc[0]
    d2 = step_diff(app.engine.run, int(respond["seq"]))
    assert list(d2["field"]) == ["response"] and d2.iloc[0]["before"] is None
    action_id = next(a["id"] for a in app.engine.run.actions() if a["seq"] == int(respond["seq"]))
    assert step_diff(app, action_id).equals(d2)
    with pytest.raises(KeyError):
        step_diff(app, 10**9)
    assert step_diff(app, int(trace_table(app).query("action == 'UserAuthentication.authenticate'")["seq"].iloc[0])).empty


class _FakeServerCollection:
    """Stands in for a pymongo collection on a real server: only find() and a count."""

    def __init__(self, docs):
        self.docs = docs
        self.batch_sizes = []

    def estimated_document_count(self):
        return len(self.docs)

    def find(self, filter=None, projection=None, batch_size=0):  # noqa: A002
        self.batch_sizes.append(batch_size)
        return iter([dict(d) for d in self.docs])


def test_a_real_server_is_read_in_pymongo_batches():
    user = freshID()
    sessions = _FakeServerCollection([{"_id": freshID(), "user": user}, {"_id": ObjectId(), "user": user}])
    users = _FakeServerCollection([{"_id": user, "username": "u"}])
    db = {"Sessioning.sessions": sessions, "UserAuthentication.users": users}
    df = sessions_table(db, arrow=False)
    assert len(df) == 2 and df["user_exists"].all() and int(df["id_not_string"].sum()) == 1
    assert sessions.batch_sizes == [10_000]
    assert len(sessions_table(db)) == 2  # pymongoarrow is not installed: plain batches


def test_requests_table_masks_session_ids_quoted_in_errors():
    app = make_app(fast_hash=True, syncs="correct")
    sid = "0199aaaa-bbbb-7ccc-8ddd-eeeeffff0000"
    app.request("/logout", session=sid)
    df = requests_table(app.db)
    assert df.loc[0, "error"] == f"Session with id {sid[:8]}…{sid[-4:]} not found"
    assert requests_table(app.db, reveal=True).loc[0, "error"] == f"Session with id {sid} not found"
