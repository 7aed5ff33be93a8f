"""The flow stepper: step through a recorded run in Jupyter (ipywidgets 8), Redux-DevTools style.

A list of steps (every action of a run, plus each request's answer), first/back/next/last buttons,
and for the current step the action with its input and output, the sync that caused it, that
sync's frames (bound and unbound variables) and the before/after diff of every document the action
wrote. It reads only the record (:mod:`sessioning.record`), so it shows a live run or an exported
one alike, whichever engine recorded it.

It works headless: ``button.click()`` and setting ``.value`` in code do exactly what a click in
JupyterLab does. It never prints into an ``Output`` widget; call ``.text()`` and print it to get
the narration in normal cell output. Its ``repr`` is short and stable. Secrets are masked.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w

from sessioning.diagrams import Diagram, flow_diagram
from sessioning.masking import mask_value
from sessioning.record import Run, plain
from sessioning.record.show import MONO, PANE, TABLE, TD, flat, short

#: A live engine (anything with ``syncs`` and ``request``), or ``None`` for a recorded run.
LiveEngine = Any


# -- reading a run ----------------------------------------------------------------------------------
def _run_of(source: Any) -> tuple[Run, LiveEngine | None]:
    """A run (and its engine, if live) from an App, an Engine, a Run, or a recorded trace file/JSON."""
    try:
        run, engine, _db = Run.source(source)
    except TypeError:
        raise TypeError("FlowStepper takes an App, an Engine, a Run, or the path/JSON of a recorded run") from None
    return run, engine


def _sync_vars(ev: Any, engine: LiveEngine | None) -> list[str]:
    """The variables of the sync an evaluation belongs to (hidden flow/action_i left out)."""
    if engine is not None and ev.sync in engine.syncs:
        return list(engine.syncs[ev.sync].vars)
    names: list[str] = []
    for pat in ev.when or []:
        for side in (pat.get("input") or {}, pat.get("output") or {}):
            for v in side.values():
                if isinstance(v, str) and v.startswith("Symbol(") and v[7:-1] not in names:
                    names.append(v[7:-1])
    for frame in (ev.frames_where or []) + (ev.frames_when or []):
        for k in frame:
            if k != "flow" and not k.startswith("action_") and k not in names:
                names.append(k)
    return names


def _frames_rows(ev: Any, engine: LiveEngine | None) -> list[list[tuple[str, Any, bool]]]:
    """Per frame: (variable, value, bound?) for every variable of the sync."""
    frames = ev.frames_where if ev.frames_where is not None else ev.frames_when
    names = _sync_vars(ev, engine)
    out = []
    for frame in (frames or [])[:3]:
        out.append([(n, mask_value(n, frame[n]) if n in frame else None, n in frame) for n in names])
    return out


def _diff_rows(writes: list[dict]) -> list[tuple[str, str, Any, str, Any, Any]]:
    """(op, collection, _id, field, before, after) for each changed field of each write."""
    rows = []
    for wr in writes or []:
        before, after, count = wr.get("before") or {}, wr.get("after") or {}, len(rows)
        for key in dict.fromkeys([*before, *after]):
            b, a = before.get(key, "—"), after.get(key, "—")
            if key != "_id" and b != a:
                rows.append((wr.get("op"), wr.get("collection"), mask_value("_id", wr.get("_id")), key,
                             mask_value(key, plain(b)) if b != "—" else b, mask_value(key, plain(a)) if a != "—" else a))
        if len(rows) == count:
            rows.append((wr.get("op"), wr.get("collection"), mask_value("_id", wr.get("_id")), "(no field changed)", "", ""))
    return rows


def _steps(run: Run, engine: LiveEngine | None, flow: Any, max_flows: int | None = None) -> list[dict[str, Any]]:
    """Every action of the chosen flows in order, each flow closed by its answer (if it was a request)."""
    flow_id = getattr(flow, "flow", flow)
    logs = list(run.flows.values())
    if flow_id == "last":
        logs = logs[-1:]
    elif flow_id is not None:
        logs = [log for log in logs if log.flow == flow_id]
    if max_flows:
        logs = logs[-max_flows:]
    steps: list[dict[str, Any]] = []
    for number, log in enumerate(logs, 1):
        by_trigger: dict[str, list] = {}
        for ev in log.evaluations:
            by_trigger.setdefault(ev.trigger, []).append(ev)
        for a in log.actions:
            cause = next((ev for ev in by_trigger.get(a.trigger, []) if ev.sync == a.sync), None)
            steps.append({"kind": "action", "flow_no": number, "label": a.label, "log": log,
                          "action": a, "cause": cause, "tried": by_trigger.get(a.id, [])})
        if log.response:
            failing = [ev for ev in log.evaluations if ev.error]
            culprit = max(failing, key=lambda ev: ev.seq) if failing else None
            status = log.response.get("status")
            steps.append({"kind": "answer", "flow_no": number, "label": f"answer {status}", "log": log,
                          "cause": culprit, "tried": [ev for ev in log.evaluations if not ev.fired]})
    return steps


def _list_label(step: dict[str, Any]) -> str:
    """The step list's entry: a request names its path and the status it got, so requests differ."""
    if step["kind"] == "action" and step["action"].is_request and not step["action"].depth:
        log = step["log"]
        status = (log.response or {}).get("status")
        return f"{step['label']} {log.path or ''}" + (f" → {status}" if status is not None else "")
    return step["label"]


def _indent(step: dict[str, Any]) -> str:
    """Nesting shown in the step list: an action called by a sync sits under the action that caused it."""
    if step["kind"] == "answer":
        return "⇒ "
    depth = step["action"].depth
    return "\u00a0\u00a0" * (depth - 1) + "↳ " if depth else ""


def _tried_texts(evs: list, answer: bool = False) -> list[str]:
    """One line per sync tried; syncs for other request paths are counted, not listed."""
    out, other_paths, seen = [], 0, set()
    for ev in evs:
        failure = ev.first_failure()
        near_miss = "(" in (failure or {}).get("text", "")  # case, trailing slash, /api prefix
        if failure and failure.get("key") == "path" and failure.get("reason") == "literal_mismatch" and not near_miss:
            other_paths += 1
            continue
        if answer and failure and failure.get("reason") == "synced":
            continue
        text = _tried_text(ev)
        if text not in seen:
            seen.add(text)
            out.append(text)
    if other_paths:
        out.append(f"· {other_paths} sync{'s' if other_paths > 1 else ''} for other paths did not match")
    return out


def _tried_text(ev: Any) -> str:
    if ev.error:
        return f"✗ {ev.sync}: threw {ev.error.splitlines()[0]}"
    if ev.fired:
        return f"✓ {ev.sync} fired ({ev.fired} frame{'s' if ev.fired > 1 else ''})"
    if ev.matched and ev.frames_where == []:
        empty = next((s for s in ev.where or [] if s.get("frames_out") == 0), None)
        return f"· {ev.sync}: `when` matched, `where` emptied the frames" + (f" at {empty['name']}" if empty else "")
    failure = ev.first_failure()
    return f"· {ev.sync}: did not match — {failure['text'] if failure else 'no frames'}"


def _diff_value(value: Any) -> str:
    return value if value == "—" else short(value, 40)  # the "no such field" marker is not a value


# -- the stepper ------------------------------------------------------------------------------------
class FlowStepper(w.VBox):
    """Step through a run: ``FlowStepper(app)`` (live), ``FlowStepper(run)``, ``FlowStepper("trace.json")``.

    ``flow``: ``None`` for every flow of the run, ``"last"`` for the latest one, or a flow id / a
    :class:`Response`; ``max_flows`` keeps the list short on long runs (the latest flows). Move with the buttons (``next_button.click()``), with ``go(i)``, or by setting
    ``steps_list.value = i``. ``current`` is the current step, ``text()`` describes it.
    """

    def __init__(self, source: Any, flow: Any = None, max_flows: int | None = 100) -> None:
        self.run, self.engine = _run_of(source)
        self.flow = flow
        self.max_flows = max_flows
        self.steps: list[dict[str, Any]] = []
        self.first_button = w.Button(description="First", icon="fast-backward", tooltip="first step")
        self.back_button = w.Button(description="Back", icon="step-backward", tooltip="previous step")
        self.next_button = w.Button(description="Next", icon="step-forward", tooltip="next step")
        self.last_button = w.Button(description="Last", icon="fast-forward", tooltip="last step")
        for b in (self.first_button, self.back_button, self.next_button, self.last_button):
            b.layout = w.Layout(width="auto")
        self.label = w.Label(layout=w.Layout(margin="0 0 0 12px"))
        self.label.add_class("sessioning-step-label")
        self.steps_list = w.Select(options=[], rows=16, layout=w.Layout(width="300px", height="100%"))
        self.action_pane = w.HTML()
        self.frames_pane = w.HTML()
        self.diff_pane = w.HTML()
        # The current step's flow as a sequence diagram, the step shaded (Mermaid, drawn by JupyterLab).
        self.diagram_pane = w.Output(layout=w.Layout(margin="8px 0 0 0"))
        self.diagram_pane.add_class("sessioning-flow-diagram")
        self.first_button.on_click(lambda _: self.go(0))
        self.back_button.on_click(lambda _: self.go(self.index - 1))
        self.next_button.on_click(lambda _: self.go(self.index + 1))
        self.last_button.on_click(lambda _: self.go(len(self.steps) - 1))
        self.steps_list.observe(lambda _: self._render(), names="value")
        buttons = w.HBox([self.first_button, self.back_button, self.next_button, self.last_button, self.label],
                         layout=w.Layout(align_items="center"))
        detail = w.VBox([self.action_pane, self.frames_pane, self.diff_pane],
                        layout=w.Layout(flex="1", padding="0 0 0 12px", overflow="auto"))
        super().__init__([buttons, w.HBox([self.steps_list, detail]), self.diagram_pane])
        self.add_class("sessioning-flow-stepper")
        self.refresh(to="first")

    # -- navigation --------------------------------------------------------------------------------
    @property
    def index(self) -> int:
        return self.steps_list.value if self.steps_list.value is not None else -1

    @property
    def current(self) -> dict[str, Any] | None:
        return self.steps[self.index] if 0 <= self.index < len(self.steps) else None

    def go(self, index: int) -> None:
        """Jump to step ``index`` (0-based; clamped to the steps there are)."""
        if self.steps:
            self.steps_list.value = max(0, min(int(index), len(self.steps) - 1))

    def request(self, path: str, body: dict | None = None, /, **inputs: Any) -> Any:
        """Send a request through the live engine and move to the first step of its flow."""
        if self.engine is None:
            raise RuntimeError("this stepper shows a recorded run: load an App or Engine to send requests")
        response = self.engine.request(path, body, **inputs)
        self.refresh(to="new")
        return response

    def load(self, source: Any, flow: Any = None) -> None:
        """Show another run (an App, Engine, Run or recorded trace)."""
        self.run, self.engine = _run_of(source)
        self.flow = flow
        self.refresh(to="first")

    def refresh(self, to: str = "keep") -> None:
        """Re-read the run (after more requests). ``to``: ``"keep"``, ``"first"``, ``"last"`` or
        ``"new"`` (the first step of the latest flow)."""
        old = self.index
        self.steps = _steps(self.run, self.engine, self.flow, self.max_flows)
        options = [(f"{i + 1:>2}. {_indent(s)}{_list_label(s)}", i) for i, s in enumerate(self.steps)]
        self.steps_list.options = options  # resets the value, which re-renders
        if not self.steps:
            self.steps_list.value = None
        elif to == "first":
            self.steps_list.value = 0
        elif to == "last":
            self.steps_list.value = len(self.steps) - 1
        elif to == "new":
            last_flow = self.steps[-1]["flow_no"]
            self.steps_list.value = next(i for i, s in enumerate(self.steps) if s["flow_no"] == last_flow)
        else:
            self.steps_list.value = max(0, min(old, len(self.steps) - 1))
        self._render()

    # -- describing the current step ---------------------------------------------------------------
    def step_label(self) -> str:
        step = self.current
        if step is None:
            return "no steps yet: send a request"
        return f"Step {self.index + 1} of {len(self.steps)} · {step['label']}"

    def _facts(self) -> dict[str, Any]:
        """The current step as plain facts, shared by :meth:`text` and the HTML panes."""
        step = self.current
        facts: dict[str, Any] = {"title": self.step_label(), "lines": [], "frames": [], "sync": None,
                                 "diff": [], "tried": []}
        if step is None:
            return facts
        ev = step["cause"]
        ok_answer = step["kind"] == "answer" and step["log"].response.get("status") == 200
        facts["tried"] = [] if ok_answer else _tried_texts(step["tried"], answer=step["kind"] == "answer")
        if step["kind"] == "action":
            a = step["action"]
            facts["lines"].append(f"{step['label']} {flat(a.input)} => "
                                  + (flat(a.output) if a.status != "exception" else "(threw)"))
            if a.status == "exception":
                facts["lines"].append(f"threw {a.error_type}: {str(a.error).splitlines()[0]}")
            if a.sync:
                facts["sync"] = f"caused by sync {a.sync}"
            elif a.called_from:
                facts["sync"] = f"called inside the `where` of {a.called_from} (a new flow)"
            else:
                facts["sync"] = "an outside call: it starts a new flow"
            facts["diff"] = _diff_rows(a.writes)
        else:
            resp = step["log"].response
            facts["lines"].append(f"the client gets {resp['status']} {flat(resp['body'])}")
            if resp.get("message"):
                facts["lines"].append(f"error: {resp['message'].splitlines()[0]}")
            if resp["status"] == 504:
                facts["lines"].append("no sync called Requesting.respond for this request")
            responds = [a for a in step["log"].actions if a.is_respond]
            if len(responds) > 1:
                facts["lines"].append(f"Requesting.respond ran {len(responds)} times: the client got the first, "
                                      "the database kept the last")
            if ev is not None:
                facts["sync"] = f"thrown in sync {ev.sync}"
        if ev is not None and ev.where:
            facts["where"] = "where: " + " → ".join(
                f"{st.get('step')} {st.get('name')} ({st.get('frames_in')}→{st.get('frames_out')} frames)" for st in ev.where)
        if ev is not None:
            facts["frames"] = _frames_rows(ev, self.engine)
            if facts["frames"] and ev.sync:
                facts["frames_of"] = ev.sync
        return facts

    def text(self) -> str:
        """The current step in words: print it to put the narration in the cell's output."""
        f = self._facts()
        out = [f["title"], *[f"  {line}" for line in f["lines"]]]
        if f["sync"]:
            out.append(f"  {f['sync']}")
        if f.get("where"):
            out.append(f"  {f['where']}")
        for i, rows in enumerate(f["frames"]):
            cells = ", ".join(f"{n}={short(v, 40)}" if bound else f"{n}=(unbound)" for n, v, bound in rows)
            out.append(f"  frame {i + 1} of {f.get('frames_of')}: {cells}")
        for op, coll, _id, key, before, after in f["diff"]:
            out.append(f"  {op} {coll} {_id}: {key}: {_diff_value(before)} -> {_diff_value(after)}")
        if f["tried"]:
            out.append("  syncs tried after it:" if self.current["kind"] == "action" else "  syncs that did not fire:")
            out.extend(f"    {t}" for t in f["tried"])
        return "\n".join(out)

    def diagram(self) -> Diagram | None:
        """The current step's flow as a sequence diagram, with the current step shaded."""
        step = self.current
        if step is None:
            return None
        log = step["log"]
        at = log.actions.index(step["action"]) if step["kind"] == "action" else None
        return flow_diagram(log, highlight=at)

    def _render_diagram(self) -> None:
        picture = self.diagram()
        # Set as widget state, not printed: printing into an Output widget would leak into the cell.
        self.diagram_pane.outputs = () if picture is None else (
            {"output_type": "display_data", "data": picture._repr_mimebundle_(), "metadata": {}},)

    def _render(self) -> None:
        f = self._facts()
        step = self.current
        self._render_diagram()
        self.label.value = f["title"]
        at_start, at_end = self.index <= 0, self.index >= len(self.steps) - 1
        self.first_button.disabled = self.back_button.disabled = at_start
        self.next_button.disabled = self.last_button.disabled = at_end
        e = html.escape
        status = ""
        if step is not None and step["kind"] == "action":
            status = {"ok": "#2e7d32", "error": "#ef6c00"}.get(step["action"].status, "#c62828")
        elif step is not None:
            status = "#2e7d32" if step["log"].response["status"] == 200 else "#c62828"
        lines = "".join(f"<div style='{MONO} white-space: pre-wrap'>{e(line)}</div>" for line in f["lines"])
        sync = f"<div style='color: #555; margin-top: 4px'>{e(f['sync'])}</div>" if f["sync"] else ""
        self.action_pane.value = (f"<div style='{PANE} border-left: 4px solid {status or '#999'}; padding-left: 8px'>"
                                  f"<b>{'Answer' if step and step['kind'] == 'answer' else 'Action'}</b>{lines}{sync}</div>")
        frames = ""
        for i, rows in enumerate(f["frames"]):
            cells = "".join(
                f"<tr><td style='{TD}'><code>{e(n)}</code></td><td style='{TD} {MONO}'>{e(short(v, 60))}</td></tr>"
                if bound else
                f"<tr style='background: #fde8e8'><td style='{TD}'><code>{e(n)}</code></td>"
                f"<td style='{TD} color: #c62828'><i>unbound</i></td></tr>"
                for n, v, bound in rows)
            frames += f"<div style='color: #555'>frame {i + 1}</div><table style='{TABLE}'>{cells}</table>"
        if f["frames"]:
            where = f"<div style='{MONO} color: #555'>{e(f['where'])}</div>" if f.get("where") else ""
            frames = f"<b>Frames of {e(f.get('frames_of') or '')}</b>{where}{frames}"
        tried = "".join(f"<li style='{MONO} list-style: none'>{e(t)}</li>" for t in f["tried"])
        if tried:
            frames += f"<b>Syncs tried</b><ul style='margin: 2px 0; padding-left: 18px'>{tried}</ul>"
        self.frames_pane.value = f"<div style='{PANE}'>{frames}</div>"
        if f["diff"]:
            rows = "".join(f"<tr><td style='{TD}'>{e(op)}</td><td style='{TD}'>{e(coll)}</td>"
                           f"<td style='{TD} {MONO}'>{e(str(_id))}</td><td style='{TD}'><code>{e(key)}</code></td>"
                           f"<td style='{TD} {MONO} color: #c62828'>{e(short(b, 50))}</td>"
                           f"<td style='{TD} {MONO} color: #2e7d32'>{e(short(a, 50))}</td></tr>"
                           for op, coll, _id, key, b, a in f["diff"])
            head = "".join(f"<th style='{TD} text-align: left'>{h}</th>" for h in ("op", "collection", "_id", "field", "before", "after"))
            self.diff_pane.value = (f"<div style='{PANE}'><b>Database diff</b><table style='{TABLE}'><tr>{head}</tr>"
                                    f"{rows}</table></div>")
        else:
            self.diff_pane.value = f"<div style='{PANE}'><b>Database diff</b><div style='color: #555'>no writes in this step</div></div>"

    def __repr__(self) -> str:
        step = self.current
        return f"FlowStepper(step {self.index + 1}/{len(self.steps)}: {step['label']})" if step else "FlowStepper(no steps)"


__all__ = ["FlowStepper"]
