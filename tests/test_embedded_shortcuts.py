"""The embedded database's per-write shortcuts give exactly what the long way gives.

Each shortcut of the direct paths (``sessioning/db``) against the code it stands for: the datetime
conversion against mongomock's, the result objects against pymongo's constructors, the known field
names against the full checks, the document copy against a deep copy, the writer lock against
mongomock's reader/writer protocol, and the value index, built only for fields a query needs.
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
import time

import mongomock
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from mongomock import helpers
from pymongo.results import InsertOneResult, UpdateResult

from sessioning.db import documents, embedded
from sessioning.db.documents import checked_stored_form, copy_document
from sessioning.db.valueindex import index_of, put_document


# -- datetimes ----------------------------------------------------------------------------------------
def _exact(value: dt.datetime) -> tuple:
    """Everything a datetime carries: fields, fold and tzinfo (equality ignores the last two)."""
    return (type(value), value.timetuple()[:6], value.microsecond, value.fold, value.tzinfo)


@settings(max_examples=500, deadline=None)
@given(moment=st.datetimes(), fold=st.sampled_from([0, 1]), utc=st.booleans())
def test_stored_datetimes_are_mongomocks_to_the_fold(moment, fold, utc):
    value = moment.replace(fold=fold, tzinfo=dt.UTC if utc else None)
    expected = helpers.patch_datetime_awareness_in_document(value)
    for stored in (checked_stored_form({"t": value})["t"],  # the field walk's inline case
                   checked_stored_form({"t": [value]})["t"][0]):  # and _walk_other's, in a list
        assert _exact(stored) == _exact(expected)


@pytest.mark.parametrize("value", [dt.datetime.min, dt.datetime.max, dt.datetime(1969, 12, 31, 23, 59, 59, 999999),
                                   dt.datetime(1970, 1, 1), dt.datetime(2024, 2, 29, 12, 0, 0, 1000)])
def test_stored_datetimes_at_the_edges(value):
    for candidate in (value, value.replace(tzinfo=dt.UTC), value.replace(fold=1)):
        expected = helpers.patch_datetime_awareness_in_document(candidate)
        assert _exact(checked_stored_form({"t": candidate})["t"]) == _exact(expected)


# -- the checked stored form --------------------------------------------------------------------------
_NAMES = st.sampled_from(["a", "b", "_id", "", "$x", "x\0", "é", "\ud800", "a.b"])
_LEAVES = (st.text(max_size=3) | st.sampled_from(["\ud800", "é", "ok"]) | st.integers(-(2**64), 2**64) | st.floats()
           | st.booleans() | st.none() | st.datetimes(timezones=st.sampled_from([dt.UTC, None])))
_DOCS = st.recursive(_LEAVES, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_NAMES, inner, max_size=3)
                     | st.tuples(inner), max_leaves=10)


def _same(a, b) -> bool:
    """Equal, of the same exact types all the way down (a datetime to the fold and tzinfo)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dt.datetime):
        return _exact(a) == _exact(b)
    return a == b or a != a and b != b  # NaN is itself here


def _containers(value, out: list) -> list:
    if isinstance(value, (dict, list)):
        out.append(value)
        for v in value.values() if isinstance(value, dict) else value:
            _containers(v, out)
    return out


@settings(max_examples=400, deadline=None)
@given(doc=st.dictionaries(_NAMES, _DOCS, max_size=4))
@example(doc={"a": "\ud800"})  # each kind of refusal at least once, whatever the draw
@example(doc={"a": {"b": ["ok", "\ud800"]}, "t": dt.datetime(2024, 1, 1, 0, 0, 0, 1234, tzinfo=dt.UTC)})
@example(doc={"a": {"$x": 1}})
@example(doc={"i": 2**63})
@example(doc={"a": {"b": {"c": dt.datetime(2024, 1, 1, 0, 0, 0, 1234)}}, "l": [{"d": 1}]})
def test_the_checked_stored_form_is_mongomocks_stored_copy_or_none(doc):
    """Every document the walk accepts, mongomock accepts too and stores as the walk's copy, sharing no
    dict or list with the caller's; one that mongomock refuses, the walk does not accept."""
    walked = checked_stored_form(doc)
    try:
        documents.validate_new(doc)
    except Exception:  # noqa: BLE001 - mongomock's error, whichever: the walk must have said None
        assert walked is None
        return
    if walked is not None:
        assert _same(walked, documents.stored_form(doc))
        mine = {id(c) for c in _containers(doc, [])}
        assert not any(id(c) in mine for c in _containers(walked, []))


def test_the_checked_stored_form_gives_up_past_the_recursion_limit():
    deep: dict = {}
    for _ in range(5000):
        deep = {"d": deep}
    assert checked_stored_form(deep) is None
    assert checked_stored_form({"a": [deep]}) is None


# -- result objects --------------------------------------------------------------------------------------
def _slots(obj) -> dict:
    """Every slot of ``obj`` along its class's MRO, by (class, name); unset slots as a marker."""
    out = {}
    for klass in type(obj).__mro__:
        for name in getattr(klass, "__slots__", ()):
            attr = f"_{klass.__name__.lstrip('_')}{name}" if name.startswith("__") else name
            out[(klass.__name__, name)] = getattr(obj, attr, "<unset>")
    return out


def test_results_are_pymongos_slot_for_slot():
    made = embedded._insert_result("r1")
    assert type(made) is InsertOneResult
    assert _slots(made) == _slots(InsertOneResult("r1", acknowledged=True))
    assert "<unset>" not in _slots(made).values()

    coll = mongomock.MongoClient().db.get_collection("c")
    for n, modified in ((0, 0), (1, 0), (1, 1)):
        made = coll._update_result(n, modified)
        raw = {"connectionId": coll.database.client._id, "err": None, "n": n, "nModified": modified, "ok": 1,
               "upserted": None, "updatedExisting": bool(n)}
        assert type(made) is UpdateResult
        assert _slots(made) == _slots(UpdateResult(raw, acknowledged=True))
        assert "<unset>" not in _slots(made).values()
        assert (made.matched_count, made.modified_count, made.upserted_id) == (n, modified, None)
    assert coll._update_result(1, 1).raw_result is not coll._update_result(1, 1).raw_result  # each its own


def test_the_direct_writes_results_are_pymongos_slot_for_slot():
    """What insert_one_stored and update_one_stored hand back (to the write recorder and to callers)."""
    coll = mongomock.MongoClient().db.get_collection("c")
    cid = coll.database.client._id
    made, stored = coll.insert_one_stored({"_id": "a", "n": 1})
    assert _slots(made) == _slots(InsertOneResult("a", acknowledged=True)) and stored == {"_id": "a", "n": 1}
    for filter, update, n, modified in (({"_id": "b"}, 1, 0, 0), ({"_id": "a"}, 1, 1, 0), ({"_id": "a"}, 2, 1, 1)):
        made = coll.update_one_stored(filter, {"$set": {"n": update}})[0]
        raw = {"connectionId": cid, "err": None, "n": n, "nModified": modified, "ok": 1, "upserted": None,
               "updatedExisting": bool(n)}
        assert _slots(made) == _slots(UpdateResult(raw, acknowledged=True))


# -- field names ---------------------------------------------------------------------------------------
class _LooksLikeAName(str):
    """Equal to (and hashed as) a known good name, but not a str: BSON and mongomock decide."""


def test_known_field_names_still_take_every_check():
    assert checked_stored_form({"fine": 1}) == {"fine": 1}
    assert "fine" in documents._GOOD_NAMES
    for bad in ("$fine", "fi\0ne", "finé", "\ud800"):
        assert checked_stored_form({bad: 1}) is None
        assert checked_stored_form({"fine": {bad: 1}}) is None
        assert bad not in documents._GOOD_NAMES
    assert checked_stored_form({_LooksLikeAName("fine"): 1}) is None  # a subclass: the checking path
    assert checked_stored_form({"": 1}) == {"": 1}  # as mongomock: an empty name is stored


def test_known_field_names_are_bounded(monkeypatch):
    monkeypatch.setattr(documents, "_GOOD_NAMES", set())
    monkeypatch.setattr(documents, "_MAX_GOOD_NAMES", 3)
    names = [f"n{i}" for i in range(10)]
    assert checked_stored_form(dict.fromkeys(names, 1)) == dict.fromkeys(names, 1)  # all accepted
    assert documents._GOOD_NAMES == {"n0", "n1", "n2"}  # the first three remembered, no more


# -- copies ----------------------------------------------------------------------------------------------
class _Sub(dict):
    pass


def test_copies_are_deep_and_plain():
    when = dt.datetime(2025, 1, 2, 3, 4, 5, 6000)
    doc = {"_id": "a", "n": 1, "sub": {"k": [1, {"x": "y"}]}, "when": when, "odd": _Sub(z=1), "t": None}
    copied = copy_document(doc)
    assert copied == copy.deepcopy(doc) and list(copied) == list(doc)
    assert type(copied["odd"]) is dict and copied["odd"] == {"z": 1}
    assert copied["when"] is when  # immutable: shared, as before
    copied["sub"]["k"][1]["x"] = "changed"
    copied["sub"]["k"].append(2)
    assert doc["sub"] == {"k": [1, {"x": "y"}]}
    assert type(copy_document(_Sub(a={"b": 1}))) is dict


# -- the writer lock -------------------------------------------------------------------------------------
def _lock_state(store) -> tuple:
    lock = store._rwlock
    return (lock._write_switch._counter, lock._read_switch._counter, lock._no_readers.locked(),
            lock._no_writers.locked())


def test_a_write_waits_for_a_reader_then_leaves_the_lock_as_it_found_it():
    store = mongomock.MongoClient().db.get_collection("c")._store
    idle = _lock_state(store)
    put_document(store, "a", {"_id": "a"})  # uncontended
    assert _lock_state(store) == idle

    reading, release, wrote = threading.Event(), threading.Event(), threading.Event()

    def reader():
        with store._rwlock.reader():
            reading.set()
            release.wait(10)

    def writer():
        put_document(store, "b", {"_id": "b"})
        wrote.set()

    threads = [threading.Thread(target=reader), threading.Thread(target=writer)]
    threads[0].start()
    assert reading.wait(10)
    threads[1].start()
    time.sleep(0.2)
    assert not wrote.is_set() and "b" not in store._documents  # held off while the reader reads
    assert store._rwlock._write_switch._counter == 1  # the contended writer turned the switch
    release.set()
    for t in threads:
        t.join(10)
    assert wrote.is_set() and store._documents["b"] == {"_id": "b"}
    assert _lock_state(store) == idle


def test_writers_in_threads_lose_nothing():
    coll = mongomock.MongoClient().db.get_collection("c")

    def write(t):
        for i in range(300):
            coll.insert_one({"_id": f"{t}-{i}", "n": i})
            coll.update_one({"_id": f"{t}-{i}"}, {"$set": {"m": i}})
            list(coll.find({"n": i}))  # mongomock's reader lock, against the direct paths' writes

    threads = [threading.Thread(target=write, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert coll.count_documents({}) == 1200 and coll.count_documents({"m": {"$exists": True}}) == 1200
    assert _lock_state(coll._store) == (0, 0, False, False)


# -- the value index -----------------------------------------------------------------------------------
def test_the_value_index_holds_only_the_fields_queried_and_follows_every_write():
    fast = mongomock.MongoClient().db.get_collection("c")
    stock_db = mongomock.MongoClient().db
    stock = embedded.FastCollection.__mro__[1](stock_db, name="c", _db_store=stock_db._store)

    def both(op, *args):
        return [getattr(c, op)(*copy.deepcopy(args)) for c in (fast, stock)]

    for i in range(6):
        both("insert_one", {"_id": i, "u": i % 3, "v": f"t{i % 2}", "w": [i]})
    assert "_kit_index" not in fast._store.__dict__  # no query yet: nothing indexed
    both("update_one", {"_id": 1}, {"$set": {"u": 2}})
    both("delete_one", {"_id": 4})
    mine, theirs = (list(c) for c in both("find", {"u": 2}))
    assert mine == theirs and [d["_id"] for d in mine] == [1, 2, 5]
    assert set(index_of(fast._store).fields) == {"u"}  # built on the first query, for its field only
    both("insert_one", {"_id": 9, "u": 2, "v": "t1"})
    both("update_one", {"_id": 0}, {"$set": {"u": 2}})
    both("delete_one", {"_id": 5})
    both("replace_one", {"_id": 2}, {"u": 7})
    for flt in ({"u": 2}, {"u": 7}, {"v": "t1"}, {"u": 2, "v": "t1"}):
        found = [list(c.find(flt)) for c in (fast, stock)]
        assert found[0] == found[1], flt
        assert fast.find_one(flt) == stock.find_one(flt), flt
    assert set(index_of(fast._store).fields) <= {"u", "v"}  # `w`, never queried, never indexed
