"""Sessions, 2026 style: ``sessioning.sessions`` as a table, with expiry against now, and cookie facts.

Collections are named ``<concept lowercased>.<plural>`` in 2026 (``sessioning.sessions``), but the
2025 casing (``Sessioning.sessions``) and other concept names ending in ``sessions``
(``agentsessioning.sessions``) are accepted. Ids are UUID v4 strings (Commons, the guide) or other
strings (ConceptBox: base64url); the user field is ``user`` or ``subject``; ``expiresAt`` and
``lastUsed`` are optional. Session ids are masked unless secrets are revealed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from sessioning.gen2026.model import AppModel
from sessioning.masking import mask_id

__all__ = ["CookieFacts", "cookie_facts", "find_sessions", "sessions_table", "users_of"]

_COLUMNS = ["session", "user", "expiresAt", "lastUsed", "state", "expires_in", "user_exists", "id_kind"]


def find_sessions(collections: dict[str, list[dict[str, Any]]]) -> tuple[str | None, list[dict[str, Any]]]:
    """The sessions collection (either casing; ``sessioning.sessions`` preferred) and its documents."""
    names = sorted((n for n in collections if n.lower().endswith(".sessions")),
                   key=lambda n: (n.lower() != "sessioning.sessions", n != "sessioning.sessions", n))
    return (names[0], collections[names[0]]) if names else (None, [])


def users_of(collections: dict[str, list[dict[str, Any]]]) -> set[str] | None:
    """Ids of known users (``authenticating.users``, ``*.users``, ``*.accounts``), or None if none is given."""
    found: set[str] | None = None
    for name, docs in collections.items():
        if name.lower().endswith((".users", ".accounts")):
            found = (found or set()) | {str(d.get("_id")) for d in docs}
    return found


def _id_kind(value: Any) -> str:
    s = str(value)
    if len(s) == 36 and s.count("-") == 4:
        return f"uuid v{s[14]}" if s[14].isdigit() else "uuid"
    return "string" if isinstance(value, str) else type(value).__name__


def _aware(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, str):
        try:
            return _aware(dt.datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return None
    return None


def sessions_table(collections: dict[str, list[dict[str, Any]]], now: dt.datetime | None = None) -> pd.DataFrame:
    """One row per session: masked id, user/subject, expiry state against ``now``, whether the user exists."""
    now = now or dt.datetime.now(dt.UTC)
    _, docs = find_sessions(collections)
    users = users_of(collections)
    rows = []
    for d in docs:
        user = d.get("user", d.get("subject"))
        expires = _aware(d.get("expiresAt"))
        state = "no expiry" if expires is None else ("expired" if expires <= now else "active")
        rows.append({
            "session": mask_id(d.get("_id")), "user": user, "expiresAt": expires, "lastUsed": _aware(d.get("lastUsed")),
            "state": state, "expires_in": (expires - now) if expires else None,
            "user_exists": None if users is None else str(user) in users, "id_kind": _id_kind(d.get("_id")),
        })
    return pd.DataFrame(rows, columns=_COLUMNS)


@dataclass(frozen=True)
class CookieFacts:
    """What the browser will do with the session cookie, from the HTTP policy and the origin."""

    cookie: str | None
    public_origin: str | None
    notes: tuple[str, ...]


def cookie_facts(model: AppModel, public_origin: str | None = None, page_origin: str | None = None) -> CookieFacts:
    """The ``__Host-`` cookie name, and warnings: ``Secure`` over http, localhost vs 127.0.0.1, trailing slash."""
    http = model.http
    name = f"__Host-{http.cookie_name}" if http and http.cookie_name else None
    origin = public_origin or model.env_keys.get("PUBLIC_ORIGIN") or (
        http.public_origin if http and http.public_origin and "://" in http.public_origin else None)
    notes = []
    if name:
        notes.append(f"the session cookie is `{name}`: HttpOnly, Secure, SameSite=Strict, Path=/ — "
                     "a client must send `Cookie: {name}=<session>` itself over http (Python's cookie jar, like "
                     "Safari, keeps Secure cookies off http)".replace("{name}", name))
    if origin:
        parts = urlsplit(origin)
        if origin.endswith("/"):
            notes.append(f"PUBLIC_ORIGIN `{origin}` ends with a slash: the origin check compares exactly; drop it")
        if parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1"):
            notes.append(f"PUBLIC_ORIGIN `{origin}` is http on a remote host: browsers drop the Secure cookie")
        if page_origin and page_origin.rstrip("/") != origin.rstrip("/"):
            other = urlsplit(page_origin).hostname
            same_machine = {parts.hostname, other} == {"localhost", "127.0.0.1"}
            notes.append(f"the page is at `{page_origin}` but PUBLIC_ORIGIN is `{origin}`: sign-in and session "
                         "requests answer 403 FORBIDDEN" + (" (to a browser, localhost and 127.0.0.1 are two "
                                                            "separate origins)" if same_machine else ""))
    if http is not None and http.cookie_name is None:
        notes.append("httpPolicy has no `cookies.session`: the session travels in JSON bodies, not a cookie")
    return CookieFacts(name, origin, tuple(notes))
