"""The embedded in-process database: mongomock, with its slow paths made fast and its bare E11000 fixed.

Measured on these machines (tools-and-peers.md), stock mongomock:

* iterates cursors in quadratic time (``Cursor.__next__`` re-slices the result list per document);
* scans the whole collection for ``find_one({"_id": x})``;
* scans the whole collection per insert for every unique index (10,000 inserts: 147 s);
* raises ``E11000 Duplicate Key Error`` with no index, key or value;
* re-parses the pymongo version, deep-copies and BSON-validates through several layers per write.

Importing this module patches mongomock's ``Collection`` and ``Cursor`` classes (process-wide,
semantics unchanged): ``_id`` equality is a dictionary look-up, simple equality filters use a
value index before falling back to mongomock's matcher, cursors iterate in linear time, and
duplicate keys raise the real server's message with ``keyPattern``/``keyValue`` details.

The operations concepts make (``insert_one`` with an ``_id``, ``find_one`` / ``update_one`` with
``$set`` / ``delete_one`` by ``_id``, equality finds) take a direct path that does mongomock's
steps in the same order with the same helpers; anything else goes to mongomock, whose matcher
stays the authority. ``tests/test_embedded_fastpath.py`` runs random operation sequences against
the fast path and stock mongomock and requires the same results, errors and E11000 texts.
A document a direct path stores is checked by a type walk that also builds the stored copy
(``documents.py``: ``BSON.encode`` only when the walk cannot prove it valid), and the write
recorder gets the stored versions from the direct paths (``insert_one_stored``, ``update_one_stored``)
instead of reading them back.

Stored versions are never changed in place: every write stores a new document (updates that
mongomock does in place get a fresh copy first: copy-on-write). So a stored document serves as
an immutable snapshot, and the write recorder keeps references instead of deep copies
(:func:`stored_version`). Treat recorded documents as read-only.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

import mongomock
import mongomock.collection as _mcoll
import mongomock.database as _mdb
from bson import BSON, ObjectId
from mongomock import DuplicateKeyError, helpers
from mongomock.filtering import filter_applies
from mongomock.results import DeleteResult, InsertOneResult, UpdateResult

from .cursor import FastCursor
from .documents import CHECK_KEYS as _CHECK_KEYS
from .documents import checked_stored_form
from .documents import copy_document as _copy
from .documents import stored_form as _stored
from .documents import validate_new as _validate
from .valueindex import SCALARS as _SCALARS
from .valueindex import index_of, patch_store, put_document

_PLAIN_IDS = (str, int)  # ``type(x) in _PLAIN_IDS``: exact types, so bool and int subclasses go to mongomock
_KEYED_IDS = (str, int, ObjectId)  # read back by key in stored_version (a driver-made ObjectId too: no scan)


def _simple_equality(filter: Any) -> Mapping[str, Any] | None:
    """``{field: scalar, …}`` with no operators, dots, NaN or None values, else ``None``."""
    if type(filter) is not dict and not isinstance(filter, Mapping) or not filter:
        return None
    for key, value in filter.items():
        if not isinstance(key, str) or key.startswith("$") or "." in key:
            return None
        if isinstance(value, bool) or not isinstance(value, _SCALARS) or value != value:
            return None
    return filter


def _js_value(value: Any) -> str:
    return json.dumps(value) if isinstance(value, (str, int, float, bool)) or value is None else repr(value)


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


_NO_ID = object()


def _key_of(_id: Any) -> Any:
    """The store's key for an ``_id`` (mongomock keys sub-document ids by a hashable copy)."""
    return helpers.hashdict(_id) if isinstance(_id, dict) else _id


def _id_only(filter: Any) -> Any:
    """``x`` for a filter ``{"_id": x}`` with a str/int ``x``, else ``_NO_ID``."""
    if type(filter) is dict and len(filter) == 1:
        key = filter.get("_id", _NO_ID)
        if type(key) in _PLAIN_IDS:
            return key
    return _NO_ID


_new = object.__new__
#: pymongo 4.9 added UpdateResult's `in_client_bulk` slot (False for a collection's own update).
_CLIENT_BULK_SLOT = "_UpdateResult__in_client_bulk" in vars(UpdateResult)


def _insert_result(inserted_id: Any) -> InsertOneResult:
    """``InsertOneResult(inserted_id, acknowledged=True)``, its slots filled without the two Python
    ``__init__`` calls (tests/test_embedded_shortcuts.py compares every slot with pymongo's own)."""
    result = _new(InsertOneResult)
    result._InsertOneResult__inserted_id = inserted_id
    result._WriteResult__acknowledged = True
    return result


def _plain_set(update: Any) -> dict | None:
    """The fields of ``{"$set": {field: value, …}}`` when every field is a plain top-level name, else ``None``."""
    if type(update) is not dict or len(update) != 1:
        return None
    fields = update.get("$set")
    if type(fields) is not dict or not fields:
        return None
    for name in fields:
        if type(name) is not str or not name or name[0] == "$" or "." in name or "\0" in name or name == "_id":
            return None
    return fields


class FastCollection(_mcoll.Collection):
    """mongomock's Collection with direct paths for the operations concepts make.

    ``fast_paths = False`` (on an instance) sends every call through mongomock's own code (the value
    index, linear cursors and detailed E11000 errors stay): the differential test's reference.
    """

    fast_paths = True

    @property
    def _store(self) -> Any:
        # mongomock's property goes through DatabaseStore.__getitem__ (a try per access); the
        # collection's store is a dictionary entry away once it exists.
        store = self._db_store._collections.get(self._name)
        return store if store is not None else self._db_store[self._name]

    def _fast_store(self) -> Any:
        """The collection's store when the direct paths apply (no TTL index to expire first), else ``None``."""
        return _direct_store(self, self.__dict__)

    def _connection_id(self) -> Any:
        d = self.__dict__
        cid = d.get("_kit_connection_id")
        if cid is None:
            cid = d["_kit_connection_id"] = self.database.client._id
        return cid

    def _plain_reads(self) -> bool:
        # Reads return plain dicts with naive datetimes unless the codec options say otherwise.
        plain = self.__dict__.get("_kit_plain")
        if plain is None:
            options = self.codec_options
            plain = self.__dict__["_kit_plain"] = options.document_class is dict and not options.tz_aware
        return plain

    def _matching(self, filter: Any) -> list | None:  # noqa: A002
        """Stored documents matching a simple equality filter, in insertion order; ``None``: ask mongomock."""
        simple = _simple_equality(filter)
        store = self._fast_store() if simple is not None else None
        if store is None:
            return None
        documents = store._documents
        if "_id" in simple:
            doc = documents.get(simple["_id"])
            if doc is None:
                return []
            # Found by its key, so `{_id: x}` alone holds; other fields go to mongomock's matcher.
            return [doc] if len(simple) == 1 or filter_applies(filter, doc) else []
        field, value = next(iter(simple.items()))
        index = index_of(store)
        keys = index.candidates(field, value, documents)
        exact = len(simple) == 1 and not index.odd.get(field)
        # Candidates in insertion order, as a scan would give; mongomock's matcher has the last word
        # unless the hash bucket alone already answers the filter.
        return [documents[k] for k in keys if k in documents and (exact or filter_applies(filter, documents[k]))]

    def _iter_documents(self, filter):  # noqa: A002 - mongomock's signature
        docs = self._matching(filter)
        return super()._iter_documents(filter) if docs is None else iter(docs)

    def find_one(self, filter=None, *args, **kwargs):  # noqa: A002
        # The common point look-up, without building a cursor: same result as mongomock's.
        if not args and not kwargs and ((d := self.__dict__).get("_kit_plain") or self._plain_reads()):
            if type(filter) is dict and len(filter) == 1 and type(key := filter.get("_id", _NO_ID)) in _PLAIN_IDS:
                # the point look-up by a plain `_id` (`_id_only`, written out): one dictionary read
                store = _direct_store(self, d)
                if store is not None:
                    doc = store._documents.get(key)
                    return _copy(doc) if doc is not None else None
            elif type(filter) is dict and len(filter) == 1:  # `{field: "text"}` (a user by name)
                found = self._first_by_text(filter)
                if found is not _NO_ID:
                    return _copy(found) if found is not None else None
            docs = self._matching(filter)
            if docs is not None:
                return _copy(docs[0]) if docs else None
        return super().find_one(filter, *args, **kwargs)

    def _first_by_text(self, filter: dict) -> Any:  # noqa: A002
        """The first stored document (insertion order) of a one-field filter with a ``str`` value, straight
        from the value index; ``_NO_ID`` when ``_matching`` must decide (other filters, odd values stored)."""
        ((field, value),) = filter.items()
        if type(value) is not str or type(field) is not str or field == "_id" or field[:1] == "$" or "." in field:
            return _NO_ID
        store = self._fast_store()
        if store is None:
            return _NO_ID
        documents, index = store._documents, index_of(store)
        keys = index.candidates(field, value, documents)
        if index.odd.get(field):  # arrays or sub-documents in this field: mongomock's matcher decides
            return _NO_ID
        for key in keys:
            doc = documents.get(key)  # one read: a key deleted meanwhile by another thread is skipped
            if doc is not None:
                return doc
        return None

    # -- writes: mongomock's steps, in its order, with its helpers ---------------------------------
    def insert_one(self, document, bypass_document_validation=False, session=None):
        if session is None and type(document) is dict and self.fast_paths:
            return _insert_result(self._insert(document))
        return super().insert_one(document, bypass_document_validation, session)

    def insert_one_stored(self, document: Any) -> tuple[InsertOneResult, dict] | None:
        """``insert_one(document)`` on the direct path, with the version it stored (for the write
        recorder, which would otherwise read it back); ``None``, having done nothing, off that path."""
        key = document.get("_id", _NO_ID) if type(document) is dict else _NO_ID
        store = _direct_store(self, self.__dict__) if type(key) in _PLAIN_IDS else None
        if store is None:
            return None
        return _insert_result(key), _insert_direct(self, store, key, document)

    def _insert(self, data, session=None, ordered=True):
        key = data.get("_id", _NO_ID) if type(data) is dict else _NO_ID
        store = self._fast_store() if not session and type(key) in _PLAIN_IDS else None
        if store is None:
            if not session and isinstance(data, Mapping) and isinstance(data.get("_id"), (str, int)):
                _validate(data)  # mongomock checks these before the `_id`, so the same error comes first
                if data["_id"] in self._store._documents:
                    raise duplicate_key_error(self.full_name, "_id_", {"_id": data["_id"]})
            return super()._insert(data, session=session, ordered=ordered)
        _insert_direct(self, store, key, data)
        return key

    def update_one(self, filter, update, upsert=False, *args, **kwargs):  # noqa: A002
        if not upsert and not args and not kwargs:
            done = self.update_one_stored(filter, update)
            if done is not None:
                return done[0]
        return super().update_one(filter, update, upsert, *args, **kwargs)

    def _update_result(self, n: int, modified: int) -> UpdateResult:
        """``UpdateResult(raw, acknowledged=True)`` as mongomock makes it."""
        return _update_result(self._connection_id(), n, modified)

    def update_one_stored(self, filter: Any, update: Any) -> tuple[UpdateResult, dict | None, dict | None] | None:  # noqa: A002
        """``update_one(filter, update)`` on the direct path, with the versions before and after (for
        the write recorder; ``None`` twice when nothing matched); ``None``, having done nothing, off it.

        The direct path: ``{_id: x}`` + ``$set`` of plain top-level fields (how Requesting stores a
        response), stored as a new version."""
        key = _id_only(filter)
        fields = _plain_set(update) if key is not _NO_ID else None
        d = self.__dict__
        store = _direct_store(self, d) if fields is not None else None
        if store is None:
            return None
        cid = d.get("_kit_connection_id")
        if cid is None:
            cid = self._connection_id()
        values = checked_stored_form(fields)
        if values is None:  # not provably valid: let BSON say
            values = _stored(fields)
            try:
                BSON.encode(values, check_keys=_CHECK_KEYS)
            except Exception:
                return None  # mongomock raises it between two fields, after the first is set: let it
        old = store._documents.get(key)
        if old is None:
            return _update_result(cid, 0, 0), None, None
        new = dict(old)
        changed = False
        for name, value in values.items():
            if name not in old or not (old[name] is value or old[name] == value):
                changed = True
            new[name] = value
        put_document(store, key, new)  # the value index follows
        if changed and store.indexes:  # no index: nothing to check (what _ensure_uniques would find)
            try:
                self._ensure_uniques(new)
            except DuplicateKeyError:
                put_document(store, key, old)  # rollback, as mongomock does
                raise
        return _update_result(cid, 1, int(changed)), old, new

    def _update(self, spec, document, *args, **kwargs):
        # Copy-on-write: mongomock edits matched documents in place; it gets fresh copies to edit,
        # so the versions the write recorder holds never change.
        multi = kwargs.get("multi", args[2] if len(args) > 2 else False)
        copied = self._copy_before_write(spec, multi)
        store = self._store
        store.__dict__["_kit_updating"] = store.__dict__.get("_kit_updating", 0) + 1
        try:
            return super()._update(spec, document, *args, **kwargs)
        except Exception:
            for key in copied:
                doc = store._documents.get(key)
                if doc is not None and _key_of(doc.get("_id")) != key:
                    store.__dict__["_kit_ids_broken"] = True
            raise
        finally:
            store.__dict__["_kit_updating"] -= 1
            # mongomock updates documents behind the store's back: rebuild the index lazily.
            store.__dict__.pop("_kit_index", None)

    def _copy_before_write(self, spec: Any, multi: bool) -> list:
        """Store fresh copies of the documents mongomock is about to change; their keys."""
        if not isinstance(spec, Mapping):
            return []
        try:
            matched = self._iter_documents(helpers.patch_datetime_awareness_in_document(spec))
            docs = list(matched) if multi else [d for d, _ in zip(matched, range(1))]
        except Exception:
            return []  # mongomock raises its own error for this filter
        store = self._store
        documents = store._documents
        broken = "_kit_ids_broken" in store.__dict__  # then a document's key may not be its `_id`
        keys = []
        for doc in docs:
            if broken:
                key = next((k for k, v in documents.items() if v is doc), _NO_ID)
            else:
                key = _key_of(doc.get("_id"))
            if key is not _NO_ID and documents.get(key) is doc:
                store[key] = copy.deepcopy(doc)
                keys.append(key)
        return keys

    def delete_one(self, filter, collation=None, hint=None, session=None):  # noqa: A002
        key = _id_only(filter) if collation is None and hint is None and session is None else _NO_ID
        store = self._fast_store() if key is not _NO_ID else None
        if store is None:
            return super().delete_one(filter, collation, hint, session)
        found = key in store._documents
        if found:
            del store[key]
        raw = {"connectionId": self._connection_id(), "n": int(found), "ok": 1.0, "err": None}
        return DeleteResult(raw, True)

    def _ensure_uniques(self, new_data):
        # Same rule as mongomock (``new_data`` is already stored), through the value index instead
        # of a scan per insert, and with the server's message on a collision.
        store = self._store
        indexes = store.indexes
        if not indexes:
            return  # the common case: no index, nothing to check
        documents = store._documents
        if store.__dict__.get("_kit_updating"):
            store.__dict__.pop("_kit_index", None)  # documents changed in place: index them afresh
        for name, index in indexes.items():
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
            value_index = index_of(store)
            keys = value_index.candidates(fields[0], first, documents)
            odd = value_index.odd.get(fields[0], ())
            # A scalar in the value's bucket equals it; arrays and compound keys go to mongomock's matcher
            # (an array holding the value collides, as in a multikey index).
            same = [k for k in keys if k in documents and (
                filter_applies(values, documents[k]) if len(fields) > 1 or k in odd
                else documents[k].get(fields[0]) == first)]  # == as the matcher: NaN is no duplicate
            if len(same) > 1:
                raise duplicate_key_error(self.full_name, name, values)


def _direct_store(coll: FastCollection, d: dict) -> Any:
    """``coll._fast_store()``, ``d`` its instance dict: read once by the direct paths, as mongomock's
    ``Collection.__getattr__`` keeps every read of ``coll.x`` (methods too) off Python's fast path."""
    if not d.get("fast_paths", FastCollection.fast_paths):
        return None
    store = d["_db_store"]._collections.get(d["_name"])
    if store is None:
        store = coll._store
    # `_kit_ids_broken`: an update that mongomock aborted left a document whose `_id` is not its
    # key (it changes documents in place without rollback); only its scans find that one now.
    return store if not store._ttl_indexes and "_kit_ids_broken" not in store.__dict__ else None


def _insert_direct(coll: FastCollection, store: Any, key: Any, data: dict) -> dict:
    """mongomock's insert steps for a dict with a plain ``_id`` into ``coll``; the stored version."""
    stored = checked_stored_form(data)
    if stored is None:  # not provably valid: mongomock's checks raise its error, if any
        _validate(data)
    if key in store._documents:
        raise duplicate_key_error(coll.full_name, "_id_", {"_id": key})
    if stored is None:
        stored = _stored(data)
    put_document(store, key, stored)
    try:
        if store.indexes:  # mongomock's rule, as _ensure_uniques applies it (none: nothing to check)
            coll._ensure_uniques(stored)
    except DuplicateKeyError:
        del store[key]  # rollback, as mongomock does
        raise
    return stored


def _update_result(connection_id: Any, n: int, modified: int) -> UpdateResult:
    """``UpdateResult(raw, acknowledged=True)`` as mongomock makes it, the slots filled as in
    :func:`_insert_result`."""
    result = _new(UpdateResult)
    result._UpdateResult__raw_result = {"connectionId": connection_id, "err": None, "n": n,
                                        "nModified": modified, "ok": 1, "upserted": None, "updatedExisting": bool(n)}
    if _CLIENT_BULK_SLOT:
        result._UpdateResult__in_client_bulk = False
    result._WriteResult__acknowledged = True
    return result


patch_store()
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


def stored_version(collection: Any, _id: Any) -> dict | None:
    """The document with this ``_id`` as stored now, without a copy on the embedded database.

    Stored versions are never changed in place (see the module docstring), so the object returned
    is a snapshot that later writes leave alone; read it, never change it. On a real server, and
    for ids of other types, a fresh ``find_one``.
    """
    target = unwrap(collection)
    if isinstance(target, FastCollection) and type(_id) in _KEYED_IDS:
        store = target._fast_store()
        if store is not None:
            return store._documents.get(_id)
    return target.find_one({"_id": _id})


def stored_copy(collection: Any, _id: Any) -> dict | None:
    """A copy of the stored document with this ``_id`` (a dictionary read on the embedded database)."""
    doc = stored_version(collection, _id)
    return _copy(doc) if doc is not None else None


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
