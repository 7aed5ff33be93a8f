"""The engine's fast paths give what the general code gives (issue 11, speed).

* ``Frames.query`` outside a recorded ``where`` gathers no sample rows, with the same frames;
* ``adapt`` fills its arguments with loops: the same destructuring semantics, a new dict each time;
* the skipping plan with several gate keys (one key is the usual case);
* ``Requesting.request`` keeps its pending requests bounded under concurrent requests (it takes
  the lock only to evict), and the response the client gets is not the stored one.
"""

from __future__ import annotations

import threading

# The exported run with ids by order of appearance and clocks dropped, as the skipping test compares it.
from test_engine_skipping import normalized  # noqa: E402

from sessioning import Engine, Frames, RequestingConcept, Var, actions, connect, make_app
from sessioning.gen2025.engine.frames import current_where
from sessioning.gen2025.engine.instrument import adapt


class Rows:
    def _rows(self, k=None):
        return [{"v": k, "w": 1}, {"v": k}, "not a dict"]


class Steps:
    """What Frames report a query to while a recorded ``where`` runs."""

    def __init__(self):
        self.steps = []

    def query_step(self, fn, input, output, before, after, rows, unbound, error=None):  # noqa: A002
        self.steps.append((fn, len(before), len(after), rows, dict(unbound), error))


def test_query_gives_the_same_frames_whether_or_not_a_where_is_recorded():
    e = Engine(logging="OFF")
    R = e.instrument(Rows())  # noqa: N806
    k, v, w = Var("k"), Var("v"), Var("w")
    frames = Frames({k: 1}, {k: 2})
    plain = frames.query(R._rows, {"k": k}, {"v": v, "w": w})
    steps = Steps()
    token = current_where.set(steps)
    try:
        recorded = frames.query(R._rows, {"k": k}, {"v": v, "w": w})
    finally:
        current_where.reset(token)
    assert plain == recorded and type(plain) is Frames and len(plain) == 6
    assert [f.get(w) for f in plain] == [1, None, None, 1, None, None]
    ((fn, n_in, n_out, rows, unbound, error),) = steps.steps
    assert (fn, n_in, n_out, error) == ("Rows._rows", 2, 6, None)
    assert rows == [{"v": 1, "w": 1}, {"v": 1}, "not a dict", {"v": 2, "w": 1}, {"v": 2}]  # at most 5
    assert unbound == {"w": 4, "v": 2}


def test_a_failing_query_is_reported_to_a_recorded_where_only():
    e = Engine(logging="OFF")
    R = e.instrument(Rows())  # noqa: N806
    missing = Var("missing")
    steps = Steps()
    token = current_where.set(steps)
    try:
        try:
            Frames({}).query(R._rows, {"k": missing}, {})
        except Exception as err:  # noqa: BLE001 - the same error either way
            recorded_error = err
    finally:
        current_where.reset(token)
    try:
        Frames({}).query(R._rows, {"k": missing}, {})
    except Exception as err:  # noqa: BLE001
        plain_error = err
    assert type(recorded_error) is type(plain_error) and str(recorded_error) == str(plain_error)
    assert [s[5] for s in steps.steps] == ["Binding: Symbol(missing) not found in frame: [object Object]"]


def test_adapt_destructures_like_javascript_into_a_new_dict():
    def required(self, a, b):
        return a, b

    def optional(self, a, b=2, *, c=3):
        return a, b, c

    def rest(self, a, **more):
        return a, more

    class C:
        pass

    for name, fn in (("required", required), ("optional", optional), ("rest", rest)):
        setattr(C, name, fn)
    c = C()
    given = {"a": 1, "x": 9}
    assert adapt(c.required, given) == {"a": 1, "b": None}  # missing: None; extra: dropped
    assert adapt(c.optional, given) == {"a": 1}  # optional and absent: the default applies
    assert adapt(c.optional, {"b": 5, "c": 6}) == {"a": None, "b": 5, "c": 6}
    assert adapt(c.rest, {"x": 9}) == {"x": 9, "a": None}
    for method in (c.required, c.optional, c.rest):
        out = adapt(method, given)
        assert out is not given
        out["a"] = "changed"
        assert given == {"a": 1, "x": 9}
    assert adapt(lambda a, b=0: None, {"b": 1}) == {"a": None, "b": 1}  # not a method: cached as itself


def _two_gate_keys_run(skipping: bool):
    app = make_app(syncs="correct", fast_hash=True, logging="OFF")
    R = app.Requesting  # noqa: N806

    def ByKind(request):  # noqa: N802 - no literal path: gated on `kind`, a second gate key
        return {"when": actions([R.request, {"kind": "ping"}, {"request": request}]),
                "then": actions([R.respond, {"request": request, "pong": True}])}

    def ByPath(request):  # noqa: N802
        return {"when": actions([R.request, {"path": "/ping"}, {"request": request}]),
                "then": actions([R.respond, {"request": request, "path": True}])}

    app.engine.register({"ByKind": ByKind, "ByPath": ByPath})
    keys = app.engine.skipping._gates(R.request)[0]
    if not skipping:
        app.engine.skipping.plan = lambda record: list(app.engine.syncs_by_action.get(record.action, ()))
    bodies = [("/ping", {"kind": "ping"}), ("/ping", {}), ("/x", {"kind": "ping"}), ("/x", {"kind": 3}),
              ("/x", {}), ("/login", {"username": "a", "password": "b"})]
    statuses = [(r.status, r.body) for r in (app.request(p, b) for p, b in bodies)]
    return keys, statuses, normalized(app.engine.run.to_dict())


def test_a_plan_on_two_gate_keys_records_what_trying_every_sync_would(quiet_console):
    keys, skipped_statuses, skipped_run = _two_gate_keys_run(True)
    _, tried_statuses, tried_run = _two_gate_keys_run(False)
    assert keys == ("path", "kind")
    assert skipped_statuses == tried_statuses
    assert skipped_run == tried_run
    assert [s for s, _ in skipped_statuses] == [200, 200, 200, 504, 504, 200]


def test_pending_requests_stay_bounded_under_concurrent_requests():
    requesting = RequestingConcept(connect(embedded=True), max_pending=25)
    made: list[str] = []
    start = threading.Barrier(8)

    def burst():
        start.wait()
        for _ in range(150):
            made.append(requesting.request(path="/x")["request"])

    threads = [threading.Thread(target=burst) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(made) == 1200 and len(requesting.pending) == 25
    assert set(requesting.pending) <= set(made)


def test_the_response_a_client_gets_is_not_the_stored_one():
    requesting = RequestingConcept(connect(embedded=True))
    rid = requesting.request(path="/x", note={"deep": 1})["request"]
    requesting.respond(rid, msg="ok")
    (row,) = requesting._awaitResponse(rid)
    row["response"]["msg"] = "changed by the client"
    stored = requesting.requests.find_one({"_id": rid})
    assert stored["response"] == {"msg": "ok"}
    assert stored["input"] == {"path": "/x", "note": {"deep": 1}}


class Echo:
    def act(self, x=None):
        return {"y": x}


def test_a_frame_naming_an_unknown_record_is_action_missing_and_records_are_kept_while_the_flow_runs():
    from sessioning.gen2025.engine.errors import ActionMissing

    e = Engine(logging="OFF")
    A, B = e.instrument(Echo()), e.instrument(Echo())  # noqa: N806
    seen = {}

    def forged(frame):
        return {k: ("not-a-record" if repr(k) == "Symbol(action_0)" else v) for k, v in frame.items()}

    def Forge(x):  # noqa: N802 - its where swaps the hidden id of the record `when` matched
        return {"when": actions([A.act, {"x": x}, {}]), "where": lambda frames: frames.map(forged),
                "then": actions([B.act, {"x": x}])}

    def Watch(x):  # noqa: N802 - while B runs, its own flow's records are in the store
        def where(frames):
            (frame,) = frames
            flow = next(v for k, v in frame.items() if repr(k) == "Symbol(flow)")
            seen["flow"] = [(r.action.label, r.id in e.actions.ids) for r in e.actions.flows[flow]]
            return frames
        return {"when": actions([B.act, {"x": x}, {}]), "where": where, "then": actions()}

    e.register({"Forge": Forge, "Watch": Watch})
    try:
        A.act(x=1)
    except ActionMissing as err:
        assert err.original == "Action None missing or missing synced Map."
    else:
        raise AssertionError("a forged action id must raise ActionMissing")
    assert e.actions.flows == {} and e.actions.ids == {}  # the outside call's flow is forgotten

    e = Engine(logging="OFF")
    A, B = e.instrument(Echo()), e.instrument(Echo())  # noqa: N806

    def Call(x):  # noqa: N802
        return {"when": actions([A.act, {"x": x}, {}]), "then": actions([B.act, {"x": x}])}

    e.register({"Call": Call, "Watch": Watch})
    A.act(x=2)
    assert seen["flow"] == [("Echo.act", True), ("Echo.act", True)]
    assert e.actions.flows == {} and e.actions.ids == {}


def test_a_pattern_with_no_record_in_its_flow_reads_the_same_in_every_flow():
    # Its report is made once per sync and shared by every flow: it must still read as its own.
    e = Engine(logging="OFF")
    A, B, C = e.instrument(Echo()), e.instrument(Echo()), e.instrument(Echo())  # noqa: N806

    def Pair(x):  # noqa: N802 - B never runs, so its pattern finds no record
        return {"when": actions([A.act, {"x": x}, {}], [B.act, {}, {}], [C.act, {}, {}]),
                "then": actions([C.act, {"x": x}])}

    e.register({"Pair": Pair})
    A.act(x=1)
    A.act(x=2)
    runs = [[ev.to_dict() for ev in log.evaluations] for log in e.run.flows.values()]
    assert len(runs) == 2 and all(len(evs) == 1 for evs in runs)
    for (ev,) in runs:
        assert [(p["pattern"], p["frames"]) for p in ev["when"]] == [(0, 1), (1, 0), (2, 0)]
        assert ev["when"][1]["failure"] == {
            "reason": "no_record", "pattern": 1, "action": "Echo.act",
            "text": "no `Echo.act` has completed in this flow (it may run later in the cascade, or in another flow)"}
        assert ev["when"][0]["failure"] is None and ev["when"][2]["failure"] is None
        assert ev["fired"] == 0 and ev["frames_when"] == []


class First(Echo):
    pass


class Second(Echo):
    pass


def test_a_pattern_whose_records_already_took_part_reads_the_same_in_every_flow():
    # Both fires on Second's record (in First's cascade); tried afterwards for First's record, its
    # first pattern meets only a record synced with it: a shared report, read as its own.
    e = Engine(logging="OFF")
    A, B, C = e.instrument(First()), e.instrument(Second()), e.instrument(Echo())  # noqa: N806

    def Start(x):  # noqa: N802
        return {"when": actions([A.act, {"x": x}, {}]), "then": actions([B.act, {"x": x}])}

    def Both(x):  # noqa: N802
        return {"when": actions([A.act, {"x": x}, {}], [B.act, {}, {}]), "then": actions([C.act, {"x": x}])}

    e.register({"Start": Start, "Both": Both})
    A.act(x=1)
    A.act(x=2)
    for log in e.run.flows.values():
        tried = [(ev.sync, ev.trigger_action, ev.fired) for ev in log.evaluations]
        assert tried == [("Start", "First.act", 1), ("Both", "Second.act", 1), ("Both", "First.act", 0)]
        when = log.evaluations[-1].to_dict()["when"]
        assert [(p["pattern"], p["frames"]) for p in when] == [(0, 0), (1, 0)]
        assert when[0]["failure"] == {"reason": "synced", "pattern": 0, "action": "First.act",
                                      "text": "`First.act` of this flow already took part in this sync"}
        assert when[1]["failure"] is None


def _logins_run(share: bool, monkeypatch):
    from sessioning.gen2025.engine import sync

    if not share:  # every trial keeps the list the engine made for it, as before the shared tuples
        monkeypatch.setattr(sync, "when_frames", lambda *args: (sync.match_when(*args), None))
    app = make_app(syncs="correct", fast_hash=True, logging="OFF")
    app.request("/register", {"username": "ann", "password": "pw"})
    bodies = [{"username": "ann", "password": "pw"}, {"username": "ann", "password": "no"},
              {"username": "bob", "password": "pw"}, {"username": "ann", "password": "pw"}]
    statuses = [(r.status, sorted(r.body)) for r in (app.request("/login", b) for b in bodies)]
    monkeypatch.undo()
    return app.engine.run, statuses


def test_reports_shared_between_flows_read_as_each_flows_own(quiet_console, monkeypatch):
    from sessioning.record import Evaluation

    run, statuses = _logins_run(True, monkeypatch)
    logins = [log for log in run.flows.values() if log.path == "/login"]
    # The shortcut is taken: the first trial of two logins (LoginRequest, which fired) keeps one and
    # the same tuple of reports.
    kept = [[ev._when for ev in log._evaluations if type(ev) is Evaluation] for log in logins]
    assert type(kept[0][0]) is tuple and kept[0][0] is kept[-1][0]
    # Reading one flow's reports writes them out into a list of its own: the others are untouched.
    logins[0].evaluations[0].when[0]["read"] = "by this flow only"
    assert type(kept[-1][0]) is tuple and "read" not in logins[-1].evaluations[0].when[0]
    del logins[0].evaluations[0].when[0]["read"]
    plain_run, plain_statuses = _logins_run(False, monkeypatch)
    assert statuses == plain_statuses
    assert normalized(run.to_dict()) == normalized(plain_run.to_dict())


def test_reports_after_a_pattern_of_two_frames_are_the_flows_own():
    e = Engine(logging="OFF")
    A, B, C = e.instrument(First()), e.instrument(Second()), e.instrument(Echo())  # noqa: N806

    def Start():  # noqa: N802
        return {"when": actions([A.act, {}, {}]), "then": actions([B.act, {"x": 1}], [B.act, {"x": 2}])}

    def Watch():  # noqa: N802 - C never runs: its pattern finds no record, after one frame then two
        return {"when": actions([B.act, {}, {}], [C.act, {}, {}]), "then": actions([C.act, {}])}

    e.register({"Start": Start, "Watch": Watch})
    A.act()
    (log,) = e.run.flows.values()
    watched = [[(p["pattern"], p["frames"]) for p in ev.when] for ev in log.evaluations if ev.sync == "Watch"]
    assert watched == [[(0, 1), (1, 0)], [(0, 2), (1, 0)]]


def test_reports_added_to_a_shared_tuple_go_to_a_list_of_the_evaluations_own():
    from sessioning.record import Evaluation

    class Fact:
        def __init__(self, n):
            self.n = n

        def to_dict(self):
            return {"n": self.n}

    shared = (Fact(0),)
    for add in ("when_done", "add_reports"):
        ev = Evaluation(1, "flow", "trigger", "A.act", "S")
        ev.when_done([], shared)
        if add == "when_done":
            ev.when_done([], [Fact(1)])
        else:
            ev.add_reports([Fact(1)])
        assert ev.when == [{"n": 0}, {"n": 1}]
        assert len(shared) == 1 and type(shared[0]) is Fact
