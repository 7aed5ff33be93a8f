"""The embedded in-process database: mongomock, with its three slow paths and its bare E11000 fixed.

Measured on these machines (tools-and-peers.md), stock mongomock:

* iterates cursors in quadratic time (``Cursor.__next__`` re-slices the result list per document);
* scans the whole collection for ``find_one({"_id": x})``;
* scans the whole collection per insert for every unique index (10,000 inserts: 147 s);
* raises ``E11000 Duplicate Key Error`` with no index, key or value.

Importing this module patches mongomock's ``Collection`` and ``Cursor`` classes (process-wide,
semantics unchanged): ``_id`` equality is a dictionary look-up, simple equality filters use a plain
comparison before falling back to mongomock's matcher, cursors iterate in linear time, and
duplicate keys raise the real server's message with ``keyPattern``/``keyValue`` details.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import mongomock
import mongomock.collection as _mcoll
import mongomock.database as _mdb
import mongomock.results
import mongomock.store
from mongomock import DuplicateKeyError
from mongomock.filtering import filter_applies

_SCALARS = (str, int, float)


def _simple_equality(filter: Any) -> dict[str, Any] | None:
    """``{field: scalar, …}`` with no operators, dots or None values, else ``None``."""
    if type(filter) is not dict and not isinstance(filter, Mapping) or not filter:
        return None
    for key, value in filter.items():
        if not isinstance(key, str) or key.startswith("$") or "." in key:
            return None
        if isinstance(value, bool) or not isinstance(value, _SCALARS):
            return None
    return dict(filter)


def _js_value(value: Any) -> str:
    return json.dumps(value) if isinstance(value, (str, int, float, bool)) or value is None else repr(value)


def _copy(value: Any) -> Any:
    """Deep copy of BSON-like data (dicts, lists, scalars), faster than copy.deepcopy."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def duplicate_key_error(namespace: str, index_name: str, key_values: dict[str, Any]) -> DuplicateKeyError:
    """A DuplicateKeyError worded and detailed like a real MongoDB server's."""
    dup = ", ".join(f"{k}: {_js_value(v)}" for k, v in key_values.items())
    message = f"E11000 duplicate key error collection: {namespace} index: {index_name} dup key: {{ {dup} }}"
    details = {
        "index": 0,
        "code": 11000,
        "errmsg": message,
        "keyPattern": {k: 1 for k in key_values},
        "keyValue": dict(key_values),
    }
    return DuplicateKeyError(message, 11000, details)


class _ValueIndex:
    """field → value → ids, for one collection's documents; built lazily per queried field."""

    def __init__(self) -> None:
        self.fields: dict[str, dict[Any, set]] = {}
        self.odd: dict[str, set] = {}  # ids whose value is not hashable (arrays, sub-documents)
        self.seq: dict[Any, int] = {}  # insertion order, as mongomock's OrderedDict keeps it
        self.next_seq = 0

    def build(self, field: str, documents: Mapping[Any, dict]) -> None:
        self.fields[field] = {}
        self.odd[field] = set()
        for key, doc in documents.items():
            if key not in self.seq:
                self.seq[key] = self.next_seq
                self.next_seq += 1
            self._add_one(field, key, doc)

    def _add_one(self, field: str, key: Any, doc: dict) -> None:
        if field not in doc:
            return
        value = doc[field]
        if isinstance(value, _SCALARS) and not isinstance(value, bool):
            self.fields[field].setdefault(value, set()).add(key)
        else:
            self.odd[field].add(key)

    def add(self, key: Any, doc: dict) -> None:
        if key not in self.seq:
            self.seq[key] = self.next_seq
            self.next_seq += 1
        for field in self.fields:
            self._add_one(field, key, doc)

    def remove(self, key: Any, doc: dict, forget: bool = False) -> None:
        if forget:
            self.seq.pop(key, None)
        for field, values in self.fields.items():
            value = doc.get(field)
            if isinstance(value, _SCALARS) and not isinstance(value, bool):
                ids = values.get(value)
                if ids is not None:
                    ids.discard(key)
                    if not ids:
                        del values[value]
            self.odd[field].discard(key)

    def candidates(self, field: str, value: Any, documents: Mapping[Any, dict]) -> list:
        """Keys that may hold ``field == value``, in insertion order."""
        if field not in self.fields:
            self.build(field, documents)
        keys = list(self.fields[field].get(value, ())) + list(self.odd[field])
        if len(keys) > 1:
            keys.sort(key=lambda k: self.seq.get(k, 0))
        return keys


def _index_of(store: Any) -> _ValueIndex:
    index = store.__dict__.get("_kit_index")
    if index is None:
        index = store._kit_index = _ValueIndex()
    return index


def _patch_store() -> None:
    """Keep each collection's value index in step with every write mongomock makes."""
    store_cls = mongomock.store.CollectionStore
    if getattr(store_cls, "_kit_patched", False):
        return
    orig_set, orig_del, orig_drop = store_cls.__setitem__, store_cls.__delitem__, store_cls.drop

    def setitem(self, key, val):
        index = self.__dict__.get("_kit_index")
        if index is not None:
            old = self._documents.get(key)
            if old is not None:
                index.remove(key, old)
        orig_set(self, key, val)
        if index is not None:
            index.add(key, val)

    def delitem(self, key):
        index = self.__dict__.get("_kit_index")
        if index is not None and key in self._documents:
            index.remove(key, self._documents[key], forget=True)
        orig_del(self, key)

    def drop(self):
        self.__dict__.pop("_kit_index", None)
        orig_drop(self)

    store_cls.__setitem__, store_cls.__delitem__, store_cls.drop = setitem, delitem, drop
    store_cls._kit_patched = True


class FastCollection(_mcoll.Collection):
    """mongomock's Collection with hashed equality look-ups and detailed duplicate-key errors."""

    def _iter_documents(self, filter):  # noqa: A002 - mongomock's signature
        simple = _simple_equality(filter)
        if simple is None:
            return super()._iter_documents(filter)
        documents = self._store._documents
        if "_id" in simple:
            doc = documents.get(simple["_id"])
            if doc is None:
                return iter(())
            # Found by its key, so `{_id: x}` alone holds; other fields go to mongomock's matcher.
            return iter([doc] if len(simple) == 1 or filter_applies(filter, doc) else [])
        field, value = next(iter(simple.items()))
        index = _index_of(self._store)
        keys = index.candidates(field, value, documents)
        exact = len(simple) == 1 and not index.odd.get(field)
        # Candidates in insertion order, as a scan would give; mongomock's matcher has the last word
        # unless the hash bucket alone already answers the filter.
        return iter([documents[k] for k in keys if k in documents and (exact or filter_applies(filter, documents[k]))])

    def find_one(self, filter=None, *args, **kwargs):  # noqa: A002
        # The common point look-up, without building a cursor: same result as mongomock's.
        if not args and not kwargs and _simple_equality(filter) is not None:
            for doc in self._iter_documents(filter):
                return _copy(doc)
            return None
        return super().find_one(filter, *args, **kwargs)

    def update_one(self, filter, update, upsert=False, *args, **kwargs):  # noqa: A002
        # `{_id: x}` + `$set` of plain top-level fields (how Requesting stores a response): done
        # in place, as mongomock would, unless a unique index could be involved.
        simple = _simple_equality(filter)
        if (
            not args and not kwargs and not upsert and simple is not None and list(simple) == ["_id"]
            and isinstance(update, Mapping) and list(update) == ["$set"] and isinstance(update["$set"], Mapping)
            and update["$set"] and all(isinstance(k, str) and k and "." not in k and not k.startswith("$") and k != "_id"
                                       for k in update["$set"])
            and not any(ix.get("unique") for name, ix in self._store.indexes.items() if name != "_id_")
        ):
            doc = self._store._documents.get(simple["_id"])
            if doc is None:
                return mongomock.results.UpdateResult({"n": 0, "nModified": 0, "ok": 1.0, "updatedExisting": False}, acknowledged=True)
            changed = 0
            for key, value in update["$set"].items():
                value = _copy(value)
                if key not in doc or doc[key] != value:
                    doc[key] = value
                    changed = 1
            self._store.__dict__.pop("_kit_index", None)
            return mongomock.results.UpdateResult({"n": 1, "nModified": changed, "ok": 1.0, "updatedExisting": True}, acknowledged=True)
        return super().update_one(filter, update, upsert, *args, **kwargs)

    def _update(self, *args, **kwargs):
        # mongomock updates documents in place, behind the store's back: rebuild the index lazily.
        try:
            return super()._update(*args, **kwargs)
        finally:
            self._store.__dict__.pop("_kit_index", None)

    def _insert(self, data, session=None, ordered=True):
        if isinstance(data, Mapping) and "_id" in data:
            key = data["_id"]
            if isinstance(key, (str, int)) and key in self._store._documents:
                raise duplicate_key_error(self.full_name, "_id_", {"_id": key})
        return super()._insert(data, session=session, ordered=ordered)

    def _ensure_uniques(self, new_data):
        # Same rule as mongomock (``new_data`` is already stored), through the value index instead
        # of a scan per insert, and with the server's message on a collision.
        documents = self._store._documents
        for name, index in self._store.indexes.items():
            if not index.get("unique"):
                continue
            fields = [key for key, _ in index.get("key")]
            values = {f: new_data.get(f) for f in fields}
            first = values[fields[0]]
            if (
                index.get("partialFilterExpression") is not None
                or any("." in f for f in fields)
                or not isinstance(first, _SCALARS)
                or isinstance(first, bool)
            ):
                super()._ensure_uniques(new_data)
                continue
            if index.get("sparse") and all(v is None for v in values.values()):
                continue
            keys = _index_of(self._store).candidates(fields[0], first, documents)
            same = [k for k in keys if k in documents and all(documents[k].get(f) == v for f, v in values.items())]
            if len(same) > 1:
                raise duplicate_key_error(self.full_name, name, values)


class FastCursor(_mcoll.Cursor):
    """mongomock's Cursor, iterating in linear instead of quadratic time."""

    def rewind(self):
        self._emitted = 0
        self._window = None
        return self

    def __next__(self):
        window = getattr(self, "_window", None)
        if window is None or window[0] is not self._results or window[1] != (self._skip, self._limit):
            results = self._compute_results(with_limit_and_skip=True)
            self._window = window = (self._results, (self._skip, self._limit), results)
        try:
            doc = window[2][self._emitted]
        except IndexError as err:
            raise StopIteration() from err
        self._emitted += 1
        return doc

    next = __next__


_patch_store()
_mcoll.Cursor = FastCursor
_mcoll.Collection = FastCollection
_mdb.Collection = FastCollection


def embedded_client() -> mongomock.MongoClient:
    """A fresh in-process MongoDB client (nothing shared with other clients)."""
    return mongomock.MongoClient()


def unwrap(obj: Any) -> Any:
    """The raw pymongo/mongomock object behind one of the kit's watched wrappers."""
    # Not getattr(): on a raw Database or Collection any attribute name is a sub-collection.
    return obj.__dict__.get("_target", obj) if hasattr(obj, "__dict__") else obj


def is_embedded(db: Any) -> bool:
    return isinstance(unwrap(db), (mongomock.Database, mongomock.Collection))


def stored_copy(collection: Any, _id: Any) -> dict | None:
    """A copy of the stored document with this ``_id`` (a dictionary read on the embedded database)."""
    target = unwrap(collection)
    if isinstance(target, mongomock.Collection):
        doc = target._store._documents.get(_id) if isinstance(_id, (str, int)) else None
        return _copy(doc) if doc is not None else (None if isinstance(_id, (str, int)) else target.find_one({"_id": _id}))
    return target.find_one({"_id": _id})


def all_documents(collection: Any, filter: Mapping | None = None) -> list[dict]:
    """Every document of a collection, fast on both back ends.

    On the embedded database this reads mongomock's store directly (shallow copies, no cursor);
    on a real server it is ``list(find())``.
    """
    target = unwrap(collection)
    if isinstance(target, mongomock.Collection):
        docs = target._store._documents.values()
        if filter:
            return [dict(d) for d in list(docs) if filter_applies(filter, d)]
        return [dict(d) for d in list(docs)]
    return list(target.find(filter or {}))
