"""Widgets for stepping through concept flows in Jupyter (ipywidgets 8).

* :class:`FlowStepper` — Redux-DevTools-style: a list of steps (every action of a run, plus each
  request's answer), first/back/next/last buttons, and for the current step the action with its
  input and output, the sync that caused it, that sync's frames (bound and unbound variables) and
  the before/after diff of every document the action wrote.
* :class:`LoginPanel` — username/password fields and Register / Log in / Me / Log out buttons that
  send requests through the engine; each click adds to the trace and refreshes the sessions table.
* :class:`SyncPicker` — switch between the correct auth syncs and the classic broken ones, and run
  the same requests against each to see them succeed or fail, and why.

All three work headless: ``button.click()`` and setting ``.value`` in code do exactly what a click
in JupyterLab does. They never print into an ``Output`` widget; call ``.text()`` and print it to get
the narration in normal cell output. Their ``repr`` is short and stable (no ids, no times).
Secrets (passwords, session ids) are masked as everywhere in the kit.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w
import pandas as pd

from sessioning.db.embedded import all_documents
from sessioning.gen2025.app import App, make_app
from sessioning.gen2025.auth_syncs import VARIANTS
from sessioning.gen2025.engine import Engine
from sessioning.gen2025.server import Response

from . import console
from .masking import mask_id, mask_secrets, mask_value
from .record import Run, plain

__all__ = ["FlowStepper", "LoginPanel", "SyncPicker"]

_MONO = "font-family: var(--jp-code-font-family, monospace); font-size: 12px;"
_PANE = "line-height: 1.45; font-size: 13px; margin-bottom: 8px;"
_TABLE = "border-collapse: collapse; margin: 2px 0 6px 0;"
_TD = "padding: 1px 10px 1px 0; vertical-align: top;"


# -- reading a run ----------------------------------------------------------------------------------
def _run_of(source: Any) -> tuple[Run, Engine | None]:
    """A run (and its engine, if live) from an App, an Engine, a Run, or a recorded trace file/JSON."""
    try:
        run, engine, _db = Run.source(source)
    except TypeError:
        raise TypeError("FlowStepper takes an App, an Engine, a Run, or the path/JSON of a recorded run") from None
    return run, engine


def _short(value: Any, limit: int = 90) -> str:
    text = repr(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _flat(d: Any) -> str:
    """``{k: v}`` as ``k: v, …`` with secrets masked."""
    if not isinstance(d, dict):
        return "undefined" if d is None else _short(mask_secrets(d))
    if not d:
        return "{}"
    return "{ " + ", ".join(f"{k}: {_short(mask_value(k, v), 60)}" for k, v in d.items()) + " }"


def _sync_vars(ev: Any, engine: Engine | None) -> list[str]:
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


def _frames_rows(ev: Any, engine: Engine | None) -> list[list[tuple[str, Any, bool]]]:
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


def _steps(run: Run, engine: Engine | None, flow: Any, max_flows: int | None = None) -> list[dict[str, Any]]:
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
            steps.append({"kind": "action", "flow_no": number, "label": a.label,
                          "action": a, "cause": cause, "tried": by_trigger.get(a.id, [])})
        if log.response:
            failing = [ev for ev in log.evaluations if ev.error]
            culprit = max(failing, key=lambda ev: ev.seq) if failing else None
            status = log.response.get("status")
            steps.append({"kind": "answer", "flow_no": number, "label": f"answer {status}", "log": log,
                          "cause": culprit, "tried": [ev for ev in log.evaluations if not ev.fired]})
    return steps


def _html_table(df: pd.DataFrame) -> str:
    """A DataFrame as a compact HTML table (the widget's HTML does not get JupyterLab's table styles)."""
    e = html.escape
    head = "".join(f"<th style='{_TD} text-align: left; border-bottom: 1px solid #ccc'>{e(str(c))}</th>" for c in df.columns)
    body = "".join("<tr>" + "".join(f"<td style='{_TD} {_MONO}'>{e('' if v is None else str(v))}</td>" for v in row) + "</tr>"
                   for row in df.itertuples(index=False))
    return f"<table style='{_TABLE}'><tr>{head}</tr>{body}</table>"


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
        self.first_button.on_click(lambda _: self.go(0))
        self.back_button.on_click(lambda _: self.go(self.index - 1))
        self.next_button.on_click(lambda _: self.go(self.index + 1))
        self.last_button.on_click(lambda _: self.go(len(self.steps) - 1))
        self.steps_list.observe(lambda _: self._render(), names="value")
        buttons = w.HBox([self.first_button, self.back_button, self.next_button, self.last_button, self.label],
                         layout=w.Layout(align_items="center"))
        detail = w.VBox([self.action_pane, self.frames_pane, self.diff_pane],
                        layout=w.Layout(flex="1", padding="0 0 0 12px", overflow="auto"))
        super().__init__([buttons, w.HBox([self.steps_list, detail])])
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

    def request(self, path: str, body: dict | None = None, /, **inputs: Any) -> Response:
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
        options = [(f"{i + 1:>2}. {_indent(s)}{s['label']}", i) for i, s in enumerate(self.steps)]
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
            facts["lines"].append(f"{step['label']} {_flat(a.input)} => "
                                  + (_flat(a.output) if a.status != "exception" else "(threw)"))
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
            facts["lines"].append(f"the client gets {resp['status']} {_flat(resp['body'])}")
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
            cells = ", ".join(f"{n}={_short(v, 40)}" if bound else f"{n}=(unbound)" for n, v, bound in rows)
            out.append(f"  frame {i + 1} of {f.get('frames_of')}: {cells}")
        for op, coll, _id, key, before, after in f["diff"]:
            out.append(f"  {op} {coll} {_id}: {key}: {_short(before, 40)} -> {_short(after, 40)}")
        if f["tried"]:
            out.append("  syncs tried after it:" if self.current["kind"] == "action" else "  syncs that did not fire:")
            out.extend(f"    {t}" for t in f["tried"])
        return "\n".join(out)

    def _render(self) -> None:
        f = self._facts()
        step = self.current
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
        lines = "".join(f"<div style='{_MONO} white-space: pre-wrap'>{e(line)}</div>" for line in f["lines"])
        sync = f"<div style='color: #555; margin-top: 4px'>{e(f['sync'])}</div>" if f["sync"] else ""
        self.action_pane.value = (f"<div style='{_PANE} border-left: 4px solid {status or '#999'}; padding-left: 8px'>"
                                  f"<b>{'Answer' if step and step['kind'] == 'answer' else 'Action'}</b>{lines}{sync}</div>")
        frames = ""
        for i, rows in enumerate(f["frames"]):
            cells = "".join(
                f"<tr><td style='{_TD}'><code>{e(n)}</code></td><td style='{_TD} {_MONO}'>{e(_short(v, 60))}</td></tr>"
                if bound else
                f"<tr style='background: #fde8e8'><td style='{_TD}'><code>{e(n)}</code></td>"
                f"<td style='{_TD} color: #c62828'><i>unbound</i></td></tr>"
                for n, v, bound in rows)
            frames += f"<div style='color: #555'>frame {i + 1}</div><table style='{_TABLE}'>{cells}</table>"
        if f["frames"]:
            where = f"<div style='{_MONO} color: #555'>{e(f['where'])}</div>" if f.get("where") else ""
            frames = f"<b>Frames of {e(f.get('frames_of') or '')}</b>{where}{frames}"
        tried = "".join(f"<li style='{_MONO} list-style: none'>{e(t)}</li>" for t in f["tried"])
        if tried:
            frames += f"<b>Syncs tried</b><ul style='margin: 2px 0; padding-left: 18px'>{tried}</ul>"
        self.frames_pane.value = f"<div style='{_PANE}'>{frames}</div>"
        if f["diff"]:
            rows = "".join(f"<tr><td style='{_TD}'>{e(op)}</td><td style='{_TD}'>{e(coll)}</td>"
                           f"<td style='{_TD} {_MONO}'>{e(str(_id))}</td><td style='{_TD}'><code>{e(key)}</code></td>"
                           f"<td style='{_TD} {_MONO} color: #c62828'>{e(_short(b, 50))}</td>"
                           f"<td style='{_TD} {_MONO} color: #2e7d32'>{e(_short(a, 50))}</td></tr>"
                           for op, coll, _id, key, b, a in f["diff"])
            head = "".join(f"<th style='{_TD} text-align: left'>{h}</th>" for h in ("op", "collection", "_id", "field", "before", "after"))
            self.diff_pane.value = (f"<div style='{_PANE}'><b>Database diff</b><table style='{_TABLE}'><tr>{head}</tr>"
                                    f"{rows}</table></div>")
        else:
            self.diff_pane.value = f"<div style='{_PANE}'><b>Database diff</b><div style='color: #555'>no writes in this step</div></div>"

    def __repr__(self) -> str:
        step = self.current
        return f"FlowStepper(step {self.index + 1}/{len(self.steps)}: {step['label']})" if step else "FlowStepper(no steps)"


# -- the sessions table -----------------------------------------------------------------------------
def _sessions_frame(db: Any) -> pd.DataFrame:
    """``Sessioning.sessions`` with the username each session's user has (or that it has none)."""
    users = {d["_id"]: d.get("username") for d in all_documents(db["UserAuthentication.users"])}
    rows = [{"session": mask_id(d["_id"]), "user": d.get("user"), "username": users.get(d.get("user"), "(no such user)")}
            for d in all_documents(db["Sessioning.sessions"])]
    return pd.DataFrame(rows, columns=["session", "user", "username"])


# -- the login panel --------------------------------------------------------------------------------
class LoginPanel(w.HBox):
    """Register, log in, ask ``/me`` and log out through the engine, with the sessions table beside.

    ``LoginPanel(app, stepper=None)``: each button sends a request (``register()``, ``login()``,
    ``me()``, ``logout()`` do the same from code and return the :class:`Response`). ``session``
    holds the session of the last successful log-in; set it yourself to try another one.
    """

    def __init__(self, app: App, stepper: FlowStepper | None = None, username: str = "alice",
                 password: str = "correct horse") -> None:
        self.app = app
        self.stepper = stepper
        self.session: str | None = None
        self.responses: list[tuple[str, Response]] = []
        self.username = w.Text(value=username, description="username")
        self.password = w.Password(value=password, description="password")
        self.register_button = w.Button(description="Register", icon="user-plus")
        self.login_button = w.Button(description="Log in", icon="sign-in", button_style="primary")
        self.me_button = w.Button(description="/me", icon="user")
        self.logout_button = w.Button(description="Log out", icon="sign-out")
        for b, act in ((self.register_button, self.register), (self.login_button, self.login),
                       (self.me_button, self.me), (self.logout_button, self.logout)):
            b.layout = w.Layout(width="auto")
            b.on_click(lambda _b, act=act: act())
        self.status = w.HTML()
        self.trace_pane = w.HTML()
        self.sessions_pane = w.HTML()
        form = w.VBox([self.username, self.password,
                       w.HBox([self.register_button, self.login_button, self.me_button, self.logout_button]),
                       self.status, self.trace_pane], layout=w.Layout(width="50%"))
        super().__init__([form, w.VBox([self.sessions_pane], layout=w.Layout(padding="0 0 0 16px", flex="1"))])
        self.add_class("sessioning-login-panel")
        self._render()

    def use(self, app: App) -> None:
        """Send the next requests to another app (the sync picker does this)."""
        self.app = app
        if self.stepper is not None:
            self.stepper.load(app)
        self._render()

    # -- the four requests -------------------------------------------------------------------------
    def register(self) -> Response:
        return self._request("/register", username=self.username.value, password=self.password.value)

    def login(self) -> Response:
        response = self._request("/login", username=self.username.value, password=self.password.value)
        if response.ok and isinstance(response.body, dict) and "session" in response.body:
            self.session = response.body["session"]
            self._render()
        return response

    def me(self) -> Response:
        return self._request("/me", session=self.session)

    def logout(self) -> Response:
        response = self._request("/logout", session=self.session)
        if response.ok and isinstance(response.body, dict) and "error" not in response.body:
            self.session = None
            self._render()
        return response

    def _request(self, path: str, **body: Any) -> Response:
        if body.get("session", "") is None:
            body.pop("session")  # no session yet: the request simply lacks the key
        response = self.app.request(path, body)
        self.responses.append((path, response))
        if self.stepper is not None:
            self.stepper.refresh(to="new")
        self._render()
        return response

    # -- display -----------------------------------------------------------------------------------
    def sessions(self) -> pd.DataFrame:
        return _sessions_frame(self.app.db)

    def _line(self, path: str, r: Response) -> str:
        body = _flat(r.body) if isinstance(r.body, dict) else str(r.body)
        tail = f"  ({r.message.splitlines()[0]})" if r.message else ""
        return f"POST /api{path} → {r.status} {body}{tail}"

    def text(self) -> str:
        """The last answer and the sessions table, for printing."""
        last = self._line(*self.responses[-1]) if self.responses else "no requests yet"
        table = self.sessions()
        return f"{last}\nsession held: {mask_id(self.session) if self.session else 'none'}\n" + (
            f"Sessioning.sessions ({len(table)}):\n{table.to_string(index=False)}" if len(table)
            else "Sessioning.sessions is empty")

    def _render(self) -> None:
        e = html.escape
        if self.responses:
            path, r = self.responses[-1]
            color = "#2e7d32" if r.ok and not (isinstance(r.body, dict) and "error" in r.body) else "#c62828"
            self.status.value = f"<div style='{_MONO} color: {color}'>{e(self._line(path, r))}</div>"
        else:
            self.status.value = "<div style='color: #555'>no requests yet</div>"
        items = "".join(f"<li style='{_MONO} line-height: 1.45'>{e(self._line(p, r))}</li>" for p, r in self.responses[-8:])
        self.trace_pane.value = f"<b>Requests</b><ol start='{max(1, len(self.responses) - 7)}'>{items}</ol>" if items else ""
        table = self.sessions()
        held = e(mask_id(self.session)) if self.session else "none"
        self.sessions_pane.value = (f"<b>Sessioning.sessions</b> ({len(table)} documents; session held: "
                                    f"<code>{held}</code>)" + (_html_table(table) if len(table) else
                                                               "<div style='color: #555'>empty</div>"))

    def __repr__(self) -> str:
        return (f"LoginPanel(syncs={self.app.variant!r}, {len(self.responses)} requests, "
                f"{len(self.sessions())} sessions, session held: {'yes' if self.session else 'no'})")


# -- the sync picker --------------------------------------------------------------------------------
ABOUT = {
    "correct": "The correct wiring: create and respond are separate syncs; /me and /logout check the session.",
    "one_then": "The seed's bug (F1): one sync runs Sessioning.create and Requesting.respond in the same `then`. "
                "Every `then` input is resolved first, so `session` is unbound and nothing runs: 500, no session.",
    "double_logout": "The reference logout (F12/F13): its check keeps the frame for an unknown session, and its "
                     "`{}` response also matches delete's {error}, so it answers twice.",
    "empty_check": "An auth check with an empty output pattern (F13): /me accepts any session at all.",
}
LABELS = {"correct": "correct", "one_then": "create+respond in one then",
          "double_logout": "{} logout response", "empty_check": "empty auth check"}
UNKNOWN_SESSION = "019a0000-0000-7000-8000-000000000000"


class SyncPicker(w.VBox):
    """Switch the app between sync variants on the same database, and try the same requests on each.

    ``SyncPicker(db=None, value="correct", panel=None)``; with a :class:`LoginPanel` (and its stepper),
    switching also points them at the new app, on the panel's database. Set ``value`` (or click a
    toggle) to switch;
    ``app`` is the current app; ``try_button.click()`` (or ``try_requests()``) runs log in, /me, /me
    with an unknown session, log out with an unknown session, and log out, and fills ``results``.
    """

    def __init__(self, db: Any = None, value: str = "correct", panel: LoginPanel | None = None,
                 fast_hash: bool = True, username: str = "alice", password: str = "correct horse") -> None:
        self.fast_hash = fast_hash
        self.panel = panel
        self.credentials = (username, password)
        if db is None and panel is not None:
            db = panel.app.db
        self.app = make_app(db, syncs=value, fast_hash=fast_hash)
        self.db = self.app.db
        self.results = pd.DataFrame()
        self.toggle = w.ToggleButtons(options=[(LABELS[v], v) for v in VARIANTS], value=value,
                                      tooltips=[ABOUT[v] for v in VARIANTS], style={"button_width": "auto"})
        self.about = w.HTML()
        self.try_button = w.Button(description="Try the same requests", icon="play", layout=w.Layout(width="auto"))
        self.results_pane = w.HTML()
        self.toggle.observe(lambda change: self._switch(change["new"]), names="value")
        self.try_button.on_click(lambda _: self.try_requests())
        super().__init__([self.toggle, self.about, self.try_button, self.results_pane],
                         layout=w.Layout(align_items="flex-start"))
        self.add_class("sessioning-sync-picker")
        if panel is not None:
            panel.use(self.app)
        self._render()

    @property
    def value(self) -> str:
        return self.toggle.value

    @value.setter
    def value(self, variant: str) -> None:
        self.toggle.value = variant

    def _switch(self, variant: str) -> None:
        self.app = make_app(self.db, syncs=variant, fast_hash=self.fast_hash)
        self.results = pd.DataFrame()
        if self.panel is not None:
            self.panel.use(self.app)
        self._render()

    def try_requests(self, quiet: bool = True) -> pd.DataFrame:
        """Send the same five requests (after registering the user if needed); one row per request."""
        username, password = self.credentials
        app, rows = self.app, []

        def send(what: str, path: str, expect: tuple[str, ...], **body: Any) -> Response:
            r = app.request(path, body)
            flow = app.engine.run.flows.get(r.flow)
            responds = sum(1 for a in (flow.actions if flow else []) if a.is_respond)
            keys = sorted(r.body) if isinstance(r.body, dict) else []
            ok = r.status == 200 and keys == sorted(expect) and responds == 1
            why = (r.message or "").splitlines()[0] if r.message else (
                f"answered {responds} times" if responds > 1 else
                "" if ok else f"a correct app answers {{{', '.join(expect)}}}")
            rows.append({"request": what, "status": r.status, "answer": _flat(r.body), "responds": responds,
                         "as expected": "yes" if ok else "NO", "why": why})
            return r

        with console.quiet(quiet):
            app.request("/register", {"username": username, "password": password})
            login = send("log in", "/login", ("session",), username=username, password=password)
            session = login.body.get("session") if isinstance(login.body, dict) else None
            body = {"session": session} if session else {}
            send("/me", "/me", ("user", "username"), **body)
            send("/me, unknown session", "/me", ("error",), session=UNKNOWN_SESSION)
            send("log out, unknown session", "/logout", ("error",), session=UNKNOWN_SESSION)
            send("log out", "/logout", ("status",), **body)
        self.results = pd.DataFrame(rows)
        if self.panel is not None:
            self.panel._render()
            if self.panel.stepper is not None:
                self.panel.stepper.refresh(to="keep")
        self._render()
        return self.results

    def text(self) -> str:
        out = f"syncs: {self.value} — {ABOUT[self.value]}"
        if len(self.results):
            out += "\n" + self.results.to_string(index=False)
        return out

    def _render(self) -> None:
        self.about.value = f"<div style='margin: 4px 0'>{html.escape(ABOUT[self.value])}</div>"
        self.results_pane.value = _html_table(self.results) if len(self.results) else ""

    def __repr__(self) -> str:
        return f"SyncPicker(syncs={self.value!r}, {len(self.results)} requests tried)"
