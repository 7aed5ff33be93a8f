"""Every action's success and error path, on the embedded database (and on a real one if configured)."""

from __future__ import annotations

import os

import pytest

from sessioning import (
    RequestingConcept,
    RequestTimeout,
    SessioningConcept,
    UserAuthenticationConcept,
    connect,
)
from sessioning.gen2025.concepts import FAST_HASHER
from sessioning.ids import is_uuid7

BACKENDS = ["embedded"] + (["real"] if os.environ.get("MONGODB_URL") else [])


@pytest.fixture(params=["embedded", "real"])
def db(request):
    if request.param == "real":
        if not os.environ.get("MONGODB_URL"):
            pytest.skip("no real MongoDB: set MONGODB_URL (and DB_NAME) to run the concept tests against a server")
        database = connect(os.environ["MONGODB_URL"], "test-sessioning-kit")
        for name in database.list_collection_names():
            database.drop_collection(name)
        yield database
        database.close()
    else:
        yield connect(embedded=True)


# -- Sessioning ------------------------------------------------------------------------------------
def test_create_inserts_a_uuid7_session_and_logs_the_seed_lines(db, capsys):
    s = SessioningConcept(db)
    out = s.create(user="u1")
    assert set(out) == {"session"} and is_uuid7(out["session"])
    assert db["Sessioning.sessions"].find_one({"_id": out["session"]}) == {"_id": out["session"], "user": "u1"}
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("[Sessioning.create] Attempting to insert session for user: u1 with ID: ")
    assert lines[1].startswith("[Sessioning.create] Successfully created session: ")


def test_create_returns_the_seed_error_and_leaves_nothing_when_the_insert_fails(db, capsys):
    s = SessioningConcept(db)
    db.faults.fail_inserts("Sessioning.sessions", "auto_reconnect")
    out = s.create(user="u1")
    assert out == {"error": "Failed to create session: connection reset by peer (injected fault)"}
    assert db["Sessioning.sessions"].count_documents({}) == 0
    err = capsys.readouterr().err
    assert "[Sessioning.create] Error creating session for user u1:" in err
    assert s.create(user="u1").keys() == {"session"}  # the fault fired once only


def test_delete_removes_the_session_and_a_second_delete_is_an_error(db):
    s = SessioningConcept(db)
    session = s.create(user="u1")["session"]
    assert s.delete(session=session) == {}
    assert db["Sessioning.sessions"].count_documents({}) == 0
    assert s.delete(session=session) == {"error": f"Session with id {session} not found"}


def test_get_user_returns_the_user_or_a_one_element_error_list(db):
    s = SessioningConcept(db)
    session = s.create(user="u1")["session"]
    assert s._getUser(session=session) == [{"user": "u1"}]
    assert s._getUser(session="nope") == [{"error": "Session with id nope not found"}]


@pytest.mark.parametrize("bad", [{"$ne": None}, ["a"], 42, None, "", "x" * 5000, b"\xff\xfe"])
def test_non_string_ids_are_refused_and_never_reach_a_query(db, bad):
    s = SessioningConcept(db)
    s.create(user="victim")
    got = s._getUser(session=bad)
    assert len(got) == 1 and "error" in got[0] and "user" not in got[0]
    assert "error" in s.delete(session=bad)
    assert db["Sessioning.sessions"].count_documents({}) == 1
    assert "error" in s.create(user=bad)


# -- UserAuthentication ------------------------------------------------------------------------------
def test_register_then_authenticate(db):
    a = UserAuthenticationConcept(db, hasher=FAST_HASHER)
    # a password with a space: it cannot turn up in the hash's base64 by chance, as "pw" could
    user = a.register(username="alice", password="correct horse")["user"]
    assert is_uuid7(user)
    assert a.authenticate(username="alice", password="correct horse") == {"user": user}
    doc = db["UserAuthentication.users"].find_one({"_id": user})
    assert doc["passwordHash"].startswith("$argon2id$") and "correct horse" not in doc["passwordHash"]
    assert a._getUserByUsername(username="alice") == [{"user": user}]
    assert a._getUsername(user=user) == [{"username": "alice"}]
    assert a._getUserByUsername(username="nobody") == [] and a._getUsername(user="nobody") == []


def test_register_twice_and_wrong_credentials_give_the_reference_messages(db):
    a = UserAuthenticationConcept(db, hasher=FAST_HASHER)
    a.register(username="alice", password="pw")
    assert a.register(username="alice", password="other") == {"error": "Username already exists"}
    assert a.authenticate(username="alice", password="bad") == {"error": "Invalid username or password"}
    assert a.authenticate(username="bob", password="pw") == {"error": "Invalid username or password"}
    assert db["UserAuthentication.users"].count_documents({}) == 1


def test_the_unique_username_index_exists_before_the_first_insert(db):
    UserAuthenticationConcept(db, hasher=FAST_HASHER)
    info = db["UserAuthentication.users"].index_information()
    assert any(ix.get("unique") and ix["key"] == [("username", 1)] for ix in info.values())


def test_a_race_past_the_precheck_is_still_username_already_exists(db):
    a = UserAuthenticationConcept(db, hasher=FAST_HASHER)
    db["UserAuthentication.users"].insert_one({"_id": "x", "username": "alice", "passwordHash": "h"})
    a.users.find_one = lambda *_a, **_k: None  # as if another request inserted between check and insert
    assert a.register(username="alice", password="pw") == {"error": "Username already exists"}


@pytest.mark.parametrize("bad", [{"$ne": None}, 3, None, ""])
def test_authentication_refuses_non_string_credentials(db, bad):
    a = UserAuthenticationConcept(db, hasher=FAST_HASHER)
    a.register(username="alice", password="pw")
    assert "error" in a.register(username=bad, password="pw")
    assert a.authenticate(username=bad, password="pw") == {"error": "Invalid username or password"}
    assert a.authenticate(username="alice", password=bad) == {"error": "Invalid username or password"}


# -- Requesting ------------------------------------------------------------------------------------
def test_request_is_stored_with_its_whole_body(db):
    r = RequestingConcept(db)
    rid = r.request(path="/login", username="a", password="pw")["request"]
    doc = db["Requesting.requests"].find_one({"_id": rid})
    assert doc["input"] == {"path": "/login", "username": "a", "password": "pw"} and "createdAt" in doc


def test_first_respond_is_what_the_caller_gets_and_the_last_is_stored(db):
    r = RequestingConcept(db)
    rid = r.request(path="/x")["request"]
    assert r.respond(request=rid, status="first") == {"request": rid}
    r.respond(request=rid, status="second")
    assert r._awaitResponse(request=rid) == [{"response": {"status": "first"}}]
    assert db["Requesting.requests"].find_one({"_id": rid})["response"] == {"status": "second"}


def test_await_without_a_response_times_out_with_the_template_message(db):
    r = RequestingConcept(db, timeout=10000)
    rid = r.request(path="/x")["request"]
    with pytest.raises(RequestTimeout, match=f"^Request {rid} timed out after 10000ms$"):
        r._awaitResponse(request=rid)
    with pytest.raises(RuntimeError, match="is not pending or does not exist: it may have timed-out."):
        r._awaitResponse(request=rid)


def test_await_can_really_wait(db):
    r = RequestingConcept(db, timeout=50)
    rid = r.request(path="/x")["request"]
    with pytest.raises(RequestTimeout, match="timed out after 50ms"):
        r._awaitResponse(request=rid, wait=True)


def test_requesting_timeout_comes_from_the_environment(db, monkeypatch):
    monkeypatch.setenv("REQUESTING_TIMEOUT", "2500")
    assert RequestingConcept(db).timeout == 2500


def test_respond_refuses_a_dict_as_request_id(db):
    r = RequestingConcept(db)
    r.request(path="/x")
    assert "error" in r.respond(request={"$ne": None}, x=1)
    assert db["Requesting.requests"].count_documents({"response": {"$exists": True}}) == 0
