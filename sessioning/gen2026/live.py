"""Drive a live 2026 app from a notebook: start it, send requests, record them, stop it, classify.

    with LiveApp("path/to/app", bun="bun") as app:          # LOG_LEVEL=debug, stdout and stderr apart
        app.request("/api/auth/register", {"username": "dana", "password": "correct-horse"})
        app.request("/api/notes/add", {"text": "buy milk"})   # the session cookie is carried by hand
    findings = app.classify()                                  # the same classifier as the doctor

The client sets ``Origin`` to the app's ``PUBLIC_ORIGIN`` and carries the ``__Host-`` session cookie
itself: Python's cookie jar, like Safari, will not send a ``Secure`` cookie over ``http://``.
Starting never hangs: if the app has not printed ``listening on`` within ``start_timeout`` seconds,
or exits (a registration error), :class:`LiveAppError` says so with the end of its stderr.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from sessioning.errors import KitError
from sessioning.findings import Finding
from sessioning.gen2026.classify import classify
from sessioning.gen2026.console import read_console_pair
from sessioning.gen2026.evidence import Evidence
from sessioning.gen2026.model import read_app
from sessioning.gen2026.records import Exchange, read_journal
from sessioning.masking import mask_text

__all__ = ["LiveApp", "LiveAppError", "free_port"]


class LiveAppError(KitError):
    """The app could not be started, or a request could not be sent."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveApp:
    """A running app and the exchanges sent to it (see the module docstring)."""

    def __init__(self, app_dir: str | Path, *, bun: str = "bun", entry: str = "src/main.ts",
                 command: list[str] | None = None, port: int | None = None, public_origin: str | None = None,
                 env: dict[str, str] | None = None, log_level: str = "debug", journal: str | None = None,
                 start_timeout: float = 40.0, request_timeout: float = 40.0) -> None:
        self.app_dir = Path(app_dir)
        self.port = port or free_port()
        self.public_origin = public_origin or f"http://localhost:{self.port}"
        self.command = command or [bun, entry]
        self.env = {**os.environ, **(env or {}), "PORT": str(self.port), "PUBLIC_ORIGIN": self.public_origin,
                    "LOG_LEVEL": log_level}
        self.journal = journal
        self.start_timeout, self.request_timeout = start_timeout, request_timeout
        self.exchanges: list[Exchange] = []
        self.cookie: str | None = None
        self._dir = Path(tempfile.mkdtemp(prefix="sessioning-live-"))
        self._proc: subprocess.Popen[bytes] | None = None

    # ---- process -------------------------------------------------------------------------------
    def start(self) -> LiveApp:
        out, err = open(self._dir / "stdout.log", "wb"), open(self._dir / "stderr.log", "wb")
        try:
            self._proc = subprocess.Popen(self.command, cwd=self.app_dir, env=self.env, stdout=out, stderr=err,
                                          stdin=subprocess.DEVNULL)
        except OSError as e:
            raise LiveAppError(f"cannot start {' '.join(self.command)}: {e.strerror or e}",
                               hint="install Bun (npm install bun) or pass bun=/path/to/bun") from None
        end = time.monotonic() + self.start_timeout
        while time.monotonic() < end:
            if "listening on" in self.stdout:
                return self
            if self._proc.poll() is not None:
                raise LiveAppError(f"the app exited ({self._proc.returncode}) before listening: "
                                   + (self.stderr.strip().splitlines() or ["no output"])[-1][:300],
                                   hint="classify() still reads its output: a registration error is a startup cause")
            time.sleep(0.1)
        self.stop()
        raise LiveAppError(f"the app printed no 'listening on' line within {self.start_timeout:.0f} s")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()

    def __enter__(self) -> LiveApp:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def stdout(self) -> str:
        return (self._dir / "stdout.log").read_text(encoding="utf-8", errors="replace")

    @property
    def stderr(self) -> str:
        return (self._dir / "stderr.log").read_text(encoding="utf-8", errors="replace")

    # ---- requests ------------------------------------------------------------------------------
    def request(self, path: str, body: Any = None, *, method: str = "POST", origin: str | None = None,
                cookie: str | None = "auto") -> Exchange:
        """Send one request; ``cookie="auto"`` sends the session cookie the app last set, ``None`` none."""
        data = json.dumps({} if body is None else body).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method)
        req.add_header("Content-Type", "application/json")
        req.add_header("Origin", origin or self.public_origin)
        sent = self.cookie if cookie == "auto" else cookie
        if sent:
            req.add_header("Cookie", sent)
        started = dt.datetime.now(dt.UTC)
        t0 = time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=self.request_timeout) as r:
                status, text, headers = r.status, r.read().decode("utf-8", "replace"), r.headers
        except urllib.error.HTTPError as e:
            status, text, headers = e.code, e.read().decode("utf-8", "replace"), e.headers
        except (urllib.error.URLError, OSError) as e:
            raise LiveAppError(f"{method} {path}: {getattr(e, 'reason', e)}") from None
        latency = round((time.perf_counter() - t0) * 1000, 1)
        set_cookie = headers.get("Set-Cookie")
        if set_cookie:
            self.cookie = set_cookie.split(";", 1)[0]
        try:
            answer: Any = json.loads(text)
        except ValueError:
            answer = text
        ex = Exchange(len(self.exchanges), method, path, body, status, answer, latency, started,
                      "public" if origin in (None, self.public_origin) else origin,
                      "cookie" if sent else "none")
        self.exchanges.append(ex)
        return ex

    # ---- evidence ------------------------------------------------------------------------------
    def requests_json(self) -> list[dict[str, Any]]:
        """The exchanges as ``--requests`` takes them (no cookie values)."""
        return [{"method": e.method, "path": e.path, "body": e.body, "status": e.status,
                 "response_body": e.response_body, "latency_ms": e.latency_ms,
                 "started_at": e.started_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
                 if e.started_at else None, "origin": e.origin} for e in self.exchanges]

    def save(self, folder: str | Path) -> Path:
        """Write stdout.log, stderr.log and requests.json (session ids masked) to ``folder``."""
        dest = Path(folder)
        dest.mkdir(parents=True, exist_ok=True)
        (dest / "stdout.log").write_text(self.stdout)
        (dest / "stderr.log").write_text(self.stderr)
        (dest / "requests.json").write_text(mask_text(json.dumps(self.requests_json(), indent=1)) + "\n")
        return dest

    def evidence(self) -> Evidence:
        ev = Evidence(console=read_console_pair(self.stdout, self.stderr), exchanges=list(self.exchanges))
        if (self.app_dir / "src").is_dir():
            ev.model = read_app(self.app_dir)
        if self.journal and Path(self.journal).is_file():
            ev.journal = read_journal(Path(self.journal))
        return ev

    def classify(self) -> list[Finding]:
        return classify(self.evidence())
