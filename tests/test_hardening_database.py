"""Hardening — read-only is read-only, and every write is recorded (issue 15, item 9).

A ``readonly=True`` handle used to write through sub-collections (``db['a']['b']``), attribute
collections (``db.users``), ``with_options()``, ``create_collection``, ``rename``, the client, index
drops and write commands: read-only is now deny-by-default (an allow-list of reads). The write record
used to miss ``find_one_and_update``/``find_one_and_replace`` upserts, ``bulk_write`` and the
applied part of a failed ``insert_many``.
"""

from __future__ import annotations

import pytest
from pymongo import DeleteMany, DeleteOne, InsertOne, ReturnDocument, UpdateMany
from pymongo.errors import BulkWriteError

from sessioning import ReadOnlyError, connect
from sessioning.db.embedded import all_documents
from sessioning.db.watch import recording_writes


@pytest.fixture
def ro():
    """A read-only handle on a database that holds one document in ``a``."""
    db = connect(embedded=True)
    db["a"].insert_one({"_id": "x", "n": 1})
    db["a"].create_index("n")
    return connect.__globals__["WatchedDatabase"](db.unwrapped, readonly=True, client=None)


WRITES = {
    "sub_collection": lambda db: db["a"]["b"].insert_one({"_id": 1}),
    "attribute_collection": lambda db: db.a.insert_one({"_id": 2}),
    "attribute_sub_collection": lambda db: db.a.b.insert_one({"_id": 3}),
    "with_options": lambda db: db["a"].with_options().insert_one({"_id": 4}),
    "db_with_options": lambda db: db.with_options()["a"].insert_one({"_id": 5}),
    "get_collection_kwargs": lambda db: db.get_collection("a", write_concern=None).delete_many({}),
    "create_collection": lambda db: db.create_collection("new"),
    "rename": lambda db: db["a"].rename("renamed"),
    "client_database": lambda db: db.client[db.name]["a"].delete_many({}),
    "client_get_database": lambda db: db.client.get_database(db.name)["a"].delete_many({}),
    "client_drop_database": lambda db: db.client.drop_database(db.name),
    "drop_index": lambda db: db["a"].drop_index("n_1"),
    "drop_indexes": lambda db: db["a"].drop_indexes(),
    "create_indexes": lambda db: db["a"].create_indexes([]),
    "drop_collection": lambda db: db.drop_collection("a"),
    "bulk_write": lambda db: db["a"].bulk_write([DeleteOne({"_id": "x"})]),
    "command_drop": lambda db: db.command("drop", "a"),
    "command_delete": lambda db: db.command({"delete": "a", "deletes": [{"q": {}, "limit": 0}]}),
    "aggregate_out": lambda db: db["a"].aggregate([{"$match": {}}, {"$out": "copy"}]),
    "find_one_and_delete": lambda db: db["a"].find_one_and_delete({"_id": "x"}),
}


@pytest.mark.parametrize("name", WRITES)
def test_read_only_refuses_every_write_path(ro, name):
    before = all_documents(ro.unwrapped["a"])
    names = sorted(ro.unwrapped.list_collection_names())
    with pytest.raises(ReadOnlyError, match="read-only"):
        WRITES[name](ro)
    assert all_documents(ro.unwrapped["a"]) == before
    assert sorted(ro.unwrapped.list_collection_names()) == names


READS = {
    "find": lambda db: list(db["a"].find({})),
    "attribute_find": lambda db: db.a.find_one({"_id": "x"}),
    "count": lambda db: db["a"].count_documents({}),
    "distinct": lambda db: db["a"].distinct("n"),
    "indexes": lambda db: db["a"].index_information(),
    "names": lambda db: db.list_collection_names(),
    "aggregate": lambda db: list(db["a"].aggregate([{"$match": {"n": 1}}])),
    "with_options_find": lambda db: db["a"].with_options().find_one({}),
    "client_read": lambda db: db.client[db.name]["a"].find_one({}),
    "name": lambda db: (db.name, db["a"].name, db["a"].full_name),
}


@pytest.mark.parametrize("name", READS)
def test_read_only_still_reads(ro, name):
    READS[name](ro)


def test_hasattr_on_a_read_only_handle_does_not_raise(ro):
    assert hasattr(ro["a"], "insert_one") and hasattr(ro, "create_collection")


def _recorded(db, fn):
    writes: list[dict] = []
    with recording_writes(writes.append):
        fn(db)
    return [(w["op"], w["_id"]) for w in writes]


@pytest.fixture
def db():
    db = connect(embedded=True)
    db["c"].insert_many([{"_id": "a", "n": 1}, {"_id": "b", "n": 2}])
    return db


def test_find_one_and_update_upsert_is_recorded(db):
    got = _recorded(db, lambda d: d["c"].find_one_and_update({"_id": "new"}, {"$set": {"n": 9}}, upsert=True))
    assert got == [("insert", "new")]
    got = _recorded(db, lambda d: d["c"].find_one_and_update({"_id": "new2"}, {"$set": {"n": 9}}, upsert=True,
                                                              return_document=ReturnDocument.AFTER))
    assert got == [("insert", "new2")]


def test_find_one_and_replace_upsert_is_recorded(db):
    got = _recorded(db, lambda d: d["c"].find_one_and_replace({"_id": "r"}, {"n": 5}, upsert=True))
    assert got == [("insert", "r")]


def test_find_one_and_update_with_sort_records_the_document_it_changed(db):
    got = _recorded(db, lambda d: d["c"].find_one_and_update({}, {"$set": {"n": 0}}, sort=[("n", -1)]))
    assert got == [("update", "b")]


def test_bulk_write_is_recorded(db):
    # (the embedded database's bulk_write refuses UpdateOne/ReplaceOne of pymongo ≥ 4.11: their ``sort``)
    ops = [InsertOne({"_id": "i", "n": 3}), InsertOne({"_id": "j", "n": 4}), UpdateMany({"_id": "a"}, {"$inc": {"n": 1}}),
           UpdateMany({"_id": "u"}, {"$set": {"n": 7}}, upsert=True), DeleteOne({"_id": "i"}),
           DeleteMany({"_id": "b"})]
    got = _recorded(db, lambda d: d["c"].bulk_write(ops))
    assert sorted(got) == [("delete", "b"), ("insert", "j"), ("insert", "u"), ("update", "a")]


def test_bulk_write_applies_faults_per_request(db):
    db.faults.fail_deletes("c")
    with pytest.raises(Exception, match="injected"):
        db["c"].bulk_write([DeleteOne({"_id": "a"})])
    assert db["c"].count_documents({}) == 2


def test_partial_insert_many_records_what_was_inserted(db):
    docs = [{"_id": "p1"}, {"_id": "a"}, {"_id": "p2"}]  # "a" exists: a duplicate key
    writes: list[dict] = []
    with recording_writes(writes.append), pytest.raises(BulkWriteError):
        db["c"].insert_many(docs)
    assert [(w["op"], w["_id"]) for w in writes] == [("insert", "p1")]
    writes.clear()
    with recording_writes(writes.append), pytest.raises(BulkWriteError):
        db["c"].insert_many([{"_id": "q1"}, {"_id": "b"}, {"_id": "q2"}], ordered=False)
    assert [(w["op"], w["_id"]) for w in writes] == [("insert", "q1"), ("insert", "q2")]


def test_writes_through_sub_collections_are_recorded(db):
    assert _recorded(db, lambda d: d["c"]["sub"].insert_one({"_id": "s"})) == [("insert", "s")]
    assert _recorded(db, lambda d: d.c.insert_one({"_id": "t"})) == [("insert", "t")]
