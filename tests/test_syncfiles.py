"""read_syncs: the sample app's sync files (fixtures/app) and small inline cases, one test per finding."""

from __future__ import annotations

from pathlib import Path

import pytest

from sessioning.gen2025.readers.syncfiles import SyncReadError, read_syncs

APP = Path(__file__).resolve().parents[1] / "fixtures" / "app"
HEADER = 'import { actions, Frames, Sync } from "@engine";\nimport { Requesting, Sessioning, Posting } from "@concepts";\n'


@pytest.fixture(scope="module")
def app():
    return read_syncs(APP)


def for_sync(sf, name):
    return sorted(f.code for f in sf.findings() if f.sync == name)


def only(sf, name, code):
    found = [f for f in sf.findings() if f.sync == name and f.code == code]
    assert len(found) == 1, [(f.code, f.sync) for f in sf.findings()]
    f = found[0]
    assert f.source == "syncs" and f.file and f.line and f.fix and f.explanation
    return f


def inline(tmp_path, body, name="x.sync.ts"):
    p = tmp_path / name
    p.write_text(HEADER + body)
    return read_syncs(p)


# ---------------------------------------------------------------- structure


def test_syncs_table(app):
    df = app.syncs
    assert list(df.columns) == ["file", "line", "name", "qualified", "registered", "vars", "when",
                                "where_queries", "then"]
    row = df.set_index("name").loc["LoginResponseSuccess"]
    assert row["file"] == "auth.sync.ts" and row["qualified"] == "auth.LoginResponseSuccess" and row["registered"]
    assert row["when"] == ['[Requesting.request, { path: "/login" }, { request }]',
                           "[UserAuthentication.login, {}, { user }]",
                           "[Sessioning.create, { user }, { session }]"]
    assert row["then"] == ["[Requesting.respond, { request, session }]"]
    logout = df.set_index("name").loc["LogoutRequest"]
    assert logout["where_queries"] == ["frames.query(Sessioning._getUser, { session }, { user })"]
    assert df.set_index("name").loc["WhoAmI", "line"] == 83  # `export function` form


def test_nested_dirs_and_qualified_names(app):
    df = app.syncs.set_index("name")
    assert df.loc["AdminPing", "qualified"] == "admin.broken.AdminPing"
    assert not df.loc["Health", "registered"]


def test_pattern_values_resolve_aliases_to_symbol_names(tmp_path):
    sf = inline(tmp_path, """
export const Aliased: Sync = ({ request, user: author, content }) => ({
  when: actions([Requesting.request, { path: "/p", content, n: 3, ok: true }, { request }],
                [Sessioning.create, {}, { user: author }]),
  then: actions([Posting.create, { author, content }]),
});""")
    d = sf.sync("Aliased")
    assert d.vars == {"request": "request", "author": "user", "content": "content"}
    assert d.when[0].input == {"path": ("lit", "/p"), "content": ("var", "content"), "n": ("lit", 3),
                               "ok": ("lit", True)}
    assert d.then[0].input == {"author": ("var", "user"), "content": ("var", "content")}
    assert sf.findings() == []


def test_correct_syncs_have_no_findings(app):
    for name in ["LoginRequest", "LoginSuccessCreatesSession", "LoginResponseSuccess", "LoginResponseError",
                 "LogoutRequest", "LogoutResponseError", "CreatePostRequest", "AdminPing"]:
        assert for_sync(app, name) == [], name


def test_engine_version_detected_from_app(app):
    assert app.engine_version == "v2"


# ---------------------------------------------------------------- each finding


def test_f1_create_and_respond_in_one_then(app):
    f = only(app, "AuthenticateAndCreate", "F1")
    assert f.severity == "error" and f.file == "auth.sync.ts" and f.line == 69
    assert "Missing binding: Symbol(session)" in f.explanation and "Restarting the server does not help" in f.explanation
    assert "[Sessioning.create, {}, {session}]" in f.fix


def test_f3_error_beside_success_variable(app):
    f = only(app, "RegisterResponse", "F3")
    assert "beside `user`" in f.explanation


def test_f3_error_unbound(tmp_path):
    sf = inline(tmp_path, """
export const E: Sync = ({ request, error }) => ({
  when: actions([Requesting.request, { path: "/e" }, { request }]),
  then: actions([Requesting.respond, { request, error }]),
});""")
    (f,) = sf.findings()
    assert f.code == "F3" and "Symbol(error)" in f.explanation


def test_f5_frames_from_scratch(app):
    f = only(app, "CountPosts", "F5")
    assert "new Frames({ [count]: n })" in f.evidence


def test_f5_not_reported_when_spreading(tmp_path):
    sf = inline(tmp_path, """
export const Ok: Sync = ({ request, count }) => ({
  when: actions([Requesting.request, { path: "/c" }, { request }]),
  where: async (frames) => new Frames(...frames.map(($) => ({ ...$, [count]: 1 }))),
  then: actions([Requesting.respond, { request, count }]),
});""")
    assert sf.findings() == []


def test_f6_string_key_next_to_spread(app):
    f = only(app, "EditPost", "F6")
    assert "[error]" in f.fix


def test_f7_query_in_when(app):
    f = only(app, "SessionCheck", "F7")
    assert "Action bound _getUser is not instrumented." in f.explanation


def test_f7_query_in_then(tmp_path):
    sf = inline(tmp_path, """
export const Q: Sync = ({ request, session }) => ({
  when: actions([Requesting.request, { path: "/q", session }, { request }]),
  then: actions([Sessioning._getUser, { session }]),
});""")
    assert [f.code for f in sf.findings()] == ["F7"]


def test_f8_when_entry_without_output(app):
    f = only(app, "DeletePost", "F8")
    assert "When pattern: [object Object] is missing output pattern." in f.explanation


def test_f11_output_pattern_with_error_and_success_key(app):
    f = only(app, "CreatePostResponse", "F11")
    assert "{ post, error }" in f.explanation and "{ post }" in f.fix


def test_f12_empty_success_beside_error_sync(app):
    f = only(app, "LogoutResponse", "F12")
    assert "LogoutResponseError" in f.explanation and "/logout" in f.explanation and f.severity == "warning"


def test_f13_empty_output_pattern(app):
    f = only(app, "WhoAmI", "F13")
    assert "[{ error }]" in f.explanation


def test_f13_user_bound_but_never_used(tmp_path):
    sf = inline(tmp_path, """
export const Del: Sync = ({ request, session, user }) => ({
  when: actions([Requesting.request, { path: "/del", session }, { request }]),
  where: async (frames) => await frames.query(Sessioning._getUser, { session }, { user }),
  then: actions([Sessioning.delete, { session }]),
});""")
    (f,) = sf.findings()
    assert f.code == "F13" and "never uses it" in f.explanation


def test_f14_action_in_query_and_awaited_in_where(app):
    codes = [(f.code, f.line) for f in app.findings() if f.sync == "MyPosts"]
    assert ("F14", 46) in codes and ("F14", 47) in codes
    texts = " ".join(f.explanation for f in app.findings() if f.sync == "MyPosts" and f.code == "F14")
    assert "Sessioning.getUser" in texts and "Posting.markSeen" in texts


def test_api_prefix(app):
    f = only(app, "ListPosts", "API-PREFIX")
    assert '"/posts/list"' in f.fix


def test_f21_misnamed_file(app):
    (f,) = [f for f in app.findings() if f.code == "F21"]
    assert f.file == "app.syncs.ts" and "Health" in f.explanation and "app.sync.ts" in f.fix


def test_unbound_variable(app):
    f = only(app, "LikePost", "UNBOUND")
    assert "owner" in f.explanation


def test_parse_error_is_a_finding_not_a_crash(app):
    (f,) = [f for f in app.findings() if f.code == "PARSE"]
    assert f.file == "admin/broken.sync.ts" and f.line == 8 and f.severity == "error"
    assert "AdminStats" not in set(app.syncs["name"])  # the half-written sync is skipped


def test_every_fixture_bug_is_found(app):
    assert sorted({f.code for f in app.findings()}) == sorted(
        ["F1", "F3", "F5", "F6", "F7", "F8", "F11", "F12", "F13", "F14", "F21", "API-PREFIX", "UNBOUND", "PARSE"])


# ---------------------------------------------------------------- robustness


def test_garbage_files(tmp_path):
    (tmp_path / "a.sync.ts").write_text("export const = => ({ when: actions([")
    (tmp_path / "b.sync.ts").write_bytes(b"\x00\x01binary")
    (tmp_path / "c.sync.ts").write_text("")
    (tmp_path / "d.sync.ts").write_text("export const helper = 3; export function f() { return 1; }")
    sf = read_syncs(tmp_path)
    assert sorted(f.code for f in sf.findings()) == ["PARSE", "PARSE"]
    assert len(sf.syncs) == 0


def test_function_body_and_method_where(tmp_path):
    sf = inline(tmp_path, """
export const M: Sync = ({ request, session, user }) => {
  return {
    when: actions([Requesting.request, { path: "/m", session }, { request }]),
    async where(frames) {
      frames = await frames.query(Sessioning._getUser, { session }, { user });
      return frames.filter(($) => $[user]);
    },
    then: actions([Requesting.respond, { request, user }]),
  };
};""")
    d = sf.sync("M")
    assert d.has_where and d.where_queries[0].method == "_getUser" and sf.findings() == []


def test_missing_and_empty_paths(tmp_path):
    with pytest.raises(SyncReadError):
        read_syncs(tmp_path / "nope")
    with pytest.raises(SyncReadError):
        read_syncs(tmp_path)


# ---------------------------------------------------------------- log ↔ sync files


def test_correlate_names_the_cause_of_each_timeout(app):
    from sessioning.gen2025.readers.logs import read_log
    from sessioning.gen2025.readers.syncfiles import correlate

    log = read_log(APP.parent / "logs" / "f10-api-prefix-timeout.log")
    found = {f.extra["path"]: f for f in correlate(log.findings(), app) if f.code == "F10"}
    assert found["/posts/list"].sync == "ListPosts" and "drop the prefix" in found["/posts/list"].explanation
    assert "`where` removed every frame" in found["/posts/create"].explanation
    assert "also needs `session`" in found["/posts/mine"].explanation
    assert "app.syncs.ts" in found["/health"].explanation and found["/health"].sync == "Health"


def test_correlate_f1_names_the_sync(app):
    from sessioning.gen2025.readers.logs import read_log
    from sessioning.gen2025.readers.syncfiles import correlate

    log = read_log(APP.parent / "logs" / "f1-missing-binding-session.log")
    (f,) = correlate(log.findings(), app)
    assert f.code == "F1" and f.sync == "AuthenticateAndCreate" and "auth.sync.ts:69" in f.explanation


def test_correlate_leaves_other_findings_alone(app):
    from sessioning.gen2025.readers.syncfiles import correlate

    fs = app.findings()
    assert correlate(fs, app) == fs


def test_export_clause_and_alias(tmp_path):
    sf = inline(tmp_path, """
const Inner = ({ request, session }) => ({
  when: actions([Requesting.request, { path: "/api/in" }, { request }]),
  then: actions([Requesting.respond, { request, session }]),
});
function helper() { return 1; }
export { Inner as Outer, helper };""")
    assert list(sf.syncs["name"]) == ["Outer"]
    assert sorted(f.code for f in sf.findings()) == ["API-PREFIX", "UNBOUND"]


def test_function_body_with_a_helper_return_first(tmp_path):
    sf = inline(tmp_path, """
export function WithHelper({ request, items }: Vars) {
  const shape = (x) => { return { id: x }; };
  return {
    when: actions([Requesting.request, { path: "/h" }, { request }]),
    then: actions([Requesting.respond, { request, items }]),
  };
}""")
    assert list(sf.syncs["name"]) == ["WithHelper"]
    assert [f.code for f in sf.findings()] == ["UNBOUND"]


def test_secret_literals_in_sync_text_are_masked(tmp_path):
    from sessioning.masking import reveal_secrets

    sf = inline(tmp_path, """
export const Seed: Sync = ({ request, sessionToken }) => ({
  when: actions([Requesting.request, { path: "/seed", session: sessionToken }, { request }]),
  then: actions([UserAuthentication.register, { username: "admin", password: "hunter2" }]),
});""")
    row = sf.syncs.iloc[0]
    assert "hunter2" not in row["then"][0] and '"admin"' in row["then"][0]
    assert "session: sessionToken" in row["when"][0]  # a variable, not a secret
    with reveal_secrets():
        assert "hunter2" in sf.syncs.iloc[0]["then"][0]
