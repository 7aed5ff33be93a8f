"""Node ``util.inspect`` text as the engine's TRACE lines print it, read back into Python values.

A TRACE message is ``"\\n<Concept>.<action> <inspect of input> => <inspect of output>\\n"``; an ask
prints ``=> {}``, a refusal ``=> { error: 'CODE', detail: '…' }``. Values are single-quoted
strings, bare numbers, ``true``/``false``/``null``/``undefined``, ISO dates printed bare,
``[redacted]`` markers, nested ``{ … }`` and ``[ … ]``. Anything this reader does not know is
kept as its text, so a strange value never stops the reading.
"""

from __future__ import annotations

from typing import Any

__all__ = ["parse_inspect", "split_trace"]

_WORDS = {"true": True, "false": False, "null": None, "undefined": None}


def _matching(text: str, start: int) -> int:
    """Index just past the bracket that closes ``text[start]`` (quotes respected), or -1."""
    depth, quote, i = 0, "", start
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = ""
        elif c in "'\"`":
            quote = c
        elif c in "{[":
            depth += 1
        elif c in "}]":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return -1


def split_trace(message: str) -> tuple[str, str, str] | None:
    """``(Concept.action, input text, output text)`` of a TRACE message, or None if it is not one."""
    body = message.strip("\n")
    name, sep, rest = body.partition(" ")
    if not sep or name.count(".") != 1 or not all(p.isidentifier() for p in name.split(".")):
        return None
    if not rest.startswith(("{", "[")):
        return None
    end = _matching(rest, 0)
    if end < 0 or not rest[end:].startswith(" => "):
        return None
    return name, rest[:end], rest[end + 4:]


class _Reader:
    def __init__(self, text: str) -> None:
        self.t, self.i = text, 0

    def ws(self) -> None:
        while self.i < len(self.t) and self.t[self.i] in " \n\t\r,":
            self.i += 1

    def value(self) -> Any:
        self.ws()
        c = self.t[self.i] if self.i < len(self.t) else ""
        if c == "{":
            return self.obj()
        if c == "[":
            return self.arr()
        if c in "'\"`":
            return self.string(c)
        return self.bare()

    def string(self, q: str) -> str:
        out, self.i = [], self.i + 1
        while self.i < len(self.t) and self.t[self.i] != q:
            if self.t[self.i] == "\\" and self.i + 1 < len(self.t):
                self.i += 1
            out.append(self.t[self.i])
            self.i += 1
        self.i += 1
        return "".join(out)

    def bare(self) -> Any:
        start = self.i
        if self.t.startswith("[", self.i):
            return self.arr()
        while self.i < len(self.t) and self.t[self.i] not in ",}]\n":
            self.i += 1
        word = self.t[start:self.i].strip()
        if word in _WORDS:
            return _WORDS[word]
        try:
            return int(word)
        except ValueError:
            pass
        try:
            return float(word)
        except ValueError:
            return word

    def key(self) -> str:
        self.ws()
        if self.t[self.i] in "'\"":
            return self.string(self.t[self.i])
        start = self.i
        while self.i < len(self.t) and self.t[self.i] != ":":
            self.i += 1
        return self.t[start:self.i].strip()

    def obj(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        self.i += 1
        while True:
            self.ws()
            if self.i >= len(self.t) or self.t[self.i] == "}":
                self.i += 1
                return out
            k = self.key()
            self.i += 1  # the colon
            out[k] = self.value()

    def arr(self) -> list[Any]:
        out: list[Any] = []
        self.i += 1
        while True:
            self.ws()
            if self.i >= len(self.t) or self.t[self.i] == "]":
                self.i += 1
                return out
            if self.t.startswith("[redacted]", self.i) or self.t.startswith("[undefined]", self.i):
                end = self.t.index("]", self.i) + 1
                out.append(self.t[self.i:end])
                self.i = end
                continue
            out.append(self.value())


def parse_inspect(text: str) -> Any:
    """The value an inspect text shows; the text itself if it cannot be read."""
    try:
        if text.strip().startswith("[redacted]"):
            return "[redacted]"
        return _Reader(text.strip()).value()
    except (IndexError, ValueError):
        return text
