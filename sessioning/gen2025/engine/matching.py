"""Matching ``when`` (the course's ``matchWhen``/``matchArguments``), and why a pattern missed.

For each ``when`` pattern in order, every current frame is extended with every record of the flow
that has the same action, was not already synced with this sync, and agrees with the pattern:
pattern keys are partial, an absent key (``undefined``) never matches, ``None`` is a value,
literals compare as JavaScript's ``===`` and a bound variable must be equal again. A pattern with no
output element throws ``When pattern: [object Object] is missing output pattern.`` when a record
with matching input is met. The result is the cross product of all consistent combinations.

When asked (a ``reports`` list, i.e. the run is recorded), each pattern also reports how many frames
it left and, if none, the facts of the closest miss (the record that matched the most keys); the
sentence that explains it is written only when the report is read (:meth:`Report.to_dict`).
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
_ABSENT = object()  # a key the record does not have (no stored value is this object)
_SYNCED = (0, None)  # the closest miss so far: a record already synced with this sync (progress 0)


def match_when(sync: Sync, record: ActionRecord, flow_records: Sequence[ActionRecord],
               reports: list[Any] | None = None) -> list[dict]:
    """The frames ``sync``'s ``when`` gives over ``flow_records`` (the flow of ``record``).

    With a ``reports`` list, one :class:`Report` per pattern is appended to it as the pattern is
    done, so the patterns before one that throws (F8) are reported too. A report keeps the facts
    of the closest miss; its sentence is written only when someone reads it."""
    return when_frames(sync, record, flow_records, reports)[0]


def when_frames(sync: Sync, record: ActionRecord, flow_records: Sequence[ActionRecord],
                reports: list[Any] | None = None) -> tuple[list[dict], tuple[Report, ...] | None]:
    """:func:`match_when`, and the reports as one tuple shared by every flow when each of them is
    (every pattern left one frame, or the first to leave none missed for a reason that is the same
    in every flow), else ``None``: the engine hands that tuple on, so a recorded flow keeps no list
    of its own for it (every object a retained flow keeps is traversed by the garbage collector)."""
    when = sync.when
    if not when:
        return [{FLOW: record.flow}], None
    flow = record.flow
    cached = _first[0]  # _first_frames(flow), its usual case written out: every sync tried asks
    frames = cached[1] if cached[0] == flow else _first_frames(flow)
    name = sync.name
    explain = reports is not None
    if explain:
        ones, tails, missing, synced, whole, whole_missing, whole_synced, misses = _shared_reports(sync)
    shared = True  # every report so far is a shared one (always one frame so far)
    i = 0
    for pattern, action_var in zip(when, sync.action_vars):
        # Every frame extended with every record of the pattern's action that matches it, and the
        # closest miss (if explaining). Written here rather than in a helper: a call per pattern
        # tried is a measurable part of a flow (W1: 13 patterns, about 1.5% of its instructions).
        target = pattern.action
        next_frames: list[dict] = []
        best: tuple[int, tuple] | None = None  # (progress, facts) of the closest miss
        for frame in frames:
            for cand in flow_records:
                if cand.action is not target:
                    continue
                if name in cand.synced:
                    if explain and best is None:
                        best = _SYNCED
                    continue
                extended, progress, facts = match_facts(pattern, cand, frame)
                if extended is None:
                    if explain and (best is None or progress > best[0]):
                        best = (progress, facts)
                    continue
                extended[action_var] = cand.id
                next_frames.append(extended)
        if not next_frames:
            if explain:
                # A miss whose facts are the same in every flow (no record of the pattern's action at
                # all, or only records already synced with this sync) has its report shared.
                if best is None:
                    reports.append(missing[i])
                    kept = whole_missing[i] if shared else None
                elif best is _SYNCED:
                    reports.append(synced[i])
                    kept = whole_synced[i] if shared else None
                else:  # the flow's own facts, unless an output without the key (see _output_miss)
                    hit = _output_miss(misses, i, pattern, best[1], ones, tails) if shared else None
                    reports.append(Report(i, pattern, 0, best[1]) if hit is None else hit[0])
                    kept = None if hit is None else hit[1]
                reports += tails[i]  # the product is empty: the remaining patterns are not reached
                return next_frames, kept
            return next_frames, None
        if explain:
            n = len(next_frames)
            if n == 1:
                reports.append(ones[i])
            else:
                reports.append(Report(i, pattern, n, None))
                shared = False
        frames = next_frames
        i += 1
    return frames, (whole if explain and shared else None)


# The frames every ``when`` starts from, ``[{flow: …}]``, for the flow last matched: each sync
# tried for a flow starts from the same one (it is only read: every extension is a copy). One
# ``(flow, frames)`` pair, read and replaced whole, so threads never mix two flows' halves.
_first: list[tuple[Any, list[dict]]] = [(None, [])]


def _first_frames(flow: str) -> list[dict]:
    cached = _first[0]
    if cached[0] == flow:
        return cached[1]
    frames = [{FLOW: flow}]
    _first[0] = (flow, frames)
    return frames


def _shared_reports(sync: Sync) -> tuple:
    """Reports that are the same in every flow, made once per sync and shared (reports are only
    read): per pattern, the one that left one frame, those of the patterns after it (not reached),
    and the two misses whose facts never vary: no record of its action in the flow, and only
    records already synced with this sync. A recorded flow keeps no report of its own for these:
    objects it keeps are traversed by the garbage collector until the flow is dropped. Then the
    whole sequences those make: every pattern leaving one frame, and per pattern, the ones before
    it leaving one frame and it missing for no record, or for records already synced."""
    cached = sync.__dict__.get("_shared_reports")
    when = sync.when
    if cached is None or cached[0] is not when or len(cached[1]) != len(when):
        ones = [Report(j, p, 1, None) for j, p in enumerate(when)]
        unreached = [Report(j, p, 0, None) for j, p in enumerate(when)]
        tails = [tuple(unreached[i + 1:]) for i in range(len(when))]
        # `frames` is never empty when a pattern is tried, so "it may run later" is always said.
        missing = [Report(j, p, 0, ("no_record", p.label, True)) for j, p in enumerate(when)]
        synced = [Report(j, p, 0, ("synced", p.label)) for j, p in enumerate(when)]
        whole_missing = [(*ones[:i], missing[i], *tails[i]) for i in range(len(when))]
        whole_synced = [(*ones[:i], synced[i], *tails[i]) for i in range(len(when))]
        cached = sync.__dict__["_shared_reports"] = (when, ones, tails, missing, synced, tuple(ones), whole_missing,
                                                     whole_synced, {})
    return cached[1:]


_MAX_OUTPUT_MISSES = 64  # shared output misses per sync: a few in practice, bounded whatever the outputs


def _output_miss(misses: dict, i: int, pattern: ActionPattern, facts: tuple, ones: list,
                 tails: list) -> tuple[Report, tuple] | None:
    """For a miss on pattern ``i`` (every pattern before it left one frame) whose record's output
    lacks the key the pattern wants, the usual miss of a sync that waits for the other outcome (an
    error response tried after a success): a report shared by every flow, and the whole sequence it ends;
    ``None`` for any other miss. Its sentence names the output's keys only ("returned user, not
    error"), unless the output holds an ``error`` (whose text it quotes): those are not shared.
    ``misses`` is the sync's own cache, by pattern, key and the output's keys."""
    if facts[0] != "output_absent" or type(output := facts[3]) is not dict or "error" in output:
        return None
    key = (i, facts[2], tuple(output))
    hit = misses.get(key)
    if hit is None:
        if len(misses) >= _MAX_OUTPUT_MISSES:
            return None
        # The output's keys without its values: the same sentence, nothing of one flow kept.
        report = Report(i, pattern, 0, ("output_absent", facts[1], facts[2], dict.fromkeys(output)))
        hit = misses[key] = (report, (*ones[:i], report, *tails[i]))
    return hit


class Report:
    """How one ``when`` pattern fared for one sync tried: frames left and, if none, the facts of the
    closest miss. :meth:`to_dict` writes the record's form (sentences included) when it is read."""

    __slots__ = ("index", "pattern", "frames", "facts")

    def __init__(self, index: int, pattern: ActionPattern, frames: int, facts: tuple | None) -> None:
        self.index, self.pattern, self.frames, self.facts = index, pattern, frames, facts

    def to_dict(self) -> dict[str, Any]:
        failure = None
        if self.facts is not None:
            failure = failure_dict(self.facts)
            failure.update({"pattern": self.index, "action": self.pattern.label})
        return {"pattern": self.index, "action": self.pattern.label, **self.pattern.texts(), "frames": self.frames,
                "failure": failure}


def failure_dict(facts: tuple) -> Failure:
    """The record's form of a miss: side, key, reason and the sentence (``text``)."""
    kind = facts[0]
    if kind == "literal":
        return _literal_failure(*facts[1:])
    if kind == "bound":
        return _bound_failure(*facts[1:])
    if kind == "absent":
        _, label, key, rec_input = facts
        return {"side": "input", "key": key, "reason": "absent",
                "text": f"`{label}` input has no `{key}` (it has {', '.join(rec_input) or 'no keys'})"}
    if kind == "output_absent":
        _, label, key, output = facts
        return {"side": "output", "key": key, "reason": "output_absent", "text": _output_absent_text(label, key, output)}
    if kind == "synced":
        return {"reason": "synced", "text": f"`{facts[1]}` of this flow already took part in this sync"}
    _, label, had_frames = facts  # no_record
    return {"reason": "no_record",
            "text": f"no `{label}` has completed in this flow"
                    + (" (it may run later in the cascade, or in another flow)" if had_frames else "")}


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
    new, progress, facts = match_facts(pattern, record, frame)
    return new, progress, (failure_dict(facts) if facts is not None else {})


def match_facts(pattern: ActionPattern, record: ActionRecord, frame: dict) -> tuple[dict | None, int, tuple | None]:
    """:func:`match_record` with the miss as facts (a tuple for :func:`failure_dict`), no sentence written."""
    new = None  # ``frame`` is copied once a variable is bound, so a miss copies nothing
    progress = 1
    rec_input = record.input
    for key, want in pattern.input.items():
        have = rec_input.get(key, _ABSENT)
        if have is _ABSENT:
            return None, progress, ("absent", pattern.label, key, rec_input)
        if type(want) is Var:
            cur = frame if new is None else new
            bound = cur.get(want, _ABSENT)
            if bound is _ABSENT:
                if new is None:
                    new = frame.copy()
                new[want] = have
            elif not (bound == have if type(bound) is str and type(have) is str else same(bound, have)):
                return None, progress, ("bound", "input", key, want, have, bound)
        elif not (want == have if type(want) is str and type(have) is str else same(want, have)):
            return None, progress, ("literal", "input", key, want, have, pattern.label)
        progress += 1
    wanted = pattern.output
    if wanted is MISSING:
        raise WhenMissingOutput(action=pattern.label)
    if wanted:
        output = record.output
        if output is RUNNING or not isinstance(output, dict):
            return None, progress, ("output_absent", pattern.label, next(iter(wanted)), output)
        # The input loop's steps again, written out rather than shared: this runs for every key of
        # every pattern of every sync tried, and a helper call per key is a measurable part of a flow.
        for key, want in wanted.items():
            have = output.get(key, _ABSENT)
            if have is _ABSENT:
                return None, progress, ("output_absent", pattern.label, key, output)
            if type(want) is Var:
                cur = frame if new is None else new
                bound = cur.get(want, _ABSENT)
                if bound is _ABSENT:
                    if new is None:
                        new = frame.copy()
                    new[want] = have
                elif not (bound == have if type(bound) is str and type(have) is str else same(bound, have)):
                    return None, progress, ("bound", "output", key, want, have, bound)
            elif not (want == have if type(want) is str and type(have) is str else same(want, have)):
                return None, progress, ("literal", "output", key, want, have, pattern.label)
            progress += 1
    return (frame.copy() if new is None else new), progress, None


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


__all__ = ["Failure", "Report", "failure_dict", "match_facts", "match_record", "match_when", "same", "when_frames"]
