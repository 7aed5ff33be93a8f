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
