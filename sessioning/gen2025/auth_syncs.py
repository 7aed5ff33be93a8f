"""The authenticate-then-create syncs of the reference app, correct and with the classic bugs.

``auth_syncs(app, variant)`` returns ``{name: sync}`` for ``engine.register``. Variants:

* ``"correct"`` — register, login (request → authenticate → create → respond, split over syncs),
  ``/me`` with a real auth check, logout with a checked delete and separate success/error answers;
* ``"one_then"`` — the seed's bug (F1): create and respond in one ``then``;
* ``"double_logout"`` — the reference logout (F12/F13): ``{}`` response beside an error response;
* ``"empty_check"`` — an auth check with an empty output pattern (F13) on ``/me``.
"""

from __future__ import annotations

from typing import Any

from .engine import actions

VARIANTS = ("correct", "one_then", "double_logout", "empty_check")


def auth_syncs(app: Any, variant: str = "correct") -> dict[str, Any]:
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}")
    Requesting, Auth, Sessioning = app.Requesting, app.UserAuthentication, app.Sessioning  # noqa: N806

    def RegisterRequest(request, username, password):  # noqa: N802
        return {
            "when": actions([Requesting.request, {"path": "/register", "username": username, "password": password}, {"request": request}]),
            "then": actions([Auth.register, {"username": username, "password": password}]),
        }

    def RegisterResponse(request, user):  # noqa: N802
        return {
            "when": actions([Requesting.request, {"path": "/register"}, {"request": request}], [Auth.register, {}, {"user": user}]),
            "then": actions([Requesting.respond, {"request": request, "user": user}]),
        }

    def RegisterError(request, error):  # noqa: N802
        return {
            "when": actions([Requesting.request, {"path": "/register"}, {"request": request}], [Auth.register, {}, {"error": error}]),
            "then": actions([Requesting.respond, {"request": request, "error": error}]),
        }

    def LoginRequest(request, username, password):  # noqa: N802
        return {
            "when": actions([Requesting.request, {"path": "/login", "username": username, "password": password}, {"request": request}]),
            "then": actions([Auth.authenticate, {"username": username, "password": password}]),
        }

    def LoginSuccessCreatesSession(user):  # noqa: N802
        return {
            "when": actions([Auth.authenticate, {}, {"user": user}]),
            "then": actions([Sessioning.create, {"user": user}]),
        }

    def LoginResponseSuccess(request, user, session):  # noqa: N802
        return {
            "when": actions(
                [Requesting.request, {"path": "/login"}, {"request": request}],
                [Auth.authenticate, {}, {"user": user}],
                [Sessioning.create, {"user": user}, {"session": session}],
            ),
            "then": actions([Requesting.respond, {"request": request, "session": session}]),
        }

    def LoginResponseError(request, error):  # noqa: N802
        return {
            "when": actions([Requesting.request, {"path": "/login"}, {"request": request}], [Auth.authenticate, {}, {"error": error}]),
            "then": actions([Requesting.respond, {"request": request, "error": error}]),
        }

    # The seed's situation: one sync creates the session and responds with it.
    def LoginCreatesSessionAndResponds(request, user, session):  # noqa: N802
        return {
            "when": actions([Requesting.request, {"path": "/login"}, {"request": request}], [Auth.authenticate, {}, {"user": user}]),
            "then": actions([Sessioning.create, {"user": user}, {"session": session}], [Requesting.respond, {"request": request, "session": session}]),
        }

    def MeRequest(request, session, user, username):  # noqa: N802
        return {
            "when": actions([Requesting.request, {"path": "/me", "session": session}, {"request": request}]),
            "where": lambda frames: frames.query(Sessioning._getUser, {"session": session}, {"user": user})
                                          .filter(lambda f: user in f)
                                          .query(Auth._getUsername, {"user": user}, {"username": username}),
            "then": actions([Requesting.respond, {"request": request, "user": user, "username": username}]),
        }

    def MeInvalidSession(request, session, error):  # noqa: N802
        return {
            "when": actions([Requesting.request, {"path": "/me", "session": session}, {"request": request}]),
            "where": lambda frames: frames.query(Sessioning._getUser, {"session": session}, {"error": error}).filter(lambda f: error in f),
            "then": actions([Requesting.respond, {"request": request, "error": error}]),
        }

    # F13: the output pattern is empty, so an unknown session passes the "check".
    def MeUncheckedRequest(request, session):  # noqa: N802
        return {
            "when": actions([Requesting.request, {"path": "/me", "session": session}, {"request": request}]),
            "where": lambda frames: frames.query(Sessioning._getUser, {"session": session}, {}),
            "then": actions([Requesting.respond, {"request": request, "status": "authenticated"}]),
        }

    def LogoutRequest(request, session, user):  # noqa: N802
        return {
            "when": actions([Requesting.request, {"path": "/logout", "session": session}, {"request": request}]),
            "where": lambda frames: frames.query(Sessioning._getUser, {"session": session}, {"user": user}),
            "then": actions([Sessioning.delete, {"session": session}]),
        }

    def LogoutCheckedRequest(request, session, user):  # noqa: N802
        return {
            "when": actions([Requesting.request, {"path": "/logout", "session": session}, {"request": request}]),
            "where": lambda frames: frames.query(Sessioning._getUser, {"session": session}, {"user": user}).filter(lambda f: user in f),
            "then": actions([Sessioning.delete, {"session": session}]),
        }

    def LogoutInvalidSession(request, session, error):  # noqa: N802
        return {
            "when": actions([Requesting.request, {"path": "/logout", "session": session}, {"request": request}]),
            "where": lambda frames: frames.query(Sessioning._getUser, {"session": session}, {"error": error}).filter(lambda f: error in f),
            "then": actions([Requesting.respond, {"request": request, "error": error}]),
        }

    # The reference's LogoutResponse: `{}` also matches delete's {error} (F12).
    def LogoutResponse(request):  # noqa: N802
        return {
            "when": actions([Requesting.request, {"path": "/logout"}, {"request": request}], [Sessioning.delete, {}, {}]),
            "then": actions([Requesting.respond, {"request": request, "status": "logged_out"}]),
        }

    def LogoutError(request, error):  # noqa: N802
        return {
            "when": actions([Requesting.request, {"path": "/logout"}, {"request": request}], [Sessioning.delete, {}, {"error": error}]),
            "then": actions([Requesting.respond, {"request": request, "error": error}]),
        }

    syncs: dict[str, Any] = {
        "auth.RegisterRequest": RegisterRequest,
        "auth.RegisterResponse": RegisterResponse,
        "auth.RegisterError": RegisterError,
        "auth.LoginRequest": LoginRequest,
    }
    if variant == "one_then":
        syncs["auth.LoginCreatesSessionAndResponds"] = LoginCreatesSessionAndResponds
    else:
        syncs["auth.LoginSuccessCreatesSession"] = LoginSuccessCreatesSession
        syncs["auth.LoginResponseSuccess"] = LoginResponseSuccess
    syncs["auth.LoginResponseError"] = LoginResponseError
    if variant == "empty_check":
        syncs["auth.MeUncheckedRequest"] = MeUncheckedRequest
    else:
        syncs["auth.MeRequest"] = MeRequest
        syncs["auth.MeInvalidSession"] = MeInvalidSession
    if variant == "double_logout":
        syncs["auth.LogoutRequest"] = LogoutRequest
        syncs["auth.LogoutResponse"] = LogoutResponse
        syncs["auth.LogoutError"] = LogoutError
    else:
        # The invalid-session check goes first: tried after the delete's cascade, its `_getUser`
        # would see the session already gone and answer a second time.
        syncs["auth.LogoutInvalidSession"] = LogoutInvalidSession
        syncs["auth.LogoutRequest"] = LogoutCheckedRequest
        syncs["auth.LogoutResponse"] = LogoutResponse
        syncs["auth.LogoutError"] = LogoutError
    return syncs
