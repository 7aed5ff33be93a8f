"""The record of a run: every action, every sync evaluation and every database write, per flow.

Retention is bounded: the last ``retention`` flows are kept (the course engine keeps every
action record forever). A run can be exported to JSON, loaded back, and replayed against a fresh
database (:func:`replay`). Everything here is plain data (dicts, lists, strings), so tables and
diagnoses work the same on a live run and on a loaded file.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .inspect_format import UNDEFINED, Undefined
from .vars import Var

FORMAT = "sessioning-run/1"
MAX_FRAMES_KEPT = 20


def plain(value: Any, depth: int = 0) -> Any:
    """A JSON-able copy: Vars by name, dates as ISO strings, undefined as None."""
    if depth > 12:
        return "[…]"
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Undefined):
        return None
    if isinstance(value, Var):
        return repr(value)
    if isinstance(value, dict):
        return {(k.name if isinstance(k, Var) else str(k)): plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v, depth + 1) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, BaseException):
        return f"{type(value).__name__}: {value}"
    return str(value)


def frame_snapshot(frames: list) -> list[dict[str, Any]]:
    """Frames as name → value dicts (hidden ``flow``/``action_i`` kept, string keys marked)."""
    out = []
    for frame in list(frames)[:MAX_FRAMES_KEPT]:
        snap = {}
        if isinstance(frame, dict):
            for k, v in frame.items():
                snap[k.name if isinstance(k, Var) else f"'{k}' (string key)"] = plain(v)
        out.append(snap)
    return out


def _snapshot(frames: list | None) -> list[dict[str, Any]] | None:
    if frames is None:
        return None
    if frames and isinstance(frames[0], dict) and all(isinstance(k, str) for k in frames[0]):
        return frames  # already plain (a loaded run)
    return frame_snapshot(frames)


def pattern_text(pattern: dict | Any) -> Any:
    if not isinstance(pattern, dict):
        return None
    return {k: (repr(v) if isinstance(v, Var) else plain(v)) for k, v in pattern.items()}


class Evaluation:
    """One sync tried for one completed action: how each ``when`` pattern fared, ``where``, ``then``."""

    __slots__ = ("seq", "flow", "trigger", "trigger_action", "sync", "when", "_frames_when", "where",
                 "_frames_where", "fired", "then", "error", "error_type", "error_facts")
    FIELDS = ("seq", "flow", "trigger", "trigger_action", "sync", "when", "frames_when", "where",
              "frames_where", "fired", "then", "error", "error_type", "error_facts")

    def __init__(self, seq: int, flow: str, trigger: str, trigger_action: str, sync: str) -> None:
        self.seq = seq
        self.flow = flow
        self.trigger = trigger
        self.trigger_action = trigger_action
        self.sync = sync
        self.when: list[dict[str, Any]] = []
        self._frames_when: list | None = None  # raw frames, converted when read (recording stays cheap)
        self.where: list[dict[str, Any]] | None = None
        self._frames_where: list | None = None
        self.fired = 0
        self.then: list[dict[str, Any]] = []
        self.error: str | None = None
        self.error_type: str | None = None
        self.error_facts: dict[str, Any] | None = None  # code, explanation, fix, variable, … of an engine error

    @property
    def matched(self) -> bool:
        return bool(self._frames_when)

    @property
    def frames_when(self) -> list[dict[str, Any]] | None:
        """The frames after ``when`` (at most 20), as name → value dicts."""
        return _snapshot(self._frames_when)

    @frames_when.setter
    def frames_when(self, frames: list | None) -> None:
        self._frames_when = frames

    @property
    def frames_where(self) -> list[dict[str, Any]] | None:
        """The frames ``where`` returned (at most 20), as name → value dicts; ``None`` without ``where``."""
        return _snapshot(self._frames_where)

    @frames_where.setter
    def frames_where(self, frames: list | None) -> None:
        self._frames_where = frames

    # -- called by Frames while ``where`` runs ---------------------------------------------------
    def query_step(self, fn: str, input: dict, output: dict, before: list, after: list,
                   rows: list, unbound: dict[str, int], error: str | None = None) -> None:  # noqa: A002
        step = {
            "step": "query", "name": fn, "input": pattern_text(input), "output": pattern_text(output),
            "frames_in": len(before), "frames_out": len(after),
            "rows_sample": rows, "unbound": unbound,
        }
        if error is not None:
            step["error"] = error  # this query threw (Binding: … not found, not iterable)
        self._steps().append(step)

    def simple_step(self, kind: str, name: str, before: list, after: list) -> None:
        self._steps().append({"step": kind, "name": name, "frames_in": len(before), "frames_out": len(after)})

    def _steps(self) -> list:
        if self.where is None:
            self.where = []
        return self.where

    def to_dict(self) -> dict[str, Any]:
        d = {name: getattr(self, name) for name in self.FIELDS}
        d["matched"] = self.matched
        return d


class FlowLog:
    __slots__ = ("flow", "actions", "evaluations", "request", "path", "started", "response", "outcome")

    def __init__(self, flow: str) -> None:
        self.flow = flow
        self.actions: list[dict[str, Any]] = []
        self.evaluations: list[Evaluation] = []
        self.request: str | None = None
        self.path: str | None = None
        self.started = dt.datetime.now(dt.UTC).isoformat()
        self.response: dict[str, Any] | None = None  # status/body/error, for engine.request flows
        self.outcome: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "flow": self.flow, "request": self.request, "path": self.path, "started": self.started,
            "response": self.response, "outcome": self.outcome,
            "actions": self.actions, "evaluations": [e.to_dict() for e in self.evaluations],
        }


class Run:
    """Everything recorded, flow by flow, with bounded retention."""

    def __init__(self, retention: int | None = 1000) -> None:
        if retention is not None and (not isinstance(retention, int) or retention < 1):
            raise ValueError("retention must be a positive number of flows, or None to keep everything")
        self.retention = retention
        self.flows: OrderedDict[str, FlowLog] = OrderedDict()
        self.dropped_flows = 0
        self._counter = itertools.count(1)
        self.syncs: list[str] = []
        #: name → {"when": [...], "then": [...], "where": bool}: each registered sync's patterns, as plain data
        self.sync_defs: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        n_actions = sum(len(f.actions) for f in self.flows.values())
        return f"<Run: {len(self.flows)} flows, {n_actions} actions kept (retention {self.retention}, {self.dropped_flows} dropped)>"

    def next_seq(self) -> int:
        return next(self._counter)

    def _continue_after(self, seq: int) -> None:
        self._counter = itertools.count(seq + 1)  # itertools.count is atomic under the GIL

    def flow(self, flow: str) -> FlowLog:
        log = self.flows.get(flow)
        if log is None:
            with self._lock:
                log = self.flows.get(flow)
                if log is None:
                    log = self.flows[flow] = FlowLog(flow)
                    while self.retention is not None and len(self.flows) > self.retention:
                        self.flows.popitem(last=False)
                        self.dropped_flows += 1
        return log

    # -- read access ----------------------------------------------------------------------------
    def actions(self) -> Iterator[dict[str, Any]]:
        for log in list(self.flows.values()):
            yield from log.actions

    def evaluations(self) -> Iterator[Evaluation]:
        for log in list(self.flows.values()):
            yield from log.evaluations

    def writes(self) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        for action in self.actions():
            for w in action.get("writes") or ():
                yield action, w

    def last_flow(self) -> FlowLog | None:
        return next(reversed(self.flows.values()), None) if self.flows else None

    def clear(self) -> None:
        with self._lock:
            self.flows.clear()
            self.dropped_flows = 0

    # -- export / import ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "retention": self.retention, "dropped_flows": self.dropped_flows,
                "syncs": list(self.syncs), "sync_defs": self.sync_defs, "flows": [plain(f.to_dict()) for f in list(self.flows.values())]}

    def to_json(self, path: str | Path | None = None, *, reveal: bool = False) -> str:
        """The run as JSON (secrets masked unless ``reveal``); written to ``path`` if given."""
        from sessioning.masking import mask_secrets

        data = self.to_dict() if reveal else mask_secrets(self.to_dict(), reveal=False)
        text = json.dumps(data, indent=1, default=str)
        if path is not None:
            Path(path).write_text(text)
        return text

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Run:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"not a recorded run (expected format {FORMAT!r})")
        run = cls(retention=data.get("retention"))
        run.dropped_flows = data.get("dropped_flows", 0)
        run.syncs = list(data.get("syncs", []))
        run.sync_defs = dict(data.get("sync_defs") or {})
        last = 0
        for f in data.get("flows", []):
            log = FlowLog(f["flow"])
            for key in ("request", "path", "started", "response", "outcome", "actions"):
                setattr(log, key, f.get(key))
            for e in f.get("evaluations", []):
                ev = Evaluation(e["seq"], e["flow"], e["trigger"], e["trigger_action"], e["sync"])
                for key in Evaluation.FIELDS:
                    if key in e:
                        setattr(ev, key, e[key])
                log.evaluations.append(ev)
            run.flows[log.flow] = log
            last = max([last] + [a["seq"] for a in log.actions] + [e.seq for e in log.evaluations])
        run._continue_after(last)
        return run

    @classmethod
    def load(cls, path_or_text: str | Path) -> Run:
        """Load a run exported with :meth:`to_json` (a path or the JSON text)."""
        text = str(path_or_text)
        if not text.lstrip().startswith("{"):
            try:
                text = Path(path_or_text).read_text()
            except (OSError, UnicodeDecodeError) as e:
                raise ValueError(f"cannot read a recorded run from {path_or_text}: {e}") from None
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as e:
            raise ValueError(f"not a recorded run: invalid JSON ({type(e).__name__})") from None
        try:
            return cls.from_dict(data)
        except ValueError:
            raise
        except (KeyError, TypeError, AttributeError, IndexError) as e:
            raise ValueError(f"not a recorded run: the file is damaged or was edited ({type(e).__name__}: {e}); "
                             "export it again with run.to_json(path)") from None


def replay(run: Run, engine: Any, *, on_flow: Callable[[dict, Any], None] | None = None) -> list[Any]:
    """Re-issue each recorded outside call of ``run`` through ``engine`` (a fresh one, usually).

    Requests (root ``Requesting.request`` actions) go through ``engine.request`` with the recorded
    input; other root actions are called on the engine's instrumented concept of that name.
    Masked values in an exported run replay as the masked text. Returns the new responses/outputs.
    """
    results = []
    concepts = {getattr(c, "_concept", None).__class__.__name__.removesuffix("Concept"): c for c in engine.concepts}
    for log in list(run.flows.values()):
        roots = [a for a in log.actions if a.get("depth", 0) == 0 and not a.get("called_from")]
        for root in roots[:1]:
            if root["concept"] == "Requesting" and root["action"] == "request":
                body = dict(root["input"] or {})
                path = body.pop("path", "/")
                result = engine.request(path, body)
            else:
                concept = concepts.get(root["concept"])
                if concept is None:
                    raise ValueError(f"cannot replay {root['concept']}.{root['action']}: that concept is not instrumented in this engine")
                result = getattr(concept, root["action"])(**(root["input"] or {}))
            results.append(result)
            if on_flow is not None:
                on_flow(root, result)
    return results


__all__ = ["Run", "FlowLog", "Evaluation", "replay", "plain", "frame_snapshot", "UNDEFINED"]
