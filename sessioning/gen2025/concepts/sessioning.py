"""The Sessioning concept: a faithful port of the seed ``SessioningConcept.ts``."""

from __future__ import annotations

from typing import Any

from sessioning import console
from sessioning.ids import bad_id_error, freshID
from sessioning.masking import mask_id

User = str
Session = str

PREFIX = "Sessioning" + "."


class SessioningConcept:
    """
    concept Sessioning [User, Session]

    purpose: To maintain a user's logged-in state across multiple requests without re-sending
    credentials.

    principle: after a user authenticates, a session is created; later requests carrying its id
    act as that user until the session is deleted.

    state:
        a set of `Session`s with
          a `user` User
        (collection ``Sessioning.sessions``, documents ``{_id: Session, user: User}``; ``_id`` is a
        fresh UUIDv7 string, not an ObjectId; no expiry, no index; a user may hold any number of
        sessions)

    actions:
        create (user: User): (session: Session)
            requires: true.
            effects: creates a new Session `s`; associates it with the given `user`; returns `s`
            as `session`. On a database error returns ``{error: "Failed to create session: …"}``.

        delete (session: Session): ()
            requires: the given `session` exists.
            effects: removes the session `s`. Otherwise ``{error: "Session with id … not found"}``.

    queries:
        _getUser (session: Session): (user: User)
            requires: the given `session` exists.
            effects: returns the user associated with the session. Otherwise a one-element list
            ``[{error: "Session with id … not found"}]`` — not an empty list (this is what keeps a
            frame alive with ``user`` unbound in a sync: failure modes F2/F4/F13).

    Beyond the seed: ids must be strings; a dict such as ``{"$ne": None}`` is refused with an
    ``{error}`` and never reaches a query.
    """

    def __init__(self, db: Any) -> None:
        self.db = db
        self.sessions = self.db.collection(PREFIX + "sessions")

    def create(self, user: User) -> dict[str, Any]:
        if (problem := bad_id_error("user", user)) is not None:
            return {"error": f"Failed to create session: {problem}"}
        try:
            new_session_id = freshID()
            doc = {"_id": new_session_id, "user": user}
            shown = mask_id(new_session_id)  # masked once for both lines
            console.log(f"[Sessioning.create] Attempting to insert session for user: {user} with ID: {shown}")
            self.sessions.insert_one(doc)
            console.log(f"[Sessioning.create] Successfully created session: {shown}")
            return {"session": new_session_id}
        except Exception as e:  # the seed catches everything and returns {error}
            console.error(f"[Sessioning.create] Error creating session for user {user}:", e)
            return {"error": f"Failed to create session: {e}"}

    def delete(self, session: Session) -> dict[str, Any]:
        if (problem := bad_id_error("session", session)) is not None:
            return {"error": problem}
        result = self.sessions.delete_one({"_id": session})
        if result.deleted_count == 0:
            return {"error": f"Session with id {session} not found"}
        return {}

    def _getUser(self, session: Session) -> list[dict[str, Any]]:  # noqa: N802 - the seed's name
        if (problem := bad_id_error("session", session)) is not None:
            return [{"error": problem}]
        session_doc = self.sessions.find_one({"_id": session})
        if not session_doc:
            return [{"error": f"Session with id {session} not found"}]
        return [{"user": session_doc["user"]}]
