"""The whole-app model the sync checks consult: concepts, the app's engine, routes, coverage.

A teaching assistant reads the whole app before judging one sync: what each concept method
returns, how the app's copy of the engine behaves, which routes the server registers. This
module reads those once per app (:func:`read_app`) and says how many syncs the reader could
follow (:func:`coverage`), so a check never mistakes "not understood" for "no problem".
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sessioning.gen2025.readers import tsnodes as ts
from sessioning.gen2025.readers.app_engine import EngineFacts, read_engine
from sessioning.gen2025.readers.concepts import Concepts, read_concepts
from sessioning.gen2025.readers.routes import Routes, read_routes

__all__ = ["AppModel", "read_app", "app_dir_of", "coverage", "Coverage"]


@dataclass
class AppModel:
    """An app read as a whole: its directory, concepts, engine facts and routes."""

    root: Path
    concepts: Concepts
    engine: EngineFacts
    routes: Routes


def app_dir_of(syncs_root: str | os.PathLike[str]) -> Path | None:
    """The app directory of a ``…/src/syncs`` folder (None when the folder is elsewhere)."""
    p = Path(syncs_root)
    if p.name == "syncs" and p.parent.name == "src":
        return p.parent.parent
    return None


def read_app(app: str | os.PathLike[str]) -> AppModel:
    """Read an app directory's concepts, engine and routes (missing parts are empty, never errors)."""
    root = Path(app)
    concepts = read_concepts(root)
    return AppModel(root=root, concepts=concepts, engine=read_engine(root), routes=read_routes(root, concepts))


# ---------------------------------------------------------------- coverage


@dataclass
class Coverage:
    """How many exported values of the sync files were read as syncs, and why the rest were not."""

    analysed: int = 0
    not_analysed: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # reason → (file, export)

    @property
    def missed(self) -> int:
        return sum(len(v) for v in self.not_analysed.values())

    def line(self) -> str | None:
        """``212 syncs analysed, 39 not: built by `makeCrudSyncs` in core.sync.ts (crudSyncs)`` (None when
        every export was read); one part per reason, naming the files and a few exports."""
        if not self.missed:
            return None
        parts = []
        for reason, found in self.not_analysed.items():
            files = list(dict.fromkeys(f for f, _ in found))
            names = [n for _, n in found]
            shown = ", ".join(names[:3]) + ("…" if len(names) > 3 else "")
            where = files[0] if len(files) == 1 else f"{len(files)} files ({', '.join(files[:3])}{'…' * (len(files) > 3)})"
            parts.append(f"{reason} in {where} ({shown})")
        return f"{self.analysed} syncs analysed, {self.missed} not: " + "; ".join(parts)


def _export_reason(value: Any, local_syncs: set[str], imports: dict[str, tuple[str, str]],
                   locals_made: dict[str, str]) -> str | None:
    """Why an exported value that is not a sync function may still hold syncs (None: it does not)."""
    value = ts.unwrap(value)
    if value is None:
        return None
    if value.type == "identifier" and ts.text(value) in imports:
        return f"re-exported from `{imports[ts.text(value)][0]}`"
    if value.type == "call_expression":
        fn = value.child_by_field_name("function")
        name = ts.text(fn) if fn is not None else "?"
        if name in ("actions", "Symbol", "new", "Object.freeze") or name.startswith(("Deno.", "console.")):
            return None
        return f"built by `{name}`"
    if value.type in ("array", "object"):
        names = [ts.text(c) for c in ts.walk(value) if c.type in ("identifier", "shorthand_property_identifier")]
        if names and not any(n in local_syncs for n in names) and any(n[:1].isalpha() for n in names):
            makers = sorted({locals_made.get(n) for n in names} - {None})
            if makers:  # the collected values are themselves built by a factory
                return "built by " + ", ".join(f"`{m}`" for m in makers[:2])
            return "collected in an exported list or object"
    return None


def _local_factories(root: Any) -> dict[str, str]:
    """Top-level ``const x = f(…)`` of a file: name → the function that builds it."""
    out: dict[str, str] = {}
    for stmt in root.named_children:
        decl = stmt.child_by_field_name("declaration") if stmt.type == "export_statement" else stmt
        if decl is None or decl.type != "lexical_declaration":
            continue
        for vd in decl.named_children:
            value = ts.unwrap(vd.child_by_field_name("value")) if vd.type == "variable_declarator" else None
            if value is not None and value.type == "call_expression":
                fn = value.child_by_field_name("function")
                if fn is not None and ts.text(fn) not in ("actions", "Symbol"):
                    out[ts.text(vd.child_by_field_name("name"))] = ts.text(fn)
    return out


#: Why a default-exported sync is not checked, and what to do (named in the doctor's coverage line).
DEFAULT_EXPORT = "exported as `default`, so not checked (export it by name: `export const Name: Sync = …`)"


def _default_name(value: Any) -> str:
    """``default Me`` for ``export default function Me`` / ``export default Me``; ``default`` if anonymous."""
    value = ts.unwrap(value)
    name = value.child_by_field_name("name") if value is not None and value.type != "identifier" else value
    return f"default {ts.text(name)}" if name is not None else "default"


def _file_coverage(path: Path, rel: str, synced: set[str], cov: Coverage) -> None:
    root = ts.parse_file(path)
    if root is None:
        return
    imports = {k: v for k, v in ts.import_names(root).items() if "concepts" not in v[0] and "engine" not in v[0]}
    made = _local_factories(root)
    for stmt in root.named_children:
        if stmt.type != "export_statement":
            continue
        if any(c.type == "default" for c in stmt.children):
            value = stmt.child_by_field_name("value") or stmt.child_by_field_name("declaration")
            name = _default_name(value)  # `export default function Me` is read as the sync `Me`
            if "default" not in synced and name.removeprefix("default ") not in synced:
                reason = _export_reason(value, synced, imports, made) or DEFAULT_EXPORT
                cov.not_analysed.setdefault(reason, []).append((rel, name))
            continue
        decl = stmt.child_by_field_name("declaration")
        if decl is None or decl.type != "lexical_declaration":
            continue
        for vd in decl.named_children:
            name = vd.child_by_field_name("name") if vd.type == "variable_declarator" else None
            if name is None or ts.text(name) in synced:
                continue
            reason = _export_reason(vd.child_by_field_name("value"), synced, imports, made)
            if reason:
                cov.not_analysed.setdefault(reason, []).append((rel, ts.text(name)))


def coverage(syncs_root: str | os.PathLike[str], defs: Sequence[Any]) -> Coverage:
    """Count the syncs read from ``*.sync.ts`` files and name the exports that may hold syncs the
    reader did not follow (built by a factory, collected in a list, exported as default)."""
    root = Path(syncs_root)
    by_file: dict[str, set[str]] = {}
    for d in defs:
        by_file.setdefault(d.file, set()).add(d.name)
    cov = Coverage(analysed=sum(1 for d in defs if d.registered))
    files = [root] if root.is_file() else sorted(root.rglob("*.sync.ts"))
    for f in files:
        if "node_modules" in f.parts:
            continue
        rel = f.relative_to(root).as_posix() if f.is_relative_to(root) and f != root else f.name
        _file_coverage(f, rel, by_file.get(rel, set()), cov)
    return cov
