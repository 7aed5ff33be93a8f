"""Small tree-sitter TypeScript helpers for reading a 2026 app's source (no regular expressions on code).

The 2026 app model needs only a few shapes: calls by callee name (``registerConcept(…)``,
``httpPolicy(…)``, ``endpoint(…)``, ``reaction(…)``, ``assemble(…)``), object literals read as
``{key: node}``, string literals, and class methods with their ``return``/``throw`` statements.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

import tree_sitter_typescript as tst
from tree_sitter import Language, Node, Parser

__all__ = ["Source", "callee", "call_args", "iter_nodes", "object_pairs", "parse", "string_value", "text"]


@functools.lru_cache(maxsize=1)
def _parser() -> Parser:
    return Parser(Language(tst.language_typescript()))


@dataclass(frozen=True)
class Source:
    """A parsed file: its path (as shown to the user), bytes and tree root."""

    path: str
    data: bytes
    root: Node

    def line(self, node: Node) -> int:
        return node.start_point[0] + 1


def parse(path: str, data: bytes) -> Source:
    return Source(path, data, _parser().parse(data).root_node)


def text(node: Node | None) -> str:
    return node.text.decode("utf-8", errors="replace") if node is not None and node.text is not None else ""


def iter_nodes(node: Node, kind: str | None = None) -> Iterator[Node]:
    """Every descendant (pre-order), optionally only of one type."""
    stack = [node]
    while stack:
        n = stack.pop()
        if kind is None or n.type == kind:
            yield n
        stack.extend(reversed(n.children))


def callee(call: Node) -> str:
    """The called name: ``f`` for ``f(…)``, ``b`` for ``a.b(…)``."""
    fn = call.child_by_field_name("function")
    if fn is None:
        return ""
    if fn.type == "member_expression":
        return text(fn.child_by_field_name("property"))
    return text(fn)


def call_args(call: Node) -> list[Node]:
    args = call.child_by_field_name("arguments")
    return [c for c in args.named_children if c.type != "comment"] if args is not None else []


def _unwrap(node: Node) -> Node:
    """``Object.freeze({…})``, ``{…} as const``, ``({…})`` → the object literal inside."""
    while True:
        if node.type in ("parenthesized_expression", "as_expression", "satisfies_expression",
                         "non_null_expression") and node.named_children:
            node = node.named_children[0]
        elif node.type == "call_expression" and call_args(node):
            node = call_args(node)[0]
        else:
            return node


def object_pairs(node: Node | None) -> dict[str, Node]:
    """``{key: value}`` of an object literal (shorthand ``{a}`` maps ``a`` to its identifier)."""
    if node is None:
        return {}
    node = _unwrap(node)
    if node.type != "object":
        return {}
    out: dict[str, Node] = {}
    for child in node.named_children:
        if child.type == "pair":
            key = child.child_by_field_name("key")
            value = child.child_by_field_name("value")
            if key is not None and value is not None:
                out[string_value(key) or text(key)] = value
        elif child.type == "shorthand_property_identifier":
            out[text(child)] = child
    return out


def string_value(node: Node | None) -> str | None:
    """The value of a string literal (or a template without substitutions), else None."""
    if node is None:
        return None
    if node.type == "string":
        return "".join(text(c) for c in node.named_children if c.type in ("string_fragment", "escape_sequence"))
    if node.type == "template_string" and not any(c.type == "template_substitution" for c in node.named_children):
        return text(node)[1:-1]
    return None
