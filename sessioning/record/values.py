"""Plain values: the JSON-able form of what the engine saw (variables, ``undefined``, dates), and
the one way to name a concept (``concept_name``).

Objects that know their own JSON form say so with a ``__plain__`` method (and ``__plain_key__`` as
a frame key), so this module never imports the engine that defines them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

MAX_FRAMES_KEPT = 20
#: The types ``plain`` returns as they are (their subclasses too, through the full test).
_SCALARS = frozenset({str, int, float, bool, type(None)})


def concept_name(concept: Any) -> str:
    """A concept's name as TRACE lines print it: the class name without a trailing ``Concept``.

    ``concept`` is a concept instance, its class, or a class name."""
    if isinstance(concept, str):
        name = concept
    else:
        name = (concept if isinstance(concept, type) else type(concept)).__name__
    return name[: -len("Concept")] if name.endswith("Concept") and name != "Concept" else name


def plain(value: Any, depth: int = 0) -> Any:
    """A JSON-able copy: variables by name (``Symbol(x)``), dates as ISO strings, undefined as None."""
    if depth > 12:
        return "[…]"
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if type(value) is dict:  # the common case, before looking for __plain__ (a miss builds an error)
        if depth < 12:  # below the cut-off, string keys and scalar values are taken without a call each
            return {(k if type(k) is str else _plain_key(k)): (v if type(v) in _SCALARS else plain(v, depth + 1))
                    for k, v in value.items()}
        return {_plain_key(k): plain(v, depth + 1) for k, v in value.items()}
    to_plain = getattr(type(value), "__plain__", None)
    if to_plain is not None:  # a variable (Symbol(x)) or undefined: they know their JSON form
        return to_plain(value)
    if isinstance(value, dict):
        return {_plain_key(k): plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v, depth + 1) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, BaseException):
        return f"{type(value).__name__}: {value}"
    return str(value)


def _plain_key(key: Any) -> str:
    if type(key) is str:
        return key
    name = getattr(type(key), "__plain_key__", None)  # a variable key is its bare name
    return name(key) if name is not None else str(key)


def frame_snapshot(frames: list) -> list[dict[str, Any]]:
    """Frames as name → value dicts (hidden ``flow``/``action_i`` kept, string keys marked)."""
    out = []
    for frame in list(frames)[:MAX_FRAMES_KEPT]:
        snap = {}
        if isinstance(frame, dict):
            for k, v in frame.items():
                snap[f"'{k}' (string key)" if isinstance(k, str) else _plain_key(k)] = plain(v)
        out.append(snap)
    return out


def snapshot(frames: list | None) -> list[dict[str, Any]] | None:
    """Frames as :func:`frame_snapshot` gives them (a loaded run's frames are plain already)."""
    if frames is None:
        return None
    if frames and isinstance(frames[0], dict) and all(isinstance(k, str) for k in frames[0]):
        return frames  # already plain (a loaded run)
    return frame_snapshot(frames)


def pattern_text(pattern: dict | Any) -> Any:
    """A ``when``/``then`` pattern as plain data: variables as ``Symbol(x)``, literals as they are."""
    if not isinstance(pattern, dict):
        return None
    return {k: plain(v) for k, v in pattern.items()}


__all__ = ["MAX_FRAMES_KEPT", "concept_name", "frame_snapshot", "pattern_text", "plain", "snapshot"]
