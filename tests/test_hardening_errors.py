"""Hardening — errors without a diagnosis (issue 15, item 7).

* an infinite cascade (A → B → A) ended in "maximum recursion depth exceeded" with no why or fix:
  now a CASCADE-LOOP finding names the cycle and how to break it;
* a `where` raising ``KeyError`` or an exception with no message gave a bare console line and no
  finding: now WHERE-THREW (the console line stays the template's, word for word);
* a cyclic or very deep action output turned success into a 500 under TRACE (masking recursed
  without end): masking is depth-bounded, the request succeeds, the tables and export work.
"""

from __future__ import annotations

import json

import pytest

from sessioning import diagnose_findings, make_app, tables
from sessioning.gen2025.engine import actions


def _app(case: str, logging: str = "OFF"):
    app = make_app(fast_hash=True, syncs=None, logging=logging)
    R, A = app.Requesting, app.UserAuthentication  # noqa: N806

    def Req(request, username, password):  # noqa: N802
        d = {"when": actions([R.request, {"path": "/register", "username": username, "password": password},
                              {"request": request}]),
             "then": actions([A.register, {"username": username, "password": password}])}
        if case == "keyerror":
            d["where"] = lambda frames: frames.filter(lambda f: {}["nope"])
        elif case == "empty":
            def boom(frames):
                raise RuntimeError()
            d["where"] = boom
        return d

    def Loop1(username, password):  # noqa: N802
        return {"when": actions([A.register, {"username": username, "password": password}, {}]),
                "then": actions([A.authenticate, {"username": username, "password": password}])}

    def Loop2(username, password):  # noqa: N802
        return {"when": actions([A.authenticate, {"username": username, "password": password}, {}]),
                "then": actions([A.register, {"username": username, "password": password}])}

    syncs = {"Req": Req}
    if case == "loop":
        syncs.update(Loop1=Loop1, Loop2=Loop2)
    app.engine.register(syncs)
    return app


def _one(app, code):
    found = [f for f in diagnose_findings(app) if f.code == code]
    assert len(found) == 1, [f.code for f in diagnose_findings(app)]
    return found[0]


def test_infinite_cascade_is_diagnosed(quiet_console):
    app = _app("loop")
    r = app.request("/register", username="a", password="p")
    assert r.status == 500  # the engine's behaviour is kept: the cascade fails
    f = _one(app, "CASCADE-LOOP")
    assert "`Loop1` → `Loop2` → `Loop1`" in f.explanation and "maximum recursion depth" in f.explanation
    assert "{user}" in f.fix


@pytest.mark.parametrize("case,words", [("keyerror", "threw `KeyError`: `'nope'`"),
                                        ("empty", "threw `RuntimeError` with no message at all")])
def test_where_raising_an_app_error_is_diagnosed(quiet_console, case, words):
    app = _app(case)
    r = app.request("/register", username="a", password="p")
    assert r.status == 500
    f = _one(app, "WHERE-THREW")
    assert words in f.explanation and f.sync == "Req" and f.fix


def test_the_console_line_stays_the_templates(capsys):
    app = _app("keyerror")
    app.request("/register", username="a", password="p")
    assert "[Requesting] Error processing request: 'nope'" in capsys.readouterr().err


def test_an_action_exception_is_not_called_a_where_error(quiet_console):
    app = make_app(fast_hash=True, logging="OFF")
    app.db.faults.fail_action("UserAuthentication.register", KeyError("boom"))
    app.request("/register", username="a", password="p")
    assert not [f for f in diagnose_findings(app) if f.code == "WHERE-THREW"]


class _Echo:
    def __init__(self, db) -> None:
        self.db = db

    def make(self, kind: str) -> dict:
        if kind == "cyclic":
            d: dict = {"a": 1, "password": "Sup3r-secret!"}
            d["self"] = d
            return {"out": d, "items": [d, d]}
        v: dict = {"token": "deep-secret-token-123"}
        for _ in range(3000):
            v = {"x": v}
        return {"out": v}


@pytest.mark.parametrize("kind", ["cyclic", "deep"])
@pytest.mark.parametrize("logging", ["TRACE", "VERBOSE"])
def test_cyclic_or_deep_output_does_not_turn_success_into_an_error(quiet_console, kind, logging):
    app = make_app(fast_hash=True, logging=logging)
    echo = app.engine.instrument(_Echo(app.db))
    out = echo.make(kind=kind)
    assert "out" in out
    run = app.engine.run
    text = run.to_json() + tables.trace_table(run).to_string()
    assert "Sup3r-secret!" not in text and json.loads(run.to_json())


def test_masking_is_depth_bounded():
    from sessioning.masking import TOO_DEEP, mask_secrets

    d: dict = {"k": 1}
    d["self"] = d
    masked = mask_secrets(d)
    depth = 0
    while isinstance(masked, dict):
        masked, depth = masked["self"], depth + 1
    assert masked == TOO_DEEP and depth <= 40
