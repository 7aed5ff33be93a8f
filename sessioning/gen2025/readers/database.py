"""Diagnose an app's own database, read-only: what its documents say about failure modes.

``diagnose_database(uri, db_name, env_file=...)`` connects read-only (``sessioning.connect``) and
returns :class:`~sessioning.findings.Finding` objects for

* requests stored without a response (a timeout: no sync responded, F10/F11 — or a 500);
* sessions pointing to users that do not exist, and ObjectId vs string id mix-ups (F17);
* session collections under other names than the one inspected (F17);
* a ``test-<DB_NAME>`` database in use or lying beside the real one (F19);
* duplicate usernames — what a unique index would refuse with E11000 (F16 candidates).

``diagnose_database(db=handle)`` reads a database handle that is already open (tests, the kit's
embedded database). Nothing is ever written.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sessioning.findings import Finding
from sessioning.masking import mask_id, mask_text, secrets_revealed

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


def diagnose_database(uri: str | None = None, db_name: str | None = None, env_file: str | None = None, *,
                      db: Any = None, sessions_collection: str = "Sessioning.sessions", user_field: str = "user",
                      users_collection: str | None = "UserAuthentication.users",
                      requests_collection: str = "Requesting.requests", skip_requests: Iterable[str] = (),
                      username_field: str = "username",
                      reveal: bool | None = None, progress: bool | None = None, examples: int = 3) -> list[Finding]:
    """Findings about an app's database (read-only). Pass ``uri``/``db_name``/``env_file`` to connect,
    or ``db=`` an open handle. Collection and field names are parameters (real apps rename them);
    requests in ``skip_requests`` (already explained by a run) are left out."""
    from sessioning.tables import requests_table, sessions_table

    reveal = secrets_revealed() if reveal is None else bool(reveal)
    opened = False
    if db is None:
        from sessioning.db.connect import connect, load_config

        if uri is not None and db_name is None:
            db_name = load_config(env_file).get("DB_NAME")  # the URI from the caller, the name from .env
        db = connect(uri, db_name, env_file=env_file, readonly=True)
        opened = True
    try:
        findings: list[Finding] = []
        names = _names(db)

        def add(code: str, severity: str, explanation: str, fix: str, **kw: Any) -> None:
            if not reveal:
                explanation, fix = mask_text(explanation, False), mask_text(fix, False)
            findings.append(Finding(code, severity, explanation, fix, source="db", **kw))

        # -- F19: the test database ---------------------------------------------------------------
        name = getattr(db, "name", "")
        if name.startswith("test-"):
            add("F19", "warning",
                f"This is `{name}`, the database Deno tests use: `testDb()` drops every collection in it at the start "
                f"of each test, so what you see here can vanish. If the server writes here, main.ts imports "
                "`@test-concepts` instead of `@concepts`.",
                f"Read the real database `{name[5:]}` (DB_NAME in .env), and make main.ts import `@concepts`.",
                evidence=f"database {name!r}")
        elif name and f"test-{name}" in _database_names(db):
            client = _client(db)
            test_db = client[f"test-{name}"]
            here = _count(db, sessions_collection) if sessions_collection in names else 0
            there = _count(test_db, sessions_collection) if sessions_collection in _names(test_db) else 0
            severe = here == 0 and there > 0
            add("F19", "warning" if severe else "info",
                f"`test-{name}` exists beside `{name}`"
                + (f", and its `{sessions_collection}` has {there} documents while this one has none: the server "
                   "probably runs against the test database (`@test-concepts`), which `testDb()` wipes."
                   if severe else " (Deno tests use it; `testDb()` drops its collections at every test)."),
                "Make main.ts import `@concepts` (which uses DB_NAME), and look for your data in the database the "
                "server really uses.", evidence=f"{sessions_collection}: {here} here, {there} in test-{name}")

        # -- F17: session collections under other names ------------------------------------------
        others = [n for n in session_collections(db) if n != sessions_collection]
        if sessions_collection not in names or _count(db, sessions_collection) == 0:
            if others:
                counts = ", ".join(f"`{n}` ({_count(db, n)} documents)" for n in others)
                add("F17", "warning",
                    f"`{sessions_collection}` is {'empty' if sessions_collection in names else 'not in this database'}, "
                    f"but {counts} {'is' if len(others) == 1 else 'are'} — the app names its sessions collection "
                    "differently, so inspecting the default finds nothing.",
                    f"Inspect `{others[0]}` (pass `sessions_collection='{others[0]}'`), or rename the collection in the "
                    "concept if it was a typo.", evidence=", ".join(others))
        elif others:
            add("F17", "info",
                f"Besides `{sessions_collection}` this database has other session-like collections: "
                + ", ".join(f"`{n}` ({_count(db, n)})" for n in others)
                + ". Writes may go to one while the app reads another.",
                "Check which collection each concept uses (`PREFIX + \"sessions\"`).", evidence=", ".join(others))

        # -- sessions: orphans and id types ---------------------------------------------------------
        if sessions_collection in names:
            users_ok = users_collection if users_collection and users_collection in names else None
            st = sessions_table(db, sessions_collection, user_field=user_field, users_collection=users_ok,
                                reveal=reveal, progress=progress)
            if len(st):
                bad_ids = st[st["id_type"].astype(str).isin(["ObjectId"]) | ~st["id_type"].astype(str).isin(["uuid7", "uuid", "string"])]
                bad_users = st[~st["user_id_type"].astype(str).isin(["uuid7", "uuid", "string", "missing"])]
                if len(bad_ids) or len(bad_users):
                    kinds = sorted(set(bad_ids["id_type"].astype(str)) | set(bad_users["user_id_type"].astype(str)))
                    what = []
                    if len(bad_ids):
                        what.append(f"{len(bad_ids)} session ids")
                    if len(bad_users):
                        what.append(f"{len(bad_users)} `{user_field}` values")
                    add("F17", "error",
                        f"In `{sessions_collection}`, {' and '.join(what)} are {'/'.join(kinds)}, not strings. An "
                        "ObjectId never equals the string UUIDv7 ids that travel in frames, so look-ups such as "
                        "`_getUser({session})` silently find nothing; `new ObjectId(<uuid>)` throws `BSONError`.",
                        "Store ids as the strings `freshID()` makes (`_id: freshID()`), never `new ObjectId(...)`; "
                        "migrate the existing documents.",
                        evidence=f"{len(st)} sessions; id types: {st['id_type'].astype(str).value_counts().to_dict()}")
                if users_ok is not None:
                    orphans = st[st["orphaned"].fillna(False).astype(bool)]
                    if len(orphans):
                        user_ids = [u for u in orphans["user"].tolist() if u is not None]
                        oid_like = _objectid_twins(db, users_ok, user_ids)
                        sample = ", ".join(repr(u) for u in list(dict.fromkeys(user_ids))[:examples])
                        cause = (f"their user ids are strings while `{users_ok}` stores ObjectIds (or the reverse): the same id "
                                 "in two types never matches" if oid_like else
                                 f"those users are not in `{users_ok}` (deleted, created in another database, or the "
                                 "session was created for an unchecked id — `Sessioning.create` checks nothing)")
                        add("F17", "warning",
                            f"{len(orphans)} of {len(st)} sessions in `{sessions_collection}` point to users that do not "
                            f"exist: {cause}. Examples: {sample}.",
                            ("Use one id type everywhere (the string ids `freshID()` makes)." if oid_like else
                             "Delete sessions when their user is deleted, and create sessions only for a user that "
                             "`authenticate` returned."),
                            evidence=f"orphaned sessions: {', '.join(mask_id(s, reveal) for s in orphans['session'].head(examples))}")
                elif users_collection:
                    add("INFO", "info",
                        f"`{users_collection}` is not in this database, so sessions could not be joined to their users.",
                        "Pass `users_collection=` the collection your authentication concept uses.")

        # -- F16 candidates: duplicate usernames (what a unique index would refuse with E11000) ---------
        if users_collection and users_collection in names:
            from sessioning.tables import read_collection

            seen: dict[Any, list] = {}
            for u in read_collection(db, users_collection, projection={username_field: 1}, progress=progress):
                name_value = u.get(username_field)
                if isinstance(name_value, str):
                    seen.setdefault(name_value, []).append(u.get("_id"))
            dups = {k: v for k, v in seen.items() if len(v) > 1}
            if dups:
                sample = ", ".join(f"{k!r} ×{len(v)}" for k, v in list(dups.items())[:examples])
                add("F16", "warning",
                    f"{len(dups)} `{username_field}` value(s) in `{users_collection}` are held by several users "
                    f"({sample}): there is no unique index, or it was created after the duplicates (an unawaited "
                    "`createIndex` races the first inserts). Logging in finds only one of them; building the index "
                    "now fails with E11000.",
                    f"Remove the duplicates, then create the unique index on `{username_field}` before the first "
                    "insert (await it), and keep the `findOne` pre-check in `register`.",
                    evidence=f"duplicates: {sample}")

        # -- requests without a response ---------------------------------------------------------
        if requests_collection in names:
            rt = requests_table(db, requests_collection, reveal=reveal, progress=progress)
            skip = set(skip_requests)
            missing = rt[~rt["has_response"] & ~rt["request"].isin(skip)]
            for path, group in missing.groupby("path", dropna=False, sort=True):
                last = group["created"].max()
                keys = group["input_keys"].iloc[-1]
                add("F10", "warning",
                    f"{len(group)} request(s) to {path!r} have no stored response (latest at {last}): nothing called "
                    "`Requesting.respond` for them — no request sync matched the path and keys (F10), a response "
                    "sync never matched (F11), or the cascade threw and the client got 500.",
                    f"Replay one of them in the kit (`app.request({path!r}, ...)` with keys {keys or 'none'}) and "
                    "look at `diagnose(app)`: it names the sync and the pattern key that did not match.",
                    request=group["request"].iloc[-1],
                    evidence=f"requests: {', '.join(group['request'].tail(examples))}")
        return findings
    finally:
        if opened:
            db.close()


def _objectid_twins(db: Any, users_collection: str, user_ids: list[Any]) -> bool:
    """Whether missing user ids exist in the users collection under the other type (str ↔ ObjectId)."""
    from sessioning.tables import read_collection

    wanted = {str(u) for u in user_ids[:1000]}
    for u in read_collection(db, users_collection, projection={"_id": 1}, progress=False):
        _id = u.get("_id")
        if not isinstance(_id, type(user_ids[0])) and str(_id) in wanted:
            return True
    return False


__all__ = ["diagnose_database", "session_collections"]
