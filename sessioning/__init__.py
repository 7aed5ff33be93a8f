"""The Sessioning debugging kit: concepts, a faithful sync engine, tables and diagnoses for
concept-design backends (concepts over MongoDB wired by synchronizations)."""

from importlib import metadata as _metadata

from . import console
from .db.connect import ConnectionProblem, connect, load_config
from .db.faults import Faults
from .db.watch import ReadOnlyError
from .failure_modes import FAILURE_MODES
from .findings import Finding, findings_frame
from .gen2025.app import App, make_app
from .gen2025.app import AppEngine as Engine
from .gen2025.auth_syncs import auth_syncs
from .gen2025.concepts import (
    FAST_HASHER,
    RequestingConcept,
    RequestTimeout,
    SessioningConcept,
    UserAuthenticationConcept,
)
from .gen2025.diagnosis import diagnose, diagnose_findings
from .gen2025.engine import (
    BindingNotFound,
    EngineError,
    Frames,
    Logging,
    MissingActionId,
    MissingBinding,
    NotInstrumented,
    Run,
    Var,
    WhenMissingOutput,
    actions,
    replay,
)
from .gen2025.server import Response
from .ids import freshID, is_uuid7, uuid7_time
from .masking import mask_secrets, reveal_secrets, set_reveal_secrets
from .styling import show
from .tables import evaluations_table, requests_table, sessions_table, step_diff, trace_table, writes_table

# Widgets and readers load on first use, so the command line starts fast.
_LAZY = {
    "FlowStepper": "widgets", "LoginPanel": "gen2025.widgets", "SyncPicker": "gen2025.widgets",
    "read_log": "gen2025.readers.logs", "ServerLog": "gen2025.readers.logs", "read_syncs": "gen2025.readers.syncfiles",
    "SyncFiles": "gen2025.readers.syncfiles", "diagnose_database": "gen2025.diagnosis.database",
}


def _version() -> str:
    """The installed distribution's version; the source tree's own when the kit is not installed."""
    try:
        return _metadata.version("sessioning-kit")
    except _metadata.PackageNotFoundError:
        return "0.2.0"


__version__ = _version()


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sessioning' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"sessioning.{module}"), name)


def __dir__() -> list[str]:
    # The lazy names too, so Tab completion (Jupyter, IPython) offers them before their first use.
    return sorted({*globals(), *_LAZY})

__all__ = [
    "App", "BindingNotFound", "ConnectionProblem", "Engine", "EngineError", "FAILURE_MODES", "FAST_HASHER",
    "Faults", "Finding", "Frames", "Logging", "MissingActionId", "MissingBinding", "NotInstrumented",
    "ReadOnlyError", "RequestTimeout", "RequestingConcept", "Response", "Run", "SessioningConcept",
    "UserAuthenticationConcept", "Var", "WhenMissingOutput", "actions", "auth_syncs", "connect", "console",
    "findings_frame", "freshID", "is_uuid7", "load_config", "make_app", "mask_secrets", "replay",
    "reveal_secrets", "set_reveal_secrets", "uuid7_time", "diagnose", "diagnose_findings",
    "sessions_table", "requests_table", "trace_table", "evaluations_table", "writes_table", "step_diff", "show",
    *_LAZY,
]
