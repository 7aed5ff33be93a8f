"""Benchmark the readers: a ~100 MB server log and 5,000 syncs, generated in a temp dir.

Run: ``.venv/bin/python benchmarks/bench_readers.py [--mb 100] [--syncs 5000]``.
Targets (issue): ≤ 10 s for 100 MB of log, ≤ 10 s for 5,000 syncs.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sessioning.gen2025.readers.logs import read_log  # noqa: E402
from sessioning.gen2025.readers.syncfiles import read_syncs  # noqa: E402


def _v7(n: int) -> str:
    return f"019a{n:04x}"[-8:] + f"-{(n >> 16) & 0xffff:04x}-7{n % 4096:03x}-8{n % 4093:03x}-{n:012x}"


def write_log(path: Path, megabytes: int) -> int:
    """A realistic TRACE log: logins (with session lines), multi-line responds, errors, timeouts,
    Render timestamps on half of the requests, and some unknown lines. Returns the request count."""
    target = megabytes * 1_000_000
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("Requesting concept initialized with a timeout of 10000ms.\n\nRegistering concept passthrough routes.\n"
                 "WARNING - UNVERIFIED ROUTE: /api/Sessioning/_getUser\n"
                 "Listening on http://0.0.0.0:8000/ (http://localhost:8000/)\n")
        while fh.tell() < target:
            n += 1
            rid, user, sess = _v7(3 * n), _v7(3 * n + 1), _v7(3 * n + 2)
            ts = f"2025-11-08T04:{(n // 60) % 60:02d}:{n % 60:02d}.808402217Z " if n % 2 else ""
            kind = n % 10
            lines = ["[Requesting] Received request for path: /auth/login"]
            lines.append(f"Requesting.request {{ username: 'user{n}', password: 'pw-{n}-secret', path: '/auth/login' }}"
                         f" => {{ request: '{rid}' }}")
            lines.append(f"UserAuthentication.login {{ username: 'user{n}', password: 'pw-{n}-secret' }}"
                         f" => {{ user: '{user}' }}")
            if kind == 7:
                lines.append("[Requesting] Error processing request: Missing binding: Symbol(session) in frame: [object Object]")
            elif kind == 8:
                lines.append(f"[Requesting] Error processing request: Request {rid} timed out after 10000ms")
            else:
                lines.append(f"[Sessioning.create] Attempting to insert session for user: {user} with ID: {sess}")
                lines.append(f"[Sessioning.create] Successfully created session: {sess}")
                lines.append(f"Sessioning.create {{ user: '{user}' }} => {{ session: '{sess}' }}")
                lines.append(f"Requesting.respond {{\n  request: '{rid}',\n  session: '{sess}',\n"
                             f"  profile: {{ name: 'User {n}', joined: 2025-11-08T04:48:24.808Z, tags: [Array] }}\n"
                             f"}} => {{ request: '{rid}' }}")
            if kind == 3:
                lines.append(f"some debugging output from the app {uuid.UUID(int=n)}")
            for block in lines:
                for ln in block.split("\n"):
                    fh.write(ts + ln + "\n")
                if not ts and block[:1] != "[":
                    fh.write("\n\n")
    return n


SYNC_TEMPLATE = '''import {{ actions, Frames, Sync }} from "@engine";
import {{ Requesting, Sessioning, Posts{i} }} from "@concepts";

export const Create{i}Request: Sync = ({{ request, session, content, user }}) => ({{
  when: actions([Requesting.request, {{ path: "/posts{i}/create", session, content }}, {{ request }}]),
  where: async (frames) => frames.query(Sessioning._getUser, {{ session }}, {{ user }}),
  then: actions([Posts{i}.create, {{ author: user, content }}]),
}});

export const Create{i}Response: Sync = ({{ request, post }}) => ({{
  when: actions(
    [Requesting.request, {{ path: "/posts{i}/create" }}, {{ request }}],
    [Posts{i}.create, {{}}, {{ post }}],
  ),
  then: actions([Requesting.respond, {{ request, post }}]),
}});

export const Create{i}Error: Sync = ({{ request, error }}) => ({{
  when: actions(
    [Requesting.request, {{ path: "/posts{i}/create" }}, {{ request }}],
    [Posts{i}.create, {{}}, {{ error }}],
  ),
  then: actions([Requesting.respond, {{ request, error }}]),
}});

export function List{i}({{ request, session, user, posts }}: Vars) {{
  return {{
    when: actions([Requesting.request, {{ path: "/posts{i}/list", session }}, {{ request }}]),
    where: async (frames: Frames) => {{
      frames = await frames.query(Sessioning._getUser, {{ session }}, {{ user }});
      return frames.collectAs([user], posts);
    }},
    then: actions([Requesting.respond, {{ request, posts }}]),
  }};
}}

export const Bad{i}: Sync = ({{ request, session, user }}) => ({{
  when: actions([Requesting.request, {{ path: "/api/bad{i}" }}, {{ request }}], [Sessioning._getUser, {{}}]),
  then: actions([Sessioning.create, {{ user }}, {{ session }}], [Requesting.respond, {{ request, session }}]),
}});
'''


def write_syncs(root: Path, count: int) -> int:
    """``count`` syncs (5 per file: 4 correct, 1 with several bugs) under root/src/syncs."""
    d = root / "src" / "syncs"
    (d / "nested").mkdir(parents=True, exist_ok=True)
    files = max(1, count // 5)
    for i in range(files):
        sub = d / "nested" if i % 3 == 0 else d
        (sub / f"feature{i}.sync.ts").write_text(SYNC_TEMPLATE.format(i=i), encoding="utf-8")
    return files * 5


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    """Generate, read, print timings (wall and CPU: on a shared machine CPU time is the stable figure)."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mb", type=int, default=100, help="log size in MB (default 100)")
    ap.add_argument("--syncs", type=int, default=5000, help="number of syncs (default 5000)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmpd = Path(tmp)
        logp = tmpd / "server.log"
        t0 = time.perf_counter()
        nreq = write_log(logp, args.mb)
        size = os.path.getsize(logp)
        print(f"generated log: {size / 1e6:.1f} MB, {nreq} requests in {time.perf_counter() - t0:.1f} s")
        rss0 = _rss_mb()
        t0, c0 = time.perf_counter(), time.process_time()
        log = read_log(logp, progress=False)
        t_read, c_read = time.perf_counter() - t0, time.process_time() - c0
        t0 = time.perf_counter()
        findings = log.findings()
        t_find = time.perf_counter() - t0
        print(f"read_log: {t_read:.2f} s wall, {c_read:.2f} s CPU ({size / 1e6 / t_read:.1f} MB/s), {log.lines} lines, "
              f"{log.n_actions} actions, {len(log.store.requests)} requests, {len(log.store.errors)} errors; "
              f"findings(): {t_find:.2f} s, {len(findings)} findings; peak RSS +{_rss_mb() - rss0:.0f} MB")
        t0 = time.perf_counter()
        req = log.requests
        print(f"requests table: {len(req)} rows in {time.perf_counter() - t0:.2f} s")
        t0 = time.perf_counter()
        acts = log.actions_frame(limit=50_000)
        print(f"actions table (lazy parse): first {len(acts)} rows in {time.perf_counter() - t0:.2f} s")

        n = write_syncs(tmpd / "app", args.syncs)
        t0, c0 = time.perf_counter(), time.process_time()
        sf = read_syncs(tmpd / "app")
        t_parse, c_parse = time.perf_counter() - t0, time.process_time() - c0
        t0 = time.perf_counter()
        sf_findings = sf.findings()
        t_sf = time.perf_counter() - t0
        print(f"read_syncs: {n} syncs in {len(sf.files)} files: {t_parse:.2f} s wall, {c_parse:.2f} s CPU; "
              f"findings(): {t_sf:.2f} s, "
              f"{len(sf_findings)} findings; {len(sf.syncs)} rows")


if __name__ == "__main__":
    main()
