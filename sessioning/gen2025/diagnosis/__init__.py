"""``diagnose()``: the failure modes of a recorded run and of a database, with the real cause and the fix.

From a run (a :class:`~sessioning.record.Run`, an ``Engine`` or an ``App``), each check of
:data:`CHECKS` looks at each flow, with the run's shared :class:`~.context.RunContext`:

* F1–F6, UNBOUND, F8, F9 — the engine error that stopped the flow (:mod:`.engine_errors`, read
  from what the engine recorded with the error);
* F16 — an action that threw (E11000: the index, the value and the document holding it), and F14 —
  an action called from ``where`` or returning a list (:mod:`.actions`);
* F10/F11 — a request nobody answered, F12 — two answers, F13 — an auth check that checks nothing,
  F17 — a login that inserted no session (:mod:`.flows`).

From a database (:func:`~.database.diagnose_database`): requests without a response, sessions
pointing to missing users, ObjectId/string id mix-ups, a ``test-<DB_NAME>`` database, session
collections under other names. Adding a check is adding a function to a ``CHECKS`` list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd

from sessioning import failure_modes
from sessioning.errors import KitError
from sessioning.findings import Finding, findings_frame, sort_findings
from sessioning.masking import secrets_revealed
from sessioning.record import Run

from .actions import action_checks, explain_duplicate_key, parse_dup_key
from .context import FlowFacts, RunContext
from .database import diagnose_database
from .engine_errors import engine_error
from .flows import double_respond, empty_checks, missing_insert, timed_out

__all__ = ["CHECKS", "NothingToDiagnose", "diagnose", "diagnose_database", "diagnose_findings", "explain_duplicate_key",
           "parse_dup_key"]

FlowCheck = Callable[[RunContext, FlowFacts], None]


class NothingToDiagnose(KitError, TypeError):
    """``diagnose()`` called with nothing to look at: an empty table would read as "no problems"."""

    hint = "e.g. diagnose(app), diagnose(run=app.engine), diagnose(db=app.db) or diagnose(env='path/to/app/.env')"

#: Every check of one flow, in the order its findings appear.
CHECKS: list[FlowCheck] = [
    engine_error,
    action_checks,
    timed_out,
    double_respond,
    empty_checks,
    missing_insert,
]


def _diagnose_run(ctx: RunContext) -> list[Finding]:
    for log in list(ctx.run.flows.values()):
        try:
            flow = FlowFacts.of(log)
            for check in CHECKS:
                check(ctx, flow)
        except Exception as e:  # noqa: BLE001 - one odd flow (a hand-edited run) must not hide the others
            why, fix = failure_modes.explain("INFO", "run-unreadable-flow", flow=log.flow,
                                             error=f"{type(e).__name__}: {e}")
            ctx.add("INFO", "info", why, fix, request=getattr(log, "request", None), flow=log.flow)
    return ctx.findings


def diagnose_findings(run: Any = None, db: Any = None, *, env: str | None = None,
                      sessions_collection: str = "Sessioning.sessions", user_field: str = "user",
                      users_collection: str | None = "UserAuthentication.users",
                      requests_collection: str = "Requesting.requests", session_create: str = "Sessioning.create",
                      login_actions: Iterable[str] = ("login", "authenticate"), reveal: bool | None = None,
                      progress: bool | None = None) -> list[Finding]:
    """The findings of a run (a Run, an Engine or an App), a database (a handle or a URI), or both.

    ``env`` is the path of an app's ``.env`` (MONGODB_URL / DB_NAME): its database is read, read-only.
    An App brings its own database. Database findings about requests the run already explains are
    left out.
    """
    if run is None and db is None and env is None:
        raise NothingToDiagnose(
            "diagnose() needs something to look at: pass run= (a Run, an Engine or an App: make_app(...)), "
            "db= (a database handle or a MongoDB URI) or env= (an app's .env file), "
            "e.g. diagnose(app) or diagnose(db='mongodb://localhost:27017/mydb')")
    reveal = secrets_revealed() if reveal is None else bool(reveal)
    findings: list[Finding] = []
    run_obj, engine, run_db = (None, None, None) if run is None else Run.source(run)
    known_requests: set[str] = set()
    if run_obj is not None:
        lookup_db = db if db is not None and not isinstance(db, str) else run_db
        ctx = RunContext(run_obj, engine, lookup_db, sessions_collection=sessions_collection,
                         session_create=session_create, login_actions=login_actions, reveal=reveal)
        findings.extend(_diagnose_run(ctx))
        known_requests = {f.request for f in run_obj.flows.values() if f.request}
    database = db if db is not None else run_db
    if database is not None or env is not None:
        kwargs = dict(sessions_collection=sessions_collection, user_field=user_field, users_collection=users_collection,
                      requests_collection=requests_collection, skip_requests=known_requests, reveal=reveal,
                      progress=progress)
        if isinstance(database, str):
            findings.extend(diagnose_database(database, env_file=env, **kwargs))
        elif database is not None:
            findings.extend(diagnose_database(db=database, **kwargs))
        else:
            findings.extend(diagnose_database(env_file=env, **kwargs))
    return findings


def diagnose(run: Any = None, db: Any = None, *, env: str | None = None, **options: Any) -> pd.DataFrame:
    """Findings as a DataFrame: ``code``, ``severity``, ``title``, ``sync``, ``request``, ``explanation``,
    ``fix``, ``source``, ``file``, ``line``, ``evidence``, ``details`` (structured facts: flow, key,
    index, value, existing document …). Errors first, then by code. See :func:`diagnose_findings`."""
    ordered = sort_findings(diagnose_findings(run, db, env=env, **options))
    df = findings_frame(ordered)  # the same sort again: same order, so `details` lines up
    df["details"] = [f.extra for f in ordered]
    return df
