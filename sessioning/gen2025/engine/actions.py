"""Actions: instrumented concept methods, their records, and the ``actions(...)`` pattern helper.

``Engine.instrument(concept)`` returns an :class:`InstrumentedConcept`. Reading a method whose
name does not start with ``_`` gives an :class:`InstrumentedAction` (calls are recorded, traced
and synchronized); a name starting with ``_`` gives the plain bound query, which is *not*
instrumented — using it in ``when``/``then`` fails at registration (F7), as in the course engine.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sessioning.record import concept_name, pattern_text

from .errors import NotInstrumented, SyncDefinitionError
from .inspect_format import UNDEFINED

if TYPE_CHECKING:
    from .sync import Engine

#: The output pattern of a ``when`` entry written without one (F8 is raised at match time).
MISSING = object()
#: A record's output while its action is still running.
RUNNING = object()


class BoundQuery:
    """A query read through an instrumented concept: bound, not instrumented (``bound _getUser``)."""

    __slots__ = ("fn", "__name__", "label")

    def __init__(self, fn: Any, concept: Any) -> None:
        self.fn = fn
        self.__name__ = f"bound {fn.__name__}"
        self.label = f"{concept_name(concept)}.{fn.__name__}"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 1 and isinstance(args[0], dict) and not kwargs:
            kwargs = args[0]
            args = ()
        return self.fn(*args, **_adapt(self.fn, kwargs))

    def __repr__(self) -> str:
        return f"[Function: {self.__name__}]"


_PARAMS: dict[Any, tuple[list[str], frozenset, bool]] = {}


def _accepts(fn: Any) -> tuple[list[str], frozenset, bool]:
    key = getattr(fn, "__func__", fn)
    cached = _PARAMS.get(key)
    if cached is None:
        params = list(inspect.signature(fn).parameters.values())
        names = [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        required = frozenset(p.name for p in params if p.default is inspect.Parameter.empty
                             and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD))
        cached = _PARAMS[key] = (names, required, any(p.kind == p.VAR_KEYWORD for p in params))
    return cached


def _adapt(fn: Any, given: dict[str, Any]) -> dict[str, Any]:
    """Call with JavaScript destructuring semantics: extra keys ignored, missing ones ``None``."""
    names, required, var_kw = _accepts(fn)
    if var_kw:
        out = dict(given)
        for name in required:
            out.setdefault(name, None)
        return out
    return {name: given.get(name) for name in names if name in given or name in required}


class InstrumentedAction:
    """An action of an instrumented concept. Call it with keywords (or one dict) like the TS wrapper."""

    def __init__(self, engine: Engine, concept: Any, name: str, method: Any) -> None:
        self.engine = engine
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
        return self.engine._invoke(self, kwargs, flow=None, parent=None)

    def call_method(self, given: dict[str, Any]) -> Any:
        return self.action(**_adapt(self.action, given))

    def __repr__(self) -> str:
        return f"<instrumented {self.label}>"

    @property
    def ts_repr(self) -> str:
        return f"[Function: bound {self.name}] AsyncFunction"


class InstrumentedConcept:
    """The proxy ``Engine.instrument`` returns: actions instrumented, ``_queries`` bound, the rest as is."""

    def __init__(self, engine: Engine, concept: Any) -> None:
        self.__dict__["_engine"] = engine
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
            cached = BoundQuery(value, self._concept) if name.startswith("_") else InstrumentedAction(self._engine, self._concept, name, value)
            self._cache[name] = cached
        return cached

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._concept, name, value)

    def __dir__(self) -> list[str]:
        return dir(self._concept)

    def __repr__(self) -> str:
        return f"<instrumented {concept_name(self._concept)}>"


@dataclass
class ActionPattern:
    """One ``[action, input, output?]`` entry of a ``when`` or ``then``."""

    action: InstrumentedAction
    input: dict[str, Any]
    output: Any = MISSING  # dict, or MISSING when the entry has no third element

    def __post_init__(self) -> None:
        self.label = self.action.label

    def texts(self) -> dict[str, Any]:
        """The input and output patterns as plain data (for the record), computed once."""
        cached = self.__dict__.get("_texts")
        if cached is None:
            cached = self.__dict__["_texts"] = {
                "input": pattern_text(self.input),
                "output": pattern_text(self.output) if self.output is not MISSING else None,
            }
        return cached


def _callable_name(action: Any) -> str:
    name = getattr(action, "__name__", None)
    if name is None:
        return str(action)
    return name


def actions(*entries: Any) -> list[ActionPattern]:
    """``actions([Concept.action, {input}, {output}], ...)`` like the TypeScript helper.

    Raises ``Action <name> is not instrumented.`` for anything that is not an instrumented action
    (a ``_query``, a method of a concept that was not instrumented), as the course engine does.
    """
    out = []
    for entry in entries:
        if not isinstance(entry, (list, tuple)) or not 2 <= len(entry) <= 3:
            raise SyncDefinitionError(
                f"each entry of actions(...) is [action, input] or [action, input, output], not {entry!r}",
                fix="Write e.g. actions([Sessioning.create, {'user': user}, {'session': session}])",
            )
        action, inp = entry[0], entry[1]
        if not isinstance(action, InstrumentedAction):
            name = _callable_name(action)
            query = name.removeprefix("bound ").startswith("_") if isinstance(name, str) else False
            raise NotInstrumented(
                f"Action {name} is not instrumented.",
                explanation=(
                    f"`{getattr(action, 'label', name)}` is a query (its name starts with `_`): queries are not "
                    "instrumented, so they cannot appear in `when` or `then`."
                    if query else
                    f"`{name}` is not an action of a concept passed through `engine.instrument(...)`."
                ),
                fix=(
                    "Call queries in `where`: `frames.query(Concept._query, {input}, {output})`."
                    if query else "Instrument the concept first: `X = engine.instrument(XConcept(db))`, and use `X.action`."
                ),
                action=name,
            )
        if not isinstance(inp, dict):
            raise SyncDefinitionError(f"the input pattern of {action.label} must be a dict, not {type(inp).__name__}")
        output = entry[2] if len(entry) == 3 else MISSING
        if output is not MISSING and not isinstance(output, dict):
            raise SyncDefinitionError(f"the output pattern of {action.label} must be a dict, not {type(output).__name__}")
        out.append(ActionPattern(action, dict(inp), output))
    return out


@dataclass
class ActionRecord:
    """What the engine's ``ActionConcept`` keeps for one invocation (plus trace facts)."""

    id: str
    action: InstrumentedAction
    input: dict[str, Any]
    flow: str
    synced: dict[str, str] = field(default_factory=dict)
    output: Any = RUNNING

    @property
    def concept(self) -> Any:
        return self.action.concept

    def output_value(self) -> Any:
        return UNDEFINED if self.output is RUNNING or self.output is None else self.output
