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

from .flowlog import FlowLog
from .model import ActionEntry, Evaluation
from .run import FORMAT, Run, RunSource
from .values import concept_name, frame_snapshot, pattern_text, plain

__all__ = ["FORMAT", "ActionEntry", "Evaluation", "FlowLog", "Run", "RunSource", "concept_name", "frame_snapshot",
           "pattern_text", "plain"]
