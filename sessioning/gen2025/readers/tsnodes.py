"""Small tree-sitter helpers shared by the whole-app readers (concepts, engine, routes).

TypeScript is read only from its syntax tree. These helpers are public so the readers do not
reach into each other's private names; the sync-file reader shares the parser, ``text``, ``line``
and ``walk``.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from sessioning.files import read_bytes

Node = Any  # a tree_sitter.Node; typed loosely because the binding ships no stubs

#: Wrappers that do not change a value: parentheses, casts, `satisfies`, `!`, `await`.
_TRANSPARENT = ("parenthesized_expression", "as_expression", "satisfies_expression",
                "non_null_expression", "await_expression", "type_assertion")

#: Bigger files are not application code a student wrote (bundles, generated data).
MAX_SOURCE_BYTES = 2_000_000


@lru_cache(maxsize=1)
def parser() -> Any:
    """One TypeScript parser for the process."""
    import tree_sitter_typescript as tst
    from tree_sitter import Language, Parser

    return Parser(Language(tst.language_typescript()))


def parse_file(path: Path) -> Node | None:
    """The root node of a TypeScript file, or None when it cannot be read or is not text."""
    try:  # a regular file only (a FIFO would block, /dev/zero never end), within the bound
        src = read_bytes(path, "TypeScript file", limit=MAX_SOURCE_BYTES)
    except OSError:  # FileRefused included
        return None
    if b"\x00" in src[:4096]:
        return None
    return parser().parse(src).root_node


def text(node: Node) -> str:
    """The node's source text."""
    return node.text.decode("utf-8", "replace")


def line(node: Node) -> int:
    """1-based line of the node's start."""
    return node.start_point[0] + 1


def walk(node: Node) -> Iterator[Node]:
    """Every node under ``node`` (itself included), in source order."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def walk_no_functions(node: Node) -> Iterator[Node]:
    """Like :func:`walk` but does not enter nested functions (their returns are not ours)."""
    stack = list(reversed(node.children))
    while stack:
        n = stack.pop()
        yield n
        if n.type in ("arrow_function", "function_expression", "function", "function_declaration",
                      "method_definition", "class_declaration", "class"):
            continue
        stack.extend(reversed(n.children))


def unwrap(node: Node | None) -> Node | None:
    """Strip wrappers that keep the value: parentheses, casts, `await`, `!`."""
    while node is not None and node.type in _TRANSPARENT:
        kids = node.named_children
        node = kids[0] if kids else None
    return node


def string_value(node: Node | None) -> str | None:
    """The value of a string literal (or a template without substitutions), else None."""
    if node is None:
        return None
    if node.type == "string" or (node.type == "template_string" and not any(
            c.type == "template_substitution" for c in node.named_children)):
        return "".join(text(c) for c in node.named_children if c.type in ("string_fragment", "escape_sequence"))
    return None


def key_name(node: Node | None) -> str | None:
    """The name of an object key (identifier, string or number); None for computed keys."""
    if node is None:
        return None
    if node.type in ("property_identifier", "identifier", "shorthand_property_identifier",
                     "shorthand_property_identifier_pattern", "private_property_identifier"):
        return text(node)
    if node.type in ("string", "template_string"):
        return string_value(node)
    if node.type == "number":
        return text(node)
    return None


def object_keys(obj: Node) -> tuple[list[str], bool]:
    """The literal keys of an object expression and whether it spreads something (open)."""
    keys: list[str] = []
    spread = False
    for prop in obj.named_children:
        if prop.type == "pair":
            k = key_name(prop.child_by_field_name("key"))
            if k is None:
                spread = True  # computed key: we do not know its name
            else:
                keys.append(k)
        elif prop.type == "shorthand_property_identifier":
            keys.append(text(prop))
        elif prop.type == "method_definition":
            k = key_name(prop.child_by_field_name("name"))
            if k:
                keys.append(k)
        elif prop.type == "spread_element":
            spread = True
    return keys, spread


def pattern_keys(pattern: Node | None) -> list[str]:
    """The keys destructured by an object pattern (a parameter such as ``{ user, session }``)."""
    if pattern is None or pattern.type != "object_pattern":
        return []
    out: list[str] = []
    for el in pattern.named_children:
        if el.type == "shorthand_property_identifier_pattern":
            out.append(text(el))
        elif el.type == "pair_pattern":
            k = key_name(el.child_by_field_name("key"))
            if k:
                out.append(k)
        elif el.type == "object_assignment_pattern":
            left = el.child_by_field_name("left")
            if left is not None:
                out.append(text(left))
    return out


def import_names(root: Node) -> dict[str, tuple[str, str]]:
    """Local name → (module, imported name) for every ``import { a as b } from "m"`` and default import."""
    out: dict[str, tuple[str, str]] = {}
    for stmt in root.named_children:
        if stmt.type != "import_statement":
            continue
        mod = string_value(stmt.child_by_field_name("source")) or ""
        for n in walk(stmt):
            if n.type == "import_specifier":
                name = n.child_by_field_name("name")
                alias = n.child_by_field_name("alias") or name
                if name is not None:
                    out[text(alias)] = (mod, text(name))
            elif n.type == "import_clause":
                first = n.named_children[0] if n.named_children else None
                if first is not None and first.type == "identifier":
                    out[text(first)] = (mod, "default")
    return out
