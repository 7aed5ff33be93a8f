"""A ``when`` pattern whose record's output lacks the key it wants (an error response tried after a
success) is reported once per sync and shared by every flow (issue 11, speed: a kept flow holds
no report, list or facts of its own for it), and reads exactly as each flow's own report would.
An output that holds an ``error`` is quoted in the sentence, so that miss stays the flow's own."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_engine_skipping import normalized  # noqa: E402

from sessioning import Engine, actions  # noqa: E402
from sessioning.gen2025.engine import matching  # noqa: E402
from sessioning.record import Evaluation  # noqa: E402


class Start:
    def begin(self, name):
        return {}


class Auth:
    def check(self, name):
        if name == "bad":
            return {"error": f"no user {name}"}
        return {"user": name, "extra": 1} if name == "odd" else {"user": name}


class Out:
    def say(self, x):
        return {}


def _run(share: bool, monkeypatch, names=("ann", "bob", "odd", "bad")):
    from sessioning.gen2025.engine import sync

    if not share:  # every trial keeps its own reports, as before any sharing
        monkeypatch.setattr(sync, "when_frames", lambda *args: (sync.match_when(*args), None))
    e = Engine(logging="OFF")
    S, A, W = e.instrument(Start()), e.instrument(Auth()), e.instrument(Out())  # noqa: N806

    def Check(name):  # noqa: N802
        return {"when": actions([S.begin, {"name": name}, {}]), "then": actions([A.check, {"name": name}])}

    def OnError(name, error):  # noqa: N802 - waits for the other outcome: misses on every success
        return {"when": actions([S.begin, {"name": name}, {}], [A.check, {}, {"error": error}]),
                "then": actions([W.say, {"x": error}])}

    def OnUser(name, user):  # noqa: N802 - misses on the failure, whose output holds an error
        return {"when": actions([S.begin, {"name": name}, {}], [A.check, {}, {"user": user}]),
                "then": actions([W.say, {"x": user}])}

    e.register({"Check": Check, "OnError": OnError, "OnUser": OnUser})
    for name in names:
        S.begin(name=name)
    monkeypatch.undo()
    return e.run


def _misses(log, sync):
    return [ev for ev in log._evaluations if type(ev) is Evaluation and ev.sync == sync and not ev.fired]


def test_an_output_without_the_wanted_key_is_one_shared_report_that_reads_as_the_flows_own(monkeypatch):
    run = _run(True, monkeypatch)
    ann, bob, odd, bad = run.flows.values()
    # the same tuple in every flow whose output has the same keys, another for other keys
    (a1, a2), (b1, b2), (o1, _o2) = (_misses(log, "OnError") for log in (ann, bob, odd))
    assert type(a1._when) is tuple and a1._when is a2._when is b1._when is b2._when
    assert type(o1._when) is tuple and o1._when is not a1._when
    assert a1.when[1]["failure"] == {"side": "output", "key": "error", "reason": "output_absent",
                                     "text": "`Auth.check` returned user, not `error`", "pattern": 1,
                                     "action": "Auth.check"}
    assert o1.when[1]["failure"]["text"] == "`Auth.check` returned user, extra, not `error`"
    # reading one flow's reports gave it a list of its own: the others still share the tuple
    assert type(a1._when) is list and b1._when is a2._when
    # the failure's output holds an error, quoted in the sentence: that report is the flow's own
    (u1, _u2) = _misses(bad, "OnUser")
    assert type(u1._when) is list
    assert u1.when[1]["failure"]["text"] == "`Auth.check` returned error, not `user` (error: 'no user bad')"
    # everything reads as the run that shares nothing
    assert normalized(run.to_dict()) == normalized(_run(False, monkeypatch).to_dict())


def test_shared_output_misses_are_bounded_per_sync():
    misses: dict = {}
    pattern = object()
    ones, tails = [matching.Report(0, pattern, 1, None)], [(), ()]
    for k in range(matching._MAX_OUTPUT_MISSES):
        hit = matching._output_miss(misses, 1, pattern, ("output_absent", "A.b", "error", {f"k{k}": 1}), ones, tails)
        assert hit is not None and hit[1] == (ones[0], hit[0])
        assert hit[0].facts == ("output_absent", "A.b", "error", {f"k{k}": None})  # keys only, no value kept
    # full: a new set of keys is the flow's own again; one already there is still shared
    assert matching._output_miss(misses, 1, pattern, ("output_absent", "A.b", "error", {"new": 1}), ones, tails) is None
    again = matching._output_miss(misses, 1, pattern, ("output_absent", "A.b", "error", {"k0": 2}), ones, tails)
    assert again is misses[(1, "error", ("k0",))]
    assert len(misses) == matching._MAX_OUTPUT_MISSES
    # other misses are never shared here
    assert matching._output_miss(misses, 1, pattern, ("absent", "A.b", "x", ["y"]), ones, tails) is None
