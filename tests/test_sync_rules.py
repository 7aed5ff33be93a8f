"""Sync-file rules as a table: each rule a function of (sync, whole app); adding one is adding a function."""

from __future__ import annotations

from pathlib import Path

from sessioning.gen2025.readers import syncfiles
from sessioning.gen2025.readers.syncfiles import checks

APP = Path(__file__).resolve().parents[1] / "fixtures" / "app"


def test_every_rule_is_a_documented_function_of_sync_and_app():
    sf = syncfiles.read_syncs(APP)
    app = checks.AppContext(sf.defs)
    for rule in checks.RULES:
        assert rule.__doc__, rule.__name__
        for sd in sf.defs:
            assert all(f.sync == sd.name and f.source == "syncs" for f in rule(sd, app))


def test_a_rule_added_to_the_table_sees_the_whole_app(monkeypatch):
    def one_per_app(sd, app):
        if sd is app.syncs[0]:
            yield checks.finding(sd, "INFO", "info", sd.line, f"{len(app.registered)} registered syncs", "none")

    monkeypatch.setattr(checks, "RULES", [*checks.RULES, one_per_app])
    sf = syncfiles.read_syncs(APP)
    info = [f for f in sf.findings() if f.code == "INFO"]
    assert len(info) == 1 and info[0].explanation == f"{sum(d.registered for d in sf.defs)} registered syncs"


def test_request_path_is_read_from_the_request_pattern():
    sf = syncfiles.read_syncs(APP)
    assert sf.sync("LoginResponseSuccess").request_path == "/login"
