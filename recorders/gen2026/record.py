"""Re-record the 2026 fixtures from the real engine.

    python recorders/gen2026/record.py --engine DIR --bun BIN [--mongo-mock DIR]
                                      [--out fixtures/gen2026] [--only a,b]

DIR is a checkout of mit-sdg/sync-engine with `bun install --production` done in it; BIN is a
Bun binary (the npm `bun` package ships one). For every scenario in scenarios.json this copies
app/ plus variants/<scenario>/files/ into DIR/examples/kit-<scenario>/ (so the app's tsconfig
paths reach the engine source as ../../src), then records into OUT/<scenario>/:

  app/                     the variant's source, design and generated read-back (what a student has)
  check.json               `sync-engine check --format json --show-advisories`
  manifest.json            `sync-engine artifacts manifest` (when the app assembles)
  default/                 LOG_LEVEL unset: stdout.log, stderr.log, requests.json, collections/
  trace/                   LOG_LEVEL=debug + Logging.TRACE + FileLogSink + observers:
                           the same plus journal.jsonl and observer.jsonl
  verbose/                 (some scenarios) the same with Logging.VERBOSE
  meta.json                commands, exit codes, engine commit, bun version, timeout used

Machine paths are scrubbed to <app>/... and <engine>/... . Requests use the default 30 s timeout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
APP_FILES = ("src", "design", "generated", "package.json", ".env.example", "generated.config.ts",
             "tsconfig.json", "text.d.ts")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Scrubber:
    """Replaces machine paths with placeholders in every recorded text."""

    def __init__(self, scratch: Path, engine: Path) -> None:
        self.pairs = [(str(scratch), "<app>"), (str(engine), "<engine>")]

    def __call__(self, text: str) -> str:
        for old, new in self.pairs:
            text = text.replace(old, new)
        text = re.sub(r"/tmp/[^\s\"')]*/", "<app>/", text)
        return re.sub(r"/root/[^\s\"')]*/", "<app>/", text)


def run_cli(bun: str, engine: Path, scratch: Path, args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    cmd = [bun, str(engine / "src/command/main.ts"), *args]
    try:
        p = subprocess.run(cmd, cwd=scratch, env=env, capture_output=True, text=True, timeout=180)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return -1, "", "timed out after 180 s"


def prepare(engine: Path, scenario: str, mongo_mock: Path) -> Path:
    scratch = engine / "examples" / f"kit-{scenario}"
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(HERE / "app", scratch)
    files = HERE / "variants" / scenario / "files"
    if files.is_dir():
        shutil.copytree(files, scratch, dirs_exist_ok=True)
    (scratch / "node_modules").symlink_to(mongo_mock)
    return scratch


def send(port: int, origin: str, step: dict[str, Any], jar: dict[str, str]) -> dict[str, Any]:
    """One HTTP exchange; the session cookie is carried by hand (Python's jar drops Secure cookies on http)."""
    body = json.dumps(step.get("body", {})).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{step['path']}", data=body,
                                 method=step.get("method", "POST"))
    req.add_header("Content-Type", "application/json")
    req.add_header("Origin", origin if step.get("origin", "public") == "public" else f"http://127.0.0.1:{port}")
    which = step.get("cookie", "none")
    if which == "last" and "cookie" in jar:
        req.add_header("Cookie", jar["cookie"])
    elif which == "stale":
        req.add_header("Cookie", f"{jar.get('name', '__Host-jotter-session')}={uuid.uuid4()}")
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            status, text, headers = r.status, r.read().decode(), r.headers
    except urllib.error.HTTPError as e:
        status, text, headers = e.code, e.read().decode(), e.headers
    latency = round((time.perf_counter() - t0) * 1000, 1)
    cookie = headers.get("Set-Cookie")
    if cookie:
        pair = cookie.split(";", 1)[0]
        jar["cookie"], jar["name"] = pair, pair.split("=", 1)[0]
    try:
        response: Any = json.loads(text)
    except ValueError:
        response = text
    return {"method": step.get("method", "POST"), "path": step["path"], "body": step.get("body", {}),
            "status": status, "response_body": response, "latency_ms": latency,
            "started_at": started.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "set_cookie": bool(cookie), "cookie_sent": which}


def wait_listening(proc: subprocess.Popen[str], out: Path, seconds: float = 40) -> bool:
    end = time.time() + seconds
    while time.time() < end:
        if proc.poll() is not None:
            return False
        if out.exists() and "Backend listening" in out.read_text(errors="replace"):
            return True
        time.sleep(0.2)
    return False


def record_pass(ctx: dict[str, Any], mode: str, steps: list[dict[str, Any]]) -> dict[str, Any]:
    scratch, dest = ctx["scratch"], ctx["out"] / mode
    if mode != "default":
        shutil.copytree(HERE / "overlays" / mode, scratch, dirs_exist_ok=True)
    dest.mkdir(parents=True, exist_ok=True)
    port = free_port()
    origin = f"http://localhost:{port}"
    raw = scratch / f"_rec_{mode}"
    shutil.rmtree(raw, ignore_errors=True)
    raw.mkdir()
    env = dict(ctx["env"], PORT=str(port), PUBLIC_ORIGIN=origin, COLLECTIONS_DIR=str(raw / "collections"))
    if mode != "default":
        env.update(LOG_LEVEL="debug", JOURNAL_FILE=str(raw / "journal.jsonl"),
                   OBSERVER_FILE=str(raw / "observer.jsonl"))
    with open(raw / "stdout.log", "w") as so, open(raw / "stderr.log", "w") as se:
        proc = subprocess.Popen([ctx["bun"], "src/main.ts"], cwd=scratch, env=env, stdout=so, stderr=se, text=True)
        up = wait_listening(proc, raw / "stdout.log")
        exchanges: list[dict[str, Any]] = []
        jar: dict[str, str] = {}
        if up:
            exchanges = [send(port, origin, step, jar) for step in steps]
            time.sleep(0.5)  # let late lines (a second answer's warning) reach the console
            proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
    scrub = ctx["scrub"]
    for name in ("stdout.log", "stderr.log", "journal.jsonl", "observer.jsonl"):
        if (raw / name).exists():
            (dest / name).write_text(scrub((raw / name).read_text(errors="replace")))
    if (raw / "collections").is_dir():
        shutil.copytree(raw / "collections", dest / "collections", dirs_exist_ok=True)
    for ex in exchanges:
        ex["origin"] = "public" if ex.get("origin", "public") == "public" else "other"
    text = json.dumps(exchanges, indent=1).replace(str(port), "3000")
    (dest / "requests.json").write_text(text + "\n")
    if mode != "default":
        shutil.copytree(HERE / "app" / "src", scratch / "src", dirs_exist_ok=True)  # undo the overlay
        files = HERE / "variants" / ctx["name"] / "files" / "src"
        if files.is_dir():
            shutil.copytree(files, scratch / "src", dirs_exist_ok=True)
    return {"mode": mode, "listening": up, "exit_code": code, "requests": len(exchanges),
            "log_level": env.get("LOG_LEVEL", "(unset: info)")}


def record_scenario(name: str, spec: dict[str, Any], args: argparse.Namespace) -> None:
    engine = Path(args.engine).resolve()
    scratch = prepare(engine, name, Path(args.mongo_mock).resolve())
    out = Path(args.out) / name
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k not in ("LOG_LEVEL",)}
    env["MONGODB_URL"] = "mongodb://dev:dev@127.0.0.1:27017/jotter?authSource=admin"
    scrub = Scrubber(scratch, engine)
    meta: dict[str, Any] = {"scenario": name, "engine_commit": args.engine_commit, "bun": args.bun_version,
                            "request_timeout_ms": 30000, "commands": {}}
    code, so, se = run_cli(args.bun, engine, scratch, ["artifacts", "pin"], env)
    meta["commands"]["sync-engine artifacts pin"] = code
    code, so, se = run_cli(args.bun, engine, scratch, ["check", "--format", "json", "--show-advisories"], env)
    meta["commands"]["sync-engine check --format json --show-advisories"] = code
    (out / "check.json").write_text(scrub(so))
    if se.strip():
        (out / "check.stderr.log").write_text(scrub(se))
    code, so, se = run_cli(args.bun, engine, scratch, ["artifacts", "manifest"], env)
    meta["commands"]["sync-engine artifacts manifest"] = code
    if code == 0 and so.strip():
        manifest = json.loads(so)
        manifest.pop("design", None)  # the design prose is in app/design; keeps the fixture small
        (out / "manifest.json").write_text(scrub(json.dumps(manifest, separators=(",", ":"))))
    else:
        (out / "manifest.stderr.log").write_text(scrub(se or so))
    ctx = {"scratch": scratch, "out": out, "env": env, "bun": args.bun, "scrub": scrub, "name": name}
    meta["passes"] = [record_pass(ctx, mode, spec["requests"])
                      for mode in ["default", "trace", *spec.get("passes", [])]]
    for item in APP_FILES:
        src = scratch / item
        if src.is_dir():
            shutil.copytree(src, out / "app" / item, dirs_exist_ok=True)
        elif src.exists():
            (out / "app").mkdir(exist_ok=True)
            shutil.copy(src, out / "app" / item)
    (out / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    shutil.rmtree(scratch, ignore_errors=True)
    print(f"{name}: {[(p['mode'], p['listening'], p['exit_code']) for p in meta['passes']]}", flush=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--engine", required=True, help="mit-sdg/sync-engine checkout (bun install --production done)")
    p.add_argument("--bun", required=True, help="bun binary")
    p.add_argument("--mongo-mock", required=True, help="a node_modules folder holding mongo-mock 4.2.0")
    p.add_argument("--out", default=str(HERE.parent.parent / "fixtures" / "gen2026"))
    p.add_argument("--only", default="", help="comma-separated scenarios (default: all)")
    args = p.parse_args(argv)
    args.bun_version = subprocess.run([args.bun, "--version"], capture_output=True, text=True).stdout.strip()
    head = Path(args.engine) / ".kit-engine-commit"
    args.engine_commit = head.read_text().strip() if head.exists() else "unknown"
    specs = json.loads((HERE / "scenarios.json").read_text())
    wanted = [s for s in specs if not s.startswith("_") and (not args.only or s in args.only.split(","))]
    for name in wanted:
        record_scenario(name, specs[name], args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
