"""The routes of an app: what the HTTP front registers and which syncs answer each path.

Read from the app as written: ``REQUESTING_BASE_URL`` (``.env``, else the default in the
app's ``RequestingConcept.ts``, else ``/api``), the passthrough ``inclusions`` and
``exclusions`` of ``src/concepts/Requesting/passthrough.ts``, the passthrough routes the
server registers (``<base>/<Concept>/<method>`` for every concept method, minus exclusions),
and every path a sync listens on (a ``Requesting.request`` pattern with a literal ``path``).
For each path it lists who answers success, who answers an error, and who answers whatever
happens; a path that no sync answers times out.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sessioning.gen2025.readers import tsnodes as ts
from sessioning.gen2025.readers.concepts import Concepts

__all__ = ["Routes", "PathAnswers", "Responder", "read_routes", "answers_by_path", "request_path"]

DEFAULT_BASE = "/api"


@dataclass
class Routes:
    """The HTTP routes of an app."""

    base: str = DEFAULT_BASE
    passthrough_enabled: bool = True
    inclusions: dict[str, int] = field(default_factory=dict)  # route → line in passthrough.ts
    exclusions: dict[str, int] = field(default_factory=dict)
    passthrough: set[str] = field(default_factory=set)  # routes the server registers (not excluded)
    passthrough_file: str | None = None

    def shadowing(self, path: str) -> str | None:
        """The passthrough route that answers ``path`` before Requesting does, if any."""
        route = f"{self.base}{path}"
        return route if self.passthrough_enabled and route in self.passthrough else None


@dataclass
class Responder:
    """A sync that calls ``Requesting.respond`` for a path, and the other actions its `when` waits for."""

    sync: Any
    waits: list[tuple[str, dict[str, Any] | None]]  # (action, output pattern) besides the request

    @property
    def kind(self) -> str:
        """``error`` (waits for an `{error}`), ``success`` (waits for a success key), ``any`` (only `{}`
        outputs, or nothing but the request: it answers whatever happens)."""
        outs = [o or {} for _, o in self.waits]
        if any("error" in o for o in outs):
            return "error"
        return "success" if any(outs) else "any"

    def waits_for(self, action: str) -> bool:
        return any(a == action for a, _ in self.waits)


@dataclass
class PathAnswers:
    """Who listens on a path and who answers it."""

    path: str
    listeners: list[Any] = field(default_factory=list)
    responders: list[Responder] = field(default_factory=list)

    def by_kind(self, kind: str) -> list[Responder]:
        return [r for r in self.responders if r.kind == kind]


def _env_base(app: Path) -> str | None:
    for name in (".env",):
        p = app / name
        try:
            lines = p.read_text(encoding="utf-8", errors="replace").splitlines() if p.is_file() else []
        except OSError:
            continue
        for ln in lines:
            key, _, value = ln.partition("=")
            if key.strip() == "REQUESTING_BASE_URL" and value.strip():
                return value.strip().strip("'\"")
    return None


def _requesting_facts(path: Path) -> tuple[str | None, bool]:
    """The base URL default in the app's RequestingConcept.ts and whether it serves passthrough."""
    root = ts.parse_file(path)
    if root is None:
        return None, True
    base = None
    for n in ts.walk(root):
        if n.type == "binary_expression" and "REQUESTING_BASE_URL" in ts.text(n.child_by_field_name("left") or n):
            base = ts.string_value(ts.unwrap(n.child_by_field_name("right"))) or base
    enabled = any(n.type == "identifier" and ts.text(n) in ("exclusions", "inclusions") for n in ts.walk(root))
    return base, enabled


def _passthrough_lists(path: Path) -> tuple[dict[str, int], dict[str, int]]:
    root = ts.parse_file(path)
    inc: dict[str, int] = {}
    exc: dict[str, int] = {}
    if root is None:
        return inc, exc
    for n in ts.walk(root):
        if n.type != "variable_declarator":
            continue
        name = ts.text(n.child_by_field_name("name"))
        value = ts.unwrap(n.child_by_field_name("value"))
        if value is None:
            continue
        if name == "inclusions" and value.type == "object":
            for prop in value.named_children:
                if prop.type == "pair":
                    k = ts.key_name(prop.child_by_field_name("key"))
                    if k:
                        inc[k] = ts.line(prop)
        elif name == "exclusions" and value.type == "array":
            for el in value.named_children:
                s = ts.string_value(el)
                if s:
                    exc[s] = ts.line(el)
    return inc, exc


def read_routes(app: str | os.PathLike[str], concepts: Concepts) -> Routes:
    """The routes of an app directory, given its concepts."""
    app_dir = Path(app)
    req = app_dir / "src" / "concepts" / "Requesting"
    out = Routes()
    default, enabled = (_requesting_facts(req / "RequestingConcept.ts")
                        if (req / "RequestingConcept.ts").is_file() else (None, True))
    out.base = _env_base(app_dir) or default or DEFAULT_BASE
    out.passthrough_enabled = enabled
    if (req / "passthrough.ts").is_file():
        out.inclusions, out.exclusions = _passthrough_lists(req / "passthrough.ts")
        out.passthrough_file = (req / "passthrough.ts").relative_to(app_dir).as_posix()
    for (concept, method), m in concepts.methods.items():
        if concept == "Requesting" or m.file.endswith(".d.ts"):
            continue
        route = f"{out.base}/{concept}/{method}"
        if route not in out.exclusions:
            out.passthrough.add(route)
    return out


# ---------------------------------------------------------------- paths and their answers


def request_path(sync: Any) -> tuple[str | None, bool]:
    """The literal path a sync's ``Requesting.request`` pattern listens on, and whether the sync
    has a ``Requesting.request`` pattern at all (True with None: a path we cannot read)."""
    for p in sync.when:
        if p.action == "Requesting.request":
            v = (p.input or {}).get("path")
            if v and v[0] == "lit" and isinstance(v[1], str):
                return v[1], True
            return None, True
    return None, False


def _responds(sync: Any) -> bool:
    return any(p.action == "Requesting.respond" for p in sync.then)


def answers_by_path(syncs: Sequence[Any]) -> tuple[dict[str, PathAnswers], list[Any]]:
    """Every literal path → its listeners and responders; plus the responders whose path we
    cannot read (no literal path): they may answer any path."""
    paths: dict[str, PathAnswers] = {}
    generic: list[Any] = []
    for sd in syncs:
        path, has_request = request_path(sd)
        if not has_request:
            continue
        if path is None:
            if _responds(sd):
                generic.append(sd)
            continue
        pa = paths.setdefault(path, PathAnswers(path))
        pa.listeners.append(sd)
        if not _responds(sd):
            continue
        pa.responders.append(Responder(sd, [(p.action, p.output) for p in sd.when
                                            if p.action != "Requesting.request"]))
    return paths, generic
