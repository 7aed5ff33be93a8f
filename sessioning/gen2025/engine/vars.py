"""Variables: the Python stand-in for the engine's ``Symbol(name)`` keys.

The course engine's ``$vars`` proxy makes a *new* symbol on every property read, and ``register``
calls each sync function once with it, so every sync has its own symbols. Here the sync
function's **parameter names** are its variables: ``register`` calls it once with a fresh
:class:`Var` per parameter. Two syncs that both say ``session`` have different variables, and a
variable prints as ``Symbol(session)``, as in the engine's messages.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable


class Var:
    """A sync variable. Compared by identity, like a JavaScript symbol."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Symbol({self.name})"

    __str__ = __repr__

    def __plain__(self) -> str:
        """Its JSON form as a value (``Symbol(x)``), for :func:`sessioning.record.plain`."""
        return repr(self)

    def __plain_key__(self) -> str:
        """Its JSON form as a frame key: the bare name."""
        return self.name


def sync_vars(sync: Callable) -> dict[str, Var]:
    """One fresh variable per parameter of a sync function."""
    try:
        params = inspect.signature(sync).parameters.values()
    except (TypeError, ValueError) as e:
        raise TypeError(f"a sync must be a function whose parameters are its variables ({e})") from None
    out = {}
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise TypeError(
                f"sync {getattr(sync, '__name__', sync)!r}: name every variable as a parameter "
                f"(*{p.name} / **{p.name} cannot be matched)"
            )
        out[p.name] = Var(p.name)
    return out


#: The hidden variable holding a frame's flow token.
FLOW = Var("flow")
