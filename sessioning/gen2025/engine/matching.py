"""Matching ``when`` (the course's ``matchWhen``/``matchArguments``), and why a pattern missed.

For each ``when`` pattern in order, every current frame is extended with every record of the flow
that has the same action, was not already synced with this sync, and agrees with the pattern:
pattern keys are partial, an absent key (``undefined``) never matches, ``None`` is a value,
literals compare as JavaScript's ``===`` and a bound variable must be equal again. A pattern with no
output element throws ``When pattern: [object Object] is missing output pattern.`` when a record
with matching input is met. The result is the cross product of all consistent combinations.

When asked (a ``reports`` list, i.e. the run is recorded), each pattern also reports how many frames
it left and, if none, the failure of the closest miss: the record that matched the most keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sessioning import failure_modes
from sessioning.masking import is_secret_key, mask_value

from .actions import MISSING, RUNNING, ActionPattern, ActionRecord
from .define import Sync
from .errors import WhenMissingOutput
from .vars import FLOW, Var

#: A failure: side, key, reason (absent, output_absent, literal_mismatch, literal_object,
#: bound_mismatch, no_record, synced) and a sentence (``text``).
Failure = dict[str, Any]

_OBJECTS = (dict, list)


def match_when(sync: Sync, record: ActionRecord, flow_records: Sequence[ActionRecord],
               reports: list[dict[str, Any]] | None = None) -> list[dict]:
    """The frames ``sync``'s ``when`` gives over ``flow_records`` (the flow of ``record``).

    With a ``reports`` list, one report per pattern is appended to it as the pattern is done
    (``{pattern, action, input, output, frames, failure}``), so the patterns before one that
    throws (F8) are reported too."""
    frames: list[dict] = [{FLOW: record.flow}]
    for i, pattern in enumerate(sync.when):
        next_frames, best = _extend(sync, i, pattern, frames, flow_records)
        if reports is not None:
            failure = None
            if not next_frames:
                failure = best[1] if best else _no_record(pattern, bool(frames))
                failure.update({"pattern": i, "action": pattern.label})
            reports.append({"pattern": i, "action": pattern.label, **pattern.texts(), "frames": len(next_frames),
                            "failure": failure})
        frames = next_frames
        if not frames:
            # The product is empty: the remaining patterns are not reached.
            if reports is not None:
                for j in range(i + 1, len(sync.when)):
                    later = sync.when[j]
                    reports.append({"pattern": j, "action": later.label, **later.texts(), "frames": 0, "failure": None})
            break
    return frames


def _extend(sync: Sync, i: int, pattern: ActionPattern, frames: list[dict],
            flow_records: Sequence[ActionRecord]) -> tuple[list[dict], tuple[int, Failure] | None]:
    """Every frame extended with every record that matches pattern ``i``; the closest miss."""
    next_frames: list[dict] = []
    best: tuple[int, Failure] | None = None  # (progress, failure) of the closest miss
    target = pattern.action
    candidates = [c for c in flow_records if c.action is target]
    for frame in frames:
        for cand in candidates:
            if sync.name in cand.synced:
                best = _closer(best, 0, {"reason": "synced",
                                         "text": f"`{pattern.label}` of this flow already took part in this sync"})
                continue
            extended, progress, failure = match_record(pattern, cand, frame)
            if extended is None:
                best = _closer(best, progress, failure)
                continue
            extended[sync.action_vars[i]] = cand.id
            next_frames.append(extended)
    return next_frames, best


def _no_record(pattern: ActionPattern, had_frames: bool) -> Failure:
    return {"reason": "no_record",
            "text": f"no `{pattern.label}` has completed in this flow"
                    + (" (it may run later in the cascade, or in another flow)" if had_frames else "")}


def _closer(best: tuple[int, Failure] | None, progress: int, failure: Failure) -> tuple[int, Failure]:
    return (progress, failure) if best is None or progress > best[0] else best


def same(a: Any, b: Any) -> bool:
    """JavaScript ``===``: scalars by value, objects and arrays by identity."""
    ta, tb = type(a), type(b)
    if ta is tb and ta is str:
        return a == b
    if isinstance(a, _OBJECTS) or isinstance(b, _OBJECTS):
        return a is b
    if (ta is bool) != (tb is bool):
        return False
    return a == b


def match_record(pattern: ActionPattern, record: ActionRecord, frame: dict) -> tuple[dict | None, int, Failure]:
    """Extend ``frame`` with ``record`` or say why not: (frame | None, keys matched, failure)."""
    new = frame.copy()
    progress = 1
    rec_input = record.input
    for key, want in pattern.input.items():
        if key not in rec_input:
            return None, progress, {"side": "input", "key": key, "reason": "absent",
                                    "text": f"`{pattern.label}` input has no `{key}` (it has {', '.join(rec_input) or 'no keys'})"}
        failure = _bind(new, "input", key, want, rec_input[key], pattern.label)
        if failure is not None:
            return None, progress, failure
        progress += 1
    if pattern.output is MISSING:
        raise WhenMissingOutput(action=pattern.label)
    output = record.output
    for key, want in pattern.output.items():
        if output is RUNNING or not isinstance(output, dict) or key not in output:
            return None, progress, {"side": "output", "key": key, "reason": "output_absent",
                                    "text": _output_absent_text(pattern.label, key, output)}
        failure = _bind(new, "output", key, want, output[key], pattern.label)
        if failure is not None:
            return None, progress, failure
        progress += 1
    return new, progress, {}


def _output_absent_text(label: str, key: str, output: Any) -> str:
    if output is RUNNING:
        return f"`{label}` has not finished yet, so its output has no `{key}`"
    if isinstance(output, dict):
        shown = ", ".join(output) or "nothing ({})"
        text = f"`{label}` returned {shown}, not `{key}`"
        if "error" in output:
            text += f" (error: {str(mask_value('error', output['error']))[:80]!r})"
        return text
    return f"`{label}` returned {type(output).__name__ if output is not None else 'undefined'}, which has no `{key}`"


def _bind(frame: dict, side: str, key: str, want: Any, have: Any, label: str) -> Failure | None:
    """Bind or compare one pattern key against a record's value; the failure, or ``None`` if it holds."""
    if type(want) is Var:
        if want not in frame:
            frame[want] = have
            return None
        return None if same(frame[want], have) else _bound_failure(side, key, want, have, frame[want])
    return None if same(want, have) else _literal_failure(side, key, want, have, label)


def _shown(key: str, value: Any) -> Any:
    # Only secret-named keys are masked here; free text is masked where it is displayed.
    return mask_value(key, value) if is_secret_key(key) else value


def _bound_failure(side: str, key: str, var: Var, have: Any, bound: Any) -> Failure:
    return {"side": side, "key": key, "reason": "bound_mismatch",
            "text": f"`{key}` is {_shown(key, have)!r} but `{var.name}` is already {_shown(key, bound)!r}"}


def _literal_failure(side: str, key: str, want: Any, have: Any, label: str) -> Failure:
    hint = ""
    if isinstance(want, str) and isinstance(have, str):  # a near miss of a path (F10): say which
        if have.startswith("/api/") and not want.startswith("/api/"):
            hint = failure_modes.phrase("F10.hint-api-never")
        elif want.startswith("/api/"):
            hint = failure_modes.phrase("F10.hint-api-drop")
        elif want.lower() == have.lower():
            hint = failure_modes.phrase("F10.hint-case")
        elif want.rstrip("/") == have.rstrip("/"):
            hint = failure_modes.phrase("F10.hint-slash")
    reason = "literal_mismatch" if not isinstance(want, _OBJECTS) else "literal_object"
    if reason == "literal_object":
        hint = " (objects and arrays compare by identity, so a literal object never matches)"
    shown = _shown(key, have)
    return {"side": side, "key": key, "reason": reason, "expected": want, "actual": shown,
            "text": f"`{label}` {side} `{key}` is {shown!r}, the pattern wants {want!r}{hint}"}


__all__ = ["Failure", "match_record", "match_when", "same"]
