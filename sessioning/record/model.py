"""The recorded-flow data model: one action (:class:`ActionEntry`) and one sync tried
(:class:`Evaluation`), each with its exported form; one flow is :class:`~.flowlog.FlowLog`."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .values import pattern_text, plain, snapshot

_UTC = dt.UTC


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
    #: The action's time in seconds as measured; ``duration_ms`` (rounded) is worked out when read.
    _seconds: float | None = field(default=None, init=False, repr=False)
    #: Syncs skipped for this action, kept here rather than in an object of their own (see
    #: ``FlowLog.add_skipped``): the engine's group, and the sequence number of its first sync.
    _skipped: Any = field(default=None, init=False, repr=False)
    _skip_first: int | None = field(default=None, init=False, repr=False)
    #: The action's one write while ``writes`` is not set (see ``__getattr__``).
    _write: dict[str, Any] | None = field(default=None, init=False, repr=False)

    def __getattr__(self, name: str) -> Any:
        # Only for a slot not set yet: the recorder sets what it knows when an action starts, without
        # calling ``__init__``, and the rest as it happens; until then a field reads as its default.
        if name == "duration_ms" and self._seconds is not None:
            # Rounding a float costs more than the rest of recording an action: done when read, once.
            self.duration_ms = value = round(self._seconds * 1000, 3)
            return value
        if name == "writes":
            # The recorder keeps an action's one write (``_write``) or none without their list (a list
            # is one more object the garbage collector traverses for as long as the flow is kept):
            # the entry's own list is made when first read.
            write = self._write
            self.writes = value = [] if write is None else [write]
            return value
        default = _ENTRY_UNSET.get(name, _NO_DEFAULT)
        if default is _NO_DEFAULT:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'", name=name, obj=self)
        return default

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
        known = {f.name for f in dataclasses.fields(cls) if f.init} - {"extra"}
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


_NO_DEFAULT = object()
#: What each field with a plain default reads as until it is set (``writes``: see ``__getattr__``).
_ENTRY_UNSET = {f.name: f.default for f in dataclasses.fields(ActionEntry) if f.default is not dataclasses.MISSING}


# -- one sync tried ----------------------------------------------------------------------------------
class Evaluation:
    """One sync tried for one completed action: how each ``when`` pattern fared, ``where``, ``then``."""

    __slots__ = ("seq", "flow", "trigger", "trigger_action", "sync", "_when", "_lazy_when", "_frames_when", "_where",
                 "_lazy_where", "_frames_where", "fired", "_then", "_lazy_then", "error", "error_type", "error_facts")
    FIELDS = ("seq", "flow", "trigger", "trigger_action", "sync", "when", "frames_when", "where",
              "frames_where", "fired", "then", "error", "error_type", "error_facts")

    #: What a slot not set yet reads as. A sync tried sets only what happened to it (most never
    #: reach ``where``, fire or fail): fewer stores per trial, and no lists made for nothing.
    _UNSET = {"_when": None, "_lazy_when": False, "_frames_when": None, "_where": None, "_lazy_where": False,
              "_frames_where": None, "fired": 0, "_then": None, "_lazy_then": False, "error": None,
              "error_type": None, "error_facts": None}

    def __init__(self, seq: int, flow: str, trigger: str, trigger_action: str, sync: str) -> None:
        self.seq = seq
        self.flow = flow
        self.trigger = trigger
        self.trigger_action = trigger_action
        self.sync = sync
        # Set now because recording reads them (reading a slot not set costs a call to __getattr__);
        # lists are made when first needed.
        self._when: Sequence[Any] | None = None  # the engine's reports, or dicts: sentences written when read
        self._where: list[Any] | None = None  # step dicts, or a query step's facts: written when read
        self._then: list[Any] | None = None  # the resolved calls, or dicts: written when read
        # The rest read as ``_UNSET`` says until set: ``_frames_when``/``_frames_where`` (raw frames,
        # converted when read), ``fired``, ``error``, ``error_type``, ``error_facts`` (code,
        # explanation, fix, … of an engine error) and the three ``_lazy_*`` flags.

    def __getattr__(self, name: str) -> Any:
        # Only for a slot not set yet (or a name that is no attribute at all).
        try:
            return Evaluation._UNSET[name]
        except KeyError:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'", name=name,
                                 obj=self) from None

    @property
    def matched(self) -> bool:
        return bool(self._frames_when)  # a lone frame is a non-empty dict (see `when_done`)

    @property
    def when(self) -> list[dict[str, Any]]:
        """How each ``when`` pattern fared: ``{pattern, action, input, output, frames, failure}``."""
        if self._when is None:
            self._when = []
        elif self._lazy_when:
            # Recording keeps the facts; the sentences are written here, once, when first read.
            self._lazy_when = False
            if type(self._when) is tuple:  # reports shared with other flows: written out into a list of its own
                self._when = list(self._when)
            _written_out(self._when, lambda item: item if type(item) is dict else item.to_dict())
        return self._when

    @when.setter
    def when(self, patterns: list[dict[str, Any]]) -> None:
        self._when = patterns
        self._lazy_when = False

    @property
    def where(self) -> list[dict[str, Any]] | None:
        """The steps of ``where``, one dict each (``query`` steps with their patterns as plain data);
        ``None`` when ``where`` did not run."""
        if self._lazy_where:
            self._lazy_where = False
            # `_steps()`: a lone query step, kept without a list, gets one of its own now.
            _written_out(self._steps(), lambda item: item if type(item) is dict else _query_step(*item))
        return self._where

    @where.setter
    def where(self, steps: list[dict[str, Any]] | None) -> None:
        self._where = steps
        self._lazy_where = False

    @property
    def then(self) -> list[dict[str, Any]]:
        """The ``then`` calls resolved, one ``{action, input}`` per call and frame."""
        if self._then is None:
            self._then = []
        elif self._lazy_then:
            self._lazy_then = False
            if type(self._then) is tuple:  # a lone call, kept without a list: one of its own now
                self._then = [self._then]
            _written_out(self._then, _then_dict)
        return self._then

    @then.setter
    def then(self, calls: list[dict[str, Any]]) -> None:
        self._then = calls
        self._lazy_then = False

    def add_then(self, calls: list[Any]) -> None:
        """Keep resolved ``then`` calls, converted when read: objects with ``to_dict()``, or the
        engine's own ``(action, input, …)`` tuples (an action has a ``label``)."""
        if self._then is None:
            self._then = list(calls)
        elif type(self._then) is tuple:  # a lone call kept by `keep_then`
            self._then = [self._then, *calls]
        else:
            self._then.extend(calls)
        self._lazy_then = True

    def keep_then(self, calls: list[Any]) -> None:
        """:meth:`add_then` for the engine's hot path: the first frame's list of calls is kept as it
        is, not copied (the engine made it for this frame alone and only reads it afterwards). A
        lone call, the usual case, is kept without its list (the engine's ``(action, input, flow,
        id)`` tuple: one object fewer for the garbage collector to traverse in a kept flow)."""
        if self._then is None:
            self._then = calls[0] if len(calls) == 1 else calls
            self._lazy_then = True
        else:  # calls already kept: added to them as any others are
            self.add_then(calls)

    def add_reports(self, reports: list[Any]) -> None:
        """Keep the engine's per-pattern reports (objects with ``to_dict()``), converted when read."""
        if self._when is None:
            self._when = list(reports)
        elif type(self._when) is tuple:  # shared with other flows: a list of its own
            self._when = [*self._when, *reports]
        else:
            self._when.extend(reports)
        self._lazy_when = True

    def when_done(self, frames: list | None, reports: Sequence[Any] | None) -> None:
        """``when`` gave ``frames`` (``None``: it threw) after ``reports``: both kept as they are.

        The recorder's hot path, one call per sync tried: ``reports`` is a list the engine made for
        this trial alone and never changes again, or a tuple of reports shared by every flow whose
        reports are the same (written out into a list of its own when read), so it is kept rather
        than copied."""
        if reports:
            if self._when is None:
                self._when = reports
            elif type(self._when) is tuple:  # shared with other flows: a list of its own
                self._when = [*self._when, *reports]
            else:
                self._when.extend(reports)
            self._lazy_when = True
        self._frames_when = _kept_frames(frames) if frames else frames

    def where_done(self, frames: list) -> None:
        """``where`` returned ``frames`` (kept as they are, one frame without its list; converted when read)."""
        self._frames_where = _kept_frames(frames) if frames else frames

    @property
    def frames_when(self) -> list[dict[str, Any]] | None:
        """The frames after ``when`` (at most 20), as name → value dicts."""
        return snapshot(_frame_list(self._frames_when))

    @frames_when.setter
    def frames_when(self, frames: list | None) -> None:
        self._frames_when = frames

    @property
    def frames_where(self) -> list[dict[str, Any]] | None:
        """The frames ``where`` returned (at most 20), as name → value dicts; ``None`` without ``where``."""
        return snapshot(_frame_list(self._frames_where))

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
        raw = _frame_list(self._frames_when if which == "when" else self._frames_where)
        return None if raw is None else len(raw)

    # -- called by Frames while ``where`` runs ---------------------------------------------------
    def query_step(self, fn: str, input: dict, output: dict, before: list, after: list,  # noqa: A002
                   rows: list, unbound: dict[str, int], error: str | None = None) -> None:
        """Record one ``frames.query`` of ``where``: frames in and out, sample rows, unbound outputs.

        Kept as facts; the patterns become plain data when :attr:`where` is read. Every object a
        kept flow holds is traversed by the garbage collector: the sample rows (a list) are kept
        in the step's tuple rather than in a list of their own, and a ``where`` of one query (the
        usual case) keeps its step without a list."""
        step = (fn, input, output, len(before), len(after), unbound, error, *rows)
        if self._where is None:
            self._where = step
        else:
            self._steps().append(step)
        self._lazy_where = True

    def simple_step(self, kind: str, name: str, before: list, after: list) -> None:
        """Record one ``filter``/``map``/``flatMap``/``collectAs`` of ``where``."""
        self._steps().append({"step": kind, "name": name, "frames_in": len(before), "frames_out": len(after)})

    def _steps(self) -> list:
        steps = self._where
        if steps is None:
            steps = self._where = []
        elif type(steps) is tuple:  # the lone query step so far: now one of several
            steps = self._where = [steps]
        return steps

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


def _kept_frames(frames: list) -> Any:
    """Frames as an evaluation keeps them: one frame, the usual case, without its list (one object
    fewer for the garbage collector to traverse for as long as the flow is kept); any others as
    they are. An empty frame keeps its list, so that a kept dict is always one that matched."""
    if len(frames) == 1 and type(lone := frames[0]) is dict and lone:
        return lone
    return frames


def _frame_list(kept: Any) -> list | None:
    """Kept frames (:func:`_kept_frames`) as a list again."""
    return [kept] if type(kept) is dict else kept


def _query_step(fn: str, input: dict, output: dict, n_in: int, n_out: int,  # noqa: A002
                unbound: dict[str, int], error: str | None, *rows: Any) -> dict[str, Any]:
    """A recorded ``frames.query`` step (as :meth:`Evaluation.query_step` keeps it) as the record shows it."""
    step = {
        "step": "query", "name": fn, "input": pattern_text(input), "output": pattern_text(output),
        "frames_in": n_in, "frames_out": n_out, "rows_sample": list(rows), "unbound": unbound,
    }
    if error is not None:
        step["error"] = error  # this query threw (Binding: … not found, not iterable)
    return step


def _written_out(items: list, convert: Callable[[Any], Any]) -> None:
    """Replace each recorded fact in ``items`` by its plain form, in place and over what is there
    now: an item appended meanwhile (by another thread) is kept as it is."""
    n = len(items)
    items[:n] = [convert(item) for item in items[:n]]


def _then_dict(item: Any) -> dict[str, Any]:
    """A recorded ``then`` call as the record shows it: ``{action, input}``."""
    if type(item) is dict:
        return item
    if type(item) is tuple:  # the engine's resolved call: (action, input, flow, action id)
        return {"action": item[0].label, "input": plain(item[1])}
    return item.to_dict()


__all__ = ["ActionEntry", "Evaluation"]
