"""A run: the flows, with bounded retention; finding one (:meth:`Run.of`), exporting and loading it."""

from __future__ import annotations

import itertools
import json
import threading
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from sessioning.files import read_text
from sessioning.masking import mask_secrets

from .flowlog import FlowLog
from .model import ActionEntry, Evaluation
from .schema import check_run
from .values import plain

FORMAT = "sessioning-run/1"


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
        #: ``next_seq()``: the next sequence number. The counter's own ``__next__`` (no Python call in
        #: between: the recorder takes one per action and per sync tried; atomic under the GIL).
        self.next_seq = self._counter.__next__
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
    def reserve_seqs(self, n: int) -> int:
        """The first of ``n`` consecutive sequence numbers, all taken at once."""
        if n <= 1:
            return self.next_seq()
        # The n-th number, the n - 1 before it taken in C: no other thread gets in between.
        return next(itertools.islice(self._counter, n - 1, None)) - (n - 1)

    def _continue_after(self, seq: int) -> None:
        self._counter = itertools.count(seq + 1)  # itertools.count is atomic under the GIL
        self.next_seq = self._counter.__next__

    def flow(self, flow: str) -> FlowLog:
        """The log of ``flow``, created (and the oldest flow dropped past retention) if new."""
        log = self.flows.get(flow)
        if log is None:
            lock = self._lock
            lock.acquire()  # the lock's own calls, not `with`: a third of the cost, once per flow
            try:
                log = self.flows.get(flow)
                if log is None:
                    log = self.flows[flow] = FlowLog(flow)
                    while self.retention is not None and len(self.flows) > self.retention:
                        self.flows.popitem(last=False)
                        self.dropped_flows += 1
            finally:
                lock.release()
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

    def to_markdown(self, path: str | Path | None = None, *, reveal: bool = False) -> str:
        """Every flow as a sequence diagram in Markdown (```` ```mermaid ```` blocks, which JupyterLab
        and GitHub draw), secrets masked unless ``reveal``; written to ``path`` if given."""
        parts = [f"# Recorded run: {len(self.flows)} flows\n"]
        parts += [log.diagram(reveal=reveal).markdown() for log in list(self.flows.values())]
        text = "\n".join(parts)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
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
            try:  # a regular file only (a FIFO would block, /dev/zero never end), bounded
                text = read_text(path_or_text, "recorded run")
            except OSError as e:
                raise ValueError(f"cannot read a recorded run from {path_or_text}: {e}") from None
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as e:  # JSONDecodeError, or an integer of 5,000 digits
            raise ValueError(f"not a recorded run: invalid JSON ({type(e).__name__})") from None
        # A file is untrusted input: one clear error for a tampered one, not a KeyError in a table
        # later (from_dict itself stays lenient for data built in code).
        check_run(data, FORMAT)
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


__all__ = ["FORMAT", "Run", "RunSource"]
