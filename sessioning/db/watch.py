"""A pymongo-compatible database wrapper that reports every write, injects faults, and can refuse writes.

``connect()`` returns a :class:`WatchedDatabase`. It behaves like the pymongo (or embedded)
``Database`` it wraps; in addition

* every write a concept makes is reported, with the documents before and after, to the sink that
  is active in the current context (the engine sets one per action, to build the "writes" table);
* armed faults (``db.faults``) make chosen writes raise, for teaching and tests;
* ``readonly=True`` refuses every write (the user's own database is only ever read).
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any

import mongomock
from pymongo.collection import Collection as PyCollection
from pymongo.database import Database as PyDatabase
from pymongo.errors import BulkWriteError

from sessioning.errors import KitError

from .embedded import FastCollection, is_embedded, stored_version  # module level: hot paths use them
from .faults import Faults
from .readonly import (
    CLIENT_READS,
    COLLECTION_READS,
    DATABASE_READS,
    READ_COMMANDS,
    command_name,
    writing_pipeline,
)

#: Receives one dict per write: op, collection, _id, before, after.
WriteSink = Callable[[dict[str, Any]], None]
_sink: contextvars.ContextVar[WriteSink | None] = contextvars.ContextVar("sessioning_write_sink", default=None)


class ReadOnlyError(KitError, RuntimeError):
    """A write was attempted through a read-only connection."""


def _bulk_op(request: Any) -> tuple[str, dict | None]:
    """(write kind, inserted document) of a pymongo bulk request, for the read-only and fault checks."""
    kind = type(request).__name__
    if kind == "InsertOne":
        return "insert", getattr(request, "_doc", None)
    return ("delete" if kind.startswith("Delete") else "update"), None


def _hashable(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


_COLLECTION_TYPES = (PyCollection, mongomock.Collection)
_DATABASE_TYPES = (PyDatabase, mongomock.Database)


def _is_collection(obj: Any) -> bool:
    return isinstance(obj, _COLLECTION_TYPES)


def _is_database(obj: Any) -> bool:
    return isinstance(obj, _DATABASE_TYPES)


class recording_writes:  # noqa: N801 - used like the function it was
    """``with recording_writes(sink):`` reports every write made in this context (thread / task) to
    ``sink``. A class rather than a generator context manager: the engine opens one per action."""

    __slots__ = ("_new", "_token")

    #: The context variable the sink lives in: ``token = var.set(sink)`` … ``var.reset(token)`` is
    #: this context without a Python call (the engine's recorder opens one per action).
    var = _sink

    def __init__(self, sink: WriteSink | None) -> None:
        self._new = sink

    def __enter__(self) -> None:
        self._token = _sink.set(self._new)

    def __exit__(self, *exc: object) -> None:
        _sink.reset(self._token)


class _Wrapper:
    """Delegates every attribute it does not define to the wrapped pymongo/mongomock object."""

    _target: Any

    @property
    def unwrapped(self) -> Any:
        return self._target

    @property
    def name(self) -> str:
        return self._target.name

    #: Methods a read-only handle passes through (see the module's read-only policy).
    _reads: frozenset[str] = frozenset()
    #: Methods whose result is a collection or a database: wrapped, so the policy follows it.
    _WRAPPING = frozenset({"with_options", "create_collection", "get_database", "get_default_database"})

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        value = getattr(self._target, name)
        if _is_collection(value) or _is_database(value):  # db.users, db["a"].b: a watched handle too
            return self._wrap(value)
        if not callable(value):
            return value
        if self._readonly and name not in self._reads and name not in ("with_options", "get_database"):
            return self._refusing(name)
        if name in self._WRAPPING:
            return lambda *args, **kwargs: self._wrap(value(*args, **kwargs))
        return value

    @property
    def _readonly(self) -> bool:
        return False

    def _wrap(self, obj: Any) -> Any:
        """A collection or database reached from this handle, watched like it."""
        return obj

    def _refusing(self, name: str) -> Callable[..., Any]:
        def refused(*args: Any, **kwargs: Any) -> Any:
            raise ReadOnlyError(f"{name} on {self!r} refused: this connection is read-only "
                                "(the kit never writes to your own database).")
        return refused


class WatchedDatabase(_Wrapper):
    """A database handle: pymongo's ``Database`` API plus ``faults``, ``readonly`` and ``label``."""

    _reads = DATABASE_READS

    def __init__(self, target: Any, *, readonly: bool = False, label: str | None = None, client: Any = None) -> None:
        self.__dict__["_target"] = target
        self.__dict__["faults"] = Faults(known=self._known_collections)
        self.__dict__["readonly"] = readonly
        self.__dict__["label"] = label or f"database {target.name!r}"
        self.__dict__["opened_client"] = client  # public: the database checks list its databases
        self.__dict__["_collections"] = {}

    @property
    def _readonly(self) -> bool:
        return self.readonly

    def _wrap(self, obj: Any) -> Any:
        if _is_collection(obj):
            return WatchedCollection(obj, self)
        if _is_database(obj):  # with_options(): the same policy, the same faults
            db = WatchedDatabase(obj, readonly=self.readonly, label=self.label)
            db.__dict__["faults"] = self.faults
            return db
        return obj

    def _known_collections(self) -> list[str]:
        """The collections this handle has opened or holds (for :class:`Faults` to spot a mistyped target)."""
        names = set(self._collections)
        try:
            names.update(self._target.list_collection_names())
        except Exception:  # noqa: BLE001 - an unreachable server: the opened names are enough
            pass
        return sorted(names)

    @property
    def client(self) -> Any:
        """The driver's client; on a read-only handle, a read-only view of it (its databases too)."""
        client = self._target.client
        return WatchedClient(client, self) if self.readonly else client

    def command(self, command: Any, *args: Any, **kwargs: Any) -> Any:
        if self.readonly:
            name = command_name(command)
            pipeline = command.get("pipeline") if isinstance(command, dict) else None
            if name.lower() not in READ_COMMANDS or writing_pipeline(pipeline):
                self._refuse_if_readonly(f"command {name!r}", "*")
        return self._target.command(command, *args, **kwargs)

    def aggregate(self, pipeline: Any, *args: Any, **kwargs: Any) -> Any:
        if writing_pipeline(pipeline):
            self._refuse_if_readonly("aggregate with $out/$merge", "*")
        return self._target.aggregate(pipeline, *args, **kwargs)

    @property
    def embedded(self) -> bool:
        return is_embedded(self._target)

    def __repr__(self) -> str:
        mode = ", read-only" if self.readonly else ""
        return f"<sessioning database {self.name!r} on {self.label}{mode}>"

    def get_collection(self, name: str, **kwargs: Any) -> WatchedCollection:
        if kwargs:
            return WatchedCollection(self._target.get_collection(name, **kwargs), self)
        coll = self._collections.get(name)
        if coll is None:
            coll = self._collections[name] = WatchedCollection(self._target.get_collection(name), self)
        return coll

    # The TypeScript driver's spelling, so ported concept code reads the same.
    collection = get_collection

    def __getitem__(self, name: str) -> WatchedCollection:
        return self.get_collection(name)

    def drop_collection(self, name: str, **kwargs: Any) -> Any:
        self._refuse_if_readonly("drop_collection", name)
        return self._target.drop_collection(name, **kwargs)

    def _refuse_if_readonly(self, op: str, name: str) -> None:
        if self.readonly:
            raise ReadOnlyError(
                f"{op} on {self.name}.{name} refused: this connection is read-only "
                "(the kit never writes to your own database)."
            )

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot set {name!r} on a database handle")

    def close(self) -> None:
        client = self.opened_client
        if client is not None and hasattr(client, "close"):
            client.close()


class WatchedCollection(_Wrapper):
    """pymongo's ``Collection`` API; writes are reported, faults applied, read-only enforced."""

    _reads = COLLECTION_READS

    def __init__(self, target: Any, db: WatchedDatabase) -> None:
        self.__dict__["_target"] = target
        self.__dict__["_db"] = db
        self.__dict__["_db_vars"] = db.__dict__  # its readonly and faults, for _write_checks
        # The embedded database's collection, whose direct paths report what they stored.
        self.__dict__["_direct"] = target if isinstance(target, FastCollection) else None
        self.__dict__["_coll_name"] = target.name  # a collection's name never changes (rename makes a new one)

    @property
    def _readonly(self) -> bool:
        return self._db.readonly

    def _wrap(self, obj: Any) -> Any:
        return WatchedCollection(obj, self._db) if _is_collection(obj) else self._db._wrap(obj)

    def find_one(self, *args: Any, **kwargs: Any) -> Any:
        # A read (read-only too), here rather than through __getattr__ (a miss first, on every request).
        return self._target.find_one(*args, **kwargs)

    def aggregate(self, pipeline: Any, *args: Any, **kwargs: Any) -> Any:
        if writing_pipeline(pipeline):
            self._db._refuse_if_readonly("aggregate with $out/$merge", self.name)
        return self._target.aggregate(pipeline, *args, **kwargs)

    @property
    def full_name(self) -> str:
        return self._target.full_name

    @property
    def database(self) -> WatchedDatabase:
        return self._db

    def __repr__(self) -> str:
        return f"<collection {self.name!r} of {self._db!r}>"

    def __getitem__(self, name: str) -> WatchedCollection:
        return WatchedCollection(self._target[name], self._db)  # a sub-collection: watched too

    # -- writes -----------------------------------------------------------------------------
    def _before_write(self, op: str, doc: dict | None = None) -> WriteSink | None:
        return _write_checks(self.__dict__, op, doc)

    def _emit(self, sink: WriteSink | None, op: str, before: Any, after: Any) -> None:
        if sink is None:
            return
        ref = after if after is not None else before
        sink({
            "op": op,
            "collection": self._coll_name,
            "_id": ref.get("_id") if isinstance(ref, dict) else None,
            "before": before,
            "after": after,
        })

    def _find_by_id(self, _id: Any) -> dict | None:
        # On the embedded database, the stored version itself: never changed in place, so no copy.
        return stored_version(self._target, _id)

    def _find_before(self, filter: Any, sort: Any = None) -> list[dict]:  # noqa: A002
        if isinstance(filter, dict) and len(filter) == 1 and isinstance(filter.get("_id"), (str, int)):
            doc = self._find_by_id(filter["_id"])
        else:  # the document the operation will pick: the same filter, the same sort
            doc = self._target.find_one(filter, sort=sort) if sort else self._target.find_one(filter)
        return [doc] if doc else []

    def insert_one(self, document: dict, *args: Any, **kwargs: Any) -> Any:
        sink = _write_checks(c := self.__dict__, "insert", document)  # the dict read once: see _write_checks
        direct = c["_direct"]
        if sink is not None and direct is not None and not args and not kwargs:
            done = direct.insert_one_stored(document)  # the embedded direct path hands back what it stored
            if done is not None:
                result, stored = done
                # _emit's record, written out (one call fewer per write); a stored version is a dict
                sink({"op": "insert", "collection": c["_coll_name"], "_id": stored.get("_id"), "before": None,
                      "after": stored})
                return result
        result = self._target.insert_one(document, *args, **kwargs)
        if sink is not None:
            # As stored (dates truncated to milliseconds, naive UTC), not as passed.
            self._emit(sink, "insert", None, self._find_by_id(result.inserted_id) or dict(document))
        return result

    def insert_many(self, documents: list[dict], *args: Any, **kwargs: Any) -> Any:
        documents = list(documents)
        for doc in documents:
            self._before_write("insert", doc)
        sink = _sink.get()
        try:
            result = self._target.insert_many(documents, *args, **kwargs)
        except BulkWriteError as e:
            # Partly applied: the documents before the failure (ordered), or all but the failed ones.
            failed = {err.get("index") for err in (e.details or {}).get("writeErrors", ())}
            ordered = kwargs.get("ordered", args[0] if args else True)
            done = documents[:min(failed, default=len(documents))] if ordered else \
                [d for i, d in enumerate(documents) if i not in failed]
            for doc in done:
                self._emit(sink, "insert", None, self._stored(doc))
            raise
        for doc in documents:
            self._emit(sink, "insert", None, self._stored(doc))
        return result

    def _stored(self, doc: dict) -> dict:
        """``doc`` as stored (dates truncated to milliseconds, naive UTC), else as passed."""
        return (self._find_by_id(doc["_id"]) if "_id" in doc else None) or dict(doc)

    def _update(self, sink: WriteSink | None, method: str, filter: dict, *args: Any, many: bool = False, **kwargs: Any) -> Any:  # noqa: A002
        """An update (``method``) whose write checks are done (``sink``: :meth:`_before_write`'s answer)."""
        op = "update"
        if sink is None:
            return getattr(self._target, method)(filter, *args, **kwargs)
        befores = list(self._target.find(filter)) if many else self._find_before(filter, kwargs.get("sort"))
        result = getattr(self._target, method)(filter, *args, **kwargs)
        for before in befores:
            self._emit(sink, op, before, self._find_by_id(before["_id"]))
        upserted = getattr(result, "upserted_id", None)
        if upserted is not None:
            self._emit(sink, "insert", None, self._find_by_id(upserted))
        elif not befores and kwargs.get("upsert") and method.startswith("find_one_and_"):
            # find_one_and_update/replace return a document, not an upserted_id: the new document is
            # the one that matches now (nothing matched before).
            inserted = self._find_before(filter, kwargs.get("sort"))
            if inserted:
                self._emit(sink, "insert", None, inserted[0])
        return result

    def update_one(self, filter: dict, update: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A002
        c = self.__dict__  # read once: see _write_checks
        sink, direct = _write_checks(c, "update"), c["_direct"]
        # The embedded direct path hands back the versions before and after: no reads around it.
        done = direct.update_one_stored(filter, update) if direct is not None and not args and not kwargs else None
        if done is None:
            return self._update(sink, "update_one", filter, update, *args, **kwargs)
        result, before, after = done
        if sink is not None and before is not None:
            # _emit's record, written out as in insert_one
            sink({"op": "update", "collection": c["_coll_name"], "_id": after.get("_id"), "before": before,
                  "after": after})
        return result

    def update_many(self, filter: dict, update: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A002
        return self._update(self._before_write("update"), "update_many", filter, update, *args, many=True, **kwargs)

    def replace_one(self, filter: dict, replacement: dict, *args: Any, **kwargs: Any) -> Any:  # noqa: A002
        return self._update(self._before_write("update"), "replace_one", filter, replacement, *args, **kwargs)

    def find_one_and_update(self, filter: dict, update: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A002
        return self._update(self._before_write("update"), "find_one_and_update", filter, update, *args, **kwargs)

    def find_one_and_replace(self, filter: dict, replacement: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A002
        return self._update(self._before_write("update"), "find_one_and_replace", filter, replacement, *args, **kwargs)

    def _delete(self, method: str, filter: dict, *args: Any, many: bool = False, **kwargs: Any) -> Any:  # noqa: A002
        sink = self._before_write("delete")
        if sink is None:
            return getattr(self._target, method)(filter, *args, **kwargs)
        befores = list(self._target.find(filter)) if many else self._find_before(filter)
        result = getattr(self._target, method)(filter, *args, **kwargs)
        for before in befores:
            if self._find_by_id(before["_id"]) is None:
                self._emit(sink, "delete", before, None)
        return result

    def delete_one(self, filter: dict, *args: Any, **kwargs: Any) -> Any:  # noqa: A002
        return self._delete("delete_one", filter, *args, **kwargs)

    def delete_many(self, filter: dict, *args: Any, **kwargs: Any) -> Any:  # noqa: A002
        return self._delete("delete_many", filter, *args, many=True, **kwargs)

    def find_one_and_delete(self, filter: dict, *args: Any, **kwargs: Any) -> Any:  # noqa: A002
        return self._delete("find_one_and_delete", filter, *args, **kwargs)

    def bulk_write(self, requests: Any, *args: Any, **kwargs: Any) -> Any:
        """Each request checked (read-only, faults) as its own write; recorded by its net effect on
        every document it touched: inserted, updated or deleted."""
        requests = list(requests)
        for req in requests:
            self._before_write(*_bulk_op(req))
        sink = _sink.get()
        if sink is None:
            return self._target.bulk_write(requests, *args, **kwargs)
        befores = self._bulk_befores(requests)
        try:
            result = self._target.bulk_write(requests, *args, **kwargs)
        except BulkWriteError:
            self._emit_net_effect(sink, befores, requests, ())
            raise
        self._emit_net_effect(sink, befores, requests, (getattr(result, "upserted_ids", None) or {}).values())
        return result

    def _bulk_befores(self, requests: list[Any]) -> dict[Any, dict]:
        befores: dict[Any, dict] = {}
        for req in requests:
            flt = getattr(req, "_filter", None)
            if flt is None:
                continue
            many = type(req).__name__ in ("UpdateMany", "DeleteMany")
            for doc in (self._target.find(flt) if many else self._find_before(flt)):
                befores.setdefault(_hashable(doc["_id"]), doc)
        return befores

    def _emit_net_effect(self, sink: WriteSink, befores: dict[Any, dict], requests: list[Any], upserted: Any) -> None:
        for before in befores.values():
            after = self._find_by_id(before["_id"])
            if after is None:
                self._emit(sink, "delete", before, None)
            elif after != before:
                self._emit(sink, "update", before, after)
        new_ids = [getattr(r, "_doc", {}).get("_id") for r in requests if type(r).__name__ == "InsertOne"]
        for _id in [*new_ids, *upserted]:
            doc = self._find_by_id(_id) if _id is not None and _hashable(_id) not in befores else None
            if doc is not None:
                self._emit(sink, "insert", None, doc)

    def create_index(self, keys: Any, *args: Any, **kwargs: Any) -> Any:
        self._db._refuse_if_readonly("create_index", self.name)
        return self._target.create_index(keys, *args, **kwargs)

    def drop(self, *args: Any, **kwargs: Any) -> Any:
        self._db._refuse_if_readonly("drop", self.name)
        return self._target.drop(*args, **kwargs)


def _write_checks(c: dict, op: str, doc: dict | None = None) -> WriteSink | None:
    """A write's checks (read-only, faults) on the collection whose instance dict is ``c``; its sink. Write
    paths read ``self.__dict__`` once: _Wrapper's ``__getattr__`` keeps ``self.x`` off Python's fast path."""
    db = c["_db_vars"]
    if db["readonly"]:
        c["_db"]._refuse_if_readonly(op, c["_coll_name"])
    faults = db["faults"]
    # Armed: only then is the namespace built. No rule (the usual case): the list says so, no Faults.__bool__.
    if faults._rules and faults:
        faults.check(op, c["_coll_name"], doc, namespace=c["_target"].full_name)
    return _sink.get()


class WatchedClient(_Wrapper):
    """A read-only view of a driver's client: its databases are read-only handles, the rest refused."""

    _reads = CLIENT_READS

    def __init__(self, target: Any, db: WatchedDatabase) -> None:
        self.__dict__["_target"] = target
        self.__dict__["_db"] = db

    @property
    def _readonly(self) -> bool:
        return True

    def _wrap(self, obj: Any) -> Any:
        return self._db._wrap(obj) if _is_database(obj) else obj

    def __getitem__(self, name: str) -> Any:
        return self._wrap(self._target[name])

    def __repr__(self) -> str:
        return f"<read-only client of {self._db!r}>"

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot set {name!r} on a read-only client")
