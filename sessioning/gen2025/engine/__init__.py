"""The sync engine: vars, frames, actions, sync — as the course engine's ``src/engine``."""

from sessioning.record import Evaluation, FlowLog, Run

from .actions import ActionPattern, InstrumentedAction, InstrumentedConcept, actions
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
from .inspect_format import UNDEFINED, node_inspect
from .recorder import replay
from .sync import Engine, Logging, Response
from .vars import Var

__all__ = [
    "ActionPattern", "BindingNotFound", "Engine", "EngineError", "Evaluation", "FlowLog", "Frames",
    "InstrumentedAction", "InstrumentedConcept", "Logging", "MissingActionId", "MissingBinding",
    "NotInstrumented", "NotIterable", "Response", "Run", "SyncDefinitionError", "UNDEFINED", "Var",
    "WhenMissingOutput", "actions", "node_inspect", "replay",
]
