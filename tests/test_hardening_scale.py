"""Hardening — scale and output streams (issue 15, item 11).

* ``read_syncs`` was quadratic in chained ``frames.query`` calls (2,000: 30 s): each query re-read
  the chain before it, a parent look-up walked down from the root, and a rule compared every query
  with every other. It is linear now.
* a closed or full stdout (``>&-``, ``> /dev/full``, ``| head``) ended the command in a traceback:
  a closed pipe stops quietly, a full disk is one error line and exit 2, a closed stdout is no error.
"""

from __future__ import annotations

import errno
import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sessioning import cli

ROOT = Path(__file__).resolve().parents[1]
LOG = ROOT / "fixtures" / "logs" / "f1-missing-binding-session.log"


def _chained_sync(tmp_path: Path, n: int) -> Path:
    where = "frames" + ".query(Sessioning._getUser, { session }, { user })" * n
    app = tmp_path / "app"
    (app / "src" / "syncs").mkdir(parents=True)
    (app / "src" / "syncs" / "deep.sync.ts").write_text(
        'import { actions, Sync } from "@engine";\nimport { Requesting, Sessioning } from "@concepts";\n'
        "export const Deep: Sync = ({ request, session, user }) => ({\n"
        '  when: actions([Requesting.request, { path: "/deep", session }, { request }]),\n'
        f"  where: async (frames) => {where},\n"
        "  then: actions([Requesting.respond, { request, user }]),\n});\n")
    return app


def test_read_syncs_is_linear_in_chained_queries(tmp_path):
    from sessioning.gen2025.readers.syncfiles import read_syncs

    started = time.perf_counter()
    syncs = read_syncs(_chained_sync(tmp_path, 2000))
    syncs.findings()
    elapsed = time.perf_counter() - started
    assert len(syncs.defs[0].where_queries) == 2000
    assert elapsed < 5, f"{elapsed:.1f} s for 2,000 chained queries (was 30 s)"
    assert len(syncs.defs[0].where_queries[-1].text) < 300  # a chained query shows its own call


def test_a_short_query_still_shows_its_whole_call(tmp_path):
    from sessioning.gen2025.readers.syncfiles import read_syncs

    q = read_syncs(_chained_sync(tmp_path, 1)).defs[0].where_queries[0]
    assert q.text.startswith("frames.query(Sessioning._getUser")


class _Full(io.StringIO):
    def write(self, s: str) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    def flush(self) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")


class _Broken(io.StringIO):
    def write(self, s: str) -> int:
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")


@pytest.mark.parametrize("as_json", [False, True])
def test_full_stdout_is_one_error_line(monkeypatch, capsys, as_json):
    monkeypatch.setattr(sys, "stdout", _Full())
    code = cli.main(["doctor", "--log", str(LOG)] + (["--json"] if as_json else []))
    err = capsys.readouterr().err
    assert code == 2 and "cannot write the report to standard output: No space left on device" in err


def test_closed_pipe_stops_quietly(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdout", _Broken())
    code = cli.main(["doctor", "--log", str(LOG)])
    assert code == 1 and "Traceback" not in capsys.readouterr().err  # the findings' status, no error


def test_closed_stdout_is_no_error(monkeypatch):
    monkeypatch.setattr(sys, "stdout", None)
    assert cli.main(["doctor", "--log", str(LOG)]) == 1


def test_full_stderr_is_no_traceback(monkeypatch):
    monkeypatch.setattr(sys, "stderr", _Full())
    assert cli.main(["doctor", "--log", str(ROOT / "no-such.log")]) == 2


@pytest.mark.heavy  # fresh interpreters
@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
@pytest.mark.parametrize("shell", ["> /dev/full", ">&-", "| head -c 10 > /dev/null", "--json > /dev/full 2>&1"])
def test_real_streams(shell):
    cmd = f'"{sys.executable}" -m sessioning doctor --log "{LOG}" {shell}'
    r = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert "Traceback" not in r.stderr + r.stdout and r.returncode in (1, 2, 141), r.stderr
