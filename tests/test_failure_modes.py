"""The failure-mode catalogue: one home for every code, title, generation and why/fix text."""

from __future__ import annotations

import ast
import functools
import re
import string
from pathlib import Path

import pytest

import sessioning
from sessioning import failure_modes as fm
from sessioning.findings import Finding

# The table sessioning.FAILURE_MODES had before the catalogue existed: it is public, so it stays.
FAILURE_MODES_BEFORE = {
    "F1": ("value made in a `then` used later in the same `then`", "BINDING"),
    "F2": ("query rows lack the output key, variable left unbound", "BINDING"),
    "F3": ("`error` bound on one path only", "BINDING"),
    "F4": ("query input variable unbound (`Binding: … not found`)", "BINDING"),
    "F5": ("`where` returns frames built from scratch (`Missing actionId`)", "BINDING"),
    "F6": ("hand-built frames with string keys", "BINDING"),
    "F7": ("query used in `when`/`then` (`… is not instrumented.`)", "ENGINE"),
    "F8": ("`when` entry without an output pattern", "MATCH"),
    "F9": ("query or `where` not returning an array/Frames", "ENGINE"),
    "F10": ("request sync never matches → timeout (504)", "MATCH"),
    "F11": ("response sync never matches → timeout (504)", "MATCH"),
    "F12": ("`{}` success sync and `{error}` sync both fire", "MATCH"),
    "F13": ("auth check that checks nothing", "MATCH"),
    "F14": ("action used as a query or awaited in `where` → runs in a new flow", "ENGINE"),
    "F15": ("passthrough route shadows Requesting", "MATCH"),
    "F16": ("action throws instead of returning `{error}` (incl. E11000)", "DB"),
    "F17": ("the insert never happened", "DB"),
    "F18": ("environment / connection (`MONGODB_URL`, Atlas)", "DB"),
    "F19": ("test database in use or wiped (`test-<DB_NAME>`)", "DB"),
    "F20": ("Deno tests report leaks", "DB"),
    "F21": ("stale generated barrel, or a sync file not named `*.sync.ts`", "BUILD"),
    "UNBOUND": ("a `then` variable that nothing binds", "BINDING"),
    "API-PREFIX": ("path literal with the `/api` prefix", "MATCH"),
    "PARSE": ("file could not be parsed", "BUILD"),
    "INFO": ("information", "INFO"),
}

# The causes of issue 13, as the `cause` field of 2026 findings.
CAUSES_2026 = [
    "refusal-unmapped", "uncovered-case-timeout", "action-fault", "query-cardinality", "query-throws",
    "partial-commit", "startup-unbound", "startup-unordered", "error-returned-not-thrown", "invalid-input",
    "unknown-path", "forbidden-origin", "double-answer", "refusal-mapped",
]


# ---------------------------------------------------------------- the table


# Codes added after the table was first published (issue 12: the whole-app sync checks), at its end.
ADDED_LATER = ["PATH-SLASH", "NO-RESPONDER", "SILENT-ERROR", "ERROR-UNANSWERED", "DROPPED-UNANSWERED",
               "ACTION-ARRAY", "CASCADE-LOOP", "WHERE-THREW", "ACTION-THROWS"]


def test_public_failure_modes_table_keeps_its_content_order_and_shape():
    before = dict(list(sessioning.FAILURE_MODES.items())[:len(FAILURE_MODES_BEFORE)])
    assert before == FAILURE_MODES_BEFORE
    assert list(sessioning.FAILURE_MODES) == list(FAILURE_MODES_BEFORE) + ADDED_LATER
    assert sessioning.FAILURE_MODES is fm.FAILURE_MODES
    from sessioning.findings import FAILURE_MODES as from_findings

    assert from_findings is fm.FAILURE_MODES


def test_every_code_has_title_tag_generation_and_at_least_one_wording():
    for code, mode in fm.MODES.items():
        assert mode.code == code
        assert mode.title and mode.tag and mode.generation in fm.GENERATIONS
        assert mode.variants, code
        assert fm.title(code) == mode.title


def test_generations():
    assert fm.codes("2026") == CAUSES_2026
    assert {c for c in fm.codes() if c.startswith("F")} == {f"F{i}" for i in range(1, 22)}
    assert all(fm.MODES[f"F{i}"].generation == "2025" for i in range(1, 22))
    assert fm.MODES["INFO"].generation == "any"
    assert not set(CAUSES_2026) & set(fm.FAILURE_MODES)  # the public 2025 table is unchanged


def test_findings_accept_every_catalogue_code_and_take_the_title_from_it():
    for code in fm.MODES:
        f = Finding(code=code, severity="info", explanation="x", fix="y")
        assert f.title == fm.title(code) and f.tag == fm.MODES[code].tag
    with pytest.raises(ValueError, match="unknown finding code"):
        Finding(code="F99", severity="info", explanation="x", fix="y")


# ---------------------------------------------------------------- asking for text


def test_explain_fills_the_templates_and_unpacks_as_why_fix():
    why, fix = fm.explain("F4", "log", where="Request `/a`", name="user")
    assert why == ("Request `/a`: `Binding: Symbol(user) not found`: a `frames.query` takes `user` as input but an "
                   "earlier step left it unbound — usually `_getUser` returned `[{error}]` for an invalid or "
                   "missing session.")
    assert fix == ("Drop or answer the frames where `user` is unbound before the next query, e.g. "
                   "`frames.filter(($) => $[user] !== undefined)`, with a separate error-response sync.")
    e = fm.explain("F20", "log")
    assert isinstance(e, fm.Explanation) and e.why.startswith("Deno tests reported leaks")


def test_a_missing_fact_is_a_clear_error_naming_it():
    with pytest.raises(fm.MissingFacts, match=r"F4/log needs the fact\(s\) where \(given: name\)") as info:
        fm.explain("F4", "log", name="user")
    assert info.value.missing == ["where"]


@pytest.mark.parametrize(("call", "message"), [
    (lambda: fm.explain("F99"), "unknown failure mode 'F99'"),
    (lambda: fm.explain("F4", "nope", name="x"), "F4 has no variant 'nope'"),
    (lambda: fm.explain("F20", "log", colour="red"), "unknown fact"),
    (lambda: fm.phrase("nope"), "unknown phrase 'nope'"),
    (lambda: fm.title("F0"), "unknown failure mode"),
])
def test_unknown_codes_variants_facts_and_phrases_are_clear_errors(call, message):
    with pytest.raises(fm.CatalogueError, match=message):
        call()


def test_facts_are_declared_and_every_wording_formats():
    for code, mode in fm.MODES.items():
        used = set()
        for variant in mode.variants.values():
            assert variant.facts <= set(mode.facts), (code, variant.name)
            used |= variant.facts
            why, fix = mode.explain(variant.name, **{k: f"<{k}>" for k in variant.facts})
            assert why and fix, (code, variant.name)
            for k in variant.facts:  # every fact lands in the text (``{path!r}`` shows it quoted)
                assert f"<{k}>" in why + fix, (code, variant.name, k)
        assert used == set(mode.facts), code  # no declared fact is dead


def test_literal_braces_come_out_single():
    why, fix = fm.explain("F3", "log", where="Request `/x`")
    assert "`{ error }`" in fix and "{{" not in why + fix
    assert fm.phrase("F12.log-one-carries-error") == " One response carries `error`: a `{}` output pattern also matches `{error}`."


def test_generic_log_wording_serves_any_2025_mode():
    assert fm.explain("F6", "log-other", where="Request `/x`", msg="boom") == ("Request `/x`: `boom`.", "See the error message.")


def test_2026_causes_name_the_evidence_and_the_fix():
    why, fix = fm.explain("refusal-unmapped", endpoint="/auth/current", action="Sessioning.use",
                          refusal="UNKNOWN_SESSION")
    assert "INTERNAL_ERROR" in why and "publicErrors" in why and "UNKNOWN_SESSION" in fix
    why, _ = fm.explain("uncovered-case-timeout", endpoint="/auth/current", reaction="Sessions.Current#2",
                        line="Sessioning._active({ session }).is({ subject })")
    assert "30 s" in why and "Sessions.Current#2" in why
    assert fm.MODES["refusal-mapped"].tag == "INFO"


def test_phrases_need_their_facts():
    assert fm.phrase("F16.by", sync="Login") == " (run by `Login`)"
    with pytest.raises(fm.MissingFacts):
        fm.phrase("F16.by")


# ---------------------------------------------------------------- the producers print the catalogue's text


def test_log_reader_prints_the_catalogue_text():
    from sessioning.gen2025.readers.logs import read_log

    log = read_log("[Requesting] Received request for path: /x\n"
                   "Requesting.request { path: '/x' } => { request: 'r1' }\n"
                   "[Requesting] Error processing request: Missing binding: Symbol(error) in frame: [object Object]\n")
    f = next(f for f in log.findings() if f.code == "F3")
    assert (f.explanation, f.fix) == fm.explain("F3", "log", where="Request `/x`")


def test_engine_error_prints_the_catalogue_text():
    from sessioning import Var
    from sessioning.gen2025.engine import BindingNotFound, Frames

    def _rows(x):
        return [{"y": x}]

    with pytest.raises(BindingNotFound) as info:
        Frames({}).query(_rows, {"x": Var("user")}, {})
    e = info.value
    assert (e.explanation, e.fix) == fm.explain("F4", "engine", fn="_rows", name="user", bound="nothing")


def test_sync_checks_print_the_catalogue_text(tmp_path):
    from sessioning.gen2025.readers.syncfiles import read_syncs

    (tmp_path / "a.sync.ts").write_bytes(b"\x00\x01binary")
    f = next(f for f in read_syncs(tmp_path).findings() if f.code == "PARSE")
    assert (f.explanation, f.fix) == fm.explain("PARSE", "binary", file="a.sync.ts")


# ---------------------------------------------------------------- the catalogue is the only home of the texts

PACKAGE = Path(__file__).resolve().parents[1] / "sessioning"
CATALOGUE = PACKAGE / "failure_modes"
WINDOW = 30  # a shared run of this many characters is a copy, not a coincidence


def _literals(template: str) -> list[str]:
    """The fixed text of a template between its facts, braces undoubled (as the printed text has it)."""
    return [lit for lit, *_ in string.Formatter().parse(template) if lit]


# The course engine's own messages, which the catalogue quotes and the readers must match: not kit text.
ENGINE_MESSAGES = (
    "Missing actionId in `then` clause.",
    "When pattern: [object Object] is missing output pattern.",
    "Missing binding: Symbol(error) in frame: [object Object]",
    "functionOutputArray is not iterable",
    "E11000 duplicate key error collection",
    "WARNING - UNVERIFIED ROUTE: ",
)


def _probes() -> set[str]:
    """Overlapping 30-character windows of every fixed piece of catalogue text (the engine's quoted
    messages aside)."""
    texts = [t for m in fm.MODES.values() for v in m.variants.values() for t in (v.why, v.fix)]
    texts += list(fm.PHRASES.values())
    out = set()
    for text in texts:
        for lit in _literals(text):
            lit = " ".join(lit.split())
            for i in range(0, max(len(lit) - WINDOW, 0) + 1, WINDOW // 2):
                window = lit[i:i + WINDOW]
                if (len(window) == WINDOW and window.strip() == window
                        and not any(window in message for message in ENGINE_MESSAGES)):
                    out.add(window)
    return out


def _docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def _strings(path: Path) -> list[str]:
    """The string constants of a module (implicit concatenations joined, f-string literal parts), no docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _docstrings(tree)
    return [" ".join(n.value.split()) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in skip]


def _kit_modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if CATALOGUE not in p.parents)


def _windows(strings: list[str]) -> set[str]:
    return {s[i:i + WINDOW] for s in strings for i in range(len(s) - WINDOW + 1)}


@functools.cache
def files_writing_failure_text() -> dict[str, list[str]]:
    """module path → catalogue windows found in its strings (read once per test session)."""
    probes = _probes()
    found: dict[str, list[str]] = {}
    for path in _kit_modules():
        hits = sorted(probes & _windows(_strings(path)))
        if hits:
            found[path.relative_to(PACKAGE.parent).as_posix()] = hits
    return found


def test_no_failure_mode_text_is_written_outside_the_catalogue():
    # Every producer (engine, run diagnosis, log reader, sync and database checks, doctor, 2026 readers)
    # gathers facts and asks sessioning.failure_modes for the words.
    found = {f: hits[:3] for f, hits in files_writing_failure_text().items()}
    assert not found, f"failure-mode text written outside sessioning/failure_modes: {found}"


def test_the_text_scan_finds_a_copy():
    probes = _probes()
    copy = " ".join(fm.explain("F20", "log").why.split())
    assert any(p in copy for p in probes)
    assert len(probes) > 500


# ---------------------------------------------------------------- every code the kit uses is catalogued

_CODE = re.compile(r"F\d{1,2}")


def codes_used() -> dict[str, set[str]]:
    """code → files, for every F-number string and every ``code=``/``add(code, …)``/``"code": …`` constant."""
    used: dict[str, set[str]] = {}

    def note(value: object, path: Path) -> None:
        if isinstance(value, str) and value:
            used.setdefault(value, set()).add(path.relative_to(PACKAGE.parent).as_posix())

    for path in _kit_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and _CODE.fullmatch(node.value):
                note(node.value, path)
            elif isinstance(node, ast.Call):
                for kw in node.keywords:
                    if kw.arg == "code" and isinstance(kw.value, ast.Constant):
                        note(kw.value.value, path)
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in ("add", "Finding", "explain") and node.args and isinstance(node.args[0], ast.Constant):
                    note(node.args[0].value, path)
            elif isinstance(node, ast.Dict):
                for k, v in zip(node.keys, node.values):
                    if isinstance(k, ast.Constant) and k.value == "code" and isinstance(v, ast.Constant):
                        note(v.value, path)
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                if any(isinstance(t, ast.Name) and t.id == "code" for t in node.targets):
                    note(node.value.value, path)
    return used


def test_every_code_used_in_the_kit_is_in_the_catalogue():
    used = codes_used()
    assert {"F1", "F10", "F18", "UNBOUND", "PARSE"} <= set(used)  # the scan sees the producers
    unknown = {code: sorted(files) for code, files in used.items() if code not in fm.MODES}
    assert not unknown, f"codes used but not catalogued: {unknown}"
