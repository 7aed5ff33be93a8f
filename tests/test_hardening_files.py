"""Hardening — special files (issue 15, item 2): the kit reads only regular files, within seconds.

A FIFO blocks ``open()`` until a writer comes (forever); ``/dev/zero`` never ends; a directory or a
socket gives a bare ``OSError`` deep in a reader. ``sessioning.files`` refuses each at once with a
message that says what the path is; every reader goes through it.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest

from sessioning import files
from sessioning.files import FileRefused

LIMIT_S = 5.0
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")


def _within_limit(fn, *args, **kwargs):
    """Run ``fn`` in a daemon thread; fail (instead of hanging the suite) if it takes over LIMIT_S."""
    box: dict = {}

    def target() -> None:
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as e:  # noqa: BLE001 - handed back to the test
            box["error"] = e

    t = threading.Thread(target=target, daemon=True)
    start = time.monotonic()
    t.start()
    t.join(LIMIT_S)
    assert not t.is_alive(), f"{fn.__name__} still blocked after {LIMIT_S} s"
    box["elapsed"] = time.monotonic() - start
    return box


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    path = tmp_path / "server.log"
    os.mkfifo(path)
    return path


@needs_fifo
@pytest.mark.parametrize("reader", [files.open_regular, files.read_bytes, files.read_text, files.check_regular])
def test_fifo_is_refused_at_once(fifo: Path, reader) -> None:
    box = _within_limit(reader, fifo, "server log")
    assert isinstance(box.get("error"), FileRefused), box
    assert "named pipe (FIFO)" in str(box["error"]) and str(fifo) in str(box["error"])
    assert box["error"].hint and box["error"].exit_code == 2


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_devices_are_refused_not_read(device: str) -> None:
    if not os.path.exists(device):
        pytest.skip(f"no {device}")
    box = _within_limit(files.read_bytes, device, "server log")
    assert isinstance(box.get("error"), FileRefused), box
    assert "character device" in str(box["error"])


def test_directory_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileRefused, match="is a directory"):
        files.read_text(tmp_path)
    with pytest.raises(FileRefused, match="no such file"):
        files.read_text(tmp_path / "missing.json")
    with pytest.raises(OSError):  # still an OSError for callers that catch that
        files.open_regular(tmp_path / "missing.json")


def test_socket_is_refused(tmp_path: Path) -> None:
    if not hasattr(socket, "AF_UNIX"):
        pytest.skip("no unix sockets here")
    path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(path))
        with pytest.raises(FileRefused, match="a socket"):
            files.read_bytes(path)


def test_size_bound(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_bytes(b"x" * 5000)
    with pytest.raises(FileRefused, match="larger than"):
        files.read_bytes(big, "recorded run", limit=4096)
    assert files.read_bytes(big, limit=5000) == b"x" * 5000
    assert len(files.read_bytes(big, limit=None)) == 5000


def test_pseudo_file_reporting_size_zero_is_still_bounded() -> None:
    # /proc files are regular with st_size 0; the bound is enforced while reading too.
    path = "/proc/self/maps"
    if not os.path.exists(path):
        pytest.skip("no /proc")
    with pytest.raises(FileRefused, match="larger than"):
        files.read_bytes(path, limit=16)


def test_symlink_to_regular_file_is_read(tmp_path: Path) -> None:
    target = tmp_path / "a.log"
    target.write_text("hello\n")
    link = tmp_path / "b.log"
    link.symlink_to(target)
    assert files.read_text(link) == "hello\n"
    assert files.is_regular_file(link) and not files.is_regular_file(tmp_path)


@needs_fifo
def test_symlink_to_fifo_is_refused(fifo: Path, tmp_path: Path) -> None:
    link = tmp_path / "link.log"
    link.symlink_to(fifo)
    box = _within_limit(files.read_text, link)
    assert isinstance(box.get("error"), FileRefused)
    assert not files.is_regular_file(link)


def test_not_utf8_text_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "u16.env"
    path.write_bytes("DB_NAME=café".encode("latin-1"))
    with pytest.raises(FileRefused, match="is not utf-8 text"):
        files.read_text(path, ".env file")


def test_nul_in_path_is_a_clear_error() -> None:
    with pytest.raises(FileRefused, match="not a valid path"):
        files.read_bytes("bad\x00name")


# ---------------------------------------------------------------- the readers use it

APP = Path(__file__).resolve().parents[1] / "fixtures" / "app"


def _app_copy(tmp_path: Path) -> Path:
    import shutil

    app = tmp_path / "app"
    shutil.copytree(APP, app)
    return app


@needs_fifo
def test_fifo_inside_src_engine_does_not_block_read_syncs(tmp_path: Path) -> None:
    from sessioning.gen2025.readers.syncfiles import read_syncs

    app = _app_copy(tmp_path)
    os.mkfifo(app / "src" / "engine" / "pipe.ts")
    box = _within_limit(read_syncs, app)
    assert "error" not in box, box.get("error")
    assert box["value"].defs


@needs_fifo
def test_fifo_as_a_sync_file_does_not_block(tmp_path: Path) -> None:
    from sessioning.gen2025.readers.syncfiles import read_syncs

    app = _app_copy(tmp_path)
    os.mkfifo(app / "src" / "syncs" / "pipe.sync.ts")
    box = _within_limit(read_syncs, app)
    assert "error" not in box, box.get("error")


def test_parse_error_does_not_quote_a_literal_password(tmp_path: Path) -> None:
    from sessioning.gen2025.readers.syncfiles import read_syncs

    app = _app_copy(tmp_path)
    # "=" for ":" (a common slip): the syntax error's quoted source holds the literal
    (app / "src" / "syncs" / "seed.sync.ts").write_text('export const Seed = () => ({ password = "Hunter2Secret!" });\n')
    found = [f for f in read_syncs(app).findings() if f.code == "PARSE" and f.file and "seed" in f.file]
    assert found, "the syntax error is reported"
    text = " ".join(str(v) for f in found for v in f.to_dict().values())
    assert "Hunter2Secret" not in text


# ---------------------------------------------------------------- 2026 readers

APP_2026 = Path(__file__).resolve().parents[1] / "fixtures" / "gen2026" / "healthy" / "app"


@needs_fifo
def test_2026_app_with_a_fifo_in_its_source_is_read(tmp_path: Path) -> None:
    import shutil

    from sessioning.gen2026.model import read_app

    app = tmp_path / "app"
    shutil.copytree(APP_2026, app, symlinks=True, ignore=shutil.ignore_patterns("node_modules"))
    src = next(p for p in app.rglob("*.ts") if "node_modules" not in p.parts).parent
    os.mkfifo(src / "pipe.ts")
    box = _within_limit(read_app, app)
    assert "error" not in box, box.get("error")


@needs_fifo
def test_2026_collections_folder_with_a_fifo(tmp_path: Path) -> None:
    from sessioning.gen2026.records import read_collections

    (tmp_path / "sessioning.sessions.json").write_text('[{"_id": "s1", "user": "u1"}]')
    os.mkfifo(tmp_path / "pipe.json")
    box = _within_limit(read_collections, tmp_path)
    assert "error" not in box, box.get("error")
    docs, problems = box["value"]
    assert docs["sessioning.sessions"] and any("pipe.json" in p for p in problems)


@needs_fifo
def test_2026_log_fifo_is_refused(fifo: Path) -> None:
    from sessioning.gen2026.doctor import run

    box = _within_limit(run, logs=[str(fifo)])
    assert isinstance(box.get("error"), FileRefused), box
