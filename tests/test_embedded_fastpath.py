"""The embedded database's direct paths agree with mongomock: a differential test on random operation sequences.

Three collections receive the same operations: the kit's with its direct paths (``fast``), the
kit's with them switched off (``slow``: mongomock's own code, plus the kit's value index and
E11000 texts) and stock mongomock's ``Collection`` (``stock``). After every operation the three
must agree on the result (documents, counts, ids), on the error (type; the text too, except that
stock mongomock's E11000 has no details) and on the stored documents, types and order included.
"""

from __future__ import annotations

import datetime as dt
import re

import mongomock
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sessioning.db import embedded
from sessioning.db.embedded import FastCollection, stored_version
from sessioning.db.watch import WatchedDatabase, recording_writes

STOCK = FastCollection.__mro__[1]  # mongomock's own Collection class, before the kit's patch

# -- the vocabulary -------------------------------------------------------------------------------
class MyInt(int):
    """An int subclass: BSON encodes it, the fast paths leave it to mongomock."""


class MyStr(str):
    pass


ids = st.sampled_from(["a", "b", "c", 1, 2, 1.0, True, None, "é"]) | st.just({"k": 1})
plain_ids = st.sampled_from(["a", "b", "c", 1, 2])
UTC_PLUS_2 = dt.timezone(dt.timedelta(hours=2))
scalars = (
    st.sampled_from(["x", "y", "", "X"]) | st.integers(-2, 3) | st.sampled_from([1.0, 2.5, float("nan")])
    | st.booleans() | st.none()
    | st.sampled_from([dt.datetime(2025, 1, 2, 3, 4, 5, 678901), dt.datetime(2025, 1, 2, 3, 4, 5, 999, tzinfo=UTC_PLUS_2)])
    | st.just(2**70)  # not BSON-encodable
    # the edges of the type walk that replaces BSON.encode: 64-bit bounds, UTF-8, UTC, subclasses
    | st.sampled_from([2**63 - 1, -(2**63), 2**63, -(2**63) - 1, "é", "\ud800", (1, "x"), MyInt(3), MyStr("x")])
    | st.just(dt.datetime(2025, 1, 2, 3, 4, 5, 999999, tzinfo=dt.UTC))
)
keys = st.sampled_from(["p", "q", "$r", "s\0", "é", "a.b", "\ud800"])
subdocs = st.dictionaries(keys, scalars, max_size=2)
values = (scalars | st.lists(scalars, max_size=3) | subdocs
          | st.lists(subdocs | st.lists(scalars, max_size=2), max_size=2) | st.dictionaries(keys, subdocs, max_size=2))
names = st.sampled_from(["u", "u", "u", "v", "w"]) | st.sampled_from(["$bad", "a.b", "n\0", "_id", "", "é"])
documents = st.fixed_dictionaries({}, optional={"_id": ids | plain_ids | plain_ids}).flatmap(
    lambda head: st.dictionaries(names.filter(lambda n: n != "_id"), values, max_size=3).map(lambda rest: {**head, **rest}))
filters = (
    st.builds(lambda i: {"_id": i}, ids | plain_ids)
    | st.builds(lambda n, v: {n: v}, st.sampled_from(["u", "v"]), scalars)
    | st.builds(lambda i, v: {"_id": i, "u": v}, plain_ids, scalars)
    | st.builds(lambda v, w: {"u": v, "v": w}, scalars, scalars)
    | st.sampled_from([{}, {"u": {"$gt": 0}}, {"u": {"$exists": True}}, {"$or": [{"u": "x"}, {"v": 1}]}])
)
updates = (
    st.builds(lambda f: {"$set": f}, st.dictionaries(names, values, min_size=1, max_size=2))
    | st.sampled_from([{"$set": {}}, {"$inc": {"n": 1}}, {"$unset": {"u": ""}}, {"$set": {"u": 1}, "$inc": {"n": 1}},
                       {"$push": {"l": 1}}, {"u": 1}])
)
operations = st.one_of(
    st.tuples(st.just("insert_one"), documents),
    st.tuples(st.just("find_one"), filters),
    st.tuples(st.just("find"), filters),
    st.tuples(st.just("update_one"), filters, updates),
    st.tuples(st.just("update_one_upsert"), filters, updates),
    st.tuples(st.just("update_many"), filters, updates),
    st.tuples(st.just("replace_one"), filters, documents),
    st.tuples(st.just("delete_one"), filters),
    st.tuples(st.just("delete_many"), filters),
    st.tuples(st.just("count"), filters),
)


# -- running one operation on one collection ----------------------------------------------------------
def typed(value):
    """``value`` with its types spelled out, so that 1, 1.0 and True differ; NaN equal to NaN."""
    if isinstance(value, dict):
        return ("dict", [(k, typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [typed(v) for v in value])
    if isinstance(value, float) and value != value:
        return ("float", "nan")
    if isinstance(value, mongomock.ObjectId):
        return ("ObjectId", "-")  # generated: differs between collections
    return (type(value).__name__, value)


def result_of(result):
    """The comparable part of a pymongo result object (``connectionId`` differs per client)."""
    out = {"type": type(result).__name__}
    for attr in ("inserted_id", "matched_count", "modified_count", "upserted_id", "deleted_count", "raw_result"):
        if hasattr(result, attr):
            value = getattr(result, attr)
            if isinstance(value, dict):
                value = {k: v for k, v in value.items() if k != "connectionId"}
            out[attr] = typed(value)
    return out


def apply(coll, op):
    """``("ok", result)`` or ``("error", type name, text, details)``, for one operation on one collection."""
    name, *args = op
    args = [embedded._copy(a) for a in args]  # each collection gets its own copy (mongomock fills _id in)
    try:
        if name == "insert_one":
            out = result_of(coll.insert_one(*args))
        elif name == "find_one":
            out = typed(coll.find_one(*args))
        elif name == "find":
            out = typed(list(coll.find(*args)))
        elif name == "count":
            out = coll.count_documents(*args)
        elif name == "update_one_upsert":
            out = result_of(coll.update_one(*args, upsert=True))
        else:
            out = result_of(getattr(coll, name)(*args))
        return ("ok", out)
    except Exception as e:  # noqa: BLE001 - the comparison is the point
        text = re.sub(r"\b[0-9a-f]{24}\b", "<ObjectId>", str(e))  # generated ids differ between collections
        return ("error", type(e).__name__, text, typed(getattr(e, "details", None)))


def contents(coll):
    return typed(list(coll._store._documents.values()))


def three(unique: bool):
    fast = mongomock.MongoClient().db.get_collection("c")
    slow = mongomock.MongoClient().db.get_collection("c")
    slow.fast_paths = False
    stock_db = mongomock.MongoClient().db
    stock = STOCK(stock_db, name="c", _db_store=stock_db._store)
    assert type(fast) is FastCollection and type(stock) is STOCK
    if unique:
        for c in (fast, slow, stock):
            c.create_index("u", unique=True)
    return fast, slow, stock


def same_outcome(fast_out, slow_out, stock_out):
    assert fast_out == slow_out
    if fast_out[0] == "error" and fast_out[2].startswith("E11000"):
        # Stock mongomock says only "E11000 Duplicate Key Error": same type, no details.
        assert stock_out[:2] == fast_out[:2] and stock_out[2].startswith("E11000")
    elif fast_out[0] == "ok" and fast_out[1] == ("NoneType", None) or stock_out[0] == "error":
        assert stock_out[:3] == fast_out[:3]
    else:
        assert stock_out == fast_out


# -- the tests ------------------------------------------------------------------------------------------
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(unique=st.booleans(), ops=st.lists(operations, min_size=1, max_size=25))
def test_random_operation_sequences_agree_with_mongomock(unique, ops):
    fast, slow, stock = three(unique)
    for op in ops:
        outcomes = [apply(c, op) for c in (fast, slow, stock)]
        same_outcome(*outcomes)
        assert contents(fast) == contents(slow) == contents(stock), op


@pytest.mark.heavy
@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(unique=st.booleans(), ops=st.lists(operations, min_size=1, max_size=60))
def test_random_operation_sequences_agree_with_mongomock_heavy(unique, ops):
    test_random_operation_sequences_agree_with_mongomock.hypothesis.inner_test(unique, ops)


def test_duplicate_keys_say_index_key_and_value_on_every_path():
    for fast_paths in (True, False):
        coll = mongomock.MongoClient().db.get_collection("users")
        coll.fast_paths = fast_paths
        coll.create_index("username", unique=True)
        coll.insert_one({"_id": "u1", "username": "alice"})
        with pytest.raises(mongomock.DuplicateKeyError) as info:
            coll.insert_one({"_id": "u1", "username": "bob"})
        assert info.value.details["errmsg"] == 'E11000 duplicate key error collection: db.users index: _id_ dup key: { _id: "u1" }'
        with pytest.raises(mongomock.DuplicateKeyError) as info:
            coll.insert_one({"_id": "u2", "username": "alice"})
        assert info.value.details["keyValue"] == {"username": "alice"}
        coll.insert_one({"_id": "u3", "username": "carol"})
        with pytest.raises(mongomock.DuplicateKeyError, match="index: username_1 dup key: { username: \"alice\" }"):
            coll.update_one({"_id": "u3"}, {"$set": {"username": "alice"}})
        assert coll.find_one({"_id": "u3"}) == {"_id": "u3", "username": "carol"}  # rolled back
        assert coll.find_one({"username": "carol"}) == {"_id": "u3", "username": "carol"}


def test_stored_versions_never_change_in_place():
    """What the write recorder keeps (a stored version) stays as it was, whichever path writes next."""
    coll = mongomock.MongoClient().db.get_collection("c")
    coll.insert_one({"_id": "a", "n": 1, "tags": ["x"], "sub": {"k": 1}})
    first = stored_version(coll, "a")
    coll.update_one({"_id": "a"}, {"$set": {"n": 2}})  # the direct path
    second = stored_version(coll, "a")
    coll.update_one({"_id": "a"}, {"$inc": {"n": 1}, "$push": {"tags": "y"}})  # mongomock's, copy-on-write
    coll.update_many({}, {"$set": {"sub.k": 2}})
    coll.replace_one({"_id": "a"}, {"n": 9})
    assert first == {"_id": "a", "n": 1, "tags": ["x"], "sub": {"k": 1}}
    assert second == {"_id": "a", "n": 2, "tags": ["x"], "sub": {"k": 1}}
    assert stored_version(coll, "a") == coll.find_one({"_id": "a"}) == {"_id": "a", "n": 9}
    coll.delete_one({"_id": "a"})
    assert stored_version(coll, "a") is None and first["n"] == 1


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(ops=st.lists(operations, min_size=1, max_size=15))
def test_recorded_writes_are_the_same_with_and_without_the_direct_paths(ops):
    recorded = []
    for fast_paths in (True, False):
        db = WatchedDatabase(mongomock.MongoClient().db)
        coll = db["c"]
        coll.unwrapped.fast_paths = fast_paths
        writes: list = []
        with recording_writes(writes.append):
            for op in ops:
                apply(coll, op)
        recorded.append(typed(writes))
    assert recorded[0] == recorded[1]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(unique=st.booleans(), ops=st.lists(operations, min_size=1, max_size=20))
def test_watched_operations_agree_with_and_without_the_direct_paths(unique, ops):
    """Through the write-recording wrapper (whose insert_one/update_one take the stored versions from
    the direct paths): the same results, errors (E11000 texts included), writes recorded and contents."""
    seen = []
    for fast_paths in (True, False):
        db = WatchedDatabase(mongomock.MongoClient().db)
        coll = db["c"]
        coll.unwrapped.fast_paths = fast_paths
        if unique:
            coll.create_index("u", unique=True)
        writes: list = []
        with recording_writes(writes.append):
            outcomes = [apply(coll, op) for op in ops]
        seen.append((outcomes, typed(writes), contents(coll.unwrapped)))
    assert seen[0] == seen[1]
