"""The whole-app model: concepts, the app's engine, routes and coverage, on fixtures/apps2025."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from sessioning.gen2025.readers.app_engine import TEMPLATE, read_engine
from sessioning.gen2025.readers.app_model import app_dir_of, coverage, read_app
from sessioning.gen2025.readers.app_rules import APP_RULES, session_check_verdict
from sessioning.gen2025.readers.concepts import EMPTY_LIST, LIST, OBJECT, RAW_DOCS, read_concepts
from sessioning.gen2025.readers.routes import answers_by_path
from sessioning.gen2025.readers.syncfiles import read_syncs

APPS = Path(__file__).resolve().parents[1] / "fixtures" / "apps2025"
SHAPES = APPS / "shapes"
PATCHED = APPS / "patched_engine"


@pytest.fixture(scope="module")
def shapes():
    sf = read_syncs(SHAPES)
    model = read_app(SHAPES)
    cov = coverage(sf.root, sf.defs)
    ctx = SimpleNamespace(syncs=sf.defs, extra={"model": model, "coverage_gaps": cov.line()})
    return sf, model, cov, ctx


def _codes(ctx, rules=APP_RULES) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for sd in ctx.syncs:
        for rule in rules:
            for f in rule(sd, ctx):
                out.setdefault(sd.name, set()).add(f"{f.code}:{f.severity}")
    return out


def test_concept_methods_inputs_and_shapes():
    c = read_concepts(SHAPES)
    assert c.files["Notes"] == "src/concepts/Notes/NotesConcept.ts"
    write = c.get("Notes", "write")
    assert write.inputs == ["author", "body"] and not write.is_query
    assert {(s.kind, s.keys, s.error) for s in write.shapes} == {
        (OBJECT, frozenset({"error"}), True), (OBJECT, frozenset({"note"}), False)}
    assert write.success_keys() == {"note"} and write.has_error_return()
    assert c.get("Notes", "erase").has_empty_success()
    assert c.get("Notes", "listByAuthor").returns_list() is True
    assert c.get("Notes", "_byAuthor").success_keys() == {"note", "body"}
    assert [s.kind for s in c.get("Notes", "_rawByAuthor").shapes] == [RAW_DOCS]
    assert c.get("Notes", "_rawByAuthor").success_keys() is None  # documents: keys unknown
    assert [s.kind for s in c.get("Notes", "_count").shapes] == [OBJECT]


def test_concept_error_styles():
    c = read_concepts(SHAPES)
    assert c.get("Sessioning", "_owner").error_styles() == {"empty"}
    assert {s.kind for s in c.get("Sessioning", "_owner").shapes} == {LIST, EMPTY_LIST}
    assert c.get("Sessioning", "_ownerOrError").error_styles() == {"list_error"}
    assert c.get("Sessioning", "_ownerOrThrow").error_styles() == {"throws"}
    archive = c.get("Notes", "archive")
    assert any(s.keys == frozenset({"status", "error"}) for s in archive.shapes)


def test_no_concepts_directory_is_an_empty_model(tmp_path):
    c = read_concepts(tmp_path)
    assert c.methods == {} and c.files == {}


def test_template_engine_facts_when_unpatched_or_missing(tmp_path):
    facts = read_engine(tmp_path)
    assert not facts.present and facts.facts == TEMPLATE and facts.version is None
    assert "assumed" in facts.describe()


def test_patched_engine_is_recognised():
    facts = read_engine(PATCHED)
    assert facts.present and facts.unknown == []
    assert facts.differences() == {"empty_output_matches_all": False, "queries_instrumented": True,
                                   "unbound_query_input_throws": False}
    assert facts.version == "v2" and "queries_instrumented=True" in facts.describe()


def test_routes_base_passthrough_and_shadowing():
    routes = read_app(SHAPES).routes
    assert routes.base == "/api" and routes.passthrough_enabled
    assert "/api/Notes/_byAuthor" in routes.inclusions and "/api/Notes/write" in routes.exclusions
    assert routes.shadowing("/Notes/_byAuthor") == "/api/Notes/_byAuthor"
    assert routes.shadowing("/Notes/write") is None  # excluded: Requesting answers it
    assert routes.shadowing("/notes/write") is None  # no such concept route


def test_env_base_url_wins(tmp_path):
    (tmp_path / ".env").write_text("REQUESTING_BASE_URL=/v1\n")
    assert read_app(tmp_path).routes.base == "/v1"


def test_answers_by_path(shapes):
    sf, *_ = shapes
    paths, generic = answers_by_path([d for d in sf.defs if d.registered])
    assert generic == []
    write = paths["/notes/write"]
    assert {r.sync.name: r.kind for r in write.responders} == {"WriteNoteOk": "success", "WriteNoteFailed": "error"}
    assert paths["/notes/forget"].responders == []
    assert [r.kind for r in paths["/notes/erase"].responders] == ["any"]


def test_coverage_names_factories_and_default_exports(shapes):
    _, _, cov, _ = shapes
    assert cov.missed == 3
    assert cov.line() == ("28 syncs analysed, 3 not: built by `answerWith` in factory.sync.ts "
                          "(AnswerWrite, default); re-exported from `./extra.ts` in registry/index.sync.ts "
                          "(HealthCheck)")


def test_app_dir_of():
    assert app_dir_of(SHAPES / "src" / "syncs") == SHAPES
    assert app_dir_of(SHAPES) is None


def test_new_rules_on_shapes(shapes):
    *_, ctx = shapes
    got = _codes(ctx)
    assert got == {
        "EraseNoteDone": {"SILENT-ERROR:warning"},
        "ListNotesDone": {"ACTION-ARRAY:error"},
        "ReadNotes": {"F2:error"},
        "ReadRaw": {"F2:info"},
        "CountNotes": {"F9:error"},
        "Shadowed": {"F15:error"},
        "NoSlash": {"PATH-SLASH:error"},
        # the factory-built syncs might answer it: reported, but only at info
        "Forget": {"NO-RESPONDER:info"},
        "WriteAsOwner": {"F4:warning"},
        "EraseNow": {"SILENT-ERROR:warning"},  # answered in the same `then` as the erase
        "WhoAmI": {"F4:error"},  # `session` is bound by nothing
        "PingThrows": {"F16:warning"},  # the check works, but a bad session is a 500
        "ArchiveNoteOk": {"F12:warning"},  # `status` also comes beside `error`
    }


def test_no_responder_is_an_error_when_every_sync_was_read(shapes):
    *_, ctx = shapes
    full = SimpleNamespace(syncs=ctx.syncs, extra={"model": ctx.extra["model"], "coverage_gaps": None})
    got = _codes(full)
    assert got["Forget"] == {"NO-RESPONDER:error"}
    # every sync read: an error only success responders wait for is reported too
    assert got["WriteAsOwner"] == {"F4:warning", "ERROR-UNANSWERED:warning"}
    # `_owner` may answer `[]`, and no sync answers /notes/write at request level
    assert got["WriteNote"] == {"DROPPED-UNANSWERED:warning"}


def test_texts_come_from_the_catalogue(shapes):
    from sessioning import failure_modes as fm

    *_, ctx = shapes
    found = [f for sd in ctx.syncs for rule in APP_RULES for f in rule(sd, ctx)]
    slash = next(f for f in found if f.code == "PATH-SLASH")
    assert (slash.explanation, slash.fix) == fm.explain("PATH-SLASH", "syncs", sync="NoSlash", path="notes/ping")
    assert fm.title("SILENT-ERROR").startswith("`{}` responder")


def test_rules_say_nothing_without_a_model(shapes):
    *_, ctx = shapes
    bare = SimpleNamespace(syncs=ctx.syncs, extra={})
    # only the rules that need no concept, engine or route pass their verdict
    assert _codes(bare) == {"NoSlash": {"PATH-SLASH:error"}, "WhoAmI": {"F4:error"}}


def test_session_check_verdicts(shapes):
    *_, ctx = shapes
    assert session_check_verdict(ctx, "Sessioning._owner") == "drops"
    assert session_check_verdict(ctx, "Sessioning._ownerOrError") == "keeps"
    assert session_check_verdict(ctx, "Sessioning._ownerOrThrow") == "drops"
    assert session_check_verdict(ctx, "Sessioning._nope") == "unknown"


# ---------------------------------------------------------------- the doctor's checks, with the model


def _by_sync(path) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in read_syncs(path).findings():
        out.setdefault(f.sync or f.file, set()).add(f"{f.code}:{f.severity}")
    return out


def test_checks_ask_the_model_on_shapes():
    got = _by_sync(SHAPES)
    assert "PingEmptyDrops" not in got  # `[]` makes the check work
    assert got["PingThrows"] == {"F16:warning"}  # a throw does too (no F13), but as a 500
    assert got["PingErrorKeeps"] == {"F13:warning"}
    assert got["PingBadSession"] == {"F13:warning"}  # the length test never succeeds with `[{ error }]`
    assert got["EraseTwiceOk"] == {"F12:warning"}  # template engine, erase can fail
    assert "ArchiveNoteRefused" not in got  # `{ status, error }` come together: neither F11 nor F3
    assert "PingRedundantKey" not in got  # string key beside a bound symbol: not F6
    assert "registry/extra.ts" not in got  # not F21: index.sync.ts imports it


def test_coverage_is_printed_with_the_sources(capsys):
    from sessioning import cli

    assert cli.main(["doctor", str(SHAPES), "--no-progress"]) == 1
    out = capsys.readouterr().out
    assert "28 syncs analysed, 3 not: built by `answerWith` in factory.sync.ts" in out


def test_checks_follow_a_patched_engine():
    got = _by_sync(PATCHED)
    assert got == {}  # no F12 (`{}` matches only `{}`), no F7 (`_` methods instrumented)


def test_patched_engine_facts_change_the_verdicts_only_through_the_model():
    sf = read_syncs(PATCHED)
    sf.model = None  # the same syncs judged by the template's rules
    codes = {f.code for f in sf.findings()}
    assert {"F12", "F7"} <= codes


def test_action_throws_only_on_request_paths():
    """ACTION-THROWS: only the request whose action fails by `throw` (not `{error}`, not a caught throw,
    not a follow-up sync without a request)."""
    app = APPS / "throwing"
    sf = read_syncs(app)
    ctx = SimpleNamespace(syncs=sf.defs, extra={"model": read_app(app), "coverage_gaps": None})
    assert _codes(ctx) == {"Stock": {"ACTION-THROWS:warning"}}
    methods = {m.name: m for m in read_concepts(app).of("Pantry")}
    assert methods["stock"].throws and not methods["stock"].has_error_return()
    assert not methods["audit"].throws  # its throw is inside its own try
