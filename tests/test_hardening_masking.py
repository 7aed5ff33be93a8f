"""Hardening — secrets under other field names (issue 15, item 4).

Secrecy is decided by a pattern on the key (password/passwd/secret/token/session/auth/api key, in
camelCase, snake_case or kebab-case), applied recursively: lists, nested dicts, any depth. Session
ids keep their stable short mask; harmless keys (``author``, ``sessions`` counts, ``request``,
``path``) stay readable. Free text: ``Bearer``/``Basic`` tokens are masked.
"""

from __future__ import annotations

import json

import pytest

from sessioning.masking import (
    PASSWORD_MASK,
    is_password_key,
    is_secret_key,
    mask_secrets,
    mask_text,
    mask_value,
    reveal_secrets,
)

SECRET = "Sup3rS3cretValue-42"
SID = "019a6e26-41f2-743a-82e4-e600684e2652"

# Keys from the attack report, and their usual spellings.
FULLY_MASKED = ["confirmPassword", "password_confirmation", "currentPassword", "user_password", "passwd",
                "secretKey", "client_secret", "authorization", "Authorization", "api_key", "apiKey", "x-api-key",
                "API KEY", "privateKey", "setup-key", "credentials", "cookie", "new-password", "PASSWORD", "pwd"]
ID_MASKED = ["session", "sessionId", "session_id", "sessionToken", "token", "accessToken", "refresh_token",
             "x-auth-token", "authToken", "oauth", "csrfToken", "tokens"]
HARMLESS = ["author", "authorId", "authors", "coauthor", "Sessioning", "request", "path", "username", "user",
            "collection", "expiresAt", "status", "title", "passage", "passenger", "compass"]


@pytest.mark.parametrize("key", FULLY_MASKED)
def test_fully_masked_keys(key):
    assert is_secret_key(key) and is_password_key(key)
    assert mask_secrets({key: SECRET}) == {key: PASSWORD_MASK}


@pytest.mark.parametrize("key", ID_MASKED)
def test_id_masked_keys(key):
    assert is_secret_key(key) and not is_password_key(key)
    assert mask_secrets({key: SID}) == {key: "019a6e26…2652"}


@pytest.mark.parametrize("key", HARMLESS)
def test_harmless_keys_stay_readable(key):
    assert not is_secret_key(key)
    assert mask_secrets({key: "plain value"}) == {key: "plain value"}


def test_session_ids_keep_the_stable_short_mask():
    assert mask_value("session", SID) == "019a6e26…2652"
    assert mask_secrets({"sessionId": SID}) == {"sessionId": "019a6e26…2652"}


def test_counts_under_session_like_names_are_not_masked():
    # sessions_table has a ``user_sessions`` count; a counter is not an id
    assert mask_secrets({"user_sessions": 3, "sessions": 0}) == {"user_sessions": 3, "sessions": 0}
    assert mask_secrets({"session": 12345}) == {"session": "…45"}  # the historical exact name still masks numbers


def test_token_inside_a_list():
    masked = mask_secrets({"tokens": [SECRET, SECRET + "2"], "token": [SID]})
    assert SECRET not in json.dumps(masked) and masked["token"] == ["019a6e26…2652"]


def test_secrets_nested_anywhere():
    doc = {"meta": {"auth": {"client_secret": SECRET, "scopes": ["read"]}},
           "history": [{"currentPassword": SECRET}, {"note": "ok"}],
           "headers": {"Authorization": f"Bearer {SECRET}"},
           "session": {"_id": SID, "user": "alice"}}
    masked = mask_secrets(doc)
    text = json.dumps(masked, ensure_ascii=False)
    assert SECRET not in text and SID not in text
    assert masked["history"][1] == {"note": "ok"} and masked["session"]["user"] == "alice"
    assert masked["session"]["_id"] == "019a6e26…2652"


def test_booleans_and_none_are_not_secrets():
    assert mask_secrets({"authenticated": True, "token": None, "secret": False}) == \
        {"authenticated": True, "token": None, "secret": False}


def test_reveal_shows_everything():
    doc = {"confirmPassword": SECRET, "tokens": [SECRET]}
    with reveal_secrets():
        assert mask_secrets(doc) == doc
        assert mask_text(f"Bearer {SECRET}") == f"Bearer {SECRET}"


@pytest.mark.parametrize("text", [
    f"GET /api/me Authorization: Bearer {SECRET}",
    f"headers={{'authorization': 'Bearer {SECRET}'}}",
    f"curl -H 'Authorization: Basic {SECRET}' http://localhost:8000",
    f"bearer {SECRET} expired",
])
def test_bearer_tokens_in_free_text(text):
    masked = mask_text(text)
    assert SECRET not in masked and PASSWORD_MASK in masked


def test_free_text_without_tokens_is_unchanged():
    for text in ["the bearer of bad news", "Basic usage: run it", "token expired", "Token: "]:
        assert mask_text(text) == text


def test_long_keys_are_not_judged():
    key = "password " * 50
    assert not is_secret_key(key)


def test_bearer_tokens_in_free_log_text_are_masked():
    from sessioning.gen2025.readers.logs import read_log
    from sessioning.masking import mask_inline

    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
    line = f"proxy: forwarding POST /api/login with Authorization: Bearer {token}"
    assert token not in mask_inline(line)
    log = read_log(f"{line}\nsomething else with bearer {token} in it\n")
    shown = log.unknown_frame().to_string() + repr([f.to_dict() for f in log.findings()])
    assert token not in shown


def test_sessions_table_masks_secrets_nested_in_extra_fields():
    from sessioning import connect, sessions_table

    db = connect(embedded=True)
    db["Sessioning.sessions"].insert_one({
        "_id": "019a6e26-41f2-743a-82e4-e600684e2652", "user": "u1",
        "meta": {"device": "laptop", "refresh_token": SECRET, "history": [{"apiKey": SECRET}]},
        "tokens": [SECRET], "client_secret": SECRET, "note": "plain",
    })
    df = sessions_table(db, users_collection=None)
    text = df.to_string() + repr(df.to_dict("records"))
    assert SECRET not in text
    assert df.loc[0, "note"] == "plain" and df.loc[0, "meta"]["device"] == "laptop"


def test_login_panel_keeps_no_password_in_widget_state(quiet_console):
    from sessioning import make_app
    from sessioning.gen2025.widgets import LoginPanel

    app = make_app(fast_hash=True, logging="OFF")
    panel = LoginPanel(app, password=SECRET)
    assert SECRET not in repr(panel.get_state()) and SECRET not in repr(panel.password.get_state())
    assert panel.register().status == 200 and panel.login().ok
    panel.password.value = "typed-" + SECRET  # the user types another one
    panel.login()
    assert panel.password.value == "" and SECRET not in repr(panel.password.get_state())
