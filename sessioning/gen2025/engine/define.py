"""Sync definitions: what ``register`` makes of a sync function, and the checks it makes.

A sync is a function whose parameters are its variables; called once with one fresh
:class:`~sessioning.gen2025.engine.vars.Var` per parameter, it returns
``{"when": actions(...), "where": optional function, "then": actions(...)}``.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .actions import ActionPattern
from .errors import EngineError, SyncDefinitionError
from .vars import Var, sync_vars


@dataclass
class Sync:
    """A registered sync: its name, function, variables and patterns (``action_vars`` hold the ids
    of the records each ``when`` pattern matched, as the course engine's hidden ``action_i``)."""

    name: str
    fn: Callable
    vars: dict[str, Var]
    when: list[ActionPattern]
    where: Callable | None
    then: list[ActionPattern]
    action_vars: list[Var] = field(default_factory=list)

    def definition(self) -> dict[str, Any]:
        """The sync's patterns as plain data, for the record."""
        return {
            "when": [{"action": p.label, **p.texts()} for p in self.when],
            "then": [{"action": p.label, **p.texts()} for p in self.then],
            "where": self.where is not None,
        }


def build_sync(name: str, fn: Callable) -> Sync:
    """Call the sync function with fresh variables and check what it returns."""
    if not callable(fn):
        raise SyncDefinitionError(f"sync {name!r} is not a function")
    variables = sync_vars(fn)
    try:
        spec = fn(**variables)
    except EngineError as e:
        e.add_context(sync=name)
        raise
    if not isinstance(spec, Mapping) or "when" not in spec or "then" not in spec:
        raise SyncDefinitionError(
            f"sync {name!r} must return {{'when': actions(...), 'then': actions(...)}} (and optionally 'where')",
            sync=name,
        )
    unknown = set(spec) - {"when", "where", "then"}
    if unknown:
        raise SyncDefinitionError(f"sync {name!r} has unknown keys {sorted(unknown)}: only when, where, then", sync=name)
    where = spec.get("where")
    if where is not None and not callable(where):
        raise SyncDefinitionError(f"sync {name!r}: 'where' must be a function of frames", sync=name)
    for part in ("when", "then"):
        if not isinstance(spec[part], list) or not all(isinstance(p, ActionPattern) for p in spec[part]):
            raise SyncDefinitionError(f"sync {name!r}: '{part}' must be actions([...], ...)", sync=name)
    if not spec["when"]:
        raise SyncDefinitionError(f"sync {name!r} has an empty 'when': it could never fire", sync=name)
    action_vars = [Var(f"action_{i}") for i in range(len(spec["when"]))]
    return Sync(name, fn, variables, spec["when"], where, spec["then"], action_vars)


def named_syncs(syncs: Any) -> list[tuple[str, Callable]]:
    """``(name, function)`` pairs from ``{name: function}``, a list of functions, one function, or a module."""
    if isinstance(syncs, types.ModuleType):
        prefix = syncs.__name__.rsplit(".", 1)[-1]
        return [(f"{prefix}.{n}", f) for n, f in vars(syncs).items()
                if isinstance(f, types.FunctionType) and not n.startswith("_") and f.__module__ == syncs.__name__]
    if isinstance(syncs, Mapping):
        return list(syncs.items())
    if callable(syncs):
        return [(syncs.__name__, syncs)]
    if isinstance(syncs, Iterable):
        return [(getattr(f, "__name__", str(f)), f) for f in syncs]
    raise TypeError("register takes {name: sync}, a list of sync functions, or a module")


__all__ = ["Sync", "build_sync", "named_syncs"]
