"""Tree-sitter → :class:`~.model.SyncDef`: one ``*.sync.ts`` file's exported syncs, read from its syntax tree.

Each exported sync (``export const X: Sync = ({…}) => ({ when, where, then })`` or
``export function X({…}: Vars) { return {…} }``, or a local function named in
``export { A, B as C }``) is reduced to its ``when`` patterns, ``where`` queries and ``then``
calls. While walking ``where`` the parser also notes facts the checks need (an awaited action,
frames built from scratch, a variable used as a string key) in ``SyncDef.issues``.
TypeScript structure is read only from the syntax tree, never with regular expressions; a file
that does not parse gives a ``PARSE`` finding, not an exception.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sessioning import failure_modes
from sessioning.files import read_bytes
from sessioning.findings import Finding
from sessioning.masking import is_password_key, is_secret_key, mask_inline

from ..tsnodes import line, parser, text, walk
from . import marks
from .model import Pattern, Source, SyncDef, Value, WhereQuery

__all__ = ["SyncFileParser"]


# ---------------------------------------------------------------- tree helpers
# text/line/walk and the parser are the whole-app readers' (tsnodes); the helpers below differ from
# theirs on purpose (fewer wrappers stripped, fewer key kinds), so the sync rules keep their reading.


def _unwrap(node: Any) -> Any:
    """Strip parentheses, ``as`` casts, ``satisfies`` and non-null assertions."""
    while node is not None and node.type in ("parenthesized_expression", "as_expression",
                                             "satisfies_expression", "non_null_expression"):
        kids = node.named_children
        node = kids[0] if kids else None
    return node


def _string_value(node: Any) -> str | None:
    if node.type == "string":
        return "".join(text(c) for c in node.named_children if c.type in ("string_fragment", "escape_sequence"))
    if node.type == "template_string" and not any(c.type == "template_substitution" for c in node.named_children):
        return "".join(text(c) for c in node.named_children if c.type in ("string_fragment", "escape_sequence"))
    return None


def _key_name(node: Any) -> str | None:
    if node.type in ("property_identifier", "identifier", "shorthand_property_identifier"):
        return text(node)
    if node.type in ("string", "template_string"):
        return _string_value(node)
    if node.type == "number":
        return text(node)
    return None  # computed key


def _has_sync_keys(obj: Any) -> bool:
    for prop in obj.named_children:
        name = prop.child_by_field_name("key") if prop.type == "pair" else (
            prop.child_by_field_name("name") if prop.type == "method_definition" else prop)
        if name is not None and _key_name(name) in ("when", "then"):
            return True
    return False


#: A query called on a longer expression than this (a chain ``….query(…).query(…)``) is shown from
#: its own ``.query(`` on: each query of a chain of n would otherwise re-read the n before it.
_CHAIN_SHOWN = 200


def _query_source(call: Any) -> Source:
    """The source of one ``frames.query(…)`` call: the whole call, unless it is called on a long chain."""
    func = call.child_by_field_name("function")
    obj = func.child_by_field_name("object") if func is not None and func.type == "member_expression" else None
    prop = func.child_by_field_name("property") if obj is not None else None
    args = call.child_by_field_name("arguments")
    if obj is None or prop is None or args is None or obj.end_byte - obj.start_byte <= _CHAIN_SHOWN:
        return _source(call)
    prefix = "….".encode() + prop.text
    return _source(args, prefix)


def _source(node: Any, prefix: bytes = b"") -> Source:
    """The node's text (after ``prefix``) and, from the tree, the string literals paired with
    secret-named keys."""
    base = node.start_byte - len(prefix)
    spans = []
    for n in walk(node):
        if n.type != "pair":
            continue
        key, value = n.child_by_field_name("key"), n.child_by_field_name("value")
        name = _key_name(key) if key is not None else None
        if name and value is not None and value.type in ("string", "template_string") and (
                is_secret_key(name) or is_password_key(name)):
            spans.append((value.start_byte - base, value.end_byte - base, is_password_key(name)))
    return Source(prefix + node.text, tuple(spans))


# ---------------------------------------------------------------- per-file extraction

#: Larger than any sync file a person writes: refused rather than parsed.
MAX_SYNC_FILE_BYTES = 16 * 1024 * 1024


class SyncFileParser:
    """One file's syncs (``.syncs``), the concepts it names (``.concepts``) and ``PARSE`` findings."""

    def __init__(self, root: Path, path: Path) -> None:
        self.root = root
        self.path = path
        self.rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
        self.registered = path.name.endswith(".sync.ts")
        self._chained: set[tuple[int, int]] = set()  # spans of calls another call is chained on
        self.syncs: list[SyncDef] = []
        self.findings: list[Finding] = []
        self.concepts: set[str] = set()

    def read(self) -> None:
        try:
            src = read_bytes(self.path, "sync file", limit=MAX_SYNC_FILE_BYTES)  # a regular file, bounded
        except OSError as e:
            self.findings.append(self._problem("unreadable", reason=e.strerror or e))
            return
        if b"\x00" in src[:4096]:
            self.findings.append(self._problem("binary"))
            return
        tree = parser().parse(src)
        root = tree.root_node
        if root.has_error:
            # the innermost error nodes point at the real mistake; the outer ones can span the file
            inner = [n for n in walk(root) if (n.is_error or n.is_missing)
                     and not any(c.has_error for c in n.children)]
            bad = min(inner, key=lambda n: n.start_byte) if inner else root
            near = mask_inline(" ".join(text(bad).split())[:60])  # the quoted source may hold a literal password
            self.findings.append(self._problem(
                "syntax", line=line(bad), evidence=near or None,
                near=failure_modes.phrase("PARSE.near", near=near) if near else ""))
        local: dict[str, tuple[Any, int]] = {}  # top-level functions, for `export { A, B as C }`
        for stmt in root.named_children:
            if stmt.type == "import_statement":
                self._imports(stmt)
            elif stmt.type == "function_declaration" and stmt.child_by_field_name("name") is not None:
                local[text(stmt.child_by_field_name("name"))] = (stmt, line(stmt))
            elif stmt.type == "lexical_declaration":
                for vd in stmt.named_children:
                    name, value = vd.child_by_field_name("name"), _unwrap(vd.child_by_field_name("value"))
                    if vd.type == "variable_declarator" and name is not None and value is not None:
                        local[text(name)] = (value, line(vd))
        for stmt in root.named_children:
            if stmt.type == "export_statement":
                self._export(stmt, local)

    def _problem(self, variant: str, *, line: int | None = None, evidence: str | None = None,
                 **facts: Any) -> Finding:
        """A ``PARSE`` finding for this file, worded by the catalogue."""
        why, fix = failure_modes.explain("PARSE", variant, file=self.rel,
                                         **({"line": line} if line is not None else {}), **facts)
        return Finding(code="PARSE", severity="error", source="syncs", file=self.rel, line=line,
                       explanation=why, fix=fix, evidence=evidence)

    def _imports(self, stmt: Any) -> None:
        src = stmt.child_by_field_name("source")
        mod = _string_value(src) if src is not None else None
        if not mod or "concepts" not in mod:
            return
        for n in walk(stmt):
            if n.type == "import_specifier":
                alias = n.child_by_field_name("alias") or n.child_by_field_name("name")
                if alias is not None:
                    self.concepts.add(text(alias))

    def _export(self, stmt: Any, local: dict[str, tuple[Any, int]]) -> None:
        decl = stmt.child_by_field_name("declaration")
        if decl is None:
            clause = next((c for c in stmt.named_children if c.type == "export_clause"), None)
            for spec in clause.named_children if clause is not None else []:
                name, alias = spec.child_by_field_name("name"), spec.child_by_field_name("alias")
                target = local.get(text(name)) if name is not None else None
                if target is not None and target[0].type in ("arrow_function", "function_expression", "function",
                                                             "function_declaration"):
                    self._sync_fn(text(alias if alias is not None else name), target[0], target[1])
            return
        if decl.type == "function_declaration":
            name = decl.child_by_field_name("name")
            self._sync_fn(text(name) if name else "?", decl, line(decl))
        elif decl.type == "lexical_declaration":
            for vd in decl.named_children:
                if vd.type != "variable_declarator":
                    continue
                name = vd.child_by_field_name("name")
                value = _unwrap(vd.child_by_field_name("value"))
                if name is not None and value is not None and value.type in ("arrow_function", "function_expression",
                                                                             "function"):
                    self._sync_fn(text(name), value, line(vd))

    def _sync_fn(self, name: str, fn: Any, line: int) -> None:
        if fn.has_error:
            return  # reported once as PARSE; a half-written sync would give false findings
        body = _unwrap(fn.child_by_field_name("body"))
        obj = None
        if body is not None and body.type == "object":
            obj = body
        elif body is not None and body.type == "statement_block":
            for n in walk(body):  # the first `return { when…, then… }` (not a helper's return)
                if n.type == "return_statement":
                    val = _unwrap(n.named_children[0]) if n.named_children else None
                    if val is not None and val.type == "object" and _has_sync_keys(val):
                        obj = val
                        break
        if obj is None:
            return
        parts: dict[str, Any] = {}
        for prop in obj.named_children:
            if prop.type == "pair":
                k = _key_name(prop.child_by_field_name("key"))
                if k in ("when", "where", "then"):
                    parts[k] = _unwrap(prop.child_by_field_name("value"))
            elif prop.type == "method_definition":
                k = _key_name(prop.child_by_field_name("name"))
                if k == "where":
                    parts[k] = prop
            elif prop.type == "shorthand_property_identifier" and text(prop) in ("when", "where", "then"):
                parts[text(prop)] = None
        if "when" not in parts and "then" not in parts:
            return
        stem = self.rel[:-len(".sync.ts")] if self.rel.endswith(".sync.ts") else self.rel.rsplit(".", 1)[0]
        sd = SyncDef(file=self.rel, line=line, name=name, qualified=f"{stem.replace('/', '.')}.{name}",
                     registered=self.registered, vars=self._params(fn))
        if parts.get("when") is not None:
            sd.when = self._entries(parts["when"], sd)
        if parts.get("then") is not None:
            sd.then = self._entries(parts["then"], sd)
        if "where" in parts:
            sd.has_where = True
            if parts["where"] is not None:
                self._where(parts["where"], sd)
        self.syncs.append(sd)

    def _params(self, fn: Any) -> dict[str, str]:
        params = fn.child_by_field_name("parameters")
        out: dict[str, str] = {}
        if params is None:
            return out
        for p in params.named_children:
            pat = p.child_by_field_name("pattern") or p
            if pat.type != "object_pattern":
                continue
            for el in pat.named_children:
                if el.type == "shorthand_property_identifier_pattern":
                    out[text(el)] = text(el)
                elif el.type == "pair_pattern":
                    k = _key_name(el.child_by_field_name("key"))
                    v = el.child_by_field_name("value")
                    if k and v is not None:
                        v = v.child_by_field_name("left") or v  # `{ a: b = default }`
                        out[text(v)] = k
                elif el.type == "object_assignment_pattern":
                    left = el.child_by_field_name("left")
                    if left is not None:
                        out[text(left)] = text(left)
        return out

    # -- when / then -----------------------------------------------------------------------

    def _entries(self, node: Any, sd: SyncDef) -> list[Pattern]:
        """``actions([A, {…}, {…}], …)`` → patterns (also a bare array of arrays)."""
        node = _unwrap(node)
        arrays: list[Any] = []
        if node.type == "call_expression":
            args = node.child_by_field_name("arguments")
            arrays = [_unwrap(a) for a in (args.named_children if args else [])]
        elif node.type == "array":
            arrays = [_unwrap(a) for a in node.named_children]
        out = []
        for arr in arrays:
            if arr is None or arr.type != "array":
                continue
            els = [_unwrap(e) for e in arr.named_children if e.type != "comment"]
            if not els:
                continue
            fn = els[0]
            concept, method = "?", text(fn)
            if fn.type == "member_expression":
                obj, prop = fn.child_by_field_name("object"), fn.child_by_field_name("property")
                concept, method = text(obj), text(prop)
                self.concepts.add(concept)
            inp = self._pattern(els[1], sd) if len(els) > 1 else None
            outp = self._pattern(els[2], sd) if len(els) > 2 else None
            out.append(Pattern(concept, method, inp, outp, line(arr), _source(arr), len(els)))
        return out

    def _value(self, node: Any, sd: SyncDef) -> Value:
        node = _unwrap(node)
        if node is None:
            return ("expr", "")
        if node.type == "identifier":
            name = text(node)
            if name in sd.vars:
                return ("var", sd.vars[name])
            if name == "undefined":
                return ("lit", None)
            return ("expr", name)
        s = _string_value(node)
        if s is not None:
            return ("lit", s)
        if node.type == "number":
            t = text(node)
            try:
                return ("lit", float(t) if "." in t else int(t, 0))
            except ValueError:
                return ("expr", t)
        if node.type in ("true", "false"):
            return ("lit", node.type == "true")
        if node.type == "null":
            return ("lit", None)
        return ("expr", " ".join(text(node).split()))

    def _pattern(self, node: Any, sd: SyncDef) -> dict[str, Value] | None:
        node = _unwrap(node)
        if node is None or node.type != "object":
            return {"…": ("expr", text(node) if node is not None else "")} if node is not None else None
        out: dict[str, Value] = {}
        for prop in node.named_children:
            if prop.type == "shorthand_property_identifier":
                name = text(prop)
                out[name] = ("var", sd.vars[name]) if name in sd.vars else ("expr", name)
            elif prop.type == "pair":
                k = _key_name(prop.child_by_field_name("key"))
                if k is not None:
                    out[k] = self._value(prop.child_by_field_name("value"), sd)
            elif prop.type == "spread_element":
                out["..."] = ("expr", text(prop))
        return out

    # -- where -----------------------------------------------------------------------------

    def _where(self, node: Any, sd: SyncDef) -> None:
        local_to_sym = sd.vars
        for n in walk(node):
            t = n.type
            if t == "identifier":
                name = text(n)
                if name in local_to_sym:
                    sd.where_mentions.add(local_to_sym[name])
            elif t == "call_expression":
                self._where_call(n, sd)
            elif t == "computed_property_name":
                inner = n.named_children[0] if n.named_children else None
                if inner is not None and inner.type == "identifier" and text(inner) in local_to_sym:
                    sd.where_bound.add(local_to_sym[text(inner)])
            elif t == "assignment_expression":
                left = n.child_by_field_name("left")
                if left is not None and left.type == "subscript_expression":
                    idx = left.child_by_field_name("index")
                    if idx is not None and idx.type == "identifier" and text(idx) in local_to_sym:
                        sd.where_bound.add(local_to_sym[text(idx)])
            elif t == "new_expression":
                ctor = n.child_by_field_name("constructor")
                if ctor is not None and text(ctor) == "Frames":
                    self._new_frames(n, sd)
                    args = n.child_by_field_name("arguments")
                    if args is None or not args.named_children:
                        sd.issues.append(("EMPTY-FRAMES", line(n), {}))  # `new Frames()`: this request is dropped
            elif t == "object":
                self._string_keys(n, sd)
            elif t == "await_expression":
                call = _unwrap(n.named_children[0]) if n.named_children else None
                if call is not None and call.type == "call_expression":
                    self._awaited_action(call, sd)
            elif t in ("for_in_statement", "for_statement"):
                sd.issues.append(("FILTER", line(n), {}))  # frames rebuilt one by one
            elif t == "binary_expression" and marks.is_empty_test(n):
                left = n.child_by_field_name("left").child_by_field_name("object")
                sd.issues.append(("EMPTY-TEST", line(n), {"of": text(left) if left is not None else ""}))

    def _where_call(self, n: Any, sd: SyncDef) -> None:
        fn = n.child_by_field_name("function")
        if fn is not None and fn.type == "identifier" and text(fn) not in marks.BUILTINS:
            sd.issues.append(("FILTER", line(n), {}))  # a helper may keep or drop frames: a filter for all we know
            sd.issues.append(("HELPER", line(n), {"name": text(fn)}))  # …and may answer the request itself
        if fn is None or fn.type != "member_expression":
            return
        prop = text(fn.child_by_field_name("property"))
        if prop in ("filter", "flatMap", "splice"):
            sd.issues.append(("FILTER", line(n), {}))  # frames kept or dropped by the app's own test
        args = n.child_by_field_name("arguments")
        arglist = [_unwrap(a) for a in (args.named_children if args else []) if a.type != "comment"]
        if prop == "map" and arglist and arglist[0].type in ("arrow_function", "function_expression"):
            one_branch = marks.one_branch_bindings(arglist[0], sd.vars)
            if one_branch:
                sd.issues.append(("ONE-BRANCH", line(n), {"vars": one_branch}))
        if prop in ("query", "queryAsync") and arglist:
            q = arglist[0]
            if q.type == "member_expression":
                concept = text(q.child_by_field_name("object"))
                method = text(q.child_by_field_name("property"))
            else:
                concept, method = "?", text(q)
            inp = self._pattern(arglist[1], sd) if len(arglist) > 1 else {}
            out = self._pattern(arglist[2], sd) if len(arglist) > 2 else None
            sd.where_queries.append(WhereQuery(concept, method, inp or {}, out, line(n),
                                               _query_source(n), prop))
            for v in (out or {}).values():
                if v[0] == "var":
                    sd.where_bound.add(v[1])
            # Chained on (`….query(…).query(…)`): kept. Known from the outer call, visited first, so
            # the parent need not be asked (a tree-sitter parent look-up walks down from the root).
            kept = (n.start_byte, n.end_byte) in self._chained or marks.result_kept(n, fn)
            sd.issues.append(("QUERY-KEPT", line(n), {"kept": kept}))
        if prop in ("query", "queryAsync", "filter", "map", "flatMap", "collectAs"):
            inner = fn.child_by_field_name("object")
            while inner is not None and inner.type in ("await_expression", "parenthesized_expression"):
                inner = inner.named_children[0] if inner.named_children else None
            if inner is not None and inner.type == "call_expression":
                self._chained.add((inner.start_byte, inner.end_byte))
        elif prop == "collectAs" and len(arglist) >= 2 and arglist[1].type == "identifier":
            name = text(arglist[1])
            if name in sd.vars:
                sd.where_bound.add(sd.vars[name])

    def _awaited_action(self, call: Any, sd: SyncDef) -> None:
        fn = call.child_by_field_name("function")
        if fn is None or fn.type != "member_expression":
            return
        obj = fn.child_by_field_name("object")
        method = text(fn.child_by_field_name("property"))
        if obj is None or obj.type != "identifier" or method.startswith("_"):
            return
        concept = text(obj)
        if concept in self.concepts and concept not in ("frames", "Frames"):
            sd.issues.append(("F14-await", line(call), {"action": f"{concept}.{method}"}))

    def _new_frames(self, n: Any, sd: SyncDef) -> None:
        args = n.child_by_field_name("arguments")
        if args is None:
            return
        for a in args.named_children:
            a = _unwrap(a)
            cands = [a] if a.type == "object" else [x for x in walk(a) if x.type == "object"]
            for o in cands:
                kids = o.named_children
                frame_like = a.type == "object" or any(
                    k.type == "pair" and k.child_by_field_name("key").type == "computed_property_name" for k in kids)
                if frame_like and not any(k.type == "spread_element" for k in kids):
                    sd.issues.append(("F5", line(o), {"text": " ".join(text(n).split())[:120]}))
                    return

    def _string_keys(self, o: Any, sd: SyncDef) -> None:
        kids = o.named_children
        if not any(k.type == "spread_element" for k in kids):
            return
        names = set(sd.vars.values()) | set(sd.vars)
        for k in kids:
            key = None
            if k.type == "pair":
                kn = k.child_by_field_name("key")
                key = _key_name(kn) if kn is not None and kn.type != "computed_property_name" else None
            elif k.type == "shorthand_property_identifier":
                key = text(k)
            if key is not None and key in names:
                sd.issues.append(("F6", line(k), {"key": key}))
