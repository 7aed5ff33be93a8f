"""``python -m sessioning doctor`` on a 2026 app: detection, the interface, JSON fields, clear errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sessioning.gen2026.doctor import run

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "fixtures" / "gen2026"


def doctor(*args: str) -> subprocess.CompletedProcess[str]:
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}  # no bunx on PATH: the doctor must say so
    return subprocess.run([sys.executable, "-m", "sessioning", "doctor", *args], capture_output=True, text=True,
                          env=env, timeout=120, cwd=ROOT)


def scenario_args(name: str, mode: str = "default") -> list[str]:
    d = FIX / name
    return [str(d / "app"), "--log", str(d / mode / "stdout.log"), "--log", str(d / mode / "stderr.log"),
            "--requests", str(d / mode / "requests.json"), "--check", str(d / "check.json"),
            "--collections", str(d / mode / "collections")]


def test_json_findings_carry_the_interface_fields() -> None:
    p = doctor(*scenario_args("refusal-unmapped"), "--json")
    assert p.returncode == 1, p.stderr
    data = json.loads(p.stdout)
    f = next(f for f in data["findings"] if f["cause"] == "refusal-unmapped" and f["severity"] == "error")
    for key in ("code", "cause", "severity", "endpoint", "reaction", "why", "fix"):
        assert f[key], key
    assert f["endpoint"] == "/auth/login" and f["reaction"] == "Access.Entering.Login"


def test_healthy_app_exits_zero() -> None:
    p = doctor(*scenario_args("healthy"), "--json")
    assert p.returncode == 0, p.stdout + p.stderr
    assert not [f for f in json.loads(p.stdout)["findings"] if f["severity"] == "error"]


def test_trace_and_journal_options() -> None:
    d = FIX / "uncovered-case-timeout"
    p = doctor(*scenario_args("uncovered-case-timeout", "trace"), "--journal", str(d / "trace/journal.jsonl"),
               "--manifest", str(d / "manifest.json"), "--json")
    f = next(f for f in json.loads(p.stdout)["findings"] if f["severity"] == "error")
    assert (f["cause"], f["basis"]) == ("uncovered-case-timeout", "trace")


def test_without_check_the_doctor_says_why_it_did_not_run_it_quickly() -> None:
    start = time.monotonic()
    p = doctor(str(FIX / "healthy/app"))
    assert time.monotonic() - start < 60
    assert "bunx sync-engine check --format json --show-advisories` not run" in p.stdout + p.stderr


def test_table_output_names_cause_and_fix() -> None:
    p = doctor(*scenario_args("action-fault"))
    assert "action-fault" in p.stdout and "rawFaultReporter" in p.stdout


def test_garbled_requests_file_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "requests.json"
    bad.write_text('[{"path": "/api/x", "status": 5')
    p = doctor(str(FIX / "healthy/app"), "--requests", str(bad))
    assert p.returncode == 2
    assert "Traceback" not in p.stderr and "not JSON" in p.stdout + p.stderr


def test_run_function() -> None:
    d = FIX / "partial-commit"
    found = run(str(d / "app"), logs=[str(d / "default/stderr.log")], requests=str(d / "default/requests.json"),
                check=str(d / "check.json"), collections=str(d / "default/collections"))
    assert [f.extra["cause"] for f in found if f.severity == "error"] == ["partial-commit"]


@pytest.mark.parametrize("name", ["startup-unbound", "startup-unordered"])
def test_startup_failures(name: str) -> None:
    p = doctor(*scenario_args(name), "--json")
    causes = {f["cause"] for f in json.loads(p.stdout)["findings"]}
    assert name in causes


@pytest.mark.parametrize("name", ["refusal-unmapped", "uncovered-case-timeout", "action-fault", "partial-commit",
                                  "query-throws", "error-returned-not-thrown"])
def test_journal_alone_names_the_cause(name: str) -> None:
    d = FIX / name
    found = run(str(d / "app"), journal=str(d / "trace/journal.jsonl"))
    assert name in [f.extra["cause"] for f in found if f.severity == "error"]


def test_doctor_runs_bunx_itself_when_it_can(tmp_path: Path) -> None:
    """A stand-in `bunx` on PATH prints the recorded reports: the doctor runs check and manifest itself."""
    app = tmp_path / "app"
    shutil.copytree(FIX / "invalid-input" / "app", app)
    (app / "node_modules" / "@mit-sdg" / "sync-engine").mkdir(parents=True)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "bunx"
    check, manifest = FIX / "invalid-input" / "check.json", FIX / "invalid-input" / "manifest.json"
    fake.write_text(f"#!/bin/sh\nif [ \"$2\" = check ]; then cat {check}; else cat {manifest}; fi\n")
    fake.chmod(0o755)
    env = {"PYTHONPATH": str(ROOT), "PATH": f"{bindir}:/usr/bin:/bin"}
    d = FIX / "invalid-input" / "default"
    p = subprocess.run([sys.executable, "-m", "sessioning", "doctor", str(app), "--requests", str(d / "requests.json"),
                        "--json"], capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)
    data = json.loads(p.stdout)
    assert "ran `bunx sync-engine check --format json --show-advisories` (exit 0)" in data["notes"]
    assert "ran `bunx sync-engine artifacts manifest` (exit 0)" in data["notes"]
    f = next(f for f in data["findings"] if f["cause"] == "invalid-input")
    assert "`text`" in f["why"]
