"""Hardening — unbounded memory (issue 15, item 5).

* every request answered 500 used to stay in ``Requesting.pending`` for the life of the kernel,
  whatever the retention: pending requests are now bounded (oldest forgotten first);
* write recording read each insert back with a scan of the whole collection when its ``_id``
  was not a string (4,000 such inserts in one flow: more than a minute): now one look-up each.
"""

from __future__ import annotations

import time

import pytest

from sessioning import RequestingConcept, connect, make_app
from sessioning.db.watch import recording_writes


def test_pending_requests_are_bounded():
    requesting = RequestingConcept(connect(embedded=True), max_pending=10)
    ids = [requesting.request(path="/x")["request"] for _ in range(100)]
    assert len(requesting.pending) == 10
    assert list(requesting.pending) == ids[-10:]  # the newest are kept
    with pytest.raises(RuntimeError, match="is not pending or does not exist: it may have timed-out"):
        requesting._awaitResponse(ids[0])
    requesting.respond(ids[-1], msg="ok")
    assert requesting._awaitResponse(ids[-1]) == [{"response": {"msg": "ok"}}]


def test_release_forgets_a_pending_request():
    requesting = RequestingConcept(connect(embedded=True))
    rid = requesting.request(path="/x")["request"]
    requesting.release(rid)
    requesting.release(rid)  # twice is fine
    assert rid not in requesting.pending


@pytest.mark.parametrize("bad", [0, -1, True, 2.5, None])
def test_max_pending_is_validated(bad):
    with pytest.raises(ValueError, match="max_pending"):
        RequestingConcept(connect(embedded=True), max_pending=bad)


def test_requests_answered_500_do_not_pile_up(quiet_console):
    app = make_app(fast_hash=True, logging="OFF", retention=5)
    app.db.faults.fail_action("UserAuthentication.register", RuntimeError("boom"), times=None)
    requesting = app.Requesting.concept if hasattr(app.Requesting, "concept") else app.Requesting._concept
    requesting.max_pending = 20
    for i in range(60):
        assert app.request("/register", username=f"u{i}", password="pw").status == 500
    assert len(requesting.pending) <= 20


def _record_inserts(n: int, prefill: int) -> float:
    db = connect(embedded=True)
    coll = db["things"]
    if prefill:
        coll.insert_many([{"k": i} for i in range(prefill)])
    writes: list = []
    started = time.perf_counter()
    with recording_writes(writes.append):
        for i in range(n):
            coll.insert_one({"i": i})  # no _id: the database makes an ObjectId
    elapsed = time.perf_counter() - started
    assert len(writes) == n and all(w["after"]["i"] == i for i, w in enumerate(writes))
    return elapsed


def test_recorded_inserts_without_string_ids_do_not_scan_the_collection():
    small = _record_inserts(300, prefill=0)
    big = _record_inserts(300, prefill=20_000)
    # a scan per insert made the second ~100× slower; one look-up each keeps them alike
    assert big < max(10 * small, 0.5), f"{small:.2f} s on an empty collection, {big:.2f} s beside 20,000 documents"


def test_the_http_front_releases_requests_it_answers_500(quiet_console):
    app = make_app(fast_hash=True, logging="OFF")
    app.db.faults.fail_action("UserAuthentication.register", RuntimeError("boom"), times=None)
    requesting = app.Requesting.concept
    for i in range(30):
        assert app.request("/register", username=f"u{i}", password="pw").status == 500
    assert len(requesting.pending) == 0


def test_an_error_saying_timed_out_is_504_as_the_template_but_recorded_as_an_error(quiet_console):
    from sessioning import diagnose_findings

    app = make_app(fast_hash=True, logging="OFF")
    app.db.faults.fail_action("UserAuthentication.register",
                              RuntimeError("Server selection timed out after 30000 ms"), times=1)
    r = app.request("/register", username="a", password="pw")
    assert r.status == 504 and r.body == {"error": "Request timed out."}  # the template's handler, word for word
    assert app.engine.run.flows[r.flow].outcome == "error"  # not "no sync responded"
    codes = {f.code for f in diagnose_findings(app)}
    assert "F10" not in codes and "F11" not in codes
    assert len(app.Requesting.concept.pending) == 0
