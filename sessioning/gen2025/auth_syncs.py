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
#: What each variant shows, one line each (``auth_syncs?`` and ``make_app?`` list them from here).
VARIANT_HELP = {
    "correct": "the reference app: every request answered (login split over syncs, /me checks the session)",
    "one_then": "the seed's bug (F1): create and respond in one `then`: respond cannot bind the new session (Missing binding)",
    "double_logout": "the reference logout (F12/F13): a `{}` response beside an error response",
    "empty_check": "an auth check with an empty output pattern (F13) on /me: a bad session still passes",
}


def variants_help(indent: str = "    ") -> str:
    """The variants and what each shows, one per line (for docstrings and help texts)."""
    return "\n".join(f"{indent}{name!r:16} {VARIANT_HELP[name]}" for name in VARIANTS)


def _register_syncs(Requesting: Any, Auth: Any, Sessioning: Any) -> dict[str, Any]:  # noqa: N803
    """Register: request, response, error."""
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

    return {sync.__name__: sync for sync in (RegisterRequest, RegisterResponse, RegisterError)}


def _login_syncs(Requesting: Any, Auth: Any, Sessioning: Any) -> dict[str, Any]:  # noqa: N803
    """Log in: request, session creation and responses (and the seed's one-`then` sync)."""
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

    return {sync.__name__: sync for sync in (LoginRequest, LoginSuccessCreatesSession, LoginResponseSuccess,
                                             LoginResponseError, LoginCreatesSessionAndResponds)}


def _me_syncs(Requesting: Any, Auth: Any, Sessioning: Any) -> dict[str, Any]:  # noqa: N803
    """`/me`: the checked request, the invalid-session answer, and the unchecked one (F13)."""
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

    return {sync.__name__: sync for sync in (MeRequest, MeInvalidSession, MeUncheckedRequest)}


def _logout_syncs(Requesting: Any, Auth: Any, Sessioning: Any) -> dict[str, Any]:  # noqa: N803
    """Log out: the plain and the checked request, the invalid-session answer, responses."""
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

    return {sync.__name__: sync for sync in (LogoutRequest, LogoutCheckedRequest, LogoutInvalidSession,
                                             LogoutResponse, LogoutError)}


def auth_syncs(app: Any, variant: str = "correct") -> dict[str, Any]:
    """The syncs of the reference auth app, correct or with a classic bug, ready for ``engine.register``.

    Returns ``{name: sync}`` (names like ``auth.LoginResponseSuccess``) wired over ``app``'s
    Requesting, UserAuthentication and Sessioning concepts. ``variant`` is one of:

{variants}

    Raises ``ValueError`` for another name. ``make_app(syncs=variant)`` calls this for you.
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}")
    concepts = (app.Requesting, app.UserAuthentication, app.Sessioning)
    register, login, me, logout = (_register_syncs(*concepts), _login_syncs(*concepts), _me_syncs(*concepts),
                                   _logout_syncs(*concepts))
    syncs: dict[str, Any] = {
        "auth.RegisterRequest": register["RegisterRequest"],
        "auth.RegisterResponse": register["RegisterResponse"],
        "auth.RegisterError": register["RegisterError"],
        "auth.LoginRequest": login["LoginRequest"],
    }
    if variant == "one_then":
        syncs["auth.LoginCreatesSessionAndResponds"] = login["LoginCreatesSessionAndResponds"]
    else:
        syncs["auth.LoginSuccessCreatesSession"] = login["LoginSuccessCreatesSession"]
        syncs["auth.LoginResponseSuccess"] = login["LoginResponseSuccess"]
    syncs["auth.LoginResponseError"] = login["LoginResponseError"]
    if variant == "empty_check":
        syncs["auth.MeUncheckedRequest"] = me["MeUncheckedRequest"]
    else:
        syncs["auth.MeRequest"] = me["MeRequest"]
        syncs["auth.MeInvalidSession"] = me["MeInvalidSession"]
    if variant == "double_logout":
        syncs["auth.LogoutRequest"] = logout["LogoutRequest"]
    else:
        # The invalid-session check goes first: tried after the delete's cascade, its `_getUser`
        # would see the session already gone and answer a second time.
        syncs["auth.LogoutInvalidSession"] = logout["LogoutInvalidSession"]
        syncs["auth.LogoutRequest"] = logout["LogoutCheckedRequest"]
    syncs["auth.LogoutResponse"] = logout["LogoutResponse"]
    syncs["auth.LogoutError"] = logout["LogoutError"]
    return syncs


# The docstring lists the variants from VARIANT_HELP, so it cannot go stale.
auth_syncs.__doc__ = (auth_syncs.__doc__ or "").replace("{variants}", variants_help("        "))
