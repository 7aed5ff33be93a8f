"""The line grammar of a course-engine server log (``course-engine.md`` §13), in bytes.

Every pattern is built from the named pieces at the top (as h11's ``_abnf.py`` builds its
grammar), so that "an identifier", "a quoted string" or "an ISO time" is written once. All of
them match bytes: the reader never decodes a line it does not keep. Besides the patterns, this
module knows the brackets of an inspect entry (:func:`scan`, :func:`split_trace`).
"""

from __future__ import annotations

import re

__all__ = [
    "TIMESTAMP", "TRACE_HEAD", "STRINGS", "STRUCTURE", "REQUEST_ID", "PATH", "QUOTED_TOKEN", "ERROR_OUTPUT",
    "ERROR_KEY", "UUID", "RECEIVED", "REQUEST_ERROR", "SYNC_ACTION", "MATCHED", "AFTER_WHERE", "THEN",
    "SESSION_TAG", "SESSION_TRY", "SESSION_OK", "SESSION_FAILED", "CONTINUATION", "APP_TAG", "FLOW",
    "CHECKING_SYNC", "CONCEPT_CLASS", "TIMEOUT_MESSAGE", "NOT_PENDING_MESSAGE", "INIT", "UNVERIFIED",
    "ARROW_LINE", "UNCAUGHT", "STACK_FRAME", "PASSTHROUGH_ERROR", "ERRORISH", "SYNC_ENGINE_TAG",
    "REQUESTING_TAG", "HEAD_PREFIXES", "KNOWN_PREFIXES", "ERROR_PREFIXES", "scan", "split_trace", "balanced",
]

# ---------------------------------------------------------------- named pieces

IDENT = rb"[A-Za-z_$][\w$]*"  # a JavaScript identifier: a concept, an action, a key
NAME_RUN = rb"[\w$]+"  # looser: a word as apps print it inside `[Tag]` (may start with a digit)
SQ_STRING = rb"'(?:[^'\\]|\\.)*'"
DQ_STRING = rb'"(?:[^"\\]|\\.)*"'
BQ_STRING = rb"`(?:[^`\\]|\\.)*`"
STRING = SQ_STRING + rb"|" + DQ_STRING + rb"|" + BQ_STRING  # inspect's three quotes, escapes honoured
ISO_TIME = rb"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?"
LITERAL = rb"undefined|null|true|false"
#: what an inspected value starts with (a TRACE entry's input must start with one)
VALUE_START = rb"[{\['\"\d-]|" + LITERAL
FRAMES_COUNT = rb"(?:Frames\((\d+)\))?"  # `Frames(2)`: Deno's print of the engine's Frames
HEX = rb"[0-9a-f]"


def _quoted(body: bytes) -> bytes:
    """``body`` (a capture group) between single or double quotes, as inspect prints a string."""
    return rb"['\"](" + body + rb")['\"]"


def _uuid() -> bytes:
    return rb"-".join(HEX + b"{%d}" % n for n in (8, 4, 4, 4, 12))


# ---------------------------------------------------------------- line heads

#: Render's prefix: an ISO time and one space (group 1: the time)
TIMESTAMP = re.compile(rb"(" + ISO_TIME + rb") ?")
#: a TRACE entry: `Concept.action <value>` (groups: concept, action)
TRACE_HEAD = re.compile(rb"(" + IDENT + rb")\.(" + IDENT + rb") (?=" + VALUE_START + rb")")
RECEIVED = b"[Requesting] Received request for path: "
REQUEST_ERROR = b"[Requesting] Error processing request: "
REQUESTING_TAG = b"[Requesting]"
SYNC_ENGINE_TAG = b"[SyncEngine]"  # patched engines' own lines
SYNC_ACTION = b"Synchronizing action:"
MATCHED = re.compile(rb"Matched `sync`: (\S+) with `when`: " + FRAMES_COUNT)
AFTER_WHERE = re.compile(rb"After processing `where`: " + FRAMES_COUNT)
THEN = re.compile(rb"([\w$.]+): THEN (\[[^\]]*\])(?: AsyncFunction| Function)? ?")
SESSION_TAG = b"[Sessioning.create]"  # the seed's own log lines
SESSION_TRY = re.compile(re.escape(SESSION_TAG) + rb" Attempting to insert session for user: (\S+) with ID: (\S+)")
SESSION_OK = re.compile(re.escape(SESSION_TAG) + rb" Successfully created session: (\S+)")
SESSION_FAILED = re.compile(re.escape(SESSION_TAG) + rb" Error creating session for user (\S+?):?\s*(.*)")
#: an app's own `[Concept.action] …` line
APP_TAG = re.compile(rb"\[" + NAME_RUN + rb"(?:\." + NAME_RUN + rb")?\] ")
#: a `key: value` line inside a multi-line entry whose indentation was trimmed
CONTINUATION = re.compile(
    rb"(?:" + IDENT + rb"|'[^']*'|\"[^\"]*\"|\[Symbol\([^)]*\)\]): "
    rb"(?:['\"`\[{\d-]|" + LITERAL + rb"|Map\(|Set\(|Frames\(|new |ObjectId|[A-Z]\w* \{)")
CHECKING_SYNC = re.compile(rb"Checking sync: (\S+)")
INIT = re.compile(rb"Requesting concept initialized with a timeout of (\d+)ms")
UNVERIFIED = re.compile(rb"WARNING - UNVERIFIED ROUTE: (\S+)")
ARROW_LINE = re.compile(rb" {1,4}-> (.*)")  # `  -> /api/X/y` (a route) or `  -> file.Export` (v1 sync)
UNCAUGHT = re.compile(rb"error: Uncaught(?: \(in promise\))? (.*)")
STACK_FRAME = re.compile(rb"\s+at (?:(?:async )?(\S+) \()?(?:file://)?(\S+?):(\d+):\d+\)?\s*$")
PASSTHROUGH_ERROR = re.compile(rb"Error in (" + NAME_RUN + rb")\.(" + NAME_RUN + rb"):\s*(.*)")
ERRORISH = re.compile(rb"(?:[A-Z]\w*)?(?:Error|Exception)\b")  # a line of an error dump

#: the literal starts of INIT, UNVERIFIED, UNCAUGHT, PASSTHROUGH_ERROR and ARROW_LINE: one test rules them all out
HEAD_PREFIXES = (
    b"Requesting concept initialized", b"WARNING - UNVERIFIED ROUTE: ", b"error: Uncaught", b"Error in ",
    b" -> ", b"  -> ", b"   -> ", b"    -> ",
)
#: Lines the kit knows (startup, build, Deno, Render, patched engines); matched by prefix.
KNOWN_PREFIXES = (
    b"Task ", b"Registering concept passthrough", b"FIX: Please verify routes",
    b"\xf0\x9f\x9a\x80 Requesting server listening", b"Listening on http", b"Server listening on",
    b"Registering synchronizations from", b"Completed registering synchronizations",
    b"Scanning for concepts", b"Scanning for syncs", b"\xe2\x9c\x85 Generated", b"- Registering concept:",
    b"Download ", b"Check file:", b"Watcher ", b"==> ", SYNC_ENGINE_TAG, REQUESTING_TAG,
    b"Connected to MongoDB", b"Warning ", b"warning: ",
)
#: error lines outside any request: (prefix, kind), first match wins; `error: ` is dropped from the text
ERROR_PREFIXES = (
    ("error: Leaks detected", "test"), ("Could not find environment variable", "environment"),
    ("MongoDB connection failed", "environment"), ("error: ", "other"),
)

# ---------------------------------------------------------------- inside entries

STRINGS = re.compile(STRING)
#: what changes bracket depth, or separates a TRACE input from its output, outside strings
STRUCTURE = re.compile(STRING + rb"| => |[{}\[\]]")
REQUEST_ID = re.compile(rb"\brequest: " + _quoted(rb"[^'\"]+"))
PATH = re.compile(rb"\bpath: " + _quoted(rb"[^'\"]*"))
QUOTED_TOKEN = re.compile(_quoted(rb"[^'\"\\\n]{3,120}"))  # a string value that may attribute an action
ERROR_OUTPUT = re.compile(rb"^\{\s*error:")
ERROR_KEY = re.compile(rb"[{,]\s*error:")
UUID = re.compile(rb"^" + _uuid() + rb"$")
FLOW = re.compile(rb"\[Symbol\(flow\)\]: " + _quoted(rb"[^'\"]+"))
CONCEPT_CLASS = re.compile(r"\bconcept: (?:\[class )?(" + IDENT.decode() + r")")

# ---------------------------------------------------------------- messages (text, not bytes)

TIMEOUT_MESSAGE = re.compile(r"Request (\S+) timed out after (\d+)ms")
NOT_PENDING_MESSAGE = re.compile(r"Request (\S+) is not pending")


def balanced(b: bytes) -> bool:
    """Equal counts of opening and closing brackets (strings not excluded: a quick test)."""
    return b.count(b"{") + b.count(b"[") == b.count(b"}") + b.count(b"]")


def scan(buf: bytes, depth: int, want_sep: bool) -> tuple[int, int]:
    """Bracket depth after ``buf`` (quote-aware) and the offset of the first depth-0 ` => ` or -1."""
    pos = -1
    for m in STRUCTURE.finditer(buf):
        c = m.group()[0]
        if c == 123 or c == 91:
            depth += 1
        elif c == 125 or c == 93:
            depth -= 1
        elif c == 32 and want_sep and depth == 0 and pos < 0:
            pos = m.start()
    return depth, pos


def split_trace(text: str) -> tuple[str, str]:
    """Split ``"{ … } => { … }"`` (an entry without its ``Concept.action`` prefix) at the depth-0 ``=>``."""
    if text.count(" => ") == 1:  # the usual case: the only arrow, if brackets balance on its left
        j = text.index(" => ")
        left = text[:j]
        if left.count("{") + left.count("[") == left.count("}") + left.count("]"):
            return left, text[j + 4:]
    raw = text.encode("utf-8", "surrogatepass")
    _, pos = scan(raw, 0, True)
    if pos < 0:
        return text, ""
    return raw[:pos].decode("utf-8", "replace"), raw[pos + 4:].decode("utf-8", "replace")
