"""The 2026 readers on recorded evidence, and on partial or garbled input (clear errors, never tracebacks)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sessioning.errors import KitError
from sessioning.gen2026.console import read_console, read_console_pair
from sessioning.gen2026.flows import actions_frame, flows_frame, flows_from_journal, flows_from_trace
from sessioning.gen2026.inspect_text import parse_inspect, split_trace
from sessioning.gen2026.records import (
    EvidenceError,
    read_check,
    read_collections,
    read_journal,
    read_manifest,
    read_observer,
    read_requests,
)

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "gen2026"


def test_default_console_is_nearly_empty() -> None:
    log = read_console_pair((FIX / "healthy/default/stdout.log").read_text(), "")
    assert log.listening and log.listening.startswith("Backend listening on")
    assert log.errors() == [] and log.problems == []


def test_trace_lines_read_as_asks_and_outcomes() -> None:
    log = read_console((FIX / "healthy/trace/stdout.log").read_text(), "stdout")
    traces = log.of_kind("trace")
    assert traces[0].trace and traces[0].trace[0] == "RequestBoundary.request"
    name, inp, out = next(t.trace for t in traces if t.trace and t.trace[0] == "Sessioning.start" and t.trace[2] != "{}")
    assert parse_inspect(out)["session"] == "[redacted]"
    assert "Notes.Writing.AddNote" in log.readbacks()
    assert "fills or drops the case" in log.readbacks()["Notes.Writing.AddNote"]


def test_verbose_lines_are_recognised() -> None:
    log = read_console((FIX / "healthy/verbose/stdout.log").read_text(), "stdout")
    verbose = log.of_kind("verbose")
    assert any(v.message == "Reacting to action:" for v in verbose)
    assert any(v.reaction == "Access.Entering.Register" for v in verbose)


def test_bun_error_block_from_raw_fault_reporter() -> None:
    log = read_console((FIX / "action-fault/default/stderr.log").read_text(), "stderr")
    block = log.blocks[0]
    assert block.error_class == "TypeError" and "text.match" in block.message
    assert block.where == "<app>/src/concepts/Noting.ts:12:41"
    assert log.errors()[0].message == "Consequence action faulted"
    assert log.errors()[0].error_class == "TypeError"


def test_startup_failure_read_from_stderr() -> None:
    log = read_console((FIX / "startup-unbound/default/stderr.log").read_text(), "stderr")
    assert [(s.kind, s.reaction, s.names) for s in log.startup] == [
        ("unbound", "Access.Entering.Register", ("expiresAt", "session"))]


def test_cut_json_line_is_kept_as_text_with_a_problem() -> None:
    text = (FIX / "action-fault/default/stderr.log").read_text()
    last = text.strip().splitlines()[-1]
    log = read_console(text.replace(last, last[: len(last) // 2]), "stderr")
    assert log.problems and "cut short" in log.problems[0]
    assert log.blocks  # the rest is still read


def test_split_trace_rejects_other_messages() -> None:
    assert split_trace("Consequence action faulted") is None
    assert split_trace("\nA.b { x: 1 } => {}\n") == ("A.b", "{ x: 1 }", "{}")
    assert parse_inspect("{ a: 'x', b: [ 1, 2 ], c: null, d: { e: true } }") == {
        "a": "x", "b": [1, 2], "c": None, "d": {"e": True}}


def test_journal_flows_and_tables() -> None:
    journal = read_journal(FIX / "healthy/trace/journal.jsonl")
    flows = flows_from_journal(journal)
    assert [f.path for f in flows] == ["/auth/register", "/notes/add", "/auth/login", "/notes/add", "/notes/add"]
    register = flows[0]
    assert [a.label for a in register.actions] == ["RequestBoundary.request", "Authenticating.register",
                                                   "Sessioning.start", "RequestBoundary.respond"]
    assert register.actions[2].by == "Access.Entering.Register#2"
    frame = flows_frame(flows)
    assert frame["answered"].all()
    acts = actions_frame(flows[:1])
    assert "correct-horse" not in acts.to_string()


def test_trace_flows_match_journal_flows() -> None:
    log = read_console((FIX / "healthy/trace/stdout.log").read_text(), "stdout")
    from_trace = flows_from_trace(log)
    from_journal = flows_from_journal(read_journal(FIX / "healthy/trace/journal.jsonl"))
    assert [f.path for f in from_trace] == [f.path for f in from_journal]
    assert [[a.label for a in f.actions] for f in from_trace] == [[a.label for a in f.actions] for f in from_journal]


def test_unanswered_flow_in_journal() -> None:
    flows = flows_from_journal(read_journal(FIX / "uncovered-case-timeout/trace/journal.jsonl"))
    assert flows[-1].path == "/notes/add" and not flows[-1].answered


def test_partial_journal_is_read_with_problems(tmp_path: Path) -> None:
    text = (FIX / "healthy/trace/journal.jsonl").read_text()
    cut = text[: len(text) // 2]
    journal = read_journal(cut + "\n")
    assert journal.records and journal.problems
    with pytest.raises(EvidenceError):
        read_journal('{"hello": 1}\n')


def test_observer_events() -> None:
    events, problems = read_observer(FIX / "uncovered-case-timeout/trace/observer.jsonl")
    settled = [e for e in events if e["type"] == "invocation-settled"]
    assert settled[-1]["frameworkCode"] == "TIMED_OUT" and not problems


def test_check_and_manifest() -> None:
    check = read_check(FIX / "healthy/check.json")
    assert check.status == "passed" and check.codes("MISSING_ENDPOINT_FALLBACK")
    manifest = read_manifest(FIX / "healthy/manifest.json")
    assert manifest["format"] == "sync-engine.application-manifest"
    with pytest.raises(EvidenceError, match="not JSON"):
        read_check("{\"format\": \"sync-engine.diagnostic-report\", ")
    with pytest.raises(EvidenceError):
        read_manifest('{"format": "something else"}')


def test_requests_tolerate_extra_and_missing_keys(tmp_path: Path) -> None:
    p = tmp_path / "r.json"
    p.write_text(json.dumps([{"path": "/api/x", "status": 500, "extra": 1}, {"no": "path"}, 3]))
    [ex] = read_requests(p)
    assert ex.status == 500 and ex.latency_ms is None and ex.started_at is None
    p.write_text("[{\"path\": ")
    with pytest.raises(KitError, match="not JSON"):
        read_requests(p)


def test_collections_folder(tmp_path: Path) -> None:
    cols, problems = read_collections(FIX / "healthy/default/collections")
    assert set(cols) == {"authenticating.users", "sessioning.sessions", "noting.notes"}
    assert not problems
    with pytest.raises(EvidenceError, match="not a folder"):
        read_collections(tmp_path / "missing")
