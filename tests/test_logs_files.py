"""read_log on the files users really have: a log still being written, special files, other encodings,
big logs, mistyped paths (issue 15: items 1, 2, 6 and 11 for server logs)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from sessioning.errors import KitError
from sessioning.gen2025.readers.logs import LogReadError, read_log

ROOT = Path(__file__).resolve().parents[1]
LOGS = ROOT / "fixtures" / "logs"
LOGIN = (LOGS / "ok-trace-login-success.log").read_text()
F1 = (LOGS / "f1-missing-binding-session.log").read_text()


def codes(log) -> list[str]:
    return sorted(f.code for f in log.findings())


def run_python(code: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter: a SIGBUS or a hang fails the test instead of killing pytest."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=ROOT)


# ---------------------------------------------------------------- item 1: a log still being written

_EVERY_TABLE = """
    def every_table(log):
        out = []
        for build in (lambda: log.actions, lambda: log.requests, lambda: log.errors, lambda: log.sessions,
                      lambda: log.unknown_frame(), lambda: log.sync_activity, lambda: log.findings_frame(),
                      lambda: log.summary(), lambda: repr(log), lambda: log.entry_text(0)):
            try:
                out.append(str(build()))
            except LogReadError as e:
                assert "server.log" in str(e) and "read" in e.hint, (str(e), e.hint)
                out.append("CHANGED: " + str(e))
        return out
"""


@pytest.mark.parametrize("change", ["truncate", "truncate-and-restart", "delete", "append"])
def test_a_log_changed_after_reading_never_crashes(tmp_path, change):
    """`deno task start > server.log` truncates the file on every restart: the tables built afterwards
    must not kill the process (SIGBUS from a memory map), nor silently show other or empty rows."""
    path = tmp_path / "server.log"
    path.write_text(LOGIN)
    r = run_python(f"""
        import os, sys
        from sessioning.gen2025.readers.logs import LogReadError, read_log
        {textwrap.indent(textwrap.dedent(_EVERY_TABLE), "        ").strip()}
        path = {str(path)!r}
        log = read_log(path)
        before = every_table(log)
        change = {change!r}
        if change.startswith("truncate"):
            open(path, "w").close()
            if change == "truncate-and-restart":
                with open(path, "w") as fh:
                    fh.write({F1!r} * 3)
        elif change == "delete":
            os.remove(path)
        else:
            with open(path, "a") as fh:
                fh.write({F1!r})
        after = every_table(log)
        print("CHANGED" if any(x.startswith("CHANGED") for x in after) else "SAME" if after == before else "OTHER")
    """)
    assert r.returncode == 0, (r.returncode, r.stderr[-2000:])
    outcome = r.stdout.strip().splitlines()[-1]
    # appended or deleted: what was read is still there (the reader holds the file it read);
    # truncated or rewritten: a clear error, never other rows
    assert outcome == ("SAME" if change in ("delete", "append") else "CHANGED"), r.stdout[-2000:]


def test_changed_log_error_is_a_kit_error_naming_the_file(tmp_path):
    path = tmp_path / "server.log"
    path.write_text(LOGIN)
    log = read_log(path)
    path.write_text("")
    with pytest.raises(LogReadError) as info:
        log.actions  # noqa: B018
    e = info.value
    assert isinstance(e, KitError) and str(path) in str(e) and "truncated" in str(e) and "read_log" in e.hint


# ---------------------------------------------------------------- item 2: special files


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_fifo_as_the_log_is_refused_within_seconds(tmp_path):
    fifo = tmp_path / "server.log"
    os.mkfifo(fifo)
    r = run_python(f"""
        import time
        from sessioning.errors import KitError
        from sessioning.gen2025.readers.logs import read_log
        t = time.monotonic()
        try:
            read_log({str(fifo)!r})
        except KitError as e:
            print(round(time.monotonic() - t, 2), e)
    """, timeout=30)
    assert r.returncode == 0, r.stderr[-2000:]
    seconds, message = r.stdout.split(" ", 1)
    assert float(seconds) < 5 and "named pipe" in message and str(fifo) in message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_doctor_refuses_a_fifo_log_in_one_line(tmp_path):
    fifo = tmp_path / "server.log"
    os.mkfifo(fifo)
    r = subprocess.run([sys.executable, "-m", "sessioning", "doctor", "--log", str(fifo)], capture_output=True,
                       text=True, timeout=60, cwd=ROOT)
    assert r.returncode == 2 and "named pipe" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_as_the_log_is_refused_at_once(device):
    if not os.path.exists(device):
        pytest.skip(f"no {device}")
    t = time.monotonic()
    with pytest.raises(KitError, match="character device"):
        read_log(device)
    assert time.monotonic() - t < 5


# ---------------------------------------------------------------- item 11: encodings and big logs


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8-sig"])
def test_other_unicode_encodings_are_decoded_not_refused(tmp_path, encoding):
    """PowerShell's `>` writes UTF-16LE with a BOM; some editors save UTF-8 with one."""
    path = tmp_path / "server.log"
    data = F1.encode(encoding)
    if encoding in ("utf-16-le", "utf-16-be"):  # no BOM: recognised from the zero bytes of ASCII text
        assert not data.startswith((b"\xff\xfe", b"\xfe\xff"))
    path.write_bytes(data)
    log = read_log(path)
    assert codes(log) == ["F1"] and log.unknown_lines["count"] == 0
    assert log.actions.drop(columns=["time"]).equals(read_log(F1).actions.drop(columns=["time"]))
    assert codes(read_log(data)) == ["F1"] and codes(read_log(io.BytesIO(data))) == ["F1"]


def test_binary_is_still_refused(tmp_path):
    path = tmp_path / "core.log"
    path.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(LogReadError, match="binary"):
        read_log(path)


def _big_log(tmp_path: Path) -> Path:
    path = tmp_path / "big.log"
    path.write_text(LOGIN * 50)
    return path


def test_no_progress_bar_in_captured_output(tmp_path, capsys, monkeypatch):
    """Tests (and pipes) capture stderr: the bar for a big log is drawn only on a terminal or in a notebook."""
    from sessioning.gen2025.readers.logs import reader

    monkeypatch.setattr(reader, "PROGRESS_MIN_BYTES", 0)  # every log counts as big
    read_log(_big_log(tmp_path))
    assert capsys.readouterr().err == ""


def test_progress_bar_on_a_terminal(tmp_path, monkeypatch):
    from sessioning.gen2025.readers.logs import reader

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    err = Terminal()
    monkeypatch.setattr(reader, "PROGRESS_MIN_BYTES", 0)
    monkeypatch.setattr(sys, "stderr", err)
    read_log(_big_log(tmp_path))
    assert "big.log" in err.getvalue()  # tqdm's bar, described by the file name


# ---------------------------------------------------------------- item 6: a mistyped path


@pytest.mark.parametrize("path", ["logs/my server.log", "C:\\Users\\Jane Doe\\server.log", "server log.txt",
                                  "~/my app/server.log"])
def test_a_mistyped_path_with_a_space_is_an_error_naming_it(path):
    with pytest.raises(FileNotFoundError) as info:
        read_log(path)
    assert path in str(info.value) and isinstance(info.value, KitError)


def test_an_existing_path_with_a_space_is_read(tmp_path):
    p = tmp_path / "my server.log"
    p.write_text(F1)
    assert codes(read_log(str(p))) == ["F1"]


@pytest.mark.parametrize("line", [
    "[Requesting] Received request for path: /auth/login",
    "[Requesting] Error processing request: Missing binding: Symbol(session) in frame: [object Object]",
    "Requesting.request { path: '/a.log' } => { request: 'r1' }",
    "Download https://deno.land/std/dotenv/load.txt",
])
def test_one_pasted_log_line_is_still_text(line):
    assert read_log(line).lines == 1
