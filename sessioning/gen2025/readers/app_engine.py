"""Recognise how an app's copy of ``src/engine`` behaves, compared with the course template's.

Students patch their engine. The checks must judge a sync by the engine it will run on, so
this reader looks, in the app's ``src/engine/sync.ts`` and ``frames.ts`` syntax trees, for the
few behaviours the checks depend on, and records each as a fact. The template's behaviour
(``61040-fa25/concept_backend``, engine of 2025-10-29) is recorded below as data, in our own
words; a fact the reader cannot establish keeps the template's value and is listed in
``unknown`` so a check can say what it could not verify.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sessioning.gen2025.readers import tsnodes as ts
from sessioning.gen2025.readers.tsnodes import Node

__all__ = ["EngineFacts", "TEMPLATE", "read_engine"]

#: The course template's behaviour, fact by fact (what each check assumes by default).
TEMPLATE: dict[str, object] = {
    # an output pattern `{}` matches every completion: success, `{error}`, even `undefined`
    "empty_output_matches_all": True,
    # methods whose name starts with `_` are bound, not instrumented: they cannot be `when`/`then` actions
    "queries_instrumented": False,
    # `frames.query` with an input variable missing from a frame throws `Binding: … not found in frame`
    "unbound_query_input_throws": True,
    # `then` with an unbound variable throws `Missing binding: … in frame`
    "unbound_then_throws": True,
    # `Frames.collectAs` exists (engine v2)
    "collect_as": True,
    # `where`/`then` run only when `when` produced at least one frame (engine v2)
    "where_needs_frames": True,
}


@dataclass
class EngineFacts:
    """What the app's engine does, fact by fact, with the differences from the template."""

    present: bool = False
    facts: dict[str, object] = field(default_factory=lambda: dict(TEMPLATE))
    unknown: list[str] = field(default_factory=list)
    extra_logs: list[str] = field(default_factory=list)

    def __getitem__(self, key: str) -> object:
        return self.facts[key]

    @property
    def version(self) -> str | None:
        """``v2`` (collectAs, `where` only on frames), ``v1``, or None when there is no engine."""
        if not self.present:
            return None
        return "v2" if self.facts["collect_as"] or self.facts["where_needs_frames"] else "v1"

    def differences(self) -> dict[str, object]:
        """The facts that differ from the template."""
        return {k: v for k, v in self.facts.items() if TEMPLATE.get(k) != v}

    def describe(self) -> str:
        """One line: the version and the patches recognised."""
        if not self.present:
            return "no src/engine: the template's behaviour is assumed"
        diff = self.differences()
        pat = ", ".join(f"{k}={v}" for k, v in sorted(diff.items())) or "no behaviour patches"
        return f"engine {self.version}: {pat}"


def _functions(root: Node) -> list[Node]:
    kinds = ("method_definition", "function_declaration", "arrow_function", "function_expression")
    return [n for n in ts.walk(root) if n.type in kinds]


def _innermost_with(root: Node, needle: str) -> Node | None:
    """The smallest function whose text contains ``needle``."""
    best = None
    for fn in _functions(root):
        if needle in ts.text(fn) and (best is None or fn.end_byte - fn.start_byte < best.end_byte - best.start_byte):
            best = fn
    return best


def _throws_with(root: Node, needle: str) -> bool:
    return any(n.type == "throw_statement" and needle in ts.text(n) for n in ts.walk(root))


def _has_method(root: Node, name: str) -> bool:
    return any(n.type == "method_definition" and ts.key_name(n.child_by_field_name("name")) == name
               for n in ts.walk(root))


def _empty_output_rule(sync_root: Node) -> bool | None:
    """False when the output matcher treats `{}` specially (only empty outputs), True when it
    iterates the pattern's keys only (the template), None when the matcher is not found."""
    fn = _innermost_with(sync_root, "missing output pattern")
    if fn is None:
        return None
    checks = [n for n in ts.walk(fn) if n.type == "binary_expression" and "Object.keys" in ts.text(n)
              and "length" in ts.text(n) and "output" in ts.text(n)]
    return len(checks) < 2  # one test on the pattern and one on the record: `{}` only matches `{}`


def _queries_instrumented(sync_root: Node) -> bool | None:
    fn = _innermost_with(sync_root, "instrumentConcept")
    for node in ts.walk(sync_root):
        if node.type == "method_definition" and ts.key_name(node.child_by_field_name("name")) == "instrumentConcept":
            fn = node
            break
    if fn is None:
        return None
    body = ts.text(fn)
    return not ('startsWith("_")' in body or "startsWith('_')" in body or 'charAt(0) === "_"' in body
                or '[0] === "_"' in body)


def _where_needs_frames(sync_root: Node) -> bool | None:
    for n in ts.walk(sync_root):
        if n.type == "if_statement":
            cond = ts.text(n.child_by_field_name("condition") or n)
            gate = "> 0" in cond or ">= 1" in cond or "!== 0" in cond
            skip = ("=== 0" in cond or "== 0" in cond) and any(
                k in ts.text(n.child_by_field_name("consequence") or n) for k in ("continue", "return"))
            if "length" in cond and (skip or (gate and ("where" in ts.text(n) or "addThen" in ts.text(n)))):
                return True
    return False if _innermost_with(sync_root, "where") is not None else None


def _log_lines(sync_root: Node) -> list[str]:
    out = []
    for n in ts.walk(sync_root):
        if n.type == "call_expression" and ts.text(n).startswith("console.log"):
            t = " ".join(ts.text(n).split())
            if "[SyncEngine]" in t or "⚠" in t or "✗" in t:
                out.append(t[:100])
    return out


def read_engine(app: str | os.PathLike[str]) -> EngineFacts:
    """The facts of an app's ``src/engine`` (or the template's when it has none)."""
    engine = Path(app) / "src" / "engine"
    out = EngineFacts()
    sync_root = ts.parse_file(engine / "sync.ts") if (engine / "sync.ts").is_file() else None
    frames_root = ts.parse_file(engine / "frames.ts") if (engine / "frames.ts").is_file() else None
    if sync_root is None and frames_root is None:
        return out
    out.present = True
    probes = {
        "empty_output_matches_all": _empty_output_rule(sync_root) if sync_root is not None else None,
        "queries_instrumented": _queries_instrumented(sync_root) if sync_root is not None else None,
        "unbound_then_throws": _throws_with(sync_root, "Missing binding") if sync_root is not None else None,
        "unbound_query_input_throws": (_throws_with(frames_root, "not found in frame")
                                       if frames_root is not None and _has_method(frames_root, "query") else None),
        "collect_as": _has_method(frames_root, "collectAs") if frames_root is not None else None,
        "where_needs_frames": _where_needs_frames(sync_root) if sync_root is not None else None,
    }
    for key, value in probes.items():
        if value is None:
            out.unknown.append(key)
        else:
            out.facts[key] = value
    if sync_root is not None:
        out.extra_logs = _log_lines(sync_root)
    return out
