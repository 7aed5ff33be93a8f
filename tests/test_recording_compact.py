"""A recorded flow keeps fewer containers, and reads exactly as before (issue 11, speed).

Every object a kept flow holds is traversed by the garbage collector for as long as the flow is
kept, so the recorder keeps an action's one write (or none) without a list, a lone ``then`` call,
a lone ``where`` query step (the sample rows in the step itself) and a lone frame after ``when`` or
``where`` without a list, and a 200 answer without a tuple. Each test checks the compact form is
there and reads as the plain one.
"""

from __future__ import annotations

import json

from sessioning import Var, make_app
from sessioning.record import ActionEntry, Evaluation, FlowLog, Run
from sessioning.tables import evaluations_table, trace_table, writes_table

_WRITES = ActionEntry.__dict__["writes"]  # the slot itself: reading it never makes the list


class NotesConcept:
    """An action per number of writes: none, one, two."""

    def __init__(self, db):
        self.notes = db["Notes.notes"]

    def none(self, text):
        return {"n": 0}

    def one(self, text):
        self.notes.insert_one({"_id": text, "text": text})
        return {"n": 1}

    def two(self, text):
        self.notes.insert_one({"_id": text + "1", "text": text})
        self.notes.insert_one({"_id": text + "2", "text": text})
        return {"n": 2}


def _slot_set(entry: ActionEntry) -> bool:
    try:
        _WRITES.__get__(entry, ActionEntry)
    except AttributeError:
        return False
    return True


def test_an_action_with_no_write_or_one_keeps_no_list_and_reads_its_own():
    app = make_app(fast_hash=True, logging="OFF")
    notes = app.engine.instrument(NotesConcept(app.db))
    for name in ("none", "one", "two"):
        getattr(notes, name)(text=f"t-{name}")
    entries = {e.action: e for e in app.engine.run.actions()}
    assert [_slot_set(entries[n]) for n in ("none", "one", "two")] == [False, False, True]
    assert entries["none"].writes == []
    assert [(w["op"], w["collection"], w["_id"]) for w in entries["one"].writes] == [("insert", "Notes.notes", "t-one")]
    assert [w["_id"] for w in entries["two"].writes] == ["t-two1", "t-two2"]
    for entry in entries.values():  # made once: the same list each time, and what is added to it stays
        assert entry.writes is entry.writes and _slot_set(entry)
    entries["none"].writes.append({"op": "note"})
    assert entries["none"].writes == [{"op": "note"}]
    assert ActionEntry(1, "i", "f", "C", "a", {}).writes == []  # one built by hand has its list


def test_a_flow_kept_compact_reads_as_the_run_it_exports_to():
    app = make_app(fast_hash=True, logging="OFF")
    app.request("/register", username="ann", password="pw")
    r = app.request("/login", username="ann", password="pw")
    app.request("/login", username="ann", password="nope")
    me = app.request("/me", session=r.body["session"])
    app.request("/me", session="nope")
    run = app.engine.run
    # before anything is read: the compact forms are there
    me_log = run.flows[me.flow]
    assert type(me_log._answer) is dict and me_log._response is None
    (query,) = [e for e in me_log.evaluations if e.fired]
    assert type(query._then) is tuple and [type(s) for s in query._where] == [tuple, dict, tuple]  # 3 steps
    assert not any(_slot_set(a) for a in me_log.actions)
    # read: the same tables and export as the run loaded from that export (all plain lists)
    text = run.to_json(reveal=True)
    loaded = Run.load(text)
    assert loaded.to_json(reveal=True) == text == run.to_json(reveal=True)
    for table in (trace_table, evaluations_table):
        assert table(run, reveal=True).equals(table(loaded, reveal=True))
    # the documents of a write are kept as written (dates), the export's as text: the rest is the same
    live, again = (writes_table(x, reveal=True).drop(columns=["before", "after"]) for x in (run, loaded))
    assert len(live) == 12 and live.equals(again)
    assert query.where[0] == {
        "step": "query", "name": "Sessioning._getUser", "input": {"session": "Symbol(session)"},
        "output": {"user": "Symbol(user)"}, "frames_in": 1, "frames_out": 1,
        "rows_sample": [{"user": me.body["user"]}], "unbound": {}}
    assert [s["step"] for s in query.where] == ["query", "filter", "query"]
    assert query.then == [{"action": "Requesting.respond", "input": {"request": me.request, **me.body}}]
    assert me_log.response == {"status": 200, "body": me.body, "message": None, "error_type": None}
    data = json.loads(text)
    assert all(isinstance(a["writes"], list) for f in data["flows"] for a in f["actions"])


def test_where_steps_read_in_order_whatever_came_first():
    x, y = Var("x"), Var("y")
    rows = [{"b": 1}, {"b": 2}]

    def query(ev, name, error=None):
        ev.query_step(name, {"a": x}, {"b": y}, [{}], [{}, {}], rows, {"y": 0}, error=error)

    def step(name, error=None):
        d = {"step": "query", "name": name, "input": {"a": "Symbol(x)"}, "output": {"b": "Symbol(y)"},
             "frames_in": 1, "frames_out": 2, "rows_sample": rows, "unbound": {"y": 0}}
        return d if error is None else {**d, "error": error}

    simple = {"step": "filter", "name": "f", "frames_in": 2, "frames_out": 1}
    one = Evaluation(1, "f", "t", "A.b", "S")
    query(one, "C._q", error="Binding: x not found")
    assert one.where == [step("C._q", "Binding: x not found")] and one.where is one.where
    assert type(one.where[0]["rows_sample"]) is list
    two = Evaluation(1, "f", "t", "A.b", "S")
    query(two, "C._q")
    two.simple_step("filter", "f", [{}, {}], [{}])
    query(two, "C._r")
    assert two.where == [step("C._q"), simple, step("C._r")]
    three = Evaluation(1, "f", "t", "A.b", "S")
    three.simple_step("filter", "f", [{}, {}], [{}])
    query(three, "C._q")
    assert three.where == [simple, step("C._q")]
    read_between = Evaluation(1, "f", "t", "A.b", "S")
    query(read_between, "C._q")
    assert read_between.where == [step("C._q")]
    query(read_between, "C._r")
    assert read_between.where == [step("C._q"), step("C._r")]


def test_then_calls_read_in_order_one_or_several():
    class Action:
        label = "C.act"

    def call(k):
        return (Action(), {"k": k}, "flow", f"id{k}")

    def read(k):
        return {"action": "C.act", "input": {"k": k}}

    one = Evaluation(1, "f", "t", "A.b", "S")
    one.keep_then([call(1)])
    assert type(one._then) is tuple and one.then == [read(1)] and one.then is one.then
    frames = Evaluation(1, "f", "t", "A.b", "S")
    frames.keep_then([call(1)])
    frames.keep_then([call(2), call(3)])
    frames.add_then([call(4)])
    assert frames.then == [read(1), read(2), read(3), read(4)]
    after_add = Evaluation(1, "f", "t", "A.b", "S")
    after_add.add_then([call(1)])
    after_add.keep_then([call(2)])
    assert after_add.then == [read(1), read(2)]
    none = Evaluation(1, "f", "t", "A.b", "S")
    none.keep_then([])
    assert none.then == []


def test_an_answer_reads_the_same_with_or_without_a_message_and_the_last_word_wins():
    log = FlowLog("f")
    log.answered("r", "/p", {"a": Var("x")}, None)
    assert type(log._answer) is dict
    assert log.response == {"status": 200, "body": {"a": "Symbol(x)"}, "message": None, "error_type": None}
    assert log.response is log.response and (log.request, log.path, log.outcome) == ("r", "/p", "responded")
    with_message = FlowLog("f")
    with_message.answered("r", "/p", {"a": 1}, "slow")
    assert with_message.response == {"status": 200, "body": {"a": 1}, "message": "slow", "error_type": None}
    set_then_answered = FlowLog("f")
    set_then_answered.response = {"status": 500}
    set_then_answered.answered("r", "/p", {"a": 1}, None)
    assert set_then_answered.response["status"] == 200
    answered_then_set = FlowLog("f")
    answered_then_set.answered("r", "/p", {"a": 1}, None)
    answered_then_set.response = {"status": 504}
    assert answered_then_set.response == {"status": 504}
    assert FlowLog("f").response is None


def test_a_lone_frame_is_kept_without_its_list_and_reads_as_a_list_of_one():
    app = make_app(fast_hash=True, logging="OFF")
    app.request("/register", username="ann", password="pw")
    r = app.request("/login", username="ann", password="pw")
    me = app.request("/me", session=r.body["session"])
    run = app.engine.run
    (query,) = [e for e in run.flows[me.flow].evaluations if e.fired]
    # kept compact: the frame dicts themselves
    assert type(query._frames_when) is dict and type(query._frames_where) is dict
    assert query.matched and query.n_frames("when") == 1 and query.n_frames("where") == 1
    when, where = query.frames_when, query.frames_where
    assert type(when) is list and len(when) == 1 and when[0]["request"] == me.request
    assert type(where) is list and len(where) == 1 and where[0]["user"] == me.body["user"]
    # several frames, none and an empty frame keep their list, and read as before
    ev = Evaluation(1, "f", "t", "A.a", "S")
    two = [{Var("x"): 1}, {Var("x"): 2}]
    ev.when_done(two, None)
    ev.where_done([{}])
    assert ev._frames_when is two and ev.n_frames("when") == 2 and ev.frames_when == [{"x": 1}, {"x": 2}]
    assert type(ev._frames_where) is list and ev.n_frames("where") == 1 and ev.frames_where == [{}]
    ev.when_done([], None)
    assert not ev.matched and ev.n_frames("when") == 0 and ev.frames_when == []
    # the export is the run's as it reloads
    text = run.to_json(reveal=True)
    assert Run.load(text).to_json(reveal=True) == text
