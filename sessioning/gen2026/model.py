"""The static model of a 2026 app, read from its files (never run).

Reads ``package.json``, ``.env.example``/``.env`` (keys only), ``src/concepts*`` (registrations,
refusal maps, concept classes), ``src/compositions/**`` (endpoints and reactions), the file
holding ``httpPolicy`` (``src/http.ts`` in the guide), ``src/assembly.ts``, ``design/**`` (spec
keywords, declared refusals, query promises) and ``generated/*.md`` (the read-back). TypeScript is
read with tree-sitter (:mod:`.model_source`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sessioning.files import read_text
from sessioning.gen2026.model_source import (
    AssemblyInfo,
    ChainInfo,
    ConceptClass,
    HttpInfo,
    Registration,
    read_assembly,
    read_chains,
    read_classes,
    read_http,
    read_registrations,
)
from sessioning.gen2026.tsparse import Source, iter_nodes, object_pairs, parse, string_value, text

__all__ = ["AppModel", "ConceptInfo", "read_app", "read_package"]

_MAX_FILE = 2 << 20
_SKIP_DIRS = {"node_modules", ".git", "dist", "frontend", "tests", "test"}


@dataclass
class ConceptInfo:
    """A registered concept: its class facts, refusal map, spec refusals and query promises."""

    name: str
    class_name: str
    refusals: dict[str, str]
    cls: ConceptClass | None = None
    spec_refusals: dict[str, list[str]] = field(default_factory=dict)
    promises: dict[str, str] = field(default_factory=dict)


@dataclass
class AppModel:
    """Everything the static reading found; see the module docstring."""

    root: Path
    engine_version: str | None = None
    package_manager: str | None = None
    env_keys: dict[str, str] = field(default_factory=dict)
    concepts: dict[str, ConceptInfo] = field(default_factory=dict)
    http: HttpInfo | None = None
    assembly: AssemblyInfo | None = None
    chains: list[ChainInfo] = field(default_factory=list)
    readback: str = ""
    readback_file: str | None = None
    spec_keywords: str | None = None  # "return/refuse" (≤1.0.x) or "returns/refuses" (1.1.0)
    problems: list[str] = field(default_factory=list)

    # ---- questions the classifier asks -------------------------------------------------------
    def endpoint(self, path: str) -> ChainInfo | None:
        """The endpoint serving ``path`` (the base path, if given, is stripped first)."""
        base = self.http.base_path if self.http else ""
        bare = path.split("?", 1)[0]
        if base and bare.startswith(base):
            bare = bare[len(base):] or "/"
        return next((c for c in self.chains if c.kind == "endpoint" and c.path == bare and c.registered), None)

    def unmapped_refusals(self) -> list[tuple[str, str]]:
        """``(concept, code)`` of registered refusals that ``publicErrors`` does not map."""
        mapped = set(self.http.public_errors) if self.http else set()
        return [(c.name, code) for c in self.concepts.values() for code in c.refusals if code not in mapped]

    def error_returners(self) -> list[tuple[str, str, str, int]]:
        """``(concept, action, file, line)`` where an action returns ``{error}`` instead of throwing."""
        out = []
        for c in self.concepts.values():
            for action, line in (c.cls.returns_error.items() if c.cls else []):
                out.append((c.name, action, c.cls.file if c.cls else "?", line))
        return out

    def actions_of(self, chain: ChainInfo) -> list[str]:
        """``Concept.action`` names the chain's stages call, in order."""
        out = []
        for stage in chain.stages:
            head = stage.split("(", 1)[0].strip()
            if head.count(".") == 1 and head.split(".")[0] in self.concepts:
                out.append(head)
        return out

    def unauthorized_branch(self) -> ChainInfo | None:
        """A reaction on ``receive({ session })`` with ``no(…)`` that answers ``UNAUTHORIZED``."""
        return next((c for c in self.chains if c.kind == "reaction" and c.registered and "session" in c.receive_keys
                     and any(w.kind == "no" for w in c.where) and "UNAUTHORIZED" in c.answers_errors), None)

    def session_endpoints_uncovered(self) -> list[ChainInfo]:
        """Endpoints under a session whose plain ``where`` can drop an unknown session, with no branch answering it."""
        if self.unauthorized_branch() is not None:
            return []
        return [c for c in self.chains if c.kind == "endpoint" and "session" in c.receive_keys
                and any(w.kind == "plain" for w in c.where)]

    def trace_on(self) -> bool:
        return bool(self.assembly and self.assembly.logging and "OFF" not in self.assembly.logging)

    def journal_on(self) -> bool:
        return bool(self.assembly and self.assembly.log_sink)

    def promise(self, query: str) -> str | None:
        """The declared promise of ``Concept._query`` (``one``/``optional``/``many``)."""
        concept, _, name = query.partition(".")
        info = self.concepts.get(concept)
        return info.promises.get(name) if info else None


def _read(path: Path) -> str | None:
    try:  # a regular file only (a FIFO in the app's tree would block), within the bound
        return read_text(path, "source file", limit=_MAX_FILE, errors="replace")
    except OSError:  # FileRefused too
        return None


def _ts_files(root: Path) -> list[Path]:
    src = root / "src"
    if not src.is_dir():
        return []
    return sorted(p for p in src.rglob("*.ts") if not (set(p.relative_to(root).parts) & _SKIP_DIRS)
                  and not p.name.endswith((".test.ts", ".d.ts")))


def read_package(model: AppModel) -> None:
    """Engine version and package manager from ``package.json`` (nothing when it is absent or not JSON)."""
    text = _read(model.root / "package.json")
    if text is None:
        return
    try:
        data = json.loads(text)
    except ValueError:
        model.problems.append("package.json is not JSON")
        return
    deps: dict[str, Any] = {**data.get("devDependencies", {}), **data.get("dependencies", {})}
    model.engine_version = deps.get("@mit-sdg/sync-engine")
    model.package_manager = data.get("packageManager")


def _env(model: AppModel) -> None:
    for name in (".env.example", ".env"):
        for line in (_read(model.root / name) or "").splitlines():
            key, sep, value = line.partition("=")
            if sep and key.strip() and not key.lstrip().startswith("#"):
                model.env_keys.setdefault(key.strip(), value.strip())


def _spec(text: str, info: ConceptInfo) -> str | None:
    """Declared refusals per action and query promises from a concept spec's fenced blocks."""
    keywords, fence, current = None, "", ""
    for raw in text.splitlines():
        line = raw.rstrip()
        if line.startswith("```"):
            fence = line[3:].strip() if not fence else ""
            continue
        if fence == "actions" and line and not line[0].isspace() and ":" in line:
            current = line.split("(", 1)[0].strip()
            keywords = "returns/refuses" if ": returns" in line else "return/refuse"
        elif fence == "actions" and line.strip().startswith(("refuse ", "refuses ")):
            info.spec_refusals.setdefault(current, []).append(line.split()[1])
        elif fence == "queries" and line.startswith("_") and ":" in line:
            promise = line.split(") :", 1)[-1].split("(", 1)[0].strip()
            info.promises[line.split("(", 1)[0].strip()] = promise
    return keywords


def _concepts(model: AppModel, regs: list[Registration], aliases: dict[str, str],
              classes: dict[str, ConceptClass]) -> None:
    for reg in regs:
        name = aliases.get(reg.key, reg.key) or reg.class_name.removesuffix("Concept")
        model.concepts[name] = ConceptInfo(name, reg.class_name, reg.refusals, classes.get(reg.class_name))
    for info in model.concepts.values():
        for spec in (model.root / "design").rglob(f"{info.name}.md") if (model.root / "design").is_dir() else []:
            model.spec_keywords = _spec(_read(spec) or "", info) or model.spec_keywords


def _full_names(model: AppModel, comp_files: dict[str, str]) -> None:
    """Give each chain its dotted name (``Access.Entering.Register``) from the composition objects."""
    top = model.assembly.composition if model.assembly else {}
    by_file: dict[str, str] = {}
    for key, local in top.items():
        for path, alias in comp_files.items():
            if alias == local or Path(path).stem.lower() == key.lower():
                by_file.setdefault(path, key)
    listed = {key.split("#", 1)[0] for key in comp_files if "#" in key}
    for chain in model.chains:
        prefix = by_file.get(chain.file, "")
        nested = comp_files.get(chain.file + "#" + chain.var, chain.var)
        chain.registered = chain.file not in listed or f"{chain.file}#{chain.var}" in comp_files
        chain.full_name = f"{prefix}.{nested}" if prefix else nested


def _nested_names(src_path: str, source: Source) -> dict[str, str]:
    """``{file#var: Group.var}`` from ``export const composition = { Group: { Var } , Var2 }``."""
    out: dict[str, str] = {}
    for decl in iter_nodes(source.root, "variable_declarator"):
        if text(decl.child_by_field_name("name")) != "composition":
            continue
        stack = [("", decl.child_by_field_name("value"))]
        while stack:
            prefix, node = stack.pop()
            for key, value in object_pairs(node).items():
                if value.type == "object":
                    stack.append((f"{prefix}{key}.", value))
                else:
                    out[f"{src_path}#{text(value)}"] = f"{prefix}{key}"
    return out


def read_app(root: str | Path) -> AppModel:
    """Read an app directory into an :class:`AppModel` (missing parts are simply absent)."""
    model = AppModel(Path(root))
    read_package(model)
    _env(model)
    regs: list[Registration] = []
    aliases: dict[str, str] = {}
    classes: dict[str, ConceptClass] = {}
    names: dict[str, str] = {}
    for path in _ts_files(model.root):
        data = _read(path)
        if data is None:
            continue
        rel = str(path.relative_to(model.root))
        src = parse(rel, data.encode())
        for cls in read_classes(src):
            classes[cls.name] = cls
        r, a = read_registrations(src)
        regs += r
        aliases.update(a)
        model.http = model.http or read_http(src)
        model.assembly = model.assembly or (read_assembly(src) if "assembly" in path.stem or "assemble(" in data
                                            else None)
        if "compositions" in path.parts:
            model.chains += read_chains(src)
            names.update(_nested_names(rel, src))
    _concepts(model, regs, aliases, classes)
    _full_names(model, {**names, **_composition_aliases(model)})
    gen = sorted((model.root / "generated").glob("*.md")) if (model.root / "generated").is_dir() else []
    if gen:
        model.readback_file = str(gen[0].relative_to(model.root))
        model.readback = _read(gen[0]) or ""
    return model


def _composition_aliases(model: AppModel) -> dict[str, str]:
    """``{composition file: local alias}`` from the assembly file's imports."""
    if model.assembly is None:
        return {}
    data = _read(model.root / model.assembly.file)
    if data is None:
        return {}
    src = parse(model.assembly.file, data.encode())
    out = {}
    for imp in iter_nodes(src.root, "import_statement"):
        module = string_value(imp.child_by_field_name("source")) or ""
        if "compositions" not in module:
            continue
        target = str((Path(model.assembly.file).parent / module).as_posix())
        target = str(Path(target)).replace("\\", "/")
        for spec in iter_nodes(imp, "import_specifier"):
            alias = spec.child_by_field_name("alias") or spec.child_by_field_name("name")
            out[_normal(target)] = text(alias)
    return out


def _normal(path: str) -> str:
    parts: list[str] = []
    for p in path.split("/"):
        if p == "..":
            parts = parts[:-1]
        elif p not in (".", ""):
            parts.append(p)
    return "/".join(parts)
