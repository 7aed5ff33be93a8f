"""diagnose(): each failure mode built as a small scenario; the right code, sync, key and cause."""

from __future__ import annotations

import pytest
from pymongo import errors as pymongo_errors

from sessioning import console, make_app
from sessioning.gen2025.auth_syncs import auth_syncs
from sessioning.gen2025.diagnosis import diagnose, diagnose_findings, explain_duplicate_key, parse_dup_key
from sessioning.gen2025.engine import Frames, actions
from sessioning.ids import freshID

BOGUS = "bogus-session-0000-1111"


@pytest.fixture(autouse=True)
def _quiet():
    with console.quiet():
        yield


def app_with(extra=None, *, base="correct", replace=None):
    """An app with the reference syncs (variant ``base``) plus ``extra(app)`` syncs."""
    app = make_app(fast_hash=True, syncs=None)
    syncs = auth_syncs(app, base) if base else {}
    for name in replace or ():
        syncs.pop(name, None)
    if extra is not None:
        syncs.update(extra(app))
    app.engine.register(syncs)
    return app


def logged_in(app, username="alice", password="pw-123"):
    app.request("/register", username=username, password=password)
    return app.request("/login", username=username, password=password)


def only(df, code):
    rows = df[df["code"] == code]
    assert len(rows) >= 1, f"no {code} in:\n{df[['code', 'sync', 'explanation']].to_string()}"
    return rows.iloc[0]


# -- BINDING ----------------------------------------------------------------------------------------
def test_f1_create_and_respond_in_one_then():
    app = make_app(fast_hash=True, syncs="one_then")
    app.request("/register", username="a", password="p")
    r = app.request("/login", username="a", password="p")
    assert r.status == 500
    df = diagnose(app)
    f1 = only(df, "F1")
    assert f1["sync"] == "auth.LoginCreatesSessionAndResponds"
    assert f1["request"] == r.request
    assert "Symbol(session)" in f1["explanation"]
    assert "Sessioning.create" in f1["explanation"] and "never ran" in f1["explanation"]
    assert "Split" in f1["fix"]
    assert f1["severity"] == "error"


def test_f2_query_rows_lack_the_output_key():
    def extra(app):
        def MeNoFilter(request, session, user):  # noqa: N802
            return {
                "when": actions([app.Requesting.request, {"path": "/me2", "session": session}, {"request": request}]),
                "where": lambda frames: frames.query(app.Sessioning._getUser, {"session": session}, {"user": user}),
                "then": actions([app.Requesting.respond, {"request": request, "user": user}]),
            }
        return {"me.MeNoFilter": MeNoFilter}

    app = app_with(extra)
    r = app.request("/me2", session=BOGUS)
    assert r.status == 500
    f = only(diagnose(app), "F2")
    assert f["sync"] == "me.MeNoFilter"
    assert "Symbol(user)" in f["explanation"]
    assert "Sessioning._getUser" in f["explanation"] and "`user`" in f["explanation"]
    assert "filter" in f["fix"]


def test_f3_error_bound_on_one_path_only():
    def extra(app):
        def MeAnswer(request, session, error):  # noqa: N802
            return {
                "when": actions([app.Requesting.request, {"path": "/check", "session": session}, {"request": request}]),
                "where": lambda frames: frames.query(app.Sessioning._getUser, {"session": session}, {"error": error}),
                "then": actions([app.Requesting.respond, {"request": request, "error": error}]),
            }
        return {"me.CheckAnswers": MeAnswer}

    app = app_with(extra)
    session = logged_in(app).body["session"]
    r = app.request("/check", session=session)  # a valid session: `error` is never bound
    assert r.status == 500
    f = only(diagnose(app), "F3")
    assert f["sync"] == "me.CheckAnswers"
    assert "Symbol(error)" in f["explanation"] and "failure path" in f["explanation"]


def test_f4_next_query_needs_an_unbound_variable():
    def extra(app):
        def WhoAmI(request, session, user, username):  # noqa: N802
            return {
                "when": actions([app.Requesting.request, {"path": "/whoami", "session": session}, {"request": request}]),
                "where": lambda frames: frames.query(app.Sessioning._getUser, {"session": session}, {"user": user})
                                              .query(app.UserAuthentication._getUsername, {"user": user}, {"username": username}),
                "then": actions([app.Requesting.respond, {"request": request, "username": username}]),
            }
        return {"me.WhoAmI": WhoAmI}

    app = app_with(extra)
    app.request("/whoami", session=BOGUS)
    f = only(diagnose(app), "F4")
    assert f["sync"] == "me.WhoAmI"
    assert "`user`" in f["explanation"] and "Sessioning._getUser" in f["explanation"]
    assert "Binding: Symbol(user) not found" in f["explanation"]
    assert "filter(lambda f: user in f)" in f["fix"]


def test_f5_where_builds_frames_from_scratch():
    def extra(app):
        def Rebuilt(request, session):  # noqa: N802
            return {
                "when": actions([app.Requesting.request, {"path": "/rebuilt", "session": session}, {"request": request}]),
                "where": lambda frames: Frames([{request: f[request]} for f in frames]),
                "then": actions([app.Requesting.respond, {"request": request, "status": "ok"}]),
            }
        return {"me.Rebuilt": Rebuilt}

    app = app_with(extra)
    assert app.request("/rebuilt", session=BOGUS).status == 500
    f = only(diagnose(app), "F5")
    assert f["sync"] == "me.Rebuilt"
    assert "from scratch" in f["explanation"] and "request" in f["explanation"]


def test_f6_string_keys_in_hand_built_frames():
    def extra(app):
        def StringKey(request, session, error):  # noqa: N802
            return {
                "when": actions([app.Requesting.request, {"path": "/strkey", "session": session}, {"request": request}]),
                "where": lambda frames: frames.map(lambda f: {**f, "error": "Invalid session"}),
                "then": actions([app.Requesting.respond, {"request": request, "error": error}]),
            }
        return {"me.StringKey": StringKey}

    app = app_with(extra)
    assert app.request("/strkey", session=BOGUS).status == 500
    f = only(diagnose(app), "F6")
    assert f["sync"] == "me.StringKey"
    assert "string key" in f["explanation"] and "`error`" in f["explanation"]


def test_f6_and_f2_from_an_exported_run_without_sync_definitions(tmp_path):
    from sessioning.record import Run

    def extra(app):
        def StringKey(request, session, error):  # noqa: N802
            return {
                "when": actions([app.Requesting.request, {"path": "/strkey", "session": session}, {"request": request}]),
                "where": lambda frames: frames.map(lambda f: {**f, "error": "Invalid session"}),
                "then": actions([app.Requesting.respond, {"request": request, "error": error}]),
            }

        def MeNoFilter(request, session, user):  # noqa: N802
            return {
                "when": actions([app.Requesting.request, {"path": "/me2", "session": session}, {"request": request}]),
                "where": lambda frames: frames.query(app.Sessioning._getUser, {"session": session}, {"user": user}),
                "then": actions([app.Requesting.respond, {"request": request, "user": user}]),
            }
        return {"me.StringKey": StringKey, "me.MeNoFilter": MeNoFilter}

    app = app_with(extra)
    app.request("/strkey", session=BOGUS)
    app.request("/me2", session=BOGUS)
    path = tmp_path / "run.json"
    app.engine.run.to_json(path)
    df = diagnose(Run.load(path))
    assert only(df, "F6")["sync"] == "me.StringKey"
    assert only(df, "F2")["sync"] == "me.MeNoFilter"


def test_f1_from_an_exported_run_without_sync_definitions():
    from sessioning.record import Run

    app = make_app(fast_hash=True, syncs="one_then")
    app.request("/register", username="a", password="p")
    app.request("/login", username="a", password="p")
    run = Run.load(app.engine.run.to_json())
    df = diagnose(run)
    f1 = only(df, "F1")
    assert f1["sync"] == "auth.LoginCreatesSessionAndResponds"
    assert "session" in f1["explanation"]
    f17 = only(df, "F17")
    assert "Sessioning.create" in f17["explanation"] and "never ran" in f17["explanation"]


# -- MATCH -----------------------------------------------------------------------------------------
def test_f8_when_entry_without_output_pattern():
    def extra(app):
        def LoginAudit(request):  # noqa: N802
            return {
                "when": actions([app.Requesting.request, {"path": "/login"}, {"request": request}],
                                [app.UserAuthentication.authenticate, {}]),
                "then": actions([app.Requesting.respond, {"request": request, "audited": True}]),
            }
        return {"audit.LoginAudit": LoginAudit}

    app = app_with(extra)
    app.request("/register", username="a", password="p")
    assert app.request("/login", username="a", password="p").status == 500
    f = only(diagnose(app), "F8")
    assert f["sync"] == "audit.LoginAudit"
    assert "`when` entry 1" in f["explanation"] and "UserAuthentication.authenticate" in f["explanation"]


def test_f10_path_literal_with_api_prefix():
    app = make_app(fast_hash=True, syncs="correct")
    app.request("/register", username="a", password="p")
    r = app.request("/api/login", username="a", password="p")
    assert r.status == 504
    f = only(diagnose(app), "F10")
    assert f["sync"] == "auth.LoginRequest"
    assert f["request"] == r.request
    assert "`path` is '/api/login', the pattern wants '/login'" in f["explanation"]
    assert "/api" in f["fix"] and "REQUESTING_TIMEOUT" in f["fix"]
    assert f["details"]["key"] == "path"


def test_f10_pattern_key_absent_from_the_body():
    app = make_app(fast_hash=True, syncs="correct")
    r = app.request("/login", username="a")  # no password
    assert r.status == 504
    f = only(diagnose(app), "F10")
    assert f["sync"] == "auth.LoginRequest"
    assert "has no `password`" in f["explanation"]
    assert f["details"]["reason"] == "absent"
    assert "Send `password`" in f["fix"]


def test_f10_no_sync_at_all_for_requests():
    app = make_app(fast_hash=True, syncs=None)
    assert app.request("/anything", x=1).status == 504
    f = only(diagnose(app), "F10")
    assert "No sync has `Requesting.request`" in f["explanation"]


def test_f11_output_pattern_with_success_key_and_error():
    def extra(app):
        def SigninRequest(request, username, password):  # noqa: N802
            return {
                "when": actions([app.Requesting.request, {"path": "/signin", "username": username, "password": password},
                                 {"request": request}]),
                "then": actions([app.UserAuthentication.authenticate, {"username": username, "password": password}]),
            }

        def SigninResponse(request, user, error):  # noqa: N802
            return {
                "when": actions([app.Requesting.request, {"path": "/signin"}, {"request": request}],
                                [app.UserAuthentication.authenticate, {}, {"user": user, "error": error}]),
                "then": actions([app.Requesting.respond, {"request": request, "user": user, "error": error}]),
            }
        return {"signin.Request": SigninRequest, "signin.Response": SigninResponse}

    app = app_with(extra)
    app.request("/register", username="a", password="p")
    r = app.request("/signin", username="a", password="p")
    assert r.status == 504
    f = only(diagnose(app), "F11")
    assert f["sync"] == "signin.Response"
    assert "UserAuthentication.authenticate" in f["explanation"]
    assert "not `error`" in f["explanation"]
    assert "both a success key and `error` never matches" in f["explanation"]
    assert f["details"]["key"] == "error"


def test_f11_where_emptied_the_frames():
    def extra(app):
        def Profile(request, session, user):  # noqa: N802
            return {
                "when": actions([app.Requesting.request, {"path": "/profile", "session": session}, {"request": request}]),
                "where": lambda frames: frames.query(app.Sessioning._getUser, {"session": session}, {"user": user})
                                              .filter(lambda f: user in f),
                "then": actions([app.Requesting.respond, {"request": request, "user": user}]),
            }
        return {"profile.Profile": Profile}

    app = app_with(extra)
    r = app.request("/profile", session=BOGUS)
    assert r.status == 504
    f = only(diagnose(app), "F11")
    assert f["sync"] == "profile.Profile"
    assert "emptied the frames" in f["explanation"]
    assert "filter" in f["explanation"] and "Sessioning._getUser" in f["explanation"]
    assert "`user` unbound" in f["explanation"]


def test_f11_response_sync_where_emptied_after_the_action_ran():
    def extra(app):
        def LoginResponseChecked(request, user, session, username):  # noqa: N802
            return {
                "when": actions([app.Requesting.request, {"path": "/login"}, {"request": request}],
                                [app.Sessioning.create, {"user": user}, {"session": session}]),
                "where": lambda frames: frames.query(app.UserAuthentication._getUserByUsername,
                                                     {"username": "nobody"}, {"user": user}),
                "then": actions([app.Requesting.respond, {"request": request, "session": session}]),
            }
        return {"auth.LoginResponseChecked": LoginResponseChecked}

    app = app_with(extra, replace=["auth.LoginResponseSuccess"])
    app.request("/register", username="a", password="p")
    assert app.request("/login", username="a", password="p").status == 504
    f = only(diagnose(app), "F11")
    assert f["sync"] == "auth.LoginResponseChecked"
    assert "query UserAuthentication._getUserByUsername" in f["explanation"]
    assert "returned no rows" in f["explanation"]


def test_f12_success_and_error_response_both_fire():
    app = make_app(fast_hash=True, syncs="double_logout")
    r = app.request("/logout", session=BOGUS)
    assert r.status == 200 and r.body == {"status": "logged_out"}
    f = only(diagnose(app), "F12")
    assert f["sync"] == "auth.LogoutResponse"
    assert f["request"] == r.request
    assert "[Sessioning.delete, {}, {}]" in f["explanation"]
    assert "auth.LogoutError" in f["explanation"]
    assert "2 times" in f["explanation"]


def test_f13_empty_output_pattern_checks_nothing():
    app = make_app(fast_hash=True, syncs="empty_check")
    r = app.request("/me", session=BOGUS)
    assert r.status == 200  # the unknown session got through
    f = only(diagnose(app), "F13")
    assert f["sync"] == "auth.MeUncheckedRequest"
    assert "empty output pattern" in f["explanation"] and "Sessioning._getUser" in f["explanation"]
    assert f["severity"] == "error"


def test_f13_check_binds_a_variable_nothing_uses():
    app = make_app(fast_hash=True, syncs="double_logout")
    app.request("/logout", session=BOGUS)
    f13 = diagnose(app).query("code == 'F13'")
    assert list(f13["sync"]) == ["auth.LogoutRequest"]
    assert "`user` stayed unbound" in f13.iloc[0]["explanation"]


def test_correct_app_has_no_run_findings():
    app = make_app(fast_hash=True, syncs="correct")
    session = logged_in(app).body["session"]
    app.request("/me", session=session)
    app.request("/me", session=BOGUS)
    app.request("/logout", session=session)
    app.request("/logout", session=BOGUS)
    assert app.request("/login", username="alice", password="wrong").body == {"error": "Invalid username or password"}
    assert "error" in app.request("/register", username="alice", password="x").body
    df = diagnose(app)
    assert df.empty, df[["code", "sync", "explanation"]].to_string()


# -- ENGINE / DB -------------------------------------------------------------------------------------
class LookupConcept:
    def __init__(self, db):
        self.db = db

    def getUser(self, session):  # noqa: N802 - an action named like a query: F14
        return [{"user": "someone"}]


def test_f14_action_used_as_a_query_runs_in_a_new_flow():
    def extra(app):
        lookup = app.engine.instrument(LookupConcept(app.db))

        def Peek(request, session, user):  # noqa: N802
            return {
                "when": actions([app.Requesting.request, {"path": "/peek", "session": session}, {"request": request}]),
                "where": lambda frames: frames.query(lookup.getUser, {"session": session}, {"user": user}),
                "then": actions([app.Requesting.respond, {"request": request, "user": user}]),
            }
        return {"peek.Peek": Peek}

    app = app_with(extra)
    r = app.request("/peek", session=BOGUS)
    assert r.status == 200
    f = only(diagnose(app), "F14")
    assert f["sync"] == "peek.Peek"
    assert "Lookup.getUser" in f["explanation"] and "new flow" in f["explanation"]
    assert f["request"] == r.request  # traced back to the request whose `where` called it


class ProfileConcept:
    """Inserts without a pre-check, under a unique index: E11000 escapes as an exception (F16)."""

    def __init__(self, db):
        self.db = db
        self.profiles = db.collection("Profile.profiles")
        self.profiles.create_index("handle", unique=True)

    def create(self, handle):
        profile = freshID()
        self.profiles.insert_one({"_id": profile, "handle": handle})
        return {"profile": profile}


def profile_syncs(app):
    profile = app.engine.instrument(ProfileConcept(app.db))

    def CreateProfile(request, handle):  # noqa: N802
        return {
            "when": actions([app.Requesting.request, {"path": "/profile", "handle": handle}, {"request": request}]),
            "then": actions([profile.create, {"handle": handle}]),
        }

    def ProfileCreated(request, profile_id):  # noqa: N802
        return {
            "when": actions([app.Requesting.request, {"path": "/profile"}, {"request": request}],
                            [profile.create, {}, {"profile": profile_id}]),
            "then": actions([app.Requesting.respond, {"request": request, "profile": profile_id}]),
        }
    return {"profile.CreateProfile": CreateProfile, "profile.ProfileCreated": ProfileCreated}


def test_f16_duplicate_key_names_index_value_and_existing_document():
    app = app_with(profile_syncs)
    first = app.request("/profile", handle="bob")
    second = app.request("/profile", handle="bob")
    assert first.status == 200 and second.status == 500
    f = only(diagnose(app), "F16")
    assert f["sync"] == "profile.CreateProfile"
    assert f["request"] == second.request
    assert "Profile.create" in f["explanation"]
    assert "`handle_1`" in f["explanation"] and '"bob"' in f["explanation"]
    assert first.body["profile"] in f["explanation"]  # the document already holding the value
    assert f["details"]["existing"]["_id"] == first.body["profile"]
    assert f["details"]["index"] == "handle_1"
    assert "DuplicateKeyError" in f["fix"]


def test_f16_action_throws_instead_of_returning_error():
    app = make_app(fast_hash=True, syncs="correct")
    app.request("/register", username="a", password="p")
    app.db.faults.fail_action("Sessioning.create", RuntimeError("disk full"))
    r = app.request("/login", username="a", password="p")
    assert r.status == 500
    df = diagnose(app)
    f16 = only(df, "F16")
    assert f16["sync"] == "auth.LoginSuccessCreatesSession"
    assert "disk full" in f16["explanation"] and "Sessioning.create" in f16["explanation"]
    f17 = only(df, "F17")
    assert "threw" in f17["explanation"]


def test_f17_insert_failed_inside_create():
    app = make_app(fast_hash=True, syncs="correct")
    app.request("/register", username="a", password="p")
    app.db.faults.fail_inserts("Sessioning.sessions", "duplicate_key")
    app.request("/login", username="a", password="p")
    df = diagnose(app)
    f17 = only(df, "F17")
    assert f17["sync"] == "auth.LoginSuccessCreatesSession"
    assert "Sessioning.create" in f17["explanation"] and "E11000" in f17["explanation"]
    assert "injected" in f17["explanation"]


def test_f17_create_sync_never_matched():
    def extra(app):
        def LoginCreates(user):  # noqa: N802
            return {
                "when": actions([app.UserAuthentication.authenticate, {}, {"userId": user}]),
                "then": actions([app.Sessioning.create, {"user": user}]),
            }
        return {"auth.LoginCreates": LoginCreates}

    app = app_with(extra, replace=["auth.LoginSuccessCreatesSession"])
    app.request("/register", username="a", password="p")
    app.request("/login", username="a", password="p")
    df = diagnose(app)
    f17 = only(df, "F17")
    assert f17["sync"] == "auth.LoginCreates"
    assert "did not match" in f17["explanation"] and "not `userId`" in f17["explanation"]
    # the timeout is blamed on the success response waiting for the create, not on the error sync
    f11 = only(df, "F11")
    assert f11["sync"] == "auth.LoginResponseSuccess"
    assert "`Sessioning.create` never ran in this flow" in f11["explanation"]


def test_f17_no_sync_creates_sessions():
    app = app_with(replace=["auth.LoginSuccessCreatesSession"])
    app.request("/register", username="a", password="p")
    app.request("/login", username="a", password="p")
    f17 = only(diagnose(app), "F17")
    assert "no registered sync has `Sessioning.create`" in f17["explanation"]


# -- helpers, masking, database ----------------------------------------------------------------------
def test_parse_dup_key_and_explain_on_the_embedded_database():
    assert parse_dup_key('{ email: "a@x", n: 3 }') == {"email": "a@x", "n": 3}
    app = make_app(fast_hash=True, syncs=None)
    app.db["Things.things"].insert_one({"_id": "t1", "name": "x"})
    with pytest.raises(pymongo_errors.DuplicateKeyError) as err:
        app.db["Things.things"].insert_one({"_id": "t1", "name": "y"})
    info = explain_duplicate_key(str(err.value), app.db)
    assert info["index"] == "_id_" and info["collection"] == "Things.things"
    assert info["key"] == {"_id": "t1"} and info["existing"] == {"_id": "t1", "name": "x"}


def test_secrets_are_masked_unless_revealed():
    app = make_app(fast_hash=True, syncs="double_logout")
    app.request("/logout", session=BOGUS)
    masked = diagnose(app)
    assert not masked["explanation"].str.contains(BOGUS).any()
    shown = diagnose(app, reveal=True)
    assert shown["explanation"].str.contains(BOGUS).any()


def test_diagnose_findings_returns_finding_objects_and_database_checks_join():
    app = make_app(fast_hash=True, syncs="correct")
    app.request("/api/login", username="a", password="p")
    app.db["Sessioning.sessions"].insert_one({"_id": freshID(), "user": "ghost-user"})
    found = diagnose_findings(app)
    codes = {(f.code, f.source) for f in found}
    assert ("F10", "run") in codes
    assert ("F17", "db") in codes  # the orphaned session
    # the timed-out request is explained by the run, not repeated from the database
    assert not [f for f in found if f.code == "F10" and f.source == "db"]


def test_columns_and_order():
    app = make_app(fast_hash=True, syncs="double_logout")
    app.request("/logout", session=BOGUS)
    df = diagnose(app)
    for col in ("code", "severity", "sync", "request", "explanation", "fix", "details"):
        assert col in df.columns
    sev = list(df["severity"])
    assert sev == sorted(sev, key=["error", "warning", "info"].index)
    with pytest.raises(TypeError, match="run=.*db="):  # not an empty table that reads as "no problems"
        diagnose()


def test_f10_path_no_sync_handles():
    app = make_app(fast_hash=True, syncs="correct")
    r = app.request("/nowhere", x=1)
    assert r.status == 504
    f = only(diagnose(app), "F10")
    assert "No sync handles this path at all" in f["explanation"]
    assert "'/login'" in f["explanation"] and "'/logout'" in f["explanation"]
    assert "Write a request sync for '/nowhere'" in f["fix"]


def test_f8_from_an_exported_run_names_the_entry():
    from sessioning.record import Run

    def extra(app):
        def LoginAudit(request):  # noqa: N802
            return {
                "when": actions([app.Requesting.request, {"path": "/login"}, {"request": request}],
                                [app.UserAuthentication.authenticate, {}]),
                "then": actions([app.Requesting.respond, {"request": request, "audited": True}]),
            }
        return {"audit.LoginAudit": LoginAudit}

    app = app_with(extra)
    app.request("/register", username="a", password="p")
    app.request("/login", username="a", password="p")
    f = only(diagnose(Run.load(app.engine.run.to_json())), "F8")
    assert f["sync"] == "audit.LoginAudit"
    assert "`when` entry 1 (`UserAuthentication.authenticate`)" in f["explanation"]


def test_diagnose_reads_a_database_from_an_env_file(tmp_path, monkeypatch):
    monkeypatch.delenv("MONGODB_URL", raising=False)
    env = tmp_path / ".env"
    env.write_text("DB_NAME=test-myapp\n")
    df = diagnose(env=str(env))
    assert list(df["code"]) == ["F19"]


def test_an_odd_flow_does_not_hide_the_others():
    from sessioning.record import Run

    app = make_app(fast_hash=True, syncs="one_then")
    app.request("/register", username="a", password="p")
    app.request("/login", username="a", password="p")
    data = app.engine.run.to_dict()
    data["flows"][0]["actions"][0]["writes"] = "garbage"  # hand-edited
    data["flows"][1]["actions"][0]["writes"] = [42]
    df = diagnose(Run.from_dict(data))
    assert {"F1", "INFO"} <= set(df["code"])
    assert "could not be analysed" in only(df, "INFO")["explanation"]
