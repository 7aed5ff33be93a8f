"""read_log: tables and findings from course-engine server logs (fixtures/logs/*.log).

Each fixture is named by what must happen: ``ok-…`` (no findings) or the failure-mode codes it
must show, then a description (``f1-f15-render-timestamped.log``: F1 and F15, nothing else).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest

from sessioning.gen2025.readers.logs import LogReadError, classify_error, read_log, split_trace
from sessioning.masking import mask_inline, reveal_secrets

LOGS = Path(__file__).resolve().parents[1] / "fixtures" / "logs"


def codes(log) -> list[str]:
    return sorted(f.code for f in log.findings())


def one(log, code):
    found = [f for f in log.findings() if f.code == code]
    assert len(found) == 1, [f.code for f in log.findings()]
    return found[0]


def expected_codes(name: str) -> set[str]:
    """The finding codes a fixture's name promises: ``f10-f11-timeout.log`` → {F10, F11}; ``ok-…`` → none."""
    if name.startswith("ok-"):
        return set()
    codes = set()
    for part in name.split("-"):
        if not re.fullmatch(r"f\d+", part):
            break
        codes.add(part.upper())
    return codes


@pytest.mark.parametrize("path", sorted(LOGS.glob("*.log")), ids=lambda p: p.name)
def test_fixture_name_states_its_findings(path):
    assert re.match(r"(ok|f\d+)-", path.name), f"{path.name}: name a log fixture by what must happen (ok-, f1-, …)"
    assert {f.code for f in read_log(path).findings()} == expected_codes(path.name)


# ---------------------------------------------------------------- tables


def test_login_success_tables():
    log = read_log(LOGS / "ok-trace-login-success.log")
    req = log.requests
    assert list(req["path"]) == ["/login", "/posts/list"]
    assert list(req["outcome"]) == ["responded", "responded"]
    assert list(req["status"]) == [200, 200]
    acts = log.actions
    assert list(acts["order"]) == [0, 1, 2, 3, 0, 1]
    assert list(acts["concept"] + "." + acts["action"]) == [
        "Requesting.request", "UserAuthentication.login", "Sessioning.create", "Requesting.respond",
        "Requesting.request", "Requesting.respond"]
    first = req["request"][0]
    assert set(acts["request"][:4]) == {first}
    assert log.findings() == []
    assert log.log_level == "TRACE" and log.engine_version == "v2" and log.timeout_ms == 10000
    assert log.unknown_lines["count"] == 0


def test_multiline_entry_with_arrow_inside_string_and_nested_values():
    log = read_log(LOGS / "ok-trace-login-success.log")
    last = log.actions.iloc[-1]
    results = last["input"]["results"]
    assert results[0]["content"] == "hello => world"
    assert last["output"] == {"request": "019a6e27-0a11-7b3c-8d21-5c6e7f8a9b0c"}


def test_secrets_masked_by_default_and_revealed_on_request():
    log = read_log(LOGS / "ok-trace-login-success.log")
    inp = log.actions["input"][0]
    assert inp["password"] == "••••••" and inp["username"] == "bob"
    resp = log.requests["response"][0]
    assert resp["session"] != "019a6e26-4230-7c1e-9a55-2b1f0c9d8e11" and "…" in resp["session"]
    with reveal_secrets():
        assert log.actions["input"][0]["password"] == "hunter2pw"
        assert log.requests["response"][0]["session"] == "019a6e26-4230-7c1e-9a55-2b1f0c9d8e11"
    assert log.actions_frame(reveal=True)["input"][0]["password"] == "hunter2pw"


def test_mask_inline():
    text = "Profile.authenticate { username: 'bob', password: 'hunter2' } session: '019a6e26-4230-7c1e'"
    masked = mask_inline(text)
    assert "hunter2" not in masked and "019a6e26-4230-7c1e'" not in masked and "bob" in masked
    assert "s3cret" not in mask_inline("MongoDB connection failed: mongodb+srv://al:s3cret@x.net/db")
    assert mask_inline(text, reveal=True) == text


def test_split_trace_respects_strings_and_maps():
    inp, out = split_trace("{ a: 'x => y', m: Map(1) { 'k' => 1 } } => { ok: true }")
    assert inp == "{ a: 'x => y', m: Map(1) { 'k' => 1 } }" and out == "{ ok: true }"


# ---------------------------------------------------------------- each finding


def test_f1_missing_binding_session_after_authenticate():
    log = read_log(LOGS / "f1-missing-binding-session.log")
    f = one(log, "F1")
    assert f.severity == "error" and f.source == "log"
    assert "one `then`" in f.explanation and "Restarting the server does not help" in f.explanation
    assert "[Sessioning.create, {}, {session}]" in f.fix
    assert "Missing binding: Symbol(session)" in f.evidence
    assert "1234567890" not in f.evidence  # the password in the evidence line is masked
    assert f.request == "019a6e26-41f2-743a-82e4-e600684e2652"
    r = log.requests.iloc[0]
    assert r["outcome"] == "error 500" and r["status"] == 500 and "Symbol(session)" in r["message"]
    e = log.errors.iloc[0]
    assert (e["code"], e["variable"], e["request"]) == ("F1", "session", f.request)


def test_missing_binding_session_after_create_line_is_not_f1():
    text = (LOGS / "f1-missing-binding-session.log").read_text()
    text = text.replace("[Requesting] Error", "[Sessioning.create] Attempting to insert session for user: "
                        "019a4aa7-4575-7b22-8019-0eab1665c0e7 with ID: 019a6e26-4230-7c1e-9a55-2b1f0c9d8e11\n"
                        "[Requesting] Error")
    log = read_log(text)
    assert "F1" not in codes(log) and "F2" in codes(log)


def test_f3_missing_binding_error():
    log = read_log("[Requesting] Received request for path: /x\n"
                   "Requesting.request { path: '/x' } => { request: 'r1' }\n"
                   "[Requesting] Error processing request: Missing binding: Symbol(error) in frame: [object Object]\n")
    f = one(log, "F3")
    assert "error" in f.explanation and f.request == "r1"


def test_f2_user_unbound_after_getuser():
    log = read_log("[Requesting] Received request for path: /posts/mine\n"
                   "Requesting.request { session: 'bad', path: '/posts/mine' } => { request: 'r2' }\n"
                   "[Requesting] Error processing request: Missing binding: Symbol(user) in frame: [object Object]\n")
    f = one(log, "F2")
    assert "_getUser" in f.explanation and "filter" in f.fix


def test_f4_binding_not_found():
    log = read_log("Requesting.request { session: 'x', path: '/a' } => { request: 'r3' }\n"
                   "[Requesting] Error processing request: Binding: Symbol(user) not found in frame: [object Object]\n")
    f = one(log, "F4")
    assert f.request == "r3" and "Symbol(user)" in f.explanation


def test_f5_missing_action_id_and_f8_f9_messages():
    assert classify_error("Missing actionId in `then` clause.") == ("F5", None)
    assert classify_error("When pattern: [object Object] is missing output pattern.") == ("F8", None)
    assert classify_error("functionOutputArray is not iterable")[0] == "F9"
    assert classify_error("Cannot read properties of undefined (reading 'length')")[0] == "F9"
    assert classify_error("Something the action threw")[0] == "F16"
    log = read_log("Requesting.request { path: '/c' } => { request: 'r5' }\n"
                   "[Requesting] Error processing request: Missing actionId in `then` clause.\n")
    assert "new Frames" in one(log, "F5").explanation


def test_f8_log():
    log = read_log("Requesting.request { path: '/d' } => { request: 'r8' }\n"
                   "[Requesting] Error processing request: When pattern: [object Object] is missing output pattern.\n")
    assert "third element" in one(log, "F8").fix


def test_f10_timeout_request_never_matched():
    log = read_log(LOGS / "f10-f11-timeout.log")
    f10 = one(log, "F10")
    assert f10.request == "019a6e32-1b9f-7460-9bab-9064813481ad"
    assert "no request sync fired" in f10.explanation and "REQUESTING_TIMEOUT" in f10.explanation
    assert "content" in f10.explanation and "session" in f10.explanation  # the body keys, not values
    req = log.requests.set_index("request")
    assert req.loc[f10.request, "outcome"] == "timed out" and req.loc[f10.request, "status"] == 504


def test_f11_timeout_after_error_output():
    log = read_log(LOGS / "f10-f11-timeout.log")
    f11 = one(log, "F11")
    assert f11.request == "019a6e32-2c00-7aaa-8bbb-0123456789ab"
    assert "UserAuthentication.register" in f11.explanation and "{error}" in f11.explanation


def test_f12_double_respond():
    log = read_log(LOGS / "f12-double-respond.log")
    f = one(log, "F12")
    assert f.severity == "warning" and "`{}` output pattern also matches `{error}`" in f.explanation
    r = log.requests.iloc[0]
    assert r["outcome"] == "responded twice" and r["responses"] == 2
    assert r["response"] == {"status": "logged_out"}  # the client got the first one


def test_f14_array_output_action():
    log = read_log(LOGS / "f14-array-output.log")
    f = one(log, "F14")
    assert "Sessioning.getUser" in f.explanation and "_getUser" in f.fix
    assert log.actions["outcome"].tolist() == ["ok", "array", "ok"]


def test_f15_unverified_routes():
    log = read_log(LOGS / "f15-startup-unverified.log")
    f = one(log, "F15")
    assert f.extra["routes"] == ["/api/Sessioning/_getUser", "/api/Sessioning/create", "/api/UserAuthentication/login"]
    assert "passthrough.ts" in f.fix
    assert log.verified_routes == ["/api/LikertSurvey/_getSurveyQuestions"]
    assert log.startups == 1 and log.unknown_lines["count"] == 0


def test_f16_e11000():
    log = read_log(LOGS / "f16-e11000-duplicate-key.log")
    f = one(log, "F16")
    assert "E11000" in f.explanation and "aborted" in f.explanation and f.severity == "error"
    assert "E11000 duplicate key error collection: sample.UserAuthentication.users" in f.evidence


def test_f7_not_instrumented_startup_crash_names_sync_and_file():
    log = read_log(LOGS / "f7-not-instrumented.log")
    f = one(log, "F7")
    assert f.sync == "GetFriendsRequest" and f.file == "friends.sync.ts" and f.line == 110
    assert "_getUser" in f.fix and "where" in f.fix
    e = log.errors.iloc[0]
    assert e["kind"] == "startup" and e["sync_file"] == "friends.sync.ts:110"
    assert log.unknown_lines["count"] == 0  # the source excerpt and stack belong to the error


def test_f18_environment_and_f20_leaks():
    log = read_log("error: Uncaught (in promise) Error: Could not find environment variable: MONGODB_URL\n"
                   "    at getDb (file:///app/src/utils/database.ts:10:11)\n")
    assert one(log, "F18").severity == "error"
    log = read_log("MongoDB connection failed: MongoServerSelectionError: bad auth : authentication failed "
                   "mongodb+srv://al:s3cret@cluster0.x.net\n")
    f = one(log, "F18")
    assert "s3cret" not in f.evidence
    log = read_log("error: Leaks detected:\n  - A TCP connection was opened/accepted during the test\n")
    assert one(log, "F20").severity == "warning"


def test_f17_objectid():
    log = read_log("Requesting.request { path: '/p' } => { request: 'r17' }\n"
                   "[Requesting] Error processing request: input must be a 24 character hex string, 12 byte "
                   "Uint8Array, or an integer\n")
    assert one(log, "F17").request == "r17"


# ---------------------------------------------------------------- formats


def test_verbose_log_flows_and_where_emptied():
    log = read_log(LOGS / "f10-f11-verbose-where-emptied.log")
    assert log.log_level == "VERBOSE"
    acts = log.actions
    assert list(acts["action"]) == ["request", "login", "request"]
    assert acts["attributed_by"][1] == "flow" and acts["request"][1] == "019ab000-0000-7000-8000-000000000001"
    assert acts["input"][0]["password"] == "••••••"
    f11 = one(log, "F11")
    assert f11.sync == "auth.LoginResponse" and "removed every frame" in f11.explanation
    f10 = one(log, "F10")
    assert "Matched" in f10.explanation
    ev = log.sync_activity
    assert list(ev["event"]) == ["matched", "then login", "matched"]


def test_render_timestamps_and_dropped_blank_lines():
    log = read_log(LOGS / "f1-f15-render-timestamped.log")
    assert log.timestamps
    req = log.requests
    assert list(req["outcome"]) == ["error 500", "responded"]
    assert str(req["time"][0]) == "2025-11-08 04:48:24.808402217+00:00"
    assert req["duration_ms"][0] == pytest.approx(92.6, abs=0.1)
    assert one(log, "F1").request == "019a61c2-8a10-7c3e-9d11-0a1b2c3d4e5f"
    assert codes(log) == ["F1", "F15"]
    assert log.actions["input"][3]["profile"] == {"name": "Bob", "bio": "hi"}
    assert log.actions["time"][0] is not None


def test_interleaved_requests_are_attributed_by_value():
    log = read_log(LOGS / "ok-interleaved-logins.log")
    acts = log.actions
    a, b = "019a8000-0000-7000-8000-0000000000a1", "019a8000-0000-7000-8000-0000000000b2"
    by_req = {r: list(g["concept"] + "." + g["action"]) for r, g in acts.groupby("request")}
    expected = ["Requesting.request", "UserAuthentication.login", "Sessioning.create", "Requesting.respond"]
    assert by_req[a] == expected and by_req[b] == expected
    with reveal_secrets():
        acts = log.actions
    logins = acts[acts["action"] == "login"].set_index("request")
    assert logins.loc[a, "input"]["username"] == "alice" and logins.loc[b, "input"]["username"] == "bob"
    creates = acts[acts["action"] == "create"].set_index("request")
    assert creates.loc[a, "output"]["session"].endswith("a1") and creates.loc[b, "output"]["session"].endswith("b2")
    assert log.findings() == []


def test_crlf_and_text_equals_file(tmp_path):
    text = (LOGS / "f1-missing-binding-session.log").read_text()
    p = tmp_path / "crlf.log"
    p.write_bytes(text.replace("\n", "\r\n").encode())
    a, b = read_log(p), read_log(text)
    assert codes(a) == codes(b) == ["F1"]
    assert a.actions.drop(columns=["time"]).equals(b.actions.drop(columns=["time"]))


def test_stream_and_bytes_inputs():
    text = (LOGS / "f16-e11000-duplicate-key.log").read_text()
    assert codes(read_log(io.StringIO(text))) == ["F16"]
    assert codes(read_log(text.encode())) == ["F16"]


def test_stderr_only_log():
    log = read_log("[Requesting] Error processing request: Missing binding: Symbol(session) in frame: [object Object]\n"
                   "[Requesting] Error processing request: Request 019a6e32-1b9f-7460-9bab-9064813481ad timed out "
                   "after 10000ms\n")
    assert len(log.errors) == 2 and log.log_level == "OFF"
    assert set(codes(log)) >= {"F10"}


def test_logging_off_received_and_error():
    log = read_log("[Requesting] Received request for path: /login\n"
                   "[Requesting] Error processing request: Missing binding: Symbol(session) in frame: [object Object]\n")
    r = log.requests.iloc[0]
    assert r["path"] == "/login" and r["outcome"] == "error 500"


def test_unknown_lines_are_kept_counted_never_fatal():
    text = ("hello from my app\n[SyncEngine] Checking sync: auth.LoginRequest\n"
            "[SyncEngine] ✗ Pattern did not match for sync: auth.LoginRequest\n"
            + (LOGS / "f1-missing-binding-session.log").read_text() + "DEBUG user is 42\n")
    log = read_log(text)
    assert log.unknown_lines["count"] == 2
    assert [t for _, t in log.unknown_lines["sample"]] == ["hello from my app", "DEBUG user is 42"]
    assert log.unknown_frame()["text"].tolist() == ["hello from my app", "DEBUG user is 42"]
    assert log.unknown_frame()["line"].tolist() == [1, 20]
    assert log.patched_engine and codes(log) == ["F1"]


def test_unknown_lines_sample_is_masked():
    log = read_log("connecting with password: 'hunter2' to mongodb://u:pw@h\n")
    (line, text), = log.unknown_lines["sample"]
    assert "hunter2" not in text and ":pw@" not in text


def test_truncated_log_mid_entry():
    text = (LOGS / "ok-trace-login-success.log").read_text()
    cut = text[: text.index("      tags: [Array]")]
    log = read_log(cut)
    assert log.truncated_entries == 1
    # the respond entry was cut before its `=>`: the request is left without a response
    assert list(log.requests["outcome"]) == ["responded", "no response"]
    assert any(f.code == "INFO" for f in log.findings())


def test_truncated_entry_followed_by_new_line_is_flushed():
    log = read_log("Requesting.respond {\n  request: 'r9',\n"
                   "[Requesting] Error processing request: Missing binding: Symbol(user) in frame: [object Object]\n")
    assert log.truncated_entries == 1 and len(log.errors) == 1


@pytest.mark.parametrize("garbage", [
    "", "\n\n\n", "}}}} => {{{{\n" * 10, "Foo.bar { => => \n" * 5, "Foo.bar {\n" + "  [\n" * 100,
    "random text without structure\n" * 50, "Requesting.request {'\n} => ",
])
def test_garbage_never_raises(garbage):
    log = read_log(garbage)
    log.actions, log.requests, log.errors, log.findings_frame()  # noqa: B018


def test_garbage_only_input_gets_a_warning():
    log = read_log("random text without structure\n" * 5)
    (f,) = log.findings()
    assert f.code == "INFO" and f.severity == "warning" and "looks like a course-engine" in f.explanation


def test_binary_and_missing_inputs(tmp_path):
    p = tmp_path / "x.log"
    p.write_bytes(b"\x00\x01\x02" * 100)
    with pytest.raises(LogReadError):
        read_log(p)
    with pytest.raises(FileNotFoundError):
        read_log(tmp_path / "missing.log")
    with pytest.raises(LogReadError):
        read_log(tmp_path)


def test_v1_startup_detected():
    log = read_log("Registering synchronizations from: /app/src/syncs\n  -> auth.LoginRequest\n"
                   "  -> auth.LoginResponse\nCompleted registering synchronizations.\n")
    assert log.engine_version == "v1" and log.registered_syncs == ["auth.LoginRequest", "auth.LoginResponse"]


def test_progress_bar_on_request(tmp_path, capsys):
    p = tmp_path / "a.log"
    p.write_text((LOGS / "ok-interleaved-logins.log").read_text())
    read_log(p, progress=True)
    assert "B" in capsys.readouterr().err  # tqdm wrote its bar to stderr


def test_findings_frame_columns():
    df = read_log(LOGS / "f10-f11-timeout.log").findings_frame()
    assert list(df["code"]) == ["F10", "F11"]
    assert {"code", "severity", "explanation", "fix", "evidence", "request"} <= set(df.columns)


def test_repeated_errors_are_grouped():
    block = (LOGS / "f1-missing-binding-session.log").read_text()
    text = "".join(block.replace("019a6e26-41f2-743a-82e4-e600684e2652", f"019a6e26-41f2-743a-82e4-e6006840000{i}")
                   for i in range(5))
    log = read_log(text)
    (f,) = log.findings()
    assert f.extra["count"] == 5 and len(f.extra["requests"]) == 5 and "(5 times)" in f.explanation
    # the same user logging in again: each authenticate belongs to its own request, not the first one
    assert log.actions.groupby("request").size().tolist() == [2] * 5


def test_sessions_table_links_create_lines_to_requests():
    log = read_log(LOGS / "ok-interleaved-logins.log")
    s = log.sessions
    assert list(s["event"]) == ["attempt", "attempt", "created", "created"]
    a, b = "019a8000-0000-7000-8000-0000000000a1", "019a8000-0000-7000-8000-0000000000b2"
    assert list(s["request"]) == [a, b, a, b]
    assert s["session"][0] == "019a8000…00a1"  # masked
    with reveal_secrets():
        assert log.sessions["session"][0] == "019a8000-1111-7000-8000-0000000000a1"


def test_action_after_all_requests_closed_is_not_attributed():
    log = read_log("Requesting.request { path: '/a' } => { request: 'r1' }\n"
                   "Requesting.respond { request: 'r1', ok: true } => { request: 'r1' }\n"
                   "UserAuthentication.login { username: 'zed', password: 'pw' } => { user: 'u9' }\n")
    acts = log.actions
    assert acts["request"].tolist()[:2] == ["r1", "r1"]
    assert pd.isna(acts["request"][2]) and pd.isna(acts["attributed_by"][2])


def test_passthrough_error_with_stack_and_error_object():
    log = read_log("Error in Sessioning.create: MongoServerError: E11000 duplicate key error collection: "
                   "sample.Sessioning.sessions index: _id_ dup key: { _id: \"x\" }\n"
                   "    at Connection.onMessage (ext:deno_node/whatever.js:1:1)\n"
                   "  errorResponse: {\n    index: 0,\n    code: 11000\n  }\n"
                   "}\n")
    (e,) = log.errors.itertuples()
    assert e.kind == "passthrough" and e.code == "F16"
    assert log.unknown_lines["count"] == 0
    (f,) = log.findings()
    assert f.code == "F16" and "E11000" in f.explanation


def test_f21_missing_generated_barrel():
    log = read_log('error: Module not found "file:///opt/render/project/src/src/concepts/concepts.ts".\n'
                   "    at file:///opt/render/project/src/src/main.ts:1:8\n")
    f = one(log, "F21")
    assert "deno run build" in f.fix and f.severity == "error"


def test_f21_v1_failed_to_load_syncs():
    log = read_log("Registering synchronizations from: /app/src/syncs\n"
                   "  -> ERROR: Failed to load syncs from /app/src/syncs/auth.sync.ts:\n"
                   "SyntaxError: Unexpected token '}'\n")
    assert one(log, "F21").code == "F21" and log.engine_version == "v1"


def test_app_tagged_lines_are_counted_separately():
    log = read_log("[Posting.create] inserting post 1\n[Likes] liked\n")
    assert log.app_lines == 2 and log.unknown_lines["count"] == 0


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_LINES = st.sampled_from([
    "", "Requesting.request { path: '/a' } => { request: 'r1' }", "Requesting.respond {", "  request: 'r1',",
    "} => { request: 'r1' }", "[Requesting] Received request for path: /a",
    "[Requesting] Error processing request: Missing binding: Symbol(session) in frame: [object Object]",
    "[Requesting] Error processing request: Request r1 timed out after 10000ms", "Synchronizing action: {",
    "  concept: \"RequestingConcept\",", "}", "]", "Matched `sync`: a.B with `when`: Frames(1) [",
    "error: Uncaught (in promise) Error: Action bound _getUser is not instrumented.",
    "    at X (file:///a/src/syncs/x.sync.ts:1:1)", "2025-11-08T04:48:24.808402217Z ", "garbage ' \" {",
    "Foo.bar [ { a: 1 } ]", "[Sessioning.create] Attempting to insert session for user: u with ID: s",
])


@settings(max_examples=150, deadline=None)
@given(st.lists(_LINES, max_size=30), st.booleans())
def test_property_any_mix_of_log_lines_is_read(lines, crlf):
    text = ("\r\n" if crlf else "\n").join(lines)
    log = read_log(text)
    log.actions, log.requests, log.errors, log.sessions, log.findings_frame()  # noqa: B018
    assert log.unknown_lines["count"] >= 0


def test_verbose_concept_printed_as_instance():
    log = read_log('Synchronizing action: {\n  concept: SessioningConcept {\n    sessions: Collection { s: [Object] }\n'
                   '  },\n  id: "a",\n  action: [AsyncFunction: bound create],\n  input: { user: "u" },\n'
                   '  synced: Map(0) {},\n  flow: "f",\n  output: { session: "s" }\n}\n')
    row = log.actions.iloc[0]
    assert (row["concept"], row["action"], row["flow"]) == ("Sessioning", "create", "f")


def test_multiline_entry_with_trimmed_indentation():
    text = (LOGS / "ok-trace-login-success.log").read_text()
    dedented = "\n".join(ln.lstrip() for ln in text.splitlines())
    log = read_log(dedented)
    assert log.truncated_entries == 0
    assert list(log.requests["outcome"]) == ["responded", "responded"]
    assert log.actions.iloc[-1]["input"]["results"][0]["content"] == "hello => world"


def test_error_after_truncated_entry_is_not_swallowed():
    log = read_log("Requesting.respond {\nrequest: 'r1',\n"
                   "error: Uncaught (in promise) Error: Action bound _getUser is not instrumented.\n")
    assert log.truncated_entries == 1 and [f.code for f in log.findings()] == ["F7"]


def test_f9_not_iterable():
    log = read_log("Requesting.request { path: '/q' } => { request: 'r9' }\n"
                   "[Requesting] Error processing request: functionOutputArray is not iterable\n")
    f = one(log, "F9")
    assert "array" in f.fix and f.request == "r9"


def test_f16_action_threw_its_own_message():
    log = read_log("Requesting.request { path: '/p' } => { request: 'r16' }\n"
                   "Posting.validate { title: 'x' } => { ok: true }\n"
                   "[Requesting] Error processing request: Title too short\n")
    f = one(log, "F16")
    assert "Title too short" in f.explanation and "Posting.validate" in f.explanation


def test_verbose_respond_fills_the_response():
    log = read_log('Synchronizing action: {\n  concept: "RequestingConcept",\n  id: "a",\n'
                   '  action: [Function: bound request] AsyncFunction,\n  input: { path: "/x" },\n'
                   '  synced: Map(0) {},\n  flow: "f",\n  output: { request: "r1" }\n}\n'
                   'Synchronizing action: {\n  concept: "RequestingConcept",\n  id: "b",\n'
                   '  action: [Function: bound respond] AsyncFunction,\n'
                   '  input: { request: "r1", session: "019a6e26-4230-7c1e-9a55-2b1f0c9d8e11" },\n'
                   '  synced: Map(1) { "x.Y" => "b" },\n  flow: "f",\n  output: { request: "r1" }\n}\n')
    r = log.requests.iloc[0]
    assert r["outcome"] == "responded" and r["response"] == {"session": "019a6e26…8e11"}


def test_patched_engine_where_returned_zero_frames():
    log = read_log("Requesting.request { session: 'bad', path: '/posts/mine' } => { request: 'r1' }\n"
                   "[SyncEngine] Checking sync: posts.MyPosts\n"
                   "[SyncEngine] ⚠️ 'where' clause returned 0 frames, sync will not execute\n"
                   "[SyncEngine] Checking sync: posts.Other\n"
                   "[SyncEngine] ✗ Pattern did not match for sync: posts.Other\n"
                   "[Requesting] Error processing request: Request r1 timed out after 10000ms\n")
    f = one(log, "F11")
    assert f.sync == "posts.MyPosts" and "removed every frame" in f.explanation and log.patched_engine


@pytest.mark.parametrize("line, inp, out, outcome", [
    ("Foo.bar { a: 'x => y' } => { ok: true }", {"a": "x => y"}, {"ok": True}, "ok"),
    ("Foo.bar { a: '{[' } => { error: 'bad }' }", {"a": "{["}, {"error": "bad }"}, "error"),
    ("Foo.bar { a: 1 } => undefined", {"a": 1}, None, "undefined"),
    ("Foo.bar {} => 'text'", {}, "text", "other"),
    ("Foo.bar { m: Map(1) { 'k' => 1 } } => [ { n: 1 } ]", {"m": {"k": 1}}, [{"n": 1}], "array"),
])
def test_single_line_entries(line, inp, out, outcome):
    log = read_log(line + "\n")
    row = log.actions.iloc[0]
    assert (row["input"], row["output"], row["outcome"]) == (inp, out, outcome)
    assert log.truncated_entries == 0 and log.unknown_lines["count"] == 0


def test_log_findings_take_their_text_from_the_catalogue(monkeypatch):
    """The reader only gathers facts: every why/fix comes from `sessioning.failure_modes`."""
    from sessioning import failure_modes

    def explain(code, variant="default", /, **facts):
        return failure_modes.Explanation(f"why {code}/{variant}", f"fix {code}/{variant}")

    monkeypatch.setattr(failure_modes, "explain", explain)
    texts = [p.read_text() for p in sorted(LOGS.glob("*.log"))] + [
        "error: Uncaught (in promise) Error: Action bound instrumented is not instrumented.\n",
        "Error in Posting.make: boom\n", "[Sessioning.create] Error creating session for user u1: db down\n",
        "error: Leaks detected:\n", "random text\n", "Requesting.request { path: '/x' } => { request: 'r9' }\n",
        "Requesting.request { path: '/p' } => { request: 'r1' }\n[Requesting] Error processing request: boom\n",
    ]
    seen = set()
    for text in texts:
        for f in read_log(text).findings():
            assert f.explanation.startswith(f"why {f.code}/log") and f.fix.startswith(f"fix {f.code}/log"), f
            seen.add(f.explanation)
    assert len(seen) >= 15  # the variants these logs show
