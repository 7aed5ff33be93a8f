"""connect(): embedded by default, real MongoDB when configured, clear errors fast, secrets masked."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from sessioning import ConnectionProblem, connect, freshID, uuid7_time
from sessioning.db.embedded import all_documents
from sessioning.ids import is_uuid7
from sessioning.masking import mask_uri


def test_connect_without_configuration_is_embedded(monkeypatch, tmp_path):
    monkeypatch.delenv("MONGODB_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    db = connect()
    assert db.embedded and "embedded" in repr(db)
    db["c"].insert_one({"_id": "a"})
    assert db["c"].find_one({"_id": "a"}) == {"_id": "a"}


def test_each_embedded_connection_is_a_fresh_database():
    a, b = connect(embedded=True), connect(embedded=True)
    a["c"].insert_one({"_id": 1})
    assert b["c"].count_documents({}) == 0


def test_an_unreachable_server_fails_within_5_seconds_naming_the_host_not_the_password():
    start = time.monotonic()
    with pytest.raises(ConnectionProblem) as info:
        connect("mongodb://alice:s3cretPW@127.0.0.1:1/", "app", timeout=2)
    assert time.monotonic() - start < 5
    msg = str(info.value)
    assert "127.0.0.1:1" in msg and "s3cretPW" not in msg
    assert "not running" in msg or "no MongoDB server" in msg
    assert "What to do" in msg


def test_env_file_is_read_like_the_template(tmp_path, monkeypatch):
    monkeypatch.delenv("MONGODB_URL", raising=False)
    env = tmp_path / ".env"
    env.write_text("MONGODB_URL=mongodb://bob:pw@127.0.0.1:1\nDB_NAME=app\n")
    with pytest.raises(ConnectionProblem, match="127.0.0.1:1"):
        connect(env_file=env, timeout=1)


def test_missing_db_name_and_bad_uris_say_what_to_do(tmp_path):
    with pytest.raises(ConnectionProblem, match="DB_NAME"):
        connect("mongodb://127.0.0.1:1")
    with pytest.raises(ConnectionProblem, match="malformed URI"):
        connect("http://example", "app")
    with pytest.raises(ConnectionProblem, match="not a valid MongoDB database name"):
        connect("mongodb://127.0.0.1:1", "bad/name")
    with pytest.raises(ConnectionProblem, match="No .env file"):
        connect(env_file=tmp_path / "missing.env")


def test_uri_credentials_are_masked():
    assert mask_uri("mongodb+srv://alice:s3cret@cluster0.ab.mongodb.net/db?x=1") == "mongodb+srv://alice:****@cluster0.ab.mongodb.net/db?x=1"
    assert mask_uri("mongodb://host:27017") == "mongodb://host:27017"


def test_read_only_connections_refuse_writes():
    from sessioning import ReadOnlyError

    db = connect(embedded=True, readonly=True)
    with pytest.raises(ReadOnlyError, match="read-only"):
        db["x"].insert_one({"a": 1})
    with pytest.raises(ReadOnlyError):
        db["x"].delete_many({})


def test_fresh_ids_are_lowercase_uuid7_in_order_and_datable():
    ids = [freshID() for _ in range(2000)]
    assert all(is_uuid7(i) for i in ids) and ids == sorted(ids) and len(set(ids)) == len(ids)
    when = uuid7_time(ids[0])
    assert abs((dt.datetime.now(dt.UTC) - when).total_seconds()) < 5
    assert uuid7_time("019a6e2c-7bbb-7000-8000-000000000000") == dt.datetime(2025, 11, 10, 14, 30, 0, 379000, tzinfo=dt.UTC)
    assert uuid7_time("not-an-id") is None and uuid7_time({"$ne": None}) is None


def test_embedded_duplicate_keys_carry_the_servers_message_and_details():
    from pymongo.errors import DuplicateKeyError

    db = connect(embedded=True, db_name="app")
    users = db["UserAuthentication.users"]
    users.create_index("username", unique=True)
    users.insert_one({"_id": "1", "username": "alice"})
    with pytest.raises(DuplicateKeyError) as info:
        users.insert_one({"_id": "2", "username": "alice"})
    assert str(info.value).startswith('E11000 duplicate key error collection: app.UserAuthentication.users index: username_1 dup key: { username: "alice" }')
    assert info.value.details["keyValue"] == {"username": "alice"}
    assert users.count_documents({}) == 1
    with pytest.raises(DuplicateKeyError, match="index: _id_"):
        users.insert_one({"_id": "1", "username": "bob"})


def test_embedded_lookups_and_updates_keep_mongodb_semantics():
    db = connect(embedded=True)
    c = db["c"]
    c.insert_many([{"_id": i, "k": i % 3, "tags": ["a", str(i)]} for i in range(30)])
    assert [d["_id"] for d in c.find({"k": 1})] == list(range(1, 30, 3))
    assert c.find_one({"k": 2})["_id"] == 2
    assert c.find_one({"tags": "7"})["_id"] == 7  # arrays match by element
    c.update_one({"_id": 4}, {"$set": {"k": 9}})
    assert c.find_one({"k": 9})["_id"] == 4 and c.find_one({"_id": 4})["k"] == 9
    c.delete_one({"_id": 4})
    assert c.find_one({"k": 9}) is None
    docs = all_documents(c)
    assert len(docs) == 29 and docs[0]["_id"] == 0
    got = c.find_one({"_id": 5})
    got["k"] = "mutated"
    assert c.find_one({"_id": 5})["k"] == 2  # callers get copies
