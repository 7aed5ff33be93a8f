"""Read a course-engine server log (a file or pasted text) into tables and findings.

The console output of a course-template backend (``course-engine.md`` §13) is line-based:
TRACE entries (one per completed action, possibly multi-line), VERBOSE entries, Requesting
lines, startup lines, app lines such as ``[Sessioning.create] …``, optional Render
timestamp prefixes, and anything else the app prints. :func:`read_log` streams it once,
line by line, in bytes (no decode on the hot path), keeping only compact per-action columns
(offsets into the source, small ints) and one small record per request. Input/output values
are parsed lazily when a table is asked for.

TRACE lines carry no flow id, so an action's request is reconstructed: by request id
(``Requesting.request … => { request }`` / ``Requesting.respond { request }``), by values it
shares with an earlier action of a request (the user id ``authenticate`` returned, which
``Sessioning.create`` takes), and otherwise by the pre-order walk (the request with the most
recent activity). VERBOSE entries carry the flow token, which is exact.

A line's way through the package (each module one job, imported in this order):

- ``lines``: the grammar (named regex pieces → line patterns; bracket scanning);
- ``store``: the columns and request records the reader fills and the tables read;
- ``source``: opening a path, text, bytes or stream (regular files only; UTF-8, UTF-16, UTF-32);
- ``backing``: what the tables re-read entries from (the bytes, or the file kept open and checked);
- ``attribution``: which request an action belongs to;
- ``startup``: startup, crash and unknown lines;
- ``reader``: the streaming state machine and :func:`read_log`;
- ``classify``: error message → failure mode (``ERR_RULES``);
- ``findings``: facts → findings;
- ``serverlog``: :class:`ServerLog`, the tables.
"""

from __future__ import annotations

from sessioning.gen2025.readers.logs.backing import LogChanged
from sessioning.gen2025.readers.logs.classify import classify_error
from sessioning.gen2025.readers.logs.lines import split_trace
from sessioning.gen2025.readers.logs.reader import read_log
from sessioning.gen2025.readers.logs.serverlog import ServerLog
from sessioning.gen2025.readers.logs.source import LogNotFound, LogReadError
from sessioning.masking import mask_inline  # the log reader's masking lives with the rest of it

__all__ = ["LogReadError", "LogNotFound", "LogChanged", "ServerLog", "read_log", "mask_inline", "classify_error",
           "split_trace"]
