"""Read an app's ``src/syncs/**/*.sync.ts`` with tree-sitter and find the known sync bugs.

Each exported sync (``export const X: Sync = ({…}) => ({ when, where, then })`` or
``export function X({…}: Vars) { return {…} }``) is reduced to its ``when`` patterns,
``where`` queries and ``then`` calls, with every pattern value resolved to a sync variable
(by its *destructured key*, the symbol's description) or a literal. The checks follow the
engine's rules (``course-engine.md``) and the failure modes F1–F21. TypeScript structure is
read only from the syntax tree, never with regular expressions; a file that does not parse
gives a ``PARSE`` finding, not an exception.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from sessioning.errors import KitError
from sessioning.findings import Finding, findings_frame
from sessioning.masking import is_password_key, is_secret_key, mask_id, mask_password, secrets_revealed

__all__ = ["SyncReadError", "SyncFiles", "SyncDef", "Pattern", "WhereQuery", "read_syncs", "correlate"]


class SyncReadError(KitError, ValueError):
    """The path holds no sync files (or does not exist)."""


@lru_cache(maxsize=1)
def _parser() -> Any:
    import tree_sitter_typescript as tst
    from tree_sitter import Language, Parser

    return Parser(Language(tst.language_typescript()))


# A pattern value: ("var", symbol name) | ("lit", value) | ("expr", source text)
Value = tuple[str, Any]


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


# ---------------------------------------------------------------- source text, masked


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


# ---------------------------------------------------------------- tree helpers


def _text(node: Any) -> str:
    return node.text.decode("utf-8", "replace")


def _line(node: Any) -> int:
    return node.start_point[0] + 1


def _walk(node: Any) -> Iterator[Any]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def _unwrap(node: Any) -> Any:
    """Strip parentheses, ``as`` casts, ``satisfies`` and non-null assertions."""
    while node is not None and node.type in ("parenthesized_expression", "as_expression",
                                             "satisfies_expression", "non_null_expression"):
        kids = node.named_children
        node = kids[0] if kids else None
    return node


def _string_value(node: Any) -> str | None:
    if node.type == "string":
        return "".join(_text(c) for c in node.named_children if c.type in ("string_fragment", "escape_sequence"))
    if node.type == "template_string" and not any(c.type == "template_substitution" for c in node.named_children):
        return "".join(_text(c) for c in node.named_children if c.type in ("string_fragment", "escape_sequence"))
    return None


def _key_name(node: Any) -> str | None:
    if node.type in ("property_identifier", "identifier", "shorthand_property_identifier"):
        return _text(node)
    if node.type in ("string", "template_string"):
        return _string_value(node)
    if node.type == "number":
        return _text(node)
    return None  # computed key


def _has_sync_keys(obj: Any) -> bool:
    for prop in obj.named_children:
        name = prop.child_by_field_name("key") if prop.type == "pair" else (
            prop.child_by_field_name("name") if prop.type == "method_definition" else prop)
        if name is not None and _key_name(name) in ("when", "then"):
            return True
    return False


def _source(node: Any) -> Source:
    """The node's text and, from the tree, the string literals paired with secret-named keys."""
    base = node.start_byte
    spans = []
    for n in _walk(node):
        if n.type != "pair":
            continue
        key, value = n.child_by_field_name("key"), n.child_by_field_name("value")
        name = _key_name(key) if key is not None else None
        if name and value is not None and value.type in ("string", "template_string") and (
                is_secret_key(name) or is_password_key(name)):
            spans.append((value.start_byte - base, value.end_byte - base, is_password_key(name)))
    return Source(node.text, tuple(spans))


# ---------------------------------------------------------------- per-file extraction


class _FileReader:
    def __init__(self, root: Path, path: Path) -> None:
        self.root = root
        self.path = path
        self.rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
        self.registered = path.name.endswith(".sync.ts")
        self.syncs: list[SyncDef] = []
        self.findings: list[Finding] = []
        self.concepts: set[str] = set()

    def read(self) -> None:
        try:
            src = self.path.read_bytes()
        except OSError as e:
            self.findings.append(Finding(
                code="PARSE", severity="error", source="syncs", file=self.rel,
                explanation=f"`{self.rel}` could not be read: {e.strerror or e}.",
                fix="Check the file's permissions."))
            return
        if b"\x00" in src[:4096]:
            self.findings.append(Finding(
                code="PARSE", severity="error", source="syncs", file=self.rel,
                explanation=f"`{self.rel}` is not a text file.", fix="Remove it from `src/syncs`."))
            return
        tree = _parser().parse(src)
        root = tree.root_node
        if root.has_error:
            # the innermost error nodes point at the real mistake; the outer ones can span the file
            inner = [n for n in _walk(root) if (n.is_error or n.is_missing)
                     and not any(c.has_error for c in n.children)]
            bad = min(inner, key=lambda n: n.start_byte) if inner else root
            near = " ".join(_text(bad).split())[:60]
            self.findings.append(Finding(
                code="PARSE", severity="error", source="syncs", file=self.rel, line=_line(bad),
                explanation=(f"`{self.rel}` has a syntax error near line {_line(bad)}"
                             f"{f' (`{near}`)' if near else ''}; Deno will not load it, so the server does not start. "
                             "Syncs in the rest of the file are still checked."),
                fix="Fix the syntax error (an unclosed bracket, a missing comma or `)`), then run `deno run build`.",
                evidence=near or None))
        local: dict[str, tuple[Any, int]] = {}  # top-level functions, for `export { A, B as C }`
        for stmt in root.named_children:
            if stmt.type == "import_statement":
                self._imports(stmt)
            elif stmt.type == "function_declaration" and stmt.child_by_field_name("name") is not None:
                local[_text(stmt.child_by_field_name("name"))] = (stmt, _line(stmt))
            elif stmt.type == "lexical_declaration":
                for vd in stmt.named_children:
                    name, value = vd.child_by_field_name("name"), _unwrap(vd.child_by_field_name("value"))
                    if vd.type == "variable_declarator" and name is not None and value is not None:
                        local[_text(name)] = (value, _line(vd))
        for stmt in root.named_children:
            if stmt.type == "export_statement":
                self._export(stmt, local)

    def _imports(self, stmt: Any) -> None:
        src = stmt.child_by_field_name("source")
        mod = _string_value(src) if src is not None else None
        if not mod or "concepts" not in mod:
            return
        for n in _walk(stmt):
            if n.type == "import_specifier":
                alias = n.child_by_field_name("alias") or n.child_by_field_name("name")
                if alias is not None:
                    self.concepts.add(_text(alias))

    def _export(self, stmt: Any, local: dict[str, tuple[Any, int]]) -> None:
        decl = stmt.child_by_field_name("declaration")
        if decl is None:
            clause = next((c for c in stmt.named_children if c.type == "export_clause"), None)
            for spec in clause.named_children if clause is not None else []:
                name, alias = spec.child_by_field_name("name"), spec.child_by_field_name("alias")
                target = local.get(_text(name)) if name is not None else None
                if target is not None and target[0].type in ("arrow_function", "function_expression", "function",
                                                             "function_declaration"):
                    self._sync_fn(_text(alias if alias is not None else name), target[0], target[1])
            return
        if decl.type == "function_declaration":
            name = decl.child_by_field_name("name")
            self._sync_fn(_text(name) if name else "?", decl, _line(decl))
        elif decl.type == "lexical_declaration":
            for vd in decl.named_children:
                if vd.type != "variable_declarator":
                    continue
                name = vd.child_by_field_name("name")
                value = _unwrap(vd.child_by_field_name("value"))
                if name is not None and value is not None and value.type in ("arrow_function", "function_expression",
                                                                             "function"):
                    self._sync_fn(_text(name), value, _line(vd))

    def _sync_fn(self, name: str, fn: Any, line: int) -> None:
        if fn.has_error:
            return  # reported once as PARSE; a half-written sync would give false findings
        body = _unwrap(fn.child_by_field_name("body"))
        obj = None
        if body is not None and body.type == "object":
            obj = body
        elif body is not None and body.type == "statement_block":
            for n in _walk(body):  # the first `return { when…, then… }` (not a helper's return)
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
            elif prop.type == "shorthand_property_identifier" and _text(prop) in ("when", "where", "then"):
                parts[_text(prop)] = None
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
                    out[_text(el)] = _text(el)
                elif el.type == "pair_pattern":
                    k = _key_name(el.child_by_field_name("key"))
                    v = el.child_by_field_name("value")
                    if k and v is not None:
                        v = v.child_by_field_name("left") or v  # `{ a: b = default }`
                        out[_text(v)] = k
                elif el.type == "object_assignment_pattern":
                    left = el.child_by_field_name("left")
                    if left is not None:
                        out[_text(left)] = _text(left)
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
            concept, method = "?", _text(fn)
            if fn.type == "member_expression":
                obj, prop = fn.child_by_field_name("object"), fn.child_by_field_name("property")
                concept, method = _text(obj), _text(prop)
                self.concepts.add(concept)
            inp = self._pattern(els[1], sd) if len(els) > 1 else None
            outp = self._pattern(els[2], sd) if len(els) > 2 else None
            out.append(Pattern(concept, method, inp, outp, _line(arr), _source(arr), len(els)))
        return out

    def _value(self, node: Any, sd: SyncDef) -> Value:
        node = _unwrap(node)
        if node is None:
            return ("expr", "")
        if node.type == "identifier":
            name = _text(node)
            if name in sd.vars:
                return ("var", sd.vars[name])
            if name == "undefined":
                return ("lit", None)
            return ("expr", name)
        s = _string_value(node)
        if s is not None:
            return ("lit", s)
        if node.type == "number":
            t = _text(node)
            try:
                return ("lit", float(t) if "." in t else int(t, 0))
            except ValueError:
                return ("expr", t)
        if node.type in ("true", "false"):
            return ("lit", node.type == "true")
        if node.type == "null":
            return ("lit", None)
        return ("expr", " ".join(_text(node).split()))

    def _pattern(self, node: Any, sd: SyncDef) -> dict[str, Value] | None:
        node = _unwrap(node)
        if node is None or node.type != "object":
            return {"…": ("expr", _text(node) if node is not None else "")} if node is not None else None
        out: dict[str, Value] = {}
        for prop in node.named_children:
            if prop.type == "shorthand_property_identifier":
                name = _text(prop)
                out[name] = ("var", sd.vars[name]) if name in sd.vars else ("expr", name)
            elif prop.type == "pair":
                k = _key_name(prop.child_by_field_name("key"))
                if k is not None:
                    out[k] = self._value(prop.child_by_field_name("value"), sd)
            elif prop.type == "spread_element":
                out["..."] = ("expr", _text(prop))
        return out

    # -- where -----------------------------------------------------------------------------

    def _where(self, node: Any, sd: SyncDef) -> None:
        local_to_sym = sd.vars
        for n in _walk(node):
            t = n.type
            if t == "identifier":
                name = _text(n)
                if name in local_to_sym:
                    sd.where_mentions.add(local_to_sym[name])
            elif t == "call_expression":
                self._where_call(n, sd)
            elif t == "computed_property_name":
                inner = n.named_children[0] if n.named_children else None
                if inner is not None and inner.type == "identifier" and _text(inner) in local_to_sym:
                    sd.where_bound.add(local_to_sym[_text(inner)])
            elif t == "assignment_expression":
                left = n.child_by_field_name("left")
                if left is not None and left.type == "subscript_expression":
                    idx = left.child_by_field_name("index")
                    if idx is not None and idx.type == "identifier" and _text(idx) in local_to_sym:
                        sd.where_bound.add(local_to_sym[_text(idx)])
            elif t == "new_expression":
                ctor = n.child_by_field_name("constructor")
                if ctor is not None and _text(ctor) == "Frames":
                    self._new_frames(n, sd)
            elif t == "object":
                self._string_keys(n, sd)
            elif t == "await_expression":
                call = _unwrap(n.named_children[0]) if n.named_children else None
                if call is not None and call.type == "call_expression":
                    self._awaited_action(call, sd)

    def _where_call(self, n: Any, sd: SyncDef) -> None:
        fn = n.child_by_field_name("function")
        if fn is None or fn.type != "member_expression":
            return
        prop = _text(fn.child_by_field_name("property"))
        args = n.child_by_field_name("arguments")
        arglist = [_unwrap(a) for a in (args.named_children if args else []) if a.type != "comment"]
        if prop in ("query", "queryAsync") and arglist:
            q = arglist[0]
            if q.type == "member_expression":
                concept = _text(q.child_by_field_name("object"))
                method = _text(q.child_by_field_name("property"))
            else:
                concept, method = "?", _text(q)
            inp = self._pattern(arglist[1], sd) if len(arglist) > 1 else {}
            out = self._pattern(arglist[2], sd) if len(arglist) > 2 else None
            sd.where_queries.append(WhereQuery(concept, method, inp or {}, out, _line(n),
                                               _source(n), prop))
            for v in (out or {}).values():
                if v[0] == "var":
                    sd.where_bound.add(v[1])
        elif prop == "collectAs" and len(arglist) >= 2 and arglist[1].type == "identifier":
            name = _text(arglist[1])
            if name in sd.vars:
                sd.where_bound.add(sd.vars[name])

    def _awaited_action(self, call: Any, sd: SyncDef) -> None:
        fn = call.child_by_field_name("function")
        if fn is None or fn.type != "member_expression":
            return
        obj = fn.child_by_field_name("object")
        method = _text(fn.child_by_field_name("property"))
        if obj is None or obj.type != "identifier" or method.startswith("_"):
            return
        concept = _text(obj)
        if concept in self.concepts and concept not in ("frames", "Frames"):
            sd.issues.append(("F14-await", _line(call), {"action": f"{concept}.{method}"}))

    def _new_frames(self, n: Any, sd: SyncDef) -> None:
        args = n.child_by_field_name("arguments")
        if args is None:
            return
        for a in args.named_children:
            a = _unwrap(a)
            cands = [a] if a.type == "object" else [x for x in _walk(a) if x.type == "object"]
            for o in cands:
                kids = o.named_children
                frame_like = a.type == "object" or any(
                    k.type == "pair" and k.child_by_field_name("key").type == "computed_property_name" for k in kids)
                if frame_like and not any(k.type == "spread_element" for k in kids):
                    sd.issues.append(("F5", _line(o), {"text": " ".join(_text(n).split())[:120]}))
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
                key = _text(k)
            if key is not None and key in names:
                sd.issues.append(("F6", _line(k), {"key": key}))


# ---------------------------------------------------------------- checks

_SESSION_KEYS = {"session", "sessionid", "sessiontoken", "token", "accesstoken"}


def _vars_in(p: dict[str, Value] | None) -> list[tuple[str, str]]:
    return [(k, v[1]) for k, v in (p or {}).items() if v[0] == "var"]


def _is_user_check(q: WhereQuery) -> bool:
    m = q.method.lower()
    return m.startswith("_getuser") or (m.startswith("_") and any(k.lower() in _SESSION_KEYS for k in q.input))


def _fmt_keys(keys: list[str]) -> str:
    return "{ " + ", ".join(keys) + " }" if keys else "{}"


def _check_sync(sd: SyncDef) -> list[Finding]:
    out: list[Finding] = []

    def add(code: str, sev: str, line: int, expl: str, fix: str, evidence: str | None = None) -> None:
        out.append(Finding(code=code, severity=sev, explanation=expl, fix=fix, sync=sd.name, source="syncs",
                           file=sd.file, line=line, evidence=evidence, extra={"qualified": sd.qualified}))

    s = f"`{sd.name}`"
    for part, pats in (("when", sd.when), ("then", sd.then)):
        for p in pats:
            if p.method.startswith("_"):
                add("F7", "error", p.line,
                    f"{s} uses the query `{p.action}` in its `{part}`: queries (names starting with `_`) are not "
                    f"instrumented, so the server crashes at startup with `Action bound {p.method} is not "
                    "instrumented.`",
                    f"Move it into `where`: `frames.query({p.action}, {{ … }}, {{ … }})`.", p.text)
    for p in sd.when:
        if p.elements < 3 or p.output is None:
            add("F8", "error", p.line,
                f"{s}'s `when` entry for `{p.action}` has no output pattern; the engine throws `When pattern: "
                "[object Object] is missing output pattern.` the first time it meets a matching action.",
                "Add the output pattern as the third element — `{}` if you need nothing from it.", p.text)
        elif "error" in p.output and len([k for k in p.output if k != "error"]) > 0:
            others = [k for k in p.output if k != "error"]
            add("F11", "error", p.line,
                f"{s} waits for `{p.action}` with output pattern `{_fmt_keys(list(p.output))}`: an action returns "
                "either its result or `{ error }`, never both, so this never matches and the request times out.",
                f"Split it into two syncs: one matching `{_fmt_keys(others)}`, one matching `{{ error }}`.", p.text)
    # path literals with /api
    for p in sd.when + sd.then:
        for k, v in (p.input or {}).items():
            if v[0] == "lit" and isinstance(v[1], str) and v[1].startswith("/api/"):
                add("API-PREFIX", "error", p.line,
                    f"{s} matches `{k}: \"{v[1]}\"`, but Requesting removes the `/api` base before matching, so "
                    "this path never matches and the request times out (F10).",
                    f"Write the path without the prefix: `\"{v[1][4:]}\"`.", p.text)
    # where queries: F13, F14
    for q in sd.where_queries:
        if not q.method.startswith("_") and q.concept not in ("?",):
            add("F14", "warning", q.line,
                f"{s} calls `{q.action}` through `frames.{q.via}`, but `{q.method}` has no `_` prefix, so it is an "
                "action: it runs in a new flow (a TRACE line with an array output) and can trigger other syncs.",
                f"Rename the method `_{q.method}` if it only reads (a query); call real actions from `then`.", q.text)
        if _is_user_check(q) and q.output is not None and not q.output:
            add("F13", "warning", q.line,
                f"{s} checks the session with `frames.{q.via}({q.action}, …, {{}})`: an empty output pattern keeps "
                "the frame even when the query returns `[{ error }]` for an unknown session, so the check lets "
                "every request through.",
                "Bind the user (output `{ user }`) and keep only frames that have it: "
                "`frames.filter(($) => $[user] !== undefined)`; answer the invalid-session case in its own sync.",
                q.text)
        elif _is_user_check(q) and q.output:
            used_then = {v for p in sd.then for _, v in _vars_in(p.input)}
            for _, var in _vars_in(q.output):
                other_q = any(var in {v for _, v in _vars_in(o.input)} for o in sd.where_queries if o is not q)
                if var not in used_then and not other_q and var != "error" and var not in sd.where_mentions:
                    add("F13", "warning", q.line,
                        f"{s} binds `{var}` from `{q.action}` but never uses it: for an unknown session the query "
                        f"returns `[{{ error }}]`, the frame survives with `{var}` unbound, and the `then` runs anyway.",
                        f"Require the binding: `frames.filter(($) => $[{var}] !== undefined)` (or use `{var}` in "
                        "`then`), and answer the invalid-session case in its own sync.", q.text)
    for code, line, info in sd.issues:
        if code == "F14-await":
            add("F14", "warning", line,
                f"{s} awaits the action `{info['action']}` inside `where`: it runs in a new flow, so its effects and "
                "the syncs it triggers never join this request's flow.",
                "Call actions from `then`; in `where` use queries (`_…`) through `frames.query`.")
        elif code == "F5":
            add("F5", "error", line,
                f"{s}'s `where` builds frames from scratch (`new Frames({{…}})` without spreading an original "
                "frame): they lack the hidden action ids of `when`, so `then` throws "
                "\"Missing actionId in `then` clause.\"",
                "Derive new frames from existing ones: `frames.map(($) => ({ ...$, [x]: value }))` or "
                "`new Frames({ ...frame, [x]: value })`.", info["text"])
        elif code == "F6":
            add("F6", "error", line,
                f"{s}'s `where` sets `{info['key']}` as a string key next to a spread frame; the engine reads only "
                f"symbol keys, so `{info['key']}` stays unbound (`Missing binding: Symbol({info['key']})`).",
                f"Use the variable as a computed key: `[{info['key']}]: …`.")
    # F3: respond with error beside success variables
    reported: set[str] = set()
    for p in sd.then:
        if p.action == "Requesting.respond" and p.input and "error" in p.input:
            succ = [k for k, v in p.input.items() if k not in ("request", "error") and v[0] == "var"]
            if succ:
                reported.add("error")
                add("F3", "error", p.line,
                    f"{s} responds with `error` beside `{', '.join(succ)}`: on success `error` is unbound and on "
                    f"failure `{succ[0]}` is, so one of them is always missing and the sync throws "
                    "`Missing binding` instead of responding.",
                    "Use two syncs: a success sync responding with the result, and an error sync (output pattern "
                    "`{ error }`) responding with `error`.", p.text)
    # then: bindings
    bound: set[str] = set()
    for p in sd.when:
        bound.update(v for _, v in _vars_in(p.input))
        bound.update(v for _, v in _vars_in(p.output))
    bound |= sd.where_bound
    maybe = sd.where_mentions  # mentioned in where in a way we cannot follow: do not accuse
    then_made: dict[str, Pattern] = {}
    for p in sd.then:
        for _k, var in _vars_in(p.input):
            if var in bound or var in reported:
                continue
            if var in then_made:
                reported.add(var)
                prod = then_made[var]
                split = (prod.action == "Sessioning.create" and p.action == "Requesting.respond")
                add("F1", "error", p.line,
                    f"{s} puts `{prod.action}` and `{p.action}` in one `then`; `{var}` is only bound by "
                    f"`{prod.action}`'s output pattern, but a `then` output pattern binds nothing and every `then` "
                    f"input is resolved before any action runs, so `Missing binding: Symbol({var})` is thrown and "
                    f"{prod.action} never runs — nothing is inserted. Restarting the server does not help.",
                    _SPLIT_FIX if split else (
                        f"Split it: keep `{prod.action}` here; respond in a second sync whose `when` includes "
                        f"`[{prod.action}, {{}}, {{ {var} }}]`."), p.text)
            elif var in maybe:
                continue
            elif var == "error":
                reported.add(var)
                add("F3", "error", p.line,
                    f"{s} passes `error` to `{p.action}`, but nothing in its `when` or `where` binds `error`, so it "
                    "throws `Missing binding: Symbol(error)`.",
                    "Respond with `error` only from a sync whose `when` output pattern is `{ error }`.", p.text)
            else:
                reported.add(var)
                add("UNBOUND", "error", p.line,
                    f"{s} passes `{var}` to `{p.action}` in `then`, but no `when` pattern or `where` binds it, so it "
                    f"throws `Missing binding: Symbol({var})`.",
                    f"Bind `{var}` in a `when` pattern or a `where` query's output pattern, or remove it.", p.text)
        for _k, var in _vars_in(p.output):
            then_made.setdefault(var, p)
    return out


_SPLIT_FIX = ("Split it: one sync creates the session when login succeeds; a second sync, whose `when` "
              "includes `[Sessioning.create, {}, {session}]`, responds.")


def _request_path(sd: SyncDef) -> str | None:
    for p in sd.when:
        if p.action == "Requesting.request":
            v = (p.input or {}).get("path")
            if v and v[0] == "lit":
                return str(v[1])
    return None


def _check_f12(syncs: list[SyncDef]) -> list[Finding]:
    """A `{}` response sync beside an `{error}` one for the same request path and action."""
    empty: dict[tuple[str, str], SyncDef] = {}
    err: dict[tuple[str, str], SyncDef] = {}
    for sd in syncs:
        path = _request_path(sd)
        if path is None or not any(p.action == "Requesting.respond" for p in sd.then):
            continue
        for p in sd.when:
            if p.action == "Requesting.request" or p.output is None:
                continue
            keys = set(p.output)
            if not keys:
                empty.setdefault((path, p.action), sd)
            elif keys == {"error"}:
                err.setdefault((path, p.action), sd)
    out = []
    for key, sd in empty.items():
        other = err.get(key)
        if other is None or other is sd:
            continue
        path, action = key
        line = next((p.line for p in sd.when if p.action == action), sd.line)
        out.append(Finding(
            code="F12", severity="warning", sync=sd.name, source="syncs", file=sd.file, line=line,
            explanation=(f"`{sd.name}` responds to `{path}` when `{action}` completes with output pattern `{{}}`, "
                         f"which also matches `{{ error }}`; `{other.name}` responds to that error too, so both fire: "
                         "the client gets the first answer and `Requesting.requests` stores the last."),
            fix=(f"Give `{sd.name}`'s `{action}` entry a success output key instead of `{{}}` (what it returns on "
                 "success), or make the action return a marker such as `{ ok: true }`."),
            evidence=f"{other.name} ({other.file}:{other.line})", extra={"qualified": sd.qualified}))
    return out


# ---------------------------------------------------------------- result and entry point


class SyncFiles:
    """Syncs read from an app's sync files, with findings."""

    def __init__(self, root: str, files: list[str], defs: list[SyncDef], file_findings: list[Finding],
                 engine_version: str | None = None) -> None:
        self.root = root
        self.files = files
        self.defs = defs
        self._file_findings = file_findings
        self.engine_version = engine_version
        self._findings: list[Finding] | None = None

    @property
    def syncs(self) -> pd.DataFrame:
        """One row per sync: file, line, name, qualified, registered, vars, when, where_queries, then."""
        rows = [{
            "file": d.file, "line": d.line, "name": d.name, "qualified": d.qualified, "registered": d.registered,
            "vars": sorted(set(d.vars.values())), "when": [p.text for p in d.when],
            "where_queries": [q.text for q in d.where_queries], "then": [p.text for p in d.then],
        } for d in self.defs]
        cols = ["file", "line", "name", "qualified", "registered", "vars", "when", "where_queries", "then"]
        return pd.DataFrame(rows, columns=cols)

    def sync(self, name: str) -> SyncDef:
        """The sync named ``name`` (export name or qualified name)."""
        for d in self.defs:
            if name in (d.name, d.qualified):
                return d
        raise KeyError(name)

    def findings(self) -> list[Finding]:
        if self._findings is None:
            out = list(self._file_findings)
            for d in self.defs:
                out.extend(_check_sync(d))
            out.extend(_check_f12([d for d in self.defs if d.registered]))
            self._findings = out
        return list(self._findings)

    def findings_frame(self) -> pd.DataFrame:
        return findings_frame(self.findings())

    def __repr__(self) -> str:
        return f"<SyncFiles {self.root}: {len(self.files)} files, {len(self.defs)} syncs>"


def _syncs_dir(path: Path) -> Path:
    for cand in (path / "src" / "syncs", path / "syncs"):
        if cand.is_dir():
            return cand
    return path


def _engine_version(syncs_dir: Path) -> str | None:
    """v2 if the app's engine has ``collectAs`` (plain text search; no TS structure involved)."""
    engine = syncs_dir.parent / "engine"
    if not engine.is_dir():
        return None
    try:
        text = "".join(p.read_text(encoding="utf-8", errors="replace") for p in engine.glob("*.ts"))
    except OSError:
        return None
    return "v2" if "collectAs" in text else "v1"


def read_syncs(path: str | os.PathLike[str]) -> SyncFiles:
    """Read sync files from an app directory (``src/syncs`` is found), a syncs directory or one file.

    Raises :class:`SyncReadError` when the path does not exist or holds no ``.ts`` files.
    """
    p = Path(path)
    if not p.exists():
        raise SyncReadError(f"no such file or directory: {p}")
    if p.is_file():
        root, files = p.parent, [p]
    else:
        root = _syncs_dir(p)
        files = sorted(f for f in root.rglob("*.ts") if f.is_file() and not f.name.endswith(".d.ts")
                       and not (f.name == "syncs.ts" and f.parent == root)
                       and "node_modules" not in f.parts)
        if not files:
            raise SyncReadError(f"no sync files (*.sync.ts) under {root}")
    defs: list[SyncDef] = []
    file_findings: list[Finding] = []
    for f in files:
        fr = _FileReader(root, f)
        fr.read()
        file_findings.extend(fr.findings)
        defs.extend(fr.syncs)
        if not fr.registered and fr.syncs:
            names = ", ".join(d.name for d in fr.syncs[:5])
            base = f.name.split(".", 1)[0]
            file_findings.append(Finding(
                code="F21", severity="error", source="syncs", file=fr.rel, line=1,
                explanation=(f"`{fr.rel}` is not named `*.sync.ts`, so the generated barrel ignores it: its syncs "
                             f"({names}) are never registered and their requests time out."),
                fix=f"Rename it to `{base}.sync.ts` and run `deno run build`.",
                extra={"syncs": [d.name for d in fr.syncs]}))
    return SyncFiles(str(root), [str(f) for f in files], defs, file_findings, _engine_version(root))


# ---------------------------------------------------------------- log ↔ sync files


def _near(a: str, b: str) -> bool:
    return a != b and a.lower().rstrip("/") == b.lower().rstrip("/")


def correlate(log_findings: list[Finding], sync_files: SyncFiles) -> list[Finding]:
    """Log findings with the app's sync files in mind: name the sync behind an error and say
    why a request timed out (no sync for the path, a `/api` prefix, a missing key, an
    unregistered file, or a `where` that emptied the frames). Other findings pass through."""
    import dataclasses

    by_path: dict[str, list[SyncDef]] = {}
    for d in sync_files.defs:
        p = _request_path(d)
        if p is not None:
            by_path.setdefault(p, []).append(d)
    located = {(f.sync, f.code): f for f in sync_files.findings() if f.sync}
    out = []
    for f in log_findings:
        path = f.extra.get("path") if f.source == "log" else None
        if not path:
            out.append(f)
            continue
        cands = by_path.get(path, [])
        reg = [d for d in cands if d.registered]
        note, sync = None, None
        if f.code in ("F1", "F3") and any((d.name, f.code) in located for d in cands):
            d = next(d for d in cands if (d.name, f.code) in located)
            sf = located[(d.name, f.code)]
            note, sync = f"In your sync files this is `{d.name}` ({sf.file}:{sf.line}).", d.name
        elif f.code == "F10":
            prefixed = by_path.get("/api" + path, [])
            near = [(p, ds) for p, ds in by_path.items() if _near(p, path)]
            if not cands and prefixed:
                d = prefixed[0]
                note, sync = (f"`{d.name}` ({d.file}:{d.line}) matches `/api{path}`: Requesting strips `/api`, "
                              "so drop the prefix."), d.name
            elif not cands and near:
                p, ds = near[0]
                note, sync = (f"`{ds[0].name}` ({ds[0].file}:{ds[0].line}) matches `{p}`: case and trailing "
                              "slashes must match exactly."), ds[0].name
            elif cands and not reg:
                d = cands[0]
                note, sync = (f"`{d.name}` matches it but sits in `{d.file}`, which is not named `*.sync.ts`, so it "
                              "is never registered (F21)."), d.name
            elif not cands:
                note = f"No sync in your sync files matches `path: \"{path}\"`: add a request sync for it."
            else:
                body = f.extra.get("body_keys")
                for d in reg:
                    req = next(p for p in d.when if p.action == "Requesting.request")
                    missing = [k for k in (req.input or {}) if k not in ("path", "...")
                               and body is not None and k not in body]
                    if missing:
                        note, sync = (f"`{d.name}` ({d.file}:{d.line}) also needs "
                                      f"{', '.join(f'`{k}`' for k in missing)}, which the request did not send — a "
                                      "missing key means no match, not an error."), d.name
                        break
                else:
                    with_where = [d for d in reg if d.has_where]
                    if with_where:
                        d = with_where[0]
                        note, sync = (f"`{d.name}` ({d.file}:{d.line}) matches the path and keys, so its `where` "
                                      "removed every frame (e.g. `_getUser` found no user for this session) and "
                                      "nothing ran."), d.name
        elif f.code in ("F11", "F12", "F2", "F4", "F16") and reg:
            note = f"Syncs for `{path}`: " + ", ".join(f"`{d.name}` ({d.file}:{d.line})" for d in reg[:6]) + "."
        if note:
            f = dataclasses.replace(f, explanation=f"{f.explanation} {note}", sync=f.sync or sync,
                                    extra={**f.extra, "correlated": True})
        out.append(f)
    return out
