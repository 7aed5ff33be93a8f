"""``ServerLog``: a read log as DataFrames, built on demand from its :class:`LogStore`.

The store holds offsets; an entry's text is re-read from its :mod:`~.backing` (the bytes in memory
for pasted text, the file kept open otherwise, checked for changes before each table) and parsed
only when a table shows it. Every table masks secrets unless they are revealed.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from sessioning.diagrams import Diagram, request_timeline
from sessioning.findings import Finding, findings_frame
from sessioning.gen2025.readers.inspect_parse import UNDEFINED, parse_inspect
from sessioning.gen2025.readers.logs.backing import Backing
from sessioning.gen2025.readers.logs.classify import classify_in_request, sync_of_stack
from sessioning.gen2025.readers.logs.findings import build_log_findings
from sessioning.gen2025.readers.logs.lines import (
    SESSION_FAILED,
    SESSION_OK,
    SESSION_TRY,
    TIMESTAMP,
    split_trace,
)
from sessioning.gen2025.readers.logs.store import (
    ATTR_NAMES,
    FORMAT_VERBOSE,
    KIND_NAMES,
    SESSION_EVENTS,
    ErrorRow,
    LogStore,
)
from sessioning.masking import mask_id, mask_inline, mask_parsed, secrets_revealed

__all__ = ["ServerLog"]

_ACTION_COLUMNS = ["request", "path", "order", "seq", "line", "time", "concept", "action", "input", "output",
                   "outcome", "error", "flow", "attributed_by"]
_REQUEST_COLUMNS = ["request", "path", "input_keys", "outcome", "status", "message", "responses", "has_response",
                    "response", "error", "input", "actions", "line", "end_line", "time", "end_time", "duration_ms"]
_ERROR_COLUMNS = ["line", "time", "request", "path", "kind", "code", "variable", "message", "sync", "sync_file"]


class _FromStore:
    """A :class:`ServerLog` attribute that is the store's field of the same name."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        return self if obj is None else getattr(obj.store, self.name)


class ServerLog:
    """A parsed server log. Tables are DataFrames built on demand; secrets are masked by default."""

    lines = _FromStore()
    bytes = _FromStore()
    engine_version = _FromStore()
    log_level = _FromStore()
    patched_engine = _FromStore()
    timestamps = _FromStore()
    startups = _FromStore()
    timeout_ms = _FromStore()
    unverified_routes = _FromStore()
    verified_routes = _FromStore()
    registered_syncs = _FromStore()
    sync_load_errors = _FromStore()
    unknown_count = _FromStore()
    unknown_sample = _FromStore()
    app_lines = _FromStore()
    truncated_entries = _FromStore()
    sync_events = _FromStore()

    def __init__(self, source_name: str, store: LogStore, backing: Backing) -> None:
        self.source = source_name
        self.store = store
        self._backing = backing

    # -- raw access ------------------------------------------------------------------------

    def _raw(self, start: int, end: int) -> bytes:
        return self._backing.read(start, end)

    def _slice(self, start: int, end: int) -> str:
        raw = self._raw(start, end)
        if self.store.timestamps:
            raw = b"\n".join(ln[m.end():] if (m := TIMESTAMP.match(ln)) else ln for ln in raw.splitlines())
        text = raw.decode("utf-8", "replace")
        if "\n" not in text:
            return text.rstrip("\r")
        # split at "\n" only, as the reader did: `str.splitlines` would also split inside a string value
        # at the line breaks Node prints raw (U+2028, U+2029)
        return "\n".join(x for x in (ln.rstrip("\r") for ln in text.split("\n")) if x.strip())

    def _entry_values(self, i: int, output: bool = True) -> tuple[str, str, Any, Any, str | None]:
        a = self.store.actions
        text = self._slice(a.start[i], a.end[i])
        if a.format[i] == FORMAT_VERBOSE:
            rec = parse_inspect(text.split(":", 1)[1] if ":" in text else text)
            rec = rec if isinstance(rec, dict) else {}
            flow = rec.get("flow")
            return text, "", rec.get("input", UNDEFINED), rec.get("output", UNDEFINED), flow
        body = text.split(" ", 1)[1] if " " in text else ""
        inp, out = split_trace(body)
        return text, out, parse_inspect(inp), parse_inspect(out) if out and output else UNDEFINED, None

    def entry_text(self, i: int, reveal: bool | None = None) -> str:
        """The i-th action's log text (timestamps stripped), masked unless revealed."""
        self._backing.check()
        a = self.store.actions
        return mask_inline(self._slice(a.start[i], a.end[i]), reveal)

    def action_input(self, i: int) -> Any:
        """The parsed input of action ``i`` (unmasked; ``None`` for -1)."""
        self._backing.check()
        return self._input(i)

    def _input(self, i: int) -> Any:
        if i < 0:
            return None
        v = self._entry_values(i, output=False)[2]
        return None if v is UNDEFINED else v

    def classify(self, e: ErrorRow) -> tuple[str, str | None]:
        """The failure mode of error ``e`` and the variable it names, in the light of its request."""
        return classify_in_request(e, self.store.requests[e.req] if e.req is not None else None)

    # -- tables ----------------------------------------------------------------------------

    @property
    def n_actions(self) -> int:
        return len(self.store.actions)

    @property
    def actions(self) -> pd.DataFrame:
        return self.actions_frame()

    def actions_frame(self, reveal: bool | None = None, request: str | None = None,
                      limit: int | None = None) -> pd.DataFrame:
        """One row per completed action (TRACE entry or VERBOSE ``Synchronizing action``).

        Columns: request, path, order (position in its request), seq (global), line, time (when it was
        logged, if the log has timestamps), concept, action (the method name), input, output (masked),
        outcome (ok / error / undefined / array), error (the output's ``error``), flow (VERBOSE only),
        attributed_by (how the request was found: id / value / order / flow).
        Values are parsed here, lazily: pass ``request=`` or ``limit=`` for a quick look at a big log.
        """
        reveal = secrets_revealed() if reveal is None else reveal
        self._backing.check()  # once per table: the file may have changed since it was read
        rows = []
        times = []
        for i in range(len(self.store.actions)):
            rid = self.store.request_id(self.store.actions.request[i])
            if request is not None and rid != request:
                continue
            if limit is not None and len(rows) >= limit:
                break
            times.append(self._ts_text(self.store.actions.start[i]))
            rows.append(self._action_row(i, rid, reveal))
        df = pd.DataFrame(rows, columns=_ACTION_COLUMNS)
        if len(df):
            df["order"] = df.groupby(df["request"].fillna("").astype(str)).cumcount()
        if self.store.timestamps and len(df):
            df["time"] = pd.to_datetime(pd.Series(times, dtype=object).str.replace(",", ".", regex=False),
                                        errors="coerce", utc=True, format="ISO8601")
        return df

    def _action_row(self, i: int, rid: str | None, reveal: bool) -> dict[str, Any]:
        a = self.store.actions
        rix = a.request[i]
        _text, _out, inp, out, flow = self._entry_values(i)
        concept, action = self.store.names[a.name[i]].split(".", 1)
        err = out.get("error") if isinstance(out, dict) and "error" in out else None
        return {
            "request": rid, "path": self.store.requests[rix].path if rix >= 0 else None, "order": 0,
            "seq": i, "line": a.line[i], "time": None,
            "concept": concept, "action": action,
            "input": _display(inp, reveal), "output": _display(out, reveal),
            "outcome": KIND_NAMES[a.kind[i]],
            "error": None if err is None else mask_inline(str(err), reveal),
            "flow": flow, "attributed_by": ATTR_NAMES[a.attribution[i]],
        }

    def _ts_text(self, start: int) -> str | None:
        if not self.store.timestamps:
            return None
        m = TIMESTAMP.match(self._raw(start, start + 40))
        return m.group(1).decode() if m else None

    @property
    def requests(self) -> pd.DataFrame:
        return self.requests_frame()

    def requests_frame(self, reveal: bool | None = None) -> pd.DataFrame:
        """One row per request: request, path, input_keys, outcome (responded / error 500 / timed out /
        responded twice / no response), status (HTTP: 200 / 500 / 504), message (the server's error
        line), responses (how many ``respond`` calls), has_response, response (the first, which the
        client got; masked), error (its ``error``), input (masked), actions, line, end_line, time,
        end_time, duration_ms. Names follow the kit's ``requests_table`` where they mean the same."""
        reveal = secrets_revealed() if reveal is None else reveal
        self._backing.check()
        rows = []
        for r in self.store.requests:
            outcome, status = r.outcome()
            inp = self._input(r.input_ix)
            resp = self._input(r.first_ix)
            if isinstance(resp, dict):
                resp = {k: v for k, v in resp.items() if k != "request"}
            rows.append({
                "request": r.rid, "path": r.path,
                "input_keys": ", ".join(str(k) for k in inp if k != "path") if isinstance(inp, dict) else None,
                "outcome": outcome, "status": status,
                "message": mask_inline(r.error, reveal) if r.error else None,
                "responses": r.responses, "has_response": r.responses > 0, "response": _display(resp, reveal),
                "error": mask_inline(str(resp["error"]), reveal) if isinstance(resp, dict) and "error" in resp
                else None,
                "input": _display(inp, reveal), "actions": r.n_actions,
                "line": r.line, "end_line": r.end_line, "time": _dec(r.ts), "end_time": _dec(r.end_ts),
                "duration_ms": None,
            })
        df = pd.DataFrame(rows, columns=_REQUEST_COLUMNS)
        if self.store.timestamps and len(df):  # one vectorised conversion, not a Timestamp per row
            for c in ("time", "end_time"):
                df[c] = pd.to_datetime(df[c].astype(object).str.replace(",", ".", regex=False), errors="coerce",
                                       utc=True, format="ISO8601")
            df["duration_ms"] = (df["end_time"] - df["time"]).dt.total_seconds() * 1000
        return df

    @property
    def errors(self) -> pd.DataFrame:
        return self.errors_frame()

    def errors_frame(self, reveal: bool | None = None) -> pd.DataFrame:
        """One row per error line: line, time, request, path, kind, code, variable, message,
        sync and sync_file (from a stack trace, for startup crashes)."""
        rows = []
        for e in self.store.errors:
            code, var = self.classify(e)
            sync, sfile = sync_of_stack(e.stack)
            r = self.store.requests[e.req] if e.req is not None else None
            rows.append({
                "line": e.line, "time": _to_ts(_dec(e.ts)), "request": r.rid if r else None,
                "path": r.path if r else None, "kind": e.kind, "code": code, "variable": var,
                "message": mask_inline(e.message, reveal), "sync": sync, "sync_file": sfile,
            })
        return pd.DataFrame(rows, columns=_ERROR_COLUMNS)

    @property
    def unknown_lines(self) -> dict[str, Any]:
        """Lines the reader did not recognise: ``{"count": n, "sample": [(line, text), …]}`` (masked)."""
        return {"count": self.store.unknown_count,
                "sample": [(n, mask_inline(t)) for n, t in self.store.unknown_sample]}

    def unknown_frame(self, limit: int | None = None, reveal: bool | None = None) -> pd.DataFrame:
        """Every unrecognised line (line, text), re-read from the source; masked unless revealed."""
        s = self.store
        self._backing.check()
        n = len(s.unknown_line) if limit is None else min(limit, len(s.unknown_line))
        rows = [{"line": s.unknown_line[i], "text": mask_inline(self._slice(s.unknown_start[i], s.unknown_end[i]),
                                                                reveal)}
                for i in range(n) if s.unknown_start[i] >= 0]
        return pd.DataFrame(rows, columns=["line", "text"])

    @property
    def sessions(self) -> pd.DataFrame:
        """The seed's ``[Sessioning.create]`` lines: line, event (attempt / created / error), request,
        user, session (masked unless revealed)."""
        reveal = secrets_revealed()
        s = self.store
        self._backing.check()
        rows = []
        for i in range(len(s.session_line)):
            user, sess = _session_ids(self._slice(s.session_start[i], s.session_end[i]).encode())
            rows.append({"line": s.session_line[i], "event": SESSION_EVENTS[s.session_kind[i]],
                         "request": s.request_id(s.session_request[i]), "user": user,
                         "session": sess if reveal or sess is None else mask_id(sess, False)})
        return pd.DataFrame(rows, columns=["line", "event", "request", "user", "session"])

    @property
    def sync_activity(self) -> pd.DataFrame:
        """VERBOSE only: Matched / After processing / THEN events with sync, flow and frame counts."""
        cols = ["line", "event", "sync", "flow", "frames", "request"]
        rows = [{"line": ln, "event": ev, "sync": s, "flow": fl, "frames": n,
                 "request": self.store.request_id(rix if rix is not None else -1)}
                for ln, ev, s, fl, n, rix in self.store.sync_events]
        return pd.DataFrame(rows, columns=cols)

    def summary(self) -> dict[str, Any]:
        """Counts and detected settings, for a header above the tables."""
        s = self.store
        outcomes: dict[str, int] = {}
        for r in s.requests:
            o = r.outcome()[0]
            outcomes[o] = outcomes.get(o, 0) + 1
        return {
            "source": self.source, "lines": s.lines, "bytes": s.bytes,
            "engine_version": s.engine_version, "log_level": s.log_level,
            "patched_engine": s.patched_engine, "timestamps": s.timestamps,
            "startups": s.startups, "timeout_ms": s.timeout_ms,
            "actions": self.n_actions, "requests": len(s.requests), "outcomes": outcomes,
            "errors": len(s.errors), "unknown_lines": s.unknown_count, "app_lines": s.app_lines,
            "truncated_entries": s.truncated_entries,
        }

    def __repr__(self) -> str:
        s = self.summary()
        return (f"<ServerLog {s['source']}: {s['lines']} lines, {s['actions']} actions, "
                f"{s['requests']} requests, {s['errors']} errors, {s['unknown_lines']} unknown lines>")

    # -- findings --------------------------------------------------------------------------

    def findings(self) -> list[Finding]:
        """Every problem the log shows, one finding per distinct cause (counts in the text)."""
        self._backing.check()
        return build_log_findings(self)

    def timeline(self, title: str = "requests") -> Diagram:
        """The requests over time as a Gantt chart (latency, status, which timed out); Mermaid in
        JupyterLab, text elsewhere."""
        return request_timeline(self.requests, title=title)

    def findings_frame(self) -> pd.DataFrame:
        return findings_frame(self.findings())


def _session_ids(text: bytes) -> tuple[str | None, str | None]:
    """(user, session) named by a `[Sessioning.create]` line."""
    if (m := SESSION_TRY.match(text)):
        return m.group(1).decode(), m.group(2).decode()
    if (m := SESSION_OK.match(text)):
        return None, m.group(1).decode()
    if (m := SESSION_FAILED.match(text)):
        return m.group(1).decode(), None
    return None, None


def _display(value: Any, reveal: bool) -> Any:
    """A parsed input/output value as a table shows it: masked unless revealed."""
    if value is UNDEFINED:
        return None
    return value if reveal else mask_parsed(value)


def _dec(b: bytes | None) -> str | None:
    return None if b is None else b.decode("ascii", "replace")


def _to_ts(text: str | None) -> pd.Timestamp | None:
    if not text:
        return None
    try:
        return pd.Timestamp(text.replace(",", "."))
    except (ValueError, TypeError):
        return None
