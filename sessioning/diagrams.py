"""Pictures of flows and requests, drawn by Mermaid, with a plain-text twin.

Everyone who explains concept design draws a flow as a sequence diagram: a lifeline per concept,
an arrow per action with its input and output, the sync that caused it, and the point where the
flow failed or stopped. :func:`flow_diagram` draws that for one recorded flow; :func:`request_timeline`
draws a server log's requests over time (latency, status, which timed out).

A :class:`Diagram` shows itself as ``text/vnd.mermaid`` (JupyterLab 4 renders it as a picture) and
as plain text (terminals, nbval, anything without Mermaid). ``diagram.markdown()`` gives a
```` ```mermaid ```` block for Markdown files (JupyterLab, GitHub and most viewers draw those too).
Values are masked as everywhere else in the kit (passwords, session ids) unless revealed.

This module reads the shared record model (``sessioning.record``) and pandas tables; it knows no
engine.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from sessioning.masking import mask_id, mask_secrets, mask_text, secrets_revealed

__all__ = ["Diagram", "flow_diagram", "request_timeline"]

CLIENT, SYNCS = "Client", "Syncs"
MAX_VALUE_CHARS = 60
HIGHLIGHT = "rgba(255, 221, 87, 0.35)"
FAILED = ("error", "exception")


class Diagram:
    """A Mermaid diagram with a plain-text twin; displays as a picture in JupyterLab."""

    def __init__(self, mermaid: str, text: str, title: str = "") -> None:
        self.mermaid = mermaid
        self.text = text
        self.title = title

    def __repr__(self) -> str:
        return self.text

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/vnd.mermaid": self.mermaid, "text/plain": self.text}

    def markdown(self) -> str:
        """The diagram as a fenced ```` ```mermaid ```` block, with its title as a heading."""
        head = f"### {self.title}\n\n" if self.title else ""
        return f"{head}```mermaid\n{self.mermaid}\n```\n"


# -- a flow as a sequence diagram ---------------------------------------------------------------------
def flow_diagram(flow: Any, *, highlight: int | None = None, reveal: bool | None = None) -> Diagram:
    """One recorded flow (a ``FlowLog``) as a sequence diagram.

    Each action is an arrow from whoever caused it (the client for the request that started the
    flow, the sync engine for everything a sync's ``then`` or ``where`` called) to its concept,
    labelled with the sync and the input; the answer comes back as a dashed arrow with the output,
    or a crossed one where the action failed. ``highlight`` (a 0-based action index, as the stepper
    counts) shades that step. A flow that ends without an answer says so at the end.
    """
    reveal = secrets_revealed() if reveal is None else reveal
    actions = list(getattr(flow, "actions", None) or ())
    path = getattr(flow, "path", None)
    title = f"flow {mask_id(getattr(flow, 'flow', '') or '', reveal=False)}" + (f" · {path}" if path else "")
    concepts = _participants(actions)
    lines = ["sequenceDiagram"]
    lines += [f"    participant {CLIENT}"] if any(a.depth == 0 for a in actions) else []
    lines += [f"    participant {SYNCS} as sync engine"] if any(a.depth for a in actions) else []
    lines += [f"    participant {_ident(c)} as {c}" for c in concepts]
    text = [title]
    for i, a in enumerate(actions):
        step = _action_lines(i, a, reveal)
        if i == highlight:
            step = [f"    rect {HIGHLIGHT}", *("  " + s for s in step), "    end"]
        lines += step
        text.append(_action_text(i, a, reveal, marked=i == highlight))
    ending = _ending(flow, actions)
    if ending:
        lines.append(f"    Note over {CLIENT},{_ident(concepts[0]) if concepts else CLIENT}: {_esc(ending)}")
        text.append(f"   ⇒ {ending}")
    if not actions:
        lines.append(f"    Note over {CLIENT}: no action recorded in this flow")
        text.append("   (no action recorded in this flow)")
    return Diagram("\n".join(lines), "\n".join(text), title)


def _participants(actions: list) -> list[str]:
    seen: dict[str, None] = {}
    for a in actions:
        seen.setdefault(a.concept, None)
    return list(seen)


def _action_lines(i: int, a: Any, reveal: bool) -> list[str]:
    caller = CLIENT if a.depth == 0 else SYNCS
    target = _ident(a.concept)
    via = f"[{a.sync}] " if a.sync else ("[where] " if a.called_from else "")
    out = [f"    {caller}->>+{target}: {_esc(f'{i + 1}. {via}{a.action} {_value(a.input, reveal)}')}"]
    if a.status in FAILED:
        out.append(f"    {target}--x-{caller}: {_esc(_failure(a, reveal))}")
        out.append(f"    Note right of {target}: {_esc('stopped here: ' + a.status)}")
    elif a.status == "running":
        out.append(f"    {target}--x-{caller}: no answer recorded")
    else:
        out.append(f"    {target}-->>-{caller}: {_esc(_value(a.output, reveal))}")
    return out


def _action_text(i: int, a: Any, reveal: bool, marked: bool) -> str:
    arrow = "▶" if marked else " "
    indent = "  " * min(a.depth, 8)
    via = f"  [{a.sync}]" if a.sync else ""
    result = _failure(a, reveal) if a.status in FAILED else _value(a.output, reveal)
    return f"{arrow}{i + 1:>3}. {indent}{a.concept}.{a.action} {_value(a.input, reveal)} ⇒ {result}{via}"


def _failure(a: Any, reveal: bool) -> str:
    if a.status == "exception":
        return f"threw {a.error_type or 'an exception'}: {_clip(_masked_text(a.error, reveal))}"
    return f"error: {_value(a.output, reveal)}"


def _ending(flow: Any, actions: list) -> str:
    response = getattr(flow, "response", None)
    if isinstance(response, dict) and response.get("status") is not None:
        error = response.get("message") or response.get("error")
        sync = (response.get("facts") or {}).get("sync") if isinstance(response.get("facts"), dict) else None
        where = f" (thrown in sync {sync})" if sync else ""
        return f"answered {response['status']}" + (f": {_clip(mask_text(str(error)))}{where}" if error else "")
    if actions and actions[0].is_request and not any(a.is_respond for a in actions):
        return "no Requesting.respond: the request waits until it times out"
    return ""


# -- a log's requests as a timeline -------------------------------------------------------------------
def request_timeline(requests: Any, *, title: str = "requests") -> Diagram:
    """A server log's requests table (``read_log(...).requests``) as a Mermaid Gantt chart.

    With timestamps (e.g. Render logs) bars sit at their real times and last their real latency;
    without them, requests are laid out one after another in log order, and a bar's length is its
    latency where the log tells it (a timeout says how long it waited). Red bars failed (5xx or
    timed out).
    """
    rows = list(_request_rows(requests))
    timed = any(r["start_ms"] is not None for r in rows)
    lines = ["gantt", f"    title {_esc(title)}", "    dateFormat x",
             "    axisFormat %H:%M:%S" if timed else "    axisFormat %S.%L s",
             f"    section {'time' if timed else 'log order (no timestamps)'}"]
    text = [f"{title} ({'by time' if timed else 'in log order; this log has no timestamps'}):"]
    clock = 0.0
    for n, r in enumerate(rows, 1):
        start = r["start_ms"] if timed and r["start_ms"] is not None else clock
        length = max(r["latency_ms"] if r["latency_ms"] is not None else 50.0, 1.0)
        clock = start + length + 10
        tag = "crit, " if r["failed"] else ("done, " if r["answered"] else "active, ")
        label = f"{r['path']} {r['status']}"
        lines.append(f"    {_esc(label)} : {tag}r{n}, {int(start)}, {int(start + length)}")
        latency = f"{r['latency_ms']:.0f} ms" if r["latency_ms"] is not None else "latency not in the log"
        text.append(f"  {n:>3}. {r['path']:<28} {r['status']:<10} {latency}{'  ✗' if r['failed'] else ''}")
    if not rows:
        text.append("  (no requests)")
    return Diagram("\n".join(lines), "\n".join(text), title)


def _request_rows(requests: Any) -> Iterable[dict[str, Any]]:
    frame = requests if hasattr(requests, "to_dict") else None
    records = frame.to_dict("records") if frame is not None else list(requests or ())
    for r in records:
        status = _num(r.get("status"))
        outcome = str(r.get("outcome") or "")
        latency = _num(r.get("duration_ms"))
        if latency is None and "timed out" in outcome:
            latency = _timeout_ms(str(r.get("message") or ""))
        start = r.get("time")
        start_ms = start.timestamp() * 1000 if hasattr(start, "timestamp") and not _missing(start) else None
        yield {"path": str(r.get("path") or "?"), "status": str(int(status)) if status is not None else outcome or "?",
               "latency_ms": latency, "start_ms": start_ms, "answered": bool(r.get("has_response")),
               "failed": (status is not None and status >= 500) or "timed out" in outcome}


def _timeout_ms(message: str) -> float | None:
    tail = message.rsplit("after ", 1)[-1]
    digits = tail.removesuffix("ms").strip()
    return float(digits) if digits.isdigit() else None


def _num(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _missing(value: Any) -> bool:
    try:
        return bool(value != value)  # NaT and NaN are not equal to themselves
    except (TypeError, ValueError):
        return False


# -- text helpers -------------------------------------------------------------------------------------
def _value(value: Any, reveal: bool) -> str:
    return _clip(_js(value if reveal else mask_secrets(value)))


def _js(value: Any, depth: int = 0) -> str:
    """A compact JavaScript-like rendering ({ user: '…' }), as the TRACE lines print values."""
    if depth > 6:
        return "…"
    to_plain = getattr(type(value), "__plain__", None)
    if to_plain is not None:  # the engine's variables (Symbol(x)) and undefined know their form
        value = to_plain(value)
    if value is None:
        return "undefined"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k}: {_js(v, depth + 1)}" for k, v in value.items()) + " }" if value else "{}"
    if isinstance(value, (list, tuple)):
        return "[ " + ", ".join(_js(v, depth + 1) for v in value) + " ]" if value else "[]"
    if isinstance(value, str):
        return f"'{value}'"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _masked_text(text: Any, reveal: bool) -> str:
    return str(text or "") if reveal else mask_text(str(text or ""))


def _clip(text: str) -> str:
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _ident(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name) or "_"


# Mermaid reads ';' as a statement end and '#…;' as an entity, so both are written as entities.
_ESCAPES = {"#": "#35;", ";": "#59;", "<": "#lt;", ">": "#gt;", "\n": " ", "\r": " "}


def _esc(text: str) -> str:
    return "".join(_ESCAPES.get(ch, ch) for ch in text)
