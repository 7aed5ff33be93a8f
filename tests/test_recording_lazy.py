"""Recording keeps facts and writes the record's texts when read: the record read is the same.

The recorder builds entries without ``__init__``, keeps the engine's reports, resolved calls and
``where`` steps as they are, and rounds durations when read; the observers of one scope are called
directly when at most one of them returns handles. Each test checks that what is read is exactly
what the eager forms give.
"""

from __future__ import annotations

import json

from sessioning import make_app
from sessioning.gen2025.engine.observer import EngineObserver, FanOut, combine
from sessioning.record import ActionEntry, Evaluation, Run


def test_an_entry_recorded_reads_as_one_built_eagerly():
    app = make_app(fast_hash=True, logging="OFF")
    app.request("/register", username="ann", password="pw")
    app.request("/login", username="ann", password="nope")
    for entry in app.engine.run.actions():
        eager = ActionEntry.from_dict(entry.to_dict())
        assert repr(eager) == repr(entry)
        assert eager.to_dict() == entry.to_dict()
        assert entry.status in ("ok", "error")
        assert isinstance(entry.duration_ms, float) and entry.duration_ms >= 0


def test_a_duration_is_the_rounded_milliseconds_of_the_time_measured():
    entry = object.__new__(ActionEntry)
    entry._seconds = 0.0123456789
    assert entry.duration_ms == round(12.3456789, 3) == 12.346
    assert ActionEntry(1, "i", "f", "C", "a", {}).duration_ms is None


def test_fields_not_set_read_as_their_defaults_and_unknown_names_still_fail():
    entry = object.__new__(ActionEntry)
    assert (entry.output, entry.status, entry.depth, entry.called_from, entry.extra) == (None, "running", 0, None, None)
    ev = Evaluation(1, "f", "t", "A.b", "S")
    assert (ev.fired, ev.error, ev.frames_when, ev.where, ev.when, ev.then, ev.matched) == (0, None, None, None, [], [], False)
    for obj in (entry, ev):
        try:
            obj.no_such_field  # noqa: B018
        except AttributeError as e:
            assert str(e) == f"'{type(obj).__name__}' object has no attribute 'no_such_field'"
        else:
            raise AssertionError("an unknown attribute must raise AttributeError")


def test_a_recorded_run_exports_what_it_reloads_to():
    app = make_app(fast_hash=True, logging="OFF")
    app.request("/register", username="bo", password="pw")
    r = app.request("/login", username="bo", password="pw")
    app.request("/me", session=r.body["session"])
    app.request("/me", session="nope")
    text = app.engine.run.to_json(reveal=True)
    assert Run.load(text).to_json(reveal=True) == text
    data = json.loads(text)
    fired = [e for f in data["flows"] for e in f["evaluations"] if e["fired"]]
    assert fired and all(c["action"] and isinstance(c["input"], dict) for e in fired for c in e["then"])
    steps = [s for f in data["flows"] for e in f["evaluations"] for s in (e["where"] or ())]
    assert all("frames_in" in s for s in steps)
    assert [s for s in steps if s["step"] == "query" and s["input"] == {"session": "Symbol(session)"}]


class Starter(EngineObserver):
    def __init__(self, log, name):
        self.log, self.name = log, name

    def action_started(self, record, cause):
        return f"{self.name}-handle"

    def action_returned(self, record, handle, seconds):
        self.log.append((self.name, "returned", handle))

    def sync_tried(self, record, sync):
        return f"{self.name}-trial"

    def where_started(self, trial):
        return f"{self.name}-steps"

    def sync_fired(self, trial, n_frames):
        self.log.append((self.name, "fired", trial, n_frames))


class Listener(EngineObserver):
    def __init__(self, log):
        self.log = log

    def before_call(self, record, handle):
        self.log.append(("listener", "before", handle))

    def action_returned(self, record, handle, seconds):
        self.log.append(("listener", "returned", handle))

    def sync_fired(self, trial, n_frames):
        self.log.append(("listener", "fired", trial, n_frames))

    def where_started(self, trial):
        return None


def _drive(observer):
    handle = observer.action_started("rec", None)
    observer.before_call("rec", handle)
    observer.action_returned("rec", handle, 0.1)
    trial = observer.sync_tried("rec", None)
    steps = observer.where_started(trial)
    observer.sync_fired(trial, 2)
    observer.when_matched(trial, [], None)
    return steps


def test_one_observer_with_handles_and_one_without_see_what_separate_handles_gave():
    log: list = []
    fan = FanOut([Starter(log, "a"), Listener(log)])
    steps = _drive(fan)
    assert steps == "a-steps"
    assert log == [("listener", "before", None), ("a", "returned", "a-handle"), ("listener", "returned", None),
                   ("a", "fired", "a-trial", 2), ("listener", "fired", None, 2)]


def test_two_observers_with_handles_each_get_their_own():
    log: list = []
    fan = combine([Starter(log, "a"), Listener(log), Starter(log, "b")])
    steps = _drive(fan)
    assert steps == "a-steps"
    assert log == [("listener", "before", None), ("a", "returned", "a-handle"), ("listener", "returned", None),
                   ("b", "returned", "b-handle"), ("a", "fired", "a-trial", 2), ("listener", "fired", None, 2),
                   ("b", "fired", "b-trial", 2)]


def test_an_observer_listening_alone_is_called_without_a_fan_out():
    log: list = []
    only = Listener(log)
    assert combine([only]) is only
    assert type(combine([EngineObserver()])) is EngineObserver


# -- what a retained flow keeps (every object it keeps is one more for the garbage collector) ------
def _skipping_app():
    from sessioning import actions

    app = make_app(syncs="correct", fast_hash=True, logging="OFF")
    R = app.Requesting  # noqa: N806

    def Other(request):  # noqa: N802 - on Requesting.request, never matches /login: skipped
        return {"when": actions([R.request, {"path": "/other"}, {"request": request}]),
                "then": actions([R.respond, {"request": request}])}

    def Nobody(request, password):  # noqa: N802 - /login, so it is tried (fails on username)
        return {"when": actions([R.request, {"path": "/login", "username": "nobody", "password": password},
                                 {"request": request}]),
                "then": actions([R.respond, {"request": request}])}

    def Later(request):  # noqa: N802 - a second run of skipped syncs for the same request
        return {"when": actions([R.request, {"path": "/later"}, {"request": request}]),
                "then": actions([R.respond, {"request": request}])}

    app.engine.register({"Other": Other, "Nobody": Nobody, "Later": Later})
    return app


def test_skipped_syncs_are_kept_by_their_entry_and_read_as_tried():
    from sessioning.gen2025.engine.actions import ActionRecord
    from sessioning.gen2025.engine.recorder import SkippedSyncs

    app = _skipping_app()
    app.request("/register", username="ann", password="pw")
    app.request("/login", username="ann", password="pw")
    log = app.engine.run.last_flow()
    raw = list(log._evaluations)
    request_entry = log.actions[0]
    # the request's first run of skipped syncs is held by its entry; a later run needs an object
    # (Nobody is tried on /login, so Other and Later are in two runs), which keeps the entry
    assert raw.count(request_entry) == 1 and request_entry._skipped is not None
    later = [x for x in raw if isinstance(x, SkippedSyncs)]
    assert later and all(g.record is request_entry for g in later)
    skipped = [s.name for s in request_entry._skipped] + [s.name for g in later for s in g.syncs]
    assert "Other" in skipped and "Later" in skipped and "Nobody" not in skipped
    assert not any(isinstance(x, ActionRecord) for x in raw)  # the engine's record is not kept
    # read, each is the evaluation trying it would have given, in order of sequence numbers
    evs = log.evaluations
    assert [e.seq for e in evs] == sorted(e.seq for e in evs)
    for name in ("Other", "Later"):
        ev = next(e for e in evs if e.sync == name)
        assert ev.trigger == request_entry.id and ev.trigger_action == "Requesting.request"
        assert ev.first_failure()["reason"] == "literal_mismatch" and ev.first_failure()["actual"] == "/login"
        assert ev.frames_when == [] and not ev.fired
    assert next(e for e in evs if e.sync == "Nobody").first_failure()["key"] == "username"


def test_an_answer_is_kept_as_given_and_the_callers_changes_do_not_reach_it():
    app = make_app(fast_hash=True, logging="OFF")
    app.request("/register", username="ann", password="pw")
    r = app.request("/login", username="ann", password="pw")
    log = app.engine.run.flows[r.flow]
    session = r.body["session"]
    r.body["session"] = "changed by the caller"
    assert log.response == {"status": 200, "body": {"session": session}, "message": None, "error_type": None}
    assert (log.request, log.path, log.outcome) == (r.request, "/login", "responded")
    assert Run.from_dict(json.loads(app.engine.run.to_json(reveal=True))).flows[r.flow].response == log.response


def test_a_flow_started_reads_as_iso_utc_text():
    import datetime as dt

    app = make_app(fast_hash=True, logging="OFF")
    before = dt.datetime.now(dt.UTC)
    app.request("/register", username="ann", password="pw")
    started = app.engine.run.last_flow().started
    assert started.endswith("+00:00")
    assert abs((dt.datetime.fromisoformat(started) - before).total_seconds()) < 5
    assert app.engine.run.last_flow().started is started  # written once


def test_a_where_query_is_named_by_its_concepts_class():
    from sessioning.gen2025.engine.frames import _fn_name

    class ShelfConcept:
        def _get(self):
            return []

    class BookshelfConcept(ShelfConcept):
        pass

    for _ in range(2):  # the second time from the cache
        assert _fn_name(ShelfConcept()._get) == "Shelf._get"
        assert _fn_name(BookshelfConcept()._get) == "Bookshelf._get"
