"""Issue 14, items 6–8: no session id in full beside its masked form, a kit found from Jupyter, no quiet failures."""

from __future__ import annotations

from sessioning.gen2025.diagnosis import diagnose

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
