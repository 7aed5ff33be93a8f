"""The shape of a sync as the engine would register it, read from a ``*.sync.ts`` file.

A :class:`SyncDef` holds its ``when`` patterns, ``where`` queries and ``then`` calls; every
pattern value is resolved to a sync variable (by its *destructured key*, the symbol's
description) or a literal. :mod:`.parse` builds these from the syntax tree; :mod:`.checks`
reads them. Nothing here knows tree-sitter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sessioning.masking import mask_id, mask_password, secrets_revealed

__all__ = ["Pattern", "Source", "SyncDef", "Value", "WhereQuery", "vars_in"]

# A pattern value: ("var", symbol name) | ("lit", value) | ("expr", source text)
Value = tuple[str, Any]


@dataclass(frozen=True)
class Source:
    """A node's source text plus the spans of string literals given to secret-named keys
    (``password: "hunter2"``), found from the syntax tree; shown masked unless revealed."""

    raw: bytes
    secrets: tuple[tuple[int, int, bool], ...] = ()  # (start, end, is_password) within ``raw``

    def text(self, reveal: bool | None = None, limit: int | None = None) -> str:
        raw = self.raw
        if self.secrets and not (reveal if reveal is not None else secrets_revealed()):
            for a, b, pw in sorted(self.secrets, reverse=True):
                lit = raw[a:b].decode("utf-8", "replace")
                q, body = lit[:1], lit[1:-1]
                shown = mask_password(body, False) if pw else mask_id(body, False)
                raw = raw[:a] + f"{q}{shown}{q}".encode() + raw[b:]
        out = " ".join(raw.decode("utf-8", "replace").split())
        return out if limit is None else out[:limit]

    def __str__(self) -> str:
        return self.text()


@dataclass
class Pattern:
    """One ``[Concept.action, {input}, {output}?]`` entry of ``when`` or ``then``."""

    concept: str
    method: str
    input: dict[str, Value] | None
    output: dict[str, Value] | None  # None: no output element at all
    line: int
    source: Source
    elements: int

    @property
    def action(self) -> str:
        return f"{self.concept}.{self.method}"

    @property
    def text(self) -> str:
        """The entry's source, whitespace collapsed, secret literals masked unless revealed."""
        return self.source.text()


@dataclass
class WhereQuery:
    """A ``frames.query(Concept._q, {in}, {out})`` (or ``queryAsync``) inside ``where``."""

    concept: str
    method: str
    input: dict[str, Value]
    output: dict[str, Value] | None
    line: int
    source: Source
    via: str = "query"

    @property
    def action(self) -> str:
        return f"{self.concept}.{self.method}"

    @property
    def text(self) -> str:
        return self.source.text(limit=200)


@dataclass
class SyncDef:
    """One exported sync function, as the engine would register it."""

    file: str
    line: int
    name: str
    qualified: str
    registered: bool
    vars: dict[str, str]  # local name → symbol name (the destructured key)
    when: list[Pattern] = field(default_factory=list)
    where_queries: list[WhereQuery] = field(default_factory=list)
    then: list[Pattern] = field(default_factory=list)
    has_where: bool = False
    where_bound: set[str] = field(default_factory=set)
    where_mentions: set[str] = field(default_factory=set)
    issues: list[tuple[str, int, dict[str, Any]]] = field(default_factory=list)  # found while walking

    @property
    def request_path(self) -> str | None:
        """The literal ``path`` of its ``Requesting.request`` pattern, if it has one."""
        for p in self.when:
            if p.action == "Requesting.request":
                v = (p.input or {}).get("path")
                if v and v[0] == "lit":
                    return str(v[1])
        return None


def vars_in(p: dict[str, Value] | None) -> list[tuple[str, str]]:
    """``(key, variable)`` for each key of a pattern whose value is a sync variable."""
    return [(k, v[1]) for k, v in (p or {}).items() if v[0] == "var"]
