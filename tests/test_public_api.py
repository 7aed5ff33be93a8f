"""The public face of ``sessioning``: the names people script against, pinned.

Moving code between modules must not change what ``from sessioning import X`` gives. A name is
added here on purpose, never removed without a deprecation.
"""

from __future__ import annotations

import importlib
import inspect
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

import sessioning

ROOT = Path(__file__).resolve().parents[1]

# name → what it is. Kinds, not modules: where a name is defined may move, what it is may not.
PUBLIC = {
    "App": "class", "BindingNotFound": "class", "ConnectionProblem": "class", "Engine": "class",
    "EngineError": "class", "FAILURE_MODES": "dict", "FAST_HASHER": "object", "Faults": "class",
    "Finding": "class", "Frames": "class", "Logging": "class", "MissingActionId": "class",
    "MissingBinding": "class", "NotInstrumented": "class", "ReadOnlyError": "class", "RequestTimeout": "class",
    "RequestingConcept": "class", "Response": "class", "Run": "class", "SessioningConcept": "class",
    "UserAuthenticationConcept": "class", "Var": "class", "WhenMissingOutput": "class",
    "actions": "function", "auth_syncs": "function", "connect": "function", "console": "module",
    "diagnose": "function", "diagnose_findings": "function", "evaluations_table": "function",
    "findings_frame": "function", "freshID": "function", "is_uuid7": "function", "load_config": "function",
    "make_app": "function", "mask_secrets": "function", "replay": "function", "requests_table": "function",
    "reveal_secrets": "function", "sessions_table": "function", "set_reveal_secrets": "function",
    "show": "function", "step_diff": "function", "trace_table": "function", "uuid7_time": "function", "writes_table": "function",
    # loaded on first use (widgets and readers), so `python -m sessioning` starts fast
    "FlowStepper": "class", "LoginPanel": "class", "SyncPicker": "class", "read_log": "function",
    "ServerLog": "class", "read_syncs": "function", "SyncFiles": "class", "diagnose_database": "function",
}
LAZY = {"FlowStepper", "LoginPanel", "SyncPicker", "read_log", "ServerLog", "read_syncs", "SyncFiles",
        "diagnose_database"}


def kind(obj: object) -> str:
    if inspect.ismodule(obj):
        return "module"
    if inspect.isclass(obj):
        return "class"
    if inspect.isfunction(obj):
        return "function"
    if isinstance(obj, dict):
        return "dict"
    return "object"


def test_all_is_pinned():
    assert len(sessioning.__all__) == len(set(sessioning.__all__)), "a name is listed twice in __all__"
    assert set(sessioning.__all__) == set(PUBLIC)


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_every_public_name_resolves_to_what_it_was(name):
    assert kind(getattr(sessioning, name)) == PUBLIC[name]


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_from_import_works_for_every_public_name(name):
    namespace: dict = {}
    exec(f"from sessioning import {name}", namespace)  # noqa: S102 - the statement users write
    assert namespace[name] is getattr(sessioning, name)


def test_lazy_names_load_on_first_use_and_are_listed_by_dir():
    listed = dir(sessioning)
    assert LAZY <= set(listed) and set(PUBLIC) <= set(listed)
    assert "__version__" in listed and listed == sorted(listed)


def test_importing_the_package_does_not_load_the_lazy_parts():
    code = ("import sys, sessioning; "
            "print(','.join(m for m in ('ipywidgets', 'sessioning.widgets', 'sessioning.gen2025.readers.logs') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert out.stdout.strip() == ""


def test_unknown_names_are_a_clear_attribute_error():
    with pytest.raises(AttributeError, match="module 'sessioning' has no attribute 'nope'"):
        sessioning.nope  # noqa: B018


def test_version():
    try:
        installed = metadata.version("sessioning-kit")
    except metadata.PackageNotFoundError:
        installed = None
    # The installed distribution's metadata when there is some (an editable install keeps the version
    # pyproject.toml had at its last `pip install`), else the source tree's own version.
    assert sessioning.__version__ == (installed or "0.2.0")
    assert re.fullmatch(r"\d+\.\d+\.\d+", sessioning.__version__)


def test_failure_mode_catalogue_is_reachable_from_the_package():
    fm = importlib.import_module("sessioning.failure_modes")
    assert sessioning.FAILURE_MODES is fm.FAILURE_MODES


def test_version_without_an_installed_distribution_is_the_source_trees(monkeypatch):
    def not_installed(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", not_installed)
    assert sessioning._version() == "0.2.0"
