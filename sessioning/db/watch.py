"""A pymongo-compatible database wrapper that reports every write, injects faults, and can refuse writes.

``connect()`` returns a :class:`WatchedDatabase`. It behaves like the pymongo (or embedded)
``Database`` it wraps; in addition

* every write a concept makes is reported, with the documents before and after, to the sink that
  is active in the current context (the engine sets one per action, to build the "writes" table);
* armed faults (``db.faults``) make chosen writes raise, for teaching and tests;
* ``readonly=True`` refuses every write (the user's own database is only ever read).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from typing import Any

from sessioning.errors import KitError

from .faults import Faults

#: Receives one dict per write: op, collection, _id, before, after.
WriteSink = Callable[[dict[str, Any]], None]
_sink: contextvars.ContextVar[WriteSink | None] = contextvars.ContextVar("sessioning_write_sink", default=None)


class ReadOnlyError(KitError, RuntimeError):
    """A write was attempted through a read-only connection."""


@contextlib.contextmanager
def recording_writes(sink: WriteSink | None) -> Iterator[None]:
    """Report every write made in this context (thread / task) to ``sink``."""
    token = _sink.set(sink)
    try:
        yield
    finally:
        _sink.reset(token)


class _Wrapper:
    """Delegates every attribute it does not define to the wrapped pymongo/mongomock object."""

    _target: Any

    @property
    def unwrapped(self) -> Any:
        return self._target

    @property
    def name(self) -> str:
        return self._target.name

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._target, name)


class WatchedDatabase(_Wrapper):
    """A database handle: pymongo's ``Database`` API plus ``faults``, ``readonly`` and ``label``."""

    def __init__(self, target: Any, *, readonly: bool = False, label: str | None = None, client: Any = None) -> None:
        self.__dict__["_target"] = target
        self.__dict__["faults"] = Faults()
        self.__dict__["readonly"] = readonly
        self.__dict__["label"] = label or f"database {target.name!r}"
        self.__dict__["_client"] = client
        self.__dict__["_collections"] = {}

    @property
    def embedded(self) -> bool:
        from .embedded import is_embedded

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
        client = self._client
        if client is not None and hasattr(client, "close"):
            client.close()


class WatchedCollection(_Wrapper):
    """pymongo's ``Collection`` API; writes are reported, faults applied, read-only enforced."""

    def __init__(self, target: Any, db: WatchedDatabase) -> None:
        self.__dict__["_target"] = target
        self.__dict__["_db"] = db

    @property
    def full_name(self) -> str:
        return self._target.full_name

    @property
    def database(self) -> WatchedDatabase:
        return self._db

    def __repr__(self) -> str:
        return f"<collection {self.name!r} of {self._db!r}>"

    def __getitem__(self, name: str) -> Any:
        return self._target[name]

    # -- writes -----------------------------------------------------------------------------
    def _before_write(self, op: str, doc: dict | None = None) -> WriteSink | None:
        self._db._refuse_if_readonly(op, self.name)
        self._db.faults.check(op, self.name, doc, namespace=self._target.full_name)
        return _sink.get()

    def _emit(self, sink: WriteSink | None, op: str, before: Any, after: Any) -> None:
        if sink is None:
            return
        ref = after if after is not None else before
        sink({
            "op": op,
            "collection": self.name,
            "_id": ref.get("_id") if isinstance(ref, dict) else None,
            "before": before,
            "after": after,
        })

    def _find_by_id(self, _id: Any) -> dict | None:
        # On the embedded database, the stored version itself: never changed in place, so no copy.
        from .embedded import stored_version

        return stored_version(self._target, _id)

    def _find_before(self, filter: Any) -> list[dict]:  # noqa: A002
        if isinstance(filter, dict) and len(filter) == 1 and isinstance(filter.get("_id"), (str, int)):
            doc = self._find_by_id(filter["_id"])
        else:
            doc = self._target.find_one(filter)
        return [doc] if doc else []

    def insert_one(self, document: dict, *args: Any, **kwargs: Any) -> Any:
        sink = self._before_write("insert", document)
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
        result = self._target.insert_many(documents, *args, **kwargs)
        for doc in documents:
            self._emit(sink, "insert", None, dict(doc))
        return result

    def _update(self, method: str, op: str, filter: dict, *args: Any, many: bool = False, **kwargs: Any) -> Any:  # noqa: A002
        sink = self._before_write(op)
        if sink is None:
            return getattr(self._target, method)(filter, *args, **kwargs)
        befores = list(self._target.find(filter)) if many else self._find_before(filter)
        result = getattr(self._target, method)(filter, *args, **kwargs)
        for before in befores:
            self._emit(sink, op, before, self._find_by_id(before["_id"]))
        upserted = getattr(result, "upserted_id", None)
        if upserted is not None:
            self._emit(sink, "insert", None, self._find_by_id(upserted))
        return result

    def update_one(self, filter: dict, update: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A002
        return self._update("update_one", "update", filter, update, *args, **kwargs)

    def update_many(self, filter: dict, update: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A002
        return self._update("update_many", "update", filter, update, *args, many=True, **kwargs)

    def replace_one(self, filter: dict, replacement: dict, *args: Any, **kwargs: Any) -> Any:  # noqa: A002
        return self._update("replace_one", "update", filter, replacement, *args, **kwargs)

    def find_one_and_update(self, filter: dict, update: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A002
        return self._update("find_one_and_update", "update", filter, update, *args, **kwargs)

    def find_one_and_replace(self, filter: dict, replacement: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A002
        return self._update("find_one_and_replace", "update", filter, replacement, *args, **kwargs)

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
        self._before_write("update")
        return self._target.bulk_write(requests, *args, **kwargs)

    def create_index(self, keys: Any, *args: Any, **kwargs: Any) -> Any:
        self._db._refuse_if_readonly("create_index", self.name)
        return self._target.create_index(keys, *args, **kwargs)

    def drop(self, *args: Any, **kwargs: Any) -> Any:
        self._db._refuse_if_readonly("drop", self.name)
        return self._target.drop(*args, **kwargs)
