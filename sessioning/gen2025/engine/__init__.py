"""The sync engine: vars, frames, actions, sync — as the course engine's ``src/engine``.

Layout (as ``src/engine``): ``vars`` (variables), ``frames`` (Frames), ``actions`` (records, the
action store, ``actions(...)``), ``instrument`` (the concept proxies), ``define`` (what ``register``
makes of a sync), ``matching`` (``when``), ``sync`` (the Engine: invoke, synchronize, fire, then),
``trace`` (TRACE/VERBOSE lines), ``errors``/``explain`` (the course's messages, then why and what
to do), ``observer``/``recorder`` (the record of a run, through one observer hook).

Rule: the engine imports no concept, no reader, no database and no pandas; the app wiring
(:mod:`sessioning.gen2025.app`) plugs the HTTP front and the database in.
"""

from sessioning.record import Evaluation, FlowLog, Run

from .actions import ActionPattern, actions
from .errors import (
    BindingNotFound,
    EngineError,
    MissingActionId,
    MissingBinding,
    NotInstrumented,
    NotIterable,
    SyncDefinitionError,
    WhenMissingOutput,
)
from .frames import Frames
from .inspect_format import node_inspect
from .instrument import InstrumentedAction, InstrumentedConcept
from .plain import UNDEFINED
from .recorder import replay
from .sync import Engine
from .trace import Logging
from .vars import Var

__all__ = [
    "ActionPattern", "BindingNotFound", "Engine", "EngineError", "Evaluation", "FlowLog", "Frames",
    "InstrumentedAction", "InstrumentedConcept", "Logging", "MissingActionId", "MissingBinding",
    "NotInstrumented", "NotIterable", "Run", "SyncDefinitionError", "UNDEFINED", "Var",
    "WhenMissingOutput", "actions", "node_inspect", "replay",
]
