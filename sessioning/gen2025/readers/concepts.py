"""Read an app's ``src/concepts/**`` into a model of every action and query it offers.

For each concept (the barrel name: the directory name with its first letter upper-cased, as
the generated ``@concepts`` barrel exports it) and each method of its class, the model says:
its inputs (the keys of the destructured first parameter), and every shape it can return —
an object with these keys (success or ``{error}``), a list of such objects, ``[]``,
``[{error}]``, raw database documents, a single document, nothing — and whether it throws.
Where a return cannot be followed (a helper's result, a variable built in a loop) the shape
is ``unknown``: checks must then stay silent rather than guess.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sessioning.gen2025.readers import tsnodes as ts
from sessioning.gen2025.readers.tsnodes import Node

__all__ = ["Shape", "Method", "Concepts", "read_concepts", "barrel_name"]

# Shape kinds
OBJECT, LIST, EMPTY_LIST, RAW_DOCS, RAW_DOC, NOTHING, UNKNOWN = (
    "object", "list", "empty_list", "raw_docs", "raw_doc", "nothing", "unknown")

#: Mongo calls whose result is raw documents (a list) or one raw document.
_LIST_CALLS = ("toArray",)
_DOC_CALLS = ("findOne", "findOneAndUpdate", "findOneAndDelete")


@dataclass(frozen=True)
class Shape:
    """One way a method can return: ``kind``, the keys of the object(s) (None = unknown),
    whether the object (or every list element) is an ``{error}``, and the line."""

    kind: str
    keys: frozenset[str] | None = None
    error: bool = False
    line: int = 0
    open: bool = False  # spreads something: more keys than listed are possible

    @property
    def is_list(self) -> bool:
        return self.kind in (LIST, EMPTY_LIST, RAW_DOCS)


@dataclass
class Method:
    """One method of a concept class, as seen by the engine (``_`` prefix: a query)."""

    concept: str
    name: str
    file: str
    line: int
    inputs: list[str]
    shapes: list[Shape] = field(default_factory=list)
    throws: bool = False
    is_async: bool = True
    #: keys of the list elements its declared return type promises (``Promise<Doc[]>``), success rows only
    declared_row_keys: frozenset[str] | None = None

    @property
    def is_query(self) -> bool:
        return self.name.startswith("_")

    @property
    def known(self) -> bool:
        """Every return was understood (no ``unknown`` shape) and there is at least one."""
        return bool(self.shapes) and all(s.kind != UNKNOWN for s in self.shapes)

    def success_keys(self) -> set[str] | None:
        """Keys any success object (or success list element) can carry; None when unknown."""
        keys: set[str] = set()
        for s in self.shapes:
            if s.error or s.kind in (EMPTY_LIST, NOTHING):
                continue
            if s.keys is None or s.open or s.kind in (RAW_DOCS, RAW_DOC, UNKNOWN):
                return None
            keys |= s.keys
        return keys

    def returns_list(self) -> bool | None:
        """True when every known shape is a list, False when none is, None when mixed/unknown."""
        kinds = {s.is_list for s in self.shapes if s.kind not in (UNKNOWN, NOTHING)}
        return next(iter(kinds)) if len(kinds) == 1 else None

    def error_styles(self) -> set[str]:
        """How the method reports a failure: ``list_error`` (``[{error}]``), ``empty`` (``[]``),
        ``object_error`` (``{error}``), ``throws``."""
        out = {"throws"} if self.throws else set()
        for s in self.shapes:
            if s.error:
                out.add("list_error" if s.kind == LIST else "object_error")
            elif s.kind == EMPTY_LIST:
                out |= {"empty"}
        return out

    def has_error_return(self) -> bool:
        return any(s.error for s in self.shapes)

    def has_empty_success(self) -> bool:
        """Returns ``{}`` (or nothing) on success: only an output pattern ``{}`` matches it."""
        return any(not s.error and ((s.kind == OBJECT and s.keys == frozenset() and not s.open)
                                    or s.kind == NOTHING) for s in self.shapes)


@dataclass
class Concepts:
    """Every concept of an app: ``methods[(concept, method)]``, files read, and what was not read."""

    root: str
    methods: dict[tuple[str, str], Method] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # concept → file (relative to root)
    skipped: list[str] = field(default_factory=list)

    def get(self, concept: str, method: str) -> Method | None:
        return self.methods.get((concept, method))

    def has_concept(self, concept: str) -> bool:
        return concept in self.files

    def of(self, concept: str) -> list[Method]:
        return [m for (c, _), m in self.methods.items() if c == concept]


def barrel_name(directory: str) -> str:
    """The name the generated barrel exports a concept directory under."""
    return directory[:1].upper() + directory[1:]


# ---------------------------------------------------------------- returns


def _elements_shape(arr: Node, ln: int) -> Shape:
    els = [ts.unwrap(e) for e in arr.named_children if e.type != "comment"]
    if not els:
        return Shape(EMPTY_LIST, frozenset(), line=ln)
    keys: set[str] = set()
    errors, opened = [], False
    for e in els:
        if e is None or e.type != "object":
            return Shape(LIST, None, line=ln)
        k, spread = ts.object_keys(e)
        keys |= set(k)
        opened |= spread
        errors.append("error" in k)
    return Shape(LIST, frozenset(keys), error=all(errors), line=ln, open=opened)


def _object_shape(obj: Node, ln: int) -> Shape:
    keys, spread = ts.object_keys(obj)
    return Shape(OBJECT, frozenset(keys), error="error" in keys, line=ln, open=spread)


def _call_shape(call: Node, ln: int, scope: dict[str, Node], depth: int) -> Shape:
    fn = call.child_by_field_name("function")
    if fn is None or fn.type != "member_expression":
        return Shape(UNKNOWN, line=ln)
    prop = ts.text(fn.child_by_field_name("property"))
    if prop in _LIST_CALLS:
        return Shape(RAW_DOCS, None, line=ln)
    if prop in _DOC_CALLS:
        return Shape(RAW_DOC, None, line=ln)
    if prop in ("map", "flatMap"):
        args = call.child_by_field_name("arguments")
        cb = ts.unwrap(args.named_children[0]) if args is not None and args.named_children else None
        body = ts.unwrap(cb.child_by_field_name("body")) if cb is not None and cb.type in (
            "arrow_function", "function_expression") else None
        if body is not None and body.type == "object":
            inner = _object_shape(body, ln)
            return Shape(LIST, inner.keys, error=inner.error, line=ln, open=inner.open)
        return Shape(LIST, None, line=ln)
    if prop in ("filter", "slice", "sort", "concat", "reverse"):
        return _expr_shapes(fn.child_by_field_name("object"), ln, scope, depth + 1)[0]
    return Shape(UNKNOWN, line=ln)


def _expr_shapes(node: Node | None, ln: int, scope: dict[str, Node], depth: int = 0) -> list[Shape]:
    """The shapes a returned expression can have (both branches of a `?:`)."""
    node = ts.unwrap(node)
    if node is None or depth > 4:
        return [Shape(NOTHING if node is None else UNKNOWN, line=ln)]
    t = node.type
    if t == "object":
        return [_object_shape(node, ln)]
    if t == "array":
        return [_elements_shape(node, ln)]
    if t == "ternary_expression":
        return (_expr_shapes(node.child_by_field_name("consequence"), ln, scope, depth + 1)
                + _expr_shapes(node.child_by_field_name("alternative"), ln, scope, depth + 1))
    if t == "call_expression":
        return [_call_shape(node, ln, scope, depth)]
    if t == "identifier":
        name = ts.text(node)
        if name == "undefined":
            return [Shape(NOTHING, line=ln)]
        if name in scope:
            return _expr_shapes(scope[name], ln, scope, depth + 1)
    if t in ("null",):
        return [Shape(RAW_DOC, None, line=ln)]  # not iterable, not an object with keys
    return [Shape(UNKNOWN, line=ln)]


def _is_assert(call: Node) -> bool:
    fn = call.child_by_field_name("function")
    return fn is not None and fn.type == "identifier" and ts.text(fn).startswith("assert")


def _collect(body: Node) -> tuple[dict[str, Node], list[Node], list[Node]]:
    """One pass over a method body: its local ``const x = <expr>`` (first declaration wins; names
    reassigned or pushed to are dropped: the list is built in steps), its returns, its throws."""
    scope: dict[str, Node] = {}
    reassigned: set[str] = set()
    returns: list[Node] = []
    throws: list[Node] = []
    for n in ts.walk_no_functions(body):
        t = n.type
        if t == "return_statement":
            returns.append(n)
        elif t == "throw_statement" or (t == "call_expression" and _is_assert(n)):
            throws.append(n)  # `assert(x, "…")` throws when x is falsy
        elif t == "variable_declarator":
            name, value = n.child_by_field_name("name"), n.child_by_field_name("value")
            if name is not None and name.type == "identifier" and value is not None:
                scope.setdefault(ts.text(name), value)
        elif t == "assignment_expression":
            left = n.child_by_field_name("left")
            if left is not None and left.type == "identifier":
                reassigned.add(ts.text(left))
        elif t == "member_expression" and n.child_by_field_name("property") is not None and ts.text(
                n.child_by_field_name("property")) == "push":
            reassigned.add(ts.text(n.child_by_field_name("object")))
    for name in reassigned:
        scope.pop(name, None)
    return scope, returns, throws


def _in_try(node: Node, stop: Node) -> bool:
    """Inside the body of a ``try`` (not its catch) that belongs to this method."""
    cur = node.parent
    prev = node
    while cur is not None and cur != stop:
        if cur.type == "try_statement" and prev == cur.child_by_field_name("body"):
            return True
        prev, cur = cur, cur.parent
    return False


# ---------------------------------------------------------------- declared types


def _object_type_keys(node: Node) -> frozenset[str]:
    return frozenset(k for k in (ts.key_name(p.child_by_field_name("name")) for p in node.named_children
                                 if p.type == "property_signature") if k)


def file_types(root: Node) -> dict[str, frozenset[str]]:
    """Every ``interface X { … }`` and ``type X = { … }`` of a file: name → property names."""
    out: dict[str, frozenset[str]] = {}
    tops = [d for stmt in root.named_children
            for d in ([stmt.child_by_field_name("declaration")] if stmt.type == "export_statement" else [stmt])
            if d is not None]  # interfaces and type aliases are declared at the top of a file
    for n in tops:
        if n.type == "interface_declaration":
            body = next((c for c in n.named_children if c.type in ("interface_body", "object_type")), None)
            name = n.child_by_field_name("name")
            if body is not None and name is not None:
                out[ts.text(name)] = _object_type_keys(body)
        elif n.type == "type_alias_declaration":
            value = n.child_by_field_name("value")
            name = n.child_by_field_name("name")
            if value is not None and value.type == "object_type" and name is not None:
                out[ts.text(name)] = _object_type_keys(value)
    return out


def _element_keys(node: Node, types: dict[str, frozenset[str]]) -> frozenset[str] | None:
    """Keys of an element type: an object type, or a named interface/alias of the same file."""
    if node.type == "object_type":
        return _object_type_keys(node)
    if node.type == "type_identifier":
        return types.get(ts.text(node))
    return None


def declared_row_keys(return_type: Node | None, types: dict[str, frozenset[str]]) -> frozenset[str] | None:
    """The success-row keys a declared ``Promise<X[]>`` / ``Promise<Array<X>>`` return type names
    (error-only rows left out); None when the annotation says nothing we can read."""
    if return_type is None:
        return None
    keys: set[str] = set()
    found = False
    for n in ts.walk(return_type):
        elem = None
        if n.type == "array_type" and n.named_children:
            elem = n.named_children[0]
        elif n.type == "generic_type" and ts.text(n.named_children[0]) == "Array" and len(n.named_children) > 1:
            args = n.named_children[1].named_children
            elem = args[0] if args else None
        if elem is None:
            continue
        k = _element_keys(elem, types)
        if k is not None and k != frozenset({"error"}):
            keys |= k
            found = True
    return frozenset(keys) if found else None


def _method_model(concept: str, rel: str, name: str, fn: Node, params: Node | None,
                  types: dict[str, frozenset[str]]) -> Method:
    first = params.named_children[0] if params is not None and params.named_children else None
    pat = first.child_by_field_name("pattern") if first is not None else None
    m = Method(concept=concept, name=name, file=rel, line=ts.line(fn),
               inputs=ts.pattern_keys(pat if pat is not None else first),
               is_async=any(c.type == "async" for c in fn.children),
               declared_row_keys=declared_row_keys(fn.child_by_field_name("return_type"), types))
    body = fn.child_by_field_name("body")
    if body is None:
        return m
    if body.type != "statement_block":  # arrow with an expression body
        m.shapes = _expr_shapes(body, ts.line(body), {})
        return m
    scope, returns, throws = _collect(body)
    for n in returns:
        val = n.named_children[0] if n.named_children else None
        m.shapes.extend(_expr_shapes(val, ts.line(n), scope))
    m.throws = any(not _in_try(n, body) for n in throws)
    if not m.shapes:
        m.shapes.append(Shape(NOTHING, line=m.line))
    return m


def _class_methods(cls: Node, concept: str, rel: str, types: dict[str, frozenset[str]]) -> list[Method]:
    body = cls.child_by_field_name("body")
    out = []
    for member in body.named_children if body is not None else []:
        if member.type == "method_definition":
            name = ts.key_name(member.child_by_field_name("name"))
            if name and name != "constructor" and not any(c.type in ("get", "set", "static")
                                                           for c in member.children):
                out.append(_method_model(concept, rel, name, member, member.child_by_field_name("parameters"), types))
        elif member.type == "public_field_definition":
            name = ts.key_name(member.child_by_field_name("name"))
            value = ts.unwrap(member.child_by_field_name("value"))
            if name and value is not None and value.type in ("arrow_function", "function_expression"):
                out.append(_method_model(concept, rel, name, value, value.child_by_field_name("parameters"), types))
    return out


def _concept_class(root: Node) -> Node | None:
    """The exported class of a concept file: ``export default class``, else the first exported
    class, else the first class."""
    classes: list[tuple[int, Node]] = []
    for stmt in root.named_children:
        if stmt.type == "export_statement":
            decl = stmt.child_by_field_name("declaration") or next(
                (c for c in stmt.named_children if c.type in ("class_declaration", "class")), None)
            if decl is not None and decl.type in ("class_declaration", "class"):
                rank = 0 if any(c.type == "default" for c in stmt.children) else 1
                classes.append((rank, decl))
        elif stmt.type == "class_declaration":
            classes.append((2, stmt))
    return min(classes, key=lambda rc: rc[0])[1] if classes else None


def _concept_file(directory: Path) -> Path | None:
    main = directory / f"{directory.name}Concept.ts"
    if main.is_file():
        return main
    cands = sorted(p for p in directory.glob("*.ts") if not p.name.endswith((".test.ts", ".d.ts"))
                   and p.name != "passthrough.ts")
    return cands[0] if len(cands) == 1 or (cands and cands[0].stem == directory.name) else None


def read_concepts(app: str | os.PathLike[str]) -> Concepts:
    """The concepts of an app directory (``src/concepts/<Dir>/<Dir>Concept.ts``); never raises
    for a bad file — it is listed in ``skipped``."""
    app_dir = Path(app)
    root = app_dir / "src" / "concepts"
    model = Concepts(root=str(root))
    if not root.is_dir():
        return model
    for directory in sorted(p for p in root.iterdir() if p.is_dir()):
        path = _concept_file(directory)
        if path is None:
            continue
        concept = barrel_name(directory.name)
        rel = path.relative_to(app_dir).as_posix()
        tree = ts.parse_file(path)
        cls = _concept_class(tree) if tree is not None else None
        if cls is None:
            model.skipped.append(f"{rel}: no concept class")
            continue
        model.files[concept] = rel
        for m in _class_methods(cls, concept, rel, file_types(tree)):
            model.methods.setdefault((concept, m.name), m)
    return model
