"""Which failure mode an error line shows: a table of linear-time matchers (``ERR_RULES``).

:func:`classify_error` looks at the message alone; :func:`classify_in_request` refines it with
what the log showed of the request before the error (a `Missing binding` right after a
successful action is F1; a timeout after actions ran is F11). :func:`sync_of_stack` reads the
sync a startup crash names from its stack.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sessioning.gen2025.readers.logs.lines import STACK_FRAME
from sessioning.gen2025.readers.logs.store import KIND_OK, ErrorRow, Request

__all__ = ["ERR_RULES", "classify_error", "classify_in_request", "sync_of_stack"]

Matcher = Callable[[str], "str | None"]


def _symbol(prefix: str, then: str = "") -> Matcher:
    r"""A matcher for ``prefix([^)]*)\)then`` (``prefix`` ends with ``Symbol(``): the symbol's description.

    Linear, unlike ``re.search``, which rescans to the end of the text from every ``prefix`` when
    no ``)`` follows (``"Missing binding: Symbol(" * 2000`` took 0.3 s, 1 MB hung). Every ``prefix``
    that starts before a ``)`` reaches that same ``)``, so after a miss the search resumes past it.
    """

    def match(message: str) -> str | None:
        i = message.find(prefix)
        while i >= 0:
            j = message.find(")", i + len(prefix))
            if j < 0:
                return None
            if message.startswith(then, j + 1):
                return message[i + len(prefix):j]
            i = message.find(prefix, j + 1)
        return None

    return match


def _on_a_line(prefix: str, *suffixes: str, gap: int = 0) -> Matcher:
    """A matcher for ``prefix.{gap,}(?:suffix|…)`` (``.``: not a newline), in linear time."""

    def match(message: str) -> str | None:
        if not any(x in message for x in suffixes):  # the usual case: one pass, no split
            return None
        for line in message.split("\n") if "\n" in message else (message,):
            i = line.find(prefix)
            if i >= 0 and any(line.find(x, i + len(prefix) + gap) >= 0 for x in suffixes):
                return ""
        return None

    return match


def _regex(pattern: str) -> Matcher:
    """A matcher for a regex without backtracking traps (literals, alternations, ``\\S+``/``\\d+`` runs)."""
    rx = re.compile(pattern)

    def match(message: str) -> str | None:
        m = rx.search(message)
        return None if m is None else ""

    return match


#: (matcher, failure mode, kind), first match wins. A matcher returns None (no match), or the
#: variable named for F2/F4, else "". All run in linear time: error lines can be megabytes long.
ERR_RULES: list[tuple[Matcher, str, str]] = [
    (_symbol("Missing binding: Symbol("), "F2", "binding"),
    (_symbol("Binding: Symbol(", " not found"), "F4", "binding"),
    (_regex(r"Missing actionId in `then` clause"), "F5", "engine"),
    (_on_a_line("Action ", " missing or missing synced Map"), "F5", "engine"),
    (_on_a_line("When pattern: ", " is missing output pattern"), "F8", "engine"),
    (_on_a_line("Action ", " is not instrumented.", gap=1), "F7", "startup"),
    (_regex(r"functionOutputArray is not iterable|frames is not iterable"
            r"|Cannot read properties of undefined \(reading 'length'\)|\.filter is not a function"
            r"|is not iterable|\.query is not a function|is not a function"), "F9", "engine"),
    (_regex(r"Request \S+ timed out after \d+ms"), "F10", "timeout"),
    (_regex(r"Request \S+ is not pending or does not exist"), "F10", "timeout"),
    (_regex(r"E11000 duplicate key error"), "F16", "db"),
    (_regex(r"BSONError|input must be a 24 character hex string|ObjectId"), "F17", "db"),
    (_regex(r"Could not find environment variable|MongoDB connection failed|bad auth"
            r"|Server selection timed out|MongoServerSelectionError|ECONNREFUSED|querySrv"), "F18", "environment"),
    (_regex(r"Leaks detected"), "F20", "test"),
    (_regex(r"Failed to load syncs"), "F21", "startup"),
    (_on_a_line("Module not found ", "concepts.ts", "syncs.ts"), "F21", "startup"),
    (_regex(r"Flow token not string|synced must be a Map|actionId not string"), "F14", "engine"),
]


def classify_error(message: str) -> tuple[str, str | None]:
    """The failure-mode code for an error message and the variable it names (if any).

    Context-free: ``Missing binding`` is refined to F1/F3 by :func:`classify_in_request` using the
    request's actions. Anything unrecognised is an action (or ``where``) that threw: F16.
    Linear in the message's length.
    """
    for match, code, _kind in ERR_RULES:
        var = match(message)
        if var is not None:
            if code not in ("F2", "F4"):
                return code, None
            if code == "F2" and var == "error":
                return "F3", var
            return code, var
    return "F16", None


def classify_in_request(e: ErrorRow, r: Request | None) -> tuple[str, str | None]:
    """:func:`classify_error`, refined by what request ``r`` did before error ``e``."""
    code, var = classify_error(e.message)
    if code == "F2" and r is not None:
        after_action = r.last_kind == KIND_OK and r.last_action not in (None, "Requesting.request")
        if after_action and ((var == "session" and not r.session_logged) or var not in ("user", "session")):
            # right after a successful action, the value must come from a `then` action
            return "F1", var
    if code == "F10" and r is not None and (r.n_actions > 1 or r.emptied()):
        return "F11", var
    return code, var


def sync_of_stack(stack: list[str]) -> tuple[str | None, str | None]:
    """The sync function and file:line named by a startup stack (a frame inside src/syncs)."""
    for ln in stack:
        m = STACK_FRAME.match(ln.encode())
        if m and b"/syncs/" in m.group(2):
            name = m.group(1).decode() if m.group(1) else None
            path = m.group(2).decode()
            return name, f"{path.split('/syncs/', 1)[1]}:{m.group(3).decode()}"
    return None, None
