"""sort_findings: the one order and de-duplication every caller uses."""

from __future__ import annotations

from sessioning.findings import Finding, findings_frame, sort_findings


def f(code, severity="error", **kw):
    return Finding(code=code, severity=severity, explanation=kw.pop("explanation", "x"), fix="y", **kw)


def test_errors_first_then_code_number_then_place():
    found = [f("PARSE"), f("F12", "warning"), f("F10", file="b.ts", line=3), f("F2"),
             f("F10", file="a.ts", line=9), f("F10", file="a.ts", line=2), f("INFO", "info")]
    order = [(x.code, x.file, x.line) for x in sort_findings(found)]
    assert order == [("F2", None, None), ("F10", "a.ts", 2), ("F10", "a.ts", 9), ("F10", "b.ts", 3),
                     ("PARSE", None, None), ("F12", None, None), ("INFO", None, None)]


def test_duplicates_are_kept_once_and_the_first_wins():
    a, b = f("F1", sync="S", extra={"n": 1}), f("F1", sync="S", extra={"n": 2})
    other = f("F1", sync="S", explanation="different words")
    out = sort_findings([a, b, other])
    assert len(out) == 2 and out[0] is a


def test_same_place_keeps_production_order():
    first, second = f("F16", explanation="one"), f("F16", explanation="two")
    assert sort_findings([first, second]) == [first, second]


def test_findings_frame_uses_the_same_order():
    found = [f("F12", "warning"), f("F10", file="b.ts", line=3), f("F10", file="a.ts", line=2), f("F10", file="a.ts",
                                                                                                     line=2)]
    df = findings_frame(found)
    assert list(df["code"]) == [x.code for x in sort_findings(found)] == ["F10", "F10", "F12"]
    assert list(df["file"][:2]) == ["a.ts", "b.ts"]
    assert len(df) == 3 and str(df["line"].dtype) == "Int64"
