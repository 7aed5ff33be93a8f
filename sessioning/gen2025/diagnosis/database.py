"""Diagnose an app's own database, read-only: what its documents say about failure modes.

``diagnose_database(uri, db_name, env_file=...)`` connects read-only (``sessioning.connect``) and
returns :class:`~sessioning.findings.Finding` objects for

* requests stored without a response (a timeout: no sync responded, F10/F11 — or a 500);
* sessions pointing to users that do not exist, and ObjectId vs string id mix-ups (F17);
* session collections under other names than the one inspected (F17);
* a ``test-<DB_NAME>`` database in use or lying beside the real one (F19);
* duplicate usernames — what a unique index would refuse with E11000 (F16 candidates).

``diagnose_database(db=handle)`` reads a database handle that is already open (tests, the kit's
embedded database). Nothing is ever written. Each check is a function of :class:`DbContext` in
the :data:`CHECKS` list: adding a check is adding a function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pandas as pd

from sessioning import failure_modes
from sessioning.db.connect import connect, load_config
from sessioning.db.frames import requests_table, sessions_table
from sessioning.db.read import read_collection
from sessioning.findings import Finding
from sessioning.masking import mask_id, mask_text, secrets_revealed

__all__ = ["CHECKS", "DbContext", "diagnose_database", "session_collections"]

SESSION_COLLECTION_HINTS = ("sessions", "session")


def _names(db: Any) -> list[str]:
    try:
        return sorted(db.list_collection_names())
    except Exception:  # noqa: BLE001 - a user without listCollections rights still gets the rest
        return []


def session_collections(db: Any) -> list[str]:
    """Collections that look like session stores: ``*.sessions``, bare ``sessions``, ``Session.*``…"""
    out = []
    for name in _names(db):
        last = name.rsplit(".", 1)[-1].lower()
        first = name.split(".", 1)[0].lower()
        if last in SESSION_COLLECTION_HINTS or (first.startswith("session") and "." in name):
            out.append(name)
    return out


def _count(db: Any, name: str) -> int:
    try:
        return int(db[name].estimated_document_count())
    except Exception:  # noqa: BLE001
        try:
            return int(db[name].count_documents({}))
        except Exception:  # noqa: BLE001
            return 0


def _client(db: Any) -> Any:
    # The kit's handle keeps the client it was opened with; read from __dict__, because on a raw
    # pymongo Database any attribute name is a sub-collection.
    client = db.__dict__.get("opened_client") if hasattr(db, "__dict__") else None
    if client is None:
        client = getattr(db, "client", None)
    return client


def _database_names(db: Any) -> list[str]:
    client = _client(db)
    try:
        return list(client.list_database_names()) if client is not None else []
    except Exception:  # noqa: BLE001
        return []


@dataclass
class DbContext:
    """The open database, the collection and field names the app uses, and the findings so far."""

    db: Any
    sessions_collection: str = "Sessioning.sessions"
    user_field: str = "user"
    users_collection: str | None = "UserAuthentication.users"
    requests_collection: str = "Requesting.requests"
    skip_requests: set[str] = field(default_factory=set)
    username_field: str = "username"
    reveal: bool = False
    progress: bool | None = None
    examples: int = 3
    findings: list[Finding] = field(default_factory=list)

    @cached_property
    def names(self) -> list[str]:
        return _names(self.db)

    @cached_property
    def users_present(self) -> str | None:
        """The users collection, if this database has it."""
        return self.users_collection if self.users_collection and self.users_collection in self.names else None

    @cached_property
    def sessions(self) -> pd.DataFrame | None:
        """The sessions table (``None`` without a sessions collection), read once for every check."""
        if self.sessions_collection not in self.names:
            return None
        return sessions_table(self.db, self.sessions_collection, user_field=self.user_field,
                              users_collection=self.users_present, reveal=self.reveal, progress=self.progress)

    def add(self, code: str, severity: str, explanation: str, fix: str, **kw: Any) -> None:
        """Record a finding; its texts are masked here (once) unless secrets are revealed."""
        if not self.reveal:
            explanation, fix = mask_text(explanation, False), mask_text(fix, False)
        self.findings.append(Finding(code, severity, explanation, fix, source="db", **kw))

    def report(self, code: str, variant: str, severity: str, *, evidence: str | None = None,
               request: str | None = None, **facts: Any) -> None:
        """Record a finding worded by the catalogue's ``code``/``variant`` from ``facts``."""
        why, fix = failure_modes.explain(code, variant, **facts)
        self.add(code, severity, why, fix, evidence=evidence, request=request)


# -- F19: the test database -------------------------------------------------------------------------
def wiped_test_database(c: DbContext) -> None:
    """F19: reading `test-<DB_NAME>` (wiped by `testDb()`), or it holds the sessions the real one lacks."""
    name = getattr(c.db, "name", "")
    if name.startswith("test-"):
        c.report("F19", "db-test", "warning", evidence=f"database {name!r}", name=name, real=name[5:])
    elif name and f"test-{name}" in _database_names(c.db):
        test_db = _client(c.db)[f"test-{name}"]
        coll = c.sessions_collection
        here = _count(c.db, coll) if coll in c.names else 0
        there = _count(test_db, coll) if coll in _names(test_db) else 0
        severe = here == 0 and there > 0
        state = (failure_modes.phrase("F19.severe", collection=coll, there=there) if severe
                 else failure_modes.phrase("F19.usual"))
        c.report("F19", "db-beside", "warning" if severe else "info",
                 evidence=f"{coll}: {here} here, {there} in test-{name}", name=name, state=state)


# -- F17: session collections under other names -----------------------------------------------------
def other_session_collections(c: DbContext) -> None:
    """F17: the inspected sessions collection is empty or absent while another session-like one is not."""
    coll = c.sessions_collection
    others = [n for n in session_collections(c.db) if n != coll]
    if not others:
        return
    if coll not in c.names or _count(c.db, coll) == 0:
        c.report("F17", "db-elsewhere", "warning", evidence=", ".join(others), collection=coll,
                 state="empty" if coll in c.names else "not in this database",
                 counts=", ".join(f"`{n}` ({_count(c.db, n)} documents)" for n in others),
                 verb="is" if len(others) == 1 else "are", other=others[0])
    else:
        c.report("F17", "db-others", "info", evidence=", ".join(others), collection=coll,
                 counts=", ".join(f"`{n}` ({_count(c.db, n)})" for n in others))


# -- F17: sessions — id types and orphans -------------------------------------------------------------
def session_id_types(c: DbContext) -> None:
    """F17: session ids or their user ids stored as ObjectIds (never equal to the string ids in frames)."""
    st = c.sessions
    if st is None or not len(st):
        return
    bad_ids = st[st["id_type"].astype(str).isin(["ObjectId"])
                 | ~st["id_type"].astype(str).isin(["uuid7", "uuid", "string"])]
    bad_users = st[~st["user_id_type"].astype(str).isin(["uuid7", "uuid", "string", "missing"])]
    if not (len(bad_ids) or len(bad_users)):
        return
    kinds = sorted(set(bad_ids["id_type"].astype(str)) | set(bad_users["user_id_type"].astype(str)))
    what = []
    if len(bad_ids):
        what.append(f"{len(bad_ids)} session ids")
    if len(bad_users):
        what.append(f"{len(bad_users)} `{c.user_field}` values")
    c.report("F17", "db-id-types", "error",
             evidence=f"{len(st)} sessions; id types: {st['id_type'].astype(str).value_counts().to_dict()}",
             collection=c.sessions_collection, what=" and ".join(what), kinds="/".join(kinds))


def orphaned_sessions(c: DbContext) -> None:
    """F17: sessions whose user does not exist (or exists under the other id type); INFO without users."""
    st = c.sessions
    if st is None or not len(st):
        return
    users = c.users_present
    if users is None:
        if c.users_collection:
            c.report("INFO", "db-no-users", "info", users=c.users_collection)
        return
    orphans = st[st["orphaned"].fillna(False).astype(bool)]
    if not len(orphans):
        return
    user_ids = [u for u in orphans["user"].tolist() if u is not None]
    oid_like = _objectid_twins(c.db, users, user_ids)
    sample = ", ".join(repr(u) for u in list(dict.fromkeys(user_ids))[:c.examples])
    masked = ", ".join(mask_id(s, c.reveal) for s in orphans["session"].head(c.examples))
    c.report("F17", "db-orphans-id-types" if oid_like else "db-orphans", "warning",
             evidence=f"orphaned sessions: {masked}", n=len(orphans), total=len(st),
             collection=c.sessions_collection, users=users, sample=sample)


def _objectid_twins(db: Any, users_collection: str, user_ids: list[Any]) -> bool:
    """Whether missing user ids exist in the users collection under the other type (str ↔ ObjectId)."""
    wanted = {str(u) for u in user_ids[:1000]}
    for u in read_collection(db, users_collection, projection={"_id": 1}, progress=False):
        _id = u.get("_id")
        if not isinstance(_id, type(user_ids[0])) and str(_id) in wanted:
            return True
    return False


# -- F16 candidates: duplicate usernames (what a unique index would refuse with E11000) --------------
def duplicate_usernames(c: DbContext) -> None:
    """F16: one username held by several users — no unique index, or one built after the duplicates."""
    users, field_name = c.users_present, c.username_field
    if users is None:
        return
    seen: dict[Any, list] = {}
    for u in read_collection(c.db, users, projection={field_name: 1}, progress=c.progress):
        name_value = u.get(field_name)
        if isinstance(name_value, str):
            seen.setdefault(name_value, []).append(u.get("_id"))
    dups = {k: v for k, v in seen.items() if len(v) > 1}
    if not dups:
        return
    sample = ", ".join(f"{k!r} ×{len(v)}" for k, v in list(dups.items())[:c.examples])
    c.report("F16", "db-duplicates", "warning", evidence=f"duplicates: {sample}", n=len(dups), field=field_name,
             collection=users, sample=sample)


# -- F10: requests without a response -----------------------------------------------------------------
def requests_without_response(c: DbContext) -> None:
    """F10: stored requests nobody responded to (grouped by path), except those a run already explains."""
    if c.requests_collection not in c.names:
        return
    rt = requests_table(c.db, c.requests_collection, reveal=c.reveal, progress=c.progress)
    missing = rt[~rt["has_response"] & ~rt["request"].isin(c.skip_requests)]
    for path, group in missing.groupby("path", dropna=False, sort=True):
        last = group["created"].max()
        keys = group["input_keys"].iloc[-1]
        c.report("F10", "db", "warning", request=group["request"].iloc[-1],
                 evidence=f"requests: {', '.join(group['request'].tail(c.examples))}",
                 n=len(group), path=path, last=last, keys=keys or "none")


Check = Callable[[DbContext], None]

#: Every database check, in the order its findings appear.
CHECKS: list[Check] = [
    wiped_test_database,
    other_session_collections,
    session_id_types,
    orphaned_sessions,
    duplicate_usernames,
    requests_without_response,
]


def diagnose_database(uri: str | None = None, db_name: str | None = None, env_file: str | None = None, *,
                      db: Any = None, sessions_collection: str = "Sessioning.sessions", user_field: str = "user",
                      users_collection: str | None = "UserAuthentication.users",
                      requests_collection: str = "Requesting.requests", skip_requests: Iterable[str] = (),
                      username_field: str = "username",
                      reveal: bool | None = None, progress: bool | None = None, examples: int = 3) -> list[Finding]:
    """Findings about an app's database (read-only). Pass ``uri``/``db_name``/``env_file`` to connect,
    or ``db=`` an open handle. Collection and field names are parameters (real apps rename them);
    requests in ``skip_requests`` (already explained by a run) are left out."""
    opened = db is None
    if db is None:
        if uri is not None and db_name is None:
            db_name = load_config(env_file).get("DB_NAME")  # the URI from the caller, the name from .env
        db = connect(uri, db_name, env_file=env_file, readonly=True)
    try:
        c = DbContext(db, sessions_collection=sessions_collection, user_field=user_field,
                      users_collection=users_collection, requests_collection=requests_collection,
                      skip_requests=set(skip_requests), username_field=username_field,
                      reveal=secrets_revealed() if reveal is None else bool(reveal), progress=progress,
                      examples=examples)
        for check in CHECKS:
            check(c)
        return c.findings
    finally:
        if opened:
            db.close()
