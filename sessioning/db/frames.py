"""The app's sessions and requests collections as DataFrames: the facts the 2025 database checks
read and :mod:`sessioning.tables` shows (``sessions_table``, ``requests_table``).

They live at the database layer, below the engine generations, so the database diagnosis reads the
same facts the tables show without importing the tables (which sit above the generations).
Session ids, passwords and tokens are masked unless revealed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from sessioning.ids import UUID7_RE
from sessioning.masking import is_secret_key, mask_id, mask_secrets, mask_text, secrets_revealed

from .read import (
    CHUNK,
    arrow_records,
    chunks,
    id_kind,
    progress_bar,
    read_collection,
    read_usernames,
    uuid7_ms,
)

__all__ = ["REQUESTS_COLUMNS", "SESSIONS_COLUMNS", "requests_table", "revealed", "sessions_table"]

_ABSENT = object()

SESSIONS_COLUMNS = [
    "session", "user", "username", "created", "id_type", "user_id_type", "user_exists", "orphaned",
    "user_sessions", "several_sessions", "id_not_string",
]
REQUESTS_COLUMNS = [
    "request", "path", "input_keys", "input", "has_response", "response", "error", "created", "id_type",
]


def revealed(reveal: bool | None) -> bool:
    """``reveal`` if given, else whether secrets are revealed kit-wide."""
    return secrets_revealed() if reveal is None else bool(reveal)


def _ms_to_utc(ms: list[float]) -> pd.Series:
    """Epoch milliseconds (NaN for none) as UTC timestamps (NaT)."""
    return pd.to_datetime(pd.Series(ms, dtype="float64"), unit="ms", utc=True)


# -- sessions -----------------------------------------------------------------------------------------
def sessions_table(db: Any, collection: str = "Sessioning.sessions", user_field: str = "user",
                   users_collection: str | None = "UserAuthentication.users", reveal: bool | None = None,
                   progress: bool | None = None, *, username_field: str = "username",
                   arrow: bool | None = None) -> pd.DataFrame:
    """One row per session, joined to its user.

    Columns: ``session`` (masked unless ``reveal``), ``user``, ``username``, ``created`` (UTC, from the
    UUIDv7 id; NaT for other ids), ``id_type`` / ``user_id_type`` (``uuid7``, ``string``, ``ObjectId``…),
    ``user_exists``, ``orphaned`` (the user is not in ``users_collection``), ``user_sessions`` (how many
    sessions the user holds), ``several_sessions``, ``id_not_string`` (the session id or user id is
    not a string — an ObjectId never equals the string ids in frames), then any other fields.
    ``users_collection=None`` skips the join (``user_exists`` is then NA).

    On the embedded database the store is read directly (100,000 sessions in well under a second).
    On a real server, ``arrow=None`` uses pymongoarrow for collections of 50,000 documents or more
    when it is installed (``True``: always, ``False``: never), else pymongo batches with a progress bar.
    """
    reveal = revealed(reveal)
    docs = None
    if arrow is not False:
        docs = arrow_records(db, collection, ["_id", user_field], 0 if arrow else 50_000)
    if docs is None:
        docs = read_collection(db, collection, progress=progress, desc=f"reading {collection}")
    users = read_usernames(db, users_collection, username_field, progress) if users_collection else None
    n = len(docs)
    ids, user_ids, extra = _session_columns(docs, user_field, f"tabulating {collection}", progress)
    id_types, created_ms, shown = _id_columns(ids, reveal)
    user_types, user_counts = _user_id_columns(user_ids)
    if users is not None:
        exists, names = _user_join(user_ids, users)
        exists_s = pd.Series(exists, dtype="boolean")
    else:
        names = [None] * n
        exists_s = pd.Series([pd.NA] * n, dtype="boolean")
    df = pd.DataFrame({
        "session": pd.Series(shown, dtype="object"),
        "user": pd.Series([u if type(u) is str or u is None else str(u) for u in user_ids], dtype="object"),
        "username": pd.Series(names, dtype="object"),
        "created": _ms_to_utc(created_ms),
        "id_type": pd.Series(id_types, dtype="category" if n else "object"),
        "user_id_type": pd.Series(user_types, dtype="category" if n else "object"),
        "user_exists": exists_s,
        "orphaned": (~exists_s) if users is not None else pd.Series([pd.NA] * n, dtype="boolean"),
        "user_sessions": pd.Series(user_counts, dtype="int64"),
        "several_sessions": pd.Series(user_counts, dtype="int64") > 1,
        "id_not_string": pd.Series([type(x) is not str or type(u) is not str for x, u in zip(ids, user_ids)], dtype="bool"),
    }, columns=SESSIONS_COLUMNS)
    for k, col in extra.items():
        if k in df.columns:
            continue
        # A secret-named field, or documents/lists that may hold one deeper down: masked recursively.
        nested = any(isinstance(v, (dict, list, tuple)) for v in col)
        df[k] = [mask_secrets({k: v}, reveal)[k] for v in col] if is_secret_key(k) or nested else col
    if n and "created" in df:
        df = df.sort_values("created", kind="stable", na_position="last").reset_index(drop=True)
    df.attrs.update({"collection": collection, "users_collection": users_collection, "user_field": user_field})
    return df


# One pass per column, plain Python on lists: pandas' string methods are no faster without pyarrow.
def _session_columns(docs: list[dict], user_field: str, desc: str,
                     progress: bool | None) -> tuple[list[Any], list[Any], dict[str, list[Any]]]:
    """The session ids, their users, and every other field (one list per field)."""
    n = len(docs)
    ids: list[Any] = []
    user_ids: list[Any] = []
    extra_keys: dict[str, None] = {}
    with progress_bar(n, desc, progress if n > CHUNK else False) as bar:
        for chunk in chunks(docs):
            ids.extend(d.get("_id") for d in chunk)
            user_ids.extend(d.get(user_field) for d in chunk)
            for d in chunk:
                if len(d) > 2 or user_field not in d:
                    extra_keys.update(dict.fromkeys(d))
            bar.update(len(chunk))
    extra_keys.pop("_id", None)
    extra_keys.pop(user_field, None)
    return ids, user_ids, {k: [d.get(k) for d in docs] for k in extra_keys}


def _id_columns(ids: list[Any], reveal: bool) -> tuple[list[str], list[float], list[Any]]:
    """Per session id: its kind, its UUIDv7 time in ms (NaN for other ids), and how it is shown."""
    match = UUID7_RE.match
    id_types: list[str] = []
    created_ms: list[float] = []
    shown: list[Any] = []
    nan = float("nan")
    for x in ids:
        if type(x) is str:
            if len(x) == 36 and match(x):
                id_types.append("uuid7")
                created_ms.append(float(int(x[:8] + x[9:13], 16)))
            else:
                id_types.append(id_kind(x))
                created_ms.append(nan)
            shown.append(x if reveal else (f"{x[:8]}…{x[-4:]}" if len(x) > 8 else mask_id(x, False)))
        else:
            id_types.append(id_kind(x))
            created_ms.append(nan)
            shown.append(None if x is None else mask_id(str(x), reveal))
    return id_types, created_ms, shown


def _user_id_columns(user_ids: list[Any]) -> tuple[list[str], list[int]]:
    """Per session: the kind of its user id, and how many sessions that user holds."""
    kinds: dict[Any, str] = {}
    counts: dict[Any, int] = {}
    user_types: list[str] = []
    for u in user_ids:
        try:
            counts[u] = counts.get(u, 0) + 1
            kind = kinds.get(u)
            if kind is None:
                kind = kinds[u] = "missing" if u is None else id_kind(u)
        except TypeError:  # an unhashable user value (a sub-document)
            kind = id_kind(u)
        user_types.append(kind)
    user_counts: list[int] = []
    for u in user_ids:
        try:
            user_counts.append(counts[u])
        except (TypeError, KeyError):
            user_counts.append(1)
    return user_types, user_counts


def _user_join(user_ids: list[Any], users: dict[Any, Any]) -> tuple[list[bool], list[Any]]:
    """Per session: whether its user exists, and the user's name."""
    exists = []
    names = []
    for u in user_ids:
        try:
            name = users.get(u, _ABSENT)
        except TypeError:
            name = _ABSENT
        exists.append(name is not _ABSENT)
        names.append(None if name is _ABSENT else name)
    return exists, names


# -- requests -----------------------------------------------------------------------------------------
def _created(doc: dict, time_field: str) -> Any:
    value = doc.get(time_field)
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, str):
        try:
            return pd.Timestamp(value)
        except ValueError:
            pass
    ms = uuid7_ms(doc.get("_id"))
    return pd.Timestamp(ms, unit="ms", tz="UTC") if ms == ms else pd.NaT


def requests_table(db: Any, collection: str = "Requesting.requests", reveal: bool | None = None,
                   progress: bool | None = None, *, time_field: str = "createdAt") -> pd.DataFrame:
    """One row per stored request, oldest first.

    Columns: ``request``, ``path``, ``input_keys`` (the body's keys, ``path`` left out), ``input``
    (passwords and session ids masked), ``has_response``, ``response`` (masked), ``error`` (the
    response's ``error`` if any), ``created`` (UTC: ``createdAt``, or the UUIDv7 time), ``id_type``.
    """
    reveal = revealed(reveal)
    docs = read_collection(db, collection, progress=progress, desc=f"reading {collection}")
    rows = []
    for d in docs:
        inp = d.get("input") if isinstance(d.get("input"), dict) else {}
        resp = d.get("response")
        rows.append({
            "request": d.get("_id") if isinstance(d.get("_id"), str) else str(d.get("_id")),
            "path": inp.get("path"),
            "input_keys": ", ".join(k for k in inp if k != "path"),
            "input": mask_secrets(inp, reveal),
            "has_response": "response" in d,
            "response": mask_secrets(resp, reveal) if resp is not None else None,
            "error": (resp.get("error") if reveal or not isinstance(resp.get("error"), str)
                      else mask_text(resp["error"], False)) if isinstance(resp, dict) else None,
            "created": _created(d, time_field),
            "id_type": id_kind(d.get("_id")),
        })
    df = pd.DataFrame(rows, columns=REQUESTS_COLUMNS)
    df["has_response"] = df["has_response"].astype("bool")
    df["created"] = pd.to_datetime(df["created"], utc=True)
    if len(df):
        df = df.sort_values("created", kind="stable", na_position="last").reset_index(drop=True)
    df.attrs["collection"] = collection
    return df
