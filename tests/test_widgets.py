"""The widgets work headless: clicks and ``.value`` in code give the state a click in JupyterLab gives."""

from __future__ import annotations

import pytest

from sessioning import console, make_app
from sessioning.gen2025.widgets import LoginPanel, SyncPicker
from sessioning.widgets import FlowStepper


@pytest.fixture
def app():
    app = make_app(fast_hash=True)
    with console.quiet():
        app.request("/register", username="alice", password="correct horse")
        app.request("/login", username="alice", password="correct horse")
    return app


def test_stepper_buttons_move_through_the_login_flow(app):
    stepper = FlowStepper(app, flow="last")
    labels = [s["label"] for s in stepper.steps]
    assert labels == ["Requesting.request", "UserAuthentication.authenticate", "Sessioning.create",
                      "Requesting.respond", "answer 200"]
    assert stepper.index == 0 and stepper.back_button.disabled and not stepper.next_button.disabled
    stepper.next_button.click()
    stepper.next_button.click()
    assert stepper.current["label"] == "Sessioning.create"
    assert stepper.label.value == "Step 3 of 5 · Sessioning.create"
    assert repr(stepper) == "FlowStepper(step 3/5: Sessioning.create)"
    text = stepper.text()
    assert "caused by sync auth.LoginSuccessCreatesSession" in text
    assert "insert Sessioning.sessions" in text and "user: — ->" in text
    assert "Database diff" in stepper.diff_pane.value
    stepper.back_button.click()
    assert stepper.index == 1
    stepper.last_button.click()
    assert stepper.current["kind"] == "answer" and stepper.next_button.disabled
    stepper.first_button.click()
    assert stepper.index == 0 and stepper.first_button.disabled


def test_jumping_by_value_equals_clicking(app):
    clicked, jumped = FlowStepper(app), FlowStepper(app)
    for _ in range(6):
        clicked.next_button.click()
    jumped.steps_list.value = 6
    assert clicked.label.value == jumped.label.value
    assert clicked.action_pane.value == jumped.action_pane.value
    assert clicked.frames_pane.value == jumped.frames_pane.value
    jumped.go(1000)  # clamped
    assert jumped.index == len(jumped.steps) - 1


def test_stepper_shows_the_unbound_session_of_the_seed_bug():
    app = make_app(fast_hash=True, syncs="one_then")
    with console.quiet():
        app.request("/register", username="alice", password="correct horse")
        app.request("/login", username="alice", password="correct horse")
    stepper = FlowStepper(app, flow="last")
    assert [s["label"] for s in stepper.steps] == ["Requesting.request", "UserAuthentication.authenticate", "answer 500"]
    stepper.last_button.click()
    text = stepper.text()
    assert "Missing binding: Symbol(session)" in text
    assert "session=(unbound)" in text
    assert "unbound" in stepper.frames_pane.value


def test_secrets_are_masked_in_every_pane(app):
    stepper = FlowStepper(app)
    seen = []
    for i in range(len(stepper.steps)):
        stepper.go(i)
        seen += [stepper.text(), stepper.action_pane.value, stepper.frames_pane.value, stepper.diff_pane.value]
    assert not any("correct horse" in s for s in seen)
    session = app.engine.run.last_flow().response["body"]["session"]
    assert not any(session in s for s in seen)


def test_login_panel_clicks_refresh_trace_sessions_and_stepper():
    app = make_app(fast_hash=True)
    stepper = FlowStepper(app)
    panel = LoginPanel(app, stepper=stepper)
    assert repr(panel) == "LoginPanel(syncs='correct', 0 requests, 0 sessions, session held: no)"
    with console.quiet():
        panel.register_button.click()
        panel.login_button.click()
    assert panel.session is not None and len(panel.sessions()) == 1
    assert "session held: <code>none" not in panel.sessions_pane.value
    assert stepper.current["label"] == "Requesting.request"  # the first step of the new flow
    assert stepper.steps[-1]["label"] == "answer 200"
    with console.quiet():
        panel.me_button.click()
    assert "username: 'alice'" in panel.text()
    stepper.last_button.click()
    stepper.back_button.click()
    assert "where: query Sessioning._getUser (1→1 frames) → filter" in stepper.text()
    with console.quiet():
        panel.logout_button.click()
    assert panel.session is None and len(panel.sessions()) == 0
    assert "session held: <code>none</code>" in panel.sessions_pane.value
    assert repr(panel) == "LoginPanel(syncs='correct', 4 requests, 0 sessions, session held: no)"
    assert "POST /api/logout → 200" in panel.trace_pane.value


def test_sync_picker_switches_variants_on_the_same_database():
    picker = SyncPicker()
    panel = LoginPanel(picker.app)
    picker.panel = panel
    picker.try_button.click()
    assert list(picker.results["as expected"]) == ["yes"] * 5
    picker.value = "one_then"
    assert picker.toggle.value == "one_then" and panel.app is picker.app and picker.app.db is picker.db
    results = picker.try_requests()
    assert results.loc[0, "status"] == 500 and "Missing binding: Symbol(session)" in results.loc[0, "why"]
    picker.toggle.value = "double_logout"  # what a click on the toggle does
    results = picker.try_requests()
    assert results.loc[3, "responds"] == 2 and results.loc[3, "answer"] == "{ status: 'logged_out' }"
    picker.value = "empty_check"
    results = picker.try_requests()
    assert results.loc[2, "answer"] == "{ status: 'authenticated' }"
    assert repr(picker) == "SyncPicker(syncs='empty_check', 5 requests tried)"


def test_stepper_loads_a_recorded_trace(app, tmp_path):
    path = tmp_path / "run.json"
    app.engine.run.to_json(path)
    live, loaded = FlowStepper(app), FlowStepper(str(path))
    assert [s["label"] for s in live.steps] == [s["label"] for s in loaded.steps]
    loaded.go(6)
    assert "Sessioning.create" in loaded.text() and "frame 1 of auth.LoginSuccessCreatesSession" in loaded.text()


def test_empty_run_is_harmless():
    stepper = FlowStepper(make_app(fast_hash=True))
    stepper.next_button.click()
    assert repr(stepper) == "FlowStepper(no steps)" and stepper.text().startswith("no steps yet")


def test_picker_drives_panel_and_stepper_on_one_database():
    app = make_app(fast_hash=True)
    stepper = FlowStepper(app)
    panel = LoginPanel(app, stepper=stepper)
    with console.quiet():
        panel.register_button.click()
    picker = SyncPicker(panel=panel, value="one_then")
    assert picker.db is app.db and panel.app is picker.app and stepper.engine is picker.app.engine
    with console.quiet():
        panel.login_button.click()
    assert panel.responses[-1][1].status == 500 and stepper.steps[-1]["label"] == "answer 500"
    picker.value = "correct"
    with console.quiet():
        panel.login_button.click()  # same user, same database, other syncs
    assert panel.responses[-1][1].status == 200 and panel.session is not None
    assert stepper.steps[-1]["label"] == "answer 200"


def test_stepper_sends_requests_itself(app):
    stepper = FlowStepper(app)
    with console.quiet():
        response = stepper.request("/me", session="not-a-session")
    assert response.status == 200 and stepper.current["label"] == "Requesting.request"
    assert stepper.steps[-1]["label"] == "answer 200"
    with pytest.raises(RuntimeError):
        FlowStepper(app.engine.run).request("/me")


def test_a_thrown_action_and_a_timeout_are_shown(app):
    app.db.faults.fail_action("Sessioning.create", RuntimeError("disk full"))
    with console.quiet():
        app.request("/login", username="alice", password="correct horse")
        app.request("/login", username="alice", password="wrong", path_typo=True)
        timeout = app.request("/Login", username="alice", password="correct horse")
    stepper = FlowStepper(app, max_flows=3)
    labels = [s["label"] for s in stepper.steps]
    assert labels.count("Requesting.request") == 3 and "answer 500" in labels and labels[-1] == "answer 504"
    stepper.go(labels.index("Sessioning.create"))
    assert "threw RuntimeError: disk full" in stepper.text()
    stepper.last_button.click()
    text = stepper.text()
    assert timeout.status == 504 and "no sync called Requesting.respond" in text
    assert "(case differs)" in text
