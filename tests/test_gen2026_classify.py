"""Every cause of issue 13 is named on evidence recorded from the real engine (fixtures/gen2026).

First with only what a student has by default (status, latency, the default console output, the
app's source), then with TRACE lines and the JSONL journal. A healthy run gives no error finding.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sessioning.gen2026.classify import classify
from sessioning.gen2026.console import read_console_pair
from sessioning.gen2026.evidence import Evidence
from sessioning.gen2026.model import read_app
from sessioning.gen2026.records import read_check, read_collections, read_journal, read_requests

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "gen2026"

#: scenario → (the cause the failing request must get, its endpoint, its reaction)
EXPECTED = {
    "refusal-unmapped": ("refusal-unmapped", "/auth/login", "Access.Entering.Login"),
    "uncovered-case-timeout": ("uncovered-case-timeout", "/notes/add", "Notes.Writing.AddNote"),
    "error-returned-not-thrown": ("error-returned-not-thrown", "/auth/login", "Access.Entering.Login"),
    "action-fault": ("action-fault", "/notes/add", "Notes.Writing.AddNote"),
    "query-cardinality": ("query-cardinality", "/notes/add", "Notes.Writing.AddNote"),
    "query-throws": ("query-throws", "/notes/add", "Notes.Writing.AddNote"),
    "partial-commit": ("partial-commit", "/auth/register", "Access.Entering.Register"),
    "startup-unbound": ("startup-unbound", None, "Access.Entering.Register"),
    "startup-unordered": ("startup-unordered", None, "Notes.Writing.AddNote"),
    "invalid-input": ("invalid-input", "/notes/add", "Notes.Writing.AddNote"),
    "unknown-path": ("unknown-path", "/notes/create", None),
    "forbidden-origin": ("forbidden-origin", "/notes/add", "Notes.Writing.AddNote"),
    "double-answer": ("double-answer", "/notes/add", None),
    "refusal-mapped": ("refusal-mapped", "/auth/login", "Access.Entering.Login"),
}


def evidence(scenario: str, mode: str, *, journal: bool = False, collections: bool = False) -> Evidence:
    base = FIX / scenario
    run = base / mode
    ev = Evidence(model=read_app(base / "app"),
                  console=read_console_pair((run / "stdout.log").read_text(), (run / "stderr.log").read_text()),
                  exchanges=read_requests(run / "requests.json"))
    if journal and (run / "journal.jsonl").exists():
        ev.journal = read_journal(run / "journal.jsonl")
    if collections and (run / "collections").is_dir():
        ev.collections = read_collections(run / "collections")[0]
    return ev


def causes(found: list) -> list[str]:
    return [f.code for f in found]


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_cause_named_from_default_evidence(scenario: str) -> None:
    cause, endpoint, reaction = EXPECTED[scenario]
    found = classify(evidence(scenario, "default"))
    hits = [f for f in found if f.code == cause]
    assert hits, f"{scenario}: got {causes(found)}"
    f = hits[0]
    assert f.extra["cause"] == cause
    if endpoint:
        assert f.extra["endpoint"] == endpoint
    if reaction:
        assert f.extra["reaction"] == reaction
    assert f.explanation and f.fix
    # nothing else is called an error
    others = {x.code for x in found if x.severity == "error"} - {cause}
    assert not others, f"{scenario}: also {others}"


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_cause_named_with_trace_and_journal(scenario: str) -> None:
    cause, endpoint, _reaction = EXPECTED[scenario]
    ev = evidence(scenario, "trace", journal=True, collections=True)
    found = classify(ev)
    assert cause in causes(found), f"{scenario}: got {causes(found)}"
    if ev.flows and cause in ("refusal-unmapped", "refusal-mapped", "partial-commit", "uncovered-case-timeout",
                              "error-returned-not-thrown"):
        assert next(f for f in found if f.code == cause).extra["basis"] == "trace"


def test_healthy_run_gives_no_error_finding() -> None:
    for mode in ("default", "trace", "verbose"):
        found = classify(evidence("healthy", mode, journal=True))
        assert [f for f in found if f.severity == "error"] == []
        # the 401 for a session nobody holds is the UNAUTHORIZED branch working
        assert [(f.code, f.severity, f.extra["reaction"]) for f in found] == [
            ("refusal-mapped", "info", "Access.InvalidSessionIsRejected")]


def test_timeout_is_thirty_seconds_and_silent() -> None:
    ev = evidence("uncovered-case-timeout", "default")
    slow = [e for e in ev.exchanges if e.status == 500]
    assert slow and slow[0].latency_ms >= 30_000
    assert ev.console.errors() == []  # the engine printed nothing at all


def test_unmapped_refusal_is_fast_and_silent() -> None:
    ev = evidence("refusal-unmapped", "default")
    failing = [e for e in ev.exchanges if e.status == 500]
    assert failing and failing[0].latency_ms < 5_000
    assert ev.console.errors() == [] and ev.console.blocks == []


def test_journal_names_the_refusal_code_and_the_stage() -> None:
    found = classify(evidence("refusal-unmapped", "trace", journal=True))
    f = next(f for f in found if f.code == "refusal-unmapped")
    assert "INVALID_CREDENTIALS" in f.explanation and f.extra["stage"] == "Authenticating.authenticate"


def test_query_cardinality_names_query_promise_and_rows() -> None:
    f = next(f for f in classify(evidence("query-cardinality", "default")) if f.code == "query-cardinality")
    assert "`Sessioning._getUser` promises \"optional\" and answered 2 rows" in f.explanation


def test_action_fault_points_at_the_students_line() -> None:
    f = next(f for f in classify(evidence("action-fault", "default")) if f.code == "action-fault")
    assert "TypeError" in f.explanation
    assert "src/concepts/Noting.ts:12" in (f.evidence or "")


def test_partial_commit_compares_with_collections() -> None:
    ev = evidence("partial-commit", "default", collections=True)
    f = next(f for f in classify(ev) if f.code == "partial-commit")
    assert "`Authenticating.register`" in f.explanation and f.extra["stage"] == "Sessioning.start"
    assert ev.collections is not None
    assert len(ev.collections["authenticating.users"]) == 1
    assert ev.collections.get("sessioning.sessions", []) == []


def test_startup_failures_quote_the_engine() -> None:
    f = next(f for f in classify(evidence("startup-unbound", "default")) if f.code == "startup-unbound")
    assert "before it is bound" in f.explanation
    g = next(f for f in classify(evidence("startup-unordered", "default")) if f.code == "startup-unordered")
    assert "`sessionId`" in g.explanation


def test_startup_failure_from_check_report_alone() -> None:
    ev = Evidence(check=read_check(FIX / "startup-unbound" / "check.json"))
    assert causes(classify(ev)) == ["startup-unbound"]


def test_verbose_shows_the_matched_but_dropped_reaction() -> None:
    ev = evidence("uncovered-case-timeout", "verbose")
    assert "Notes.Writing.AddNote" in ev.console.verbose_unprocessed()
    f = next(f for f in classify(ev) if f.code == "uncovered-case-timeout")
    assert (f.extra["basis"], f.extra["reaction"]) == ("trace", "Notes.Writing.AddNote")


def test_requests_and_firings_tables() -> None:
    from sessioning.gen2026.classify import requests_frame
    from sessioning.gen2026.flows import firings_frame

    ev = evidence("partial-commit", "trace", journal=True)
    frame = requests_frame(ev)
    assert list(frame["status"]) == [500, 409]
    assert list(frame["cause"]) == ["partial-commit", "refusal-mapped"]
    assert frame["actions"][0] == "Authenticating.register → Sessioning.start"
    firings = firings_frame(ev.flows)
    assert "DeliverFaultToAsker" in set(firings["reaction"])
    assert "correct-horse" not in firings.to_string()
