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

from sessioning.db.connect import connect, load_config
from sessioning.findings import Finding
from sessioning.masking import mask_id, mask_text, secrets_revealed
from sessioning.tables import read_collection, requests_table, sessions_table

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
    client = db.__dict__.get("_client") if hasattr(db, "__dict__") else None
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


# -- F19: the test database -------------------------------------------------------------------------
def wiped_test_database(c: DbContext) -> None:
    """F19: reading `test-<DB_NAME>` (wiped by `testDb()`), or it holds the sessions the real one lacks."""
    name = getattr(c.db, "name", "")
    if name.startswith("test-"):
        c.add("F19", "warning",
              f"This is `{name}`, the database Deno tests use: `testDb()` drops every collection in it at the start "
              f"of each test, so what you see here can vanish. If the server writes here, main.ts imports "
              "`@test-concepts` instead of `@concepts`.",
              f"Read the real database `{name[5:]}` (DB_NAME in .env), and make main.ts import `@concepts`.",
              evidence=f"database {name!r}")
    elif name and f"test-{name}" in _database_names(c.db):
        test_db = _client(c.db)[f"test-{name}"]
        coll = c.sessions_collection
        here = _count(c.db, coll) if coll in c.names else 0
        there = _count(test_db, coll) if coll in _names(test_db) else 0
        severe = here == 0 and there > 0
        c.add("F19", "warning" if severe else "info",
              f"`test-{name}` exists beside `{name}`"
              + (f", and its `{coll}` has {there} documents while this one has none: the server "
                 "probably runs against the test database (`@test-concepts`), which `testDb()` wipes."
                 if severe else " (Deno tests use it; `testDb()` drops its collections at every test)."),
              "Make main.ts import `@concepts` (which uses DB_NAME), and look for your data in the database the "
              "server really uses.", evidence=f"{coll}: {here} here, {there} in test-{name}")


# -- F17: session collections under other names -----------------------------------------------------
def other_session_collections(c: DbContext) -> None:
    """F17: the inspected sessions collection is empty or absent while another session-like one is not."""
    coll = c.sessions_collection
    others = [n for n in session_collections(c.db) if n != coll]
    if not others:
        return
    if coll not in c.names or _count(c.db, coll) == 0:
        counts = ", ".join(f"`{n}` ({_count(c.db, n)} documents)" for n in others)
        c.add("F17", "warning",
              f"`{coll}` is {'empty' if coll in c.names else 'not in this database'}, "
              f"but {counts} {'is' if len(others) == 1 else 'are'} — the app names its sessions collection "
              "differently, so inspecting the default finds nothing.",
              f"Inspect `{others[0]}` (pass `sessions_collection='{others[0]}'`), or rename the collection in the "
              "concept if it was a typo.", evidence=", ".join(others))
    else:
        c.add("F17", "info",
              f"Besides `{coll}` this database has other session-like collections: "
              + ", ".join(f"`{n}` ({_count(c.db, n)})" for n in others)
              + ". Writes may go to one while the app reads another.",
              "Check which collection each concept uses (`PREFIX + \"sessions\"`).", evidence=", ".join(others))


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
    c.add("F17", "error",
          f"In `{c.sessions_collection}`, {' and '.join(what)} are {'/'.join(kinds)}, not strings. An "
          "ObjectId never equals the string UUIDv7 ids that travel in frames, so look-ups such as "
          "`_getUser({session})` silently find nothing; `new ObjectId(<uuid>)` throws `BSONError`.",
          "Store ids as the strings `freshID()` makes (`_id: freshID()`), never `new ObjectId(...)`; "
          "migrate the existing documents.",
          evidence=f"{len(st)} sessions; id types: {st['id_type'].astype(str).value_counts().to_dict()}")


def orphaned_sessions(c: DbContext) -> None:
    """F17: sessions whose user does not exist (or exists under the other id type); INFO without users."""
    st = c.sessions
    if st is None or not len(st):
        return
    users = c.users_present
    if users is None:
        if c.users_collection:
            c.add("INFO", "info",
                  f"`{c.users_collection}` is not in this database, so sessions could not be joined to their users.",
                  "Pass `users_collection=` the collection your authentication concept uses.")
        return
    orphans = st[st["orphaned"].fillna(False).astype(bool)]
    if not len(orphans):
        return
    user_ids = [u for u in orphans["user"].tolist() if u is not None]
    oid_like = _objectid_twins(c.db, users, user_ids)
    sample = ", ".join(repr(u) for u in list(dict.fromkeys(user_ids))[:c.examples])
    cause = (f"their user ids are strings while `{users}` stores ObjectIds (or the reverse): the same id "
             "in two types never matches" if oid_like else
             f"those users are not in `{users}` (deleted, created in another database, or the "
             "session was created for an unchecked id — `Sessioning.create` checks nothing)")
    c.add("F17", "warning",
          f"{len(orphans)} of {len(st)} sessions in `{c.sessions_collection}` point to users that do not "
          f"exist: {cause}. Examples: {sample}.",
          ("Use one id type everywhere (the string ids `freshID()` makes)." if oid_like else
           "Delete sessions when their user is deleted, and create sessions only for a user that "
           "`authenticate` returned."),
          evidence=f"orphaned sessions: {', '.join(mask_id(s, c.reveal) for s in orphans['session'].head(c.examples))}")


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
    c.add("F16", "warning",
          f"{len(dups)} `{field_name}` value(s) in `{users}` are held by several users "
          f"({sample}): there is no unique index, or it was created after the duplicates (an unawaited "
          "`createIndex` races the first inserts). Logging in finds only one of them; building the index "
          "now fails with E11000.",
          f"Remove the duplicates, then create the unique index on `{field_name}` before the first "
          "insert (await it), and keep the `findOne` pre-check in `register`.",
          evidence=f"duplicates: {sample}")


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
        c.add("F10", "warning",
              f"{len(group)} request(s) to {path!r} have no stored response (latest at {last}): nothing called "
              "`Requesting.respond` for them — no request sync matched the path and keys (F10), a response "
              "sync never matched (F11), or the cascade threw and the client got 500.",
              f"Replay one of them in the kit (`app.request({path!r}, ...)` with keys {keys or 'none'}) and "
              "look at `diagnose(app)`: it names the sync and the pattern key that did not match.",
              request=group["request"].iloc[-1],
              evidence=f"requests: {', '.join(group['request'].tail(c.examples))}")


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
