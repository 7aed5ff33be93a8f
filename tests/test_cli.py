"""`sessioning doctor`: table and JSON output, exit codes, masking, bad input without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sessioning import cli
from sessioning.db.connect import ConnectionProblem
from sessioning.findings import Finding
from sessioning.gen2025 import doctor as doctor2025

ROOT = Path(__file__).resolve().parents[1]
LOGS = ROOT / "fixtures" / "logs"
APP = ROOT / "fixtures" / "app"


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_log_with_errors_exits_1_and_prints_table(capsys):
    code, out, err = run(capsys, "doctor", "--log", str(LOGS / "f1-missing-binding-session.log"))
    assert code == 1
    assert "[1] ERROR F1" in out and "fix: Split it" in out and "1 error(s)" in out
    assert "severity  code" in out  # the summary table
    assert "1234567890" not in out  # password masked in the evidence
    assert "Traceback" not in err


def test_clean_log_exits_0(capsys):
    code, out, _ = run(capsys, "--log", str(LOGS / "ok-interleaved-logins.log"))
    assert code == 0 and "No findings." in out and "0 error(s)" in out


def test_warnings_only_exit_0(capsys):
    code, out, _ = run(capsys, "--log", str(LOGS / "f12-double-respond.log"))
    assert code == 0 and "WARNING F12" in out and "warning   F12" in out


def test_syncs_json(capsys):
    code, out, _ = run(capsys, "doctor", "--syncs", str(APP), "--json")
    assert code == 1
    data = json.loads(out)
    found = {(f["code"], f["sync"]) for f in data["findings"]}
    assert ("F1", "AuthenticateAndCreate") in found and ("F12", "LogoutResponse") in found
    assert data["summary"]["error"] >= 10 and data["sources"][0]["syncs"] == 21
    f1 = next(f for f in data["findings"] if f["code"] == "F1")
    assert f1["file"] == "auth.sync.ts" and f1["line"] == 69 and f1["fix"]


def test_app_dir_positional(capsys):
    code, out, _ = run(capsys, "doctor", str(APP), "--min-severity", "warning")
    assert code == 1 and "syncs  " in out and "auth.sync.ts:69" in out


def test_min_severity_filters(capsys):
    _, out, _ = run(capsys, "--log", str(LOGS / "f12-double-respond.log"), "--min-severity", "error")
    assert "F12" not in out


def test_show_secrets(capsys):
    _, masked, _ = run(capsys, "--log", str(LOGS / "f1-missing-binding-session.log"), "--json")
    _, shown, _ = run(capsys, "--log", str(LOGS / "f1-missing-binding-session.log"), "--json", "--show-secrets")
    assert "1234567890" not in masked and "1234567890" in shown


def test_missing_log_is_one_line_error_exit_2(capsys, tmp_path):
    code, out, err = run(capsys, "--log", str(tmp_path / "nope.log"))
    assert code == 2 and "log file not found" in err and "Traceback" not in err
    assert len([ln for ln in err.splitlines() if ln.strip()]) == 1


def test_binary_log_exit_2(capsys, tmp_path):
    p = tmp_path / "bin.log"
    p.write_bytes(b"\x00" * 100)
    code, _, err = run(capsys, "--log", str(p))
    assert code == 2 and "binary" in err


def test_directory_without_syncs_exit_2(capsys, tmp_path):
    code, _, err = run(capsys, "--syncs", str(tmp_path))
    assert code == 2 and "no sync files" in err


def test_nothing_to_check_and_bad_option_exit_2(capsys):
    code, _, err = run(capsys)
    assert code == 2 and "nothing to check" in err
    code, _, err = run(capsys, "--bogus")
    assert code == 2
    code, _, _ = run(capsys, "--env", "a", "--uri", "b")  # mutually exclusive
    assert code == 2


def test_help_exit_0(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "--syncs" in out


def test_missing_env_file_exit_2(capsys, tmp_path):
    code, _, err = run(capsys, "--env", str(tmp_path / ".env"))
    assert code == 2 and "env file not found" in err


@pytest.fixture
def fake_database(monkeypatch):
    """A stand-in for the 2025 database diagnosis, as the 2025 doctor calls it."""
    calls = []

    def diagnose_database(uri=None, db_name=None, env_file=None):
        calls.append((uri, db_name, env_file))
        if uri == "mongodb://boom":
            raise RuntimeError("connection refused to mongodb://u:secretpw@boom")
        return [Finding(code="F17", severity="error", source="db", explanation="no session inserted",
                        fix="see F1")]

    monkeypatch.setattr(doctor2025, "diagnose_database", diagnose_database)
    return calls


def test_database_part_is_called_with_env(capsys, fake_database):
    code, out, _ = run(capsys, "--env", str(APP / ".env"), "--db-name", "sample")
    assert code == 1 and "F17" in out
    assert fake_database == [(None, "sample", str(APP / ".env"))]


def test_database_failure_is_one_line_masked(capsys, fake_database):
    code, _, err = run(capsys, "--uri", "mongodb://boom")
    assert code == 2 and "RuntimeError" in err and "secretpw" not in err and "Traceback" not in err


def test_python_dash_m_entry_point():
    r = subprocess.run([sys.executable, "-m", "sessioning", "doctor", "--log", str(LOGS / "f16-e11000-duplicate-key.log"), "--json"],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 1, r.stderr
    assert json.loads(r.stdout)["findings"][0]["code"] == "F16"
    r = subprocess.run([sys.executable, "-m", "sessioning"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 2 and "usage" in r.stderr


def test_log_and_syncs_together_are_correlated(capsys):
    code, out, _ = run(capsys, str(APP), "--log", str(LOGS / "f10-api-prefix-timeout.log"), "--json")
    data = json.loads(out)
    f10 = [f for f in data["findings"] if f["code"] == "F10"]
    assert len(f10) == 4 and all(f["extra"].get("correlated") for f in f10)


def test_unreachable_database_is_an_f18_finding(capsys, monkeypatch):
    def diagnose_database(uri=None, db_name=None, env_file=None):
        raise ConnectionProblem("MongoDB connection failed: could not reach mongodb://u:pw123@h:27017. More text")

    monkeypatch.setattr(doctor2025, "diagnose_database", diagnose_database)
    code, out, err = run(capsys, "--uri", "mongodb://u:pw123@h:27017")
    assert code == 1 and "F18" in out and "pw123" not in out + err


def test_reader_bug_is_one_line_not_a_traceback(capsys, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("unexpected")

    monkeypatch.setattr(doctor2025, "read_log", boom)
    code, _, err = run(capsys, "--log", str(LOGS / "f16-e11000-duplicate-key.log"))
    assert code == 2 and "RuntimeError: unexpected" in err and "Traceback" not in err
