"""Hardening — exported runs are untrusted input (issue 15, items 2 and 8).

``Run.load`` checks a file against the export's schema and raises one clear ``ValueError`` naming
the wrong place; a tampered file used to load and make the tables, the diagnosis or the export
fail later with a raw ``KeyError``/``OverflowError``/``RecursionError``/``TypeError``. ``replay``
calls only actions and queries of instrumented concepts, never ``__setattr__`` or ``__init__``.
``Run.load`` never blocks on a FIFO.
"""

from __future__ import annotations

import copy
import json
import os
import threading

import pytest

from sessioning import Run, make_app, replay, tables
from sessioning.gen2025.diagnosis import diagnose


@pytest.fixture(scope="module")
def exported() -> dict:
    from sessioning import console

    console.set_quiet(True)
    try:
        app = make_app(fast_hash=True, logging="OFF")
        app.request("/register", username="alice", password="pw")
        app.request("/login", username="alice", password="pw")
        return json.loads(app.engine.run.to_json())
    finally:
        console.set_quiet(False)


def _deep(n: int) -> dict:
    v: dict = {}
    for _ in range(n):
        v = {"x": v}
    return v


def _set(data: dict, path: tuple, value) -> dict:
    data = copy.deepcopy(data)
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data


def _drop(data: dict, path: tuple) -> dict:
    data = copy.deepcopy(data)
    target = data
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return data


TAMPERED = {
    "action_without_concept": lambda d: _drop(d, ("flows", 0, "actions", 0, "concept")),
    "action_without_seq": lambda d: _drop(d, ("flows", 0, "actions", 0, "seq")),
    "seq_a_string": lambda d: _set(d, ("flows", 0, "actions", 0, "seq"), "1"),
    "seq_huge": lambda d: _set(d, ("flows", 0, "actions", 0, "seq"), 10**30),
    "started_infinite": lambda d: _set(d, ("flows", 0, "actions", 0, "started"), 1e400),
    "duration_nan": lambda d: _set(d, ("flows", 0, "actions", 0, "duration_ms"), float("nan")),
    "input_a_list": lambda d: _set(d, ("flows", 0, "actions", 0, "input"), [1, 2]),
    "input_very_deep": lambda d: _set(d, ("flows", 0, "actions", 0, "input"), _deep(900)),
    "writes_a_string": lambda d: _set(d, ("flows", 0, "actions", 0, "writes"), "zz"),
    "write_without_op": lambda d: _set(d, ("flows", 0, "actions", 0, "writes"), [{"collection": "c"}]),
    "evaluation_without_sync": lambda d: _drop(d, ("flows", 0, "evaluations", 0, "sync")),
    "evaluation_when_a_number": lambda d: _set(d, ("flows", 0, "evaluations", 0, "when"), 5),
    "flow_a_list": lambda d: _set(d, ("flows", 0), []),
    "flow_id_a_number": lambda d: _set(d, ("flows", 0, "flow"), 7),
    "response_a_string": lambda d: _set(d, ("flows", 0, "response"), "ok"),
    "retention_negative": lambda d: _set(d, ("retention",), -5),
    "retention_a_bool": lambda d: _set(d, ("retention",), True),
    "syncs_numbers": lambda d: _set(d, ("syncs",), [1, 2]),
    "depth_negative": lambda d: _set(d, ("flows", 0, "actions", 0, "depth"), -1),
}


def _everything(run: Run) -> None:
    """What a user does with a loaded run: every table, the diagnosis, the export."""
    for name in ("trace_table", "evaluations_table", "writes_table", "flows_table"):
        fn = getattr(tables, name, None)
        if fn is not None:
            fn(run)
    diagnose(run)
    run.to_json()


@pytest.mark.parametrize("name", TAMPERED)
def test_tampered_runs_fail_at_load_with_one_clear_error(exported, name, tmp_path):
    data = TAMPERED[name](exported)
    path = tmp_path / "run.json"
    path.write_text(json.dumps(data, allow_nan=True))
    try:
        run = Run.load(path)
    except ValueError as e:
        assert str(e).startswith("not a recorded run"), e
        assert type(e).__name__ in ("RunFormatError", "ValueError")
        return
    # it loaded: then it must be usable to the end
    _everything(run)


def test_the_error_names_the_place(exported):
    data = _set(exported, ("flows", 0, "actions", 1, "seq"), "x")
    with pytest.raises(ValueError, match=r"flows\[0\]\.actions\[1\]\.seq should be a whole number, not 'x'"):
        Run.load(json.dumps(data))


def test_an_untampered_export_loads_and_round_trips(exported):
    run = Run.load(json.dumps(exported))
    _everything(run)
    assert json.loads(run.to_json()) == exported


def test_huge_integer_literal_is_a_clear_error():
    with pytest.raises(ValueError, match="invalid JSON"):
        Run.load('{"format": "sessioning-run/1", "retention": ' + "9" * 5000 + "}")


def test_run_load_does_not_block_on_a_fifo(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    fifo = tmp_path / "run.json"
    os.mkfifo(fifo)
    box: dict = {}

    def go() -> None:
        try:
            Run.load(fifo)
        except Exception as e:  # noqa: BLE001
            box["error"] = e

    t = threading.Thread(target=go, daemon=True)
    t.start()
    t.join(5)
    assert not t.is_alive(), "Run.load blocked on a FIFO"
    assert isinstance(box.get("error"), ValueError) and "named pipe" in str(box["error"])


@pytest.mark.parametrize("action", ["__setattr__", "__init__", "__class__", "db", "requests", "sessions",
                                    "_lock", "__dict__", "no_such_action"])
def test_replay_calls_only_actions_and_queries(exported, action, quiet_console):
    data = copy.deepcopy(exported)
    root = data["flows"][0]["actions"][0]
    root.update(concept="Sessioning", action=action, input={"name": "x", "value": 1})
    run = Run.from_dict(data)
    app = make_app(fast_hash=True, logging="OFF")
    before = vars(app.Sessioning.concept).copy()
    with pytest.raises(ValueError, match="cannot replay"):
        replay(run, app.engine)
    assert vars(app.Sessioning.concept) == before  # the target app is untouched


def test_replay_still_replays_actions_and_requests(exported, quiet_console):
    app = make_app(fast_hash=True, logging="OFF")
    results = replay(Run.from_dict(exported), app.engine)
    assert [r.status for r in results] == [200, 200]
