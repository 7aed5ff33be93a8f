"""The one catalogue of failure modes: what each code means, why it happens and how to fix it.

Every producer of a finding or an engine error (the 2025 engine at the moment of an error, the
run diagnosis, the log reader, the sync-file checks, the database checks, the 2026 readers) only
gathers *facts* and asks this module for the text::

    from sessioning import failure_modes

    why, fix = failure_modes.explain("F4", "log", where="Request `/x`", name="user")
    failure_modes.title("F4")            # 'query input variable unbound (`Binding: … not found`)'
    failure_modes.MODES["F4"].tag        # 'BINDING'
    failure_modes.phrase("F16.by", sync="LoginSync")   # a fragment several texts share

A mode has named *variants*, one per wording (the engine's, the run diagnosis', the log
reader's …), because each source knows different facts. The templates use ``str.format``
fields; the facts a variant needs are read from its templates and must be declared in the
mode's ``facts``; asking for a text without one of them raises :class:`MissingFacts`.

The texts live in the data modules :mod:`.catalogue_2025` (the course template's engine, and
the kit's own checks) and :mod:`.catalogue_2026` (``@mit-sdg/sync-engine``); this module is the
only way to read them.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

from .catalogue_2025 import GENERIC as _GENERIC_2025
from .catalogue_2025 import MODES as _MODES_2025
from .catalogue_2025 import PHRASES as _PHRASES_2025
from .catalogue_2026 import MODES as _MODES_2026
from .catalogue_2026 import PHRASES as _PHRASES_2026

GENERATIONS = ("2025", "2026", "any")
DEFAULT = "default"


class CatalogueError(LookupError):
    """An unknown code, variant or phrase, or a text asked for without the facts it needs."""


class MissingFacts(CatalogueError):
    """A template was formatted without some of the facts it needs (``missing`` names them)."""

    def __init__(self, where: str, missing: list[str], given: list[str]) -> None:
        self.missing = missing
        super().__init__(f"{where} needs the fact(s) {', '.join(missing)}"
                         f" (given: {', '.join(given) or 'none'})")


class Explanation(NamedTuple):
    """The text of one failure: ``why`` it happened and what to ``fix``. Unpacks as ``why, fix``."""

    why: str
    fix: str


def _fields(template: str) -> frozenset[str]:
    """The named facts a ``str.format`` template uses (``{name}``, ``{name!r}``)."""
    names = set()
    for _literal, name, _spec, _conv in string.Formatter().parse(template):
        if name is None:
            continue
        if not name or name.isdigit():
            raise ValueError(f"positional field in template {template!r}: use named facts")
        names.add(name.split(".", 1)[0].split("[", 1)[0])
    return frozenset(names)


def _format(where: str, template: str, needed: frozenset[str], facts: Mapping[str, Any]) -> str:
    missing = sorted(needed - facts.keys())
    if missing:
        raise MissingFacts(where, missing, sorted(facts))
    return template.format(**facts)


@dataclass(frozen=True)
class Variant:
    """One wording of a mode: a ``why`` and a ``fix`` template and the facts they need."""

    name: str
    why: str
    fix: str
    facts: frozenset[str]


@dataclass(frozen=True)
class Mode:
    """One failure mode: its code, title, tag, engine generation, facts and wordings."""

    code: str
    title: str
    tag: str
    generation: str
    facts: Mapping[str, str]
    variants: Mapping[str, Variant] = field(repr=False)

    def explain(self, variant: str = DEFAULT, /, **facts: Any) -> Explanation:
        """The ``why`` and ``fix`` of ``variant`` with ``facts`` filled in (see :func:`explain`)."""
        v = self.variant(variant)
        undeclared = sorted(set(facts) - self.facts.keys() - v.facts)
        if undeclared:
            raise CatalogueError(f"{self.code}/{variant}: unknown fact(s) {', '.join(undeclared)}; "
                                 f"{self.code} knows {', '.join(sorted(self.facts))}")
        where = f"{self.code}/{variant}"
        return Explanation(_format(where, v.why, _fields(v.why), facts), _format(where, v.fix, _fields(v.fix), facts))

    def variant(self, name: str = DEFAULT) -> Variant:
        """The wording called ``name`` (a mode's own, else one of the kit-wide generic ones)."""
        found = self.variants.get(name) or _GENERIC.get(name)
        if found is None:
            raise CatalogueError(f"{self.code} has no variant {name!r}; it has {', '.join(self.variants)}")
        return found


def _build_mode(code: str, entry: Mapping[str, Any]) -> Mode:
    declared = dict(entry.get("facts", {}))
    variants = {}
    for name, texts in entry["variants"].items():
        why, fix = texts["why"], texts["fix"]
        needed = _fields(why) | _fields(fix)
        unknown = needed - declared.keys()
        if unknown:  # a template uses a fact the mode does not declare: a mistake in the data
            raise ValueError(f"{code}/{name} uses undeclared fact(s) {sorted(unknown)}")
        variants[name] = Variant(name, why, fix, frozenset(needed))
    used = set().union(*(v.facts for v in variants.values()))
    unused = declared.keys() - used
    if unused:
        raise ValueError(f"{code} declares facts no variant uses: {sorted(unused)}")
    if entry["generation"] not in GENERATIONS:
        raise ValueError(f"{code}: generation must be one of {GENERATIONS}")
    return Mode(code, entry["title"], entry["tag"], entry["generation"], MappingProxyType(declared),
                MappingProxyType(variants))


_GENERIC: dict[str, Variant] = {
    name: Variant(name, t["why"], t["fix"], _fields(t["why"]) | _fields(t["fix"])) for name, t in _GENERIC_2025.items()
}

#: code → :class:`Mode`, the 2025 modes (F1 … F21 and the kit's own checks) first, then the 2026 causes.
MODES: Mapping[str, Mode] = MappingProxyType({
    code: _build_mode(code, entry)
    for code, entry in (*_MODES_2025.items(), *_MODES_2026.items())
})

#: name → template of the fragments several texts share (``"F16.by"`` …).
PHRASES: Mapping[str, str] = MappingProxyType({**_PHRASES_2025, **_PHRASES_2026})
for _template in PHRASES.values():
    _fields(_template)  # a phrase with a positional field is a mistake in the data: fail at import

#: code → (title, tag) of the 2025 modes and the kit's checks: the public table findings always had.
FAILURE_MODES: dict[str, tuple[str, str]] = {
    code: (m.title, m.tag) for code, m in MODES.items() if m.generation != "2026"
}


def mode(code: str) -> Mode:
    """The :class:`Mode` of ``code``; a clear error for an unknown code."""
    found = MODES.get(code)
    if found is None:
        raise CatalogueError(f"unknown failure mode {code!r}")
    return found


def title(code: str) -> str:
    """The short title of ``code`` (as the findings table shows it)."""
    return mode(code).title


def explain(code: str, variant: str = DEFAULT, /, **facts: Any) -> Explanation:
    """``Explanation(why, fix)`` of ``code`` in the wording ``variant``, filled with ``facts``.

    Raises :class:`MissingFacts` if a fact the wording needs is not given, and
    :class:`CatalogueError` for an unknown code, variant or fact name.
    """
    return mode(code).explain(variant, **facts)


def phrase(name: str, /, **facts: Any) -> str:
    """The shared fragment ``name`` filled with ``facts`` (all the facts it names are required)."""
    template = PHRASES.get(name)
    if template is None:
        raise CatalogueError(f"unknown phrase {name!r}")
    return _format(f"phrase {name!r}", template, _fields(template), facts)


def codes(generation: str | None = None) -> list[str]:
    """Every code, or those of one generation (``"2025"``, ``"2026"``, ``"any"``)."""
    return [c for c, m in MODES.items() if generation is None or m.generation == generation]


__all__ = [
    "DEFAULT", "FAILURE_MODES", "GENERATIONS", "MODES", "PHRASES", "CatalogueError", "Explanation",
    "MissingFacts", "Mode", "Variant", "codes", "explain", "mode", "phrase", "title",
]
