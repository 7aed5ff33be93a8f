"""The engine's errors: the course engine's message first, word for word, then what it cannot say.

``str(error)`` is the original message followed by an explanation; ``error.original`` is the
original line alone (what the user's server printed). Each class declares the facts it carries
(``variable``, ``bound``, ``sources``, ``key`` …) as attributes; :func:`error_facts` gives them as
plain data for the record. ``code`` is the failure mode (F1 …); the *why* and *fix* texts come from
the catalogue (:mod:`sessioning.failure_modes`, its ``engine`` wordings).
"""

from __future__ import annotations

from typing import Any

from sessioning import failure_modes
from sessioning.masking import mask_value
from sessioning.record import plain

from .vars import Var

FRAME_TEXT = "[object Object]"  # `${frame}` in JavaScript



class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


#: A fact that was not given (``None`` is a value a fact can have, e.g. a query that returned null).
UNSET: Any = _Unset()


class EngineError(Exception):
    """Base of every error the sync engine raises. ``code`` is a failure-mode id (F1 …).

    ``sync`` is the sync being run and ``flow`` the flow, both filled in on the way up
    (:meth:`add_context`). :attr:`FACTS` names the further facts a subclass declares, in the order
    the record keeps them."""

    code: str | None = None
    FACTS: tuple[str, ...] = ()

    def __init__(self, original: str, explanation: str = "", fix: str = "", *, sync: str | None = None) -> None:
        self.original = original
        self.explanation = explanation
        self.fix = fix
        self.sync = sync
        self.flow: str | None = None
        super().__init__(original)

    def __str__(self) -> str:
        parts = [self.original]
        if self.explanation:
            parts.append(f"  why: {self.explanation}")
        if self.fix:
            parts.append(f"  fix: {self.fix}")
        return "\n".join(parts)

    @property
    def facts(self) -> dict[str, Any]:
        """The declared facts that were given, by name."""
        return {name: getattr(self, name) for name in self.FACTS if getattr(self, name, UNSET) is not UNSET}

    def add_context(self, *, sync: str | None = None, flow: str | None = None) -> None:
        """Fill in the sync and the flow, unless an inner frame already did."""
        if self.sync is None:
            self.sync = sync
        if self.flow is None:
            self.flow = flow


def describe_bound(frame: dict) -> dict[str, Any]:
    """The named variables of a frame with their values, secrets masked (hidden ones left out)."""
    out = {}
    for key, value in frame.items():
        if isinstance(key, Var) and key.name != "flow" and not key.name.startswith("action_"):
            out[key.name] = mask_value(key.name, value)
    return out


def error_facts(e: BaseException) -> dict[str, Any]:
    """What an error knows beyond its message (code, explanation, fix, variable, …), as plain data."""
    if not isinstance(e, EngineError):
        details = getattr(e, "details", None)  # pymongo's keyPattern / keyValue of an E11000
        return {"details": plain(details)} if isinstance(details, dict) else {}
    facts: dict[str, Any] = {"code": e.code, "explanation": e.explanation, "fix": e.fix, "sync": e.sync}
    for key, value in e.facts.items():
        facts[key] = value.name if isinstance(value, Var) else plain(value)
    variable = getattr(e, "variable", None)
    if variable is not None:
        facts["variable"] = getattr(variable, "name", str(variable))
        facts["bound"] = plain(getattr(e, "bound", {}))
    return facts


class MissingBinding(EngineError):
    """``Missing binding: Symbol(x) in frame: [object Object]`` — a ``then`` input variable is unbound.

    ``entry``/``action``/``key``: the ``then`` entry, its action and the input key that wanted the
    variable; ``code`` and ``sources`` (where the sync could have bound it) come from
    :func:`~sessioning.gen2025.engine.explain.explain_missing_binding`."""

    FACTS = ("entry", "action", "key", "code", "sources")

    def __init__(self, variable: Var, frame: dict, *, sync: str, entry: int, action: str, key: str,
                 code: str, sources: list[str], explanation: str, fix: str) -> None:
        self.variable = variable
        self.bound = describe_bound(frame)
        self.entry, self.action, self.key, self.code, self.sources = entry, action, key, code, sources
        super().__init__(f"Missing binding: {variable!r} in frame: {FRAME_TEXT}", explanation, fix, sync=sync)


class BindingNotFound(EngineError):
    """``Binding: Symbol(x) not found in frame: [object Object]`` — a ``frames.query`` input is unbound."""

    code = "F4"
    FACTS = ("fn", "key")

    def __init__(self, variable: Var, frame: dict, *, fn: str, key: str) -> None:
        self.variable = variable
        self.bound = describe_bound(frame)
        self.fn, self.key = fn, key
        bound = ", ".join(self.bound) or failure_modes.phrase("F4.bound-nothing")
        why, fix = failure_modes.explain("F4", "engine", fn=fn, name=variable.name, bound=bound)
        super().__init__(f"Binding: {variable!r} not found in frame: {FRAME_TEXT}", why, fix)


class MissingActionId(EngineError):
    """``Missing actionId in `then` clause.`` — ``where`` returned frames built from scratch."""

    code = "F5"

    def __init__(self, *, sync: str) -> None:
        why, fix = failure_modes.explain("F5", "engine")
        super().__init__("Missing actionId in `then` clause.", why, fix, sync=sync)


class ActionMissing(EngineError):
    """``Action … missing or missing synced Map.`` — a frame's action id has no stored record."""

    code = "F5"


class NotInstrumented(EngineError):
    """``Action bound _getX is not instrumented.`` — raised while registering (F7)."""

    code = "F7"
    FACTS = ("action",)

    def __init__(self, original: str, *, action: str, label: str | None = None) -> None:
        self.action = action
        # a query (`bound _getUser`: its label is known) or anything that is not an instrumented action
        why, fix = (failure_modes.explain("F7", "engine-query", label=label) if label is not None
                    else failure_modes.explain("F7", "engine", name=action))
        super().__init__(original, why, fix)


class WhenMissingOutput(EngineError):
    """``When pattern: [object Object] is missing output pattern.`` — a ``when`` entry has no output."""

    code = "F8"
    FACTS = ("action",)

    def __init__(self, *, action: str) -> None:
        self.action = action
        why, fix = failure_modes.explain("F8", "engine", action=action)
        super().__init__(f"When pattern: {FRAME_TEXT} is missing output pattern.", why, fix)


class NotIterable(EngineError):
    """``functionOutputArray is not iterable`` (a query) or ``frames is not iterable`` (``where``)."""

    code = "F9"
    FACTS = ("fn", "value")

    def __init__(self, original: str, *, sync: str | None = None, fn: Any = UNSET, value: Any = UNSET) -> None:
        self.fn, self.value = fn, value
        if original.startswith("functionOutputArray"):  # a query's result
            got = None if value is UNSET else value
            why, fix = failure_modes.explain(
                "F9", "engine-query", fn="the query" if fn is UNSET else fn,
                type=type(got).__name__ if got is not None else "null", value=repr(str(got)[:60]))
        else:  # what `where` returned
            why, fix = failure_modes.explain("F9", "engine-where")
        super().__init__(original, why, fix, sync=sync)


class SyncDefinitionError(EngineError):
    """A sync function does not return ``{"when": …, "then": …}`` in the right shape."""
