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


def test_other_shapes_and_the_1_1_0_keywords(tmp_path: Path) -> None:
    """conceptSet(registrations) with the object beside it, a registration in its own file, a policy
    object in a variable, and a spec in the 1.1.0 keywords (`returns` / `refuses`)."""
    (tmp_path / "src" / "concepts" / "greeting").mkdir(parents=True)
    (tmp_path / "design" / "concepts").mkdir(parents=True)
    (tmp_path / "package.json").write_text('{"dependencies": {"@mit-sdg/sync-engine": "1.1.0"}}')
    (tmp_path / "src" / "concepts" / "greeting" / "registry.ts").write_text(
        'export const greeting = registerConcept({ class: GreetingConcept, spec, refusals: { RUDE: Rude } });\n')
    (tmp_path / "src" / "concepts.ts").write_text(
        'const registrations = { Greeting: greeting };\nexport const set = conceptSet(registrations, {});\n')
    (tmp_path / "src" / "http.ts").write_text(
        'const policy = { basePath: "/api", publicErrors: Object.freeze({ OTHER: "CONFLICT" }) };\n'
        'export const p = httpPolicy(policy);\n')
    (tmp_path / "design" / "concepts" / "Greeting.md").write_text(
        "```actions\ngreet (name: Name) : returns (greeting: String)\n  where name is rude\n  then\n"
        "    refuses RUDE \"No.\"\n```\n\n```queries\n_last () : optional (greeting: String)\n```\n")
    m = read_app(tmp_path)
    assert m.engine_version == "1.1.0" and m.spec_keywords == "returns/refuses"
    assert m.concepts["Greeting"].spec_refusals == {"greet": ["RUDE"]}
    assert m.concepts["Greeting"].promises == {"_last": "optional"}
    assert m.http and m.http.public_errors == {"OTHER": "CONFLICT"} and m.http.base_path == "/api"
    assert m.unmapped_refusals() == [("Greeting", "RUDE")]


def test_an_empty_or_odd_folder_is_an_empty_model(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text("{not json")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "broken.ts").write_bytes(b"export const = (((\xff\xfe")
    m = read_app(tmp_path)
    assert m.concepts == {} and m.chains == [] and m.problems == ["package.json is not JSON"]
    assert not looks_like_2026(tmp_path)
