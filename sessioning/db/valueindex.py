"""A value index for mongomock's collection stores: field → value → document keys, built lazily.

Equality finds and unique-index checks on the embedded database look candidates up here instead of
scanning the collection (``embedded.py``). Every write mongomock makes through the store keeps the
index in step (:func:`patch_store`); writes behind the store's back drop it, to be rebuilt.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import mongomock.store

SCALARS = (str, int, float)


class ValueIndex:
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
        if isinstance(value, SCALARS) and not isinstance(value, bool):
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
            if isinstance(value, SCALARS) and not isinstance(value, bool):
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
        bucket, odd = self.fields[field].get(value, ()), self.odd[field]
        keys = [*bucket, *odd] if odd else list(bucket)
        if len(keys) > 1:
            keys.sort(key=lambda k: self.seq.get(k, 0))
        return keys


def index_of(store: Any) -> ValueIndex:
    index = store.__dict__.get("_kit_index")
    if index is None:
        index = store._kit_index = ValueIndex()
    return index


def patch_store() -> None:
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


def put_document(store: Any, key: Any, doc: dict) -> None:
    """``store[key] = doc`` as the patched store does it (writer lock, index kept in step), without
    mongomock's context-manager layers: the direct write paths' one store write."""
    lock = store._rwlock
    no_writers = lock._no_writers
    # A reader holds `_no_writers` while it reads, a writer while it writes: when it is free, taking it
    # excludes both, as RWLock.writer() does. The light switch that writer() turns first only lines
    # new readers up behind waiting writers; uncontended there is no one to line up, so it is turned
    # only when the lock is taken (two lock calls per write instead of eight).
    contended = not no_writers.acquire(False)
    if contended:
        _switch_on(lock)
        no_writers.acquire()
    try:
        index = store.__dict__.get("_kit_index")
        if index is not None:
            old = store._documents.get(key)
            if old is not None:
                index.remove(key, old)
        store._documents[key] = doc
        if index is not None:
            index.add(key, doc)
    finally:
        no_writers.release()
        if contended:
            _switch_off(lock)


def _switch_on(lock: Any) -> None:
    """RWLock._writer_acquire's first half: the first writer in keeps new readers out."""
    switch = lock._write_switch
    with switch._mutex:
        switch._counter += 1
        if switch._counter == 1:
            lock._no_readers.acquire()


def _switch_off(lock: Any) -> None:
    """RWLock._writer_release's second half: the last writer out lets readers in again."""
    switch = lock._write_switch
    with switch._mutex:
        switch._counter -= 1
        if switch._counter == 0:
            lock._no_readers.release()
