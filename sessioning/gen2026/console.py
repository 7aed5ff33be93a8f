"""Read what a 2026 (``@mit-sdg/sync-engine``) server printed: stdout and stderr, apart or together.

The engine prints single-line JSON objects ``{...meta, "level", "message", "timestamp"}``;
``debug``/``info`` go to stdout and ``warn``/``error`` to stderr. Around them: the host's
``Backend listening on …`` line, Bun's error blocks printed by the guide's
``rawFaultReporter: ({ error }) => console.error(error)`` (a code frame, a caret line,
``error: <message>`` or ``<Name>: <message>``, then ``at …`` frames), and, when the app does not
start, the registration error as such a block. Pasted logs are often partial: a line cut in the
middle is kept as text and counted as a problem, never an exception.

Each line gets a ``kind``:

========== ============================================================================
engine     an engine JSON line (``Consequence action faulted``, ``… where condition …``)
readback   a registration read-back (info, printed when ``logging`` is not OFF)
trace      ``Logging.TRACE``: ``\\nC.a <input> => <output>\\n`` at debug
verbose    ``Logging.VERBOSE``: ``Reacting to action:``, ``Matched `reaction`…``, ``After processing `where`:``
host       ``Backend listening on …``
text       anything else (a Bun error block's lines are also grouped in :class:`BunErrorBlock`)
========== ============================================================================
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sessioning.gen2026.inspect_text import split_trace

__all__ = ["BunErrorBlock", "ConsoleLine", "ConsoleLog", "StartupFailure", "read_console", "read_console_pair",
           "startup_failure"]

_VERBOSE = ("Reacting to action:", "Matched `reaction`:", "After processing `where`:",
            "Settlement frontier prepared deferred trigger batches:")
_STARTUP_MARKS = ("before it is bound", "the conditions cannot be ordered", "is opened and never used",
                  "needs .named(", "is not instrumented", "is reserved for the core request boundary",
                  "invalid specification", "is literal undefined")


@dataclass(frozen=True)
class ConsoleLine:
    """One console line, parsed as far as it goes."""

    stream: str
    lineno: int
    kind: str
    level: str | None
    message: str
    timestamp: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    trace: tuple[str, str, str] | None = None  # (Concept.action, input text, output text) for TRACE lines

    @property
    def reaction(self) -> str | None:
        """The reaction a ``Reaction "X": …`` message or a VERBOSE match names."""
        m = self.message
        if m.startswith('Reaction "'):
            return m.split('"', 2)[1]
        if m.startswith("Matched `reaction`: "):
            return m[len("Matched `reaction`: "):].split(" with ", 1)[0]
        return None

    @property
    def error_class(self) -> str | None:
        err = self.meta.get("error")
        return err.get("name") if isinstance(err, dict) else None


@dataclass
class BunErrorBlock:
    """Bun's printout of a thrown value: its class, message, the code frame and the ``at`` frames."""

    stream: str
    lineno: int
    error_class: str
    message: str
    code_frame: list[str] = field(default_factory=list)
    frames: list[str] = field(default_factory=list)

    @property
    def where(self) -> str | None:
        """The first frame outside the engine (``<file>:<line>:<col>``), where the student's bug is."""
        for f in self.frames:
            loc = f.split("(")[-1].rstrip(")") if "(" in f else f.removeprefix("at ").strip()
            if "/src/engine/" not in loc and "node_modules" not in loc and "<engine>" not in loc:
                return loc
        return None


@dataclass(frozen=True)
class StartupFailure:
    """The app did not start: the registration error, which kind, and the names it complains about."""

    message: str
    kind: str  # unbound | unordered | other
    reaction: str | None
    names: tuple[str, ...]


@dataclass
class ConsoleLog:
    """Everything read from one or two console panes."""

    lines: list[ConsoleLine] = field(default_factory=list)
    blocks: list[BunErrorBlock] = field(default_factory=list)
    startup: list[StartupFailure] = field(default_factory=list)
    listening: str | None = None
    problems: list[str] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[ConsoleLine]:
        return [ln for ln in self.lines if ln.kind == kind]

    def readbacks(self) -> dict[str, str]:
        """Reaction name → its registration read-back text (drop points included)."""
        return {ln.message.split("\n", 1)[0]: ln.message for ln in self.of_kind("readback")}

    def errors(self) -> list[ConsoleLine]:
        """Engine lines at warn or error."""
        return [ln for ln in self.lines if ln.kind == "engine" and ln.level in ("warn", "error")]

    def verbose_unprocessed(self) -> list[str]:
        """Reactions VERBOSE shows ``Matched`` with no ``After processing `where`:`` right after: for a
        reaction that has a ``where``, that is the "matched but dropped" signature."""
        lines = self.of_kind("verbose")
        out = []
        for i, ln in enumerate(lines):
            nxt = next((x for x in lines[i + 1:] if not x.message.startswith("Reacting to action:")), None)
            if ln.reaction and (nxt is None or not nxt.message.startswith("After processing `where`:")):
                out.append(ln.reaction)
        return out

    def extend(self, other: ConsoleLog) -> None:
        self.lines += other.lines
        self.blocks += other.blocks
        self.startup += other.startup
        self.listening = self.listening or other.listening
        self.problems += other.problems


def _kind_of(level: str | None, message: str) -> str:
    if message.startswith(_VERBOSE):
        return "verbose"
    if level == "debug" and split_trace(message) is not None:
        return "trace"
    first, _, rest = message.partition("\n")
    if level == "info" and rest.lstrip().startswith("when ") and " " not in first:
        return "readback"
    return "engine"


def _json_line(stream: str, lineno: int, obj: dict[str, Any]) -> ConsoleLine:
    level = obj.get("level") if isinstance(obj.get("level"), str) else None
    message = obj.get("message") if isinstance(obj.get("message"), str) else ""
    meta = {k: v for k, v in obj.items() if k not in ("level", "message", "timestamp")}
    kind = _kind_of(level, message)
    trace = split_trace(message) if kind == "trace" else None
    ts = obj.get("timestamp") if isinstance(obj.get("timestamp"), str) else None
    return ConsoleLine(stream, lineno, kind, level, message, ts, meta, trace)


def startup_failure(message: str) -> StartupFailure | None:
    """Recognise a registration error message (the app cannot start)."""
    if not any(mark in message for mark in _STARTUP_MARKS):
        return None
    reaction = message.split('"', 2)[1] if message.startswith('Reaction "') else None
    if "before it is bound" in message:
        names = message.split(" uses ", 1)[1].split(" before ", 1)[0]
        return StartupFailure(message, "unbound", reaction, tuple(n.strip(' "') for n in names.split(",")))
    if "cannot be ordered" in message:
        needs = message.rsplit(" needs ", 1)[-1].rstrip(".")
        return StartupFailure(message, "unordered", reaction, tuple(n.strip(' "') for n in needs.split(",")))
    return StartupFailure(message, "other", reaction, ())


def _error_head(line: str) -> tuple[str, str] | None:
    """``error: msg`` → (Error, msg); ``TypeError: msg`` → (TypeError, msg); else None."""
    if line.startswith("error: "):
        return "Error", line[7:]
    head, sep, rest = line.partition(": ")
    if sep and head.isidentifier() and (head.endswith(("Error", "Fault", "Exception")) or head[:1].isupper()) \
            and " " not in head:
        return head, rest
    return None


class _BlockBuilder:
    """Groups the text lines of Bun error blocks (code frame, head, frames)."""

    def __init__(self, stream: str) -> None:
        self.stream = stream
        self.pending_frame: list[str] = []
        self.block: BunErrorBlock | None = None
        self.blocks: list[BunErrorBlock] = []

    def feed(self, lineno: int, line: str) -> None:
        s = line.strip()
        if s.startswith("at ") and self.block is not None:
            self.block.frames.append(s)
            return
        head = _error_head(s)
        if head is not None:
            self.block = BunErrorBlock(self.stream, lineno, head[0], head[1], self.pending_frame)
            self.blocks.append(self.block)
            self.pending_frame = []
            return
        if s[:1].isdigit() and " | " in s or (s and set(s) <= {"^", " "}):
            self.pending_frame.append(line)
        else:
            self.pending_frame = []
        if s and not s.startswith("at "):
            self.block = None


def read_console(text: str, stream: str = "?") -> ConsoleLog:
    """Parse one pane of console output (``stream`` is ``stdout``, ``stderr`` or ``?`` for mixed)."""
    if not isinstance(text, str):
        raise TypeError(f"console text must be a str, not {type(text).__name__}")
    log = ConsoleLog()
    blocks = _BlockBuilder(stream)
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r")
        if not line.strip():
            continue
        if line.lstrip().startswith("{"):
            try:
                obj = json.loads(line)
            except ValueError:
                log.problems.append(f"{stream} line {lineno}: a JSON line cut short or garbled; kept as text")
                log.lines.append(ConsoleLine(stream, lineno, "text", None, line))
                continue
            if isinstance(obj, dict):
                parsed = _json_line(stream, lineno, obj)
                log.lines.append(parsed)
                continue
        if "listening on" in line:
            log.listening = line.strip()
            log.lines.append(ConsoleLine(stream, lineno, "host", None, line.strip()))
            continue
        log.lines.append(ConsoleLine(stream, lineno, "text", None, line))
        blocks.feed(lineno, line)
    log.blocks = blocks.blocks
    for b in log.blocks:
        found = startup_failure(b.message)
        if found is not None:
            log.startup.append(found)
    return log


def read_console_pair(stdout: str | None = None, stderr: str | None = None) -> ConsoleLog:
    """Read the Output and Errors panes (as the class platform's Logs tab shows them) into one log."""
    log = ConsoleLog()
    if stdout:
        log.extend(read_console(stdout, "stdout"))
    if stderr:
        log.extend(read_console(stderr, "stderr"))
    return log
