"""`doctor APP_DIR` detects the engine generation and runs its checks; a missing generation is one line."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from sessioning import cli, generations
from sessioning.doctor_report import DoctorOptions
from sessioning.generations import GEN2025, GEN2026, choose_generation, detect, load_doctor

APP = Path(__file__).resolve().parents[1] / "fixtures" / "app"


def app2026(tmp_path: Path, *, dep: bool = True) -> Path:
    pkg = {"name": "x", "dependencies": {"@mit-sdg/sync-engine": "1.1.0"} if dep else {"hono": "4"}}
    (tmp_path / "package.json").write_text(json.dumps(pkg))
    (tmp_path / "src" / "compositions").mkdir(parents=True)
    (tmp_path / "src" / "assembly.ts").write_text("export {}\n")
    return tmp_path


@pytest.fixture
def no_2026_doctor(monkeypatch):
    """As if this version had no 2026 checks, whether or not sessioning/gen2026/doctor.py exists yet."""
    absent = dataclasses.replace(GEN2026, doctor_module="sessioning.gen2026_absent.doctor")
    monkeypatch.setattr(generations, "GENERATIONS", (GEN2025, absent))
    return absent


def test_the_sample_app_is_2025():
    gen, found = detect(APP)
    assert gen is GEN2025 and "src/syncs/**/*.sync.ts" in found


def test_a_sync_engine_app_is_2026(tmp_path):
    gen, found = detect(app2026(tmp_path))
    assert gen is GEN2026 and found[0] == "package.json depends on @mit-sdg/sync-engine" and len(found) == 3


def test_an_empty_directory_gets_the_2025_checks(tmp_path):
    assert detect(tmp_path) == (GEN2025, [])


def test_broken_package_json_is_not_evidence(tmp_path):
    (tmp_path / "package.json").write_text("{not json")
    (tmp_path / "deno.json").write_text("{}")
    assert detect(tmp_path)[0] is GEN2025


def test_without_an_app_2026_only_files_choose_2026():
    assert choose_generation(DoctorOptions(journal="j.jsonl"))[0] is GEN2026
    assert choose_generation(DoctorOptions(logs=["a.log"]))[0] is GEN2025
    assert choose_generation(DoctorOptions(logs=["a.log"]), forced="2026")[0] is GEN2026


def test_the_2025_hook_is_found():
    assert callable(load_doctor(GEN2025, []))


def test_2026_app_without_2026_checks_is_one_plain_line_exit_2(capsys, tmp_path, no_2026_doctor):
    code = cli.main(["doctor", str(app2026(tmp_path))])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and "Traceback" not in err
    first = err.splitlines()[0]
    assert first == ("sessioning doctor: error: this looks like a 2026 @mit-sdg/sync-engine app; "
                     "2026 checks are not available in this version")
    assert "hint: found package.json depends on @mit-sdg/sync-engine" in err


def test_2026_evidence_alone_without_2026_checks_exit_2(capsys, tmp_path, no_2026_doctor):
    code = cli.main(["doctor", "--journal", str(tmp_path / "j.jsonl")])
    _, err = capsys.readouterr()
    assert code == 2 and "2026 checks are not available" in err and "Traceback" not in err


def test_forcing_2025_on_a_2026_app_runs_the_2025_checks(capsys, tmp_path):
    code = cli.main(["doctor", str(app2026(tmp_path)), "--generation", "2025"])
    out, err = capsys.readouterr()
    assert code == 0 and out.startswith("syncs  ") and "not available" not in err


def test_2026_options_on_a_2025_app_are_a_note(capsys):
    code = cli.main(["doctor", str(APP), "--journal", "j.jsonl", "--min-severity", "error"])
    _, err = capsys.readouterr()
    assert code == 1 and "note: --journal: only a 2026 app has that evidence" in err


def test_a_generation_hook_fills_the_report(capsys, monkeypatch, tmp_path):
    """What the 2026 doctor will do: read options, add sources and findings; the CLI prints them."""
    from sessioning.findings import Finding

    seen = {}

    def run_doctor(options, report):
        seen["options"] = options
        report.sources.append({"kind": "journal", "source": options.journal, "text": "3 flows"})
        report.findings.append(Finding(code="F10", severity="error", explanation="nothing answered", fix="add one"))

    monkeypatch.setattr(generations, "load_doctor", lambda gen, found: run_doctor)
    monkeypatch.setattr(cli, "load_doctor", lambda gen, found: run_doctor)
    code = cli.main(["doctor", str(app2026(tmp_path)), "--journal", "j.jsonl", "--requests", "r.json"])
    out, _ = capsys.readouterr()
    assert code == 1 and "journal j.jsonl: 3 flows" in out and "[1] ERROR F10" in out
    assert seen["options"].requests == "r.json" and seen["options"].app == str(tmp_path)
