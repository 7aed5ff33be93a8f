"""The diagnosis as lists of checks: engine errors read from what the engine recorded (by type),
an old export without those facts still explained from the record, and a check added to a list runs."""

from __future__ import annotations

import pytest

from sessioning import console, make_app
from sessioning.db.connect import connect
from sessioning.findings import Finding
from sessioning.gen2025 import diagnosis
from sessioning.gen2025.diagnosis import database as db_checks
from sessioning.gen2025.diagnosis.engine_errors import ENGINE_ERRORS
from sessioning.record import Run


@pytest.fixture(autouse=True)
def _quiet():
    with console.quiet():
        yield


@pytest.fixture(scope="module")
def one_then_run():
    """The seed's bug: authenticate, create and respond in one `then` (F1), as an exported run."""
    with console.quiet():
        app = make_app(fast_hash=True, syncs="one_then")
        app.request("/register", username="a", password="p")
        app.request("/login", username="a", password="p")
    return app.engine.run.to_dict()


def only(findings, code):
    found = [f for f in findings if f.code == code]
    assert len(found) == 1, [(f.code, f.sync) for f in findings]
    return found[0]


def test_an_export_with_the_engines_facts_is_explained_by_them(one_then_run):
    f1 = only(diagnosis.diagnose_findings(Run.from_dict(one_then_run)), "F1")
    assert "while resolving `Requesting.respond`" in f1.explanation  # the `then` entry the engine recorded
    assert "`Sessioning.create` never ran" in f1.explanation and f1.extra["then_action"] == "Requesting.respond"


def test_an_old_export_without_facts_is_explained_from_the_record(one_then_run):
    old = {**one_then_run, "flows": [
        {**fl, "evaluations": [{k: v for k, v in ev.items() if k not in ("error_facts", "error_type")}
                               for ev in fl["evaluations"]]}
        for fl in one_then_run["flows"]]}
    f1 = only(diagnosis.diagnose_findings(Run.from_dict(old)), "F1")
    assert "nothing in `when` or `where` binds `session`" in f1.explanation
    assert f1.sync == "auth.LoginCreatesSessionAndResponds"


def test_engine_errors_are_dispatched_by_type_not_by_message(one_then_run, monkeypatch):
    seen = []
    monkeypatch.setitem(ENGINE_ERRORS, "MissingBinding", lambda ctx, flow, ev: seen.append(ev.error_type))
    data = {**one_then_run, "flows": [
        {**fl, "evaluations": [{**ev, "error": "reworded by hand"} if ev.get("error") else ev
                               for ev in fl["evaluations"]]}
        for fl in one_then_run["flows"]]}
    diagnosis.diagnose_findings(Run.from_dict(data))
    assert seen == ["MissingBinding"]


def test_a_flow_check_added_to_the_list_runs_for_every_flow(one_then_run, monkeypatch):
    def every_flow(ctx, flow):
        ctx.add("INFO", "info", f"looked at {flow.flow}", "nothing to do", request=flow.request, flow=flow.flow)

    monkeypatch.setattr(diagnosis, "CHECKS", [*diagnosis.CHECKS, every_flow])
    run = Run.from_dict(one_then_run)
    infos = [f for f in diagnosis.diagnose_findings(run) if f.code == "INFO"]
    assert len(infos) == len(run.flows) and infos[0].explanation.startswith("looked at ")


def test_a_database_check_added_to_the_list_runs(monkeypatch):
    def always(c):
        c.add("INFO", "info", f"{len(c.names)} collections", "none")

    monkeypatch.setattr(db_checks, "CHECKS", [*db_checks.CHECKS, always])
    db = connect(embedded=True)
    db["Sessioning.sessions"].insert_one({"_id": "s1", "user": "u1"})
    found = db_checks.diagnose_database(db=db)
    assert found[-1] == Finding("INFO", "info", "1 collections", "none", source="db")


def test_the_checks_are_plain_functions_in_order():
    names = [c.__name__ for c in diagnosis.CHECKS]
    assert names == ["engine_error", "action_checks", "timed_out", "double_respond", "empty_checks",
                     "missing_insert"]
    assert [c.__name__ for c in db_checks.CHECKS][-1] == "requests_without_response"
