"""The UserAuthentication concept, as in the course's reference app, with a real password hash."""

from __future__ import annotations

from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pymongo.errors import DuplicateKeyError

from sessioning.ids import bad_id_error, freshID

PREFIX = "UserAuthentication" + "."

#: OWASP's minimum for Argon2id (19 MiB, 2 passes): about 15 ms a hash here.
DEFAULT_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
#: For tests, demos and benchmarks only: still Argon2id, but cheap. Never for real passwords.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def _bad_text(name: str, value: Any) -> str | None:
    if not isinstance(value, str):
        return f"Invalid {name}: expected a string, got {type(value).__name__}."
    if not value:
        return f"Invalid {name}: must not be empty."
    if len(value) > 4096:
        return f"Invalid {name}: longer than 4096 characters."
    return None


class UserAuthenticationConcept:
    """
    concept UserAuthentication [User]

    purpose: let a person prove who they are with a username and a password.

    principle: after a user registers with a username and password, authenticating with the same
    pair yields that user; any other pair yields an error.

    state:
        a set of `User`s with
          a `username` String (unique)
          a `passwordHash` String
        (collection ``UserAuthentication.users``, documents ``{_id, username, passwordHash}``;
        a unique index on ``username`` is built before the first insert. Passwords are stored as
        Argon2id hashes, not the reference app's unsalted SHA-256.)

    actions:
        register (username: String, password: String): (user: User)
            requires: no user has this username.
            effects: creates a new user with this username and the hash of the password; returns it.
            Otherwise ``{error: "Username already exists"}``.

        authenticate (username: String, password: String): (user: User)
            requires: a user with this username exists and the password matches.
            effects: returns that user. Otherwise ``{error: "Invalid username or password"}`` (the
            same message for an unknown user and a wrong password).

    queries:
        _getUserByUsername (username: String): (user: User)  — ``[{user}]`` or ``[]``
        _getUsername (user: User): (username: String)        — ``[{username}]`` or ``[]``
    """

    def __init__(self, db: Any, hasher: PasswordHasher | None = None) -> None:
        self.db = db
        self.hasher = hasher or DEFAULT_HASHER
        self.users = self.db.collection(PREFIX + "users")
        if not getattr(db, "readonly", False):
            # Awaited here (the reference app does not await it, so early inserts can race it).
            self.users.create_index("username", unique=True)

    def register(self, username: str, password: str) -> dict[str, Any]:
        if (problem := _bad_text("username", username) or _bad_text("password", password)) is not None:
            return {"error": problem}
        if self.users.find_one({"username": username}) is not None:
            return {"error": "Username already exists"}
        user = freshID()
        try:
            self.users.insert_one({"_id": user, "username": username, "passwordHash": self.hasher.hash(password)})
        except DuplicateKeyError:
            return {"error": "Username already exists"}
        return {"user": user}

    def authenticate(self, username: str, password: str) -> dict[str, Any]:
        if _bad_text("username", username) or not isinstance(password, str):
            return {"error": "Invalid username or password"}
        doc = self.users.find_one({"username": username})
        if doc is None:
            return {"error": "Invalid username or password"}
        try:
            self.hasher.verify(doc.get("passwordHash", ""), password)
        except (VerificationError, InvalidHashError):
            return {"error": "Invalid username or password"}
        return {"user": doc["_id"]}

    def _getUserByUsername(self, username: str) -> list[dict[str, Any]]:  # noqa: N802
        if _bad_text("username", username):
            return []
        doc = self.users.find_one({"username": username})
        return [{"user": doc["_id"]}] if doc else []

    def _getUsername(self, user: str) -> list[dict[str, Any]]:  # noqa: N802
        if bad_id_error("user", user):
            return []
        doc = self.users.find_one({"_id": user})
        return [{"username": doc["username"]}] if doc else []
