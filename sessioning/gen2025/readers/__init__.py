"""Readers for what a user brings from their own app: server logs, sync files (and a database).

``read_log(path_or_text)`` → :class:`~sessioning.readers.logs.ServerLog`;
``read_syncs(dir_or_file)`` → :class:`~sessioning.readers.syncfiles.SyncFiles`;
``parse_inspect(text)`` turns Node/Deno ``inspect`` text into Python values;
``correlate(log_findings, sync_files)`` names the sync behind what a log shows.

Imports are lazy so that importing one reader stays light and a broken
optional module never breaks the others.
"""

from __future__ import annotations

from typing import Any

__all__ = ["read_log", "read_syncs", "parse_inspect", "correlate", "ServerLog", "SyncFiles", "LogReadError",
           "SyncReadError"]

_WHERE = {
    "read_log": "logs", "ServerLog": "logs", "LogReadError": "logs",
    "read_syncs": "syncfiles", "SyncFiles": "syncfiles", "SyncReadError": "syncfiles", "correlate": "syncfiles",
    "parse_inspect": "inspect_parse",
}


def __getattr__(name: str) -> Any:
    mod = _WHERE.get(name)
    if mod is None:
        raise AttributeError(f"module 'sessioning.gen2025.readers' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"sessioning.gen2025.readers.{mod}"), name)
