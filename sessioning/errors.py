"""The kit's own errors: one base class that carries its message, what to do, and an exit code.

Modelled on click's ``ClickException``: an error the kit raises on purpose (bad input, an
unreachable database, a write through a read-only connection) is a :class:`KitError`. It knows
how to show itself as one line (plus an optional ``hint:`` line) and which exit status the
command line should return, so ``sessioning doctor`` catches this one type instead of guessing
from class names or message text.

A file the kit refuses to read is :class:`sessioning.files.FileRefused`, a ``KitError`` too.
Errors that belong to an engine's semantics (``EngineError``, ``RequestTimeout``) are not kit
errors: they are what the modelled server does, word for word, and they keep their own types.

This module is a leaf: it imports nothing from the kit.
"""

from __future__ import annotations

import sys
from typing import TextIO

__all__ = ["EXIT_ERRORS", "EXIT_OK", "EXIT_USAGE", "KitError"]

#: Exit statuses of the command line: no error found, errors found, a usage or input problem.
EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


class KitError(Exception):
    """An error the kit raises on purpose; ``str()`` is its one-line message.

    ``hint`` says what to do (may be empty when the message already says it);
    ``exit_code`` is the command line's status for it (2: bad input, by default).
    Subclasses may also derive from a built-in type (``ValueError``, ``RuntimeError``) so that
    callers catching those keep working.
    """

    #: Status the command line exits with when this error stops it.
    exit_code: int = EXIT_USAGE
    #: What to do about it; a subclass may set a default for all its instances.
    hint: str = ""

    def __init__(self, message: str, *args: object, hint: str | None = None, exit_code: int | None = None) -> None:
        super().__init__(message, *args)
        self.message = message
        if hint is not None:
            self.hint = hint
        if exit_code is not None:
            self.exit_code = exit_code

    def format_message(self) -> str:
        """The message on one line (newlines and runs of spaces collapsed)."""
        return " ".join(str(self.message).split())

    def show(self, file: TextIO | None = None, prefix: str = "error: ") -> None:
        """Print the one-line message, and the hint on a second line if there is one."""
        out = file if file is not None else sys.stderr
        print(f"{prefix}{self.format_message()}", file=out)
        if self.hint:
            print(f"  hint: {' '.join(self.hint.split())}", file=out)
