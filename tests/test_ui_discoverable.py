"""Issue 14, items 6–8: no session id in full beside its masked form, a kit found from Jupyter, no quiet failures."""

from __future__ import annotations

import re

from sessioning import console, make_app
from sessioning.gen2025.diagnosis import diagnose
from sessioning.masking import mask_dup_keys, mask_inline, mask_text, reveal_secrets

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _dup_login(capsys):
    app = make_app(fast_hash=True)
    with console.quiet():
        app.request("/register", username="alice", password="correct horse")
    capsys.readouterr()
    app.db.faults.fail_inserts("Sessioning.sessions", "duplicate_key")
    response = app.request("/login", username="alice", password="correct horse")
    return app, response, capsys.readouterr()


def test_e11000_session_id_masked_in_trace_stderr_response_and_diagnose(capsys):
    app, response, out = _dup_login(capsys)
    with reveal_secrets():  # the id that collided, read back in full from the recorded run
        raw = repr(app.engine.run.to_dict())
    session_ids = set(re.findall(r'dup key: \{ _id: \\*"([0-9a-f-]{36})', raw))
    assert session_ids
    assert "E11000" in out.out and "E11000" in out.err
    texts = {"trace": out.out, "stderr": out.err, "response": repr(response)}
    findings = diagnose(run=app)
    texts["diagnose"] = findings.to_string() + " ".join(str(v) for v in findings.to_dict("records"))
    # the id quoted by `dup key: { _id: "…" }` is the only uuid there that is a session's
    quoted = re.findall(r'dup key: \{ _id: "([^"]*)" \}', out.out + out.err)
    assert quoted and all("…" in q for q in quoted), quoted
    for name, text in texts.items():
        for sid in session_ids:
            assert sid not in text, name
        for q in re.findall(r'dup key: \{ _id: "([^"]*)" \}', text):
            assert not UUID.fullmatch(q), (name, text)
        assert not re.search(r"'keyValue': \{'_id': '[0-9a-f-]{36}'\}", text), (name, text)


def test_e11000_answered_with_its_error_is_masked_in_the_response(capsys):
    from sessioning import actions
    app = make_app(fast_hash=True)
    with console.quiet():
        app.request("/register", username="alice", password="correct horse")

    def LoginSessionError(request, error):  # noqa: N802 - a sync is named like one
        return {"when": actions([app.Requesting.request, {"path": "/login"}, {"request": request}],
                                [app.Sessioning.create, {}, {"error": error}]),
                "then": actions([app.Requesting.respond, {"request": request, "error": error}])}

    app.engine.register({"auth.LoginSessionError": LoginSessionError})
    app.db.faults.fail_inserts("Sessioning.sessions", "duplicate_key")
    response = app.request("/login", username="alice", password="correct horse")
    full = response.body["error"]  # the app's value itself is the engine's, unmasked
    sid = re.search(r'dup key: \{ _id: "([^"]*)"', full)[1]
    assert UUID.fullmatch(sid)
    out = capsys.readouterr()
    for text in (repr(response), out.out, out.err, diagnose(run=app).to_string()):
        assert sid not in text and f"{sid[:8]}…{sid[-4:]}" in text


def test_dup_key_masking_rules():
    sid = "01a20704-3e1e-7303-a356-ebf6fbc59505"
    msg = (f'E11000 duplicate key error collection: sessioning.Sessioning.sessions index: _id_ dup key: '
           f'{{ _id: "{sid}" }}, full error: {{\'keyValue\': {{\'_id\': \'{sid}\'}}}}')
    for fn in (mask_text, mask_inline, mask_dup_keys):
        shown = fn(msg, False)
        assert sid not in shown and "01a20704…9505" in shown
    # a secret key name masks in any collection; a plain key of another collection stays readable
    tok = "tok-abcdef0123456789"
    assert tok not in mask_text(f'E11000 duplicate key error collection: db.Users index: token_1 dup key: {{ token: "{tok}" }}', False)
    user = 'E11000 duplicate key error collection: db.Users index: username_1 dup key: { username: "alice-the-great" }'
    assert mask_text(user, False) == user
    assert mask_text(msg, True) == msg


# ---------------------------------------------------------------- item 7: found from Jupyter

def test_auth_syncs_and_make_app_document_every_variant():
    import sessioning
    from sessioning.gen2025.auth_syncs import VARIANTS
    for fn in (sessioning.auth_syncs, sessioning.make_app):
        doc = fn.__doc__ or ""
        assert "{variants}" not in doc
        for name in VARIANTS:
            assert repr(name) in doc, (fn.__name__, name)
    assert "Returns" in sessioning.auth_syncs.__doc__
    assert sessioning.__version__ and {"FlowStepper", "read_log", "make_app"} <= set(dir(sessioning))


def test_python_m_sessioning_help_describes_command_and_every_option(capsys):
    from sessioning.__main__ import _run
    from sessioning.cli import build_parser
    assert _run(["--help"]) == 0
    out = capsys.readouterr().out
    assert "doctor" in out and "examples:" in out and "--journal" in out and "--env" in out
    assert "2025 app" in out and "2026 app" in out and "exit status" in out
    for action in build_parser()._actions:
        assert action.help, action.dest
        for opt in action.option_strings:
            assert opt in out


# ---------------------------------------------------------------- item 8: no quiet failures

def test_diagnose_without_arguments_says_what_to_pass():
    import pytest

    from sessioning.errors import KitError
    with pytest.raises(TypeError) as info:
        diagnose()
    assert isinstance(info.value, KitError)
    text = str(info.value) + info.value.hint
    assert "run=" in text and "db=" in text and "diagnose(app)" in text


def test_504_prints_why_and_fix_after_the_engines_line(capsys):
    from sessioning import failure_modes
    app = make_app(fast_hash=True, timeout=50)
    r = app.request("/nowhere", x=1)
    assert r.status == 504
    err = capsys.readouterr().err.splitlines()
    i = next(i for i, line in enumerate(err) if line.startswith("[Requesting] Error processing request: "))
    assert err[i] == f"[Requesting] Error processing request: Request {r.request} timed out after 50ms"  # word for word
    why, fix = failure_modes.explain("F10", "engine", path="/nowhere")
    assert err[i + 1] == f"  why: {why}" and err[i + 2] == f"  fix: {fix}"


SYNC = """import {{ actions, Sync }} from "@engine";
import {{ Requesting }} from "@concepts";

{export}({{ request }}) => ({{
  when: actions([Requesting.request, {{ path: "/y" }}, {{ request }}]),
  then: actions([Requesting.respond, {{ request }}]),
}});
"""


def test_default_exported_sync_is_named_not_skipped(tmp_path, capsys):
    from sessioning.cli import main
    (tmp_path / "y.sync.ts").write_text(SYNC.format(export="export default "))
    (tmp_path / "z.sync.ts").write_text(SYNC.format(export="export const Zed: Sync = "))
    (tmp_path / "me.sync.ts").write_text(SYNC.format(export="export default function Me").replace(") => ({", ") {\n  return {").replace("});", "};\n}"))
    main(["doctor", "--syncs", str(tmp_path)])
    out = capsys.readouterr().out
    assert "exported as `default`" in out and "y.sync.ts (default)" in out  # the anonymous one is named
    assert "default Me" not in out and "me.sync.ts" not in out  # read as the sync Me: not reported as skipped
    assert "2 syncs analysed, 1 not" in out


def test_a_sync_file_given_as_the_app_folder_suggests_syncs(tmp_path, capsys):
    from sessioning.cli import main
    f = tmp_path / "x.sync.ts"
    f.write_text(SYNC.format(export="export const X: Sync = "))
    assert main([str(f)]) == 2
    err = capsys.readouterr().err
    assert f"this is a sync file, not an app folder: use --syncs {f} (or give the app folder)" in err
    assert "not a directory" not in err
