"""Instrumentation: the proxy the engine puts around a concept (the course's ``instrumentConcept``).

Reading a method whose name does not start with ``_`` gives an :class:`InstrumentedAction` (calls
are recorded, traced and synchronized); a name starting with ``_`` gives a :class:`BoundQuery`, the
plain bound query, which is *not* instrumented — using it in ``when``/``then`` fails at
registration (F7), as in the course engine.

The proxies know nothing of the engine: they are given an ``invoke`` callable, which runs one
outside call of an action (a new flow) and returns its output.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable
from typing import Any

from sessioning.record import concept_name

#: ``invoke(action, given)``: run ``action`` with the input ``given`` as an outside call; its output.
Invoke = Callable[["InstrumentedAction", dict[str, Any]], Any]


class BoundQuery:
    """A query read through an instrumented concept: bound, not instrumented (``bound _getUser``)."""

    __slots__ = ("fn", "__name__", "label")

    def __init__(self, fn: Any, concept: Any) -> None:
        self.fn = fn
        self.__name__ = f"bound {fn.__name__}"
        self.label = f"{concept_name(concept)}.{fn.__name__}"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not args:  # the usual call, from frames.query: keywords only
            return self.fn(**adapt(self.fn, kwargs))
        if len(args) == 1 and isinstance(args[0], dict) and not kwargs:
            kwargs = args[0]
            args = ()
        return self.fn(*args, **adapt(self.fn, kwargs))

    def __repr__(self) -> str:
        return f"[Function: {self.__name__}]"


_PARAMS: dict[Any, tuple[list[str], frozenset, bool, bool]] = {}
_MethodType = types.MethodType


def _accepts(fn: Any) -> tuple[list[str], frozenset, bool, bool]:
    """``fn``'s parameter names, the required ones, whether it takes ``**kw``, whether all are required."""
    key = getattr(fn, "__func__", fn)
    cached = _PARAMS.get(key)
    if cached is None:
        params = list(inspect.signature(fn).parameters.values())
        names = [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        required = frozenset(p.name for p in params if p.default is inspect.Parameter.empty
                             and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD))
        cached = _PARAMS[key] = (names, required, any(p.kind == p.VAR_KEYWORD for p in params),
                                 required.issuperset(names))
    return cached


def adapt(fn: Any, given: dict[str, Any]) -> dict[str, Any]:
    """Call with JavaScript destructuring semantics: extra keys ignored, missing ones ``None``."""
    # _accepts(fn) when its answer is cached (every call but the first): one dictionary read and no
    # call, as every action and query goes through here. Actions and queries are bound methods.
    spec = _PARAMS.get(fn.__func__ if type(fn) is _MethodType else fn)
    names, required, var_kw, all_required = spec if spec is not None else _accepts(fn)
    if var_kw:
        out = dict(given)
        for name in required:
            out.setdefault(name, None)
        return out
    # Plain loops, not comprehensions: before Python 3.12 a comprehension is a function of its own,
    # made and called each time, which costs more than filling a dict of one or two names.
    out = {}
    if all_required:  # every parameter is passed, None when missing
        for name in names:
            out[name] = given.get(name)
    else:
        for name in names:
            if name in given or name in required:
                out[name] = given.get(name)
    return out


class InstrumentedAction:
    """An action of an instrumented concept. Call it with keywords (or one dict) like the TS wrapper."""

    def __init__(self, invoke: Invoke, concept: Any, name: str, method: Any) -> None:
        self.invoke = invoke
        self.concept = concept
        self.action = method
        self.name = name
        self.concept_name = concept_name(concept)
        self.label = f"{self.concept_name}.{name}"
        self.__name__ = "instrumented"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if args:
            if len(args) == 1 and isinstance(args[0], dict) and not kwargs:
                kwargs = dict(args[0])
            else:
                raise TypeError(f"{self.label} takes keyword arguments (or one dict), not positional ones")
        return self.invoke(self, kwargs)

    def call_method(self, given: dict[str, Any]) -> Any:
        """Run the concept's own method with ``given`` (no recording, no syncs), as :func:`adapt` passes it."""
        return self.action(**adapt(self.action, given))

    def __repr__(self) -> str:
        return f"<instrumented {self.label}>"

    @property
    def ts_repr(self) -> str:
        return f"[Function: bound {self.name}] AsyncFunction"


class InstrumentedConcept:
    """The proxy ``Engine.instrument`` returns: actions instrumented, ``_queries`` bound, the rest as is."""

    def __init__(self, invoke: Invoke, concept: Any) -> None:
        self.__dict__["_invoke"] = invoke
        self.__dict__["_concept"] = concept
        self.__dict__["_cache"] = {}

    @property
    def concept(self) -> Any:
        return self._concept

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._concept, name)
        if not callable(value) or isinstance(value, type) or name.startswith("__"):
            return value
        cached = self._cache.get(name)
        if cached is None:
            cached = (BoundQuery(value, self._concept) if name.startswith("_")
                      else InstrumentedAction(self._invoke, self._concept, name, value))
            self._cache[name] = cached
        # Kept in the proxy's own dict too, so the next read finds it there: __getattr__ runs only
        # after the normal look-up failed, and that failure plus this method cost ~8k instructions
        # (a `where` reads `Sessioning._getUser` in every flow). This method would return the same
        # object again while the concept's attribute stays callable; setting it through the proxy
        # drops the copy (__setattr__), so the next read comes back here.
        self.__dict__[name] = cached
        return cached

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._concept, name, value)
        if name in self._cache:
            self.__dict__.pop(name, None)

    def __dir__(self) -> list[str]:
        return dir(self._concept)

    def __repr__(self) -> str:
        return f"<instrumented {concept_name(self._concept)}>"


__all__ = ["BoundQuery", "InstrumentedAction", "InstrumentedConcept", "Invoke", "adapt"]
