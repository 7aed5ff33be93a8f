"""The live driver: a stand-in server in Python (always), and the real app under Bun (when present).

The real-engine test needs ``SESSIONING_BUN`` (a bun binary) and ``SESSIONING_SYNC_ENGINE`` (a
checkout of mit-sdg/sync-engine with ``bun install --production`` done) plus ``SESSIONING_MONGO_MOCK``
(a node_modules folder holding mongo-mock); it skips with the reason otherwise.
"""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from pathlib import Path

import pytest

from sessioning.gen2026.live import LiveApp, LiveAppError

ROOT = Path(__file__).resolve().parent.parent

FAKE = textwrap.dedent('''
    import json, os, sys
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class H(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
            if self.headers.get("Origin") != os.environ["PUBLIC_ORIGIN"]:
                return self.answer(403, {"error": "FORBIDDEN"})
            if self.path == "/api/auth/login":
                return self.answer(200, {"user": "u1"}, cookie="__Host-s=abc; HttpOnly; Secure; Path=/")
            if self.headers.get("Cookie") != "__Host-s=abc":
                print(json.dumps({"level": "error", "message": "Consequence action faulted",
                                  "error": {"name": "TypeError"}, "action": "add"}), file=sys.stderr, flush=True)
                return self.answer(500, {"error": "INTERNAL_ERROR"})
            return self.answer(200, {"note": body.get("text")})

        def answer(self, status, obj, cookie=None):
            data = json.dumps(obj).encode()
            self.send_response(status)
            if cookie:
                self.send_header("Set-Cookie", cookie)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H)
    print("Backend listening on http://127.0.0.1:%s/" % os.environ["PORT"], flush=True)
    server.serve_forever()
''')


def fake_app(tmp_path: Path) -> Path:
    (tmp_path / "server.py").write_text(FAKE)
    return tmp_path


def test_cookie_carried_by_hand_and_origin_set(tmp_path: Path) -> None:
    with LiveApp(fake_app(tmp_path), command=[sys.executable, "server.py"]) as app:
        assert app.request("/api/auth/login", {"username": "u", "password": "p"}).status == 200
        assert app.cookie == "__Host-s=abc"
        assert app.request("/api/notes/add", {"text": "hi"}).response_body == {"note": "hi"}
        assert app.request("/api/notes/add", {"text": "hi"}, origin="http://127.0.0.1:1").status == 403
        failing = app.request("/api/notes/add", {"text": "hi"}, cookie=None)
    assert failing.status == 500 and failing.latency_ms is not None
    found = app.classify()
    assert [f.code for f in found] == ["forbidden-origin", "action-fault"]
    saved = app.save(tmp_path / "out")
    assert "abc" not in (saved / "requests.json").read_text()
    assert "Consequence action faulted" in (saved / "stderr.log").read_text()


def test_start_never_hangs(tmp_path: Path) -> None:
    (tmp_path / "quiet.py").write_text("import time\ntime.sleep(30)\n")
    with pytest.raises(LiveAppError, match="no 'listening on' line within 1 s"):
        LiveApp(tmp_path, command=[sys.executable, "quiet.py"], start_timeout=1).start()
    (tmp_path / "dies.py").write_text("import sys\nprint('error: Reaction \"X\": boom', file=sys.stderr)\nsys.exit(1)\n")
    with pytest.raises(LiveAppError, match="exited"):
        LiveApp(tmp_path, command=[sys.executable, "dies.py"]).start()
    with pytest.raises(LiveAppError, match="cannot start"):
        LiveApp(tmp_path, bun=str(tmp_path / "no-such-bun")).start()


BUN = os.environ.get("SESSIONING_BUN") or shutil.which("bun")
ENGINE = os.environ.get("SESSIONING_SYNC_ENGINE")
MONGO_MOCK = os.environ.get("SESSIONING_MONGO_MOCK")


@pytest.mark.skipif(not (BUN and ENGINE and MONGO_MOCK),
                    reason="needs Bun and the sync-engine source: set SESSIONING_BUN, SESSIONING_SYNC_ENGINE "
                           "(checkout with `bun install --production`) and SESSIONING_MONGO_MOCK")
def test_real_app_under_bun() -> None:
    engine = Path(ENGINE or "")
    app_dir = engine / "examples" / "kit-live-test"
    shutil.rmtree(app_dir, ignore_errors=True)
    shutil.copytree(ROOT / "recorders" / "gen2026" / "app", app_dir)
    shutil.copytree(ROOT / "recorders" / "gen2026" / "variants" / "refusal-unmapped" / "files", app_dir,
                    dirs_exist_ok=True)
    (app_dir / "node_modules").symlink_to(Path(MONGO_MOCK or ""))
    try:
        with LiveApp(app_dir, bun=BUN or "bun", env={"MONGODB_URL": "mongodb://127.0.0.1:27017/jotter"}) as app:
            app.request("/api/auth/register", {"username": "dana", "password": "correct-horse"})
            app.request("/api/auth/login", {"username": "dana", "password": "wrong-horse"})
        assert [(e.status) for e in app.exchanges] == [200, 500]
        assert [f.code for f in app.classify() if f.severity == "error"] == ["refusal-unmapped"]
    finally:
        shutil.rmtree(app_dir, ignore_errors=True)
