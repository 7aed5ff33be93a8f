"""``console.log`` / ``console.error`` for concepts and the engine.

They write to ``sys.stdout`` / ``sys.stderr`` at call time, so the lines show in a notebook cell
and pytest's ``capsys`` captures them, exactly as the Deno server prints them. ``quiet()``
silences them (benchmarks, replays).
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator
from typing import Any

from .masking import mask_text

_local = threading.local()
_global = {"quiet": False}


def _is_quiet() -> bool:
    # The thread's own dict, not getattr(): a missing thread-local attribute builds an AttributeError.
    q = _local.__dict__.get("quiet")
    return _global["quiet"] if q is None else q


def _fmt(parts: tuple[Any, ...]) -> str:
    if len(parts) == 1 and type(parts[0]) is str:
        return parts[0]
    return " ".join(p if isinstance(p, str) else (f"{type(p).__name__}: {p}" if isinstance(p, BaseException) else str(p)) for p in parts)


def log(*parts: Any) -> None:
    """Like ``console.log``: to stdout."""
    if _is_quiet():
        return
    out = sys.stdout
    if out is None:  # no stdout (pythonw): print() would write nothing either
        return
    # One write of the line and its newline (print() makes two), the same bytes.
    out.write((parts[0] if len(parts) == 1 and type(parts[0]) is str else _fmt(parts)) + "\n")


def error(*parts: Any) -> None:
    """Like ``console.error``: to stderr, with secrets quoted by an error's text masked (an E11000's id)."""
    if not _is_quiet():
        print(mask_text(_fmt(parts)), file=sys.stderr)


def set_quiet(quiet: bool) -> None:
    """Silence (or restore) all console output of concepts and engine, in every thread."""
    _global["quiet"] = bool(quiet)


@contextlib.contextmanager
def quiet(enabled: bool = True) -> Iterator[None]:
    """Silence console output of concepts and engine in this thread for the block."""
    old = getattr(_local, "quiet", None)
    _local.quiet = enabled
    try:
        yield
    finally:
        _local.quiet = old
