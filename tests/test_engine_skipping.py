"""Syncs that cannot match are skipped, and the record is exactly what trying them would have given.

The same flows run twice, through the engine as it is and through one that tries every sync (no
skipping); the exported runs, with ids and clocks normalized, must be identical: every sync tried,
in the same order and with the same sequence numbers, each with the same reason for not firing.
"""

from __future__ import annotations

import re

import pytest

from sessioning import actions, make_app
from sessioning.gen2025.engine.skipping import SyncIndex

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
CLOCK_OR_SALT = re.compile(r"^(\d{4}-\d\d-\d\dT[\d:.+]+|\$argon2.*)$")  # dates, salted hashes


def other_sync(R, i: int):  # noqa: N803
    def Other(request):  # noqa: N802
        return {"when": actions([R.request, {"path": f"/other{i}"}, {"request": request}]),
                "then": actions([R.respond, {"request": request, "other": i}])}
    return Other


def extra_syncs(app):
    R, U, S = app.Requesting, app.UserAuthentication, app.Sessioning  # noqa: N806
    syncs = {}
    for i in range(12):
        syncs[f"Other{i}"] = other_sync(R, i)

    def NobodyLogin(request, password):  # noqa: N802 - tried on /login (path matches), fails on username
        return {"when": actions([R.request, {"path": "/login", "username": "nobody", "password": password}, {"request": request}]),
                "then": actions([R.respond, {"request": request, "nobody": True}])}

    def ZedAuthenticated(user):  # noqa: N802 - gated on authenticate's literal username
        return {"when": actions([U.authenticate, {"username": "zed"}, {"user": user}]),
                "then": actions([S.create, {"user": user}])}

    def OtherWithWhere(request, session, user):  # noqa: N802 - a where: skipped in version 2 only
        return {"when": actions([R.request, {"path": "/whoami", "session": session}, {"request": request}]),
                "where": lambda frames: frames.query(S._getUser, {"session": session}, {"user": user}),
                "then": actions([R.respond, {"request": request, "user": user}])}

    def NoOutputPattern(request):  # noqa: N802 - F8 when its input matches (path /broken)
        return {"when": actions([R.request, {"path": "/broken"}]),
                "then": actions([R.respond, {"request": request}])}

    syncs.update(NobodyLogin=NobodyLogin, ZedAuthenticated=ZedAuthenticated, OtherWithWhere=OtherWithWhere,
                 NoOutputPattern=NoOutputPattern)
    return syncs


def run_flows(skipping: bool, version: int) -> tuple[dict, list]:
    app = make_app(syncs="correct", fast_hash=True, logging="OFF", version=version)
    app.engine.register(extra_syncs(app))
    if not skipping:
        app.engine.skipping.plan = lambda record: list(app.engine.syncs_by_action.get(record.action, ()))
    statuses = []
    for path, body in [("/register", {"username": "alice", "password": "pw-alice-1"}),
                       ("/login", {"username": "alice", "password": "pw-alice-1"}),
                       ("/login", {"username": "alice", "password": "wrong"}),
                       ("/login", {"username": "nobody", "password": "x"}),
                       ("/other3", {}), ("/other11", {"path2": 1}), ("/nowhere", {}), ("/whoami", {"session": "s"}),
                       ("/broken", {}), ("/Other3", {}), ("/api/other3", {}), ("/login", {"path": 5})]:
        r = app.request(path, body)
        statuses.append((path, r.status, sorted(r.body) if isinstance(r.body, dict) else r.body))
    return normalized(app.engine.run.to_dict()), statuses


def normalized(data):
    """Ids by order of appearance, clocks dropped."""
    names: dict[str, str] = {}

    def walk(x):
        if isinstance(x, dict):
            return {k: ("<t>" if k in ("started", "duration_ms") else walk(v)) for k, v in x.items()}
        if isinstance(x, list):
            return [walk(v) for v in x]
        if isinstance(x, str) and CLOCK_OR_SALT.match(x):
            return "<t>"
        if isinstance(x, str):
            return UUID.sub(lambda m: names.setdefault(m.group(0), f"<id{len(names)}>"), x)
        return x

    return walk(data)


@pytest.mark.parametrize("version", [2, 1])
def test_skipping_records_exactly_what_trying_would(quiet_console, version):
    skipped_run, skipped_statuses = run_flows(True, version)
    tried_run, tried_statuses = run_flows(False, version)
    assert skipped_statuses == tried_statuses
    assert skipped_run == tried_run


def test_never_matching_syncs_are_skipped_and_still_explained(quiet_console):
    app = make_app(syncs="correct", fast_hash=True, logging="OFF")
    app.engine.register(extra_syncs(app))
    tried = []
    real = SyncIndex.plan

    def spy(self, record):
        plan = real(self, record)
        tried.append(plan)
        return plan

    SyncIndex.plan = spy
    try:
        r = app.request("/login", {"username": "bob", "password": "x"})
    finally:
        SyncIndex.plan = real
    assert r.status == 200
    skipped = [s.name for plan in tried for group in plan if isinstance(group, tuple) for s in group]
    assert {f"Other{i}" for i in range(12)} <= set(skipped)
    log = app.engine.run.last_flow()
    ev = next(e for e in log.evaluations if e.sync == "Other7")
    failure = ev.first_failure()
    assert failure["reason"] == "literal_mismatch" and failure["key"] == "path"
    assert failure["text"] == "`Requesting.request` input `path` is '/login', the pattern wants '/other7'"
    assert [e.seq for e in log.evaluations] == sorted(e.seq for e in log.evaluations)
