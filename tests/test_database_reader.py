"""diagnose_database(): what an app's own database says, read-only."""

from __future__ import annotations

import pytest
from bson import ObjectId

from sessioning import console, make_app
from sessioning.db.connect import connect
from sessioning.db.embedded import embedded_client
from sessioning.db.watch import WatchedDatabase
from sessioning.gen2025.diagnosis import diagnose
from sessioning.gen2025.diagnosis.database import diagnose_database, session_collections
from sessioning.ids import freshID


@pytest.fixture(autouse=True)
def _quiet():
    with console.quiet():
        yield


def codes(findings):
    return [f.code for f in findings]


def test_requests_without_a_response():
    app = make_app(fast_hash=True, syncs="correct")
    app.request("/register", username="a", password="p")
    t1 = app.request("/api/login", username="a", password="p")
    t2 = app.request("/api/login", username="a", password="p")
    found = [f for f in diagnose_database(db=app.db) if f.code == "F10"]
    assert len(found) == 1  # grouped by path
    f = found[0]
    assert f.source == "db" and f.severity == "warning"
    assert "2 request(s) to '/api/login' have no stored response" in f.explanation
    assert f.request == t2.request and t1.request in f.evidence
    assert "diagnose(app)" in f.fix


def test_requests_explained_by_a_run_are_skipped():
    app = make_app(fast_hash=True, syncs="correct")
    r = app.request("/nowhere")
    assert not [f for f in diagnose_database(db=app.db, skip_requests={r.request}) if f.code == "F10"]


def test_sessions_pointing_to_missing_users():
    db = connect(embedded=True)
    user = freshID()
    ghost = freshID()
    db["UserAuthentication.users"].insert_one({"_id": user, "username": "u"})
    db["Sessioning.sessions"].insert_many([{"_id": freshID(), "user": user}, {"_id": freshID(), "user": ghost}])
    found = [f for f in diagnose_database(db=db) if f.code == "F17"]
    assert len(found) == 1
    f = found[0]
    assert "1 of 2 sessions" in f.explanation and "do not exist" in f.explanation
    assert ghost in f.explanation and "UserAuthentication.users" in f.explanation


def test_objectid_string_mixup_in_ids():
    db = connect(embedded=True)
    oid = ObjectId()
    db["UserAuthentication.users"].insert_one({"_id": oid, "username": "u"})
    db["Sessioning.sessions"].insert_many([
        {"_id": ObjectId(), "user": oid},
        {"_id": freshID(), "user": str(oid)},  # the same user id as a string: never equal
    ])
    found = [f for f in diagnose_database(db=db) if f.code == "F17"]
    texts = " ".join(f.explanation for f in found)
    mixup = next(f for f in found if f.severity == "error")
    assert "ObjectId" in mixup.explanation and "never equals the string" in mixup.explanation
    assert "1 session ids" in mixup.explanation and "1 `user` values" in mixup.explanation
    assert "freshID()" in mixup.fix
    assert "the same id in two types never matches" in texts  # the orphan is a type twin


def test_test_database_in_use():
    db = connect(embedded=True, db_name="test-myapp")
    f = next(f for f in diagnose_database(db=db) if f.code == "F19")
    assert "test-myapp" in f.explanation and "testDb()" in f.explanation
    assert "myapp" in f.fix and "@concepts" in f.fix


def test_test_database_beside_an_empty_real_one():
    client = embedded_client()
    client["test-myapp"]["Sessioning.sessions"].insert_one({"_id": freshID(), "user": "u"})
    client["myapp"]["Requesting.requests"].insert_one({"_id": freshID(), "input": {"path": "/x"}, "response": {}})
    db = WatchedDatabase(client["myapp"], client=client)
    f = next(f for f in diagnose_database(db=db) if f.code == "F19")
    assert f.severity == "warning"
    assert "test-myapp" in f.explanation and "probably runs against the test database" in f.explanation


def test_session_collections_under_other_names():
    db = connect(embedded=True)
    db["Session.sessions"].insert_one({"_id": freshID(), "user": "u"})
    db["sessions"].insert_one({"_id": freshID(), "user": "u"})
    db["Other.things"].insert_one({"_id": 1})
    assert session_collections(db) == ["Session.sessions", "sessions"]
    f = next(f for f in diagnose_database(db=db) if f.code == "F17")
    assert "`Sessioning.sessions` is not in this database" in f.explanation
    assert "`Session.sessions` (1 documents)" in f.explanation
    assert "sessions_collection='Session.sessions'" in f.fix


def test_renamed_collection_and_fields_are_parameters():
    db = connect(embedded=True)
    db["Auth.accounts"].insert_one({"_id": "acc", "login": "z"})
    db["Session.sessions"].insert_one({"_id": freshID(), "userId": "nobody"})
    found = diagnose_database(db=db, sessions_collection="Session.sessions", user_field="userId",
                              users_collection="Auth.accounts")
    assert [f for f in found if f.code == "F17" and "do not exist" in f.explanation]


def test_a_clean_database_has_no_findings():
    app = make_app(fast_hash=True, syncs="correct")
    app.request("/register", username="a", password="p")
    app.request("/login", username="a", password="p")
    assert diagnose_database(db=app.db) == []


def test_reads_only_and_connects_from_an_env_file(tmp_path, monkeypatch):
    monkeypatch.delenv("MONGODB_URL", raising=False)
    env = tmp_path / ".env"
    env.write_text("DB_NAME=myapp\n")  # no MONGODB_URL: the embedded database (empty)
    assert diagnose_database(env_file=str(env)) == []
    db = connect(embedded=True, readonly=True)
    assert diagnose_database(db=db) == []


def test_diagnose_accepts_a_database_alone():
    db = connect(embedded=True)
    db["Sessioning.sessions"].insert_one({"_id": ObjectId(), "user": "u"})
    df = diagnose(db=db)
    assert "F17" in set(df["code"]) and (df["source"] == "db").all()


def test_session_ids_in_findings_are_masked():
    db = connect(embedded=True)
    db["UserAuthentication.users"].insert_one({"_id": "u1", "username": "u"})
    sid = freshID()
    db["Sessioning.sessions"].insert_one({"_id": sid, "user": "ghost-user-id"})
    f = next(f for f in diagnose_database(db=db) if f.code == "F17")
    assert sid not in (f.evidence or "") and f"{sid[:8]}…{sid[-4:]}" in f.evidence
    revealed = next(f for f in diagnose_database(db=db, reveal=True) if f.code == "F17")
    assert sid in revealed.evidence


def test_duplicate_usernames_are_duplicate_key_candidates():
    db = connect(embedded=True)
    db["UserAuthentication.users"].insert_many([
        {"_id": freshID(), "username": "ann"}, {"_id": freshID(), "username": "ann"}, {"_id": freshID(), "username": "bo"}])
    f = next(f for f in diagnose_database(db=db) if f.code == "F16")
    assert "'ann' ×2" in f.explanation and "unique index" in f.explanation
    assert "E11000" in f.explanation
