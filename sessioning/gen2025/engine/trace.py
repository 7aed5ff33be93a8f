"""What the engine prints: ``Logging.TRACE`` and ``Logging.VERBOSE`` lines, word for word.

TRACE (course-engine.md §13): one entry per completed action, after it returns and before its syncs
run — ``\\n<Concept>.<action> <inspect(input)> => <inspect(output)>\\n`` in ``node:util.inspect``
format. VERBOSE replaces it with Deno ``console.log`` dumps: the action record
(``Synchronizing action: {…}``), ``Matched `sync`: …``, ``After processing `where`: …`` and one
``THEN`` line per ``then`` call. Secrets are masked in every line.
"""

from __future__ import annotations

import enum
from typing import Any

from sessioning.masking import mask_secrets, mask_value

from .actions import ActionRecord
from .inspect_format import deno_format, node_inspect
from .instrument import InstrumentedAction
from .plain import UNDEFINED
from .vars import FLOW, Var


class Logging(enum.IntEnum):
    OFF = 0
    TRACE = 1
    VERBOSE = 2


def trace_line(label: str, given: dict[str, Any], output: Any) -> str:
    """The TRACE entry of a completed action (blank line before and after, as the engine prints it)."""
    shown_out = UNDEFINED if output is None else mask_secrets(output)
    return f"\n{label} {node_inspect(mask_secrets(given))} => {node_inspect(shown_out)}\n"


def verbose_record(record: ActionRecord) -> str:
    """``Synchronizing action: {…}``: the record as Deno prints it, before its syncs are tried."""
    synced = ", ".join(f'"{k}" => "{v}"' for k, v in record.synced.items())
    out = record.output_value()
    return (
        "Synchronizing action: {\n"
        f'  id: "{record.id}",\n'
        f"  action: {record.action.ts_repr},\n"
        f'  concept: "{type(record.concept).__name__}",\n'
        f"  input: {deno_format(mask_secrets(record.input))},\n"
        f"  synced: Map({len(record.synced)}) {{{(' ' + synced + ' ') if synced else ''}}},\n"
        f'  flow: "{record.flow}",\n'
        f"  output: {deno_format(mask_secrets(out) if out is not UNDEFINED else out)}\n"
        "}"
    )


def matched_line(sync: str, frames: list) -> str:
    return f"Matched `sync`: {sync} with `when`: {deno_frames(frames)}"


def after_where_line(frames: list) -> str:
    return f"After processing `where`: {deno_frames(frames)}"


def then_line(sync: str, action: InstrumentedAction, given: dict[str, Any], flow: str, action_id: str) -> str:
    shown = {**mask_secrets(given), FLOW: flow, Var("actionId"): action_id}
    return f"{sync}: THEN {action.ts_repr} {deno_format(shown)}"


def deno_frames(frames: list) -> str:
    return f"Frames({len(frames)}) [ " + ", ".join(deno_format(mask_secrets_frame(f)) for f in frames) + " ]"


def mask_secrets_frame(frame: dict) -> dict:
    return {k: mask_value(k.name if isinstance(k, Var) else k, v) for k, v in frame.items()}


__all__ = ["Logging", "after_where_line", "deno_frames", "matched_line", "then_line", "trace_line", "verbose_record"]
