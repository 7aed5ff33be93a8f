"""The static model of a 2026 app (tree-sitter over its TypeScript, its design and generated files)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sessioning.gen2026.doctor import looks_like_2026
from sessioning.gen2026.model import read_app
from sessioning.gen2026.records import read_collections
from sessioning.gen2026.sessions import cookie_facts, sessions_table
from sessioning.gen2026.static import static_findings, visibility_note

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "gen2026"


def test_healthy_model() -> None:
    m = read_app(FIX / "healthy/app")
    assert m.engine_version == "1.0.0-beta.16" and m.spec_keywords == "return/refuse"
    assert m.concepts["Authenticating"].refusals["INVALID_CREDENTIALS"] == "InvalidCredentials"
    assert m.concepts["Sessioning"].promises == {"_getUser": "optional"}
    assert m.http and m.http.base_path == "/api" and m.http.cookie_name == "jotter-session"
    names = {c.full_name: c for c in m.chains}
    assert set(names) == {"Access.Entering.Register", "Access.Entering.Login", "Access.InvalidSessionIsRejected",
                          "Notes.Writing.AddNote"}
    assert names["Notes.Writing.AddNote"].where[0].kind == "plain"
    assert m.unauthorized_branch() is names["Access.InvalidSessionIsRejected"]
    assert m.unmapped_refusals() == [] and m.error_returners() == [] and m.session_endpoints_uncovered() == []
    assert static_findings(m, None, []) == []
    assert "LOG_LEVEL=debug" in (visibility_note(m) or "")
    assert looks_like_2026(FIX / "healthy/app")


def test_static_warnings_for_the_silent_causes() -> None:
    unmapped = static_findings(read_app(FIX / "refusal-unmapped/app"), None, [])
    assert [(f.code, f.severity, f.extra["stage"]) for f in unmapped] == [
        ("refusal-unmapped", "warning", "Authenticating.authenticate")]
    returned = static_findings(read_app(FIX / "error-returned-not-thrown/app"), None, [])
    assert [(f.code, f.file, f.line) for f in returned] == [
        ("error-returned-not-thrown", "src/concepts/Authenticating.ts", 30)]
    uncovered = static_findings(read_app(FIX / "uncovered-case-timeout/app"), None, [])
    assert [(f.code, f.extra["endpoint"]) for f in uncovered] == [("uncovered-case-timeout", "/notes/add")]


def test_sessions_table_and_cookie_facts() -> None:
    cols, _ = read_collections(FIX / "healthy/default/collections")
    later = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    table = sessions_table(cols, now=later)
    assert len(table) == 2 and set(table["state"]) == {"expired"}
    assert table["user_exists"].all() and set(table["id_kind"]) == {"uuid v4"}
    assert not any(len(str(s)) == 36 for s in table["session"])  # ids are masked
    # a session whose user is gone, the 2025 casing, `subject` instead of `user`
    odd = {"Sessioning.sessions": [{"_id": "abc_base64url", "subject": "ghost", "expiresAt": later}],
           "authenticating.users": [{"_id": "u1"}]}
    row = sessions_table(odd, now=later - dt.timedelta(days=1)).iloc[0]
    assert (row["user"], row["state"], row["user_exists"], row["id_kind"]) == ("ghost", "active", False, "string")
    facts = cookie_facts(read_app(FIX / "healthy/app"), page_origin="http://127.0.0.1:3000")
    assert facts.cookie == "__Host-jotter-session"
    assert any("separate origins" in n for n in facts.notes)
