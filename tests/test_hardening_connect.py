"""Hardening — connection edge cases (issue 15, item 10). Only 127.0.0.1 listeners made here are contacted.

* a server that completes the handshake and then never answers fails within the 5 s promise
  (one bound for every phase: selection, connecting, each reply; a deadline over the ping);
* a refused port fails at once (the driver would retry until its timeout);
* a listener that is not MongoDB is named when it can be told (HTTP, SSH, silent);
* a missing ``tlsCAFile`` and odd ``timeout=`` values are ``ConnectionProblem``s, not bare errors;
* ``python -m sessioning doctor --uri`` on an unreachable server answers within 5 s, imports included.
"""

from __future__ import annotations

import datetime as dt
import math
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import bson
import pytest

from sessioning import ConnectionProblem, connect

ROOT = Path(__file__).resolve().parents[1]
PROMISE_S = 5.0
HELLO = {"ok": 1.0, "isWritablePrimary": True, "ismaster": True, "helloOk": True, "maxWireVersion": 21,
         "minWireVersion": 0, "maxBsonObjectSize": 16777216, "maxMessageSizeBytes": 48000000,
         "maxWriteBatchSize": 100000, "connectionId": 1}


def _recv(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def _command(op: int, body: bytes) -> str:
    """The command name of an OP_QUERY (2004) or OP_MSG (2013) body."""
    if op == 2004:
        start = 4 + body[4:].index(b"\0") + 1 + 8
    else:
        start = 5
    size = struct.unpack("<i", body[start:start + 4])[0]
    return next(iter(bson.decode(body[start:start + size]))).lower()


def _answer_handshakes_only(conn: socket.socket) -> None:
    """Answer hello / isMaster as a MongoDB 7 primary would; never answer anything else."""
    try:
        while True:
            length, request_id, _, op = struct.unpack("<iiii", _recv(conn, 16))
            body = _recv(conn, length - 16)
            if _command(op, body) not in ("ismaster", "hello"):
                continue
            doc = bson.encode({**HELLO, "localTime": dt.datetime.now(dt.UTC)})
            if op == 2004:  # OP_REPLY
                payload, reply_op = struct.pack("<iqii", 0, 0, 0, 1) + doc, 1
            else:
                payload, reply_op = struct.pack("<I", 0) + b"\0" + doc, 2013
            conn.sendall(struct.pack("<iiii", 16 + len(payload), 1, request_id, reply_op) + payload)
    except (EOFError, OSError, ValueError, StopIteration):
        pass
    finally:
        conn.close()


def _listen(handler) -> Iterator[int]:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(32)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            held.append(conn)
            threading.Thread(target=handler, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield srv.getsockname()[1]
    finally:
        srv.close()
        for conn in held:
            conn.close()


@pytest.fixture
def handshake_then_silence() -> Iterator[int]:
    yield from _listen(_answer_handshakes_only)


@pytest.fixture
def silent_listener() -> Iterator[int]:
    yield from _listen(lambda conn: None)  # accepts, never reads, never answers


@pytest.fixture
def ssh_listener() -> Iterator[int]:
    def banner(conn: socket.socket) -> None:
        try:
            conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")
        except OSError:
            pass

    yield from _listen(banner)


@pytest.fixture
def http_server() -> Iterator[int]:
    class Quiet(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _fails_in_time(uri: str, **kwargs) -> tuple[ConnectionProblem, float]:
    started = time.monotonic()
    with pytest.raises(ConnectionProblem) as info:
        connect(uri, "appdb", **kwargs)
    return info.value, time.monotonic() - started


def test_handshake_then_silence_fails_within_the_promise(handshake_then_silence):
    err, elapsed = _fails_in_time(f"mongodb://127.0.0.1:{handshake_then_silence}/appdb")  # default timeout
    assert elapsed < PROMISE_S, f"{elapsed:.1f} s (was 16 s: socketTimeoutMS was 4 × the timeout)"
    assert "answered the handshake but not the command" in err.cause


def test_timeouts_are_one_bound(handshake_then_silence):
    err, elapsed = _fails_in_time(f"mongodb://127.0.0.1:{handshake_then_silence}/appdb", timeout=0.5)
    assert elapsed < 1.5, f"{elapsed:.1f} s for timeout=0.5"


def test_refused_port_fails_at_once():
    err, elapsed = _fails_in_time(f"mongodb://alice:pw@127.0.0.1:{closed_port()}/appdb")
    assert elapsed < 1.0, f"{elapsed:.1f} s: a refusal is definitive, no need to wait for the driver"
    assert "no MongoDB server is running there" in err.cause and "127.0.0.1" in err.host


def test_silent_listener_is_not_called_no_server(silent_listener):
    err, elapsed = _fails_in_time(f"mongodb://127.0.0.1:{silent_listener}/appdb", timeout=0.5)
    assert "never answered" in err.cause and "no MongoDB server is running" not in err.cause
    assert elapsed < 2.0


def test_http_server_is_named(http_server):
    err, _ = _fails_in_time(f"mongodb://127.0.0.1:{http_server}/appdb", timeout=0.5)
    assert "an HTTP server" in err.cause and "27017" in str(err)


def test_ssh_server_is_named(ssh_listener):
    err, _ = _fails_in_time(f"mongodb://127.0.0.1:{ssh_listener}/appdb", timeout=0.5)
    assert "an SSH server" in err.cause


@pytest.mark.parametrize("data,words", [
    (b"HTTP/1.1 400 Bad Request\r\n", "HTTP server"), (b"<!DOCTYPE HTML>", "HTTP server"),
    (b"\x15\x03\x01\x00\x02", "TLS"), (b"-ERR unknown command", "Redis"), (b"220 smtp ready", "mail"),
    (b"", "never answered"), (b"hello there", "'hello there'"), (b"\x00\x01\x02", "does not speak"),
])
def test_name_service(data, words):
    from sessioning.db.probe import name_service

    assert words in name_service(data)


@pytest.mark.parametrize("option", ["tlsCAFile", "tlsCertificateKeyFile"])
def test_missing_tls_file_is_a_connection_problem(option, tmp_path):
    err, elapsed = _fails_in_time(f"mongodb://127.0.0.1:{closed_port()}/?tls=true&{option}={tmp_path}/nope.pem",
                                  timeout=0.5)
    assert "TLS file" in err.cause and elapsed < 2


@pytest.mark.parametrize("timeout", [0, -1, math.nan, math.inf, "3", None, True, 10**12, [4]])
def test_odd_timeouts_are_connection_problems(timeout):
    with pytest.raises(ConnectionProblem, match="timeout=.* is not a number of seconds"):
        connect(f"mongodb://127.0.0.1:{closed_port()}/", "appdb", timeout=timeout)


def test_tiny_timeout_is_accepted():
    err, elapsed = _fails_in_time(f"mongodb://127.0.0.1:{closed_port()}/", timeout=1e-6)
    assert elapsed < 1.0


def test_cli_answers_at_once_on_an_unreachable_server(capsys):
    from sessioning import cli

    started = time.monotonic()
    code = cli.main(["doctor", "--uri", f"mongodb://127.0.0.1:{closed_port()}/x", "--db-name", "x"])
    elapsed = time.monotonic() - started
    out, err = capsys.readouterr()
    assert code == 1 and "could not reach 127.0.0.1" in out and elapsed < 1.5, f"{elapsed:.1f} s"


@pytest.mark.heavy  # a fresh interpreter: slow on a loaded machine, so not in the default run
def test_cli_answers_within_5_s_on_an_unreachable_server_imports_included():
    started = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "sessioning", "doctor", "--uri", f"mongodb://127.0.0.1:{closed_port()}/x",
                        "--db-name", "x"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    elapsed = time.monotonic() - started
    assert elapsed < PROMISE_S, f"{elapsed:.1f} s"
    assert "could not reach 127.0.0.1" in r.stdout + r.stderr and "Traceback" not in r.stderr
