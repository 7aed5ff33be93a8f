"""Recount the judged sample of ``benchmarks/realapps_judged.md``: precision per check and set.

Run: ``.venv/bin/python benchmarks/realapps_tally.py [benchmarks/realapps_judged.md]``

The judged table has one row per finding: set (``before`` = the doctor on main before the
whole-app model, ``after`` = with it, ``fixed`` = judged wrong while calibrating, rule since
fixed), app, sync, check, verdict (``right``/``wrong``) and a one-line reason.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent


def tally(path: Path) -> dict[tuple[str, str], tuple[int, int]]:
    """(set, check) → (right, judged) from the markdown table."""
    right: Counter[tuple[str, str]] = Counter()
    judged: Counter[tuple[str, str]] = Counter()
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 6 or cells[0] not in ("before", "after", "fixed"):
            continue
        key = (cells[0], cells[3])
        judged[key] += 1
        right[key] += cells[4] == "right"
    return {k: (right[k], judged[k]) for k in judged}


def main(argv: list[str]) -> int:
    """Print precision per check for each set."""
    path = Path(argv[0]) if argv else HERE / "realapps_judged.md"
    table = tally(path)
    for which in ("before", "after", "fixed"):
        print(which)
        for (s, check), (ok, n) in sorted(table.items()):
            if s == which:
                print(f"  {check:<20} {ok:3d}/{n:<3d} {ok / n:5.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
