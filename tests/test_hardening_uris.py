"""Hardening — URI credentials with special characters (issue 15, item 3).

A password holding ``/ ? @ # space`` (legal when percent-encoded, common when not) must never show:
not in ``mask_uri``/``mask_text_uris``, not in ``ConnectionProblem.host``, its message or the
driver's text, not in ``doctor --uri``. URIs are cut as pymongo cuts them; what cannot be parsed is
masked from the scheme to the last ``@``. Only closed 127.0.0.1 ports are contacted.
"""

from __future__ import annotations

import re
import socket
import traceback

import pytest

from sessioning import ConnectionProblem, cli, connect
from sessioning.masking import mask_text, mask_text_uris, mask_uri

# Passwords as a user would paste them: raw special characters, or percent-encoded.
PASSWORDS = {
    "slash": "Zq9/w8x7v",
    "question": "Zq9?w8x7v",
    "at": "Zq9@w8x7v",
    "hash": "Zq9#w8x7v",
    "space": "Zq9 w8x7v",
    "all_raw": "Zq9/w?x@y#k m7",
    "percent_encoded": "Zq9%2Fw%3Fx%40y%23k%20m7",
    "plus_and_colon": "Zq9+w8:x7v",
}


def pieces(password: str) -> list[str]:
    """The parts of a password between special characters: none of them may show."""
    return [p for p in re.split(r"[/?#@:\s%]+|%[0-9A-F]{2}", password) if len(p) >= 3] + [password]


def assert_hidden(text: str, password: str) -> None:
    for piece in pieces(password):
        assert piece not in text, f"{piece!r} of the password shows in {text!r}"


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture
def no_mongo_env(monkeypatch, tmp_path):
    monkeypatch.delenv("MONGODB_URL", raising=False)
    monkeypatch.delenv("DB_NAME", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize("scheme", ["mongodb", "mongodb+srv"])
@pytest.mark.parametrize("name", PASSWORDS)
def test_mask_uri_hides_every_piece_of_the_password(name, scheme):
    password = PASSWORDS[name]
    uri = f"{scheme}://alice:{password}@cluster0.example.net/appdb?retryWrites=true"
    masked = mask_uri(uri)
    assert_hidden(masked, password)
    assert masked.endswith("@cluster0.example.net/appdb?retryWrites=true"), masked
    from sessioning.masking import uri_hosts

    assert uri_hosts(uri) == "cluster0.example.net"


@pytest.mark.parametrize("name", PASSWORDS)
def test_mask_text_uris_in_free_text(name):
    password = PASSWORDS[name]
    text = f"connect failed for 'mongodb://alice:{password}@db.example.net:27017/app' after 3 tries\nnext line"
    masked = mask_text_uris(text)
    assert_hidden(masked, password)
    assert "db.example.net:27017/app" in masked and masked.endswith("after 3 tries\nnext line")


def test_at_in_password_is_not_half_masked():
    assert mask_uri("mongodb://alice:p@ss@host/db") == "mongodb://****@host/db"  # was ****@ss@…
    assert mask_text_uris("x mongodb://alice:p@ss@host/db y") == "x mongodb://****@host/db y"


def test_percent_encoded_password_keeps_the_user():
    assert mask_uri("mongodb://alice:p%40ss%2Fw@host/db") == "mongodb://alice:****@host/db"


@pytest.mark.parametrize("uri,expected", [
    ("https://ghp_TOKEN1234567890@github.com/org/repo.git", "https://****@github.com/org/repo.git"),
    ("mongodb://TOKEN1234567890@host/db", "mongodb://****@host/db"),
    ("redis://:s3cretpass@cache:6379/0", "redis://****@cache:6379/0"),
])
def test_token_only_userinfo_is_masked(uri, expected):
    assert mask_uri(uri) == expected
    assert mask_text_uris(f"clone {uri} now") == f"clone {expected} now"
    assert mask_text(f"clone {uri} now") == f"clone {expected} now"


@pytest.mark.parametrize("text", [
    "mongodb://host:27017/db",
    "mongodb://localhost:27017 is down; mail ops@example.com",
    "mongodb://host/db?appName=me@laptop",
    "see https://example.com/users/@me and https://example.com/?q=a@b",
    "plain text with no uri @ all",
])
def test_uris_without_credentials_are_unchanged(text):
    assert mask_text_uris(text) == text
    if text.startswith("mongodb") and " " not in text:  # a whole URI, not a sentence
        assert mask_uri(text) == text


def test_uri_credentials_and_hosts_without_a_scheme():
    from sessioning.masking import uri_credentials, uri_hosts

    assert uri_credentials("mongodb://u:p@ss@h1,h2:27018/db") == "u:p@ss"
    assert uri_hosts("mongodb://u:p@ss@h1,h2:27018/db") == "h1,h2:27018"
    assert uri_hosts("alice:Zq9/w@127.0.0.1/db") == "127.0.0.1"


@pytest.mark.parametrize("name", PASSWORDS)
def test_connection_problem_never_holds_the_password(no_mongo_env, name):
    password = PASSWORDS[name]
    uri = f"mongodb://alice:{password}@127.0.0.1:{closed_port()}/appdb"
    with pytest.raises(ConnectionProblem) as info:
        connect(uri, "appdb", timeout=0.3)
    err = info.value
    everything = "".join(traceback.format_exception(err)) + repr(err.args) + err.host + err.original + err.cause
    assert_hidden(everything, password)
    assert "127.0.0.1" in err.host and "127.0.0.1" in str(err)


@pytest.mark.parametrize("name", ["slash", "at", "space", "all_raw", "percent_encoded"])
def test_doctor_uri_never_prints_the_password(no_mongo_env, capsys, name):
    password = PASSWORDS[name]
    uri = f"mongodb://alice:{password}@127.0.0.1:{closed_port()}/appdb"
    code = cli.main(["doctor", "--uri", uri, "--db-name", "appdb", "--json"])
    out, err = capsys.readouterr()
    assert code in (1, 2)
    assert_hidden(out + err, password)
    code = cli.main(["doctor", "--uri", uri, "--db-name", "appdb"])
    out, err = capsys.readouterr()
    assert_hidden(out + err, password)
    assert "127.0.0.1" in out + err
