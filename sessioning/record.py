"""The record of a run: every action, every sync evaluation and every database write, per flow.

This is the data model the tables, widgets and diagnoses read, whichever engine produced it; it
knows no engine. A live engine fills it through its recorder; a run exported to JSON
(:meth:`Run.to_json`) loads back into the same classes (:meth:`Run.load`).

* :class:`ActionEntry` — one invocation of one action (a typed, slotted record; ``.label``,
  ``.is_request``, ``.is_respond``);
* :class:`Evaluation` — one sync tried for one completed action (``first_failure()``,
  ``emptied_by()``, ``n_frames(which)``);
* :class:`FlowLog` — one flow: its actions and evaluations (``request_id``, ``path``, ``root``);
* :class:`Run` — the flows, with bounded retention (the course engine keeps every action record
  forever); :meth:`Run.of` finds the run of a Run, an Engine, an App or an exported file.

Values are kept as the engine saw them and turned into plain JSON data (:func:`plain`) only when
exported or displayed, so recording stays cheap. Objects that know their own JSON form (the
engine's variables, JavaScript's ``undefined``) say so with a ``__plain__`` method, so this module
never imports the engine.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from sessioning.masking import mask_secrets

FORMAT = "sessioning-run/1"
MAX_FRAMES_KEPT = 20


# -- names and plain values ----------------------------------------------------------------------------
def concept_name(concept: Any) -> str:
    """A concept's name as TRACE lines print it: the class name without a trailing ``Concept``.

    ``concept`` is a concept instance, its class, or a class name."""
    if isinstance(concept, str):
        name = concept
    else:
        name = (concept if isinstance(concept, type) else type(concept)).__name__
    return name[: -len("Concept")] if name.endswith("Concept") and name != "Concept" else name


def plain(value: Any, depth: int = 0) -> Any:
    """A JSON-able copy: variables by name (``Symbol(x)``), dates as ISO strings, undefined as None."""
    if depth > 12:
        return "[…]"
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    to_plain = getattr(type(value), "__plain__", None)
    if to_plain is not None:  # a variable (Symbol(x)) or undefined: they know their JSON form
        return to_plain(value)
    if isinstance(value, dict):
        return {_plain_key(k): plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v, depth + 1) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, BaseException):
        return f"{type(value).__name__}: {value}"
    return str(value)


def _plain_key(key: Any) -> str:
    if type(key) is str:
        return key
    name = getattr(type(key), "__plain_key__", None)  # a variable key is its bare name
    return name(key) if name is not None else str(key)


def frame_snapshot(frames: list) -> list[dict[str, Any]]:
    """Frames as name → value dicts (hidden ``flow``/``action_i`` kept, string keys marked)."""
    out = []
    for frame in list(frames)[:MAX_FRAMES_KEPT]:
        snap = {}
        if isinstance(frame, dict):
            for k, v in frame.items():
                snap[f"'{k}' (string key)" if isinstance(k, str) else _plain_key(k)] = plain(v)
        out.append(snap)
    return out


def _snapshot(frames: list | None) -> list[dict[str, Any]] | None:
    if frames is None:
        return None
    if frames and isinstance(frames[0], dict) and all(isinstance(k, str) for k in frames[0]):
        return frames  # already plain (a loaded run)
    return frame_snapshot(frames)


def pattern_text(pattern: dict | Any) -> Any:
    """A ``when``/``then`` pattern as plain data: variables as ``Symbol(x)``, literals as they are."""
    if not isinstance(pattern, dict):
        return None
    return {k: plain(v) for k, v in pattern.items()}


# -- one action --------------------------------------------------------------------------------------
@dataclass(slots=True, eq=False)
class ActionEntry:
    """One invocation of one action, as recorded: what ran, why, with what, and what it wrote.

    ``status`` is ``running`` until the action returns, then ``ok`` or ``error`` (it returned
    ``{error}``), or ``exception`` (it threw). ``sync``/``trigger``/``depth`` say why it ran: the
    sync whose ``then`` called it, the id of the action that triggered that sync, and how deep in the
    causal tree (0 = an outside call). ``called_from`` names the sync whose ``where`` called it.
    """

    seq: int
    id: str
    flow: str
    concept: str
    action: str
    input: dict[str, Any]
    output: Any = None
    status: str = "running"
    error: str | None = None
    error_type: str | None = None
    sync: str | None = None
    trigger: str | None = None
    depth: int = 0
    started: float | None = None
    duration_ms: float | None = None
    writes: list[dict[str, Any]] = field(default_factory=list)
    called_from: str | None = None
    error_details: dict[str, Any] | None = None  # pymongo's keyPattern / keyValue of an E11000
    extra: dict[str, Any] | None = None  # keys of a loaded export that this version does not know

    #: The keys every exported entry has, in the export's order (the JSON format must not change).
    KEYS = ("seq", "id", "flow", "concept", "action", "input", "output", "status", "error", "error_type",
            "sync", "trigger", "depth", "started", "duration_ms", "writes")
    OPTIONAL = ("called_from", "error_details")

    @property
    def label(self) -> str:
        """``Concept.action``, as TRACE lines and sync patterns name it."""
        return f"{self.concept}.{self.action}"

    @property
    def is_request(self) -> bool:
        """A ``Requesting.request``: the start of an HTTP request's flow."""
        return self.action == "request" and self.concept == "Requesting"

    @property
    def is_respond(self) -> bool:
        """A ``Requesting.respond``: an answer to a request."""
        return self.action == "respond" and self.concept == "Requesting"

    def to_dict(self) -> dict[str, Any]:
        """The exported form (the 16 keys, then ``called_from``/``error_details`` when set)."""
        d = {key: getattr(self, key) for key in self.KEYS}
        for key in self.OPTIONAL:
            value = getattr(self, key)
            if value is not None:
                d[key] = value
        if self.extra:
            d.update(self.extra)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ActionEntry:
        """An entry from its exported form (old exports included; unknown keys are kept)."""
        known = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        values = {k: v for k, v in data.items() if k in known}
        extra = {k: v for k, v in data.items() if k not in known}
        for key in ("seq", "id", "flow", "concept", "action"):
            values.setdefault(key, None)
        values.setdefault("input", {})
        values["writes"] = values.get("writes") or []
        return cls(**values, extra=extra or None)

    # A read-only mapping view, so code written for the exported dicts keeps working.
    def __getitem__(self, key: str) -> Any:
        if key in self.KEYS or (key in self.OPTIONAL and getattr(self, key) is not None):
            return getattr(self, key)
        if self.extra and key in self.extra:
            return self.extra[key]
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default


# -- one sync tried ----------------------------------------------------------------------------------
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

    # -- questions the tables and the diagnosis ask --------------------------------------------------
    def first_failure(self) -> dict[str, Any] | None:
        """Why ``when`` stopped: the failure of the first pattern that matched no record, or ``None``."""
        for pattern in self.when or ():
            if pattern.get("failure"):
                return pattern["failure"]
        return None

    def emptied_by(self) -> dict[str, Any] | None:
        """The ``where`` step that took the frames from some to none, or ``None``."""
        for step in self.where or ():
            if (step.get("frames_in") or 0) > 0 and step.get("frames_out") == 0:
                return step
        return None

    def n_frames(self, which: str) -> int | None:
        """How many frames there were after ``when`` / ``where`` (``None``: not reached), without
        building the snapshots (which keep at most 20 frames)."""
        raw = self._frames_when if which == "when" else self._frames_where
        return None if raw is None else len(raw)

    # -- called by Frames while ``where`` runs ---------------------------------------------------
    def query_step(self, fn: str, input: dict, output: dict, before: list, after: list,  # noqa: A002
                   rows: list, unbound: dict[str, int], error: str | None = None) -> None:
        """Record one ``frames.query`` of ``where``: frames in and out, sample rows, unbound outputs."""
        step = {
            "step": "query", "name": fn, "input": pattern_text(input), "output": pattern_text(output),
            "frames_in": len(before), "frames_out": len(after),
            "rows_sample": rows, "unbound": unbound,
        }
        if error is not None:
            step["error"] = error  # this query threw (Binding: … not found, not iterable)
        self._steps().append(step)

    def simple_step(self, kind: str, name: str, before: list, after: list) -> None:
        """Record one ``filter``/``map``/``flatMap``/``collectAs`` of ``where``."""
        self._steps().append({"step": kind, "name": name, "frames_in": len(before), "frames_out": len(after)})

    def _steps(self) -> list:
        if self.where is None:
            self.where = []
        return self.where

    def to_dict(self) -> dict[str, Any]:
        d = {name: getattr(self, name) for name in self.FIELDS}
        d["matched"] = self.matched
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Evaluation:
        ev = cls(data["seq"], data["flow"], data["trigger"], data["trigger_action"], data["sync"])
        for key in cls.FIELDS:
            if key in data:
                setattr(ev, key, data[key])
        return ev


# -- one flow ----------------------------------------------------------------------------------------
class FlowLog:
    """One flow: every action that ran in it, in order, and every sync tried on the way."""

    __slots__ = ("flow", "actions", "evaluations", "request", "_path", "started", "response", "outcome")

    def __init__(self, flow: str) -> None:
        self.flow = flow
        self.actions: list[ActionEntry] = []
        self.evaluations: list[Evaluation] = []
        self.request: str | None = None  # set by the HTTP front, for flows it started
        self._path: str | None = None
        self.started = dt.datetime.now(dt.UTC).isoformat()
        self.response: dict[str, Any] | None = None  # status/body/error, for engine.request flows
        self.outcome: str | None = None

    @property
    def root(self) -> ActionEntry | None:
        """The outside call that started this flow (depth 0), or ``None`` for an empty flow."""
        first = self.actions[0] if self.actions else None
        return first if first is not None and not first.depth else None

    def _request_action(self, part: str) -> ActionEntry | None:
        for a in self.actions:
            if a.is_request and isinstance(getattr(a, part), dict):
                return a
        return None

    @property
    def request_id(self) -> str | None:
        """The request this flow answers: as the HTTP front recorded it, else the output of its
        ``Requesting.request``; ``None`` for a flow that is not a request."""
        if self.request:
            return self.request
        a = self._request_action("output")
        return a.output.get("request") if a is not None else None

    @property
    def path(self) -> str | None:
        """The request's path (after the base URL): as recorded, else the ``Requesting.request`` input."""
        if self._path:
            return self._path
        a = self._request_action("input")
        return a.input.get("path") if a is not None else None

    @path.setter
    def path(self, value: str | None) -> None:
        self._path = value

    def to_dict(self) -> dict[str, Any]:
        return {
            "flow": self.flow, "request": self.request, "path": self._path, "started": self.started,
            "response": self.response, "outcome": self.outcome,
            "actions": [a.to_dict() for a in self.actions], "evaluations": [e.to_dict() for e in self.evaluations],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FlowLog:
        log = cls(data["flow"])
        log.request, log._path = data.get("request"), data.get("path")
        log.started, log.response, log.outcome = data.get("started"), data.get("response"), data.get("outcome")
        log.actions = [ActionEntry.from_dict(a) for a in data.get("actions") or ()]
        log.evaluations = [Evaluation.from_dict(e) for e in data.get("evaluations", [])]
        return log


# -- the run -----------------------------------------------------------------------------------------
_RUN_EXPECTED = ("expected a recorded run: a Run (app.engine.run), an Engine, an App (make_app(…)), or the path "
                 "to a run exported with Run.to_json(path)")


class RunSource(NamedTuple):
    """A run and, when it is live, the engine recording it and the database its concepts use."""

    run: Run
    engine: Any = None
    db: Any = None


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

    # -- finding a run -------------------------------------------------------------------------------
    @classmethod
    def of(cls, obj: Any) -> Run:
        """The run of a Run, an Engine, an App, an exported run's path or JSON text, or its dict.

        Raises TypeError for anything else, ``None`` included."""
        return cls.source(obj).run

    @classmethod
    def source(cls, obj: Any) -> RunSource:
        """Like :meth:`of`, with the live engine and database when ``obj`` is an Engine or an App."""
        if obj is None:
            raise TypeError(f"{_RUN_EXPECTED}, not None")
        if isinstance(obj, Run):
            return RunSource(obj)
        if isinstance(getattr(obj, "run", None), Run):  # an engine
            return RunSource(obj.run, obj, _engine_db(obj))
        engine = getattr(obj, "engine", None)
        if isinstance(getattr(engine, "run", None), Run):  # an app
            return RunSource(engine.run, engine, getattr(obj, "db", None) or _engine_db(engine))
        if isinstance(obj, (str, Path)):
            return RunSource(cls.load(obj))
        if isinstance(obj, dict):
            return RunSource(cls.from_dict(obj))
        raise TypeError(f"{_RUN_EXPECTED}, not {type(obj).__name__}")

    # -- recording -----------------------------------------------------------------------------------
    def next_seq(self) -> int:
        return next(self._counter)

    def _continue_after(self, seq: int) -> None:
        self._counter = itertools.count(seq + 1)  # itertools.count is atomic under the GIL

    def flow(self, flow: str) -> FlowLog:
        """The log of ``flow``, created (and the oldest flow dropped past retention) if new."""
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
    def actions(self) -> Iterator[ActionEntry]:
        for log in list(self.flows.values()):
            yield from log.actions

    def evaluations(self) -> Iterator[Evaluation]:
        for log in list(self.flows.values()):
            yield from log.evaluations

    def writes(self) -> Iterator[tuple[ActionEntry, dict[str, Any]]]:
        for action in self.actions():
            for w in action.writes or ():
                yield action, w

    def find_action(self, step: int | str) -> ActionEntry | None:
        """The action with this ``seq`` (an int) or action id (a string), or ``None``."""
        for a in self.actions():
            if (isinstance(step, str) and a.id == step) or (not isinstance(step, str) and a.seq == step):
                return a
        return None

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
            log = FlowLog.from_dict(f)
            run.flows[log.flow] = log
            last = max([last] + [a.seq for a in log.actions] + [e.seq for e in log.evaluations])
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


def _engine_db(engine: Any) -> Any:
    """The database of the first instrumented concept that has one."""
    for c in getattr(engine, "concepts", ()):
        db = getattr(getattr(c, "concept", None), "db", None)
        if db is not None:
            return db
    return None


__all__ = ["ActionEntry", "Evaluation", "FlowLog", "Run", "RunSource", "concept_name", "frame_snapshot",
           "pattern_text", "plain"]
