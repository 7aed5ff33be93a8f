"""Where a flow's time goes, by layer of the kit: ``make bench-profile``.

    .venv/bin/python benchmarks/profile_workloads.py [--workloads W1,W3] [--flows 5000] [--record on|off]

For each workload (the same worlds as ``bench_workloads.py``), in a fresh process: the flows run
once unprofiled, timing the garbage collector's pauses (``gc.callbacks``, by generation), then
again under cProfile, then a few hundred more with the collector off, to count the objects it
tracks that each flow leaves behind (every collection traverses them: fewer is faster). The
profile's time, split by layer (the module each function lives in; a built-in's time goes to its
callers' layers in proportion), is scaled to the unprofiled time left after the collector's
pauses, since cProfile slows small functions more than large ones and cannot see the collector at
all. So the table reads "µs per flow" and its rows add up to the unprofiled flow.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import pstats
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_workloads as bw  # noqa: E402 - the worlds and loops of `make bench`

#: (layer, path fragments), first match wins; the order is the table's.
LAYERS = [
    ("engine: matching (when, frames, where)", ("/gen2025/engine/matching.py", "/gen2025/engine/frames.py",
                                                 "/gen2025/engine/vars.py")),
    ("recording", ("/gen2025/engine/recorder.py", "/gen2025/engine/observer.py", "/sessioning/record/")),
    ("engine: invoke, synchronize, request", ("/gen2025/engine/", "/gen2025/server.py", "/gen2025/app.py")),
    ("db: write recording (watch, faults)", ("/sessioning/db/watch.py", "/sessioning/db/faults.py")),
    ("db: embedded fast paths", ("/sessioning/db/",)),
    ("db: mongomock, pymongo, bson", ("/mongomock/", "/pymongo/", "/bson/")),
    ("concepts (incl. hashing)", ("/gen2025/concepts/", "hashlib")),
    ("ids, console, masking", ("/sessioning/ids.py", "/sessioning/console.py", "/sessioning/masking.py")),
]
OTHER = "other (workload loop, stdlib)"
GC = "garbage collector pauses"


def layer_of(path: str, name: str) -> str | None:
    """The layer of a profiled function; ``None`` for a built-in (its callers decide)."""
    if path == "~":
        return "concepts (incl. hashing)" if "openssl" in name or "_hashlib" in name else None
    for layer, fragments in LAYERS:
        if any(f in path for f in fragments):
            return layer
    return OTHER


def split(stats: pstats.Stats) -> Counter:
    """Seconds of own time per layer; built-ins' time shared among their callers' layers."""
    own: Counter = Counter()
    raw = stats.stats  # type: ignore[attr-defined]
    for (path, _line, name), (_cc, _nc, tt, _ct, callers) in raw.items():
        layer = layer_of(path, name)
        if layer is not None:
            own[layer] += tt
            continue
        total = sum(c[3] for c in callers.values()) or 1.0
        for (cpath, _cl, cname), c in callers.items():
            own[layer_of(cpath, cname) or OTHER] += tt * c[3] / total
    return own


def profile_one(workload: str, flows: int, record: bool) -> dict:
    """One workload in this fresh process: unprofiled time, the collector's pauses, the layer split."""
    import sessioning as ss

    ss.console.set_quiet(True)
    db, engine, req, auth, sess = bw.build(workload, record)
    users = [auth.register(username=f"u{i}", password=f"p{i}")["user"] for i in range(bw.N_USERS)]
    out: dict = {}
    if workload == "W3":
        owners = [users[i % bw.N_USERS] for i in range(bw.N_SESSIONS)]
        sessions = [sess.create(user=o)["session"] for o in owners]
        run = lambda n: bw.me_loop(engine, sessions, owners, n, out)  # noqa: E731
    elif workload == "W4":
        run = lambda n: bw.threaded_logins(engine, n, out)  # noqa: E731
    else:
        run = lambda n: bw.login_loop(engine, n, workload != "W5", out)  # noqa: E731

    paused = [0.0, 0.0, 0.0]  # seconds per generation collected
    started = [0.0]

    def on_gc(phase: str, info: dict) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            paused[info["generation"]] += time.perf_counter() - started[0]

    gc.collect()
    gc.callbacks.append(on_gc)
    t0 = time.perf_counter()
    run(flows)
    wall = time.perf_counter() - t0
    gc.callbacks.remove(on_gc)
    prof = cProfile.Profile()
    gc.collect()
    prof.enable()
    run(flows)
    prof.disable()
    own = split(pstats.Stats(prof))
    scale = (wall - sum(paused)) / (sum(own.values()) or 1.0)
    us = {layer: secs * scale * 1e6 / flows for layer, secs in own.items()}
    us[GC] = sum(paused) * 1e6 / flows
    top = sorted(pstats.Stats(prof).stats.items(), key=lambda kv: -kv[1][2])[:12]  # type: ignore[attr-defined]
    kept, kept_types = tracked_per_flow(run, min(flows, 500))
    return {"workload": workload, "record": record, "flows": flows, "us_per_flow": wall * 1e6 / flows,
            "layers": us, "gc_by_generation": [t * 1e6 / flows for t in paused],
            "kept_per_flow": kept, "kept_types": kept_types,
            "top": [[f"{Path(p).name}:{n}", round(v[2] * scale * 1e6 / flows, 1), v[1]] for (p, _l, n), v in top]}


def tracked_per_flow(run, n: int) -> tuple[float, dict[str, float]]:
    """The objects the garbage collector tracks that ``n`` more flows leave behind (the record's
    and the database's), per flow, and the commonest types among them.

    The collector traverses each such object in every collection of its generation while it
    lives, and a kept flow lives for as long as the record retains it: with the collector off, the
    young generation after the flows holds exactly what they left (no more than the retention, so
    that nothing kept is dropped meanwhile)."""
    gc.collect()
    gc.disable()
    try:
        run(n)
        young = gc.get_objects(generation=0)
    finally:
        gc.enable()
    counts = Counter(type(o).__name__ for o in young)
    return len(young) / n, {name: c / n for name, c in counts.most_common(6)}


def show(res: dict) -> None:
    print(f"\n{res['workload']}, recording {'on' if res['record'] else 'off'}, {res['flows']:,} flows: "
          f"{res['us_per_flow']:.1f} µs per flow unprofiled")
    order = [layer for layer, _ in LAYERS] + [OTHER, GC]
    for layer in order:
        v = res["layers"].get(layer, 0.0)
        print(f"  {layer:42} {v:7.1f} µs")
    print("    by generation: " + ", ".join(f"{g} {us:.1f}" for g, us in enumerate(res["gc_by_generation"])))
    types = ", ".join(f"{name} {n:.1f}" for name, n in res["kept_types"].items())
    print(f"  a flow leaves {res['kept_per_flow']:.1f} objects for the collector to traverse ({types})")
    print("  top functions (own time, µs per flow, calls):")
    for name, us, calls in res["top"]:
        print(f"    {name:52} {us:6.1f}  {calls:>8,}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workloads", default="W1,W3")
    ap.add_argument("--flows", type=int, default=5000)
    ap.add_argument("--record", choices=("on", "off"), default="on")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        print(json.dumps(profile_one(a.one, a.flows, a.record == "on")))
        return
    for wl in (w.strip().upper() for w in a.workloads.split(",") if w.strip()):
        cmd = [sys.executable, __file__, "--one", wl, "--flows", str(a.flows), "--record", a.record]
        r = subprocess.run(cmd, capture_output=True, text=True)
        lines = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
        if r.returncode != 0 or not lines:
            raise SystemExit(f"{wl} failed:\n{r.stderr[-3000:]}")
        show(json.loads(lines[-1]))


if __name__ == "__main__":
    main()
