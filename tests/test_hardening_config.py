"""Hardening — quiet or wrong answers (issue 15, item 6).

* an explicit ``--env`` / ``env_file=`` that cannot be read (UTF-16 without a BOM, lowercase keys,
  empty) used to check an empty embedded database and exit 0: it is now a clear error, exit 2;
* ``--uri`` without ``--db-name`` (and no ``DB_NAME``) exits 2, as a usage error;
* a mistyped fault target (a near-miss of a known collection, concept or action) is refused when
  armed, instead of never firing.
"""

from __future__ import annotations

import pytest

from sessioning import ConnectionProblem, cli, connect, load_config, make_app
from sessioning.db.connect import ConfigurationProblem


@pytest.fixture
def no_mongo_env(monkeypatch, tmp_path):
    monkeypatch.delenv("MONGODB_URL", raising=False)
    monkeypatch.delenv("DB_NAME", raising=False)
    monkeypatch.chdir(tmp_path)


URL = "mongodb://127.0.0.1:1/"
UNREADABLE = {
    "utf16_no_bom": (f"MONGODB_URL={URL}\nDB_NAME=app\n".encode("utf-16-le"), "UTF-16"),
    "utf16_bom": (f"MONGODB_URL={URL}\nDB_NAME=app\n".encode("utf-16"), "UTF-16"),
    "utf32": (f"MONGODB_URL={URL}\n".encode("utf-32"), "UTF-16 or UTF-32"),
    "lowercase_keys": (f"mongodb_url={URL}\ndb_name=app\n".encode(), "'mongodb_url' but the app reads MONGODB_URL"),
    "empty": (b"", "empty"),
    "blank": (b"\n  \n\t\n", "empty"),
    "only_comments": (b"# MONGO\n# nothing here\n", "empty"),
    "latin1": ("MONGODB_URL=mongodb://josé@h/\n".encode("latin-1"), "not UTF-8"),
    "no_assignment": (b"just some words\n", "no NAME=value line"),
}


@pytest.mark.parametrize("name", UNREADABLE)
def test_unreadable_env_file_is_an_error(no_mongo_env, tmp_path, name):
    content, words = UNREADABLE[name]
    env = tmp_path / "app.env"
    env.write_bytes(content)
    with pytest.raises(ConfigurationProblem, match="not a readable .env file") as info:
        connect(env_file=env, timeout=0.5)
    assert words in str(info.value)
    assert isinstance(info.value, ConnectionProblem)  # callers catching the old type keep working


@pytest.mark.parametrize("name", ["utf16_no_bom", "lowercase_keys", "empty"])
def test_doctor_env_unreadable_exits_2(no_mongo_env, tmp_path, capsys, name):
    env = tmp_path / "app.env"
    env.write_bytes(UNREADABLE[name][0])
    code = cli.main(["doctor", "--env", str(env)])
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert "not a readable .env file" in err and "Traceback" not in err


def test_utf8_bom_env_is_read(no_mongo_env, tmp_path):
    env = tmp_path / "app.env"
    env.write_bytes(b"\xef\xbb\xbfMONGODB_URL=mongodb://127.0.0.1:1/\nDB_NAME=app\n")
    assert load_config(env) == {"MONGODB_URL": "mongodb://127.0.0.1:1/", "DB_NAME": "app"}


def test_env_with_only_db_name_still_means_the_embedded_database(no_mongo_env, tmp_path):
    env = tmp_path / "app.env"
    env.write_text("DB_NAME=myapp\n")
    assert connect(env_file=env).embedded


def test_env_that_is_a_fifo_is_refused(no_mongo_env, tmp_path):
    import os

    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    fifo = tmp_path / "fifo.env"
    os.mkfifo(fifo)
    with pytest.raises(ConfigurationProblem, match="named pipe"):
        load_config(fifo)


def test_uri_without_db_name_exits_2(no_mongo_env, capsys):
    code = cli.main(["doctor", "--uri", "mongodb://127.0.0.1:1/"])
    _, err = capsys.readouterr()
    assert code == 2 and "DB_NAME" in err


def test_odd_timeout_is_a_configuration_problem():
    with pytest.raises(ConfigurationProblem, match="timeout="):
        connect(URL, "app", timeout=-1)


@pytest.fixture
def app(quiet_console):
    app = make_app(fast_hash=True, logging="OFF")
    app.request("/register", username="a", password="p")
    return app


@pytest.mark.parametrize("arm,words", [
    (lambda f: f.fail_inserts("Sessioning.session"), "did you mean 'Sessioning.sessions'"),
    (lambda f: f.fail_inserts("sessioning.sessions"), "did you mean 'Sessioning.sessions'"),
    (lambda f: f.fail_updates("Requesting.request"), "did you mean 'Requesting.requests'"),
    (lambda f: f.fail_deletes(" Sessioning.sessions"), "no spaces"),
    (lambda f: f.fail_inserts("bad$name"), "not a collection name"),
    (lambda f: f.fail_action("Sessioning"), "not an action"),
    (lambda f: f.fail_action("Sesioning.create"), "did you mean 'Sessioning'"),
    (lambda f: f.fail_action("userauthentication.register"), "did you mean 'UserAuthentication'"),
    (lambda f: f.fail_action("UserAuthentication.Register"), "did you mean 'UserAuthentication.register'"),
    (lambda f: f.inject("insert", "Sessioning.sesions").__enter__(), "did you mean 'Sessioning.sessions'"),
])
def test_mistyped_fault_targets_are_refused(app, arm, words):
    with pytest.raises(ValueError, match="would never fire") as info:
        arm(app.db.faults)
    assert words in str(info.value)
    assert not app.db.faults.active


@pytest.mark.parametrize("arm", [
    lambda f: f.fail_inserts("Sessioning.sessions"),
    lambda f: f.fail_inserts("Posting.posts"),  # a collection not opened yet: accepted
    lambda f: f.fail_action("Sessioning.delete"),  # an action that has not run yet: accepted
    lambda f: f.fail_action("Clock.now"),  # a concept without collections
])
def test_plausible_fault_targets_are_accepted(app, arm):
    arm(app.db.faults)
    assert app.db.faults.active
