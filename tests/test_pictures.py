"""Pictures and tables as a person sees them: Mermaid sequence diagrams of flows, a log's request
timeline, styled HTML tables, and what the widgets show after a click."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import sessioning as s
from sessioning.diagrams import Diagram, flow_diagram, request_timeline
from sessioning.gen2025.widgets import LoginPanel, SyncPicker
from sessioning.styling import BAD, GOOD, show
from sessioning.widgets import FlowStepper

LOGS = Path(__file__).resolve().parent.parent / "fixtures" / "logs"


@pytest.fixture
def app():
    app = s.make_app(fast_hash=True)
    with s.console.quiet():
        app.request("/register", username="alice", password="pw")
    return app


def _login(app):
    with s.console.quiet():
        return app.request("/login", username="alice", password="pw")


def test_a_login_flow_is_a_sequence_diagram_with_a_lifeline_per_concept(app):
    response = _login(app)
    d = app.engine.run.flows[response.flow].diagram()
    assert isinstance(d, Diagram)
    bundle = d._repr_mimebundle_()
    assert set(bundle) == {"text/vnd.mermaid", "text/plain"}
    m = bundle["text/vnd.mermaid"]
    assert m.startswith("sequenceDiagram")
    for concept in ("Requesting", "UserAuthentication", "Sessioning"):
        assert f"participant {concept} as {concept}" in m
    assert "Client->>+Requesting: 1. request" in m
    assert "Syncs->>+Sessioning: 3. [auth.LoginSuccessCreatesSession] create" in m
    assert "answered 200" in m
    assert "password: '••••••'" in m and "pw'" not in m  # the password is masked
    session = response.body["session"]
    assert session not in m and session not in d.text  # so is the session id


def test_a_failed_flow_shows_where_it_stopped():
    app = s.make_app(fast_hash=True, syncs="one_then")
    with s.console.quiet():
        app.request("/register", username="alice", password="pw")
        response = app.request("/login", username="alice", password="pw")
    m = app.engine.run.flows[response.flow].diagram().mermaid
    assert "answered 500: Missing binding: Symbol(session)" in m
    assert "thrown in sync auth.LoginCreatesSessionAndResponds" in m
    assert "participant Sessioning" not in m  # create never ran: no lifeline for it


def test_an_exception_is_a_crossed_arrow_and_a_note():
    app = s.make_app(fast_hash=True)
    with s.console.quiet():
        app.request("/register", username="alice", password="pw")
        app.db.faults.fail_action("Sessioning.create", RuntimeError("disk full"))
        response = app.request("/login", username="alice", password="pw")
    m = app.engine.run.flows[response.flow].diagram().mermaid
    assert "Sessioning--x-Syncs: threw RuntimeError: disk full" in m
    assert "Note right of Sessioning: stopped here: exception" in m


def test_the_highlighted_step_is_shaded_and_marked_in_text(app):
    response = _login(app)
    d = flow_diagram(app.engine.run.flows[response.flow], highlight=1)
    assert d.mermaid.count("rect ") == 1
    assert "rect" in d.mermaid.split("UserAuthentication: 2.")[0].rsplit("\n", 2)[-2]
    assert [line[0] for line in d.text.splitlines()[1:4]] == [" ", "▶", " "]


def test_mermaid_statement_characters_are_escaped():
    from sessioning.diagrams import _esc

    assert _esc("a;b#c<d>\nx") == "a#59;b#35;c#lt;d#gt; x"


def test_a_run_exports_every_flow_as_markdown(app, tmp_path):
    _login(app)
    path = tmp_path / "run.md"
    text = app.engine.run.to_markdown(path)
    assert path.read_text(encoding="utf-8") == text
    assert text.count("```mermaid\nsequenceDiagram") == len(app.engine.run.flows) == 2


def test_a_log_with_timestamps_is_a_timeline_at_real_times():
    log = s.read_log(LOGS / "f1-f15-render-timestamped.log")
    t = log.timeline()
    assert t.mermaid.startswith("gantt") and "dateFormat x" in t.mermaid
    assert "/auth/login 500 : crit, r1, 1762577304808, 1762577304901" in t.mermaid
    assert "/profile/get 200 : done" in t.mermaid
    assert "93 ms  ✗" in t.text


def test_a_log_without_timestamps_is_laid_out_in_order_with_its_timeouts():
    t = request_timeline(s.read_log(LOGS / "f10-f11-timeout.log").requests)
    assert "log order (no timestamps)" in t.mermaid
    assert t.mermaid.count(": crit,") == 2
    assert "10000 ms  ✗" in t.text and "this log has no timestamps" in t.text


def test_show_styles_yes_no_status_and_unbound_cells():
    frame = pd.DataFrame({"ok": [True, False], "orphaned": [True, False], "status": ["ok", "error"],
                          "why": ["", "session unbound"]})
    table = show(frame)
    html = table._repr_html_()
    assert html.count(BAD.split(";")[0]) >= 1 and GOOD.split(";")[0] in html
    assert "T_sessioning" in html and "yes" in html and "NO" in html
    other = show(frame.iloc[:1])._repr_html_()
    ids = {h.split("T_sessioning", 1)[1][:10] for h in (html, other)}
    assert len(ids) == 2  # two tables of one notebook never share the ids their CSS is scoped by
    assert show(frame)._repr_html_() == html  # deterministic: nbval compares it
    assert repr(table).splitlines()[0].split() == ["ok", "orphaned", "status", "why"]
    with pytest.raises(KeyError, match="no column 'nope'"):
        show(frame, "nope")
    with pytest.raises(TypeError):
        show([1, 2])


def test_a_click_shows_its_trace_and_answer_inside_the_panel(app, capsys):
    panel = LoginPanel(app)
    panel.login_button.click()
    assert "Requesting.request {" in capsys.readouterr().out  # it still prints, as before
    assert "Requesting.request {" in panel.log_pane.value
    assert "→ POST /api/login → 200" in panel.log_pane.value
    assert "sessioning-panel-log" in panel.log_pane._dom_classes


def test_the_stepper_list_names_each_request_and_shows_its_flow_as_a_diagram(app):
    stepper = FlowStepper(app)
    _login(app)
    stepper.refresh(to="new")
    labels = [label for label, _ in stepper.steps_list.options]
    assert labels[0].endswith("Requesting.request /register → 200")
    assert any(label.endswith("Requesting.request /login → 200") for label in labels)
    (output,) = stepper.diagram_pane.outputs
    assert output["data"]["text/vnd.mermaid"].startswith("sequenceDiagram")
    assert "rect" in output["data"]["text/vnd.mermaid"]  # the current step is shaded


def test_the_sync_picker_results_are_coloured():
    picker = SyncPicker(value="one_then")
    picker.try_requests()
    assert BAD.split(";")[0] in picker.results_pane.value
