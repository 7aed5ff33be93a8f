"""Fault injection: make chosen database operations or actions fail on purpose.

For teaching and for tests. Faults live on one database handle (``db.faults``), so a fresh
``connect()`` starts clean and nothing leaks into the next run; ``with db.faults.inject(...)``
scopes a fault to a block, and ``db.faults.clear()`` removes them all::

    db.faults.fail_inserts("Sessioning.sessions", "duplicate_key", times=1)
    db.faults.fail_action("Sessioning.create", RuntimeError("disk full"))
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pymongo import errors as pymongo_errors

#: Names accepted for ``error=``; each makes the pymongo exception a real server or driver raises.
ERROR_KINDS = ("duplicate_key", "auto_reconnect", "connection_reset", "timeout", "write_error")


def _js_value(value: Any) -> str:
    """A key value as the server prints it in ``dup key: { … }``."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return json.dumps(value)
    if type(value).__name__ == "ObjectId":
        return f"ObjectId('{value}')"
    return repr(value)


def make_error(kind: str | BaseException, collection: str = "?", doc: dict | None = None,
               key: str | None = None) -> BaseException:
    """The exception a fault raises: a pymongo error for a kind name, or (a copy of) the given exception.

    ``duplicate_key`` collides on ``key`` (default ``_id``; the index is ``_id_`` or ``<key>_1``) with the
    value the document being inserted has, worded like the server's E11000 message.
    """
    if isinstance(kind, BaseException):
        try:
            return copy.copy(kind)  # a fresh instance per raise: tracebacks do not pile up
        except Exception:  # noqa: BLE001 - an exception that cannot be copied is raised as it is
            return kind
    doc = doc or {}
    if kind == "duplicate_key":
        key = key or "_id"
        value = doc.get(key)
        index = "_id_" if key == "_id" else f"{key}_1"
        msg = f"E11000 duplicate key error collection: {collection} index: {index} dup key: {{ {key}: {_js_value(value)} }}"
        return pymongo_errors.DuplicateKeyError(
            msg, 11000, {"code": 11000, "errmsg": msg, "keyPattern": {key: 1}, "keyValue": {key: value}, "injected": True}
        )
    if kind in ("auto_reconnect", "connection_reset"):
        return pymongo_errors.AutoReconnect("connection reset by peer (injected fault)")
    if kind == "timeout":
        return pymongo_errors.NetworkTimeout("timed out (injected fault)")
    if kind == "write_error":
        return pymongo_errors.WriteError("Document failed validation (injected fault)", 121, {"injected": True})
    raise ValueError(f"unknown fault kind {kind!r}: use one of {', '.join(ERROR_KINDS)} or an exception instance")


@dataclass
class Fault:
    """One rule: ``target`` is a collection name (for ``op`` writes) or ``Concept.action``."""

    op: str  # "insert" | "update" | "delete" | "action"
    target: str
    error: str | BaseException
    times: int | None = 1  # None: every time
    key: str | None = None  # for duplicate_key: the field that collides (default ``_id``)
    fired: int = 0
    log: list[str] = field(default_factory=list)

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.fired >= self.times


_ACTION = re.compile(r"[A-Za-z_]\w*\.[A-Za-z_]\w*")


def _target_problem(op: str, target: Any, known: set[str]) -> str | None:
    """Why ``target`` can never match a write (``op`` ≠ "action") or an action, or None.

    A mistyped target would never fire and say nothing, so it is refused when armed: its form is
    checked, and a name *close* to one this database handle knows (a collection its concepts opened,
    an action already run, a concept's name), yet not it, is taken for a typo. A name unlike any
    known one is accepted: its collection or concept may simply not be in use yet.
    """
    if not isinstance(target, str) or not target or target != target.strip():
        return f"{target!r} is not a name (no empty names, no spaces around it)"
    collections = {k for k in known if not k.startswith("action:")}
    if op != "action":
        if "$" in target or "\x00" in target or any(c.isspace() for c in target):
            return f"{target!r} is not a collection name (no $, spaces or NUL)"
        if target not in collections and _close(target, collections):
            return f"this database has no collection {target!r}" + _did_you_mean(target, collections)
        return None
    if not _ACTION.fullmatch(target):
        return f"{target!r} is not an action: write Concept.action, e.g. \"Sessioning.create\""
    actions = {k.removeprefix("action:") for k in known if k.startswith("action:")}
    concepts = {k.split(".", 1)[0] for k in collections | actions if "." in k}
    concept = target.split(".", 1)[0]
    if concept not in concepts and _close(concept, concepts):
        return f"no concept {concept!r} uses this database" + _did_you_mean(concept, concepts)
    if target not in actions and _close(target, actions, exact_only=True):
        return f"no action {target!r} has run" + _did_you_mean(target, actions)
    return None


def _close(name: str, names: set[str], *, exact_only: bool = False) -> list[str]:
    """Known names ``name`` is a typo of: the same but for case, or (unless ``exact_only``) very
    close (a missing or doubled letter; "Posting.posts" and "Posting.comments" are not close)."""
    lowered = {n.lower(): n for n in names}
    if name.lower() in lowered:
        return [lowered[name.lower()]]
    return [] if exact_only else difflib.get_close_matches(name, sorted(names), n=3, cutoff=0.88)


def _did_you_mean(name: str, names: set[str]) -> str:
    return f" (did you mean {' or '.join(repr(c) for c in _close(name, names))}?)"


class Faults:
    """The faults armed on one database handle.

    ``known`` (given by the database handle): the names it knows, to refuse a target that can never
    match: its collections, and ``action:Concept.action`` for each action already run.
    """

    def __init__(self, known: Callable[[], Iterable[str]] | None = None) -> None:
        self._rules: list[Fault] = []
        self._lock = threading.Lock()
        self._known = known
        self._actions_seen: set[str] = set()

    def __repr__(self) -> str:
        active = [f"{f.op} {f.target} → {f.error if isinstance(f.error, str) else type(f.error).__name__}"
                  f" ({'every time' if f.times is None else f'{f.times - f.fired} left'})"
                  for f in self._rules if not f.exhausted]
        return f"Faults({'; '.join(active) or 'none'})"

    def _add(self, op: str, target: str, error: str | BaseException, times: int | None, key: str | None = None) -> Fault:
        if isinstance(error, str) and error not in ERROR_KINDS:
            raise ValueError(f"unknown fault kind {error!r}: use one of {', '.join(ERROR_KINDS)} or an exception instance")
        if not isinstance(error, (str, BaseException)):
            raise TypeError(f"error must be a fault kind name or an exception instance, not {type(error).__name__}")
        if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
            raise ValueError("times must be a positive whole number, or None for every time")
        known = set(self._known()) if self._known is not None else set()
        known |= {f"action:{a}" for a in self._actions_seen}
        problem = _target_problem(op, target, known)
        if problem is not None:
            kind = "an action (\"Sessioning.create\")" if op == "action" else "a collection name (\"Sessioning.sessions\")"
            raise ValueError(f"fault target {problem}: the target is {kind}; a fault on it would never fire")
        rule = Fault(op, target, error, times, key)
        with self._lock:
            self._rules.append(rule)
        return rule

    def fail_inserts(self, collection: str, error: str | BaseException = "duplicate_key", times: int | None = 1,
                     *, key: str | None = None) -> Fault:
        """The next ``times`` inserts into ``collection`` (every insert if ``None``) raise ``error``.

        Nothing is written by a failed insert (the check runs before the write); for ``insert_many``
        the whole batch is refused. ``key`` names the colliding field of a ``duplicate_key``.
        """
        return self._add("insert", collection, error, times, key)

    def fail_updates(self, collection: str, error: str | BaseException = "write_error", times: int | None = 1) -> Fault:
        return self._add("update", collection, error, times)

    def fail_deletes(self, collection: str, error: str | BaseException = "write_error", times: int | None = 1) -> Fault:
        return self._add("delete", collection, error, times)

    def fail_action(self, action: str, error: BaseException | str = "write_error", times: int | None = 1) -> Fault:
        """``Concept.action`` (e.g. ``"Sessioning.create"``) raises instead of returning ``{error}``."""
        if isinstance(error, str) and error not in ERROR_KINDS:
            error = RuntimeError(error)
        return self._add("action", action, error, times)

    def remove(self, rule: Fault) -> None:
        with self._lock:
            if rule in self._rules:
                self._rules.remove(rule)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def rules(self) -> list[Fault]:
        """Every armed rule, exhausted ones included (a copy): what was injected so far."""
        with self._lock:
            return list(self._rules)

    @property
    def active(self) -> list[Fault]:
        return [f for f in self._rules if not f.exhausted]

    @contextlib.contextmanager
    def inject(self, op: str, target: str, error: str | BaseException = "duplicate_key", times: int | None = None) -> Iterator[Fault]:
        """Arm one fault for the duration of a ``with`` block."""
        adders = {"insert": self.fail_inserts, "update": self.fail_updates, "delete": self.fail_deletes, "action": self.fail_action}
        if op not in adders:
            raise ValueError(f"op must be one of {', '.join(adders)}")
        rule = adders[op](target, error, times)
        try:
            yield rule
        finally:
            self.remove(rule)

    def check(self, op: str, target: str, doc: dict | None = None, namespace: str | None = None) -> None:
        """Raise the armed error if a rule matches this operation (called by the database wrapper).

        ``target`` is the collection name (or ``Concept.action``) rules are matched on; ``namespace``
        (``<db>.<collection>``), when given, is what a duplicate-key message names, as a server does.
        """
        if op == "action" and len(self._actions_seen) < 10_000:
            self._actions_seen.add(target)
        if not self._rules:
            return
        with self._lock:
            for rule in self._rules:
                if rule.op == op and rule.target == target and not rule.exhausted:
                    rule.fired += 1
                    error = make_error(rule.error, namespace or target, doc, rule.key)
                    rule.log.append(str(error))
                    break
            else:
                return
        raise error

    def __bool__(self) -> bool:  # a Faults object is always present; truthiness means "armed"
        # Asked before every write: nothing armed (the usual case) is one test, no list built.
        return bool(self._rules) and any(not f.exhausted for f in self._rules)


def describe(error: Any) -> str:
    return f"{type(error).__name__}: {error}"
