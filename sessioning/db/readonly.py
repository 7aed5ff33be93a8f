"""The read-only policy of the kit's database handles (``watch.py``): what a read-only handle lets through."""

from __future__ import annotations

from typing import Any

# Read-only is deny-by-default: a read-only handle passes through only the methods below (and every
# non-callable attribute); any other method of the driver's object (create_collection, rename,
# drop_index, map_reduce, mongomock's legacy insert/save/remove, a future driver's new writer…)
# is refused. Allow-listing reads, rather than listing writes, is what keeps a new write path shut.
COLLECTION_READS = frozenset({
    "find", "find_one", "find_raw_batches", "count_documents", "estimated_document_count", "count", "distinct",
    "list_indexes", "index_information", "list_search_indexes", "options", "watch", "aggregate",
    "aggregate_raw_batches", "next",
})
DATABASE_READS = frozenset({
    "list_collection_names", "list_collections", "collection_names", "command", "cursor_command", "aggregate",
    "watch", "dereference", "validate_collection", "next",
})
CLIENT_READS = frozenset({
    "list_database_names", "list_databases", "database_names", "server_info", "close", "start_session", "watch",
    "get_database", "get_default_database", "address", "is_primary", "nodes", "topology_description",
})
#: Commands a read-only database still runs (compared lowercased).
READ_COMMANDS = frozenset(c.lower() for c in (
    "ping", "hello", "isMaster", "buildInfo", "listCollections", "listIndexes", "dbStats", "collStats", "count",
    "find", "distinct", "aggregate", "explain", "getMore", "killCursors", "serverStatus", "connectionStatus",
    "listDatabases", "hostInfo", "getCmdLineOpts", "validate",
))
#: Aggregation stages that write.
_WRITE_STAGES = ("$out", "$merge")


def writing_pipeline(pipeline: Any) -> bool:
    """Whether an aggregation pipeline writes (has a ``$out`` or ``$merge`` stage)."""
    stages = pipeline if isinstance(pipeline, (list, tuple)) else ()
    return any(isinstance(st, dict) and any(k in _WRITE_STAGES for k in st) for st in stages)


def command_name(command: Any) -> str:
    """The name of a database command, as given (a string, or the first key of a command document)."""
    if isinstance(command, str):
        return command
    if isinstance(command, dict) and command:
        return str(next(iter(command)))
    return str(command)
