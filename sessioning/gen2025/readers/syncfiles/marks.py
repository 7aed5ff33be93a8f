"""Small facts about a sync's `where`, read from its syntax tree for the whole-app rules.

The parser records them as markers on the sync (``EMPTY-TEST``, ``ONE-BRANCH``, ``QUERY-KEPT``, calls
to helpers); the rules of :mod:`sessioning.gen2025.readers.app_rules` read the markers.
"""

from __future__ import annotations

from sessioning.gen2025.readers import tsnodes as ts
from sessioning.gen2025.readers.tsnodes import Node

__all__ = ["BUILTINS", "is_empty_test", "one_branch_bindings", "result_kept"]


def is_empty_test(n: Node) -> bool:
    """``x.length === 0`` (or ``== 0``, ``< 1``): the `where` branches on a query leaving no frames."""
    left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
    op = n.child_by_field_name("operator")
    if left is None or right is None or op is None:
        return False
    return (left.type == "member_expression" and ts.text(left).endswith(".length")
            and ((ts.text(op) in ("===", "==") and ts.text(right) == "0") or (ts.text(op) == "<" and ts.text(right) == "1")))


def result_kept(call: Node, fn: Node) -> bool:
    """Does the `where` go on with this query's frames: returned, chained, or assigned back to the
    variable it was called on (``frames = await frames.query(…)``)? A result put in another variable
    (``const liked = await frames.query(…)``) may never reach the returned frames."""
    node = call
    while node.parent is not None and node.parent.type in ("await_expression", "parenthesized_expression"):
        node = node.parent
    parent = node.parent
    if parent is None:
        return True
    if parent.type in ("return_statement", "arrow_function", "member_expression"):
        return True
    target = None
    if parent.type == "assignment_expression":
        target = parent.child_by_field_name("left")
    elif parent.type == "variable_declarator":
        target = parent.child_by_field_name("name")
    obj = fn.child_by_field_name("object")
    return target is not None and obj is not None and ts.text(target) == ts.text(obj)


#: Global functions of JavaScript: calling one in `where` neither filters frames nor answers a request.
BUILTINS = frozenset({"Symbol", "String", "Number", "Boolean", "Array", "Object", "Date", "BigInt",
                       "parseInt", "parseFloat", "isNaN", "isFinite", "structuredClone", "encodeURIComponent",
                       "decodeURIComponent", "setTimeout", "clearTimeout", "Error", "RegExp"})


def one_branch_bindings(fn: Node, sync_vars: dict[str, str]) -> list[str]:
    """Variables a ``frames.map`` callback binds (``{ ...f, [x]: … }``) on one return while another
    return hands back the frame unchanged: on that path ``x`` stays unbound."""
    params = fn.child_by_field_name("parameters") or fn.child_by_field_name("parameter")
    names = {ts.text(c) for c in ts.walk(params) if c.type == "identifier"} if params is not None else set()
    bound: set[str] = set()
    plain = False
    for n in ts.walk(fn):
        if n.type != "return_statement" or not n.named_children:
            continue
        val = ts.unwrap(n.named_children[0])
        if val is None:
            continue
        if val.type == "identifier" and ts.text(val) in names:
            plain = True
        elif val.type == "object":
            for prop in val.named_children:
                key = prop.child_by_field_name("key") if prop.type == "pair" else None
                inner = key.named_children[0] if key is not None and key.type == "computed_property_name" and \
                    key.named_children else None
                if inner is not None and inner.type == "identifier" and ts.text(inner) in sync_vars:
                    bound.add(sync_vars[ts.text(inner)])
    return sorted(bound) if plain else []
