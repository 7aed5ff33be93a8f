"""JavaScript values the engine and the log readers share: ``undefined``.

A leaf: it imports nothing of the kit, so the engine (which prints ``undefined``) and the readers
(which parse it back) both import it from here. Plain JSON copies of recorded values are made by
:func:`sessioning.record.plain`.
"""

from __future__ import annotations


class Undefined:
    """JavaScript's ``undefined`` (an output the action did not return)."""

    _instance = None

    def __new__(cls) -> Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "undefined"

    def __bool__(self) -> bool:
        return False

    def __plain__(self) -> None:
        """Its JSON form: ``null`` (JSON has no undefined)."""
        return None


UNDEFINED = Undefined()


__all__ = ["UNDEFINED", "Undefined"]
