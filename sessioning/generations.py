"""Which engine generation an app is built on, and where that generation's doctor lives.

The command line is the only shared part that reaches into ``gen2025``/``gen2026``, and it does
so only through this registry: each :class:`Generation` names the markers that identify its
apps and the module holding its doctor. A generation's doctor module exposes the hook
:data:`DOCTOR_HOOK`::

    def run_doctor(options: DoctorOptions, report: DoctorReport) -> None

(see :mod:`sessioning.doctor_report`). It reads what ``options`` names and fills ``report``;
the command line sorts, filters and prints. ``sessioning/gen2026/doctor.py`` is the 2026 hook;
while it does not exist, a 2026 app gets one plain line saying so, never a traceback.

Detection reads only file names and ``package.json``; it never runs the app.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sessioning.doctor_report import DoctorOptions, DoctorReport
from sessioning.errors import KitError

__all__ = ["DOCTOR_HOOK", "GENERATIONS", "DoctorHook", "Generation", "GenerationUnavailable", "choose_generation",
           "detect", "load_doctor"]

#: The function each generation's doctor module defines.
DOCTOR_HOOK = "run_doctor"
DoctorHook = Callable[[DoctorOptions, DoctorReport], None]

#: package.json larger than this is not a real app manifest: do not read it.
_MAX_PACKAGE_JSON = 1 << 20


class GenerationUnavailable(KitError):
    """The app's engine generation has no checks in this version of the kit."""


@dataclass(frozen=True)
class Generation:
    """One engine generation: its name, what to call its apps, its doctor, and how to recognise them."""

    name: str
    apps: str
    doctor_module: str
    markers: Callable[[Path], list[str]]


def _markers_2025(app: Path) -> list[str]:
    """The course's 2025 Deno template: ``deno.json``, ``src/syncs/**/*.sync.ts``, ``src/engine/sync.ts``."""
    found = [name for name in ("deno.json", "deno.jsonc") if (app / name).is_file()]
    syncs = app / "src" / "syncs"
    if syncs.is_dir() and next(iter(syncs.rglob("*.sync.ts")), None) is not None:
        found.append("src/syncs/**/*.sync.ts")
    if (app / "src" / "engine" / "sync.ts").is_file():
        found.append("src/engine/sync.ts")
    return found


def _depends_on_sync_engine(package_json: Path) -> bool:
    try:
        if not package_json.is_file() or package_json.stat().st_size > _MAX_PACKAGE_JSON:
            return False
        data = json.loads(package_json.read_text(encoding="utf-8", errors="replace"))
    except (OSError, ValueError):
        return False  # an unreadable manifest is simply not evidence
    if not isinstance(data, dict):
        return False
    sections = (data.get(k) for k in ("dependencies", "devDependencies", "peerDependencies"))
    return any(isinstance(s, dict) and "@mit-sdg/sync-engine" in s for s in sections)


def _markers_2026(app: Path) -> list[str]:
    """A 2026 ``@mit-sdg/sync-engine`` app: the dependency, ``src/compositions/``, ``src/assembly.ts``."""
    found = []
    if _depends_on_sync_engine(app / "package.json"):
        found.append("package.json depends on @mit-sdg/sync-engine")
    if (app / "src" / "compositions").is_dir():
        found.append("src/compositions/")
    if (app / "src" / "assembly.ts").is_file():
        found.append("src/assembly.ts")
    return found


GEN2025 = Generation("2025", "2025 course-template (Deno) app", "sessioning.gen2025.doctor", _markers_2025)
GEN2026 = Generation("2026", "2026 @mit-sdg/sync-engine app", "sessioning.gen2026.doctor", _markers_2026)
#: Every generation the kit knows, the default (the one whose behaviour predates detection) first.
GENERATIONS: tuple[Generation, ...] = (GEN2025, GEN2026)


def detect(app: Path) -> tuple[Generation, list[str]]:
    """The generation with the most markers in ``app`` and those markers; ties go to the default (2025)."""
    best, best_found = GENERATIONS[0], GENERATIONS[0].markers(app)
    for gen in GENERATIONS[1:]:
        found = gen.markers(app)
        if len(found) > len(best_found):
            best, best_found = gen, found
    return best, best_found


def choose_generation(options: DoctorOptions, forced: str | None = None) -> tuple[Generation, list[str]]:
    """``forced`` (``--generation``) if given; else detected from the app directory; without one,
    2026 when only 2026 evidence files were given, else 2025."""
    if forced:
        return next(g for g in GENERATIONS if g.name == forced), [f"--generation {forced}"]
    if options.app:
        return detect(Path(options.app))
    given = options.given_2026_only()
    if given and not (options.logs or options.syncs):
        return next(g for g in GENERATIONS if g.name == "2026"), given  # looked up, so a patched registry counts
    return GEN2025, []


def load_doctor(gen: Generation, markers: list[str]) -> DoctorHook:
    """The generation's ``run_doctor``; :class:`GenerationUnavailable` (exit 2) if this version has none."""
    parent = gen.doctor_module.rpartition(".")[0]
    # find_spec, not a guarded import: a missing module is a known state, an import error a bug to show
    if importlib.util.find_spec(parent) is None or importlib.util.find_spec(gen.doctor_module) is None:
        looks = "this looks like a" if markers and not markers[0].startswith("--") else "this is a"
        raise GenerationUnavailable(
            f"{looks} {gen.apps}; {gen.name} checks are not available in this version",
            hint=(f"found {', '.join(markers)}. " if markers else "")
            + "Use --generation to choose another generation's checks.")
    hook = getattr(importlib.import_module(gen.doctor_module), DOCTOR_HOOK)
    return hook
